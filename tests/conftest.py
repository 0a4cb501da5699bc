import shutil
from pathlib import Path

import pytest

from .workflow_helpers import (
    DEMO_CONFIGS,
    DEMO_OVERLAY,
    ONE_CELL_OVERLAY,
    PREDICT_CONFIGS,
    PREDICT_OVERLAY,
    REPO,
    run_workflow,
    workflow_copy,
)


def pytest_configure(config):
    """Tests that train in this process use one thread, as the workflow's training and
    interpretation jobs do (``threads: 1``): the numbers they check are the ones the workflow
    gives, and a loaded machine slows them proportionally instead of tenfold."""
    try:
        import torch
    except ImportError:  # the core tests run without the train extra
        return
    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``bedtools`` need the real binaries; say so plainly where they are missing."""
    missing = [tool for tool in ("bedtools", "samtools") if shutil.which(tool) is None]
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"{', '.join(missing)} not installed (make setup installs them)")
    for item in items:
        if "bedtools" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The two-cell demo run to its end (``DEMO_OVERLAY``) with its report as report.html and
    report.zip, shared by test_workflow_train and test_workflow_interpret; read-only."""
    workdir = workflow_copy(tmp_path_factory.mktemp("demo"), {"small.yaml": DEMO_OVERLAY})
    run_workflow(workdir, configs=DEMO_CONFIGS)
    run_workflow(workdir, "--report", "report.html", configs=DEMO_CONFIGS)
    run_workflow(workdir, "--report", "report.zip", configs=DEMO_CONFIGS)
    return workdir


@pytest.fixture(scope="session")
def predict_run(tmp_path_factory) -> Path:
    """The demo's prediction run to its end (``PREDICT_OVERLAY``), shared by
    test_workflow_predict, test_workflow_prepare and test_workflow_side_by_side: tests may add
    outputs and overlays to it; a test that changes an input or an output works in a copy
    (``copy_run``)."""
    workdir = workflow_copy(tmp_path_factory.mktemp("predict"), {"small.yaml": PREDICT_OVERLAY})
    run_workflow(workdir, configs=PREDICT_CONFIGS)
    return workdir


@pytest.fixture(scope="session")
def one_cell_dataset(tmp_path_factory) -> Path:
    """A run of ``ONE_CELL_OVERLAY`` up to results/datasets/E003.npz, for the zoo and the
    splits tests to copy (``copy_run``) and train in."""
    workdir = workflow_copy(tmp_path_factory.mktemp("one-cell"), {"small.yaml": ONE_CELL_OVERLAY})
    run_workflow(workdir, "results/datasets/E003.npz")
    return workdir
