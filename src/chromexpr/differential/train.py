"""Training one differential model on one pair of cell types, in the harness's one loop.

A pair model (``chromexpr.differential.models``) trains like a per-cell model: the same
``fit`` loop, callbacks (the epoch with the best validation Pearson r of the fold change is
kept, early stopping, progress), engines (``torch.optim`` with the recipe's optimiser, or one
fit outside the gradient loop for trees and ridge regressions), resumable ``last.pt`` and
deterministic kernels. What differs is held here: the settings look the model up among the
differential models (its recipe: DeepDiff's ``PUBLISHED_RECIPE``, or the wrapped zoo model's),
and the task ``FoldChange`` scores the first output against the fold change and lets the model
say its loss (DeepDiff's adds its auxiliary tasks and siamese term). The difference of two
single-cell models is not trained: ``score_difference`` scores it on the pair.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from chromexpr.dataset import SPLITS
from chromexpr.differential.models import (
    DifferencePair,
    PairModel,
    build_pair_model,
    pair_hyperparameters,
)
from chromexpr.differential.outputs import PairRun, write_pair_outputs
from chromexpr.differential.pairs import PairDataset
from chromexpr.differential.registry import (
    DEEPDIFF,
    DIFFERENCE,
    check_differential_model,
    fits_without_gradients,
    zoo_model,
)
from chromexpr.errors import ConfigError
from chromexpr.models import model_class
from chromexpr.train.checkpoint import Checkpoint
from chromexpr.train.fit import BestState, EarlyStopping, ProgressLog, Run, StopAfterFit, fit
from chromexpr.train.inputs import SplitData
from chromexpr.train.resume import LAST_CHECKPOINT, LastCheckpoint
from chromexpr.train.runtime import (
    deterministic_algorithms,
    out_of_memory_advice,
    resolve_device,
    seed_everything,
)
from chromexpr.train.settings import CHECKPOINT_EVERY, TrainingSettings
from chromexpr.train.single import FittedOnceEngine, SingleEngine
from chromexpr.train.tasks import CorrelationScored

logger = logging.getLogger(__name__)

TASK_NAME = "differential"


def differential_model_class(name: str) -> type:
    """The class whose ``PUBLISHED_RECIPE`` a differential model trains with: DeepDiff's, or the
    wrapped zoo model's. ConfigError for the difference of single-cell models (not trained)."""
    check_differential_model(name)
    if name == DEEPDIFF:
        from chromexpr.models.deepdiff import DeepDiff

        return DeepDiff
    zoo = zoo_model(name)
    if zoo is None:
        raise ConfigError(
            "differential.models",
            f"{name} is not trained for a pair: it takes the per-cell regression models",
        )
    return model_class(zoo)


@dataclass(frozen=True)
class DifferentialSettings(TrainingSettings):
    """``TrainingSettings`` of a differential model (``from_config`` with ``task`` differential)."""

    model_class = staticmethod(differential_model_class)
    task_names = (TASK_NAME,)


class FoldChange(CorrelationScored):
    """The log2 fold change, scored by Pearson and Spearman r (selected by the validation
    Pearson r); the model's ``loss_of_outputs`` is the loss."""

    name = TASK_NAME
    prediction_columns = ("log2_fold_change", "predicted_log2_fold_change")
    score_name = "log2_fold_change"

    def __init__(self, loss_of_outputs: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]):
        self.loss_of_outputs = loss_of_outputs

    def loss(
        self, outputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        return self.loss_of_outputs(outputs, targets)


def pair_split_data(pair: PairDataset, device: torch.device) -> SplitData:
    """The pair's counts [genes, 2, marks, bins] and fold changes per split; the training
    targets [genes, 3] with the auxiliary per-cell targets."""
    counts, targets = pair.counts(), pair.targets()
    features = {split: torch.as_tensor(counts[pair.mask(split)], device=device) for split in SPLITS}
    fold_changes = {split: targets[pair.mask(split), 0] for split in SPLITS}
    train_targets = torch.as_tensor(targets[pair.mask("train")], device=device)
    return SplitData(features, fold_changes, train_targets)


def train_pair(
    pair: PairDataset,
    settings: DifferentialSettings,
    out_dir: Path,
    provenance: Mapping[str, Any] | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> dict[str, Any]:
    """Train ``settings.model`` on ``pair``; keep the epoch with the best validation Pearson r.

    Writes into ``out_dir`` (``chromexpr.differential.outputs``) ``model.pt`` (a differential
    bundle), ``history.tsv``, ``predictions.tsv`` and ``metrics.json`` (returned). Resumes
    from ``out_dir/last.pt`` as the per-cell training does.
    """
    started = time.perf_counter()
    pair.check_targets()
    device = resolve_device(settings.device)
    name = f"{settings.model} on pair {pair.name}"
    with deterministic_algorithms(device), out_of_memory_advice(name, settings.batch_size, device):
        seed_everything(settings.seed)
        _, n_marks, n_bins = pair.a.counts.shape
        hyperparameters = pair_hyperparameters(
            settings.model, settings.model_params, settings.input_transform
        )
        model = build_pair_model(settings.model, n_marks, n_bins, **hyperparameters).to(device)
        data = pair_split_data(pair, device)
        model.fit_input_statistics(data.features["train"])
        callbacks = [BestState(), ProgressLog(), EarlyStopping(settings.patience)]
        fitted_once = fits_without_gradients(settings.model)
        if fitted_once:
            callbacks.append(StopAfterFit())
        run = Run(name, settings, FoldChange(model.loss_of_outputs), model, data, callbacks)
        engine = (FittedOnceEngine if fitted_once else SingleEngine)(run, device)
        logger.info(
            "%s: %s parameters, recipe %s (config %s), device %s, %s genes",
            name,
            f"{model.n_fitted_values():,}",
            settings.recipe,
            settings.config_hash(),
            device,
            ", ".join(f"{len(data.targets[split])} {split}" for split in SPLITS),
        )
        last = LastCheckpoint(Path(out_dir) / LAST_CHECKPOINT, engine, [run])
        fit(engine, [run], device, last.restore(), last.save, checkpoint_every)
        metrics = write_pair_outputs(
            PairRun(settings.model, hyperparameters, run.model, run.history, run.best.epoch),
            pair,
            device,
            Path(out_dir),
            started,
            extra={
                "recipe": settings.recipe,
                "seed": settings.seed,
                "config_hash": settings.config_hash(),
                "settings": asdict(settings),
            },
            provenance=provenance,
        )
        last.remove()
        return metrics


def difference_model(checkpoint_a: Checkpoint, checkpoint_b: Checkpoint) -> DifferencePair:
    """The difference of two trained single-cell regression models, A's and B's, with their
    weights. ConfigError unless both predict ``log(expression + 1)`` from counts without
    normalisation or neighbours."""
    members = {}
    for side, checkpoint in (("a", checkpoint_a), ("b", checkpoint_b)):
        if checkpoint.bundle["task"] != "regression" or checkpoint.normalisation != "none":
            raise ConfigError(
                "differential.single_cell_model",
                f"{checkpoint.path} is a {checkpoint.bundle['task']} model with normalisation "
                f"{checkpoint.normalisation}; the difference takes regression models of raw "
                "counts",
            )
        members[side] = {
            "model": checkpoint.name,
            "hyperparameters": checkpoint.bundle["hyperparameters"],
            "input_transform": checkpoint.input_transform,
            "cell": checkpoint.bundle["training"]["samples"][0],
        }
    n_marks, n_bins = len(checkpoint_a.bundle["marks"]), len(checkpoint_a.bundle["bin_offsets"])
    model = DifferencePair(n_marks, n_bins, members)
    model.model_a.load_state_dict(checkpoint_a.model.state_dict())
    model.model_b.load_state_dict(checkpoint_b.model.state_dict())
    return model.eval()


def score_difference(
    pair: PairDataset,
    checkpoint_a: Checkpoint,
    checkpoint_b: Checkpoint,
    out_dir: Path,
    provenance: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Score the difference of A's and B's single-cell regression models on ``pair`` and write
    the same files as ``train_pair`` (no history: nothing is trained)."""
    started = time.perf_counter()
    pair.check_targets()
    for checkpoint, dataset in ((checkpoint_a, pair.a), (checkpoint_b, pair.b)):
        checkpoint.check_compatible(dataset, task="regression", normalisation="none")
    model: PairModel = difference_model(checkpoint_a, checkpoint_b)
    torch_device = resolve_device(device)
    with deterministic_algorithms(torch_device):
        return write_pair_outputs(
            PairRun(DIFFERENCE, {"members": model.members}, model.to(torch_device)),
            pair,
            torch_device,
            Path(out_dir),
            started,
            extra={"single_cell_models": [checkpoint_a.name, checkpoint_b.name]},
            provenance=provenance,
        )
