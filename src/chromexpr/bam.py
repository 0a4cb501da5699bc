"""tagAlign to a sorted, indexed BAM: contig filter, ``bedtools bedtobam``, ``pysam`` sort + index."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pybedtools
import pysam

from chromexpr.atomic import atomic_path
from chromexpr.errors import InputFormatError, ToolError
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.tagalign import ReadFilterReport, filter_known_contigs, read_tagalign_chunks
from chromexpr.tools import pybedtools_workdir, require_tool

logger = logging.getLogger(__name__)


def tagalign_to_bam(
    tagalign: str | os.PathLike[str],
    chrom_sizes_path: str | os.PathLike[str],
    bam: str | os.PathLike[str],
    threads: int = 1,
) -> ReadFilterReport:
    """Write ``bam`` (coordinate-sorted) and ``bam.bai``; return what the contig filter dropped.

    The BAM appears under its name only when complete, and its index only after it.
    """
    require_tool("bedtools")
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    report = ReadFilterReport()
    bam = Path(bam)
    bam.parent.mkdir(parents=True, exist_ok=True)
    with pybedtools_workdir(bam.parent) as workdir:
        filtered = workdir / "reads.bed"
        with open(filtered, "w") as handle:
            for chunk in read_tagalign_chunks(tagalign):
                kept = filter_known_contigs(chunk, chrom_sizes, report)
                # bedtobam wants BED6; every tagAlign read is named N with score 1000.
                kept.assign(name="N", score=1000)[
                    ["chrom", "start", "end", "name", "score", "strand"]
                ].to_csv(handle, sep="\t", header=False, index=False)
                logger.info(f"{tagalign}: {report.reads_total} reads parsed")
        if report.reads_total == 0:
            raise InputFormatError(tagalign, "no reads (empty tagAlign)")
        if report.reads_kept == 0:
            raise InputFormatError(
                tagalign, f"no read left after the contig filter: {report.summary()}"
            )
        logger.info(report.summary())
        try:
            unsorted = pybedtools.BedTool(str(filtered)).to_bam(g=str(chrom_sizes_path)).fn
        except pybedtools.helpers.BEDToolsError as error:
            raise ToolError(f"bedtools bedtobam failed on {tagalign}: {error}") from error
        index = workdir / "reads.bam.bai"
        with atomic_path(bam, suffix=".bam") as tmp_bam:
            sort_prefix = str(workdir / "sort")
            # --no-PG: the command line holds temporary paths, which would make every run's BAM
            # differ from the last; without it, the same reads give a byte-identical BAM.
            pysam.sort(
                "--no-PG",
                "-@",
                str(max(threads, 1)),
                "-T",
                sort_prefix,
                "-o",
                str(tmp_bam),
                unsorted,
            )
            pysam.index(str(tmp_bam), str(index))
        os.replace(index, str(bam) + ".bai")
    logger.info(f"wrote {bam} ({report.reads_kept} reads)")
    return report


def indexed_bam(bam: str | os.PathLike[str], workdir: str | os.PathLike[str]) -> Path:
    """``bam`` where it is coordinate-sorted with an index beside it; else a sorted (where it
    is not) and indexed copy (a link where it is sorted) under ``workdir``, the caller's
    temporary folder. Any aligned BAM is accepted, whatever its sort order."""
    bam, workdir = Path(bam), Path(workdir)
    try:
        with pysam.AlignmentFile(str(bam), "rb") as alignments:
            sort_order = alignments.header.to_dict().get("HD", {}).get("SO")
            if sort_order == "coordinate" and alignments.has_index():
                return bam
    except (OSError, ValueError) as error:
        raise InputFormatError(bam, f"cannot open as BAM: {error}") from error
    prepared = workdir / "reads.bam"
    if sort_order == "coordinate":
        prepared.symlink_to(bam.resolve())
        try:
            pysam.index(str(prepared))
            logger.info(f"{bam}: coordinate-sorted, indexed into {workdir}")
            return prepared
        except pysam.SamtoolsError:  # declared sorted, but it is not
            prepared.unlink()
    logger.info(f"{bam}: sort order {sort_order or 'not declared'}; sorting into {workdir}")
    try:
        pysam.sort("--no-PG", "-T", str(workdir / "sort"), "-o", str(prepared), str(bam))
        pysam.index(str(prepared))
    except pysam.SamtoolsError as error:
        raise InputFormatError(bam, f"cannot sort and index: {error}") from error
    return prepared
