"""The gene table: which genes, in which order, and where their TSS is.

The gene table (``results/genes/genes.tsv``) has one row per gene in Ensembl-id order with
columns ``gene_id, symbol, chrom, tss, strand``; ``tss`` is 0-based. Everything downstream
(bins, counts, labels, splits, datasets) follows its row order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from chromexpr.atomic import write_tsv
from chromexpr.errors import ConfigError, InputFormatError, preview
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.expression import expressed_gene_ids
from chromexpr.io.gene_info import filter_biotypes, read_annotation
from chromexpr.io.published_genes import read_published_genes

logger = logging.getLogger(__name__)

GENE_TABLE_COLUMNS = ["gene_id", "symbol", "chrom", "tss", "strand"]
GENE_SETS = ("annotation", "published")
TSS_SOURCES = ("gene", "canonical_transcript")


def annotation_tss(annotation: pd.DataFrame, tss_source: str = "gene") -> pd.Series:
    """0-based, strand-aware TSS: the first base of a ``+`` gene, the last base of a ``-`` gene.

    ``annotation`` has 1-based inclusive ``start``/``end`` as Ensembl gives them.
    ``tss_source="canonical_transcript"`` takes the start/end of the gene's canonical transcript
    (``canonical_start``/``canonical_end``) where it has one, the gene's elsewhere.
    """
    start, end = annotation["start"], annotation["end"]
    if tss_source == "canonical_transcript":
        has_canonical = annotation["canonical_start"].notna()
        start = start.where(~has_canonical, annotation["canonical_start"])
        end = end.where(~has_canonical, annotation["canonical_end"])
    elif tss_source != "gene":
        raise ConfigError("annotation.tss", f"{tss_source!r} is not one of {TSS_SOURCES}")
    plus = annotation["strand"] == "+"
    return (start.where(plus, end) - 1).astype("int64")


def _drop_unknown_contigs(genes: pd.DataFrame, chrom_sizes: Mapping[str, int]) -> pd.DataFrame:
    known = genes["chrom"].isin(list(chrom_sizes))
    if not known.all():
        dropped = genes.loc[~known, "chrom"].value_counts()
        details = ", ".join(f"{chrom}: {n}" for chrom, n in dropped.items())
        logger.info(
            f"dropped {int((~known).sum())} genes on contigs absent from the chrom sizes ({details})"
        )
    return genes[known]


def annotation_gene_table(
    annotation: pd.DataFrame,
    expressed_gene_ids: Collection[str],
    chrom_sizes: Mapping[str, int],
    tss_source: str = "gene",
) -> pd.DataFrame:
    """Genes in both the annotation and the expression input, on known contigs, sorted by
    Ensembl id; the TSS from ``tss_source`` (see annotation_tss)."""
    expressed = set(expressed_gene_ids)
    in_both = annotation[annotation["gene_id"].isin(expressed)]
    logger.info(
        f"annotation: {len(annotation)} genes, expression input: {len(expressed)} genes, "
        f"in both: {len(in_both)}"
    )
    genes = _drop_unknown_contigs(in_both, chrom_sizes)
    if len(in_both) and genes.empty:
        raise InputFormatError(
            "gene table",
            f"all {len(in_both)} genes are on contigs absent from the chrom sizes (e.g. "
            f"{in_both['chrom'].iloc[0]}): the annotation and chrom_sizes name another assembly",
        )
    table = genes.assign(tss=annotation_tss(genes, tss_source))[GENE_TABLE_COLUMNS]
    return table.sort_values("gene_id", kind="stable").reset_index(drop=True)


def published_gene_table(
    published: pd.DataFrame,
    annotation: pd.DataFrame,
    expressed_gene_ids: Collection[str],
    chrom_sizes: Mapping[str, int],
    published_coordinates: bool = False,
    source: str = "published gene list",
) -> pd.DataFrame:
    """The published 19,802-row list in its own order, which fixes the published split.

    The TSS comes from the list (1-based there). By default it is converted to 0-based like every
    other TSS; ``published_coordinates=True`` keeps the published windows, which use the 1-based
    value directly as a BED coordinate (one base to the right). Strand comes from the annotation
    (``.`` for a gene the annotation lacks); it only matters when minus-strand bins are reversed.
    """
    expressed = set(expressed_gene_ids)
    missing = [gene for gene in published["gene_id"] if gene not in expressed]
    if missing:
        raise InputFormatError(
            source,
            f"{len(missing)} genes have no expression row, first {missing[0]} (gene_set: published)",
        )
    unknown = published.loc[~published["chrom"].isin(list(chrom_sizes)), "chrom"]
    if len(unknown):
        raise InputFormatError(source, f"chromosome {unknown.iloc[0]} is not in the chrom sizes")
    strand = published["gene_id"].map(annotation.set_index("gene_id")["strand"]).fillna(".")
    shift = 0 if published_coordinates else 1
    return pd.DataFrame(
        {
            "gene_id": published["gene_id"],
            "symbol": published["symbol"],
            "chrom": published["chrom"],
            "tss": (published["tss_1based"] - shift).astype("int64"),
            "strand": strand,
        }
    ).reset_index(drop=True)


def write_gene_table(genes: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    write_tsv(genes[GENE_TABLE_COLUMNS], path)


def read_gene_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    table = pd.read_csv(
        path, sep="\t", dtype={"gene_id": str, "symbol": str, "chrom": str, "strand": str}
    )
    missing = [column for column in GENE_TABLE_COLUMNS if column not in table.columns]
    if missing:
        raise InputFormatError(path, f"not a gene table: missing columns {missing}", 1)
    return table[GENE_TABLE_COLUMNS]


def check_gene_set(gene_set: str) -> None:
    if gene_set not in GENE_SETS:
        raise ConfigError("gene_set", f"{gene_set!r} is not one of {GENE_SETS}")


def build_gene_table(
    annotation_path: str | os.PathLike[str],
    annotation_format: str,
    expression_paths: Sequence[str | os.PathLike[str]],
    chrom_sizes_path: str | os.PathLike[str],
    gene_set: str,
    published_path: str | os.PathLike[str],
    published_coordinates: bool,
    out_path: str | os.PathLike[str],
    biotypes: Collection[str] | None = None,
    tss_source: str = "gene",
    gene_column: str | None = None,
) -> pd.DataFrame:
    """Read the inputs, select the gene set and write the gene table.

    ``expression_paths``: the expression matrix (its ``gene_column``; None: the first), or every
    sample's expression table; a gene must be in all of them. ``biotypes`` filters a GTF/GFF3
    annotation (None: every gene); gene_info, whose REMC table lists protein-coding genes by
    its RPKM table, is never filtered.
    """
    check_gene_set(gene_set)
    annotation = read_annotation(annotation_path, annotation_format)
    if annotation_format != "gene_info":
        annotation = filter_biotypes(annotation, biotypes, annotation_path)
    expressed = expressed_gene_ids(expression_paths, gene_column)
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    if gene_set == "published":
        genes = published_gene_table(
            read_published_genes(published_path),
            annotation,
            expressed,
            chrom_sizes,
            published_coordinates=published_coordinates,
            source=str(published_path),
        )
    else:
        genes = annotation_gene_table(annotation, expressed, chrom_sizes, tss_source)
    if genes.empty:
        raise InputFormatError(
            annotation_path,
            f"no gene is in both the annotation and the expression input "
            f"{preview([str(path) for path in expression_paths])}: annotation ids "
            f"{preview(annotation['gene_id'].head(6))}, expression ids {preview(expressed[:6])}",
        )
    write_gene_table(genes, out_path)
    logger.info(
        f"gene set {gene_set}: {len(genes)} rows, {genes['gene_id'].nunique()} distinct genes"
    )
    return genes
