"""Where build work runs: inline, in a forked copy of this process, or in a warm worker.

The only module of the build that knows about processes. A CLI build (no threads
run) forks: as soon as the project is read, one copy builds the search index and
then renders every page that shows nothing of discovery (lists, A–Z, dumps, tags)
while this process computes discovery; then one copy renders a share of the paper
pages while this process renders the rest. A preview (`serve`, threads run, so no
fork) sends the search index to its warm worker.
"""

from __future__ import annotations

import contextlib
import copy
import os
import struct
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitegen.build.model import (
    BASE_MEMO,
    Discovered,
    base_remembered,
    discovered_early,
    discovery_key_of,
)
from sitegen.build.options import BuildOptions, Preview
from sitegen.build.outputs import data_outputs
from sitegen.build.run import Run, parked, render_route
from sitegen.cache import BuildCache
from sitegen.catalog import Paper
from sitegen.errors import SitegenError
from sitegen.ingest import IngestResult
from sitegen.model.discovery import generation
from sitegen.output import Kept, Outputs, Parked, Spool
from sitegen.paper_page import unused_templates
from sitegen.project import Project, load_project
from sitegen.render import compile_templates
from sitegen.views.listing import Site
from sitegen.views.pages import SHOWS_DISCOVERY, Route, routes
from sitegen.workers import Forked, forking_pays, give_back_memory

# With a forked renderer: of the pages left to render when it starts, the share this
# process keeps (the first ones, in table order; the renderer takes the rest). At 10k
# papers, both then made their last page within 0.1 s of each other, cold and after a
# template edit (the list pages cost about what as many paper pages do).
OWN_SHARE = 0.5
LOOK_EVERY = 20  # pages made here between two looks at whether the side copy is done
Job = Callable[[], Outputs]  # waits for (or makes) a group of outputs started earlier

if TYPE_CHECKING:  # only a preview has a warm worker; a build imports no pool
    from concurrent.futures import Executor, Future


def can_fork(options: BuildOptions, preview: Preview | None) -> bool:
    """Whether this build may fork: asked to, no preview (its threads), and a second core."""
    return options.fork and preview is None and forking_pays()


def start(run: Run, function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Start function(*args) where this run puts side work; the call returned waits for it."""
    if run.fork:
        return Forked(function, *args).result
    if run.options.executor is not None:
        return submit(run.options.executor, function, *args).result
    return partial(function, *args)


def submit(
    executor: Executor, function: Callable[..., Any], *args: Any, write_to: Path | None = None
) -> Future:
    """function(*args) in the warm worker; a function that keeps state there (the search
    index's memo: build.write.ResidentSearch) submits itself, and writes the files it makes
    into `write_to` (an output folder) as soon as they are made."""
    own = getattr(function, "submit_in", None)
    if own is not None:
        return own(executor, *args, write_to=write_to)
    return executor.submit(function, *args)


# A group of outputs to make in the side copy: (name, key, make, args).
EarlyGroup = tuple[str, str, Callable[..., Outputs], tuple[Any, ...]]


def early_group(
    cache: BuildCache, output: Path, name: str, key: str, make: Callable[..., Outputs], *args: Any
) -> EarlyGroup | None:
    """A group for the side copy (launch_side), or None when the last build into this output
    made it with this key (start_group then checks its files)."""
    _, groups = cache.outputs_of(output)
    if groups.get(name, ("", ()))[0] == key:
        return None
    return name, key, make, args


class Part:
    """One value of a forked copy that returns several (collected once, in any order)."""

    def __init__(self, copy: Forked, index: int, values: dict[str, Any]):
        self.copy, self.index, self.values = copy, index, values

    def result(self) -> Any:
        """Wait for the copy; this part's value."""
        if "all" not in self.values:
            self.values["all"] = self.copy.result()
        return self.values["all"][self.index]

    def early(self) -> Any:
        """This part's value as soon as the copy has made it, while the copy goes on (taken
        once, before any part's result: see Forked.early_part)."""
        return self.copy.early_part(self.index)

    def ready(self) -> bool:
        """Whether early() would return at once."""
        return self.copy.part_ready()

    def done(self) -> bool:
        """Whether the copy has finished (without waiting for it)."""
        return self.copy.done()

    def wait(self) -> None:
        """Wait for the copy to finish, reading nothing yet."""
        self.copy.wait()

    def abandon(self) -> None:
        """Stop the copy, and with it every part (only a failing build abandons one)."""
        self.copy.abandon()


class SharedLists:
    """The lists (pages that show nothing of discovery), shared between this process and
    the side copy as tickets in a pipe: each takes the next run of lists when it is free.
    This process takes some while discovery would wait for the copy's candidates (`waited`:
    at 10k papers it waited 0.15-0.5 s there) and any left once its own pages are made
    (`finish`: instead of waiting for a copy slower than itself); the copy takes them after
    the search index. The pipe is filled and its writing end
    closed before the copy forks, so a read gets one whole ticket, or nothing when all
    are taken."""

    def __init__(self, run: Run):
        self.run, self.routes = run, list(shows_nothing_of_discovery(run.model.site))
        self.size = max(TICKET_LISTS, -(-len(self.routes) // MAX_TICKETS))
        self.read_end, write_end = os.pipe()
        try:
            tickets = b"".join(
                TICKET.pack(start) for start in range(0, len(self.routes), self.size)
            )
            if os.write(write_end, tickets) != len(tickets):  # a pipe holds a page at least
                raise OSError("the lists' tickets did not fit in their pipe")
        except BaseException:
            self.abandon()
            raise
        finally:
            os.close(write_end)
        self.made: list[Rendered] = []

    def take(self, wanted: Callable[[], bool] = lambda: True) -> Iterator[Route]:
        """The lists of each ticket taken, as long as wanted() before each."""
        while self.read_end >= 0 and wanted():
            ticket = os.read(self.read_end, TICKET.size)
            if len(ticket) < TICKET.size:
                return
            (start,) = TICKET.unpack(ticket)
            yield from self.routes[start : start + self.size]

    def waited(self, part: Part | EarlyCandidates) -> Any:
        """In this process: part.early(), rendering lists until it is ready."""
        self.made.append(render_routes(self.run, self.take(lambda: not part.ready())))
        return part.early()

    def finish(self) -> None:
        """In this process, its own pages made: render the lists the copy has not taken."""
        self.made.append(render_routes(self.run, self.take()))
        self.abandon()

    def rest(self) -> Iterator[Route]:
        """In the side copy: the lists this process has not taken."""
        return self.take()

    def result(self) -> list[Rendered]:
        """In this process: what it rendered of the lists (Run.launched's "lists-here")."""
        return self.made

    def abandon(self) -> None:
        """Close this process's end (a failing build, whose copy is stopped too, or done)."""
        if self.read_end >= 0:
            os.close(self.read_end)
        self.read_end = -1


# A ticket: where its run of lists begins. A run is TICKET_LISTS lists (~10 ms at 10k
# papers), more if there would be over MAX_TICKETS: 4 KiB of them, which any pipe holds
# (one page), so this process fills it before anyone reads.
TICKET = struct.Struct("<i")
TICKET_LISTS = 8
MAX_TICKETS = 1_024


def side_work(
    group: EarlyGroup | None,
    run: Run | None,
    aside: Callable[[], Any] | None,
    data: bool,
    lists: SharedLists | None = None,
) -> Iterator[Outputs | Rendered | None]:
    """In the side copy: what discovery asked it for (`aside`: discovery reads it as soon
    as it is made), the early group (the search index), then (with a `run`) the pages that
    show nothing of discovery and (`data`) the data files, each handed back as soon as it is
    made (the copy does not hold the search index while it renders). One copy, not two: at
    100k papers, two copies beside discovery peaked at 4.2 GB, against 2.8 GB with the
    search copy alone."""
    if aside is not None:  # first: discovery waits for it
        yield aside()
    if run is not None:  # before the index: this process then finds them compiled (kept)
        compile_templates(run.env, unused_templates(run.env))
    yield group[2](*group[3]) if group is not None else None
    if run is not None:
        shown = lists.rest() if lists is not None else shows_nothing_of_discovery(run.model.site)
        yield render_routes(run, shown, data)
    else:
        yield None


def share_before_fork(run: Run, renderer: bool = True) -> None:
    """Make what a copy that renders pages needs once, here, so the copies share it: the
    site key (which reads every paper and dump: in a copy, that alone unshares them, ~240 MB
    a copy at 100k papers) and, for the renderer, every compiled template.

    Not the cards: each copy makes those its pages show. The side copy's lists show them
    all; made here, they held up its fork (~0.11 s at 10k papers; a cold 10k build 0.14-0.26
    s faster without them, per pair in three batches). A new dump's renderer shows a few
    thousand, and the pages' keys read none (Cards.made_of): made here, all took ~0.13 s.
    But while a copy makes a new dump's discovery, this process would only wait for it:
    launch_lists makes them all then (a 10k add ~0.16 s faster, 7 pairs of 8)."""
    if renderer:
        compile_templates(run.env, unused_templates(run.env))
    run.input_keys()
    give_back_memory()  # what discovery freed is not copied into the page tables of a copy


def launch_side(
    run: Run | None,
    group: EarlyGroup | None,
    aside: Callable[[], Any] | None = None,
    data: bool = True,
) -> dict[str, tuple[str, Any]]:
    """Start the side copy (a CLI build) while this process computes discovery: Run.launched,
    the group by its name, the rendered pages as "lists" and what it computes for discovery
    (`aside`, candidates_aside below) as "candidates". The lists (a `run`) only when
    discovery must be computed (build.model.discovery_is_due): otherwise this process
    renders them at once, and the copy would only add the search index's time to theirs.
    The data files go with the lists (`data`), unless this process makes them (data_here)."""
    if group is None and run is None:
        return {}
    if run is not None:  # the copy renders every list
        # It compiles the templates, beside discovery, and keeps them where this process
        # finds them when discovery is done (render.compiled_templates): a first build
        # compiled all 20 before it started the copy (0.09 s of 0.8 s, shipped corpus).
        share_before_fork(run, renderer=False)
    lists = SharedLists(run) if run is not None else None  # this process takes some too
    try:
        copy, values = Forked(side_work, group, run, aside, data, lists), {}
    except BaseException:
        if lists is not None:
            lists.abandon()
        raise
    first = 0 if aside is None else 1
    launched: dict[str, tuple[str, Any]] = {}
    if aside is not None:
        launched["candidates"] = ("", Part(copy, 0, values))
    if lists is not None:
        launched["lists-here"] = ("", lists)
    if run is not None:
        launched["lists"] = ("", Part(copy, first + 1, values))
    if group is not None:
        launched[group[0]] = (group[1], Part(copy, first, values))
    return launched


def launch_lists(
    side: Run, group: EarlyGroup | None, early: EarlyCopy
) -> tuple[dict[str, tuple[str, Any]], bool]:
    """launch_side with the lists, and whether the early copy makes discovery (`early`: it
    and the build's discovery key). While it does, this process, which would only wait for
    it, makes every card before the fork (the lists' filters read them all: made once, the
    side copy shares them) and the data files after it (data_here). When it finds the new
    base's candidates instead, discovery takes them rather than the side copy's."""
    copy, key = early
    kind = copy.making(key) if copy is not None else ""
    made_early = kind == MAKES_DISCOVERY
    # The candidates to find, if any (none when the copy makes discovery: it found the base
    # remembered, which candidates_aside would hash again, ~9 ms at 10k papers).
    find = None if made_early else candidates_aside(side.model.project, side.cache)
    if not made_early:  # discovery is made here: its modules loaded once for both (the
        # side copy finding the candidates, candidates_aside, needs them at once), but for
        # scipy.sparse, which only this process uses: it loads on first use
        # (sitegen.sparse), after the fork, beside the candidates (or the early copy's).
        import sitegen.discover  # noqa: F401
    found = copy.candidates(find) if copy is not None and kind == MAKES_CANDIDATES else None
    if made_early:
        side.model.site.cards.make_all()
    launched = launch_side(side, group, find if found is None else None, data=not made_early)
    if found is not None:
        launched["candidates"] = ("", found)
    if not made_early:
        return launched, False
    try:
        return {**launched, **data_here(side)}, True
    except BaseException:  # the copy just started: stopped (the caller has not got it)
        abandon(launched)
        raise


def abandon(launched: dict[str, tuple[str, Any]], spool: Spool | None = None) -> None:
    """A failing build: stop the copies it started (Run.launched) and forget the files it
    parked (its spool)."""
    for _, started in launched.values():
        started.abandon()
    if spool is not None:
        spool.discard()


# Up to this many papers, a one-shot build that must learn discovery's base generation has
# the side copy find its key-term candidates first (1.7-1.9 s of discovery's 3-5 s at 10k
# papers; 90 ms of the shipped corpus's 0.2 s, 30 ms off its build in 15 of 20 pairs) while
# this process makes the vectors and the map: the side copy's search index (in batches,
# sitegen.search_batch) leaves it room. At 100k papers, 166-181 s against 215 s, at a peak
# of 1,820-1,835 MiB (1.91-1.92 GB) with the side copy's large blocks mapped (build.write's
# MAPPED_BLOCKS_FROM); above, unmeasured, the two copies' peaks may meet.
CANDIDATES_ASIDE = range(0, 100_001)


def candidates_aside(project: Project, cache: BuildCache) -> Callable[[], tuple] | None:
    """What the side copy (or a new dump's early copy) finds for discovery, if anything
    (launch_side's `aside`): the base generation's key-term candidates, when no generation of
    this base is remembered."""
    if len(project.papers) not in CANDIDATES_ASIDE or base_remembered(project, cache):
        return None
    return partial(found_aside, project.papers, generation(project.arrival))


def found_aside(papers: list[Paper], base: Collection[str]) -> tuple:
    """In the side copy: discover.base_found (with numpy alone: scipy.sparse loads in
    discovery's process, beside it)."""
    from sitegen.discover import base_found

    return base_found(papers, base)


MAKES_DISCOVERY, MAKES_CANDIDATES = "discovery", "candidates"  # what an early copy makes


class EarlyDiscovery:
    """Discovery of what an ingest gives, started in a forked copy while the ingest places
    its new papers (a CLI build that finds a new dump: `sitegen add`, `sitegen build`):
    discovery reads no theme, and placing them learns from the whole corpus (0.35 s at 10k
    papers) beside discovery's 1.1 s. From a remembered base generation (the common case:
    a copy that made one would have to hand back its ~20 MB) the copy makes discovery
    (MAKES_DISCOVERY); when the new papers start a new base, it finds that base's key-term
    candidates (MAKES_CANDIDATES: the side copy's first work in a cold build), which the
    build's own discovery takes. Taken only by a build with the same discovery key; a copy
    that fails costs the build its time only."""

    def __init__(self, root: Path, cache: BuildCache) -> None:
        self.root, self.cache = root, cache
        self.copy: Forked | None = None
        self.key = ""  # the discovery key of the papers the copy read, once it says
        self.kind = ""  # what it makes of them: MAKES_DISCOVERY or MAKES_CANDIDATES

    def start(self, unplaced: Callable[[], IngestResult], papers: int) -> None:
        """ingest.BeforePlacing: fork the copy (a list of up to EARLY_DISCOVERY papers, with
        a base generation remembered: the copy checks whether it is these papers')."""
        if self.copy is not None or papers > EARLY_DISCOVERY or not self.cache.memo_key(BASE_MEMO):
            return
        # Loaded before the fork: placing the new papers, next, loads them here anyway
        # (numpy and scipy.sparse, ~0.1 s), and the copy then need not load them again.
        import sitegen.corpus_themes  # noqa: F401
        from sitegen.sparse import load_sparse

        load_sparse()
        try:
            self.copy = Forked(read_and_discovered, self.root, self.cache, unplaced)
        except OSError:
            return  # no process to spare: the build discovers itself

    def read_key(self) -> str:
        """The discovery key of the papers the copy read, once it has read them ("" when
        there is no copy, or it has nothing to make of them: it is then stopped)."""
        if self.copy is None:
            return ""
        if not self.key:
            try:
                self.key, self.kind = self.copy.early_part(0)
            except SitegenError:  # it died (out of memory?)
                self.key = ""
            if not self.key:
                self.abandon()
        return self.key

    def making(self, key: str) -> str:
        """What the copy makes of the papers with this discovery key: MAKES_DISCOVERY,
        MAKES_CANDIDATES (their new base's), or "" (no copy). It waits for the copy to have
        read its papers (done, most often, by the time ingest is); a copy that read other
        papers is stopped."""
        if self.read_key() != key:
            self.abandon()
        return self.kind if self.copy is not None else ""

    def discovery_for(self, key: str) -> Discovered | None:
        """The copy's discovery if it read what the build reads (this discovery key), and
        made it; None otherwise (the copy is then stopped, unless it finds candidates)."""
        if self.making(key) != MAKES_DISCOVERY:
            return None
        assert self.copy is not None  # making() said so
        try:
            parts = self.copy.result()
        except SitegenError:  # it died (out of memory?): the build makes discovery itself
            parts = []
        self.copy, self.key, self.kind = None, "", ""  # only now: abandon() stops it till then
        return parts[1] if len(parts) > 1 else None

    def candidates(self, find: Callable[[], tuple] | None) -> EarlyCandidates | None:
        """The new base's candidates, once making() said the copy finds them (found by
        `find` here if it stops first); None (and the copy stopped) without a `find`."""
        if self.copy is None or find is None:  # the build has nothing to find (none here)
            self.abandon()
            return None
        return EarlyCandidates(self.copy, find)

    def abandon(self) -> None:
        """Stop the copy, if it is still wanted (a failing build, or none that asks)."""
        if self.copy is not None:
            self.copy.abandon()
            self.copy = None
        self.key = self.kind = ""


EarlyCopy = tuple[EarlyDiscovery | None, str]  # the early copy, if any, and the build's key


class EarlyCandidates:
    """The early copy's candidates for discovery (Run.launched's "candidates", as the side
    copy's part in a cold build): a copy that stops first costs the build only its time."""

    def __init__(self, copy: Forked, find: Callable[[], tuple]):
        self.copy, self.find = copy, find

    def early(self) -> tuple:
        """The candidates, as soon as the copy has found them (or found here)."""
        if not self.copy.stopped:
            with contextlib.suppress(SitegenError):  # it died (out of memory?)
                return self.copy.early_part(1)
        return self.find()

    def ready(self) -> bool:
        """Whether early() would return at once (its copy done with them, or gone)."""
        return self.copy.stopped or self.copy.part_ready()

    def abandon(self) -> None:
        """Stop the copy (a failing build)."""
        self.copy.abandon()


def read_and_discovered(
    root: Path, cache: BuildCache, unplaced: Callable[[], IngestResult]
) -> Iterator[tuple | Discovered | None]:
    """In the early copy: the discovery key of the project as ingest will give it (read
    here, while the build's process places the new papers: 0.2 s at 10k papers) and what
    the copy makes of it, or ("", "") if it can't be read or there is nothing to make; then
    discovery from the remembered base (discovered_early), or the new base's candidates."""
    try:
        project = load_project(root, cache, unplaced())
    except SitegenError:  # the build's own read says what is wrong, once ingest is done
        yield "", ""
        return
    if base_remembered(project, cache):
        key = discovery_key_of(project)
        yield key, MAKES_DISCOVERY
        yield discovered_early(project, cache, key)
        return
    aside = candidates_aside(project, cache) if len(project.papers) <= EARLY_CANDIDATES else None
    if aside is None:
        yield "", ""
        return
    yield discovery_key_of(project), MAKES_CANDIDATES
    yield aside()


# Papers: up to this many, a new dump that starts a new base has its candidates found by the
# early copy, beside the placing: `sitegen add` of a 200-paper dump to 360 papers ~80 ms
# faster (0.90 -> 0.82 s; to the shipped dumps' 360, 0.98 -> 0.89 s), to 600 ~20 ms. From ~1k
# papers nothing is gained (1,300: the same; 3,800 and 11,400: 0.1-0.6 s slower): the side
# copy, left with the search index and the lists, is done long before discovery here, and
# its core then idles, while the early copy's work crowded the placing's.
EARLY_CANDIDATES = 1_000


# Papers: above, the copy's discovery beside the side copy's search index would raise the
# build's peak memory, which at 100k papers is near its 2 GB goal.
EARLY_DISCOVERY = 50_000


class Submitted:
    """A group sent to a preview's warm worker as soon as the project is read (launch_early)."""

    def __init__(self, future: Any):
        self.future = future

    def result(self) -> Any:
        """Wait for the worker."""
        return self.future.result()

    def abandon(self) -> None:
        """Drop it (a failing build): cancelled if it has not started, else left to finish."""
        self.future.cancel()


def launch_early(
    options: BuildOptions, group: EarlyGroup | None, write_to: Path | None = None
) -> dict[str, tuple[str, Any]]:
    """A preview's search index, started in its warm worker before the model is made, so it
    runs while this process makes the model and discovery (Run.launched, as launch_side).
    `write_to`: the output folder, where the worker puts the files as soon as they are made
    (the tabs open in a preview see a new dump in search without waiting for discovery,
    which holds this process's GIL while the worker's result is read back)."""
    if group is None or options.executor is None:
        return {}
    name, key, make, args = group
    return {name: (key, Submitted(submit(options.executor, make, *args, write_to=write_to)))}


def start_group(
    run: Run,
    name: str,
    key: str,
    make: Callable[..., Any],
    *args: Any,
    keep: Callable[[Any], Outputs] | None = None,
) -> Job:
    """Start outputs made together (the search index) unless their key is unchanged; a copy
    launched early with the same key (run.launched) is used instead of starting another.
    keep, if given, turns what make returns into the outputs (keeping the rest, a memo)."""
    early = run.launched.pop(name, None)
    old_key, paths = run.seen_groups.get(name, ("", ()))
    if old_key == key and all(run.reusable(p, key) for p in paths):
        if early is not None:
            early[1].abandon()
        run.groups[name] = (key, paths)
        return lambda: dict.fromkeys(paths, Kept.UNCHANGED)
    if early is not None and early[0] == key:
        result = early[1].result
    else:
        if early is not None:
            early[1].abandon()
        result = start(run, make, *args)

    def collect() -> Outputs:
        outputs = result() if keep is None else keep(result())
        run.groups[name] = (key, tuple(sorted(outputs)))
        run.rendered.update(dict.fromkeys(outputs, key))
        return outputs

    return collect


def routes_here(site: Site, listed: bool) -> list[Route]:
    """The pages this process and its renderer make, in table order (theme by theme, as the
    papers were read, so a renderer given a run of them reads, and through reference counts
    copies, about its own part of the papers' memory): all, but (`listed`) those the side
    copy rendered while discovery ran (launch_side)."""
    table = routes(site).values()
    return [route for route in table if not (listed and renders_beside_discovery(route))]


def renderer_start(total: int, done: int) -> int:
    """Where the renderer's run of the pages begins, when it starts with `done` of `total`
    made here: this process keeps OWN_SHARE of those left."""
    return done + round((total - done) * OWN_SHARE)


Rendered = tuple[dict, Parked | None, Outputs, dict, dict]  # what a copy sends back (render_routes)


def render_routes(run: Run, chosen: Iterable[Route], data: bool = False) -> Rendered:
    """In a forked copy: render these pages, and (`data`) papers.json and the other data
    files; (page keys, spooled, outputs, noted, input keys).

    The copy shares the whole model (nothing pickled over), renders into the spool
    and sends back only what the cache needs.
    """
    spool = run.spool.own_copy() if run.spool is not None else None
    mine = copy.copy(run)
    mine.rendered, mine.noted, mine.inputs, mine.spool = {}, {}, {}, spool
    outputs = {route.path: render_route(mine, route) for route in chosen}
    if data:  # they show nothing of discovery either (papers.json: 0.14 s at 10k papers)
        for path, made in data_outputs(mine).items():
            outputs[path] = parked(mine, path, made) if isinstance(made, bytes) else made
    return mine.rendered, spool.parked() if spool else None, outputs, mine.noted, mine.inputs


def renders_beside_discovery(route: Route) -> bool:
    """Whether the side copy may render this page while discovery runs (it shows none)."""
    return route.kind not in SHOWS_DISCOVERY


def shows_nothing_of_discovery(site: Site) -> Iterator[Route]:
    """The pages a copy renders while discovery runs (from a model without it): no paper's
    own page (each shows its related papers), whose routes are not made (~20 ms at 10k)."""
    return filter(renders_beside_discovery, routes(site, papers=False).values())


class Made:
    """What a copy would make, made in this process instead (as Run.launched holds a copy's)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        """The value."""
        return self.value

    def abandon(self) -> None:
        """Nothing runs to stop."""


def data_here(side: Run) -> dict[str, tuple[str, Any]]:
    """papers.json and the other data files, made in this process while a copy makes
    discovery (EarlyDiscovery: this process would only wait) rather than after the side
    copy's lists (at 10k papers, 0.18 s off the side copy's search index and lists):
    Run.launched's "data"."""
    return {"data": ("", Made(render_routes(side, (), data=True)))}


def absorb(run: Run, outputs: Outputs, done: Rendered) -> None:
    """Take in what a forked copy rendered: its page keys, spooled files and outputs."""
    rendered, spooled, more, noted, inputs = done
    run.rendered.update(rendered)
    run.noted.update(noted)
    run.inputs.update(inputs)
    if run.spool is not None and spooled is not None:
        run.spool.adopt(spooled)
    outputs.update(more)


def render_all(run: Run, early: set[str]) -> Outputs:
    """Every page not rendered early, in a forked renderer and this process when the run forks.

    The renderer is forked once the side copy (the search index, then the lists) is done,
    and takes the last part of the pages left then (renderer_start); this process renders
    from the first meanwhile. At 100k papers, the side copy beside two renderers held
    4.3 GB between them.
    """
    lists = run.launched.pop("lists", (None, None))[1]
    data = run.launched.pop("data", (None, None))[1]  # made already (data_here), if anything
    here = run.launched.pop("lists-here", (None, None))[1]  # lists this process takes
    # Unchanged, only the pages of papers that changed are made: no copy is worth its fork.
    forks = run.fork and not run.site_unchanged()
    if forks:  # most pages are made again
        share_before_fork(run)
    # Views are made one at a time and dropped once rendered: at 100k papers a list
    # of them all would hold every paper's rendered abstract at once.
    todo = [r for r in routes_here(run.model.site, bool(lists)) if r.path not in early]
    progress, outputs, helper = run.options.progress, {}, None
    end, number = len(todo), 0
    try:
        while number < end:
            ready = not lists or number % LOOK_EVERY == 0 and lists.done()
            if forks and helper is None and ready and len(todo) - number > 1:
                end = renderer_start(len(todo), number)
                helper = Forked(render_routes, run, todo[end:])
                continue  # this process's part may have ended where it is
            route = todo[number]
            outputs[route.path] = render_route(run, route)
            number += 1
            if progress is not None and number % 200 == 0:
                progress(number, end)
        if here is not None:  # the lists the side copy has not come to yet
            here.finish()
            for done in here.result():
                absorb(run, outputs, done)
        # The renderer first: it is gone before the side copy's values (the search index's
        # files and memo, ~300 MB at 100k papers) are read in here.
        for copy_ in (helper, lists, data):
            done = copy_.result() if copy_ is not None else None
            if done is not None:
                absorb(run, outputs, done)
    except BaseException:
        for copy_ in (lists, helper, here):
            if copy_ is not None:
                copy_.abandon()
        raise
    return outputs
