"""The training harness every model shares: one cell type's dataset in; checkpoint and metrics out.

Recipes (``training.recipe`` in the config; ``epochs``, ``batch_size``, ``learning_rate``,
``patience``, ``input_transform``, ``seed`` and ``device`` may override a recipe's value):

=============  ======  =====  ============================  ========  ========  =====  ====
recipe         epochs  batch  optimiser                     lr decay  patience  input  seed
=============  ======  =====  ============================  ========  ========  =====  ====
``published``  100     1      SGD lr 1e-3, no momentum      1e-7      none      raw    1
``fast``       30      64     Adam lr 3e-4                  none      10        raw    1
=============  ======  =====  ============================  ========  ========  =====  ====

``published`` is DeepChrome's (Singh et al. 2016): plain SGD with Torch7 ``optim.sgd``'s
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
from chromexpr.evaluation import auc, predict_probabilities
from chromexpr.models import build_model, count_parameters, model_class

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
)
# Keys of the config's ``training:`` that choose how the workflow runs the training, not what is
# trained: ``from_config`` accepts and ignores them (``side_by_side``: see ``chromexpr.batched``).
WORKFLOW_KEYS = ("side_by_side", "side_by_side_group_size")
OPTIMIZERS = ("sgd", "adam")
INPUT_TRANSFORMS = ("raw", "log1p")
DEVICES = ("auto", "cpu", "cuda")
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
        _require("optimizer", self.optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}")
        _require(
            "input_transform",
            self.input_transform in INPUT_TRANSFORMS,
            f"one of {INPUT_TRANSFORMS}",
        )
        _require("device", self.device in DEVICES, f"one of {DEVICES}")

    @classmethod
    def from_config(
        cls,
        model: str,
        training: Mapping[str, Any],
        model_params: Mapping[str, Any] | None = None,
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
        values = {
            **RECIPES[recipe],
            **{key: training[key] for key in OVERRIDABLE if key in training},
        }
        return cls(model=model, recipe=recipe, model_params=dict(model_params or {}), **values)

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


def make_optimizer(model: nn.Module, settings: TrainingSettings) -> torch.optim.Optimizer:
    """The optimiser of ``settings`` over ``model``'s parameters, at the base learning rate."""
    if settings.optimizer == "adam":
        return torch.optim.Adam(
            model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
    return torch.optim.SGD(
        model.parameters(),
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

    ``features`` [genes, marks, bins] float32 and ``labels`` [genes] int64 live on the model's
    device. ``steps_taken`` counts the optimiser steps of earlier epochs, for the learning-rate
    decay. A non-finite mean loss is returned as is; the caller decides what it means.
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
        loss = F.cross_entropy(model(shuffled_features[start:stop]), shuffled_labels[start:stop])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
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


def check_labels(dataset: CellDataset) -> None:
    """TrainingError unless every split has genes of both classes (else its AUC is undefined)."""
    for split in SPLITS:
        labels = dataset.labels[dataset.mask(split)]
        classes = np.unique(labels)
        if len(classes) < 2:
            found = f"only class {classes.tolist()}" if len(classes) else "no genes"
            raise TrainingError(
                f"cell {dataset.cell}: the {split} split has {found} ({len(labels)} genes); "
                "training and AUC need both classes"
            )


def train_cell(
    dataset: CellDataset,
    settings: TrainingSettings,
    out_dir: Path,
    log: Callable[[str], None] = print_flush,
) -> dict[str, Any]:
    """Train ``settings.model`` on one cell type; keep the epoch with the best validation AUC.

    Writes into ``out_dir`` (each file atomically): ``model.pt`` (the best state_dict, loadable
    with ``torch.load(path, weights_only=True)``), ``history.tsv`` (one row per epoch),
    ``predictions.tsv`` (p(high) of every test gene, in dataset order) and ``metrics.json``
    (returned as a dict). Deterministic for the same settings on the same device.
    """
    started = time.perf_counter()
    name = f"{settings.model} on cell {dataset.cell}"
    device = resolve_device(settings.device)
    check_labels(dataset)
    with deterministic_algorithms(device):
        seed_everything(settings.seed)
        features = {
            split: torch.as_tensor(
                transform_inputs(dataset.features(split), settings.input_transform), device=device
            )
            for split in SPLITS
        }
        labels = {split: dataset.labels[dataset.mask(split)].astype(np.int64) for split in SPLITS}
        train_labels = torch.as_tensor(labels["train"], device=device)
        _, n_marks, n_bins = dataset.counts.shape
        model = build_model(settings.model, n_marks, n_bins, **settings.model_params).to(device)
        optimizer = make_optimizer(model, settings)
        # A generator of its own, on the CPU: the gene order does not depend on the device.
        shuffling = torch.Generator().manual_seed(settings.seed)
        n_parameters = count_parameters(model)
        log(
            f"{name}: {n_parameters:,} parameters, recipe {settings.recipe} "
            f"(config {settings.config_hash()}), device {device}, "
            + ", ".join(f"{len(labels[split])} {split}" for split in SPLITS)
            + " genes"
        )

        history: list[tuple[int, float, float, float]] = []
        best_auc, best_epoch, best_state = -math.inf, 0, None
        steps_taken = 0
        for epoch in range(1, settings.epochs + 1):
            epoch_started = time.perf_counter()
            order = torch.randperm(len(train_labels), generator=shuffling).to(device)
            loss, steps_taken = train_epoch(
                model, optimizer, features["train"], train_labels, order, settings, steps_taken
            )
            valid_probabilities = predict_probabilities(
                model, features["valid"], device, EVALUATION_BATCH_SIZE
            )
            if not math.isfinite(loss) or not np.all(np.isfinite(valid_probabilities)):
                what = (
                    f"the loss became {loss}"
                    if not math.isfinite(loss)
                    else "validation predictions became NaN/inf"
                )
                raise TrainingError(
                    f"{name}: {what} in epoch {epoch}; "
                    "check the counts for NaN/inf or lower training.learning_rate"
                )
            valid_auc = auc(labels["valid"], valid_probabilities)
            if valid_auc > best_auc:
                best_auc, best_epoch = valid_auc, epoch
                best_state = {
                    key: value.detach().cpu().clone() for key, value in model.state_dict().items()
                }
            seconds = time.perf_counter() - epoch_started
            history.append((epoch, loss, valid_auc, seconds))
            log(
                f"{name}: epoch {epoch}/{settings.epochs} loss {loss:.4f} "
                f"valid AUC {valid_auc:.4f} {seconds:.1f}s; best {best_auc:.4f} (epoch {best_epoch})"
            )
            if settings.patience is not None and epoch - best_epoch >= settings.patience:
                log(f"{name}: no better validation AUC for {settings.patience} epochs; stopping")
                break

        model.load_state_dict(best_state)
        return write_cell_outputs(
            dataset,
            settings,
            model,
            features,
            labels,
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
    labels: Mapping[str, np.ndarray],
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
    the same ``model.pt``, ``history.tsv``, ``predictions.tsv``, ``attention.npz`` (models with an
    ``attention`` method) and ``metrics.json`` (returned; ``extra_metrics`` are added to it).
    ``history`` rows are (epoch, mean training loss, validation AUC, seconds); ``started`` is the
    ``time.perf_counter()`` of the run's start.
    """
    name = f"{settings.model} on cell {dataset.cell}"
    probabilities = {
        split: predict_probabilities(model, features[split], device, EVALUATION_BATCH_SIZE)
        for split in SPLITS
    }
    aucs = {split: auc(labels[split], probabilities[split]) for split in SPLITS}
    metrics: dict[str, Any] = {
        "cell": dataset.cell,
        "model": settings.model,
        "recipe": settings.recipe,
        "train_auc": aucs["train"],
        "valid_auc": aucs["valid"],
        "test_auc": aucs["test"],
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "device": device.type,
        "n_parameters": count_parameters(model),
        "config_hash": settings.config_hash(),
        "n_train": len(labels["train"]),
        "n_valid": len(labels["valid"]),
        "n_test": len(labels["test"]),
        "settings": asdict(settings),
        **(extra_metrics or {}),
    }
    log(
        f"{name}: best epoch {best_epoch}; AUC train {aucs['train']:.4f} "
        f"valid {aucs['valid']:.4f} test {aucs['test']:.4f}"
    )

    out_dir = Path(out_dir)
    best_state = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    with atomic_path(out_dir / "model.pt") as tmp:
        torch.save(best_state, tmp)
    _write_tsv(
        out_dir / "history.tsv",
        ("epoch", "loss", "valid_auc", "seconds"),
        [
            (epoch, f"{loss:.6g}", f"{valid:.6f}", f"{sec:.3f}")
            for epoch, loss, valid, sec in history
        ],
    )
    test_mask = dataset.mask("test")
    test_genes = dataset.gene_ids[test_mask]
    _write_tsv(
        out_dir / "predictions.tsv",
        ("gene_id", "label", "probability"),
        [
            (gene, int(label), f"{probability:.9g}")
            for gene, label, probability in zip(
                test_genes, labels["test"], probabilities["test"], strict=True
            )
        ],
    )
    if hasattr(model, "attention"):
        _write_attention(
            out_dir / "attention.npz",
            model,
            features["test"],
            test_genes,
            labels["test"],
            probabilities["test"],
            dataset.marks,
        )
    with atomic_path(out_dir / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def _write_attention(
    path: Path,
    model: nn.Module,
    features: torch.Tensor,
    gene_ids: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    mark_names: np.ndarray,
) -> None:
    """``attention.npz`` of the test genes: the model's bin and mark attention, in eval mode."""
    was_training = model.training
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {"bins": [], "marks": []}
    try:
        with torch.inference_mode():
            for start in range(0, len(features), EVALUATION_BATCH_SIZE):
                weights = model.attention(features[start : start + EVALUATION_BATCH_SIZE])
                for key in chunks:
                    chunks[key].append(weights[key].float().cpu().numpy())
    finally:
        model.train(was_training)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            gene_ids=np.asarray(gene_ids).astype(str),
            bins=np.concatenate(chunks["bins"]),
            marks=np.concatenate(chunks["marks"]),
            probability=np.asarray(probabilities, dtype=np.float64),
            label=np.asarray(labels),
            mark_names=np.asarray(mark_names).astype(str),
        )


def _write_tsv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with atomic_path(path) as tmp:
        lines = ["\t".join(header)] + ["\t".join(str(value) for value in row) for row in rows]
        tmp.write_text("\n".join(lines) + "\n")
