"""Seconds per epoch of the DeepChrome CNN under each training recipe, and what that costs per cell.

Each recipe is timed over ``--steps`` optimiser steps (for the published recipe, batch 1, a few
hundred genes) and extrapolated to a full epoch of ``--genes`` training genes. Each epoch also
scores the validation genes (as many as the training genes, like the published 6601/6601/6600
split).

``--compare-auc`` instead trains every recipe with ``train_cell`` on a synthetic demo-like cell and
prints the AUCs: the measurement behind the ``fast`` recipe.

``--side-by-side`` compares, for K = 1, 8, 56 models (``--k``) of ``--model`` under ``--recipe``,
the standard one-model loop (``train_epoch``, K models one after another) with the side-by-side
trainer (``chromexpr.batched``: one vectorised step for the K models): seconds per epoch of K
models, the speed-up, and the projected time of the recipe for 56 cells in groups of K. Both are
timed over the same steps in chunks (median chunk extrapolated to an epoch); validation scoring
(per model in both) is added to both. The load average is printed: on a shared machine the
figures are inflated.

    .venv/bin/python benchmarks/training.py --threads 2
    .venv/bin/python benchmarks/training.py --threads 1 --compare-auc --genes 1000 --data-seed 0
    .venv/bin/python benchmarks/training.py --threads 1 --side-by-side --recipe published
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from chromexpr.dataset import UNKNOWN_UNIT, CellDataset
from chromexpr.evaluation import predict_outputs, probabilities_from_outputs
from chromexpr.models import build_model, capabilities, model_class
from chromexpr.train import RECIPES, TrainingSettings, train_cell
from chromexpr.train.fit import EVALUATION_BATCH_SIZE, Run
from chromexpr.train.inputs import SplitData, model_inputs
from chromexpr.train.prepare import build_task_model
from chromexpr.train.runtime import seed_everything
from chromexpr.train.single import make_optimizer, torch7_decay, train_epoch
from chromexpr.train.stacked import side_by_side_step, vectorised_grad
from chromexpr.train.stacked_optimizer import StackedOptimizer
from chromexpr.train.tasks import TASKS

N_CELLS = 56
CHUNK_STEPS = 50
MARKS = ("H3K4me3", "H3K4me1", "H3K36me3", "H3K9me3", "H3K27me3")
N_BINS = 100


def synthetic_cell(n_train: int, n_valid: int, n_test: int, seed: int = 0) -> CellDataset:
    """A cell whose Poisson counts [genes, 5, 100] depend on a noisy copy of each gene's expression.

    Shapes like REMC profiles: an H3K4me3 peak at the TSS, H3K4me1 flanking it, H3K36me3 over the
    gene body for active genes; H3K27me3 and H3K9me3 for silent ones. The noise (a per-gene
    activity that only partly follows expression, and a per-gene depth) keeps the best AUC near 0.85.
    """
    rng = np.random.default_rng(seed)
    n_genes = n_train + n_valid + n_test
    expression = rng.normal(size=n_genes)
    activity = expression + rng.normal(scale=0.8, size=n_genes)
    depth = rng.lognormal(sigma=0.4, size=n_genes)
    bins = np.arange(N_BINS)
    tss_peak = np.exp(-0.5 * ((bins - 50) / 4) ** 2)
    flanks = np.exp(-0.5 * ((bins - 35) / 6) ** 2) + np.exp(-0.5 * ((bins - 65) / 6) ** 2)
    gene_body = np.clip((bins - 50) / 50, 0, 1)

    def sigmoid(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-x))

    a = activity[:, None]
    rates = np.stack(
        [
            0.5 + 8 * sigmoid(2 * a) * tss_peak,
            0.5 + 3 * sigmoid(a) * flanks,
            0.5 + 2 * sigmoid(2 * a) * gene_body,
            0.5 + 0.5 * sigmoid(-a) * np.ones(N_BINS),
            0.5 + 2 * sigmoid(-2 * a) * np.exp(-0.5 * ((bins - 50) / 20) ** 2),
        ],
        axis=1,
    )
    counts = rng.poisson(rates * depth[:, None, None]).astype(np.int32)
    labels = (expression >= np.median(expression)).astype(np.int8)
    split = np.array(["train"] * n_train + ["valid"] * n_valid + ["test"] * n_test)
    return CellDataset(
        cell="SYNTHETIC",
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
        symbols=np.array([f"GENE{i}" for i in range(n_genes)]),
        chrom=np.full(n_genes, "chr1"),
        tss=np.arange(n_genes, dtype=np.int64) * 20_000,
        strand=np.full(n_genes, "+"),
        counts=counts,
        labels=labels,
        expression=np.exp(expression),
        expression_unit=UNKNOWN_UNIT,
        split=split,
        marks=np.array(MARKS),
        bin_offsets=(bins * 100 - 5000).astype(np.int64),
    )


def training_run(
    settings: TrainingSettings, dataset: CellDataset
) -> tuple[Run, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler, torch.Tensor]:
    """(run, optimiser, decay, model input [genes, ...]) of ``settings.model`` on every gene of
    ``dataset`` as its training split, built as the harness builds it (seeded first)."""
    seed_everything(settings.seed)
    model = build_task_model(settings, len(MARKS), N_BINS)
    features = torch.as_tensor(
        model_inputs(settings.model, model, dataset, settings.input_transform)
    )
    stated = capabilities(settings.model)
    if stated.fits_input_statistics:
        model.fit_input_statistics(features)
    if stated.pretrains:
        model.pretrain(features)
    task = TASKS[settings.task]
    targets = task.targets(replace(dataset, split=np.full(dataset.n_genes, "train")), "train")
    data = SplitData({"train": features}, {"train": targets}, torch.as_tensor(targets))
    run = Run(settings.model, settings, task, model, data)
    optimizer = make_optimizer(model, settings)
    return run, optimizer, torch7_decay(optimizer, settings.lr_decay), features


def seconds_per_epoch(recipe: str, n_genes: int, n_steps: int) -> tuple[float, float, str]:
    """(training seconds, validation-scoring seconds, how it was measured) for one epoch.

    Times ``n_steps`` steps in chunks of ``CHUNK_STEPS`` and extrapolates the median chunk to
    a full epoch: on a shared machine a chunk now and then runs several times slower (a
    descheduled thread stalls the others), and the median keeps those out of the figure.
    """
    settings = TrainingSettings.from_config("deepchrome", {"recipe": recipe, "device": "cpu"})
    run, optimizer, scheduler, features = training_run(settings, synthetic_cell(n_genes, 0, 0))
    chunk_genes = CHUNK_STEPS * settings.batch_size
    n_chunks = max(3, n_steps // CHUNK_STEPS)
    # Wrap around the genes when the chunks ask for more than one epoch's worth.
    order = torch.randperm(n_genes).repeat(1 + (n_chunks + 1) * chunk_genes // n_genes)
    chunk_seconds = []
    for chunk in range(n_chunks + 1):  # the first chunk warms up and is not counted
        started = time.perf_counter()
        genes = order[chunk * chunk_genes : (chunk + 1) * chunk_genes]
        train_epoch(run, optimizer, scheduler, features, genes)
        chunk_seconds.append(time.perf_counter() - started)
    steps_per_epoch = math.ceil(n_genes / settings.batch_size)
    train_seconds = statistics.median(chunk_seconds[1:]) * steps_per_epoch / CHUNK_STEPS
    started = time.perf_counter()
    probabilities_from_outputs(predict_outputs(run.model, features, "cpu", EVALUATION_BATCH_SIZE))
    valid_seconds = time.perf_counter() - started
    how = (
        f"median of {n_chunks} x {CHUNK_STEPS} steps, extrapolated to {steps_per_epoch} steps/epoch"
    )
    return train_seconds, valid_seconds, how


def benchmark_speed(n_genes: int, n_steps: int) -> None:
    print(f"DeepChrome CNN, {n_genes} training + {n_genes} validation genes, CPU")
    print(
        f"{'recipe':<10} {'batch':>5} {'train s/epoch':>13} {'valid s':>7} "
        f"{'100 epochs':>10} {'epochs':>6} {'per cell':>9} {f'{N_CELLS} cells':>9}  measured"
    )
    for recipe, defaults in RECIPES.items():
        train_seconds, valid_seconds, how = seconds_per_epoch(recipe, n_genes, n_steps)
        epoch = train_seconds + valid_seconds
        epochs = defaults["epochs"]
        print(
            f"{recipe:<10} {defaults['batch_size']:>5} {train_seconds:>13.2f} {valid_seconds:>7.2f} "
            f"{_duration(100 * epoch):>10} {epochs:>6} {_duration(epochs * epoch):>9} "
            f"{_duration(N_CELLS * epochs * epoch):>9}  {how}"
        )


def compare_auc(n_genes: int, data_seed: int) -> None:
    dataset = synthetic_cell(n_genes, n_genes // 2, n_genes // 2, seed=data_seed)
    print(f"synthetic cell: {n_genes} train, {n_genes // 2} valid, {n_genes // 2} test genes")
    print(f"{'recipe':<10} {'train':>6} {'valid':>6} {'test':>6} {'best':>5} {'seconds':>8}")
    for recipe in RECIPES:
        settings = TrainingSettings.from_config("deepchrome", {"recipe": recipe, "device": "cpu"})
        with tempfile.TemporaryDirectory() as out_dir:
            metrics = train_cell(dataset, settings, Path(out_dir))
        print(
            f"{recipe:<10} {metrics['train_auc']:>6.3f} {metrics['valid_auc']:>6.3f} "
            f"{metrics['test_auc']:>6.3f} {metrics['best_epoch']:>5} {metrics['wall_seconds']:>8.1f}"
        )


def _median_chunk_seconds(step: object, n_steps: int, chunk_steps: int) -> float:
    """Median seconds of ``chunk_steps`` calls of ``step(i)``, over ``n_steps`` (one warm-up chunk)."""
    n_chunks = max(3, n_steps // chunk_steps)
    seconds = []
    for chunk in range(n_chunks + 1):
        started = time.perf_counter()
        for offset in range(chunk_steps):
            step(chunk * chunk_steps + offset)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:])


def side_by_side_settings(model_name: str, recipe: str) -> TrainingSettings:
    """``recipe``; ``model`` takes the model's ``PUBLISHED_RECIPE`` batch, rate and epochs on top
    of ``fast`` (Adam), with two outputs (the harness's cross-entropy loss) and no clipping.
    """
    if recipe != "model":
        return TrainingSettings.from_config(model_name, {"recipe": recipe, "device": "cpu"})
    published = getattr(model_class(model_name), "PUBLISHED_RECIPE", {})
    overrides = {
        key: published[key] for key in ("batch_size", "learning_rate", "epochs") if key in published
    }
    return TrainingSettings.from_config(
        model_name, {"recipe": "fast", "device": "cpu", **overrides}, {"n_outputs": 2}
    )


def side_by_side_epoch(
    model_name: str, recipe: str, k: int, n_genes: int, n_steps: int
) -> tuple[float, float, float]:
    """(standard s/epoch of k models, side-by-side s/epoch of k models, validation s of k models).

    The standard figure is k times one model's epoch with ``train_epoch``; the side-by-side one
    is the vectorised step of ``chromexpr.train.stacked`` over k models, each with its own gene order.
    """
    settings = side_by_side_settings(model_name, recipe)
    batch = settings.batch_size
    dataset = synthetic_cell(n_genes, 0, 0)
    steps_per_epoch = math.ceil(n_genes / batch)
    chunk_steps = CHUNK_STEPS if k == 1 else max(5, min(CHUNK_STEPS, n_steps // 4))
    genes = (max(3, n_steps // chunk_steps) + 1) * chunk_steps * batch  # every timed step

    # Standard loop: one model; the k models of a group would run one after another.
    run, optimizer, scheduler, features = training_run(settings, dataset)
    labels = run.data.train_targets
    order = torch.randint(n_genes, (genes,))
    standard = _median_chunk_seconds(
        lambda step: train_epoch(
            run, optimizer, scheduler, features, order[step * batch : (step + 1) * batch]
        ),
        n_steps,
        chunk_steps,
    )
    started = time.perf_counter()
    probabilities_from_outputs(predict_outputs(run.model, features, "cpu", EVALUATION_BATCH_SIZE))
    valid_seconds = time.perf_counter() - started

    # Side by side: k models stacked, each its own order, one vectorised step for all.
    models = [
        build_model(model_name, len(MARKS), N_BINS, **settings.model_params) for _ in range(k)
    ]
    params, buffers = torch.func.stack_module_state(models)
    params = {name: value.detach() for name, value in params.items()}
    stacked_optimizer = StackedOptimizer(params, [settings] * k, torch.device("cpu"))
    step_grads = vectorised_grad(copy.deepcopy(models[0]).to("meta").train(), run.task)
    orders = torch.randint(n_genes, (k, genes // batch, batch))
    weights = torch.ones(k, batch)
    active = torch.ones(k, dtype=torch.bool)

    def one_step(step: int) -> None:
        index = orders[:, step]
        batch = (features[index], labels[index], weights)
        side_by_side_step(step_grads, stacked_optimizer, params, buffers, batch, active, [])

    side = _median_chunk_seconds(one_step, n_steps, chunk_steps)
    return (
        k * standard * steps_per_epoch / chunk_steps,
        side * steps_per_epoch / chunk_steps,
        k * valid_seconds,
    )


def benchmark_side_by_side(
    model_name: str, recipe: str, ks: list[int], n_genes: int, n_steps: int
) -> None:
    settings = side_by_side_settings(model_name, recipe)
    epochs = settings.epochs
    print(
        f"{model_name}, recipe {recipe} ({settings.optimizer}, batch {settings.batch_size}, "
        f"{epochs} epochs), "
        f"{n_genes} training + {n_genes} validation genes per cell, CPU; "
        f"load average {_load()} at start"
    )
    print(
        f"{'K':>3} {'standard s/epoch':>16} {'side-by-side':>12} {'valid s':>7} {'speed-up':>8} "
        f"{f'{N_CELLS} cells, standard':>18} {f'{N_CELLS} cells, side by side':>22}  load"
    )
    for k in ks:
        standard, side, valid = side_by_side_epoch(model_name, recipe, k, n_genes, n_steps)
        groups = math.ceil(N_CELLS / k)
        per_group = N_CELLS / k
        print(
            f"{k:>3} {standard + valid:>16.1f} {side + valid:>12.1f} {valid:>7.1f} "
            f"{(standard + valid) / (side + valid):>7.1f}x "
            f"{_duration(per_group * epochs * (standard + valid)):>18} "
            f"{_duration(groups * epochs * (side + valid)):>22}  {_load()}",
            flush=True,
        )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=6601, help="training genes (default 6601)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--steps", type=int, default=500, help="steps to time per recipe (default 500)"
    )
    parser.add_argument(
        "--compare-auc", action="store_true", help="train each recipe on a synthetic cell instead"
    )
    parser.add_argument(
        "--data-seed", type=int, default=0, help="seed of the synthetic cell for --compare-auc"
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="compare the standard loop with side-by-side training of K models instead",
    )
    parser.add_argument("--model", default="deepchrome", help="model for --side-by-side")
    parser.add_argument(
        "--recipe",
        default="published",
        help="recipe for --side-by-side: published, fast, or model (the model's PUBLISHED_RECIPE)",
    )
    parser.add_argument(
        "--k", type=int, nargs="+", default=[1, 8, 56], help="models side by side (1 8 56)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.compare_auc:
        compare_auc(args.genes, args.data_seed)
    elif args.side_by_side:
        benchmark_side_by_side(args.model, args.recipe, args.k, args.genes, args.steps)
    else:
        benchmark_speed(args.genes, args.steps)


if __name__ == "__main__":
    main()
