"""The fast engine counts exactly what ``bedtools multicov`` counts.

Property tests draw reads and bins that stress the edges (reads ending or starting exactly on a bin
edge, straddling reads, chromosome starts and ends, stacked duplicates, overlapping and unsorted
bins, bins clipped at a chromosome end) and compare with the real binary; the tests marked
``bedtools`` are skipped where it is missing. The other tests check hand-computed counts.
"""

import gzip
import logging
import re
import subprocess

import numpy as np
import pandas as pd
import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chromexpr.bam import tagalign_to_bam
from chromexpr.counting.fast import bam_bin_counts, overlap_counts, tagalign_bin_counts
from chromexpr.errors import InputFormatError
from chromexpr.genome.bins import BinLayout, bin_layout, scatter_bin_counts, write_bins_bed

SIZES = {"chr1": 1_200, "chr2": 900, "chr3": 400}
EDGE_STEP = 50  # bins and many reads sit on multiples of this, so edges coincide often
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def layout_of(bins: list[tuple[str, int, int]]) -> BinLayout:
    """A layout with one gene per bin, in the given (unsorted) order."""
    n = len(bins)
    return BinLayout.of_bins(
        chrom=np.array([chrom for chrom, _, _ in bins], dtype=str),
        start=np.array([start for _, start, _ in bins], dtype=np.int64),
        end=np.array([end for _, _, end in bins], dtype=np.int64),
        row=np.arange(n, dtype=np.int64),
        bin_index=np.zeros(n, dtype=np.int64),
        gene_ids=np.array([f"G{i}" for i in range(n)], dtype=str),
        n_bins=1,
    )


def write_bam(path, reads) -> None:
    """Sorted, indexed BAM of ``(chrom, start, cigar or None, flag, mapq)`` reads."""
    header = {
        "HD": {"VN": "1.6", "SO": "unsorted"},
        "SQ": [{"SN": chrom, "LN": length} for chrom, length in SIZES.items()],
    }
    unsorted = f"{path}.unsorted.bam"
    with pysam.AlignmentFile(unsorted, "wb", header=header) as out:
        for number, (chrom, start, cigar, flag, mapq) in enumerate(reads):
            read = pysam.AlignedSegment(out.header)
            read.query_name = f"r{number}"
            read.flag = flag
            read.reference_name = chrom
            read.reference_start = start
            read.mapping_quality = mapq
            if cigar is not None:
                read.cigarstring = cigar
            read.query_sequence = "A" * (read.infer_query_length() if cigar else 36)
            out.write(read)
    pysam.sort("-o", str(path), unsorted)
    pysam.index(str(path))


def multicov(bam, layout: BinLayout, tmp_path, *options: str) -> np.ndarray:
    """The real ``bedtools multicov`` over the layout's BED: [bed_lines]."""
    bed = tmp_path / "bins.bed"
    write_bins_bed(layout, bed)
    out = subprocess.run(
        ["bedtools", "multicov", *options, "-bams", str(bam), "-bed", str(bed)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return np.array([int(line.rsplit("\t", 1)[1]) for line in out.splitlines()], dtype=np.int64)


def write_tagalign(path, reads) -> None:
    with gzip.open(path, "wt") as handle:
        for chrom, start, end, strand in reads:
            handle.write(f"{chrom}\t{start}\t{end}\tN\t1000\t{strand}\n")


def write_chrom_sizes(path) -> None:
    path.write_text("".join(f"{chrom}\t{length}\n" for chrom, length in SIZES.items()))


@st.composite
def positions(draw, length: int) -> int:
    """A position in ``[0, length)``: often a bin edge or a chromosome end."""
    return draw(
        st.one_of(
            st.integers(0, (length - 1) // EDGE_STEP).map(lambda k: k * EDGE_STEP),
            st.sampled_from([0, length - 1]),
            st.integers(0, length - 1),
        )
    )


@st.composite
def bins(draw, chroms=tuple(SIZES)) -> tuple[str, int, int]:
    """A bin, clipped at the chromosome end like the layout's bins."""
    chrom = draw(st.sampled_from(chroms))
    length = SIZES.get(chrom, 1_000)
    start = draw(positions(length))
    size = draw(st.one_of(st.just(2 * EDGE_STEP), st.integers(1, 400)))
    return chrom, start, min(start + size, length)


@st.composite
def aligned_reads(draw) -> tuple[str, int, str | None, int, int]:
    """A BAM record: chrom, start, CIGAR (None for none), flag, MAPQ."""
    chrom = draw(st.sampled_from(list(SIZES)))
    match = draw(st.one_of(st.just(36), st.integers(1, 80)))
    cigar = draw(
        st.sampled_from(
            [f"{match}M", f"5S{match}M", f"{match}M30N10M", f"{match}M7D4M", f"{match}M3I2M", None]
        )
    )
    flag = draw(st.sampled_from([0, 16, 0x400, 0x200, 0x100, 0x800, 0x4, 0x410, 0x600]))
    if flag & 0x4:
        cigar = None
    reference_length = 1 if cigar is None else reference_length_of(cigar)
    start = min(draw(positions(SIZES[chrom])), SIZES[chrom] - reference_length)
    mapq = draw(st.sampled_from([0, 5, 30, 255]))
    return chrom, start, cigar, flag, mapq


def reference_length_of(cigar: str) -> int:
    return sum(int(n) for n, op in re.findall(r"(\d+)([MIDNSHP=X])", cigar) if op in "MDN=X")


@st.composite
def tagalign_reads(draw) -> tuple[str, int, int, str]:
    """A tagAlign line; some on a contig absent from the chrom sizes or past a chromosome end."""
    chrom = draw(st.sampled_from([*SIZES, "chrEBV"]))
    length = draw(st.one_of(st.just(36), st.integers(1, 80)))
    start = draw(positions(SIZES.get(chrom, 1_000)))
    return chrom, start, start + length, draw(st.sampled_from("+-"))


def with_duplicates(draw, records):
    """Records plus exact copies of some of them (reads stacked on one position)."""
    copies = draw(st.lists(st.sampled_from(records), max_size=5)) if records else []
    return records + copies


@pytest.mark.bedtools
@PROPERTY_SETTINGS
@given(
    data=st.data(),
    bin_list=st.lists(bins((*SIZES, "chrX")), min_size=5, max_size=40),
    min_mapq=st.sampled_from([0, 1, 30]),
    include_duplicates=st.booleans(),
    include_qcfail=st.booleans(),
)
def test_bam_counts_equal_bedtools_multicov(
    tmp_path, data, bin_list, min_mapq, include_duplicates, include_qcfail
):
    reads = with_duplicates(
        data.draw, data.draw(st.lists(aligned_reads(), min_size=10, max_size=80))
    )
    bam = tmp_path / "reads.bam"
    write_bam(bam, reads)
    layout = layout_of(bin_list)
    options = ["-q", str(min_mapq)]
    options += ["-D"] if include_duplicates else []
    options += ["-F"] if include_qcfail else []
    counts = bam_bin_counts(bam, layout, min_mapq, include_duplicates, include_qcfail)
    np.testing.assert_array_equal(counts, multicov(bam, layout, tmp_path, *options))


@pytest.mark.bedtools
@PROPERTY_SETTINGS
@given(data=st.data(), bin_list=st.lists(bins((*SIZES, "chrX")), min_size=5, max_size=40))
def test_tagalign_counts_equal_multicov_on_the_bam_built_from_it(tmp_path, data, bin_list):
    drawn = with_duplicates(
        data.draw, data.draw(st.lists(tagalign_reads(), min_size=10, max_size=80))
    )
    reads = [("chr2", 0, 36, "+"), *drawn]  # bedtobam fails when the filter leaves no read
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, reads)
    sizes = tmp_path / "chrom.sizes"
    write_chrom_sizes(sizes)
    bam_report = tagalign_to_bam(tagalign, sizes, tmp_path / "reads.bam")
    layout = layout_of(bin_list)
    counts, report = tagalign_bin_counts(tagalign, layout, SIZES)
    np.testing.assert_array_equal(counts, multicov(tmp_path / "reads.bam", layout, tmp_path))
    assert report.to_dict() == bam_report.to_dict()


@pytest.mark.bedtools
def test_secondary_supplementary_and_placed_unmapped_reads_count_as_in_multicov(tmp_path):
    reads = [
        ("chr1", 100, "36M", 0x100, 60),  # secondary: counted
        ("chr1", 200, "36M", 0x800, 60),  # supplementary: counted
        ("chr1", 300, None, 0x4, 0),  # unmapped with a position: counted, over 1 bp
        ("chr1", 400, None, 0, 60),  # mapped without CIGAR: counted, over 1 bp
        ("chr1", 500, "10M100N10M", 0, 60),  # spliced: the whole span [500, 620) counts
    ]
    bam = tmp_path / "reads.bam"
    write_bam(bam, reads)
    layout = layout_of(
        [
            ("chr1", 100, 101),
            ("chr1", 235, 236),
            ("chr1", 300, 301),
            ("chr1", 301, 302),
            ("chr1", 400, 401),
            ("chr1", 401, 402),
            ("chr1", 550, 560),  # inside the intron
        ]
    )
    expected = [1, 1, 1, 0, 1, 0, 1]
    np.testing.assert_array_equal(multicov(bam, layout, tmp_path), expected)
    np.testing.assert_array_equal(bam_bin_counts(bam, layout), expected)
    # The unmapped read has MAPQ 0, so any MAPQ threshold drops it, as in multicov -q 1.
    np.testing.assert_array_equal(bam_bin_counts(bam, layout, min_mapq=1), [1, 1, 0, 0, 1, 0, 1])


def test_a_read_counts_in_every_bin_it_overlaps_by_at_least_one_base():
    read_starts = np.array([90, 100, 64, 199])
    read_ends = np.array([126, 136, 100, 200])
    # bins [0,100) [100,200) [200,300) and [95,105) overlapping two of them
    counts = overlap_counts(
        read_starts, read_ends, np.array([200, 100, 0, 95]), np.array([300, 200, 100, 105])
    )
    # [90,126) straddles 100; [100,136) starts on the edge; [64,100) ends on it (half-open);
    # [199,200) is the last base of [100,200) and does not reach 200.
    np.testing.assert_array_equal(counts, [0, 3, 2, 3])


def test_stacked_reads_count_once_each():
    starts = np.array([10, 10, 10])
    counts = overlap_counts(starts, starts + 36, np.array([0, 46]), np.array([11, 100]))
    np.testing.assert_array_equal(counts, [3, 0])


def test_no_reads_give_zero_counts():
    empty = np.array([], dtype=np.int64)
    np.testing.assert_array_equal(overlap_counts(empty, empty, np.array([0]), np.array([5])), [0])


def test_duplicate_qcfail_and_low_mapq_reads_are_dropped_unless_asked_for(tmp_path):
    bam = tmp_path / "reads.bam"
    write_bam(
        bam,
        [
            ("chr1", 100, "36M", 0, 60),
            ("chr1", 110, "36M", 0x400, 60),
            ("chr1", 120, "36M", 0x200, 60),
            ("chr1", 130, "36M", 0, 10),
        ],
    )
    layout = layout_of([("chr1", 100, 200), ("chr2", 0, 100), ("chrX", 0, 100)])
    assert bam_bin_counts(bam, layout).tolist() == [2, 0, 0]
    assert bam_bin_counts(bam, layout, min_mapq=30).tolist() == [1, 0, 0]
    assert bam_bin_counts(bam, layout, include_duplicates=True).tolist() == [3, 0, 0]
    assert bam_bin_counts(bam, layout, include_duplicates=True, include_qcfail=True).tolist() == [
        4,
        0,
        0,
    ]


def test_bins_on_a_chromosome_missing_from_the_bam_count_zero_and_are_logged(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="chromexpr")
    bam = tmp_path / "reads.bam"
    write_bam(bam, [("chr1", 0, "36M", 0, 60)])
    counts = bam_bin_counts(bam, layout_of([("chrX", 0, 100), ("chr1", 0, 1)]))
    assert counts.tolist() == [0, 1]
    assert any("chrX" in line for line in caplog.messages)


def test_a_bam_without_index_is_an_input_format_error(tmp_path):
    bam = tmp_path / "reads.bam"
    write_bam(bam, [("chr1", 0, "36M", 0, 60)])
    (tmp_path / "reads.bam.bai").unlink()
    with pytest.raises(InputFormatError, match="reads.bam: no index"):
        bam_bin_counts(bam, layout_of([("chr1", 0, 100)]))


def test_a_file_that_is_not_a_bam_is_an_input_format_error(tmp_path):
    not_bam = tmp_path / "reads.bam"
    not_bam.write_text("chr1\t0\t36\n")
    with pytest.raises(InputFormatError, match="reads.bam"):
        bam_bin_counts(not_bam, layout_of([("chr1", 0, 100)]))


def test_tagalign_reads_off_the_chrom_sizes_are_dropped_and_reported(tmp_path):
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(
        tagalign,
        [
            ("chr1", 990, 1026, "+"),  # straddles 1000
            ("chr1", 1000, 1036, "-"),
            ("chrEBV", 1000, 1036, "+"),  # unknown contig: dropped, not moved onto chr1
            ("chr3", 390, 426, "+"),  # runs past the end of chr3 (400): dropped
            ("chr3", 364, 400, "+"),  # ends exactly at the end of chr3: kept
        ],
    )
    layout = layout_of([("chr1", 900, 1000), ("chr1", 1000, 1100), ("chr3", 300, 400)])
    counts, report = tagalign_bin_counts(tagalign, layout, SIZES)
    assert counts.tolist() == [1, 2, 1]
    assert report.dropped_unknown_contig == {"chrEBV": 1}
    assert report.dropped_beyond_end == 1
    assert (report.reads_total, report.reads_kept) == (5, 3)


def test_an_empty_tagalign_is_an_input_format_error(tmp_path):
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, [])
    with pytest.raises(InputFormatError, match="no reads"):
        tagalign_bin_counts(tagalign, layout_of([("chr1", 0, 100)]), SIZES)


def test_a_tagalign_with_no_read_on_a_known_contig_is_an_error_not_zero_counts(tmp_path):
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, [("scaffold_1", 0, 36, "+"), ("scaffold_2", 100, 136, "-")])
    with pytest.raises(
        InputFormatError,
        match=r"reads.tagAlign.gz: shares no contig with sizes.txt: this file has "
        r"\['scaffold_1', 'scaffold_2'\], sizes.txt has \['chr1'",
    ):
        tagalign_bin_counts(
            tagalign, layout_of([("chr1", 0, 100)]), SIZES, chrom_sizes_source="sizes.txt"
        )


def test_ensembl_contig_names_in_a_tagalign_count_on_the_ucsc_chromosomes(tmp_path):
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, [("1", 0, 36, "+"), ("1", 50, 86, "-"), ("2", 100, 136, "-")])
    counts, report = tagalign_bin_counts(
        tagalign, layout_of([("chr1", 0, 100), ("chr2", 0, 200)]), SIZES
    )
    assert counts.tolist() == [2, 1]
    assert report.reads_kept == 3


def test_reads_sharing_no_contig_with_the_genes_are_an_error_naming_the_annotation(tmp_path):
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, [("chr2", 0, 36, "+")])
    with pytest.raises(
        InputFormatError, match=r"shares no contig with genes.gtf: this file has \['chr2'\]"
    ):
        tagalign_bin_counts(
            tagalign, layout_of([("chr1", 0, 100)]), SIZES, genes_source="genes.gtf"
        )


def test_an_uncompressed_bed3_file_counts_like_its_tagalign(tmp_path):
    reads = [("chr1", 0, 36, "+"), ("chr1", 50, 86, "-"), ("chr2", 100, 136, "-")]
    write_tagalign(tmp_path / "reads.tagAlign.gz", reads)
    (tmp_path / "reads.bed").write_text(
        "".join(
            f"{chrom}\t{start}\t{end}\tread{i}\n" for i, (chrom, start, end, _) in enumerate(reads)
        )
    )
    layout = layout_of([("chr1", 0, 100), ("chr2", 0, 200)])
    from_tagalign, _ = tagalign_bin_counts(tmp_path / "reads.tagAlign.gz", layout, SIZES)
    from_bed, _ = tagalign_bin_counts(tmp_path / "reads.bed", layout, SIZES, stranded=False)
    assert from_bed.tolist() == from_tagalign.tolist() == [2, 1]


def test_a_bam_with_ensembl_names_counts_on_the_ucsc_chromosomes(tmp_path):
    bam = tmp_path / "reads.bam"
    write_bam(bam, [("chr1", 10, "36M", 0, 60), ("chr1", 150, "36M", 0, 60)])
    renamed = tmp_path / "ensembl.bam"
    with pysam.AlignmentFile(str(bam)) as source:
        header = source.header.to_dict()
        for line in header["SQ"]:
            line["SN"] = line["SN"].removeprefix("chr")
        with pysam.AlignmentFile(str(renamed), "wb", header=header) as target:
            for read in source:  # written by reference number: same order, other names
                target.write(read)
    pysam.index(str(renamed))
    layout = layout_of([("chr1", 0, 100), ("chr1", 100, 200)])
    assert (
        bam_bin_counts(renamed, layout).tolist() == bam_bin_counts(bam, layout).tolist() == [1, 1]
    )


def test_a_bam_whose_header_matches_no_genome_contig_is_an_error_naming_both(tmp_path):
    bam = tmp_path / "reads.bam"
    write_bam(bam, [("chr1", 10, "36M", 0, 60)])
    sizes = tmp_path / "mm10.chrom.sizes"
    sizes.write_text("chrA\t1000\nchrB\t2000\n")
    with pytest.raises(
        InputFormatError,
        match=r"reads.bam: shares no contig with the genome's chrom sizes .*mm10.chrom.sizes "
        r"\(no header @SQ line matches\): this file has \['chr1'",
    ):
        bam_bin_counts(bam, layout_of([("chr1", 0, 100)]), chrom_sizes_path=sizes)


def test_a_truncated_bam_is_an_input_format_error(tmp_path):
    bam = tmp_path / "reads.bam"
    write_bam(bam, [("chr1", start, "36M", 0, 60) for start in range(0, 1_100, 2)])
    data = bam.read_bytes()
    bam.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError, match="reads.bam"):
        bam_bin_counts(bam, layout_of([("chr1", 0, 1_200)]))


@pytest.mark.bedtools
def test_windows_running_off_a_chromosome_count_the_same_in_every_engine(tmp_path):
    # chr3 is 400 bp: one gene's window runs off its end, another's off its start.
    genes = pd.DataFrame(
        {
            "gene_id": ["G_END", "G_START"],
            "symbol": ["a", "b"],
            "chrom": ["chr3", "chr3"],
            "tss": [380, 30],
            "strand": ["+", "-"],
        }
    )
    layout = bin_layout(genes, SIZES, window=200, bin_size=50)
    reads = [("chr3", start, start + 36, "+") for start in range(0, 364, 7)]
    reads += [("chr3", 364, 400, "-"), ("chr3", 380, 416, "+")]  # the last runs past the end
    tagalign = tmp_path / "reads.tagAlign.gz"
    write_tagalign(tagalign, [("chr1", 0, 36, "+"), *reads])
    sizes = tmp_path / "chrom.sizes"
    write_chrom_sizes(sizes)
    tagalign_to_bam(tagalign, sizes, tmp_path / "reads.bam")
    by_engine = {
        "tagalign": tagalign_bin_counts(tagalign, layout, SIZES)[0],
        "bam": bam_bin_counts(tmp_path / "reads.bam", layout),
        "multicov": multicov(tmp_path / "reads.bam", layout, tmp_path),
    }
    matrices = {name: scatter_bin_counts(layout, counts) for name, counts in by_engine.items()}
    np.testing.assert_array_equal(matrices["tagalign"], matrices["multicov"])
    np.testing.assert_array_equal(matrices["bam"], matrices["multicov"])
    counts = matrices["tagalign"]  # [genes, bins]: bins start at TSS - 200, 50 bp each
    assert counts[0, 5:].tolist() == [0, 0, 0]  # [430, 580) lies past the end of chr3
    assert counts[0, 4] == 3  # [380, 400), clipped: reads from 350, 357 and [364, 400)
    assert counts[1, :3].tolist() == [0, 0, 0]  # [-170, -20) lies before the start
    assert counts[1, 3] == 5  # [0, 30), clipped: reads from 0, 7, 14, 21 and 28
