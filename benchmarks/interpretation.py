"""How well the class optimisation maps recover the demo's truth, over several seeds.

For every demo cell of a finished demo run (``results/datasets/{cell}.npz`` of the default config)
and every seed, trains the model (``training.seed`` = seed, the config's recipe) with
``train_cell`` into a temporary folder, draws its class optimisation maps (``interpret.optimisation``
with ``seed`` = seed) and scores them against the demo generator's truth
(``chromexpr.interpret.truth``). Prints, per cell and mark, the minimum over seeds of the
correlation of the maps' high-minus-low with the truth's (for marks with positional structure),
whether the sign was right for every seed, and the seconds a map took (maximum over seeds).

    .venv/bin/python benchmarks/interpretation.py --results results --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from chromexpr.dataset import CellDataset
from chromexpr.interpret.optimisation import OptimisationSettings, class_optimisation_maps
from chromexpr.interpret.truth import dataset_truth, score_against_truth
from chromexpr.train import load_checkpoint
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.single import train_cell

REPO = Path(__file__).resolve().parents[1]


def measure(results: Path, config: dict, seeds: list[int], model: str) -> pd.DataFrame:
    """One row per cell, mark and seed: the truth scores of that seed's maps and their seconds."""
    rows = []
    for cell in config["cells"]:
        dataset = CellDataset.load(results / "datasets" / f"{cell}.npz")
        marks = [str(mark) for mark in dataset.marks]
        truth = dataset_truth(
            dataset,
            config["bins"]["reverse_minus_strand"],
            config["demo"]["seed"],
            config["demo"]["n_genes"],
        )
        for seed in seeds:
            training = {**config["training"], "seed": seed, "device": "cpu"}
            settings = TrainingSettings.from_config(model, training)
            optimisation = OptimisationSettings.from_config(
                {**config["interpret"]["optimisation"], "seed": seed}
            )
            with tempfile.TemporaryDirectory() as folder:
                train_cell(dataset, settings, Path(folder))
                trained = load_checkpoint(Path(folder) / "model.pt")
            started = time.perf_counter()
            maps = class_optimisation_maps(
                trained.model, trained.inputs(dataset, "train"), optimisation
            )["maps"]
            seconds = time.perf_counter() - started
            table = score_against_truth(maps, truth, marks)
            rows.append(table.assign(cell=cell, seed=seed, seconds=seconds))
    return pd.concat(rows, ignore_index=True)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per cell and mark: minimum correlation over seeds (positional marks), signs right in all
    seeds, the slowest map's seconds."""
    grouped = scores.groupby(["cell", "mark"], sort=False)
    summary = grouped.agg(
        positional=("positional", "all"),
        min_correlation=("correlation", "min"),
        signs_right=("sign_agrees", "all"),
        seeds=("seed", "nunique"),
        max_seconds=("seconds", "max"),
    ).reset_index()
    summary.loc[~summary["positional"], "min_correlation"] = float("nan")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--model", default="deepchrome")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)
    config = yaml.safe_load(args.config.read_text())
    summary = summarise(measure(args.results, config, args.seeds, args.model))
    print(
        f"{args.model} class optimisation maps against the demo's truth, seeds {args.seeds} "
        "(min_correlation: minimum over seeds, marks with positional structure only)"
    )
    print(summary.to_string(index=False, float_format=lambda value: f"{value:.3f}"))


if __name__ == "__main__":
    main()
