import logging

import numpy as np
import pandas as pd
import pytest

from chromexpr.errors import ConfigError, InputFormatError
from chromexpr.genome.bins import (
    bin_layout,
    bin_offsets,
    read_bins_bed,
    scatter_bin_counts,
    write_bins_bed,
)
from chromexpr.genome.tss import (
    annotation_positions,
    annotation_tss,
    expressed_gene_table,
    position_rows,
    published_positions,
)

SIZES = {"chr1": 100_000, "chr2": 50_000}


def genes(rows):
    return pd.DataFrame(rows, columns=["gene_id", "symbol", "chrom", "tss", "strand"])


def annotation(rows):
    return pd.DataFrame(rows, columns=["gene_id", "symbol", "chrom", "start", "end", "strand"])


def test_plus_strand_tss_is_the_first_base_in_0_based_coordinates():
    table = annotation([("ENSG1", "A", "chr1", 1001, 2000, "+")])
    assert annotation_tss(table).tolist() == [1000]


def test_minus_strand_tss_is_the_last_base_in_0_based_coordinates():
    table = annotation([("ENSG1", "A", "chr1", 1001, 2000, "-")])
    assert annotation_tss(table).tolist() == [1999]


def test_bins_are_half_open_100_bp_around_the_tss():
    layout = bin_layout(genes([("G", "g", "chr1", 20_000, "+")]), SIZES, window=5000, bin_size=100)
    assert len(layout.start) == 100
    assert layout.start[0] == 15_000 and layout.end[0] == 15_100
    assert layout.start[-1] == 24_900 and layout.end[-1] == 25_000
    assert np.all(layout.end - layout.start == 100)


def test_bins_keep_genomic_order_on_the_minus_strand_by_default():
    layout = bin_layout(genes([("G", "g", "chr1", 20_000, "-")]), SIZES, window=5000, bin_size=100)
    assert layout.bin_index[0] == 0 and layout.start[0] == 15_000


def test_reverse_minus_strand_puts_the_upstream_bin_first():
    layout = bin_layout(
        genes([("G", "g", "chr1", 20_000, "-")]), SIZES, 5000, 100, reverse_minus_strand=True
    )
    # The rightmost genomic bin is upstream of a minus-strand TSS.
    assert layout.bin_index[layout.start == 24_900].tolist() == [0]


def run_bins(gene_set, annotation_format, reverse_minus_strand=True):
    """The bins every job of a run with this gene set and annotation format lays out."""
    from chromexpr.config.derived import bin_settings  # here: the other tests need none of it

    config = {
        "gene_set": gene_set,
        "annotation_format": annotation_format,
        "bins": {"window": 5000, "bin_size": 100, "reverse_minus_strand": reverse_minus_strand},
    }
    return bin_settings(config)


def tss_bin_and_upstream_bases(layout, row, tss, strand):
    """(column of the bin holding the TSS base, the TSS's offset in it read in transcription
    order, bases of the window upstream of the TSS) of gene ``row``."""
    mine = layout.row == row
    start, end, column = layout.start[mine], layout.end[mine], layout.bin_index[mine]
    holding = (start <= tss) & (tss < end)
    if strand == "+":
        return int(column[holding][0]), int(tss - start[holding][0]), int(tss - start.min())
    return int(column[holding][0]), int(end[holding][0] - 1 - tss), int(end.max() - 1 - tss)


@pytest.mark.parametrize("annotation_format", ["gtf", "gff3"])
def test_annotation_windows_put_the_tss_in_the_same_bin_with_5000_bp_upstream_on_both_strands(
    annotation_format,
):
    # A plus-strand gene with TSS 20,000 (0-based) has the window [15,000, 25,000); a
    # minus-strand gene with TSS 60,000 has (55,000, 65,000] = [55,001, 65,001).
    table = genes([("P", "p", "chr1", 20_000, "+"), ("M", "m", "chr1", 60_000, "-")])
    layout = bin_layout(table, SIZES, **run_bins("annotation", annotation_format))
    plus = tss_bin_and_upstream_bases(layout, 0, 20_000, "+")
    minus = tss_bin_and_upstream_bases(layout, 1, 60_000, "-")
    assert plus == minus == (50, 0, 5000)
    assert (layout.start[layout.row == 1].min(), layout.end[layout.row == 1].max()) == (
        55_001,
        65_001,
    )


def test_annotation_windows_mirror_in_genomic_order_too():
    table = genes([("M", "m", "chr1", 60_000, "-")])
    layout = bin_layout(table, SIZES, **run_bins("annotation", "gtf", reverse_minus_strand=False))
    assert layout.bin_index[layout.start == 55_001].tolist() == [0]
    assert layout.bin_index[layout.start == 59_901].tolist() == [49]  # [59,901, 60,001): the TSS


@pytest.mark.parametrize(
    ("gene_set", "annotation_format"),
    [("published", "gene_info"), ("published", "gtf"), ("annotation", "gene_info")],
)
def test_published_and_remc_windows_are_tss_minus_to_plus_window_on_both_strands(
    gene_set, annotation_format
):
    # The published gene list and REMC's gene_info annotation (the REMC preset, the demo) keep
    # the published windows: [tss - 5000, tss + 5000) whatever the strand.
    table = genes([("P", "p", "chr1", 20_000, "+"), ("M", "m", "chr1", 60_000, "-")])
    for reverse in (False, True):
        bins = run_bins(gene_set, annotation_format, reverse_minus_strand=reverse)
        layout = bin_layout(table, SIZES, **bins)
        published = bin_layout(table, SIZES, 5000, 100, reverse_minus_strand=reverse)
        for name in ("start", "end", "row", "bin_index"):
            np.testing.assert_array_equal(getattr(layout, name), getattr(published, name))
        assert layout.start[layout.row == 1].min() == 55_000
        assert layout.end[layout.row == 1].max() == 65_000


def test_an_unknown_window_convention_is_a_config_error():
    table = genes([("M", "m", "chr1", 60_000, "-")])
    with pytest.raises(ConfigError, match="'centred' is not one of"):
        bin_layout(table, SIZES, 5000, 100, window_convention="centred")


def test_bins_are_clipped_at_the_chromosome_start_and_empty_bins_dropped():
    layout = bin_layout(genes([("G", "g", "chr1", 150, "+")]), SIZES, window=5000, bin_size=100)
    assert layout.start.min() == 0
    assert (layout.start[0], layout.end[0]) == (0, 50)  # bin [-50, 50) clipped to [0, 50)
    assert layout.bin_index[0] == 48
    assert len(layout.start) == 52


def test_bins_are_clipped_at_the_chromosome_end():
    layout = bin_layout(genes([("G", "g", "chr2", 49_980, "+")]), SIZES, window=5000, bin_size=100)
    assert layout.end.max() == 50_000
    assert (layout.start[-1], layout.end[-1]) == (49_980, 50_000)  # [49_980, 50_080) clipped
    assert len(layout.start) == 51


def test_bin_size_must_divide_the_window():
    with pytest.raises(ConfigError, match="bins.bin_size"):
        bin_offsets(5000, 300)


def test_bin_offsets_start_at_minus_window():
    offsets = bin_offsets(5000, 100)
    assert offsets[0] == -5000 and offsets[-1] == 4900 and len(offsets) == 100


def test_bins_bed_round_trips_and_scatters_into_gene_rows(tmp_path):
    table = genes([("G1", "a", "chr1", 150, "+"), ("G2", "b", "chr2", 20_000, "-")])
    layout = bin_layout(table, SIZES, window=500, bin_size=100)
    write_bins_bed(layout, tmp_path / "bins.bed")
    again = read_bins_bed(tmp_path / "bins.bed", n_genes=2, n_bins=10)
    np.testing.assert_array_equal(again.row, layout.row)
    np.testing.assert_array_equal(again.start, layout.start)
    matrix = scatter_bin_counts(again, np.arange(len(again.row)))
    assert matrix.shape == (2, 10)
    assert matrix[0, :3].tolist() == [0, 0, 0]  # bins of G1 left of chr1's start
    assert matrix[1, 0] == 7  # G1 has 7 bins kept, so G2's first bin is line 7


def test_annotation_gene_set_is_sorted_by_ensembl_id_and_drops_unknown_contigs(caplog):
    caplog.set_level(logging.INFO, logger="chromexpr")
    table = annotation(
        [
            ("ENSG3", "c", "chr1", 100, 200, "+"),
            ("ENSG1", "a", "chr2", 100, 200, "-"),
            ("ENSG2", "b", "HSCHR6_MHC_COX", 100, 200, "+"),
            ("ENSG4", "d", "chr1", 100, 200, "+"),
        ]
    )
    positions = annotation_positions(table, SIZES)
    assert positions["gene_id"].tolist() == ["ENSG1", "ENSG3", "ENSG4"]
    result = expressed_gene_table(positions, {"ENSG1", "ENSG2", "ENSG3"}, "annotation")
    assert result["gene_id"].tolist() == ["ENSG1", "ENSG3"]
    assert result["tss"].tolist() == [199, 99]
    assert any("HSCHR6_MHC_COX: 1" in message for message in caplog.messages)


def test_published_gene_set_keeps_duplicate_rows_and_converts_the_tss():
    published = pd.DataFrame(
        {
            "gene_id": ["ENSG1", "ENSG2", "ENSG2"],
            "symbol": ["a", "b", "c"],
            "chrom": ["chr1", "chr1", "chr1"],
            "tss_1based": [1000, 2000, 2000],
        }
    )
    ann = annotation([("ENSG1", "a", "chr1", 10, 1000, "-")])
    positions = published_positions(published, ann, SIZES)
    result = expressed_gene_table(positions, {"ENSG1", "ENSG2"}, "published")
    assert result["gene_id"].tolist() == ["ENSG1", "ENSG2", "ENSG2"]
    assert result["tss"].tolist() == [999, 1999, 1999]
    assert result["strand"].tolist() == ["-", ".", "."]
    shifted = published_positions(published, ann, SIZES, True)
    assert shifted["tss"].tolist() == [1000, 2000, 2000]


def test_published_gene_set_requires_expression_for_every_gene():
    published = pd.DataFrame(
        {"gene_id": ["ENSG1"], "symbol": ["a"], "chrom": ["chr1"], "tss_1based": [10]}
    )
    positions = published_positions(published, annotation([]), SIZES)
    with pytest.raises(InputFormatError, match="ENSG1"):
        expressed_gene_table(positions, set(), "published")


def test_published_gene_on_a_contig_absent_from_the_chrom_sizes_is_an_error_not_a_drop():
    # Dropping a row would shift the published 6601/6601/6600 split; the list must stay whole.
    published = pd.DataFrame(
        {"gene_id": ["ENSG1"], "symbol": ["a"], "chrom": ["chrUn_gl000220"], "tss_1based": [10]}
    )
    with pytest.raises(InputFormatError, match="published.tsv: chromosome chrUn_gl000220"):
        published_positions(published, annotation([]), SIZES, source="published.tsv")


def test_annotation_whose_genes_are_all_on_unknown_contigs_is_an_error_naming_the_cause():
    table = annotation([("ENSG1", "a", "chrUn_x", 100, 200, "+"), ("ENSG2", "b", "7", 1, 9, "-")])
    with pytest.raises(InputFormatError, match="all 2 genes are on contigs absent"):
        annotation_positions(table, SIZES)


def test_dropped_genes_are_a_warning_up_to_the_configured_share(caplog):
    table = annotation([(f"ENSG{i}", "g", "chr1", 100, 200, "+") for i in range(19)])
    table = pd.concat([table, annotation([("ENSG99", "x", "chrUn_x", 1, 9, "+")])])
    genes = annotation_positions(table, SIZES, max_dropped_share=0.05, chrom_sizes_source="s.tsv")
    assert len(genes) == 19
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == [
        "dropped 1 of 20 genes (5.0%) on contigs absent from the chrom sizes s.tsv (chrUn_x: 1)"
    ]


def test_chrom_sizes_missing_a_chromosome_fail_above_the_dropped_share():
    table = annotation(
        [("ENSG1", "a", "chr1", 100, 200, "+"), ("ENSG2", "b", "chr2", 1, 9, "-")]
        + [(f"ENSG{i}", "g", "chr21", 1, 9, "+") for i in range(3, 5)]
    )
    with pytest.raises(
        InputFormatError,
        match=r"s.tsv: 2 of 4 genes \(50.0%\) .*\(chr21: 2\); more than max_dropped_gene_share 0.05",
    ):
        annotation_positions(table, SIZES, max_dropped_share=0.05, chrom_sizes_source="s.tsv")


def test_a_gene_table_row_finds_its_counts_among_the_positions():
    positions = genes(
        [("G1", "a", "chr1", 10, "+"), ("G2", "b", "chr1", 50, "-"), ("G2", "c", "chr1", 50, "-")]
    )
    table = positions.iloc[[1, 2]].reset_index(drop=True)
    assert position_rows(positions, table).tolist() == [1, 1]
    with pytest.raises(InputFormatError, match="gene G1 of the gene table has no position"):
        position_rows(positions.iloc[1:], positions)
