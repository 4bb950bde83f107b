"""Plan the outputs and write them: a preview's open pages first, then the pages, then search.

Rendered HTML waits in a spool folder (sitegen/output.py), not in memory, and
nothing reaches the site until every page is rendered, so a template error
leaves the previous site untouched. The search index is a late job: started
before the pages (in another process when the run has one), collected after.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitegen.build.keys import search_key
from sitegen.build.options import BuildResult
from sitegen.build.outputs import (
    CATALOGUE,
    data_outputs,
    merge,
    sitemap_outputs,
    static_outputs,
)
from sitegen.build.run import Run, render_first
from sitegen.build.schedule import EarlyGroup, Job, early_group, render_all, start_group
from sitegen.cache import BuildCache, BytesOnDisk, Noted, SpillFile, TextsOnDisk
from sitegen.catalog import Paper
from sitegen.errors import SitegenError
from sitegen.output import (
    MANIFEST,
    SWEPT,
    Kept,
    LeftFiles,
    Manifest,
    Outputs,
    Parked,
    Record,
    Spool,
    check_path,
    file_hash,
    read_manifest,
    record_of,
    unlisted,
    verified,
    write_outputs,
)
from sitegen.project import Project
from sitegen.search import entry_keys, nothing_left, numbered, search_index
from sitegen.themes import Taxonomy
from sitegen.workers import map_large_blocks, paused_collector

if TYPE_CHECKING:  # only a preview has a warm worker; a build imports no pool
    from concurrent.futures import Executor, Future


# What the index hands back: its files, its memo (None: stored already), parked records.
Made = tuple[Outputs, Any, Parked | None]


# --- search (owned by sitegen.search): the staged client-side index under search/ ---
def search_job(run: Run) -> Job:
    """The search index data files, rebuilt only when search_key changed."""
    project, cache = run.model.project, run.cache
    keep = partial(keep_memo, run)
    launched = run.launched.get("search")  # made from the same project: the same key
    if launched:  # made with its arguments (every paper's entry key): not made again
        return start_group(run, "search", launched[0], SEARCH, keep=keep)
    args = search_args(project, cache, run.output)
    return start_group(run, "search", searched_key(args), SEARCH, *args, keep=keep)


def early_search(
    project: Project, cache: BuildCache, output: Path, spool: Spool | None = None
) -> EarlyGroup | None:
    """The search index for the side copy of a CLI build (which parks the files it makes
    in the build's spool) or a preview's worker, started as soon as the project is read (it
    needs only the papers and the taxonomy), unless it is up to date."""
    args = search_args(project, cache, output, spool)
    return early_group(cache, output, "search", searched_key(args), SEARCH, *args)


def search_args(
    project: Project, cache: BuildCache, output: Path | None, spool: Spool | None = None
) -> tuple[Any, ...]:
    """What search_index is made from: the papers in the order they arrived (a new dump's
    papers get new numbers, so the files of older papers keep their bytes), the taxonomy,
    the memo of the last index (and what the last build left in `output`), and the papers'
    entry keys (made once: the search key hashes them, and the index compares them with
    its memo's)."""
    papers = numbered(project.papers, project.arrival)
    keys = entry_keys(papers, project.taxonomy)
    # The memo is read where the index is made (a CLI build's side copy), not here.
    return papers, project.taxonomy, MemoSlot(cache, output, spool), keys


def searched_key(args: tuple[Any, ...]) -> str:
    """The search key of search_args' arguments (its papers' entry keys, its taxonomy)."""
    _, taxonomy, _, keys = args
    return search_key(keys, taxonomy)


MEMO_KEY = "search memo"  # the memo is whatever the last index left (search.usable_memo)


class MemoSlot:
    """The search memo in the build cache: read, and written, where the index is made; and
    in a forked copy, where the files it makes wait (the build's spool)."""

    def __init__(self, cache: BuildCache, output: Path | None, spool: Spool | None = None):
        self.cache, self.output, self.spool = cache, output, spool
        self.made_in = os.getpid()  # the build's process; the index may be made in a copy

    def hand_back(self, files: Outputs, memo: object) -> Made:
        """What the index's caller gets: its files, the memo unless stored here, and the
        records of the files parked in the spool by a forked copy (the files are then
        Kept.SPOOLED: at 100k papers, ~100 MB the build would get back and hold; or, those
        on disk as the last build left them, Kept.AS_LEFT, not parked: a notes edit at 10k
        parked 759 files to change a few)."""
        if self.spool is None or os.getpid() == self.made_in:
            return files, None if self.store(memo) else memo, None
        spool = self.spool.own_copy()
        left, _ = self.cache.outputs_of(spool.output)  # what the last build noted of each
        parked: Outputs = {}
        for path in sorted(files):  # parked first: each file's bytes are let go as it goes
            data = files.pop(path)
            if data is Kept.AS_LEFT or on_disk_as_left(spool.output, path, data, left.get(path)):
                parked[path] = Kept.AS_LEFT  # most files, when a few papers changed
                continue
            spool.put(path, data)
            parked[path] = Kept.SPOOLED
        return parked, None if self.store(memo) else memo, spool.parked()

    def __call__(self) -> object:
        """The memo the last index left (None: none usable)."""
        return self.cache.recall("search", MEMO_KEY)

    def left(self) -> Callable[[str], bool]:
        """Whether an output file is on disk as the last build left it (search.Left)."""
        if self.output is None:
            return nothing_left
        noted, _ = self.cache.outputs_of(self.output)
        if not noted:
            return nothing_left
        return partial(left_as_noted, self.output, noted, read_manifest(self.output).files)

    def stores(self) -> bool:
        """Whether store writes the memo here: in a forked copy, with a cache folder."""
        return self.cache.folder is not None and os.getpid() != self.made_in

    def spill(self) -> SpillFile | None:
        """Where the index keeps its new memo's entries and text chunks: where store writes
        the memo, a file until then (SpillFile: at 100k papers, ~260 MB the copy would hold
        to its end, beside discovery's peak); None: in memory."""
        if not self.stores():
            return None
        assert self.cache.folder is not None
        return SpillFile(self.cache.folder)

    def store(self, memo: object) -> bool:
        """In a forked copy, write the memo into the cache folder now; False (the caller
        hands it back) in the build's own process or for a cache in memory only.

        In a CLI build's side copy, so the build does not wait for it: the memo is as
        large as the index (26 MB at 10k papers), to send back and then write whole. In the
        build's process it stays in memory, for the cache's save and the next preview build."""
        if not self.stores():
            return False
        assert isinstance(memo, dict)
        spilled = {name: value for name, value in memo.items() if isinstance(value, ON_DISK)}
        self.cache.keep("search", MEMO_KEY, memo, new=True)
        try:
            self.cache.spill("search")
        except OSError:  # handed back instead, for the build to write with the rest
            for name, value in spilled.items():  # plain data, to send back
                memo[name] = dict(value) if isinstance(value, BytesOnDisk) else list(value)
            return False
        finally:
            for value in spilled.values():
                value.spill.close()
        return True


ON_DISK = (BytesOnDisk, TextsOnDisk)  # the memo's parts that wait in a SpillFile


def left_as_noted(
    output: Path, noted: Mapping[str, Noted], records: Mapping[str, Record], path: str
) -> bool:
    """Whether a file is on disk as the last build left it, checked as Run.intact does: the
    manifest's size and hash, the cache's ctime noted with that hash (output.verified)."""
    seen, record = noted.get(path), records.get(path)
    if seen is None or record is None or seen[1] != record[1]:
        return False
    return verified(output, path, record, seen[2]) is not None


def on_disk_as_left(output: Path, path: str, data: bytes, noted: Noted | None) -> bool:
    """Whether an output file holds these bytes as the last build left it (noted)."""
    if noted is None or noted[1] != file_hash(data):
        return False
    return verified(output, path, (len(data), noted[1]), noted[2]) is not None


# From this many papers, a one-shot build maps its large blocks on their own
# (workers.map_large_blocks), in its process (from before ingest when its cache holds that
# many inputs, else once ingest has given that many pages) and so in the copies it forks.
# - In the side copy, at 100k, the postings' arrays, grown a batch at a time in a heap whose
#   mmap threshold discovery had raised (glibc raises it as large blocks are freed, up to 32
#   MB), left ~90 MB of holes while discovery peaked beside it: the copy held 845 MiB at its
#   index's end, not 936, and the build peaked at 1,835 MiB, not 1,911.
# - In the build's own process too (2026-12-06, two runs each, PSS every 0.2 s): the 100k
#   cold build peaked at 1,741 and 1,772 MiB, not 1,827 and 1,831; `sitegen add` at 1,797 and
#   1,804 MiB, not 1,870 and 1,841. The price is time, as mapped blocks are faulted in afresh
#   each time: cold 87.3 and 87.6 s, not 83.6 and 78.2; the add 42.9 and 43.3 s, not 43.4
#   and 42.7. At 10k it made a cold index 23 % slower (3.3 -> 4.1 s), so smaller lists, far
#   from the 2 GB goal, go without.
MAPPED_BLOCKS_FROM = 50_000


def mapped_if_large(papers: int) -> None:
    """Large blocks mapped on their own (see MAPPED_BLOCKS_FROM) in a one-shot build of this
    many papers (or inputs) or more: for the rest of this process and the copies it forks."""
    if papers >= MAPPED_BLOCKS_FROM:
        map_large_blocks()


class ResidentSearch:
    """search_index; in a preview's warm worker, the worker keeps the memo and the papers of
    its last index (worker_search), so only the papers that changed since are sent to it,
    not all of them and the memo (19 MB pickled at 10k papers)."""

    def __init__(self) -> None:
        self.sent: dict[str, Paper] = {}  # what the worker holds after the last index it made
        self.taxonomy: Taxonomy | None = None
        self.token = ""  # names that index (the worker keeps the name with its state)

    def __call__(
        self, papers: list[Paper], taxonomy: Taxonomy, memo: MemoSlot, keys: list[str]
    ) -> Made:
        """search_index, in this process or a forked copy: the files, and the memo unless
        it is stored already (None)."""
        if memo.stores():  # a one-shot build's side copy: set already if its build is large
            mapped_if_large(len(papers))
        spill = memo.spill()
        try:
            made = search_index(papers, taxonomy, memo(), keys, spill, memo.left())
            return memo.hand_back(*made)  # its store() lets the spill file go
        except BaseException:
            if spill is not None:
                spill.close()
            raise

    def submit_in(
        self,
        executor: Executor,
        papers: list[Paper],
        taxonomy: Taxonomy,
        memo: MemoSlot,
        keys: list[str],
        write_to: Path | None = None,
    ) -> Future:
        """Start it in the warm worker: only the papers the worker lacks, unless it does not
        hold the last index: a new worker gets them all and the memo; one that lost it (an
        index abandoned) all of them, from scratch (the memo is not read in a pool thread)."""
        from concurrent.futures import Future  # a preview's: its pool imported it already

        outer: Future = Future()
        token = f"{os.getpid()}-{next(TOKENS)}"
        order = [paper.slug for paper in papers]
        every = {paper.slug: paper for paper in papers}

        def finish(future: Future, full: bool) -> None:
            if outer.cancelled():
                return
            try:
                value = future.result()
            except BaseException as exc:  # noqa: BLE001 - the waiting build raises it
                outer.set_exception(exc)
                return
            if value is None and not full:  # the worker has another state: send all
                again = executor.submit(
                    worker_search, token, "", order, every, taxonomy, None, keys, write_to
                )
                again.add_done_callback(partial(finish, full=True))
                return
            self.sent, self.taxonomy, self.token = every, taxonomy, token
            outer.set_result(value)

        if self.token and taxonomy == self.taxonomy:
            changed = {s: p for s, p in every.items() if self.sent.get(s) != p}
            first = executor.submit(
                worker_search, token, self.token, order, changed, taxonomy, None, keys, write_to
            )
            first.add_done_callback(partial(finish, full=False))
        else:
            first = executor.submit(
                worker_search, token, "", order, every, taxonomy, memo(), keys, write_to
            )
            first.add_done_callback(partial(finish, full=True))
        return outer


TOKENS = itertools.count(1)
SEARCH = ResidentSearch()  # one per process; a worker it did not feed answers None at first
RESIDENT: dict[str, Any] = {}  # in the warm worker: "token", "papers", "memo" of its last index


def worker_search(
    token: str,
    expected: str,
    order: list[str],
    changed: dict[str, Paper],
    taxonomy: Taxonomy,
    memo: object,
    keys: list[str],
    write_to: Path | None = None,
) -> Made | None:
    """In the warm worker: the search index of the papers in order (slugs), from the papers
    and memo of its last index (if it is `expected`) and the papers changed since; None when
    it holds another (the caller sends every paper and the memo). The files go straight into
    `write_to` too, if given (the build collects the same files later, and commits them)."""
    if expected:
        if RESIDENT.get("token") != expected:
            return None
        memo = RESIDENT["memo"]
        held = RESIDENT["papers"]
        papers = [changed[s] if s in changed else held[s] for s in order]
    else:
        papers = [changed[s] for s in order]
    RESIDENT.clear()  # an index that fails leaves nothing to trust
    with paused_collector():  # the papers and memo held: not rescanned (0.17 s of 0.8 s at 10k)
        files, new_memo = search_index(papers, taxonomy, memo, keys)
        RESIDENT.update(token=token, papers=dict(zip(order, papers, strict=True)), memo=new_memo)
        if write_to is not None:
            write_outputs(write_to, files)
    return files, new_memo, None


def keep_memo(run: Run, made: Made) -> Outputs:
    """The search files; the memo goes to the cache for the next build, and the records of
    files a copy parked to the run's spool."""
    files, memo, parked = made
    if memo is None:  # written where it was made (MemoSlot.store)
        run.cache.adopt("search", MEMO_KEY)
    else:  # the index was made again: so was it
        run.cache.keep("search", MEMO_KEY, memo, new=True)
    if parked:
        assert run.spool is not None  # a copy parks files only in the spool of a CLI build
        run.spool.adopt(parked)
    return files


# --- end search ---

# Started before the pages, collected (and written) after them.
LATE_JOBS: list[Callable[[Run], Job]] = [search_job]


def page_outputs(run: Run, early: Outputs) -> Outputs:
    """Every page (those written early included), the data files, static assets, the sitemap."""
    rendered = render_all(run, set(early))
    data = {} if CATALOGUE in rendered else data_outputs(run)  # made by the side copy
    made = (rendered, data, static_outputs(run))
    pages = {**early, **merge(made, early)}
    pages.update(sitemap_outputs(run.model.base_url, pages))
    return pages


def render_and_write(run: Run) -> BuildResult:
    """Render and write everything: a preview's open pages first, then the rest."""
    if run.spool is None:  # a CLI build made it already, for the pages it started early
        run.spool = Spool(run.output)
    try:
        early = render_first(run)
        jobs = [start(run) for start in LATE_JOBS]
        if early:
            # Someone is looking at the site: bring search up to date (in the worker,
            # while this process waits) before the rest of the pages, not after them.
            late = merge((job() for job in jobs), {})
            run.written_early += write_outputs(run.output, late)
            jobs = [lambda: late]
        return write_build(run, page_outputs(run, early), jobs)
    finally:
        run.spool.discard()


def write_build(
    run: Run, pages: Outputs, jobs: list[Job] | None, kept: Iterable[str] = ()
) -> BuildResult:
    """Commit the pages, tell the preview, then collect the late jobs (starting them only
    now if jobs is None) and commit them; remove stale files, keeping `kept`; save the cache.

    A CLI build commits once, all or nothing; a preview commits its pages first, so the
    browser reloads before the search index is in.
    """
    base = {**dict.fromkeys(kept), **pages}
    if run.spool is None:  # a fast path renders in memory; the commit still needs a spool
        run.spool = Spool(run.output)
    written = len(run.written_early)
    start_beside = run.options.beside_commit if run.preview is None else None
    beside = start_beside(run.model) if start_beside is not None else None
    try:
        if run.preview is not None and run.preview.on_pages is not None:
            old = run.old.files
            changed = commit(run, base, final=False)
            gone = [p for p in old if p.endswith(".html") and p not in base]
            run.preview.on_pages(changed + gone)
            written += len(changed)
        if jobs is None:  # started after the pages: handing the search memo to a worker takes time
            jobs = [start(run) for start in LATE_JOBS]
        late = merge((job() for job in jobs), pages)
        files = {**base, **late}
        written += len(commit(run, files, final=True))
        run.cache.save()
    except BaseException:
        if beside is not None:
            beside.abandon()
        raise
    return BuildResult(run.model, written, len(files), run.removed, files_left(run), beside)


def files_left(run: Run) -> LeftFiles:
    """Each file of the output's manifest: its size and the ctime this build saw it with
    (None where it saw none: 0 is a file still in the spool when it was noted)."""
    noted = run.noted
    return {
        path: (record[0], noted[path][2] or None if path in noted else None)
        for path, record in run.old.files.items()
    }


def commit(run: Run, files: Outputs, final: bool) -> list[str]:
    """Put every file in place with its manifest record, all or nothing; the changed paths.

    `final` removes the files the last build wrote that this one did not; otherwise
    they stay, and so do their records.
    """
    records = {
        path: run.old.files[path] if path in run.committed else record_for(run, path, data)
        for path, data in files.items()
    }
    stale = [p for p in run.old.files if p not in files and is_safe(p)]
    stale += [p for p in unlisted(run.output, SWEPT) if p not in files and p not in run.old.files]
    if not final:
        records = {**{p: run.old.files[p] for p in stale if p in run.old.files}, **records}
        stale = []
    manifest = Manifest(records)
    if manifest != run.old or not (run.output / MANIFEST).is_file():
        run.spool.put(MANIFEST, manifest.to_bytes())
    changed = [p for p in run.spool.commit(run.output, stale) if p != MANIFEST]
    for path in changed:  # a rename changes a file's ctime: note it once the file is in place
        key, content, _, inputs = run.noted[path]
        run.noted[path] = (key, content, run.spool.ctime(run.output, path), inputs)
    run.removed += len(stale)
    run.old, run.committed = manifest, set(files)
    noted = {p: run.noted[p] for p in records if p in run.noted}
    run.cache.note_outputs(run.output, noted, run.groups if final else run.seen_groups)
    return changed


def record_for(run: Run, path: str, data: bytes | Kept | None) -> Record:
    """A file's manifest record, parking it in the spool when its bytes are new."""
    old, key = run.old.files.get(path), run.rendered.get(path, "")
    if data is Kept.UNCHANGED and old is not None:
        return old  # checked by run.reusable
    if data is Kept.AS_LEFT:  # checked by the copy that made it, and again here
        record, ctime = as_left(run, path)
        run.noted[path] = (key, record[1], ctime, run.inputs.get(path, ""))
        return record
    if data is None and old is not None:  # kept by a fast path: as the last build left it
        if path in run.seen:
            run.noted.setdefault(path, run.seen[path])
        return old
    ctime = None
    if data is Kept.SPOOLED:
        record = run.spool.records[path]
        if old == record and (ctime := run.intact(path)) is not None:
            run.spool.drop(path)  # rendered again, but to the same bytes: leave the file be
    elif isinstance(data, bytes):
        record = (len(data), file_hash(data))
        if old != record or (ctime := run.intact(path)) is None:
            run.spool.put(path, data)
    else:  # written already (a preview's open pages)
        record, ctime = record_of(run.output / path)
    # A file moved in by the commit gets its ctime then (see commit).
    run.noted[path] = (key, record[1], ctime or 0, run.inputs.get(path, ""))
    return record


def as_left(run: Run, path: str) -> tuple[Record, int]:
    """The record and ctime of a file a copy found on disk as the last build left it: by the
    manifest, or (a manifest lost or damaged) by the file's own hash against the cache's."""
    old, ctime = run.old.files.get(path), run.intact(path)
    if old is not None and ctime is not None:
        return old, ctime
    try:
        record, ctime = record_of(run.output / path)
    except OSError:
        record = None
    seen = run.seen.get(path)
    if record is None or seen is None or record[1] != seen[1]:
        changed = "changed on disk while this build ran; build again"
        raise SitegenError(changed, run.output / path)
    return record, ctime


def is_safe(path: str) -> bool:
    """Whether a manifest path stays inside the output (a tampered manifest deletes nothing)."""
    try:
        check_path(path)
    except SitegenError:
        return False
    return path != MANIFEST
