"""The reference engine: ``bedtools multicov`` through pybedtools.

Semantics: a read counts in every bin it overlaps by at least 1 bp (half-open bins, so a read
straddling two bins counts in both); duplicate (0x400) and QC-fail (0x200) reads are excluded
unless asked for; reads with MAPQ below ``min_mapq`` are excluded.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pybedtools

from chromexpr.errors import ToolError
from chromexpr.tools import pybedtools_workdir, require_tool

logger = logging.getLogger(__name__)


def multicov_counts(
    bam: str | os.PathLike[str],
    bins_bed: str | os.PathLike[str],
    min_mapq: int = 0,
    include_duplicates: bool = False,
    include_qcfail: bool = False,
) -> np.ndarray:
    """Reads per line of ``bins_bed`` [bed_lines] (int64), in the BED's order."""
    require_tool("bedtools")
    bam = Path(bam)
    if not Path(f"{bam}.bai").exists():
        raise ToolError(f"{bam}: no index {bam}.bai (bedtools multicov needs one)")
    options: dict[str, object] = {"q": min_mapq}
    if include_duplicates:
        options["D"] = True
    if include_qcfail:
        options["F"] = True
    with pybedtools_workdir():
        logger.info(f"bedtools multicov -bams {bam} -bed {bins_bed} {options}")
        try:
            result = pybedtools.BedTool(str(bins_bed)).multi_bam_coverage(
                bams=[str(bam)], **options
            )
            counts = np.loadtxt(result.fn, usecols=[-1], dtype=np.int64, ndmin=1, delimiter="\t")
        except pybedtools.helpers.BEDToolsError as error:
            raise ToolError(f"bedtools multicov failed on {bam}: {error}") from error
    return counts
