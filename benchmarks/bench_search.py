"""Search benchmarks: index build speed, search_files at scale, staged loading in Chromium.

    python benchmarks/bench_search.py [--papers 10000] [--build-papers 2000] [--data DIR]
        [--files 10000,100000] [--skip-browser]

1. Build: lunr.py's plain lunr() (+ serialize + JSON) against tests/lunr_reference.build_index
   on the same documents, in the same run, for the shipped corpus and a generated one;
   checks that both give the same bytes and prints both timings and the ratio.
2. Files: sitegen.search.search_files on generated corpora of each --files size, each
   in a fresh process: wall time, peak RSS (VmHWM, reset after generating the papers,
   so it covers search_files; the papers alone are printed alongside) and the bytes
   it writes, raw and gzipped, per kind of file.
3. Browser: the shipped site with its search data replaced by a generated corpus of
   --papers papers, served on 127.0.0.1 (under /prefix/) and opened in headless
   Chromium. Prints the gzipped bytes of search data fetched before the first results
   appear, how long the full index takes to load, and, once it has, the median and
   worst time over QUERIES (every query new to the engine, plain and as-you-type) of
   a query round trip (then again, with the shards loaded) and of the results page
   from submit to painted hits; over http(s) (worker) and from file:// (main thread).
   With --data DIR, only this step, on the search files in DIR/search/ (search_files
   of a corpus of --papers papers, written beforehand).
4. With --full-text-site SITE (a built site, e.g. of gen_corpus.py's 10,000 papers):
   the bytes of search data the results page fetches before its full-text ranked
   results, side by side with Pagefind (bench_pagefind.py) on the same pages.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gen_corpus import REPO, generate_papers
from playwright.sync_api import sync_playwright

# This checkout's sitegen, whatever the installed one points at.
sys.path.insert(0, str(REPO))
from sitegen import search  # noqa: E402
from sitegen.build import BuildOptions, build  # noqa: E402
from sitegen.ingest import ingest  # noqa: E402
from sitegen.project import load_project  # noqa: E402

sys.path.insert(0, str(REPO / "tests"))
from lunr_reference import build_index, build_index_plain, index_json  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A realistic query set with the broad cases: common words matching most papers,
# long multi-word queries, as-you-type prefixes of one or two letters, wildcards,
# field and presence syntax, typos and phrases. Each runs plain and as-you-type.
QUERIES = [
    "learning",
    "network",
    "model",
    "data",
    "neural",
    "deep learning",
    "neural network",
    "learning models",
    "neural networks for learning",
    "learning with neural networks and deep models",
    "reinforcement learning",
    "graph neural networks for molecules",
    "contrastive representation learning",
    "transformer attention",
    "self-supervised",
    "diffusion",
    "l",
    "le",
    "lea",
    "lear",
    "n",
    "a",
    "t",
    "neural n",
    "learn*",
    "segment*",
    "*ing",
    "l*",
    "title:learning",
    "title:segmentation",
    "abstract:model",
    "title:diffusion^10 abstract:image",
    "+learning +model",
    "+image -video",
    "-video",
    "transformr",
    "netwrk",
    "lerning",
    "difusion",
    '"neural network"',
    '"deep learning" model',
    "zebra",
]
# Different words, run first so that the timed queries find the code JIT-compiled.
WARM_UP = ["attention", "graph", "vision", "image model", "tra", "title:graph", "imge"]
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
    plain_s, plain = best_of(repeat, lambda: index_json(build_index_plain(docs)))
    fast_s, fast = best_of(repeat, lambda: index_json(build_index(docs)))
    same = "identical bytes" if plain == fast else "BYTES DIFFER"
    print(
        f"build {label:>22}: lunr() {plain_s:6.2f} s   fast {fast_s:6.2f} s   "
        f"speed-up {plain_s / fast_s:4.1f}x   ({len(fast) / 1e6:.1f} MB JSON, {same})"
    )
    if plain != fast:
        sys.exit(1)


def rss_mb(key: str) -> float:
    """VmRSS or VmHWM (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def measure_files(count: int) -> dict:
    """search_files on count generated papers: seconds, peak RSS and bytes per kind."""
    papers, taxonomy = generate_papers(count)
    papers_mb = rss_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    started = time.perf_counter()
    files = search.search_files(papers, taxonomy)
    seconds = time.perf_counter() - started
    kinds: dict[str, list[int]] = {}
    for name, data in files.items():
        kind = kinds.setdefault(name.split("/")[1].split("-")[0].removesuffix(".js"), [0, 0, 0])
        kind[0] += 1
        kind[1] += len(data)
        kind[2] += len(gzip.compress(data, 6))
    return {"seconds": seconds, "peak": rss_mb("VmHWM"), "papers": papers_mb, "kinds": kinds}


def bench_files(count: int) -> None:
    """Print measure_files(count), run in a fresh process so that its peak is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure-files", str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    print(
        f"search_files {count} papers: {result['seconds']:.1f} s, peak RSS "
        f"{result['peak']:.0f} MB (the papers alone {result['papers']:.0f} MB)"
    )
    totals = [0, 0, 0]
    for kind, (files, raw, gz) in sorted(result["kinds"].items()):
        print(f"  {kind:>7} {files:6} files {raw / 1e6:8.2f} MB {gz / 1e6:8.2f} MB gz")
        totals = [a + b for a, b in zip(totals, (files, raw, gz), strict=True)]
    print(
        f"  {'total':>7} {totals[0]:6} files {totals[1] / 1e6:8.2f} MB {totals[2] / 1e6:8.2f} MB gz"
    )


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, quietly."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Say nothing."""


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """folder served at http://127.0.0.1:PORT/prefix/."""
    served = Path(tempfile.mkdtemp(prefix="served-", dir=folder.parent))
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


FIRST_HIT_PROBE = """
new MutationObserver((_, observer) => {
  if (document.querySelector('.sg-hit')) {
    window.__titleStage = !!document.querySelector('.sg-dropdown.sg-provisional');
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def is_search_data(url: str) -> bool:
    """Whether a URL is part of search: its data, scripts and styles."""
    return "/search/" in url and url.endswith(".js") or "/static/search" in url or "lunr" in url


# Every (query, as-you-type) pair once, after a warm-up: no query repeats, so none
# is answered from the engine's cache of recent rankings.
TIME_QUERIES = """async ([warmUp, queries]) => {
  for (const q of warmUp) await SitegenSearch.query(q, {prefixLast: false, limit: 50});
  const out = [];
  for (const q of queries) for (const prefixLast of [false, true]) {
    const t0 = performance.now();
    const r = await SitegenSearch.query(q, {prefixLast, limit: prefixLast ? 8 : 50});
    const total = performance.now() - t0;
    out.push({q, prefixLast, total, engine: r.ms, hits: r.total});
  }
  return out;
}"""
# The results page end to end: submit the form, wait until the hits are in the DOM,
# then until the next frame has been painted.
TIME_PAGE = """async ([warmUp, queries]) => {
  const form = document.querySelector('.sg-page-form');
  const input = form.querySelector('input[name=q]');
  const status = document.querySelector('.sg-status');
  const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const out = [];
  for (const q of warmUp.concat(queries)) {
    await frame();
    const t0 = performance.now();
    const done = new Promise(resolve => {
      const observer = new MutationObserver(() => {
        if (!status.textContent.startsWith('Searching')) { observer.disconnect(); resolve(); }
      });
      observer.observe(status, {childList: true, characterData: true, subtree: true});
    });
    input.value = q;
    form.requestSubmit();
    await done;
    const shown = performance.now() - t0;
    await frame();
    out.push({q, shown, painted: performance.now() - t0,
      items: document.querySelectorAll('.sg-result').length});
  }
  return out.slice(warmUp.length);
}"""


def gzipped_size(path: Path) -> int:
    """Bytes of path after gzip -6, as a web server would send it."""
    return len(gzip.compress(path.read_bytes(), 6))


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def report_queries(label: str, times: list[dict]) -> None:
    """Median and worst query times, engine-only and round trip, and the slowest queries."""
    engine = [t["engine"] for t in times]
    total = [t["total"] for t in times]
    print(
        f"  queries ({label}, {len(times)} distinct): round trip median "
        f"{statistics.median(total):.1f} ms, p95 {p95(total):.1f}, worst {max(total):.1f} ms "
        f"(engine median {statistics.median(engine):.1f}, p95 {p95(engine):.1f}, "
        f"worst {max(engine):.1f})"
    )
    for t in sorted(times, key=lambda t: -t["total"])[:3]:
        print(
            f"    slowest: {t['q']!r} as-you-type={t['prefixLast']}: "
            f"{t['total']:.1f} ms (engine {t['engine']:.1f}), {t['hits']} hits"
        )


def report_page(label: str, times: list[dict]) -> None:
    """Results page: submit to hits in the DOM, and to the next painted frame."""
    shown = [t["shown"] for t in times]
    painted = [t["painted"] for t in times]
    print(
        f"  results page ({label}, {len(times)} queries): hits in DOM median "
        f"{statistics.median(shown):.1f} ms, worst {max(shown):.1f} ms; painted median "
        f"{statistics.median(painted):.1f} ms, worst {max(painted):.1f} ms; "
        f"at most {max(t['items'] for t in times)} list items"
    )
    worst = max(times, key=lambda t: t["painted"])
    print(f"    slowest: {worst['q']!r}: {worst['shown']:.1f} ms / {worst['painted']:.1f} ms")


def time_everything(page, label: str) -> None:  # noqa: ANN001
    """Query round trips and the results page, in an open search page."""
    report_queries(label, page.evaluate(TIME_QUERIES, [WARM_UP, QUERIES]))
    # Again: the shards are loaded now, and the engine keeps only its last 8 rankings, so
    # each query is ranked afresh: the time of a query once its words have loaded.
    report_queries(label + ", shards loaded", page.evaluate(TIME_QUERIES, [[], QUERIES]))
    # The engine keeps only the last 8 rankings: these were computed long ago.
    report_page(label, page.evaluate(TIME_PAGE, [WARM_UP, QUERIES]))


def bench_browser(site: Path, count: int) -> None:
    """First-results bytes, full-index load time and query times in Chromium."""
    server, base = serve(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            # Every request, the worker's too (the page's resource timing misses those),
            # and when it finished, to compare with the first hit.
            finished: list[tuple[str, float]] = []
            page.on("requestfinished", lambda r: finished.append((r.url, time.perf_counter())))
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
            before = {url.split("?")[0] for url, at in finished if at <= first}
            if page.evaluate("window.__titleStage"):
                # The title stage answered: the worker's head and shards loading alongside
                # were not needed for these hits.
                before = {url for url in before if not re.search(r"/(index|shard)-\d", url)}
            sizes = {
                url: gzipped_size(site / url.removeprefix(base).split("?")[0])
                for url in before
                if is_search_data(url)
            }
            print(f"browser {count} papers: first results {(first - started) * 1000:.0f} ms")
            kb = sum(sizes.values()) / 1024
            stage = "title stage" if page.evaluate("window.__titleStage") else "full index"
            print(f"  search data fetched before the first results ({stage}): {kb:.0f} KB gz")
            kinds: dict[str, list[int]] = {}  # per kind of file: how many, bytes
            for url, size in sizes.items():
                name = url.removeprefix(base)
                kind = re.sub(r"-\d{3,}-[0-9a-f]+\.js$", "-*.js", name)
                kinds.setdefault(kind, [0, 0])
                kinds[kind] = [kinds[kind][0] + 1, kinds[kind][1] + size]
            for kind, (files, size) in sorted(kinds.items()):
                print(f"    {kind:<32} {files:4} files {size / 1024:7.1f} KB gz")
            index_files = [
                *(site / "search").glob("index-*.js"),
                *(site / "search").glob("shard-*"),
            ]
            index_gz = sum(gzipped_size(f) for f in index_files)
            index_mb = sum(f.stat().st_size for f in index_files) / 1024 / 1024
            print(
                f"  full index ready {(full - started):.1f} s after typing began; "
                f"full index is {index_mb:.1f} MB, {index_gz / 1024 / 1024:.1f} MB gz"
            )
            report_full_text(browser, base, site)
            page.goto(base + "search/")
            page.wait_for_function("document.documentElement.dataset.searchIndex === 'full'")
            time_everything(page, "worker")
            file_page = browser.new_page()
            file_page.goto((site / "search" / "index.html").as_uri())
            loaded = time.perf_counter()
            file_page.wait_for_function(
                "document.documentElement.dataset.searchIndex === 'full'", timeout=120_000
            )
            print(f"  file:// full index ready {time.perf_counter() - loaded:.1f} s after load")
            time_everything(file_page, "file:// main thread")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


FULL_TEXT_QUERIES = ["neural network", "diffusion models", "contrastive learning", "graph"]
# Pagefind's browser API: a query and its first 20 results' data, as its UI shows them.
PAGEFIND_QUERY = """async (q) => {
  const pagefind = await import('./pagefind/pagefind.js');
  await pagefind.init();
  const found = await pagefind.search(q);
  await Promise.all(found.results.slice(0, 20).map(r => r.data()));
  return found.results.length;
}"""


def fetched_bytes(urls: list[str], base: str, site: Path, wanted) -> int:  # noqa: ANN001
    """Bytes (gzipped; Pagefind's files are gzip already) of the files fetched."""
    total = 0
    for url in {u.split("?")[0] for u in urls if wanted(u)}:
        path = site / url.removeprefix(base)
        total += path.stat().st_size if "/pagefind/" in url else gzipped_size(path)
    return total


def results_page_bytes(browser, base: str, site: Path, query: str) -> int:  # noqa: ANN001
    """Search data the results page fetches before it shows full-text results for query."""
    urls: list[str] = []  # every request, the worker's too
    page = browser.new_page()
    page.on("requestfinished", lambda request: urls.append(request.url))
    page.goto(base + "search/?q=" + query.replace(" ", "+"))
    # The full index's hits on screen (a large site has no provisional title stage).
    page.wait_for_function(
        "document.documentElement.dataset.searchIndex === 'full' &&"
        " !document.querySelector('.sg-results').classList.contains('sg-provisional') &&"
        " !!document.querySelector('.sg-result') &&"
        " !document.querySelector('.sg-status').textContent.startsWith('Searching')"
    )
    page.close()
    return fetched_bytes(urls, base, site, is_search_data)


def report_full_text(browser, base: str, site: Path) -> None:  # noqa: ANN001
    """Bytes before full-text results, per query (fresh page each, nothing cached)."""
    for query in FULL_TEXT_QUERIES:
        size = results_page_bytes(browser, base, site, query)
        print(f"  full-text results for {query!r} after {size / 1024:.0f} KB gz of search data")


def bench_full_text(site: Path) -> None:
    """Bytes before full-text ranked results: sitegen's results page and Pagefind's API."""
    from bench_pagefind import pagefind_index

    pagefind_index(site)
    papers = len(list((site / "papers").glob("*/index.html")))
    server, base = serve(site)
    print(f"full-text results, {papers} papers (bytes of search data fetched, gzipped):")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            urls: list[str] = []  # every request, the worker's too
            for query in FULL_TEXT_QUERIES:
                ours = results_page_bytes(browser, base, site, query)
                urls.clear()
                page = browser.new_page()
                page.on("requestfinished", lambda request: urls.append(request.url))
                page.goto(base)
                hits = page.evaluate(PAGEFIND_QUERY, query)
                theirs = fetched_bytes(urls, base, site, lambda u: "/pagefind/" in u)
                page.close()
                print(
                    f"  {query!r}: sitegen {ours / 1024:.0f} KB; Pagefind {theirs / 1024:.0f} KB"
                    f" ({hits} results, the first 20 loaded)"
                )
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
    parser.add_argument(
        "--files", default="10000", help="comma-separated corpus sizes for search_files"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument(
        "--data", type=Path, help="browser only, with DIR/search/*.js (search_files of a corpus)"
    )
    parser.add_argument(
        "--full-text-site", type=Path, help="a built site: full-text bytes, sitegen vs Pagefind"
    )
    parser.add_argument("--measure-files", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_files:
        print(json.dumps(measure_files(args.measure_files)))
        return
    if args.full_text_site:
        bench_full_text(args.full_text_site)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = shipped_root(Path(tmp))
        if args.data:
            site = Path(tmp) / "site"
            build(root, BuildOptions(site))
            data = {f"search/{f.name}": f.read_bytes() for f in (args.data / "search").glob("*.js")}
            replace_search_data(site, data)
            bench_browser(site, args.papers)  # --papers: the corpus size, for the report
            return
        project = load_project(root)
        shipped = [d.fields() for d in search.search_documents(project.papers, project.taxonomy)]
        bench_build(f"shipped ({len(shipped)} papers)", shipped, args.repeat)
        papers, taxonomy = generate_papers(args.build_papers)
        generated = [d.fields() for d in search.search_documents(papers, taxonomy)]
        bench_build(f"generated ({len(generated)} papers)", generated, 1)
        for count in args.files.split(","):
            bench_files(int(count))
        if args.skip_browser:
            return
        site = Path(tmp) / "site"
        build(root, BuildOptions(site))
        papers, taxonomy = generate_papers(args.papers)
        started = time.perf_counter()
        files = search.search_files(papers, taxonomy)
        print(f"search_files for {args.papers} papers: {time.perf_counter() - started:.1f} s")
        replace_search_data(site, files)
        bench_browser(site, args.papers)


if __name__ == "__main__":
    main()
