"""tagAlign to a sorted, indexed BAM: contig filter streamed into ``bedtools bedtobam``, ``pysam`` sort + index."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

import pysam

from chromexpr.atomic import atomic_path
from chromexpr.errors import InputFormatError, ToolError
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.tagalign import ReadFilterReport, filter_known_contigs, read_tagalign_chunks
from chromexpr.tools import require_tool

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
    with tempfile.TemporaryDirectory(prefix="chromexpr-", dir=bam.parent) as folder:
        workdir = Path(folder)
        unsorted = workdir / "unsorted.bam"
        # The filtered reads stream into bedtobam while the next chunk is parsed (two cores
        # busy, no BED written in between); -ubam: the unsorted BAM is read once, by the sort.
        messages = workdir / "bedtobam.stderr"
        with open(unsorted, "wb") as out, open(messages, "wb") as err:
            bedtobam = subprocess.Popen(
                ["bedtools", "bedtobam", "-ubam", "-i", "stdin", "-g", str(chrom_sizes_path)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,  # a file, not a pipe: a full pipe would stall bedtobam
            )
            try:
                _stream_bed6(tagalign, chrom_sizes, report, bedtobam.stdin)
            finally:
                with contextlib.suppress(BrokenPipeError):
                    bedtobam.stdin.close()
                bedtobam.wait()
        if report.reads_total == 0:
            raise InputFormatError(tagalign, "no reads (empty tagAlign)")
        if report.reads_kept == 0:
            raise InputFormatError(
                tagalign, f"no read left after the contig filter: {report.summary()}"
            )
        if bedtobam.returncode:
            raise ToolError(
                f"bedtools bedtobam failed on {tagalign} (exit {bedtobam.returncode}): "
                f"{messages.read_text().strip()}"
            )
        logger.info(report.summary())
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
                str(unsorted),
            )
            pysam.index(str(tmp_bam), str(index))
        os.replace(index, str(bam) + ".bai")
    logger.info(f"wrote {bam} ({report.reads_kept} reads)")
    return report


def _stream_bed6(
    tagalign: str | os.PathLike[str],
    chrom_sizes: dict[str, int],
    report: ReadFilterReport,
    sink: BinaryIO,
) -> None:
    """Write the reads that pass the contig filter to ``sink`` as BED6 text.

    A thread writes each chunk while the next is parsed and formatted: writing blocks while
    bedtobam converts, and parsing would otherwise wait for it.
    """
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    broken = threading.Event()

    def write() -> None:
        while (data := chunks.get()) is not None:
            if broken.is_set():
                continue
            try:
                sink.write(data)
            except BrokenPipeError:  # bedtobam stopped; its stderr says why
                broken.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        for chunk in read_tagalign_chunks(tagalign):
            kept = filter_known_contigs(chunk, chrom_sizes, report)
            if broken.is_set():
                break
            # bedtobam wants BED6; every tagAlign read is named N with score 1000.
            chunks.put(
                kept.assign(name="N", score=1000)[
                    ["chrom", "start", "end", "name", "score", "strand"]
                ]
                .to_csv(sep="\t", header=False, index=False)
                .encode()
            )
            logger.info(f"{tagalign}: {report.reads_total} reads parsed")
    finally:
        chunks.put(None)
        writer.join()


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
