"""The demo mirror: REMC formats exactly, deterministic, and biology a classifier can learn."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chromexpr.demo import (
    DEMO_MARKS,
    GENE_INFO_NAME,
    RPKM_NAME,
    DemoSummary,
    tagalign_name,
    write_demo_mirror,
)
from chromexpr.demo.__main__ import main
from chromexpr.errors import ConfigError
from chromexpr.io.chrom_sizes import read_chrom_sizes

CELLS = ("E003", "E004")
N_GENES = 200
# A thin background keeps the tests fast; the gene signal is unchanged.
MIRROR_ARGS = dict(
    cells=CELLS,
    marks=DEMO_MARKS,
    seed=3,
    n_genes=N_GENES,
    background_reads_per_mb=200.0,
)
CHROM_SIZES = Path(__file__).resolve().parents[1] / "resources" / "hg19.chrom.sizes"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out_dir = tmp_path_factory.mktemp("mirror")
    return out_dir, write_demo_mirror(out_dir, **MIRROR_ARGS)


def gene_info_lines(out_dir: Path) -> list[str]:
    return (out_dir / GENE_INFO_NAME).read_text().splitlines()


def gene_info_table(out_dir: Path) -> pd.DataFrame:
    fields = [line.split("\t")[:7] for line in gene_info_lines(out_dir)]
    table = pd.DataFrame(
        fields, columns=["gene_id", "chrom", "start", "end", "strand", "biotype", "symbol"]
    )
    return table.astype({"start": int, "end": int, "strand": int})


def rpkm_table(out_dir: Path) -> pd.DataFrame:
    return pd.read_csv(out_dir / RPKM_NAME, sep="\t", index_col="gene_id")


def tagalign_table(out_dir: Path, cell: str, mark: str) -> pd.DataFrame:
    names = ["chrom", "start", "end", "name", "score", "strand"]
    return pd.read_csv(out_dir / tagalign_name(cell, mark), sep="\t", header=None, names=names)


def hg19_genes_with_tss(out_dir: Path) -> pd.DataFrame:
    """hg19 genes with a 0-based strand-aware TSS and a ``chr``-prefixed chrom."""
    genes = gene_info_table(out_dir)
    genes = genes[genes["chrom"].isin(["1", "21"])].copy()
    genes["chrom"] = "chr" + genes["chrom"]
    genes["tss"] = np.where(genes["strand"] == 1, genes["start"], genes["end"]) - 1
    return genes


def reads_between(reads: pd.DataFrame, chrom: str, start: int, end: int) -> int:
    on_chrom = reads[reads["chrom"] == chrom]
    return int(((on_chrom["end"] > start) & (on_chrom["start"] < end)).sum())


def test_gene_info_rows_have_ensembl_id_unprefixed_chrom_and_strand_one_or_minus_one(mirror):
    genes = gene_info_table(mirror[0])
    assert genes["gene_id"].str.fullmatch(r"ENSG\d{11}").all()
    assert not genes["chrom"].str.startswith("chr").any()
    assert set(genes["strand"]) == {1, -1}
    assert (genes["start"] <= genes["end"]).all()
    assert set(genes["biotype"]) == {"protein_coding"}


def test_gene_info_is_sorted_by_ensembl_id_which_is_not_genomic_order(mirror):
    genes = hg19_genes_with_tss(mirror[0])
    assert list(genes["gene_id"]) == sorted(genes["gene_id"])
    chr1_tss = genes.loc[genes["chrom"] == "chr1", "tss"].to_numpy()
    assert (np.diff(chr1_tss) < 0).any()


def test_gene_info_has_a_few_rows_with_extra_trailing_tabs(mirror):
    field_counts = [len(line.split("\t")) for line in gene_info_lines(mirror[0])]
    assert min(field_counts) == 8
    assert 1 <= sum(count > 8 for count in field_counts) <= 0.05 * len(field_counts)


def test_genes_on_a_contig_missing_from_hg19_are_in_gene_info_and_rpkm(mirror):
    genes = gene_info_table(mirror[0])
    unknown_contig_ids = genes.loc[~genes["chrom"].isin(["1", "21"]), "gene_id"]
    assert 2 <= len(unknown_contig_ids) <= 3
    assert not {f"chr{chrom}" for chrom in genes["chrom"]} <= set(read_chrom_sizes(CHROM_SIZES))
    assert unknown_contig_ids.isin(rpkm_table(mirror[0]).index).all()


def test_n_genes_sets_the_hg19_gene_count(mirror):
    assert mirror[1].n_genes == N_GENES
    assert len(hg19_genes_with_tss(mirror[0])) == N_GENES


def test_rpkm_header_is_gene_id_then_e000_then_the_cells(mirror):
    with gzip.open(mirror[0] / RPKM_NAME, "rt") as rpkm_file:
        header = rpkm_file.readline().rstrip("\n").split("\t")
    assert header == ["gene_id", "E000", *CELLS]


def test_rpkm_values_have_three_decimals(mirror):
    with gzip.open(mirror[0] / RPKM_NAME, "rt") as rpkm_file:
        rows = [line.rstrip("\n").split("\t") for line in rpkm_file.readlines()[1:]]
    values = [value for row in rows for value in row[1:]]
    assert all(value.split(".")[1].isdigit() and len(value.split(".")[1]) == 3 for value in values)


def test_rpkm_has_genes_missing_from_gene_info(mirror):
    annotated = set(gene_info_table(mirror[0])["gene_id"])
    missing = set(rpkm_table(mirror[0]).index) - annotated
    assert 1 <= len(missing) <= 2


def test_rpkm_has_ten_to_twenty_percent_exact_zeros(mirror):
    zero_fraction = (rpkm_table(mirror[0])[list(CELLS)] == 0).to_numpy().mean()
    assert 0.10 <= zero_fraction <= 0.20


def test_rpkm_median_is_a_few_and_the_tail_is_long(mirror):
    rpkm = rpkm_table(mirror[0])[list(CELLS)].to_numpy()
    assert 1.0 <= np.median(rpkm) <= 10.0
    assert rpkm.max() >= 30 * np.median(rpkm)


def test_tagalign_lines_are_bed6_with_name_n_score_1000_and_36bp_reads(mirror):
    with gzip.open(mirror[0] / tagalign_name("E003", "H3K4me3"), "rt") as tagalign_file:
        first_lines = [tagalign_file.readline() for _ in range(5)]
    for line in first_lines:
        chrom, start, end, name, score, strand = line.rstrip("\n").split("\t")
        assert chrom.startswith("chr")
        assert int(end) - int(start) == 36
        assert (name, score) == ("N", "1000")
        assert strand in {"+", "-"}
    reads = tagalign_table(mirror[0], "E004", "H3K27me3")
    assert ((reads["end"] - reads["start"]) == 36).all()
    assert set(reads["name"]) == {"N"} and set(reads["score"]) == {1000}


def test_every_cell_and_mark_has_a_tagalign_counted_in_the_summary(mirror):
    out_dir, summary = mirror
    names = {tagalign_name(cell, mark) for cell in CELLS for mark in DEMO_MARKS}
    assert set(summary.reads_per_file) == names
    assert {path.name for path in summary.paths} == names | {GENE_INFO_NAME, RPKM_NAME}
    assert summary.reads_per_file[tagalign_name("E003", "H3K9me3")] == len(
        tagalign_table(out_dir, "E003", "H3K9me3")
    )


def test_tagalign_has_reads_on_chrm_and_on_chrebv(mirror):
    chroms = set(tagalign_table(mirror[0], "E003", "H3K36me3")["chrom"])
    assert {"chr1", "chr21", "chrM", "chrEBV"} <= chroms


def test_reads_lie_within_chromosome_bounds(mirror):
    lengths = {**read_chrom_sizes(CHROM_SIZES), "chrEBV": 171_823}
    for mark in DEMO_MARKS:
        reads = tagalign_table(mirror[0], "E003", mark)
        assert (reads["start"] >= 0).all()
        assert (reads["end"] <= reads["chrom"].map(lengths)).all()


def test_read_depth_differs_between_cells(mirror):
    reads_per_file = mirror[1].reads_per_file
    for mark in DEMO_MARKS:
        assert (
            reads_per_file[tagalign_name("E003", mark)]
            != reads_per_file[tagalign_name("E004", mark)]
        )


def test_h3k4me3_near_tss_is_denser_for_high_than_low_expression_genes(mirror):
    out_dir = mirror[0]
    genes = hg19_genes_with_tss(out_dir)
    genes["rpkm"] = rpkm_table(out_dir).loc[genes["gene_id"], "E003"].to_numpy()
    reads = tagalign_table(out_dir, "E003", "H3K4me3")
    genes["tss_reads"] = [
        reads_between(reads, chrom, tss - 1000, tss + 1000)
        for chrom, tss in zip(genes["chrom"], genes["tss"], strict=True)
    ]
    low, high = genes["rpkm"].quantile([1 / 3, 2 / 3])
    high_mean = genes.loc[genes["rpkm"] >= high, "tss_reads"].mean()
    low_mean = genes.loc[genes["rpkm"] <= low, "tss_reads"].mean()
    assert high_mean > 3 * low_mean


def test_h3k36me3_lies_downstream_of_the_tss_on_either_strand(mirror):
    out_dir = mirror[0]
    genes = hg19_genes_with_tss(out_dir)
    genes["rpkm"] = rpkm_table(out_dir).loc[genes["gene_id"], "E003"].to_numpy()
    reads = tagalign_table(out_dir, "E003", "H3K36me3")
    for strand in (1, -1):
        active = genes[(genes["strand"] == strand) & (genes["rpkm"] >= genes["rpkm"].median())]
        downstream = upstream = 0
        for chrom, tss in zip(active["chrom"], active["tss"], strict=True):
            after = reads_between(reads, chrom, tss, tss + 5000)
            before = reads_between(reads, chrom, tss - 5000, tss)
            downstream += after if strand == 1 else before
            upstream += before if strand == 1 else after
        assert downstream > 1.5 * upstream


def test_same_arguments_give_byte_identical_files(mirror, tmp_path):
    out_dir, summary = mirror
    again = write_demo_mirror(tmp_path, **MIRROR_ARGS)
    assert again.reads_per_file == summary.reads_per_file
    for path in summary.paths:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_unknown_mark_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="H3K27ac"):
        write_demo_mirror(tmp_path, ["E003"], ["H3K27ac"])


def test_command_line_writes_a_mirror(tmp_path, capsys):
    main(
        [
            "--out",
            str(tmp_path),
            "--cells",
            "E005",
            "--marks",
            "H3K4me3",
            "--n-genes",
            "20",
            "--background-reads-per-mb",
            "10",
        ]
    )
    assert {path.name for path in tmp_path.iterdir()} == {
        GENE_INFO_NAME,
        RPKM_NAME,
        tagalign_name("E005", "H3K4me3"),
    }
    assert "E005-H3K4me3.tagAlign.gz" in capsys.readouterr().err  # progress on the terminal


def test_module_runs_as_a_command_and_writes_the_own_data_style(tmp_path):
    command = [
        sys.executable,
        "-m",
        "chromexpr.demo",
        "--style",
        "own-data",
        "--out",
        str(tmp_path),
    ]
    options = ["--cells", "A", "B", "C", "--marks", "H3K4me3", "H3K9me3", "--n-genes", "20"]
    subprocess.run([*command, *options], check=True, capture_output=True)
    assert (tmp_path / "samples.tsv").exists() and (tmp_path / "gencode.gtf.gz").exists()
    assert (tmp_path / "A-H3K4me3-rep2.bam").exists() and (tmp_path / "C-H3K9me3.bigwig").exists()
