"""Ingest: read every dump, plan the new pages (pure), then write them atomically.

Existing pages are never rewritten: a paper the ledger already knows (even one
whose page the user deleted or moved) is only counted as known. A file in
content/dumps/ that isn't a dump (Thumbs.db, a README, random text) is skipped
with a warning; `sitegen add` refuses it before copying.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import suppress
from dataclasses import field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sitegen.cache import BuildCache, digest, text_digest
from sitegen.catalog import (
    LEDGER_NAME,
    Ledger,
    LedgerEntry,
    Page,
    format_ledger,
    key_of,
    legacy_title_key,
    load_page,
    path_order,
    read_ledger,
    read_page,
    read_pages,
    render_page,
    title_key,
)
from sitegen.dumps import Dump, Notice, parse_dump
from sitegen.errors import SitegenError
from sitegen.fsio import counts_as_input, read_input, write_atomic, write_if_changed
from sitegen.known import KnownFiles, content_key, read_parsed
from sitegen.records import mutable, record
from sitegen.text import plural, unique_slug
from sitegen.themes import FALLBACK, Taxonomy, load_taxonomy, themes_file
from sitegen.workers import Forked

if TYPE_CHECKING:  # numpy loads only when there is news
    from sitegen.corpus_themes import CorpusPaper


@mutable
class DumpReport:
    """What ingest found in one dump."""

    name: str
    path: str
    layout: str = ""
    listing_date: str | None = None
    date: str | None = None
    entries: int = 0
    new: int = 0
    known: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The report as plain JSON-able data."""
        return dict(self.__dict__)


@mutable
class IngestPlan:
    """Everything an ingest will write: new pages, then the ledger."""

    pages: list[tuple[Path, str]]
    ledger: Ledger
    reports: list[DumpReport]


def dump_files(dumps_dir: Path) -> list[Path]:
    """The dump files of a site, ignoring hidden and editor-temporary files."""
    if not dumps_dir.is_dir():
        return []
    files = [p for p in dumps_dir.iterdir() if p.is_file() and counts_as_input(Path(p.name))]
    return sorted(files, key=lambda p: p.name)


def stray_dumps(dumps_dir: Path) -> list[str]:
    """What in content/dumps/ (or in its place) no build reads though it looks like a dump:
    a folder, a broken link, a FIFO or a device; or content/dumps itself, a file."""
    if not dumps_dir.is_dir():
        return [str(dumps_dir)] if os.path.lexists(dumps_dir) else []
    return sorted(
        str(p) for p in dumps_dir.iterdir() if not p.is_file() and counts_as_input(Path(p.name))
    )


def read_dump(path: Path) -> Dump:
    """Read and parse one dump file."""
    return dump_from(path, read_input(path))


def dump_from(path: Path, data: bytes) -> Dump:
    """Parse the bytes of the dump file at path, each entry with its title key (cached with
    the dump: every build keys every entry, 50 ms at 10k papers in a fresh process)."""
    dump = parse_dump(data, str(path), path.stem)
    keyed = tuple(replace(entry, title_key=title_key(entry.title)) for entry in dump.entries)
    return replace(dump, entries=keyed)


# From this many dumps to parse on, a forked copy parses them while this process reads the
# pages (a cold project of 10k papers: 100 dumps, 0.43 s).
PARSE_ASIDE_DUMPS = 16

# Dumps a forked copy parsed: path -> (content key of the bytes it read, Dump).
ParsedAside = dict[str, tuple[str, Dump]]


def read_inputs(
    dumps_dir: Path, papers_dir: Path, cache: BuildCache | None, fork: bool
) -> tuple[list[Dump], list[SitegenError], list[Page]]:
    """The dumps (and those refused), and the pages. The pages are read first, while many
    dumps are parsed in a forked copy (`fork`: parse_aside); a mistake in the dumps is still
    reported before one in the pages, as when the dumps were read first."""
    aside = parse_aside(dumps_dir, cache) if fork and cache is not None else None
    try:
        pages = read_pages(papers_dir, cache)
    except BaseException as exc:
        if aside is not None:
            aside.abandon()
        if isinstance(exc, SitegenError):
            read_dumps(dumps_dir, cache)  # raises the dumps' own mistake, if they have one
        raise
    parsed = None
    if aside is not None:
        with suppress(Exception):  # the copy died (out of memory?): they are parsed here
            parsed = aside.result()
    return (*read_dumps(dumps_dir, cache, parsed), pages)


def parse_aside(dumps_dir: Path, cache: BuildCache) -> Forked | None:
    """Start parsing the dumps read_dumps would parse in a forked copy (result(): a
    ParsedAside), if there are enough to be worth one; only where no other thread runs."""
    todo = KnownFiles(cache, "dump").to_read(dump_files(dumps_dir))
    return Forked(parsed_dumps, todo) if len(todo) >= PARSE_ASIDE_DUMPS else None


def parsed_dumps(paths: list[Path]) -> ParsedAside:
    """Each dump that parses, by path (one refused is left to read_dumps, which reports it)."""
    parsed: ParsedAside = {}
    for path in paths:
        try:
            parsed[str(path)] = read_parsed(path, lambda p, data, key: (key, dump_from(p, data)))
        except (SitegenError, OSError):
            continue
    return parsed


def read_dumps(
    dumps_dir: Path, cache: BuildCache | None = None, aside: ParsedAside | None = None
) -> tuple[list[Dump], list[SitegenError]]:
    """Parse every dump (re-parsing only changed ones), collecting refusals; one parsed aside
    (parse_aside) is taken if it was parsed from the bytes read now."""
    dumps: list[Dump] = []
    errors: list[SitegenError] = []
    known = KnownFiles(cache, "dump") if cache is not None else None  # unchanged: not read
    aside = aside or {}

    def parse(path: Path, data: bytes, key: str) -> Dump:
        found = aside.get(str(path))
        return found[1] if found and found[0] == key else dump_from(path, data)

    for path in dump_files(dumps_dir):
        try:
            if known is None:
                dumps.append(read_dump(path))
                continue
            dumps.append(known.load(path, parse))
        except SitegenError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(SitegenError(f"cannot read: {exc.strerror}", path))
    if known is not None:
        known.remember()
    dumps.sort(key=lambda d: (d.date or "", d.name))
    check_names(dumps_dir, dumps)
    return dumps, errors


def check_names(dumps_dir: Path, dumps: list[Dump]) -> None:
    """Refuse dumps whose file names differ only in extension: a dump's id is its stem."""
    first: dict[str, Dump] = {}
    for dump in sorted(dumps, key=lambda d: d.file or d.name):
        other = first.setdefault(dump.name, dump)
        if other is not dump:
            raise SitegenError(
                f"{other.file} and {dump.file} have the same name {dump.name!r} "
                "(a dump is known by its name without extension): rename one",
                dumps_dir,
            )


def skipped_dump(error: SitegenError) -> str:
    """The warning for a file in content/dumps/ that isn't a dump."""
    return f"{error} (file skipped)"


def remove_leftovers(content: Path) -> list[Path]:
    """Delete the hidden temporaries (.page.md.x1y2.tmp) a killed ingest or add left behind.

    Only sitegen writes such names, and only while it holds the project (one
    command at a time), so any found at the start of a run are dead.
    """
    folders = [content, content / "dumps"]
    papers = content / "papers"
    if papers.is_dir():
        themes = (p for p in papers.iterdir() if p.is_dir() and counts_as_input(Path(p.name)))
        folders += sorted(themes)
    removed = []
    for folder in folders:
        for path in folder.glob(".*.tmp") if folder.is_dir() else ():
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


# The new pages an ingest is about to write, and its ledger, by hash: hidden, so no input.
JOURNAL_NAME = ".ingest-journal.json"


def write_journal(content: Path, pages: list[tuple[Path, bytes]], ledger: bytes) -> None:
    """Before new pages are written: which they are, and the ledger that follows them, so that
    the next run undoes a run stopped in between (undo_stopped_ingest)."""
    made = {path.relative_to(content).as_posix(): digest(data) for path, data in pages}
    record = {"ledger": digest(ledger), "pages": made}
    write_atomic(content / JOURNAL_NAME, json.dumps(record, sort_keys=True))


def undo_stopped_ingest(content: Path) -> list[Path]:
    """The new pages of an ingest stopped before its ledger (Ctrl-C, a kill), removed: each
    such page without its ledger entry was taken for one the user placed, and the classifier
    learnt from it, so the papers still to place went elsewhere than one whole run puts them.
    This run then places them all, as the stopped one would have. A page edited since is the
    user's and stays; once the ledger is written, there is nothing to undo."""
    journal = content / JOURNAL_NAME
    try:
        record = json.loads(journal.read_bytes())
        ledger, pages = str(record["ledger"]), dict(record["pages"])
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):  # damaged: its pages are kept, adopted
        journal.unlink(missing_ok=True)
        return []
    removed = []
    if not written_as(content / LEDGER_NAME, ledger):
        try:  # a page whose slug the ledger records is kept, however it got there
            recorded = {entry.slug for entry in read_ledger(content / LEDGER_NAME).papers.values()}
        except SitegenError:  # a damaged ledger: this run says so; nothing is removed
            return []
        for name, key in sorted(pages.items()):
            parts = PurePosixPath(name).parts
            page = content.joinpath(*parts)
            ours = parts[:1] == ("papers",) and ".." not in parts and page.stem not in recorded
            if ours and written_as(page, key):
                page.unlink()
                removed.append(page)
    journal.unlink()
    return removed


def write_ingest(
    content: Path, plan: IngestPlan, changed: bool, grown: list[tuple[Path, str]]
) -> tuple[dict[Path, str], dict[Path, bytes]]:
    """Write the new pages, the ledger (if `changed`) and the grown pages; the content key of
    each file written, and every page's bytes (written or found already so)."""
    pages = {path: text.encode("utf-8") for path, text in plan.pages}
    made = dict(pages)
    if changed:
        made[content / LEDGER_NAME] = format_ledger(plan.ledger).encode("utf-8")
    # The ledger goes last, after a journal of the new pages: a run stopped before the
    # ledger is undone by the next (undo_stopped_ingest).
    if pages:
        write_journal(content, list(pages.items()), made[content / LEDGER_NAME])
    wrote = {
        path: content_key(path, data) for path, data in made.items() if write_if_changed(path, data)
    }
    (content / JOURNAL_NAME).unlink(missing_ok=True)
    # Pages that grew with their dump, after the journal: each is whole before and after its
    # write, and a run stopped before one leaves it to the next.
    for path, text in grown:
        pages[path] = data = text.encode("utf-8")
        if write_if_changed(path, data):
            wrote[path] = content_key(path, data)
    return wrote, pages


def written_as(path: Path, key: str) -> bool:
    """Whether a file holds the bytes of this digest (a file that is not there does not)."""
    try:
        return path.is_file() and not path.is_symlink() and digest(path.read_bytes()) == key
    except OSError:
        return False


def notice_text(path: Path, notice: Notice) -> str:
    """A report line naming the file and line."""
    return f"{path}:{notice.line}: {notice.message}"


@record
class NewPapers:
    """What the dumps list that neither the ledger nor the pages know, before it is placed."""

    papers: dict[str, LedgerEntry]  # every paper by key, each new one in FALLBACK for now
    fresh: list[tuple[str, str, str, str]]  # (slug, title, abstract, dump name)
    reports: list[DumpReport]
    # Pages ingest wrote from a dump read while it was still being written, as their dump now
    # gives them (grown_page): (path, text). A new page is still ingest's until the user
    # edits it, so it follows its dump as long as the dump only adds to its abstract.
    grown: list[tuple[Path, str]] = field(default_factory=list)


def new_papers(dumps: list[Dump], ledger: Ledger, pages: list[Page], dumps_dir: Path) -> NewPapers:
    """Find the new papers and give each a slug; existing and ledgered papers are left alone."""
    papers = dict(ledger.papers)
    # Pages the ledger doesn't know (hand-written, or a crash before the ledger
    # was saved) are adopted by title so they are never duplicated.
    by_title = {key_of(page): page for page in pages}
    for key, page in by_title.items():
        if key not in papers:
            papers[key] = LedgerEntry(page.slug, page.theme)
    taken: set[str] | None = None  # the slugs in use, made at the first new paper
    fresh: list[tuple[str, str, str, str]] = []
    reports: list[DumpReport] = []
    grown: list[tuple[Path, str]] = []
    for dump in dumps:
        listed: set[str] = set()  # a paper listed twice grows by its first listing alone
        path = dumps_dir / (dump.file or dump.name)
        report = DumpReport(
            dump.file or dump.name,
            str(path),
            dump.layout,
            dump.listing_date,
            dump.date,
            entries=len(dump.entries),
            warnings=[notice_text(path, n) for n in dump.notices],
        )
        for entry in dump.entries:
            key = key_of(entry)
            known = known_as(entry.title, key, papers, ledger)
            if known is not None:
                papers.setdefault(key, known)  # a version-1 key, now recorded by its own
                report.known += 1
                page = by_title.get(key) if key not in listed else None
                listed.add(key)
                if page is not None and page.body != entry.abstract:  # almost always equal
                    grown += grown_page(page, entry.title, entry.abstract, dump.name)
                continue
            listed.add(key)
            if taken is None:  # most builds find no new paper (~12 ms at 10k papers)
                taken = slugs_in_use(papers, pages)
            slug = unique_slug(entry.title, taken)
            taken.add(slug)
            fresh.append((slug, entry.title, entry.abstract, dump.name))
            papers[key] = LedgerEntry(slug, FALLBACK)  # its theme is settled by plan_ingest
            report.new += 1
        reports.append(report)
    return NewPapers(papers, fresh, reports, grown)


# How an abstract ends that no copy cut off mid-way (a user who shortens one ends it so too).
WHOLE_ENDS = (".", "!", "?", ")", "]", '"', "'", "\u201d", "\u2019", "\u3002", "\uff01", "\uff1f")

# What a page ingest wrote holds in its front matter (new_page); any other field is the user's.
INGESTED_FIELDS = frozenset({"title", "slug", "added", "themes"})


def grown_page(page: Page, title: str, abstract: str, dump: str) -> list[tuple[Path, str]]:
    """The page again with the longer abstract its dump now gives, if ingest wrote it from
    that dump (`serve` read the dump while it was still being copied in) and nothing of it is
    the user's yet: its abstract cut short, no note, no field of their own; else nothing."""
    meta, body = page.meta, page.body.removesuffix("\ufffd")  # a character cut in two
    if (
        not body
        or body.endswith(WHOLE_ENDS)  # a sentence ends it: whole, or the user cut it there
        or not abstract.startswith(body)
        or meta.get("added") != dump
        or meta.get("title") != title
        or not INGESTED_FIELDS.issuperset(meta)
    ):
        return []
    secondary = meta.get("themes") or []
    if not isinstance(secondary, list) or not all(isinstance(t, str) for t in secondary):
        return []
    return [(page.path, new_page((page.slug, title, abstract, dump), tuple(secondary)))]


def slugs_in_use(papers: dict[str, LedgerEntry], pages: list[Page]) -> set[str]:
    """The slugs a new paper may not take: the ledger's, the pages' and their file names."""
    return {entry.slug for entry in papers.values()} | {
        name for page in pages for name in (page.slug, page.path.stem)
    }


def plan_ingest(
    new: NewPapers,
    pages: list[Page],
    ledger: Ledger,
    taxonomy: Taxonomy,
    papers_dir: Path,
    cache: BuildCache | None = None,
) -> IngestPlan:
    """Place the new papers and decide their pages (pure, but for the cache's memos)."""
    placements = place_new(new.fresh, pages, ledger, taxonomy, cache)
    papers = dict(new.papers)
    new_pages: list[tuple[Path, str]] = []
    for fresh in new.fresh:
        slug, title = fresh[:2]
        theme, secondary = placements[slug]
        new_pages.append((new_page_path(papers_dir, theme, slug), new_page(fresh, secondary)))
        papers[title_key(title)] = LedgerEntry(slug, theme)
    return IngestPlan(new_pages, Ledger(papers), new.reports)


def new_page_path(papers_dir: Path, theme: str, slug: str) -> Path:
    """Where ingest writes a new paper's page."""
    return papers_dir / theme / f"{slug}.md"


def new_page(fresh: tuple[str, str, str, str], secondary: tuple[str, ...] = ()) -> str:
    """The text of a new paper's page (NewPapers.fresh), with its secondary themes if any."""
    slug, title, abstract, dump_name = fresh
    extra: dict[str, object] = {"added": dump_name}
    if secondary:
        extra["themes"] = list(secondary)
    return render_page(title, slug, abstract, extra)


def unplaced(
    new: NewPapers, dumps: list[Dump], pages: list[Page], papers_dir: Path
) -> IngestResult:
    """What ingest will give before its new papers are placed: each new page as it will read
    (but for its secondary themes), in the fallback folder."""
    made = [
        read_page(new_page_path(papers_dir, FALLBACK, fresh[0]), new_page(fresh).encode("utf-8"))
        for fresh in new.fresh
    ]
    every = with_new_pages(pages, made)
    return IngestResult([], [], dumps=dumps, pages=every, ledger=Ledger(new.papers))


def with_new_pages(pages: list[Page], new: list[Page]) -> list[Page]:
    """The pages read and new ones, in path order as read_pages gives them (sorted again
    only with new ones among them)."""
    return sorted(pages + new, key=lambda page: path_order(page.path)) if new else pages


def known_as(
    title: str, key: str, papers: dict[str, LedgerEntry], ledger: Ledger
) -> LedgerEntry | None:
    """What the ledger holds for a title, if anything; a version-1 ledger is also looked
    up by the old key, so that a deleted "C++ …" page stays deleted after the upgrade."""
    if key in papers:
        return papers[key]
    if ledger.version < 2:
        return ledger.papers.get(legacy_title_key(title) or key)
    return None


def place_new(
    fresh: list[tuple[str, str, str, str]],
    pages: list[Page],
    ledger: Ledger,
    taxonomy: Taxonomy,
    cache: BuildCache | None = None,
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Theme and secondary themes of each new paper: both classifier stages, learnt from the
    corpus as it will stand (existing pages, the user's placements fixed, plus the new papers)."""
    if not fresh:
        return {}
    from sitegen.corpus_themes import CorpusPaper, place_all  # numpy only when there is news
    from sitegen.retheme import corpus_of
    from sitegen.textmap import TOKEN_MEMO, TokenMemo

    corpus = corpus_of(pages, ledger)
    corpus += [CorpusPaper(slug, title, abstract) for slug, title, abstract, _ in fresh]
    only = {slug for slug, *_ in fresh}
    rules = seed_rules(taxonomy)
    seeds = SeedMemo((cache.recall(SEEDS, rules) if cache else None) or {})
    tokens = TokenMemo(cache.recall(*TOKEN_MEMO) if cache else None)
    placements = place_all(corpus, taxonomy, only, seeds, tokens)
    if cache is not None:  # the papers of today's corpus only
        cache.keep(SEEDS, rules, seeds.used)
        cache.keep(*TOKEN_MEMO, tokens.kept())  # the build's discovery reads them next
    return {slug: (placements[slug].theme, placements[slug].secondary) for slug, *_ in fresh}


@mutable
class SeedMemo:
    """The keyword stage's verdict on each paper (the theme it seeds, or None), kept in the
    build cache by the paper's text and the taxonomy: a new dump classifies only its papers."""

    known: dict[str, str | None]
    used: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, paper: CorpusPaper, make: Callable[[], str | None]) -> str | None:
        """The seed of a paper: remembered, or made now."""
        key = text_digest(paper.title, paper.abstract)
        seed = self.known[key] if key in self.known else make()
        self.used[key] = seed
        return seed


SEEDS = "keyword-seeds"


def seed_rules(taxonomy: Taxonomy) -> str:
    """What the keyword stage's verdicts depend on besides a paper's text."""
    return digest(repr((taxonomy.themes, taxonomy.settings)))


@mutable
class IngestResult:
    """The outcome of `sitegen ingest`."""

    reports: list[DumpReport]
    errors: list[SitegenError]
    warnings: tuple[str, ...] = ()  # about the config it read (themes.yaml), skipped dumps
    # What ingest read (and wrote), so a build that follows needn't read it again.
    dumps: list[Dump] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    # What a build that follows says too: files in content/dumps/ that aren't dumps, an
    # ingest stopped before its ledger and undone, as warnings.
    skipped: tuple[str, ...] = ()
    # The content key (catalog.content_key) of each file written, as written: its events
    # are ingest's own unless the file changed since (sitegen.live).
    wrote: dict[Path, str] = field(default_factory=dict)

    @property
    def written(self) -> list[Path]:
        """The files ingest wrote: its new pages, then the ledger if it changed."""
        return list(self.wrote)


# Told, before new papers are placed, what ingest will give but for their themes (a function
# making it) and how many papers there will be: a build starts discovery then (it reads no
# theme), beside the placing.
BeforePlacing = Callable[[Callable[[], "IngestResult"], int], None]


def ingest(
    root: Path,
    cache: BuildCache | None = None,
    fork: bool = False,
    before_placing: BeforePlacing | None = None,
) -> IngestResult:
    """Ingest every dump under root/content; files that aren't dumps are skipped with a warning.
    fork: many dumps to parse are parsed in a forked copy while the pages are read."""
    content = root / "content"
    if not content.is_dir():
        raise SitegenError("no content/ folder here (use --root DIR)", root)
    remove_leftovers(content)
    undone = undo_stopped_ingest(content)
    if undone and cache is not None:  # the first copy listed them: a list of pages gone now
        cache.listed.pop("page", None)
    dumps_dir, papers_dir = content / "dumps", content / "papers"
    taxonomy = load_taxonomy(themes_file(content), cache)
    dumps, skipped, pages = read_inputs(dumps_dir, papers_dir, cache, fork)
    ledger = read_ledger(content / LEDGER_NAME)
    new = new_papers(dumps, ledger, pages, dumps_dir)
    if before_placing is not None and new.fresh:
        made = partial(unplaced, new, dumps, pages, papers_dir)
        before_placing(made, len(pages) + len(new.fresh))
    plan = plan_ingest(new, pages, ledger, taxonomy, papers_dir, cache)
    plan.reports += [
        DumpReport(Path(e.path or "").name, e.path or "", error=str(e)) for e in skipped
    ]
    skips = tuple(map(skipped_dump, skipped))
    # One that holds what it read is not formatted again (10k lines, at every build).
    changed = plan.ledger != ledger or not (content / LEDGER_NAME).is_file()
    wrote, written = write_ingest(content, plan, changed, new.grown)
    # The new pages (and grown ones), parsed as read_pages would parse them.
    new_pages = [load_page(path, data, cache) for path, data in written.items()]
    grown = {path for path, _ in new.grown}
    all_pages = with_new_pages(
        [p for p in pages if p.path not in grown] if grown else pages, new_pages
    )
    if undone:  # said by the build that follows too, as the skipped dumps are
        count = plural(len(undone), "page")
        skips += (f"{content}: undid an ingest stopped before its ledger ({count})",)
    warnings = (*taxonomy.warnings, *skips)
    return IngestResult(
        plan.reports,
        [],
        warnings,
        dumps=dumps,
        pages=all_pages,
        ledger=plan.ledger,
        skipped=skips,
        wrote=wrote,
    )
