"""Training callbacks own their state: best epoch, early stopping, one-go fits."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from chromexpr.errors import TrainingError
from chromexpr.train.fit import (
    BestState,
    EarlyStopping,
    EpochRecord,
    ProgressLog,
    Run,
    StopAfterFit,
    default_callbacks,
    fit,
)
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.tasks import TASKS


def toy_run(callbacks) -> Run:
    settings = TrainingSettings.from_config("deepchrome", {"recipe": "fast", "epochs": 9})
    data = SimpleNamespace()
    model = torch.nn.Linear(2, 1)
    return Run("toy on cell E999", settings, TASKS["classification"], model, data, callbacks)


def feed(callback, scores, loss=0.5):
    """Show ``callback`` one epoch per validation score; return the epochs it asked to stop in."""
    run = toy_run([callback])
    stops = []
    for epoch, score in enumerate(scores, start=1):
        record = EpochRecord(epoch, loss, score, 0.1)
        callback.on_validation_end(run, record)
        callback.on_epoch_end(run, record)
        if callback.should_stop:
            stops.append(epoch)
    return stops


def test_early_stopping_stops_after_patience_epochs_without_a_better_figure():
    stopping = EarlyStopping(patience=2)
    assert feed(stopping, [0.6, 0.7, 0.7, 0.65]) == [4]
    assert (stopping.best, stopping.wait, stopping.stopped_epoch) == (0.7, 2, 4)


def test_early_stopping_counts_gains_within_min_delta_as_no_improvement():
    assert feed(EarlyStopping(patience=2, min_delta=0.05), [0.6, 0.64, 0.64]) == [3]
    assert feed(EarlyStopping(patience=2, min_delta=0.0), [0.6, 0.64, 0.64]) == []


def test_early_stopping_without_patience_never_stops():
    assert feed(EarlyStopping(patience=None), [0.9, 0.1, 0.1, 0.1, 0.1]) == []


@pytest.mark.parametrize(
    ("loss", "score", "message"),
    [(math.nan, 0.7, "the loss became nan"), (0.5, math.nan, "validation predictions")],
)
def test_early_stopping_refuses_non_finite_values_naming_model_and_epoch(loss, score, message):
    stopping = EarlyStopping(patience=None)
    run = toy_run([stopping])
    stopping.on_validation_end(run, EpochRecord(1, 0.5, 0.6, 0.1))
    with pytest.raises(TrainingError, match=f"toy on cell E999: {message}.* in epoch 2"):
        stopping.on_validation_end(run, EpochRecord(2, loss, score, 0.1))


def test_early_stopping_without_check_finite_lets_a_nan_figure_count_as_no_improvement():
    assert feed(EarlyStopping(patience=1, check_finite=False), [0.6, math.nan]) == [2]


def test_early_stopping_state_round_trips():
    stopping = EarlyStopping(patience=3)
    feed(stopping, [0.6, 0.7, 0.65])
    restored = EarlyStopping(patience=3)
    restored.load_state_dict(stopping.state_dict())
    assert restored.state_dict() == {"best": 0.7, "wait": 1, "stopped_epoch": 0}
    assert feed(restored, [0.6, 0.6]) != []


def test_best_state_keeps_the_first_of_equal_best_epochs_and_their_weights():
    best = BestState()
    run = toy_run([best])
    for epoch, score in enumerate([0.6, 0.8, 0.8, 0.7], start=1):
        with torch.no_grad():
            run.model.weight.fill_(epoch)
        best.on_validation_end(run, EpochRecord(epoch, 0.5, score, 0.1))
    assert (best.score, best.epoch) == (0.8, 2)
    assert torch.equal(best.state["weight"], torch.full((1, 2), 2.0))
    restored = BestState()
    restored.load_state_dict(best.state_dict())
    assert (restored.score, restored.epoch, restored.state) == (0.8, 2, best.state)


def test_a_run_finds_its_best_state_whatever_the_order_of_its_callbacks(caplog):
    best = BestState()
    run = toy_run([ProgressLog(), EarlyStopping(patience=5), best])
    record = EpochRecord(1, 0.5, 0.75, 0.1)
    with caplog.at_level("INFO"):
        for callback in run.callbacks:
            callback.on_validation_end(run, record)
        for callback in run.callbacks:
            callback.on_epoch_end(run, record)
    assert run.best is best
    assert "best 0.7500 (epoch 1)" in caplog.text


def test_stop_after_fit_stops_after_one_epoch_and_remembers_it():
    stop = StopAfterFit()
    assert feed(stop, [0.7]) == [1]
    restored = StopAfterFit()
    restored.load_state_dict(stop.state_dict())
    assert restored.should_stop


def test_default_callbacks_check_finite_values_even_without_patience():
    published = TrainingSettings.from_config("deepchrome", {"recipe": "published"})
    stopping = [c for c in default_callbacks(published) if isinstance(c, EarlyStopping)]
    assert [(c.patience, c.min_delta, c.check_finite) for c in stopping] == [(None, 0.0, True)]


class ConstantModel(torch.nn.Module):
    """Predicts 1.0 for every gene, whatever its inputs (a collapsed regression)."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs):
        return inputs[:, :1] * 0 + self.bias


class NoStepEngine:
    def train_epoch(self, runs, training):
        return [0.5 for _ in runs]

    def load_weights(self, index, run):
        pass


def test_an_undefined_validation_figure_is_a_training_error_naming_model_cell_and_epoch():
    """Constant predictions leave the validation Pearson r undefined: a TrainingError naming
    the run and the epoch, not the bare ValueError of the correlation."""
    settings = TrainingSettings.from_config("deepchrome", {"recipe": "fast", "epochs": 3})
    data = SimpleNamespace(
        features={"valid": torch.zeros(4, 2)}, targets={"valid": np.array([0.0, 1.0, 2.0, 3.0])}
    )
    run = Run(
        "toy on cell E999",
        settings,
        TASKS["regression"],
        ConstantModel(),
        data,
        default_callbacks(settings),
    )
    with pytest.raises(
        TrainingError,
        match=r"toy on cell E999: the validation Pearson r is undefined in epoch 1 .*constant",
    ):
        fit(NoStepEngine(), [run], torch.device("cpu"))
