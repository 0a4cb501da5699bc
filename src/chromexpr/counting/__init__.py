"""Read counting over TSS bins. ``multicov`` is the reference engine (bedtools semantics)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import numpy as np

from chromexpr.atomic import atomic_path
from chromexpr.counting.multicov import multicov_counts
from chromexpr.errors import ConfigError
from chromexpr.genome.bins import bin_offsets, read_bins_bed, scatter_bin_counts
from chromexpr.genome.tss import read_gene_table

ENGINES = ("multicov",)


def count_bins(
    bam: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str],
    genes_path: str | os.PathLike[str],
    bins: Mapping[str, int],
    counting: Mapping[str, object],
    out_path: str | os.PathLike[str],
    log: Callable[[str], None] = print,
) -> np.ndarray:
    """Count reads of ``bam`` in every bin and save counts [genes, bins] (int32) to ``out_path``."""
    engine = counting["engine"]
    if engine not in ENGINES:
        raise ConfigError("counting.engine", f"{engine!r} is not one of {ENGINES}")
    n_genes = len(read_gene_table(genes_path))
    n_bins = len(bin_offsets(bins["window"], bins["bin_size"]))
    layout = read_bins_bed(bins_bed, n_genes, n_bins)
    line_counts = multicov_counts(
        bam,
        bins_bed,
        min_mapq=int(counting["min_mapq"]),
        include_duplicates=bool(counting["include_duplicates"]),
        include_qcfail=bool(counting["include_qcfail"]),
        log=log,
    )
    matrix = scatter_bin_counts(layout, line_counts)
    with atomic_path(out_path, suffix=".npy") as tmp:
        np.save(tmp, matrix)
    log(f"{bam}: {int(matrix.sum())} read-bin overlaps over {n_genes} genes x {n_bins} bins")
    return matrix
