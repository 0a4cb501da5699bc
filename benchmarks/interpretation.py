"""How well class optimisation maps and attributions recover the demo's truth, over several seeds.

For every demo cell of a finished demo run (``results/datasets/{cell}.npz`` of the default config)
and every seed, trains the model (``training.seed`` = seed, the config's recipe) with
``train_cell`` into a temporary folder, draws its class optimisation maps (``interpret.optimisation``
with ``seed`` = seed) and its attributions (``interpret.attributions``), and scores them against
the demo generator's truth (``chromexpr.interpret.truth``). Prints, per cell and mark, for the
maps the minimum over seeds of the correlation of their high-minus-low with the truth's (for
marks with positional structure) and whether the sign was right for every seed; the same for
integrated gradients (``chromexpr.interpret.attribution.score_attributions``) and whether both
knockouts had the predicted sign for every seed; and the CPU seconds (one thread) a cell's maps
and attributions took (maximum over seeds).

``--reverse-minus-strand`` first turns the datasets' minus-strand genes round (what
``bins.reverse_minus_strand: true`` would have counted: the bins are symmetric about the TSS), so
that H3K36me3's gene body lies downstream on both strands and has positional structure.

    .venv/bin/python benchmarks/interpretation.py --results results --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch
import yaml

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import (
    AttributionSettings,
    attribution_truth,
    run_attributions,
)
from chromexpr.interpret.optimisation import OptimisationSettings, class_optimisation_maps
from chromexpr.interpret.truth import dataset_truth, score_against_truth
from chromexpr.train import load_checkpoint
from chromexpr.train.settings import TrainingSettings
from chromexpr.train.single import train_cell

REPO = Path(__file__).resolve().parents[1]


def reverse_minus_strand(dataset: CellDataset) -> CellDataset:
    """``dataset`` with the bins of minus-strand genes in transcription order."""
    minus = dataset.strand == "-"
    counts = dataset.counts.copy()
    counts[minus] = counts[minus][:, :, ::-1]
    return replace(dataset, counts=counts)


def measure(
    results: Path, config: dict, seeds: list[int], model: str, turn_round: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth scores of each seed's outputs (one row per cell, mark, seed and method) and
    the CPU seconds of each cell's maps and attributions (one row per cell and seed)."""
    rows, timings = [], []
    for cell in config["cells"]:
        dataset = CellDataset.load(results / "datasets" / f"{cell}.npz")
        if turn_round:
            dataset = reverse_minus_strand(dataset)
        marks = [str(mark) for mark in dataset.marks]
        truth = dataset_truth(
            dataset,
            config["bins"]["reverse_minus_strand"] or turn_round,
            config["demo"]["seed"],
            config["demo"]["n_genes"],
        )
        interpret = config["interpret"]
        for seed in seeds:
            training = {**config["training"], "seed": seed, "device": "cpu"}
            settings = TrainingSettings.from_config(model, training)
            optimisation = OptimisationSettings.from_config(
                {**interpret["optimisation"], "seed": seed}
            )
            with tempfile.TemporaryDirectory() as folder:
                train_cell(dataset, settings, Path(folder))
                trained = load_checkpoint(Path(folder) / "model.pt")
                started = time.process_time()
                maps = class_optimisation_maps(
                    trained.model, trained.inputs(dataset, "train"), optimisation
                )["maps"]
                map_seconds = time.process_time() - started
                started = time.process_time()
                attributions, knockouts = run_attributions(
                    dataset,
                    trained,
                    AttributionSettings.from_config(interpret["attributions"]),
                    Path(folder) / "ig.npz",
                    Path(folder) / "knockouts.tsv",
                    Path(folder) / "ig.png",
                )
                attribution_seconds = time.process_time() - started
            scores = pd.concat(
                [
                    score_against_truth(maps, truth, marks).assign(method="maps"),
                    attribution_truth(attributions, knockouts, truth, marks),
                ]
            )
            rows.append(scores.assign(cell=cell, seed=seed))
            timings.append({"cell": cell, "maps": map_seconds, "attributions": attribution_seconds})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(timings)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per cell and mark, for each method: the minimum correlation over seeds (positional marks
    only) and whether every seed had the truth's sign."""
    grouped = scores.groupby(["method", "cell", "mark"], sort=False)
    summary = grouped.agg(
        positional=("positional", lambda values: bool(values.fillna(False).all())),
        min_correlation=("correlation", "min"),
        signs_right=("sign_agrees", "all"),
    ).reset_index()
    summary.loc[~summary["positional"], "min_correlation"] = float("nan")
    table = summary.pivot_table(
        index=["cell", "mark"],
        columns="method",
        values=["min_correlation", "signs_right"],
        aggfunc="first",
        dropna=False,
        sort=False,
    )
    return table.dropna(axis=1, how="all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--model", default="deepchrome")
    parser.add_argument(
        "--reverse-minus-strand",
        action="store_true",
        help="turn minus-strand genes of datasets counted in genomic order round first",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)
    config = yaml.safe_load(args.config.read_text())
    if config["bins"]["reverse_minus_strand"] and args.reverse_minus_strand:
        parser.error("the config's datasets are already in transcription order")
    scores, timings = measure(
        args.results, config, args.seeds, args.model, args.reverse_minus_strand
    )
    reversed_bins = config["bins"]["reverse_minus_strand"] or args.reverse_minus_strand
    print(
        f"{args.model} on the demo against the generator's truth, seeds {args.seeds}, minus-strand "
        f"bins {'reversed' if reversed_bins else 'in genomic order'}: "
        "min_correlation is the minimum over seeds (marks with positional structure only), "
        "signs_right whether every seed had the truth's sign"
    )
    print(summarise(scores).to_string(float_format=lambda value: f"{value:.3f}"))
    print("CPU seconds per cell (torch on one thread), slowest seed")
    slowest = timings.groupby("cell", sort=False).max()
    print(slowest.to_string(float_format=lambda value: f"{value:.1f}"))


if __name__ == "__main__":
    main()
