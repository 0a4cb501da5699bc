"""Atomic file writes: a reader never sees a partial output under its final name."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    ``suffix`` keeps the extension some writers insist on (``numpy.savez`` appends ``.npz``).
    The temporary file is hidden (``.{name}.XXXXXXXX.part{suffix}``). One left behind by a writer
    that was killed (``kill -9`` skips the clean-up) is removed by the next write of ``path``;
    a path has one writer at a time (Snakemake runs one job per output).
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp's random part is 8 characters: the pattern cannot match the temporary file of
    # another output whose name merely starts with this one's (x and x.b).
    stale_pattern = f".{glob.escape(final.name)}.{'?' * 8}.part{glob.escape(suffix)}"
    for stale in final.parent.glob(stale_pattern):
        stale.unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.name}.", suffix=f".part{suffix}", dir=final.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates the file 0600; give the final file the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_tsv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    index: bool = False,
    header: bool = True,
    float_format: str | None = None,
) -> None:
    """``table`` as tab-separated text at ``path``, atomically: the package's one table writer.

    Floats as pandas writes them (shortest repr) unless ``float_format`` says otherwise;
    ``header=False`` writes the rows alone (BED).
    """
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=index, header=header, float_format=float_format)
