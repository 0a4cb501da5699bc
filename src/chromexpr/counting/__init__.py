"""Reads (or signal) per TSS bin of one sample and mark, its replicates summed.

Engines, all with ``bedtools multicov`` semantics for reads: ``fast`` (the default; one
vectorised pass per chromosome over the sorted BAM, or straight over the tagAlign when BAMs are
not built) and ``multicov`` (the reference: ``bedtools multicov`` through pybedtools). Signal
bigWigs are averaged per bin instead.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from chromexpr.atomic import atomic_path
from chromexpr.bam import indexed_bam
from chromexpr.counting.bigwig import bigwig_bin_means
from chromexpr.counting.fast import (
    PAIRED_SAMPLE,
    bam_bin_counts,
    is_paired_end,
    tagalign_bin_counts,
)
from chromexpr.counting.multicov import multicov_counts
from chromexpr.errors import ConfigError, InputFormatError, named_as
from chromexpr.genome.bins import BinLayout, bin_layout, scatter_bin_counts
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.sniff import check_declared_format

logger = logging.getLogger(__name__)

ENGINES = ("fast", "multicov")
SOURCES = ("bam", "tagalign", "bed", "bigwig")


def _line_values(
    source: str,
    path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str] | None,
    layout: BinLayout,
    counting: Mapping[str, object],
    chrom_sizes_path: str | os.PathLike[str] | None,
    genes_source: str,
    scratch: Path,
) -> np.ndarray:
    filters = {
        "min_mapq": int(counting["min_mapq"]),
        "include_duplicates": bool(counting["include_duplicates"]),
        "include_qcfail": bool(counting["include_qcfail"]),
    }
    engine = counting["engine"]
    check_declared_format(path, source)
    if source == "bigwig":
        return bigwig_bin_means(path, layout)
    if source in ("tagalign", "bed"):
        if engine != "fast":
            raise ConfigError("counting.engine", "counting a tagAlign directly needs engine fast")
        if chrom_sizes_path is None:
            raise ValueError("counting a tagAlign needs the chrom sizes")
        if counting.get("count", "reads") == "fragments":
            logger.warning(
                f"{path}: a {source} file holds reads, not pairs: counted as reads, not "
                "fragments (counting.count: fragments)"
            )
        counts, _ = tagalign_bin_counts(
            path,
            layout,
            read_chrom_sizes(chrom_sizes_path),
            stranded=source == "tagalign",
            chrom_sizes_source=f"the genome's chrom sizes {chrom_sizes_path}",
            genes_source=genes_source,
        )
        return counts
    # A BAM that is not sorted and indexed is sorted or indexed into a scratch folder.
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".bam-") as workdir:
        bam = indexed_bam(path, workdir)
        with named_as(bam, path, "sorted into"):
            return _bam_values(bam, path, bins_bed, layout, counting, filters, chrom_sizes_path)


def _bam_values(
    bam: str | os.PathLike[str],
    path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str] | None,
    layout: BinLayout,
    counting: Mapping[str, object],
    filters: Mapping[str, object],
    chrom_sizes_path: str | os.PathLike[str] | None,
) -> np.ndarray:
    """Counts of ``bam`` (``path`` itself, or its sorted and indexed copy; logs name ``path``)."""
    engine = counting["engine"]
    if engine == "fast":
        count = str(counting.get("count", "reads"))
        if count == "fragments" and not is_paired_end(bam):
            logger.warning(
                f"{path}: single-end reads (none of the first {PAIRED_SAMPLE} is flagged "
                "paired): counted as reads, not fragments (counting.count: fragments)"
            )
            count = "reads"
        return bam_bin_counts(
            bam, layout, count=count, chrom_sizes_path=chrom_sizes_path, **filters
        )
    if bins_bed is None:
        raise ConfigError("counting.engine", "engine multicov counts the bins of a BED file")
    return multicov_counts(bam, bins_bed, **filters)


def count_bins(
    sources: Sequence[tuple[str, str | os.PathLike[str]]],
    genes_path: str | os.PathLike[str],
    chrom_sizes_path: str | os.PathLike[str],
    bins: Mapping[str, int],
    counting: Mapping[str, object],
    out_path: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str] | None = None,
    genes_source: str = "the gene table",
    name: str = "this sample and mark",
) -> np.ndarray:
    """Values per bin of the replicates ``sources`` ((format, path): bam, tagalign, bed or
    bigwig) of one sample and mark, saved as [genes, bins].

    Replicates' read counts are summed (int32); bigWig means are averaged over replicates
    (float32). Bins that fall off a chromosome are 0. A file whose content is not its declared
    format is an error naming it; so is a matrix that is 0 in every bin (InputFormatError naming
    the files and ``name``, e.g. "sample K562, mark H3K4me3"), which is never written. Under
    ``count`` fragments, a single-end BAM is counted by reads (a log line names it).
    ``genes_source`` names where the genes' contigs come from (the annotation) in the error for
    reads that share no contig with them.

    The bins are laid out here from the gene table and the chrom sizes (a fraction of a second;
    reading them back from a 2-million-line BED took longer than counting). ``bins_bed``, the
    same bins as a BED (written from the same gene table), is read only by engine multicov.
    """
    kinds = {source == "bigwig" for source, _ in sources}
    if not sources or len(kinds) > 1 or any(source not in SOURCES for source, _ in sources):
        raise ValueError(f"replicates must all be reads or all bigwig, of {SOURCES}: {sources}")
    engine = counting["engine"]
    if engine not in ENGINES:
        raise ConfigError("counting.engine", f"{engine!r} is not one of {ENGINES}")
    layout = bin_layout(
        read_gene_table(genes_path),
        read_chrom_sizes(chrom_sizes_path),
        window=bins["window"],
        bin_size=bins["bin_size"],
        reverse_minus_strand=bins.get("reverse_minus_strand", False),
        window_convention=bins.get("window_convention", "published"),
    )
    n_genes, n_bins = layout.n_genes, layout.n_bins
    scratch = Path(out_path).parent
    scratch.mkdir(parents=True, exist_ok=True)
    replicates = [
        scatter_bin_counts(
            layout,
            _line_values(
                source, path, bins_bed, layout, counting, chrom_sizes_path, genes_source, scratch
            ),
        )
        for source, path in sources
    ]
    signal = kinds == {True}
    matrix = (np.mean(replicates, axis=0) if signal else np.sum(replicates, axis=0)).astype(
        replicates[0].dtype
    )
    paths = ", ".join(str(path) for _, path in sources)
    if not matrix.any():
        raise InputFormatError(
            paths,
            f"{name}: every bin of the {n_genes} genes is 0 ({'signal' if signal else 'reads'} "
            f"counted by engine {engine}); nothing of these files falls in a TSS window: check "
            "that they are of this genome and annotation (contig names, assembly) and the "
            "counting settings (counting.min_mapq, counting.count)",
        )
    with atomic_path(out_path, suffix=".npy") as tmp:
        np.save(tmp, matrix)
    logger.info(
        f"{paths}: engine {engine}: total {matrix.sum():.0f} over {n_genes} genes x {n_bins} bins"
    )
    return matrix
