"""Signal profiles: mean counts per bin and mark of high and low genes of one cell type.

All genes of the dataset (every split) count: the profile describes the data, not a model.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.interpret.outputs import FLOAT_FORMAT, bin_axis_kb, profile_panels

CLASS_NAMES = ("low", "high")


def signal_profiles(dataset: CellDataset) -> pd.DataFrame:
    """``label, mark, bin_offset, mean_count, n_genes``: one row per class, mark and bin."""
    rows = []
    for target_class, name in enumerate(CLASS_NAMES):
        chosen = dataset.labels == target_class
        means = dataset.counts[chosen].astype(np.float64).mean(axis=0) if chosen.any() else None
        for index, mark in enumerate(dataset.marks):
            for column, offset in enumerate(dataset.bin_offsets):
                rows.append(
                    {
                        "label": name,
                        "mark": str(mark),
                        "bin_offset": int(offset),
                        "mean_count": float(means[index, column]) if means is not None else np.nan,
                        "n_genes": int(chosen.sum()),
                    }
                )
    return pd.DataFrame(rows)


def plot_profiles(
    path: str | os.PathLike[str], table: pd.DataFrame, title: str, simulated: bool = False
) -> None:
    """One panel per mark: mean count per bin of high (red) and low (blue) genes."""
    marks = list(dict.fromkeys(table["mark"]))
    offsets = np.sort(table["bin_offset"].unique())
    bin_size = int(offsets[1] - offsets[0]) if len(offsets) > 1 else 1
    with profile_panels(marks, title, path, simulated) as axes:
        for axis, mark in zip(axes, marks, strict=True):
            for name, colour in (("high", "tab:red"), ("low", "tab:blue")):
                rows = table[(table["mark"] == mark) & (table["label"] == name)].sort_values(
                    "bin_offset"
                )
                n_genes = int(rows["n_genes"].iloc[0]) if len(rows) else 0
                axis.plot(
                    bin_axis_kb(rows["bin_offset"].to_numpy(), bin_size),
                    rows["mean_count"],
                    color=colour,
                    label=f"{name} ({n_genes} genes)",
                )


def run_profiles(
    dataset: CellDataset,
    out_tsv: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    simulated: bool = False,
) -> pd.DataFrame:
    table = signal_profiles(dataset)
    write_tsv(table, out_tsv, float_format=FLOAT_FORMAT)
    title = f"cell {dataset.cell}: mean signal of high and low genes"
    plot_profiles(out_png, table, title, simulated)
    return table
