"""The sample-data layout of DeepDiff's code (github.com/QData/DeepDiffChrome, ``data/``).

For each cell type, no header anywhere:

- ``{cell}.expr.csv``: ``gene_id,expression`` per line, the gene's read count (REMC's
  ``57epigenomes.N.pc``);
- ``{cell}.{train,valid,test}.csv``: ``gene_id_symbol_bin,count,count,...`` per line, one count
  per mark (the README's order: ``MARKS``), a gene's bins 1..n consecutive lines.

The two cells of a pair hold the same genes in the same order in each split (their loader asserts
it); the targets are their ``getlabel``'s (``differential_targets``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.dataset import SPLITS
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.splits import check_disjoint_splits

# The count columns' marks, as the authors' README lists them (the files do not name them).
MARKS = ("H3K4me1", "H3K4me3", "H3K9me3", "H3K27me3", "H3K36me3")


@dataclass(frozen=True)
class PairSplit:
    """One split of a cell pair: genes [genes], counts [genes, marks, bins] of cell A and cell B,
    expression [genes] of each (read counts)."""

    gene_ids: np.ndarray
    counts_a: np.ndarray
    counts_b: np.ndarray
    expression_a: np.ndarray
    expression_b: np.ndarray


def differential_targets(
    expression_a: np.ndarray, expression_b: np.ndarray, pseudocount: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeepDiff's targets of expression values [genes]: the log2 fold change of B over A,
    ``log2((b + pseudocount) / (a + pseudocount))``, and ``log2(a + pseudocount)``,
    ``log2(b + pseudocount)`` (the auxiliary tasks)."""
    log_a = np.log2(np.asarray(expression_a, dtype=np.float64) + pseudocount)
    log_b = np.log2(np.asarray(expression_b, dtype=np.float64) + pseudocount)
    return log_b - log_a, log_a, log_b


def read_pair(root: str | os.PathLike[str], cell_a: str, cell_b: str) -> dict[str, PairSplit]:
    """The three splits of the pair ``cell_a``, ``cell_b`` under ``root``; a gene in two splits,
    or a split whose genes differ between the cells, is a DatasetMismatchError."""
    root = Path(root)
    expression = {cell: read_expression(root / f"{cell}.expr.csv") for cell in (cell_a, cell_b)}
    pair = {}
    for split in SPLITS:
        paths = [root / f"{cell}.{split}.csv" for cell in (cell_a, cell_b)]
        (genes_a, counts_a), (genes_b, counts_b) = (read_counts(path) for path in paths)
        if not np.array_equal(genes_a, genes_b) or counts_a.shape != counts_b.shape:
            raise DatasetMismatchError(
                f"{paths[0]} and {paths[1]} must hold the same genes in the same order with the "
                f"same marks and bins; they hold {len(genes_a)} and {len(genes_b)} genes, counts "
                f"{counts_a.shape} and {counts_b.shape}"
            )
        pair[split] = PairSplit(
            gene_ids=genes_a,
            counts_a=counts_a,
            counts_b=counts_b,
            expression_a=_lookup(expression[cell_a], genes_a, root / f"{cell_a}.expr.csv"),
            expression_b=_lookup(expression[cell_b], genes_a, root / f"{cell_b}.expr.csv"),
        )
    check_disjoint_splits(
        {root / f"{cell_a}.{split}.csv": pair[split].gene_ids for split in SPLITS}
    )
    return pair


def read_expression(path: Path) -> pd.Series:
    """Expression by gene id of an ``expr.csv``: two fields a line, a number not below 0."""
    table = _read_csv(path, dtype={0: str})
    if table.shape[1] != 2:
        raise InputFormatError(
            path, f"expected 2 fields (gene id, expression), found {table.shape[1]}", 1
        )
    values = pd.to_numeric(table[1], errors="coerce")
    bad = np.flatnonzero(~(values >= 0).to_numpy())
    if len(bad):
        row = int(bad[0])
        raise InputFormatError(
            path, f"expression {_field(path, row, 1)!r} is not a number >= 0", row + 1
        )
    duplicated = np.flatnonzero(table[0].duplicated().to_numpy())
    if len(duplicated):
        row = int(duplicated[0])
        raise InputFormatError(path, f"gene {table.iat[row, 0]!r} appears twice", row + 1)
    return pd.Series(values.to_numpy(np.float64), index=table[0].str.strip())


def read_counts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Gene ids [genes] and counts [genes, marks, bins] of one split's CSV.

    The number of bins is the first gene's (its lines up to the next bin 1); every gene must
    have bins 1..n in order, and the counts must be whole numbers not below 0 (their loader
    reads them with ``int()``).
    """
    table = _read_csv(path, dtype={0: str})
    if table.shape[1] < 2:
        raise InputFormatError(path, "expected gene_id_symbol_bin and one count per mark", 1)
    names = table[0].str.strip()
    gene_ids = names.str.split("_").str[0].to_numpy()
    bins = pd.to_numeric(names.str.rsplit("_", n=1).str[-1], errors="coerce").to_numpy()
    restarts = np.flatnonzero(bins[1:] == 1)
    n_bins = int(restarts[0]) + 1 if len(restarts) else len(table)
    expected = np.tile(np.arange(1, n_bins + 1), -(-len(table) // n_bins))[: len(table)]
    wrong = np.flatnonzero(bins != expected)
    if len(wrong):
        row = int(wrong[0])
        raise InputFormatError(
            path,
            f"{table.iat[row, 0]!r}: bin {expected[row]} of a gene was expected (every gene has "
            f"the first gene's {n_bins} bins, numbered 1..{n_bins} in order)",
            row + 1,
        )
    if len(table) % n_bins:
        raise InputFormatError(path, f"the last gene has fewer than {n_bins} bins", len(table))
    blocks = gene_ids.reshape(-1, n_bins)
    differs = np.flatnonzero((blocks != blocks[:, :1]).ravel())
    if len(differs):
        row = int(differs[0])
        raise InputFormatError(
            path,
            f"gene {gene_ids[row]!r} within the bins of {gene_ids[row - row % n_bins]!r}",
            row + 1,
        )
    values = table.iloc[:, 1:].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~((values >= 0) & (np.mod(values, 1) == 0))
    if bad.any():
        row, column = (int(index[0]) for index in np.nonzero(bad))
        raise InputFormatError(
            path,
            f"count {_field(path, row, column + 1)!r} (field {column + 2}) is not a whole "
            "number >= 0",
            row + 1,
        )
    counts = values.reshape(-1, n_bins, values.shape[1]).transpose(0, 2, 1)
    return blocks[:, 0].copy(), np.ascontiguousarray(counts, dtype=np.float32)


def _lookup(expression: pd.Series, gene_ids: np.ndarray, path: Path) -> np.ndarray:
    missing = [gene for gene in gene_ids if gene not in expression.index]
    if missing:
        raise InputFormatError(
            path, f"no expression for {len(missing)} genes (first {missing[0]!r})"
        )
    return expression.loc[gene_ids].to_numpy()


def _field(path: Path, row: int, column: int) -> str:
    """Field ``column`` of data row ``row`` (0-based; blank lines, which pandas skips, not
    counted), as written."""
    with open(path) as handle:
        line = [line for line in handle if line.strip()][row]
    return line.rstrip("\n").split(",")[column]


def _read_csv(path: Path, dtype: dict[int, type]) -> pd.DataFrame:
    if not path.is_file():
        raise InputFormatError(
            path,
            "missing (the DeepDiff layout has {cell}.expr.csv and {cell}.{train,valid,test}.csv)",
        )
    try:
        return pd.read_csv(path, header=None, dtype=dtype)
    except pd.errors.EmptyDataError as error:
        raise InputFormatError(path, "empty: no lines") from error
    except pd.errors.ParserError as error:
        raise InputFormatError(
            path, f"not a CSV with one number of fields per line: {error}"
        ) from error
