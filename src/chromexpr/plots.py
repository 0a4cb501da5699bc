"""Figures of the report: test AUC per cell type and model, against the published DeepChrome AUCs."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chromexpr.atomic import atomic_path
from chromexpr.tables import read_auc_table, read_published_auc

# A fixed salt makes the SVG's element ids, hence the file, identical from run to run.
SVG_HASH_SALT = "chromexpr"


def new_figure(width: float, height: float) -> Figure:
    """A Figure with its own Agg canvas (no pyplot state, safe in parallel jobs)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``figure`` as PNG without a timestamp, so the same inputs give the same bytes."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=130, metadata={"Software": None})


def plot_auc(
    auc_table: Path | pd.DataFrame, published_auc: Path, out_png: Path, out_svg: Path
) -> None:
    """Test AUC of every (cell, model) in ``auc_table`` (auc.tsv or its frame) as points, one
    colour per model, side by side within a cell; the published DeepChrome AUC as a black bar.
    Where a (cell, model) has several runs (folds, seeds) the point is their mean, with a bar of
    plus and minus one standard deviation.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same inputs.
    """
    table = auc_table if isinstance(auc_table, pd.DataFrame) else read_auc_table(auc_table)
    published = read_published_auc(published_auc)
    cells = sorted(table["cell"].unique())
    models = sorted(table["model"].unique())
    positions = np.arange(len(cells))

    figure = new_figure(max(6.0, 2.0 + 0.28 * len(cells)), 4.5)
    axes = figure.add_subplot()
    # Models side by side inside each cell's slot, so that equal AUCs do not hide each other.
    spread = 0.6 / max(len(models), 1)
    for index, model in enumerate(models):
        runs = table[table["model"] == model].groupby("cell")["test_auc"]
        aucs, spreads = runs.mean().reindex(cells), runs.std().reindex(cells)
        offset = (index - (len(models) - 1) / 2) * spread
        axes.errorbar(positions + offset, aucs, yerr=spreads, fmt="o", markersize=5, label=model)
    published_values = published.reindex(cells)
    axes.plot(
        positions,
        published_values,
        "_",
        color="black",
        markersize=14,
        markeredgewidth=2,
        label="DeepChrome, published",
    )

    values = pd.concat([table["test_auc"], published_values]).dropna()
    lowest = float(values.min()) if len(values) else 0.5
    axes.set_ylim(max(0.0, min(0.5, lowest - 0.05)), 1.0)
    axes.set_xticks(positions, cells, rotation=90)
    axes.set_xlim(-0.7, len(cells) - 0.3)
    axes.set_xlabel("cell type (Roadmap epigenome)")
    axes.set_ylabel("test AUC")
    axes.set_title("Gene expression (high/low) prediction: test AUC per cell type")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")

    save_figure(figure, out_png, out_svg)


def plot_model_comparison(
    table: Path | pd.DataFrame, out_png: Path, out_svg: Path, score: str = "test_auc"
) -> None:
    """``score`` of every model across cell types: one box per model (median, quartiles) with
    each cell's value (the mean over its folds and seeds) drawn over it, models sorted by their
    median. Byte-identical files for the same inputs (a fixed spread of the points instead of
    random jitter)."""
    table = table if isinstance(table, pd.DataFrame) else read_auc_table(table)
    table = table.groupby(["model", "cell"], as_index=False)[score].mean()
    medians = table.groupby("model")[score].median().sort_values(ascending=False)
    models = list(medians.index)
    values = [table.loc[table["model"] == model, score].dropna().to_numpy() for model in models]

    figure = new_figure(max(5.0, 1.8 + 0.9 * len(models)), 4.5)
    axes = figure.add_subplot()
    positions = np.arange(1, len(models) + 1)
    axes.boxplot(values, positions=positions, widths=0.6, showfliers=False)
    for position, points in zip(positions, values, strict=True):
        spread = np.linspace(-0.15, 0.15, len(points)) if len(points) > 1 else np.zeros(1)
        axes.plot(position + spread, points, "o", markersize=4, alpha=0.7, color="tab:blue")
    axes.set_xticks(positions, models, rotation=30, ha="right")
    label = {"test_auc": "test AUC", "test_pearson": "test Pearson r"}.get(score, score)
    axes.set_ylabel(label)
    axes.set_title(f"Models across cell types: {label} (one point per cell type)")
    axes.grid(axis="y", alpha=0.3)

    save_figure(figure, out_png, out_svg)


def save_figure(figure: Figure, out_png: Path, out_svg: Path) -> None:
    """Write ``figure`` as PNG and SVG, atomically, byte-identical for the same figure."""
    with mpl.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        with atomic_path(out_png) as tmp:
            figure.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
        with atomic_path(out_svg) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})


def plot_training_curves(histories: dict[tuple[str, str], Path], out_png: Path) -> None:
    """Validation AUC per epoch (``history.tsv``) of every (model, cell): one panel per model,
    one line per cell, the kept (best) epoch marked with a dot."""
    models = sorted({model for model, _ in histories})
    figure = new_figure(5.0 * len(models), 3.8)
    axes = figure.subplots(1, len(models), squeeze=False)[0]
    for axis, model in zip(axes, models, strict=True):
        for (name, cell), path in sorted(histories.items()):
            if name != model:
                continue
            history = pd.read_csv(path, sep="\t")
            (line,) = axis.plot(history["epoch"], history["valid_auc"], label=cell)
            best = history.loc[history["valid_auc"].idxmax()]
            axis.plot(best["epoch"], best["valid_auc"], "o", color=line.get_color())
        axis.set_title(model)
        axis.set_xlabel("epoch")
        axis.set_ylabel("validation AUC")
        axis.grid(alpha=0.3)
        if len(axis.get_lines()) <= 24:
            axis.legend(fontsize="x-small", ncol=2)
    save_png(figure, out_png)
