"""Pagefind (npm's pagefind 1.5.2, a devDependency) on the same built site, for comparison.

Pagefind indexes the paper pages' HTML (the title and abstract of each <article>, not
the related papers, key terms or navigation) into a term-sharded index under
site/pagefind/, and searches it in the browser. bench_relevance.py ranks its query
sets with it; bench_search.py measures the bytes it fetches before full-text results.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bench_search import CHROMIUM_ARGS, serve

if TYPE_CHECKING:
    from bench_relevance import QuerySet

REPO = Path(__file__).resolve().parent.parent
PAGEFIND = REPO / "node_modules" / ".bin" / "pagefind"
IGNORED = ".eyebrow, .card-meta, .copy-buttons, .buttons, .key-terms, .related, .facts, nav"
# Pagefind's own browser API: load it, run each query, keep the top 10 result URLs.
SEARCH = """async ([queries]) => {
  const pagefind = await import('./pagefind/pagefind.js');
  await pagefind.init();
  const out = [];
  for (const q of queries) {
    const found = await pagefind.search(q);
    const top = await Promise.all(found.results.slice(0, 10).map(r => r.data()));
    out.push(top.map(d => d.url));
  }
  return out;
}"""


def pagefind_index(site: Path) -> Path:
    """Index the site's paper pages with Pagefind; the bundle's folder."""
    subprocess.run(
        [
            str(PAGEFIND),
            "--site",
            str(site),
            "--glob",
            "papers/*/index.html",
            "--root-selector",
            "article.paper",
            "--exclude-selectors",
            IGNORED,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return site / "pagefind"


def slug_of(url: str) -> str:
    """A paper's slug from its page URL (…/papers/SLUG/ or …/papers/SLUG/index.html)."""
    return url.removesuffix("index.html").rstrip("/").split("/")[-1]


def pagefind_search(site: Path, queries: list[str]) -> list[list[str]]:
    """Pagefind's top 10 (slugs) for each query, searched in headless Chromium."""
    from playwright.sync_api import sync_playwright

    if not (site / "pagefind" / "pagefind.js").is_file():
        pagefind_index(site)
    server, base = serve(site)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base)
            urls = page.evaluate(SEARCH, [queries])
            browser.close()
    finally:
        server.shutdown()
    return [[slug_of(u) for u in row] for row in urls]


def pagefind_rankings(site: Path, sets: list[QuerySet]) -> dict[str, list[list[str]]]:
    """bench_relevance's rankings for Pagefind."""
    return {qs.name: pagefind_search(site, qs.queries) for qs in sets}
