"""`sitegen serve` and `sitegen watch`: rebuild on every change, keep the last good site.

A rebuild that fails (bad front matter, a template syntax error, a bad dump)
prints one line naming the file, shows it in the browser as an overlay, and
leaves the previous output untouched; the next good save recovers.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from sitegen.build import ingest_and_build
from sitegen.cache import BuildCache
from sitegen.errors import SitegenError
from sitegen.serve import PreviewServer
from sitegen.watch import ChangeSet, watch

Say = Callable[[str], None]


class LiveSite:
    """Rebuilds a site on demand and tells the preview server (if any) how it went."""

    def __init__(
        self,
        root: Path,
        output: Path,
        base_url: str | None,
        say: Say,
        server: PreviewServer | None = None,
    ):
        self.root = root
        self.output = output
        self.base_url = base_url
        self.say = say
        self.server = server
        self.lock = threading.Lock()
        # Kept in memory between rebuilds: only changed files are re-parsed and re-rendered.
        self.cache = BuildCache.load(root)

    def rebuild(self, changes: ChangeSet | None = None) -> bool:
        """Run one build; print a summary line; publish success or the error."""
        with self.lock:
            started = time.perf_counter()
            what = changes.describe(self.root) if changes else "start"
            try:
                _, result = ingest_and_build(
                    self.root, self.output, self.base_url, self.cache, on_pages=self.pages_written
                )
            except SitegenError as exc:
                self.say(f"error: {exc}")
                if self.server is not None:
                    self.server.state.publish(str(exc))
                return False
            seconds = time.perf_counter() - started
            self.say(
                f"rebuilt ({what}): {len(result.project.papers)} papers, "
                f"{result.written} files written, {result.removed} removed in {seconds:.2f}s"
            )
            return True

    def pages_written(self, written: int) -> None:
        """Reload open tabs as soon as the pages are on disk (search follows)."""
        if self.server is not None and (written or self.server.state.error):
            self.server.state.publish()


def run_watch(
    root: Path, output: Path, base_url: str | None, say: Say, stop: threading.Event
) -> int:
    """`sitegen watch`: rebuild on every change until interrupted."""
    site = LiveSite(root, output, base_url, say)
    site.rebuild()
    say(f"watching {root} for changes (Ctrl+C to stop)")
    watch(root, site.rebuild, stop)
    return 0


def run_serve(
    root: Path,
    output: Path,
    host: str,
    port: int,
    open_browser: bool,
    say: Say,
    stop: threading.Event,
) -> int:
    """`sitegen serve`: build, serve output with live reload, rebuild on every change."""
    try:
        server = PreviewServer(output, host, port)
    except OSError as exc:
        raise SitegenError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # The preview lives at the server's root, so absolute links (404 page) point there.
    site = LiveSite(root, output, "/", say, server)
    site.rebuild()
    output.mkdir(parents=True, exist_ok=True)
    server.start()
    say(f"serving {output} at {server.url} (Ctrl+C to stop)")
    if open_browser:
        webbrowser.open(server.url)
    try:
        watch(root, site.rebuild, stop)
    finally:
        server.stop()
    return 0
