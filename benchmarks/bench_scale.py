"""Build performance at scale, side by side with MkDocs, in one run on one machine.

    python benchmarks/bench_scale.py [--sizes shipped,1000,10000,100000] [--smoke]
                                     [--mkdocs-up-to 1000] [--json results.json]

For the shipped corpus and each synthetic size (benchmarks/gen_corpus.py, both
dump layouts) it measures, each in a fresh `sitegen` process as a user runs it:
- ingest: `sitegen ingest` turning the dumps into Markdown pages;
- cold build: `sitegen build` from those pages with no cache and no site/;
- no-op, one edit (a note appended to one page), one page moved to another theme
  folder and one new 100-paper dump: `sitegen build` again, with the cache the
  earlier builds left (a move changes lists, not discovery's TF-IDF);
- peak memory: the largest sum of PSS (shared pages counted once) over the
  process and its children (the worker processes included), sampled every 50 ms
  at first and every 0.5 s in long runs;
- output: total bytes and files, the median paper page, the median paper page
  with the CSS and JS it loads, the search data and the gzipped bytes a reader
  fetches before the first results (search/titles.js).
MkDocs (theme "mkdocs", search plugin with prebuild_index: python) builds the same
Markdown pages (content/papers/<theme>/<slug>.md, front matter and all) up to
--mkdocs-up-to papers, and the table shows MkDocs' time over sitegen's. (MkDocs
puts the whole navigation on every page, so its time and output grow with the
square of the papers: 1,000 papers already make 275 MB; 10,000 would make ~27 GB.)

--smoke runs 200 papers (and MkDocs only if it is installed): CI runs it so the
script keeps working; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench_search import gzipped_size
from gen_corpus import REPO, write_dumps

NEW_DUMP_PAPERS = 100
MKDOCS_YML = """site_name: Reading list
theme: mkdocs
plugins:
  - search:
      prebuild_index: python
"""


@dataclass
class Run:
    """One timed command: wall seconds and peak memory of its process tree."""

    seconds: float
    peak_mb: float


@dataclass
class Result:
    """Everything measured for one corpus."""

    corpus: str
    papers: int
    ingest: Run
    cold: Run
    noop: Run
    edit: Run
    new_dump: Run
    site_mb: float
    site_files: int
    paper_page_kb: float
    paper_page_with_assets_kb: float
    search_mb: float
    first_results_kb_gz: float
    move: Run | None = None
    mkdocs: Run | None = None
    mkdocs_site_mb: float | None = None
    mkdocs_search_mb: float | None = None
    notes: list[str] = field(default_factory=list)


def process_tree(root: int) -> list[int]:
    """root and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(children.get(pid, []))
    return tree


def pss_mb(pids: list[int]) -> float:
    """Summed proportional set size of some processes, in MB."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total / 1024


def timed(command: list[str], cwd: Path, timeout: float | None = None) -> Run:
    """Run a command, sampling the memory of its process tree; fail loudly if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, pss_mb(process_tree(process.pid)))
            # Reading PSS walks the page tables of GBs of memory: sample often only while
            # the run is young, so the sampler doesn't steal a core from a long build.
            done.wait(min(0.5, 0.05 + (time.perf_counter() - started) / 20))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        done.set()
        raise
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
    return Run(round(seconds, 2), round(peak, 1))


def sitegen(*args: str) -> list[str]:
    """The sitegen command line, run by this Python."""
    return [sys.executable, "-m", "sitegen", *args]


def make_project(folder: Path, corpus: str, papers: int) -> Path:
    """A project root with the corpus's dumps (held-back new dump beside it) and settings."""
    root = folder / "project"
    dumps = root / "content" / "dumps"
    if corpus == "shipped":
        shutil.copytree(REPO / "content" / "dumps", dumps)
        write_dumps(folder / "new", NEW_DUMP_PAPERS, NEW_DUMP_PAPERS, seed=99)
    else:
        write_dumps(dumps, papers + NEW_DUMP_PAPERS)
        newest = sorted(dumps.glob("*.txt"))[-1]  # held back for the "new dump" step
        (folder / "new").mkdir()
        shutil.move(newest, folder / "new" / newest.name)
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(REPO / "content" / name, root / "content" / name)
    return root


def mkdocs_project(folder: Path, root: Path) -> Path:
    """An MkDocs project over the same Markdown pages sitegen ingested."""
    project = folder / "mkdocs"
    shutil.copytree(root / "content" / "papers", project / "docs")
    (project / "docs" / "index.md").write_text("# Reading list\n")
    (project / "mkdocs.yml").write_text(MKDOCS_YML)
    return project


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Total bytes and number of files under a folder."""
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return sum(sizes), len(sizes)


def asset_bytes(site: Path, page: Path) -> int:
    """Bytes of the local CSS and JS a page loads."""
    html = page.read_text(encoding="utf-8")
    total = 0
    for ref in re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', html):
        asset = (page.parent / ref).resolve()
        if asset.is_file() and asset.is_relative_to(site.resolve()):
            total += asset.stat().st_size
    return total


def measure_output(site: Path) -> dict[str, float]:
    """Sizes of the built site."""
    total, files = folder_bytes(site)
    pages = sorted(site.glob("papers/*/index.html"))
    pages = [p for p in pages if not p.parent.name.startswith("_")]
    median_page = statistics.median(p.stat().st_size for p in pages)
    sample = pages[len(pages) // 2]
    search = [p for p in (site / "search").glob("*.js")]
    titles = site / "search" / "titles.js"
    return {
        "site_mb": round(total / 1e6, 1),
        "site_files": files,
        "paper_page_kb": round(median_page / 1024, 1),
        "paper_page_with_assets_kb": round(
            (sample.stat().st_size + asset_bytes(site, sample)) / 1024, 1
        ),
        "search_mb": round(sum(p.stat().st_size for p in search) / 1e6, 1),
        "first_results_kb_gz": round(gzipped_size(titles) / 1024, 1),
    }


def append_note(root: Path) -> None:
    """The "one edit" step: a note appended to one paper's page."""
    page = sorted((root / "content" / "papers").glob("*/*.md"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n## Notes\n\nRead this one.\n")


def move_page(root: Path) -> None:
    """The "move" step: one paper's page moved into another theme folder, as a user re-files it."""
    papers = root / "content" / "papers"
    page = sorted(papers.glob("*/*.md"))[-1]
    other = next(f for f in sorted(papers.iterdir()) if f.is_dir() and f != page.parent)
    page.rename(other / page.name)


def bench_corpus(corpus: str, papers: int, mkdocs_up_to: int, timeout: float) -> Result:
    """Measure one corpus, then MkDocs on the same pages if it is not too large."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        root = make_project(folder, corpus, papers)
        ingest = timed(sitegen("ingest", "-q"), root)
        papers = len(list((root / "content" / "papers").glob("*/*.md")))
        cold = timed(sitegen("build", "-q"), root)
        noop = timed(sitegen("build", "-q"), root)
        append_note(root)
        edit = timed(sitegen("build", "-q"), root)
        sizes = measure_output(root / "site")
        move_page(root)
        move = timed(sitegen("build", "-q"), root)
        for path in (folder / "new").iterdir():
            shutil.copy(path, root / "content" / "dumps" / path.name)
        new_dump = timed(sitegen("build", "-q"), root)
        result = Result(corpus, papers, ingest, cold, noop, edit, new_dump, **sizes, move=move)
        if papers <= mkdocs_up_to and shutil.which("mkdocs"):
            project = mkdocs_project(folder, root)
            try:
                result.mkdocs = timed(["mkdocs", "build", "-q"], project, timeout)
                result.mkdocs_site_mb = round(folder_bytes(project / "site")[0] / 1e6, 1)
                index = project / "site" / "search" / "search_index.json"
                result.mkdocs_search_mb = round(index.stat().st_size / 1e6, 1)
            except subprocess.TimeoutExpired:
                result.notes.append(f"MkDocs did not finish within {timeout:.0f} s")
        return result


def ratio(result: Result) -> str:
    """MkDocs' cold build time over sitegen's."""
    if result.mkdocs is None:
        return "–"
    return f"{result.mkdocs.seconds / result.cold.seconds:.1f}×"


def table(results: list[Result]) -> str:
    """The results as a Markdown table (one column per corpus)."""
    rows = [
        ("papers", lambda r: f"{r.papers:,}"),
        ("ingest (dumps → Markdown)", lambda r: f"{r.ingest.seconds} s"),
        ("cold build", lambda r: f"{r.cold.seconds} s"),
        ("MkDocs build, same pages", lambda r: f"{r.mkdocs.seconds} s" if r.mkdocs else "–"),
        ("MkDocs ÷ sitegen (cold)", ratio),
        ("no-op rebuild", lambda r: f"{r.noop.seconds} s"),
        ("rebuild after one edit", lambda r: f"{r.edit.seconds} s"),
        ("rebuild after moving one page", lambda r: f"{r.move.seconds} s" if r.move else "–"),
        (f"rebuild after a new {NEW_DUMP_PAPERS}-paper dump", lambda r: f"{r.new_dump.seconds} s"),
        (
            "peak memory (cold build)",
            lambda r: f"{r.cold.peak_mb:,.0f} MB",
        ),
        (
            "peak memory (MkDocs)",
            lambda r: f"{r.mkdocs.peak_mb:,.0f} MB" if r.mkdocs else "–",
        ),
        ("output", lambda r: f"{r.site_mb:,} MB in {r.site_files:,} files"),
        ("MkDocs output", lambda r: f"{r.mkdocs_site_mb:,} MB" if r.mkdocs_site_mb else "–"),
        ("paper page (median)", lambda r: f"{r.paper_page_kb} KB"),
        ("paper page with its CSS and JS", lambda r: f"{r.paper_page_with_assets_kb} KB"),
        ("search data", lambda r: f"{r.search_mb} MB"),
        (
            "MkDocs search index",
            lambda r: f"{r.mkdocs_search_mb} MB" if r.mkdocs_search_mb else "–",
        ),
        ("search bytes before first results", lambda r: f"{r.first_results_kb_gz} KB gz"),
    ]
    lines = ["| | " + " | ".join(r.corpus for r in results) + " |"]
    lines.append("|---|" + "---|" * len(results))
    lines += [f"| {name} | " + " | ".join(cell(r) for r in results) + " |" for name, cell in rows]
    notes = [f"- {r.corpus}: {note}" for r in results for note in r.notes]
    return "\n".join(lines + notes)


def main() -> None:
    """Run the corpora given and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="shipped,1000,10000,100000")
    parser.add_argument("--mkdocs-up-to", type=int, default=1_000)
    parser.add_argument("--mkdocs-timeout", type=float, default=1800)
    parser.add_argument("--smoke", action="store_true", help="200 papers, to check the script")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sizes = ["200"] if args.smoke else args.sizes.split(",")
    results = []
    for size in sizes:
        corpus, papers = (size, 0) if size == "shipped" else (f"{int(size):,}", int(size))
        print(f"measuring {corpus} …", file=sys.stderr, flush=True)
        results.append(bench_corpus(corpus, papers, args.mkdocs_up_to, args.mkdocs_timeout))
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(table(results))


if __name__ == "__main__":
    main()
