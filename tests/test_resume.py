"""An interrupted training job resumes from last.pt and ends as an uninterrupted one."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from chromexpr.errors import ConfigError
from chromexpr.train import TrainingSettings, train_cell, train_side_by_side
from chromexpr.train.fit import ProgressLog
from chromexpr.train.settings import checkpoint_every

from .test_training import learnable_cell

EPOCHS, EVERY, KILLED_IN = 6, 2, 5
TIMINGS = {"wall_seconds", "seconds_per_epoch"}


class Killed(Exception):
    """Stands for the job being killed."""


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def kill_in_epoch(monkeypatch):
    """Make the job die at the end of epoch ``KILLED_IN``, after its last save (epoch 4)."""
    report = ProgressLog.on_epoch_end

    def dying(self, run, record):
        report(self, run, record)
        if record.epoch == KILLED_IN:
            raise Killed

    def kill():
        monkeypatch.setattr(ProgressLog, "on_epoch_end", dying)

    def revive():
        monkeypatch.setattr(ProgressLog, "on_epoch_end", report)

    return kill, revive


def noisy_cell(seed: int = 1):
    """``learnable_cell`` with 30% of its labels flipped: the validation AUC moves from epoch
    to epoch instead of reaching 1 at once."""
    cell = learnable_cell(seed=seed)
    flip = np.random.default_rng(seed).random(cell.n_genes) < 0.3
    labels = np.where(flip, 1 - cell.labels, cell.labels).astype(np.int8)
    return replace(cell, cell=f"E90{seed}", labels=labels)


def settings(recipe: str, seed: int = 1, **overrides) -> TrainingSettings:
    training = {"recipe": recipe, "epochs": EPOCHS, "batch_size": 8, "device": "cpu", "seed": seed}
    return TrainingSettings.from_config("deepchrome", {**training, **overrides})


def assert_same_outputs(expected, found):
    """Same weights, tensor for tensor; same metrics, history and predictions, timings aside."""
    bundles = [torch.load(folder / "model.pt", weights_only=True) for folder in (expected, found)]
    states = [bundle.pop("state_dict") for bundle in bundles]
    assert states[0].keys() == states[1].keys()
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]), key
    assert bundles[0] == bundles[1]
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (expected, found)]
    for each in metrics:
        for key in TIMINGS:
            each.pop(key)
    assert metrics[0] == metrics[1]
    histories = [pd.read_csv(folder / "history.tsv", sep="\t") for folder in (expected, found)]
    pd.testing.assert_frame_equal(
        histories[0].drop(columns="seconds"), histories[1].drop(columns="seconds")
    )
    assert (expected / "predictions.tsv").read_bytes() == (found / "predictions.tsv").read_bytes()
    assert not (expected / "last.pt").exists() and not (found / "last.pt").exists()


@pytest.mark.parametrize(
    ("recipe", "overrides", "lr_decay"),
    [
        # Adam, dropout and early stopping's count: one epoch without improvement before the
        # interruption, the second (and the stop) after it.
        ("fast", {"patience": 2}, 0.0),
        # Plain SGD with the Torch7 decay: the LambdaLR's step count carried across.
        ("published", {"learning_rate": 1e-2}, 1e-2),
    ],
)
def test_a_killed_single_run_resumes_to_the_uninterrupted_result(
    tmp_path, kill_in_epoch, recipe, overrides, lr_decay
):
    dataset = noisy_cell()
    setting = replace(settings(recipe, **overrides), lr_decay=lr_decay)
    train_cell(dataset, setting, tmp_path / "whole", checkpoint_every=EVERY)
    kill, revive = kill_in_epoch
    kill()
    with pytest.raises(Killed):
        train_cell(dataset, setting, tmp_path / "resumed", checkpoint_every=EVERY)
    last = torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)
    assert last["epoch"] == 4 and not (tmp_path / "resumed" / "metrics.json").exists()
    revive()
    train_cell(dataset, setting, tmp_path / "resumed", checkpoint_every=EVERY)
    assert_same_outputs(tmp_path / "whole", tmp_path / "resumed")


def test_a_killed_side_by_side_group_resumes_to_the_uninterrupted_result(tmp_path, kill_in_epoch):
    # Dropout from the global generator, and a model that stops early (patience 1) or ends
    # sooner (4 epochs) while the others go on.
    datasets = [noisy_cell(seed) for seed in range(3)]
    group = [settings("fast", 1), settings("fast", 2, patience=1), settings("fast", 3, epochs=4)]

    def train(name):
        folders = [tmp_path / name / dataset.cell for dataset in datasets]
        train_side_by_side(datasets, group, folders, checkpoint_every=EVERY)

    train("whole")
    kill, revive = kill_in_epoch
    kill()
    with pytest.raises(Killed):
        train("resumed")
    assert (tmp_path / "resumed" / "E900" / "last.pt").exists()
    revive()
    train("resumed")
    for dataset in datasets:
        assert_same_outputs(tmp_path / "whole" / dataset.cell, tmp_path / "resumed" / dataset.cell)


def test_a_last_checkpoint_of_other_settings_is_ignored(tmp_path, kill_in_epoch):
    dataset = learnable_cell()
    kill, revive = kill_in_epoch
    kill()
    with pytest.raises(Killed):
        train_cell(dataset, settings("fast", seed=1), tmp_path / "run", checkpoint_every=EVERY)
    revive()
    train_cell(dataset, settings("fast", seed=2), tmp_path / "run", checkpoint_every=EVERY)
    train_cell(dataset, settings("fast", seed=2), tmp_path / "fresh", checkpoint_every=EVERY)
    assert_same_outputs(tmp_path / "fresh", tmp_path / "run")


def test_a_last_checkpoint_of_other_data_is_ignored(tmp_path, kill_in_epoch):
    kill, revive = kill_in_epoch
    kill()
    with pytest.raises(Killed):
        train_cell(learnable_cell(seed=0), settings("fast"), tmp_path / "run", checkpoint_every=2)
    revive()
    train_cell(learnable_cell(seed=1), settings("fast"), tmp_path / "run", checkpoint_every=2)
    train_cell(learnable_cell(seed=1), settings("fast"), tmp_path / "fresh", checkpoint_every=2)
    assert_same_outputs(tmp_path / "fresh", tmp_path / "run")


def test_an_unreadable_last_checkpoint_is_ignored(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "last.pt").write_bytes(b"not a checkpoint")
    train_cell(learnable_cell(), settings("fast"), tmp_path / "run", checkpoint_every=EVERY)
    train_cell(learnable_cell(), settings("fast"), tmp_path / "fresh", checkpoint_every=EVERY)
    assert_same_outputs(tmp_path / "fresh", tmp_path / "run")


def test_checkpoint_every_defaults_to_ten_and_is_not_part_of_the_settings():
    assert checkpoint_every({}) == 10
    assert checkpoint_every({"checkpoint_every": 3}) == 3
    with_key = TrainingSettings.from_config("deepchrome", {"checkpoint_every": 3})
    assert with_key == TrainingSettings.from_config("deepchrome", {})


@pytest.mark.parametrize("value", [0, 2.5, True, None])
def test_checkpoint_every_must_be_a_positive_integer(value):
    with pytest.raises(ConfigError, match="training.checkpoint_every"):
        checkpoint_every({"checkpoint_every": value})
