"""Writing interpretation tables and bin axes (figures: ``chromexpr.plots.new_figure`` / ``save_png``)."""

from __future__ import annotations

import os

import pandas as pd

from chromexpr.atomic import atomic_path


def bin_axis_kb(bin_offsets, bin_size: int):
    """Centre of each bin relative to the TSS, in kb, for x axes."""
    return (bin_offsets + bin_size / 2) / 1000


def write_tsv(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """A table as TSV, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
