"""The reference engine against the real ``bedtools multicov`` and a brute-force count."""

import gzip
import subprocess

import numpy as np
import pandas as pd
import pyBigWig
import pysam
import pytest

from chromexpr.bam import tagalign_to_bam
from chromexpr.counting import count_bins
from chromexpr.errors import InputFormatError
from chromexpr.genome.bins import bin_layout, write_bins_bed
from chromexpr.genome.tss import write_gene_table

pytestmark = pytest.mark.bedtools

SIZES = {"chr1": 20_000, "chr2": 15_000}


def write_fixture(tmp_path):
    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    reads = [
        ("chr1", 990, 1026, "+"),  # straddles the bin edge at 1000: counts in two bins
        ("chr1", 1000, 1036, "-"),  # starts exactly on an edge: one bin
        ("chr1", 964, 1000, "+"),  # ends exactly on an edge (half-open): one bin
        ("chr1", 5, 41, "+"),  # in a bin clipped at the chromosome start
        ("chr2", 14_970, 15_000, "-"),  # at the chromosome end
        ("chrEBV", 1000, 1036, "+"),  # unknown contig: bedtobam would move it to chr1
        ("chr1", 19_990, 20_026, "+"),  # runs past the end of chr1: dropped
    ]
    rng = np.random.default_rng(7)
    for _ in range(400):
        chrom = ["chr1", "chr2"][rng.integers(2)]
        start = int(rng.integers(0, SIZES[chrom] - 36))
        reads.append((chrom, start, start + 36, "+-"[rng.integers(2)]))
    tagalign = tmp_path / "E001-H3K4me3.tagAlign.gz"
    with gzip.open(tagalign, "wt") as handle:
        for chrom, start, end, strand in reads:
            handle.write(f"{chrom}\t{start}\t{end}\tN\t1000\t{strand}\n")
    genes = pd.DataFrame(
        {
            "gene_id": ["ENSG1", "ENSG2", "ENSG3"],
            "symbol": ["a", "b", "c"],
            "chrom": ["chr1", "chr1", "chr2"],
            "tss": [1000, 150, 14_950],
            "strand": ["+", "-", "+"],
        }
    )
    write_gene_table(genes, tmp_path / "genes.tsv")
    layout = bin_layout(genes, SIZES, window=500, bin_size=100)
    write_bins_bed(layout, tmp_path / "bins.bed")
    return sizes, tagalign, reads, layout


def brute_force(reads, layout):
    counts = np.zeros((layout.n_genes, layout.n_bins), dtype=np.int64)
    for chrom, start, end, _ in reads:
        if chrom not in SIZES or end > SIZES[chrom]:
            continue
        hit = (layout.chrom == chrom) & (layout.start < end) & (layout.end > start)
        counts[layout.row[hit], layout.bin_index[hit]] += 1
    return counts


def test_bam_is_sorted_indexed_and_has_no_reads_from_unknown_contigs(tmp_path):
    sizes, tagalign, reads, _ = write_fixture(tmp_path)
    report = tagalign_to_bam(tagalign, sizes, tmp_path / "x.bam")
    assert report.dropped_unknown_contig == {"chrEBV": 1}
    assert report.dropped_beyond_end == 1
    with pysam.AlignmentFile(tmp_path / "x.bam") as bam:
        assert bam.header.get("HD", {}).get("SO") == "coordinate"
        assert bam.count(until_eof=True) == len(reads) - 2
        assert bam.count("chr1", 1000, 1036) == 3  # the chrEBV read was not moved onto chr1
    assert (tmp_path / "x.bam.bai").exists()


def test_counts_equal_real_bedtools_multicov_and_a_brute_force_count(tmp_path):
    sizes, tagalign, reads, layout = write_fixture(tmp_path)
    tagalign_to_bam(tagalign, sizes, tmp_path / "x.bam")
    matrix = count_bins(
        [("bam", tmp_path / "x.bam")],
        tmp_path / "genes.tsv",
        sizes,
        {"window": 500, "bin_size": 100},
        {"engine": "multicov", "min_mapq": 0, "include_duplicates": False, "include_qcfail": False},
        tmp_path / "counts.npy",
        bins_bed=tmp_path / "bins.bed",
    )
    direct = subprocess.run(
        [
            "bedtools",
            "multicov",
            "-bams",
            str(tmp_path / "x.bam"),
            "-bed",
            str(tmp_path / "bins.bed"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    direct_counts = np.array([int(line.split("\t")[-1]) for line in direct.splitlines()])
    np.testing.assert_array_equal(matrix[layout.row, layout.bin_index], direct_counts)
    np.testing.assert_array_equal(matrix, brute_force(reads, layout))
    np.testing.assert_array_equal(np.load(tmp_path / "counts.npy"), matrix)
    # The read straddling the 1000 edge counts in bins [900, 1000) and [1000, 1100) of ENSG1.
    assert matrix[0, 4] >= 2 and matrix[0, 5] >= 2


def test_a_file_with_no_read_on_a_known_contig_is_a_clear_error(tmp_path):
    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("chr1\t1000\n")
    tagalign = tmp_path / "only-unknown.tagAlign.gz"
    with gzip.open(tagalign, "wt") as handle:
        handle.write("chrEBV\t10\t46\tN\t1000\t+\n")
    with pytest.raises(InputFormatError, match="no read left after the contig filter"):
        tagalign_to_bam(tagalign, sizes, tmp_path / "x.bam")
    assert not (tmp_path / "x.bam").exists()


def test_every_engine_counts_the_mirrored_windows_of_annotation_genes(tmp_path):
    # gene_set annotation with a GTF: plus-strand TSS 5,000 -> [4,500, 5,500); minus-strand TSS
    # 10,000 -> (9,500, 10,500]. One 1-bp read on each gene's furthest upstream base, its TSS
    # and its last downstream base, one just outside each window: both genes read
    # [1, 0, 0, 0, 0, 1, 0, 0, 0, 1] with the minus strand reversed, in every engine.
    from chromexpr.config.derived import bin_settings  # here: the other tests need none of it

    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    genes = pd.DataFrame(
        {
            "gene_id": ["ENSGP", "ENSGM"],
            "symbol": ["p", "m"],
            "chrom": ["chr1", "chr1"],
            "tss": [5_000, 10_000],
            "strand": ["+", "-"],
        }
    )
    write_gene_table(genes, tmp_path / "genes.tsv")
    config = {"gene_set": "annotation", "annotation_format": "gtf"}
    bins = bin_settings(
        {**config, "bins": {"window": 500, "bin_size": 100, "reverse_minus_strand": True}}
    )
    write_bins_bed(bin_layout(genes, SIZES, **bins), tmp_path / "bins.bed")  # as rule tss_bins
    bases = [4_499, 4_500, 5_000, 5_499, 9_500, 9_501, 10_000, 10_500, 10_501]
    tagalign = tmp_path / "reads.tagAlign.gz"
    with gzip.open(tagalign, "wt") as handle:
        handle.writelines(f"chr1\t{base}\t{base + 1}\tN\t1000\t+\n" for base in bases)
    tagalign_to_bam(tagalign, sizes, tmp_path / "reads.bam")
    signal = tmp_path / "signal.bw"
    handle = pyBigWig.open(str(signal), "w")
    handle.addHeader(list(SIZES.items()))
    handle.addEntries(["chr1"] * len(bases), bases, ends=[b + 1 for b in bases], values=[1.0] * 9)
    handle.close()
    counting = {"min_mapq": 0, "include_duplicates": False, "include_qcfail": False}
    by_engine = {
        engine: count_bins(
            [(source, path)],
            tmp_path / "genes.tsv",
            sizes,
            bins,
            {**counting, "engine": engine.split("-")[0]},
            tmp_path / f"{engine}.npy",
            bins_bed=tmp_path / "bins.bed",
        )
        for engine, source, path in [
            ("fast-tagalign", "tagalign", tagalign),
            ("fast-bam", "bam", tmp_path / "reads.bam"),
            ("multicov", "bam", tmp_path / "reads.bam"),
            ("fast-bigwig", "bigwig", signal),
        ]
    }
    expected = [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    for engine in ("fast-tagalign", "fast-bam", "multicov"):
        assert by_engine[engine].tolist() == [expected, expected], engine
    np.testing.assert_allclose(by_engine["fast-bigwig"], np.array([expected] * 2) / 100)
