"""Expression labels: 1 (high) if a gene's expression is at least its cell type's median, else 0.

The tie rule: when the median is 0 (at least half the genes unexpressed, as with every biotype
or shallow RNA-seq), ``>= median`` would put every gene high, so a gene is high when its value is
above 0. A non-zero median keeps ``>=`` (REMC's and the demo's labels are those of the published
rule). Values that would all get one label (every value equal to the median) are an error
naming the sample and its share of zeros.

The label table (``LABEL_COLUMNS``), one row per gene and cell type, in gene-table order per
cell: ``expression`` and the cell's ``median_expression`` in ``unit`` (``rpkm``, ``fpkm`` or
``tpm``), and the ``label``. Tables written before the unit was recorded (columns ``rpkm`` and
``median_rpkm``, whatever the unit) are still read, their unit ``unknown``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import UNKNOWN_UNIT
from chromexpr.errors import ConfigError, InputFormatError, LabelError
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.expression import read_expression_table, value_unit

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ["gene_id", "cell", "expression", "median_expression", "label", "unit"]
# Columns of label tables written before the unit was recorded, and their names today.
UNRECORDED_UNIT_COLUMNS = {"rpkm": "expression", "median_rpkm": "median_expression"}


def median_labels(values: np.ndarray, median: float) -> np.ndarray:
    """Labels [genes] (int8) of ``values`` [genes] against ``median``: ``values >= median``, or
    ``values > 0`` when the median is 0 (the tie rule of the module docstring)."""
    values = np.asarray(values, dtype=np.float64)
    return (values > median if median == 0 else values >= median).astype(np.int8)


def median_expression_labels(expression: np.ndarray, sample: str = "expression") -> np.ndarray:
    """Labels [genes] (int8) of ``expression`` [genes] against its own median
    (:func:`median_labels`); values that would all get one label are a LabelError naming
    ``sample`` and its share of zeros."""
    expression = np.asarray(expression, dtype=np.float64)
    if expression.size == 0:
        raise ValueError("no expression values")
    return labels_that_differ(expression, float(np.median(expression)), sample)


def labels_that_differ(values: np.ndarray, median: float, sample: str) -> np.ndarray:
    """:func:`median_labels` of ``values`` [genes], a LabelError naming ``sample`` and its share
    of zeros where they would all be one label."""
    labels = median_labels(values, median)
    if labels.min() == labels.max():
        raise LabelError(
            f"{sample}: every one of {values.size} genes would be "
            f"{'high' if labels[0] else 'low'}: all values equal the median {median:g} "
            f"({np.mean(values == 0):.0%} zeros)"
        )
    return labels


MEDIAN_OVER = ("genes", "rows")


def label_table(
    gene_ids: Sequence[str],
    expression: pd.DataFrame,
    cells: Sequence[str],
    unit: str,
    median_over: str = "genes",
    source: object = "expression table",
) -> pd.DataFrame:
    """The label table (``LABEL_COLUMNS``) of ``expression`` [genes, cells], in ``unit``, read
    from ``source`` (named in errors); labels by :func:`median_labels`.

    ``median_over`` genes: the median is taken over the distinct genes of the gene table, so a
    gene listed twice (the published set has seven) counts once. rows: over the gene table's
    rows, each listed gene as often as it is listed (the published 19,802 rows: for E003 3.330
    rather than 3.329, which moves one gene, ZNF236, across the threshold).
    """
    if median_over not in MEDIAN_OVER:
        raise ConfigError("labels.median_over", f"{median_over!r} is not one of {MEDIAN_OVER}")
    gene_ids = list(gene_ids)
    missing = [gene for gene in dict.fromkeys(gene_ids) if gene not in expression.index]
    if missing:
        raise InputFormatError(
            source,
            f"{len(missing)} genes of the gene table missing, first {missing[0]}",
        )
    distinct = expression.loc[list(dict.fromkeys(gene_ids) if median_over == "genes" else gene_ids)]
    frames = []
    for cell in cells:
        over = distinct[cell].to_numpy(dtype=np.float64)
        median = float(np.median(over))
        labels_that_differ(over, median, f"{source}, sample {cell}")
        if median == 0:
            logger.warning(
                f"{cell}: {np.mean(over == 0):.0%} of the genes have value 0, the median; "
                "genes above 0 are high"
            )
        values = expression.loc[gene_ids, cell].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "gene_id": gene_ids,
                    "cell": cell,
                    "expression": values,
                    "median_expression": median,
                    "label": median_labels(values, median),
                    "unit": unit,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_label_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    write_tsv(table[LABEL_COLUMNS], path)


def read_label_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The label table of ``path`` with ``LABEL_COLUMNS``, of this layout or of the one before
    the unit was recorded (unit ``unknown``)."""
    table = pd.read_csv(path, sep="\t", dtype={"gene_id": str, "cell": str, "unit": str})
    if "unit" not in table.columns and set(UNRECORDED_UNIT_COLUMNS) <= set(table.columns):
        table = table.rename(columns=UNRECORDED_UNIT_COLUMNS).assign(unit=UNKNOWN_UNIT)
    missing = [column for column in LABEL_COLUMNS if column not in table.columns]
    if missing:
        raise InputFormatError(path, f"not a label table: missing columns {missing}", 1)
    return table


def write_cell_labels(
    genes_path: str | os.PathLike[str],
    expression_path: str | os.PathLike[str],
    cells: Sequence[str],
    unit: str,
    out_path: str | os.PathLike[str],
    median_over: str = "genes",
) -> pd.DataFrame:
    """Labels of every gene of the gene table in every configured cell type; ``unit`` is the
    config's ``expression.unit`` (the values of ``counts`` are TPM)."""
    genes = read_gene_table(genes_path)
    table = label_table(
        genes["gene_id"],
        read_expression_table(expression_path, cells),
        cells,
        value_unit(unit),
        median_over,
        expression_path,
    )
    for cell, rows in table.groupby("cell", sort=False):
        logger.info(
            f"{cell}: median expression {rows['median_expression'].iloc[0]:.3f} "
            f"{rows['unit'].iloc[0]}, "
            f"{int(rows['label'].sum())} high / {int((rows['label'] == 0).sum())} low"
        )
    write_label_table(table, out_path)
    return table
