"""A pair of cell types' datasets and what a differential model predicts for them.

The pair is two per-cell datasets (``chromexpr.dataset``) of the same genes, in the same order
and split, with the same marks and bins: the per-cell arrays already on disk, never recounted.
For cell types A and B (in that order) the targets are DeepDiff's (its ``getlabel``):

- the log2 fold change ``log2((expression_B + c) / (expression_A + c))`` with the pseudocount
  ``c`` (``differential.pseudocount``, 1 as DeepDiff), positive where B expresses more;
- the auxiliary per-cell targets ``log2(expression + c)`` of A and of B (DeepDiff's auxiliary
  tasks);
- a class per gene, ``up`` where the fold change is at least the threshold
  (``differential.threshold``), ``down`` where it is at most minus the threshold, else
  ``unchanged``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import DatasetMismatchError, TrainingError

CLASS_NAMES = ("down", "unchanged", "up")
# The class of each value of ``change_classes``.
CLASS_OF = {-1: "down", 0: "unchanged", 1: "up"}


def log2_expression(expression: np.ndarray, pseudocount: float) -> np.ndarray:
    """``log2(expression + pseudocount)`` [genes] float64."""
    return np.log2(np.asarray(expression, dtype=np.float64) + pseudocount)


def log2_fold_change(
    expression_a: np.ndarray, expression_b: np.ndarray, pseudocount: float
) -> np.ndarray:
    """``log2((expression_b + c) / (expression_a + c))`` [genes] float64: B over A."""
    return log2_expression(expression_b, pseudocount) - log2_expression(expression_a, pseudocount)


def change_classes(fold_change: np.ndarray, threshold: float) -> np.ndarray:
    """-1 (down), 0 (unchanged) or 1 (up) per gene [genes] int8: up where the log2 fold change
    is at least ``threshold``, down where at most ``-threshold``."""
    if threshold <= 0:
        raise ValueError(f"the threshold of a change must be positive; got {threshold}")
    fold_change = np.asarray(fold_change)
    return np.where(fold_change >= threshold, 1, np.where(fold_change <= -threshold, -1, 0)).astype(
        np.int8
    )


def check_same_layout(a: CellDataset, b: CellDataset) -> None:
    """DatasetMismatchError naming both cells unless ``a`` and ``b`` hold the same genes in the
    same order and split, with the same marks, bins and input kind."""
    name = f"datasets of cells {a.cell} and {b.cell}"
    if not np.array_equal(a.gene_ids.astype(str), b.gene_ids.astype(str)):
        raise DatasetMismatchError(
            f"{name} list different genes ({a.n_genes} and {b.n_genes}); build both from one "
            "gene table"
        )
    if not np.array_equal(a.split.astype(str), b.split.astype(str)):
        raise DatasetMismatchError(
            f"{name} split their genes differently; a gene may not cross sides"
        )
    if list(a.marks) != list(b.marks):
        raise DatasetMismatchError(f"{name} have marks {list(a.marks)} and {list(b.marks)}")
    if not np.array_equal(a.bin_offsets, b.bin_offsets):
        raise DatasetMismatchError(f"{name} have different bins")
    if a.input_kind != b.input_kind:
        raise DatasetMismatchError(f"{name} hold {a.input_kind} and {b.input_kind}")


@dataclass(frozen=True)
class PairDataset:
    """Cell types A and B of the same genes; the targets of B over A (module docstring)."""

    a: CellDataset
    b: CellDataset
    pseudocount: float = 1.0
    threshold: float = 1.0

    def __post_init__(self) -> None:
        check_same_layout(self.a, self.b)
        if self.pseudocount <= 0:
            raise ValueError(f"the pseudocount must be positive; got {self.pseudocount}")

    @property
    def name(self) -> str:
        """``A-B``, for messages."""
        return f"{self.a.cell}-{self.b.cell}"

    @property
    def n_genes(self) -> int:
        return self.a.n_genes

    @property
    def split(self) -> np.ndarray:
        return self.a.split

    def mask(self, split: str) -> np.ndarray:
        return self.a.mask(split)

    def counts(self) -> np.ndarray:
        """Both cells' counts [genes, 2 (A, B), marks, bins] float32: every model's input."""
        return np.stack([self.a.counts, self.b.counts], axis=1).astype(np.float32)

    def fold_change(self) -> np.ndarray:
        """The log2 fold change of B over A [genes] float64."""
        return log2_fold_change(self.a.expression, self.b.expression, self.pseudocount)

    def classes(self) -> np.ndarray:
        """-1 / 0 / 1 (down, unchanged, up) [genes] int8."""
        return change_classes(self.fold_change(), self.threshold)

    def targets(self) -> np.ndarray:
        """[genes, 3] float32: the log2 fold change, ``log2(expression + c)`` of A, of B."""
        return np.stack(
            [
                self.fold_change(),
                log2_expression(self.a.expression, self.pseudocount),
                log2_expression(self.b.expression, self.pseudocount),
            ],
            axis=1,
        ).astype(np.float32)

    def check_targets(self) -> None:
        """TrainingError unless every split has finite fold changes of two or more values."""
        fold_change = self.fold_change()
        for split in SPLITS:
            values = fold_change[self.mask(split)]
            if not np.all(np.isfinite(values)) or len(np.unique(values)) < 2:
                raise TrainingError(
                    f"pair {self.name}: the {split} split's fold changes ({len(values)} genes) "
                    "must be finite and take at least two values; do both cells have expression?"
                )
