"""Gene annotations: REMC's Ensembl ``gene_info`` file, GTF and GFF3.

Every reader returns the same table: ``gene_id, symbol, chrom, start, end, strand`` with
UCSC chromosome names (``chr1``, ``chrM``), 1-based inclusive coordinates as the files give them,
and strand ``+``/``-``.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator

import pandas as pd

from chromexpr.errors import InputFormatError

COLUMNS = ["gene_id", "symbol", "chrom", "start", "end", "strand"]
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


def _open_text(path: str | os.PathLike[str]):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt")
    return open(path)


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    with _open_text(path) as handle:
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


def _table(path, rows: list[tuple], line_numbers: list[int]) -> pd.DataFrame:
    """The annotation table of ``rows`` (read from ``line_numbers`` of ``path``)."""
    if not rows:
        raise InputFormatError(path, "no genes found")
    table = pd.DataFrame(rows, columns=COLUMNS)
    duplicated = table["gene_id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        gene_id = table["gene_id"].iat[row]
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
        gene_id, chrom, start, end, strand, _biotype, symbol = fields[:7]
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
            )
        )
    return _table(path, rows, line_numbers)


_GTF_ATTRIBUTE = re.compile(r'(\S+)\s+"([^"]*)"')


def _strip_version(gene_id: str) -> str:
    return gene_id.split(".", 1)[0] if gene_id.startswith("ENS") else gene_id


def read_gtf(path: str | os.PathLike[str], feature: str = "gene") -> pd.DataFrame:
    """GTF (``gene_id "..."`` attributes) or GFF3 (``ID=...;Name=...``) gene records.

    Only rows whose third column is ``feature`` are read. Ensembl version suffixes are dropped so
    ids match the RPKM table.
    """
    rows, line_numbers = [], []
    for line_number, line in _lines(path):
        fields = line.split("\t")
        if len(fields) != 9:
            raise InputFormatError(
                path, f"expected 9 tab-separated fields, found {len(fields)}", line_number
            )
        if fields[2] != feature:
            continue
        attributes = fields[8]
        if "=" in attributes and '"' not in attributes:
            pairs = dict(
                item.split("=", 1) for item in attributes.strip(";").split(";") if "=" in item
            )
            gene_id = pairs.get("gene_id") or pairs.get("ID", "").removeprefix("gene:")
            symbol = pairs.get("gene_name") or pairs.get("Name", gene_id)
        else:
            pairs = dict(_GTF_ATTRIBUTE.findall(attributes))
            gene_id = pairs.get("gene_id", "")
            symbol = pairs.get("gene_name", gene_id)
        if not gene_id:
            raise InputFormatError(path, "record has no gene_id / ID attribute", line_number)
        start_value, end_value = _parse_coordinates(path, line_number, fields[3], fields[4])
        line_numbers.append(line_number)
        rows.append(
            (
                _strip_version(gene_id),
                symbol,
                ucsc_chrom(fields[0]),
                start_value,
                end_value,
                _parse_strand(path, line_number, fields[6]),
            )
        )
    return _table(path, rows, line_numbers)


def read_annotation(path: str | os.PathLike[str], annotation_format: str) -> pd.DataFrame:
    """Dispatch on the config's ``annotation_format``: ``gene_info``, ``gtf`` or ``gff3``."""
    if annotation_format == "gene_info":
        return read_gene_info(path)
    if annotation_format in ("gtf", "gff3"):
        return read_gtf(path)
    raise ValueError(f"unknown annotation format {annotation_format!r}")
