"""The one training loop: epochs of an engine's steps, validation, and callbacks per model.

``fit`` trains one or several models (``Run``) with an ``Engine`` (one model with a
``torch.optim`` optimiser, or K models stacked; ``chromexpr.train.engines``): each epoch the
engine takes its steps, then every model still training is scored on its validation genes and
its callbacks see the epoch's record. The callbacks keep the best state (``BestState``), log
progress (``ProgressLog``) and stop a model whose validation figure has not improved for its
patience (``EarlyStopping``); a stopped model's weights no longer change while the others go on.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import nn

from chromexpr.errors import TrainingError
from chromexpr.evaluation import predict_outputs
from chromexpr.models import capabilities
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
    valid_score: float  # the task's selection figure on the validation genes
    seconds: float  # training and validation


@dataclass
class Run:
    """One model being trained: its settings, task, data, progress and callbacks."""

    name: str  # "deepchrome on cell E003", for messages
    settings: TrainingSettings
    task: Task
    model: nn.Module
    data: SplitData
    callbacks: list[Callback] = field(default_factory=list)
    history: list[EpochRecord] = field(default_factory=list)
    training: bool = True
    best_score: float = -math.inf
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None


class Callback(Protocol):
    def on_epoch_end(self, run: Run, record: EpochRecord) -> None: ...


class BestState:
    """Keeps a copy of the weights of the epoch with the best validation figure."""

    def on_epoch_end(self, run: Run, record: EpochRecord) -> None:
        if record.valid_score > run.best_score:
            run.best_score, run.best_epoch = record.valid_score, record.epoch
            run.best_state = state_copy(run.model)


class ProgressLog:
    """One log line per epoch and model."""

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
            run.best_score,
            run.best_epoch,
        )


class EarlyStopping:
    """Stops a model after ``patience`` epochs without a better validation figure."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def on_epoch_end(self, run: Run, record: EpochRecord) -> None:
        if record.epoch - run.best_epoch >= self.patience:
            logger.info(
                "%s: no better validation %s for %d epochs; stopping",
                run.name,
                run.task.selection_label,
                self.patience,
            )
            run.training = False


class StopAfterFit:
    """Stops a model fitted in one go (``fits_without_gradients``) after its one epoch."""

    def on_epoch_end(self, run: Run, record: EpochRecord) -> None:
        run.training = False


def default_callbacks(settings: TrainingSettings) -> list[Callback]:
    """Best state, progress, and early stopping where the settings have a patience; a model
    fitted in one go stops after it."""
    callbacks: list[Callback] = [BestState(), ProgressLog()]
    if capabilities(settings.model).fits_without_gradients:
        callbacks.append(StopAfterFit())
    elif settings.patience is not None:
        callbacks.append(EarlyStopping(settings.patience))
    return callbacks


class Engine(Protocol):
    """Takes the optimisation steps of one epoch for the runs still training."""

    def train_epoch(self, runs: Sequence[Run]) -> list[float]:
        """Each run's mean training loss this epoch (NaN for a run that is not training)."""
        ...

    def load_weights(self, index: int, run: Run) -> None:
        """Put the current weights of model ``index`` into ``run.model`` (for scoring)."""
        ...


def state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of ``model``'s state_dict."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}


def fit(engine: Engine, runs: Sequence[Run], device: torch.device) -> None:
    """Train every run for up to its ``settings.epochs``; load each model's best state after."""
    for epoch in range(1, max(run.settings.epochs for run in runs) + 1):
        for run in runs:
            run.training = run.training and epoch <= run.settings.epochs
        if not any(run.training for run in runs):
            break
        started = time.perf_counter()
        losses = engine.train_epoch(runs)
        training_seconds = time.perf_counter() - started
        for index, run in enumerate(runs):
            if not run.training:
                continue
            validation_started = time.perf_counter()
            engine.load_weights(index, run)
            valid_scores = run.task.scores(
                predict_outputs(
                    run.model, run.data.features["valid"], device, EVALUATION_BATCH_SIZE
                )
            )
            check_finite(run.name, epoch, losses[index], valid_scores)
            valid_score = run.task.selection_score(run.data.targets["valid"], valid_scores)
            # The epoch's training (the group's, side by side) and this model's validation.
            seconds = training_seconds + time.perf_counter() - validation_started
            record = EpochRecord(epoch, losses[index], valid_score, seconds)
            run.history.append(record)
            for callback in run.callbacks:
                callback.on_epoch_end(run, record)
    for run in runs:
        run.model.load_state_dict(run.best_state)


def check_finite(name: str, epoch: int, loss: float, valid_scores: np.ndarray) -> None:
    """TrainingError naming model, cell and epoch when the loss or a validation score is NaN/inf."""
    if math.isfinite(loss) and np.all(np.isfinite(valid_scores)):
        return
    what = (
        f"the loss became {loss}"
        if not math.isfinite(loss)
        else "validation predictions became NaN/inf"
    )
    raise TrainingError(
        f"{name}: {what} in epoch {epoch}; "
        "check the counts for NaN/inf or lower training.learning_rate"
    )
