"""The model registry and every registered model."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from chromexpr.errors import ConfigError
from chromexpr.models import MODELS, build_model, capabilities, count_parameters
from chromexpr.models.attentivechrome import AttentiveChrome
from chromexpr.models.deepchrome import DeepChromeCNN
from chromexpr.models.gbdt import GradientBoostedTrees
from chromexpr.models.linear import ReducedLinear
from chromexpr.models.logistic import LogisticBaseline
from chromexpr.models.transformer import BinTransformer
from chromexpr.models.zhu import KerasLSTM, ZhuCRNN


def test_deepchrome_has_the_published_644177_parameters():
    assert count_parameters(build_model("deepchrome", n_marks=5, n_bins=100)) == 644_177


def test_deepchrome_maps_marks_by_bins_to_two_logits():
    model = DeepChromeCNN(n_marks=5, n_bins=100)
    counts = torch.rand(7, 5, 100)
    assert model.features(counts).shape == (7, 50, 18)
    assert model(counts).shape == (7, 2)


def test_deepchrome_adapts_its_first_linear_layer_to_the_bins():
    model = DeepChromeCNN(n_marks=3, n_bins=40)  # (40 - 10 + 1) // 5 = 6 positions
    assert model.classifier[2].in_features == 50 * 6
    assert model(torch.rand(2, 3, 40)).shape == (2, 2)


def test_deepchrome_rejects_too_few_bins_for_convolution_and_pooling():
    with pytest.raises(ValueError, match="12 bins"):
        DeepChromeCNN(n_bins=12)


def test_unknown_model_is_a_config_error_listing_the_known_names():
    with pytest.raises(ConfigError, match="deepchrome") as error:
        build_model("deepchrom", n_marks=5, n_bins=100)
    assert error.value.key == "models"


def test_unknown_hyperparameter_is_a_config_error_naming_the_model():
    with pytest.raises(ConfigError, match="kernel") as error:
        build_model("deepchrome", n_marks=5, n_bins=100, kernel=3)
    assert error.value.key == "models.deepchrome"


# Counted from the published code at 5 marks x 100 bins and each model's published outputs.
PUBLISHED_PARAMETERS = {
    "deepchrome": 644_177,
    "linear": 12,
    "mlp": 125_752,
    "cnn": 1_611_709,
    "rnn": 10_205,
    "crnn": 39_613,
    "attentivechrome": 55_681,
}


def counts_and_labels(genes: int = 16, bins: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Small raw-count-like genes whose label is whether their first mark has the most reads."""
    generator = torch.Generator().manual_seed(0)
    counts = torch.poisson(3 * torch.rand(genes, 5, bins, generator=generator), generator=generator)
    labels = (counts[:, 0].sum(-1) > counts[:, 0].sum(-1).median()).long()
    return counts, labels


def as_input(model, counts):
    """``counts`` [genes, marks, bins] as the model reads them: models of neighbouring genes take
    [genes, 1 + k, marks, bins] (here each gene's own matrix repeated)."""
    if getattr(model, "reads_neighbours", False):
        return counts[:, None].expand(-1, 1 + model.neighbours, -1, -1)
    return counts


# Models trained by gradient steps; the others are fitted once (scikit-learn, LightGBM).
GRADIENT_MODELS = sorted(name for name in MODELS if not capabilities(name).fits_without_gradients)


def built(name, bins=100, **hyperparameters):
    """Model ``name``, fitted on small genes first where it is fitted outside the gradient loop
    (an unfitted tree model has no output)."""
    model = build_model(name, n_marks=5, n_bins=bins, **hyperparameters)
    if capabilities(name).fits_without_gradients:
        counts, labels = counts_and_labels(genes=40, bins=bins)
        labels = labels.numpy()
        model.fit_without_gradients(counts, labels, counts, labels, "classification", 1)
    return model


def loss_of(model, counts, labels):
    logits = model(as_input(model, counts))
    if logits.shape[1] == 2:
        return F.cross_entropy(logits, labels)
    return F.binary_cross_entropy_with_logits(logits[:, 0], labels.float())


def test_every_published_model_is_registered_with_its_parameter_count():
    assert set(PUBLISHED_PARAMETERS) <= set(MODELS)


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMETERS))
def test_model_has_the_published_parameter_count(name):
    assert count_parameters(build_model(name, n_marks=5, n_bins=100)) == PUBLISHED_PARAMETERS[name]


def test_deepchrome_with_one_output_drops_the_second_row_of_its_last_layer():
    assert count_parameters(build_model("deepchrome", 5, 100, n_outputs=1)) == 644_177 - 126


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_maps_marks_by_bins_to_n_outputs(name, n_outputs):
    model = built(name, n_outputs=n_outputs)
    assert model(as_input(model, torch.rand(3, 5, 100))).shape == (3, n_outputs)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_adapts_to_forty_bins(name):
    model = built(name, bins=40)
    outputs = model(as_input(model, torch.rand(2, 5, 40)))
    assert outputs.shape[0] == 2
    assert torch.isfinite(outputs).all()


@pytest.mark.parametrize("name", GRADIENT_MODELS)
def test_a_few_optimiser_steps_lower_the_loss_on_a_fixed_batch(name):
    torch.manual_seed(0)
    model = build_model(name, n_marks=5, n_bins=40).eval()  # eval: no dropout noise in the loss
    counts, labels = counts_and_labels(genes=8, bins=40)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = loss_of(model, counts, labels).item()
    for _ in range(5):
        optimiser.zero_grad()
        loss_of(model, counts, labels).backward()
        optimiser.step()
    assert loss_of(model, counts, labels).item() < before


@pytest.mark.parametrize("name", sorted(MODELS))
def test_state_dict_round_trip_gives_identical_outputs(name, tmp_path):
    counts, _ = counts_and_labels(genes=4, bins=40)
    torch.manual_seed(1)
    model = built(name, bins=40)
    if capabilities(name).fits_input_statistics:
        model.fit_input_statistics(counts * 3)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    torch.manual_seed(2)
    fresh = build_model(name, n_marks=5, n_bins=40)
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    inputs = as_input(model, counts)
    assert torch.equal(model.eval()(inputs), fresh.eval()(inputs))


def test_linear_scale_is_one_until_fitted_then_the_training_maximum_per_mark():
    model = ReducedLinear(n_marks=3, n_bins=4)
    assert torch.equal(model.scale, torch.ones(3))
    training = torch.tensor(
        [
            [[1.0, 7.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 1.0, 0.0]],
            [[4.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [9.0, 0.0, 0.0, 0.0]],
        ]
    )
    model.fit_input_statistics(training)
    assert model.scale.tolist() == [7.0, 1.0, 9.0]  # an all-zero mark keeps scale 1


def test_linear_scores_a_gene_the_same_alone_or_batched_with_larger_genes():
    model = ReducedLinear()
    training, _ = counts_and_labels()
    model.fit_input_statistics(training)
    gene = training[:1]
    batch = torch.cat([gene, 100 * training[1:4]])
    assert torch.allclose(model(gene), model(batch)[:1])


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [("max", 5.0), ("min", 1.0), ("sum", 11.0), ("mean", 2.75), ("median", 2.5)],
)
def test_linear_reduces_each_mark_over_its_bins(reduction, expected):
    model = ReducedLinear(n_marks=1, n_bins=4, reduction=reduction)
    assert model.reduce(torch.tensor([[[1.0, 5.0, 3.0, 2.0]]])).item() == expected


def test_linear_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="mode"):
        ReducedLinear(reduction="mode")


def test_keras_lstm_step_uses_hard_sigmoid_gates_and_one_bias():
    torch.manual_seed(0)
    lstm = KerasLSTM(input_size=3, hidden_size=2).eval()
    step = torch.randn(4, 1, 3)
    gates = torch.stack([step[:, 0] @ lstm.weight_input[g] + lstm.bias[g] for g in range(4)])
    hard_sigmoid = torch.clamp(0.2 * gates + 0.5, 0, 1)
    cell = hard_sigmoid[0] * torch.tanh(gates[2])  # the previous cell state is 0
    assert torch.allclose(lstm(step), hard_sigmoid[3] * torch.tanh(cell), atol=1e-6)
    assert lstm.bias[1].tolist() == [1.0, 1.0]  # Keras's forget-gate bias


def test_crnn_default_sequence_is_the_published_reshape_of_the_channels_first_map():
    torch.manual_seed(0)
    published = ZhuCRNN().eval()
    by_bins = ZhuCRNN(sequence_layout="bins").eval()
    by_bins.load_state_dict(published.state_dict())
    counts = torch.rand(2, 5, 100)
    assert not torch.allclose(published(counts), by_bins(counts))
    with pytest.raises(ValueError, match="columns"):
        ZhuCRNN(sequence_layout="columns")


def test_attentivechrome_attention_weights_have_documented_shapes_and_sum_to_one():
    model = AttentiveChrome(n_marks=5, n_bins=40)
    weights = model.attention(torch.rand(3, 5, 40))
    assert weights["bins"].shape == (3, 5, 40)
    assert weights["marks"].shape == (3, 5)
    for level in weights.values():
        assert (level >= 0).all()
        assert torch.allclose(level.sum(-1), torch.ones(level.shape[:-1]))


def test_attentivechrome_starts_uniform_within_a_tenth_and_rejects_other_mark_counts():
    model = AttentiveChrome()
    assert all(parameter.abs().max() <= 0.1 for parameter in model.parameters())
    assert not math.isclose(model.classifier.weight.abs().max().item(), 0.0)
    with pytest.raises(ValueError, match="5 marks"):
        model(torch.rand(2, 4, 100))


def test_transformer_has_the_documented_parameter_count_and_rejects_other_bin_counts():
    model = BinTransformer(n_marks=5, n_bins=100)
    assert count_parameters(model) == 116_994
    with pytest.raises(ValueError, match="100 bins"):
        model(torch.rand(2, 5, 40))


def test_logistic_copies_scikit_learns_l2_fit_into_its_linear_layer():
    counts, labels = counts_and_labels(genes=40, bins=20)
    model = LogisticBaseline(n_marks=5, n_bins=20, penalty=2.0)
    model.fit_without_gradients(counts, labels.numpy(), counts, labels.numpy(), "classification", 1)
    assert count_parameters(model) == 5 * 2 + 1
    features = ((model.features(counts) - model.centre) / model.spread).double().numpy()
    from sklearn.linear_model import LogisticRegression

    reference = LogisticRegression(C=0.5).fit(features, labels.numpy())
    np.testing.assert_allclose(
        torch.sigmoid(model(counts)[:, 0]).detach().numpy(),
        reference.predict_proba(features)[:, 1],
        rtol=1e-5,
    )


def test_logistic_with_two_outputs_gives_the_same_probability_of_high():
    counts, labels = counts_and_labels(genes=40, bins=20)
    one, two = (LogisticBaseline(5, 20, n_outputs=n) for n in (1, 2))
    for model in (one, two):
        model.fit_without_gradients(
            counts, labels.numpy(), counts, labels.numpy(), "classification", 1
        )
    torch.testing.assert_close(
        torch.softmax(two(counts), dim=1)[:, 1], torch.sigmoid(one(counts)[:, 0])
    )


def test_gbdt_learns_the_separating_mark_and_stops_early_on_the_validation_genes():
    counts, labels = counts_and_labels(genes=200, bins=20)
    model = GradientBoostedTrees(5, 20, max_rounds=500, early_stopping_rounds=10)
    train, valid = slice(0, 120), slice(120, 200)
    model.fit_without_gradients(
        counts[train],
        labels[train].numpy(),
        counts[valid],
        labels[valid].numpy(),
        "classification",
        1,
    )
    assert model.booster().num_trees() < 500
    scores = model(counts[valid])[:, 0]
    high, low = scores[labels[valid] == 1], scores[labels[valid] == 0]
    # The label is a sum over 20 bins, which single-bin splits approximate: well above chance.
    assert (high[:, None] > low[None, :]).float().mean() > 0.65
    assert count_parameters(model) > 0


def test_gbdt_is_deterministic_and_its_trees_reload_from_the_state_dict(tmp_path):
    counts, labels = counts_and_labels(genes=100, bins=20)
    models = [GradientBoostedTrees(5, 20) for _ in range(2)]
    for model in models:
        model.fit_without_gradients(
            counts, labels.numpy(), counts, labels.numpy(), "classification", 3
        )
    assert torch.equal(models[0].trees, models[1].trees)
    torch.save(models[0].state_dict(), tmp_path / "trees.pt")
    fresh = GradientBoostedTrees(5, 20)
    fresh.load_state_dict(torch.load(tmp_path / "trees.pt", weights_only=True))
    assert torch.equal(fresh(counts), models[0](counts))


def test_an_unfitted_gbdt_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        GradientBoostedTrees(5, 20)(torch.rand(2, 5, 20))
