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
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sitegen.build import (
    BuildOptions,
    BuildResult,
    Preview,
    SiteModel,
    ingest_and_build,
    quick_build,
    template_build,
)
from sitegen.cache import BuildCache
from sitegen.errors import SitegenError
from sitegen.ingest import IngestResult
from sitegen.known import Stat, stat_of, vouch
from sitegen.lock import project_lock
from sitegen.serve import PreviewServer
from sitegen.watch import ChangeSet, watch
from sitegen.workers import paused_collector, worker_process

Say = Callable[[str], None]


# The preview lives at the server's root: no base URL (site.yaml's would send links to the
# published site), so the 404 page's links point there (views.pages: base_href), and each
# page is what `sitegen build` makes of a list with none. With "/", switching from one
# command to the other made every page's view again (8.3 s at 10k papers), for two files.
PREVIEW_BASE_URL = ""


class LiveSite:
    """Rebuilds a site on demand and tells the preview server (if any) how it went."""

    def __init__(
        self,
        root: Path,
        output: Path,
        base_url: str | None,
        say: Say,
        server: PreviewServer | None = None,
        executor: Executor | None = None,
    ):
        self.root = root
        self.output = output
        self.base_url = base_url
        self.say = say
        self.server = server
        self.executor = executor
        self.own_writes: dict[Path, Stat | None] = {}  # ingest's, as checked (known.vouch)
        self.failed = False  # whether the last rebuild failed
        self.started = self.pages_at = 0.0  # when the current rebuild began; pages done after
        self.lock = threading.Lock()
        # Kept in memory between rebuilds: only changed files are re-parsed and re-rendered.
        self.cache = BuildCache.load(root)
        self.last: SiteModel | None = None  # the last good build's model, for the fast paths
        self.warned: set[str] = set()  # warnings already printed (a skipped dump, a bad key)

    def rebuild(self, changes: ChangeSet | None = None) -> bool:
        """Run one build, unless every change is our own ingest's writes (and then not even
        the collection after a build: ~85 ms at 10k papers)."""
        with self.lock:
            if changes is not None and self.only_own_writes(changes):
                return True
            with paused_collector():
                return self.build_and_report(changes)

    def build_and_report(self, changes: ChangeSet | None) -> bool:
        """Run one build; print a summary line; publish success or the error."""
        self.started = started = time.perf_counter()
        self.pages_at = 0.0
        what = changes.describe(self.root) if changes else "start"
        try:
            with project_lock(self.root, say=self.say):  # a `sitegen add` may be running
                ingested, result = self.build(changes)
        except SitegenError as exc:
            self.failed = True
            self.report(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a bug must not end the preview either
            self.failed = True
            if isinstance(exc, BrokenProcessPool):
                self.executor = None  # the worker died: build in this process from now on
            self.report(f"internal error ({type(exc).__name__}: {exc}); please report it")
            return False
        self.failed = False
        self.last = result.model
        for warning in result.project.warnings:
            if warning not in self.warned:
                self.warned.add(warning)
                self.say(f"warning: {warning}")
        seconds = time.perf_counter() - started
        self.say(
            f"rebuilt ({what}): {len(result.project.papers)} papers, "
            f"{result.written} files written, {result.removed} removed in {seconds:.2f}s "
            f"(pages in {self.pages_at:.2f}s)"
        )
        # The files ingest just wrote come back as file events. Checked now against what
        # it wrote, each event costs a stat, not a read (1 s at 10k new pages, which
        # delayed the first save after a start), and the next build reads none of them.
        self.own_writes = vouch(self.cache, "page", ingested.wrote)
        if self.own_writes:
            self.cache.save()
        return True

    def build(self, changes: ChangeSet | None) -> tuple[IngestResult, BuildResult]:
        """A fast path when only pages' own content or only templates and static files
        changed, else ingest and a full build."""
        # The fast path only continues a good build: after an error, a full build
        # must find out whether every file is well again.
        options = BuildOptions(self.output, self.base_url, executor=self.executor)
        last = None if self.failed else self.last
        if changes is not None and changes.kinds == {"page"}:
            quick = quick_build(last, changes.paths, options, self.cache, self.preview())
            if quick is not None:
                return IngestResult([], []), quick
        if changes is not None and changes.kinds <= {"template", "static"}:
            # Only how the site looks changed: re-render the model the last build made.
            again = template_build(last, options, self.cache, self.preview())
            if again is not None:
                return IngestResult([], []), again
        return ingest_and_build(self.root, options, self.cache, self.preview())

    def preview(self) -> Preview:
        """The build hooks: open tabs' pages first, reload tabs as their pages are written."""
        first = self.server.state.open_pages() if self.server is not None else set()
        return Preview(frozenset(first), self.first_pages_written, self.pages_written)

    def only_own_writes(self, changes: ChangeSet) -> bool:
        """Whether every changed file is one our own ingest wrote, with the stat it had once
        checked against what ingest wrote (or a theme folder it made for them, still there)."""
        own, self.own_writes = self.own_writes, {}
        folders = {path.parent for path in own}
        files = [path for path in changes.paths if path not in folders]
        if any(own.get(path) is None for path in files):
            return False  # not ours, or its stat too recent to tell a later write from ours
        if not all(map(Path.is_dir, folders & changes.paths)):  # removed: not ours
            return False
        return all(stat_of(path) == own[path] for path in files)

    def report(self, message: str) -> None:
        """Show a failed rebuild in the terminal and in every open tab."""
        self.say(f"error: {message}")
        if self.server is not None:
            self.server.state.set_building(False)
            self.server.state.publish(message)

    def first_pages_written(self, written: list[str]) -> None:
        """Reload the tabs showing the pages that were rendered first."""
        if self.server is not None and not self.server.state.error:
            self.server.state.set_building(True)  # until pages_written, or the build fails
            self.server.state.reload_and_wait(written)

    def pages_written(self, written: list[str]) -> None:
        """Reload the tabs whose pages changed as soon as the pages are on disk (search follows).

        Pages only: tabs showing other pages stay as they are; a changed stylesheet or
        script (static/) reloads every tab.
        """
        self.pages_at = time.perf_counter() - self.started
        if self.server is None:
            return
        self.server.state.set_building(False)
        if not (written or self.server.state.error):
            return
        every_tab = not written or any(path.startswith("static/") for path in written)
        pages = [path for path in written if path.endswith(".html")]
        self.server.state.reload_and_wait(None if every_tab else pages)


def run_watch(
    root: Path, output: Path, base_url: str | None, say: Say, stop: threading.Event
) -> int:
    """`sitegen watch`: rebuild on every change until interrupted."""
    with worker_process("spawn") as worker:
        site = LiveSite(root, output, base_url, say, executor=worker)

        def first_build() -> None:
            site.rebuild()
            say(f"watching {root} for changes (Ctrl+C to stop)")

        watch(root, site.rebuild, stop, first_build)
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
    # The search index builds in a warm worker process, so the server's threads
    # stay responsive (no GIL contention) while the browser reloads.
    with worker_process("spawn") as worker:
        site = LiveSite(root, output, PREVIEW_BASE_URL, say, server, worker)

        def first_build() -> None:
            site.rebuild()
            output.mkdir(parents=True, exist_ok=True)
            server.start()
            say(f"serving {output} at {server.url} (Ctrl+C to stop)")
            if open_browser:
                webbrowser.open(server.url)

        try:
            watch(root, site.rebuild, stop, first_build)
        finally:
            server.stop()
    return 0
