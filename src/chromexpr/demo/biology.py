"""The demo's biology: how expression and each mark's reads follow a gene's activity.

Per gene g and cell type c:

- Latent activity ``a[c, g] = sqrt(0.6) * shared[g] + sqrt(0.4) * cell_specific[c, g]`` with both
  parts standard normal: cell types are correlated (r = 0.6) but differ.
- Expression: ``z = (a + e) / sqrt(1 + 0.55**2)`` with expression noise ``e ~ N(0, 0.55)`` that no
  mark sees (this caps how well marks predict expression). ``RPKM = 0`` when ``z`` falls below the
  15 % normal quantile, else ``3 * exp(1.8 * z)``: about 15 % exact zeros, median about 3 RPKM and
  a lognormal right tail into the hundreds.
- Marks follow activity the way the Roadmap papers describe them. Each gene, cell type and mark
  draws a lognormal level noise ``exp(N(0, 0.5))``; read counts are Poisson around the level.

  - H3K4me3: a sharp peak (sd 300 bp) centred 150 bp downstream of the TSS of active genes.
  - H3K4me1: two flanking peaks 1.5 kb either side of the TSS (sd 600 bp) at active and poised
    genes (switched on at a lower activity than H3K4me3).
  - H3K36me3: uniform over the gene body, which lies downstream of the TSS on either strand,
    for active genes.
  - H3K27me3 and H3K9me3: broad domains (3-15 kb either side of the TSS) over repressed genes;
    each gene leans towards Polycomb (H3K27me3) or heterochromatin (H3K9me3) by a gene-level
    propensity shared by all cell types.

- Every file adds a uniform background over chr1 and chr21, a few reads on chrM (present in
  hg19.chrom.sizes) and on chrEBV (absent from it, so the workflow's contig filter has work).
  Each cell type and mark gets its own read depth factor (0.6-1.0), as REMC depth varies.

With all genes a logistic regression on per-mark read counts in TSS +-5 kb reaches a test AUC of
about 0.83-0.85 for "RPKM >= median", not 1.0.

Cell-type-specific genes (``demo.switching``, a share ``s`` of the genes; 0 by default, which
draws nothing and leaves every file as it was):

- A gene switches with probability ``s`` (``switching_genes``: a generator of its own, keyed by
  the seed and the word ``switching``, so the share draws nothing from the streams above, and a
  larger share keeps the switching genes of a smaller one).
- In each cell type a switching gene is on or off with probability 1/2 (``switch_states``: a
  generator keyed by the seed, the cell type and ``switching``, so a cell's states do not depend
  on which other cells are listed). Its cell-specific activity is replaced by ``+2.5`` (on) or
  ``-2.5`` (off): ``a = sqrt(0.6) * shared + sqrt(0.4) * (+-2.5)``, a jump of 3.2 standard
  deviations of activity between the two states, against 0.9 for a typical gene between two
  cell types.
- Expression and every mark follow the activity as above: H3K4me3, H3K4me1 and H3K36me3 rise
  where the gene is on, the broad H3K27me3 or H3K9me3 domain (by the gene's Polycomb
  propensity) where it is off. A gene switches between two cell types where its states differ
  (half the switching genes, for any pair), up in the second cell type when it is on there.

The truth of a pair (``chromexpr.demo.switching``): which genes switch, their direction, and
each mark's and bin's expected change in counts, from the model alone.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEMO_MARKS = ("H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3")
READ_LENGTH = 36
GENE_CHROMS = ("chr1", "chr21")
# Every chromosome the demo places reads on (chrM: the reads a contig filter keeps out of bins).
DEMO_CHROMS = (*GENE_CHROMS, "chrM")
# chrEBV is an hg38 decoy contig: not in hg19.chrom.sizes, so readers must drop its reads.
MISSING_CONTIG = "chrEBV"
MISSING_CONTIG_LENGTH = 171_823
CHRM_READS = 300
MISSING_CONTIG_READS = 100

SHARED_ACTIVITY_VARIANCE = 0.6
EXPRESSION_NOISE_SD = 0.55
ZERO_RPKM_QUANTILE_Z = -1.0364  # standard normal 15 % quantile
MEDIAN_RPKM = 3.0
LOG_RPKM_SD = 1.8
MARK_NOISE_SD = 0.5
DEPTH_FACTOR_RANGE = (0.6, 1.0)
# The cell-specific activity of a switching gene: + on, - off (module docstring).
SWITCH_LEVEL = 2.5
SWITCHING_STREAM = zlib.crc32(b"switching")


@dataclass(frozen=True)
class Genes:
    """hg19 genes, one entry per gene; coordinates as in gene_info (1-based inclusive)."""

    ensembl_ids: np.ndarray  # [genes] str
    symbols: np.ndarray  # [genes] str
    chroms: np.ndarray  # [genes] str, with "chr"
    starts: np.ndarray  # [genes] int64
    ends: np.ndarray  # [genes] int64
    strands: np.ndarray  # [genes] int64, +1 or -1

    @property
    def tss(self) -> np.ndarray:
        """0-based TSS: start for + genes, end for - genes. [genes] int64."""
        return np.where(self.strands == 1, self.starts, self.ends) - 1


def rpkm_from_activity(rng: np.random.Generator, activity: np.ndarray) -> np.ndarray:
    """RPKM for one cell type: 15 % zeros, median 3, lognormal tail. [genes] float."""
    noise = rng.normal(0.0, EXPRESSION_NOISE_SD, len(activity))
    z = (activity + noise) / np.sqrt(1 + EXPRESSION_NOISE_SD**2)
    rpkm = MEDIAN_RPKM * np.exp(LOG_RPKM_SD * z)
    return np.where(z < ZERO_RPKM_QUANTILE_Z, 0.0, rpkm)


def switching_genes(seed: int, n_genes: int, share: float) -> np.ndarray:
    """Which of ``n_genes`` genes switch state between cell types: [genes] bool, about
    ``share`` of them; the genes of a smaller share are among those of a larger one."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the share of switching genes must be in [0, 1]; got {share}")
    return np.random.default_rng([seed, SWITCHING_STREAM]).random(n_genes) < share


def switch_states(seed: int, cell: str, n_genes: int) -> np.ndarray:
    """Each gene's state in ``cell`` if it switches: [genes] int, +1 on or -1 off."""
    rng = np.random.default_rng([seed, zlib.crc32(cell.encode()), SWITCHING_STREAM])
    return 2 * rng.integers(0, 2, n_genes) - 1


def activity_of(
    shared_activity: np.ndarray,
    cell_specific_activity: np.ndarray,
    switching: np.ndarray | None = None,
    states: np.ndarray | None = None,
) -> np.ndarray:
    """Latent activity [genes] of one cell type: shared and cell-specific parts, the latter
    replaced by ``states * SWITCH_LEVEL`` for the ``switching`` genes ([genes] bool and
    [genes] +-1, the first genes of the arrays where shorter; None: no gene switches)."""
    cell_specific = np.array(cell_specific_activity, dtype=np.float64)
    if switching is not None:
        switched = np.flatnonzero(switching)
        cell_specific[switched] = SWITCH_LEVEL * states[switched]
    return (
        np.sqrt(SHARED_ACTIVITY_VARIANCE) * shared_activity
        + np.sqrt(1 - SHARED_ACTIVITY_VARIANCE) * cell_specific
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_reads(
    rng: np.random.Generator,
    mark: str,
    genes: Genes,
    activity: np.ndarray,
    polycomb_propensity: np.ndarray,
    depth: float,
    background_reads_per_mb: float,
    contig_lengths: Mapping[str, int],
) -> pd.DataFrame:
    """Reads of one cell type and mark: gene signal + background + chrM + chrEBV, sorted.

    ``activity`` and ``polycomb_propensity``: [genes]. Returns columns chrom, start, end, strand.
    """
    expected_reads, place_reads = _mark_model(rng, mark, genes, activity, polycomb_propensity)
    level_noise = np.exp(rng.normal(0.0, MARK_NOISE_SD, len(activity)))
    reads_per_gene = rng.poisson(expected_reads * level_noise * depth)
    gene_of_read = np.repeat(np.arange(len(activity)), reads_per_gene)
    parts = [
        pd.DataFrame({"chrom": genes.chroms[gene_of_read], "centre": place_reads(gene_of_read)})
    ]

    uniform_reads = [
        (chrom, contig_lengths[chrom], background_reads_per_mb * contig_lengths[chrom] / 1e6)
        for chrom in GENE_CHROMS
    ]
    uniform_reads += [
        ("chrM", contig_lengths["chrM"], CHRM_READS),
        (MISSING_CONTIG, MISSING_CONTIG_LENGTH, MISSING_CONTIG_READS),
    ]
    for chrom, length, mean_reads in uniform_reads:
        n_reads = rng.poisson(mean_reads * depth)
        parts.append(pd.DataFrame({"chrom": chrom, "centre": rng.uniform(0, length, n_reads)}))
    reads = pd.concat(parts, ignore_index=True)

    lengths = reads["chrom"].map({**contig_lengths, MISSING_CONTIG: MISSING_CONTIG_LENGTH})
    max_starts = lengths.to_numpy(np.int64) - READ_LENGTH
    starts = np.clip(np.round(reads["centre"].to_numpy()) - READ_LENGTH // 2, 0, max_starts)
    reads = pd.DataFrame(
        {
            "chrom": reads["chrom"],
            "start": starts.astype(np.int64),
            "end": starts.astype(np.int64) + READ_LENGTH,
            "strand": rng.choice(np.array(["+", "-"]), len(reads)),
            "chrom_rank": reads["chrom"].map({c: i for i, (c, _, _) in enumerate(uniform_reads)}),
        }
    )
    reads = reads.sort_values(["chrom_rank", "start", "strand"], kind="stable")
    return reads.drop(columns="chrom_rank").reset_index(drop=True)


def _mark_model(
    rng: np.random.Generator,
    mark: str,
    genes: Genes,
    activity: np.ndarray,
    polycomb_propensity: np.ndarray,
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Expected reads per gene ([genes]) and a function placing reads given their gene indices.

    The placing function maps ``gene_of_read: [reads]`` to 0-based fragment centres ``[reads]``.
    """
    tss = genes.tss
    if mark == "H3K4me3":
        expected_reads = 80.0 * _sigmoid(3.0 * activity)

        def place_reads(gene_of_read: np.ndarray) -> np.ndarray:
            downstream = genes.strands[gene_of_read] * 150
            return tss[gene_of_read] + downstream + rng.normal(0, 300, len(gene_of_read))

    elif mark == "H3K4me1":
        expected_reads = 50.0 * _sigmoid(2.0 * (activity + 0.8))

        def place_reads(gene_of_read: np.ndarray) -> np.ndarray:
            side = rng.choice([-1, 1], len(gene_of_read))
            return tss[gene_of_read] + side * rng.normal(1500, 600, len(gene_of_read))

    elif mark == "H3K36me3":
        body_lengths = genes.ends - genes.starts + 1
        expected_reads = 0.0012 * body_lengths * _sigmoid(3.0 * (activity - 0.2))

        def place_reads(gene_of_read: np.ndarray) -> np.ndarray:
            body_offsets = rng.uniform(0, body_lengths[gene_of_read])
            return genes.starts[gene_of_read] - 1 + body_offsets

    else:
        propensity = polycomb_propensity if mark == "H3K27me3" else 1 - polycomb_propensity
        half_widths = rng.uniform(3000, 15000, len(tss))
        repression = _sigmoid(-3.0 * (activity + 0.3))
        expected_reads = 0.004 * 2 * half_widths * propensity * repression

        def place_reads(gene_of_read: np.ndarray) -> np.ndarray:
            spread = rng.uniform(-1, 1, len(gene_of_read)) * half_widths[gene_of_read]
            return tss[gene_of_read] + spread

    return expected_reads, place_reads
