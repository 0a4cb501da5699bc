"""Progress logging: the package logs through stdlib ``logging``; the adapters choose where to.

Every module of the package has ``logger = logging.getLogger(__name__)`` and logs progress with
``logger.info``. Nothing in the package configures handlers: a workflow script wraps its work in
``step_log(snakemake.log[0])``, the CLI in ``step_log(None)`` (the terminal), and a library user
configures ``logging`` as they like.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator

from chromexpr.errors import ChromexprError

PACKAGE_LOGGER = "chromexpr"


class _ElapsedFormatter(logging.Formatter):
    """``[HH:MM:SS +   12.3s] message``: wall-clock time and seconds since the step began."""

    def __init__(self) -> None:
        super().__init__()
        self.start = time.monotonic()

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"[{stamp} +{time.monotonic() - self.start:7.1f}s] {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


@contextlib.contextmanager
def step_log(path: str | None) -> Iterator[logging.Logger]:
    """Send the package's log records to ``path`` (stderr when ``None``) inside the block.

    Yields the package logger, for the adapter's own lines. Lines are timestamped and flushed
    as they come, so a Snakemake log shows progress while a job runs. An exception escaping the
    block is logged with its traceback before it propagates, so the log says why a job failed
    (on the terminal, a ChromexprError is left to the command line, which prints its message
    alone); a block that completes ends with ``done``. With a ``path``, warnings also go to stderr.
    """
    logger = logging.getLogger(PACKAGE_LOGGER)
    handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ElapsedFormatter())
    previous_level = logger.level
    logger.addHandler(handler)
    # A job's log file is read when something fails; warnings also go to the console (a job's
    # stderr), where a run that completes still shows them. Errors stay in the file: Snakemake
    # prints the failing job's traceback itself.
    console = logging.StreamHandler(sys.stderr) if path else None
    if console:
        console.addFilter(lambda record: record.levelno == logging.WARNING)
        console.setFormatter(_ElapsedFormatter())
        logger.addHandler(console)
    logger.setLevel(logging.INFO)
    try:
        yield logger
        logger.info("done")
    except BaseException as error:
        if path or not isinstance(error, ChromexprError):
            logger.error("FAILED: %s: %s", type(error).__name__, error, exc_info=True)
        raise
    finally:
        logger.removeHandler(handler)
        if console:
            logger.removeHandler(console)
        logger.setLevel(previous_level)
        handler.close()
