"""The build cache (<root>/.sitegen-cache/): what the last build already did, by content hash.

Two maps, as in Pelican's cache stamped with content hashes:
- parsed: content hash of an input file -> its parsed form (Page or Dump), so
  only changed files are re-parsed;
- memos: derived values (discovery) by the key of their inputs.
Which page was rendered from which key lives with the output, in its manifest
(sitegen/output.py), so the cache holds nothing that depends on the output folder.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sitegen import __version__
from sitegen.fsio import write_atomic

CACHE_DIR = ".sitegen-cache"
CACHE_FILE = "build.pickle"
PICKLE = pickle.HIGHEST_PROTOCOL
FORMAT = 3
Noted = tuple[str, str, int]  # an output file as a build left it: (page key, hash, ctime_ns)
Groups = dict[str, tuple[str, tuple[str, ...]]]  # outputs made together: name -> (key, paths)


def digest(*parts: bytes | str) -> str:
    """A short stable hash of some byte strings."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def tree_fingerprint(folders: list[Path]) -> str:
    """Hash of every file's relative path and bytes under some folders."""
    parts: list[bytes | str] = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
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

    @classmethod
    def load(cls, root: Path) -> BuildCache:
        """Read the cache of a site; a missing, old or damaged cache is an empty one."""
        folder = root / CACHE_DIR
        try:
            with open(folder / CACHE_FILE, "rb") as handle:
                data = pickle.load(handle)
            if data.get("format") == FORMAT and data.get("version") == __version__:
                return cls(
                    folder,
                    data["stamp"],
                    data["parsed"],
                    data["memos"],
                    data["outputs"],
                )
        except Exception:  # noqa: BLE001 - any unreadable cache is just a cold start
            pass
        return cls(folder)

    def save(self) -> None:
        """Write the cache atomically (a crash leaves the previous one)."""
        if self.folder is None:
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
        # Streamed into the file: at 100k papers the pickle is ~400 MB, too big to hold
        # as one bytes object next to the cache itself.
        write_atomic(self.folder / CACHE_FILE, partial(pickle.dump, data, protocol=PICKLE))

    def outputs_of(self, output: Path) -> tuple[dict[str, Noted], Groups]:
        """What the last build into an output folder made there: per file, and groups."""
        return self.outputs.get(str(output.resolve()), ({}, {}))

    def note_outputs(self, output: Path, files: dict[str, Noted], groups: Groups) -> None:
        """Remember what a build committed into an output folder."""
        self.outputs[str(output.resolve())] = (files, groups)

    def restamp(self, stamp: str) -> None:
        """Record the settings stamp (every page key includes it)."""
        self.stamp = stamp

    def parse(self, kind: str, key: str, make: Any) -> Any:
        """The parsed form of an input with this content key, made once."""
        full = f"{kind}:{key}"
        self.used.add(full)
        if full in self.parsed:
            self.hits += 1
            return self.parsed[full]
        self.misses += 1
        value = self.parsed[full] = make()
        return value

    def memo(self, name: str, key: str, make: Any) -> Any:
        """A derived value (e.g. related papers) recomputed only when its inputs' key changes."""
        old = self.memos.get(name)
        if old is not None and old[0] == key:
            return old[1]
        value = make()
        self.memos[name] = (key, value)
        return value

    def prune(self) -> None:
        """Forget parsed inputs this build didn't use, so the cache doesn't grow forever."""
        self.parsed = {k: v for k, v in self.parsed.items() if k in self.used}
        self.used = set()
