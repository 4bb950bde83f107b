"""The watch loop: watchdog events, debounced into change sets, each one rebuilt.

Events arrive in bursts (an editor writes a temp file, renames it, touches the
folder), so they are collected until the tree has been quiet for a moment,
classified (page, dump, config, template, static) and handed to one rebuild.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import field
from pathlib import Path, PurePath

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from sitegen.fsio import counts_as_input
from sitegen.records import mutable

QUIET_SECONDS = 0.05  # how long the tree must be still before a rebuild starts


@mutable
class ChangeSet:
    """The files that changed since the last rebuild, grouped by what they are."""

    paths: set[Path] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)

    def describe(self, root: Path) -> str:
        """A short human summary: 'content/papers/x/y.md' or '3 files (page, dump)'."""
        if len(self.paths) == 1:
            path = next(iter(self.paths))
            return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        return f"{len(self.paths)} files ({', '.join(sorted(self.kinds))})"


def classify_change(path: Path, root: Path) -> str | None:
    """What a changed path is to the build, or None if the build doesn't care."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if not counts_as_input(PurePath(*parts)):
        return None
    top = parts[0]
    if top == "templates":
        return "template"
    if top == "static":
        return "static"
    if top != "content" or len(parts) < 2:
        return None
    if parts[1] == "dumps":
        return "dump"
    if parts[1] == "papers":
        # A theme folder (moved or deleted as a whole) or a page inside one.
        is_page = len(parts) == 3 or (len(parts) == 4 and path.suffix == ".md")
        return "page" if is_page else None
    if parts[1] in ("themes.yaml", "site.yaml"):
        return "config"
    if parts[1] == "ingested.json":
        return "ledger"
    return None


class ChangeCollector(FileSystemEventHandler):
    """Collects classified paths from watchdog threads; wait() returns a quiet batch."""

    def __init__(self, root: Path):
        self.root = root
        self.pending = ChangeSet()
        self.last_event = 0.0
        self.lock = threading.Condition()
        self.folders: dict[Path, ObservedWatch] = {}  # the folders scheduled for watching

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Record the source and destination of any event the build cares about."""
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file inside changed; that file's own event says which
        paths = [event.src_path, getattr(event, "dest_path", "")]
        with self.lock:
            for raw in paths:
                if not raw:
                    continue
                path = Path(raw if isinstance(raw, str) else raw.decode())
                kind = classify_change(path, self.root)
                if kind:
                    self.pending.paths.add(path)
                    self.pending.kinds.add(kind)
                    self.last_event = time.monotonic()
                    self.lock.notify_all()

    def wait(self, stop: threading.Event, quiet: float = QUIET_SECONDS) -> ChangeSet | None:
        """Block until changes arrived and the tree is quiet; None when stopping."""
        with self.lock:
            while not stop.is_set():
                if self.pending.paths:
                    idle = time.monotonic() - self.last_event
                    if idle >= quiet:
                        batch, self.pending = self.pending, ChangeSet()
                        return batch
                    self.lock.wait(quiet - idle)
                else:
                    self.lock.wait(0.5)
        return None


WATCHED = ("content", "templates", "static")


def watch_new_folders(observer: Observer, root: Path, collector: ChangeCollector) -> None:
    """Watch each of content/, templates/ and static/ that exists; forget deleted ones."""
    for name in WATCHED:
        folder = root / name
        watch = collector.folders.get(folder)
        if watch is not None and not folder.is_dir():
            observer.unschedule(watch)
            del collector.folders[folder]
        elif watch is None and folder.is_dir():
            collector.folders[folder] = observer.schedule(collector, str(folder), recursive=True)


def start_observer(root: Path, collector: ChangeCollector) -> Observer:
    """Watch content/, templates/ and static/ of a site, but not the (large) output folder."""
    # watchdog (7.x) warns, with a screenful of its internals, when a folder made during a
    # build (a new theme folder) is added to a recursive watch twice: harmless, it is reused.
    warnings.filterwarnings("ignore", r"Callback with id .* already exists", RuntimeWarning)
    observer = Observer()
    watch_new_folders(observer, root, collector)
    # The root itself, not recursively, notices templates/ or static/ being created.
    observer.schedule(collector, str(root), recursive=False)
    observer.start()
    return observer


def watch(
    root: Path,
    rebuild: Callable[[ChangeSet], None],
    stop: threading.Event,
    started: Callable[[], object] | None = None,
) -> None:
    """Call started() once files are watched, then rebuild(changes) for every quiet
    batch of changes until stop is set."""
    collector = ChangeCollector(root)
    observer = start_observer(root, collector)
    try:
        # The first build runs here, not before: a file saved while it runs is
        # collected, and rebuilt after it (a page the build wrote itself is skipped).
        if started is not None:
            started()
        while True:
            changes = collector.wait(stop)
            if changes is None:
                return
            watch_new_folders(observer, root, collector)
            rebuild(changes)
    finally:
        observer.stop()
        observer.join(timeout=5)
