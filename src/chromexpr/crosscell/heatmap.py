"""The pairwise transfer matrix as a heatmap, cells ordered by average-linkage clustering."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from chromexpr.plots.figure import new_figure, save_figure, set_title

# Matrices up to this size get their AUCs written in the heatmap's cells.
ANNOTATED_CELLS = 12


def cluster_order(matrix: pd.DataFrame) -> list[str]:
    """The cells of a square AUC matrix [train cells, test cells] in the leaf order of an
    average-linkage (UPGMA) clustering (``scipy.cluster.hierarchy``), so that cells that
    transfer well to each other sit together.

    Distance between cells a and b: 1 - (AUC(a -> b) + AUC(b -> a)) / 2. Deterministic for the
    same matrix.
    """
    cells = list(matrix.index)
    if set(cells) != set(matrix.columns) or len(set(cells)) != len(cells):
        raise ValueError("cluster_order needs a square matrix with the same cells on both axes")
    values = matrix.loc[cells, cells].to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError("cluster_order needs a complete matrix; some AUCs are missing")
    if len(cells) < 2:
        return cells
    distance = 1 - (values + values.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return [cells[index] for index in leaves_list(tree)]


def colour_range(values: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends: the lowest and highest value rounded out to 0.01, at least 0.02
    apart so that a matrix of near-equal AUCs still reads as near-equal."""
    lowest = math.floor(float(np.min(values)) * 100) / 100
    highest = math.ceil(float(np.max(values)) * 100) / 100
    if highest - lowest < 0.02:
        middle = (highest + lowest) / 2
        lowest, highest = middle - 0.01, middle + 0.01
    return lowest, highest


def plot_transfer_heatmap(
    matrix: pd.DataFrame, out_png: Path, out_svg: Path, title: str, simulated: bool = False
) -> Figure:
    """Heatmap of a pairwise AUC matrix (rows: train cell, columns: test cell), cells in
    ``cluster_order`` on both axes; the colour scale spans the matrix's lowest to highest AUC
    (rounded out to 0.01), and the AUC is written in each square up to ``ANNOTATED_CELLS``
    cells.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same matrix. Returns the figure.
    """
    order = cluster_order(matrix)
    values = matrix.loc[order, order].to_numpy(dtype=float)
    n_cells = len(order)
    side = max(4.0, 1.5 + 0.2 * n_cells)
    figure = new_figure(side + 1.2, side)
    axes = figure.add_subplot()
    lowest, highest = colour_range(values)
    image = axes.imshow(values, cmap="viridis", vmin=lowest, vmax=highest, interpolation="nearest")
    if n_cells <= ANNOTATED_CELLS:
        middle = (lowest + highest) / 2
        for row in range(n_cells):
            for column in range(n_cells):
                value = values[row, column]
                axes.text(
                    column,
                    row,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="black" if value > middle else "white",
                )
    tick_size = "small" if n_cells <= 30 else "x-small"
    axes.set_xticks(range(n_cells), order, rotation=90, fontsize=tick_size)
    axes.set_yticks(range(n_cells), order, fontsize=tick_size)
    axes.set_xlabel("tested on (cell type's test genes)")
    axes.set_ylabel("trained on (cell type's training genes)")
    set_title(axes, title)
    figure.colorbar(image, ax=axes, label="test AUC", shrink=0.8)

    save_figure(figure, out_png, out_svg, simulated)
    return figure
