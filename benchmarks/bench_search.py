"""Search benchmarks: index build speed, and staged loading at 10k papers in Chromium.

    python benchmarks/bench_search.py [--papers 10000] [--build-papers 2000] [--skip-browser]

1. Build: lunr.py's plain lunr() (+ serialize + JSON) against sitegen.search.build_index
   on the same documents, in the same run, for the shipped corpus and a generated one;
   checks that both give the same bytes and prints both timings and the ratio.
2. Browser: the shipped site with its search data replaced by a generated corpus of
   --papers papers, served on 127.0.0.1 (under /prefix/) and opened in headless
   Chromium. Prints the gzipped bytes of search data fetched before the first results
   appear, how long the full index takes to load, and query times once it has.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from gen_corpus import REPO, generate_papers
from playwright.sync_api import sync_playwright

from sitegen import search
from sitegen.build import build
from sitegen.ingest import ingest
from sitegen.project import load_project

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUERIES = [
    "diffusion",
    "neural network",
    "transformer attention",
    "title:segmentation",
    "+image -video",
    "segment*",
    "reinforcement learning",
    "transformr",
    "graph neural networks for molecules",
    "self-supervised",
    "zebra",
    "contrastive representation learning",
]
TYPED = "graph neural"


def shipped_root(workdir: Path) -> Path:
    """A copy of the shipped content, ingested, in workdir."""
    root = workdir / "root"
    (root / "content").mkdir(parents=True)
    shutil.copytree(REPO / "content" / "dumps", root / "content" / "dumps")
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(REPO / "content" / name, root / "content" / name)
    ingest(root)
    return root


def best_of(repeat: int, fn) -> tuple[float, object]:
    """The fastest of repeat runs of fn, and its result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def bench_build(label: str, docs: list[dict[str, str]], repeat: int) -> None:
    """Print plain lunr() vs the fast builder on docs, checking the bytes match."""
    plain_s, plain = best_of(repeat, lambda: search.index_json(search.build_index_plain(docs)))
    fast_s, fast = best_of(repeat, lambda: search.index_json(search.build_index(docs)))
    same = "identical bytes" if plain == fast else "BYTES DIFFER"
    print(
        f"build {label:>22}: lunr() {plain_s:6.2f} s   fast {fast_s:6.2f} s   "
        f"speed-up {plain_s / fast_s:4.1f}x   ({len(fast) / 1e6:.1f} MB JSON, {same})"
    )
    if plain != fast:
        sys.exit(1)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, quietly."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Say nothing."""


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """folder served at http://127.0.0.1:PORT/prefix/."""
    served = folder.parent / "served"
    served.mkdir()
    (served / "prefix").symlink_to(folder, target_is_directory=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/prefix/"


def replace_search_data(site: Path, files: dict[str, bytes]) -> None:
    """Swap the built site's search/*.js for files."""
    for old in (site / "search").glob("*.js"):
        old.unlink()
    for name, data in files.items():
        (site / name).write_bytes(data)


def is_search_data(url: str) -> bool:
    """Whether a URL is part of search: its data, scripts and styles."""
    return "/search/" in url and url.endswith(".js") or "/static/search" in url or "lunr" in url


FIRST_HIT_PROBE = """
new MutationObserver((_, observer) => {
  if (document.querySelector('.sg-hit')) {
    window.__firstHit = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
# Each query twice (the first run includes JIT warm-up), plain and as-you-type.
TIME_QUERIES = """async (queries) => {
  const out = [];
  for (const round of [1, 2]) for (const q of queries) for (const prefixLast of [false, true]) {
    const t0 = performance.now();
    const r = await SitegenSearch.query(q, {prefixLast});
    const total = performance.now() - t0;
    out.push({q, round, prefixLast, total, engine: r.ms, hits: r.hits.length});
  }
  return out;
}"""


def gzipped_size(path: Path) -> int:
    """Bytes of path after gzip -6, as a web server would send it."""
    return len(gzip.compress(path.read_bytes(), 6))


def report_queries(label: str, times: list[dict]) -> None:
    """Median and worst query times, engine-only and round trip."""
    engine = [t["engine"] for t in times]
    total = [t["total"] for t in times]
    print(
        f"  queries ({label}, {len(times)} runs): engine median {statistics.median(engine):.1f} ms"
        f" max {max(engine):.1f}; with ranking/transfer median {statistics.median(total):.1f} ms"
        f" max {max(total):.1f}"
    )
    for t in sorted(times, key=lambda t: -t["total"])[:3]:
        print(
            f"    slowest: {t['q']!r} round {t['round']} prefix={t['prefixLast']}:"
            f" engine {t['engine']:.1f} ms, total {t['total']:.1f} ms, {t['hits']} hits"
        )


def bench_browser(site: Path, count: int) -> None:
    """First-results bytes, full-index load time and query times in Chromium."""
    server, base = serve(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            # Note the moment the first hit is in the DOM, in the page's own clock.
            page.add_init_script(FIRST_HIT_PROBE)
            page.goto(base)
            page.wait_for_load_state("load")
            started = time.perf_counter()
            page.focus("#site-search")
            page.keyboard.type(TYPED)
            page.wait_for_selector(".sg-hit")
            first = time.perf_counter()
            page.wait_for_function("document.documentElement.dataset.searchIndex === 'full'")
            full = time.perf_counter()
            before = page.evaluate(
                """() => performance.getEntriesByType('resource')
                    .filter(e => e.responseEnd <= window.__firstHit).map(e => e.name)"""
            )
            sizes = {
                url: gzipped_size(site / url.removeprefix(base).split("?")[0])
                for url in before
                if is_search_data(url)
            }
            print(f"browser {count} papers: first results {(first - started) * 1000:.0f} ms")
            kb = sum(sizes.values()) / 1024
            print(f"  search data fetched before the first results: {kb:.0f} KB gz")
            for url, size in sorted(sizes.items()):
                print(f"    {url.removeprefix(base):<32} {size / 1024:7.1f} KB gz")
            index_gz = sum(gzipped_size(f) for f in (site / "search").glob("index-*.js"))
            print(
                f"  full index ready {(full - started):.1f} s after typing began; "
                f"full index is {index_gz / 1024 / 1024:.1f} MB gz"
            )
            times = page.evaluate(TIME_QUERIES, QUERIES)
            report_queries("worker", times)
            file_page = browser.new_page()
            file_page.goto((site / "search" / "index.html").as_uri() + "?q=diffusion")
            loaded = time.perf_counter()
            file_page.wait_for_function(
                "document.documentElement.dataset.searchIndex === 'full'", timeout=120_000
            )
            report_queries("file:// main thread", file_page.evaluate(TIME_QUERIES, QUERIES))
            print(f"  file:// full index ready {time.perf_counter() - loaded:.1f} s after load")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000, help="corpus size in the browser")
    parser.add_argument(
        "--build-papers", type=int, default=2_000, help="generated corpus for build"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = shipped_root(Path(tmp))
        project = load_project(root)
        shipped = [d.fields() for d in search.search_documents(project.papers, project.taxonomy)]
        bench_build(f"shipped ({len(shipped)} papers)", shipped, args.repeat)
        papers, taxonomy = generate_papers(args.build_papers)
        generated = [d.fields() for d in search.search_documents(papers, taxonomy)]
        bench_build(f"generated ({len(generated)} papers)", generated, 1)
        if args.skip_browser:
            return
        site = Path(tmp) / "site"
        build(root, site)
        papers, taxonomy = generate_papers(args.papers)
        started = time.perf_counter()
        files = search.search_files(papers, taxonomy)
        print(f"search_files for {args.papers} papers: {time.perf_counter() - started:.1f} s")
        replace_search_data(site, files)
        bench_browser(site, args.papers)


if __name__ == "__main__":
    main()
