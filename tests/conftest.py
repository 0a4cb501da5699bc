import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
