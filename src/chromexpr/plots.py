"""Figures of the report: test AUC per cell type and model, against the published DeepChrome AUCs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chromexpr.atomic import atomic_path
from chromexpr.tables import read_auc_table, read_published_auc

# A fixed salt makes the SVG's element ids, hence the file, identical from run to run.
SVG_HASH_SALT = "chromexpr"

# Written on every figure of a run on the embedded demo's generated data.
SIMULATED_NOTE = "Simulated demo data (chromexpr's generator), not measurements"

# Width of an average character as a share of the font size (DejaVu Sans, mixed text).
CHARACTER_WIDTH = 0.6


def new_figure(width: float, height: float) -> Figure:
    """A Figure with its own Agg canvas (no pyplot state, safe in parallel jobs)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def fitted(text: str, width_inches: float, fontsize: float) -> str:
    """``text`` wrapped onto lines that fit ``width_inches`` at ``fontsize`` points, so that a
    title never runs past the figure's edge."""
    characters = max(10, int(width_inches * 72 / (fontsize * CHARACTER_WIDTH)))
    return textwrap.fill(text, width=characters, break_on_hyphens=False)


def set_title(axes: Axes, text: str, fontsize: float = 12.0) -> None:
    """``axes``' title, wrapped to the axes' width."""
    width = axes.get_position().width * axes.figure.get_figwidth()
    axes.set_title(fitted(text, width, fontsize), fontsize=fontsize)


def set_suptitle(figure: Figure, text: str, fontsize: float = 12.0) -> None:
    """``figure``'s title, wrapped to the figure's width."""
    figure.suptitle(fitted(text, figure.get_figwidth(), fontsize), fontsize=fontsize)


def mark_simulated(figure: Figure) -> None:
    """Write ``SIMULATED_NOTE`` along the figure's bottom edge (under any figure-level x label),
    where the constrained layout keeps room for it."""
    note = fitted(SIMULATED_NOTE, figure.get_figwidth(), 10.0)
    label = figure.get_supxlabel()
    figure.supxlabel(f"{label}\n{note}" if label else note, fontsize=10.0, color="firebrick")


def save_png(figure: Figure, path: str | os.PathLike[str], simulated: bool = False) -> None:
    """Write ``figure`` as PNG without a timestamp, so the same inputs give the same bytes;
    ``simulated`` adds ``SIMULATED_NOTE`` first."""
    if simulated:
        mark_simulated(figure)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=130, metadata={"Software": None})


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


def save_figure(figure: Figure, out_png: Path, out_svg: Path, simulated: bool = False) -> None:
    """Write ``figure`` as PNG and SVG, atomically, byte-identical for the same figure;
    ``simulated`` adds ``SIMULATED_NOTE`` first."""
    if simulated:
        mark_simulated(figure)
    with mpl.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        with atomic_path(out_png) as tmp:
            figure.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
        with atomic_path(out_svg) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})


def plot_training_curves(
    histories: dict[tuple[str, str], Path], out_png: Path, simulated: bool = False
) -> None:
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
        set_title(axis, model)
        axis.set_xlabel("epoch")
        axis.set_ylabel("validation AUC")
        axis.grid(alpha=0.3)
        if len(axis.get_lines()) <= 24:
            axis.legend(fontsize="x-small", ncol=2)
    save_png(figure, out_png, simulated)


def plot_claims(
    claims: pd.DataFrame,
    pairs: pd.DataFrame,
    margin: float,
    out_png: Path,
    out_svg: Path,
    simulated: bool,
) -> None:
    """Forest plot of the claims tested: per claim, each sample's AUC difference (model a - model
    b, mean over folds and seeds) as small points, and the mean over samples with its 95% t
    interval; 0 and the equivalence margin as reference lines. Claims not run are left out."""
    tested = claims[claims["samples"] > 0].reset_index(drop=True)
    figure = new_figure(11.0, 2.4 + 0.5 * max(len(tested), 1))
    axes = figure.add_subplot()
    axes.axvspan(-margin, margin, color="0.9", label=f"equivalence margin ±{margin:g}")
    axes.axvline(0, color="black", linewidth=0.8)
    for position, row in tested.iterrows():
        per_sample = pairs[pairs["claim"] == row["key"]].groupby("cell")["difference"].mean()
        # Samples just below their claim's interval, so that the interval does not hide them.
        axes.plot(
            per_sample,
            np.full(len(per_sample), position + 0.2),
            "|",
            color="0.4",
            markersize=8,
            label="one sample (cell type)" if position == 0 else None,
        )
        low, high = row["ci_low"], row["ci_high"]
        errors = (
            None
            if pd.isna(low)
            else [[row["mean_difference"] - low], [high - row["mean_difference"]]]
        )
        axes.errorbar(
            row["mean_difference"],
            position,
            xerr=errors,
            fmt="o",
            color="tab:blue",
            capsize=3,
            label="mean over samples, 95% interval" if position == 0 else None,
        )
    axes.set_yticks(range(len(tested)), tested["compared"])
    axes.set_ylim(max(len(tested), 1) - 0.4, -0.6)
    axes.set_xlabel("test AUC difference, model a - model b")
    set_suptitle(figure, "Published claims: test AUC difference per pair of models compared")
    if not len(tested):
        axes.text(
            0.5, 0.5, "no claim could be tested on this run", ha="center", transform=axes.transAxes
        )
    axes.grid(axis="x", alpha=0.3)
    # On the right: the title takes the top edge, a demo run's simulated-data note the bottom.
    figure.legend(loc="outside right upper", fontsize="small")
    save_figure(figure, out_png, out_svg, simulated)
