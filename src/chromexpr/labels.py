"""Expression labels: 1 (high) if a gene's RPKM is at least its cell type's median, else 0."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.rpkm import read_rpkm_table

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ["gene_id", "cell", "rpkm", "median_rpkm", "label"]


def median_rpkm_labels(rpkm: np.ndarray) -> np.ndarray:
    """Labels [genes] (int8): ``rpkm >= median(rpkm)``; ties with the median are high."""
    rpkm = np.asarray(rpkm, dtype=np.float64)
    if rpkm.size == 0:
        raise ValueError("no RPKM values")
    return (rpkm >= np.median(rpkm)).astype(np.int8)


MEDIAN_OVER = ("genes", "rows")


def label_table(
    gene_ids: Sequence[str], rpkm: pd.DataFrame, cells: Sequence[str], median_over: str = "genes"
) -> pd.DataFrame:
    """Long table (``gene_id, cell, rpkm, median_rpkm, label``) in gene-table order per cell.

    ``median_over`` genes: the median is taken over the distinct genes of the gene table, so a
    gene listed twice (the published set has seven) counts once. rows: over the gene table's
    rows, each listed gene as often as it is listed (the published 19,802 rows: for E003 3.330
    rather than 3.329, which moves one gene, ZNF236, across the threshold).
    """
    if median_over not in MEDIAN_OVER:
        raise ConfigError("labels.median_over", f"{median_over!r} is not one of {MEDIAN_OVER}")
    gene_ids = list(gene_ids)
    missing = [gene for gene in dict.fromkeys(gene_ids) if gene not in rpkm.index]
    if missing:
        raise InputFormatError(
            "RPKM table", f"{len(missing)} genes of the gene table missing, first {missing[0]}"
        )
    distinct = rpkm.loc[list(dict.fromkeys(gene_ids) if median_over == "genes" else gene_ids)]
    frames = []
    for cell in cells:
        median = float(np.median(distinct[cell].to_numpy()))
        values = rpkm.loc[gene_ids, cell].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "gene_id": gene_ids,
                    "cell": cell,
                    "rpkm": values,
                    "median_rpkm": median,
                    "label": (values >= median).astype(np.int8),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_label_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    write_tsv(table[LABEL_COLUMNS], path)


def read_label_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", dtype={"gene_id": str, "cell": str})
    missing = [column for column in LABEL_COLUMNS if column not in table.columns]
    if missing:
        raise InputFormatError(path, f"not a label table: missing columns {missing}", 1)
    return table


def write_cell_labels(
    genes_path: str | os.PathLike[str],
    rpkm_path: str | os.PathLike[str],
    cells: Sequence[str],
    out_path: str | os.PathLike[str],
    median_over: str = "genes",
) -> pd.DataFrame:
    """Labels of every gene of the gene table in every configured cell type."""
    genes = read_gene_table(genes_path)
    table = label_table(genes["gene_id"], read_rpkm_table(rpkm_path, cells), cells, median_over)
    for cell, rows in table.groupby("cell", sort=False):
        logger.info(
            f"{cell}: median RPKM {rows['median_rpkm'].iloc[0]:.3f}, "
            f"{int(rows['label'].sum())} high / {int((rows['label'] == 0).sum())} low"
        )
    write_label_table(table, out_path)
    return table
