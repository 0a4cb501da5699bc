import gzip

import pandas as pd
import pytest

from chromexpr.errors import InputFormatError
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.expression import read_expression_table
from chromexpr.io.gene_info import read_gene_info, read_gtf, ucsc_chrom
from chromexpr.io.published_genes import read_published_genes
from chromexpr.io.tagalign import ReadFilterReport, filter_known_contigs, read_tagalign_chunks


def write_gz(path, text):
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    return path


def test_gene_info_strands_and_chromosomes_become_ucsc_style(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text(
        "ENSG1\t1\t100\t200\t1\tprotein_coding\tA\tdesc\n"
        "ENSG2\tX\t300\t400\t-1\tprotein_coding\tB\tdesc\n"
        "ENSG3\tMT\t10\t20\t1\tprotein_coding\tC\tdesc\n"
    )
    table = read_gene_info(path)
    assert table["chrom"].tolist() == ["chr1", "chrX", "chrM"]
    assert table["strand"].tolist() == ["+", "-", "+"]
    assert table["start"].tolist() == [100, 300, 10]


def test_gene_info_reads_only_the_first_seven_fields_of_rows_with_extra_tabs(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text("ENSG1\t1\t100\t200\t-1\tprotein_coding\tA\tdesc\t\t\textra\t\n")
    assert read_gene_info(path)["symbol"].tolist() == ["A"]


def test_gene_info_short_row_names_file_and_line(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text("ENSG1\t1\t100\t200\t1\tprotein_coding\tA\tx\nENSG2\t1\t100\n")
    with pytest.raises(InputFormatError, match=r"gene_info:2: expected at least 7"):
        read_gene_info(path)


def test_gene_info_bad_strand_is_rejected(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text("ENSG1\t1\t100\t200\t0\tprotein_coding\tA\tx\n")
    with pytest.raises(InputFormatError, match="strand '0'"):
        read_gene_info(path)


def test_gene_info_duplicate_gene_id_is_rejected(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text("ENSG1\t1\t1\t2\t1\tpc\tA\tx\nENSG1\t2\t1\t2\t1\tpc\tB\tx\n")
    with pytest.raises(InputFormatError, match="ENSG1 appears more than once"):
        read_gene_info(path)


def test_gene_info_duplicate_gene_id_names_the_line_and_the_first(tmp_path):
    path = tmp_path / "gene_info"
    path.write_text(
        "ENSG1\t1\t1\t2\t1\tpc\tA\tx\nENSG2\t1\t5\t9\t1\tpc\tC\tx\nENSG1\t2\t1\t2\t1\tpc\tB\tx\n"
    )
    with pytest.raises(
        InputFormatError,
        match=r"gene_info:3: gene id ENSG1 appears more than once \(first on line 1",
    ):
        read_gene_info(path)


def test_gtf_gene_records_drop_ensembl_versions(tmp_path):
    path = tmp_path / "genes.gtf"
    path.write_text(
        '1\tensembl\tgene\t100\t200\t.\t-\t.\tgene_id "ENSG1.5"; gene_name "A";\n'
        '1\tensembl\texon\t100\t150\t.\t-\t.\tgene_id "ENSG1.5"; gene_name "A";\n'
    )
    table = read_gtf(path)
    assert table[["gene_id", "symbol", "chrom", "strand"]].values.tolist() == [
        ["ENSG1", "A", "chr1", "-"]
    ]


def test_gff3_gene_records_are_read(tmp_path):
    path = tmp_path / "genes.gff3"
    path.write_text("chr21\t.\tgene\t100\t200\t.\t+\t.\tID=gene:ENSG7;Name=B\n")
    assert read_gtf(path, "gff3")[["gene_id", "symbol"]].values.tolist() == [["ENSG7", "B"]]


def test_ucsc_chrom_maps_mt_to_chrm():
    assert ucsc_chrom("MT") == "chrM" and ucsc_chrom("chr5") == "chr5"


def test_expression_table_keeps_only_configured_cells(tmp_path):
    path = write_gz(tmp_path / "rpkm.gz", "gene_id\tE000\tE003\tE004\nG1\t1.000\t2.500\t0.000\n")
    table = read_expression_table(path, ["E004", "E003"])
    assert list(table.columns) == ["E004", "E003"]
    assert table.loc["G1", "E003"] == 2.5


def test_expression_table_is_read_gzip_or_not_whatever_its_name(tmp_path):
    text = "gene_id\tE003\nG1\t2.5\n"
    plain = tmp_path / "expression.gz"
    plain.write_text(text)
    gzipped = write_gz(tmp_path / "expression.tsv", text)
    for path in (plain, gzipped):
        assert read_expression_table(path, ["E003"]).loc["G1", "E003"] == 2.5


def test_expression_table_missing_cell_is_named(tmp_path):
    path = write_gz(tmp_path / "rpkm.gz", "gene_id\tE000\tE003\nG1\t1\t2\n")
    with pytest.raises(InputFormatError, match=r"\['E099'\]"):
        read_expression_table(path, ["E099"])


def test_expression_table_negative_value_names_gene_column_and_line(tmp_path):
    path = write_gz(tmp_path / "rpkm.gz", "gene_id\tE003\nG1\t1\nG2\t-3\n")
    with pytest.raises(InputFormatError, match=r"rpkm.gz:3: gene G2 column E003"):
        read_expression_table(path, ["E003"])


def test_expression_table_duplicate_gene_id_names_the_line(tmp_path):
    path = write_gz(tmp_path / "rpkm.gz", "gene_id\tE003\nG1\t1\nG2\t2\nG1\t3\n")
    with pytest.raises(InputFormatError, match=r"rpkm.gz:4: gene id G1 appears more than once"):
        read_expression_table(path, ["E003"])


@pytest.mark.parametrize("value", ["NaN", "", "NA", "n/a"])
def test_expression_table_missing_value_names_gene_column_and_line(tmp_path, value):
    path = write_gz(tmp_path / "rpkm.gz", f"gene_id\tE003\tE004\nG1\t1\t2\nG2\t3\t{value}\n")
    with pytest.raises(InputFormatError, match=r"rpkm.gz:3: gene G2 column E004"):
        read_expression_table(path, ["E003", "E004"])


def test_tagalign_reads_are_parsed(tmp_path):
    path = write_gz(
        tmp_path / "r.tagAlign.gz", "chr1\t10\t46\tN\t1000\t+\nchr2\t5\t41\tN\t1000\t-\n"
    )
    chunk = pd.concat(read_tagalign_chunks(path))
    assert chunk["start"].tolist() == [10, 5] and chunk["strand"].tolist() == ["+", "-"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr1\t10\t46\tN\t1000\n", "expected 6 tab-separated fields, found 5"),
        ("chr1\tten\t46\tN\t1000\t+\n", "coordinates .ten., .46. are not integers"),
        ("chr1\t50\t46\tN\t1000\t+\n", "end 46 is not after start 50"),
        ("chr1\t-5\t46\tN\t1000\t+\n", "negative start"),
    ],
)
def test_malformed_tagalign_line_names_file_and_line(tmp_path, line, message):
    path = write_gz(tmp_path / "r.tagAlign.gz", "chr1\t1\t37\tN\t1000\t+\n" + line)
    with pytest.raises(InputFormatError, match=f"r.tagAlign.gz:2: {message}"):
        list(read_tagalign_chunks(path))


def test_truncated_tagalign_gzip_is_rejected(tmp_path):
    full = write_gz(tmp_path / "full.gz", "chr1\t1\t37\tN\t1000\t+\n" * 5000)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(full.read_bytes()[:-200])
    with pytest.raises(InputFormatError, match="cut.gz"):
        list(read_tagalign_chunks(cut))


def test_contig_filter_drops_unknown_contigs_and_reads_past_the_end():
    chunk = pd.DataFrame(
        {
            "chrom": ["chr1", "chrEBV", "chrM", "chrM"],
            "start": [0, 0, 16_500, 16_560],
            "end": [36, 36, 16_536, 16_596],
            "strand": ["+"] * 4,
        }
    )
    report = ReadFilterReport()
    kept = filter_known_contigs(chunk, {"chr1": 1000, "chrM": 16_571}, report)
    assert kept["start"].tolist() == [0, 16_500]
    assert report.dropped_unknown_contig == {"chrEBV": 1}
    assert report.dropped_beyond_end == 1
    assert report.reads_total == 4 and report.reads_kept == 2


def test_chrom_sizes_bundled_file_has_93_hg19_contigs(repo):
    sizes = read_chrom_sizes(repo / "resources/hg19.chrom.sizes")
    assert len(sizes) == 93
    assert sizes["chrM"] == 16_571 and sizes["chr1"] == 249_250_621


def test_published_gene_list_has_19802_rows_and_7_repeated_ids(repo):
    table = read_published_genes(repo / "resources/deepchrome-genes.tsv")
    assert len(table) == 19_802
    assert table["gene_id"].duplicated().sum() == 7
    assert table["gene_id"].is_monotonic_increasing


def test_ucsc_chrom_leaves_patch_contigs_alone():
    assert ucsc_chrom("HSCHR6_MHC_COX") == "HSCHR6_MHC_COX" and ucsc_chrom("22") == "chr22"
