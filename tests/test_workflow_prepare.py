"""The demo's data preparation, run by Snakemake in a temporary directory."""

import gzip
import re
import shutil

import numpy as np
import pandas as pd
import pyBigWig
import pysam
import pytest

from chromexpr.counting import count_bins
from chromexpr.dataset import CellDataset
from chromexpr.genome.bins import bin_layout, write_bins_bed
from chromexpr.genome.tss import read_gene_table
from chromexpr.io.chrom_sizes import read_chrom_sizes
from chromexpr.io.processed import import_processed

from .workflow_helpers import PREDICT_CONFIGS, copy_run, copy_workflow, run_workflow, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]


@pytest.fixture(scope="module")
def prepared(predict_run):
    """The shared prediction run: the demo's data preparation of E003 and E004 (and E005)."""
    return predict_run


def test_datasets_hold_counts_labels_and_contiguous_splits(prepared):
    dataset = CellDataset.load(prepared / "results/datasets/E003.npz")
    assert dataset.counts.shape == (300, 5, 100)
    assert dataset.counts.dtype == np.int32
    assert list(dataset.marks) == ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]
    assert list(dataset.gene_ids) == sorted(dataset.gene_ids)
    assert dataset.split.tolist() == ["train"] * 100 + ["valid"] * 100 + ["test"] * 100
    assert dataset.labels.sum() == 150  # the median splits distinct RPKMs in halves
    assert dataset.bin_offsets[0] == -5000 and dataset.bin_offsets[-1] == 4900


def test_every_cell_has_the_same_genes_in_the_same_split(prepared):
    first = CellDataset.load(prepared / "results/datasets/E003.npz")
    second = CellDataset.load(prepared / "results/datasets/E004.npz")
    np.testing.assert_array_equal(first.gene_ids, second.gene_ids)
    np.testing.assert_array_equal(first.split, second.split)
    assert not np.array_equal(first.labels, second.labels)


def test_labels_follow_the_median_rule_of_the_downloaded_rpkm_table(prepared):
    dataset = CellDataset.load(prepared / "results/datasets/E004.npz")
    rpkm = pd.read_csv(prepared / "resources/remc/57epigenomes.RPKM.pc.gz", sep="\t", index_col=0)
    values = rpkm.loc[dataset.gene_ids, "E004"].to_numpy()
    np.testing.assert_allclose(dataset.expression, values)
    np.testing.assert_array_equal(dataset.labels, (values >= np.median(values)).astype(np.int8))


def test_counts_match_the_reads_in_each_window(prepared):
    dataset = CellDataset.load(prepared / "results/datasets/E003.npz")
    reads = pd.read_csv(
        prepared / "resources/remc/reads/E003-H3K4me3.tagAlign.gz", sep="\t", header=None
    )
    gene = int(np.argmax(dataset.counts[:, 3].sum(axis=1)))
    chrom, tss = dataset.chrom[gene], int(dataset.tss[gene])
    on_chrom = reads[reads[0] == chrom]
    # Bin 50 is [TSS, TSS + 100): every read overlapping it by at least 1 bp.
    expected = int(((on_chrom[1] < tss + 100) & (on_chrom[2] > tss)).sum())
    assert dataset.counts[gene, 3, 50] == expected


def test_reads_on_unknown_contigs_are_dropped_and_reported(prepared):
    report = (prepared / "results/qc/reads/E003-H3K4me3.json").read_text()
    assert '"chrEBV"' in report
    with gzip.open(prepared / "resources/remc/reads/E003-H3K4me3.tagAlign.gz", "rt") as handle:
        assert any(line.startswith("chrEBV\t") for line in handle)


def test_bam_headers_name_the_bundled_chrom_sizes_by_the_same_path_in_every_run(prepared):
    # bedtobam records the chrom sizes' path (AS) in every @SQ line; a path into Snakemake's
    # per-run source cache would make two runs' BAMs differ.
    with pysam.AlignmentFile(str(prepared / "results/bam/E003-H3K4me3.bam")) as bam:
        assemblies = {entry.get("AS") for entry in bam.header.to_dict()["SQ"]}
    assert assemblies == {"resources/hg19.chrom.sizes"}


def test_active_genes_carry_more_h3k4me3_at_the_tss(prepared):
    dataset = CellDataset.load(prepared / "results/datasets/E003.npz")
    near_tss = dataset.counts[:, 3, 40:60].sum(axis=1)
    assert near_tss[dataset.labels == 1].mean() > 2 * near_tss[dataset.labels == 0].mean()


def test_processed_export_round_trips(prepared):
    dataset = CellDataset.load(prepared / "results/datasets/E003.npz")
    again = import_processed(prepared / "results/processed", "E003", dataset.bin_offsets)
    np.testing.assert_array_equal(again.counts, dataset.counts)
    np.testing.assert_array_equal(again.labels, dataset.labels)
    np.testing.assert_array_equal(again.split, dataset.split)
    np.testing.assert_array_equal(again.gene_ids, dataset.gene_ids)
    first_line = (
        (prepared / "results/processed/E003/classification/train.csv").read_text().split("\n")[0]
    )
    assert len(first_line.split(",")) == 8 and first_line.split(",")[1] == "1"


def test_a_second_run_has_nothing_to_do(prepared):
    result = run_workflow(prepared, "-n", "results/datasets/E003.npz", configs=PREDICT_CONFIGS)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_editing_one_rpkm_value_replans_labels_and_datasets_but_no_counting(prepared, tmp_path):
    workdir = copy_run(prepared, tmp_path / "edited")
    rpkm = workdir / "resources/remc/57epigenomes.RPKM.pc.gz"
    lines = gzip.decompress(rpkm.read_bytes()).decode().splitlines()
    fields = lines[1].split("\t")
    fields[1] = f"{float(fields[1]) + 1:g}"
    rpkm.write_bytes(gzip.compress("\n".join([lines[0], "\t".join(fields), *lines[2:]]).encode()))
    result = run_workflow(workdir, "-n", "results/datasets/E003.npz", configs=PREDICT_CONFIGS)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout.split("Job stats:")[1], re.MULTILINE))
    assert {"gene_table", "labels", "split", "assemble_dataset"} <= jobs.keys()
    assert not {"count_reads", "gene_positions", "tagalign_to_bam"} & jobs.keys()


def test_remc_config_dry_run_plans_280_downloads_offline(tmp_path):
    workdir = copy_workflow(tmp_path)
    result = snakemake(workdir, "--configfile", "config/remc.yaml", "-n", "--quiet", "rules")
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, flags=re.MULTILINE))
    assert jobs["download_reads"] == "280"
    assert jobs["count_reads"] == "280"
    assert jobs["assemble_dataset"] == "56"


def test_source_processed_starts_from_the_published_csv_layout(prepared, tmp_path):
    workdir = copy_workflow(tmp_path / "processed")
    (workdir / "processed.yaml").write_text(
        f"cells: [E003]\nsource: processed\nprocessed_dir: {prepared / 'results/processed'}\n"
    )
    run_workflow(workdir, "results/datasets/E003.npz", configs=["processed.yaml"])
    imported = CellDataset.load(workdir / "results/datasets/E003.npz")
    original = CellDataset.load(prepared / "results/datasets/E003.npz")
    np.testing.assert_array_equal(imported.counts, original.counts)
    np.testing.assert_array_equal(imported.labels, original.labels)
    assert np.isnan(imported.expression).all()  # the published layout carries no expression


MARKS = ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]
ALL_READS = {"min_mapq": 0, "include_duplicates": False, "include_qcfail": False}


@pytest.mark.parametrize(("source", "engine"), [("bam", "multicov"), ("tagalign", "fast")])
def test_one_demo_cell_counted_in_full_equals_the_fast_engine(prepared, tmp_path, source, engine):
    dataset = CellDataset.load(prepared / "results/datasets/E003.npz")  # counted by engine fast
    for index, mark in enumerate(MARKS):
        path = {
            "bam": prepared / f"results/bam/E003-{mark}.bam",
            "tagalign": prepared / f"resources/remc/reads/E003-{mark}.tagAlign.gz",
        }[source]
        if engine == "multicov":  # the workflow writes the BED only for multicov
            write_bins_bed(
                bin_layout(
                    read_gene_table(prepared / "results/genes/genes.tsv"),
                    read_chrom_sizes(prepared / "resources/hg19.chrom.sizes"),
                    window=5000,
                    bin_size=100,
                ),
                tmp_path / "bins.bed",
            )
        matrix = count_bins(
            [(source, path)],
            prepared / "results/genes/genes.tsv",
            prepared / "resources/hg19.chrom.sizes",
            {"window": 5000, "bin_size": 100},
            {"engine": engine, **ALL_READS},
            tmp_path / f"{mark}.npy",
            bins_bed=tmp_path / "bins.bed" if engine == "multicov" else None,
        )
        np.testing.assert_array_equal(matrix, dataset.counts[:, index, :], err_msg=mark)


def test_bam_false_plans_no_bam_jobs(prepared):
    (prepared / "no_bam.yaml").write_text("bam: false\n")
    result = run_workflow(
        prepared,
        "-n",
        "--forceall",
        "results/datasets/E003.npz",
        configs=[*PREDICT_CONFIGS, "no_bam.yaml"],
    )
    assert "tagalign_to_bam" not in result.stdout and "count_reads" in result.stdout


def test_bigwig_input_gives_mean_signal_per_bin(prepared, tmp_path):
    genes = pd.read_csv(prepared / "results/genes/genes.tsv", sep="\t")
    sizes = dict(
        line.split("\t")
        for line in (prepared / "resources/hg19.chrom.sizes").read_text().split("\n")
        if line
    )
    signal = tmp_path / "signal"
    signal.mkdir()
    for index, mark in enumerate(MARKS):
        with pyBigWig.open(str(signal / f"E003-{mark}.bigwig"), "w") as track:
            chroms = sorted(set(genes["chrom"]))
            track.addHeader([(chrom, int(sizes[chrom])) for chrom in chroms])
            for chrom in chroms:
                # A constant value per chromosome and mark: every full bin's mean is that value.
                # In 100 kb entries, as a real track has many: pyBigWig takes about half a
                # second to read any part of one chromosome-long entry, and the bins take
                # hundreds of reads.
                starts = list(range(0, int(sizes[chrom]), 100_000))
                ends = [*starts[1:], int(sizes[chrom])]
                value = float(index + 1)
                track.addEntries(
                    [chrom] * len(starts), starts, ends=ends, values=[value] * len(starts)
                )
    workdir = copy_workflow(tmp_path / "bigwig")
    shutil.copytree(
        prepared / "resources/remc",
        workdir / "resources/remc",
        ignore=shutil.ignore_patterns("reads"),
    )
    (workdir / "bigwig.yaml").write_text(
        "cells: [E003]\ninput: bigwig\nexport_processed: false\ndemo: {enabled: false}\nurls:\n"
        "  reads: file:unused/{cell}-{mark}.tagAlign.gz\n"
        "  rpkm: file:unused/rpkm.gz\n  annotation: file:unused/genes\n"
        f"  signal: file://{signal}/{{cell}}-{{mark}}.bigwig\n"
    )
    run_workflow(workdir, "results/datasets/E003.npz", configs=["bigwig.yaml"])
    dataset = CellDataset.load(workdir / "results/datasets/E003.npz")
    assert dataset.counts.dtype == np.float32
    for index in range(5):
        assert np.allclose(dataset.counts[:, index, :], index + 1)
