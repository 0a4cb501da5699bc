"""The sample sheet: which file holds each (sample, mark), in which format.

One row per (sample, mark, replicate): ``sample, mark, replicate, path, format``. ``path`` is a
local path (relative to the working directory) or a URL (http, https, ``file:``) that the
workflow downloads. Rows that repeat a (sample, mark) with different ``replicate`` values are
replicates: their read counts are summed (bigWig signal is averaged). The REMC URL template is
one way to produce the same table (:func:`template_sample_table`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from urllib.parse import urlparse

import pandas as pd

from chromexpr.errors import InputFormatError

SHEET_COLUMNS = ["sample", "mark", "replicate", "path", "format"]
READ_FORMATS = ("tagalign", "bed", "bam")
SIGNAL_FORMATS = ("bigwig",)
FORMATS = READ_FORMATS + SIGNAL_FORMATS
# Letters, digits, _ - . and never '..': a sample name is a path component and a wildcard value.
SAFE_NAME = re.compile(r"(?!.*\.\.)[A-Za-z0-9_.-]+")
DEFAULT_REPLICATE = "1"


def is_url(location: str) -> bool:
    """Whether ``location`` is fetched (http, https, file: URL) rather than read in place."""
    return urlparse(location).scheme in ("http", "https", "file")


def feature_kind(file_format: str) -> str:
    """reads (counted per bin) or signal (averaged per bin)."""
    return "signal" if file_format in SIGNAL_FORMATS else "reads"


def read_sample_sheet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The sheet as a table of strings with every column of ``SHEET_COLUMNS`` (replicate "1"
    where the sheet has no replicate column or leaves it empty). Rows are not checked here:
    the workflow validates them against its schema, then :func:`check_sample_table`."""
    try:
        sheet = pd.read_csv(
            path, sep="\t", dtype=str, comment="#", keep_default_na=False, skip_blank_lines=True
        )
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputFormatError(path, f"cannot read the sample sheet: {error}") from error
    sheet.columns = [column.strip() for column in sheet.columns]
    missing = [c for c in SHEET_COLUMNS if c not in sheet.columns and c != "replicate"]
    if missing:
        raise InputFormatError(
            path, f"sample sheet lacks column(s) {missing}; it has {list(sheet.columns)}", 1
        )
    if "replicate" not in sheet.columns:
        sheet["replicate"] = DEFAULT_REPLICATE
    sheet = sheet.map(str.strip)
    sheet.loc[sheet["replicate"] == "", "replicate"] = DEFAULT_REPLICATE
    sheet["format"] = sheet["format"].str.lower()
    # The sheet's own line numbers (header is line 1), for messages.
    sheet.index = pd.RangeIndex(2, 2 + len(sheet))
    return sheet[SHEET_COLUMNS + [c for c in sheet.columns if c not in SHEET_COLUMNS]]


def check_sample_table(
    table: pd.DataFrame, marks: Sequence[str], source: str | os.PathLike[str]
) -> None:
    """What a row-by-row schema cannot see: names, formats, replicates, every sample's marks.
    Whether a mark is one kind of feature (reads or signal) is checked for the samples a run
    uses (chromexpr.config.rules.inputs.check_feature_kinds).

    ``table`` is indexed by the sheet's line numbers; ``source`` names the sheet in messages.
    """
    for line, row in table.iterrows():
        for column in ("sample", "replicate"):
            if not SAFE_NAME.fullmatch(row[column]):
                raise InputFormatError(
                    source,
                    f"{column} {row[column]!r} is not a safe name (letters, digits, _ - . and "
                    "no '..')",
                    line,
                )
        if row["format"] not in FORMATS:
            raise InputFormatError(
                source, f"unknown format {row['format']!r}; expected one of {list(FORMATS)}", line
            )
        if row["mark"] not in marks:
            raise InputFormatError(
                source,
                f"mark {row['mark']!r} is not among the configured marks {list(marks)}",
                line,
            )
    repeated = table.duplicated(["sample", "mark", "replicate"], keep=False)
    if repeated.any():
        lines = list(table.index[repeated])
        first = table.loc[lines[0]]
        raise InputFormatError(
            source,
            f"lines {lines} repeat sample {first['sample']}, mark {first['mark']}, replicate "
            f"{first['replicate']}: give replicates distinct values in the replicate column, or "
            "remove the duplicated row",
        )
    for sample, rows in table.groupby("sample", sort=False):
        absent = [mark for mark in marks if mark not in set(rows["mark"])]
        if absent:
            raise InputFormatError(
                source,
                f"sample {sample} has no row for mark(s) {absent} (every sample needs every mark)",
            )


def template_sample_table(
    cells: Sequence[str], marks: Sequence[str], reads_template: str, file_format: str
) -> pd.DataFrame:
    """The sample table that a URL template with ``{cell}`` and ``{mark}`` describes."""
    rows = [
        {
            "sample": cell,
            "mark": mark,
            "replicate": DEFAULT_REPLICATE,
            "path": reads_template.format(cell=cell, mark=mark),
            "format": file_format,
        }
        for cell in cells
        for mark in marks
    ]
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)
