"""The demo's truth: the expected mean binned counts of low and high genes, from the model alone.

`expected_class_profiles` integrates the generator's model (``chromexpr.demo.biology``) over
everything random in it, with no reads drawn: for each class (low, high), mark and bin the mean
count that the dataset's genes would have on average over infinitely many demo runs. Only the
genes themselves are fixed: the same seed and gene count give the same hg19 genes (whose
strands and gene bodies shape H3K36me3 and, unless minus-strand bins are reversed, the mixing
of both orientations).

How each factor is averaged:

- The class: a gene is high when its RPKM is at least the cell type's median, that is when
  ``activity + expression noise >= 0``, so ``p(high | activity) = Phi(activity / 0.55)`` with
  activity standard normal. Each mark's level is averaged over activity given the class on a
  fine grid.
- Mark level noise ``exp(N(0, 0.5))`` averages to ``exp(0.5**2 / 2)``; the Polycomb propensity
  (uniform) to 0.5; the broad domains' half widths (uniform 3-15 kb) on a grid; the read depth
  factor of the cell type and mark is the one the mirror drew (exactly reproducible).
- A read (36 bp, centred on the drawn position) counts in every bin it overlaps, as the
  counting engines count.
- The uniform background adds the same to both classes.

Not modelled: reads of a neighbouring gene falling into a gene's window (a few genes only),
and the rounding of read positions to whole bases.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

from chromexpr.demo.biology import (
    DEMO_MARKS,
    DEPTH_FACTOR_RANGE,
    EXPRESSION_NOISE_SD,
    MARK_NOISE_SD,
    READ_LENGTH,
    Genes,
)
from chromexpr.demo.mirror import DEFAULT_BACKGROUND_READS_PER_MB, pick_genes
from chromexpr.errors import ConfigError

CLASS_NAMES = ("low", "high")
ACTIVITY_GRID = np.linspace(-8.0, 8.0, 4001)
HALF_WIDTH_GRID = np.linspace(3000.0, 15000.0, 241)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def mark_level(mark: str, activity: np.ndarray) -> np.ndarray:
    """How a mark's reads scale with activity (the activity-dependent factor of biology's model)."""
    if mark == "H3K4me3":
        return 80.0 * _sigmoid(3.0 * activity)
    if mark == "H3K4me1":
        return 50.0 * _sigmoid(2.0 * (activity + 0.8))
    if mark == "H3K36me3":
        return 0.0012 * _sigmoid(3.0 * (activity - 0.2))
    # Broad domains: reads per bp of the domain at propensity 1; the mean propensity is 0.5.
    return 0.004 * 0.5 * _sigmoid(-3.0 * (activity + 0.3))


def class_levels(mark: str) -> np.ndarray:
    """The mean activity factor of ``mark`` given the class: [classes] (low, high)."""
    density = norm.pdf(ACTIVITY_GRID)
    p_high = norm.cdf(ACTIVITY_GRID / EXPRESSION_NOISE_SD)
    level = mark_level(mark, ACTIVITY_GRID)
    return np.array(
        [
            np.sum(level * density * weight) / np.sum(density * weight)
            for weight in (1 - p_high, p_high)
        ]
    )


def _interval_overlap(lo: np.ndarray, hi: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Length of the overlap of ``[lo, hi)`` and ``[start, end)``, broadcast."""
    return np.clip(np.minimum(hi, end) - np.maximum(lo, start), 0, None)


def spatial_profiles(mark: str, genes: Genes, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per gene and bin: reads counted per unit of the mark's level. [genes, bins].

    ``lo``, ``hi`` [genes, bins]: the range, relative to the TSS in genomic coordinates, where a
    read's centre makes it overlap the bin.
    """
    strands = genes.strands[:, None]
    if mark == "H3K4me3":
        centre = strands * 150.0
        return norm.cdf((hi - centre) / 300) - norm.cdf((lo - centre) / 300)
    if mark == "H3K4me1":
        return sum(
            0.5 * (norm.cdf((hi - side * 1500) / 600) - norm.cdf((lo - side * 1500) / 600))
            for side in (-1, 1)
        )
    if mark == "H3K36me3":
        # The body covers [start - 1, end) in 0-based coordinates; the TSS is its first base
        # (plus strand) or its last (minus strand).
        body_lengths = (genes.ends - genes.starts + 1)[:, None].astype(np.float64)
        body_start = np.where(strands == 1, 0.0, 1.0 - body_lengths)
        return _interval_overlap(lo, hi, body_start, body_start + body_lengths)
    half_widths = HALF_WIDTH_GRID[:, None, None]
    return _interval_overlap(lo[None], hi[None], -half_widths, half_widths).mean(axis=0)


def demo_depth(seed: int, cell: str, mark: str) -> float:
    """The read depth factor the mirror drew for ``cell`` and ``mark`` (its first draw)."""
    read_rng = np.random.default_rng([seed, zlib.crc32(cell.encode()), zlib.crc32(mark.encode())])
    return float(read_rng.uniform(*DEPTH_FACTOR_RANGE))


def read_ranges(
    genes: Genes, bin_offsets: np.ndarray, reverse_minus_strand: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """(lo, hi, background): per gene and bin the range of read centres, relative to the TSS in
    genomic coordinates, that makes a read overlap the bin ([genes, bins] each), and the
    uniform background's expected count per bin (before the depth factor)."""
    offsets = np.asarray(bin_offsets, dtype=np.float64)
    bin_size = offsets[1] - offsets[0] if len(offsets) > 1 else 1.0
    columns = np.broadcast_to(offsets, (len(genes.strands), len(offsets)))
    if reverse_minus_strand:
        columns = np.where(genes.strands[:, None] == -1, columns[:, ::-1], columns)
    lo = columns - READ_LENGTH / 2
    hi = columns + bin_size + READ_LENGTH / 2
    background = DEFAULT_BACKGROUND_READS_PER_MB / 1e6 * (bin_size + READ_LENGTH)
    return lo, hi, background


def expected_class_profiles(
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    reverse_minus_strand: bool,
    cell: str,
    seed: int = 1,
    n_genes: int | None = None,
) -> np.ndarray:
    """Expected mean count per bin of low and high genes: [classes (low, high), marks, bins].

    ``bin_offsets`` [bins] and ``reverse_minus_strand`` as in the dataset (bins of equal size,
    genomic order unless minus-strand genes are reversed); ``cell``, ``seed`` and ``n_genes`` as
    given to the demo mirror (``demo.seed``, ``demo.n_genes``). ConfigError for a mark the demo
    does not model.
    """
    unknown = sorted(set(marks) - set(DEMO_MARKS))
    if unknown:
        raise ConfigError("marks", f"the demo has no model for {unknown}; known: {DEMO_MARKS}")
    genes = pick_genes(np.random.default_rng(seed), n_genes)
    lo, hi, background = read_ranges(genes, bin_offsets, reverse_minus_strand)
    level_noise_mean = np.exp(MARK_NOISE_SD**2 / 2)
    profiles = np.empty((len(CLASS_NAMES), len(marks), len(bin_offsets)))
    for index, mark in enumerate(marks):
        shape = spatial_profiles(mark, genes, lo, hi).mean(axis=0)
        depth = demo_depth(seed, cell, mark)
        levels = class_levels(mark) * level_noise_mean
        profiles[:, index] = depth * (levels[:, None] * shape[None] + background)
    return profiles
