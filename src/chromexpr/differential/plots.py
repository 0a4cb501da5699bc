"""Figures of the differential task: predicted against observed fold changes per pair, and the
attention that drives a predicted change."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.differential.outputs import PREDICTION_COLUMN
from chromexpr.differential.pairs import CLASS_NAMES
from chromexpr.plots.figure import new_figure, save_png, set_suptitle, set_title

CLASS_COLOURS = {"down": "tab:blue", "unchanged": "0.6", "up": "tab:red"}


def plot_scatter(
    runs: Sequence[tuple[str, pd.DataFrame]],
    scores: pd.DataFrame,
    cell_a: str,
    cell_b: str,
    threshold: float,
    out_png: Path,
    simulated: bool = False,
) -> None:
    """One panel per model (``runs``: name and its test predictions): predicted against observed
    log2 fold change of B over A per test gene, coloured by the observed class, with the
    diagonal, the class thresholds and the model's Pearson r and 95% interval (``scores``: rows
    of differential.tsv, by model)."""
    figure = new_figure(3.4 * len(runs), 3.8)
    axes = figure.subplots(1, len(runs), squeeze=False)[0]
    values = np.concatenate(
        [test[[PREDICTION_COLUMN, "log2_fold_change"]].to_numpy().ravel() for _, test in runs]
    )
    low, high = float(np.min(values)), float(np.max(values))
    margin = 0.05 * (high - low or 1.0)
    limits = (low - margin, high + margin)
    scores = scores.set_index("model")
    for axis, (model, test) in zip(axes, runs, strict=True):
        for name in CLASS_NAMES:
            chosen = test[test["change"] == name]
            axis.scatter(
                chosen["log2_fold_change"],
                chosen[PREDICTION_COLUMN],
                s=6,
                alpha=0.6,
                color=CLASS_COLOURS[name],
                label=f"{name} ({len(chosen)})",
            )
        axis.plot(limits, limits, color="black", linewidth=0.8)
        for line in (-threshold, threshold):
            axis.axvline(line, color="0.8", linewidth=0.6, linestyle="--")
        axis.set_xlim(limits)
        axis.set_ylim(limits)
        axis.set_xlabel(f"observed log2 fold change ({cell_b} / {cell_a})")
        row = scores.loc[model]
        set_title(
            axis,
            f"{model}: r = {row['pearson']:.2f} [{row['pearson_low']:.2f}, {row['pearson_high']:.2f}]",
            fontsize=10,
        )
    axes[0].set_ylabel("predicted log2 fold change")
    axes[0].legend(fontsize="x-small", title="observed", title_fontsize="x-small")
    set_suptitle(figure, f"{cell_b} over {cell_a}: test genes, 95% bootstrap intervals")
    save_png(figure, out_png, simulated)


def plot_change_attention(
    bin_table: pd.DataFrame,
    mark_table: pd.DataFrame,
    bin_offsets: np.ndarray,
    title: str,
    out_png: Path,
    simulated: bool = False,
) -> None:
    """Left: mean bin attention per mark of the test genes predicted up (solid) and down
    (dashed); right: mean mark attention per predicted class."""
    figure = new_figure(11, 3.8)
    bins_axis, marks_axis = figure.subplots(1, 2, width_ratios=[2, 1])
    marks = list(dict.fromkeys(mark_table["mark"]))
    colours = {mark: f"C{index}" for index, mark in enumerate(marks)}
    bin_size = bin_offsets[1] - bin_offsets[0] if len(bin_offsets) > 1 else 0
    positions = (np.asarray(bin_offsets) + bin_size / 2) / 1000
    for (change, mark), rows in bin_table.groupby(["predicted_change", "mark"], sort=False):
        if change == "unchanged":
            continue
        bins_axis.plot(
            positions[rows["bin"].to_numpy()],
            rows["attention"],
            color=colours[mark],
            linestyle="-" if change == "up" else "--",
            label=f"{mark} ({change})",
        )
    bins_axis.set_xlabel("kb from TSS")
    bins_axis.set_ylabel("mean bin attention")
    bins_axis.legend(fontsize="xx-small", ncol=2)
    wide = mark_table.pivot(index="mark", columns="predicted_change", values="attention")
    changes = [name for name in CLASS_NAMES if name in wide.columns]
    wide = wide.reindex(index=marks, columns=changes)
    width = 0.8 / max(len(changes), 1)
    for index, change in enumerate(changes):
        marks_axis.bar(
            np.arange(len(marks)) + (index - (len(changes) - 1) / 2) * width,
            wide[change],
            width,
            label=f"predicted {change}",
            color=CLASS_COLOURS[change],
        )
    marks_axis.set_xticks(np.arange(len(marks)), marks, rotation=45, ha="right")
    marks_axis.set_ylabel("mean mark attention")
    marks_axis.legend(fontsize="x-small")
    set_suptitle(figure, title)
    save_png(figure, out_png, simulated)


def run_scatter(
    table: Path,
    predictions: dict[str, Path],
    cell_a: str,
    cell_b: str,
    threshold: float,
    out_png: Path,
    simulated: bool = False,
) -> None:
    """The scatter figure of one pair from differential.tsv and each model's predictions.tsv
    (``predictions``: model -> path)."""
    scores = pd.read_csv(table, sep="\t", dtype={"cell_a": str, "cell_b": str})
    scores = scores[(scores["cell_a"] == cell_a) & (scores["cell_b"] == cell_b)]
    runs = []
    for model, path in predictions.items():
        rows = pd.read_csv(path, sep="\t", dtype={"gene_id": str})
        runs.append((model, rows[rows["split"] == "test"]))
    plot_scatter(runs, scores, cell_a, cell_b, threshold, out_png, simulated)
