"""Counting a user's own BAMs (unsorted, unindexed, paired-end) against real samtools/bedtools."""

import logging
import subprocess

import numpy as np
import pysam
import pytest

from chromexpr.counting import count_bins
from chromexpr.errors import InputFormatError
from tests.test_counting_bedtools import SIZES, write_fixture

pytestmark = pytest.mark.bedtools

READ_LENGTH = 50
FILTERS = {"min_mapq": 10, "include_duplicates": False, "include_qcfail": False}


def paired_reads(seed: int = 3) -> list[dict]:
    """Pairs in random order (so the BAM is unsorted), some not proper, duplicated or of low
    MAPQ (both mates alike), and a few single-end reads."""
    rng = np.random.default_rng(seed)
    records = []
    for number in range(300):
        chrom = ["chr1", "chr2"][rng.integers(2)]
        length = int(rng.integers(120, 400))
        left = int(rng.integers(0, SIZES[chrom] - length))
        right = left + length - READ_LENGTH
        proper = 0x2 if rng.random() > 0.1 else 0
        shared = (0x400 if rng.random() < 0.1 else 0) | (0x200 if rng.random() < 0.05 else 0)
        mapq = 5 if rng.random() < 0.1 else 60
        first_is_left = rng.random() < 0.5  # the first mate is the reverse one half the time
        mates = [(left, 0x20, length), (right, 0x10, -length)]
        if not first_is_left:
            mates = mates[::-1]
        for order, (start, strand_flags, tlen) in zip((0x40, 0x80), mates, strict=True):
            mate_start = right if start == left else left
            records.append(
                dict(
                    name=f"p{number}",
                    flag=0x1 | proper | order | strand_flags | shared,
                    chrom=chrom,
                    start=start,
                    mate_start=mate_start,
                    tlen=tlen,
                    mapq=mapq,
                )
            )
    for number in range(20):
        start = int(rng.integers(0, SIZES["chr1"] - READ_LENGTH))
        records.append(
            dict(
                name=f"s{number}", flag=0, chrom="chr1", start=start, mate_start=-1, tlen=0, mapq=60
            )
        )
    order = rng.permutation(len(records))
    return [records[i] for i in order]


def write_unsorted_bam(path, records) -> None:
    header = {
        "HD": {"VN": "1.6", "SO": "unsorted"},
        "SQ": [{"SN": chrom, "LN": length} for chrom, length in SIZES.items()],
    }
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for record in records:
            read = pysam.AlignedSegment(out.header)
            read.query_name = record["name"]
            read.flag = record["flag"]
            read.reference_name = record["chrom"]
            read.reference_start = record["start"]
            read.mapping_quality = record["mapq"]
            read.cigarstring = f"{READ_LENGTH}M"
            read.query_sequence = "A" * READ_LENGTH
            if record["flag"] & 0x1:
                read.next_reference_name = record["chrom"]
                read.next_reference_start = record["mate_start"]
                read.template_length = record["tlen"]
            out.write(read)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def counted(tmp_path, bam, count, engine="fast"):
    return count_bins(
        [("bam", bam)],
        tmp_path / "genes.tsv",
        tmp_path / "chrom.sizes",
        {"window": 500, "bin_size": 100},
        {"engine": engine, "count": count, **FILTERS},
        tmp_path / "counts" / f"{count}-{engine}.npy",
        bins_bed=tmp_path / "bins.bed",
    )


def test_fragments_of_an_unsorted_paired_end_bam_equal_bedtools_over_samtools_pairs(tmp_path):
    _, _, _, layout = write_fixture(tmp_path)
    bam = tmp_path / "paired.bam"
    write_unsorted_bam(bam, paired_reads())
    matrix = counted(tmp_path, bam, "fragments")
    # The reference: proper pairs passing the filters, paired by name, spans counted by bedtools.
    kept = tmp_path / "kept.bam"
    run("samtools", "view", "-b", "-f", "2", "-F", "3852", "-q", "10", "-o", str(kept), str(bam))
    by_name = tmp_path / "by_name.bam"
    run("samtools", "sort", "-n", "-o", str(by_name), str(kept))
    pairs = run("bedtools", "bamtobed", "-bedpe", "-i", str(by_name))
    fragments = tmp_path / "fragments.bed"
    with open(fragments, "w") as handle:
        for line in pairs.splitlines():
            fields = line.split("\t")
            start = min(int(fields[1]), int(fields[4]))
            end = max(int(fields[2]), int(fields[5]))
            handle.write(f"{fields[0]}\t{start}\t{end}\n")
    assert len(pairs.splitlines()) > 150
    reference = run(
        "bedtools", "intersect", "-c", "-a", str(tmp_path / "bins.bed"), "-b", str(fragments)
    )
    reference_counts = np.array([int(line.split("\t")[-1]) for line in reference.splitlines()])
    np.testing.assert_array_equal(matrix[layout.row, layout.bin_index], reference_counts)
    assert matrix.sum() > 0


def test_reads_of_an_unsorted_bam_equal_bedtools_multicov_on_its_sorted_copy(tmp_path):
    write_fixture(tmp_path)
    bam = tmp_path / "paired.bam"
    write_unsorted_bam(bam, paired_reads())
    fast = counted(tmp_path, bam, "reads")
    multicov = counted(tmp_path, bam, "reads", engine="multicov")
    sorted_bam = tmp_path / "sorted.bam"
    run("samtools", "sort", "-o", str(sorted_bam), str(bam))
    run("samtools", "index", str(sorted_bam))
    direct = run(
        "bedtools",
        "multicov",
        "-q",
        "10",
        "-bams",
        str(sorted_bam),
        "-bed",
        str(tmp_path / "bins.bed"),
    )
    _, _, _, layout = write_fixture(tmp_path)
    direct_counts = np.array([int(line.split("\t")[-1]) for line in direct.splitlines()])
    np.testing.assert_array_equal(fast[layout.row, layout.bin_index], direct_counts)
    np.testing.assert_array_equal(multicov, fast)
    # Sorted and indexed in a scratch folder that is gone afterwards; the user's BAM untouched.
    assert not list((tmp_path / "counts").glob(".bam-*"))
    assert not (tmp_path / "paired.bam.bai").exists()


def test_replicates_of_a_sample_and_mark_are_summed(tmp_path):
    write_fixture(tmp_path)
    records = paired_reads()
    write_unsorted_bam(tmp_path / "one.bam", records[:300])
    write_unsorted_bam(tmp_path / "two.bam", records[300:])
    write_unsorted_bam(tmp_path / "all.bam", records)
    settings = ({"window": 500, "bin_size": 100}, {"engine": "fast", **FILTERS})
    both = count_bins(
        [("bam", tmp_path / "one.bam"), ("bam", tmp_path / "two.bam")],
        tmp_path / "genes.tsv",
        tmp_path / "chrom.sizes",
        *settings,
        tmp_path / "both.npy",
    )
    whole = count_bins(
        [("bam", tmp_path / "all.bam")],
        tmp_path / "genes.tsv",
        tmp_path / "chrom.sizes",
        *settings,
        tmp_path / "whole.npy",
    )
    np.testing.assert_array_equal(both, whole)
    assert both.dtype == np.int32 and both.sum() > 0


def test_fragments_of_a_single_end_bam_are_its_reads_and_the_log_names_it(tmp_path, caplog):
    write_fixture(tmp_path)
    bam = tmp_path / "single.bam"
    write_unsorted_bam(bam, [r for r in paired_reads() if not r["flag"] & 0x1] * 3)
    with caplog.at_level(logging.WARNING, logger="chromexpr.counting"):
        fragments = counted(tmp_path, bam, "fragments")
    assert f"{bam}: single-end reads" in caplog.text and "counted as reads" in caplog.text
    np.testing.assert_array_equal(fragments, counted(tmp_path, bam, "reads"))
    assert fragments.sum() > 0


def test_counts_that_are_zero_in_every_bin_stop_naming_the_sample_and_mark(tmp_path):
    write_fixture(tmp_path)
    bam = tmp_path / "far.bam"
    far = [dict(r, start=16_000, mate_start=16_100) for r in paired_reads() if r["chrom"] == "chr1"]
    write_unsorted_bam(bam, far)  # every read 15 kb past the genes' windows on chr1
    out = tmp_path / "counts" / "far.npy"
    with pytest.raises(
        InputFormatError, match=rf"{bam}: sample K562, mark H3K4me3: every bin of the 3 genes is 0"
    ):
        count_bins(
            [("bam", bam)],
            tmp_path / "genes.tsv",
            tmp_path / "chrom.sizes",
            {"window": 500, "bin_size": 100},
            {"engine": "fast", "count": "reads", **FILTERS},
            out,
            name="sample K562, mark H3K4me3",
        )
    assert not out.exists()


def test_an_unsorted_bam_sharing_no_contig_with_the_genome_is_named_not_its_sorted_copy(tmp_path):
    write_fixture(tmp_path)
    bam = tmp_path / "scaffolds.bam"
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": "scaffold_7", "LN": 50_000}]}
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for start in (900, 100, 500):  # out of order: counted from a sorted copy
            read = pysam.AlignedSegment(out.header)
            read.query_name, read.flag, read.reference_name = f"r{start}", 0, "scaffold_7"
            read.reference_start, read.mapping_quality = start, 60
            read.cigarstring, read.query_sequence = f"{READ_LENGTH}M", "A" * READ_LENGTH
            out.write(read)
    with pytest.raises(InputFormatError) as raised:
        counted(tmp_path, bam, "reads")
    message = str(raised.value)
    assert message.startswith(f"{bam} (sorted into "), message
    assert "shares no contig with the genome's chrom sizes" in message


def test_fragments_of_a_tagalign_beside_bams_are_its_reads_and_the_log_names_it(tmp_path, caplog):
    _, tagalign, _, _ = write_fixture(tmp_path)

    def tagalign_counts(count):
        return count_bins(
            [("tagalign", tagalign)],
            tmp_path / "genes.tsv",
            tmp_path / "chrom.sizes",
            {"window": 500, "bin_size": 100},
            {"engine": "fast", "count": count, **FILTERS},
            tmp_path / "counts" / f"tagalign-{count}.npy",
        )

    with caplog.at_level(logging.WARNING, logger="chromexpr.counting"):
        fragments = tagalign_counts("fragments")
    assert f"{tagalign}: a tagalign file holds reads, not pairs: counted as reads" in caplog.text
    np.testing.assert_array_equal(fragments, tagalign_counts("reads"))
