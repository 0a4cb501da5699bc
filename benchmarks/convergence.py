"""The 12-parameter linear model's recipes on a finished demo run's datasets: does it converge?

Trains ``linear`` on each cell's dataset (``results/datasets/{cell}.npz`` of a demo run) with
the shared ``fast`` values (Adam 3e-4, 30 epochs), with its own ``FAST_RECIPE`` (Adam 1e-2, up to
200 epochs), with its published recipe (SGD 0.01, batch 32, 100 epochs), each with the max
(published) and the sum reduction, and fits ``logistic`` (the same cells, genes and split) as the
reference it should reach. Prints per cell the test AUC, the best epoch of the epochs run and
whether the run converged (``chromexpr.train.convergence``): the figures of docs/models.md,
"Convergence". One thread; about a minute on the demo's 2,000 genes.

    .venv/bin/python benchmarks/convergence.py --workdir /path/to/demo/run
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

import torch

from chromexpr.dataset import CellDataset
from chromexpr.train import RECIPES, TrainingSettings, train_cell

# (name, training overrides): "fast, shared" undoes linear's FAST_RECIPE.
SHARED = {key: RECIPES["fast"][key] for key in ("learning_rate", "epochs")}
RECIPES_TRIED = (
    ("fast, shared", {"recipe": "fast", **SHARED}),
    ("fast (its own)", {"recipe": "fast"}),
    ("published", {"recipe": "published"}),
)


def train(dataset: CellDataset, model: str, training: dict, params: dict, out: Path) -> str:
    settings = TrainingSettings.from_config(model, {**training, "device": "cpu"}, params)
    metrics = train_cell(dataset, settings, out)
    verdict = "converged" if metrics["converged"] else "NOT converged"
    return (
        f"{metrics['test_auc']:.3f} (best {metrics['best_epoch']}/{metrics['epochs_run']}, "
        f"{verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="the demo run's folder")
    parser.add_argument("--cells", nargs="+", default=["E003", "E004", "E005"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.ERROR)
    print(f"load average {os.getloadavg()[0]:.1f}; test AUC (best epoch / epochs run)")
    with tempfile.TemporaryDirectory() as scratch:
        for cell in args.cells:
            dataset = CellDataset.load(args.workdir / f"results/datasets/{cell}.npz")
            out = Path(scratch) / cell
            reference = train(dataset, "logistic", {"recipe": "fast"}, {}, out / "logistic")
            print(f"{cell} logistic: {reference}")
            for reduction in ("max", "sum"):
                for name, training in RECIPES_TRIED:
                    figures = train(
                        dataset, "linear", training, {"reduction": reduction}, out / "linear"
                    )
                    print(f"{cell} linear, {reduction}, {name}: {figures}")


if __name__ == "__main__":
    main()
