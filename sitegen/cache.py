"""The build cache (<root>/.sitegen-cache/): what the last build already did, by content hash.

Two maps, as in Pelican's cache stamped with content hashes:
- parsed: content hash of an input file -> its parsed form (Page or Dump), so
  only changed files are re-parsed;
- memos: derived values (discovery) by the key of their inputs.
Which page was rendered from which key lives with the output, in its manifest
(sitegen/output.py), so the cache holds nothing that depends on the output folder.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from sitegen import __version__
from sitegen.fsio import MAX_ASSET_BYTES, read_input, write_atomic
from sitegen.plain import decode, encode

CACHE_DIR = ".sitegen-cache"
CACHE_FILE = "build.cache"  # plain data (sitegen/plain.py), never a pickle: loading runs no code
MAGIC = b"sitegen-cache 1\n"
FORMAT = 4
Noted = tuple[str, str, int]  # an output file as a build left it: (page key, hash, ctime_ns)
Groups = dict[str, tuple[str, tuple[str, ...]]]  # outputs made together: name -> (key, paths)


def digest(*parts: bytes | str) -> str:
    """A short stable hash of some byte strings."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        # surrogatepass: YAML escapes can put a lone surrogate in a title; it still hashes
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def write_plain(data: dict[str, Any], handle: BinaryIO) -> None:
    """The cache file: a header, the hash of the payload, then the payload (marshal)."""
    with no_gc():
        payload = marshal.dumps(encode(data))
    handle.write(MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload)


def read_plain(path: Path) -> Any:
    """What write_plain wrote; ValueError if the file is damaged or not a cache."""
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError("not a sitegen cache")
        expected, payload = handle.read(32), handle.read()
    if hashlib.blake2b(payload, digest_size=32).digest() != expected:
        raise ValueError("damaged cache")  # a torn or edited file: start cold
    with no_gc():
        tree = marshal.loads(payload)
        del payload  # 40 MB at 10k papers: not held while the objects are made
        return decode(tree)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector: making 100k's of objects would run it over and over,
    scanning the whole heap each time (it cost more than the decoding itself)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def tree_fingerprint(folders: list[Path]) -> str:
    """Hash of every file's relative path and bytes under some folders."""
    parts: list[bytes | str] = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts += [path.relative_to(folder).as_posix(), read_input(path, MAX_ASSET_BYTES)]
    return digest(*parts)


@dataclass
class BuildCache:
    """Parsed inputs and memos from earlier builds of one site."""

    folder: Path | None = None  # None: in memory only
    stamp: str = ""
    parsed: dict[str, Any] = field(default_factory=dict)
    memos: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (key, value)
    # Output folder -> per file, as the last build into it left it: (page key, hash, ctime).
    # Keyed by folder: a page made for one output is no reason to skip it in another.
    # Groups (the search index) are remembered the same way, by their key.
    outputs: dict[str, tuple[dict[str, Noted], Groups]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # parsed keys this build asked for
    # In memory only (never saved): the compiled templates, reused while the stamp holds.
    environment: tuple[str, Any] | None = field(default=None, repr=False)
    hits: int = 0
    misses: int = 0
    saved: bool = False  # whether the file holds what this cache held when loaded or saved
    dirty: bool = False  # whether anything changed since

    @classmethod
    def load(cls, root: Path) -> BuildCache:
        """Read the cache of a site; a missing, old or damaged cache is an empty one."""
        folder = root / CACHE_DIR
        try:
            data = read_plain(folder / CACHE_FILE)
            if data.get("format") == FORMAT and data.get("version") == __version__:
                return cls(
                    folder,
                    data["stamp"],
                    data["parsed"],
                    data["memos"],
                    data["outputs"],
                    saved=True,
                )
        except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError, ImportError):
            # Any unreadable cache is just a cold start (a damaged or foreign one too).
            pass
        return cls(folder)

    def save(self) -> None:
        """Write the cache atomically (a crash leaves the previous one), if anything changed."""
        if self.folder is None or (self.saved and not self.dirty):
            return
        data = {
            "format": FORMAT,
            "version": __version__,
            "stamp": self.stamp,
            "parsed": self.parsed,
            "memos": self.memos,
            "outputs": self.outputs,
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".gitignore").write_text("*\n")
        write_atomic(self.folder / CACHE_FILE, partial(write_plain, data))
        self.saved, self.dirty = True, False

    def outputs_of(self, output: Path) -> tuple[dict[str, Noted], Groups]:
        """What the last build into an output folder made there: per file, and groups."""
        return self.outputs.get(str(output.resolve()), ({}, {}))

    def note_outputs(self, output: Path, files: dict[str, Noted], groups: Groups) -> None:
        """Remember what a build committed into an output folder."""
        folder = str(output.resolve())
        self.dirty |= self.outputs.get(folder) != (files, groups)
        self.outputs[folder] = (files, groups)

    def restamp(self, stamp: str) -> None:
        """Record the settings stamp (every page key includes it)."""
        self.dirty |= stamp != self.stamp
        self.stamp = stamp

    def parse(self, kind: str, key: str, make: Any) -> Any:
        """The parsed form of an input with this content key, made once."""
        full = f"{kind}:{key}"
        self.used.add(full)
        if full in self.parsed:
            self.hits += 1
            return self.parsed[full]
        self.misses += 1
        self.dirty = True
        value = self.parsed[full] = make()
        return value

    def memo(self, name: str, key: str, make: Any) -> Any:
        """A derived value (e.g. related papers) recomputed only when its inputs' key changes."""
        old = self.memos.get(name)
        if old is not None and old[0] == key:
            return old[1]
        value = make()
        self.memos[name] = (key, value)
        self.dirty = True
        return value

    def recall(self, name: str, key: str) -> Any:
        """The value memoised under a name, if its key is this one (else None)."""
        old = self.memos.get(name)
        return old[1] if old is not None and old[0] == key else None

    def keep(self, name: str, key: str, value: Any) -> None:
        """Memoise a value under a name and key (replacing what the name held)."""
        self.dirty |= self.memos.get(name) != (key, value)
        self.memos[name] = (key, value)

    def prune(self) -> None:
        """Forget parsed inputs this build didn't use, so the cache doesn't grow forever."""
        kept = {k: v for k, v in self.parsed.items() if k in self.used}
        self.dirty |= len(kept) != len(self.parsed)
        self.parsed, self.used = kept, set()
