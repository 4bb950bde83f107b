"""The build: read the whole project, render every output into memory, then write it all.

Outputs are made by *producers*: functions from a BuildContext to a dict of
relative path -> bytes. To add outputs (e.g. search index files), write a
producer and add it to PRODUCERS; the sitemap is made last, from the HTML pages
the producers returned. Nothing is written until every producer has run, so a
template error leaves the previous site untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

import jinja2

from sitegen.catalog import Paper
from sitegen.errors import SitegenError
from sitegen.fsio import write_if_changed
from sitegen.project import Project, default_dir, load_project
from sitegen.render import make_environment, render_template, template_dirs
from sitegen.search import search_files
from sitegen.site import Library, build_library, feed_context, html_pages

MANIFEST = ".sitegen-manifest.json"  # what the last build wrote, so the next can remove stale files
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file

Outputs = dict[str, bytes]


@dataclass
class BuildContext:
    """Everything a producer may use: the project, its library and the template environment."""

    project: Project
    library: Library
    env: jinja2.Environment
    base_url: str  # absolute URL ending in "/", or ""

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
    """Every HTML page of the site."""
    return {view.path: ctx.render(view.template, view.context) for view in html_pages(ctx.library)}


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
    """The search index data files (sitegen.search)."""
    return search_files(ctx.project.papers, ctx.project.taxonomy)


# --- end search ---

PRODUCERS: list[Producer] = [
    html_outputs,
    feed_outputs,
    data_outputs,
    static_outputs,
    search_outputs,
]


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


def render_site(project: Project, base_url: str = "") -> Outputs:
    """Every output file of the site, in memory: relative path -> bytes."""
    library = build_library(project, base_url)
    env = make_environment(template_dirs(project.root))
    ctx = BuildContext(project, library, env, base_url)
    outputs: Outputs = {}
    for producer in PRODUCERS:
        for path, data in producer(ctx).items():
            check_path(path)
            if path in outputs:
                raise SitegenError(f"two outputs want the same path: {path}")
            outputs[path] = data
    outputs.update(sitemap_outputs(base_url, outputs))
    return outputs


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


def write_site(output: Path, outputs: Mapping[str, bytes]) -> tuple[int, int]:
    """Write the outputs (only files whose bytes changed) and remove stale ones."""
    old = read_manifest(output)
    written = sum(write_if_changed(output / path, data) for path, data in outputs.items())
    removed = remove_stale(output, old, outputs)
    manifest = json.dumps({"files": sorted(outputs)}, indent=0) + "\n"
    write_if_changed(output / MANIFEST, manifest)
    return written, removed


def build(root: Path, output: Path, base_url: str | None = None) -> BuildResult:
    """Read everything, render everything in memory, then write everything into output."""
    project = load_project(root)
    outputs = render_site(project, resolve_base_url(base_url, project.config.base_url))
    written, removed = write_site(output, outputs)
    return BuildResult(project, written, len(outputs), removed)
