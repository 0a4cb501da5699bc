"""Side-by-side training: K independent models of one architecture trained in one process.

``train_side_by_side`` trains one model per (dataset, settings) pair - one per cell type, seed or
hyperparameter setting - with the K models' parameters stacked along a leading axis
(``torch.func.stack_module_state``) and every step's forward and backward vectorised over the K
models: the stacked forwards of ``chromexpr.stacked`` (grouped convolutions, batched matmuls,
batched LSTM recurrences; for plain SGD the linear layers apply their update inside the backward
pass) where the architecture has one, else ``torch.func.grad`` of ``functional_call`` under
``torch.func.vmap``. Batch-1 SGD for K models is one K-sample step.

Each model is trained exactly as ``chromexpr.training.train_cell`` trains it alone:

- initialised by ``seed_everything(seed)`` then ``build_model`` (and ``fit_input_statistics`` on
  its own training split), so its parameters at step 0 are the single run's;
- its own gene order every epoch, from its own ``torch.Generator`` seeded with its seed;
- its own batch size, learning rate with Torch7 decay lr / (1 + t * lr_decay) after its own t
  steps, momentum, weight decay, gradient-norm clipping (``grad_clip``, per model, as
  ``torch.nn.utils.clip_grad_norm_``) and optimiser state (SGD momentum buffer, Adam moments
  and step count), updated by the formulas of ``torch.optim.SGD`` and ``torch.optim.Adam``;
- its own best-validation-AUC epoch, epochs and patience: a model that has stopped is masked
  out (its parameters and optimiser state no longer change) while the others go on.

Training sets of different sizes (or different batch sizes) are padded: a model's padded genes
carry zero weight in its loss, and a model with no gene left in a step takes no step. The
outputs of each model are written by ``chromexpr.training.write_cell_outputs``, the function
``train_cell`` uses, so per-cell files are identical in layout and content; ``metrics.json`` adds
``side_by_side`` (K) and ``wall_seconds`` is the whole group's.

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
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import TrainingError
from chromexpr.evaluation import predict_outputs, scores_from_outputs
from chromexpr.models import count_parameters
from chromexpr.stacked import fusable_parameters, stacked_forward
from chromexpr.training import (
    EVALUATION_BATCH_SIZE,
    TrainingSettings,
    build_task_model,
    check_finite,
    check_labels,
    deterministic_algorithms,
    model_inputs,
    print_flush,
    resolve_device,
    seed_everything,
    selection_score,
    task_targets,
    write_cell_outputs,
)

# torch.optim.Adam's defaults, which make_optimizer keeps.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
# torch.nn.utils.clip_grad_norm_'s guard against a zero norm.
CLIP_EPS = 1e-6


def check_group(settings: Sequence[TrainingSettings]) -> None:
    """TrainingError unless the settings can be trained side by side (one architecture, device)."""
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


def check_stackable(model: nn.Module) -> None:
    """TrainingError for models the stacked trainer cannot train: a pretraining stage (frozen
    parameters) or inputs gathered from neighbouring genes."""
    if hasattr(model, "pretrain") or getattr(model, "reads_neighbours", False):
        raise TrainingError(
            f"{type(model).__name__} has a pretraining stage or reads neighbouring genes; "
            "train it one cell per job (training.side_by_side: false)"
        )


def grad_clip(settings: TrainingSettings) -> float | None:
    """The settings' gradient-norm clipping threshold (None: off, also before the field existed)."""
    return getattr(settings, "grad_clip", None)


def per_sample_loss(
    outputs: torch.Tensor, labels: torch.Tensor, task: str = "classification"
) -> torch.Tensor:
    """Loss [...] of each sample of outputs [..., n_outputs], as ``training_loss`` per sample:
    squared error (regression), cross-entropy of 2 logits, BCE of 1."""
    if task == "regression":
        return (outputs[..., 0] - labels.to(outputs.dtype)).square()
    if outputs.shape[-1] == 1:
        return F.binary_cross_entropy_with_logits(
            outputs[..., 0], labels.to(outputs.dtype), reduction="none"
        )
    flat = F.cross_entropy(
        outputs.reshape(-1, outputs.shape[-1]), labels.reshape(-1), reduction="none"
    )
    return flat.view(labels.shape)


class StackedOptimizer:
    """SGD (Torch7 lr decay, momentum, weight decay) or Adam over K stacked models, per model.

    ``params`` map names to tensors [K, ...]; every hyperparameter is a tensor [K]. ``step``
    updates only the models whose ``active`` entry is true, exactly as ``torch.optim.SGD`` /
    ``torch.optim.Adam`` (after ``clip_grad_norm_`` where ``grad_clip`` is set) update one model.
    """

    def __init__(
        self,
        params: dict[str, torch.Tensor],
        settings: Sequence[TrainingSettings],
        device: torch.device,
    ) -> None:
        optimizers = {s.optimizer for s in settings}
        if len(optimizers) != 1:
            raise TrainingError(
                f"side-by-side training needs one optimizer for every model; got {optimizers}"
            )
        self.kind = optimizers.pop()
        self.params = params

        def column(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
            return torch.tensor(values, dtype=dtype, device=device)

        self.learning_rate = column([s.learning_rate for s in settings])
        self.lr_decay = column([s.lr_decay for s in settings])
        self.momentum = column([s.momentum for s in settings], torch.float32)
        self.weight_decay = column([s.weight_decay for s in settings], torch.float32)
        clips = [grad_clip(s) for s in settings]
        self.clip = column([math.inf if c is None else c for c in clips], torch.float32)
        self.clipping = column([c is not None for c in clips], torch.bool)
        self.any_clipping = any(c is not None for c in clips)
        self.any_weight_decay = any(s.weight_decay for s in settings)
        self.any_momentum = any(s.momentum for s in settings)
        # Plain SGD (the published recipe): the update is -lr * gradient, which the stacked
        # linear layers apply in their backward pass without storing the gradient.
        self.fusable = (
            self.kind == "sgd"
            and not self.any_momentum
            and not self.any_weight_decay
            and not self.any_clipping
        )
        # Steps each model has taken: its decay's t and Adam's bias-correction step.
        self.steps = torch.zeros(len(settings), dtype=torch.float64, device=device)
        zeros = {name: torch.zeros_like(value) for name, value in params.items()}
        if self.kind == "adam":
            self.exp_avg = zeros
            self.exp_avg_sq = {name: torch.zeros_like(value) for name, value in params.items()}
        elif self.any_momentum:
            self.buffer = zeros

    def rate(self, active: torch.Tensor) -> torch.Tensor:
        """This step's plain-SGD rate [K] float32: the decayed learning rate, 0 where idle."""
        lr = self.learning_rate / (1 + self.steps * self.lr_decay)
        return (lr * active.to(torch.float64)).to(torch.float32)

    def step(self, grads: dict[str, torch.Tensor], active: torch.Tensor, idle: list[int]) -> None:
        """One optimiser step of the ``active`` [K] models with their gradients [K, ...].

        ``idle`` lists the models that take no step (``~active``, as Python ints): their
        parameters and optimiser state are put back after the update, which runs on all K.
        Parameters missing from ``grads`` were already updated (fused plain SGD, see ``rate``).
        """
        with torch.no_grad():
            saved = self._save(idle)
            if self.any_clipping:
                grads = self._clip(grads)
            lr = self.learning_rate / (1 + self.steps * self.lr_decay)
            if self.kind == "adam":
                self._adam(grads, lr)
            else:
                self._sgd(grads, lr.to(torch.float32))
            self.steps += active.to(torch.float64)
            self._restore(idle, saved)

    def _state(self) -> list[dict[str, torch.Tensor]]:
        if self.kind == "adam":
            return [self.params, self.exp_avg, self.exp_avg_sq]
        return [self.params, self.buffer] if self.any_momentum else [self.params]

    def _save(self, idle: list[int]) -> list[dict[str, torch.Tensor]]:
        if not idle:
            return []
        return [
            {name: value[idle].clone() for name, value in part.items()} for part in self._state()
        ]

    def _restore(self, idle: list[int], saved: list[dict[str, torch.Tensor]]) -> None:
        if not idle:
            return
        for part, copies in zip(self._state(), saved, strict=True):
            for name, value in part.items():
                value[idle] = copies[name]

    def _clip(self, grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        norms = torch.stack(
            [torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads.values()], dim=1
        )
        total = torch.linalg.vector_norm(norms, dim=1)
        coefficient = torch.clamp(self.clip / (total + CLIP_EPS), max=1.0)
        coefficient = torch.where(self.clipping, coefficient, torch.ones_like(coefficient))
        return {name: g * _expand(coefficient, g) for name, g in grads.items()}

    def _sgd(self, grads: dict[str, torch.Tensor], lr: torch.Tensor) -> None:
        for name, param in self.params.items():
            if name not in grads:
                continue
            update = grads[name]
            if self.any_weight_decay:
                update = update.addcmul(_expand(self.weight_decay, param), param)
            if self.any_momentum:
                # torch starts the buffer at the first gradient: momentum * 0 + g is that.
                buffer = self.buffer[name]
                buffer.mul_(_expand(self.momentum, buffer)).add_(update)
                update = buffer
            # As [K, n]: a [K, 1] factor broadcasts far faster than a [K, 1, 1, ...] one.
            param.view(len(lr), -1).addcmul_(update.reshape(len(lr), -1), -lr[:, None])

    def _adam(self, grads: dict[str, torch.Tensor], lr: torch.Tensor) -> None:
        beta1, beta2 = ADAM_BETAS
        step = self.steps + 1
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = torch.sqrt(1 - beta2**step)
        step_size = (lr / bias_correction1).to(torch.float32)
        root = bias_correction2_sqrt.to(torch.float32)
        for name, param in self.params.items():
            g = grads[name]
            if self.any_weight_decay:
                g = g.addcmul(_expand(self.weight_decay, param), param)
            exp_avg, exp_avg_sq = self.exp_avg[name], self.exp_avg_sq[name]
            exp_avg.lerp_(g, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = exp_avg_sq.sqrt().div_(_expand(root, param)).add_(ADAM_EPS)
            param.sub_(exp_avg.div(denom).mul_(_expand(step_size, param)))


def _expand(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values`` [K] viewed as [K, 1, ...] to broadcast against ``like`` [K, ...]."""
    return values.view(-1, *([1] * (like.dim() - 1)))


class _Member:
    """One of the K models: its data, settings, single-run-initialised model and progress."""

    def __init__(
        self,
        dataset: CellDataset,
        settings: TrainingSettings,
        out_dir: Path,
        device: torch.device,
    ) -> None:
        check_labels(dataset, settings.task)
        self.dataset, self.settings, self.out_dir = dataset, settings, Path(out_dir)
        self.name = f"{settings.model} on cell {dataset.cell}"
        # The order of train_cell: seed, model, inputs, then the shuffling generator.
        seed_everything(settings.seed)
        _, n_marks, n_bins = dataset.counts.shape
        self.model = build_task_model(settings, n_marks, n_bins).to(device)
        check_stackable(self.model)
        inputs = model_inputs(self.model, dataset, settings.input_transform)
        self.features = {
            split: torch.as_tensor(inputs[dataset.mask(split)], device=device) for split in SPLITS
        }
        # The task's targets: 0/1 labels, or log(RPKM + 1) for regression.
        self.labels = {split: task_targets(dataset, settings.task, split) for split in SPLITS}
        self.train_labels = torch.as_tensor(self.labels["train"], device=device)
        if hasattr(self.model, "fit_input_statistics"):
            self.model.fit_input_statistics(self.features["train"])
        self.shuffling = torch.Generator().manual_seed(settings.seed)
        self.history: list[tuple[int, float, float, float]] = []
        self.best_auc, self.best_epoch = -math.inf, 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.training = True

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.settings.batch_size)


def train_side_by_side(
    datasets: Sequence[CellDataset],
    settings: Sequence[TrainingSettings],
    out_dirs: Sequence[Path],
    log: Callable[[str], None] = print_flush,
) -> list[dict[str, Any]]:
    """Train ``settings[k].model`` on ``datasets[k]`` into ``out_dirs[k]`` for every k, side by side.

    Writes what ``train_cell`` writes into each folder and returns each model's metrics. The
    models must share the architecture (model name and ``model_params``), device and optimiser.
    """
    started = time.perf_counter()
    if not len(datasets) == len(settings) == len(out_dirs):
        raise TrainingError(
            f"side-by-side training got {len(datasets)} datasets, {len(settings)} settings "
            f"and {len(out_dirs)} output folders; one of each per model"
        )
    check_group(settings)
    device = resolve_device(settings[0].device)
    k = len(settings)
    with deterministic_algorithms(device):
        members = [
            _Member(dataset, setting, out_dir, device)
            for dataset, setting, out_dir in zip(datasets, settings, out_dirs, strict=True)
        ]
        # Dropout masks come from the global generator, one independent draw per model.
        seed_everything(settings[0].seed)
        params, buffers = stack_module_state([member.model for member in members])
        params = {name: value.detach() for name, value in params.items()}
        template = copy.deepcopy(members[0].model).to("meta").train()
        optimizer = StackedOptimizer(params, settings, device)
        step_grads = vectorised_grad(template, task=settings[0].task)
        n_parameters = count_parameters(members[0].model)
        log(
            f"side by side: {k} x {settings[0].model} ({n_parameters:,} parameters each), "
            f"device {device}, optimizer {optimizer.kind}; cells "
            + ", ".join(member.dataset.cell for member in members)
        )
        for epoch in range(1, max(s.epochs for s in settings) + 1):
            for member in members:
                member.training = member.training and epoch <= member.settings.epochs
            if not any(member.training for member in members):
                break
            epoch_started = time.perf_counter()
            losses = _train_epoch(members, params, buffers, optimizer, step_grads, device)
            seconds = time.perf_counter() - epoch_started
            _validate(members, params, epoch, losses, seconds, device, log)
        for member in members:
            member.model.load_state_dict(member.best_state)
        metrics = [
            write_cell_outputs(
                member.dataset,
                member.settings,
                member.model,
                member.features,
                member.labels,
                member.history,
                member.best_epoch,
                device,
                member.out_dir,
                started,
                log,
                extra_metrics={"side_by_side": k},
            )
            for member in members
        ]
    return metrics


def vectorised_grad(
    template: nn.Module, use_vmap: bool = False, task: str = "classification"
) -> Callable[..., tuple[dict, torch.Tensor]]:
    """(params, buffers, inputs [K, B, ...], labels [K, B], weights [K, B], rate) -> (grads, sums).

    With ``rate`` ([K], plain SGD; see ``StackedOptimizer.rate``) the stacked linear layers
    update their own parameters in the backward pass, which then have no gradient returned.
    Each model's loss is the weighted mean of its samples' losses (the weights are 1 for real
    genes, 0 for padding), its gradient that of ``train_epoch``'s mean loss. Uses the stacked
    forward of ``chromexpr.stacked`` with autograd where the architecture has one (faster), else
    (or with ``use_vmap``) ``vmap(grad(functional_call))`` with per-model randomness.
    """
    forward = None if use_vmap else stacked_forward(template)
    if forward is not None:
        fused_names = fusable_parameters(template)

        def stacked(
            params: dict[str, torch.Tensor],
            buffers: dict[str, torch.Tensor],
            inputs: torch.Tensor,
            labels: torch.Tensor,
            weights: torch.Tensor,
            rate: torch.Tensor | None = None,
        ) -> tuple[dict, torch.Tensor]:
            fused = fused_names if rate is not None else set()
            leaves = {
                name: value if name in fused else value.detach().requires_grad_()
                for name, value in params.items()
            }
            with torch.enable_grad():
                outputs = forward(leaves, buffers, inputs, rate)
                totals = (per_sample_loss(outputs, labels, task) * weights).sum(1)
                mean = (totals / weights.sum(1).clamp(min=1)).sum()
                trained = [name for name in leaves if name not in fused]
                grads = torch.autograd.grad(mean, [leaves[name] for name in trained])
            return dict(zip(trained, grads, strict=True)), totals.detach()

        return stacked

    def loss(
        params: dict[str, torch.Tensor],
        buffers: dict[str, torch.Tensor],
        inputs: torch.Tensor,
        labels: torch.Tensor,
        weights: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        outputs = functional_call(template, (params, buffers), (inputs,))
        total = (per_sample_loss(outputs, labels, task) * weights).sum()
        return total / weights.sum().clamp(min=1), total.detach()

    vectorised = vmap(grad(loss, has_aux=True), randomness="different")

    def vmapped(
        params: dict[str, torch.Tensor],
        buffers: dict[str, torch.Tensor],
        inputs: torch.Tensor,
        labels: torch.Tensor,
        weights: torch.Tensor,
        rate: torch.Tensor | None = None,
    ) -> tuple[dict, torch.Tensor]:
        return vectorised(params, buffers, inputs, labels, weights)

    return vmapped


def _train_epoch(
    members: list[_Member],
    params: dict[str, torch.Tensor],
    buffers: dict[str, torch.Tensor],
    optimizer: StackedOptimizer,
    step_grads: Callable[..., tuple[dict, torch.Tensor]],
    device: torch.device,
) -> torch.Tensor:
    """One epoch of every model still training; returns each model's mean loss [K] (NaN if idle)."""
    batch = max(member.settings.batch_size for member in members)
    n_steps = max(member.steps_per_epoch() for member in members if member.training)
    inputs, labels, weights = [], [], []
    for member in members:
        # Drawn only while the model trains, as train_cell draws one order per epoch it runs.
        order = (
            torch.randperm(member.n_train, generator=member.shuffling)
            if member.training
            else torch.zeros(0, dtype=torch.int64)
        )
        index, weight = _step_layout(order, member.settings.batch_size, n_steps, batch)
        index, weight = index.to(device), weight.to(device)
        inputs.append(member.features["train"][index])
        labels.append(member.train_labels[index])
        weights.append(weight)
    # [K, steps, batch, ...]: every step is then one view, as in train_epoch.
    inputs_, labels_, weights_ = torch.stack(inputs), torch.stack(labels), torch.stack(weights)
    actives = weights_.sum(dim=2) > 0  # [K, steps]
    idle = [(~column).nonzero().flatten().tolist() for column in actives.T.cpu()]
    loss_sum = torch.zeros(len(members), device=device)
    for step in range(n_steps):
        loss = side_by_side_step(
            step_grads,
            optimizer,
            params,
            buffers,
            (inputs_[:, step], labels_[:, step], weights_[:, step]),
            actives[:, step],
            idle[step],
        )
        loss_sum += loss
    counts = weights_.sum(dim=(1, 2))
    return torch.where(counts > 0, loss_sum / counts.clamp(min=1), torch.nan).cpu()


def side_by_side_step(
    step_grads: Callable[..., tuple[dict, torch.Tensor]],
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


def _validate(
    members: list[_Member],
    params: dict[str, torch.Tensor],
    epoch: int,
    losses: torch.Tensor,
    seconds: float,
    device: torch.device,
    log: Callable[[str], None],
) -> None:
    """Score each training model's validation genes, keep its best epoch, apply its patience."""
    for index, member in enumerate(members):
        if not member.training:
            continue
        settings = member.settings
        with torch.no_grad():
            for name, parameter in member.model.named_parameters():
                parameter.copy_(params[name][index])
        loss = float(losses[index])
        probabilities = scores_from_outputs(
            predict_outputs(member.model, member.features["valid"], device, EVALUATION_BATCH_SIZE),
            settings.task,
        )
        check_finite(f"{member.name} (side by side)", epoch, loss, probabilities)
        valid_auc = selection_score(member.labels["valid"], probabilities, settings.task)
        metric = "Pearson r" if settings.task == "regression" else "AUC"
        if valid_auc > member.best_auc:
            member.best_auc, member.best_epoch = valid_auc, epoch
            member.best_state = {
                key: value.detach().cpu().clone()
                for key, value in member.model.state_dict().items()
            }
        member.history.append((epoch, loss, valid_auc, seconds))
        log(
            f"{member.name}: epoch {epoch}/{settings.epochs} loss {loss:.4f} "
            f"valid {metric} {valid_auc:.4f} {seconds:.1f}s; best {member.best_auc:.4f} "
            f"(epoch {member.best_epoch})"
        )
        if settings.patience is not None and epoch - member.best_epoch >= settings.patience:
            log(
                f"{member.name}: no better validation {metric} for {settings.patience} epochs; stopping"
            )
            member.training = False
