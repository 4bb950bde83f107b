"""The build: gather the project, model it, plan the outputs, write them.

    build(root, options)            read every input          (sitegen.project)
      -> make_model                  library, discovery, site  (build/model.py)
      -> render_and_write            pages, data, sitemap;     (build/write.py)
                                     then the search index
A Run (build/run.py) holds one build's working state; schedule.py decides what
runs in another process; keys.py declares every invalidation key; fast.py holds
the preview's two fast paths. Builds are incremental through a BuildCache: a page
whose view and templates are unchanged is not rendered again, and the result is
byte-identical to a clean build (tests/test_build_incremental.py).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache as cached
from functools import partial
from pathlib import Path

from sitegen.build.fast import quick_build, quick_model, quick_write, template_build
from sitegen.build.model import (
    DiscoveryRun,
    discovery_is_due,
    discovery_key_of,
    discovery_of,
    draft_model,
    environment_for,
    listing_model,
    make_model,
    with_discovery,
)
from sitegen.build.options import BuildOptions, BuildResult, Preview, SiteModel
from sitegen.build.outputs import merge
from sitegen.build.run import Run, draft_first
from sitegen.build.schedule import (
    EarlyDiscovery,
    abandon,
    can_fork,
    launch_early,
    launch_lists,
    launch_side,
)
from sitegen.build.write import (
    LATE_JOBS,
    early_search,
    mapped_if_large,
    page_outputs,
    render_and_write,
)
from sitegen.cache import BuildCache
from sitegen.catalog import Ledger
from sitegen.ingest import IngestResult, ingest
from sitegen.known import KINDS, stat_memo
from sitegen.output import Spool, check_output_folder
from sitegen.project import Project, load_project

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Preview",
    "SiteModel",
    "build",
    "discovery_of",
    "ingest_and_build",
    "quick_build",
    "quick_model",
    "quick_write",
    "render_site",
    "template_build",
]


def build(
    root: Path,
    options: BuildOptions,
    cache: BuildCache | None = None,
    preview: Preview | None = None,
) -> BuildResult:
    """Read everything, model it, render what changed and write it."""
    check_output_folder(root, options.output)
    cache = cache if cache is not None else BuildCache()
    return build_project(load_project(root, cache), options, cache, preview)


def ingest_and_build(
    root: Path,
    options: BuildOptions,
    cache: BuildCache | None = None,
    preview: Preview | None = None,
) -> tuple[IngestResult, BuildResult]:
    """`sitegen build`: ingest new papers from the dumps, then build; a refused dump stops both."""
    check_output_folder(root, options.output)
    cache = cache if cache is not None else BuildCache()
    fork = can_fork(options, preview)
    if fork:  # a one-shot build: its list's size is known by the inputs its cache holds...
        mapped_if_large(len(cache.parsed))
    early = EarlyDiscovery(root, cache) if fork else None
    try:
        ingested = ingest(root, cache, fork, early.start if early is not None else None)
        if ingested.errors:
            raise ingested.errors[0]
        if fork:  # ...or, with none (a first build, --clean), by the pages ingest gave
            mapped_if_large(len(ingested.pages))
        project = load_project(root, cache, ingested)
        # The project holds what the build needs of the pages and dumps ingest read: the
        # rest (each page as parsed, each dump's abstracts, the ledger: ~37 MB at 100k
        # papers) is not kept through the build.
        ingested = replace(ingested, dumps=[], pages=[], ledger=Ledger())
        return ingested, build_project(project, options, cache, preview, early)
    finally:
        if early is not None:
            early.abandon()  # unless the build took its discovery


def build_project(
    project: Project,
    options: BuildOptions,
    cache: BuildCache,
    preview: Preview | None,
    early: EarlyDiscovery | None = None,
) -> BuildResult:
    """Model a project just read and render and write its site.

    A preview's open pages are written first; its on_pages(written) runs once
    all pages are on disk and before the search index is collected, so the
    browser can reload first. `early`: discovery started while ingest placed the
    new papers (build.schedule.EarlyDiscovery), taken if it read these papers.
    """
    cache.prune()  # this build parsed every input: forget the ones that are gone
    fork = can_fork(options, preview)
    if fork:  # a one-shot build: what it read is on disk now, and not held by the copies
        cache.release_parsed()
        cache.spill(*map(stat_memo, KINDS))
    launched: dict = {}
    side: Run | None = None  # the side copy's run, rendering the lists
    spool = Spool(options.output) if fork else None
    try:
        search = None if spool is None else early_search(project, cache, options.output, spool)
        key = cached(partial(discovery_key_of, project))  # hashes every title and abstract
        lists = spool is not None and discovery_is_due(cache, key)
        if early is not None and not lists:  # discovery is kept: nothing the copy makes is wanted
            early.abandon()
        if spool is not None and not lists:  # the search index at once: it needs no model
            launched = launch_side(None, search)
        elif preview is not None:
            # The search index first: the warm worker keeps its memo and gets only the papers
            # that changed (build.write.ResidentSearch), so handing it over is quick, and it
            # runs while the open pages are drafted, then beside discovery. With open tabs,
            # it puts the search files in place itself, as soon as they are made.
            search = early_search(project, cache, options.output)
            launched = launch_early(options, search, options.output if preview.first else None)
        listing = listing_model(project, options, cache)
        env = environment_for(project, cache)
        if lists:  # the search index, and the list pages while discovery runs
            # numpy, which discovery loads anyway, loaded once for both: the side copy's
            # index then reads its documents in batches at any size (search.batch_adder).
            import numpy  # noqa: F401

            side = Run(listing, env, options, cache, spool=spool)
            launched, made_early = launch_lists(side, search, (early, key()))
            if made_early:  # this process waits for discovery: what the papers' page keys
                side.paper_page_keys().warm()  # read of the lists, made meanwhile
        elif preview is not None:
            draft_first(Run(draft_model(listing, cache), env, options, cache, preview))
        aside = launched.pop("candidates", None)  # taken as soon as a copy has them
        candidates = aside[1].early if aside is not None else None
        if aside is not None and "lists-here" in launched:  # lists rendered meanwhile
            candidates = partial(launched["lists-here"][1].waited, aside[1])
        model = with_discovery(listing, cache, DiscoveryRun(key(), fork, candidates, early))
    except BaseException:
        abandon(launched, spool)
        raise
    try:
        run = Run(model, env, options, cache, preview, spool=spool, fork=fork, launched=launched)
        if side is not None:  # the same site key and cards: discovery is part of neither
            run.page_inputs = side.page_inputs
            run.paper_keys = side.paper_keys and side.paper_keys.for_site(model.site)
        return render_and_write(run)
    except BaseException:  # the copies no stage took yet (each stage abandons those it took)
        abandon(launched, spool)
        raise


def render_site(project: Project, base_url: str = "") -> dict[str, bytes]:
    """Every output file of a clean build, in memory: relative path -> bytes."""
    options, cache = BuildOptions(Path("/nonexistent"), base_url), BuildCache()
    model = make_model(project, options, cache)
    run = Run(model, environment_for(project, cache), options, cache)
    jobs = [start(run) for start in LATE_JOBS]
    pages = page_outputs(run, {})
    late = merge((job() for job in jobs), pages)
    return {path: data for path, data in {**pages, **late}.items() if isinstance(data, bytes)}
