"""One exception type per failure kind; every message names the file, line, key or URL."""

from collections.abc import Iterator
from contextlib import contextmanager


class ChromexprError(Exception):
    """Base class of every error chromexpr raises on purpose."""


class InputFormatError(ChromexprError):
    """A file does not follow its format. The message names the file and, where known, the line."""

    def __init__(self, path: object, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.message = message
        self.line = line


@contextmanager
def named_as(copy: object, source: object, made_by: str = "downloaded to") -> Iterator[None]:
    """Re-raise an InputFormatError about ``copy`` (the workflow's download of a file, or a
    sorted copy of it: ``made_by`` says which) naming ``source``, the file or URL the user gave,
    with the copy in brackets."""
    try:
        yield
    except InputFormatError as error:
        if str(error.path) != str(copy) or str(source) == str(copy):
            raise
        raise InputFormatError(f"{source} ({made_by} {copy})", error.message, error.line) from error


class ConfigError(ChromexprError):
    """A configuration value is invalid. The message names the key and, where known, where it
    was set (``origin``: "set in config/config.yaml", "set in --config", "not set in any config
    file"); the checks of :mod:`chromexpr.config` add the origin to every error they raise."""

    def __init__(self, key: str, message: str, origin: str | None = None) -> None:
        where = f" ({origin})" if origin else ""
        super().__init__(f"config key '{key}': {message}{where}")
        self.key = key
        self.message = message
        self.origin = origin


class DownloadError(ChromexprError):
    """A download failed for good (after retries where retrying makes sense)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class ToolError(ChromexprError):
    """An external tool (bedtools, samtools) failed or is missing."""


class TrainingError(ChromexprError):
    """Training cannot go on (NaN loss, a single-class split); names the model, cell and epoch."""


class LabelError(ChromexprError):
    """Expression values cannot be labelled high / low (every value equal to the median); names
    the file, the sample and its share of zeros."""


class DatasetMismatchError(ChromexprError):
    """Datasets, or a model and a dataset, that must line up (genes, split, marks, bins) do not;
    the message names both."""


class LeakageError(ChromexprError):
    """A gene a model was trained or selected on is among the test genes it is scored on."""


def preview(values: object) -> str:
    """A short text of a sequence for messages: all of it up to 6 values, else the first 6."""
    shown = list(values.tolist() if hasattr(values, "tolist") else values)
    return str(shown) if len(shown) <= 6 else f"{shown[:6]}... ({len(shown)} values)"
