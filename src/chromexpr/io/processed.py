"""The published processed layout of DeepChrome, AttentiveChrome and DeepChrome 2.0.

``{cell}/classification/{train,valid,test}.csv``, no header, one line per gene and bin:
``gene_digits, bin (1-100), H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3, label``.
``gene_digits`` is the Ensembl id's number without the ``ENSG`` prefix and leading zeros
(``ENSG00000000003`` -> ``3``). Genes are consecutive blocks of ``bins`` lines, which also keeps
apart the published list's seven ids that appear twice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path
from chromexpr.dataset import SPLITS, UNKNOWN_UNIT, CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.splits import check_disjoint_splits

PUBLISHED_MARK_ORDER = ("H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3")


def gene_digits(gene_id: str) -> str:
    digits = gene_id.removeprefix("ENSG").lstrip("0")
    return digits or "0"


def split_csv_path(root: str | os.PathLike[str], cell: str, split: str) -> Path:
    return Path(root) / cell / "classification" / f"{split}.csv"


def export_processed(dataset: CellDataset, root: str | os.PathLike[str]) -> list[Path]:
    """Write the three CSVs of ``dataset.cell`` under ``root``; marks in the published order.

    Counts must be whole numbers: the published loaders read them with ``int()``, so a
    float-valued dataset (``input: bigwig``) is refused rather than written in a form they reject.
    """
    missing = [mark for mark in PUBLISHED_MARK_ORDER if mark not in dataset.marks]
    if missing:
        raise InputFormatError(dataset.cell, f"the published layout needs marks {missing}")
    if not np.all(np.mod(dataset.counts, 1) == 0):
        raise InputFormatError(
            dataset.cell,
            "counts are not whole numbers (a bigWig signal dataset?); the published loaders "
            "read integers, so the processed layout cannot hold them (set export_processed: false)",
        )
    mark_columns = [list(dataset.marks).index(mark) for mark in PUBLISHED_MARK_ORDER]
    n_bins = len(dataset.bin_offsets)
    written = []
    for split in SPLITS:
        mask = dataset.mask(split)
        counts = dataset.counts[mask][:, mark_columns, :].astype(np.int64)  # [genes, marks, bins]
        n_genes = counts.shape[0]
        table = pd.DataFrame(counts.transpose(0, 2, 1).reshape(n_genes * n_bins, len(mark_columns)))
        table.insert(0, "bin", np.tile(np.arange(1, n_bins + 1), n_genes))
        table.insert(0, "gene", np.repeat([gene_digits(g) for g in dataset.gene_ids[mask]], n_bins))
        table["label"] = np.repeat(dataset.labels[mask], n_bins)
        path = split_csv_path(root, dataset.cell, split)
        with atomic_path(path, suffix=".csv") as tmp:
            table.to_csv(tmp, header=False, index=False)
        written.append(path)
    return written


def read_split_csv(path: Path, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gene ids [genes], counts [genes, marks, bins] and labels [genes] of one split's CSV.

    Every line of a gene's block must carry the gene's id and label, with bins 1..n_bins in
    order; gene ids are digits, with or without the ``ENSG`` prefix; labels are 0 or 1; counts
    are numbers, not negative.
    """
    if not path.is_file():
        raise InputFormatError(
            path, "missing (source: processed expects train, valid and test CSVs)"
        )
    table = _read_csv_lines(path)
    if table.shape[1] != 3 + len(PUBLISHED_MARK_ORDER):
        raise InputFormatError(
            path, f"expected 8 comma-separated columns, found {table.shape[1]}", 1
        )
    short = np.flatnonzero(table[7].isna().to_numpy())
    if len(short):
        row = int(short[0])
        fields = len(_line(path, row).split(","))
        if fields < 8:
            raise InputFormatError(path, f"{fields} comma-separated fields, {FIELDS}", row + 1)
    if len(table) % n_bins:
        raise InputFormatError(path, f"{len(table)} lines is not a multiple of {n_bins} bins")
    ids = table[0].str.strip().str.removeprefix("ENSG")
    bad_id = ~ids.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(bool)
    if bad_id.any():
        row = int(np.flatnonzero(bad_id)[0])
        raise InputFormatError(
            path,
            f"gene id {table.iat[row, 0]!r} is not an Ensembl gene id (ENSG00000000003 or 3)",
            row + 1,
        )
    labels = table[7].str.strip()
    bad_label = ~labels.isin(["0", "1"]).to_numpy()
    if bad_label.any():
        row = int(np.flatnonzero(bad_label)[0])
        raise InputFormatError(
            path,
            f"label {table.iat[row, 7]!r}; the classification layout's labels are 0 or 1",
            row + 1,
        )
    expected_bins = np.tile(np.arange(1, n_bins + 1), len(table) // n_bins)
    bins = pd.to_numeric(table[1], errors="coerce").to_numpy()
    wrong = np.flatnonzero(bins != expected_bins)
    if len(wrong):
        raise InputFormatError(
            path,
            f"bin {table.iat[wrong[0], 1]}, expected {expected_bins[wrong[0]]}",
            int(wrong[0]) + 1,
        )
    numbers = ids.astype(np.int64).to_numpy().reshape(-1, n_bins)
    labels = labels.astype(np.int8).to_numpy().reshape(-1, n_bins)
    for name, column in (("gene id", numbers), ("label", labels)):
        disagree = np.flatnonzero((column != column[:, :1]).ravel())
        if len(disagree):
            row = int(disagree[0])
            raise InputFormatError(
                path,
                f"{name} {table.iat[row, 0 if name == 'gene id' else 7]!r} differs from the "
                f"first line of its gene's block (line {row - row % n_bins + 1})",
                row + 1,
            )
    values = table.iloc[:, 2:7].apply(pd.to_numeric, errors="coerce").to_numpy()
    if np.isnan(values).any():
        row, column = (int(i[0]) for i in np.nonzero(np.isnan(values)))
        raise InputFormatError(
            path, f"{PUBLISHED_MARK_ORDER[column]} count {table.iat[row, column + 2]!r}", row + 1
        )
    if (values < 0).any():
        row, column = (int(i[0]) for i in np.nonzero(values < 0))
        raise InputFormatError(
            path,
            f"{PUBLISHED_MARK_ORDER[column]} count '{table.iat[row, column + 2]}' is negative",
            row + 1,
        )
    counts = values.reshape(-1, n_bins, len(PUBLISHED_MARK_ORDER)).transpose(0, 2, 1)
    gene_ids = np.array([f"ENSG{number:011d}" for number in numbers[:, 0]])
    return gene_ids, counts, labels[:, 0]


FIELDS = "expected 8: gene, bin, H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3, label"


def _line(path: Path, row: int) -> str:
    """The text of data row ``row`` (0-based; blank lines, which pandas skips, not counted)."""
    with open(path) as handle:
        return [line for line in handle if line.strip()][row].rstrip("\n")


def _read_csv_lines(path: Path) -> pd.DataFrame:
    """The CSV as a table without header (gene id and label as text); an empty file, or a line
    with more fields than the first, is an error naming the file (and the line)."""
    try:
        return pd.read_csv(path, header=None, dtype={0: str, 7: str})
    except pd.errors.EmptyDataError as error:
        raise InputFormatError(path, "empty: no lines (each split needs its genes)") from error
    except pd.errors.ParserError as error:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if found is None:
            raise InputFormatError(path, f"not a CSV: {error}") from error
        expected, line, saw = (int(group) for group in found.groups())
        raise InputFormatError(
            path, f"{saw} comma-separated fields where line 1 has {expected}; {FIELDS}", line
        ) from error


def import_processed(
    root: str | os.PathLike[str], cell: str, bin_offsets: np.ndarray
) -> CellDataset:
    """Read the three CSVs of ``cell``; expression, chromosome and TSS are unknown in this
    layout. A gene in two of the CSVs (a test.csv copied from train.csv) is an error."""
    n_bins = len(bin_offsets)
    parts = []
    for split in SPLITS:
        gene_ids, counts, labels = read_split_csv(split_csv_path(root, cell, split), n_bins)
        parts.append((gene_ids, counts, labels, np.full(len(gene_ids), split)))
    check_disjoint_splits(
        {
            split_csv_path(root, cell, split): part[0]
            for split, part in zip(SPLITS, parts, strict=True)
        }
    )
    gene_ids, counts, labels, split_names = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    n_genes = len(gene_ids)
    integral = np.all(np.equal(np.mod(counts, 1), 0))
    return CellDataset(
        cell=cell,
        gene_ids=gene_ids,
        symbols=np.full(n_genes, ""),
        chrom=np.full(n_genes, ""),
        tss=np.full(n_genes, -1, dtype=np.int64),
        strand=np.full(n_genes, "."),
        counts=counts.astype(np.int32 if integral else np.float32),
        labels=labels,
        expression=np.full(n_genes, np.nan),
        expression_unit=UNKNOWN_UNIT,
        split=split_names,
        marks=np.array(PUBLISHED_MARK_ORDER),
        bin_offsets=np.asarray(bin_offsets, dtype=np.int64),
    )
