"""The training harness: settings, one step, determinism, failures, checkpoint and outputs."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError, TrainingError
from chromexpr.evaluation import auc, predict_outputs, probabilities_from_outputs
from chromexpr.models import build_model
from chromexpr.train import (
    RECIPES,
    TrainingSettings,
    load_checkpoint,
    train_cell,
    train_side_by_side,
)
from chromexpr.train.fit import Run
from chromexpr.train.inputs import SplitData, transform_inputs
from chromexpr.train.single import make_optimizer, torch7_decay, train_epoch
from chromexpr.train.tasks import TASKS

N_MARKS, N_BINS = 5, 100


def learnable_cell(n_genes: int = 60, seed: int = 0) -> CellDataset:
    """Poisson counts [genes, 5, 100] whose first mark peaks at the TSS of high genes only.

    Splits 30/15/15 genes, both classes in each.
    """
    rng = np.random.default_rng(seed)
    labels = np.tile([0, 1], n_genes // 2).astype(np.int8)
    rates = np.ones((n_genes, N_MARKS, N_BINS))
    rates[:, 0, 40:60] += 4 * labels[:, None]
    n_train, n_valid = n_genes // 2, n_genes // 4
    return CellDataset(
        cell="E999",
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
        symbols=np.array([f"G{i}" for i in range(n_genes)]),
        chrom=np.full(n_genes, "chr1"),
        tss=np.arange(n_genes, dtype=np.int64) * 10_000,
        strand=np.full(n_genes, "+"),
        counts=rng.poisson(rates).astype(np.int32),
        labels=labels,
        expression=labels + rng.random(n_genes),
        expression_unit="tpm",
        split=np.array(
            ["train"] * n_train + ["valid"] * n_valid + ["test"] * (n_genes - n_train - n_valid)
        ),
        marks=np.array([f"mark{i}" for i in range(N_MARKS)]),
        bin_offsets=np.arange(N_BINS, dtype=np.int64) * 100 - 5000,
    )


def quick_settings(**overrides) -> TrainingSettings:
    training = {"recipe": "fast", "epochs": 3, "batch_size": 8, "device": "cpu", **overrides}
    return TrainingSettings.from_config("deepchrome", training)


# --- settings ---------------------------------------------------------------------------------


def test_published_recipe_is_deepchromes_sgd():
    settings = TrainingSettings.from_config("deepchrome", {"recipe": "published"})
    assert (settings.optimizer, settings.learning_rate, settings.lr_decay) == ("sgd", 1e-3, 1e-7)
    assert (settings.batch_size, settings.epochs, settings.momentum) == (1, 100, 0.0)
    assert (settings.input_transform, settings.patience, settings.seed) == ("raw", None, 1)


def test_config_overrides_replace_recipe_values():
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "fast", "epochs": 7, "seed": 3, "patience": None}
    )
    assert (settings.epochs, settings.seed, settings.patience) == (7, 3, None)
    assert settings.batch_size == RECIPES["fast"]["batch_size"]


def test_unknown_training_key_is_a_config_error_naming_it():
    with pytest.raises(ConfigError) as error:
        TrainingSettings.from_config("deepchrome", {"recipe": "fast", "epoch": 3})
    assert error.value.key == "training.epoch"


def test_unknown_recipe_is_a_config_error():
    with pytest.raises(ConfigError, match="published") as error:
        TrainingSettings.from_config("deepchrome", {"recipe": "slow"})
    assert error.value.key == "training.recipe"


def test_invalid_override_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError) as error:
        TrainingSettings.from_config("deepchrome", {"recipe": "fast", "batch_size": 0})
    assert error.value.key == "training.batch_size"


def test_config_hash_is_stable_and_follows_every_setting():
    settings = quick_settings()
    assert settings.config_hash() == quick_settings().config_hash()
    assert len(settings.config_hash()) == 12
    assert replace(settings, seed=2).config_hash() != settings.config_hash()


def test_cuda_requested_without_a_gpu_is_a_training_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(TrainingError, match="cuda"):
        train_cell(learnable_cell(), quick_settings(device="cuda"), tmp_path)


# --- optimisation -----------------------------------------------------------------------------


def one_batch_run(model, settings, features, labels):
    """A Run of ``model`` whose training split is ``features``/``labels``, its optimiser, decay."""
    data = SplitData({"train": features}, {"train": labels.numpy()}, labels)
    run = Run("test model", settings, TASKS[settings.task], model, data)
    optimizer = make_optimizer(model, settings)
    return run, optimizer, torch7_decay(optimizer, settings.lr_decay)


def test_one_training_step_on_a_fixed_batch_reduces_the_loss():
    torch.manual_seed(0)
    dataset = learnable_cell()
    features = torch.as_tensor(dataset.counts, dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels, dtype=torch.int64)
    # Without dropout the loss before and after the step are of the same function.
    model = build_model("deepchrome", N_MARKS, N_BINS, dropout=0.0)
    settings = quick_settings(batch_size=len(labels), learning_rate=1e-4)
    run, optimizer, scheduler = one_batch_run(model, settings, features, labels)
    loss_before = train_epoch(run, optimizer, scheduler, features, torch.arange(len(labels)))
    with torch.no_grad():
        loss_after = torch.nn.functional.cross_entropy(model(features), labels).item()
    assert scheduler.last_epoch == 1  # one step
    assert loss_after < loss_before


def test_learning_rate_decays_like_torch7_sgd():
    dataset = learnable_cell()
    features = torch.as_tensor(dataset.counts[:4], dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels[:4], dtype=torch.int64)
    model = build_model("deepchrome", N_MARKS, N_BINS)
    settings = replace(quick_settings(batch_size=1), optimizer="sgd", lr_decay=0.5)
    run, optimizer, scheduler = one_batch_run(model, settings, features, labels)
    train_epoch(run, optimizer, scheduler, features, torch.arange(4))
    # After t steps of batch 1 the next runs at lr / (1 + t * decay), Torch7's optim.sgd.
    assert optimizer.param_groups[0]["lr"] == pytest.approx(settings.learning_rate / (1 + 4 * 0.5))
    train_epoch(run, optimizer, scheduler, features, torch.arange(4))
    assert scheduler.last_epoch == 8
    assert optimizer.param_groups[0]["lr"] == pytest.approx(settings.learning_rate / (1 + 8 * 0.5))


# --- AUC --------------------------------------------------------------------------------------


def test_auc_counts_concordant_pairs_and_half_of_the_ties():
    labels = np.array([1, 1, 1, 0, 0, 0])
    probabilities = np.array([0.9, 0.6, 0.4, 0.4, 0.3, 0.7])
    # 0.9 beats 3 negatives; 0.6 beats 0.4 and 0.3; 0.4 beats 0.3 and ties 0.4: 3 + 2 + 1.5 of 9.
    assert auc(labels, probabilities) == pytest.approx(6.5 / 9)


def test_auc_of_one_class_labels_is_an_error():
    with pytest.raises(ValueError, match="both classes"):
        auc(np.array([1, 1, 1]), np.array([0.2, 0.5, 0.9]))


def test_predictions_are_softmax_probabilities_of_class_high():
    model = build_model("deepchrome", N_MARKS, N_BINS)
    features = torch.rand(5, N_MARKS, N_BINS)
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(features), dim=1)[:, 1].numpy()
    model.train()
    probabilities = probabilities_from_outputs(
        predict_outputs(model, features, "cpu", batch_size=2)
    )
    np.testing.assert_allclose(probabilities, expected, rtol=1e-6)
    assert model.training


# --- train_cell -------------------------------------------------------------------------------


def test_train_cell_writes_checkpoint_metrics_history_and_predictions(tmp_path):
    dataset = learnable_cell()
    metrics = train_cell(dataset, quick_settings(), tmp_path)
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert (metrics["cell"], metrics["model"], metrics["recipe"]) == ("E999", "deepchrome", "fast")
    assert (metrics["n_train"], metrics["n_valid"], metrics["n_test"]) == (30, 15, 15)
    assert metrics["n_parameters"] == 644_177
    assert metrics["epochs_run"] == 3 and 1 <= metrics["best_epoch"] <= 3
    assert metrics["settings"]["batch_size"] == 8
    history = (tmp_path / "history.tsv").read_text().splitlines()
    assert history[0] == "epoch\tloss\tvalid_auc\tseconds" and len(history) == 4
    predictions = (tmp_path / "predictions.tsv").read_text().splitlines()
    assert predictions[0] == "gene_id\tlabel\tprobability"
    test_genes = dataset.gene_ids[dataset.mask("test")]
    assert [line.split("\t")[0] for line in predictions[1:]] == list(test_genes)


def test_train_cell_learns_a_mark_that_separates_the_classes(tmp_path):
    metrics = train_cell(learnable_cell(), quick_settings(epochs=5), tmp_path)
    assert metrics["valid_auc"] > 0.9


def test_train_cell_logs_one_line_per_epoch(tmp_path, caplog):
    caplog.set_level("INFO", logger="chromexpr")
    train_cell(learnable_cell(), quick_settings(), tmp_path)
    lines = [record.getMessage() for record in caplog.records]
    epoch_lines = [line for line in lines if "epoch" in line and "valid AUC" in line]
    assert [line.split("epoch ")[1].split(" ")[0] for line in epoch_lines] == ["1/3", "2/3", "3/3"]


def test_training_twice_with_the_same_settings_gives_the_same_results(tmp_path):
    dataset = learnable_cell()
    first = train_cell(dataset, quick_settings(), tmp_path / "a")
    second = train_cell(dataset, quick_settings(), tmp_path / "b")
    for timing in ("wall_seconds", "seconds_per_epoch"):
        first.pop(timing), second.pop(timing)
    assert first == second
    predictions = [(tmp_path / run / "predictions.tsv").read_text() for run in ("a", "b")]
    assert predictions[0] == predictions[1]


def test_published_recipe_with_batch_size_one_is_deterministic(tmp_path):
    dataset = learnable_cell()
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "published", "epochs": 2, "device": "cpu"}
    )
    first = train_cell(dataset, settings, tmp_path / "a")
    second = train_cell(dataset, settings, tmp_path / "b")
    assert first["valid_auc"] == second["valid_auc"] and first["test_auc"] == second["test_auc"]


def test_checkpoint_loads_with_weights_only_and_reproduces_the_predictions(tmp_path):
    dataset = learnable_cell()
    settings = quick_settings(input_transform="log1p")
    train_cell(dataset, settings, tmp_path)
    bundle = torch.load(tmp_path / "model.pt", weights_only=True)
    model = build_model("deepchrome", N_MARKS, N_BINS)
    model.load_state_dict(bundle["state_dict"])
    features = transform_inputs(dataset.features("test"), settings.input_transform)
    probabilities = probabilities_from_outputs(predict_outputs(model, features, "cpu"))
    written = np.loadtxt(tmp_path / "predictions.tsv", skiprows=1, usecols=2)
    np.testing.assert_allclose(probabilities, written, rtol=1e-6)


def test_early_stopping_ends_training_after_patience_epochs_without_improvement(tmp_path):
    # A learning rate this small leaves the validation AUC where the first epoch put it.
    settings = quick_settings(epochs=10, patience=2, learning_rate=1e-12)
    metrics = train_cell(learnable_cell(), settings, tmp_path)
    assert (metrics["best_epoch"], metrics["epochs_run"]) == (1, 3)


@pytest.mark.parametrize("split", ["train", "valid"])
def test_one_class_labels_in_a_split_are_a_training_error_naming_cell_and_split(tmp_path, split):
    dataset = learnable_cell()
    labels = dataset.labels.copy()
    labels[dataset.mask(split)] = 1
    with pytest.raises(TrainingError, match=f"E999.*{split} split"):
        train_cell(replace(dataset, labels=labels), quick_settings(), tmp_path)


# The published recipe has no patience: its early stopping only checks the values are finite.
@pytest.mark.parametrize("recipe", ["fast", "published"])
def test_nan_loss_is_a_training_error_naming_model_cell_and_epoch(tmp_path, recipe):
    dataset = learnable_cell()
    counts = dataset.counts.astype(np.float32)
    counts[0, 0, 0] = np.nan  # gene 0 is a training gene
    with pytest.raises(TrainingError, match="deepchrome on cell E999.*epoch 1"):
        train_cell(replace(dataset, counts=counts), quick_settings(recipe=recipe), tmp_path)
    assert not (tmp_path / "metrics.json").exists()


# --- tasks, recipes and model hooks -----------------------------------------------------------


class AttendingToy(torch.nn.Module):
    """A one-logit model with attention weights, to test the harness's hooks without a zoo model."""

    PUBLISHED_RECIPE = {"optimizer": "adam", "batch_size": 4, "grad_clip": 0.5}
    has_attention = True
    fits_input_statistics = True

    def __init__(self, n_marks=5, n_bins=100, n_outputs=1):
        super().__init__()
        self.bin_scores = torch.nn.Parameter(torch.zeros(n_marks, n_bins))
        self.output = torch.nn.Linear(n_marks, n_outputs)
        self.register_buffer("scale", torch.ones(n_marks))

    def fit_input_statistics(self, counts):
        self.scale = counts.amax(dim=(0, 2)).clamp(min=1)

    def attention(self, counts):
        bins = torch.softmax(self.bin_scores.expand(len(counts), -1, -1), dim=2)
        marks = torch.full(counts.shape[:2], 1 / counts.shape[1])
        return {"bins": bins, "marks": marks}

    def forward(self, counts):
        pooled = (self.attention(counts)["bins"] * counts).sum(2) / self.scale
        return self.output(pooled)


@pytest.fixture
def toy_model(monkeypatch):
    from chromexpr import models

    monkeypatch.setitem(models.MODELS, "toy", "tests.test_training:AttendingToy")
    return "toy"


def test_published_recipe_takes_the_models_own_values(toy_model):
    settings = TrainingSettings.from_config(toy_model, {"recipe": "published"})
    assert (settings.optimizer, settings.batch_size, settings.grad_clip) == ("adam", 4, 0.5)
    # What the model's paper does not state stays DeepChrome's.
    assert (settings.epochs, settings.learning_rate) == (100, 1e-3)


def test_fast_recipe_keeps_only_the_models_gradient_clipping(toy_model):
    settings = TrainingSettings.from_config(toy_model, {"recipe": "fast"})
    assert (settings.optimizer, settings.batch_size) == ("adam", RECIPES["fast"]["batch_size"])
    assert settings.grad_clip == 0.5


def test_gradient_clipping_bounds_the_norm_of_an_sgd_step():
    dataset = learnable_cell()
    features = torch.as_tensor(dataset.counts, dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels, dtype=torch.int64)
    torch.manual_seed(0)
    model = build_model("deepchrome", N_MARKS, N_BINS, dropout=0.0)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    settings = replace(
        quick_settings(batch_size=len(labels)), optimizer="sgd", learning_rate=1.0, grad_clip=0.01
    )
    run, optimizer, scheduler = one_batch_run(model, settings, features, labels)
    train_epoch(run, optimizer, scheduler, features, torch.arange(len(labels)))
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert torch.linalg.vector_norm(after - before) <= 0.01 + 1e-6


def test_non_positive_gradient_clip_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        quick_settings(grad_clip=0)
    assert error.value.key == "training.grad_clip"


def test_one_logit_model_trains_with_binary_cross_entropy_and_saves_its_statistics(
    toy_model, tmp_path
):
    dataset = learnable_cell()
    settings = TrainingSettings.from_config(
        toy_model, {"recipe": "fast", "epochs": 2, "batch_size": 8, "device": "cpu"}
    )
    metrics = train_cell(dataset, settings, tmp_path)
    assert 0 <= metrics["test_auc"] <= 1
    state = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    # The scale was fixed from the training split's maximum per mark, and saved with the model.
    expected = dataset.features("train").max(axis=(0, 2)).clip(min=1)
    np.testing.assert_allclose(state["scale"].numpy(), expected)
    # Attention weights come from the interpretation rule, not from training.
    assert not (tmp_path / "attention.npz").exists()


def test_regression_predicts_log_expression_and_is_scored_by_correlation(tmp_path):
    dataset = learnable_cell()
    settings = TrainingSettings.from_config(
        "deepchrome",
        {
            "recipe": "fast",
            "epochs": 4,
            "batch_size": 8,
            "device": "cpu",
            "input_transform": "log1p",
        },
        task="regression",
    )
    metrics = train_cell(dataset, settings, tmp_path)
    assert metrics["task"] == "regression" and "test_auc" not in metrics
    assert -1 <= metrics["test_spearman"] <= 1
    # The learnable cell's expression follows its labels, which the first mark reveals.
    assert metrics["valid_pearson"] > 0.5
    predictions = (tmp_path / "predictions.tsv").read_text().splitlines()
    assert predictions[0] == "gene_id\tlog_expression\tprediction"
    first = predictions[1].split("\t")
    test_expression = dataset.expression[dataset.mask("test")][0]
    assert float(first[1]) == pytest.approx(np.log1p(test_expression), rel=1e-6)
    history = (tmp_path / "history.tsv").read_text().splitlines()
    assert history[0] == "epoch\tloss\tvalid_pearson\tseconds"
    checkpoint = load_checkpoint(tmp_path / "model.pt")
    assert checkpoint.task.name == "regression" and checkpoint.n_outputs == 1
    assert checkpoint.model.classifier[6].weight.shape == (1, 125)


def test_regression_needs_expression_that_varies_in_every_split(tmp_path):
    dataset = learnable_cell()
    constant = replace(dataset, expression=np.ones(dataset.n_genes))
    settings = quick_settings()
    with pytest.raises(TrainingError, match="two values"):
        train_cell(constant, replace(settings, task="regression"), tmp_path)


def test_unknown_task_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        TrainingSettings.from_config("deepchrome", {"recipe": "fast"}, task="ranking")
    assert error.value.key == "task"


class ExhaustsMemory(torch.nn.Module):
    """A model whose forward pass fails as a too-large batch does on a full GPU or host."""

    def __init__(self, error: BaseException):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.error = error

    def forward(self, counts):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory"),
        MemoryError(),
    ],
    ids=["cuda", "cpu-allocator", "python"],
)
def test_out_of_memory_is_a_training_error_suggesting_the_batch_size(tmp_path, monkeypatch, error):
    monkeypatch.setattr(
        "chromexpr.train.prepare.build_model", lambda *args, **kwargs: ExhaustsMemory(error)
    )
    with pytest.raises(
        TrainingError,
        match=r"deepchrome on cell E999: out of memory.*training.batch_size \(now 8\)",
    ):
        train_cell(learnable_cell(), quick_settings(), tmp_path)
    assert not (tmp_path / "model.pt").exists()


def test_other_runtime_errors_are_not_reported_as_out_of_memory(tmp_path, monkeypatch):
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied")
    monkeypatch.setattr(
        "chromexpr.train.prepare.build_model", lambda *args, **kwargs: ExhaustsMemory(error)
    )
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        train_cell(learnable_cell(), quick_settings(), tmp_path)


def test_every_checkpoint_load_in_the_code_is_weights_only(repo):
    # A pickled checkpoint can run code when loaded; state_dicts need no pickle.
    sources = [
        *repo.glob("src/**/*.py"),
        *repo.glob("workflow/**/*.py"),
        *repo.glob("workflow/**/*.smk"),
    ]
    calls = [
        (path.name, call)
        for path in sources
        for call in re.findall(r"torch\.load\([^)]*\)", path.read_text())
    ]
    assert calls, "no torch.load found: the scan is looking in the wrong place"
    assert [(name, call) for name, call in calls if "weights_only=True" not in call] == []


# --- models fitted without gradients -----------------------------------------------------------


@pytest.mark.parametrize("name", ["gbdt", "logistic"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_model_fitted_once_runs_one_epoch_and_reloads_to_its_predictions(tmp_path, name, task):
    dataset = learnable_cell(n_genes=120)
    settings = TrainingSettings.from_config(name, {"recipe": "fast", "device": "cpu"}, task=task)
    metrics = train_cell(dataset, settings, tmp_path)
    assert (metrics["epochs_run"], metrics["best_epoch"]) == (1, 1)
    assert metrics["n_parameters"] > 0
    score = "test_auc" if task == "classification" else "test_pearson"
    assert metrics[score] > 0.5
    checkpoint = load_checkpoint(tmp_path / "model.pt")
    scores = checkpoint.scores(checkpoint.inputs(dataset, "test"))
    written = np.loadtxt(tmp_path / "predictions.tsv", skiprows=1, usecols=2)
    np.testing.assert_allclose(scores, written, rtol=1e-6)


def test_a_model_fitted_once_is_refused_side_by_side(tmp_path):
    settings = TrainingSettings.from_config("gbdt", {"recipe": "fast", "device": "cpu"})
    with pytest.raises(TrainingError, match="fitted without gradients"):
        train_side_by_side([learnable_cell()] * 2, [settings] * 2, [tmp_path / "a", tmp_path / "b"])
