"""The outputs other than the pages: papers.json, robots.txt, static assets, the sitemap.

Each producer is a function from a Run to Outputs (relative path -> bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape  # not xml.sax.saxutils: it imports urllib.request
from pathlib import Path

from sitegen.build.options import has_sitemap
from sitegen.build.run import INPUT_KEY, Run
from sitegen.catalog import Paper
from sitegen.errors import SitegenError
from sitegen.fsio import MAX_ASSET_BYTES, counts_as_input, read_input
from sitegen.model import urls
from sitegen.output import Kept, Outputs, check_path
from sitegen.project import default_dir
from sitegen.text import json_encoder

SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file


def paper_record(paper: Paper, abstract: bool = True) -> dict[str, object]:
    """One paper as it appears in papers.json (its abstract left out on a large site)."""
    return {
        "slug": paper.slug,
        "title": paper.title,
        **({"abstract": paper.abstract} if abstract else {}),
        "url": urls.paper_url(paper.slug),
        "theme": paper.theme,
        "themes": list(paper.themes),
        "dumps": list(paper.dumps),
        "links": list(paper.links),
        "tags": list(paper.tags),
        "status": paper.status,
    }


def papers_json(papers: list[Paper], abstracts: bool = True) -> str:
    """The machine-readable catalogue, sorted by slug for stable output.

    A large site (views.listing.is_large) leaves the abstracts out: they are in the pages and
    in content/, and with them 100,000 papers make a 178 MB file, over the 100 MB that GitHub
    takes in one file (50 MB without).
    """
    # One paper per line: tidy diffs, and the C encoder (indent= would force the slow one).
    ordered = sorted(papers, key=lambda paper: paper.slug)
    rows = map(RECORD_JSON, (paper_record(p, abstracts) for p in ordered))
    return "[\n" + ",\n".join(rows) + "\n]\n"


RECORD_JSON = json_encoder((", ", ": "), ascii_only=False)  # json.dumps(.., ensure_ascii=False)


CATALOGUE = "papers.json"


def data_outputs(run: Run) -> Outputs:
    """papers.json, .nojekyll and robots.txt."""
    base_url = run.model.base_url
    robots = "User-agent: *\nAllow: /\n"
    if has_sitemap(base_url):
        robots += f"Sitemap: {base_url}sitemap.xml\n"
    # papers.json shows only what the site key covers (each paper's seen_elsewhere): kept
    # unread when that is unchanged (encoding it is 0.3 s of a notes edit at 10k papers).
    site = run.inputs[CATALOGUE] = run.input_keys().site
    catalogue: bytes | Kept = Kept.UNCHANGED
    if not run.reusable(CATALOGUE, site, INPUT_KEY):
        papers, abstracts = run.model.project.papers, not run.model.site.info.large
        catalogue = papers_json(papers, abstracts).encode("utf-8")
    return {
        CATALOGUE: catalogue,
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
        if path.is_file() and counts_as_input(relative):
            files[relative.as_posix()] = path
    return files


def static_outputs(run: Run) -> Outputs:
    """The shipped static/ assets, overlaid by the site's own static/ folder."""
    own = run.model.project.root / "static"
    files = {**static_files(default_dir("static")), **static_files(own)}
    return {
        f"static/{name}": read_input(path, MAX_ASSET_BYTES) for name, path in sorted(files.items())
    }


def page_urls(outputs: Mapping[str, object]) -> list[str]:
    """Site-relative URLs of the HTML pages, in path order (404.html excluded)."""
    return [
        urls.url_of(path)
        for path in sorted(outputs)
        if path.endswith(".html") and path != urls.NOT_FOUND_FILE
    ]


def xml_text(text: str) -> str:
    """Text escaped for an XML element: &, < and >."""
    return escape(text, quote=False)


def urlset(base_url: str, page_list: list[str]) -> bytes:
    """One sitemap file."""
    rows = "".join(f"<url><loc>{xml_text(base_url + url)}</loc></url>\n" for url in page_list)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</urlset>\n"
    ).encode()


def sitemap_outputs(base_url: str, outputs: Mapping[str, object]) -> Outputs:
    """sitemap.xml, split behind a sitemap index when there are more than 50,000 pages."""
    if not has_sitemap(base_url):
        return {}
    found = page_urls(outputs)
    if len(found) <= SITEMAP_MAX_URLS:
        return {"sitemap.xml": urlset(base_url, found)}
    files: Outputs = {}
    for number, start in enumerate(range(0, len(found), SITEMAP_MAX_URLS), start=1):
        files[f"sitemap-{number}.xml"] = urlset(base_url, found[start : start + SITEMAP_MAX_URLS])
    rows = "".join(f"<sitemap><loc>{xml_text(base_url + name)}</loc></sitemap>\n" for name in files)
    files["sitemap.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}</sitemapindex>\n"
    ).encode()
    return files


def merge(groups: Iterable[Outputs], outputs: Mapping[str, object]) -> Outputs:
    """Collect groups of outputs into a fresh dict, refusing unsafe or doubly-claimed paths."""
    made: Outputs = {}
    for group in groups:
        for path, data in group.items():
            check_path(path)
            if path in outputs or path in made:
                raise SitegenError(f"two outputs want the same path: {path}")
            made[path] = data
    return made
