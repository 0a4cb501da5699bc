"""External tools: bedtools through pybedtools, with a private temporary folder per call."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pybedtools

from chromexpr.errors import ToolError


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(
            f"'{name}' is not on PATH: install it (Debian/Ubuntu: apt-get install {name}; "
            f"conda: the envs/ files) and retry"
        )
    return path


@contextlib.contextmanager
def pybedtools_workdir(parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A temporary folder that pybedtools writes its files into, removed afterwards.

    ``pybedtools.set_tempdir`` changes the process-wide ``tempfile.tempdir``; it is restored on
    exit so later temporary folders do not land inside a deleted one.
    """
    previous = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="chromexpr-", dir=parent) as workdir:
        pybedtools.set_tempdir(workdir)
        try:
            yield Path(workdir)
        finally:
            pybedtools.cleanup()
            tempfile.tempdir = previous
