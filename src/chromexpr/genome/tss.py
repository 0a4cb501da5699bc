"""The gene table: which genes, in which order, and where their TSS is.

The gene table (``results/genes/genes.tsv``) has one row per gene in Ensembl-id order with
columns ``gene_id, symbol, chrom, tss, strand``; ``tss`` is 0-based. Labels, splits and datasets
follow its row order. Counts follow the rows of the gene positions
(``results/genes/positions.tsv``, the same columns): every gene that may be counted, from the
annotation (or the published list) and the chrom sizes alone; the gene table is the positioned
genes with an expression row, so an edited expression table is never a reason to count again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping, Sequence

import numpy as np
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


def _drop_unknown_contigs(
    genes: pd.DataFrame,
    chrom_sizes: Mapping[str, int],
    max_dropped_share: float,
    chrom_sizes_source: str,
) -> pd.DataFrame:
    """``genes`` on contigs of the chrom sizes. Dropped genes are a warning (the console shows
    it), and an error above ``max_dropped_share`` of the genes: chrom sizes that miss a whole
    chromosome would otherwise shrink the gene set silently."""
    known = genes["chrom"].isin(list(chrom_sizes))
    if known.all():
        return genes
    dropped = genes.loc[~known, "chrom"].value_counts()
    details = ", ".join(f"{chrom}: {n}" for chrom, n in dropped.items())
    share = float((~known).mean())
    message = (
        f"{int((~known).sum())} of {len(genes)} genes ({share:.1%}) on contigs absent from "
        f"the chrom sizes {chrom_sizes_source} ({details})"
    )
    if known.any() and share > max_dropped_share:
        raise InputFormatError(
            chrom_sizes_source,
            f"{message}; more than max_dropped_gene_share {max_dropped_share:g}: do the chrom "
            "sizes lack a chromosome of the annotation's assembly?",
        )
    logger.warning(f"dropped {message}")
    return genes[known]


def annotation_positions(
    annotation: pd.DataFrame,
    chrom_sizes: Mapping[str, int],
    max_dropped_share: float = 1.0,
    chrom_sizes_source: str = "chrom sizes",
    tss_source: str = "gene",
) -> pd.DataFrame:
    """The annotation's genes on known contigs as a gene table, sorted by Ensembl id; the TSS
    from ``tss_source`` (see annotation_tss).

    At most ``max_dropped_share`` of them may be dropped for lying on contigs the chrom sizes
    lack.
    """
    genes = _drop_unknown_contigs(annotation, chrom_sizes, max_dropped_share, chrom_sizes_source)
    if len(annotation) and genes.empty:
        raise InputFormatError(
            "gene table",
            f"all {len(annotation)} genes are on contigs absent from the chrom sizes (e.g. "
            f"{annotation['chrom'].iloc[0]}): the annotation and chrom_sizes name another assembly",
        )
    table = genes.assign(tss=annotation_tss(genes, tss_source))[GENE_TABLE_COLUMNS]
    return table.sort_values("gene_id", kind="stable").reset_index(drop=True)


def published_positions(
    published: pd.DataFrame,
    annotation: pd.DataFrame,
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


def expressed_gene_table(
    positions: pd.DataFrame,
    expressed_gene_ids: Collection[str],
    gene_set: str,
    source: str = "gene positions",
) -> pd.DataFrame:
    """The gene table: the genes of ``positions`` that have an expression row, in its order.

    gene_set annotation keeps the genes in both; published needs every listed gene, since a
    dropped row would shift the published split.
    """
    check_gene_set(gene_set)
    has_expression = positions["gene_id"].isin(set(expressed_gene_ids))
    if gene_set == "published" and not has_expression.all():
        missing = positions.loc[~has_expression, "gene_id"]
        raise InputFormatError(
            source,
            f"{len(missing)} genes have no expression row, first {missing.iloc[0]} (gene_set: published)",
        )
    logger.info(
        f"gene positions: {len(positions)} rows, expression input: {len(set(expressed_gene_ids))} "
        f"genes, in both: {int(has_expression.sum())} rows"
    )
    if not has_expression.any():
        raise InputFormatError(source, "no gene has a row in the expression table")
    return positions[has_expression].reset_index(drop=True)


def position_rows(positions: pd.DataFrame, genes: pd.DataFrame) -> np.ndarray:
    """The row of ``positions`` holding each gene of the gene table ``genes``: [genes] int64.

    Matched on gene id, chromosome and TSS (the published list's seven twice-listed ids have
    identical windows, so either row holds their counts).
    """
    keys = ["gene_id", "chrom", "tss"]
    first = positions[keys].reset_index().drop_duplicates(keys)
    matched = genes[keys].merge(first, on=keys, how="left")["index"]
    if matched.isna().any():
        missing = genes["gene_id"][matched.isna().to_numpy()].iloc[0]
        raise InputFormatError(
            "gene positions",
            f"gene {missing} of the gene table has no position (files of different runs: rerun)",
        )
    return matched.to_numpy(np.int64)


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


def build_gene_positions(
    annotation_path: str | os.PathLike[str],
    annotation_format: str,
    chrom_sizes_path: str | os.PathLike[str],
    gene_set: str,
    published_path: str | os.PathLike[str],
    published_coordinates: bool,
    out_path: str | os.PathLike[str],
    max_dropped_share: float = 1.0,
    biotypes: Collection[str] | None = None,
    tss_source: str = "gene",
) -> pd.DataFrame:
    """Read the annotation (and the published list) and write the positions of every gene that
    may be counted, as a gene table. Expression plays no part, so editing the expression input
    leaves the positions, and the counts made from them, as they are.

    ``biotypes`` filters a GTF/GFF3 annotation (None: every gene); gene_info, whose REMC table
    lists protein-coding genes by its RPKM table, is never filtered.
    """
    check_gene_set(gene_set)
    annotation = read_annotation(annotation_path, annotation_format)
    if annotation_format != "gene_info":
        annotation = filter_biotypes(annotation, biotypes, annotation_path)
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    if gene_set == "published":
        positions = published_positions(
            read_published_genes(published_path),
            annotation,
            chrom_sizes,
            published_coordinates=published_coordinates,
            source=str(published_path),
        )
    else:
        positions = annotation_positions(
            annotation,
            chrom_sizes,
            max_dropped_share=max_dropped_share,
            chrom_sizes_source=str(chrom_sizes_path),
            tss_source=tss_source,
        )
    write_gene_table(positions, out_path)
    logger.info(f"gene set {gene_set}: positions of {len(positions)} rows")
    return positions


def build_gene_table(
    positions_path: str | os.PathLike[str],
    expression_paths: Sequence[str | os.PathLike[str]],
    gene_set: str,
    out_path: str | os.PathLike[str],
    gene_column: str | None = None,
) -> pd.DataFrame:
    """Write the gene table: the positioned genes that the expression input has.

    ``expression_paths``: the expression matrix (its ``gene_column``; None: the first), or every
    sample's expression table; a gene must be in all of them.
    """
    positions = read_gene_table(positions_path)
    expressed = expressed_gene_ids(expression_paths, gene_column)
    if not positions["gene_id"].isin(set(expressed)).any():
        raise InputFormatError(
            positions_path,
            f"no gene is in both the annotation and the expression input "
            f"{preview([str(path) for path in expression_paths])}: annotation ids "
            f"{preview(positions['gene_id'].head(6))}, expression ids {preview(expressed[:6])}",
        )
    genes = expressed_gene_table(positions, expressed, gene_set, str(positions_path))
    write_gene_table(genes, out_path)
    logger.info(
        f"gene set {gene_set}: {len(genes)} rows, {genes['gene_id'].nunique()} distinct genes"
    )
    return genes
