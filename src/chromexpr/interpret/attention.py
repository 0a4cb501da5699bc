"""AttentiveChrome's attention (Singh et al. 2017), averaged over test genes per predicted class.

Input: ``results/interpret/attention/{model}/{cell}/attention.npz`` as
``chromexpr.interpret.attention_weights`` writes it from the trained model:
``gene_ids`` [genes], ``bins`` [genes, marks, bins] (each gene's and mark's bin attention sums to
1 over bins), ``marks`` [genes, marks] (sums to 1 over marks), ``probability`` [genes] (p(high)),
``label`` [genes], ``mark_names`` [marks]. A gene's predicted class is high when p >= 0.5.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import InputFormatError
from chromexpr.interpret.outputs import FLOAT_FORMAT
from chromexpr.plots.figure import new_figure, save_png, set_suptitle

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")
ATTENTION_KEYS = ("gene_ids", "bins", "marks", "probability", "label", "mark_names")


@dataclass(frozen=True)
class Attention:
    bins: np.ndarray  # [genes, marks, bins]
    marks: np.ndarray  # [genes, marks]
    probability: np.ndarray  # [genes]
    label: np.ndarray  # [genes]
    mark_names: np.ndarray  # [marks]

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class [genes]: 1 (high) when p(high) >= 0.5."""
        return (self.probability >= 0.5).astype(np.int64)


def load_attention(path: str | os.PathLike[str]) -> Attention:
    """Read and check an ``attention.npz``; InputFormatError naming the file otherwise."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = set(ATTENTION_KEYS) - set(archive.files)
            if missing:
                raise InputFormatError(path, f"not an attention archive: missing {sorted(missing)}")
            values = {key: archive[key] for key in ATTENTION_KEYS if key != "gene_ids"}
            n_genes = len(archive["gene_ids"])
    except (OSError, ValueError) as error:
        raise InputFormatError(path, f"cannot read attention: {error}") from error
    n_marks = len(values["mark_names"])
    if values["bins"].ndim != 3 or values["bins"].shape[:2] != (n_genes, n_marks):
        raise InputFormatError(
            path, f"bins has shape {values['bins'].shape}, expected ({n_genes}, {n_marks}, bins)"
        )
    if values["marks"].shape != (n_genes, n_marks):
        raise InputFormatError(
            path, f"marks has shape {values['marks'].shape}, expected ({n_genes}, {n_marks})"
        )
    return Attention(**values)


def summarise_attention(attention: Attention) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bin-level table (``predicted_class, mark, bin, attention``: mean over the class's genes)
    and mark-level table (``predicted_class, mark, attention, n_genes``). A class no gene is
    predicted in is left out."""
    bin_rows, mark_rows = [], []
    predicted = attention.predicted
    n_bins = attention.bins.shape[2]
    for target_class, name in enumerate(CLASS_NAMES):
        chosen = predicted == target_class
        if not chosen.any():
            continue
        bin_means = attention.bins[chosen].mean(axis=0)  # [marks, bins]
        mark_means = attention.marks[chosen].mean(axis=0)  # [marks]
        for index, mark in enumerate(attention.mark_names):
            bin_rows += [
                {
                    "predicted_class": name,
                    "mark": str(mark),
                    "bin": column,
                    "attention": float(bin_means[index, column]),
                }
                for column in range(n_bins)
            ]
            mark_rows.append(
                {
                    "predicted_class": name,
                    "mark": str(mark),
                    "attention": float(mark_means[index]),
                    "n_genes": int(chosen.sum()),
                }
            )
    return pd.DataFrame(bin_rows), pd.DataFrame(mark_rows)


def plot_attention(
    path: str | os.PathLike[str],
    bin_table: pd.DataFrame,
    mark_table: pd.DataFrame,
    bin_offsets: np.ndarray | None,
    title: str,
    simulated: bool = False,
) -> None:
    """Left: mean bin attention per mark (solid high, dashed low); right: mark attention per class."""
    figure = new_figure(11, 3.8)
    bins_axis, marks_axis = figure.subplots(1, 2, width_ratios=[2, 1])
    marks = list(dict.fromkeys(mark_table["mark"]))
    colours = {mark: f"C{index}" for index, mark in enumerate(marks)}
    for (name, mark), rows in bin_table.groupby(["predicted_class", "mark"], sort=False):
        positions = rows["bin"].to_numpy()
        if bin_offsets is not None and len(bin_offsets) == len(positions):
            positions = bin_offsets / 1000
        bins_axis.plot(
            positions,
            rows["attention"],
            color=colours[mark],
            linestyle="-" if name == "high" else "--",
            label=f"{mark} ({name})",
        )
    bins_axis.set_xlabel("kb from TSS" if bin_offsets is not None else "bin")
    bins_axis.set_ylabel("mean bin attention")
    bins_axis.legend(fontsize="xx-small", ncol=2)
    wide = mark_table.pivot(index="mark", columns="predicted_class", values="attention")
    wide = wide.reindex(index=marks, columns=[name for name in CLASS_NAMES if name in wide.columns])
    width = 0.8 / max(len(wide.columns), 1)
    for index, name in enumerate(wide.columns):
        marks_axis.bar(
            np.arange(len(marks)) + (index - (len(wide.columns) - 1) / 2) * width,
            wide[name],
            width,
            label=f"predicted {name}",
            color="tab:red" if name == "high" else "tab:blue",
        )
    marks_axis.set_xticks(np.arange(len(marks)), marks, rotation=45, ha="right")
    marks_axis.set_ylabel("mean mark attention")
    marks_axis.legend(fontsize="x-small")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def run_attention(
    attention_path: str | os.PathLike[str],
    out_bins: str | os.PathLike[str],
    out_marks: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    title: str,
    bin_offsets: np.ndarray | None = None,
    simulated: bool = False,
) -> None:
    attention = load_attention(attention_path)
    bin_table, mark_table = summarise_attention(attention)
    logger.info(f"{len(attention.probability)} genes, {attention.predicted.sum()} predicted high")
    write_tsv(bin_table, out_bins, float_format=FLOAT_FORMAT)
    write_tsv(mark_table, out_marks, float_format=FLOAT_FORMAT)
    plot_attention(out_png, bin_table, mark_table, bin_offsets, title, simulated)
