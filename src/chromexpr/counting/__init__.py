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
from chromexpr.genome.bins import BinLayout, bin_offsets, read_bins_bed, scatter_bin_counts
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes

logger = logging.getLogger(__name__)

ENGINES = ("fast", "multicov")
SOURCES = ("bam", "tagalign", "bigwig")


def _line_values(
    source: str,
    path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str],
    layout: BinLayout,
    counting: Mapping[str, object],
    chrom_sizes_path: str | os.PathLike[str] | None,
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
        if chrom_sizes_path is None:
            raise ValueError("counting a tagAlign needs the chrom sizes")
        counts, _ = tagalign_bin_counts(path, layout, read_chrom_sizes(chrom_sizes_path))
        return counts
    if engine == "fast":
        return bam_bin_counts(path, layout, **filters)
    return multicov_counts(path, bins_bed, **filters)


def count_bins(
    source: str,
    path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str],
    genes_path: str | os.PathLike[str],
    bins: Mapping[str, int],
    counting: Mapping[str, object],
    out_path: str | os.PathLike[str],
    chrom_sizes_path: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Values per bin of ``path`` (a ``source``: bam, tagalign or bigwig) saved as [genes, bins].

    Read counts are int32; bigWig means float32. Bins that fall off a chromosome are 0.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    engine = counting["engine"]
    if engine not in ENGINES:
        raise ConfigError("counting.engine", f"{engine!r} is not one of {ENGINES}")
    n_genes = len(read_gene_table(genes_path))
    n_bins = len(bin_offsets(bins["window"], bins["bin_size"]))
    layout = read_bins_bed(bins_bed, n_genes, n_bins)
    values = _line_values(source, path, bins_bed, layout, counting, chrom_sizes_path)
    matrix = scatter_bin_counts(layout, values)
    with atomic_path(out_path, suffix=".npy") as tmp:
        np.save(tmp, matrix)
    logger.info(
        f"{path}: {source}, engine {engine}: total {matrix.sum():.0f} over {n_genes} genes x {n_bins} bins"
    )
    return matrix
