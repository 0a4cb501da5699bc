"""Fetch one file over http(s) or from a ``file:`` URL: retries with backoff, atomic, verified.

A ``file:`` URL may be absolute (``file:///data/x.gz``) or relative to the working directory
(``file:resources/demo-mirror/x.gz``), which is how the embedded demo serves its mirror.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

from chromexpr.atomic import atomic_path
from chromexpr.errors import DownloadError

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
# Client errors that will not change on a retry; 408 (timeout) and 429 (rate limit) may.
_PERMANENT_HTTP = {400, 401, 403, 404, 405, 410, 414, 451}


class _RetryableError(Exception):
    pass


class _Progress:
    """When the last byte arrived, over all attempts of one download (monotonic seconds)."""

    def __init__(self) -> None:
        self.last_byte = time.monotonic()

    def byte_arrived(self) -> None:
        self.last_byte = time.monotonic()

    def stalled_for(self) -> float:
        return time.monotonic() - self.last_byte


def _copy_stream(
    source, target, url: str, done: int, total: int | None, progress: _Progress
) -> int:
    """Append ``source`` to ``target``; ``done`` bytes of ``total`` were there already."""
    written, next_report = done, 0.1 * (1 + int(10 * done / total)) if total else 0.1
    while chunk := source.read(CHUNK_BYTES):
        progress.byte_arrived()
        target.write(chunk)
        written += len(chunk)
        if total and written / total >= next_report:
            logger.info(f"{url}: {written / 1e6:.1f} / {total / 1e6:.1f} MB")
            next_report += 0.1
    return written


def _resumes_at(response, offset: int) -> bool:
    """Whether ``response`` is the part of the file from byte ``offset`` on (HTTP 206)."""
    content_range = response.headers.get("Content-Range", "")
    return response.status == 206 and content_range.startswith(f"bytes {offset}-")


def _fetch_once(
    url: str,
    target: Path,
    timeout: float,
    validator: dict[str, str],
    progress: _Progress,
) -> None:
    """One attempt. Bytes already in ``target`` from an earlier attempt are resumed from.

    The request asks for the rest of the file (``Range``) only while the file is unchanged
    (``If-Range`` with the ETag or Last-Modified kept in ``validator`` by the first response);
    a server that answers with the whole file (200) is simply read from the start again.
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = Path(urllib.parse.unquote(parsed.netloc + parsed.path))
        if not path.is_file():
            raise DownloadError(url, f"no such file {path}")
        shutil.copyfile(path, target)
        return
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(
            url, f"unsupported URL scheme {parsed.scheme!r} (use http, https or file)"
        )
    offset = target.stat().st_size if validator else 0
    headers = {"User-Agent": "chromexpr"}
    if offset:
        headers.update({"Range": f"bytes={offset}-", "If-Range": next(iter(validator.values()))})
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if offset and _resumes_at(response, offset):
                logger.info(f"{url}: resuming after {offset / 1e6:.1f} MB")
            elif response.status == 206:  # a part we did not ask for: never keep it as the file
                validator.clear()
                raise _RetryableError(
                    f"unexpected partial content {response.headers.get('Content-Range')!r}"
                )
            else:
                offset = 0
                validator.clear()
                for name in ("ETag", "Last-Modified"):
                    if response.headers.get(name):
                        validator[name] = response.headers[name]
                        break
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length and length.isdigit() else None
            with open(target, "ab" if offset else "wb") as out:
                written = _copy_stream(response, out, url, offset, total, progress)
            if total is not None and written != total:
                raise _RetryableError(f"connection closed after {written} of {total} bytes")
    except urllib.error.HTTPError as error:
        if error.code in _PERMANENT_HTTP:
            raise DownloadError(url, f"HTTP {error.code} {error.reason} (not retried)") from error
        if error.code == 416:  # the range cannot be served: start from byte 0 next time
            validator.clear()
        raise _RetryableError(f"HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise _RetryableError(str(getattr(error, "reason", error))) from error
    except http.client.HTTPException as error:  # IncompleteRead: a chunked body cut short
        raise _RetryableError(f"connection dropped mid-transfer: {error!r}") from error


def check_gzip_complete(path: str | os.PathLike[str], url: str) -> None:
    """Decompress the whole file: a truncated or non-gzip body (an HTML error page) is rejected."""
    with open(path, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            raise DownloadError(url, "expected gzip data, got something else (an HTML error page?)")
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(CHUNK_BYTES):
                pass
    except (EOFError, OSError, zlib.error) as error:
        raise DownloadError(url, f"gzip stream is incomplete or corrupt: {error}") from error


def cached_file(cache_dir: str | os.PathLike[str], url: str, destination: Path) -> Path:
    """Where the download of ``url`` is kept in ``cache_dir``: named by a hash of the URL (and
    the destination's name, for people reading the folder)."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{key}-{destination.name}"


def link_or_copy(source: Path, destination: Path) -> None:
    """``destination`` as a hard link to ``source`` (no second copy on disk), a copy across
    file systems; atomic either way."""
    with atomic_path(destination, suffix=destination.suffix) as tmp:
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def folder_url(folder: str, file: str) -> str:
    """The URL of ``file`` inside ``folder``, given as a URL or as a local path."""
    base = folder if "://" in folder or folder.startswith("file:") else f"file:{folder}"
    return f"{base.rstrip('/')}/{file}"


def download(
    url: str,
    destination: str | os.PathLike[str],
    retries: int = 4,
    backoff_seconds: float = 2.0,
    timeout_seconds: float = 120.0,
    expect_gzip: bool | None = None,
    stall_limit_seconds: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Fetch ``url`` to ``destination``; nothing appears there unless the whole file arrived.

    Server errors (5xx), time-outs and dropped connections are retried ``retries`` times with
    exponential backoff; a retry resumes where the last attempt stopped (HTTP ``Range``) when
    the server supports it. Permanent client errors (404) fail at once. ``expect_gzip``
    (default: the destination ends in ``.gz``) verifies the gzip stream end to end.

    ``timeout_seconds`` ends an attempt that receives nothing for that long;
    ``stall_limit_seconds`` ends the download once nothing has arrived for that long over all
    attempts and waits, within an attempt too (each attempt's read time-out is at most what is
    left of it), so a silent server cannot hold it for ``timeout_seconds``; a slow transfer that
    keeps receiving is never cut off.

    With ``cache_dir``, an http(s) download is kept there under a name keyed by its URL and
    ``destination`` is linked to it: a file already fetched from the same URL is not fetched
    again, so a changed URL that fails, or one changed back, costs no re-download. ``file:``
    URLs are copied every time (a local file can change under the same name).
    """
    destination = Path(destination)
    if cache_dir is not None and urllib.parse.urlparse(url).scheme in ("http", "https"):
        cached = cached_file(cache_dir, url, destination)
        if cached.is_file():
            logger.info(f"{url}: already downloaded, {cached}")
        else:
            _fetch(
                url,
                cached,
                retries,
                backoff_seconds,
                timeout_seconds,
                stall_limit_seconds,
                destination.suffix == ".gz" if expect_gzip is None else expect_gzip,
            )
        link_or_copy(cached, destination)
    else:
        _fetch(
            url,
            destination,
            retries,
            backoff_seconds,
            timeout_seconds,
            stall_limit_seconds,
            destination.suffix == ".gz" if expect_gzip is None else expect_gzip,
        )
    logger.info(f"wrote {destination} ({destination.stat().st_size / 1e6:.1f} MB)")
    return destination


def _fetch(
    url: str,
    destination: Path,
    retries: int,
    backoff_seconds: float,
    timeout_seconds: float,
    stall_limit_seconds: float | None,
    expect_gzip: bool,
) -> None:
    """``download`` without the cache: fetch ``url`` to ``destination`` with retries."""
    attempts = retries + 1
    validator: dict[str, str] = {}  # ETag or Last-Modified of the file being fetched
    progress = _Progress()
    with atomic_path(destination, suffix=destination.suffix) as tmp:
        for attempt in range(1, attempts + 1):
            logger.info(f"downloading {url} (attempt {attempt}/{attempts})")
            timeout = timeout_seconds
            if stall_limit_seconds is not None:
                timeout = min(timeout, max(stall_limit_seconds - progress.stalled_for(), 0.01))
            try:
                _fetch_once(url, tmp, timeout, validator, progress)
                break
            except _RetryableError as error:
                if attempt == attempts:
                    raise DownloadError(
                        url, f"failed after {attempts} attempts: {error}"
                    ) from error
                wait = backoff_seconds * 2 ** (attempt - 1)
                if (
                    stall_limit_seconds is not None
                    and progress.stalled_for() + wait >= stall_limit_seconds
                ):
                    raise DownloadError(
                        url,
                        f"nothing received for {progress.stalled_for():.1f} s over {attempt} "
                        f"attempts; another would pass download.stall_limit_seconds "
                        f"{stall_limit_seconds:g}: {error}",
                    ) from error
                logger.info(f"{url}: {error}; retrying in {wait:.1f} s")
                time.sleep(wait)
        if tmp.stat().st_size == 0:
            raise DownloadError(url, "the file is empty")
        if expect_gzip:
            check_gzip_complete(tmp, url)
