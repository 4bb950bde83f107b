"""Adversarial regressions on the build side (issue 17): each test_adv_* failed before its fix.

A small site (one dump of ten papers) keeps them quick; the CLI ones run real processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_build_incremental import dump_text, make_site

from sitegen.build import BuildOptions, ingest_and_build
from sitegen.cache import BuildCache
from sitegen.errors import SitegenError
from sitegen.output import JOURNAL, Spool, parked_at

REPO = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def build_into(root: Path, output: Path, cache: BuildCache | None = None) -> None:
    """A build as the CLI makes it (the cache from disk, saved after)."""
    ingest_and_build(root, BuildOptions(output), cache or BuildCache.load(root))


def clean_tree(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """What a clean build of root writes."""
    clean = tmp_path / "clean-build"
    ingest_and_build(root, BuildOptions(clean), BuildCache())
    return tree(clean)


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in root."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A small site, built once into site/."""
    root = tmp_path / "root"
    make_site(root)
    build_into(root, root / "site")
    return root


def test_adv_cache_is_keyed_by_output_folder(small: Path, tmp_path: Path) -> None:
    """build -o pub, edit, build, build -o pub: pub/ must catch up (it stayed stale)."""
    pub = small / "pub"
    build_into(small, pub)
    page = next((small / "content" / "papers").rglob("*.md"))
    page.write_text(page.read_text().replace("We study", "We carefully study", 1))
    build_into(small, small / "site")
    build_into(small, pub)
    assert tree(pub) == tree(small / "site") == clean_tree(small, tmp_path)


def test_adv_output_changed_or_deleted_by_hand_is_rewritten(small: Path, tmp_path: Path) -> None:
    """The cache trusted any file that existed; now size and hash must match the manifest."""
    site = small / "site"
    home, page = site / "index.html", next(site.glob("papers/*/index.html"))
    stat = home.stat()
    home.write_bytes(home.read_bytes().replace(b"<", b"[", 1))  # same size
    os.utime(home, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    page.write_bytes(b"vandalised")
    (site / "papers.json").unlink()
    build_into(small, site, BuildCache.load(small))
    assert tree(site) == clean_tree(small, tmp_path)


def test_adv_orphan_search_chunks_are_removed(small: Path, tmp_path: Path) -> None:
    """Chunks an overlapping build left (listed in no manifest) stayed forever."""
    orphan = small / "site" / "search" / "shard-999-0123456789.js"
    orphan.write_text("/* from an interrupted build */")
    build_into(small, small / "site")
    assert not orphan.exists()
    assert tree(small / "site") == clean_tree(small, tmp_path)


def test_adv_failed_commit_leaves_the_site_as_it_was(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit failing half-way (here: the 5th rename) had changed files already."""
    site = small / "site"
    before = tree(site)
    (small / "content" / "site.yaml").write_text("title: Renamed list\nper_page: 2\n")
    real, calls = os.replace, []

    def failing(src: object, dst: object) -> None:
        if Path(str(dst)).is_relative_to(site):
            calls.append(dst)
        if len(calls) == 5:
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(SitegenError, match="left as it was"):
        build_into(small, site)
    assert tree(site) == before
    assert not list(small.glob(".site.spool-*"))


@pytest.mark.parametrize("flat", [True, False], ids=["parked-flat", "older-tree-journal"])
def test_adv_killed_commit_is_undone_by_the_next_build(
    small: Path, tmp_path: Path, flat: bool
) -> None:
    """A commit killed half-way (journal still there) is undone, then the build runs; a
    journal without "flat" (an older version's) parked its files in the output's tree."""
    site = small / "site"
    before = tree(site)
    spool = Spool(site)
    assert spool.flat  # into a built site
    spool.flat = flat
    spool.put("index.html", b"new home")
    spool.put("brand/new.html", b"new page")
    spool.make_folder(spool.folder)
    journal = {"output": str(site), "changed": ["brand/new.html", "index.html"]}
    journal |= {"removed": ["papers.json"], **({"flat": True} if flat else {})}
    (spool.folder / JOURNAL).write_text(json.dumps(journal))
    # As if killed after the first file moved in and the old home page was moved aside.
    aside = parked_at(spool.folder, "old", "index.html", flat)
    aside.parent.mkdir(parents=True)
    os.replace(site / "index.html", aside)
    (site / "brand").mkdir()
    os.replace(parked_at(spool.folder, "new", "brand/new.html", flat), site / "brand" / "new.html")
    dead = spool.folder.with_name(".site.spool-999999999")
    spool.folder.rename(dead)
    Spool(site).discard()  # what the next build does first
    assert not dead.exists()
    assert tree(site) == before


def test_adv_same_stem_dumps_are_refused_naming_both(small: Path) -> None:
    """x.txt and x.text share the id "x": one dump page went missing in silence."""
    dumps = small / "content" / "dumps"
    (dumps / "x.txt").write_text(dump_text([("Alpha Paper On Graphs", 1)]))
    (dumps / "x.text").write_text(dump_text([("Beta Paper On Tokens", 4)]))
    before = tree(small / "site")
    with pytest.raises(SitegenError, match=r"x\.t.*x\.te?xt"):
        build_into(small, small / "site")
    assert tree(small / "site") == before


@pytest.mark.parametrize("where", ["templates", "content", "content/dumps", "static", "."])
def test_adv_output_into_the_projects_own_files_is_refused(small: Path, where: str) -> None:
    """-o templates replaced the user's templates; -o content planted HTML dumps."""
    (small / "templates").mkdir()
    (small / "templates" / "feed.xml").write_text("my own feed template")
    (small / "static").mkdir()
    before = tree(small / "content") | tree(small / "templates") | tree(small / "static")
    result = run_cli(small, "build", "-o", where)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("sitegen: error: ") and "refusing" in line
    assert tree(small / "content") | tree(small / "templates") | tree(small / "static") == before


def test_adv_output_into_a_folder_of_other_files_is_refused(small: Path, tmp_path: Path) -> None:
    """A folder holding files no build wrote is not taken; empty or built ones are."""
    other = tmp_path / "thesis"
    other.mkdir()
    (other / "chapter1.tex").write_text("mine")
    result = run_cli(small, "build", "-o", str(other))
    assert result.returncode == 1 and str(other) in result.stderr
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
    assert tree(other) == {"chapter1.tex": b"mine"}
    (tmp_path / "empty").mkdir()
    assert run_cli(small, "build", "-o", str(tmp_path / "empty")).returncode == 0
    assert run_cli(small, "build", "-o", str(tmp_path / "empty")).returncode == 0  # built


def test_adv_second_command_waits_for_the_lock_or_fails_fast(small: Path) -> None:
    """Two commands at once shared site/ and the cache with no lock."""
    from sitegen.lock import project_lock

    with project_lock(small):
        refused = run_cli(small, "build", "--no-wait")
        assert refused.returncode == 1
        [line] = refused.stderr.splitlines()
        assert f"pid {os.getpid()}" in line and "lock" in line
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        waiting = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build"],
            stdout=subprocess.DEVNULL,
            cwd=small,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        assert "waiting for another sitegen command" in waiting.stderr.readline()
        assert waiting.poll() is None  # still waiting while the lock is held
    assert waiting.wait(120) == 0


def test_adv_two_pages_at_one_path_are_refused_before_writing(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two routes at one path: the second silently replaced the first in the route table."""
    import sitegen.model.library

    themes = sitegen.model.library.urls
    real = themes.theme_url
    # Every theme's list at the same URL, as a segment rule with a gap would make them.
    monkeypatch.setattr(themes, "theme_url", lambda segment: real("same"))
    before = tree(small / "site")
    with pytest.raises(SitegenError, match=r"two pages would be written to themes/same/index"):
        build_into(small, small / "site")
    assert tree(small / "site") == before


# ---------------------------------------------------------------- commands at once, and kills

STEPS = st.tuples(
    st.sampled_from(["add", "build", "ingest", "edit"]),
    st.sampled_from(["finish", "kill", "overlap"]),
    st.floats(min_value=0.05, max_value=2.0),  # when a kill lands, in seconds
    st.integers(min_value=0, max_value=99),
)


def start_step(root: Path, tmp: Path, action: str, n: int) -> subprocess.Popen[bytes] | None:
    """Start one command (or make one user edit in place, returning None)."""
    if action == "edit":
        page = sorted((root / "content" / "papers").rglob("*.md"))[n % 10]
        page.write_text(page.read_text() + f"\n## Notes\n\nMy note {n}.\n")
        return None
    args = [action]
    if action == "add":
        dump = tmp / f"2026-03-{n % 28 + 1:02d}-extra-{n}.txt"
        dump.write_text(dump_text([(f"Added Paper {n} {i}", n + i) for i in range(2)]))
        args.append(str(dump))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", *args, "-q"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def user_bytes(root: Path) -> dict[str, bytes]:
    """The user's files: dumps, pages (ingest's too, once written they are the user's)."""
    content = root / "content"
    return {p.relative_to(content).as_posix(): p.read_bytes() for p in content.rglob("*.md")} | {
        p.relative_to(content).as_posix(): p.read_bytes() for p in content.glob("dumps/*")
    }


@settings(
    max_examples=int(os.environ.get("SITEGEN_ADV_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(STEPS, min_size=1, max_size=4))
def test_adv_concurrent_and_killed_commands_end_in_a_clean_site(
    built_template: Path, steps: list[tuple[str, str, float, int]]
) -> None:
    """Random add/build/ingest/edit, some overlapping, some killed with SIGKILL: one more
    build gives exactly a clean build's site, and no byte the user has is lost."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(built_template, root)
        running: list[subprocess.Popen[bytes]] = []
        for action, how, delay, n in steps:
            process = start_step(root, Path(tmp), action, n)
            if process is None:
                continue
            if how == "kill":
                time.sleep(delay)
                process.kill()
            running.append(process)
            if how != "overlap":
                for other in running:
                    other.wait(120)
                running = []
        for process in running:
            process.wait(120)
        kept = user_bytes(root)
        assert run_cli(root, "build", "-q").returncode == 0
        after = user_bytes(root)  # may hold more: the pages of a dump copied in, then killed
        assert {name: after.get(name) for name in kept} == kept  # nothing lost or changed
        clean = Path(tmp) / "clean"
        shutil.copytree(root / "content", clean / "content")
        ingest_and_build(clean, BuildOptions(clean / "out"), BuildCache())
        assert tree(root / "site") == tree(clean / "out")
        assert not list(root.glob(".site.spool-*"))


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site, ingested and built once, to copy for each example."""
    root = tmp_path_factory.mktemp("template") / "root"
    make_site(root)
    build_into(root, root / "site")
    return root
