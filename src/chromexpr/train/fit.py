"""The one training loop: epochs of an engine's steps, validation, and callbacks per model.

``fit`` trains one or several models (``Run``) with an ``Engine`` (one model with a
``torch.optim`` optimiser, or K models stacked; ``chromexpr.train.single``,
``chromexpr.train.stacked``): each epoch the engine takes its steps, then every model still
training is scored on its validation genes and its callbacks see the epoch's record. Each
callback owns its state (as Lightning's): ``BestState`` keeps the best epoch's weights,
``EarlyStopping`` counts the epochs without improvement and refuses non-finite values,
``ProgressLog`` logs. The loop asks the callbacks whether a model should stop; a stopped
model's weights no longer change while the others go on. Every ``checkpoint_every`` epochs the
loop hands its state to ``checkpoint`` (``chromexpr.train.resume``), and it can start from an
epoch other than the first, after such a state was loaded.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from chromexpr.errors import TrainingError
from chromexpr.evaluation import predict_outputs
from chromexpr.models import capabilities
from chromexpr.train.convergence import Convergence
from chromexpr.train.inputs import SplitData
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.tasks import Task

logger = logging.getLogger(__name__)

# Genes scored per forward pass when evaluating; large enough to amortise, small enough for any GPU.
EVALUATION_BATCH_SIZE = 1024


@dataclass(frozen=True)
class EpochRecord:
    """One row of history.tsv."""

    epoch: int
    loss: float  # mean training loss
    valid_score: float  # the task's selection figure on the validation genes; NaN if undefined
    seconds: float  # training and validation


class Callback:
    """What the loop calls for one model. ``on_validation_end`` updates the callback's own state
    (all callbacks of the model see the epoch there first), ``on_epoch_end`` reports; the loop
    stops the model once a callback's ``should_stop`` is true. ``state_dict`` /
    ``load_state_dict`` carry the state across an interrupted run."""

    @property
    def should_stop(self) -> bool:
        return False

    def on_validation_end(self, run: Run, record: EpochRecord) -> None:
        """Update this callback's state with the epoch's record."""

    def on_epoch_end(self, run: Run, record: EpochRecord) -> None:
        """Report the epoch; every callback's state already includes it."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take the state ``state_dict`` returned."""


@dataclass
class Run:
    """One model being trained: its settings, task, data, history and callbacks."""

    name: str  # "deepchrome on cell E003", for messages
    settings: TrainingSettings
    task: Task
    model: nn.Module
    data: SplitData
    callbacks: list[Callback] = field(default_factory=list)
    history: list[EpochRecord] = field(default_factory=list)
    # A model fitted outside the loop: its library's verdict on the fit (``FittedOnceEngine``).
    fit_convergence: Convergence | None = None

    @property
    def best(self) -> BestState:
        """The callback that keeps the best epoch's weights (the model's checkpoint)."""
        for callback in self.callbacks:
            if isinstance(callback, BestState):
                return callback
        raise TrainingError(f"{self.name}: no BestState callback keeps the best epoch")

    @property
    def stopped(self) -> bool:
        """Whether a callback has stopped this model."""
        return any(callback.should_stop for callback in self.callbacks)


class BestState(Callback):
    """Keeps a copy of the weights of the epoch with the best validation figure (the first of
    equals)."""

    def __init__(self) -> None:
        self.score = -math.inf
        self.epoch = 0
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, run: Run, record: EpochRecord) -> None:
        if record.valid_score > self.score:
            self.score, self.epoch = record.valid_score, record.epoch
            self.state = state_copy(run.model)

    def state_dict(self) -> dict[str, Any]:
        return {"score": self.score, "epoch": self.epoch, "state": self.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.score, self.epoch, self.state = state["score"], state["epoch"], state["state"]


class ProgressLog(Callback):
    """One log line per epoch and model, with the best epoch so far."""

    def on_epoch_end(self, run: Run, record: EpochRecord) -> None:
        logger.info(
            "%s: epoch %d/%d loss %.4f valid %s %.4f %.1fs; best %.4f (epoch %d)",
            run.name,
            record.epoch,
            run.settings.epochs,
            record.loss,
            run.task.selection_label,
            record.valid_score,
            record.seconds,
            run.best.score,
            run.best.epoch,
        )


class EarlyStopping(Callback):
    """Stops a model after ``patience`` epochs whose validation figure does not exceed the best
    so far by more than ``min_delta`` (Lightning's ``EarlyStopping``, mode ``max``, on the task's
    selection figure); ``patience`` None never stops. With ``check_finite``, a NaN/inf training
    loss or validation figure is a TrainingError naming model, cell and epoch."""

    def __init__(
        self, patience: int | None, min_delta: float = 0.0, check_finite: bool = True
    ) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.check_finite = check_finite
        self.best = -math.inf
        self.wait = 0
        self.stopped_epoch = 0

    @property
    def should_stop(self) -> bool:
        return self.stopped_epoch > 0

    def on_validation_end(self, run: Run, record: EpochRecord) -> None:
        if self.check_finite:
            _check_finite(run.name, record)
        if record.valid_score - self.min_delta > self.best:
            self.best, self.wait = record.valid_score, 0
        else:
            self.wait += 1
        if self.patience is not None and self.wait >= self.patience:
            self.stopped_epoch = record.epoch
            logger.info(
                "%s: no better validation %s for %d epochs; stopping",
                run.name,
                run.task.selection_label,
                self.patience,
            )

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait = state["best"], state["wait"]
        self.stopped_epoch = state["stopped_epoch"]


class StopAfterFit(Callback):
    """Stops a model fitted in one go (``fits_without_gradients``) after its one epoch."""

    def __init__(self) -> None:
        self.fitted = False

    @property
    def should_stop(self) -> bool:
        return self.fitted

    def on_validation_end(self, run: Run, record: EpochRecord) -> None:
        self.fitted = True

    def state_dict(self) -> dict[str, Any]:
        return {"fitted": self.fitted}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.fitted = state["fitted"]


def default_callbacks(settings: TrainingSettings) -> list[Callback]:
    """Best state, progress, early stopping with the settings' patience (None: only the check of
    finite values); a model fitted in one go stops after it."""
    callbacks: list[Callback] = [BestState(), ProgressLog(), EarlyStopping(settings.patience)]
    if capabilities(settings.model).fits_without_gradients:
        callbacks.append(StopAfterFit())
    return callbacks


class Engine(Protocol):
    """Takes the optimisation steps of one epoch for the runs still training."""

    def train_epoch(self, runs: Sequence[Run], training: Sequence[bool]) -> list[float]:
        """Each run's mean training loss this epoch (NaN for a run that is not ``training``)."""
        ...

    def load_weights(self, index: int, run: Run) -> None:
        """Put the current weights of model ``index`` into ``run.model`` (for scoring)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """What the engine holds besides the runs' models: optimiser, schedule, gene orders."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take the state ``state_dict`` returned."""
        ...


# Called with the last finished epoch every ``checkpoint_every`` epochs (chromexpr.train.resume).
Checkpointer = Callable[[int], None]


def state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of ``model``'s state_dict."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}


def fit(
    engine: Engine,
    runs: Sequence[Run],
    device: torch.device,
    first_epoch: int = 1,
    checkpoint: Checkpointer | None = None,
    checkpoint_every: int = 1,
) -> None:
    """Train every run from ``first_epoch`` for up to its ``settings.epochs``; load each model's
    best state after. ``checkpoint(epoch)`` is called after every ``checkpoint_every``-th epoch
    that leaves a run training."""
    for epoch in range(first_epoch, max(run.settings.epochs for run in runs) + 1):
        training = [not run.stopped and epoch <= run.settings.epochs for run in runs]
        if not any(training):
            break
        started = time.perf_counter()
        losses = engine.train_epoch(runs, training)
        training_seconds = time.perf_counter() - started
        for index, run in enumerate(runs):
            if not training[index]:
                continue
            validation_started = time.perf_counter()
            engine.load_weights(index, run)
            valid_scores = run.task.scores(
                predict_outputs(
                    run.model, run.data.features["valid"], device, EVALUATION_BATCH_SIZE
                )
            )
            # Figures are undefined on non-finite predictions; the callbacks decide what it means.
            valid_score = (
                _selection_score(run, valid_scores, epoch)
                if np.all(np.isfinite(valid_scores))
                else math.nan
            )
            # The epoch's training (the group's, side by side) and this model's validation.
            seconds = training_seconds + time.perf_counter() - validation_started
            record = EpochRecord(epoch, losses[index], valid_score, seconds)
            run.history.append(record)
            for callback in run.callbacks:
                callback.on_validation_end(run, record)
            for callback in run.callbacks:
                callback.on_epoch_end(run, record)
        still_training = any(not run.stopped and epoch < run.settings.epochs for run in runs)
        if checkpoint is not None and epoch % checkpoint_every == 0 and still_training:
            checkpoint(epoch)
    for run in runs:
        run.model.load_state_dict(run.best.state)


def _selection_score(run: Run, valid_scores: np.ndarray, epoch: int) -> float:
    """The task's selection figure of finite validation scores; a TrainingError naming model,
    cell and epoch where it is undefined (a regression predicting one value for every gene)."""
    try:
        return run.task.selection_score(run.data.targets["valid"], valid_scores)
    except ValueError as error:
        raise TrainingError(
            f"{run.name}: the validation {run.task.selection_label} is undefined in epoch "
            f"{epoch} ({error}): the model predicts {len(np.unique(valid_scores))} distinct "
            "value(s) for the validation genes; lower training.learning_rate, or check that "
            "the marks' counts are not all zero"
        ) from error


def _check_finite(name: str, record: EpochRecord) -> None:
    """TrainingError naming model, cell and epoch when the loss or the validation figure (NaN
    when a validation prediction is) is NaN/inf."""
    if math.isfinite(record.loss) and math.isfinite(record.valid_score):
        return
    what = (
        f"the loss became {record.loss}"
        if not math.isfinite(record.loss)
        else "validation predictions became NaN/inf"
    )
    raise TrainingError(
        f"{name}: {what} in epoch {record.epoch}; "
        "check the counts for NaN/inf or lower training.learning_rate"
    )
