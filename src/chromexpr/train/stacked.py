"""Side-by-side training: K independent models of one architecture trained in one process.

``train_side_by_side`` trains one model per (dataset, settings) pair - one per cell type, seed or
hyperparameter setting - with the K models' parameters stacked along a leading axis
(``torch.func.stack_module_state``) and every step's forward and backward vectorised over the K
models: the stacked forwards of ``chromexpr.train.stacked_forward`` (grouped convolutions,
batched matmuls, batched LSTM recurrences; for plain SGD the linear layers apply their update
inside the backward pass) where the architecture has one, else ``torch.func.grad`` of
``functional_call`` under ``torch.func.vmap``. Batch-1 SGD for K models is one K-sample step.
The epochs, validation, best state and early stopping are the one loop's
(``chromexpr.train.fit``), so each model is trained exactly as ``train_cell`` trains it alone:

- prepared by ``prepare_run`` (seed, model, input statistics), so its parameters at step 0 are
  the single run's;
- its own gene order every epoch, from its own ``torch.Generator`` seeded with its seed;
- its own batch size, learning rate with Torch7 decay lr / (1 + t * lr_decay) after its own t
  steps, momentum, weight decay, gradient-norm clipping and optimiser state
  (``chromexpr.train.stacked_optimizer``);
- its own best-validation epoch, epochs and patience: a model that has stopped is masked out
  (its parameters and optimiser state no longer change) while the others go on.

Training sets of different sizes (or different batch sizes) are padded: a model's padded genes
carry zero weight in its loss, and a model with no gene left in a step takes no step. Each
model's files are written by ``chromexpr.train.outputs``, as ``train_cell``'s; ``metrics.json``
adds ``side_by_side`` (K) and ``wall_seconds`` is the whole group's.

Dropout: a single run draws its dropout masks from torch's global generator, interleaved with
nothing else, so the masks depend on the seed. Side by side, one dropout call over the stacked
activations [K, batch, ...] (or ``vmap(randomness="different")``) draws an independent mask per
model from the global generator (seeded with the first model's seed), so each model still gets
its own masks and a run is reproducible, but the masks are not the single run's. Reproducing
them would need a generator per model and a dropout call per model per step (a Python loop over
K, the overhead this trainer removes) and would tie the results to the CPU kernel's order of
random draws. Runs with dropout are therefore statistically, not bitwise,
equivalent to ``train_cell``; with dropout 0 they match it to float tolerance (tested).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap

from chromexpr.dataset import CellDataset
from chromexpr.errors import TrainingError
from chromexpr.models import capabilities, count_parameters
from chromexpr.train.fit import Run, fit
from chromexpr.train.outputs import write_run_outputs
from chromexpr.train.prepare import prepare_run
from chromexpr.train.resume import LAST_CHECKPOINT, LastCheckpoint
from chromexpr.train.runtime import deterministic_algorithms, resolve_device, seed_everything
from chromexpr.train.settings import CHECKPOINT_EVERY, TrainingSettings
from chromexpr.train.stacked_forward import fusable_parameters, stacked_forward
from chromexpr.train.stacked_optimizer import StackedOptimizer
from chromexpr.train.tasks import Task

logger = logging.getLogger(__name__)

StepGrads = Callable[..., tuple[dict, torch.Tensor]]


def check_group(settings: Sequence[TrainingSettings]) -> None:
    """TrainingError unless the settings can be trained side by side: one architecture, device
    and task, and a model the stacked engine can train (no pretraining stage, whose parameters
    are frozen, no inputs gathered from neighbouring genes, no fit outside the gradient loop)."""
    if not settings:
        raise TrainingError("side-by-side training needs at least one model")
    first = settings[0]
    for other in settings[1:]:
        for key in ("model", "model_params", "device", "task"):
            if getattr(other, key) != getattr(first, key):
                raise TrainingError(
                    f"side-by-side training needs one {key} for every model; got "
                    f"{getattr(first, key)!r} and {getattr(other, key)!r}"
                )
    stated = capabilities(first.model)
    if stated.pretrains or stated.reads_neighbours or stated.fits_without_gradients:
        raise TrainingError(
            f"{first.model} has a pretraining stage, reads neighbouring genes or is fitted "
            "without gradients; train it one cell per job (training.side_by_side: false)"
        )


class StackedEngine:
    """K models' parameters stacked, one optimiser over them, a gene order per model."""

    def __init__(self, runs: Sequence[Run], device: torch.device) -> None:
        self.device = device
        settings = [run.settings for run in runs]
        # Dropout masks come from the global generator, one independent draw per model.
        seed_everything(settings[0].seed)
        params, self.buffers = stack_module_state([run.model for run in runs])
        self.params = {name: value.detach() for name, value in params.items()}
        template = copy.deepcopy(runs[0].model).to("meta").train()
        self.optimizer = StackedOptimizer(self.params, settings, device)
        self.step_grads = vectorised_grad(template, runs[0].task)
        self.shuffling = [torch.Generator().manual_seed(s.seed) for s in settings]

    def train_epoch(self, runs: Sequence[Run], training: Sequence[bool]) -> list[float]:
        """One epoch of every model still ``training``; each model's mean loss (NaN if idle)."""
        device = self.device
        batch = max(run.settings.batch_size for run in runs)
        n_steps = max(
            _steps_per_epoch(run) for run, active in zip(runs, training, strict=True) if active
        )
        inputs, targets, weights = [], [], []
        for run, active, shuffling in zip(runs, training, self.shuffling, strict=True):
            # Drawn only while the model trains, as train_cell draws one order per epoch it runs.
            n_train = len(run.data.train_targets)
            order = (
                torch.randperm(n_train, generator=shuffling)
                if active
                else torch.zeros(0, dtype=torch.int64)
            )
            index, weight = _step_layout(order, run.settings.batch_size, n_steps, batch)
            index, weight = index.to(device), weight.to(device)
            inputs.append(run.data.features["train"][index])
            targets.append(run.data.train_targets[index])
            weights.append(weight)
        # [K, steps, batch, ...]: every step is then one view, as in the single engine.
        inputs_, targets_, weights_ = (
            torch.stack(inputs),
            torch.stack(targets),
            torch.stack(weights),
        )
        actives = weights_.sum(dim=2) > 0  # [K, steps]
        idle = [(~column).nonzero().flatten().tolist() for column in actives.T.cpu()]
        loss_sum = torch.zeros(len(runs), device=device)
        for step in range(n_steps):
            loss_sum += side_by_side_step(
                self.step_grads,
                self.optimizer,
                self.params,
                self.buffers,
                (inputs_[:, step], targets_[:, step], weights_[:, step]),
                actives[:, step],
                idle[step],
            )
        counts = weights_.sum(dim=(1, 2))
        return torch.where(counts > 0, loss_sum / counts.clamp(min=1), torch.nan).cpu().tolist()

    def load_weights(self, index: int, run: Run) -> None:
        with torch.no_grad():
            for name, parameter in run.model.named_parameters():
                parameter.copy_(self.params[name][index])

    def state_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "buffers": self.buffers,
            "optimizer": self.optimizer.state_dict(),
            "shuffling": [generator.get_state() for generator in self.shuffling],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for held, saved in ((self.params, state["params"]), (self.buffers, state["buffers"])):
                for name, value in held.items():
                    value.copy_(saved[name])
        self.optimizer.load_state_dict(state["optimizer"])
        for generator, saved in zip(self.shuffling, state["shuffling"], strict=True):
            generator.set_state(saved)


def _steps_per_epoch(run: Run) -> int:
    return math.ceil(len(run.data.train_targets) / run.settings.batch_size)


def train_side_by_side(
    datasets: Sequence[CellDataset],
    settings: Sequence[TrainingSettings],
    out_dirs: Sequence[Path],
    provenance: Mapping[str, Any] | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> list[dict[str, Any]]:
    """Train ``settings[k].model`` on ``datasets[k]`` into ``out_dirs[k]`` for every k, side by side.

    Writes what ``train_cell`` writes into each folder and returns each model's metrics. The
    models must share the architecture (model name and ``model_params``), device and optimiser.
    The group's state goes to ``out_dirs[0]/last.pt`` every ``checkpoint_every`` epochs, as
    ``train_cell``'s (``chromexpr.train.resume``).
    """
    started = time.perf_counter()
    if not len(datasets) == len(settings) == len(out_dirs):
        raise TrainingError(
            f"side-by-side training got {len(datasets)} datasets, {len(settings)} settings "
            f"and {len(out_dirs)} output folders; one of each per model"
        )
    check_group(settings)
    device = resolve_device(settings[0].device)
    with deterministic_algorithms(device):
        runs = [
            prepare_run(dataset, setting, device)
            for dataset, setting in zip(datasets, settings, strict=True)
        ]
        engine = StackedEngine(runs, device)
        logger.info(
            "side by side: %d x %s (%s parameters each), device %s, optimizer %s; cells %s",
            len(runs),
            settings[0].model,
            f"{count_parameters(runs[0].model):,}",
            device,
            engine.optimizer.kind,
            ", ".join(dataset.cell for dataset in datasets),
        )
        last = LastCheckpoint(Path(out_dirs[0]) / LAST_CHECKPOINT, engine, runs)
        fit(engine, runs, device, last.restore(), last.save, checkpoint_every)
        metrics = [
            write_run_outputs(
                run,
                dataset,
                device,
                Path(out_dir),
                started,
                extra_metrics={"side_by_side": len(runs)},
                provenance=provenance,
            )
            for run, dataset, out_dir in zip(runs, datasets, out_dirs, strict=True)
        ]
        last.remove()
        return metrics


def vectorised_grad(template: nn.Module, task: Task, use_vmap: bool = False) -> StepGrads:
    """(params, buffers, inputs [K, B, ...], labels [K, B], weights [K, B], rate) -> (grads, sums).

    With ``rate`` ([K], plain SGD; see ``StackedOptimizer.rate``) the stacked linear layers
    update their own parameters in the backward pass, which then have no gradient returned.
    Each model's loss is the weighted mean of its samples' losses (the weights are 1 for real
    genes, 0 for padding), its gradient that of the single engine's mean loss. Uses the stacked
    forward of ``chromexpr.train.stacked_forward`` with autograd where the architecture has one (faster), else
    (or with ``use_vmap``) ``vmap(grad(functional_call))`` with per-model randomness.
    """
    forward = None if use_vmap else stacked_forward(template)
    if forward is not None:
        fused_names = fusable_parameters(template)

        def stacked(params, buffers, inputs, labels, weights, rate=None):
            fused = fused_names if rate is not None else set()
            leaves = {
                name: value if name in fused else value.detach().requires_grad_()
                for name, value in params.items()
            }
            with torch.enable_grad():
                outputs = forward(leaves, buffers, inputs, rate)
                totals = (task.loss(outputs, labels, reduction="none") * weights).sum(1)
                mean = (totals / weights.sum(1).clamp(min=1)).sum()
                trained = [name for name in leaves if name not in fused]
                grads = torch.autograd.grad(mean, [leaves[name] for name in trained])
            return dict(zip(trained, grads, strict=True)), totals.detach()

        return stacked

    def loss(params, buffers, inputs, labels, weights):
        outputs = functional_call(template, (params, buffers), (inputs,))
        total = (task.loss(outputs, labels, reduction="none") * weights).sum()
        return total / weights.sum().clamp(min=1), total.detach()

    vectorised = vmap(grad(loss, has_aux=True), randomness="different")

    def vmapped(params, buffers, inputs, labels, weights, rate=None):
        # No fused update under vmap: every gradient is returned, the rate is not needed.
        return vectorised(params, buffers, inputs, labels, weights)

    return vmapped


def side_by_side_step(
    step_grads: StepGrads,
    optimizer: StackedOptimizer,
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    active: torch.Tensor,
    idle: list[int],
) -> torch.Tensor:
    """One step of the K models on ``batch`` (inputs [K, B, ...], labels, weights [K, B]).

    Returns each model's summed loss [K]. ``active`` [K] / ``idle`` as for
    ``StackedOptimizer.step``.
    """
    rate = optimizer.rate(active) if optimizer.fusable else None
    grads, loss = step_grads(params, buffers, *batch, rate)
    optimizer.step(grads, active, idle)
    return loss


def _step_layout(
    order: torch.Tensor, batch_size: int, n_steps: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gene index and weight [n_steps, width]: step s holds genes s*batch_size.. of ``order``."""
    index = torch.zeros(n_steps, width, dtype=torch.int64)
    weight = torch.zeros(n_steps, width, dtype=torch.float32)
    n_genes = len(order)
    if n_genes:
        if batch_size == width and n_genes == n_steps * width:
            return order.view(n_steps, width), torch.ones(n_steps, width)
        positions = torch.arange(n_genes)
        rows, columns = positions // batch_size, positions % batch_size
        index[rows, columns] = order
        weight[rows, columns] = 1.0
    return index, weight
