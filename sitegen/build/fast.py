"""The preview's two fast paths, each continuing from the last good build's model.

As in Zola's serve, the watcher's change set picks the path: saved pages whose
lists look the same (quick_build), or only templates and static files
(template_build). Each returns None when it cannot be sure: do a full build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from sitegen.build.keys import seen_elsewhere, settings_stamp
from sitegen.build.model import environment_for
from sitegen.build.options import BuildOptions, BuildResult, Preview, SiteModel
from sitegen.build.run import Run, render_view
from sitegen.build.write import render_and_write, write_build
from sitegen.cache import BuildCache
from sitegen.catalog import Paper, load_page, make_paper
from sitegen.errors import SitegenError
from sitegen.fsio import read_input
from sitegen.views.pages import paper_page_of


def template_build(
    last: SiteModel | None, options: BuildOptions, cache: BuildCache, preview: Preview | None
) -> BuildResult | None:
    """Template and static edits: the last build's model, new templates.

    No content changed, so reading and modelling it again (most of what comes
    before the first page at 10k papers) is skipped.
    """
    if last is None:
        return None
    cache.restamp(settings_stamp(last.project))
    env = environment_for(last.project, cache)
    return render_and_write(Run(last, env, options, cache, preview))


NOT_SEEN = ("", "", 0, "")  # a file the cache has no record of (cache.Noted)


def changed_papers(last: SiteModel, changed: Iterable[Path], cache: BuildCache) -> list[Paper]:
    """The saved pages as papers, or [] when any is new, unreadable or shows differently
    on other pages (title, abstract, theme, tags, status, dumps)."""
    content = last.project.root / "content"
    by_source = {paper.source: paper for paper in last.project.papers}
    updated = []
    for path in changed:
        try:
            data = read_input(path)  # a regular file only, with a size cap (never a FIFO)
            old = by_source.get(path.relative_to(content).as_posix())
        except (OSError, ValueError, SitegenError):
            return []
        if old is None:
            return []
        paper = make_paper(load_page(path, data, cache), old.dumps, content)
        if seen_elsewhere(paper) != seen_elsewhere(old):
            return []
        updated.append(paper)
    return updated


def quick_build(
    last: SiteModel | None,
    changed: Iterable[Path],
    options: BuildOptions,
    cache: BuildCache,
    preview: Preview | None,
) -> BuildResult | None:
    """Saves that change only what the papers' own pages show (typically notes).

    Only those pages and the search index are remade.
    """
    found = quick_model(last, changed, cache)
    return None if found is None else quick_write(*found, options, cache, preview)


def quick_model(
    last: SiteModel | None, changed: Iterable[Path], cache: BuildCache
) -> tuple[SiteModel, list[str]] | None:
    """The last model with the saved pages' papers, and their slugs; None when a saved page
    changes what other pages show (changed_papers)."""
    updated = {p.slug: p for p in changed_papers(last, changed, cache)} if last else {}
    if last is None or not updated:
        return None
    project = last.project.with_papers([updated.get(p.slug, p) for p in last.project.papers])
    library = replace(last.site.library, papers={**last.site.library.papers, **updated})
    return replace(last, project=project, site=replace(last.site, library=library)), [*updated]


def quick_write(
    model: SiteModel,
    slugs: list[str],
    options: BuildOptions,
    cache: BuildCache,
    preview: Preview | None,
) -> BuildResult | None:
    """quick_model's model written: the pages of these papers and the search index; None
    when the cache does not describe the output as its manifest does (a `--clean` build's,
    which saved no cache): which files to keep would not be known."""
    env = environment_for(model.project, cache)
    run = Run(model, env, options, cache, preview)
    if any(run.seen.get(path, NOT_SEEN)[1] != record[1] for path, record in run.old.files.items()):
        return None
    views = (paper_page_of(model.site, slug) for slug in slugs)
    pages = {view.path: render_view(run, view) for view in views}
    run.groups = dict(run.seen_groups)
    # Every file stays as it is but the remade pages and the search index.
    kept = set(run.old.files) - set(run.groups.get("search", ("", ()))[1]) - set(pages)
    try:
        return write_build(run, pages, None, kept)
    finally:
        if run.spool is not None:
            run.spool.discard()
