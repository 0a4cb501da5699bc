"""Rerunning one cell type, adding one, changing a hyperparameter, and resuming a killed run."""

import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from chromexpr.demo import write_demo_mirror

from .workflow_helpers import BASE_CONFIG, REPO, run_workflow, workflow_copy

pytestmark = [pytest.mark.workflow]

# The demo's files served from a fixed folder (as REMC serves its files): adding a cell type to
# the config then adds downloads, not a regenerated mirror.
SMALL = """
cells: [E003, E004]
demo: {enabled: false}
urls:
  reads: "file:mirror/{cell}-{mark}.tagAlign.gz"
  rpkm: "file:mirror/57epigenomes.RPKM.pc.gz"
  annotation: "file:mirror/Ensembl_v65.Gencode_v10.ENSG.gene_info"
bam: false
export_processed: false
models: [deepchrome, linear]
training: {recipe: fast, epochs: 6, seed: 1}
crosscell: {enabled: false}
interpret: {enabled: false}
"""
TRAINED = "results/models/deepchrome/{cell}/metrics.json"
# What retraining any model on any cell also redoes: the tables and figures over every model.
SUMMARIES = {
    "auc_tables": 1,
    "auc_plot": 1,
    "model_plot": 1,
    "training_curves": 1,
    "auc_table_html": 1,
    "claims": 1,
    "claims_html": 1,
    "all": 1,
}
QC = {"data_qc": 1, "qc_tables_html": 1}
AUC_COLUMNS = ["cell", "model", "test_auc", "valid_auc", "train_auc", "best_epoch", "epochs_run"]


def planned_jobs(output: str) -> dict[str, int]:
    """Snakemake's 'Job stats' table of a dry run: rule -> job count (no 'total')."""
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {
        match[1]: int(match[2]) for match in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)
    }


def planned_cells(output: str) -> set[str]:
    """The cell wildcard values of the jobs a dry run lists."""
    return set(re.findall(r"^\s+wildcards:.*\bcell=(\w+)", output, re.MULTILINE))


def output_of(workdir, *arguments, configs=("small.yaml",)):
    """What Snakemake prints (stdout, then stderr) run with ``arguments`` over ``configs``."""
    result = run_workflow(workdir, *arguments, configs=configs)
    return result.stdout + result.stderr


def make_workdir(tmp_path_factory, name, mirror):
    workdir = workflow_copy(tmp_path_factory.mktemp(name), {"small.yaml": SMALL})
    (workdir / "mirror").symlink_to(mirror)
    return workdir


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """The demo's files for E003, E004 and E005, as the workflow's demo_mirror rule writes them."""
    folder = tmp_path_factory.mktemp("mirror")
    marks = ["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]
    cells = ["E003", "E004", "E005"]
    chrom_sizes = REPO / "resources/hg19.chrom.sizes"
    write_demo_mirror(folder, cells, marks, seed=11, n_genes=300, chrom_sizes=chrom_sizes)
    return folder


@pytest.fixture(scope="module")
def finished(tmp_path_factory, mirror):
    """A complete, uninterrupted run of the small config."""
    workdir = make_workdir(tmp_path_factory, "finished", mirror)
    run_workflow(workdir)
    assert planned_jobs(output_of(workdir, "--dry-run")) == {}
    return workdir


def test_forcerun_on_one_cells_model_retrains_only_that_cell(finished):
    output = output_of(finished, "--dry-run", "--forcerun", TRAINED.format(cell="E003"))
    assert planned_jobs(output) == {"train_model": 1, **SUMMARIES}
    assert planned_cells(output) == {"E003"}


def test_adding_a_cell_type_runs_only_that_cells_jobs(finished):
    added = SMALL.replace("cells: [E003, E004]", "cells: [E003, E004, E005]")
    (finished / "added.yaml").write_text(added)
    output = output_of(finished, "--dry-run", configs=["added.yaml"])
    per_cell = {"download_reads": 5, "count_reads": 5, "assemble_dataset": 1}
    per_cell |= {"expression": 1, "labels": 1}
    # Both models on the new cell; the QC of labels and of expression covers every cell, so
    # they are redone too.
    qc = {**QC, "expression_qc": 1}
    assert planned_jobs(output) == {**per_cell, "train_model": 2, **SUMMARIES, **qc}
    assert planned_cells(output) == {"E005"}


def test_changing_a_model_hyperparameter_reruns_only_that_models_training(finished):
    (finished / "dropout.yaml").write_text("model_params: {deepchrome: {dropout: 0.3}}\n")
    output = run_workflow(finished, "--dry-run", configs=["small.yaml", "dropout.yaml"]).stdout
    # deepchrome on both cells; linear, whose hyperparameters did not change, is not retrained.
    assert planned_jobs(output) == {"train_model": 2, **SUMMARIES}
    # The trigger is the rule's params (the hyperparameters), not a file.
    reasons = re.findall(r"^\s+reason: (.*)$", output, re.MULTILINE)
    assert sum("Params have changed" in reason and "dropout" in reason for reason in reasons) == 2
    assert planned_cells(output) == {"E003", "E004"}
    assert set(re.findall(r"^\s+wildcards:.*\bmodel=(\w+)", output, re.MULTILINE)) == {"deepchrome"}


def test_a_killed_run_resumes_and_redoes_only_unfinished_jobs(tmp_path_factory, mirror, finished):
    workdir = make_workdir(tmp_path_factory, "killed", mirror)
    command = [sys.executable, "-m", "snakemake", "--cores", "2"]
    command += ["--configfile", BASE_CONFIG, "small.yaml"]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    training_logs = workdir / "logs/train/models"
    deadline = time.monotonic() + 300
    try:
        # Kill once a training job has started on every cell: Snakemake starts one only after
        # it has recorded the cell's dataset as complete (a dataset file that merely exists may
        # belong to a job Snakemake has not yet closed, which the rerun would redo).
        while not all(list(training_logs.glob(f"*/{cell}.log")) for cell in ("E003", "E004")):
            assert process.poll() is None, "the run finished before a training job started"
            assert time.monotonic() < deadline, "no training job started within 300 s"
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # Snakemake and its running jobs
        process.wait()
    assert not (workdir / "results/tables/auc.tsv").exists()
    plan = planned_jobs(output_of(workdir, "--dry-run"))
    # Everything before training finished and is kept; only training, the tables and figures
    # over the models, and the report's QC (which may not have run yet) remain.
    assert set(plan) <= {"train_model", *SUMMARIES, *QC}
    assert 1 <= plan["train_model"] <= 4  # two models on two cells
    run_workflow(workdir, "--unlock")  # a killed Snakemake leaves its lock behind
    run_workflow(workdir)
    resumed = pd.read_csv(workdir / "results/tables/auc.tsv", sep="\t")
    uninterrupted = pd.read_csv(finished / "results/tables/auc.tsv", sep="\t")
    pd.testing.assert_frame_equal(resumed[AUC_COLUMNS], uninterrupted[AUC_COLUMNS])
    for cell in ("E003", "E004"):
        name = f"results/models/deepchrome/{cell}/predictions.tsv"
        assert (workdir / name).read_text() == (finished / name).read_text()
