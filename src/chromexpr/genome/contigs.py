"""Contig names across files: ``chr1`` vs ``1``, ``chrM`` vs ``MT``.

UCSC names chromosomes ``chr1 .. chrX, chrY, chrM``; Ensembl and NCBI-style files ``1 .. X, Y,
MT``. A file's names are matched to a reference's (the chrom sizes, the bins) exactly where
they can be, else through the other convention, and only where that makes one name of each
side correspond to one of the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from chromexpr.errors import InputFormatError, preview

MITOCHONDRION = {"chrM": "MT", "MT": "chrM", "chrMT": "MT"}


def _other_convention(name: str) -> str:
    if name in MITOCHONDRION:
        return MITOCHONDRION[name]
    return name[3:] if name.startswith("chr") else f"chr{name}"


def contig_mapping(names: Iterable[str], reference: Iterable[str]) -> dict[str, str]:
    """Each of ``names`` that has a counterpart in ``reference``, mapped to it.

    A name found in ``reference`` as it is maps to itself; otherwise to its name in the other
    convention, if ``reference`` has that and no other of ``names`` claims it as it is.
    """
    names = list(dict.fromkeys(names))
    reference = set(reference)
    mapping = {name: name for name in names if name in reference}
    claimed = set(mapping.values())
    for name in names:
        if name in mapping:
            continue
        other = _other_convention(name)
        if other in reference and other not in claimed:
            mapping[name] = other
            claimed.add(other)
    return mapping


def require_shared_contigs(
    mapping: Mapping[str, str],
    names: Iterable[str],
    reference: Iterable[str],
    path: str | os.PathLike[str],
    reference_source: str,
) -> None:
    """Raise InputFormatError naming ``path`` and ``reference_source``, with examples of both
    sides' names, where ``mapping`` matched no contig."""
    if mapping:
        return
    raise InputFormatError(
        path,
        f"shares no contig with {reference_source}: this file has {preview(list(names))}, "
        f"{reference_source} has {preview(list(reference))} (another assembly, or a naming "
        "that cannot be matched)",
    )
