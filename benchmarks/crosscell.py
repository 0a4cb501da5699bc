"""Seconds of a pairwise cross-cell scoring: every per-cell model on every cell's test genes.

Builds ``--cells`` synthetic cells (6601 / 6601 / ``--test-genes`` genes, like the published split)
and one randomly initialised DeepChrome CNN checkpoint per cell in a temporary folder, then times
``pairwise_transfer`` end to end: leakage checks, loading every checkpoint once, normalising each
test cell once and scoring its test genes with every model in one batched pass. Random weights
cost exactly what trained ones do. To keep set-up time and memory small, the cells share the counts
of ``--distinct`` generated cells (the cost does not depend on the values).

    .venv/bin/python benchmarks/crosscell.py --threads 2
    .venv/bin/python benchmarks/crosscell.py --cells 8 --normalisation quantile
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

# benchmarks/training.py, beside this file (the script's folder is first on sys.path).
from training import MARKS, N_BINS, synthetic_cell

from chromexpr.crosscell import pairwise_transfer, transfer_matrix
from chromexpr.models import build_model
from chromexpr.normalisation import NORMALISATIONS
from chromexpr.train import TrainingSettings, train_cell

N_TRAIN_GENES = N_VALID_GENES = 6601


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=56, help="number of cell types")
    parser.add_argument("--test-genes", type=int, default=6600, help="test genes per cell")
    parser.add_argument("--distinct", type=int, default=4, help="distinct synthetic count arrays")
    parser.add_argument("--normalisation", choices=NORMALISATIONS, default="none")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")

    started = time.perf_counter()
    bases = [
        synthetic_cell(N_TRAIN_GENES, N_VALID_GENES, args.test_genes, seed=seed)
        for seed in range(min(args.distinct, args.cells))
    ]
    cells = [f"E{index:03d}" for index in range(1, args.cells + 1)]
    datasets = {
        cell: replace(bases[index % len(bases)], cell=cell) for index, cell in enumerate(cells)
    }
    settings = TrainingSettings.from_config(
        "deepchrome", {"recipe": "fast", "device": "cpu", "epochs": 1}
    )
    with tempfile.TemporaryDirectory() as folder:
        # One bundle trained for an epoch; each cell's is a copy with weights of its own seed.
        train_cell(bases[0], settings, Path(folder) / "trained")
        bundle = torch.load(Path(folder) / "trained/model.pt", weights_only=True)
        checkpoints = {}
        for index, cell in enumerate(cells):
            torch.manual_seed(index)
            checkpoints[cell] = Path(folder) / f"{cell}.pt"
            state = build_model("deepchrome", len(MARKS), N_BINS).state_dict()
            torch.save({**bundle, "state_dict": state}, checkpoints[cell])
        print(
            f"set-up: {args.cells} cells and checkpoints in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        long = pairwise_transfer("deepchrome", checkpoints, datasets, args.normalisation, "cpu")
        seconds = time.perf_counter() - started
    matrix = transfer_matrix(long, "deepchrome", args.normalisation)
    scorings = matrix.size
    print(
        f"pairwise {args.cells} x {args.cells} ({scorings} scorings of {args.test_genes} test genes, "
        f"normalisation {args.normalisation}): {seconds:.1f} s, "
        f"{1000 * seconds / scorings:.0f} ms per scoring, "
        f"{scorings * args.test_genes / seconds:,.0f} genes/s"
    )


if __name__ == "__main__":
    main()
