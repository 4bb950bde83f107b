"""Live-preview latency: from a file change to what a reader sees in the browser.

    python benchmarks/bench_live.py [--runs 5] [--extra-papers 0]

Starts `sitegen serve` on a copy of the shipped corpus (plus --extra-papers
synthetic ones), opens headless Chromium, and times, over several runs each:
1. saving a paper page -> that page reloaded with the new text (goal <= 300 ms);
2. dropping in a 200-paper dump -> its papers on the site and in the search data
   (goal <= 2 s);
3. editing a template -> the open page reloaded with the change (goal <= 1.5 s).
Each time runs from just before the file is written until the browser (or the
served search data) shows the change, so it includes the watcher's debounce.
The browser side is timed by the DOMContentLoaded of the reloaded page, as the page's own
navigation timing records it (Playwright's waits poll with back-off, which would blur it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_search import CHROMIUM_ARGS
from gen_corpus import REPO, dump_text, generate_papers
from playwright.sync_api import sync_playwright

GOALS = {"save a page": 0.3, "drop a 200-paper dump": 2.0, "edit a template": 1.5}


def make_site(folder: Path, extra: int) -> Path:
    """A site root with the shipped content and `extra` synthetic papers in one more dump."""
    root = folder / "site-root"
    content = root / "content"
    shutil.copytree(REPO / "content" / "dumps", content / "dumps")
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(REPO / "content" / name, content / name)
    if extra:
        papers, _ = generate_papers(extra, seed=1)
        (content / "dumps" / "2000-01-01-extra.txt").write_text(
            dump_text(papers, "spaced", "Nov 22")
        )
    return root


def start_server(root: Path) -> tuple[subprocess.Popen[str], str]:
    """Run `sitegen serve` and wait for its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if match:
            return process, match.group(1)
    raise SystemExit("sitegen serve did not start")


def fetch(url: str) -> str:
    """GET a URL as text ('' on error)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_until(check, timeout: float = 30) -> None:
    """Poll check() until true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the change")
        time.sleep(0.005)


def loaded_since(page, started: float) -> float:
    """Seconds from started (time.time()) to the DOMContentLoaded of the page now shown, as
    the page itself recorded it (an event handler in this process can run after a wait that
    the reloaded page satisfied, and then times the page before it)."""
    loaded_ms = page.evaluate(
        "performance.timeOrigin"
        " + performance.getEntriesByType('navigation')[0].domContentLoadedEventStart"
    )
    return loaded_ms / 1000 - started


def time_page_save(page, root: Path, url: str, run: int) -> float:
    """Append a note to a page and wait until the open tab shows it."""
    path = sorted((root / "content" / "papers").glob("*/*.md"))[run]
    page.goto(f"{url}papers/{path.stem}/")
    page.wait_for_timeout(300)
    marker = f"bench note {run} {time.monotonic_ns()}"
    started = time.time()
    path.write_text(path.read_text() + f"\n## Notes\n\n{marker}\n")
    page.get_by_text(marker).wait_for(timeout=30_000)
    return loaded_since(page, started)


def time_new_dump(page, root: Path, url: str, run: int) -> float:
    """Drop a 200-paper dump; wait for the home page and the search data to list it."""
    papers, _ = generate_papers(200, seed=100 + run)
    page.goto(url)
    page.wait_for_timeout(300)
    target = papers[0].title
    started = time.time()
    (root / "content" / "dumps" / f"2030-01-{run + 1:02d}-bench.txt").write_text(
        dump_text(papers, "spaced", "Nov 22")
    )
    titles = [p.title for p in papers]
    # The open home page reloads and lists some of the newest dump's papers.
    page.wait_for_function(
        "titles => document.body && titles.some(t => document.body.innerText.includes(t))",
        arg=titles,
    )
    shown = loaded_since(page, started)
    wait_until(lambda: target in fetch(f"{url}search/titles.js"))
    return max(shown, time.time() - started)


def time_template_edit(page, root: Path, url: str, run: int) -> float:
    """Override base.html with a visible marker; wait until the open tab shows it."""
    page.goto(url)
    page.wait_for_timeout(300)
    shipped = (REPO / "templates" / "base.html").read_text()
    marker = f"template edit {run} {time.monotonic_ns()}"
    (root / "templates").mkdir(exist_ok=True)
    started = time.time()
    (root / "templates" / "base.html").write_text(
        shipped.replace("</footer>", f"<p>{marker}</p></footer>", 1)
    )
    page.get_by_text(marker).wait_for(timeout=30_000)
    return loaded_since(page, started)


def main() -> None:
    """Run every scenario --runs times and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--extra-papers", type=int, default=0)
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in GOALS}
    scenarios = [
        ("save a page", time_page_save),
        ("edit a template", time_template_edit),
        ("drop a 200-paper dump", time_new_dump),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for name, scenario in scenarios:
            for run in range(args.runs):
                # A fresh site each run, so every run starts from the same corpus.
                with tempfile.TemporaryDirectory() as tmp:
                    root = make_site(Path(tmp), args.extra_papers)
                    process, url = start_server(root)
                    papers = len(list((root / "content" / "papers").glob("*/*.md")))
                    page = browser.new_page()
                    try:
                        results[name].append(scenario(page, root, url, run))
                    finally:
                        page.close()
                        process.terminate()
                        process.wait()
        browser.close()
    print(f"live latency, {papers} papers at start, {args.runs} runs each (seconds)")
    print(f"{'change':<24} {'median':>7} {'max':>7} {'goal':>6}")
    for name, times in results.items():
        verdict = "ok" if statistics.median(times) <= GOALS[name] else "MISSED"
        print(
            f"{name:<24} {statistics.median(times):7.3f} {max(times):7.3f} "
            f"{GOALS[name]:6.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
