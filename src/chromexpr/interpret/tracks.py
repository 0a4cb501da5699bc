"""Genome browser tracks: one cell type's binned counts as one bigWig per mark (pyBigWig).

Each bin becomes one bedGraph-like entry ``[start, end) = count``, at its genomic position
(``tss + bin offset``, one base further right for a minus-strand gene of a ``mirrored`` window,
chromexpr.genome.bins; minus-strand columns put back in genomic order when the dataset was built
with ``reverse_minus_strand``), clipped at the chromosome end like the BED of bins.

Overlaps: the TSS windows of neighbouring genes (closer than 2 x window) overlap, and bigWig
entries may not. The rule is *first wins*: entries sorted by start (then by gene row), a bin
that starts inside an already-written entry is trimmed to start where that entry ends, and
dropped when nothing is left. So every base in a track carries the count of exactly one bin,
the one of the leftmost window covering it, and a bin that no earlier window overlaps reads
back exactly as its count. Bins of zero count are written too (a browser shows 0, not "no data",
across the windows).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pyBigWig

from chromexpr.atomic import atomic_path
from chromexpr.dataset import CellDataset
from chromexpr.errors import InputFormatError
from chromexpr.genome.bins import window_starts


def bin_entries(
    dataset: CellDataset,
    mark_index: int,
    chrom_sizes: Mapping[str, int],
    reverse_minus_strand: bool = False,
    window_convention: str = "published",
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per chromosome, non-overlapping (starts, ends, values) sorted by start (first wins); the
    bins where the counting placed them (``window_convention``: chromexpr.genome.bins)."""
    offsets = np.asarray(dataset.bin_offsets, dtype=np.int64)
    bin_size = int(offsets[1] - offsets[0]) if len(offsets) > 1 else None
    if bin_size is None:
        raise InputFormatError(dataset.cell, "a track needs at least two bins per gene")
    counts = dataset.counts[:, mark_index, :].astype(np.float64)  # [genes, bins]
    if reverse_minus_strand:
        minus = dataset.strand == "-"
        counts[minus] = counts[minus, ::-1]
    if (dataset.chrom == "").any() or (dataset.tss < 0).any():
        raise InputFormatError(
            dataset.cell, "genes without a position (processed source): no track can be drawn"
        )
    entries = {}
    for chrom in np.unique(dataset.chrom):
        if chrom not in chrom_sizes:
            raise InputFormatError(dataset.cell, f"chromosome {chrom} is not in the chrom sizes")
        rows = np.flatnonzero(dataset.chrom == chrom)
        starts = window_starts(
            dataset.tss[rows], dataset.strand[rows], offsets, window_convention
        ).ravel()
        ends = starts + bin_size
        values = counts[rows].ravel()
        length = chrom_sizes[chrom]
        starts, ends = np.clip(starts, 0, length), np.clip(ends, 0, length)
        order = np.lexsort((np.repeat(rows, len(offsets)), starts))
        starts, ends, values = starts[order], ends[order], values[order]
        # First wins: a bin starts no earlier than the furthest end written before it.
        reach = np.maximum.accumulate(ends)
        previous_reach = np.concatenate([[0], reach[:-1]])
        starts = np.maximum(starts, previous_reach)
        keep = ends > starts
        entries[str(chrom)] = (starts[keep], ends[keep], values[keep])
    return entries


def write_bigwig(
    path: str | os.PathLike[str],
    entries: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    chrom_sizes: Mapping[str, int],
) -> None:
    """A bigWig with the chromosomes of ``entries`` in the header, in ``chrom_sizes`` order."""
    chroms = [chrom for chrom in chrom_sizes if chrom in entries]
    with atomic_path(path, suffix=".bw") as tmp:
        bigwig = pyBigWig.open(str(tmp), "w")
        try:
            bigwig.addHeader([(chrom, int(chrom_sizes[chrom])) for chrom in chroms])
            for chrom in chroms:
                starts, ends, values = entries[chrom]
                if len(starts):
                    bigwig.addEntries(
                        [chrom] * len(starts),
                        starts.tolist(),
                        ends=ends.tolist(),
                        values=values.astype(float).tolist(),
                    )
        finally:
            bigwig.close()


def write_tracks(
    dataset: CellDataset,
    chrom_sizes: Mapping[str, int],
    out_paths: Sequence[str | os.PathLike[str]],
    reverse_minus_strand: bool = False,
    window_convention: str = "published",
) -> None:
    """One bigWig per mark of ``dataset``, in the order of ``dataset.marks``; the bins placed by
    the window convention ``window_convention`` (chromexpr.genome.bins)."""
    if len(out_paths) != len(dataset.marks):
        raise ValueError(f"{len(out_paths)} paths for {len(dataset.marks)} marks")
    for index, path in enumerate(out_paths):
        entries = bin_entries(dataset, index, chrom_sizes, reverse_minus_strand, window_convention)
        write_bigwig(path, entries, chrom_sizes)
