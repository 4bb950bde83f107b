"""Where build work runs: inline, in a forked copy of this process, or in a warm worker.

The only module of the build that knows about processes. A CLI build (no threads
run) forks: one copy renders a share of the paper pages while this process renders
the rest and every list page, and another builds the search index. A preview
(`serve`, threads run, so no fork) sends the search index to its warm worker.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sitegen.build.options import BuildOptions, Preview
from sitegen.build.run import Run, render_view
from sitegen.cache import BuildCache
from sitegen.output import Kept, Outputs
from sitegen.views.listing import Site
from sitegen.views.pages import Route, routes
from sitegen.workers import Forked

# With a forked renderer, the share of paper pages this process keeps: it also renders
# every list page (theme, A–Z, dump pages), which cost about as much again (profiled at 10k).
OWN_SHARE = 0.4
# (part, fraction): part 0 takes `fraction` of the paper pages (spread evenly) and every
# other page; part 1 takes the remaining paper pages. (0, 1.0) is the whole site.
Share = tuple[int, float]
WHOLE: Share = (0, 1.0)
Job = Callable[[], Outputs]  # waits for (or makes) a group of outputs started earlier


def can_fork(options: BuildOptions, preview: Preview | None) -> bool:
    """Whether this build may fork: asked to, no preview (its threads), and a second core."""
    cores = os.cpu_count() or 1
    return options.fork and preview is None and hasattr(os, "fork") and cores > 1


def start(run: Run, function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Start function(*args) where this run puts side work; the call returned waits for it."""
    if run.fork:
        return Forked(function, *args).result
    if run.options.executor is not None:
        return run.options.executor.submit(function, *args).result
    return partial(function, *args)


def launch_early(
    cache: BuildCache, output: Path, name: str, key: str, make: Callable[..., Any], *args: Any
) -> tuple[str, Forked] | None:
    """Start a group in a forked copy before the model is made (a CLI build: discovery then
    runs on one core while the copy uses the other); None when the last build into this
    output made the group with this key (start_group then checks its files)."""
    _, groups = cache.outputs_of(output)
    if groups.get(name, ("", ()))[0] == key:
        return None
    return key, Forked(make, *args)


def start_group(run: Run, name: str, key: str, make: Callable[..., Outputs], *args: Any) -> Job:
    """Start outputs made together (the search index) unless their key is unchanged; a copy
    launched early with the same key (run.launched) is used instead of starting another."""
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
        outputs = result()
        run.groups[name] = (key, tuple(sorted(outputs)))
        run.rendered.update(dict.fromkeys(outputs, key))
        return outputs

    return collect


def in_share(count: int, share: Share) -> bool:
    """Whether the count-th paper page (from 0) belongs to this share."""
    part, fraction = share
    first = int((count + 1) * fraction) > int(count * fraction)
    return first if part == 0 else not first


def routes_in_share(site: Site, share: Share) -> Iterator[Route]:
    """The routes of one share: its paper pages, and (part 0) every other page."""
    count = 0
    for route in routes(site).values():
        if route.kind != "paper":
            if share[0] == 0:
                yield route
            continue
        if in_share(count, share):
            yield route
        count += 1


def render_share(run: Run, early: set[str], share: Share) -> tuple[dict, dict, Outputs, dict]:
    """In a forked copy: render one share of the pages; (page keys, spooled, outputs, noted).

    The copy shares the whole model (nothing pickled over), renders into the spool
    and sends back only what the cache needs.
    """
    spool = copy.copy(run.spool)  # this copy's own records of parked files
    if spool is not None:
        spool.records = {}
    mine = copy.copy(run)
    mine.rendered, mine.noted, mine.spool = {}, {}, spool
    outputs = {
        route.path: render_view(mine, route.make())
        for route in routes_in_share(run.model.site, share)
        if route.path not in early
    }
    return mine.rendered, spool.records if spool else {}, outputs, mine.noted


def render_all(run: Run, early: set[str]) -> Outputs:
    """Every page not rendered early, in a forked copy and this process when the run forks."""
    helper = Forked(render_share, run, early, (1, OWN_SHARE)) if run.fork else None
    share = (0, OWN_SHARE) if helper else WHOLE
    # Views are made one at a time and dropped once rendered: at 100k papers a list
    # of them all would hold every paper's rendered abstract at once.
    progress = run.options.progress
    expected = int(len(run.model.site.library.papers) * share[1])  # nearly all are papers
    outputs: Outputs = {}
    try:
        for number, route in enumerate(routes_in_share(run.model.site, share), start=1):
            if route.path not in early:
                outputs[route.path] = render_view(run, route.make())
            if progress is not None and number % 200 == 0:
                progress(min(number, expected), expected)
    except BaseException:
        if helper is not None:
            helper.abandon()
        raise
    if helper is not None:
        rendered, spooled, more, noted = helper.result()
        run.rendered.update(rendered)
        run.noted.update(noted)
        if run.spool is not None:
            run.spool.records.update(spooled)
        outputs.update(more)
    return outputs
