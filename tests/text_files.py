"""Input files the unit tests write from text."""

import gzip
from pathlib import Path


def write(path: Path, text: str, gz: bool = False) -> Path:
    """``text`` written to ``path``, gzip-compressed if ``gz``; returns ``path``."""
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path
