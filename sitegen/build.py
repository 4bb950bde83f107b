"""The build: read the whole project, render every output into memory, then write it all.

Outputs are made by *producers*: functions from a BuildContext to a dict of
relative path -> bytes. To add outputs, write a producer and add it to
PAGE_PRODUCERS (or LATE_PRODUCERS for slow, non-HTML outputs such as the
search index); the sitemap is made from the HTML pages the producers returned.
Nothing is written until every page producer has run, so a template error
leaves the previous site untouched.

Builds are incremental through a BuildCache: a page whose view (its template
context) and templates are unchanged since the last build is not rendered
again (its output value is None: "already on disk"), and the search index is
rebuilt only when the papers changed. The result is byte-identical to a clean
build; tests/test_build_incremental.py checks that property.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import jinja2

from sitegen import __version__
from sitegen.cache import BuildCache, digest, tree_fingerprint
from sitegen.catalog import Paper
from sitegen.errors import SitegenError
from sitegen.fsio import write_if_changed
from sitegen.ingest import IngestResult, ingest
from sitegen.project import Project, default_dir, load_project
from sitegen.render import make_environment, render_template, template_dirs
from sitegen.search import search_files
from sitegen.site import Library, build_library, feed_context, html_pages

if TYPE_CHECKING:
    from sitegen.discover import Discovery

MANIFEST = ".sitegen-manifest.json"  # what the last build wrote, so the next can remove stale files
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file

Outputs = dict[str, bytes | None]  # None: unchanged since the last build, already on disk
Progress = Callable[[int, int], None]


@dataclass
class BuildContext:
    """Everything a producer may use: the project, its library and the template environment."""

    project: Project
    library: Library
    env: jinja2.Environment
    base_url: str  # absolute URL ending in "/", or ""
    output: Path
    cache: BuildCache
    progress: Progress | None = None
    # What this build made, committed to the cache only once it is on disk.
    rendered: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def reusable(self, path: str, key: str) -> bool:
        """Whether path was last made from inputs with this key and is still on disk."""
        return self.cache.rendered.get(path) == key and (self.output / path).is_file()

    def cached_group(self, name: str, key: str, make: Callable[[], Outputs]) -> Outputs:
        """Outputs made together (e.g. the search index), remade only when their key changes."""
        old_key, paths = self.cache.groups.get(name, ("", ()))
        if old_key == key and all((self.output / p).is_file() for p in paths):
            self.groups[name] = (key, paths)
            return dict.fromkeys(paths)
        outputs = make()
        self.groups[name] = (key, tuple(sorted(outputs)))
        return outputs

    def render(self, template: str, context: dict[str, Any]) -> bytes:
        """Render a template, turning template mistakes into one-line SitegenErrors."""
        try:
            return render_template(self.env, template, context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or exc.name
            raise SitegenError(f"template: {exc.message}", where, exc.lineno) from None
        except jinja2.TemplateNotFound as exc:
            raise SitegenError(f"template not found: {exc.name}") from None
        except jinja2.TemplateError as exc:
            raise SitegenError(f"template {template}: {exc}") from None


Producer = Callable[[BuildContext], Outputs]


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
        "url": f"papers/{paper.slug}/",
        "theme": paper.theme,
        "themes": list(paper.themes),
        "dumps": list(paper.dumps),
        "links": list(paper.links),
        "tags": list(paper.tags),
        "status": paper.status,
    }


def papers_json(papers: list[Paper]) -> str:
    """The machine-readable catalogue, sorted by slug for stable output."""
    records = [paper_record(p) for p in sorted(papers, key=lambda p: p.slug)]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def resolve_base_url(cli_value: str | None, config_value: str) -> str:
    """--base-url wins over site.yaml; the result is "" or an absolute URL ending in "/"."""
    url = (config_value if cli_value is None else cli_value).strip()
    if not url:
        return ""
    if not url.startswith(("http://", "https://", "/")):
        raise SitegenError(f"base_url {url!r} must start with https://, http:// or /")
    return url.rstrip("/") + "/"


def html_outputs(ctx: BuildContext) -> Outputs:
    """Every HTML page of the site, rendering only pages whose view or templates changed."""
    outputs: Outputs = {}
    views = list(html_pages(ctx.library))
    for number, view in enumerate(views, start=1):
        # A view is plain frozen data, so its repr is a complete, stable description.
        key = digest(ctx.cache.stamp, view.template, repr(view.context))
        reuse = ctx.reusable(view.path, key)
        outputs[view.path] = None if reuse else ctx.render(view.template, view.context)
        ctx.rendered[view.path] = key
        if ctx.progress is not None and number % 200 == 0:
            ctx.progress(number, len(views))
    return outputs


def feed_outputs(ctx: BuildContext) -> Outputs:
    """The Atom feed of what each dump added."""
    return {"feed.xml": ctx.render("feed.xml", feed_context(ctx.library))}


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
def search_outputs(ctx: BuildContext) -> Outputs:
    """The search index data files (sitegen.search), rebuilt only when papers or themes changed."""
    project = ctx.project
    key = digest(repr(project.papers), repr(project.taxonomy))
    return ctx.cached_group("search", key, lambda: search_files(project.papers, project.taxonomy))


# --- end search ---

PAGE_PRODUCERS: list[Producer] = [html_outputs, feed_outputs, data_outputs, static_outputs]
# Made after the pages are written (and the browser reloaded, when serving).
LATE_PRODUCERS: list[Producer] = [search_outputs]


def page_urls(outputs: Mapping[str, bytes]) -> list[str]:
    """Site-relative URLs of the HTML pages, in path order (404.html excluded)."""
    return [
        path.removesuffix("index.html")
        for path in sorted(outputs)
        if path.endswith(".html") and path != "404.html"
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


def check_path(path: str) -> None:
    """Refuse an output path that is absolute or climbs out of the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise SitegenError(f"refusing to write outside the output folder: {path!r}")


def run_producers(ctx: BuildContext, producers: list[Producer], outputs: Outputs) -> Outputs:
    """Run producers into a fresh dict, refusing unsafe or doubly-claimed paths."""
    made: Outputs = {}
    for producer in producers:
        for path, data in producer(ctx).items():
            check_path(path)
            if path in outputs or path in made:
                raise SitegenError(f"two outputs want the same path: {path}")
            made[path] = data
    return made


def settings_stamp(project: Project) -> str:
    """Fingerprint of what every page depends on: version, settings and templates."""
    content = project.root / "content"
    settings = [
        (content / name).read_bytes() if (content / name).is_file() else b""
        for name in ("site.yaml", "themes.yaml")
    ]
    return digest(__version__, *settings, tree_fingerprint(template_dirs(project.root)))


# --- discovery (sitegen.discover): computed once per build, memoised in the build cache ---
def discovery_of(project: Project, cache: BuildCache) -> Discovery:
    """Key terms, related papers, map points and timeline, recomputed only when inputs change."""
    from sitegen.discover import discover  # numpy/scipy load only when a build needs them

    papers = [
        (p.slug, p.title, p.abstract, p.theme, p.dumps, p.meta.get("added")) for p in project.papers
    ]
    dumps = [(d.name, d.date, d.listing_date, len(d.entries)) for d in project.dumps]
    key = digest(repr(papers), repr(dumps))
    return cache.memo("discovery", key, lambda: discover(project.papers, dumps=project.dumps))


# --- end discovery ---


def make_context(
    project: Project, output: Path, base_url: str, cache: BuildCache, progress: Progress | None
) -> BuildContext:
    """The library, template environment and cache a build renders with."""
    cache.restamp(settings_stamp(project))
    library = build_library(project, base_url, discovery_of(project, cache))
    env = make_environment(template_dirs(project.root))
    return BuildContext(project, library, env, base_url, output, cache, progress)


def render_site(project: Project, base_url: str = "") -> dict[str, bytes]:
    """Every output file of a clean build, in memory: relative path -> bytes."""
    ctx = make_context(project, Path("/nonexistent"), base_url, BuildCache(), None)
    pages = run_producers(ctx, PAGE_PRODUCERS, {})
    pages.update(sitemap_outputs(base_url, pages))
    late = run_producers(ctx, LATE_PRODUCERS, pages)
    return {path: data for path, data in {**pages, **late}.items() if data is not None}


def read_manifest(output: Path) -> list[str]:
    """The files the previous build wrote (none if there was no previous build)."""
    try:
        data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        return [str(p) for p in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def remove_stale(output: Path, old: list[str], new: Mapping[str, bytes]) -> int:
    """Delete files an earlier build wrote that this one did not, and emptied folders."""
    removed = 0
    for name in sorted(set(old) - set(new)):
        try:
            check_path(name)
        except SitegenError:
            continue  # a tampered manifest must not delete anything outside output
        path = output / name
        if path.is_file():
            path.unlink()
            removed += 1
        for parent in path.parents:
            if parent == output or not parent.is_relative_to(output):
                break
            try:
                parent.rmdir()
            except OSError:
                break  # not empty
    return removed


def write_outputs(output: Path, outputs: Mapping[str, bytes | None]) -> int:
    """Write the outputs whose bytes changed; say how many were written."""
    return sum(
        write_if_changed(output / path, data) for path, data in outputs.items() if data is not None
    )


def finish(output: Path, old: list[str], outputs: Mapping[str, bytes | None]) -> int:
    """Remove files earlier builds wrote that this one did not, and record what it did."""
    removed = remove_stale(output, old, outputs)
    manifest = json.dumps({"files": sorted(outputs)}, indent=0) + "\n"
    write_if_changed(output / MANIFEST, manifest)
    return removed


def build(
    root: Path,
    output: Path,
    base_url: str | None = None,
    cache: BuildCache | None = None,
    on_pages: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Read everything, render what changed, write the pages, then the search index.

    on_pages(written) runs once the pages are on disk and before the search
    index is rebuilt, so a preview can reload the browser first.
    """
    cache = cache if cache is not None else BuildCache()
    project = load_project(root, cache)
    url = resolve_base_url(base_url, project.config.base_url)
    ctx = make_context(project, output, url, cache, progress)
    pages = run_producers(ctx, PAGE_PRODUCERS, {})
    pages.update(sitemap_outputs(url, pages))
    old = read_manifest(output)
    written = write_outputs(output, pages)
    cache.rendered = ctx.rendered
    if on_pages is not None:
        on_pages(written)
    late = run_producers(ctx, LATE_PRODUCERS, pages)
    written += write_outputs(output, late)
    cache.groups = ctx.groups
    outputs = {**pages, **late}
    removed = finish(output, old, outputs)
    cache.prune()
    cache.save()
    return BuildResult(project, written, len(outputs), removed)


def ingest_and_build(
    root: Path,
    output: Path,
    base_url: str | None = None,
    cache: BuildCache | None = None,
    on_pages: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> tuple[IngestResult, BuildResult]:
    """`sitegen build`: ingest new papers from the dumps, then build; a refused dump stops both."""
    cache = cache if cache is not None else BuildCache()
    ingested = ingest(root, cache)
    if ingested.errors:
        raise ingested.errors[0]
    return ingested, build(root, output, base_url, cache, on_pages, progress)
