"""The preview server: a real HTTP server on 127.0.0.1, attacked and loaded for real."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import wait_until

from sitegen.serve import CLIENT_PATH, EVENTS_PATH, PreviewServer, resolve


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """A small output folder, a secret next to it, and a symlink pointing out."""
    site = tmp_path / "site"
    (site / "papers" / "a").mkdir(parents=True)
    (site / "index.html").write_text("<html><body><h1>Home</h1></body></html>")
    (site / "papers" / "a" / "index.html").write_text("<html><body>Paper A</body></html>")
    (site / "404.html").write_text("<html><body>Custom not found</body></html>")
    (site / "style.css").write_text("body{}")
    (site / "app.js").write_text("1")
    (site / "papers.json").write_text("[]")
    (site / "feed.xml").write_text("<feed/>")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", site / "leak.txt")
    return site


@pytest.fixture
def server(output: Path) -> Iterator[PreviewServer]:
    """A running server on a free port."""
    srv = PreviewServer(output, "127.0.0.1", 0)
    srv.start()
    yield srv
    srv.stop()


def get(server: PreviewServer, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """Send one raw request (the path is sent exactly as given)."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.putrequest(method, path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def test_binds_loopback_by_default(output: Path) -> None:
    srv = PreviewServer(output, port=0)
    try:
        assert srv.server_address[0] == "127.0.0.1"
    finally:
        srv.server_close()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/papers/a/", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/papers.json", "application/json"),
        ("/feed.xml", "application/xml"),
    ],
)
def test_serves_files_with_content_types(server: PreviewServer, path: str, kind: str) -> None:
    status, headers, _ = get(server, path)
    assert status == 200
    assert headers["Content-Type"] == kind


def test_directory_without_slash_redirects(server: PreviewServer) -> None:
    status, headers, _ = get(server, "/papers/a")
    assert status == 301 and headers["Location"] == "/papers/a/"
    status, headers, _ = get(server, "/papers/a?q=diffusion+models&x=%C3%A9")  # a search's link
    assert status == 301 and headers["Location"] == "/papers/a/?q=diffusion+models&x=%C3%A9"


def test_missing_page_gets_the_sites_404_with_live_client(server: PreviewServer) -> None:
    status, _, body = get(server, "/nope/")
    assert status == 404
    assert b"Custom not found" in body
    assert CLIENT_PATH.encode() in body


def test_live_client_is_injected_into_html_only(server: PreviewServer, output: Path) -> None:
    _, _, body = get(server, "/")
    assert body.endswith(f'<script src="{CLIENT_PATH}"></script></body></html>'.encode())
    assert (output / "index.html").read_bytes().count(b"<script") == 0
    _, _, css = get(server, "/style.css")
    assert css == b"body{}"


@pytest.mark.parametrize(
    "attack",
    [
        "/../secret.txt",
        "/papers/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/papers/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/leak.txt",
        "/index.html%00.txt",
    ],
)
def test_path_traversal_is_refused(server: PreviewServer, attack: str) -> None:
    status, _, body = get(server, attack)
    assert status == 404
    assert b"TOP SECRET" not in body
    assert b"root:" not in body


def test_resolve_rejects_escapes(output: Path) -> None:
    assert resolve(output, "/papers/a/") == (output / "papers" / "a" / "index.html").resolve()
    assert resolve(output, "/../secret.txt") is None
    assert resolve(output, "/leak.txt") is None
    assert resolve(output, str(output / "index.html")) is None


def test_head_and_concurrent_requests(server: PreviewServer) -> None:
    status, headers, body = get(server, "/style.css", method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == "6"
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: get(server, "/papers/a/")[0], range(64)))
    assert results == [200] * 64


def test_events_stream_sends_state_then_each_rebuild(server: PreviewServer) -> None:
    host, port = server.server_address[:2]
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(
        f"GET {EVENTS_PATH}?page=%2Fpapers%2Fa%2F HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    )
    reader = sock.makefile("rb")

    def next_state() -> dict:
        for line in reader:
            if line.startswith(b"data: "):
                return json.loads(line[6:])
        raise AssertionError("stream closed")

    assert next_state() == {"epoch": 0, "error": None, "pages": None}
    # The tab said which page it shows: a rebuild can render that one first.
    assert server.state.open_pages() == {"papers/a/index.html"}
    threading.Timer(0.1, server.state.publish).start()
    assert next_state() == {"epoch": 1, "error": None, "pages": None}
    server.state.publish(pages=["papers/b/index.html", "index.html"])
    assert next_state() == {"epoch": 2, "error": None, "pages": ["/", "/papers/b/"]}
    server.state.publish("content/papers/x.md:3: front matter: bad")
    assert next_state() == {
        "epoch": 2,
        "error": "content/papers/x.md:3: front matter: bad",
        "pages": ["/", "/papers/b/"],
    }
    reader.close()
    sock.close()
    deadline = time.monotonic() + 5
    while server.state.open_pages() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices the closed tab at its next write
        server.state.publish(pages=[])
    assert server.state.open_pages() == set()


def test_a_page_still_being_written_is_awaited_not_404(server: PreviewServer, output: Path) -> None:
    server.state.set_building(True)  # the open tabs' pages are out, the rest are coming
    answers: list[tuple[int, dict, bytes]] = []
    asking = threading.Thread(target=lambda: answers.append(get(server, "/papers/new/")))
    asking.start()
    wait_until(lambda: server.state.held == 1, "the request to be held")
    assert not answers  # held, not answered 404
    (output / "papers" / "new").mkdir()
    (output / "papers" / "new" / "index.html").write_text("<html><body>New</body></html>")
    server.state.set_building(False)
    asking.join(5)
    status, _, body = answers[0]
    assert status == 200 and b"New" in body
    assert get(server, "/papers/never/")[0] == 404  # not building: answered at once


def test_a_rebuild_waits_for_the_reloading_tabs_to_come_back(server: PreviewServer) -> None:
    host, port = server.server_address[:2]

    def open_tab(page: str) -> socket.socket:
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(f"GET {EVENTS_PATH}?page={page} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        sock.recv(1)  # the stream is open
        return sock

    tab = open_tab("/papers/a/")
    before, epoch = server.state.connects, server.state.epoch
    returned: list[float] = []
    waiting = threading.Thread(
        target=lambda: returned.append(
            server.state.reload_and_wait(["papers/a/index.html"], timeout=30) or time.monotonic()
        )
    )
    waiting.start()
    heard = b""
    while f'"epoch": {epoch + 1}'.encode() not in heard:  # the tab hears the rebuild…
        chunk = tab.recv(4096)  # (times out after 5 s: a loud failure)
        assert chunk, "the event stream closed"
        heard += chunk
    reopening = time.monotonic()
    reloaded = [open_tab("/papers/a/")]  # …and reloads, as a browser does
    waiting.join(10)
    assert returned, "reload_and_wait did not return once the tab came back"
    assert returned[0] >= reopening  # it waited for the tab…
    assert server.state.connects == before + 1  # …and returned when it came back
    # A rebuild that reloads no open tab doesn't wait at all.
    server.state.reload_and_wait(["papers/other/index.html"], timeout=30)
    for sock in [tab, *reloaded]:
        sock.close()
