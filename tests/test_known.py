"""Pages and dumps known by their stat: unchanged files are not read again, changed ones are."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import SHIPPED

import sitegen.catalog
import sitegen.known
from sitegen.cache import BuildCache
from sitegen.catalog import load_page, read_pages
from sitegen.ingest import read_dumps
from sitegen.known import content_key, known_ahead, take_ahead, vouch
from sitegen.noop import RACY_NS

PAGE = "---\ntitle: Paper {n}\n---\n\nAbstract {n}.\n"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the stat memo reads."""
    seen: list[Path] = []
    real, real_and_stat = sitegen.known.read_input, sitegen.known.read_input_and_stat

    def counted(path: Path | str) -> bytes:
        seen.append(Path(path))
        return real(path)

    def counted_and_stat(path: Path | str) -> tuple[bytes, os.stat_result]:
        seen.append(Path(path))
        return real_and_stat(path)

    monkeypatch.setattr(sitegen.known, "read_input", counted)
    monkeypatch.setattr(sitegen.known, "read_input_and_stat", counted_and_stat)
    return seen


def settle() -> None:
    """Wait until files written just now have stats old enough to be trusted."""
    time.sleep(2 * RACY_NS / 1e9)


def settled_pages(root: Path, count: int) -> Path:
    """`count` pages in root/papers/theme, their stats old enough to be trusted; the folder."""
    papers = root / "papers" / "theme"
    papers.mkdir(parents=True)
    for n in range(count):
        (papers / f"p{n}.md").write_text(PAGE.format(n=n))
    settle()
    return papers


def test_unchanged_pages_are_not_read_again_and_an_edit_is(tmp_path: Path, reads) -> None:
    papers = settled_pages(tmp_path, 5)
    cache = BuildCache()
    first = read_pages(tmp_path / "papers", cache)
    assert len(reads) == 5
    reads.clear()
    assert read_pages(tmp_path / "papers", cache) == first and reads == []
    # Same size, other bytes: its stat (ctime, mtime) changed, so it is read again.
    (papers / "p2.md").write_text(PAGE.format(n=7))
    (papers / "p3.md").unlink()
    again = read_pages(tmp_path / "papers", cache)
    assert reads == [papers / "p2.md"]
    assert [p.meta["title"] for p in again] == ["Paper 0", "Paper 1", "Paper 7", "Paper 4"]
    assert set(cache.recall("page-stats", "")) == {str(p.path) for p in again} - {
        str(papers / "p2.md")  # written just now: its stat is not trusted yet
    }


def test_a_file_written_just_now_is_read_again_next_time(tmp_path: Path, reads) -> None:
    papers = tmp_path / "papers" / "theme"
    papers.mkdir(parents=True)
    (papers / "p.md").write_text(PAGE.format(n=1))
    cache = BuildCache()
    read_pages(tmp_path / "papers", cache)
    read_pages(tmp_path / "papers", cache)
    assert len(reads) == 2  # racily clean: a change in the same clock tick wouldn't show


def test_files_vouched_for_are_not_read_by_the_next_pass(tmp_path: Path, reads) -> None:
    # ingest wrote these pages (and parsed them from what it wrote); their watcher events
    # are checked against what was written, and then the next pass needn't read them.
    papers = tmp_path / "papers" / "theme"
    papers.mkdir(parents=True)
    cache = BuildCache()
    written = {}
    for n in range(3):
        path = papers / f"p{n}.md"
        path.write_text(PAGE.format(n=n))
        written[path] = content_key(path, path.read_bytes())
        load_page(path, path.read_bytes(), cache)
    (papers / "p1.md").write_text(PAGE.format(n=8))  # the user's save, after ingest's
    settle()
    assert list(vouch(cache, "page", written)) == [papers / "p0.md", papers / "p2.md"]
    reads.clear()
    pages = read_pages(tmp_path / "papers", cache)
    assert reads == [papers / "p1.md"]
    assert [p.meta["title"] for p in pages] == ["Paper 0", "Paper 8", "Paper 2"]


def test_unchanged_dumps_are_not_read_again(tmp_path: Path, reads) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    first_dump, second_dump = sorted(SHIPPED.glob("dumps/*.txt"))[:2]
    (dumps / "2024-01-01-a.txt").write_bytes(first_dump.read_bytes())
    (dumps / "2024-01-02-b.txt").write_bytes(first_dump.read_bytes())
    settle()
    cache = BuildCache()
    first, errors = read_dumps(dumps, cache)
    assert len(first) == 2 and not errors
    reads.clear()
    (dumps / "2024-01-02-b.txt").write_bytes(second_dump.read_bytes())
    again, _ = read_dumps(dumps, cache)
    assert reads == [dumps / "2024-01-02-b.txt"]
    assert again[0] == first[0] and again[1].entries != first[1].entries


def test_a_page_replaced_while_it_is_read_is_read_again_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = tmp_path / "papers" / "theme"
    papers.mkdir(parents=True)
    page = papers / "p.md"
    page.write_text(PAGE.format(n=1))
    settle()
    real = sitegen.known.read_input_and_stat

    def replaced_after(path: Path | str) -> tuple[bytes, os.stat_result]:
        found = real(path)
        (papers / "new.tmp").write_text(PAGE.format(n=2))  # an editor's save: rename over
        os.replace(papers / "new.tmp", page)
        return found

    cache = BuildCache()
    with monkeypatch.context() as patch:
        patch.setattr(sitegen.known, "read_input_and_stat", replaced_after)
        assert [p.meta["title"] for p in read_pages(tmp_path / "papers", cache)] == ["Paper 1"]
    settle()
    assert [p.meta["title"] for p in read_pages(tmp_path / "papers", cache)] == ["Paper 2"]


def test_pages_read_ahead_are_taken_by_their_stat_unless_changed_since(
    tmp_path: Path, reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = settled_pages(tmp_path, 4)
    cache = BuildCache()
    read_pages(tmp_path / "papers", cache)  # parsed, as ingest leaves them in the cache
    cache.keep("page-stats", "", {})  # but not known by their stat (ingest just wrote them)
    (papers / "p3.md").write_text(PAGE.format(n=30))  # too recent to trust: not read ahead
    names = sorted(str(path) for path in papers.iterdir())
    written = os.stat(papers / "p3.md").st_ctime_ns
    with pytest.MonkeyPatch.context() as clock:  # read ahead within p3's tick, however slow
        clock.setattr(sitegen.known, "file_clock_ns", lambda: written)
        listed, found = known_ahead(names, cache.recall("page-stats", ""))
    assert sorted(found) == names[:3] and list(listed) == names
    assert listed[names[1]] == found[names[1]][:4]
    assert found[names[1]][4] == content_key(names[1], (papers / "p1.md").read_bytes())
    take_ahead(cache, {"page": (str(tmp_path / "papers"), listed, found)})
    (papers / "p2.md").write_text(PAGE.format(n=20))  # edited after the copy read it
    reads.clear()
    with monkeypatch.context() as patch:  # the build's first pass: the copy's listing, stats
        patch.setattr(sitegen.catalog, "page_files", None)  # and all; it lists nothing itself
        patch.setattr(sitegen.known, "stat_of", None)
        pages = read_pages(tmp_path / "papers", cache)
    # As the copy found them, after the build's record walked them (ahead.started): an edit
    # since is the next build's, as one made later. p3 was too recent to be read ahead.
    assert reads == [papers / "p3.md"]
    assert [p.meta["title"] for p in pages] == ["Paper 0", "Paper 1", "Paper 2", "Paper 30"]
    pages = read_pages(tmp_path / "papers", cache)  # a later pass: the folder as it is now
    assert reads == [papers / "p3.md", papers / "p2.md", papers / "p3.md"]  # p3: still recent
    assert [p.meta["title"] for p in pages] == ["Paper 0", "Paper 1", "Paper 20", "Paper 30"]


def test_a_listing_read_ahead_elsewhere_is_not_taken(tmp_path: Path, reads) -> None:
    papers = settled_pages(tmp_path, 2)
    cache = BuildCache()
    read_pages(tmp_path / "papers", cache)
    names = [str(papers / "p0.md")]  # a listing of one page, from another project's folder
    take_ahead(cache, {"page": (str(tmp_path / "other"), *known_ahead(names, {}))})
    reads.clear()
    assert [p.meta["title"] for p in read_pages(tmp_path / "papers", cache)] == [
        "Paper 0",
        "Paper 1",
    ]
    assert reads == [] and "page" in cache.listed  # listed here; that listing left untaken


def test_a_copy_reading_ahead_skips_the_files_the_memo_knows(tmp_path: Path, reads) -> None:
    papers = settled_pages(tmp_path, 3)
    cache = BuildCache()
    read_pages(tmp_path / "papers", cache)  # remembered by their stats
    reads.clear()
    names = sorted(str(path) for path in papers.iterdir())
    listed, found = known_ahead(names, cache.recall("page-stats", ""))
    assert found == {} and reads == [] and list(listed) == names
