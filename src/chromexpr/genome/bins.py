"""Bins around each TSS: ``[TSS - window, TSS + window)`` cut into ``bin_size`` bins.

Bins are half-open and in genomic (left to right) order for both strands, as in the published
data; ``reverse_minus_strand`` flips minus-strand genes so bin 0 is always the most upstream.
Bins are clipped at chromosome ends; a bin entirely outside the chromosome is left out of the
BED and counts as 0.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import ConfigError, InputFormatError


def bin_offsets(window: int, bin_size: int) -> np.ndarray:
    """Start of each bin relative to the TSS, [bins]: ``-window, -window + bin_size, ...``."""
    if bin_size <= 0 or window <= 0:
        raise ConfigError("bins", f"window ({window}) and bin_size ({bin_size}) must be positive")
    if (2 * window) % bin_size:
        raise ConfigError("bins.bin_size", f"{bin_size} does not divide the window 2 x {window}")
    return np.arange(-window, window, bin_size, dtype=np.int64)


@dataclass(frozen=True)
class BinLayout:
    """Every bin with a positive length after clipping, one entry per BED line.

    ``row`` is the gene's row in the gene table, ``bin_index`` the bin's column in the counts
    matrix [genes, bins] (after the optional minus-strand reversal).
    """

    chrom: np.ndarray  # [bins_kept] str
    start: np.ndarray  # [bins_kept] int64
    end: np.ndarray  # [bins_kept] int64
    gene_id: np.ndarray  # [bins_kept] str
    row: np.ndarray  # [bins_kept] int64
    bin_index: np.ndarray  # [bins_kept] int64
    n_genes: int
    n_bins: int


def bin_layout(
    genes: pd.DataFrame,
    chrom_sizes: Mapping[str, int],
    window: int,
    bin_size: int,
    reverse_minus_strand: bool = False,
) -> BinLayout:
    """Lay out the bins of every gene of the gene table (columns ``chrom, tss, strand``)."""
    offsets = bin_offsets(window, bin_size)
    n_genes, n_bins = len(genes), len(offsets)
    unknown = sorted(set(genes["chrom"]) - set(chrom_sizes))
    if unknown:
        raise InputFormatError("gene table", f"chromosomes {unknown} are not in the chrom sizes")
    tss = genes["tss"].to_numpy(np.int64)
    chrom_length = genes["chrom"].map(chrom_sizes).to_numpy(np.int64)
    starts = tss[:, None] + offsets[None, :]  # [genes, bins]
    ends = starts + bin_size
    clipped_starts = np.clip(starts, 0, chrom_length[:, None])
    clipped_ends = np.clip(ends, 0, chrom_length[:, None])
    columns = np.broadcast_to(np.arange(n_bins), (n_genes, n_bins))
    if reverse_minus_strand:
        minus = (genes["strand"] == "-").to_numpy()
        columns = np.where(minus[:, None], n_bins - 1 - columns, columns)
    keep = clipped_ends > clipped_starts
    rows = np.broadcast_to(np.arange(n_genes)[:, None], (n_genes, n_bins))
    return BinLayout(
        chrom=np.repeat(genes["chrom"].to_numpy(str), n_bins).reshape(n_genes, n_bins)[keep],
        start=clipped_starts[keep],
        end=clipped_ends[keep],
        gene_id=np.repeat(genes["gene_id"].to_numpy(str), n_bins).reshape(n_genes, n_bins)[keep],
        row=rows[keep],
        bin_index=columns[keep],
        n_genes=n_genes,
        n_bins=n_bins,
    )


def write_bins_bed(layout: BinLayout, path: str | os.PathLike[str]) -> None:
    """BED4 with name ``gene_id|row|bin``, in gene-table order (not sorted by position)."""
    names = np.char.add(
        np.char.add(np.char.add(layout.gene_id, "|"), layout.row.astype(str)),
        np.char.add("|", layout.bin_index.astype(str)),
    )
    table = pd.DataFrame(
        {"chrom": layout.chrom, "start": layout.start, "end": layout.end, "name": names}
    )
    write_tsv(table, path, header=False)


def read_bins_bed(path: str | os.PathLike[str], n_genes: int, n_bins: int) -> BinLayout:
    """Read back a bins BED written by :func:`write_bins_bed`."""
    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=["chrom", "start", "end", "name"],
        dtype={"chrom": str, "name": str},
    )
    parts = table["name"].str.rsplit("|", n=2, expand=True)
    if parts.shape[1] != 3 or parts.isna().any().any():
        raise InputFormatError(path, "column 4 must be 'gene_id|row|bin'")
    return BinLayout(
        chrom=table["chrom"].to_numpy(str),
        start=table["start"].to_numpy(np.int64),
        end=table["end"].to_numpy(np.int64),
        gene_id=parts[0].to_numpy(str),
        row=parts[1].astype(np.int64).to_numpy(),
        bin_index=parts[2].astype(np.int64).to_numpy(),
        n_genes=n_genes,
        n_bins=n_bins,
    )


def scatter_bin_counts(layout: BinLayout, line_counts: np.ndarray) -> np.ndarray:
    """Values per BED line [bins_kept] to the matrix [genes, bins]; left-out bins are 0.

    Integer counts give int32, signal means float32.
    """
    if len(line_counts) != len(layout.row):
        raise ValueError(f"{len(line_counts)} counts for {len(layout.row)} bins")
    dtype = np.float32 if np.issubdtype(line_counts.dtype, np.floating) else np.int32
    matrix = np.zeros((layout.n_genes, layout.n_bins), dtype=dtype)
    matrix[layout.row, layout.bin_index] = line_counts
    return matrix
