"""Input files known by their stat: an unchanged file is not read or hashed again.

Ingest and the build parse pages and dumps by content hash (BuildCache.parse), but
finding that hash meant reading and hashing every file on every run (~1 s for 10k
pages and their dumps). Here, the stat of each file read (size, mtime, ctime, inode)
is kept in the build cache with its content key, one memo per kind of input. A file
whose stat is unchanged holds the same bytes (a write, rename or `touch` changes its
ctime, which can't be set back by hand), so its parsed form is taken by that key.

As in noop.py (and git's "racily clean" entries), a stat too recent to be trusted
(file times tick coarsely) is not remembered: that file is read again next time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sitegen.cache import BuildCache, digest
from sitegen.errors import SitegenError
from sitegen.fsio import read_input, read_input_and_stat
from sitegen.noop import file_clock_ns, is_racy

Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_of(path: Path | str) -> Stat | None:
    """A file's stat as the memo keeps it (None if it can't be had: read it to find out)."""
    try:
        s = os.stat(path)
    except OSError:
        return None
    return as_stat(s)


def as_stat(s: os.stat_result) -> Stat:
    """A stat as the memo keeps it."""
    return s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino


def content_key(path: Path | str, data: bytes) -> str:
    """The key an input file's parsed form is cached by (BuildCache.parse): path and bytes."""
    return digest(str(path), data)


def trusted(stat: Stat, now: int) -> bool:
    """Whether a stat is old enough that a later change would show in it."""
    return not is_racy(stat[2], now)


KINDS = ("page", "dump")  # the inputs known by their stat


def stat_memo(kind: str) -> str:
    """The build cache's memo of one kind of input's stats."""
    return f"{kind}-stats"


def read_parsed(path: Path, parse: Callable[[Path, bytes, str], Any]) -> Any:
    """A file read and parsed (parse as KnownFiles.load takes it)."""
    data = read_input(path)
    return parse(path, data, content_key(path, data))


class KnownFiles:
    """The stat memo of one kind of input ("page", "dump") for one pass over its files.

    `load` each file, then `remember()`: the memo then holds the files of this pass only.
    The pages' first pass takes the files and stats the copy started ahead of the build
    found (`listed`), if it has them.
    """

    def __init__(self, cache: BuildCache, kind: str):
        self.cache, self.kind = cache, kind
        self.memo = stat_memo(kind)
        # path -> (*stat, content key), flat: one cache record per file
        self.known: dict[str, tuple] = cache.recall(self.memo, "") or {}
        self.seen: dict[str, tuple] = {}
        self.now = file_clock_ns()
        self.stats: Listed = {}  # the stats a copy found (listed), each taken once by load

    def listed(self, folder: str) -> list[str] | None:
        """The files of a folder as the copy started ahead of this build listed them, in order,
        their stats taken with them (at 10k pages, ~40 ms of listing and stats not made again
        here); None if it listed none there (nor a folder that was not there), or another
        pass took its listing.

        Taken once: a later pass (ingest may write pages) lists the folder as it is then. The
        copy listed it after the build's record walked it (ahead.started), as this process
        would have: a page edited since is read by the next build, as one edited later."""
        found = self.cache.listed.get(self.kind)
        if found is None or found[0] != folder:
            return None
        del self.cache.listed[self.kind]
        self.stats = found[1]
        return list(self.stats)

    def load(self, file: Path | str, parse: Callable[[Path, bytes, str], Any]) -> Any:
        """The parsed form of a file: by its stat when unchanged, else read and hashed.
        parse(path, data, key) is handed the file's content key (content_key) with its bytes."""
        name = str(file)
        stat = self.stats.pop(name) if name in self.stats else stat_of(file)
        entry = self.unchanged(name, stat)
        if entry is not None:
            self.seen[name] = entry
            return self.cache.parse(self.kind, entry[4], lambda: read_parsed(Path(file), parse))
        # The file as read and its stat then (of the file read: a rename over it since
        # leaves the next pass a new stat to miss); no Path unless it is parsed now.
        data, after = read_input_and_stat(name)
        key = content_key(name, data)
        value = self.cache.parse(self.kind, key, lambda: parse(Path(name), data, key))
        if stat is not None and trusted(stat, self.now) and as_stat(after) == stat:
            self.seen[name] = (*stat, key)  # unchanged while it was read
        return value

    def unchanged(self, name: str, stat: Stat | None) -> tuple | None:
        """A file's memo entry if its stat is as remembered and its parsed form is cached."""
        entry = self.known.get(name)
        if stat is None or entry is None or entry[:4] != stat:
            return None
        return entry if f"{self.kind}:{entry[4]}" in self.cache.parsed else None

    def to_read(self, files: list[Path]) -> list[Path]:
        """The files that load would read and parse."""
        return [file for file in files if self.unchanged(str(file), stat_of(file)) is None]

    def remember(self) -> None:
        """Keep this pass's stats in the build cache (the files gone since are dropped)."""
        self.cache.keep(self.memo, "", self.seen)


def vouch(cache: BuildCache, kind: str, keys: dict[Path, str]) -> dict[Path, Stat | None]:
    """Of these files and the content keys they were written with, those that still hold
    it, with their stats (None: too recent to be trusted); the trusted ones are remembered,
    so the next pass takes them without reading them."""
    if not keys:  # most rebuilds in `serve` ingest nothing: the memo is not even read
        return {}
    memo = stat_memo(kind)
    known, now, same = dict(cache.recall(memo, "") or {}), file_clock_ns(), {}
    for path, key in keys.items():
        stat = stat_of(path)
        try:
            data = read_input(path)
        except SitegenError:
            continue
        if stat is None or content_key(path, data) != key:
            continue
        same[path] = stat if trusted(stat, now) and stat_of(path) == stat else None
        if same[path] is not None:  # unchanged while it was read
            known[str(path)] = (*stat, key)
    cache.keep(memo, "", known)
    return same


# Files of a folder as a copy found them, in order, each with its stat (None: none to be had).
Listed = dict[str, Stat | None]


def known_ahead(files: Iterable[str], known: dict[str, tuple]) -> tuple[Listed, dict[str, tuple]]:
    """In a copy forked as a build starts (sitegen.ahead): the files with their stats, and the
    memo entries (*stat, key) KnownFiles.load would keep of those its memo (`known`) does not
    know, read and hashed now: those whose stat is old enough to trust and held while read."""
    now, listed, found = file_clock_ns(), {}, {}
    for name in files:
        stat = listed[name] = stat_of(name)
        entry = known.get(name)
        if stat is None or not trusted(stat, now) or entry is not None and entry[:4] == stat:
            continue
        try:
            data, after = read_input_and_stat(name)
        except SitegenError:
            continue  # the build's own read says what is wrong
        if as_stat(after) == stat:
            found[name] = (*stat, content_key(name, data))
    return listed, found


def take_ahead(
    cache: BuildCache, found: dict[str, tuple[str, Listed | None, dict[str, tuple]]]
) -> None:
    """Take what a copy read ahead, by kind: (its folder, the files it listed there with their
    stats or None, known_ahead's memo entries). The entries go in the cache's stat memos: a
    file whose stat is still theirs is then taken by its key, as one a build read before. A
    listing is the build's first pass over that folder's files (KnownFiles.listed)."""
    for kind, (folder, listed, entries) in found.items():
        if listed is not None:
            cache.listed[kind] = (folder, listed)
        if entries:
            memo = stat_memo(kind)
            cache.keep(memo, "", {**(cache.recall(memo, "") or {}), **entries}, new=True)
