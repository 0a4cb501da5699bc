"""The training harness: settings, one step, determinism, failures, checkpoint and outputs."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError, TrainingError
from chromexpr.evaluation import auc, predict_probabilities
from chromexpr.models import build_model
from chromexpr.training import (
    RECIPES,
    TrainingSettings,
    make_optimizer,
    train_cell,
    train_epoch,
    transform_inputs,
)

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
        rpkm=labels + rng.random(n_genes),
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
        train_cell(learnable_cell(), quick_settings(device="cuda"), tmp_path, log=lambda _: None)


# --- optimisation -----------------------------------------------------------------------------


def test_one_training_step_on_a_fixed_batch_reduces_the_loss():
    torch.manual_seed(0)
    dataset = learnable_cell()
    features = torch.as_tensor(dataset.counts, dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels, dtype=torch.int64)
    # Without dropout the loss before and after the step are of the same function.
    model = build_model("deepchrome", N_MARKS, N_BINS, dropout=0.0)
    settings = quick_settings(batch_size=len(labels), learning_rate=1e-4)
    optimizer = make_optimizer(model, settings)
    loss_before, steps = train_epoch(
        model, optimizer, features, labels, torch.arange(len(labels)), settings, 0
    )
    with torch.no_grad():
        loss_after = torch.nn.functional.cross_entropy(model(features), labels).item()
    assert steps == 1
    assert loss_after < loss_before


def test_learning_rate_decays_like_torch7_sgd():
    dataset = learnable_cell()
    features = torch.as_tensor(dataset.counts[:4], dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels[:4], dtype=torch.int64)
    model = build_model("deepchrome", N_MARKS, N_BINS)
    settings = replace(quick_settings(batch_size=1), optimizer="sgd", lr_decay=0.5)
    optimizer = make_optimizer(model, settings)
    _, steps = train_epoch(model, optimizer, features, labels, torch.arange(4), settings, 10)
    # The 14th step (13 taken before it) ran at lr / (1 + 13 * decay).
    assert steps == 14
    assert optimizer.param_groups[0]["lr"] == pytest.approx(settings.learning_rate / (1 + 13 * 0.5))


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
    probabilities = predict_probabilities(model, features, "cpu", batch_size=2)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-6)
    assert model.training


# --- train_cell -------------------------------------------------------------------------------


def test_train_cell_writes_checkpoint_metrics_history_and_predictions(tmp_path):
    dataset = learnable_cell()
    metrics = train_cell(dataset, quick_settings(), tmp_path, log=lambda _: None)
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
    metrics = train_cell(learnable_cell(), quick_settings(epochs=5), tmp_path, log=lambda _: None)
    assert metrics["valid_auc"] > 0.9


def test_train_cell_logs_one_line_per_epoch(tmp_path):
    lines: list[str] = []
    train_cell(learnable_cell(), quick_settings(), tmp_path, log=lines.append)
    epoch_lines = [line for line in lines if "epoch" in line and "valid AUC" in line]
    assert [line.split("epoch ")[1].split(" ")[0] for line in epoch_lines] == ["1/3", "2/3", "3/3"]


def test_training_twice_with_the_same_settings_gives_the_same_results(tmp_path):
    dataset = learnable_cell()
    first = train_cell(dataset, quick_settings(), tmp_path / "a", log=lambda _: None)
    second = train_cell(dataset, quick_settings(), tmp_path / "b", log=lambda _: None)
    first.pop("wall_seconds"), second.pop("wall_seconds")
    assert first == second
    predictions = [(tmp_path / run / "predictions.tsv").read_text() for run in ("a", "b")]
    assert predictions[0] == predictions[1]


def test_published_recipe_with_batch_size_one_is_deterministic(tmp_path):
    dataset = learnable_cell()
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "published", "epochs": 2, "device": "cpu"}
    )
    first = train_cell(dataset, settings, tmp_path / "a", log=lambda _: None)
    second = train_cell(dataset, settings, tmp_path / "b", log=lambda _: None)
    assert first["valid_auc"] == second["valid_auc"] and first["test_auc"] == second["test_auc"]


def test_checkpoint_loads_with_weights_only_and_reproduces_the_predictions(tmp_path):
    dataset = learnable_cell()
    settings = quick_settings(input_transform="log1p")
    train_cell(dataset, settings, tmp_path, log=lambda _: None)
    model = build_model("deepchrome", N_MARKS, N_BINS)
    model.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    features = transform_inputs(dataset.features("test"), settings.input_transform)
    probabilities = predict_probabilities(model, features, "cpu")
    written = np.loadtxt(tmp_path / "predictions.tsv", skiprows=1, usecols=2)
    np.testing.assert_allclose(probabilities, written, rtol=1e-6)


def test_early_stopping_ends_training_after_patience_epochs_without_improvement(tmp_path):
    # A learning rate this small leaves the validation AUC where the first epoch put it.
    settings = quick_settings(epochs=10, patience=2, learning_rate=1e-12)
    metrics = train_cell(learnable_cell(), settings, tmp_path, log=lambda _: None)
    assert (metrics["best_epoch"], metrics["epochs_run"]) == (1, 3)


@pytest.mark.parametrize("split", ["train", "valid"])
def test_one_class_labels_in_a_split_are_a_training_error_naming_cell_and_split(tmp_path, split):
    dataset = learnable_cell()
    labels = dataset.labels.copy()
    labels[dataset.mask(split)] = 1
    with pytest.raises(TrainingError, match=f"E999.*{split} split"):
        train_cell(replace(dataset, labels=labels), quick_settings(), tmp_path, log=lambda _: None)


def test_nan_loss_is_a_training_error_naming_model_cell_and_epoch(tmp_path):
    dataset = learnable_cell()
    counts = dataset.counts.astype(np.float32)
    counts[0, 0, 0] = np.nan  # gene 0 is a training gene
    with pytest.raises(TrainingError, match="deepchrome on cell E999.*epoch 1"):
        train_cell(replace(dataset, counts=counts), quick_settings(), tmp_path, log=lambda _: None)
    assert not (tmp_path / "metrics.json").exists()


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
        "chromexpr.training.build_model", lambda *args, **kwargs: ExhaustsMemory(error)
    )
    with pytest.raises(
        TrainingError,
        match=r"deepchrome on cell E999: out of memory.*training.batch_size \(now 8\)",
    ):
        train_cell(learnable_cell(), quick_settings(), tmp_path, log=lambda _: None)
    assert not (tmp_path / "model.pt").exists()


def test_other_runtime_errors_are_not_reported_as_out_of_memory(tmp_path, monkeypatch):
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied")
    monkeypatch.setattr(
        "chromexpr.training.build_model", lambda *args, **kwargs: ExhaustsMemory(error)
    )
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        train_cell(learnable_cell(), quick_settings(), tmp_path, log=lambda _: None)


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
