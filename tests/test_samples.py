"""The sample sheet: reading, its checks, and files whose content is not their declared format."""

import gzip

import pytest

from chromexpr.errors import InputFormatError
from chromexpr.io.sniff import check_declared_format
from chromexpr.samples import (
    check_paths_beside_the_sheet,
    check_sample_table,
    read_sample_sheet,
    template_sample_table,
)

MARKS = ["H3K4me3", "H3K27me3"]
HEADER = "sample\tmark\treplicate\tpath\tformat\n"


def sheet(tmp_path, rows: list[str], header: str = HEADER):
    path = tmp_path / "samples.tsv"
    path.write_text(header + "".join(row + "\n" for row in rows))
    return path


def checked(path):
    table = read_sample_sheet(path)
    check_sample_table(table, MARKS, path)
    return table


def test_a_complete_sheet_with_replicates_is_read_in_order(tmp_path):
    path = sheet(
        tmp_path,
        [
            "K562\tH3K4me3\t1\tdata/k1.bam\tbam",
            "K562\tH3K4me3\t2\thttps://example.org/ENCFF001.bam\tBAM",
            "K562\tH3K27me3\t\tdata/k.bed.gz\tbed",
            "GM12878_rep1\tH3K4me3\t1\tdata/g.tagAlign\ttagalign",
            "GM12878_rep1\tH3K27me3\t1\tdata/g.bed\tbed",
        ],
    )
    table = checked(path)
    assert list(dict.fromkeys(table["sample"])) == ["K562", "GM12878_rep1"]
    assert list(table["replicate"]) == ["1", "2", "1", "1", "1"]  # empty replicate: 1
    assert table.loc[3, "format"] == "bam"  # line 3 of the file, format lower-cased


def test_a_sheet_without_a_replicate_column_has_one_replicate_per_row(tmp_path):
    path = sheet(
        tmp_path,
        ["Toy\tH3K4me3\ta.bam\tbam", "Toy\tH3K27me3\tb.bam\tbam"],
        header="sample\tmark\tpath\tformat\n",
    )
    assert list(checked(path)["replicate"]) == ["1", "1"]


def test_a_sample_missing_a_mark_is_named(tmp_path):
    path = sheet(tmp_path, ["K562\tH3K4me3\t1\ta.bam\tbam"])
    with pytest.raises(
        InputFormatError, match=r"samples.tsv: sample K562 has no row for mark\(s\) \['H3K27me3'\]"
    ):
        checked(path)


def test_a_duplicated_row_that_is_not_a_replicate_is_named_by_its_lines(tmp_path):
    rows = ["K562\tH3K4me3\t1\ta.bam\tbam", "K562\tH3K27me3\t1\tb.bam\tbam"]
    path = sheet(tmp_path, [*rows, rows[0]])
    with pytest.raises(
        InputFormatError, match=r"lines \[2, 4\] repeat sample K562, mark H3K4me3, replicate 1"
    ):
        checked(path)


def test_an_unknown_format_is_named_with_its_line(tmp_path):
    path = sheet(tmp_path, ["K562\tH3K4me3\t1\ta.cram\tcram", "K562\tH3K27me3\t1\tb.bam\tbam"])
    with pytest.raises(InputFormatError, match=r"samples.tsv:2: unknown format 'cram'"):
        checked(path)


def test_a_mark_that_is_not_configured_is_named_with_its_line(tmp_path):
    path = sheet(tmp_path, ["K562\tH3K9me3\t1\ta.bam\tbam"])
    with pytest.raises(InputFormatError, match=r"samples.tsv:2: mark 'H3K9me3' is not among"):
        checked(path)


@pytest.mark.parametrize("name", ["../K562", "K 562", "a..b"])
def test_an_unsafe_sample_name_is_named_with_its_line(tmp_path, name):
    path = sheet(tmp_path, [f"{name}\tH3K4me3\t1\ta.bam\tbam"])
    with pytest.raises(InputFormatError, match=r"samples.tsv:2: sample .* is not a safe name"):
        checked(path)


def test_a_sheet_without_the_path_column_is_named(tmp_path):
    path = sheet(tmp_path, ["K562\tH3K4me3\ta.bam"], header="sample\tmark\tformat\n")
    with pytest.raises(
        InputFormatError, match=r"samples.tsv:1: sample sheet lacks column\(s\) \['path'\]"
    ):
        read_sample_sheet(path)


def test_the_url_template_gives_one_row_per_cell_and_mark():
    table = template_sample_table(["E003", "E004"], MARKS, "file:x/{cell}-{mark}.gz", "tagalign")
    assert list(table["path"]) == [
        "file:x/E003-H3K4me3.gz",
        "file:x/E003-H3K27me3.gz",
        "file:x/E004-H3K4me3.gz",
        "file:x/E004-H3K27me3.gz",
    ]
    check_sample_table(table.set_axis(range(2, 6)), MARKS, "template")


def test_a_bam_that_is_gzip_text_is_named_as_such(tmp_path):
    path = tmp_path / "reads.bam"
    with gzip.open(path, "wt") as handle:
        handle.write("chr1\t10\t46\tN\t1000\t+\n")
    with pytest.raises(
        InputFormatError,
        match=r"reads.bam: declared format bam, but the file is gzip-compressed text starting 'chr1",
    ):
        check_declared_format(path, "bam")


def test_a_bigwig_that_is_an_html_page_is_named_as_such(tmp_path):
    path = tmp_path / "signal.bigwig"
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    with pytest.raises(
        InputFormatError,
        match=r"signal.bigwig: declared format bigwig, but the file is an HTML page",
    ):
        check_declared_format(path, "bigwig")


def test_a_tagalign_that_is_a_bam_is_named_as_such(tmp_path):
    import pysam

    path = tmp_path / "reads.tagAlign.gz"
    with pysam.AlignmentFile(str(path), "wb", header={"SQ": [{"SN": "chr1", "LN": 100}]}):
        pass
    with pytest.raises(InputFormatError, match=r"declared format tagalign, but the file is a BAM"):
        check_declared_format(path, "tagalign")
    check_declared_format(path, "bam")


def test_errors_name_the_file_line_with_comment_and_blank_lines_counted(tmp_path):
    path = sheet(
        tmp_path,
        ["K562\tH3K4me3\t1\ta.bam\tbam", "", "# a note", "K562\tH3K27me3\t1\tb.bam\tcram"],
        header="# study X\n# two comment lines\n" + HEADER,
    )
    with pytest.raises(InputFormatError, match=r"samples.tsv:7: unknown format 'cram'"):
        checked(path)


def test_a_hash_inside_a_path_is_part_of_the_path(tmp_path):
    path = sheet(
        tmp_path, ["K562\tH3K4me3\t1\truns/#3/a.bam\tbam", "K562\tH3K27me3\t1\tb.bam\tbam"]
    )
    assert checked(path).loc[2, "path"] == "runs/#3/a.bam"


def test_a_row_with_more_fields_than_the_header_is_named_with_its_line(tmp_path):
    path = sheet(tmp_path, ["K562\tH3K4me3\t1\ta.bam\tbam\textra"], header="# note\n" + HEADER)
    with pytest.raises(
        InputFormatError, match=r"samples.tsv:3: 6 tab-separated fields where the header \(line 2\)"
    ):
        read_sample_sheet(path)


@pytest.mark.parametrize("prefix", ["", "file:"])
def test_a_path_found_beside_the_sheet_but_not_in_the_working_directory_is_named(
    tmp_path, monkeypatch, prefix
):
    (tmp_path / "study").mkdir()
    (tmp_path / "study/a.bam").write_bytes(b"")
    path = tmp_path / "study/samples.tsv"
    path.write_text(HEADER + f"K562\tH3K4me3\t1\t{prefix}a.bam\tbam\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        InputFormatError,
        match=rf"samples.tsv:2: path '{prefix}a.bam' is not in the working directory .*relative "
        rf"to the working directory, not to the sheet; the file beside the sheet is "
        rf"{prefix}study/a.bam",
    ):
        check_paths_beside_the_sheet(read_sample_sheet("study/samples.tsv"), "study/samples.tsv")
    monkeypatch.chdir(tmp_path / "study")
    check_paths_beside_the_sheet(read_sample_sheet("samples.tsv"), "samples.tsv")
