"""The command line: `sitegen new | add | ingest | build | serve | watch | deploy | themes`."""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NoReturn

from sitegen import __version__, records
from sitegen.errors import SitegenError
from sitegen.ingest import IngestResult, ingest
from sitegen.workers import forking_pays, tune_collector

if TYPE_CHECKING:  # these modules are imported lazily, by the commands that need them
    from sitegen.build import BuildResult
    from sitegen.noop import Replay
    from sitegen.project import Project


class Console:
    """Prints according to -q/-v: info goes to stdout, warnings and errors to stderr."""

    def __init__(self, verbosity: int = 0):
        self.verbosity = verbosity
        self.warned: set[str] = set()

    def info(self, message: str) -> None:
        """A normal progress line (hidden by -q)."""
        if self.verbosity >= 0:
            print(message, flush=True)

    def detail(self, message: str) -> None:
        """A line shown only with -v."""
        if self.verbosity > 0:
            print(message, flush=True)

    def warn(self, message: str) -> None:
        """A warning (hidden by -q), printed once however many stages find it."""
        if self.verbosity >= 0 and message not in self.warned:
            self.warned.add(message)
            print(f"warning: {message}", file=sys.stderr, flush=True)

    def note(self, message: str) -> None:
        """A remark on stderr (hidden by -q), so that --json output stays pure."""
        if self.verbosity >= 0:
            print(f"note: {message}", file=sys.stderr, flush=True)


class ProgressBar:
    """A one-line bar on stderr for builds that take a second or more (terminals only)."""

    def __init__(self, console: Console, delay: float = 1.0):
        self.console = console
        self.started = time.perf_counter()
        self.delay = delay
        self.shown = False

    def elapsed(self) -> float:
        """Seconds since the build started."""
        return time.perf_counter() - self.started

    def update(self, done: int, total: int) -> None:
        """Redraw the bar, once the build has run for `delay` seconds."""
        if self.console.verbosity < 0 or not sys.stderr.isatty() or self.elapsed() < self.delay:
            return
        filled = int(30 * done / max(total, 1))
        sys.stderr.write(f"\r  rendering [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the bar's line."""
        if self.shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def console_for(args: argparse.Namespace) -> Console:
    """The console matching the -q/-v flags (one per command, made on first use)."""
    if getattr(args, "console", None) is None:
        args.console = Console(-1 if args.quiet else args.verbose)
        content = args.root / "content"
        if content.is_dir() and not (content / "themes.yaml").exists():
            args.console.note(
                f"{content / 'themes.yaml'} not found: using the default themes shipped with "
                "sitegen (`sitegen new` writes a copy to edit)"
            )
    return args.console


def print_ingest(result: IngestResult, console: Console) -> None:
    """The human ingest report: one line per dump, then its warnings."""
    for report in result.reports:
        if report.error:
            continue  # a file that isn't a dump: its warning follows
        when = report.date or report.listing_date or "undated"
        console.info(
            f"{report.name} ({report.layout}, {when}): {report.entries} entries, "
            f"{report.new} new, {report.known} already known, {len(report.warnings)} warnings"
        )
        for warning in report.warnings:
            console.warn(warning)
    for warning in result.warnings:
        console.warn(warning)
    total_new = sum(r.new for r in result.reports)
    console.info(f"ingest: {total_new} new papers, {len(result.written)} files written")


def ingest_data(result: IngestResult) -> dict[str, object]:
    """The ingest report as JSON-able data."""
    return {
        "dumps": [r.as_dict() for r in result.reports],
        "warnings": list(result.warnings),
        "written": [str(p) for p in result.written],
        "ok": not result.errors,
    }


def run_ingest(args: argparse.Namespace) -> int:
    """`sitegen ingest`: create pages for new papers and print the report."""
    from sitegen.cache import BuildCache

    # The build cache keeps what ingest learnt (parsed pages, the keyword stage's verdicts),
    # so the next ingest classifies only new papers and the next build parses no page again.
    cache = BuildCache.load(args.root)
    result = ingest(args.root, cache, fork=forking_pays())  # one thread here: it may fork
    cache.save()
    if args.json:
        console_for(args)  # its note goes to stderr, keeping stdout pure JSON
        print(json.dumps(ingest_data(result), indent=1, ensure_ascii=False))
    else:
        print_ingest(result, console_for(args))
    for error in result.errors:
        print(f"sitegen: error: {error}", file=sys.stderr)
    return 1 if result.errors else 0


def build_site(
    args: argparse.Namespace, keep_model: bool = False, walk: Callable[[], Any] | None = None
) -> tuple[IngestResult, BuildResult, float, Any]:
    """Ingest, then build into args.output; returns both results, the seconds taken and what
    `walk` found (made before the build reads any input: ahead.started; None without one).
    `keep_model`: the build will be recorded (record_build), its model kept."""
    from sitegen import ahead

    clean = getattr(args, "clean", False)  # --clean: no cache, nothing kept
    # First, before the build is imported: a copy reads the inputs and compiles the
    # templates meanwhile.
    with ahead.started(args.root, not clean, walk) as started:
        from sitegen.build import BuildOptions, ingest_and_build
        from sitegen.cache import BuildCache
        from sitegen.snapshot import pickle_model

        cache = BuildCache(None) if clean else BuildCache.load(args.root)
        started.known_into(cache)
        bar = ProgressBar(console_for(args))
        # fork: forked copies of this process render most paper pages and build the search
        # index on the second core (safe here: the CLI runs no other threads).
        # The model a recorded build keeps (snapshot.keep) is pickled beside its commit.
        keep = partial(pickle_model, args.root, args.output) if keep_model and not clean else None
        options = BuildOptions(
            args.output, args.base_url, fork=True, progress=bar.update, beside_commit=keep
        )
        ingested, built = ingest_and_build(args.root, options, cache)
        bar.close()
        return ingested, built, bar.elapsed(), started.walked


def build_summary(built: BuildResult, output: Path, seconds: float) -> str:
    """The one line a build ends with."""
    papers, written = len(built.project.papers), built.written
    return summary_line(papers, f"{written} of {built.total}", output, built.removed, seconds)


def summary_line(papers: int, files: str, output: Path, removed: int, seconds: float) -> str:
    """The summary line's words, for a build or a replayed one (files: "N of M")."""
    return (
        f"build: {papers} papers, {files} files written to {output}, "
        f"{removed} removed in {seconds:.2f}s"
    )


def build_data(built: BuildResult, output: Path) -> dict[str, object]:
    """The build summary as JSON-able data."""
    return {
        "papers": len(built.project.papers),
        "written": built.written,
        "files": built.total,
        "removed": built.removed,
        "output": str(output),
        "warnings": list(built.project.warnings),
        "notes": list(built.notes),
    }


def print_build(built: BuildResult, args: argparse.Namespace, seconds: float) -> None:
    """A build's warnings and notes, then its summary line."""
    console = console_for(args)
    for warning in built.project.warnings:
        console.warn(warning)
    for note in built.notes:
        console.note(note)
    console.info(build_summary(built, args.output, seconds))


def print_replay(replay: Replay, args: argparse.Namespace, summary: str) -> None:
    """A CLI build's warnings and notes, as recorded for replaying, then its summary line."""
    console = console_for(args)
    for detail in replay.details:
        console.detail(f"warning: {detail}")
    for warning in replay.warnings:
        console.warn(warning)
    for note in replay.notes:
        console.note(note)
    console.info(summary)


def run_build(args: argparse.Namespace) -> int:
    """`sitegen build`: ingest, then render the site (or nothing, when nothing changed)."""
    from sitegen import noop

    started = time.perf_counter()
    last = None if args.clean else noop.recorded(args.root, args.output)
    if last is None:  # nothing to compare with: walked beside the cache load (build_site)
        noop.forget(args.root, args.output)  # until this build is done, no build is "the last"
        return full_build(args, None)
    before = walk_inputs(args)
    if last[0] == before[0]:
        seconds = time.perf_counter() - started
        replay = last[1]
        summary = summary_line(replay.papers, f"0 of {replay.total}", args.output, 0, seconds)
        print_replay(replay, args, summary + " (nothing changed)")
        return 0
    noop.forget(args.root, args.output)
    built = notes_build(args, last[0], before)
    if built is not None:  # only papers' own pages changed
        seconds = time.perf_counter() - started
        replay = replace(last[1], papers=len(built.project.papers), total=built.total)
        print_replay(replay, args, build_summary(built, args.output, seconds))
        noop.remember(args.root, args.output, before[0], replay, built.left)  # model: kept
        return 0
    return full_build(args, before)


def walk_inputs(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The input stamp and lines of a build (noop.input_lines): what record_build keeps."""
    from sitegen import noop

    lines, newest = noop.input_lines(args.root, args.output, args.base_url)
    return noop.stamp_of(lines, newest), lines


def full_build(args: argparse.Namespace, before: tuple[str, list[str]] | None) -> int:
    """`sitegen build` in full (no record, --clean, or more than papers' pages changed),
    recorded with the input stamp and lines walked `before` it (walk_inputs; if None, walked
    by build_site in the ahead copy, before the build reads any input)."""
    from sitegen import snapshot

    snapshot.forget(args.root, args.output)
    walk = partial(walk_inputs, args) if before is None else None
    ingested, built, seconds, walked = build_site(args, keep_model=True, walk=walk)
    before = walked if before is None else before
    try:
        if ingested.written:
            console_for(args).info(f"ingest: {len(ingested.written)} files written")
        print_replay(replay_of(ingested, built), args, build_summary(built, args.output, seconds))
    except BaseException:
        if built.beside is not None:  # the model's pickle: not kept
            built.beside.abandon()
        raise
    record_build(args, before, ingested, built)
    held_until_exit(ingested, built)
    return 0


def replay_of(ingested: IngestResult, built: BuildResult) -> Replay:
    """What a build printed, for a no-op build to print again."""
    from sitegen.noop import Replay

    return Replay(
        papers=len(built.project.papers),
        total=built.total,
        details=[warning for report in ingested.reports for warning in report.warnings],
        warnings=[*ingested.warnings, *built.project.warnings],
        notes=[*built.notes],
    )


def record_build(
    args: argparse.Namespace,
    before: tuple[str, list[str]],
    ingested: IngestResult,
    built: BuildResult,
) -> None:
    """Record a full build for the next one's no-op check (noop.py) and keep its model for
    a notes edit (snapshot.py). `before`: the input stamp and lines taken before the build
    read anything (nothing is recorded if that stamp was too recent to trust); the files
    its ingest wrote are then recorded as written (noop.as_written), so a list just added
    to needs no second full build for either."""
    from sitegen import noop, snapshot

    stamp, lines = before
    # The model's pickle, started beside the build's commit (snapshot.pickle_model).
    pickling = built.beside if isinstance(built.beside, snapshot.Pickling) else None
    try:
        if stamp.startswith(noop.RACY):
            return
        after = noop.as_written(lines, ingested.wrote) if ingested.wrote else None
        if after is not None:
            stamp, lines = noop.stamp_of(*after), after[0]
        replay = replay_of(ingested, built)
        recorded = noop.remember(args.root, args.output, stamp, replay, built.left)
        if recorded and not getattr(args, "clean", False):  # --clean: the cache was not saved
            snapshot.keep(args.root, args.output, stamp, lines, built.model, pickling)
    finally:
        if pickling is not None:
            pickling.abandon()  # unless keep() put it in place


def notes_build(
    args: argparse.Namespace, stamp: str, now: tuple[str, list[str]]
) -> BuildResult | None:
    """The last build continued from its kept model when only papers' pages changed since
    (notes, mostly), as `serve` does: None when anything else changed, or what other pages
    show of those papers (build.fast.changed_papers). `now`: this build's stamp and lines.
    The new model is kept (in a forked copy, while the pages and search are made)."""
    from sitegen import noop, snapshot
    from sitegen.build import BuildOptions, quick_model, quick_write
    from sitegen.cache import BuildCache
    from sitegen.workers import Forked

    kept = snapshot.kept(args.root, args.output, stamp)
    pages = None if kept is None else noop.changed_pages(kept.lines, now[1], args.root)
    last = kept.model() if kept is not None and pages else None
    if last is None or not pages:
        return None
    cache = BuildCache.load(args.root, parsed=False)  # the parsed pages: not read, kept
    found = quick_model(last, pages, cache) if cache.saved else None  # saved: a head read
    if found is None:
        return None
    keep = (args.root, args.output, *now, found[0])
    aside = Forked(snapshot.keep, *keep) if forking_pays() else None
    built = None
    try:
        built = quick_write(*found, BuildOptions(args.output, args.base_url), cache, None)
    finally:
        if aside is not None and built is not None:
            aside.result()
        elif aside is not None:  # a build that did not finish keeps no model
            aside.abandon()
    if aside is None and built is not None:
        snapshot.keep(*keep)
    return built


def dated_name(source: Path, today: datetime.date) -> str:
    """The file name a dump gets in content/dumps/: prefixed with a date unless it has one."""
    from sitegen.dumps import dump_date

    if dump_date(source.stem):
        return source.name
    return f"{today.isoformat()}-{source.name}"


def check_addable(source: Path) -> bytes:
    """The bytes of a file `add` may copy in: a dump sitegen will read, not a folder,
    an editor leftover or a half-finished download."""
    from sitegen.dumps import impossible_date, parse_dump
    from sitegen.fsio import counts_as_input, read_input, why_not_input

    if source.is_dir():
        raise SitegenError("is a folder: add the dump files in it (e.g. DIR/*.txt)", source)
    if not source.exists() and not source.is_symlink():
        raise SitegenError("no such file", source)
    if not counts_as_input(PurePath(source.name)):
        raise SitegenError(
            f"not added: {why_not_input(PurePath(source.name))} is never read as a dump "
            "(rename the finished file)",
            source,
        )
    date = impossible_date(source.stem)
    if date:
        raise SitegenError(f"the name starts with {date}, which is not a calendar date", source)
    data = read_input(source)
    parse_dump(data, str(source), source.stem)  # refuses what isn't a dump, before copying
    return data


def plan_add(files: list[str], dumps_dir: Path, today: datetime.date) -> list[tuple[Path, Path]]:
    """(source, target) of each dump to copy in; refuses the lot if any one can't be added."""
    from sitegen.ingest import dump_files

    existing = {path.stem: path.name for path in dump_files(dumps_dir)}  # dump name -> file
    plan: list[tuple[Path, Path]] = []
    planned: dict[str, tuple[Path, bytes]] = {}  # target name -> its source and bytes
    for name in files:
        source = Path(name)
        data = check_addable(source)
        target = dumps_dir / dated_name(source, today)
        if target.name in planned:
            first, first_data = planned[target.name]
            if first_data == data:
                continue  # the same dump given twice
            raise SitegenError(
                f"{first} has the same name and both would be {target}: rename one", source
            )
        taken = existing.get(target.stem)
        if taken is not None and taken != target.name:  # x.txt and x.text: one dump name
            raise SitegenError(
                f"the dump {dumps_dir / taken} has the same name {target.stem!r}: rename this one",
                source,
            )
        existing[target.stem] = target.name
        if target.exists() and read_target(target) != data:
            raise SitegenError(f"a different dump is already at {target}", source)
        planned[target.name] = (source, data)
        plan.append((source, target))
    return plan


def walk_before(args: argparse.Namespace, copied: int) -> tuple[str, list[str]]:
    """The input stamp and lines of `sitegen add`'s build (record_build's `before`), once the
    dumps copied in (the newest change time among them: `copied`) can be trusted."""
    from sitegen import noop

    # The dumps were copied in just now: once their tick is out, their stats can be trusted.
    # Waited for before the walk, not after it: a second walk is 40 ms at 10k papers.
    if copied:
        noop.settled(copied)
    lines, newest = noop.input_lines(args.root, args.output, args.base_url)
    if noop.is_racy(newest, noop.file_clock_ns()) and noop.settled(newest):
        # Another file changed just now (an edit beside the add): walked again once settled.
        lines, newest = noop.input_lines(args.root, args.output, args.base_url)
    return noop.stamp_of(lines, newest), lines


def read_target(path: Path) -> bytes | None:
    """The bytes of a file already in content/dumps/, or None if it can't be read as one."""
    from sitegen.fsio import read_input

    try:
        return read_input(path)
    except SitegenError:
        return None


def run_add(args: argparse.Namespace) -> int:
    """`sitegen add FILE…`: copy dumps in (all or nothing), then ingest and build."""
    dumps_dir = args.root / "content" / "dumps"
    from sitegen.output import check_output_folder

    check_output_folder(args.root, args.output)  # before a dump is copied in
    plan = plan_add(args.files, dumps_dir, datetime.date.today())
    console = console_for(args)
    dumps_dir.mkdir(parents=True, exist_ok=True)
    copied = 0  # the newest change time among the dumps copied in
    for source, target in plan:
        if target.exists():
            console.detail(f"add: {source} is already in as {target}")
            continue
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        copied = max(copied, target.stat().st_ctime_ns)
        if not args.json:
            console.info(f"add: {source} -> {target}")
    from sitegen import noop, snapshot

    noop.forget(args.root, args.output)
    snapshot.forget(args.root, args.output)
    # The inputs walked for the build's record in the ahead copy, beside this process
    # loading the cache, and before the build reads any of them.
    walk = partial(walk_before, args, copied)
    ingested, built, seconds, before = build_site(args, keep_model=True, walk=walk)
    record_build(args, before, ingested, built)
    held_until_exit(ingested, built)
    if args.json:
        data = {
            "added": [{"from": str(source), "to": str(target)} for source, target in plan],
            **ingest_data(ingested),
            "build": build_data(built, args.output),
        }
        print(json.dumps(data, indent=1, ensure_ascii=False))
        return 0
    print_ingest(ingested, console)
    print_build(built, args, seconds)
    return 0


def run_new(args: argparse.Namespace) -> int:
    """`sitegen new DIR`: start a reading list, ready for git and GitHub Pages."""
    from sitegen.scaffold import NewList, create_list, installed_source

    request = NewList(args.directory.resolve(), args.title, git=not args.no_git)
    found = None if args.source else installed_source()
    if args.source or found:
        request = replace(request, requirement=args.source or found)
    made = create_list(request)
    console = Console(-1 if args.quiet else args.verbose)
    console.info(f"new: created {args.directory}/ with " + ", ".join(made))
    if found:
        console.note(
            f"the Pages workflow installs {found} (requirements.txt): where this sitegen "
            "was installed from"
        )
    elif not args.source:
        console.warn(
            f"requirements.txt pins {request.requirement}, but the sitegen on PyPI is "
            "another project: before publishing with Actions, put a git URL of this sitegen "
            "there (or use --source)"
        )
    console.info(
        f"next: cd {args.directory} && sitegen add DUMP.txt && sitegen serve "
        "(see its README.md for publishing)"
    )
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    """`sitegen deploy`: build, commit site/ to gh-pages (plumbing only) and push."""
    from sitegen.deploy import DeployOptions, check_repository, deploy, pages_url

    options = DeployOptions(args.remote, args.branch, args.message)
    git = check_repository(args.root, args.output, options)
    console = console_for(args)
    if args.base_url is None:
        args.base_url = pages_url(git, options.remote)  # None: site.yaml's base_url holds
    ingested, built, seconds, _ = build_site(args)
    print_build(built, args, seconds)
    if ingested.written:
        console.warn(
            f"the build made {len(ingested.written)} new files under content/: commit them, "
            "so the next clone has them"
        )
    done = deploy(args.output, options, git)
    if done.commit is None:
        console.info(f"deploy: {done.remote} {done.branch} already holds this site; pushed")
    else:
        console.info(
            f"deploy: committed {done.commit[:12]} to {done.branch}, pushed to {done.remote}"
        )
    return 0


def run_themes(args: argparse.Namespace) -> int:
    """`sitegen themes [explain SLUG] [--apply [--write]] [--json]`: review the theme folders."""
    from sitegen.project import load_project

    if args.write and not args.apply:
        raise SitegenError("--write only makes sense with --apply")
    if args.action == "explain" and args.apply:
        raise SitegenError("use either 'explain SLUG' or --apply, not both")
    if args.action != "explain" and args.slug:
        raise SitegenError(f"unexpected argument {args.slug!r} (did you mean 'explain'?)")
    project = load_project(args.root)
    if args.action == "explain":
        return themes_explain(project, args.slug)
    if args.apply:
        return themes_apply(project, args.write, args.json)
    return themes_overview(project, args.json)


def themes_explain(project: Project, slug: str | None) -> int:
    """`sitegen themes explain SLUG`: why one paper landed where it did, stage by stage."""
    from sitegen.catalog import LEDGER_NAME, read_ledger
    from sitegen.corpus_themes import explain_placement, learn, place, similarities
    from sitegen.retheme import corpus_of
    from sitegen.themes import explain

    if not slug:
        raise SitegenError("usage: sitegen themes explain SLUG")
    paper = next((p for p in project.papers if p.slug == slug), None)
    if paper is None:
        raise SitegenError(f"no paper with slug {slug!r}")
    ledger = read_ledger(project.root / "content" / LEDGER_NAME)
    model = learn(corpus_of(project.papers, ledger), project.taxonomy)
    row = model.row(slug)
    placement = place(model, row, similarities(model)[row], project.taxonomy)
    print(f"{paper.title}  [{paper.source}]")
    moved = " (placed by you)" if placement.stage == "user" else ""
    if not moved and paper.theme != placement.theme:
        moved = f" (today's corpus would place it in {placement.theme})"
    print(f"folder: {paper.theme}{moved}")
    print(f"theme: {placement.theme}")
    print("stage 1 (keywords):")
    for line in explain(placement.keywords, project.taxonomy):
        print(f"  {line}")
    for line in explain_placement(placement, model, row, project.taxonomy):
        print(line)
    return 0


def themes_overview(project: Project, as_json: bool) -> int:
    """`sitegen themes`: papers per theme, the unsorted ones, and suggested new themes."""
    from sitegen.catalog import LEDGER_NAME, read_ledger
    from sitegen.corpus_themes import learn, merge_candidates
    from sitegen.discover import paper_vectors, suggest_themes
    from sitegen.retheme import corpus_of
    from sitegen.text import plural
    from sitegen.themes import FALLBACK

    counts: dict[str, int] = {}
    for paper in project.papers:
        counts[paper.theme] = counts.get(paper.theme, 0) + 1
    known = project.taxonomy.slugs()
    rows = [(slug, counts.get(slug, 0), True) for slug in known]
    rows += [(slug, n, False) for slug, n in sorted(counts.items()) if slug not in known]
    unsorted = sorted((p for p in project.papers if p.theme == FALLBACK), key=lambda p: p.slug)
    suggestions = suggest_themes(project.papers, paper_vectors(project.papers), FALLBACK)
    titles = {p.slug: p.title for p in project.papers}
    ledger = read_ledger(project.root / "content" / LEDGER_NAME)
    model = learn(corpus_of(project.papers, ledger), project.taxonomy)
    merges = merge_candidates(model, {p.slug: p.theme for p in project.papers})
    if as_json:
        data = {
            "themes": [{"slug": s, "papers": n, "in_themes_yaml": k} for s, n, k in rows],
            "unsorted": [{"slug": p.slug, "title": p.title} for p in unsorted],
            "merge_candidates": [{"slug": s, "papers": n, "closest": c} for s, n, c in merges],
            "suggestions": [
                {
                    "from": s.source,
                    "slug": s.slug,
                    "terms": list(s.cluster.terms),
                    "cohesion": s.cluster.cohesion,
                    "papers": list(s.cluster.slugs),
                }
                for s in suggestions
            ],
        }
        print(json.dumps(data, indent=1, ensure_ascii=False))
        return 0
    print("papers per theme:")
    for slug, count, in_yaml in rows:
        print(f"{count:6d}  {slug}" + ("" if in_yaml else " (not in themes.yaml)"))
    print(f"\nunsorted ({len(unsorted)}):" if unsorted else "\nunsorted: none")
    for paper in unsorted:
        print(f"  {paper.slug}  {paper.title}")
    print("\nmerge candidates (fewer than 3 papers):" if merges else "\nmerge candidates: none")
    for theme, count, closest in merges:
        hint = f"; its papers read most like {closest}" if closest else ""
        print(f"  {theme} ({plural(count, 'paper')}){hint}")
    print("\nsuggested themes:" if suggestions else "\nsuggested themes: none")
    for s in suggestions:
        where = "from unsorted" if s.source == FALLBACK else f"split of {s.source}"
        print(f"  {s.slug}  ({where}, {len(s.cluster.slugs)} papers): {', '.join(s.cluster.terms)}")
        for slug in s.cluster.slugs[:8]:
            print(f"      {slug}  {titles[slug]}")
        if len(s.cluster.slugs) > 8:
            print(f"      … and {len(s.cluster.slugs) - 8} more")
    return 0


def themes_apply(project: Project, write: bool, as_json: bool) -> int:
    """`sitegen themes --apply [--write]`: re-classify unpinned pages; move them with --write."""
    from sitegen.catalog import LEDGER_NAME, read_ledger
    from sitegen.retheme import apply_moves, plan_moves

    ledger = read_ledger(project.root / "content" / LEDGER_NAME)
    plan = plan_moves(project.papers, ledger, project.taxonomy)
    moved = apply_moves(project.root, plan.moves) if write and plan.moves else 0
    if as_json:
        data = {
            "written": write,
            "moves": [
                {
                    "slug": m.slug,
                    "from": m.old_theme,
                    "to": m.new_theme,
                    "terms": list(m.terms),
                    "stage": m.stage,
                }
                for m in plan.moves
            ],
            "pinned": [{"slug": slug, "why": why} for slug, why in plan.pinned],
        }
        print(json.dumps(data, indent=1, ensure_ascii=False))
        return 0
    verb = "moved" if write else "would move"
    print(f"{verb} {len(plan.moves)} papers; {len(plan.pinned)} pinned pages left alone")
    for m in plan.moves:
        matched = ", ".join(repr(t) for t in m.terms) or "no keyword matched"
        why = "; the corpus stage decided" if m.stage == "corpus" else ""
        print(f"  {m.slug}: {m.old_theme} -> {m.new_theme}  (matched {matched}{why})")
    if not write and plan.moves:
        print("dry run: nothing changed; add --write to move these files")
    elif write:
        print(f"{moved} files moved; ledger updated")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """`sitegen serve`: build, serve with live reload, rebuild on changes."""
    import threading

    from sitegen.live import run_serve as serve

    if args.base_url is not None:  # it was ignored: the preview lives at the server's root
        raise SitegenError(
            "--base-url is for build, add, watch and deploy: serve previews at its own address"
        )
    console = console_for(args)
    return serve(
        args.root, args.output, args.host, args.port, args.open, console.info, threading.Event()
    )


def run_watch(args: argparse.Namespace) -> int:
    """`sitegen watch`: rebuild on changes, without a server."""
    import threading

    from sitegen.live import run_watch as watch

    return watch(args.root, args.output, args.base_url, console_for(args).info, threading.Event())


# Commands that write to the project (and `themes` with --apply --write) hold its lock.
LOCKED = ("build", "add", "ingest", "deploy")


def locked(args: argparse.Namespace) -> bool:
    """Whether this command holds the project's lock (serve and watch lock each rebuild)."""
    if args.command == "themes":
        return bool(args.apply and args.write)
    return args.command in LOCKED


def run_command(args: argparse.Namespace) -> int:
    """Run the command's handler, holding the project's lock if it writes."""
    if args.command != "new" and not (args.root / "content").is_dir():
        # Every command but `new` works on a reading list: refuse a folder that is none
        # before anything is written there (the lock, the cache, site/), and before `serve`
        # starts a server with nothing to show.
        raise SitegenError("no content/ folder here (use --root DIR)", args.root)
    if not locked(args):
        return args.handler(args)
    from sitegen.lock import project_lock

    def say(message: str) -> None:
        if not args.quiet:
            print(f"sitegen: {message}", file=sys.stderr, flush=True)

    with project_lock(args.root, wait=not args.no_wait, say=say):
        return args.handler(args)


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, default=Path("."), help="site directory (has content/)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    common.add_argument("-v", "--verbose", action="count", default=0, help="print more detail")
    common.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another sitegen command is working on this project",
    )
    return common


def add_project_commands(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    output: argparse.ArgumentParser,
) -> None:
    """The commands that publish a list or re-sort it: deploy and themes."""
    p = sub.add_parser(
        "deploy", parents=[common, output], help="build, then push site/ to the gh-pages branch"
    )
    p.add_argument("--remote", default="origin", help="git remote to push to (default origin)")
    p.add_argument("--branch", default="gh-pages", help="branch to publish (default gh-pages)")
    p.add_argument("-m", "--message", default=None, help="commit message")
    p.set_defaults(handler=run_deploy)

    p = sub.add_parser(
        "themes", parents=[common], help="papers per theme, suggestions; explain; re-classify"
    )
    p.add_argument("action", nargs="?", choices=["list", "explain"], default="list")
    p.add_argument("slug", nargs="?", help="paper slug (for explain)")
    p.add_argument(
        "--apply", action="store_true", help="re-classify unpinned pages (dry run: shows moves)"
    )
    p.add_argument("--write", action="store_true", help="with --apply: really move the files")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_themes)


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose error for a mistyped command suggests the nearest one."""

    def error(self, message: str) -> NoReturn:
        """Usage and one error line, exit status 2 (argparse's), with a suggestion if any."""
        # The typed word is taken from argparse's message, the commands from the parser:
        # how the message lists the choices changed in Python 3.12.7 (gh-117766).
        typed = re.search(r"invalid choice: '([^']*)'", message)
        commands = [
            name
            for action in self._actions
            if isinstance(action, argparse._SubParsersAction)
            for name in action.choices
        ]
        if typed and commands and typed[1] not in commands:
            import difflib  # only for this message: not every run's import

            near = difflib.get_close_matches(typed[1], commands, n=1)
            hint = (
                f"; did you mean '{near[0]}'?" if near else f" (choose from {', '.join(commands)})"
            )
            message = f"unknown command '{typed[1]}'{hint}"
        super().error(message)


def parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    common = common_options()
    top = Parser(prog="sitegen", description="Turn paper-listing dumps into a reading-list site.")
    top.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="parse dumps into Markdown pages")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_ingest)

    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", default=None, help="output folder (site/)")
    output.add_argument("--base-url", default=None, help="absolute URL the site is published at")

    p = sub.add_parser("build", parents=[common, output], help="ingest, then render site/")
    p.add_argument("--clean", action="store_true", help="ignore the build cache; render all")
    p.set_defaults(handler=run_build)

    p = sub.add_parser("add", parents=[common, output], help="copy dumps in, ingest and build")
    p.add_argument("files", nargs="+", metavar="FILE", help="dump files to add")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run_add)

    p = sub.add_parser("new", parents=[common], help="start a reading list in a new folder")
    p.add_argument("directory", type=Path, metavar="DIR", help="folder to create (or empty)")
    p.add_argument("--title", default="Reading list", help="the site's title")
    p.add_argument(
        "--source",
        default=None,
        metavar="SPEC",
        help="pip requirement the Pages workflow installs (default: the git URL and commit "
        f"this sitegen was installed from, else sitegen=={__version__})",
    )
    p.add_argument("--no-git", action="store_true", help="don't run git init")
    p.set_defaults(handler=run_new)

    add_project_commands(sub, common, output)
    # serve takes --base-url only to refuse it with a reason (run_serve): not in its help.
    served = argparse.ArgumentParser(add_help=False)
    served.add_argument("-o", "--output", default=None, help="output folder (site/)")
    served.add_argument("--base-url", default=None, help=argparse.SUPPRESS)
    p = sub.add_parser("serve", parents=[common, served], help="preview with live reload")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks one)")
    p.add_argument("--open", action="store_true", help="open the site in a browser")
    p.set_defaults(handler=run_serve)

    p = sub.add_parser("watch", parents=[common, output], help="rebuild on every change")
    p.set_defaults(handler=run_watch)
    return top


def stop_on_sigterm() -> None:
    """Let `kill` stop serve/watch as Ctrl+C does, so workers and sockets are cleaned up."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def use_file_clock(args: argparse.Namespace) -> None:
    """Judge how recent a file's change is (noop.is_racy) by the clock that stamps the files
    of this command's project and output."""
    from sitegen import noop

    output = getattr(args, "output", None)
    noop.use_clock_of(args.root, output if isinstance(output, Path) else None)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse values argparse lets through (an empty -o, port 70000, a bad --base-url)."""
    from sitegen.model.urls import base_url_problem

    args.root = args.root.resolve()
    output = getattr(args, "output", "unset")
    if output is None:
        args.output = args.root / "site"
    elif isinstance(output, str):
        if not output.strip() or "\x00" in output:
            raise SitegenError(f"-o/--output needs a folder name, not {output!r}")
        args.output = Path(output)
        blocked = next((f for f in (args.output, *args.output.parents) if f.exists()), None)
        if blocked is not None and not blocked.is_dir():  # else: its spool's name in an error
            raise SitegenError(f"-o/--output: {blocked} is a file, not a folder")
    port = getattr(args, "port", 0)
    if not 0 <= port <= 65535:
        raise SitegenError(f"--port must be from 0 to 65535 (0 picks a free one), not {port}")
    base_url = getattr(args, "base_url", None)
    problem = base_url_problem(base_url.strip()) if base_url else None
    if problem:
        raise SitegenError(f"--base-url {problem}")


# Commands that run once and end, run as the `sitegen` command: they go without the cycle
# collector. Over a cold 10k build its processes left 30-300 objects in cycles each, so
# the collector only walked the build's live objects again and again: 0.19 s of this
# process's CPU, 0.25 s of the build's wall time (6.01 -> 5.76 s), the same peak memory.
ONE_SHOT = frozenset({"build", "add", "ingest"})

# What a finished one-shot build holds until the `sitegen` command exits (held_until_exit);
# None when main() was called otherwise (a test, another program): nothing is held then.
HELD: list[object] | None = None


def held_until_exit(*values: object) -> None:
    """Keep a finished build's values alive until the `sitegen` command exits at once
    (command): freeing its model and caches one object at a time took ~35 ms at 10k papers,
    and the interpreter's own teardown ~30 ms more, after the site was written."""
    if HELD is not None:
        HELD.extend(values)


def command() -> NoReturn:
    """The `sitegen` command (its console script and `python -m sitegen`): main(); then,
    after a one-shot build that holds its values (held_until_exit), an exit that frees
    nothing. That build's files, cache and output are closed and on disk by then; no thread
    runs, and its forked copies are done."""
    global HELD
    HELD = []
    code = main()
    if not HELD:
        raise SystemExit(code)
    records.keep_compiled()  # as an exit would (atexit)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (`sitegen build | head`): status 120, as Python's exit
            code = code or 120
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command; user mistakes become one line and exit status 1."""
    # Before numpy loads: a build runs its own forked copies on the cores, and OpenBLAS's
    # threads (which spin while they wait) only contend with them; the map's QR steps ran
    # 2-5x slower with them on this 2-core machine. Results are the same either way.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    tune_collector()
    args = parser().parse_args(argv)
    if HELD is not None and args.command in ONE_SHOT:
        gc.disable()
    try:
        check_arguments(args)
        use_file_clock(args)
        if args.command in ("serve", "watch"):
            stop_on_sigterm()
        return run_command(args)
    except SitegenError as exc:
        print(f"sitegen: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"sitegen: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
