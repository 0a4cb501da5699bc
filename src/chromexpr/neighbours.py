"""Which genes are a gene's neighbours: nearest TSSs on the same chromosome, or Ensembl order.

SimpleChrome (Cheng et al. 2020) feeds a classifier the latent codes of a gene's neighbours as
well as its own. Their code takes the +-10 genes in Ensembl-id order (``order="ensembl"``), which
mixes chromosomes; the biologically meaningful choice, our default, is the k genes whose TSS lies
nearest on the same chromosome (``order="position"``).
"""

from __future__ import annotations

import numpy as np

NEIGHBOUR_ORDERS = ("position", "ensembl")


def neighbour_index(chrom: np.ndarray, tss: np.ndarray, k: int, order: str) -> np.ndarray:
    """Row indices [genes, k] (int64) of each gene's k neighbours, nearest first.

    ``position``: the k genes with the closest TSS on the same chromosome (ties: the upstream one
    first, then by row). ``ensembl``: the nearest rows in the given order (the dataset's genes are
    Ensembl-sorted), alternating next and previous (row + 1, row - 1, row + 2, ...); at either end
    the other side fills in. A gene with fewer than k candidates repeats itself in the
    missing places, so every row has k entries; that happens only on chromosomes with <= k genes.
    """
    chrom = np.asarray(chrom)
    tss = np.asarray(tss, dtype=np.int64)
    n_genes = len(chrom)
    if k < 0:
        raise ValueError(f"k must be >= 0, not {k}")
    if order not in NEIGHBOUR_ORDERS:
        raise ValueError(f"neighbour order must be one of {NEIGHBOUR_ORDERS}, not {order!r}")
    index = np.repeat(np.arange(n_genes, dtype=np.int64)[:, None], k, axis=1)
    if k == 0 or n_genes == 0:
        return index
    if order == "ensembl":
        return _ensembl_neighbours(n_genes, k)
    for name in np.unique(chrom):
        rows = np.flatnonzero(chrom == name)
        # Sorted by position, a gene's k nearest lie within k places on either side.
        by_position = rows[np.argsort(tss[rows], kind="stable")]
        positions = tss[by_position]
        n = len(by_position)
        for place in range(n):
            low, high = max(0, place - k), min(n, place + k + 1)
            candidates = [other for other in range(low, high) if other != place]
            candidates.sort(key=lambda other: (abs(positions[other] - positions[place]), other))
            chosen = by_position[candidates[:k]]
            index[by_position[place], : len(chosen)] = chosen
    return index


def _ensembl_neighbours(n_genes: int, k: int) -> np.ndarray:
    index = np.empty((n_genes, k), dtype=np.int64)
    for row in range(n_genes):
        chosen: list[int] = []
        for distance in range(1, n_genes):
            for other in (row + distance, row - distance):
                if 0 <= other < n_genes and len(chosen) < k:
                    chosen.append(other)
            if len(chosen) == k:
                break
        chosen += [row] * (k - len(chosen))
        index[row] = chosen
    return index
