"""A CLI build's first step: a forked copy does work the build needs soon on the second core,
idle until the build's own copies fork, while this process loads the rest of sitegen and its
cache. In order:
- for `sitegen add`, and `sitegen build` with no last build to compare with, it walks the
  inputs for the stamp the build is recorded under (the `walk`: noop.input_lines, 0.1 s at
  10k papers on a slow VM, 40 ms on a quick one), before anything reads them;
- it reads and hashes the inputs not known by their stat (`read_ahead`, through
  `known.known_ahead`), which the build then takes by their stat (`known.take_ahead`)
  instead of reading them itself (at 10k papers just ingested, ~0.1 s of the build's
  ~0.12 s read); with them it hands over its listing of the pages and their stats,
  which the build's first pass over them takes instead of making its own
  (`known.KnownFiles.listed`: ~40 ms at 10k papers);
- it compiles the templates into the user's cache of compiled templates
  (`render.compile_into_cache`), where every later copy finds them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitegen.errors import SitegenError
from sitegen.workers import Forked, forking_pays

if TYPE_CHECKING:
    from sitegen.cache import BuildCache
    from sitegen.known import Listed


class Ahead:
    """The copy started ahead of a build (none without a second core, or when not wanted)."""

    def __init__(self, copy: Forked | None, walk: Callable[[], Any] | None = None) -> None:
        self.copy, self.taken = copy, False
        self.walk, self.walked = walk, None  # the walk, and what it found

    def known_into(self, cache: BuildCache) -> None:
        """Wait for the inputs the copy read, and put them in the cache's stat memos (once);
        before that, for the walk (what it found: `walked`), made here if the copy is gone."""
        if self.taken:
            return
        self.taken = True
        if self.walk is not None:
            self.walked = self.next_part()
            if self.walked is None:  # no copy (or it died): walked here, before any read
                self.walked = self.walk()
        found = self.next_part()
        if found is not None:  # else the build reads them itself
            from sitegen.known import take_ahead

            take_ahead(cache, found)

    def next_part(self) -> Any:
        """The copy's next part, None if it is gone (one that died cost only its time)."""
        if self.copy is None:
            return None
        try:
            return self.copy.early_part(self.copy.taken)
        except SitegenError:  # it died (its result is read)
            self.copy = None
            return None

    def finish(self) -> None:
        """Wait for the copy (done long before; one that died cost only its time)."""
        if self.copy is not None:
            with contextlib.suppress(SitegenError):
                self.copy.result()


@contextlib.contextmanager
def started(
    root: Path, wanted: bool = True, walk: Callable[[], Any] | None = None
) -> Iterator[Ahead]:
    """While the block runs, the copy works ahead of the build (not `wanted`: --clean, which
    keeps neither a cache nor compiled templates; `walk` is then made in this process)."""
    copy = None
    if wanted and forking_pays():
        with contextlib.suppress(OSError):  # no fork now: the build does it all itself
            copy = Forked(work_ahead, root, walk)
    ahead = Ahead(copy, walk)
    try:
        yield ahead
    finally:
        ahead.finish()


def work_ahead(root: Path, walk: Callable[[], Any] | None = None) -> Iterator[object]:
    """In the copy: the walk, then the inputs read ahead (the build waits for both at its
    first read), then the templates compiled (wanted only when the build's own copies fork)."""
    if walk is not None:
        yield walk()
    yield read_ahead(root)
    from sitegen.render import compile_into_cache

    compile_into_cache(root)
    yield None


def read_ahead(root: Path) -> dict[str, tuple[str, Listed | None, dict[str, tuple]]]:
    """The pages and dumps the build will read, read and hashed where their stat is not
    known, by kind: their folder, the pages with their stats (known.KnownFiles.listed; None
    for the dumps, a hundred at 10k papers, which ingest's parse_aside lists first, or for a
    folder that is not there) and the stat memo entries each kind's pass would make of them
    (known.take_ahead)."""
    from sitegen.cache import BuildCache
    from sitegen.catalog import page_files
    from sitegen.ingest import dump_files
    from sitegen.known import known_ahead, stat_memo

    cache, content = BuildCache.load(root, parsed=False), root / "content"
    if not cache.saved:  # no cache (a first build): nothing parsed to take by a stat
        return {}
    papers, dumps = content / "papers", content / "dumps"

    def known(kind: str) -> dict[str, tuple]:
        return cache.recall(stat_memo(kind), "") or {}

    pages = page_files(papers) if papers.is_dir() else None
    listed, read = known_ahead(pages or [], known("page"))
    _, dumps_read = known_ahead([str(path) for path in dump_files(dumps)], known("dump"))
    return {
        "page": (str(papers), listed if pages is not None else None, read),
        "dump": (str(dumps), None, dumps_read),
    }
