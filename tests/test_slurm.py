"""The demo through profiles/slurm on a real single-node SLURM cluster, against a local run."""

import re
import time

import pandas as pd
import pytest

from .slurm_cluster import SlurmCluster, why_unavailable
from .workflow_helpers import run_workflow, workflow_copy

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

# 300 genes, 2 cells, 2 marks, 2 epochs, no BAMs, no cross-cell: 11 cluster jobs.
SMALL_DEMO = """
cells: [E003, E004]
marks: [H3K4me3, H3K27me3]
demo: {enabled: true, seed: 7, n_genes: 300}
bam: false
export_processed: false
models: [deepchrome]
training: {recipe: fast, epochs: 2, seed: 1}
crosscell: {enabled: false}
interpret: {enabled: false}
"""
# The rules that run on the cluster; downloads and the demo mirror are localrules.
CLUSTER_RULES = {"gene_positions", "gene_table", "expression", "labels", "split", "count_reads"}
CLUSTER_RULES |= {"assemble_dataset", "train_model", "auc_tables", "auc_plot", "model_plot"}
# The report's data QC, training curves and HTML tables, built on every run.
CLUSTER_RULES |= {"data_qc", "qc_tables_html", "training_curves", "auc_table_html"}
CLUSTER_RULES |= {"expression_qc"}
# The claims table and its report page, built with the AUC tables.
CLUSTER_RULES |= {"claims", "claims_html"}
LOCAL_RULES = {"demo_mirror", "download_reads", "download_rpkm", "download_annotation"}
# Comparable columns: everything but the wall time.
AUC_COLUMNS = ["cell", "model", "test_auc", "valid_auc", "train_auc", "best_epoch", "epochs_run"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = why_unavailable()
    if reason:
        pytest.skip(f"this machine cannot run a SLURM test cluster: {reason}")
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    workdir = workflow_copy(tmp_path_factory.mktemp("slurm-run"), {"small.yaml": SMALL_DEMO})
    started = time.monotonic()
    result = run_workflow(
        workdir,
        "--profile",
        "profiles/slurm",
        "--workflow-profile",
        "none",
        # Test-only tuning: poll the cluster soon and keep the per-job SLURM logs to inspect.
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-keep-successful-logs",
        env=cluster.environ,
    )
    print(f"SLURM run: {time.monotonic() - started:.0f} s")
    return workdir, result.stdout + result.stderr


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    workdir = workflow_copy(tmp_path_factory.mktemp("local-run"), {"small.yaml": SMALL_DEMO})
    run_workflow(workdir)
    return workdir


def test_cluster_jobs_went_through_sbatch_and_downloads_stayed_local(slurm_run):
    workdir, output = slurm_run
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", output)
    assert submitted, output[-3000:]
    # One SLURM log per cluster job: .snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log
    logs = list((workdir / ".snakemake/slurm_logs").rglob("*.log"))
    rules = {path.relative_to(workdir / ".snakemake/slurm_logs").parts[0] for path in logs}
    assert rules == {f"rule_{name}" for name in CLUSTER_RULES}
    assert sorted(path.stem for path in logs) == sorted(submitted)
    train_logs = list((workdir / ".snakemake/slurm_logs/rule_train_model").rglob("*.log"))
    assert len(train_logs) == 2
    assert not any(f"rule_{name}" in rules for name in LOCAL_RULES)


def test_training_jobs_were_granted_a_gpu_by_slurm(cluster, slurm_run):
    workdir, _ = slurm_run
    # Training jobs ask --gpus=1 (resources.gpus_per_training_job defaults to 1); the jobs ran on
    # the test cluster's count-only GPUs (SLURM keeps finished jobs for MinJobAge) and GPU
    # placement left SLURM's assignment alone.
    for log in (workdir / ".snakemake/slurm_logs/rule_train_model").rglob("*.log"):
        job = cluster.scontrol("show", "job", log.stem)
        assert "TresPerJob=gres:gpu:1" in job and "JobState=COMPLETED" in job, job
    for log in (workdir / ".snakemake/slurm_logs/rule_count_reads").rglob("*.log"):
        assert "gpu" not in cluster.scontrol("show", "job", log.stem)
    for cell in ("E003", "E004"):
        assert (
            "GPU placement"
            not in (workdir / f"logs/train/models/deepchrome/{cell}.log").read_text()
        )


def test_auc_table_matches_a_local_run(slurm_run, local_run):
    workdir, _ = slurm_run
    on_cluster = pd.read_csv(workdir / "results/tables/auc.tsv", sep="\t")
    local = pd.read_csv(local_run / "results/tables/auc.tsv", sep="\t")
    assert sorted(on_cluster["cell"]) == ["E003", "E004"]
    pd.testing.assert_frame_equal(on_cluster[AUC_COLUMNS], local[AUC_COLUMNS])
    assert (workdir / "results/figures/auc.png").stat().st_size > 0
