"""The published processed layout of DeepChrome, AttentiveChrome and DeepChrome 2.0.

``{cell}/classification/{train,valid,test}.csv``, no header, one line per gene and bin:
``gene_digits, bin (1-100), H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3, label``.
``gene_digits`` is the Ensembl id's number without the ``ENSG`` prefix and leading zeros
(``ENSG00000000003`` -> ``3``). Genes are consecutive blocks of ``bins`` lines, which also keeps
apart the published list's seven ids that appear twice.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path
from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.errors import InputFormatError

PUBLISHED_MARK_ORDER = ("H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3")


def gene_digits(gene_id: str) -> str:
    digits = gene_id.removeprefix("ENSG").lstrip("0")
    return digits or "0"


def split_csv_path(root: str | os.PathLike[str], cell: str, split: str) -> Path:
    return Path(root) / cell / "classification" / f"{split}.csv"


def export_processed(dataset: CellDataset, root: str | os.PathLike[str]) -> list[Path]:
    """Write the three CSVs of ``dataset.cell`` under ``root``; marks in the published order."""
    missing = [mark for mark in PUBLISHED_MARK_ORDER if mark not in dataset.marks]
    if missing:
        raise InputFormatError(dataset.cell, f"the published layout needs marks {missing}")
    mark_columns = [list(dataset.marks).index(mark) for mark in PUBLISHED_MARK_ORDER]
    n_bins = len(dataset.bin_offsets)
    written = []
    for split in SPLITS:
        mask = dataset.mask(split)
        counts = dataset.counts[mask][:, mark_columns, :]  # [genes, marks, bins]
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


def import_processed(
    root: str | os.PathLike[str], cell: str, bin_offsets: np.ndarray
) -> CellDataset:
    """Read the three CSVs of ``cell``; RPKM, chromosome and TSS are unknown in this layout."""
    n_bins = len(bin_offsets)
    parts = []
    for split in SPLITS:
        path = split_csv_path(root, cell, split)
        if not path.is_file():
            raise InputFormatError(
                path, "missing (source: processed expects train, valid and test CSVs)"
            )
        table = pd.read_csv(path, header=None)
        if table.shape[1] != 3 + len(PUBLISHED_MARK_ORDER):
            raise InputFormatError(
                path, f"expected 8 comma-separated columns, found {table.shape[1]}", 1
            )
        if len(table) % n_bins:
            raise InputFormatError(path, f"{len(table)} lines is not a multiple of {n_bins} bins")
        expected_bins = np.tile(np.arange(1, n_bins + 1), len(table) // n_bins)
        wrong = np.flatnonzero(table[1].to_numpy() != expected_bins)
        if len(wrong):
            raise InputFormatError(
                path,
                f"bin {table.iat[wrong[0], 1]}, expected {expected_bins[wrong[0]]}",
                int(wrong[0]) + 1,
            )
        genes = table.iloc[::n_bins]
        values = table.iloc[:, 2:7].to_numpy()
        counts = values.reshape(-1, n_bins, len(PUBLISHED_MARK_ORDER)).transpose(0, 2, 1)
        parts.append(
            (
                np.array([f"ENSG{int(g):011d}" for g in genes[0]]),
                counts,
                genes[7].to_numpy(np.int8),
                np.full(len(genes), split),
            )
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
        rpkm=np.full(n_genes, np.nan),
        split=split_names,
        marks=np.array(PUBLISHED_MARK_ORDER),
        bin_offsets=np.asarray(bin_offsets, dtype=np.int64),
    )
