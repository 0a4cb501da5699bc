"""Mean bigWig signal per bin: bases without data count as 0."""

import logging

import numpy as np
import pyBigWig
import pytest

from chromexpr.counting.bigwig import bigwig_bin_means
from chromexpr.errors import InputFormatError

from .test_counting_fast import layout_of


@pytest.fixture
def bigwig(tmp_path):
    """chr1 (1000 bp): 2.0 over [0, 100), 4.0 over [100, 150), no data over [150, 300),
    1.0 over [300, 1000); chr2 (500 bp): 8.0 over [0, 500)."""
    path = tmp_path / "signal.bw"
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([("chr1", 1000), ("chr2", 500)])
    handle.addEntries(
        ["chr1", "chr1", "chr1"], [0, 100, 300], ends=[100, 150, 1000], values=[2.0, 4.0, 1.0]
    )
    handle.addEntries(["chr2"], [0], ends=[500], values=[8.0])
    handle.close()
    return path


def test_bin_means_weigh_each_base_and_count_bases_without_data_as_zero(bigwig):
    layout = layout_of(
        [
            ("chr1", 100, 200),  # 50 bases of 4.0, 50 without data
            ("chr1", 0, 100),  # 2.0 throughout
            ("chr1", 50, 150),  # 50 bases of 2.0, 50 of 4.0 (overlaps the two bins above)
            ("chr1", 150, 300),  # no data at all
            ("chr2", 450, 500),  # at the chromosome end
            ("chr1", 250, 350),  # 50 without data, 50 of 1.0
            ("chr1", 900, 1000),
        ]
    )
    means = bigwig_bin_means(bigwig, layout)
    assert means.dtype == np.float32
    np.testing.assert_allclose(means, [2.0, 2.0, 3.0, 0.0, 8.0, 0.5, 1.0])


def test_bins_on_a_chromosome_missing_from_the_bigwig_are_zero_with_a_warning(bigwig, caplog):
    caplog.set_level(logging.INFO, logger="chromexpr")
    means = bigwig_bin_means(bigwig, layout_of([("chrX", 0, 100), ("chr2", 0, 100)]))
    np.testing.assert_allclose(means, [0.0, 8.0])
    assert any("warning" in line and "chrX" in line for line in caplog.messages)


def test_bases_past_the_bigwig_chromosome_end_count_as_zero(bigwig, caplog):
    caplog.set_level(logging.INFO, logger="chromexpr")
    means = bigwig_bin_means(bigwig, layout_of([("chr2", 400, 600)]))
    np.testing.assert_allclose(means, [4.0])  # 100 bases of 8.0 over 200
    assert any("past the end of chr2" in line for line in caplog.messages)


def test_an_unreadable_file_is_an_input_format_error_naming_it(tmp_path):
    not_bigwig = tmp_path / "signal.bw"
    not_bigwig.write_text("chr1\t0\t100\t2.0\n")
    with pytest.raises(InputFormatError, match="signal.bw"):
        bigwig_bin_means(not_bigwig, layout_of([("chr1", 0, 100)]))


def write_one_contig_bigwig(path, contig: str) -> None:
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([(contig, 1000)])
    handle.addEntries([contig], [0], ends=[1000], values=[2.0])
    handle.close()


def test_a_bigwig_sharing_no_chromosome_with_the_bins_is_an_error_not_zeros(tmp_path):
    path = tmp_path / "scaffolds.bw"
    write_one_contig_bigwig(path, "scaffold_1")
    with pytest.raises(InputFormatError, match=r"scaffolds.bw: none of the bins' chromosomes"):
        bigwig_bin_means(path, layout_of([("chr1", 0, 100)]))


def test_a_bigwig_with_ensembl_names_is_read_on_the_ucsc_chromosomes(tmp_path):
    path = tmp_path / "ensembl.bw"
    write_one_contig_bigwig(path, "1")
    assert bigwig_bin_means(path, layout_of([("chr1", 0, 100)])).tolist() == [2.0]
