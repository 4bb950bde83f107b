"""The local preview server: static files from the output folder, plus live reload.

Safety first even for a local tool: it binds 127.0.0.1 by default, answers only
requests addressed to this machine by name (Host: localhost, 127.0.0.1, [::1] or
the bound address; anything else gets 421, so a page elsewhere can't read the
preview through DNS rebinding), serves only regular files whose real path lies
inside the output folder, and answers everything else with the site's own 404
page. Live reload uses server-sent events: every rebuild bumps an epoch (as
MkDocs' livereload does), and a tab reloads when the epoch it saw differs from
the server's and its own page is among the pages that changed (or the change
reaches every page). Each tab says which page it shows when it connects, so a
rebuild can render the pages people are looking at first (Hugo's "fast render").
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import posixpath
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sitegen.model import urls
from sitegen.model.urls import file_of

EVENTS_PATH = "/__sitegen/events"
CLIENT_PATH = "/__sitegen/live.js"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
LIVE_CLIENT = """(function () {
  var epoch = null;
  function overlay(message) {
    var box = document.getElementById("sitegen-error");
    if (!message) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "sitegen-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;z-index:99999;padding:1rem;" +
        "background:#7f1d1d;color:#fff;font:14px/1.5 monospace;white-space:pre-wrap;" +
        "border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(box);
    }
    box.textContent = "sitegen: build failed\\n" + message;
  }
  var here = location.pathname.replace(/index\\.html$/, "");
  var source = new EventSource("/__sitegen/events?page=" + encodeURIComponent(here));
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    var mine = state.pages === null || state.pages.indexOf(here) !== -1;
    if (epoch !== null && state.epoch !== epoch && !state.error && mine) {
      location.reload();
      return;
    }
    epoch = state.epoch;
    document.documentElement.setAttribute("data-sitegen-epoch", epoch);  // seen, not reloading
    overlay(state.error);
  });
})();
"""


class LiveState:
    """The build epoch, what it changed and the current error, shared with every open tab."""

    def __init__(self) -> None:
        self.epoch = 0
        self.error: str | None = None
        self.pages: list[str] | None = None  # URL paths the last epoch changed; None: all
        self.changed = threading.Condition()
        self.viewers: Counter[str] = Counter()  # URL path -> open tabs showing it
        self.building = False  # pages are being written (open tabs' pages went first)
        self.connects = 0  # event streams opened so far (a reloaded tab opens a new one)
        self.held = 0  # requests for a missing page waiting until the rebuild's pages are out

    def snapshot(self) -> dict[str, object]:
        """The state as sent to browsers."""
        return {"epoch": self.epoch, "error": self.error, "pages": self.pages}

    def publish(self, error: str | None = None, pages: Iterable[str] | None = None) -> None:
        """Announce a finished rebuild (epoch + 1) or a failed one (error, same epoch).

        pages: the output files the rebuild changed, when only HTML pages changed;
        None reloads every tab (a stylesheet or script changed, or nobody knows).
        """
        with self.changed:
            if error is None:
                self.epoch += 1
                self.pages = None if pages is None else sorted(map(url_of, pages))
            self.error = error
            self.changed.notify_all()

    def set_building(self, building: bool) -> None:
        """Say that a rebuild started writing pages, or that every page is written."""
        with self.changed:
            self.building = building
            self.changed.notify_all()

    def wait_built(self, timeout: float, arrived: Callable[[], bool] = lambda: False) -> None:
        """Wait until no rebuild is writing pages (a link on a fresh page may lead to one),
        or until `arrived()` says the page asked for is out: a rebuild's drafts are announced
        batch by batch (publish), long before its last page."""
        with self.changed:
            self.held += 1
            self.changed.notify_all()
            try:
                self.changed.wait_for(lambda: not self.building or arrived(), timeout)
            finally:
                self.held -= 1

    def reload_and_wait(self, pages: Iterable[str] | None, timeout: float = 1.0) -> None:
        """Publish a rebuild, then wait (at most timeout) until the tabs it reloads are back.

        The build's next steps (search index, cache) hold the GIL for a while; letting
        the reloading tabs fetch their page first keeps the preview snappy at 10k papers.
        """
        with self.changed:
            shown = None if pages is None else set(map(url_of, pages))
            tabs = sum(n for url, n in self.viewers.items() if shown is None or url in shown)
            expected = self.connects + tabs
        self.publish(pages=pages)
        with self.changed:
            self.changed.wait_for(lambda: self.connects >= expected, timeout)

    def open_pages(self) -> set[str]:
        """The output files (e.g. papers/x/index.html) that open tabs show."""
        with self.changed:
            return {file_of(url) for url, count in self.viewers.items() if count > 0}


def url_of(path: str) -> str:
    """The URL path of an output file: papers/x/index.html -> /papers/x/."""
    return "/" + urls.url_of(path)


def resolve(root: Path, url_path: str) -> Path | None:
    """Map a URL path to a file inside root, or None if it escapes or doesn't exist."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    normal = posixpath.normpath("/" + "/".join(parts))
    candidate = root.joinpath(*[p for p in normal.split("/") if p])
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real.is_dir():
        real = real / "index.html"
        if not real.is_file():
            return None
    # The real path (symlinks followed) must stay inside the output folder.
    if not real.is_relative_to(root.resolve()) or not real.is_file():
        return None
    return real


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The host of a Host header, without port or IPv6 brackets, lowercased."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    host = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    return host.rstrip(".")  # "localhost." is localhost


def is_ip_literal(host: str) -> bool:
    """Whether a host is an IP address (which no DNS rebinding can point elsewhere)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, bound: tuple[str, ...]) -> bool:
    """Whether a request's Host names this server: a local name, or the bound address
    (as given to --host, or as bound).

    Bound to every interface (0.0.0.0 or ::), any IP address is this machine too.
    A missing Host (HTTP/1.0) comes from no browser, so it is answered.
    """
    if header is None:
        return True
    host = host_name(header)
    if host in LOCAL_HOSTS or host in bound:
        return True
    return any(b in ("0.0.0.0", "::", "") for b in bound) and is_ip_literal(host)


def inject_live_client(body: bytes) -> bytes:
    """Add the live-reload script to an HTML page (served copy only, never the file)."""
    tag = f'<script src="{CLIENT_PATH}"></script>'.encode()
    index = body.rfind(b"</body>")
    return body[:index] + tag + body[index:] if index != -1 else body + tag


class PreviewHandler(BaseHTTPRequestHandler):
    """Serve files from the output folder, the live-reload client and its event stream."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Answer a GET."""
        self.respond(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        """Answer a HEAD."""
        self.respond(head_only=True)

    def respond(self, head_only: bool) -> None:
        """Route a request to the event stream, the client script or a file."""
        if not self.server.host_allowed(self.headers.get("Host")):
            body = b"421 Misdirected Request: this preview answers only localhost\n"
            self.send_bytes(HTTPStatus.MISDIRECTED_REQUEST, body, ".txt", head_only)
            return
        route = urllib.parse.urlsplit(self.path).path
        if route == EVENTS_PATH:
            self.stream_events()
            return
        if route == CLIENT_PATH:
            self.send_bytes(HTTPStatus.OK, LIVE_CLIENT.encode(), ".js", head_only)
            return
        root = self.server.root
        path = resolve(root, self.path)
        if path is None and self.server.state.building:
            # The open tabs' pages are written first; one may link to a page still to come.
            self.server.state.wait_built(60, lambda: resolve(root, self.path) is not None)
            path = resolve(root, self.path)
        if path is None:
            not_found = root / "404.html"
            body = not_found.read_bytes() if not_found.is_file() else b"<h1>404 Not Found</h1>"
            self.send_bytes(HTTPStatus.NOT_FOUND, self.live(body), ".html", head_only)
            return
        if path.name == "index.html" and not route.endswith(("/", ".html")):
            # /papers/x -> /papers/x/ so the page's relative links resolve.
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            query = urllib.parse.urlsplit(self.path).query  # kept: /search?q=x -> /search/?q=x
            self.send_header("Location", route + "/" + (f"?{query}" if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = path.read_bytes()
        if path.suffix == ".html":
            body = self.live(body)
        self.send_bytes(HTTPStatus.OK, body, path.suffix, head_only)

    def live(self, body: bytes) -> bytes:
        """Inject the live-reload client when live reload is on."""
        return inject_live_client(body) if self.server.live else body

    def send_bytes(self, status: HTTPStatus, body: bytes, suffix: str, head_only: bool) -> None:
        """Send a complete response with the right content type."""
        kind = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
        self.send_response(status)
        self.send_header("Content-Type", kind or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def stream_events(self) -> None:
        """Server-sent events: the current state now, then after every change."""
        state = self.server.state
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        page = query.get("page", [""])[0]
        with state.changed:  # counted before the tab hears anything back
            state.viewers[page] += 1
            state.connects += 1
            state.changed.notify_all()
        seen: dict[str, object] | None = None
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            while not self.server.stopping.is_set():
                with state.changed:
                    if seen == state.snapshot():
                        state.changed.wait(timeout=15)
                    current = state.snapshot()
                message = (
                    f"event: state\ndata: {json.dumps(current)}\n\n"
                    if current != seen
                    else ": ping\n\n"
                )
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = current
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with state.changed:
                state.viewers[page] -= 1

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the terminal for build summaries, not access logs."""


class PreviewServer(ThreadingHTTPServer):
    """A threaded HTTP server for one output folder."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a page's burst of requests (100 at once) must not time out

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000, live: bool = True):
        super().__init__((host, port), PreviewHandler)
        self.bound = (host_name(host), str(self.server_address[0]).lower())
        self.root = root
        self.live = live
        self.state = LiveState()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None  # the serve loop, once started

    def host_allowed(self, header: str | None) -> bool:
        """Whether a request's Host header names this server."""
        return host_allowed(header, self.bound)

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> threading.Thread:
        """Serve in a background thread."""
        thread = self.thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="sitegen-serve", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving and release event streams."""
        self.stopping.set()
        with self.state.changed:
            self.state.changed.notify_all()
        if self.thread is not None:  # shutdown() waits for a serve loop that never ran
            self.shutdown()
        self.server_close()
