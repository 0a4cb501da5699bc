"""Downloads over a real loopback HTTP server."""

import gzip
import http.server
import threading

import pytest

from chromexpr.download import download
from chromexpr.errors import DownloadError

PAYLOAD = gzip.compress(b"chr1\t10\t46\tN\t1000\t+\n" * 1000, mtime=0)


class Server:
    """Serves scripted responses per path: each request pops the next (status, body)."""

    def __init__(self):
        self.script: dict[str, list[tuple[int, bytes]]] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                status, body = outer.script[self.path].pop(0)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    served = Server()
    yield served
    served.httpd.shutdown()


def fetch(url, destination, **options):
    return download(url, destination, backoff_seconds=0.01, log=lambda _: None, **options)


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
