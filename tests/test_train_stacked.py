"""Side-by-side training: the same models as separate train_cell runs, and the same files."""

import copy
import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch.func import stack_module_state

from chromexpr.errors import TrainingError
from chromexpr.interpret.attention_weights import write_attention
from chromexpr.models import build_model
from chromexpr.train import TrainingSettings, train_cell, train_side_by_side
from chromexpr.train.stacked import vectorised_grad
from chromexpr.train.stacked_forward import stacked_forward
from chromexpr.train.stacked_optimizer import StackedOptimizer
from chromexpr.train.tasks import TASKS

from .test_training import learnable_cell

K = 3
# Dropout 0: a single run's dropout masks come from the global generator, which side-by-side
# training does not replay (see chromexpr.train.stacked); without dropout both compute the same thing.
NO_DROPOUT = {"dropout": 0.0}
CLASSIFICATION = TASKS["classification"]


@pytest.fixture(autouse=True)
def one_thread():
    """Batch-1 steps on a shared 2-core machine run far faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def settings_for(recipe: str, seed: int, **overrides) -> TrainingSettings:
    training = {"recipe": recipe, "device": "cpu", "seed": seed, **overrides}
    return TrainingSettings.from_config("deepchrome", training, NO_DROPOUT)


def cells(k: int = K) -> list:
    return [replace(learnable_cell(seed=index), cell=f"E{900 + index}") for index in range(k)]


def load(folder):
    return {
        "state": torch.load(folder / "model.pt", weights_only=True)["state_dict"],
        "metrics": json.loads((folder / "metrics.json").read_text()),
        "history": pd.read_csv(folder / "history.tsv", sep="\t"),
        "predictions": pd.read_csv(folder / "predictions.tsv", sep="\t"),
    }


def assert_same_runs(single, side_by_side, k=K):
    for key, value in single["state"].items():
        torch.testing.assert_close(side_by_side["state"][key], value, rtol=1e-4, atol=1e-5)
    ignored = {"wall_seconds", "seconds_per_epoch", "side_by_side"}
    for key, value in single["metrics"].items():
        if key in ignored:
            continue
        if isinstance(value, float):
            assert side_by_side["metrics"][key] == pytest.approx(value, abs=1e-4), key
        else:
            assert side_by_side["metrics"][key] == value, key
    assert side_by_side["metrics"]["side_by_side"] == k
    pd.testing.assert_frame_equal(
        single["history"].drop(columns="seconds"),
        side_by_side["history"].drop(columns="seconds"),
        atol=1e-4,
    )
    pd.testing.assert_frame_equal(single["predictions"], side_by_side["predictions"], atol=1e-5)


def assert_side_by_side_matches_single_runs(tmp_path, datasets, settings):
    """Train each (dataset, settings) alone with train_cell and all side by side; same results."""
    for dataset, setting in zip(datasets, settings, strict=True):
        train_cell(dataset, setting, tmp_path / "single" / dataset.cell)
    train_side_by_side(datasets, settings, [tmp_path / "side" / d.cell for d in datasets])
    for dataset in datasets:
        assert_same_runs(
            load(tmp_path / "single" / dataset.cell),
            load(tmp_path / "side" / dataset.cell),
            k=len(datasets),
        )


@pytest.mark.parametrize(
    ("recipe", "overrides"),
    [
        # Batch-1 SGD with the published decay, raised so it moves the rate within a few epochs.
        ("published", {"epochs": 3, "learning_rate": 1e-3}),
        ("fast", {"epochs": 3, "batch_size": 8}),
    ],
)
def test_side_by_side_equals_separate_train_cell_runs(tmp_path, recipe, overrides):
    datasets = cells()
    settings = [settings_for(recipe, seed, **overrides) for seed in (1, 2, 3)]
    if recipe == "published":
        settings = [replace(s, lr_decay=1e-2) for s in settings]
    assert_side_by_side_matches_single_runs(tmp_path, datasets, settings)


@pytest.mark.parametrize("recipe", ["fast", "published"])
def test_unequal_sizes_batches_epochs_and_patience_match_separate_runs(tmp_path, recipe):
    """Padding (30 vs 40 training genes, batches 8 vs 5) and stopped models are masked out.

    ``fast`` is Adam; ``published`` plain SGD, updated inside the backward pass.
    """
    datasets = [replace(learnable_cell(60, seed=0), cell="E900"), learnable_cell(80, seed=1)]
    settings = [
        settings_for(recipe, 1, epochs=2, batch_size=8),
        settings_for(recipe, 2, epochs=4, batch_size=5, patience=1),
    ]
    assert_side_by_side_matches_single_runs(tmp_path, datasets, settings)
    # Model 1 idles in the last steps of each epoch (fewer genes, larger batches) and after its
    # 2 epochs; with Adam, patience also stops model 2 early (SGD keeps improving here).
    stopped = json.loads((tmp_path / "side" / datasets[1].cell / "metrics.json").read_text())
    assert stopped["epochs_run"] < 4 or recipe == "published"


def test_sgd_momentum_and_weight_decay_match_separate_runs(tmp_path):
    datasets = cells(2)
    settings = [
        replace(settings_for("published", seed, epochs=2), momentum=0.9, weight_decay=1e-3)
        for seed in (4, 5)
    ]
    settings[1] = replace(settings[1], momentum=0.0, learning_rate=3e-4)
    assert_side_by_side_matches_single_runs(tmp_path, datasets, settings)


def test_gradient_clipping_is_clip_grad_norm_per_model():
    torch.manual_seed(0)
    models = [torch.nn.Linear(4, 3) for _ in range(3)]
    clips = [0.1, None, 100.0]
    settings = [
        SimpleNamespace(
            optimizer="sgd",
            learning_rate=0.1,
            lr_decay=0.0,
            momentum=0.0,
            weight_decay=0.0,
            grad_clip=clip,
        )
        for clip in clips
    ]
    params, _ = stack_module_state(models)
    params = {name: value.detach().clone() for name, value in params.items()}
    grads = {name: torch.randn_like(value) for name, value in params.items()}
    StackedOptimizer(params, settings, torch.device("cpu")).step(
        grads, torch.ones(3, dtype=torch.bool), []
    )
    for index, (model, clip) in enumerate(zip(models, clips, strict=True)):
        for name, parameter in model.named_parameters():
            parameter.grad = grads[name][index].clone()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        torch.optim.SGD(model.parameters(), lr=0.1).step()
        for name, parameter in model.named_parameters():
            torch.testing.assert_close(params[name][index], parameter.detach())


def test_with_dropout_each_model_draws_its_own_masks_reproducibly(tmp_path):
    """Two copies of one run (same seed, same cell) diverge only through their dropout masks."""
    dataset = learnable_cell()
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "fast", "epochs": 1, "batch_size": 8, "device": "cpu"}
    )
    states = []
    for run in ("a", "b"):
        folders = [tmp_path / run / "one", tmp_path / run / "two"]
        train_side_by_side([dataset, dataset], [settings, settings], folders)
        states.append(
            [torch.load(f / "model.pt", weights_only=True)["state_dict"] for f in folders]
        )
    first, second = states[0]
    assert not torch.equal(first["classifier.2.weight"], second["classifier.2.weight"])
    for again, before in zip(states[1], states[0], strict=True):
        for key, value in before.items():
            assert torch.equal(again[key], value), key


def test_models_of_different_architectures_cannot_share_a_group(tmp_path):
    datasets = cells(2)
    settings = [
        settings_for("fast", 1),
        TrainingSettings.from_config("deepchrome", {"recipe": "fast"}, {"dropout": 0.5}),
    ]
    with pytest.raises(TrainingError, match="model_params"):
        train_side_by_side(datasets, settings, [tmp_path / "a", tmp_path / "b"])


@pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")
@pytest.mark.parametrize(
    ("name", "params"),
    [("deepchrome", {"dropout": 0.0}), ("attentivechrome", {"n_outputs": 1, "bin_hidden_size": 8})],
)
def test_stacked_forward_and_gradients_equal_each_models_own(name, params):
    torch.manual_seed(0)
    n_bins = 30
    models = [build_model(name, 5, n_bins, **params) for _ in range(3)]
    stacked, buffers = stack_module_state(models)
    stacked = {key: value.detach() for key, value in stacked.items()}
    template = copy.deepcopy(models[0]).to("meta").train()
    forward = stacked_forward(template)
    inputs = torch.poisson(torch.full((3, 4, 5, n_bins), 2.0))
    labels = torch.randint(0, 2, (3, 4))
    weights = torch.tensor([[1.0] * 4, [1.0] * 4, [1.0, 1.0, 0.0, 0.0]])
    outputs = forward(stacked, buffers, inputs)
    grads, totals = vectorised_grad(template, CLASSIFICATION)(
        stacked, buffers, inputs, labels, weights
    )
    vmapped, _ = vectorised_grad(template, CLASSIFICATION, use_vmap=True)(
        stacked, buffers, inputs, labels, weights
    )
    for index, model in enumerate(models):
        used = weights[index] > 0
        own = model(inputs[index])
        torch.testing.assert_close(outputs[index], own, rtol=1e-5, atol=1e-5)
        loss = CLASSIFICATION.loss(own[used], labels[index][used], reduction="none").mean()
        names = [key for key, _ in model.named_parameters()]
        own_grads = torch.autograd.grad(loss, list(model.parameters()))
        for key, value in zip(names, own_grads, strict=True):
            torch.testing.assert_close(grads[key][index], value, rtol=1e-4, atol=1e-6)
            torch.testing.assert_close(vmapped[key][index], value, rtol=1e-4, atol=1e-6)


def test_attention_models_train_side_by_side_and_their_attention_reads_back(tmp_path):
    datasets = cells(2)
    settings = TrainingSettings.from_config(
        "attentivechrome",
        {"recipe": "fast", "epochs": 1, "batch_size": 8, "device": "cpu"},
        {"n_outputs": 2, "bin_hidden_size": 4},
    )
    folders = [tmp_path / dataset.cell for dataset in datasets]
    train_side_by_side(datasets, [settings] * 2, folders)
    for dataset, folder in zip(datasets, folders, strict=True):
        write_attention(folder / "model.pt", dataset, tmp_path / "attention.npz")
        attention = np.load(tmp_path / "attention.npz")
        n_test = int(dataset.mask("test").sum())
        assert attention["bins"].shape == (n_test, 5, 100)
        assert attention["marks"].shape == (n_test, 5)
        np.testing.assert_allclose(attention["bins"].sum(axis=2), 1, rtol=1e-5)
        predictions = pd.read_csv(folder / "predictions.tsv", sep="\t")
        assert attention["gene_ids"].tolist() == predictions["gene_id"].tolist()
        np.testing.assert_allclose(attention["probability"], predictions["probability"], rtol=1e-6)
        assert attention["mark_names"].tolist() == dataset.marks.tolist()


@pytest.mark.parametrize("use_vmap", [False, True])
def test_dropout_masks_differ_between_identical_models_in_one_step(use_vmap):
    """Stacked dropout and vmap(randomness="different") give each model a mask of its own."""
    torch.manual_seed(0)
    model = build_model("deepchrome", 5, 100, dropout=0.5)
    params, buffers = stack_module_state([model, copy.deepcopy(model)])
    params = {key: value.detach() for key, value in params.items()}
    template = copy.deepcopy(model).to("meta").train()
    inputs = torch.poisson(torch.full((1, 4, 5, 100), 2.0)).expand(2, -1, -1, -1)
    labels = torch.tensor([[0, 1, 0, 1]] * 2)
    grads, _ = vectorised_grad(template, CLASSIFICATION, use_vmap=use_vmap)(
        params, buffers, inputs, labels, torch.ones(2, 4)
    )
    first, second = grads["classifier.2.weight"]
    assert not torch.equal(first, second)


def test_regression_side_by_side_equals_separate_train_cell_runs(tmp_path):
    datasets = cells()
    settings = [
        replace(settings_for("fast", seed, epochs=2, batch_size=8), task="regression")
        for seed in (1, 2, 3)
    ]
    assert_side_by_side_matches_single_runs(tmp_path, datasets, settings)


def test_models_with_a_pretraining_stage_are_refused(tmp_path):
    settings = TrainingSettings.from_config(
        "simplechrome", {"recipe": "fast", "device": "cpu"}, {"neighbours": 1}
    )
    with pytest.raises(TrainingError, match="side_by_side: false"):
        train_side_by_side(cells(1), [settings], [tmp_path / "a"])
