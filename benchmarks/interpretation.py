"""How class optimisation maps and attributions recover the demo's truth, and their controls.

For every demo cell of a finished demo run (``results/datasets/{cell}.npz`` of the default config)
and every seed, trains the model (``training.seed`` = seed, the config's recipe) with
``train_cell`` into a temporary folder, draws its class optimisation maps (``interpret.optimisation``
with ``seed`` = seed) and its attributions (``interpret.attributions``), scores them against the
demo generator's truth (``chromexpr.interpret.truth``), and runs every control of both
(``chromexpr.interpret.controls``: the whole randomisation cascade, every mark ablated, permuted
labels, the single most predictive mark; control ``seed`` = seed). Prints, as Markdown tables:

1. per cell and mark, for the maps and integrated gradients the range over seeds of the
   correlation of their high-minus-low with the truth's (marks with positional structure only)
   and on how many seeds the sign was right; for both knockouts, on how many seeds both classes'
   changes had the predicted sign;
2. per cell, method and control, on how many seeds the control passed and the range over seeds of
   its judged figure furthest towards failing (the largest |rank correlation| with the fully
   randomised model's map, the largest score ratio, the largest correlation with the truth);
3. the single-mark control's model and its map's H3K4me1 correlation with the truth per seed, beside
   the real model's (the issue's H3K4me3-only control);
4. the CPU seconds (one thread) per cell: the real maps and attributions, all controls (slowest
   seed), and the demo's subset of them (``interpret.controls`` of the config, seed 1).

``--reverse-minus-strand`` first turns the datasets' minus-strand genes round (what
``bins.reverse_minus_strand: true`` would have counted: the bins are symmetric about the TSS), so
that H3K36me3's gene body lies downstream on both strands and has positional structure.
``--truth-only`` prints table 1 and the seconds of the maps and attributions, without controls.

    .venv/bin/python benchmarks/interpretation.py --results results --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from chromexpr.dataset import CellDataset
from chromexpr.interpret.attribution import AttributionSettings, attribution_truth, run_attributions
from chromexpr.interpret.controls.checks import ControlSettings
from chromexpr.interpret.controls.outputs import controls_summary, run_interpretation_controls
from chromexpr.interpret.optimisation import OptimisationSettings, run_optimisation
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


def cpu_seconds(action):
    """``action()``'s result and the CPU seconds it took."""
    started = time.process_time()
    result = action()
    return result, time.process_time() - started


def measure_seed(
    dataset: CellDataset,
    truth: np.ndarray,
    config: dict,
    model: str,
    seed: int,
    folder: Path,
    controls: bool,
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """One seed on one cell: truth scores (one row per method and mark), the controls table
    (None without ``controls``), and the CPU seconds of the maps, the attributions and the
    controls."""
    interpret = config["interpret"]
    marks = [str(mark) for mark in dataset.marks]
    training = {**config["training"], "seed": seed, "device": "cpu"}
    train_cell(dataset, TrainingSettings.from_config(model, training), folder)
    trained = load_checkpoint(folder / "model.pt")
    optimisation = OptimisationSettings.from_config({**interpret["optimisation"], "seed": seed})
    attributions = AttributionSettings.from_config(interpret["attributions"])
    maps, map_seconds = cpu_seconds(
        lambda: run_optimisation(dataset, trained, optimisation, folder / "maps.npz")["maps"]
    )
    (ig, knockouts), ig_seconds = cpu_seconds(
        lambda: run_attributions(
            dataset,
            trained,
            attributions,
            folder / "ig.npz",
            folder / "knockouts.tsv",
            folder / "ig.png",
        )
    )
    scores = pd.concat(
        [
            score_against_truth(maps, truth, marks).assign(method="maps"),
            attribution_truth(ig, knockouts, truth, marks),
        ]
    )
    seconds = {"maps": map_seconds, "attributions": ig_seconds}
    if not controls:
        return scores, None, seconds

    def run_controls(settings: ControlSettings, stem: str):
        return run_interpretation_controls(
            dataset,
            trained,
            {"optimisation": folder / "maps.npz", "integrated_gradients": folder / "ig.npz"},
            optimisation,
            attributions,
            settings,
            truth,
            folder / f"{stem}.tsv",
            folder / f"{stem}.npz",
        )

    every = ControlSettings(ablate=None, cascade=True, seed=seed)
    table, seconds["all controls"] = cpu_seconds(lambda: run_controls(every, "controls"))
    if seed == 1:
        demo = ControlSettings.from_config({**interpret.get("controls", {}), "seed": seed})
        _, seconds["demo's controls"] = cpu_seconds(lambda: run_controls(demo, "demo-controls"))
    return scores, table, seconds


def measure(
    results: Path, config: dict, seeds: list[int], model: str, turn_round: bool, controls: bool
):
    """Truth scores, controls tables and CPU seconds of every cell and seed."""
    scores, tables, timings = [], [], []
    for cell in config["cells"]:
        dataset = CellDataset.load(results / "datasets" / f"{cell}.npz")
        if turn_round:
            dataset = reverse_minus_strand(dataset)
        truth = dataset_truth(
            dataset,
            config["bins"]["reverse_minus_strand"] or turn_round,
            config["demo"]["seed"],
            config["demo"]["n_genes"],
        )
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                table, control_table, seconds = measure_seed(
                    dataset, truth, config, model, seed, Path(folder), controls
                )
            scores.append(table.assign(cell=cell, seed=seed))
            if controls:
                tables.append(control_table.assign(seed=seed))
            timings.append({"cell": cell, "seed": seed, **seconds})
    return pd.concat(scores, ignore_index=True), tables, pd.DataFrame(timings)


def value_range(values: pd.Series) -> str:
    """'low-high' (or one value) over seeds, 3 decimals; '-' when none."""
    values = values.dropna()
    if values.empty:
        return "-"
    low, high = values.min(), values.max()
    return f"{low:.3f}" if np.isclose(low, high, atol=5e-4) else f"{low:.3f} to {high:.3f}"


def agreeing(values: pd.Series) -> str:
    return f"{int(values.astype(bool).sum())}/{len(values)}"


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in table.to_numpy()]
    return "\n".join(lines)


def truth_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Per cell and mark: correlation ranges and signs right per method (see module docstring)."""
    rows = []
    for (cell, mark), part in scores.groupby(["cell", "mark"], sort=True):
        by_method = dict(tuple(part.groupby("method")))
        row = {"cell": cell, "mark": mark}
        for method, label in (("maps", "maps"), ("integrated_gradients", "IG")):
            values = by_method[method]
            positional = values["positional"].fillna(False).astype(bool).all()
            row[f"{label}: r"] = value_range(values["correlation"]) if positional else "-"
            row[f"{label}: signs right"] = agreeing(values["sign_agrees"])
        for method, label in (
            ("knockout_zero", "knockout to zero: signs right"),
            ("knockout_other_class_mean", "knockout to other class's mean: signs right"),
        ):
            row[label] = agreeing(by_method[method]["sign_agrees"])
        rows.append(row)
    return pd.DataFrame(rows)


def controls_table(controls: list[pd.DataFrame]) -> pd.DataFrame:
    """Per cell, method and control: seeds passed and the range of the worst judged figure."""
    summary = pd.concat(
        [controls_summary([table]).assign(seed=table["seed"].iloc[0]) for table in controls]
    )
    rows = []
    for (cell, method, control, statistic), part in summary.groupby(
        ["cell", "method", "control", "statistic"], sort=False
    ):
        rows.append(
            {
                "cell": cell,
                "method": method,
                "control": control,
                "figure (worst judged)": statistic,
                "range over seeds": value_range(part["worst"]),
                "seeds passed": agreeing(part["passes"]),
            }
        )
    return pd.DataFrame(rows)


def single_mark_table(scores: pd.DataFrame, controls: list[pd.DataFrame]) -> pd.DataFrame:
    """Per cell: the single-mark model and its map's H3K4me1 correlation per seed, beside the
    real model's map's."""
    rows = []
    for table in controls:
        single = table[
            (table["method"] == "optimisation")
            & (table["control"] == "single_mark")
            & (table["mark"] == "H3K4me1")
        ].set_index("statistic")
        cell, seed = table["cell"].iloc[0], table["seed"].iloc[0]
        real = scores[
            (scores["method"] == "maps")
            & (scores["cell"] == cell)
            & (scores["seed"] == seed)
            & (scores["mark"] == "H3K4me1")
        ]
        rows.append(
            {
                "cell": cell,
                "seed": seed,
                "single-mark model": single["control_model"].iloc[0],
                "its H3K4me1 r": f"{single.loc['reference_correlation', 'value']:.3f}",
                "its H3K4me1 score ratio": f"{single.loc['score_ratio', 'value']:.3f}",
                "real model's H3K4me1 r": f"{real['correlation'].iloc[0]:.3f}",
                "real model's H3K4me1 sign right": "yes" if real["sign_agrees"].iloc[0] else "no",
            }
        )
    return pd.DataFrame(rows)


def print_controls(scores: pd.DataFrame, controls: list[pd.DataFrame]) -> None:
    print("\nControls (every mark ablated, the whole cascade), per cell, method and control\n")
    print(markdown(controls_table(controls)))
    print("\nThe single-mark control against the real model, H3K4me1 (criterion: r >= 0.8)\n")
    print(markdown(single_mark_table(scores, controls)))


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
    parser.add_argument("--truth-only", action="store_true", help="skip the controls")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)
    config = yaml.safe_load(args.config.read_text())
    if config["bins"]["reverse_minus_strand"] and args.reverse_minus_strand:
        parser.error("the config's datasets are already in transcription order")
    scores, controls, timings = measure(
        args.results,
        config,
        args.seeds,
        args.model,
        args.reverse_minus_strand,
        not args.truth_only,
    )
    reversed_bins = config["bins"]["reverse_minus_strand"] or args.reverse_minus_strand
    print(
        f"{args.model} on the demo against the generator's truth, seeds {args.seeds}, minus-strand "
        f"bins {'reversed' if reversed_bins else 'in genomic order'}: r is the range over seeds "
        "(marks with positional structure only), signs right the seeds with the truth's sign\n"
    )
    print(markdown(truth_table(scores)))
    if controls:
        print_controls(scores, controls)
    print("\nCPU seconds per cell (torch on one thread), slowest seed; demo's controls: seed 1\n")
    slowest = timings.drop(columns="seed").groupby("cell", sort=False).max().reset_index()
    print(markdown(slowest.round(1)))


if __name__ == "__main__":
    main()
