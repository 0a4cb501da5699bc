"""Data QC: reads per file, reads dropped by the contig filter, reads in TSS windows, labels.

Read numbers come from the contig filter's reports (``results/qc/reads/{cell}-{mark}.json``,
written when BAMs are built); without them (``bam: false``, bigWig input, processed source) the
read columns are empty. ``fraction_in_windows`` is the bin counts summed over every gene's
window divided by the reads kept: a read straddling two bins, or lying in the windows of two
neighbouring genes, counts once per bin, so it is an upper bound of the fraction of reads in TSS
windows (tight: reads are 36 bp against 100 bp bins).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.plots.figure import new_figure, save_png


def read_filter_report(path: str | os.PathLike[str]) -> dict:
    try:
        report = json.loads(Path(path).read_text())
        dropped = sum(report["dropped_unknown_contig"].values())
        return {
            "reads_total": int(report["reads_total"]),
            "reads_kept": int(report["reads_kept"]),
            "dropped_unknown_contig": int(dropped),
            "dropped_beyond_end": int(report["dropped_beyond_end"]),
        }
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise InputFormatError(path, f"not a read filter report: {error}") from error


def reads_table(
    datasets: Sequence[CellDataset],
    reports: Mapping[tuple[str, str], str | os.PathLike[str]],
    counts_are_reads: bool = True,
) -> pd.DataFrame:
    """One row per cell and mark: ``cell, mark, reads_total, reads_kept, dropped_unknown_contig,
    dropped_beyond_end, fraction_dropped, reads_in_windows, fraction_in_windows``.

    ``reports`` maps (cell, mark) to a filter report; missing ones leave the read columns empty.
    ``reads_in_windows`` is left empty when the counts are not reads (signal input).
    """
    rows = []
    for dataset in datasets:
        for index, mark in enumerate(dataset.marks):
            mark = str(mark)
            row: dict = {"cell": dataset.cell, "mark": mark}
            report = reports.get((dataset.cell, mark))
            row.update(
                read_filter_report(report)
                if report
                else dict.fromkeys(
                    ("reads_total", "reads_kept", "dropped_unknown_contig", "dropped_beyond_end")
                )
            )
            in_windows = float(dataset.counts[:, index].sum()) if counts_are_reads else None
            row["reads_in_windows"] = in_windows
            if report:
                dropped = row["dropped_unknown_contig"] + row["dropped_beyond_end"]
                row["fraction_dropped"] = (
                    dropped / row["reads_total"] if row["reads_total"] else np.nan
                )
                row["fraction_in_windows"] = (
                    in_windows / row["reads_kept"]
                    if in_windows is not None and row["reads_kept"]
                    else np.nan
                )
            else:
                row["fraction_dropped"] = row["fraction_in_windows"] = np.nan
            rows.append(row)
    columns = [
        "cell",
        "mark",
        "reads_total",
        "reads_kept",
        "dropped_unknown_contig",
        "dropped_beyond_end",
        "fraction_dropped",
        "reads_in_windows",
        "fraction_in_windows",
    ]
    return pd.DataFrame(rows, columns=columns)


def label_balance(datasets: Sequence[CellDataset]) -> pd.DataFrame:
    """One row per cell and split (and ``all``): ``cell, split, n_genes, n_high, fraction_high``."""
    rows = []
    for dataset in datasets:
        for split in (*SPLITS, "all"):
            chosen = np.ones(dataset.n_genes, bool) if split == "all" else dataset.mask(split)
            n_high = int(dataset.labels[chosen].sum())
            n_genes = int(chosen.sum())
            rows.append(
                {
                    "cell": dataset.cell,
                    "split": split,
                    "n_genes": n_genes,
                    "n_high": n_high,
                    "fraction_high": n_high / n_genes if n_genes else np.nan,
                }
            )
    return pd.DataFrame(rows)


def plot_qc(
    path: str | os.PathLike[str],
    reads: pd.DataFrame,
    labels: pd.DataFrame,
    simulated: bool = False,
) -> None:
    """Three panels: reads kept and dropped per file, fraction in TSS windows, label balance."""
    figure = new_figure(14, 4.2)
    kept_axis, window_axis, label_axis = figure.subplots(1, 3)
    names = (reads["cell"] + " " + reads["mark"]).tolist()
    positions = np.arange(len(names))
    have_reads = reads["reads_total"].notna().any()
    if have_reads:
        kept = reads["reads_kept"].astype(float)
        dropped = reads["reads_total"].astype(float) - kept
        kept_axis.bar(positions, kept, label="kept")
        kept_axis.bar(positions, dropped, bottom=kept, label="dropped (contig filter)")
        kept_axis.legend(fontsize="x-small")
        window_axis.bar(positions, reads["fraction_in_windows"].astype(float))
    else:
        for axis in (kept_axis, window_axis):
            axis.text(
                0.5, 0.5, "no read reports\n(BAMs not built)", ha="center", transform=axis.transAxes
            )
    kept_axis.set_title("reads per file", fontsize="medium")
    window_axis.set_title("fraction of kept reads in TSS windows", fontsize="medium")
    for axis in (kept_axis, window_axis):
        axis.set_xticks(positions, names, rotation=90, fontsize="x-small")
    wide = labels.pivot(index="cell", columns="split", values="fraction_high")
    splits = [split for split in (*SPLITS, "all") if split in wide.columns]
    width = 0.8 / len(splits)
    for index, split in enumerate(splits):
        label_axis.bar(
            np.arange(len(wide)) + (index - (len(splits) - 1) / 2) * width,
            wide[split],
            width,
            label=split,
        )
    label_axis.axhline(0.5, color="black", linewidth=0.8)
    label_axis.set_xticks(np.arange(len(wide)), wide.index, rotation=90)
    label_axis.set_ylim(0, 1)
    label_axis.set_title("fraction of genes labelled high", fontsize="medium")
    label_axis.legend(fontsize="x-small")
    save_png(figure, path, simulated)
