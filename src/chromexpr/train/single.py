"""Training one model on one cell type: ``torch.optim`` and a ``LambdaLR`` for the decay."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.evaluation import predict_outputs
from chromexpr.models import capabilities, count_parameters
from chromexpr.train.convergence import Convergence
from chromexpr.train.fit import Run, fit
from chromexpr.train.outputs import write_run_outputs
from chromexpr.train.prepare import prepare_run
from chromexpr.train.resume import LAST_CHECKPOINT, LastCheckpoint
from chromexpr.train.runtime import deterministic_algorithms, out_of_memory_advice, resolve_device
from chromexpr.train.settings import CHECKPOINT_EVERY, TrainingSettings

logger = logging.getLogger(__name__)


def make_optimizer(model: nn.Module, settings: TrainingSettings) -> torch.optim.Optimizer:
    """The optimiser of ``settings`` over ``model``'s trainable parameters, at the base rate."""
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if settings.optimizer == "adam":
        return torch.optim.Adam(
            parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
    return torch.optim.SGD(
        parameters,
        lr=settings.learning_rate,
        momentum=settings.momentum,
        weight_decay=settings.weight_decay,
    )


def torch7_decay(
    optimizer: torch.optim.Optimizer, lr_decay: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """Torch7 ``optim.sgd``'s decay: the rate of step t (from 0) is lr / (1 + t * lr_decay);
    step the scheduler after every optimiser step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (1 + step * lr_decay))


class SingleEngine:
    """One model, its optimiser and decay, and its own generator of gene orders."""

    def __init__(self, run: Run, device: torch.device) -> None:
        self.device = device
        self.optimizer = make_optimizer(run.model, run.settings)
        self.scheduler = torch7_decay(self.optimizer, run.settings.lr_decay)
        # A generator of its own, on the CPU: the gene order does not depend on the device.
        self.shuffling = torch.Generator().manual_seed(run.settings.seed)

    def train_epoch(self, runs: Sequence[Run], training: Sequence[bool]) -> list[float]:
        (run,) = runs
        order = torch.randperm(len(run.data.train_targets), generator=self.shuffling)
        return [
            train_epoch(
                run,
                self.optimizer,
                self.scheduler,
                run.data.features["train"],
                order.to(self.device),
            )
        ]

    def load_weights(self, index: int, run: Run) -> None:
        """The model trains in place: nothing to load."""

    def state_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "shuffling": self.shuffling.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.shuffling.set_state(state["shuffling"])


class FittedOnceEngine:
    """A model fitted outside the gradient loop (``fits_without_gradients``: scikit-learn,
    LightGBM) in its one epoch; its loss is the task's loss on the training genes after, and the
    library's verdict on the fit becomes the run's ``fit_convergence``."""

    def __init__(self, run: Run, device: torch.device) -> None:
        self.device = device

    def train_epoch(self, runs: Sequence[Run], training: Sequence[bool]) -> list[float]:
        (run,) = runs
        converged, reason = run.model.fit_without_gradients(
            run.data.features["train"],
            run.data.targets["train"],
            run.data.features["valid"],
            run.data.targets["valid"],
            run.task.name,
            run.settings.seed,
        )
        run.fit_convergence = Convergence(converged, reason)
        outputs = predict_outputs(run.model, run.data.features["train"], self.device)
        return [run.task.loss(outputs, run.data.train_targets.cpu()).item()]

    def load_weights(self, index: int, run: Run) -> None:
        """The model is fitted in place: nothing to load."""

    def state_dict(self) -> dict[str, Any]:
        """The fitted model is the run's: nothing else to keep."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Nothing to take: see ``state_dict``."""


def train_epoch(
    run: Run,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    features: torch.Tensor,
    order: torch.Tensor,
) -> float:
    """One pass over the training genes in ``order``; returns the mean loss (NaN/inf as is: the
    loop decides what it means). ``features`` (one row per gene) and ``order`` live on the model's
    device."""
    model, settings = run.model, run.settings
    model.train()
    # One gather per epoch; every batch is then a view, which keeps batch-size-1 steps cheap.
    shuffled_features = features[order]
    shuffled_targets = run.data.train_targets[order]
    n_genes = len(shuffled_targets)
    loss_sum = torch.zeros((), device=features.device)
    for start in range(0, n_genes, settings.batch_size):
        stop = min(start + settings.batch_size, n_genes)
        loss = run.task.loss(model(shuffled_features[start:stop]), shuffled_targets[start:stop])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        scheduler.step()
        # Summed on the device: a .item() per step would synchronise a GPU every step.
        loss_sum.add_(loss.detach(), alpha=stop - start)
    return loss_sum.item() / n_genes


def train_cell(
    dataset: CellDataset,
    settings: TrainingSettings,
    out_dir: Path,
    extra_metrics: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> dict[str, Any]:
    """Train ``settings.model`` on one cell type; keep the epoch with the best validation score.

    Writes into ``out_dir`` (``chromexpr.train.outputs``): ``model.pt`` (a checkpoint bundle,
    ``chromexpr.train.checkpoint``), ``history.tsv``, ``predictions.tsv`` and ``metrics.json``
    (returned as a dict, with ``extra_metrics`` added). ``provenance`` tells the bundle what the
    dataset does not record (``chromexpr.train.checkpoint.save_checkpoint``).
    Deterministic for the same settings on the same device. Every ``checkpoint_every`` epochs
    the job's state goes to ``out_dir/last.pt``, from which the call resumes after an
    interruption with the same results (``chromexpr.train.resume``); removed once complete.
    """
    started = time.perf_counter()
    device = resolve_device(settings.device)
    name = f"{settings.model} on cell {dataset.cell}"
    with deterministic_algorithms(device), out_of_memory_advice(name, settings.batch_size, device):
        run = prepare_run(dataset, settings, device)
        fitted_once = capabilities(settings.model).fits_without_gradients
        engine = (FittedOnceEngine if fitted_once else SingleEngine)(run, device)
        logger.info(
            "%s: %s parameters, %s, recipe %s (config %s), device %s, %s genes",
            name,
            f"{count_parameters(run.model):,}",
            settings.task,
            settings.recipe,
            settings.config_hash(),
            device,
            ", ".join(f"{len(run.data.targets[split])} {split}" for split in SPLITS),
        )
        last = LastCheckpoint(Path(out_dir) / LAST_CHECKPOINT, engine, [run])
        fit(engine, [run], device, last.restore(), last.save, checkpoint_every)
        metrics = write_run_outputs(
            run, dataset, device, Path(out_dir), started, extra_metrics, provenance
        )
        last.remove()
        return metrics
