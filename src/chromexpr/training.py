"""The training harness every model shares: one cell type's dataset in; checkpoint and metrics out.

Recipes (``training.recipe`` in the config; ``epochs``, ``batch_size``, ``learning_rate``,
``patience``, ``input_transform``, ``seed`` and ``device`` may override a recipe's value):

=============  ======  =====  ============================  ========  ========  =====  ====
recipe         epochs  batch  optimiser                     lr decay  patience  input  seed
=============  ======  =====  ============================  ========  ========  =====  ====
``published``  100     1      SGD lr 1e-3, no momentum      1e-7      none      raw    1
``fast``       30      64     Adam lr 3e-4                  none      10        raw    1
=============  ======  =====  ============================  ========  ========  =====  ====

The table's ``published`` row is DeepChrome's; every other model's class states, in
``PUBLISHED_RECIPE``, the values its own paper used instead (AttentiveChrome: Adam 2e-4, batch 16,
30 epochs, gradient clipping 1), and ``published`` means the model's own recipe. ``fast`` is the
same for every model, except that a model whose paper clips gradients keeps its ``grad_clip``.

Tasks (``task`` in the config): ``classification`` predicts high/low expression (label 1 when
RPKM >= the cell's median), trained with cross-entropy (two logits) or binary cross-entropy (one
logit), selected and scored by AUC; ``regression`` predicts log(RPKM + 1) with one output and the
mean squared error, selected by the validation Pearson correlation and scored by Pearson and
Spearman correlation.

DeepChrome's recipe is Singh et al. 2016's: plain SGD with Torch7 ``optim.sgd``'s
learning-rate decay (lr_t = lr / (1 + t * decay) after t steps), no weight decay, the training
genes shuffled every epoch, the epoch with the best validation AUC kept. ``fast`` keeps the model,
the raw input and that model selection, and changes only the optimisation: Adam is insensitive to
the scale of raw counts, where SGD with momentum would need a learning rate tuned to it, and 3e-4
rises to its best validation AUC over 10-20 epochs rather than peaking after a handful, so the
selected epoch depends less on validation noise. Measured on synthetic REMC-like cells
(``benchmarks/training.py --compare-auc --genes N --data-seed S``, CPU, 1 thread):

=====================================  ==========================  ==========================
training / valid / test genes          ``published`` test AUC, s   ``fast`` test AUC, s
=====================================  ==========================  ==========================
1000 / 500 / 500, data seeds 0 1 2      0.864 0.839 0.849 (64 s)    0.866 0.844 0.847 (5 s)
6601 / 3300 / 3300                     0.873 (379 s)               0.873 (18 s)
=====================================  ==========================  ==========================

Measured cost of the DeepChrome CNN, 6601 training + 6601 validation genes
(``benchmarks/training.py``, this 2-core AMD EPYC VM, torch 2.13 CPU):

=============  ==================  ==================  ===================  =================
recipe         s/epoch, 2 threads  s/epoch, 1 thread   per cell, 2 threads  56 cells
=============  ==================  ==================  ===================  =================
``published``  3.4-3.9 + 0.1       3.7-3.9 + 0.2       6-6.6 min (100 ep.)  5.5-6.2 h
``fast``       0.6-0.75 + 0.1      1.0 + 0.2           21-26 s (<= 30 ep.)  20-24 min
=============  ==================  ==================  ===================  =================

(training + validation scoring; the published epoch extrapolated from 500 timed steps of batch 1,
about 0.55 ms a step.) A batch-1 step is too small to share between threads: a second thread buys
nothing, and on a busy machine a descheduled thread stalls the other, which made whole published
runs 10-20 times slower here. Give the published recipe one thread per cell.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from chromexpr.atomic import atomic_path
from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import ConfigError, TrainingError
from chromexpr.evaluation import auc, correlations, predict_outputs, scores_from_outputs
from chromexpr.models import build_model, count_parameters, model_class
from chromexpr.neighbours import neighbour_index

RECIPES: dict[str, dict[str, Any]] = {
    "published": {
        "epochs": 100,
        "batch_size": 1,
        "optimizer": "sgd",
        "learning_rate": 1e-3,
        "lr_decay": 1e-7,
        "momentum": 0.0,
        "weight_decay": 0.0,
        "patience": None,
        "input_transform": "raw",
        "seed": 1,
        "device": "auto",
        "grad_clip": None,
    },
    "fast": {
        "epochs": 30,
        "batch_size": 64,
        "optimizer": "adam",
        "learning_rate": 3e-4,
        "lr_decay": 0.0,
        "momentum": 0.0,
        "weight_decay": 0.0,
        "patience": 10,
        "input_transform": "raw",
        "seed": 1,
        "device": "auto",
        "grad_clip": None,
    },
}
# The config keys that override a recipe value; the optimiser itself is fixed by the recipe.
OVERRIDABLE = (
    "epochs",
    "batch_size",
    "learning_rate",
    "patience",
    "input_transform",
    "seed",
    "device",
    "grad_clip",
)
# Keys of the config's ``training:`` that choose how the workflow runs the training, not what is
# trained: ``from_config`` accepts and ignores them (``side_by_side``: see ``chromexpr.batched``).
WORKFLOW_KEYS = ("side_by_side", "side_by_side_group_size")
OPTIMIZERS = ("sgd", "adam")
INPUT_TRANSFORMS = ("raw", "log1p")
DEVICES = ("auto", "cpu", "cuda")
TASKS = ("classification", "regression")
# Genes scored per forward pass when evaluating; large enough to amortise, small enough for any GPU.
EVALUATION_BATCH_SIZE = 1024


def print_flush(line: str) -> None:
    """Default log: stdout, flushed so a Snakemake log shows progress while a job runs."""
    print(line, flush=True)


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that determines a training run (with the dataset); hashed into ``config_hash``."""

    model: str
    recipe: str
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    lr_decay: float
    momentum: float
    weight_decay: float
    patience: int | None
    input_transform: str
    seed: int
    device: str
    grad_clip: float | None = None
    task: str = "classification"
    model_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        model_class(self.model)
        for name in ("epochs", "batch_size"):
            _require(
                name, _is_int(getattr(self, name)) and getattr(self, name) >= 1, "an integer >= 1"
            )
        _require("seed", _is_int(self.seed), "an integer")
        _require(
            "patience",
            self.patience is None or (_is_int(self.patience) and self.patience >= 1),
            "null (no early stopping) or an integer >= 1",
        )
        _require("learning_rate", _is_number(self.learning_rate) and self.learning_rate > 0, "> 0")
        for name in ("lr_decay", "momentum", "weight_decay"):
            _require(name, _is_number(getattr(self, name)) and getattr(self, name) >= 0, ">= 0")
        _require(
            "grad_clip",
            self.grad_clip is None or (_is_number(self.grad_clip) and self.grad_clip > 0),
            "null (no clipping) or a number > 0",
        )
        _require("optimizer", self.optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}")
        _require(
            "input_transform",
            self.input_transform in INPUT_TRANSFORMS,
            f"one of {INPUT_TRANSFORMS}",
        )
        _require("device", self.device in DEVICES, f"one of {DEVICES}")
        if self.task not in TASKS:
            raise ConfigError("task", f"must be one of {TASKS}, not {self.task!r}")

    @classmethod
    def from_config(
        cls,
        model: str,
        training: Mapping[str, Any],
        model_params: Mapping[str, Any] | None = None,
        task: str = "classification",
    ) -> TrainingSettings:
        """Settings of ``model`` from the config's ``training:`` mapping (a recipe plus overrides).

        ``model_params`` are the model's constructor hyperparameters (published values by default).
        """
        unknown = set(training) - {"recipe", *OVERRIDABLE, *WORKFLOW_KEYS}
        if unknown:
            key = sorted(unknown)[0]
            raise ConfigError(f"training.{key}", f"unknown key; known: {['recipe', *OVERRIDABLE]}")
        recipe = training.get("recipe", "published")
        if recipe not in RECIPES:
            raise ConfigError(
                "training.recipe", f"unknown recipe {recipe!r}; known: {sorted(RECIPES)}"
            )
        own = getattr(model_class(model), "PUBLISHED_RECIPE", {})
        model_recipe = own if recipe == "published" else {"grad_clip": own.get("grad_clip")}
        values = {
            **RECIPES[recipe],
            **model_recipe,
            **{key: training[key] for key in OVERRIDABLE if key in training},
        }
        return cls(
            model=model, recipe=recipe, task=task, model_params=dict(model_params or {}), **values
        )

    def config_hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the settings as sorted JSON."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _require(name: str, ok: bool, expected: str) -> None:
    if not ok:
        raise ConfigError(f"training.{name}", f"must be {expected}")


def resolve_device(requested: str) -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a usable GPU is a TrainingError."""
    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if requested == "cuda":
        raise TrainingError(
            "training.device is 'cuda' but torch sees no CUDA device "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
            "set training.device to 'auto' or 'cpu', or run on a GPU node"
        )
    return torch.device("cpu")


def transform_inputs(counts: np.ndarray, input_transform: str) -> np.ndarray:
    """Model input float32 [genes, marks, bins] from counts [genes, marks, bins]."""
    values = np.asarray(counts, dtype=np.float32)
    if input_transform == "log1p":
        return np.log1p(values)
    return values


def build_task_model(settings: TrainingSettings, n_marks: int, n_bins: int) -> nn.Module:
    """``settings.model`` with its hyperparameters; one output for regression."""
    params = dict(settings.model_params)
    if settings.task == "regression":
        params["n_outputs"] = 1
    return build_model(settings.model, n_marks, n_bins, **params)


def model_inputs(
    model: nn.Module, dataset: CellDataset, input_transform: str, split: str | None = None
) -> np.ndarray:
    """Model input float32 of the genes of ``split`` (every gene when None).

    [genes, marks, bins] for models of one gene; [genes, 1 + k, marks, bins] for models that read
    each gene's k neighbours too (``model.neighbours`` > 0 or ``model.reads_neighbours``), the gene
    itself first. Neighbours are looked up among all genes of the dataset, whatever their split:
    their histone marks are inputs, never their labels.
    """
    values = transform_inputs(dataset.counts, input_transform)
    if getattr(model, "reads_neighbours", False):
        index = neighbour_index(dataset.chrom, dataset.tss, model.neighbours, model.neighbour_order)
        values = values[np.concatenate([np.arange(dataset.n_genes)[:, None], index], axis=1)]
    return values if split is None else values[dataset.mask(split)]


def task_targets(dataset: CellDataset, task: str, split: str) -> np.ndarray:
    """Training targets of ``split``: 0/1 labels (int64), or log(RPKM + 1) (float32)."""
    mask = dataset.mask(split)
    if task == "regression":
        return np.log1p(dataset.rpkm[mask]).astype(np.float32)
    return dataset.labels[mask].astype(np.int64)


def training_loss(outputs: torch.Tensor, targets: torch.Tensor, task: str) -> torch.Tensor:
    """MSE (regression), cross-entropy (two logits) or binary cross-entropy (one logit)."""
    if task == "regression":
        return F.mse_loss(outputs[:, 0], targets)
    if outputs.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(outputs[:, 0], targets.to(outputs.dtype))
    return F.cross_entropy(outputs, targets)


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


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    features: torch.Tensor,
    labels: torch.Tensor,
    order: torch.Tensor,
    settings: TrainingSettings,
    steps_taken: int,
) -> tuple[float, int]:
    """One pass over the training genes in ``order``; returns (mean loss, steps taken in all).

    ``features`` (the model's input, one row per gene) and ``labels`` [genes] (the task's
    targets) live on the model's device. ``steps_taken`` counts the optimiser steps of earlier
    epochs, for the learning-rate decay. A non-finite mean loss is returned as is; the caller
    decides what it means.
    """
    model.train()
    # One gather per epoch; every batch is then a view, which keeps batch-size-1 steps cheap.
    shuffled_features = features[order]
    shuffled_labels = labels[order]
    n_genes = len(shuffled_labels)
    loss_sum = torch.zeros((), device=features.device)
    for start in range(0, n_genes, settings.batch_size):
        if settings.lr_decay:
            decayed = settings.learning_rate / (1 + steps_taken * settings.lr_decay)
            for group in optimizer.param_groups:
                group["lr"] = decayed
        stop = min(start + settings.batch_size, n_genes)
        loss = training_loss(
            model(shuffled_features[start:stop]), shuffled_labels[start:stop], settings.task
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        # Summed on the device: a .item() per step would synchronise a GPU every step.
        loss_sum.add_(loss.detach(), alpha=stop - start)
        steps_taken += 1
    return loss_sum.item() / n_genes, steps_taken


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def deterministic_algorithms(device: torch.device) -> Iterator[None]:
    """Make torch pick deterministic kernels inside the block; restore the previous choice after.

    Cheap for these models on CPU and GPU; ``warn_only`` so that a kernel without a deterministic
    version warns instead of stopping a day-long run.
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    if device.type == "cuda":
        # cuBLAS is deterministic only with a fixed workspace, read when its handle is created.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.backends.cudnn.benchmark = previous[2]


@contextlib.contextmanager
def out_of_memory_advice(
    name: str, settings: TrainingSettings, device: torch.device
) -> Iterator[None]:
    """Turn running out of GPU or CPU memory inside the block into a TrainingError with advice."""
    try:
        yield
    except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as error:
        message = str(error)
        if not isinstance(error, torch.cuda.OutOfMemoryError | MemoryError) and not any(
            phrase in message for phrase in ("out of memory", "not enough memory")
        ):
            raise
        raise TrainingError(
            f"{name}: out of memory on {device} ({type(error).__name__}: "
            f"{message.splitlines()[0] if message else 'no details'}); lower training.batch_size "
            f"(now {settings.batch_size}) or train on a device with more memory"
        ) from error


def check_labels(dataset: CellDataset, task: str = "classification") -> None:
    """TrainingError unless every split can be scored: both classes for classification (else its
    AUC is undefined), finite RPKM of at least two distinct values for regression."""
    for split in SPLITS:
        mask = dataset.mask(split)
        if task == "regression":
            rpkm = dataset.rpkm[mask]
            if not np.all(np.isfinite(rpkm)) or len(np.unique(rpkm)) < 2:
                raise TrainingError(
                    f"cell {dataset.cell}: the {split} split's RPKM ({len(rpkm)} genes) must be "
                    "finite and take at least two values for a correlation"
                )
            continue
        labels = dataset.labels[mask]
        classes = np.unique(labels)
        if len(classes) < 2:
            found = f"only class {classes.tolist()}" if len(classes) else "no genes"
            raise TrainingError(
                f"cell {dataset.cell}: the {split} split has {found} ({len(labels)} genes); "
                "training and AUC need both classes"
            )


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


def selection_score(targets: np.ndarray, scores: np.ndarray, task: str) -> float:
    """The validation figure the best epoch maximises: AUC, or Pearson r for regression."""
    if task == "regression":
        return correlations(targets, scores)["pearson"]
    return auc(targets, scores)


def task_metrics(
    targets: np.ndarray, scores: np.ndarray, task: str, split: str
) -> dict[str, float]:
    """``{split}_auc``, or ``{split}_pearson`` and ``{split}_spearman`` for regression."""
    if task == "regression":
        return {f"{split}_{name}": value for name, value in correlations(targets, scores).items()}
    return {f"{split}_auc": auc(targets, scores)}


def train_cell(
    dataset: CellDataset,
    settings: TrainingSettings,
    out_dir: Path,
    log: Callable[[str], None] = print_flush,
) -> dict[str, Any]:
    """Train ``settings.model`` on one cell type; keep the epoch with the best validation score.

    Writes into ``out_dir`` (each file atomically): ``model.pt`` (the best state_dict, loadable
    with ``torch.load(path, weights_only=True)``), ``history.tsv`` (one row per epoch),
    ``predictions.tsv`` (the score of every test gene, in dataset order: p(high) or the
    predicted log(RPKM + 1)), ``attention.npz`` for models with attention, and ``metrics.json``
    (returned as a dict). Deterministic for the same settings on the same device.
    """
    started = time.perf_counter()
    task = settings.task
    name = f"{settings.model} on cell {dataset.cell}"
    device = resolve_device(settings.device)
    check_labels(dataset, task)
    with deterministic_algorithms(device), out_of_memory_advice(name, settings, device):
        seed_everything(settings.seed)
        _, n_marks, n_bins = dataset.counts.shape
        model = build_task_model(settings, n_marks, n_bins).to(device)
        inputs = model_inputs(model, dataset, settings.input_transform)
        features = {
            split: torch.as_tensor(inputs[dataset.mask(split)], device=device) for split in SPLITS
        }
        targets = {split: task_targets(dataset, task, split) for split in SPLITS}
        train_targets = torch.as_tensor(targets["train"], device=device)
        if hasattr(model, "fit_input_statistics"):
            model.fit_input_statistics(features["train"])
        if hasattr(model, "pretrain"):
            model.pretrain(features["train"], log=lambda line: log(f"{name}: {line}"))
        optimizer = make_optimizer(model, settings)
        # A generator of its own, on the CPU: the gene order does not depend on the device.
        shuffling = torch.Generator().manual_seed(settings.seed)
        n_parameters = count_parameters(model)
        metric = "Pearson r" if task == "regression" else "AUC"
        log(
            f"{name}: {n_parameters:,} parameters, {task}, recipe {settings.recipe} "
            f"(config {settings.config_hash()}), device {device}, "
            + ", ".join(f"{len(targets[split])} {split}" for split in SPLITS)
            + " genes"
        )

        history: list[tuple[int, float, float, float]] = []
        best_score, best_epoch, best_state = -math.inf, 0, None
        steps_taken = 0
        for epoch in range(1, settings.epochs + 1):
            epoch_started = time.perf_counter()
            order = torch.randperm(len(train_targets), generator=shuffling).to(device)
            loss, steps_taken = train_epoch(
                model, optimizer, features["train"], train_targets, order, settings, steps_taken
            )
            valid_scores = scores_from_outputs(
                predict_outputs(model, features["valid"], device, EVALUATION_BATCH_SIZE), task
            )
            check_finite(name, epoch, loss, valid_scores)
            valid_score = selection_score(targets["valid"], valid_scores, task)
            if valid_score > best_score:
                best_score, best_epoch = valid_score, epoch
                best_state = {
                    key: value.detach().cpu().clone() for key, value in model.state_dict().items()
                }
            seconds = time.perf_counter() - epoch_started
            history.append((epoch, loss, valid_score, seconds))
            log(
                f"{name}: epoch {epoch}/{settings.epochs} loss {loss:.4f} "
                f"valid {metric} {valid_score:.4f} {seconds:.1f}s; "
                f"best {best_score:.4f} (epoch {best_epoch})"
            )
            if settings.patience is not None and epoch - best_epoch >= settings.patience:
                log(
                    f"{name}: no better validation {metric} for {settings.patience} epochs; stopping"
                )
                break

        model.load_state_dict(best_state)
        return write_cell_outputs(
            dataset,
            settings,
            model,
            features,
            targets,
            history,
            best_epoch,
            device,
            out_dir,
            started,
            log,
        )


def write_cell_outputs(
    dataset: CellDataset,
    settings: TrainingSettings,
    model: nn.Module,
    features: Mapping[str, torch.Tensor],
    targets: Mapping[str, np.ndarray],
    history: list[tuple[int, float, float, float]],
    best_epoch: int,
    device: torch.device,
    out_dir: Path,
    started: float,
    log: Callable[[str], None] = print_flush,
    extra_metrics: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score ``model`` (holding the kept epoch's weights) on every split and write the cell's files.

    Shared by ``train_cell`` and the side-by-side trainer (``chromexpr.batched``), so both write
    the same files (``write_training_outputs``) and return the same ``metrics.json`` content
    (``extra_metrics`` added). ``features`` and ``targets`` are the model's inputs and the task's
    targets per split; ``history`` rows are (epoch, mean training loss, validation score,
    seconds); ``started`` is the ``time.perf_counter()`` of the run's start.
    """
    task = settings.task
    scores = {
        split: scores_from_outputs(
            predict_outputs(model, features[split], device, EVALUATION_BATCH_SIZE), task
        )
        for split in SPLITS
    }
    attention = _test_attention(model, features["test"], device)
    metrics: dict[str, Any] = {
        "cell": dataset.cell,
        "model": settings.model,
        "recipe": settings.recipe,
        "task": task,
    }
    for split in SPLITS:
        metrics.update(task_metrics(targets[split], scores[split], task, split))
    metrics.update(
        {
            "best_epoch": best_epoch,
            "epochs_run": len(history),
            "wall_seconds": round(time.perf_counter() - started, 3),
            "seconds_per_epoch": round(sum(row[3] for row in history) / len(history), 4),
            "device": device.type,
            "n_parameters": count_parameters(model),
            "config_hash": settings.config_hash(),
            "n_train": len(targets["train"]),
            "n_valid": len(targets["valid"]),
            "n_test": len(targets["test"]),
            "settings": asdict(settings),
            **(extra_metrics or {}),
        }
    )
    log(
        f"{settings.model} on cell {dataset.cell}: best epoch {best_epoch}; "
        + ", ".join(
            f"{key} {value:.4f}" for key, value in metrics.items() if key.startswith(SPLITS)
        )
    )
    best_state = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    write_training_outputs(
        Path(out_dir),
        dataset,
        settings,
        best_state,
        history,
        targets["test"],
        scores["test"],
        attention,
        metrics,
    )
    return metrics


def _test_attention(
    model: nn.Module, test_features: torch.Tensor, device: torch.device
) -> dict[str, np.ndarray] | None:
    """The model's attention weights over the test genes, or None for models without attention."""
    if not hasattr(model, "attention"):
        return None
    model.eval()
    chunks: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode():
        for start in range(0, len(test_features), EVALUATION_BATCH_SIZE):
            weights = model.attention(test_features[start : start + EVALUATION_BATCH_SIZE])
            for key, value in weights.items():
                chunks.setdefault(key, []).append(value.float().cpu())
    return {key: torch.cat(values).numpy() for key, values in chunks.items()}


def write_training_outputs(
    out_dir: Path,
    dataset: CellDataset,
    settings: TrainingSettings,
    best_state: Mapping[str, torch.Tensor],
    history: list[tuple[int, float, float, float]],
    test_targets: np.ndarray,
    test_scores: np.ndarray,
    attention: Mapping[str, np.ndarray] | None,
    metrics: Mapping[str, Any],
) -> None:
    """Write model.pt, history.tsv, predictions.tsv, attention.npz (if any) and metrics.json last,
    each atomically, so a metrics.json on disk means the run's files are complete."""
    with atomic_path(out_dir / "model.pt") as tmp:
        torch.save(dict(best_state), tmp)
    valid_column = "valid_pearson" if settings.task == "regression" else "valid_auc"
    _write_tsv(
        out_dir / "history.tsv",
        ("epoch", "loss", valid_column, "seconds"),
        [
            (epoch, f"{loss:.6g}", f"{valid:.6f}", f"{sec:.3f}")
            for epoch, loss, valid, sec in history
        ],
    )
    test_mask = dataset.mask("test")
    header = (
        ("gene_id", "log_rpkm", "prediction")
        if settings.task == "regression"
        else ("gene_id", "label", "probability")
    )
    _write_tsv(
        out_dir / "predictions.tsv",
        header,
        [
            (
                gene,
                f"{target:.9g}" if settings.task == "regression" else int(target),
                f"{score:.9g}",
            )
            for gene, target, score in zip(
                dataset.gene_ids[test_mask], test_targets, test_scores, strict=True
            )
        ],
    )
    if attention is not None:
        with atomic_path(out_dir / "attention.npz", suffix=".npz") as tmp:
            np.savez_compressed(
                tmp,
                gene_ids=dataset.gene_ids[test_mask],
                label=dataset.labels[test_mask],
                probability=test_scores,
                mark_names=dataset.marks,
                **attention,
            )
    with atomic_path(out_dir / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")


def _write_tsv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with atomic_path(path) as tmp:
        lines = ["\t".join(header)] + ["\t".join(str(value) for value in row) for row in rows]
        tmp.write_text("\n".join(lines) + "\n")
