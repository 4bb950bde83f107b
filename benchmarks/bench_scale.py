"""Build performance at scale, side by side with Hugo and MkDocs, in one run on one machine.

    python benchmarks/bench_scale.py [--sizes shipped,1000,10000,100000] [--smoke]
                                     [--rounds 3] [--mkdocs-up-to 1000] [--new-dump 200]
                                     [--mkdocs-path DIR] [--json results.json]

For the shipped corpus and each synthetic size (benchmarks/gen_corpus.py, both
dump layouts) it measures, each in a fresh `sitegen` process as a user runs it:
- ingest: `sitegen ingest` turning the dumps into Markdown pages;
- cold build: `sitegen build` from those pages with no cache, no site/ and no compiled
  templates (each corpus gets a template cache of its own, empty at first: see
  sitegen.render.compiled_templates), as a first build after installing;
- no-op: `sitegen build` again, and the same under `python -X importtime` (what a
  build imports, and whether numpy and scipy were among it);
- a new dump (--new-dump papers, held back from the corpus): `sitegen add` of it,
  the files it rewrote (new or different bytes, and removed), and the bytes of those
  files (what a GitHub Pages deploy uploads);
- one edit (a note appended to one page) and one page moved to another theme folder
  (a move changes lists, not discovery's TF-IDF): `sitegen build` again;
- CPU seconds (user + system) of each command's whole process tree, which a machine other
  processes load inflates far less than wall time;
- peak memory: the largest sum of PSS (shared pages counted once, in MiB) over the process
  and its children, sampled every 50 ms at first and every 0.5 s in long runs, in each
  generator's first cold build only: the sampler walks every process's page tables, and
  a build beside it on two cores lost ~5 % of its time to it (the shipped corpus: 1.245 s
  median against 1.186 s without, 8 alternating pairs), so the other runs go unsampled;
- output: total bytes and files, the median paper page, the median paper page with
  the CSS and JS it loads, the search data and the gzipped bytes a reader fetches
  before the first results (search/titles.js).

Hugo (Debian's `hugo`) builds the same Markdown pages with a minimal site of its own
(HUGO_LAYOUTS: a header with a search box, a sidebar of themes with their paper
counts, paper pages with previous/next in their theme, paginated lists of 50 with
summaries). MkDocs with the Material theme (`mkdocs-material`) builds them up to
--mkdocs-up-to papers: it puts the whole navigation on every page, so its time and
output grow with the square of the papers. --mkdocs-path adds a folder to the
PYTHONPATH of the MkDocs run only (mkdocs-material installed with `pip --target`).

sitegen runs from compiled bytecode, as an installed package does (as_installed), even
where PYTHONDONTWRITEBYTECODE is set.

The table gives sitegen's cold build over Hugo's and MkDocs' over sitegen's, and the
1-minute load average when each corpus started: the machine is shared, so ratios
from one run mean more than seconds. Each cold build (sitegen's, Hugo's, MkDocs')
runs --rounds times, alternately and each from the same start (for sitegen: the
cache `sitegen ingest` left, no site/, no compiled templates), so a slow spell of
the machine or its file system (creating files is ~10x slower right after many were
deleted) falls on both sides: the ratios are medians of each round's own ratio, with
their range; CPU seconds and peak memory are the first round's.

After the table, each of issue 16's goals (GOALS) for a corpus measured is judged from the
run: the value (the same medians the table gives), the goal, met or not.

A new dump's add is one sample of a noisy machine: up to 20,000 papers it runs
--add-rounds times, each in a project of its own made, ingested and built cold as the
first, and the table gives their median over the cold builds' median too.

--smoke runs 200 papers, a 50-paper dump and two rounds of cold builds and of adds
(Hugo and MkDocs only if installed): CI runs it so the script keeps working; its
numbers mean nothing.

The projects are made in a temporary folder (TMPDIR). On a VM whose disk slows down as
files are created and deleted by the hundred thousand, both generators slowed 2-3x round
by round at 10k papers (2026-12-04): with TMPDIR=/dev/shm (a tmpfs) their rounds stayed
within 10 %, so ratios from such a run can be trusted. tmpfs also makes writing files
cheaper, for Hugo as for sitegen's cold build, which is why a new dump's share of a cold
build comes out higher there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench_search import gzipped_size
from gen_corpus import REPO, write_dumps

MKDOCS_YML = """site_name: Reading list
theme:
  name: material
plugins:
  - search
"""
HUGO_BUILD = ["hugo", "--quiet", "-d", "public"]
HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Reading list"
disableKinds = ["taxonomy", "term"]
paginate = 50
"""
# A minimal site with what sitegen's pages have at their core (see the module docstring).
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<form action="{{ "search/" | relURL }}"><input type="search" name="q"></form></header>
{{ partialCached "sidebar.html" . .CurrentSection.RelPermalink }}
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "partials/sidebar.html": """{{ $current := .CurrentSection }}
<nav><ul>{{ range (site.GetPage "/papers").Sections }}
<li{{ if eq . $current }} class="current"{{ end }}><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<span class="count">{{ len .Pages }}</span></li>{{ end }}</ul></nav>
""",
    "_default/single.html": """{{ define "main" }}<article>
<p><a href="{{ .CurrentSection.RelPermalink }}">{{ .CurrentSection.Title }}</a></p>
<h1>{{ .Title }}</h1>{{ .Content }}
<nav>{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .RegularPagesRecursive }}
{{ range $pager.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ul>
{{ range (site.GetPage "/papers").Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ len .Pages }} papers</li>{{ end }}</ul>{{ end }}
""",
}


@dataclass
class Run:
    """One timed command: wall seconds, CPU seconds and peak memory of its process tree."""

    seconds: float
    peak_mb: float
    cpu: float = 0.0  # user + system seconds of the command and every process it waited for


@dataclass
class Rewrite:
    """What a build changed in the output folder."""

    files: int  # files written with new bytes, or new
    removed: int
    total: int  # files in the output afterwards
    mb: float  # bytes of the changed files (what a deploy uploads)
    by_kind: dict[str, int] = field(default_factory=dict)  # changed files per kind_of_file


def kind_of_file(path: str, before: dict) -> str:
    """What an output file is, for the per-kind count of a rewrite."""
    parts = path.split("/")
    if parts[0] == "search" and len(parts) == 2:  # search shard, text, late, index, titles.js
        return "search " + parts[1].split("-")[0].removesuffix(".js")
    if parts[0] in ("search", "dumps", "tags") or len(parts) == 1:
        return parts[0] if len(parts) > 1 else "other"
    if parts[0] == "themes":
        return "theme cards.js" if path.endswith(".js") else "theme pages"
    if parts[0] == "papers" and (len(parts) == 2 or parts[1] == "_page"):
        return "A–Z"
    if parts[0] == "papers":
        return "older paper pages" if path in before else "new paper pages"
    return "other"


@dataclass
class Result:
    """Everything measured for one corpus."""

    corpus: str
    papers: int
    load: float  # 1-minute load average when this corpus started
    loop_seconds: float  # python_speed() when this corpus started: how fast the VM ran then
    ingest: Run
    cold: Run
    noop: Run
    imports_ms: float  # import time of a no-op build (python -X importtime, summed)
    imports_numpy: bool  # whether a no-op build imported numpy
    new_dump_papers: int
    new_dump: Run
    rewrite: Rewrite
    edit: Run
    move: Run
    site_mb: float
    site_files: int
    paper_page_kb: float
    paper_page_with_assets_kb: float
    search_mb: float
    first_results_kb_gz: float
    hugo: Run | None = None
    hugo_site_mb: float | None = None
    hugo_paper_page_kb: float | None = None
    mkdocs: Run | None = None
    mkdocs_site_mb: float | None = None
    mkdocs_search_mb: float | None = None
    notes: list[str] = field(default_factory=list)
    # Wall seconds of each round's cold build (the first is `cold`, `hugo`, `mkdocs`).
    cold_rounds: list[float] = field(default_factory=list)
    hugo_rounds: list[float] = field(default_factory=list)
    mkdocs_rounds: list[float] = field(default_factory=list)
    # Wall seconds of each `sitegen add` of the new dump (the first is `new_dump`).
    add_rounds: list[float] = field(default_factory=list)


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


def timed(
    command: list[str],
    cwd: Path,
    timeout: float | None = None,
    env: dict | None = None,
    memory: bool = False,
) -> Run:
    """Run a command (`memory`: sampling the memory of its process tree, peak_mb; else 0);
    fail loudly if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, pss_mb(process_tree(process.pid)))
            # Reading PSS walks the page tables of GBs of memory: sample often only while
            # the run is young, so the sampler doesn't steal a core from a long build.
            done.wait(min(0.5, 0.05 + (time.perf_counter() - started) / 20))

    sampler = threading.Thread(target=sample, daemon=True) if memory else None
    if sampler is not None:
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
    if sampler is not None:
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(round(seconds, 2), round(peak, 1), round(cpu, 2))


def sitegen(*args: str) -> list[str]:
    """The sitegen command line, run by this Python."""
    return [sys.executable, "-m", "sitegen", *args]


def import_profile(root: Path) -> tuple[float, bool]:
    """(milliseconds spent importing, whether numpy was imported) in a no-op `sitegen build`."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *sitegen("build", "-q")[1:]],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = re.findall(r"^import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)$", run.stderr, re.MULTILINE)
    total_us = sum(int(own) for own, _, _ in rows)
    return round(total_us / 1000, 1), any(name == "numpy" for *_, name in rows)


def make_project(folder: Path, corpus: str, papers: int, new_papers: int) -> Path:
    """A project root with the corpus's dumps (the held-back new dump beside it) and settings."""
    root = folder / "project"
    dumps = root / "content" / "dumps"
    if corpus == "shipped":
        shutil.copytree(REPO / "content" / "dumps", dumps)
        write_dumps(folder / "new", new_papers, new_papers, seed=99)
    else:
        write_dumps(dumps, papers + new_papers, last=new_papers)
        newest = sorted(dumps.glob("*.txt"))[-1]  # held back for the "new dump" step
        (folder / "new").mkdir()
        shutil.move(newest, folder / "new" / newest.name)
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(REPO / "content" / name, root / "content" / name)
    return root


def theme_titles(root: Path) -> dict[str, str]:
    """Theme folder -> title, from the project's themes.yaml (the folder name otherwise)."""
    import yaml

    data = yaml.safe_load((root / "content" / "themes.yaml").read_text(encoding="utf-8"))
    themes = data.get("themes", data) if isinstance(data, dict) else data
    found = {}
    for theme in themes or []:
        if isinstance(theme, dict) and "slug" in theme:
            found[theme["slug"]] = theme.get("title", theme["slug"])
    return found


def hugo_project(folder: Path, root: Path) -> Path:
    """A Hugo site over the same Markdown pages sitegen ingested (one section per theme)."""
    project = folder / "hugo"
    papers = project / "content" / "papers"
    shutil.copytree(root / "content" / "papers", papers)
    titles = theme_titles(root)
    (papers / "_index.md").write_text("---\ntitle: All papers\n---\n")
    for theme in papers.iterdir():
        if theme.is_dir():
            title = json.dumps(titles.get(theme.name, theme.name))
            (theme / "_index.md").write_text(f"---\ntitle: {title}\n---\n")
    (project / "config.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (project / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "layouts" / name).write_text(text)
    (project / "static").mkdir()
    (project / "static" / "style.css").write_text("body { font-family: sans-serif; }\n")
    return project


def mkdocs_project(folder: Path, root: Path) -> Path:
    """An MkDocs (Material) project over the same Markdown pages sitegen ingested."""
    project = folder / "mkdocs"
    shutil.copytree(root / "content" / "papers", project / "docs")
    (project / "docs" / "index.md").write_text("# Reading list\n")
    (project / "mkdocs.yml").write_text(MKDOCS_YML)
    return project


def mkdocs_env(extra_path: Path | None) -> dict[str, str] | None:
    """The environment of the MkDocs run: PYTHONPATH gets extra_path, if given."""
    if extra_path is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return env


def has_mkdocs_material(env: dict[str, str] | None) -> bool:
    """Whether `python -m mkdocs` with the Material theme can run in this environment."""
    probe = [sys.executable, "-c", "import mkdocs, material"]
    return subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 0


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Total bytes and number of files under a folder."""
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return sum(sizes), len(sizes)


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under a folder: relative path -> (size, hash of its bytes)."""
    return {
        p.relative_to(folder).as_posix(): (
            p.stat().st_size,
            hashlib.blake2b(p.read_bytes(), digest_size=16).digest(),
        )
        for p in folder.rglob("*")
        if p.is_file()
    }


def rewrite_between(before: dict[str, tuple[int, bytes]], after: dict) -> Rewrite:
    """The files that differ between two snapshots: new or changed, and removed."""
    changed = [path for path, entry in after.items() if before.get(path) != entry]
    removed = sum(1 for path in before if path not in after)
    megabytes = sum(after[path][0] for path in changed) / 1e6
    kinds: dict[str, int] = {}
    for path in changed:
        kind = kind_of_file(path, before)
        kinds[kind] = kinds.get(kind, 0) + 1
    by_kind = dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    return Rewrite(len(changed), removed, len(after), round(megabytes, 1), by_kind)


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


@dataclass(frozen=True)
class Settings:
    """The command line's choices."""

    new_papers: int
    mkdocs_up_to: int
    mkdocs_timeout: float
    mkdocs_path: Path | None
    rounds: int = 1
    add_rounds: int = 1


def others_on_same_pages(
    papers: int, folder: Path, root: Path, settings: Settings
) -> dict[str, Any]:
    """Hugo, and MkDocs when the corpus is small enough, on the pages sitegen just built from:
    the Result fields they fill in."""
    found: dict[str, Any] = {"notes": [], "again": {}}
    if shutil.which("hugo"):
        project = hugo_project(folder, root)
        found["hugo"] = timed(HUGO_BUILD, project, memory=True)
        found["again"]["hugo"] = partial(fresh_build, project / "public", HUGO_BUILD, project)
        public = project / "public"
        found["hugo_site_mb"] = round(folder_bytes(public)[0] / 1e6, 1)
        pages = [p for p in public.glob("papers/*/*/index.html") if p.parent.name != "page"]
        median = statistics.median(p.stat().st_size for p in pages)
        found["hugo_paper_page_kb"] = round(median / 1024, 1)
    env = mkdocs_env(settings.mkdocs_path)
    if papers > settings.mkdocs_up_to or not has_mkdocs_material(env):
        return found
    project = mkdocs_project(folder, root)
    command = [sys.executable, "-m", "mkdocs", "build", "-q"]
    try:
        found["mkdocs"] = timed(command, project, settings.mkdocs_timeout, env, memory=True)
    except subprocess.TimeoutExpired:
        found["notes"].append(f"MkDocs did not finish within {settings.mkdocs_timeout:.0f} s")
        return found
    again = partial(fresh_build, project / "site", command, project, settings.mkdocs_timeout, env)
    found["again"]["mkdocs"] = again
    found["mkdocs_site_mb"] = round(folder_bytes(project / "site")[0] / 1e6, 1)
    index = project / "site" / "search" / "search_index.json"
    found["mkdocs_search_mb"] = round(index.stat().st_size / 1e6, 1)
    return found


def bench_corpus(corpus: str, papers: int, settings: Settings) -> Result:
    """Measure one corpus with sitegen, then Hugo and MkDocs on the same pages."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        load, loop_seconds = round(os.getloadavg()[0], 2), python_speed()
        # A first build compiles every template; the builds after it, as a user's, don't.
        os.environ["SITEGEN_TEMPLATE_CACHE"] = str(folder / "compiled-templates")
        size = papers  # as asked (make_project's)
        root = make_project(folder, corpus, size, settings.new_papers)
        ingest = timed(sitegen("ingest", "-q"), root)
        papers = len(list((root / "content" / "papers").glob("*/*.md")))
        shutil.copytree(root / ".sitegen-cache", folder / "ingested-cache")  # the rounds' start
        cold = timed(sitegen("build", "-q"), root, memory=True)
        others = others_on_same_pages(papers, folder, root, settings)
        again = {"sitegen": partial(cold_again, root, folder), **others.pop("again")}
        rounds = cold_rounds(settings.rounds, again, cold, others)
        noop = timed(sitegen("build", "-q"), root)
        imports_ms, imports_numpy = import_profile(root)
        sizes = measure_output(root / "site")
        before = snapshot(root / "site")
        new = map(str, sorted((folder / "new").iterdir()))
        # Its memory is sampled only where it is the one add (the sampler slows what it
        # watches): at 100k papers, an add's peak is the memory goal's too.
        new_dump = timed(sitegen("add", "-q", *new), root, memory=size > ADD_ROUNDS_UP_TO)
        rewrite = rewrite_between(before, snapshot(root / "site"))
        append_note(root)
        edit = timed(sitegen("build", "-q"), root)
        move_page(root)
        move = timed(sitegen("build", "-q"), root)
        adds = [new_dump.seconds, *added_again(corpus, size, folder, settings)]
        result = Result(
            corpus=corpus,
            papers=papers,
            load=load,
            loop_seconds=loop_seconds,
            ingest=ingest,
            cold=cold,
            noop=noop,
            imports_ms=imports_ms,
            imports_numpy=imports_numpy,
            new_dump_papers=settings.new_papers,
            new_dump=new_dump,
            rewrite=rewrite,
            edit=edit,
            move=move,
            **sizes,
            **others,
            **rounds,
            add_rounds=adds,
        )
        return result


# Papers: above, one add only (each more costs an ingest and a cold build: minutes at 100k).
ADD_ROUNDS_UP_TO = 20_000


def added_again(corpus: str, papers: int, folder: Path, settings: Settings) -> list[float]:
    """`sitegen add` of the new dump in settings.add_rounds - 1 more projects of their own,
    each made, ingested and built cold just before (the first add came after the cold rounds
    and the no-op; a copy of its project would miss every page's stat in its cache): one add
    is a single sample of a noisy machine."""
    seconds = []
    for number in range(1, settings.add_rounds if papers <= ADD_ROUNDS_UP_TO else 1):
        root = make_project(folder / f"add-{number}", corpus, papers, settings.new_papers)
        timed(sitegen("ingest", "-q"), root)
        timed(sitegen("build", "-q"), root)
        new = sorted((folder / f"add-{number}" / "new").iterdir())
        seconds.append(timed(sitegen("add", "-q", *map(str, new)), root).seconds)
        shutil.rmtree(folder / f"add-{number}")
    return seconds


def python_speed() -> float:
    """Seconds a 10⁷-step Python loop takes now: a shared VM's speed drifts within the hour,
    so seconds (not ratios) from runs at other times compare only beside it."""
    started = time.perf_counter()
    total = 0
    for step in range(10_000_000):
        total += step
    return round(time.perf_counter() - started, 2)


def fresh_build(output: Path, command: list[str], cwd: Path, *args: Any) -> Run:
    """A generator's build again, into an output folder it makes afresh."""
    shutil.rmtree(output, ignore_errors=True)
    return timed(command, cwd, *args)


def cold_again(root: Path, folder: Path) -> Run:
    """sitegen's cold build again, from where the first started: the cache `sitegen ingest`
    left, no site/ and no compiled templates."""
    shutil.rmtree(root / ".sitegen-cache")
    shutil.copytree(folder / "ingested-cache", root / ".sitegen-cache")
    shutil.rmtree(os.environ["SITEGEN_TEMPLATE_CACHE"], ignore_errors=True)
    return fresh_build(root / "site", sitegen("build", "-q"), root)


def cold_rounds(
    rounds: int, again: dict[str, Callable[[], Run]], cold: Run, others: dict[str, Any]
) -> dict[str, list[float]]:
    """Every round's cold seconds per generator (the first round's runs given), the later
    rounds alternating which generator goes first. Each round leaves what a cold build
    leaves, so the steps after it (no-op, new dump) start as after the first. A generator
    that times out in a later round sits out the rounds after it (a note in others says so)."""
    seconds = {"sitegen": [cold.seconds]}
    seconds.update({name: [others[name].seconds] for name in again if name != "sitegen"})
    for number in range(1, rounds):
        order = list(again) if number % 2 == 0 else list(reversed(again))
        for name in order:  # a copy: the one that times out leaves `again`, not `order`
            try:
                seconds[name].append(again[name]().seconds)
            except subprocess.TimeoutExpired as late:
                others["notes"].append(f"{name} timed out in round {number + 1} ({late.timeout} s)")
                del again[name]
    return {
        "cold_rounds": seconds["sitegen"],
        "hugo_rounds": seconds.get("hugo", []),
        "mkdocs_rounds": seconds.get("mkdocs", []),
    }


def medians_ratio(tops: list[float], bottoms: list[float]) -> str:
    """The median of tops over the median of bottoms."""
    if not tops or not bottoms:
        return "–"
    return f"{statistics.median(tops) / statistics.median(bottoms):.2f}"


def share(run: Run, rounds: list[float]) -> str:
    """A run's seconds over the median of some rounds' seconds."""
    return medians_ratio([run.seconds], rounds)


def cpu_pair(a: Run, b: Run | None) -> str:
    """CPU seconds of two runs and their ratio (a loaded machine inflates them less than wall
    time)."""
    if b is None:
        return f"{a.cpu} s / –"
    return f"{a.cpu} s / {b.cpu} s ({a.cpu / b.cpu:.2f})" if b.cpu else f"{a.cpu} s / –"


def per_round(tops: list[float], bottoms: list[float]) -> list[float]:
    """Each round's tops[i] / bottoms[i] (rounds with a zero bottom left out)."""
    return [a / b for a, b in zip(tops, bottoms, strict=False) if b]


def round_ratios(tops: list[float], bottoms: list[float]) -> str:
    """The median of each round's tops[i] / bottoms[i], with their range, or a dash."""
    ratios = per_round(tops, bottoms)
    if not ratios:
        return "–"
    spread = (
        f" ({min(ratios):.2f}–{max(ratios):.2f}, {len(ratios)} rounds)" if len(ratios) > 1 else ""
    )
    return f"{statistics.median(ratios):.2f}{spread}"


def round_seconds(rounds: list[float]) -> str:
    """The median of some rounds' seconds, with every round's, or a dash."""
    if not rounds:
        return "–"
    every = f" ({', '.join(map(str, rounds))})" if len(rounds) > 1 else ""
    return f"{statistics.median(rounds):.2f} s{every}"


def table(results: list[Result]) -> str:
    """The results as a Markdown table (one column per corpus)."""
    rows = [
        ("papers", lambda r: f"{r.papers:,}"),
        ("load average (1 min) at start", lambda r: f"{r.load}"),
        ("a 10⁷-step Python loop at start", lambda r: f"{r.loop_seconds} s"),
        ("ingest (dumps → Markdown)", lambda r: f"{r.ingest.seconds} s"),
        ("cold build (median of rounds)", lambda r: round_seconds(r.cold_rounds)),
        ("Hugo build, same pages", lambda r: round_seconds(r.hugo_rounds)),
        ("sitegen ÷ Hugo (cold)", lambda r: round_ratios(r.cold_rounds, r.hugo_rounds)),
        ("CPU seconds, cold build: sitegen / Hugo", lambda r: cpu_pair(r.cold, r.hugo)),
        ("MkDocs+Material build, same pages", lambda r: round_seconds(r.mkdocs_rounds)),
        (
            "MkDocs+Material ÷ sitegen (cold)",
            lambda r: round_ratios(r.mkdocs_rounds, r.cold_rounds),
        ),
        ("CPU seconds, MkDocs+Material", lambda r: f"{r.mkdocs.cpu} s" if r.mkdocs else "–"),
        ("no-op rebuild", lambda r: f"{r.noop.seconds} s"),
        (
            "imports in a no-op build",
            lambda r: f"{r.imports_ms:.0f} ms" + (" (numpy)" if r.imports_numpy else ""),
        ),
        ("`sitegen add` of a new dump", lambda r: f"{r.new_dump.seconds} s"),
        ("… ÷ cold build (median)", lambda r: share(r.new_dump, r.cold_rounds)),
        ("… each add, in projects of their own", lambda r: round_seconds(r.add_rounds)),
        (
            "… their median ÷ cold build (median)",
            lambda r: medians_ratio(r.add_rounds, r.cold_rounds),
        ),
        ("… CPU seconds ÷ first cold build's", lambda r: f"{r.new_dump.cpu / r.cold.cpu:.2f}"),
        (
            "… files rewritten",
            lambda r: (
                f"{r.rewrite.files:,} of {r.rewrite.total:,} "
                f"({100 * r.rewrite.files / r.rewrite.total:.1f} %)"
            ),
        ),
        ("… bytes changed", lambda r: f"{r.rewrite.mb} MB"),
        (
            "… files rewritten, by kind",
            lambda r: "; ".join(f"{k} {n}" for k, n in r.rewrite.by_kind.items()),
        ),
        ("rebuild after one edit (a note)", lambda r: f"{r.edit.seconds} s"),
        ("rebuild after moving one page", lambda r: f"{r.move.seconds} s"),
        ("peak memory (cold build)", lambda r: f"{r.cold.peak_mb:,.0f} MiB"),
        (
            "peak memory (new dump)",
            lambda r: f"{r.new_dump.peak_mb:,.0f} MiB" if r.new_dump.peak_mb else "–",
        ),
        ("peak memory (Hugo)", lambda r: f"{r.hugo.peak_mb:,.0f} MiB" if r.hugo else "–"),
        ("peak memory (MkDocs)", lambda r: f"{r.mkdocs.peak_mb:,.0f} MiB" if r.mkdocs else "–"),
        ("output", lambda r: f"{r.site_mb:,} MB in {r.site_files:,} files"),
        ("Hugo output", lambda r: f"{r.hugo_site_mb:,} MB" if r.hugo_site_mb else "–"),
        ("MkDocs output", lambda r: f"{r.mkdocs_site_mb:,} MB" if r.mkdocs_site_mb else "–"),
        ("paper page (median)", lambda r: f"{r.paper_page_kb} KB"),
        ("Hugo paper page (median)", lambda r: f"{r.hugo_paper_page_kb} KB" if r.hugo else "–"),
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


# Issue 16's goals, by the corpus they are set for: (what, goal, at most (else at least)).
GOALS: dict[str, list[tuple[str, float, bool]]] = {
    "shipped": [
        ("sitegen ÷ Hugo, cold", 3.0, True),
        ("MkDocs+Material ÷ sitegen, cold", 10.0, False),
    ],
    "10,000": [
        ("sitegen ÷ Hugo, cold", 2.0, True),
        ("files a new dump rewrites, %", 10.0, True),
        ("`sitegen add` ÷ cold build (medians)", 0.5, True),
        ("no-op rebuild, seconds", 1.0, True),
        ("rebuild after a note edit, seconds", 1.5, True),
    ],
    "100,000": [
        ("output, GB", 1.0, True),
        ("cold build, seconds", 180.0, True),
        ("peak memory of a cold build, GB", 2.0, True),
        ("peak memory of `sitegen add`, GB", 2.0, True),
        ("no-op rebuild, seconds", 5.0, True),
    ],
}


def measured(result: Result, goal: str) -> float | None:
    """What a run measured for one of GOALS' entries (None: not measured)."""
    median = statistics.median

    def ratio(tops: list[float], bottoms: list[float]) -> float | None:
        ratios = per_round(tops, bottoms)  # the table's: the median of each round's
        return median(ratios) if ratios else None

    values = {
        "sitegen ÷ Hugo, cold": ratio(result.cold_rounds, result.hugo_rounds),
        "MkDocs+Material ÷ sitegen, cold": ratio(result.mkdocs_rounds, result.cold_rounds),
        "files a new dump rewrites, %": 100 * result.rewrite.files / result.rewrite.total,
        "`sitegen add` ÷ cold build (medians)": median(result.add_rounds)
        / median(result.cold_rounds),
        "no-op rebuild, seconds": result.noop.seconds,
        "rebuild after a note edit, seconds": result.edit.seconds,
        "output, GB": result.site_mb / 1000,
        "cold build, seconds": median(result.cold_rounds),
        "peak memory of a cold build, GB": result.cold.peak_mb * 1.048576 / 1000,  # MiB
        "peak memory of `sitegen add`, GB": result.new_dump.peak_mb * 1.048576 / 1000 or None,
    }
    return values[goal]


def verdicts(results: list[Result]) -> list[str]:
    """Each of issue 16's goals for the corpora measured: the value, the goal, met or not."""
    lines = []
    for result in results:
        for goal, limit, at_most in GOALS.get(result.corpus, []):
            value = measured(result, goal)
            if value is None:
                continue
            value = round(value, 2)  # judged as printed
            met = value <= limit if at_most else value >= limit
            bound = "≤" if at_most else "≥"
            verdict = "met" if met else "NOT MET"
            lines.append(f"- {result.corpus}: {goal} {value:.2f} ({bound} {limit:g}): {verdict}")
    return lines


def as_installed() -> None:
    """Run sitegen as an installed package runs: from compiled bytecode. pip compiles a
    package's modules when it installs them (as it did MkDocs'), and Python writes them on
    first import; with PYTHONDONTWRITEBYTECODE set (some shells and agents set it) every
    sitegen process would compile its ~60 modules from source again (~0.1 s of CPU)."""
    import compileall

    import sitegen

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(Path(sitegen.__file__).parent, quiet=1)


def main() -> None:
    """Run the corpora given and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="shipped,1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=3, help="cold builds of each generator")
    parser.add_argument(
        "--add-rounds", type=int, default=3, help=f"adds of the new dump, up to {ADD_ROUNDS_UP_TO}"
    )
    parser.add_argument("--new-dump", type=int, default=200, help="papers in the new dump")
    parser.add_argument("--mkdocs-up-to", type=int, default=1_000)
    parser.add_argument("--mkdocs-timeout", type=float, default=1800)
    parser.add_argument("--mkdocs-path", type=Path, help="PYTHONPATH folder for MkDocs only")
    parser.add_argument("--smoke", action="store_true", help="200 papers, to check the script")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sizes = ["200"] if args.smoke else args.sizes.split(",")
    settings = Settings(
        50 if args.smoke else args.new_dump,
        args.mkdocs_up_to,
        args.mkdocs_timeout,
        args.mkdocs_path,
        2 if args.smoke else max(1, args.rounds),
        2 if args.smoke else max(1, args.add_rounds),
    )
    as_installed()
    results = []
    for size in sizes:
        corpus, papers = (size, 0) if size == "shipped" else (f"{int(size):,}", int(size))
        print(f"measuring {corpus} …", file=sys.stderr, flush=True)
        results.append(bench_corpus(corpus, papers, settings))
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=False)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"Hugo: {hugo.stdout.split()[1] if hugo.returncode == 0 else 'not installed'}")
    print(table(results))
    goals = verdicts(results)
    if goals:
        print("\nGoals (issue 16), from this run:")
        print("\n".join(goals))


if __name__ == "__main__":
    main()
