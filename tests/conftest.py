import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
