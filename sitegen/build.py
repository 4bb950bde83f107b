"""The build: read the whole project, render every output, then put it all in place.

Outputs are made by *producers*: functions from a BuildContext to a dict of
relative path -> bytes. To add outputs, write a producer and add it to
PAGE_PRODUCERS; slow outputs that pages don't link to by content (the search
index) are LATE_JOBS, started before the pages (in another process when the build
has one, so they use the second core) and collected after the pages are written.
The sitemap is made from the HTML pages the producers returned.
Rendered HTML waits in a spool folder (sitegen/output.py), not in memory, and
nothing reaches the site until every page producer has run, so a template error
leaves the previous site untouched. A CLI build (fork=True) renders most paper
pages and the search index in forked copies of this process (sitegen/workers.py).
A preview (`serve`) gets its open pages rendered and written first (Preview).

Builds are incremental through a BuildCache: a page whose view (its template
context) and templates are unchanged since the last build is not rendered
again (its output value is None: "already on disk"), and the search index is
rebuilt only when the papers changed. The result is byte-identical to a clean
build; tests/test_build_incremental.py checks that property. quick_build and
template_build are serve's fast paths for saved pages and for template edits.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import jinja2

from sitegen import __version__
from sitegen.cache import BuildCache, digest, tree_fingerprint
from sitegen.catalog import Paper, load_page, make_paper
from sitegen.errors import SitegenError
from sitegen.fsio import write_if_changed
from sitegen.ingest import IngestResult, ingest
from sitegen.model import urls
from sitegen.model.library import build_library
from sitegen.output import Spool, check_path, finish, read_manifest, write_outputs
from sitegen.project import Project, default_dir, load_project
from sitegen.render import make_environment, render_template, template_dirs
from sitegen.search import search_files
from sitegen.themes import themes_file
from sitegen.views.context import PageView
from sitegen.views.listing import Site, make_site
from sitegen.views.pages import Route, paper_page_of, routes, views_at
from sitegen.workers import Forked

if TYPE_CHECKING:
    from sitegen.discover import Discovery

# With a forked renderer, the share of paper pages this process keeps: it also renders
# every list page (theme, A–Z, dump pages), which cost about as much again (profiled at 10k).
OWN_SHARE = 0.4
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file
PICKLE_PROTOCOL = 5  # fixed, so page keys don't change with the Python default

# (part, fraction): part 0 takes `fraction` of the paper pages (spread evenly) and every
# other page; part 1 takes the remaining paper pages. (0, 1.0) is the whole site.
Share = tuple[int, float]
WHOLE: Share = (0, 1.0)
Outputs = dict[str, bytes | None]  # None: unchanged since the last build, already on disk
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Preview:
    """What a live preview asks of a build: pages to do first, and calls when files are out."""

    # Output pages open in a browser: rendered and written before all the others, so
    # the reader sees a change without waiting for the whole site (Hugo's fast render).
    first: frozenset[str] = frozenset()
    on_first: Callable[[list[str]], None] | None = None  # those pages are written
    on_pages: Callable[[list[str]], None] | None = None  # all pages written; search follows


@dataclass
class BuildContext:
    """Everything a producer may use: the project, its library and the template environment."""

    project: Project
    site: Site
    env: jinja2.Environment
    base_url: str  # absolute URL ending in "/", or ""
    output: Path
    cache: BuildCache
    progress: Progress | None = None
    executor: Executor | None = None  # a worker process for late jobs, if any
    spool: Spool | None = None  # where rendered pages wait on disk; None: keep them in memory
    preview: Preview | None = None
    fork: bool = False  # side work in forked copies of this process (CLI builds: no threads)
    early: Outputs = field(default_factory=dict)  # pages a preview had rendered first
    written_early: list[str] = field(default_factory=list)  # files written before the rest
    # What this build made, committed to the cache only once it is on disk.
    rendered: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def reusable(self, path: str, key: str) -> bool:
        """Whether path was last made from inputs with this key and is still on disk."""
        return self.cache.rendered.get(path) == key and (self.output / path).is_file()

    def start_group(self, name: str, key: str, make: Callable[..., Outputs], *args: Any) -> Job:
        """Start outputs made together (e.g. the search index) unless their key is unchanged."""
        old_key, paths = self.cache.groups.get(name, ("", ()))
        if old_key == key and all((self.output / p).is_file() for p in paths):
            self.groups[name] = (key, paths)
            return lambda: dict.fromkeys(paths)
        if self.fork:
            run = Forked(make, *args).result
        elif self.executor is not None:
            run = self.executor.submit(make, *args).result
        else:
            run = partial(make, *args)

        def collect() -> Outputs:
            outputs = run()
            self.groups[name] = (key, tuple(sorted(outputs)))
            return outputs

        return collect

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        """Render a template, turning template mistakes into one-line SitegenErrors."""
        try:
            return render_template(self.env, template, context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or exc.name
            raise SitegenError(f"template: {exc.message}", where, exc.lineno) from None
        except jinja2.TemplateNotFound as exc:
            raise SitegenError(f"template not found: {exc.name}") from None
        except Exception as exc:  # noqa: BLE001 - any error raised by template code
            where, line = template_frame(exc)
            raise SitegenError(f"template: {exc}", where or template, line) from None


def template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error was raised from (Jinja maps frames to them)."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


Producer = Callable[[BuildContext], Outputs]
Job = Callable[[], Outputs]  # waits for (or makes) a group of outputs started earlier


@dataclass
class BuildResult:
    """What a build did."""

    project: Project
    written: int
    total: int
    removed: int = 0


def paper_record(paper: Paper) -> dict[str, object]:
    """One paper as it appears in papers.json."""
    return {
        "slug": paper.slug,
        "title": paper.title,
        "abstract": paper.abstract,
        "url": urls.paper_url(paper.slug),
        "theme": paper.theme,
        "themes": list(paper.themes),
        "dumps": list(paper.dumps),
        "links": list(paper.links),
        "tags": list(paper.tags),
        "status": paper.status,
    }


def papers_json(papers: list[Paper]) -> str:
    """The machine-readable catalogue, sorted by slug for stable output."""
    # One paper per line: tidy diffs, and the C encoder (indent= would force the slow one).
    rows = (json.dumps(paper_record(p), ensure_ascii=False) for p in sorted(papers, key=slug_of))
    return "[\n" + ",\n".join(rows) + "\n]\n"


def slug_of(paper: Paper) -> str:
    """Sort key: a paper's slug."""
    return paper.slug


def resolve_base_url(cli_value: str | None, config_value: str) -> str:
    """--base-url wins over site.yaml; the result is "" or an absolute URL ending in "/"."""
    url = (config_value if cli_value is None else cli_value).strip()
    if not url:
        return ""
    if not url.startswith(("http://", "https://", "/")):
        raise SitegenError(f"base_url {url!r} must start with https://, http:// or /")
    return url.rstrip("/") + "/"


def view_key(ctx: BuildContext, view: PageView) -> str:
    """What a page is made from: the templates' stamp and its view."""
    # A view is plain frozen data, so its pickle describes it completely (and is
    # several times faster to make than its repr). Equal views could pickle
    # differently only through object sharing, which costs a render, never a miss.
    key = digest(ctx.cache.stamp, view.template, pickle.dumps(view.context, PICKLE_PROTOCOL))
    ctx.rendered[view.path] = key
    return key


def render_changed(ctx: BuildContext, view: PageView) -> bytes | None:
    """Render one page, or None when it was already made from the same view and templates."""
    if ctx.reusable(view.path, view_key(ctx, view)):
        return None
    return ctx.render(view.template, view.context)


def render_view(ctx: BuildContext, view: PageView) -> bytes | None:
    """render_changed, parking the page in the build's spool when it has one (then None)."""
    data = render_changed(ctx, view)
    if data is None or ctx.spool is None:
        return data
    ctx.spool.put(view.path, data)  # on disk until the build succeeds; None: "not in memory"
    return None


def render_first(ctx: BuildContext) -> Outputs:
    """The pages a preview has open, rendered and written straight away (None: on disk)."""
    preview = ctx.preview
    if preview is None or not preview.first:
        return {}
    done: Outputs = {}
    written = []
    for view in views_at(ctx.site, preview.first):
        done[view.path] = None
        data = render_changed(ctx, view)
        if data is not None and write_if_changed(ctx.output / view.path, data):
            written.append(view.path)
    ctx.written_early += written
    if written and preview.on_first is not None:
        preview.on_first(written)
    return done


def render_share(
    ctx: BuildContext, early: set[str], share: Share
) -> tuple[dict[str, str], list[str], Outputs]:
    """In a forked copy: render one share of the pages; (page keys, spooled paths, outputs).

    The copy shares the whole model (nothing pickled over), renders into the spool
    and sends back only what the cache needs.
    """
    ctx.rendered, ctx.progress = {}, None
    if ctx.spool is not None:
        ctx.spool.paths = []
    views = (route.make() for route in routes_in_share(ctx.site, share) if route.path not in early)
    outputs = {view.path: render_view(ctx, view) for view in views}
    return ctx.rendered, ctx.spool.paths if ctx.spool else [], outputs


def html_outputs(ctx: BuildContext) -> Outputs:
    """Every HTML page of the site, rendering only pages whose view or templates changed."""
    outputs = dict(ctx.early)  # written already, for a preview's open tabs
    early = set(outputs)
    # Rendering is most of a full build: a forked copy takes most paper pages.
    helper = Forked(render_share, ctx, early, (1, OWN_SHARE)) if ctx.fork else None
    share = (0, OWN_SHARE) if helper else WHOLE
    # Views are made one at a time and dropped once rendered: at 100k papers a list
    # of them all would hold every paper's rendered abstract at once.
    expected = int(len(ctx.site.library.papers) * share[1])  # paper pages are nearly all
    try:
        for number, route in enumerate(routes_in_share(ctx.site, share), start=1):
            if route.path not in early:
                outputs[route.path] = render_view(ctx, route.make())
            if ctx.progress is not None and number % 200 == 0:
                ctx.progress(min(number, expected), expected)
    except BaseException:
        if helper is not None:
            helper.abandon()
        raise
    if helper is not None:
        rendered, spooled, more = helper.result()
        ctx.rendered.update(rendered)
        if ctx.spool is not None:
            ctx.spool.paths += spooled
        outputs.update(more)
    return outputs


def in_share(count: int, share: Share) -> bool:
    """Whether the count-th paper page (from 0) belongs to this share."""
    part, fraction = share
    first = int((count + 1) * fraction) > int(count * fraction)
    return first if part == 0 else not first


def routes_in_share(site: Site, share: Share) -> Iterator[Route]:
    """The routes of one share: its paper pages, and (part 0) every other page."""
    count = 0
    for route in routes(site).values():
        if route.kind != "paper":
            if share[0] == 0:
                yield route
            continue
        if in_share(count, share):
            yield route
        count += 1


def data_outputs(ctx: BuildContext) -> Outputs:
    """papers.json, .nojekyll and robots.txt."""
    robots = "User-agent: *\nAllow: /\n"
    if ctx.base_url.startswith("http"):
        robots += f"Sitemap: {ctx.base_url}sitemap.xml\n"
    return {
        "papers.json": papers_json(ctx.project.papers).encode("utf-8"),
        ".nojekyll": b"",
        "robots.txt": robots.encode("utf-8"),
    }


def static_files(folder: Path) -> dict[str, Path]:
    """The files under a static folder by relative path, skipping hidden and temporary files."""
    if not folder.is_dir():
        return {}
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        hidden = any(part.startswith(".") for part in relative.parts)
        if path.is_file() and not hidden and not path.name.endswith("~"):
            files[relative.as_posix()] = path
    return files


def static_outputs(ctx: BuildContext) -> Outputs:
    """The shipped static/ assets, overlaid by the site's own static/ folder."""
    files = {**static_files(default_dir("static")), **static_files(ctx.project.root / "static")}
    return {f"static/{name}": path.read_bytes() for name, path in sorted(files.items())}


# --- search (owned by sitegen.search): the staged client-side index under search/ ---
def search_job(ctx: BuildContext) -> Job:
    """The search index data files (sitegen.search), rebuilt only when papers or themes changed."""
    project = ctx.project
    key = digest(pickle.dumps((project.papers, project.taxonomy), PICKLE_PROTOCOL))
    return ctx.start_group("search", key, search_files, project.papers, project.taxonomy)


# --- end search ---

PAGE_PRODUCERS: list[Producer] = [html_outputs, data_outputs, static_outputs]
# Started before the pages, collected (and written) after them.
LATE_JOBS: list[Callable[[BuildContext], Job]] = [search_job]


def page_urls(outputs: Mapping[str, bytes]) -> list[str]:
    """Site-relative URLs of the HTML pages, in path order (404.html excluded)."""
    return [
        urls.url_of(path)
        for path in sorted(outputs)
        if path.endswith(".html") and path != urls.NOT_FOUND_FILE
    ]


def urlset(base_url: str, urls: list[str]) -> bytes:
    """One sitemap file."""
    rows = "".join(f"<url><loc>{escape(base_url + url)}</loc></url>\n" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</urlset>\n"
    ).encode()


def sitemap_outputs(base_url: str, outputs: Mapping[str, bytes]) -> Outputs:
    """sitemap.xml, split behind a sitemap index when there are more than 50,000 pages.

    Without a base_url the locations stay site-relative (crawlers want absolute
    URLs: set base_url in site.yaml or pass --base-url).
    """
    urls = page_urls(outputs)
    if len(urls) <= SITEMAP_MAX_URLS:
        return {"sitemap.xml": urlset(base_url, urls)}
    files: Outputs = {}
    for number, start in enumerate(range(0, len(urls), SITEMAP_MAX_URLS), start=1):
        files[f"sitemap-{number}.xml"] = urlset(base_url, urls[start : start + SITEMAP_MAX_URLS])
    rows = "".join(f"<sitemap><loc>{escape(base_url + name)}</loc></sitemap>\n" for name in files)
    files["sitemap.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</sitemapindex>\n"
    ).encode()
    return files


def merge(groups: Iterable[Outputs], outputs: Outputs) -> Outputs:
    """Collect groups of outputs into a fresh dict, refusing unsafe or doubly-claimed paths."""
    made: Outputs = {}
    for group in groups:
        for path, data in group.items():
            check_path(path)
            if path in outputs or path in made:
                raise SitegenError(f"two outputs want the same path: {path}")
            made[path] = data
    return made


def settings_stamp(project: Project) -> str:
    """Fingerprint of what every page depends on: version, settings and templates."""
    content = project.root / "content"
    settings = [
        path.read_bytes() if path.is_file() else b""
        for path in (content / "site.yaml", themes_file(content))
    ]
    return digest(__version__, *settings, tree_fingerprint(template_dirs(project.root)))


# --- discovery (sitegen.discover): computed once per build, memoised in the build cache ---
def discovery_of(project: Project, cache: BuildCache) -> Discovery:
    """Key terms, related papers and map points, recomputed only when what they read changes."""
    from sitegen.discover import discover, discovery_input  # numpy/scipy load only if needed

    # Sorted: moving a page to another theme folder changes the papers' order, not discovery.
    key = digest(repr(sorted(discovery_input(p) for p in project.papers)))
    return cache.memo("discovery", key, lambda: discover(project.papers))


# --- end discovery ---


def environment_for(project: Project, cache: BuildCache) -> jinja2.Environment:
    """The Jinja environment, reused (templates already compiled) while the stamp holds."""
    if cache.environment is None or cache.environment[0] != cache.stamp:
        cache.environment = (cache.stamp, make_environment(template_dirs(project.root)))
    return cache.environment[1]


def make_context(
    project: Project,
    output: Path,
    base_url: str,
    cache: BuildCache,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> BuildContext:
    """The library, template environment and cache a build renders with."""
    cache.restamp(settings_stamp(project))
    site = make_site(build_library(project, base_url, discovery_of(project, cache)))
    env = environment_for(project, cache)
    return BuildContext(project, site, env, base_url, output, cache, progress, executor)


def render_pages(ctx: BuildContext) -> Outputs:
    """Every page producer's outputs plus the sitemap."""
    pages = merge((producer(ctx) for producer in PAGE_PRODUCERS), {})
    pages.update(sitemap_outputs(ctx.base_url, pages))
    return pages


def render_site(project: Project, base_url: str = "") -> dict[str, bytes]:
    """Every output file of a clean build, in memory: relative path -> bytes."""
    ctx = make_context(project, Path("/nonexistent"), base_url, BuildCache())
    jobs = [start(ctx) for start in LATE_JOBS]
    pages = render_pages(ctx)
    late = merge((job() for job in jobs), pages)
    return {path: data for path, data in {**pages, **late}.items() if data is not None}


def build(
    root: Path,
    output: Path,
    base_url: str | None = None,
    cache: BuildCache | None = None,
    preview: Preview | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    ingested: IngestResult | None = None,
    fork: bool = False,
) -> BuildResult:
    """Read everything, render what changed, write the pages, then the search index.

    A preview's open pages are written first; its on_pages(written) runs once
    all pages are on disk and before the search index is collected, so the
    browser can reload first. With an executor (serve) the search index builds in
    its process meanwhile; with fork (a CLI build, where no threads run) forked
    copies build the search index and render most paper pages.
    """
    cache = cache if cache is not None else BuildCache()
    project = load_project(root, cache, ingested)
    cache.prune()  # this build parsed every input: forget the ones that are gone
    url = resolve_base_url(base_url, project.config.base_url)
    ctx = make_context(project, output, url, cache, progress, executor)
    return render_and_write(ctx, preview, fork)


def template_build(
    output: Path,
    cache: BuildCache,
    preview: Preview | None = None,
    executor: Executor | None = None,
) -> BuildResult | None:
    """Fast path for template and static edits: the last build's model, new templates.

    As in Zola's serve: no content changed, so reading and modelling it again (most
    of what comes before the first page at 10k papers) is skipped. None when there
    is no earlier good build to reuse: do a full build.
    """
    last = cache.last_build
    if last is None or last.output != output:
        return None
    cache.restamp(settings_stamp(last.project))
    env = environment_for(last.project, cache)
    ctx = replace(last, env=env, executor=executor, rendered={}, groups={})
    return render_and_write(ctx, preview, fork=False)


def render_and_write(ctx: BuildContext, preview: Preview | None, fork: bool) -> BuildResult:
    """Render and write everything: a preview's open pages first, then the rest."""
    ctx.spool, ctx.preview, ctx.early, ctx.written_early = Spool(ctx.output), preview, {}, []
    ctx.fork = fork and preview is None and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
    try:
        ctx.early = render_first(ctx)
        jobs = [start(ctx) for start in LATE_JOBS]
        if ctx.early:
            # Someone is looking at the site: bring search up to date (in the worker,
            # while this process waits) before the rest of the pages, not after them.
            late = merge((job() for job in jobs), {})
            ctx.written_early += write_outputs(ctx.output, late)
            jobs = [lambda: late]
        pages = render_pages(ctx)
        return write_build(ctx, pages, jobs)
    finally:
        ctx.spool.discard()
        # The cached context must not point at a spent spool, the preview's tabs or pages.
        ctx.spool, ctx.preview, ctx.fork, ctx.early, ctx.written_early = None, None, False, {}, []


def write_build(
    ctx: BuildContext,
    pages: Outputs,
    jobs: list[Job] | None,
    kept: Iterable[str] = (),
) -> BuildResult:
    """Write the pages, tell the preview, then collect and write the late jobs (starting them
    now if jobs is None); remove stale files, keeping `kept`, and remember the build."""
    cache, output = ctx.cache, ctx.output
    old, kept = read_manifest(output), set(kept)
    changed = write_outputs(output, pages) + (ctx.spool.commit(output) if ctx.spool else [])
    written = len(changed) + len(ctx.written_early)
    cache.rendered = ctx.rendered
    if ctx.preview is not None and ctx.preview.on_pages is not None:
        gone = [p for p in old if p.endswith(".html") and p not in pages and p not in kept]
        ctx.preview.on_pages(changed + gone)
    if jobs is None:
        jobs = [start(ctx) for start in LATE_JOBS]
    late = merge((job() for job in jobs), pages)
    written += len(write_outputs(output, late))
    cache.groups = ctx.groups
    files = {**dict.fromkeys(kept), **pages, **late}
    removed = finish(output, old, files)
    cache.save()
    cache.last_build = ctx
    return BuildResult(ctx.project, written, len(files), removed)


def seen_elsewhere(paper: Paper) -> tuple[Any, ...]:
    """What pages other than a paper's own show of it: its card, record and discovery inputs."""
    return (
        paper.slug,
        paper.title,
        paper.abstract,
        paper.theme,
        paper.themes,
        paper.dumps,
        paper.links,
        paper.tags,
        paper.status,
        paper.meta.get("added"),
    )


def quick_build(
    root: Path,
    output: Path,
    cache: BuildCache,
    changed: Iterable[Path],
    preview: Preview | None = None,
    executor: Executor | None = None,
) -> BuildResult | None:
    """Fast path for saves that change only what the papers' own pages show.

    Like Zola's serve, it takes the change set from the watcher: when every
    changed file is an existing page whose title, abstract, theme, tags, status
    and dumps are as before (typically notes being written), only those pages
    and the search index are remade. Anything else returns None: do a full build.
    """
    last = cache.last_build
    if last is None or last.output != output:
        return None
    content = root / "content"
    by_source = {paper.source: paper for paper in last.project.papers}
    updated: dict[str, Paper] = {}
    for path in changed:
        try:
            data = path.read_bytes()
            old = by_source.get(path.relative_to(content).as_posix())
        except (OSError, ValueError):
            return None
        if old is None:
            return None
        page = load_page(path, data, cache)
        paper = make_paper(page, old.dumps, content)
        if seen_elsewhere(paper) != seen_elsewhere(old):
            return None
        updated[paper.slug] = paper
    project = replace(last.project, papers=[updated.get(p.slug, p) for p in last.project.papers])
    library = replace(last.site.library, papers={**last.site.library.papers, **updated})
    site = replace(last.site, library=library)
    ctx = replace(
        last,
        project=project,
        site=site,
        executor=executor,
        rendered=dict(cache.rendered),
        groups={},
        preview=preview,
    )
    pages = {
        view.path: render_view(ctx, view) for view in map(partial(paper_page_of, site), updated)
    }
    ctx.groups = dict(cache.groups)
    # Every file stays as it is but the remade pages and the search index.
    kept = set(read_manifest(output)) - set(ctx.groups.get("search", ("", ()))[1])
    try:
        return write_build(ctx, pages, None, kept)
    finally:
        ctx.preview = None


def ingest_and_build(
    root: Path,
    output: Path,
    base_url: str | None = None,
    cache: BuildCache | None = None,
    preview: Preview | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    fork: bool = False,
) -> tuple[IngestResult, BuildResult]:
    """`sitegen build`: ingest new papers from the dumps, then build; a refused dump stops both."""
    cache = cache if cache is not None else BuildCache()
    ingested = ingest(root, cache)
    if ingested.errors:
        raise ingested.errors[0]
    return ingested, build(
        root, output, base_url, cache, preview, progress, executor, ingested, fork
    )
