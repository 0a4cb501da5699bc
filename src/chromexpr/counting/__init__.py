"""Reads (or signal) per TSS bin of one cell type and mark.

Engines, all with ``bedtools multicov`` semantics for reads: ``fast`` (the default; one
vectorised pass per chromosome over the sorted BAM, or straight over the tagAlign when BAMs are
not built) and ``multicov`` (the reference: ``bedtools multicov`` through pybedtools). Signal
bigWigs are averaged per bin instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np

from chromexpr.atomic import atomic_path
from chromexpr.counting.bigwig import bigwig_bin_means
from chromexpr.counting.fast import bam_bin_counts, tagalign_bin_counts
from chromexpr.counting.multicov import multicov_counts
from chromexpr.errors import ConfigError
from chromexpr.genome.bins import BinLayout, bin_layout, scatter_bin_counts
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes

logger = logging.getLogger(__name__)

ENGINES = ("fast", "multicov")
SOURCES = ("bam", "tagalign", "bigwig")


def _line_values(
    source: str,
    path: str | os.PathLike[str],
    layout: BinLayout,
    counting: Mapping[str, object],
    chrom_sizes: Mapping[str, int],
    bins_bed: str | os.PathLike[str] | None,
) -> np.ndarray:
    filters = {
        "min_mapq": int(counting["min_mapq"]),
        "include_duplicates": bool(counting["include_duplicates"]),
        "include_qcfail": bool(counting["include_qcfail"]),
    }
    engine = counting["engine"]
    if source == "bigwig":
        return bigwig_bin_means(path, layout)
    if source == "tagalign":
        if engine != "fast":
            raise ConfigError("counting.engine", "counting a tagAlign directly needs engine fast")
        counts, _ = tagalign_bin_counts(path, layout, chrom_sizes)
        return counts
    if engine == "fast":
        return bam_bin_counts(path, layout, **filters)
    if bins_bed is None:
        raise ConfigError("counting.engine", "engine multicov counts the bins of a BED file")
    return multicov_counts(path, bins_bed, **filters)


def count_bins(
    source: str,
    path: str | os.PathLike[str],
    genes_path: str | os.PathLike[str],
    chrom_sizes_path: str | os.PathLike[str],
    bins: Mapping[str, int],
    counting: Mapping[str, object],
    out_path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Values per bin of ``path`` (a ``source``: bam, tagalign or bigwig) saved as [genes, bins].

    The bins are laid out here from the gene table and the chrom sizes (a fraction of a second;
    reading them back from a 2-million-line BED took longer than counting). ``bins_bed``, the
    same bins as a BED (written from the same gene table), is read only by engine multicov.
    Read counts are int32; bigWig means float32. Bins that fall off a chromosome are 0.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    engine = counting["engine"]
    if engine not in ENGINES:
        raise ConfigError("counting.engine", f"{engine!r} is not one of {ENGINES}")
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    layout = bin_layout(
        read_gene_table(genes_path),
        chrom_sizes,
        window=bins["window"],
        bin_size=bins["bin_size"],
        reverse_minus_strand=bins.get("reverse_minus_strand", False),
    )
    values = _line_values(source, path, layout, counting, chrom_sizes, bins_bed)
    matrix = scatter_bin_counts(layout, values)
    with atomic_path(out_path, suffix=".npy") as tmp:
        np.save(tmp, matrix)
    logger.info(
        f"{path}: {source}, engine {engine}: total {matrix.sum():.0f} over "
        f"{layout.n_genes} genes x {layout.n_bins} bins"
    )
    return matrix
