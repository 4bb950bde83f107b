"""The write edge: the spool that parks rendered pages until a build succeeds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen import output as output_module
from sitegen.errors import SitegenError
from sitegen.output import (
    JOURNAL,
    MANIFEST_FORMAT,
    SPOOL,
    Manifest,
    Spool,
    check_path,
    parked_name,
)


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


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file below folder, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def site_with(out: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Write these files into an output folder; what it then holds."""
    for path, data in files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    return files_under(out)


def parked(out: Path) -> Spool:
    """A spool holding a small site: two top-level files and two folders of pages."""
    spool = Spool(out)
    for path in ["index.html", "papers/a/index.html", "papers/b/index.html", "search/x.js", "z"]:
        spool.put(path, path.encode())
    return spool


def test_commit_into_an_empty_output_moves_top_level_entries_not_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, moved = os.replace, []
    monkeypatch.setattr(os, "replace", lambda a, b: (moved.append(Path(b)), real(a, b)))
    for out in (tmp_path / "missing" / "site", tmp_path / "empty"):
        out.parent.mkdir(exist_ok=True)
        if out.name == "empty":
            out.mkdir()
        moved.clear()
        spool = parked(out)
        spooled = files_under(spool.folder / "new")
        assert spool.commit(out, []) == sorted(spooled)
        assert files_under(out) == spooled
        into = [m.relative_to(out) for m in moved if m.is_relative_to(out)]
        assert into == [Path("index.html"), Path("papers"), Path("search"), Path("z")]
        assert not spool.folder.exists()


def test_a_committed_files_ctime_is_known_without_a_stat_only_when_moved_in_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh, built = tmp_path / "fresh", tmp_path / "built"
    site_with(built, {"papers/c/index.html": b"kept"})
    real, stats = os.stat, []
    for out, whole in ((fresh, True), (built, False)):
        spool = parked(out)
        changed = spool.commit(out, [])
        assert spool.moved_whole is whole
        stats.clear()
        monkeypatch.setattr(os, "stat", lambda path, **kw: (stats.append(path), real(path))[1])
        found = {path: spool.ctime(out, path) for path in changed}
        monkeypatch.setattr(os, "stat", real)
        assert found == {path: os.stat(out / path).st_ctime_ns for path in changed}
        # Moved one by one, each file was renamed; in whole, only the top-level ones were.
        assert len(stats) == (2 if whole else len(changed))


def test_commit_into_a_folder_with_files_moves_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    site_with(out, {"papers/c/index.html": b"kept"})
    real, moved = os.replace, []
    monkeypatch.setattr(os, "replace", lambda a, b: (moved.append(Path(b)), real(a, b)))
    parked(out).commit(out, [])
    assert len([m for m in moved if m.is_relative_to(out)]) == 5
    assert files_under(out)["papers/c/index.html"] == b"kept"


def test_spool_into_a_built_site_parks_flat_and_moves_old_files_aside_flat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    site_with(out, {"papers/a/index.html": b"old a"})
    spool = parked(out)
    parked_files = list((spool.folder / "new").iterdir())
    assert len(parked_files) == 5 and all(p.is_file() for p in parked_files)  # no folder per page
    real, aside = os.replace, []

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).is_relative_to(spool.folder / "old"):
            aside.append(Path(str(dst)).relative_to(spool.folder))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    spool.commit(out, [])
    assert aside == [Path("old") / parked_name("papers/a/index.html")]
    assert files_under(out)["papers/a/index.html"] == b"papers/a/index.html"
    assert len(files_under(out)) == 5 and not spool.folder.exists()


def test_failed_commit_into_an_empty_output_leaves_it_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, real = tmp_path / "site", os.replace

    def failing(src: object, dst: object) -> None:
        if Path(str(dst)).name == "search":  # after index.html and papers/ moved in
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    spool = parked(out)
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(SitegenError, match="left as it was"):
        spool.commit(out, [])
    assert files_under(out) == {} and not spool.folder.exists()


def test_killed_commit_into_an_empty_output_is_undone(tmp_path: Path) -> None:
    out = tmp_path / "site"
    spool = parked(out)
    journal = {"output": str(out), "changed": sorted(spool.records), "removed": []}
    (spool.folder / JOURNAL).write_text(json.dumps(journal))
    out.mkdir()  # as if killed after the first two top-level entries moved in
    for name in ("index.html", "papers"):
        os.replace(spool.folder / "new" / name, out / name)
    dead = spool.folder.with_name(".site.spool-999999999")
    spool.folder.rename(dead)
    Spool(out).discard()  # what the next build does first
    assert files_under(out) == {} and not dead.exists()


@given(st.lists(st.sampled_from(["a", "b.html", ".", "..", "", " ", "\\", "..a"]), max_size=6))
def test_check_path_judges_as_a_posix_path_would(parts: list[str]) -> None:
    from pathlib import PurePosixPath

    path = "/".join(parts)
    pure = PurePosixPath(path)
    unsafe = pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path
    try:
        check_path(path)
        refused = False
    except SitegenError:
        refused = True
    assert refused == unsafe


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.tuples(st.integers(-1, 10**12), st.text(alphabet="0123456789abcdef", max_size=32)),
        max_size=8,
    )
)
def test_manifest_bytes_are_what_json_dumps_writes(files: dict[str, tuple[int, str]]) -> None:
    rows = ",\n".join(
        f"{json.dumps(path)}: {json.dumps(list(record))}" for path, record in sorted(files.items())
    )
    head = f'{{"generator": "sitegen", "format": {MANIFEST_FORMAT},\n"files": {{\n'
    expected = f"{head}{rows}\n}}}}\n"
    assert Manifest(files).to_bytes().decode() == expected
    assert json.loads(Manifest(files).to_bytes())["files"] == {p: list(r) for p, r in files.items()}


def test_a_spool_is_named_so_versions_before_the_flat_layout_leave_it_alone(
    tmp_path: Path,
) -> None:
    """They undo every `.site.spool-*` as a tree: a flat one would lose its moved-aside files."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "a.html").write_bytes(b"old")
    spool = parked(out)
    assert spool.flat and not list(tmp_path.glob(".site.spool-*"))
    assert list(tmp_path.glob(f".site.{SPOOL}-*")) == [spool.folder]


def test_an_older_versions_dead_spool_is_undone_as_a_tree(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "p").mkdir(parents=True)
    (out / "p" / "index.html").write_bytes(b"old")
    dead = tmp_path / ".site.spool-999999999"
    (dead / "old" / "p").mkdir(parents=True)
    os.replace(out / "p" / "index.html", dead / "old" / "p" / "index.html")
    (out / "p" / "index.html").write_bytes(b"new, moved in before the kill")
    journal = {"output": str(out), "changed": ["p/index.html"], "removed": []}
    (dead / JOURNAL).write_text(json.dumps(journal))
    Spool(out).discard()
    assert files_under(out) == {"p/index.html": b"old"} and not dead.exists()


def test_ctrl_c_during_a_commit_leaves_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    before = site_with(
        out, {p: b"old " + p.encode() for p in ["index.html", "papers/a/index.html", "z"]}
    )
    spool = parked(out)
    real, calls = os.replace, []

    def interrupted(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 4:  # two files moved aside, one moved in
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        spool.commit(out, [])
    assert files_under(out) == before and not spool.folder.exists()


def test_an_undo_restores_removed_files_in_removed_folders_and_can_be_done_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after its removals (and their empty folders), then killed again while undoing:
    the next run still restores every file, and deletes none it restored."""
    out = tmp_path / "site"
    before = site_with(
        out, {p: b"old " + p.encode() for p in ["a.html", "b.html", "gone/x/index.html"]}
    )
    spool = Spool(out)
    for path in ["a.html", "b.html"]:
        spool.put(path, b"new")
    real_unlink = Path.unlink

    def killed(self: Path, missing_ok: bool = False) -> None:
        if self.name == JOURNAL:  # the commit point never comes
            raise KeyboardInterrupt
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed)
    monkeypatch.setattr(output_module, "undo", lambda folder: None)  # killed: no undo now
    monkeypatch.setattr(Spool, "discard", lambda self: None)
    with pytest.raises(KeyboardInterrupt):
        spool.commit(out, ["gone/x/index.html"])
    monkeypatch.undo()
    assert not (out / "gone").exists()  # removed with its folders
    real_restore, restored = output_module.restore, []

    def dies_after_one(old: Path, target: Path) -> None:
        if restored:
            raise KeyboardInterrupt
        restored.append(target)
        real_restore(old, target)

    monkeypatch.setattr(output_module, "restore", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        output_module.undo(spool.folder)
    monkeypatch.undo()
    output_module.undo(spool.folder)  # the next run's
    assert files_under(out) == before


def test_a_flat_spool_commits_paths_whatever_became_of_the_output(tmp_path: Path) -> None:
    """Emptied between the spool and its commit: still file by file, by path, not renamed whole."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "x.html").write_bytes(b"old")
    spool = parked(out)
    (out / "x.html").unlink()
    spool.commit(out, [])
    assert sorted(files_under(out)) == [
        "index.html",
        "papers/a/index.html",
        "papers/b/index.html",
        "search/x.js",
        "z",
    ]


def test_a_tree_spool_commits_file_by_file_once_the_output_has_files(tmp_path: Path) -> None:
    """Empty when the spool began (a preview's first build), not at the commit (its early pages)."""
    out = tmp_path / "site"
    spool = parked(out)
    assert not spool.flat
    (out / "papers" / "a").mkdir(parents=True)
    (out / "papers" / "a" / "index.html").write_bytes(b"written early")
    (out / "kept.html").write_bytes(b"someone's")
    spool.commit(out, [])
    assert files_under(out)["papers/a/index.html"] == b"papers/a/index.html"
    assert files_under(out)["kept.html"] == b"someone's" and len(files_under(out)) == 6


def test_a_spool_whose_undo_was_cut_short_is_left_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second Ctrl+C during the undo: discarding must not take the journal and old files."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_bytes(b"old")
    spool = parked(out)
    real = os.replace

    def interrupted(src: object, dst: object) -> None:
        if Path(str(dst)) == out / "index.html":
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    monkeypatch.setattr(output_module, "undo", lambda folder: None)  # cut short at once
    with pytest.raises(KeyboardInterrupt):
        spool.commit(out, [])
    spool.discard()  # render_and_write's `finally`
    monkeypatch.undo()
    assert (spool.folder / JOURNAL).exists()
    Spool(out).discard()  # the next run
    assert files_under(out) == {"index.html": b"old"} and not spool.folder.exists()


@pytest.mark.parametrize("failure", [OSError(1, "Operation not permitted"), NotImplementedError()])
def test_a_file_is_restored_by_copy_where_it_cannot_be_hard_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    old, target = tmp_path / "old", tmp_path / "site" / "a.html"
    old.write_bytes(b"old a")
    target.parent.mkdir()
    target.write_bytes(b"new a")

    def no_links(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(os, "link", no_links)
    output_module.restore(old, target)
    assert target.read_bytes() == b"old a" and old.read_bytes() == b"old a"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.html"]


def test_a_commit_replaces_links_themselves_and_fails_whole_on_a_folder_in_the_way(
    tmp_path: Path,
) -> None:
    out, outside = tmp_path / "site", tmp_path / "outside.html"
    site_with(out, {"a/index.html": b"old a", "b/index.html": b"old b"})
    outside.write_bytes(b"not the site's")
    (out / "b" / "index.html").unlink()
    (out / "b" / "index.html").symlink_to(outside)  # a link the user made: replaced, not followed
    (out / "c" / "index.html").mkdir(parents=True)  # a folder where a page goes
    spool = Spool(out)
    for path in ("a/index.html", "b/index.html", "c/index.html"):
        spool.put(path, b"new " + path.encode())
    with pytest.raises(SitegenError, match="left as it was"):
        spool.commit(out, [])
    assert (out / "a" / "index.html").read_bytes() == b"old a"  # undone, links and all
    assert (out / "b" / "index.html").is_symlink() and (out / "c" / "index.html").is_dir()
    (out / "c" / "index.html").rmdir()
    spool = Spool(out)
    for path in ("a/index.html", "b/index.html", "c/index.html"):
        spool.put(path, b"new " + path.encode())
    spool.commit(out, [])
    assert not (out / "b" / "index.html").is_symlink()
    assert (out / "b" / "index.html").read_bytes() == b"new b/index.html"
    assert outside.read_bytes() == b"not the site's"
    assert files_under(out)["c/index.html"] == b"new c/index.html"


def test_a_manifest_read_again_unchanged_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.output import MANIFEST, Manifest, read_manifest

    (tmp_path / MANIFEST).write_bytes(Manifest({"a.html": (3, "x" * 32)}).to_bytes())
    parsed: list[bytes] = []
    real_loads = json.loads
    monkeypatch.setattr(output_module.json, "loads", lambda b: parsed.append(b) or real_loads(b))
    first = read_manifest(tmp_path)
    first.files["b.html"] = (1, "y")  # a caller's copy: the next read is not changed by it
    again = read_manifest(tmp_path)
    assert len(parsed) == 1 and again.files == {"a.html": (3, "x" * 32)}
    replaced = tmp_path / "new.json"  # replaced by rename, as every manifest is
    replaced.write_bytes(Manifest({"c.html": (4, "z" * 32)}).to_bytes())
    os.replace(replaced, tmp_path / MANIFEST)
    assert read_manifest(tmp_path).files == {"c.html": (4, "z" * 32)} and len(parsed) == 2
