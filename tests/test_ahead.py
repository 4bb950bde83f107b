"""sitegen.ahead: the copy a CLI build starts first reads the inputs and compiles the templates."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import run_sitegen
from test_render import compiles_seen

import sitegen.known
from sitegen import ahead
from sitegen.cache import BuildCache
from sitegen.catalog import page_files
from sitegen.errors import SitegenError
from sitegen.ingest import ingest
from sitegen.noop import RACY_NS


def ingested(site: Path) -> Path:
    """The site after `sitegen ingest`, its pages' stats old enough to be trusted."""
    assert run_sitegen("ingest", "-q", cwd=site).returncode == 0
    time.sleep(2 * RACY_NS / 1e9)
    return site


def test_a_cli_build_has_a_copy_compile_every_template_into_the_cache_beforehand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.paper_page import unused_templates
    from sitegen.render import compile_templates, make_environment, template_dirs

    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(tmp_path / "compiled"))
    compiled = compiles_seen(monkeypatch)
    with ahead.started(tmp_path):
        pass  # the copy compiled them (this process's list stays empty: not here)
    assert not compiled and len(list((tmp_path / "compiled").iterdir())) >= 15
    env = make_environment(template_dirs(tmp_path))
    compile_templates(env, unused_templates(env))
    assert not compiled  # every one read back compiled

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with ahead.started(tmp_path) as started:  # a fork refused now: the build does it all
        started.known_into(BuildCache())
    monkeypatch.undo()
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(tmp_path / "none-yet"))
    with ahead.started(tmp_path, wanted=False):  # --clean
        pass
    assert not (tmp_path / "none-yet").exists() or not any((tmp_path / "none-yet").iterdir())


def test_pages_just_ingested_are_read_by_the_copy_not_by_the_build(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested(shipped_site)
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(shipped_site.parent / "compiled"))
    reads: list[str] = []  # the inputs this process reads (not the copy's)
    real = sitegen.known.read_input_and_stat
    monkeypatch.setattr(
        sitegen.known, "read_input_and_stat", lambda path: reads.append(str(path)) or real(path)
    )
    with ahead.started(shipped_site) as started:
        cache = BuildCache.load(shipped_site)
        started.known_into(cache)
        found = ingest(shipped_site, cache)
    assert not [path for path in reads if path.endswith(".md")]
    # Without it (a cache read afresh), every page ingest just wrote is read: the same pages.
    again = ingest(shipped_site, BuildCache.load(shipped_site))
    assert len([path for path in reads if path.endswith(".md")]) == len(found.pages) >= 300
    assert again.pages == found.pages and not found.errors


def test_a_copy_that_dies_before_reading_ahead_leaves_the_build_to_read_and_finish(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested(shipped_site)
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(shipped_site.parent / "compiled"))

    def dies(root: Path) -> dict:
        raise SitegenError("out of memory", root)

    monkeypatch.setattr(ahead, "read_ahead", dies)  # in the copy, forked with it
    with ahead.started(shipped_site) as started:
        cache = BuildCache.load(shipped_site)
        started.known_into(cache)  # nothing taken, nothing raised, now or when it ends
        assert started.copy is None and not ingest(shipped_site, cache).errors


def test_without_a_cache_the_copy_reads_nothing_ahead(shipped_site: Path) -> None:
    assert ahead.read_ahead(shipped_site) == {}  # a first build parses every input anyway
    folder, listed, found = ahead.read_ahead(ingested(shipped_site))["page"]
    assert folder == str(shipped_site / "content" / "papers") and len(found) >= 300
    assert listed is not None and list(listed) == page_files(Path(folder))  # with their stats
    assert set(found) <= set(listed) and ahead.read_ahead(shipped_site)["dump"][1] is None
    shutil.rmtree(shipped_site / "content" / "papers")  # no folder: no listing of it
    assert ahead.read_ahead(shipped_site)["page"][1] is None


@pytest.mark.parametrize("how", ["in the copy", "copy died", "walk died", "no fork", "not wanted"])
def test_the_walk_is_made_before_the_inputs_are_read_in_the_copy_or_else_here(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # `sitegen add` (and a `sitegen build` with no record) walks the inputs for its record in
    # the copy, first; without the copy (it died, or none was forked), this process walks
    # them at the same point: before its reads.
    ingested(shipped_site)
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(shipped_site.parent / "compiled"))
    if how == "copy died":

        def dies(root: Path) -> dict:
            raise SitegenError("out of memory", root)

        monkeypatch.setattr(ahead, "read_ahead", dies)
    if how == "no fork":

        def no_fork() -> int:
            raise BlockingIOError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(os, "fork", no_fork)

    here = os.getpid()

    def walk() -> tuple[int, int]:
        if how == "walk died" and os.getpid() != here:
            raise SitegenError("out of memory", shipped_site)
        return os.getpid(), len(list((shipped_site / "content" / "papers").rglob("*.md")))

    with ahead.started(shipped_site, how != "not wanted", walk) as started:
        cache = BuildCache.load(shipped_site)
        started.known_into(cache)
        walked = started.walked
        assert not ingest(shipped_site, cache).errors
    assert walked is not None and walked[1] >= 300
    assert (walked[0] == here) == (how in ("walk died", "no fork", "not wanted"))
