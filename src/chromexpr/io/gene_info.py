"""Gene annotations: REMC's Ensembl ``gene_info`` file, GENCODE / Ensembl GTF and GFF3.

Every reader returns the same table (``ANNOTATION_COLUMNS``): ``gene_id`` (Ensembl version
suffix dropped), ``symbol``, ``chrom`` (UCSC names: ``chr1``, ``chrM``), ``start``/``end``
(1-based inclusive, as the files give them), ``strand`` (``+``/``-``), ``biotype``, ``length``
(the gene's length for TPM: union of its exons in GTF/GFF3, its span in gene_info, which has no
exons) and ``canonical_start``/``canonical_end`` (its ``Ensembl_canonical`` transcript; missing
where the file tags none, and always in gene_info).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Collection, Iterator
from urllib.parse import unquote

import pandas as pd

from chromexpr.errors import InputFormatError
from chromexpr.io.sniff import open_text

ANNOTATION_COLUMNS = [
    "gene_id",
    "symbol",
    "chrom",
    "start",
    "end",
    "strand",
    "biotype",
    "length",
    "canonical_start",
    "canonical_end",
]
logger = logging.getLogger(__name__)
_STRANDS = {"1": "+", "+1": "+", "+": "+", "-1": "-", "-": "-"}


def ucsc_chrom(name: str) -> str:
    """Ensembl chromosome names (``1``, ``X``, ``MT``) to UCSC names (``chr1``, ``chrX``, ``chrM``)."""
    if name.startswith("chr"):
        return name
    if name in ("MT", "M"):
        return "chrM"
    if name.isdigit() or name in ("X", "Y"):
        return f"chr{name}"
    return name  # patch and scaffold contigs (HSCHR6_MHC_COX, GL000192.1) have no UCSC twin


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    with open_text(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield line_number, line


def _parse_coordinates(path, line_number, start: str, end: str) -> tuple[int, int]:
    try:
        start_value, end_value = int(start), int(end)
    except ValueError:
        raise InputFormatError(
            path, f"coordinates {start!r}, {end!r} are not integers", line_number
        ) from None
    if start_value < 1 or end_value < start_value:
        raise InputFormatError(
            path,
            f"bad interval start={start_value} end={end_value} (1-based, inclusive)",
            line_number,
        )
    return start_value, end_value


def _parse_strand(path, line_number, strand: str) -> str:
    try:
        return _STRANDS[strand]
    except KeyError:
        raise InputFormatError(path, f"strand {strand!r} is not 1/-1/+/-", line_number) from None


def _annotation_table(
    path, rows: list[tuple], line_numbers: list[int] | None = None
) -> pd.DataFrame:
    """The annotation table of ``rows``; ``line_numbers`` (one per row, where the reader keeps
    them) let a duplicated id name its line and its first."""
    table = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    for column in ("canonical_start", "canonical_end"):
        table[column] = table[column].astype("Int64")
    duplicated = table["gene_id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        gene_id = table["gene_id"].iat[row]
        if line_numbers is None:
            raise InputFormatError(
                path,
                f"gene id {gene_id} appears more than once ({int(duplicated.sum())} duplicates)",
            )
        first = line_numbers[int((table["gene_id"] == gene_id).to_numpy().argmax())]
        raise InputFormatError(
            path,
            f"gene id {gene_id} appears more than once (first on line {first}; "
            f"{int(duplicated.sum())} duplicates)",
            line_numbers[row],
        )
    return table


def read_gene_info(path: str | os.PathLike[str]) -> pd.DataFrame:
    """REMC ``Ensembl_v65.Gencode_v10.ENSG.gene_info``: no header, tab-separated.

    Fields: ENSG id, chrom without ``chr``, start, end, strand ``1``/``-1``, biotype, symbol,
    description. Some rows carry extra or repeated tabs, so only the first 7 fields are read.
    """
    rows, line_numbers = [], []
    for line_number, line in _lines(path):
        fields = line.split("\t")
        if len(fields) < 7:
            raise InputFormatError(
                path, f"expected at least 7 tab-separated fields, found {len(fields)}", line_number
            )
        gene_id, chrom, start, end, strand, biotype, symbol = fields[:7]
        start_value, end_value = _parse_coordinates(path, line_number, start, end)
        line_numbers.append(line_number)
        rows.append(
            (
                gene_id.strip(),
                symbol.strip(),
                ucsc_chrom(chrom.strip()),
                start_value,
                end_value,
                _parse_strand(path, line_number, strand.strip()),
                biotype.strip(),
                end_value - start_value + 1,
                None,
                None,
            )
        )
    if not rows:
        raise InputFormatError(path, "no genes found")
    return _annotation_table(path, rows, line_numbers)


_GTF_ATTRIBUTE = re.compile(r'(\S+)\s+"([^"]*)"')
# Biotype attributes: GENCODE's gene_type, Ensembl's gene_biotype (GTF) and biotype (GFF3).
_BIOTYPE_KEYS = ("gene_type", "gene_biotype", "biotype")
# Gene records: GTF says gene; Ensembl's GFF3 types non-coding genes ncRNA_gene / pseudogene.
_GENE_FEATURES = {"gtf": ("gene",), "gff3": ("gene", "ncRNA_gene", "pseudogene")}
# The transcript marked canonical: GENCODE's and Ensembl's tag (GTF ``tag "..."``, GFF3 ``tag=``).
CANONICAL_TAG = "Ensembl_canonical"
# GENCODE lists the pseudoautosomal genes twice: the chrY copy's id ends in _PAR_Y.
PAR_Y_SUFFIX = "_PAR_Y"


def strip_version(gene_id: str) -> str:
    """``ENSG00000000003.14`` -> ``ENSG00000000003``; ids without the ``ENS`` prefix unchanged."""
    return gene_id.split(".", 1)[0] if gene_id.startswith("ENS") else gene_id


def _gtf_attributes(path, line_number: int, text: str) -> tuple[dict[str, str], list[str]]:
    pairs = _GTF_ATTRIBUTE.findall(text)
    if not pairs and text.strip() and "=" in text:
        raise InputFormatError(
            path, 'attributes are not key "value" pairs (a GFF3 file?)', line_number
        )
    return dict(pairs), [value for key, value in pairs if key == "tag"]


def _gff3_attributes(path, line_number: int, text: str) -> tuple[dict[str, str], list[str]]:
    attributes = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        if "=" not in item:
            raise InputFormatError(
                path, f"attribute {item!r} is not key=value (a GTF file?)", line_number
            )
        key, value = item.split("=", 1)
        attributes[key] = value
    tags = [unquote(tag) for tag in attributes.get("tag", "").split(",") if tag]
    return {key: unquote(value) for key, value in attributes.items()}, tags


def _merged_length(intervals: list[tuple[int, int]]) -> int:
    """Bases covered by 1-based inclusive ``intervals``, overlaps counted once."""
    covered, reach = 0, 0
    for start, end in sorted(intervals):
        if end > reach:
            covered += end - max(start, reach + 1) + 1
            reach = end
    return covered


def read_gtf(path: str | os.PathLike[str], annotation_format: str = "gtf") -> pd.DataFrame:
    """GENCODE / Ensembl GTF (``gene_id "..."``) or GFF3 (``ID=...;Parent=...``), gz or not.

    One row per gene record (``ANNOTATION_COLUMNS``) with its version-stripped id; ``biotype``
    from ``gene_type`` / ``gene_biotype`` / ``biotype`` (empty where absent); ``length``: bases
    of the union of the gene's exons (its span where it has no exon record);
    ``canonical_start``/``canonical_end``: the transcript tagged ``Ensembl_canonical`` (missing
    where none is). GENCODE's chrY copies of pseudoautosomal genes (``_PAR_Y`` ids) are left
    out: their stripped id is the chrX gene's. Transcripts and exons find their gene by
    ``gene_id`` (GTF) or by ``Parent`` (GFF3).
    """
    if annotation_format not in _GENE_FEATURES:
        raise ValueError(f"unknown annotation format {annotation_format!r}")
    gene_features = _GENE_FEATURES[annotation_format]
    genes: dict[str, tuple] = {}  # the file's gene id (GFF3: ID) -> row
    parent_of: dict[str, str] = {}  # GFF3 transcript ID -> its gene's ID
    transcripts: list[tuple[str, int, int]] = []  # canonical ones: (gene key, start, end)
    exons: list[tuple[str, int, int]] = []  # (gene key, or GFF3 transcript ID, start, end)
    for line_number, line in _lines(path):
        fields = line.split("\t")
        if len(fields) != 9:
            raise InputFormatError(
                path,
                f"expected 9 tab-separated fields ({annotation_format}), found {len(fields)}",
                line_number,
            )
        feature = fields[2]
        if annotation_format == "gtf" and feature not in ("gene", "transcript", "exon"):
            continue
        start, end = _parse_coordinates(path, line_number, fields[3], fields[4])
        if annotation_format == "gtf":
            attributes, tags = _gtf_attributes(path, line_number, fields[8])
            key = attributes.get("gene_id", "")
            if not key:
                raise InputFormatError(path, f"{feature} record has no gene_id", line_number)
        else:
            attributes, tags = _gff3_attributes(path, line_number, fields[8])
            own_id = attributes.get("ID", "")
            key = own_id if feature in gene_features else attributes.get("Parent", "")
            key = key.split(",")[0]
            if not key:
                missing = "ID" if feature in gene_features else "Parent"
                if feature in gene_features or feature == "exon":
                    raise InputFormatError(
                        path, f"{feature} record has no {missing} attribute", line_number
                    )
                continue  # a top-level record that is not a gene (chromosome, region)
        if feature in gene_features:
            gene_id = attributes.get("gene_id") or key.removeprefix("gene:")
            if key in genes:
                raise InputFormatError(
                    path, f"gene id {gene_id} appears more than once", line_number
                )
            biotype = next((attributes[name] for name in _BIOTYPE_KEYS if name in attributes), "")
            genes[key] = (
                gene_id,
                attributes.get("gene_name") or attributes.get("Name") or gene_id,
                ucsc_chrom(fields[0]),
                start,
                end,
                _parse_strand(path, line_number, fields[6]),
                biotype,
            )
        elif feature == "exon":
            exons.append((key, start, end))
        elif annotation_format == "gff3" or feature == "transcript":
            if annotation_format == "gff3":
                parent_of[attributes.get("ID", "")] = key
            if CANONICAL_TAG in tags:
                transcripts.append((key, start, end))
    return _gene_rows(path, genes, parent_of, transcripts, exons)


def _gene_rows(path, genes, parent_of, transcripts, exons) -> pd.DataFrame:
    """The annotation table of the collected records (see read_gtf)."""
    exon_intervals: dict[str, list[tuple[int, int]]] = {}
    for key, start, end in exons:
        gene_key = key if key in genes else parent_of.get(key, key)
        exon_intervals.setdefault(gene_key, []).append((start, end))
    canonical = {}
    for key, start, end in transcripts:
        canonical.setdefault(key, (start, end))
    rows = []
    par_y = 0
    for key, (gene_id, symbol, chrom, start, end, strand, biotype) in genes.items():
        if gene_id.endswith(PAR_Y_SUFFIX):
            par_y += 1
            continue
        intervals = exon_intervals.get(key)
        length = _merged_length(intervals) if intervals else end - start + 1
        canonical_start, canonical_end = canonical.get(key, (None, None))
        rows.append(
            (
                strip_version(gene_id),
                symbol,
                chrom,
                start,
                end,
                strand,
                biotype,
                length,
                canonical_start,
                canonical_end,
            )
        )
    if par_y:
        logger.info(f"{path}: left out {par_y} chrY pseudoautosomal copies ({PAR_Y_SUFFIX} ids)")
    if not rows:
        raise InputFormatError(path, "no gene records found")
    table = _annotation_table(path, rows)
    with_exons = sum(1 for key in genes if key in exon_intervals)
    logger.info(
        f"{path}: {len(table)} genes, {with_exons} with exons, "
        f"{int(table['canonical_start'].notna().sum())} with a canonical transcript"
    )
    return table


def filter_biotypes(
    annotation: pd.DataFrame, biotypes: Collection[str] | None, source: object
) -> pd.DataFrame:
    """Genes whose biotype is one of ``biotypes`` (None: every gene)."""
    if biotypes is None:
        return annotation
    if not (annotation["biotype"] != "").any():
        raise InputFormatError(
            source,
            "no gene has a gene_type / gene_biotype / biotype attribute; "
            "set config key 'annotation.biotypes' to null to keep every gene",
        )
    kept = annotation[annotation["biotype"].isin(list(biotypes))]
    logger.info(f"biotypes {sorted(biotypes)}: {len(kept)} of {len(annotation)} genes kept")
    if kept.empty:
        found = annotation["biotype"].value_counts().index[:6].tolist()
        raise InputFormatError(
            source,
            f"no gene has a biotype in config key 'annotation.biotypes' {sorted(biotypes)} "
            f"(found e.g. {found})",
        )
    return kept.reset_index(drop=True)


def read_annotation(path: str | os.PathLike[str], annotation_format: str) -> pd.DataFrame:
    """Dispatch on the config's ``annotation_format``: ``gene_info``, ``gtf`` or ``gff3``."""
    if annotation_format == "gene_info":
        return read_gene_info(path)
    if annotation_format in ("gtf", "gff3"):
        return read_gtf(path, annotation_format)
    raise ValueError(f"unknown annotation format {annotation_format!r}")
