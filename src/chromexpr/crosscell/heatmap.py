"""The pairwise transfer matrix as a heatmap, cells ordered by average-linkage clustering."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from chromexpr.plots import new_figure, save_figure

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


def plot_transfer_heatmap(matrix: pd.DataFrame, out_png: Path, out_svg: Path, title: str) -> None:
    """Heatmap of a pairwise AUC matrix (rows: train cell, columns: test cell), cells in
    ``cluster_order`` on both axes; the AUC is written in each square up to
    ``ANNOTATED_CELLS`` cells.

    Built on a bare Figure with the Agg canvas (no pyplot state); both files are byte-identical
    for the same matrix.
    """
    order = cluster_order(matrix)
    values = matrix.loc[order, order].to_numpy(dtype=float)
    n_cells = len(order)
    side = max(4.0, 1.5 + 0.2 * n_cells)
    figure = new_figure(side + 1.2, side)
    axes = figure.add_subplot()
    # Transfer AUCs can fall below chance; the scale starts at 0.5 unless one does.
    lowest = min(0.5, math.floor(float(values.min()) * 20) / 20)
    image = axes.imshow(values, cmap="viridis", vmin=lowest, vmax=1.0, interpolation="nearest")
    if n_cells <= ANNOTATED_CELLS:
        middle = (lowest + 1.0) / 2
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
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="test AUC", shrink=0.8)

    save_figure(figure, out_png, out_svg)
