"""Seconds per epoch of the DeepChrome CNN under each training recipe, and what that costs per cell.

Each recipe is timed over ``--steps`` optimiser steps (for the published recipe, batch 1, a few
hundred genes) and extrapolated to a full epoch of ``--genes`` training genes. Each epoch also
scores the validation genes (as many as the training genes, like the published 6601/6601/6600
split).

``--compare-auc`` instead trains every recipe with ``train_cell`` on a synthetic demo-like cell and
prints the AUCs: the measurement behind the ``fast`` recipe.

    .venv/bin/python benchmarks/training.py --threads 2
    .venv/bin/python benchmarks/training.py --threads 1 --compare-auc --genes 1000 --data-seed 0
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from chromexpr.dataset import CellDataset
from chromexpr.evaluation import predict_probabilities
from chromexpr.models import build_model
from chromexpr.training import (
    EVALUATION_BATCH_SIZE,
    RECIPES,
    TrainingSettings,
    make_optimizer,
    seed_everything,
    train_cell,
    train_epoch,
)

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
        rpkm=np.exp(expression),
        split=split,
        marks=np.array(MARKS),
        bin_offsets=(bins * 100 - 5000).astype(np.int64),
    )


def seconds_per_epoch(recipe: str, n_genes: int, n_steps: int) -> tuple[float, float, str]:
    """(training seconds, validation-scoring seconds, how it was measured) for one epoch.

    Times ``n_steps`` steps in chunks of ``CHUNK_STEPS`` and extrapolates the median chunk to
    a full epoch: on a shared machine a chunk now and then runs several times slower (a
    descheduled thread stalls the others), and the median keeps those out of the figure.
    """
    settings = TrainingSettings.from_config("deepchrome", {"recipe": recipe, "device": "cpu"})
    seed_everything(settings.seed)
    dataset = synthetic_cell(n_genes, 0, 0)
    features = torch.as_tensor(dataset.counts, dtype=torch.float32)
    labels = torch.as_tensor(dataset.labels, dtype=torch.int64)
    model = build_model("deepchrome", len(MARKS), N_BINS)
    optimizer = make_optimizer(model, settings)
    chunk_genes = CHUNK_STEPS * settings.batch_size
    n_chunks = max(3, n_steps // CHUNK_STEPS)
    # Wrap around the genes when the chunks ask for more than one epoch's worth.
    order = torch.randperm(n_genes).repeat(1 + (n_chunks + 1) * chunk_genes // n_genes)
    chunk_seconds = []
    for chunk in range(n_chunks + 1):  # the first chunk warms up and is not counted
        started = time.perf_counter()
        genes = order[chunk * chunk_genes : (chunk + 1) * chunk_genes]
        train_epoch(model, optimizer, features, labels, genes, settings, 0)
        chunk_seconds.append(time.perf_counter() - started)
    steps_per_epoch = math.ceil(n_genes / settings.batch_size)
    train_seconds = statistics.median(chunk_seconds[1:]) * steps_per_epoch / CHUNK_STEPS
    started = time.perf_counter()
    predict_probabilities(model, features, "cpu", EVALUATION_BATCH_SIZE)
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
            metrics = train_cell(dataset, settings, Path(out_dir), log=lambda line: None)
        print(
            f"{recipe:<10} {metrics['train_auc']:>6.3f} {metrics['valid_auc']:>6.3f} "
            f"{metrics['test_auc']:>6.3f} {metrics['best_epoch']:>5} {metrics['wall_seconds']:>8.1f}"
        )


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.compare_auc:
        compare_auc(args.genes, args.data_seed)
    else:
        benchmark_speed(args.genes, args.steps)


if __name__ == "__main__":
    main()
