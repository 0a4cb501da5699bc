"""Writing figures and tables: bare matplotlib Figures on the Agg canvas, atomic and reproducible."""

from __future__ import annotations

import os

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chromexpr.atomic import atomic_path


def new_figure(width: float, height: float) -> Figure:
    """A Figure with its own Agg canvas (no pyplot state, safe in parallel jobs)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``figure`` as PNG without a timestamp, so the same inputs give the same bytes."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=130, metadata={"Software": None})


def bin_axis_kb(bin_offsets, bin_size: int):
    """Centre of each bin relative to the TSS, in kb, for x axes."""
    return (bin_offsets + bin_size / 2) / 1000


def write_tsv(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """A table as TSV, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
