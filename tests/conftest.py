import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

needs_bedtools = pytest.mark.skipif(
    shutil.which("bedtools") is None, reason="bedtools is not installed (make setup installs it)"
)


@pytest.fixture
def repo() -> Path:
    return REPO
