"""Figures of the scores: test AUC per cell type and model against the published DeepChrome
AUCs, each model's score across cell types, and validation AUC per training epoch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from chromexpr.plots.figure import new_figure, save_figure, save_png, set_title
from chromexpr.tables import read_auc_table, read_published_auc

# Panels to a row of the training curves: wide enough to read, however many models.
TRAINING_CURVE_COLUMNS = 3


def plot_auc(
    auc_table: Path | pd.DataFrame,
    published_auc: Path,
    out_png: Path,
    out_svg: Path,
    simulated: bool = False,
) -> Figure:
    """Test AUC of every (cell, model) in ``auc_table`` (auc.tsv or its frame) as points, one
    colour per model, side by side within a cell, with its 95% DeLong interval where the table
    has one; the published DeepChrome AUC as a black bar. Where a (cell, model) has several runs
    (folds, seeds) the point is their mean, with a bar of plus and minus one standard deviation.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same inputs. Returns the figure.
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
        rows = table[table["model"] == model]
        offset = (index - (len(models) - 1) / 2) * spread
        errors = None
        if rows["cell"].duplicated().any():
            runs = rows.groupby("cell")["test_auc"]
            aucs, errors = runs.mean().reindex(cells), runs.std().reindex(cells)
        else:
            rows = rows.set_index("cell").reindex(cells)
            aucs = rows["test_auc"]
            if {"test_auc_ci_low", "test_auc_ci_high"} <= set(rows.columns):
                errors = [
                    rows["test_auc"] - rows["test_auc_ci_low"],
                    rows["test_auc_ci_high"] - rows["test_auc"],
                ]
        axes.errorbar(
            positions + offset, aucs, yerr=errors, fmt="o", markersize=5, elinewidth=1, label=model
        )
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

    values = pd.concat([table.get("test_auc_ci_low", table["test_auc"]), published_values]).dropna()
    lowest = float(values.min()) if len(values) else 0.5
    axes.set_ylim(max(0.0, min(0.5, lowest - 0.05)), 1.0)
    axes.set_xticks(positions, cells, rotation=90)
    axes.set_xlim(-0.7, len(cells) - 0.3)
    axes.set_xlabel("cell type (Roadmap epigenome)")
    axes.set_ylabel("test AUC")
    set_title(axes, "Gene expression (high/low) prediction: test AUC per cell type")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")

    save_figure(figure, out_png, out_svg, simulated)
    return figure


def score_label(score: str) -> str:
    """Axis label of a table's score column."""
    return {"test_auc": "test AUC", "test_pearson": "test Pearson r"}.get(score, score)


def plot_model_comparison(
    table: Path | pd.DataFrame,
    out_png: Path,
    out_svg: Path,
    score: str = "test_auc",
    simulated: bool = False,
) -> Figure:
    """``score`` of every model across cell types: one point per cell type (with its 95%
    interval where the table has ``{score}_ci_low`` / ``{score}_ci_high``), the mean over cell
    types as a bar, models sorted by that mean. Where a (cell, model) has several runs (folds,
    seeds) its point is their mean, with a bar of plus and minus one standard deviation. The axis
    runs from chance (AUC 0.5, r 0) or the lowest value to 1, so that differences are seen at
    their true scale. Byte-identical files for the same inputs (a fixed spread of the points
    instead of random jitter). Returns the figure.
    """
    table = table if isinstance(table, pd.DataFrame) else read_auc_table(table)
    table = table.dropna(subset=[score])
    low, high = f"{score}_ci_low", f"{score}_ci_high"
    interval = ", bars 95% CI"
    runs = table.groupby(["model", "cell"])[score]
    if (runs.size() > 1).any():
        table = runs.agg(["mean", "std"]).reset_index().rename(columns={"mean": score})
        spread = table.pop("std").fillna(0.0)
        table[low], table[high] = table[score] - spread, table[score] + spread
        interval = ", bars +-1 sd over folds and seeds"
    means = table.groupby("model")[score].mean().sort_values(ascending=False)
    models = list(means.index)
    has_intervals = low in table.columns and high in table.columns

    figure = new_figure(max(5.0, 1.8 + 0.9 * len(models)), 4.5)
    axes = figure.add_subplot()
    for position, model in enumerate(models):
        rows = table[table["model"] == model].sort_values("cell")
        points = rows[score].to_numpy(dtype=float)
        spread = np.linspace(-0.2, 0.2, len(points)) if len(points) > 1 else np.zeros(1)
        if has_intervals:
            axes.errorbar(
                position + spread,
                points,
                yerr=[points - rows[low].to_numpy(float), rows[high].to_numpy(float) - points],
                fmt="none",
                ecolor="tab:blue",
                alpha=0.5,
                elinewidth=1,
            )
        axes.plot(position + spread, points, "o", markersize=5, color="tab:blue")
        axes.plot([position - 0.3, position + 0.3], [means[model]] * 2, color="black", lw=2)
    chance = 0.5 if score.endswith("auc") else 0.0
    lowest = float(table[low].min() if has_intervals else table[score].min())
    axes.set_ylim(min(chance, np.floor(lowest * 20) / 20), 1.0)
    axes.axhline(chance, color="grey", linestyle=":", linewidth=1)
    axes.set_xticks(range(len(models)), models, rotation=30, ha="right")
    axes.set_xlim(-0.6, len(models) - 0.4)
    label = score_label(score)
    axes.set_ylabel(label)
    n_cells = table["cell"].nunique()
    interval = interval if has_intervals else ""
    set_title(
        axes,
        f"{label} of each model on {n_cells} cell types "
        f"(points: cell types{interval}; line: mean; dotted: chance)",
    )
    axes.grid(axis="y", alpha=0.3)

    save_figure(figure, out_png, out_svg, simulated)
    return figure


def plot_training_curves(
    histories: dict[tuple[str, str], Path], out_png: Path, simulated: bool = False
) -> None:
    """Validation AUC per epoch (``history.tsv``) of every (model, cell): one panel per model
    (``TRAINING_CURVE_COLUMNS`` to a row), one line per cell, the kept (best) epoch marked with a
    dot."""
    models = sorted({model for model, _ in histories})
    columns = min(len(models), TRAINING_CURVE_COLUMNS)
    rows = math.ceil(len(models) / columns)
    figure = new_figure(5.0 * columns, 3.8 * rows)
    grid = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis in grid[len(models) :]:
        axis.set_visible(False)
    for axis, model in zip(grid, models, strict=False):
        for (name, cell), path in sorted(histories.items()):
            if name != model:
                continue
            history = pd.read_csv(path, sep="\t")
            (line,) = axis.plot(history["epoch"], history["valid_auc"], label=cell)
            best = history.loc[history["valid_auc"].idxmax()]
            axis.plot(best["epoch"], best["valid_auc"], "o", color=line.get_color())
        set_title(axis, model)
        if max(max(line.get_xdata()) for line in axis.get_lines()) == 1:
            # Fitted once (LightGBM, scikit-learn): one point per cell at epoch 1.
            axis.set_xticks([1])
            axis.set_xlabel("epoch (fitted once)")
        else:
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_xlabel("epoch")
        axis.set_ylabel("validation AUC")
        axis.grid(alpha=0.3)
        if len(axis.get_lines()) <= 24:
            axis.legend(fontsize="x-small", ncol=2)
    save_png(figure, out_png, simulated)
