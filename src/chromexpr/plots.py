"""Figures of the report: test AUC per cell type and model, against the published DeepChrome AUCs."""

from __future__ import annotations

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


def plot_auc(
    auc_table: Path | pd.DataFrame, published_auc: Path, out_png: Path, out_svg: Path
) -> None:
    """Test AUC of every (cell, model) in ``auc_table`` (auc.tsv or its frame) as points, one
    colour per model, side by side within a cell; the published DeepChrome AUC as a black bar.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same inputs.
    """
    table = auc_table if isinstance(auc_table, pd.DataFrame) else read_auc_table(auc_table)
    published = read_published_auc(published_auc)
    cells = sorted(table["cell"].unique())
    models = sorted(table["model"].unique())
    positions = np.arange(len(cells))

    figure = Figure(figsize=(max(6.0, 2.0 + 0.28 * len(cells)), 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Models side by side inside each cell's slot, so that equal AUCs do not hide each other.
    spread = 0.6 / max(len(models), 1)
    for index, model in enumerate(models):
        aucs = table[table["model"] == model].set_index("cell")["test_auc"].reindex(cells)
        offset = (index - (len(models) - 1) / 2) * spread
        axes.plot(positions + offset, aucs, "o", markersize=5, label=model)
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

    with mpl.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        with atomic_path(out_png) as tmp:
            figure.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
        with atomic_path(out_svg) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})


def plot_training_curves(histories: dict[tuple[str, str], Path], out_png: Path) -> None:
    """Validation AUC per epoch (``history.tsv``) of every (model, cell): one panel per model,
    one line per cell, the kept (best) epoch marked with a dot."""
    models = sorted({model for model, _ in histories})
    figure = Figure(figsize=(5.0 * len(models), 3.8), layout="constrained")
    FigureCanvasAgg(figure)
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
    with atomic_path(out_png) as tmp:
        figure.savefig(tmp, format="png", dpi=130, metadata={"Software": None})
