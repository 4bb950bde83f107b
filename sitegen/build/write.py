"""Plan the outputs and write them: a preview's open pages first, then the pages, then search.

Rendered HTML waits in a spool folder (sitegen/output.py), not in memory, and
nothing reaches the site until every page is rendered, so a template error
leaves the previous site untouched. The search index is a late job: started
before the pages (in another process when the run has one), collected after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sitegen.build.keys import search_key
from sitegen.build.options import BuildResult
from sitegen.build.outputs import data_outputs, merge, sitemap_outputs, static_outputs
from sitegen.build.run import Run, render_first
from sitegen.build.schedule import Job, render_all, start_group
from sitegen.output import Outputs, Spool, finish, read_manifest, write_outputs
from sitegen.search import search_files


# --- search (owned by sitegen.search): the staged client-side index under search/ ---
def search_job(run: Run) -> Job:
    """The search index data files, rebuilt only when search_key changed."""
    project = run.model.project
    key = search_key(project.papers, project.taxonomy)
    return start_group(run, "search", key, search_files, project.papers, project.taxonomy)


# --- end search ---

# Started before the pages, collected (and written) after them.
LATE_JOBS: list[Callable[[Run], Job]] = [search_job]


def page_outputs(run: Run, early: Outputs) -> Outputs:
    """Every page (those written early included), the data files, static assets, the sitemap."""
    made = (render_all(run, set(early)), data_outputs(run), static_outputs(run))
    pages = {**early, **merge(made, early)}
    pages.update(sitemap_outputs(run.model.base_url, pages))
    return pages


def render_and_write(run: Run) -> BuildResult:
    """Render and write everything: a preview's open pages first, then the rest."""
    run.spool = Spool(run.output)
    try:
        early = render_first(run)
        jobs = [start(run) for start in LATE_JOBS]
        if early:
            # Someone is looking at the site: bring search up to date (in the worker,
            # while this process waits) before the rest of the pages, not after them.
            late = merge((job() for job in jobs), {})
            run.written_early += write_outputs(run.output, late)
            jobs = [lambda: late]
        return write_build(run, page_outputs(run, early), jobs)
    finally:
        run.spool.discard()


def write_build(
    run: Run, pages: Outputs, jobs: list[Job] | None, kept: Iterable[str] = ()
) -> BuildResult:
    """Write the pages, tell the preview, then collect and write the late jobs (starting them
    now if jobs is None); remove stale files, keeping `kept`, and commit the cache."""
    cache, output = run.cache, run.output
    old, kept = read_manifest(output), set(kept)
    changed = write_outputs(output, pages) + (run.spool.commit(output) if run.spool else [])
    written = len(changed) + len(run.written_early)
    cache.rendered = run.rendered
    if run.preview is not None and run.preview.on_pages is not None:
        gone = [p for p in old if p.endswith(".html") and p not in pages and p not in kept]
        run.preview.on_pages(changed + gone)
    if jobs is None:
        jobs = [start(run) for start in LATE_JOBS]
    late = merge((job() for job in jobs), pages)
    written += len(write_outputs(output, late))
    cache.groups = run.groups
    files = {**dict.fromkeys(kept), **pages, **late}
    removed = finish(output, old, files)
    cache.save()
    return BuildResult(run.model, written, len(files), removed)
