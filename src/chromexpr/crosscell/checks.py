"""Checks before any cross-cell scoring or training: no test gene was seen, the datasets line up."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chromexpr.dataset import CellDataset
from chromexpr.errors import DatasetMismatchError, LeakageError, preview

__all__ = ["DatasetMismatchError", "LeakageError"]


def check_no_test_leakage(train_sets: Sequence[CellDataset], test_set: CellDataset) -> None:
    """LeakageError if a gene id of a training or validation split of ``train_sets`` is in the
    test split of ``test_set``; DatasetMismatchError unless all of them have the same genes in
    the same order, the same split, marks and bins.

    Validation genes count as seen: they choose the model's epoch. Leakage is checked first, so
    that a gene moved into another split is reported as what it is.
    """
    _check_disjoint(train_sets, test_set)
    for train_set in train_sets:
        check_same_layout(train_set, test_set)


def check_experiment(train_sets: Sequence[CellDataset], test_sets: Sequence[CellDataset]) -> None:
    """``check_no_test_leakage`` for every test set; any leakage is reported before a mismatch."""
    for test_set in test_sets:
        _check_disjoint(train_sets, test_set)
    for test_set in test_sets:
        check_no_test_leakage(train_sets, test_set)


def _check_disjoint(train_sets: Sequence[CellDataset], test_set: CellDataset) -> None:
    test_genes = test_set.gene_ids[test_set.mask("test")]
    # Datasets laid out like the test set see the same genes: one comparison serves them all.
    checked_same_layout = False
    for train_set in train_sets:
        same_layout = _same_genes_and_split(train_set, test_set)
        if not (same_layout and checked_same_layout):
            seen = train_set.gene_ids[~train_set.mask("test")]
            leaked = np.intersect1d(seen, test_genes)
            if len(leaked):
                raise LeakageError(
                    f"{len(leaked)} test gene(s) of cell {test_set.cell} are training or "
                    f"validation genes of cell {train_set.cell} (first: {leaked[0]}); a model "
                    "would be scored on genes it was trained on"
                )
        checked_same_layout = checked_same_layout or same_layout


def check_same_layout(first: CellDataset, second: CellDataset) -> None:
    """DatasetMismatchError unless both datasets list the same genes in the same order, with the
    same split, marks and bins."""
    check_same_features(first, second)
    if not _same_genes_and_split(first, second):
        if len(first.gene_ids) != len(second.gene_ids):
            what = f"{len(first.gene_ids)} and {len(second.gene_ids)} genes"
        else:
            differs = (first.gene_ids != second.gene_ids) | (first.split != second.split)
            row = int(np.flatnonzero(differs)[0])
            what = (
                f"row {row} is gene {first.gene_ids[row]} ({first.split[row]}) in one, "
                f"{second.gene_ids[row]} ({second.split[row]}) in the other"
            )
        raise DatasetMismatchError(
            f"cells {first.cell} and {second.cell} differ in genes or split: {what}; cross-cell "
            "experiments need datasets built from the same gene table and split"
        )


def check_same_features(first: CellDataset, second: CellDataset) -> None:
    """DatasetMismatchError unless both datasets have the same marks, in order, and bins: a model
    reads marks by position."""
    for name in ("marks", "bin_offsets"):
        ours, theirs = getattr(first, name), getattr(second, name)
        if not np.array_equal(ours, theirs):
            raise DatasetMismatchError(
                f"cells {first.cell} and {second.cell} differ in {name}: "
                f"{preview(ours)} vs {preview(theirs)}"
            )


def _same_genes_and_split(first: CellDataset, second: CellDataset) -> bool:
    return np.array_equal(first.gene_ids, second.gene_ids) and np.array_equal(
        first.split, second.split
    )
