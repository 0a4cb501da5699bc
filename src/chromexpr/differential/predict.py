"""Predicted fold changes of two samples from their counts, by a differential bundle.

``predict_fold_changes`` applies a bundle (``chromexpr.differential.bundle``) to two samples'
datasets, A then B, of the bundle's marks and bins (any two samples: the model predicts B over
A for whichever it is given), and writes the ``predictions.tsv`` layout of
``chromexpr.differential.outputs`` (observed columns empty where the datasets have no
expression) and, where asked, a BED and a bigWig of the predicted log2 fold change at each TSS
(``chromexpr.predict``'s tracks). ``score_fold_changes`` scores a table against the datasets'
own expression, for samples whose expression was held back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.differential.bundle import DifferentialBundle, check_finite
from chromexpr.differential.outputs import (
    PREDICTION_COLUMN,
    predicted_fold_changes,
    predictions_table,
)
from chromexpr.errors import InputFormatError
from chromexpr.evaluation import correlations
from chromexpr.predict import write_bed, write_prediction_bigwig
from chromexpr.train.runtime import deterministic_algorithms, resolve_device

logger = logging.getLogger(__name__)


def predict_fold_changes(
    bundle: DifferentialBundle,
    dataset_a: CellDataset,
    dataset_b: CellDataset,
    out_tsv: str | os.PathLike[str],
    bed: str | os.PathLike[str] | None = None,
    bigwig: str | os.PathLike[str] | None = None,
    chrom_sizes: Mapping[str, int] | None = None,
    device: str = "cpu",
) -> pd.DataFrame:
    """Predict the log2 fold change of B over A for every gene and write the table (and the
    tracks where asked). Everything is checked and computed before the first file is written:
    DatasetMismatchError where the datasets do not fit the bundle or each other,
    InputFormatError for counts that are not finite or chromosomes the chrom sizes lack."""
    pair = bundle.pair(dataset_a, dataset_b)
    check_finite(pair)
    if bigwig is not None:
        if chrom_sizes is None:
            raise ValueError("a bigWig needs the chrom sizes")
        unknown = sorted(set(pair.a.chrom.tolist()) - set(chrom_sizes))
        if unknown:
            raise InputFormatError(bigwig, f"chromosomes {unknown} are not in the chrom sizes")
    torch_device = resolve_device(device)
    with deterministic_algorithms(torch_device):
        predicted = predicted_fold_changes(
            bundle.model.to(torch_device), pair.counts(), torch_device
        )
    table = predictions_table(pair, predicted)
    logger.info(
        "%s: %d genes of %s predicted; mean log2 fold change %.4f",
        bundle.name,
        pair.n_genes,
        pair.name,
        float(np.mean(predicted)),
    )
    write_tsv(table, out_tsv, float_format="%.9g")
    if bed is not None:
        write_bed(table, bed, PREDICTION_COLUMN)
    if bigwig is not None:
        write_prediction_bigwig(table, chrom_sizes, bigwig, PREDICTION_COLUMN)
    return table


def score_fold_changes(table: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """Pearson and Spearman r of the predicted against the observed fold changes of the genes
    of ``split``: one row (``n_genes``, ``pearson``, ``spearman``). ValueError where the table
    has no observed fold changes (datasets without expression)."""
    rows = table[table["split"] == split]
    if not np.all(np.isfinite(rows["log2_fold_change"])):
        raise ValueError("the datasets have no expression to score the predictions against")
    return pd.DataFrame(
        [
            {
                "split": split,
                "n_genes": len(rows),
                **correlations(rows["log2_fold_change"], rows[PREDICTION_COLUMN]),
            }
        ]
    )


def write_fold_change_tracks(
    predictions: str | os.PathLike[str],
    chrom_sizes: str | os.PathLike[str],
    bed: str | os.PathLike[str],
    bigwig: str | os.PathLike[str],
) -> None:
    """The BED and bigWig of a ``predictions.tsv``'s predicted log2 fold change at each TSS."""
    from chromexpr.io.chrom_sizes import read_chrom_sizes

    table = pd.read_csv(predictions, sep="\t", dtype={"gene_id": str, "chrom": str})
    sizes = read_chrom_sizes(chrom_sizes)
    write_bed(table, bed, PREDICTION_COLUMN)
    write_prediction_bigwig(table, sizes, bigwig, PREDICTION_COLUMN)
