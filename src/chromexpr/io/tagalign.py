"""Reads as BED: tagAlign (BED6 ``chrom, start (0-based), end, name, score, strand``) or any
BED3+ (``chrom, start, end`` and whatever columns follow), gzip-compressed or not.

REMC names every read ``N`` with score 1000. Reads are parsed in chunks with pandas' C parser;
a malformed line is reported with its file and line number.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path
from chromexpr.errors import InputFormatError
from chromexpr.io.sniff import is_gzip

COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]
DEFAULT_CHUNK_READS = 2_000_000


@dataclass
class ReadFilterReport:
    """What the contig filter kept and dropped, for the rule's log and the QC table."""

    reads_total: int = 0
    reads_kept: int = 0
    dropped_unknown_contig: Counter = field(default_factory=Counter)
    dropped_beyond_end: int = 0

    def to_dict(self) -> dict:
        return {
            "reads_total": self.reads_total,
            "reads_kept": self.reads_kept,
            "dropped_unknown_contig": dict(self.dropped_unknown_contig.most_common()),
            "dropped_beyond_end": self.dropped_beyond_end,
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    def summary(self) -> str:
        unknown = sum(self.dropped_unknown_contig.values())
        details = ", ".join(f"{c}: {n}" for c, n in self.dropped_unknown_contig.most_common())
        return (
            f"reads: {self.reads_total} total, {self.reads_kept} kept, {unknown} on contigs absent "
            f"from the chrom sizes ({details or 'none'}), {self.dropped_beyond_end} past a chromosome end"
        )


def _first_bad_line(path: str | os.PathLike[str], stranded: bool) -> tuple[int, str]:
    """Scan line by line for the first line that breaks the format (slow path, errors only)."""
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rt") as handle:
        for line_number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if stranded and len(fields) != 6:
                return line_number, f"expected 6 tab-separated fields, found {len(fields)}"
            if len(fields) < 3:
                return line_number, f"expected at least 3 tab-separated fields, found {len(fields)}"
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                return line_number, f"coordinates {fields[1]!r}, {fields[2]!r} are not integers"
            if start < 0:
                return line_number, f"negative start {start}"
            if end <= start:
                return line_number, f"end {end} is not after start {start}"
            if stranded and fields[5] not in ("+", "-"):
                return line_number, f"strand {fields[5]!r} is not + or -"
    return 0, "unreadable"


def read_tagalign_chunks(
    path: str | os.PathLike[str],
    chunk_reads: int = DEFAULT_CHUNK_READS,
    stranded: bool = True,
) -> Iterator[pd.DataFrame]:
    """Validated chunks with columns ``chrom, start, end, strand`` (``start``/``end`` int64).

    ``stranded``: a tagAlign (six fields, strand + or -); else BED3+, whose strand is read as +.
    """
    stranded_columns = {"usecols": [0, 1, 2, 5], "names": COLUMNS}
    bed_columns = {"usecols": [0, 1, 2], "names": COLUMNS[:3]}
    try:
        reader = pd.read_csv(
            path,
            sep="\t",
            header=None,
            **(stranded_columns if stranded else bed_columns),
            dtype={"chrom": str, "start": np.int64, "end": np.int64, "strand": str},
            compression="gzip" if is_gzip(path) else None,
            chunksize=chunk_reads,
            na_filter=False,
            engine="c",
        )
        for chunk in reader:
            if not stranded:
                chunk = chunk.assign(strand="+")
            bad = (
                (chunk["start"] < 0)
                | (chunk["end"] <= chunk["start"])
                | ~chunk["strand"].isin(["+", "-"])
            )
            if bad.any():
                raise ValueError("bad values")
            yield chunk
    except pd.errors.EmptyDataError:
        return  # an empty file has no reads; callers decide whether that is an error
    except ValueError as error:  # ParserError is a ValueError too
        line_number, message = _first_bad_line(path, stranded)
        if line_number:
            raise InputFormatError(path, message, line_number) from error
        raise InputFormatError(path, f"cannot parse tagAlign: {error}") from error
    except (EOFError, OSError, zlib.error) as error:
        raise InputFormatError(path, f"not a complete gzip file: {error}") from error


def filter_known_contigs(
    chunk: pd.DataFrame, chrom_sizes: Mapping[str, int], report: ReadFilterReport
) -> pd.DataFrame:
    """Keep reads on contigs in the chrom sizes that end within the chromosome.

    The kept reads gain a column ``contig``: the index of their chromosome in ``chrom_sizes``.

    ``bedtools bedtobam`` silently moves reads on unknown contigs onto the first chromosome, so
    they must go before it runs; the report records what went.
    """
    report.reads_total += len(chunk)
    # One hash lookup per read into an array of lengths: Series.map with a dict is 3x slower.
    contig = pd.Index(list(chrom_sizes)).get_indexer(chunk["chrom"])  # [reads], -1: unknown
    known = contig >= 0
    if not known.all():
        report.dropped_unknown_contig.update(chunk.loc[~known, "chrom"].value_counts().to_dict())
    lengths = np.fromiter(chrom_sizes.values(), dtype=np.int64, count=len(chrom_sizes))
    inside = known & (chunk["end"].to_numpy() <= lengths[contig])
    report.dropped_beyond_end += int((known & ~inside).sum())
    kept = chunk[inside].assign(contig=contig[inside])
    report.reads_kept += len(kept)
    return kept
