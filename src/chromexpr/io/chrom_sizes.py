"""UCSC ``chrom.sizes``: ``chrom<TAB>length`` per line."""

from __future__ import annotations

import os

from chromexpr.errors import InputFormatError


def read_chrom_sizes(path: str | os.PathLike[str]) -> dict[str, int]:
    """Chromosome name to length, in file order."""
    sizes: dict[str, int] = {}
    with open(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise InputFormatError(path, "expected 'chrom<TAB>length'", line_number)
            try:
                length = int(fields[1])
            except ValueError:
                raise InputFormatError(
                    path, f"length {fields[1]!r} is not an integer", line_number
                ) from None
            if length <= 0:
                raise InputFormatError(path, f"length {length} is not positive", line_number)
            if fields[0] in sizes:
                raise InputFormatError(path, f"chromosome {fields[0]} listed twice", line_number)
            sizes[fields[0]] = length
    if not sizes:
        raise InputFormatError(path, "no chromosomes")
    return sizes
