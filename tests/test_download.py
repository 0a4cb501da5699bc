"""Downloads over a real loopback HTTP server."""

import gzip
import hashlib
import http.server
import threading
import time

import pytest

from chromexpr.download import download
from chromexpr.errors import DownloadError

PAYLOAD = gzip.compress(b"chr1\t10\t46\tN\t1000\t+\n" * 1000, mtime=0)
# Scripted faults in place of an HTTP status.
STALL, DROP, DROP_CHUNKED = "stall", "drop", "drop-chunked"
SERVES_RANGES, WRONG_RANGE = "serves-ranges", "wrong-range"
STALL_MID = "stall-mid"  # headers and half the body, then silence
STALL_SECONDS = 1.0


class Server:
    """Serves scripted responses per path: each request pops the next (status, body)."""

    def __init__(self):
        self.script: dict[str, list[tuple[int, bytes]]] = {}
        self.requests: list[str] = []
        self.ranges: list[str | None] = []  # the Range header of each request
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                outer.ranges.append(self.headers.get("Range"))
                status, body = outer.script[self.path].pop(0)
                if status == STALL:
                    time.sleep(STALL_SECONDS)  # longer than the client's time-out
                    return
                if status == STALL_MID:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    time.sleep(STALL_SECONDS)
                    return
                if status in (DROP, DROP_CHUNKED):
                    self.drop_mid_transfer(body, chunked=status == DROP_CHUNKED)
                    return
                if status == SERVES_RANGES:
                    self.serve_ranges(body)
                    return
                if status == WRONG_RANGE:  # the first 10 bytes, whatever was asked for
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes 0-9/{len(body)}")
                    self.send_header("Content-Length", "10")
                    self.end_headers()
                    self.wfile.write(body[:10])
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def drop_mid_transfer(self, body, chunked):
                """Announce the whole body, send half of it, then close the connection."""
                self.send_response(200)
                self.send_header("ETag", etag(body))
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                half = body[: len(body) // 2]
                if chunked:
                    half = f"{len(half):x}\r\n".encode() + half + b"\r\n"
                self.wfile.write(half)
                self.wfile.flush()
                self.close_connection = True

            def serve_ranges(self, body):
                """Honour ``Range`` while ``If-Range`` still names this body, as Apache does."""
                wanted = self.headers.get("Range", "")
                start = 0
                if wanted and self.headers.get("If-Range") == etag(body):
                    start = int(wanted.removeprefix("bytes=").removesuffix("-"))
                self.send_response(206 if start else 200)
                self.send_header("ETag", etag(body))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


def etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:16]}"'


@pytest.fixture
def server():
    served = Server()
    yield served
    served.httpd.shutdown()


def fetch(url, destination, **options):
    return download(url, destination, backoff_seconds=0.01, **options)


def test_server_error_is_retried_then_succeeds(server, tmp_path):
    server.script["/x.gz"] = [(500, b"oops"), (200, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert len(server.requests) == 2


def test_not_found_fails_at_once_naming_the_url(server, tmp_path):
    server.script["/missing.gz"] = [(404, b"no")]
    with pytest.raises(DownloadError, match=r"missing.gz: HTTP 404"):
        fetch(f"{server.url}/missing.gz", tmp_path / "m.gz")
    assert len(server.requests) == 1
    assert list(tmp_path.iterdir()) == []


def test_persistent_server_errors_fail_after_the_retries(server, tmp_path):
    server.script["/x.gz"] = [(503, b"busy")] * 3
    with pytest.raises(DownloadError, match="failed after 3 attempts"):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz", retries=2)
    assert list(tmp_path.iterdir()) == []


def test_truncated_gzip_is_rejected_and_leaves_no_file(server, tmp_path):
    server.script["/x.gz"] = [(200, PAYLOAD[:-100])]
    with pytest.raises(DownloadError, match="incomplete or corrupt"):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert list(tmp_path.iterdir()) == []


def test_html_instead_of_gzip_is_rejected(server, tmp_path):
    server.script["/x.gz"] = [(200, b"<html><body>Service unavailable</body></html>")]
    with pytest.raises(DownloadError, match="expected gzip"):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz")


def test_empty_file_is_rejected(server, tmp_path):
    server.script["/genes.txt"] = [(200, b"")]
    with pytest.raises(DownloadError, match="empty"):
        fetch(f"{server.url}/genes.txt", tmp_path / "genes.txt")


def test_a_failed_download_keeps_the_file_already_there(server, tmp_path):
    (tmp_path / "x.gz").write_bytes(PAYLOAD)
    server.script["/x.gz"] = [(200, PAYLOAD[:50])]
    with pytest.raises(DownloadError):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD


def test_relative_file_url_is_read_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "x.gz").write_bytes(PAYLOAD)
    monkeypatch.chdir(tmp_path)
    fetch("file:mirror/x.gz", tmp_path / "out" / "x.gz")
    assert (tmp_path / "out" / "x.gz").read_bytes() == PAYLOAD


def test_absolute_file_url_is_read(tmp_path):
    (tmp_path / "x.gz").write_bytes(PAYLOAD)
    fetch(f"file://{tmp_path}/x.gz", tmp_path / "copy.gz")
    assert (tmp_path / "copy.gz").read_bytes() == PAYLOAD


def test_missing_local_file_names_the_url(tmp_path):
    with pytest.raises(DownloadError, match="file:nowhere/x.gz: no such file"):
        fetch("file:nowhere/x.gz", tmp_path / "x.gz")


def test_a_time_out_is_retried_then_succeeds(server, tmp_path):
    server.script["/x.gz"] = [(STALL, b""), (200, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz", timeout_seconds=0.2)
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert len(server.requests) == 2


def test_persistent_time_outs_fail_after_the_retries_naming_the_url(server, tmp_path):
    server.script["/x.gz"] = [(STALL, b"")] * 2
    with pytest.raises(DownloadError, match=r"x.gz: failed after 2 attempts: .*timed out"):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz", retries=1, timeout_seconds=0.2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fault", [DROP, DROP_CHUNKED])
def test_a_dropped_connection_restarts_from_the_start_on_a_server_without_ranges(
    server, tmp_path, fault
):
    server.script["/x.gz"] = [(fault, PAYLOAD), (200, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert len(server.requests) == 2


@pytest.mark.parametrize("fault", [DROP, DROP_CHUNKED])
def test_connections_dropped_on_every_attempt_fail_and_leave_no_partial_file(
    server, tmp_path, fault
):
    server.script["/x.gz"] = [(fault, PAYLOAD)] * 2
    with pytest.raises(DownloadError, match="failed after 2 attempts"):
        fetch(f"{server.url}/x.gz", tmp_path / "x.gz", retries=1)
    assert list(tmp_path.iterdir()) == []


def test_a_dropped_plain_text_download_is_caught_by_its_content_length(server, tmp_path):
    text = b"ENSG1\t1\t100\t200\t1\tprotein_coding\tA\tdesc\n" * 200
    server.script["/gene_info"] = [(DROP, text)] * 2
    with pytest.raises(DownloadError, match="connection closed after"):
        fetch(f"{server.url}/gene_info", tmp_path / "gene_info", retries=1)
    assert list(tmp_path.iterdir()) == []


def test_a_download_killed_mid_transfer_leaves_only_a_hidden_part_file_that_a_rerun_removes(
    server, tmp_path
):
    # What a kill -9 leaves: atomic_path's temporary file, never the final name.
    stale = tmp_path / ".x.gz.k1ll3d00.part.gz"
    stale.write_bytes(PAYLOAD[:100])
    server.script["/x.gz"] = [(200, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.gz"]


def test_a_retry_after_a_dropped_connection_resumes_where_it_stopped(server, tmp_path):
    server.script["/x.gz"] = [(DROP, PAYLOAD), (SERVES_RANGES, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={len(PAYLOAD) // 2}-"]


def test_a_file_changed_on_the_server_between_attempts_is_fetched_whole_again(server, tmp_path):
    changed = gzip.compress(b"chr2\t10\t46\tN\t1000\t-\n" * 1000, mtime=0)
    server.script["/x.gz"] = [(DROP, PAYLOAD), (SERVES_RANGES, changed)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == changed


def test_a_part_of_the_file_other_than_the_one_asked_for_is_never_kept(server, tmp_path):
    server.script["/x.gz"] = [(DROP, PAYLOAD), (WRONG_RANGE, PAYLOAD), (200, PAYLOAD)]
    fetch(f"{server.url}/x.gz", tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={len(PAYLOAD) // 2}-", None]


def test_a_stalled_server_fails_at_the_stall_limit_not_after_every_retry(server, tmp_path):
    server.script["/x.gz"] = [(STALL, b"")] * 5
    started = time.monotonic()
    with pytest.raises(
        DownloadError, match=r"x.gz: nothing received for .* download.stall_limit_seconds 0.5"
    ):
        download(
            f"{server.url}/x.gz",
            tmp_path / "x.gz",
            retries=4,
            backoff_seconds=0.1,
            timeout_seconds=0.2,
            stall_limit_seconds=0.5,
        )
    assert len(server.requests) == 2 and time.monotonic() - started < 1.5


@pytest.mark.parametrize("fault", [STALL, STALL_MID])
def test_a_silent_server_fails_at_the_stall_limit_within_one_attempt(server, tmp_path, fault):
    """A server that goes quiet (before the headers or mid-body) holds the download for the
    stall limit, not for timeout_seconds: the limit is the attempt's read time-out too."""
    server.script["/x.gz"] = [(fault, PAYLOAD)] * 5
    started = time.monotonic()
    with pytest.raises(
        DownloadError, match=r"x.gz: nothing received for .* download.stall_limit_seconds 0.3"
    ):
        fetch(
            f"{server.url}/x.gz",
            tmp_path / "x.gz",
            timeout_seconds=30,
            stall_limit_seconds=0.3,
        )
    assert time.monotonic() - started < 0.8 * STALL_SECONDS
    assert list(tmp_path.iterdir()) == []


def test_a_failed_new_url_keeps_the_cached_download_and_the_old_url_costs_no_fetch(
    server, tmp_path
):
    cache = tmp_path / "cache"
    server.script["/good.gz"] = [(200, PAYLOAD)]
    server.script["/wrong.gz"] = [(404, b"no")]
    fetch(f"{server.url}/good.gz", tmp_path / "x.gz", cache_dir=cache)
    (tmp_path / "x.gz").unlink()  # Snakemake deletes the output before the job runs
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{server.url}/wrong.gz", tmp_path / "x.gz", cache_dir=cache)
    fetch(f"{server.url}/good.gz", tmp_path / "x.gz", cache_dir=cache)
    assert (tmp_path / "x.gz").read_bytes() == PAYLOAD
    assert server.requests == ["/good.gz", "/wrong.gz"]
