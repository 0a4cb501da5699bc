"""The truth of the demo's switching genes for a pair of cell types, from the generator alone.

With ``demo.switching`` > 0 a share of the genes switch state between cell types
(``chromexpr.demo.biology``). For cell types A and B, ``pair_truth`` replays the generator's
draws (``chromexpr.demo.mirror.draw_genes``, ``switching_genes``, ``switch_states``) and
returns which genes switch, their direction (+1: on in B and off in A, so up in B) and, for each
switching gene, the expected count per mark and bin in either cell type:

``depth[cell, mark] * (exp(0.5**2 / 2) * level(mark, activity, propensity) * shape + background)``

with the gene's own shared activity and Polycomb propensity (replayed exactly), its state's
activity, the read depth factor the mirror drew, the mark's spatial shape over the bins
(``chromexpr.demo.truth.spatial_profiles``; the broad domains' random half widths averaged) and
the uniform background. Only the level noise, the Poisson draw and the half widths are averaged
out. From these, ``mark_change`` ([genes, marks]) is how much each mark's window total moves
between A and B (absolute log2 ratio of 1 + the expected totals), ``bin_change`` the same per
bin: the marks and bins that drive the change, for scoring attention and attributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chromexpr.demo.biology import (
    DEMO_MARKS,
    MARK_NOISE_SD,
    SHARED_ACTIVITY_VARIANCE,
    SWITCH_LEVEL,
    Genes,
    switch_states,
    switching_genes,
)
from chromexpr.demo.mirror import draw_genes
from chromexpr.demo.truth import demo_depth, mark_level, read_ranges, spatial_profiles
from chromexpr.errors import ConfigError


@dataclass(frozen=True)
class SwitchTruth:
    """Genes that switch between cell types A and B, and their expected counts in each."""

    gene_ids: np.ndarray  # [switching genes] str
    direction: np.ndarray  # [switching genes] int: +1 up in B, -1 down in B
    marks: tuple[str, ...]
    expected_a: np.ndarray  # [switching genes, marks, bins] expected counts in A
    expected_b: np.ndarray  # [switching genes, marks, bins] expected counts in B

    def mark_change(self) -> np.ndarray:
        """|log2 (1 + B's expected window total) - log2 (1 + A's)| per gene and mark:
        [switching genes, marks]."""
        return np.abs(
            np.log2(1 + self.expected_b.sum(axis=2)) - np.log2(1 + self.expected_a.sum(axis=2))
        )

    def bin_change(self) -> np.ndarray:
        """|log2 (1 + B's expected count) - log2 (1 + A's)| per gene, mark and bin:
        [switching genes, marks, bins]."""
        return np.abs(np.log2(1 + self.expected_b) - np.log2(1 + self.expected_a))


def _subset(genes: Genes, rows: np.ndarray) -> Genes:
    return Genes(
        ensembl_ids=genes.ensembl_ids[rows],
        symbols=genes.symbols[rows],
        chroms=genes.chroms[rows],
        starts=genes.starts[rows],
        ends=genes.ends[rows],
        strands=genes.strands[rows],
    )


def _expected_counts(
    marks: Sequence[str],
    genes: Genes,
    activity: np.ndarray,
    propensity: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    background: float,
    seed: int,
    cell: str,
) -> np.ndarray:
    """Expected count [genes, marks, bins] of ``genes`` at ``activity`` [genes] in ``cell``."""
    level_noise_mean = np.exp(MARK_NOISE_SD**2 / 2)
    counts = np.empty((len(activity), len(marks), lo.shape[1]))
    for index, mark in enumerate(marks):
        level = mark_level(mark, activity)
        # mark_level holds the broad marks at the mean propensity (0.5); the gene has its own.
        if mark == "H3K27me3":
            level = level * 2 * propensity
        elif mark == "H3K9me3":
            level = level * 2 * (1 - propensity)
        shape = spatial_profiles(mark, genes, lo, hi)
        depth = demo_depth(seed, cell, mark)
        counts[:, index] = depth * (level_noise_mean * level[:, None] * shape + background)
    return counts


def pair_truth(
    seed: int,
    n_genes: int | None,
    share: float,
    cell_a: str,
    cell_b: str,
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    reverse_minus_strand: bool,
) -> SwitchTruth:
    """The switching genes of cells ``cell_a`` and ``cell_b`` in the demo of ``seed``,
    ``n_genes`` and switching ``share`` (``demo.seed``, ``demo.n_genes``, ``demo.switching``),
    with their expected counts in the dataset's bins (``bin_offsets`` [bins], orientation
    ``reverse_minus_strand``). ConfigError for a mark the demo does not model or a share of 0.
    """
    unknown = sorted(set(marks) - set(DEMO_MARKS))
    if unknown:
        raise ConfigError("marks", f"the demo has no model for {unknown}; known: {DEMO_MARKS}")
    if share <= 0:
        raise ConfigError("demo.switching", "no gene switches (share 0): there is no truth")
    draws = draw_genes(seed, n_genes)
    n_marked = len(draws.genes.ensembl_ids)
    switching = switching_genes(seed, n_marked, share)
    states_a = switch_states(seed, cell_a, n_marked)
    states_b = switch_states(seed, cell_b, n_marked)
    rows = np.flatnonzero(switching & (states_a != states_b))
    genes = _subset(draws.genes, rows)
    lo, hi, background = read_ranges(genes, bin_offsets, reverse_minus_strand)
    shared = np.sqrt(SHARED_ACTIVITY_VARIANCE) * draws.shared_activity[rows]
    specific = np.sqrt(1 - SHARED_ACTIVITY_VARIANCE) * SWITCH_LEVEL
    propensity = draws.polycomb_propensity[rows]
    expected = [
        _expected_counts(
            marks,
            genes,
            shared + specific * states[rows],
            propensity,
            lo,
            hi,
            background,
            seed,
            cell,
        )
        for cell, states in ((cell_a, states_a), (cell_b, states_b))
    ]
    return SwitchTruth(genes.ensembl_ids, states_b[rows], tuple(marks), *expected)
