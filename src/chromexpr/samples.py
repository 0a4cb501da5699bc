"""The sample sheet: which file holds each (sample, mark), in which format.

One row per (sample, mark, replicate): ``sample, mark, replicate, path, format``. ``path`` is a
local path (relative to the working directory, not to the sheet) or a URL (http, https,
``file:``) that the workflow downloads. Rows that repeat a (sample, mark) with different ``replicate`` values are
replicates: their read counts are summed (bigWig signal is averaged). The REMC URL template is
one way to produce the same table (:func:`template_sample_table`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

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
    where the sheet has no replicate column or leaves it empty), indexed by each row's line in
    the file (comment and blank lines counted). A line whose first character (after spaces) is
    ``#`` is a comment; a ``#`` later in a line is data (a path may hold one). Rows are not
    checked here: the workflow validates them against its schema, then
    :func:`check_sample_table`."""
    try:
        with open(path, encoding="utf-8") as handle:
            numbered = [
                (number, line.rstrip("\r\n"))
                for number, line in enumerate(handle, 1)
                if line.strip() and not line.lstrip().startswith("#")
            ]
    except (OSError, UnicodeDecodeError) as error:
        raise InputFormatError(path, f"cannot read the sample sheet: {error}") from error
    if not numbered:
        raise InputFormatError(path, "the sample sheet is empty (no header line)")
    (header_line, header), *rows = numbered
    columns = [column.strip() for column in header.split("\t")]
    missing = [c for c in SHEET_COLUMNS if c not in columns and c != "replicate"]
    if missing:
        raise InputFormatError(
            path, f"sample sheet lacks column(s) {missing}; it has {columns}", header_line
        )
    records = []
    for number, line in rows:
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) > len(columns):
            raise InputFormatError(
                path,
                f"{len(fields)} tab-separated fields where the header (line {header_line}) has "
                f"{len(columns)}: {columns}",
                number,
            )
        records.append(fields + [""] * (len(columns) - len(fields)))
    sheet = pd.DataFrame(records, columns=columns, index=[number for number, _ in rows], dtype=str)
    if "replicate" not in sheet.columns:
        sheet["replicate"] = DEFAULT_REPLICATE
    sheet.loc[sheet["replicate"] == "", "replicate"] = DEFAULT_REPLICATE
    sheet["format"] = sheet["format"].str.lower()
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


def check_paths_beside_the_sheet(table: pd.DataFrame, source: str | os.PathLike[str]) -> None:
    """Sheet paths (and relative ``file:`` URLs) are relative to the working directory, not to
    the sheet. A row whose file is missing there but present beside the sheet is refused, naming
    the path to write; ``table`` is indexed by the sheet's line numbers."""
    for line, row in table.iterrows():
        location = row["path"]
        parsed = urlparse(location)
        if parsed.scheme == "file":
            local, prefix = unquote(parsed.netloc + parsed.path), "file:"
        elif is_url(location):
            continue
        else:
            local, prefix = location, ""
        if os.path.isabs(local) or os.path.exists(local):
            continue
        beside = Path(source).parent / local
        if beside.exists():
            raise InputFormatError(
                source,
                f"path {location!r} is not in the working directory {os.getcwd()}: sheet paths "
                "are relative to the working directory, not to the sheet; the file beside the "
                f"sheet is {prefix}{os.path.relpath(beside)}",
                line,
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
