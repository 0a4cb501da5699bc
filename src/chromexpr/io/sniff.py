"""Does a file's content match the format the sample sheet declares for it?

Checked from the first bytes, before any reader sees the file, so that a BAM that is gzip text
or a bigWig that is an HTML error page is named as such, not as a parse failure deep inside a
library.
"""

from __future__ import annotations

import gzip
import os
import zlib
from typing import TextIO

from chromexpr.errors import InputFormatError

GZIP_MAGIC = b"\x1f\x8b"
BAM_MAGIC = b"BAM\x01"
BIGWIG_MAGIC = (b"\x26\xfc\x8f\x88", b"\x88\x8f\xfc\x26")  # little- and big-endian


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with the gzip magic (whatever its name)."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """The file as text, gunzipped where it starts with the gzip magic (whatever its name)."""
    return gzip.open(path, "rt") if is_gzip(path) else open(path)


def _describe(head: bytes, decompressed: bytes | None) -> str:
    """What the first bytes look like, for a message."""
    if head.startswith(BIGWIG_MAGIC):
        return "a bigWig"
    if decompressed is not None and decompressed.startswith(BAM_MAGIC):
        return "a BAM"
    text = decompressed if decompressed is not None else head
    if text.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page (an error page from the server?)"
    prefix = "gzip-compressed " if decompressed is not None else ""
    if not text:
        return f"{prefix}empty"
    if all(32 <= byte < 127 or byte in (9, 10, 13) for byte in text[:64]):
        return f"{prefix}text starting {text[:40].decode('ascii')!r}"
    return f"{prefix}binary data"


def _start(path: str | os.PathLike[str]) -> tuple[bytes, bytes | None]:
    """The first bytes, and the first decompressed bytes where the file is gzip."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head.startswith(GZIP_MAGIC):
        return head, None
    try:
        with gzip.open(path, "rb") as handle:
            return head, handle.read(64)
    except (EOFError, OSError, zlib.error):
        return head, b""


def check_declared_format(path: str | os.PathLike[str], file_format: str) -> None:
    """Raise InputFormatError naming ``path`` where its content is not ``file_format``
    (tagalign, bed: text, gzip or not; bam; bigwig)."""
    head, decompressed = _start(path)
    if file_format == "bam":
        matches = decompressed is not None and decompressed.startswith(BAM_MAGIC)
    elif file_format == "bigwig":
        matches = head.startswith(BIGWIG_MAGIC)
    else:
        description = _describe(head, decompressed)
        matches = "text" in description
    if not matches:
        raise InputFormatError(
            path, f"declared format {file_format}, but the file is {_describe(head, decompressed)}"
        )
