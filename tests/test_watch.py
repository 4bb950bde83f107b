"""The watch loop: real watchdog events on real temp folders."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import pytest
from conftest import wait_until

from sitegen.watch import ChangeCollector, ChangeSet, classify_change, start_observer, watch


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("content/papers/theory/a.md", "page"),
        ("content/papers/theory", "page"),
        ("content/papers/theory/notes.txt", None),
        ("content/dumps/2026-01-01-x.txt", "dump"),
        ("content/themes.yaml", "config"),
        ("content/site.yaml", "config"),
        ("content/ingested.json", "ledger"),
        ("templates/base.html", "template"),
        ("static/site.css", "static"),
        ("content/papers/theory/.a.md.swp", None),
        ("content/papers/theory/a.md~", None),
        ("content/dumps/.x.txt.tmp", None),
        ("site/index.html", None),
        (".sitegen-cache/build.pickle", None),
    ],
)
def test_classify_change(tmp_path: Path, relative: str, kind: str | None) -> None:
    assert classify_change(tmp_path / relative, tmp_path) == kind


def make_root(tmp_path: Path) -> Path:
    """A site root with the folders the watcher looks at."""
    for name in ("content/papers/theory", "content/dumps", "templates", "static"):
        (tmp_path / name).mkdir(parents=True)
    return tmp_path


def collect_one(root: Path, act, quiet: float | None = None) -> ChangeSet:
    """Start a real observer, perform act(), and return the first quiet batch (still for
    `quiet` seconds; the watcher's own setting by default).

    No sleep first: watchdog sets up its inotify watches before start() returns.
    """
    collector = ChangeCollector(root)
    observer = start_observer(root, collector)
    stop = threading.Event()
    timer = threading.Timer(10, stop.set)
    timer.start()
    try:
        act()
        batch = collector.wait(stop) if quiet is None else collector.wait(stop, quiet)
    finally:
        timer.cancel()
        observer.stop()
        observer.join()
    assert batch is not None, "no event arrived"
    return batch


def test_saving_a_page_is_one_page_change(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    page = root / "content/papers/theory/a.md"
    batch = collect_one(root, lambda: page.write_text("---\ntitle: A\n---\n"))
    assert batch.kinds == {"page"}
    assert page in batch.paths


def test_editor_style_atomic_save_and_burst_are_one_batch(tmp_path: Path) -> None:
    root = make_root(tmp_path)

    def burst() -> None:
        for i in range(5):
            tmp = root / f"content/papers/theory/.b{i}.md.tmp"
            tmp.write_text("---\ntitle: B\n---\n")
            os.replace(tmp, root / f"content/papers/theory/b{i}.md")
        (root / "content/dumps/new.txt").write_text("x")

    # A loaded machine can pause longer than the watcher's 50 ms between two writes of
    # the burst; what is tested is that events within the quiet time make one batch.
    batch = collect_one(root, burst, quiet=0.5)
    assert batch.kinds == {"page", "dump"}
    assert {p.name for p in batch.paths} >= {f"b{i}.md" for i in range(5)} | {"new.txt"}
    assert batch.describe(root).startswith(f"{len(batch.paths)} files")


def test_moving_a_page_reports_both_ends(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    page = root / "content/papers/theory/a.md"
    page.write_text("---\ntitle: A\n---\n")
    (root / "content/papers/graphs").mkdir()
    batch = collect_one(root, lambda: os.replace(page, root / "content/papers/graphs/a.md"))
    assert {page, root / "content/papers/graphs/a.md"} <= batch.paths


def test_ignored_files_do_not_wake_the_loop(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    sentinel = root / "content/papers/theory/z.md"

    def write() -> None:
        (root / "content/papers/theory/.x.swp").write_text("x")
        (root / "content/papers/theory/y.md~").write_text("x")
        sentinel.write_text("x")  # inotify keeps order: its event comes after theirs

    assert collect_one(root, write).paths == {sentinel}


def test_watch_calls_rebuild_per_batch_and_stops(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    batches: list[ChangeSet] = []
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=watch, args=(root, batches.append, stop, ready.set))
    thread.start()
    assert ready.wait(5)
    (root / "templates/base.html").write_text("x")
    wait_until(lambda: batches, "a rebuild after a template was saved")
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert batches and batches[0].kinds == {"template"}


def test_a_templates_folder_created_later_is_watched(tmp_path: Path) -> None:
    root = tmp_path
    (root / "content").mkdir()
    batches: list[ChangeSet] = []
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=watch, args=(root, batches.append, stop, ready.set))
    thread.start()
    assert ready.wait(5)

    def seen_after(count: int, path: Path) -> None:
        """Wait for a batch after the first `count` that holds path."""
        # The loop schedules new folders before it calls rebuild, so once that batch is
        # in, the folders it made are watched (watchdog sets inotify up synchronously).
        wait_until(lambda: any(path in b.paths for b in batches[count:]), f"an event for {path}")

    templates = root / "templates"
    templates.mkdir()
    seen_after(0, templates)
    (templates / "paper.html").write_text("x")
    seen_after(0, templates / "paper.html")
    count = len(batches)
    (templates / "paper.html").unlink()
    templates.rmdir()  # removed, then made again: still watched
    seen_after(count, templates)
    count = len(batches)
    templates.mkdir()
    seen_after(count, templates)
    count = len(batches)
    (templates / "base.html").write_text("y")
    seen_after(count, templates / "base.html")
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_file_saved_during_the_first_build_is_rebuilt_after_it(tmp_path: Path) -> None:
    # serve/watch run their first build once files are watched: a dump dropped (or a page
    # saved) while it runs is not lost.
    root = make_root(tmp_path)
    dump = root / "content" / "dumps" / "2026-03-01-new.txt"
    batches: list[ChangeSet] = []
    stop = threading.Event()

    def first_build() -> None:
        dump.write_text("Subscribe\n")

    thread = threading.Thread(target=watch, args=(root, batches.append, stop, first_build))
    thread.start()
    wait_until(lambda: batches, "a rebuild for the dump saved during the first build")
    stop.set()
    thread.join(5)
    assert dump in batches[0].paths and batches[0].kinds == {"dump"}


def test_watchdogs_warning_about_a_reused_watch_is_not_shown(tmp_path: Path) -> None:
    # Shown to the user, it filled the terminal with watchdog's internals at every first
    # build that made theme folders; other warnings still show.
    with warnings.catch_warnings(record=True) as caught:
        start_observer(tmp_path, ChangeCollector(tmp_path)).stop()
        warnings.warn(
            "Callback with id '1' already exists for watch <Watch(wd=5)>. It will be Overwritten.",
            RuntimeWarning,
            stacklevel=1,
        )
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something else"]
