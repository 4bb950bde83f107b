"""The write edge: the spool that parks rendered pages until a build succeeds."""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.output import Spool


def test_spool_commit_moves_files_in_and_removes_the_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "a").mkdir(parents=True)
    (out / "a" / "index.html").write_bytes(b"old")
    (out / "gone" / "x").mkdir(parents=True)
    (out / "gone" / "x" / "index.html").write_bytes(b"stale")
    spool = Spool(out)
    spool.put("a/index.html", b"new a")
    spool.put("b/c/index.html", b"new")
    assert not (out / "b").exists()  # nothing reaches the site before commit
    assert spool.commit(out, ["gone/x/index.html"]) == ["a/index.html", "b/c/index.html"]
    assert (out / "b" / "c" / "index.html").read_bytes() == b"new"
    assert (out / "a" / "index.html").read_bytes() == b"new a"
    assert not (out / "gone").exists()  # the stale file and its emptied folders
    assert not spool.folder.exists()


def test_spool_clears_leftovers_of_dead_builds_but_not_of_running_ones(tmp_path: Path) -> None:
    out = tmp_path / "site"
    gone = tmp_path / ".site.spool-999999999"
    running = tmp_path / f".site.spool-{os.getppid()}"  # e.g. `sitegen serve` building now
    for folder in (gone, running):
        (folder / "x").mkdir(parents=True)
    spool = Spool(out)
    assert not gone.exists()
    assert running.exists()
    assert spool.folder != running


def test_discarded_spool_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "site"
    spool = Spool(out)
    spool.put("index.html", b"half a build")
    spool.discard()
    assert not out.exists() and not spool.folder.exists()
