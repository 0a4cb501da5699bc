"""Run the workflow in a temporary copy of the repository's workflow files.

A workflow test copies the workflow (``workflow_copy``), layers small config overlays over the
shipped ``config/config.yaml`` and runs Snakemake there (``run_workflow``). A test that changes a
finished run works in its own copy of it (``copy_run``), so that the run can be shared.
"""

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "resources", "profiles", "envs", "src"]
BASE_CONFIG = "config/config.yaml"


def copy_workflow(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(
                source,
                destination / name,
                ignore=shutil.ignore_patterns("__pycache__", "remc", "demo-mirror"),
            )
        else:
            shutil.copy2(source, destination / name)
    return destination


def workflow_copy(destination: Path, overlays: dict[str, str]) -> Path:
    """A copy of the workflow in ``destination`` with each config overlay written there,
    ``{file name: YAML text}``."""
    copy_workflow(destination)
    for name, text in overlays.items():
        (destination / name).write_text(text)
    return destination


def snakemake(
    workdir: Path, *arguments: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "--cores", "2", *arguments]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
        )
    return result


def run_workflow(
    workdir: Path,
    *arguments: str,
    configs: Sequence[str] = ("small.yaml",),
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Snakemake in ``workdir`` with ``arguments``, the shipped config and then ``configs``
    layered on it in order (a later file's keys win)."""
    return snakemake(
        workdir, *arguments, "--configfile", BASE_CONFIG, *configs, check=check, env=env
    )


def copy_run(run: Path, destination: Path) -> Path:
    """A copy of a finished run for a test that changes it: results, Snakemake's records and the
    files' modification times (which decide what Snakemake reruns) as they were."""
    shutil.copytree(run, destination, symlinks=True)
    return destination


# Runs that several test files read, each configuration run once per session by the fixtures of
# conftest.py: an overlay over config/config.yaml (written as small.yaml) and the configs to layer.

# The demo end to end on two cells, report included. 600 genes -> 200 test genes per cell: the
# demo's generator gives a logistic regression on window totals a test AUC of about 0.83, and 12
# epochs take DeepChrome far from chance; interpretation is cut to a few steps and epochs.
DEMO_OVERLAY = """
cells: [E003, E004]
demo: {enabled: true, seed: 5, n_genes: 600}
training: {recipe: fast, epochs: 12, seed: 1}
interpret:
  enabled: true
  optimisation: {steps: 20}
  gan: {epochs: 5, samples_per_class: 50}
"""
DEMO_CONFIGS = ("small.yaml",)

# The demo's prediction (E005 from the E003 and E004 models, its expression held back) on 300
# genes, DeepChrome alone. keep_bams: test_workflow_prepare counts the BAMs again with bedtools
# multicov.
PREDICT_OVERLAY = """
demo: {enabled: true, seed: 3, n_genes: 300}
models: [deepchrome]
keep_bams: true
training: {recipe: fast, epochs: 3, seed: 1}
crosscell: {enabled: true, normalisations: [none], experiments: [pairwise]}
interpret: {enabled: false}
"""
PREDICT_CONFIGS = ("config/predict-demo.yaml", "small.yaml")

# One cell's demo data counted into its dataset (not trained), which the zoo and the splits tests
# each copy and train on: their overlays keep the cell, demo and counting settings of this one.
ONE_CELL_OVERLAY = """
cells: [E003]
demo: {enabled: true, seed: 7, n_genes: 300}
export_processed: false
"""
