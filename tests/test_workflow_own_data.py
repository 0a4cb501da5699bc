"""Your own data, end to end: the own-data demo (hg38; sorted, unsorted, paired-end and
Ensembl-named BAMs, replicates, tagAlign, BED, bigWig) from its sample sheet to the AUC table."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from chromexpr.counting import count_bins
from chromexpr.dataset import CellDataset

from .workflow_helpers import snakemake, workflow_copy

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

SAMPLES = ["K562", "GM12878_rep1", "HepG2"]
MARKS = ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]
# The shipped config/own-data.yaml, made small: few genes (the generator), few epochs.
SMALL = "training: {recipe: fast, epochs: 2, seed: 1, device: cpu}\n"
CONFIG = ["--configfile", "config/own-data.yaml", "small.yaml"]
# The run's bins: a GTF annotation's minus-strand windows are mirrored (docs/own-data.md).
BINS = {"window": 5000, "bin_size": 100, "window_convention": "mirrored"}
ALL_READS = {"engine": "fast", "min_mapq": 0, "include_duplicates": False, "include_qcfail": False}


@pytest.fixture(scope="module")
def own_data(tmp_path_factory):
    workdir = workflow_copy(tmp_path_factory.mktemp("own-data"), {"small.yaml": SMALL})
    subprocess.run(
        [
            sys.executable,
            "-m",
            "chromexpr.demo",
            "--style",
            "own-data",
            "--out",
            "data",
            "--cells",
            *SAMPLES,
            "--n-genes",
            "200",
        ],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    # The command of docs/own-data.md as written (rule all), the small config layered last.
    snakemake(workdir, "--cores", "2", "--configfile", "config/own-data.yaml", "small.yaml")
    return workdir


def test_the_documented_run_builds_every_target_and_no_processed_layout(own_data):
    # config/own-data.yaml sets export_processed: false: its H3K9me3 bigWigs are not whole counts.
    assert (own_data / "results/tables/claims.tsv").exists()
    assert (own_data / "results/figures/training_curves.png").exists()
    assert not (own_data / "results/processed").exists()


def test_every_sample_of_the_sheet_gets_a_model_and_a_test_auc(own_data):
    auc = pd.read_csv(own_data / "results/tables/auc.tsv", sep="\t")
    assert sorted(auc["cell"]) == sorted(SAMPLES)
    assert (auc["test_auc"] > 0.6).all(), auc


def test_genes_come_from_the_gencode_gtf_and_the_rsem_files(own_data):
    genes = pd.read_csv(own_data / "results/genes/genes.tsv", sep="\t")
    assert len(genes) == 200  # the demo's genes; its lncRNA genes are filtered by biotype
    assert not genes["gene_id"].str.contains(r"\.").any()  # version suffixes dropped
    assert not genes["gene_id"].str.startswith("ENSG9").any()  # the lncRNA genes
    qc = pd.read_csv(own_data / "results/tables/qc_expression.tsv", sep="\t")
    assert sorted(qc["sample"]) == sorted(SAMPLES) and (qc["spike_ins"] == 2).all()


def recount_tagalign(own_data, sample, mark, tmp_path):
    """The reads the demo put into a sample's files, counted from its REMC-style tagAlign."""
    return count_bins(
        [("tagalign", own_data / f"data/generated/{sample}-{mark}.tagAlign.gz")],
        own_data / "results/genes/positions.tsv",
        own_data / "resources/hg38.chrom.sizes",
        BINS,
        ALL_READS,
        tmp_path / f"{sample}-{mark}.npy",
    )


@pytest.mark.parametrize(
    ("sample", "mark"),
    [
        ("K562", "H3K4me3"),  # two replicate BAMs, sorted, unindexed, fetched by file: URL
        ("GM12878_rep1", "H3K27me3"),  # an unsorted BAM with contigs named 1, 21, MT
        ("HepG2", "H3K36me3"),  # a gzip BED3 file
        ("HepG2", "H3K4me1"),  # an uncompressed tagAlign
    ],
)
def test_each_layout_counts_the_same_reads_as_their_tagalign(own_data, tmp_path, sample, mark):
    dataset = CellDataset.load(own_data / f"results/datasets/{sample}.npz")
    counted = dataset.counts[:, MARKS.index(mark), :]
    np.testing.assert_array_equal(counted, recount_tagalign(own_data, sample, mark, tmp_path))
    assert counted.sum() > 100


def test_the_paired_end_bam_counts_each_mate(own_data, tmp_path):
    dataset = CellDataset.load(own_data / "results/datasets/HepG2.npz")
    mates = dataset.counts[:, MARKS.index("H3K4me3"), :]
    reads = recount_tagalign(own_data, "HepG2", "H3K4me3", tmp_path)
    # Each read became a pair whose second mate lies within the fragment: more counts, never fewer
    # where the read itself was.
    assert mates.sum() > 1.5 * reads.sum()


def test_the_bigwig_mark_is_a_mean_signal_and_user_files_are_left_untouched(own_data):
    dataset = CellDataset.load(own_data / "results/datasets/K562.npz")
    signal = dataset.counts[:, MARKS.index("H3K9me3"), :]
    assert signal.sum() > 0 and not np.allclose(signal, np.round(signal))
    assert not list((own_data / "data").glob("*.bai"))
    assert not list((own_data / "results/counts").glob(".bam-*"))


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            lambda rows: rows[rows["mark"] != "H3K9me3"],
            r"sample K562 has no row for mark\(s\) \['H3K9me3'\]",
        ),
        (lambda rows: pd.concat([rows, rows.iloc[[0]]]), r"lines \[2, 18\] repeat sample K562"),
        (
            lambda rows: rows.assign(format=rows["format"].replace("bed", "cram")),
            r"bad.tsv:14: sample sheet row: 'cram' is not one of",
        ),
    ],
)
def test_a_bad_sample_sheet_stops_the_run_at_parse_time_naming_it(own_data, edit, named):
    rows = pd.read_csv(own_data / "data/samples.tsv", sep="\t", dtype=str)
    edit(rows).to_csv(own_data / "bad.tsv", sep="\t", index=False)
    (own_data / "bad.yaml").write_text("samples: bad.tsv\n")
    result = snakemake(own_data, "-n", *CONFIG, "bad.yaml", check=False)
    assert result.returncode != 0
    assert re.search(named, result.stdout + result.stderr), result.stderr[-2000:]


PREDICT_ONLY = """
cells: [K562, HepG2]
predict: {enabled: true, samples: [GM12878_rep1], models: [deepchrome], source: [K562, HepG2]}
"""


def test_a_sheet_sample_named_only_for_prediction_is_counted_and_needs_no_expression(own_data):
    (own_data / "predict-only.yaml").write_text(PREDICT_ONLY)
    target = "results/predictions/deepchrome/GM12878_rep1.tsv"
    plan = snakemake(own_data, target, *CONFIG, "predict-only.yaml", "--dry-run", "--forceall")
    jobs = plan.stdout
    assert "results/counts/GM12878_rep1-H3K4me3.npy" in jobs
    assert "results/predictions/datasets/GM12878_rep1.npz" in jobs
    assert "results/expression/GM12878_rep1.tsv" not in jobs
    assert "results/expression/K562.tsv" in jobs


def sheet_with_a_sample_of_another_kind(own_data) -> None:
    """other.tsv: the own-data sheet and a sample Other, HepG2's files but for H3K9me3 reads
    (HepG2's H3K4me1 tagAlign) where every other sample has a bigWig."""
    rows = pd.read_csv(own_data / "data/samples.tsv", sep="\t", dtype=str)
    other = rows[rows["sample"] == "HepG2"].assign(sample="Other")
    reads = other[other["mark"] == "H3K4me1"].assign(mark="H3K9me3")
    other = other[other["mark"] != "H3K9me3"]
    pd.concat([rows, other, reads]).to_csv(own_data / "other.tsv", sep="\t", index=False)


def test_a_sample_of_another_kind_that_the_run_does_not_use_does_not_stop_it(own_data):
    sheet_with_a_sample_of_another_kind(own_data)
    (own_data / "unused.yaml").write_text("samples: other.tsv\n")
    plan = snakemake(own_data, "-n", *CONFIG, "unused.yaml", check=False)
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert "Other" not in plan.stdout


PREDICT_OTHER_KIND = """
samples: other.tsv
predict: {enabled: true, samples: [Other], models: [deepchrome], source: [K562, HepG2]}
"""


def test_a_prediction_sample_of_another_kind_is_predicted_with_a_warning(own_data):
    sheet_with_a_sample_of_another_kind(own_data)
    (own_data / "predict-other.yaml").write_text(PREDICT_OTHER_KIND)
    target = "results/predictions/deepchrome/Other.tsv"
    result = snakemake(own_data, target, *CONFIG, "predict-other.yaml")
    assert re.search(
        r"predict.samples: sample Other .* has H3K9me3 as reads \(the cells': signal\)",
        result.stderr,
    ), result.stderr[-2000:]
    log = (own_data / "logs/predictions/deepchrome/Other.log").read_text()
    assert "H3K9me3 (signal in training, reads in Other)" in log, log
    assert "scored all the same" in log
    assert len(pd.read_csv(own_data / target, sep="\t")) == 200
