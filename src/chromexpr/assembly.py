"""Assembly of a cell type's dataset from the workflow's intermediate files."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from chromexpr.dataset import UNKNOWN_UNIT, CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.genome.bins import bin_offsets
from chromexpr.genome.tss import position_rows, read_gene_table
from chromexpr.labels import read_label_table
from chromexpr.splits import read_split_table

logger = logging.getLogger(__name__)


def assemble_cell_dataset(
    cell: str,
    genes: pd.DataFrame,
    labels: pd.DataFrame | None,
    split: pd.DataFrame,
    mark_counts: Mapping[str, np.ndarray],
    offsets: np.ndarray,
) -> CellDataset:
    """Join the gene table, the cell's labels, the split and per-mark counts [genes, bins].

    ``labels`` is the long label table (all cells), or None for a sample without expression
    (a prediction target: labels -1, expression NaN, its unit ``unknown``); ``split`` the split
    table. The tables must list
    the same genes in the same order: a mismatch means they come from different runs.
    """
    gene_ids = genes["gene_id"].to_numpy(str)
    if labels is None:
        cell_labels = pd.DataFrame(
            {
                "gene_id": gene_ids,
                "label": np.full(len(gene_ids), -1),
                "expression": np.nan,
                "unit": UNKNOWN_UNIT,
            }
        )
    else:
        cell_labels = labels[labels["cell"] == cell].reset_index(drop=True)
        if cell_labels.empty:
            raise InputFormatError("label table", f"no labels for cell {cell}")
    for name, table in (("label table", cell_labels), ("split table", split)):
        if not np.array_equal(table["gene_id"].to_numpy(str), gene_ids):
            raise InputFormatError(
                name, f"genes differ from the gene table (cell {cell}): rerun the workflow"
            )
    marks = list(mark_counts)
    for mark, matrix in mark_counts.items():
        if matrix.shape != (len(genes), len(offsets)):
            raise InputFormatError(
                f"counts of {cell}-{mark}",
                f"shape {matrix.shape}, expected {(len(genes), len(offsets))}",
            )
    counts = np.stack([mark_counts[mark] for mark in marks], axis=1)
    if not np.issubdtype(counts.dtype, np.integer):
        # int32 reads beside float32 signal stack to float64; float32 holds both exactly.
        counts = counts.astype(np.float32)
    return CellDataset(
        cell=cell,
        gene_ids=gene_ids,
        symbols=genes["symbol"].fillna("").to_numpy(str),
        chrom=genes["chrom"].to_numpy(str),
        tss=genes["tss"].to_numpy(np.int64),
        strand=genes["strand"].to_numpy(str),
        counts=counts,
        labels=cell_labels["label"].to_numpy(np.int8),
        expression=cell_labels["expression"].to_numpy(np.float64),
        expression_unit=_one_unit(cell_labels, cell),
        split=split["split"].to_numpy(str),
        marks=np.array(marks),
        bin_offsets=np.asarray(offsets, dtype=np.int64),
        # a mark's counts file is int32 for reads, float32 for a bigWig's signal
        mark_kinds=np.array(
            [
                "reads" if np.issubdtype(mark_counts[mark].dtype, np.integer) else "signal"
                for mark in marks
            ]
        ),
    )


def _one_unit(cell_labels: pd.DataFrame, cell: str) -> str:
    """The one unit of a cell's label rows (rows of one table share it)."""
    units = cell_labels["unit"].unique()
    if len(units) != 1:
        raise InputFormatError("label table", f"cell {cell} has values in units {list(units)}")
    return str(units[0])


def assemble_from_files(
    cell: str,
    genes_path: str | os.PathLike[str],
    positions_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str] | None,
    split_path: str | os.PathLike[str],
    counts_paths: Mapping[str, str | os.PathLike[str]],
    bins: Mapping[str, int],
    out_path: str | os.PathLike[str],
) -> CellDataset:
    """Read the workflow's intermediate files and write the cell's dataset (without labels
    where ``labels_path`` is None). Counts have one row per gene position; the gene table's
    genes are taken from them."""
    genes = read_gene_table(genes_path)
    positions = read_gene_table(positions_path)
    rows = position_rows(positions, genes)
    mark_counts = {}
    for mark, path in counts_paths.items():
        counts = np.load(path)
        if len(counts) != len(positions):
            raise InputFormatError(
                path, f"{len(counts)} rows of counts for {len(positions)} gene positions: rerun"
            )
        mark_counts[mark] = counts[rows]
    dataset = assemble_cell_dataset(
        cell,
        genes,
        read_label_table(labels_path) if labels_path is not None else None,
        read_split_table(split_path),
        mark_counts,
        bin_offsets(bins["window"], bins["bin_size"]),
    )
    dataset.save(out_path)
    per_mark = dataset.counts.sum(axis=(0, 2))
    logger.info(
        f"{cell}: {dataset.n_genes} genes, reads in windows per mark: "
        + ", ".join(f"{mark} {int(n)}" for mark, n in zip(dataset.marks, per_mark, strict=True))
    )
    return dataset
