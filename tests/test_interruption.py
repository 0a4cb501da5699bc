"""kill -9 in the middle of counting and of training: the rerun finishes with the same results.

One small demo (one cell, 300 genes) runs uninterrupted as the reference. A second copy is
killed (SIGKILL to Snakemake's whole process group) once a counting job has started, then again
in the middle of training, after the training job saved its state (``last.pt``, every 10
epochs); each time, every output file present under its final name must equal the reference's
(no truncated file looks complete), and ``snakemake --unlock`` followed by
``--rerun-incomplete`` must finish the work with results identical to the reference, the
training resumed from ``last.pt``.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .check_determinism import differences, result_files
from .workflow_helpers import BASE_CONFIG, run_workflow, workflow_copy

pytestmark = [pytest.mark.workflow]

# The published recipe (batch 1) makes each epoch long enough to be killed in; bam: false keeps
# the run lean (counting reads the tagAlign directly).
SMALL_DEMO = """
cells: [E003]
demo: {enabled: true, seed: 3, n_genes: 300}
bam: false
export_processed: false
crosscell: {enabled: false}
interpret: {enabled: false}
training: {recipe: published, epochs: 25, seed: 1, device: cpu}
"""
TARGET = "results/models/deepchrome/E003/metrics.json"
CONFIG = ("--configfile", BASE_CONFIG, "small.yaml")
LAST = "results/models/deepchrome/E003/last.pt"
PATIENCE_SECONDS = 300


def run_until_then_kill(workdir, ready, *extra):
    """Start Snakemake in its own process group; SIGKILL the group once ``ready()`` is true."""
    with open(workdir / "snakemake.out", "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "2", *extra, TARGET, *CONFIG],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + PATIENCE_SECONDS
    try:
        while not ready():
            if process.poll() is not None:
                raise AssertionError(
                    "finished before it could be killed:\n"
                    + (workdir / "snakemake.out").read_text()
                )
            if time.monotonic() > deadline:
                raise AssertionError("never reached the point to kill at")
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def started_jobs(workdir, rule):
    """Output files of the jobs of ``rule`` that Snakemake has started so far (from its log)."""
    text = (workdir / "snakemake.out").read_text()
    blocks = re.findall(rf"rule {rule}:\n(.*?)\n\n", text, flags=re.DOTALL)
    return [name for block in blocks for name in re.findall(r"output: (.*)", block)[0].split(", ")]


def counting_now(workdir):
    """Whether a counting job has opened its log (its script is running) and not yet finished."""
    return any(
        (workdir / f"logs/counts/{Path(name).stem}.log").exists() and not (workdir / name).exists()
        for name in started_jobs(workdir, "count_reads")
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workdir = workflow_copy(tmp_path_factory.mktemp("reference"), {"small.yaml": SMALL_DEMO})
    run_workflow(workdir, TARGET)
    return workdir


def assert_outputs_present_are_complete(workdir, reference):
    # last.pt is an unfinished job's state, not a result: the reference has none.
    present = [name for name in result_files(workdir) if name != LAST]
    assert present, "nothing was written before the kill"
    assert differences(reference, workdir, present) == []


def test_kill_9_during_counting_then_training_reruns_to_identical_results(reference, tmp_path):
    workdir = workflow_copy(tmp_path, {"small.yaml": SMALL_DEMO})

    run_until_then_kill(workdir, lambda: counting_now(workdir))
    counting = started_jobs(workdir, "count_reads")
    assert not all((workdir / name).exists() for name in counting), "killed after counting ended"
    assert_outputs_present_are_complete(workdir, reference)
    run_workflow(workdir, "--unlock")

    train_log = workdir / "logs/train/models/deepchrome/E003.log"
    run_until_then_kill(
        workdir,
        lambda: train_log.exists() and "epoch 12/" in train_log.read_text(),
        "--rerun-incomplete",
    )
    assert not (workdir / TARGET).exists(), "killed after training ended"
    assert not (workdir / "results/models/deepchrome/E003/model.pt").exists()
    assert (workdir / LAST).exists()
    assert_outputs_present_are_complete(workdir, reference)
    run_workflow(workdir, "--unlock")

    run_workflow(workdir, "--rerun-incomplete", TARGET)
    assert "resuming after epoch 10" in train_log.read_text()
    # Every result equals the reference's, and last.pt is gone (the reference has none).
    assert differences(reference, workdir) == []
    leftovers = [p for p in workdir.rglob(".*.part*") if ".snakemake" not in p.parts]
    assert leftovers == []
