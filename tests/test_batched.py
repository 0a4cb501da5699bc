"""Side-by-side training: the same models as separate train_cell runs, and the same files."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from chromexpr.batched import StackedOptimizer, train_side_by_side
from chromexpr.errors import TrainingError
from chromexpr.training import TrainingSettings, train_cell

from .test_training import learnable_cell

K = 3
# Dropout 0: a single run's dropout masks come from the global generator, which side-by-side
# training does not replay (see chromexpr.batched); without dropout both compute the same thing.
NO_DROPOUT = {"dropout": 0.0}


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
        "state": torch.load(folder / "model.pt", weights_only=True),
        "metrics": json.loads((folder / "metrics.json").read_text()),
        "history": pd.read_csv(folder / "history.tsv", sep="\t"),
        "predictions": pd.read_csv(folder / "predictions.tsv", sep="\t"),
    }


def assert_same_runs(single, side_by_side):
    for key, value in single["state"].items():
        torch.testing.assert_close(side_by_side["state"][key], value, rtol=1e-4, atol=1e-5)
    ignored = {"wall_seconds", "side_by_side"}
    for key, value in single["metrics"].items():
        if key in ignored:
            continue
        if isinstance(value, float):
            assert side_by_side["metrics"][key] == pytest.approx(value, abs=1e-4), key
        else:
            assert side_by_side["metrics"][key] == value, key
    assert side_by_side["metrics"]["side_by_side"] == K
    pd.testing.assert_frame_equal(
        single["history"].drop(columns="seconds"),
        side_by_side["history"].drop(columns="seconds"),
        atol=1e-4,
    )
    pd.testing.assert_frame_equal(single["predictions"], side_by_side["predictions"], atol=1e-5)


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
    for dataset, setting in zip(datasets, settings, strict=True):
        train_cell(dataset, setting, tmp_path / "single" / dataset.cell, log=lambda _: None)
    train_side_by_side(
        datasets,
        settings,
        [tmp_path / "side" / dataset.cell for dataset in datasets],
        log=lambda _: None,
    )
    for dataset in datasets:
        assert_same_runs(
            load(tmp_path / "single" / dataset.cell), load(tmp_path / "side" / dataset.cell)
        )
