"""Progress logging for workflow scripts: a rule's log file, or the terminal outside Snakemake."""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def step_log(path: str | None) -> Iterator[Callable[[str], None]]:
    """Yield ``log(message)``: timestamped, flushed lines to ``path`` (stderr when ``None``).

    An exception escaping the block is written to the log before it propagates, so the rule's
    log says why the job failed.
    """
    with open(path, "a") if path else contextlib.nullcontext(sys.stderr) as handle:
        yield from _logging_to(handle)


def _logging_to(handle) -> Iterator[Callable[[str], None]]:
    start = time.monotonic()

    def log(message: str) -> None:
        print(
            f"[{time.strftime('%H:%M:%S')} +{time.monotonic() - start:7.1f}s] {message}",
            file=handle,
            flush=True,
        )

    try:
        yield log
        log("done")
    except BaseException as error:
        log(f"FAILED: {type(error).__name__}: {error}")
        handle.write(traceback.format_exc())
        raise
