"""DeepDiff, the differential model of a cell pair (``chromexpr.models.deepdiff``)."""

import pytest
import torch

from chromexpr.errors import ConfigError
from chromexpr.models import count_parameters, differential_model_class
from chromexpr.models.deepdiff import CHANNELS, DeepDiff
from chromexpr.train.settings import RECIPES


def _pair(genes: int = 6, marks: int = 5, bins: int = 12, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    counts_a = torch.poisson(torch.rand(genes, marks, bins, generator=generator) * 4)
    counts_b = torch.poisson(torch.rand(genes, marks, bins, generator=generator) * 4)
    return counts_a, counts_b


def test_deepdiff_has_the_212163_parameters_of_the_authors_raw_aux_siamese():
    # 20 bin-level encoders of 9,024, 3 mark-level encoders of 10,528 and 3 heads of 33.
    assert count_parameters(DeepDiff(n_marks=5, n_bins=200)) == 20 * 9_024 + 3 * 10_528 + 3 * 33
    assert count_parameters(DeepDiff(n_marks=5, n_bins=200)) == 212_163


def test_deepdiff_predicts_the_difference_and_both_cells_per_gene():
    outputs = DeepDiff(n_marks=5, n_bins=12)(*_pair(genes=7))
    for name in ("difference", "a", "b"):
        assert outputs[name].shape == (7,)
    assert outputs["embedding_a"].shape == outputs["embedding_b"].shape == (7, 5 * 64)


def test_deepdiff_is_registered_as_a_differential_model_only():
    assert differential_model_class("deepdiff") is DeepDiff
    with pytest.raises(ConfigError, match="deepdiff") as error:
        differential_model_class("deepdif")
    assert error.value.key == "differential.models"


def test_deepdiff_attention_per_mark_and_bin_sums_to_one():
    weights = DeepDiff(n_marks=5, n_bins=12).attention(*_pair(genes=3))
    assert weights["bins"].shape == (3, 5, 12)
    assert weights["marks"].shape == (3, 5)
    for level in weights.values():
        assert (level >= 0).all()
        assert torch.allclose(level.sum(-1), torch.ones(level.shape[:-1]))


def test_deepdiff_mark_attention_sums_each_marks_five_inputs_and_weighs_their_bins():
    model = DeepDiff(n_marks=3, n_bins=4)
    counts = _pair(genes=2, marks=3, bins=4)
    inputs = model.channel_attention(*counts)
    assert inputs["marks"].shape == (2, len(CHANNELS) * 3)
    assert inputs["bins"].shape == (2, len(CHANNELS) * 3, 4)
    merged = model.attention(*counts)
    mark = 1
    rows = [channel * 3 + mark for channel in range(len(CHANNELS))]  # mark 1 of each input
    share = inputs["marks"][0, rows]
    assert torch.isclose(merged["marks"][0, mark], share.sum())
    expected_bins = (share[:, None] * inputs["bins"][0, rows]).sum(0) / share.sum()
    assert torch.allclose(merged["bins"][0, mark], expected_bins)


def test_deepdiff_loss_is_three_squared_errors_and_four_times_the_contrastive_term():
    model = DeepDiff(n_marks=5, n_bins=12)
    targets = torch.tensor([3.0, 0.5]), torch.tensor([1.0, 2.0]), torch.tensor([4.0, 2.5])
    same = torch.zeros(2, 320)
    apart = torch.zeros(2, 320)
    apart[:, 0] = 3.0
    exact = {"difference": targets[0], "a": targets[1], "b": targets[2]}
    # Gene 1 differs (|3| >= 2): embeddings together cost (margin 2 - 0)^2 = 4, 3 apart nothing.
    # Gene 2 does not: together nothing, 3 apart 3^2 = 9. Mean over genes, times 4.
    together = model.loss({**exact, "embedding_a": same, "embedding_b": same}, *targets)
    assert together.item() == pytest.approx(4 * (4 + 0) / 2, rel=1e-4)
    distant = model.loss({**exact, "embedding_a": same, "embedding_b": apart}, *targets)
    assert distant.item() == pytest.approx(4 * (0 + 9) / 2, rel=1e-4)
    off = {**exact, "difference": targets[0] + 1, "embedding_a": apart, "embedding_b": apart}
    assert model.loss(off, *targets).item() == pytest.approx(1 + 4 * 4 / 2, rel=1e-4)


def test_deepdiff_training_lowers_the_loss_on_a_small_batch():
    torch.manual_seed(0)
    model = DeepDiff(n_marks=2, n_bins=6, bin_hidden_size=8)
    counts_a, counts_b = _pair(genes=8, marks=2, bins=6)
    difference = counts_b.sum((1, 2)).log2() - counts_a.sum((1, 2)).log2()
    targets = difference, counts_a.sum((1, 2)).log2(), counts_b.sum((1, 2)).log2()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    losses = []
    for _ in range(12):
        optimizer.zero_grad()
        loss = model.loss(model(counts_a, counts_b), *targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_deepdiff_with_one_seed_starts_and_trains_the_same_and_another_seed_differs():
    counts = _pair(genes=4)

    def trained(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        model = DeepDiff(n_marks=5, n_bins=12)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(2):
            optimizer.zero_grad()
            model.loss(model(*counts), torch.ones(4), torch.ones(4), torch.zeros(4)).backward()
            optimizer.step()
        return model(*counts)["difference"]

    assert torch.equal(trained(1), trained(1))
    assert not torch.allclose(trained(1), trained(2))


def test_deepdiff_starts_uniform_within_a_tenth_and_refuses_mismatched_cells():
    model = DeepDiff(n_marks=5, n_bins=12)
    assert all(parameter.abs().max() <= 0.1 for parameter in model.parameters())
    counts_a, counts_b = _pair()
    with pytest.raises(ValueError, match="one shape"):
        model(counts_a, counts_b[:, :, :10])
    with pytest.raises(ValueError, match="5 marks"):
        model(counts_a[:, :4], counts_b[:, :4])


def test_deepdiff_published_recipe_uses_only_the_recipe_keys_of_the_harness():
    assert set(DeepDiff.PUBLISHED_RECIPE) <= set(RECIPES["published"])
    assert DeepDiff.PUBLISHED_WINDOW == {"bins": 200, "bin_size": 100}
    assert sum(DeepDiff.PUBLISHED_SPLIT.values()) == 18_460
