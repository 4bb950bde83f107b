"""The build cache (<root>/.sitegen-cache/): what the last build already did, by content hash.

Three maps, as in Pelican's cache stamped with content hashes:
- parsed: content hash of an input file -> its parsed form (Page or Dump), so
  only changed files are re-parsed;
- memos: derived values (discovery, the search memo, ingest's verdicts) by the key of
  their inputs;
- outputs: per output folder, the keys, hash and ctime of each file the last build left.

Each is stored in files of its own (PARTS), so a build reads a memo only when a stage
asks for it, and writes only the parts that changed: editing one page's notes rewrites
one or two of the parsed buckets, the search memo and the outputs, not the discovery
memos (a build's new parsed inputs go together into one bucket, and an entry stays in
the bucket it was read from, so a new dump rewrites one bucket, not all). Every part is
plain data with a hash (write_plain), written atomically; the head (format, version,
stamp, each memo's key) is written last. A part that is missing, damaged or from another
build is read as empty (a memo whose key is not the head's is not used), so a build
killed between two writes leaves parts that are each whole and each trusted
only for what its own key says.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import mmap
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, BinaryIO

from sitegen import __version__
from sitegen.fsio import MAX_ASSET_BYTES, read_input, write_atomic
from sitegen.plain import (
    NESTS,
    class_name,
    decode,
    encode,
    object_kind,
    object_record,
    object_rows,
    object_rows_of,
    values,
    verbatim,
)
from sitegen.records import mutable

CACHE_DIR = ".sitegen-cache"
# Every file of the cache is plain data (sitegen/plain.py), never a pickle: loading runs no code.
HEAD_FILE = "head.cache"  # format, version, stamp, the key of each memo: written last
OLD_FILE = "build.cache"  # the whole cache in one file, before it was split: removed
PARSED_BUCKETS = 32  # parsed inputs are spread over this many files
FRESH_ROOM = 512  # a build's new inputs share one bucket up to this many (or an average share)
MAGIC = b"sitegen-cache 7\n"  # 3: records length-prefixed; 4: a CRC-32; 5: PAIRS chunks
# 6: PAIRS records keys and values apart, values verbatim (plain.verbatim); VERBATIM records
# 7: ROWS records
CHECK = 4  # bytes of the check at the end of a cache file
FORMAT = 8  # 6: discovery kept packed (model.discovery.plain_discovery)
# 7: page bodies without trailing whitespace; memos and outputs as dicts (streamed)
# 8: lists of objects, and a streamed dict's objects, as rows (plain.object_rows, ROWS)
# An output file as a build left it: (page key, hash, ctime_ns, input key or "").
Noted = tuple[str, str, int, str]
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


@lru_cache(maxsize=1 << 17)
def text_digest(title: str, abstract: str) -> str:
    """digest(title, abstract), remembered: a paper's text keys its memos (the keyword
    stage's seed, its tokens, its later key-term candidates), and each asks in every
    preview rebuild (a lookup by the strings' cached hashes, not a hash of their bytes)."""
    return digest(title, abstract)


def write_plain(data: Any, handle: BinaryIO) -> None:
    """A cache file: MAGIC, the value as a stream of marshal records, then their CRC-32.

    Streamed: a dict (at any depth of dicts) is a STREAMED marker, then its items: those
    whose value is a dict as a key record and the dict streamed, runs of sitegen's objects
    as ROWS records and the others as PAIRS records, of up to PAIRS_ITEMS keys and values
    each (a big value goes alone). So a part is never encoded whole (at
    100k papers the cache was encoded into one 744 MB bytes object when saved), and a dict
    of 10k's of strings (the search memo's postings and entries) is a few records, not a
    record per key and value (two marshal calls and a checksum each: 0.12 s a build at 10k).
    Values made of scalars, tuples and lists (PAIRS values, VERBATIM records) are written
    as they are and read back after one check (plain.verbatim), not encoded item by item:
    the search memo at 10k (38 MB) is written in 61 ms and read in 43 ms, not 97 and 78.
    """
    # A check against torn or edited files, not an adversary (a crafted file can only be
    # plain data: sitegen/plain.py); CRC-32 runs at twice blake2b's speed (33 MB at 10k pages).
    crc = 0

    def put(record: Any) -> None:
        nonlocal crc
        if type(record) in RAW_KINDS and len(record) >= RAW_FROM:
            crc = bytes_record(handle, memoryview(record).cast("B"), crc)
            return
        chunk = marshal.dumps(record)
        # Length-prefixed: read back by marshal.loads of a slice (marshal.load of a stream
        # calls back into the stream for every string, which cost 0.5 s a build at 10k).
        size = len(chunk).to_bytes(4, "little")
        crc = zlib.crc32(chunk, zlib.crc32(size, crc))
        handle.write(size)
        handle.write(chunk)

    def stream(value: Any) -> None:
        if isinstance(value, TextsOnDisk):  # read back whole: a list is one record
            # (~180 MB at 100k papers, text and record, once the index's files are parked
            # and discovery's peak is past: a side copy stores its memo last)
            value = list(value)
        if type(value) is not dict and not isinstance(value, BytesOnDisk):
            put([VERBATIM, value] if type(value) in NESTS and verbatim(value) else encode(value))
            return
        put([STREAMED, len(value)])
        batch = Batch(put)
        for key, item in value.items():
            bytes_, kind = pair_size(item), None
            if bytes_ < 0 and object_kind(type(item)):  # one of sitegen's objects: a row
                kind, item = type(item), object_rows([item])[0]
                bytes_ = len(marshal.dumps(item))  # in C: nest_size's walk took 0.1 s at 10k
            if 0 <= bytes_ <= PAIRS_VALUE:
                batch.add(key, item, kind, bytes_)
                continue
            batch.flush()  # its own records: a dict streamed, or one big value alone
            put(encode(key))
            if kind is None:
                stream(item)
            else:  # an object's row, made already: as encode makes it
                put(object_record(kind, item))
        batch.flush()

    handle.write(MAGIC)
    with no_gc():
        stream(data)
    handle.write(crc.to_bytes(CHECK, "little"))


class Batch:
    """The next record of a streamed dict's items (write_plain): PAIRS of plain values, or
    ROWS of objects of one class (`kind`), each as plain.object_rows makes it."""

    def __init__(self, put: Callable[[Any], None]) -> None:
        self.put, self.kind = put, None
        self.keys: list[Any] = []
        self.items: list[Any] = []
        self.size = 0  # their bytes, about

    def add(self, key: Any, item: Any, kind: type | None, size: int) -> None:
        """Add an item (a row, for a `kind`): its record is put once full, or when an item of
        another kind comes (the dict's order is kept)."""
        if kind is not self.kind:
            self.flush()
            self.kind = kind
        self.keys.append(key if type(key) is str else encode(key))
        self.items.append(item)
        self.size += size
        if len(self.keys) >= PAIRS_ITEMS or self.size >= PAIRS_BYTES:
            self.flush()

    def flush(self) -> None:
        """Put the record of the items added since the last (none: nothing)."""
        if self.keys:
            if self.kind is None:
                self.put([PAIRS, self.keys, self.items])
            else:
                self.put([ROWS, *class_name(self.kind), self.keys, self.items])
        self.keys, self.items, self.size = [], [], 0


def bytes_record(handle: BinaryIO, data: memoryview, crc: int) -> int:
    """Write a write_plain record of bytes from where they lie; the CRC-32 that follows it."""
    # Marshal's own record of bytes (no FLAG_REF: a read needs none): marshal.dumps would
    # copy them first (discovery's kept vectors: 36 MB an array at 100k papers).
    head = MARSHAL_BYTES + len(data).to_bytes(4, "little")
    size = (len(head) + len(data)).to_bytes(4, "little")
    handle.write(size)
    handle.write(head)
    handle.write(data)
    return zlib.crc32(data, zlib.crc32(head, zlib.crc32(size, crc)))


# Bytes of at least RAW_FROM are written as marshal's record of them (its type code, then
# their length), not copied by marshal.dumps; a read is marshal.loads as for any record.
RAW_KINDS, RAW_FROM, MARSHAL_BYTES = frozenset((bytes, memoryview)), 1 << 20, b"s"
STREAMED = "R"  # a record [STREAMED, n]: a dict of n items follows (encode never makes it)
PAIRS = "K"  # a record [PAIRS, keys, values]: some of a streamed dict's items (nor this)
# A record [ROWS, module, class name, keys, rows]: some of a streamed dict's items, objects of
# one of sitegen's classes (plain.object_rows): 10k parsed pages in 3 records, not 20k
ROWS = "W"
VERBATIM = "V"  # a record [VERBATIM, value]: a list or tuple that plain.verbatim allows
# A PAIRS record holds at most so many items and about so many bytes: it is encoded whole,
# and a dict of a few big values (discovery's columns: ~200 MB at 100k papers) held twice.
PAIRS_ITEMS, PAIRS_BYTES, PAIRS_VALUE = 4096, 1 << 20, 1 << 16


def pair_size(item: Any) -> int:
    """The bytes a value takes in a PAIRS record (about), or -1 when it goes in none: a dict
    (streamed), an object (in a ROWS record, if its row is small enough), or more than
    PAIRS_VALUE bytes (in records of its own). Scalars, and
    tuples and lists of them (the outputs record's and the stat memos' values, the later
    papers' candidates, the search memo's words as written) go in one: a record each was
    two marshal calls and checksums, 45 ms of the outputs record at 10k."""
    kind = type(item)
    if kind in SIZED:
        return len(item) if len(item) <= PAIRS_VALUE else -1
    if kind is tuple or kind is list:
        return nest_size(item, PAIRS_VALUE)
    return 8 if kind in SMALL else -1


def nest_size(item: tuple | list, room: int) -> int:
    """pair_size of a tuple or list, or -1 if it holds another kind or takes more than room."""
    size = 8 * len(item)
    for part in item:
        kind = type(part)
        if kind in SIZED:
            size += len(part)
        elif kind is tuple or kind is list:
            inner = nest_size(part, room - size)
            if inner < 0:
                return -1
            size += inner
        elif kind not in SMALL:
            return -1
        if size > room:
            return -1
    return size


SIZED = frozenset((str, bytes))
SMALL = SIZED | {int, float, bool, type(None)}  # tuples of these go in PAIRS records


class SpillFile:
    """Bytes kept in an unnamed file, not in memory, until a memo is written: appended a
    megabyte at a time, read back by their span. For a memo made item by item in a forked
    copy (the search memo's entries and text chunks: ~260 MB there at 100k papers)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file: BinaryIO | None = None  # opened when a megabyte waits (flush)
        self.written = 0  # bytes in the file; those after it wait in `pending`
        self.pending = bytearray()
        self.full = False  # the disk took no more: the rest stays in memory

    def append(self, data: bytes) -> tuple[int, int]:
        """Keep some bytes; their span (offset, length), to read them back."""
        span = (self.written + len(self.pending), len(data))
        self.pending += data
        if len(self.pending) >= 1 << 20 and not self.full:
            try:
                self.flush()
            except OSError:  # a full disk (or no folder): handed back, not written (MemoSlot)
                self.full = True
        return span

    def read(self, span: tuple[int, int]) -> bytes:
        """The bytes appended at a span."""
        offset, length = span
        if offset >= self.written:  # not written yet (reading never writes: a full disk)
            return bytes(self.pending[offset - self.written : offset - self.written + length])
        assert self.file is not None  # something was written
        return os.pread(self.file.fileno(), length, offset)

    def flush(self) -> None:
        """Write what waits in memory to the file (all of it, or, failing, none)."""
        if self.file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Unbuffered: written and read at offsets (a full disk leaves nothing buffered).
            self.file = tempfile.TemporaryFile(dir=self.folder, buffering=0)  # noqa: SIM115
        done, fd = 0, self.file.fileno()
        with memoryview(self.pending) as waiting:
            while done < len(waiting):
                done += os.pwrite(fd, waiting[done:], self.written + done)
        self.written += done
        self.pending = bytearray()

    def close(self) -> None:
        """Let the file go (what it held is gone with it)."""
        if self.file is not None:
            self.file.close()


class BytesOnDisk(MutableMapping[str, bytes]):
    """A str -> bytes mapping whose values wait in a SpillFile; write_plain streams it as a
    dict (read back, it is one)."""

    def __init__(self, spill: SpillFile):
        self.spill = spill
        self.spans: dict[str, tuple[int, int]] = {}  # key -> span, in the order made

    def __setitem__(self, key: str, value: bytes) -> None:
        self.spans[key] = self.spill.append(value)  # set again: its newest value

    def __getitem__(self, key: str) -> bytes:
        return self.spill.read(self.spans[key])

    def __delitem__(self, key: str) -> None:
        del self.spans[key]  # its bytes stay in the file, unread

    def __contains__(self, key: object) -> bool:
        return key in self.spans  # Mapping's would read the bytes (or raise for a miss)

    def __iter__(self) -> Iterator[str]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)


class TextsOnDisk(Sequence[str]):
    """A list of texts that wait in a SpillFile; write_plain writes it as a list."""

    def __init__(self, spill: SpillFile):
        self.spill = spill
        self.spans: list[tuple[int, int]] = []

    def append(self, text: str) -> None:
        """Keep a text, last."""
        self.spans.append(self.spill.append(text.encode("utf-8", "surrogatepass")))

    def extend(self, texts: Iterable[str]) -> None:
        """Keep some texts, last, in order."""
        for text in texts:
            self.append(text)

    def __getitem__(self, number: int) -> str:  # type: ignore[override]  # no slices
        return self.spill.read(self.spans[number]).decode("utf-8", "surrogatepass")

    def __len__(self) -> int:
        return len(self.spans)


def read_plain(path: Path) -> Any:
    """What write_plain wrote; ValueError if the file is damaged or not a cache (OSError if
    it is missing)."""
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError("not a sitegen cache")
        # Mapped, not read: records are decoded from the file's pages where they lie (a
        # read first copied them into one bytes object: the search memo is 44 MB at 10k).
        # sitegen replaces parts by rename, never in place, so the map stays whole; only a
        # foreign tool truncating a part in place during these milliseconds would fault.
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError:  # a file system that maps no files: read it whole
            return read_records(memoryview(handle.read()))
    try:
        with memoryview(mapped) as whole:
            return read_records(whole[len(MAGIC) :])
    finally:
        mapped.close()


def read_records(payload: memoryview) -> Any:
    """read_plain's value from the file's bytes after MAGIC (released when done)."""
    end = len(payload) - CHECK
    if end < 0 or zlib.crc32(payload[:end]).to_bytes(CHECK, "little") != payload[end:]:
        payload.release()
        raise ValueError("damaged cache")  # a torn or edited file: start cold
    view, at, last = payload[:end], 0, 0  # last: the bytes of the record read last

    def record() -> Any:
        nonlocal at, last
        size = int.from_bytes(view[at : at + 4], "little")
        if size < 1 or at + 4 + size > end:
            raise ValueError("not cache data")
        at, last = at + 4 + size, size
        return marshal.loads(view[at - size : at])

    def value() -> Any:
        found = record()
        if type(found) is list and len(found) == 2 and found[0] == STREAMED:
            if type(found[1]) is not int:
                raise ValueError("not cache data")
            return streamed_dict(found[1])
        if type(found) is list and len(found) == 2 and found[0] == VERBATIM:
            if type(found[1]) not in NESTS or not verbatim(found[1], last):
                raise ValueError("not cache data")
            return found[1]
        return decode(found, [last])

    def streamed_dict(size: int) -> dict[Any, Any]:
        made: dict[Any, Any] = {}
        while len(made) < size:  # each turn reads a record: a short file raises
            found = record()
            if type(found) is list and len(found) == 3 and found[0] == PAIRS:
                keys, items = found[1], found[2]
                if type(keys) is not list or type(items) is not list or not verbatim(items, last):
                    raise ValueError("not cache data")
                made.update(zip(batch_keys(keys, [last]), items, strict=True))
            elif type(found) is list and len(found) == 5 and found[0] == ROWS:
                _, module, name, keys, rows = found
                if type(keys) is not list or type(rows) is not list:
                    raise ValueError("not cache data")
                room = [last]
                keys = batch_keys(keys, room)
                made.update(zip(keys, object_rows_of(module, name, rows, room), strict=True))
            else:
                key = decode(found, [last])
                made[key] = value()
        if len(made) != size:
            raise ValueError("not cache data")  # a repeated key, or too many
        return made

    try:
        with no_gc():
            found = value()
        if at != end:
            raise ValueError("not cache data")  # more or fewer records than the value holds
        return found
    finally:
        view.release()
        payload.release()


def batch_keys(keys: list[Any], room: list[int]) -> list[Any]:
    """The keys of a PAIRS or ROWS record (strings, the most common, as they are)."""
    return keys if set(map(type, keys)) <= {str} else values(keys, room)


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


@mutable
class BuildCache:
    """Parsed inputs and memos from earlier builds of one site."""

    folder: Path | None = None  # None: in memory only
    stamp: str = ""
    parsed: dict[str, Any] = field(default_factory=dict)
    # Memos read so far (or made): name -> (key, value). Those on disk but not read yet
    # are in `stored` (name -> key), and are read when a stage asks for them.
    memos: dict[str, tuple[str, Any]] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)
    # Output folder -> per file, as the last build into it left it (Noted).
    # Keyed by folder: a page made for one output is no reason to skip it in another.
    # Groups (the search index) are remembered the same way, by their key.
    outputs: dict[str, tuple[dict[str, Noted], Groups]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # parsed keys this build asked for
    # The bucket (file) of each parsed input: the one it was read from or put in. New inputs
    # go together into the smallest bucket (`fresh`, chosen at the first new one after a
    # load or save), so a 200-paper dump rewrites one bucket, not all 32 (about 1 MB each
    # at 10k papers); a cold start spreads them by key.
    buckets: dict[str, int] = field(default_factory=dict)
    fresh: int | None = None
    room: int = 0  # how many more new inputs the fresh bucket takes; the rest go by key
    # In memory only (never saved): the compiled templates, reused while the stamp holds.
    environment: tuple[str, Any] | None = field(default=None, repr=False)
    # In memory only: each page's paper by the page object (a parsed page is one object while
    # its file is unchanged) and its dumps: `serve` makes only changed pages' papers again.
    papers: dict[int, tuple[Any, tuple[str, ...], Any]] = field(default_factory=dict, repr=False)
    # In memory only: by kind of input, its folder's files with their stats, as the copy
    # started ahead of a CLI build found them (known.take_ahead), till a pass takes them.
    listed: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict, repr=False)
    hits: int = 0
    misses: int = 0
    # What changed since the cache was loaded or saved (saved then): parts by file name.
    changed: set[str] = field(default_factory=set)
    saved: bool = False  # whether the head on disk is this cache's
    released: bool = False  # parsed inputs written and forgotten (release_parsed)

    @property
    def dirty(self) -> bool:
        """Whether anything changed since the cache was loaded or saved."""
        return bool(self.changed) or not self.saved

    @classmethod
    def load(cls, root: Path, parsed: bool = True) -> BuildCache:
        """Read the head and the parsed inputs of a site's cache (memos and outputs are read
        when asked for); a missing, old or damaged head is an empty cache. Without `parsed`
        (a build that reads a few pages: build.fast), the parsed inputs stay on disk as
        they are, as after release_parsed."""
        folder = root / CACHE_DIR
        head = read_part(folder / HEAD_FILE)
        if head is None:
            return cls(folder)
        cache = cls(folder, head["stamp"], stored=dict(head["memos"]), saved=True)
        cache.released = not parsed
        for number in range(PARSED_BUCKETS if parsed else 0):
            found = read_part(folder / parsed_file(number)) or {}
            cache.parsed.update(found)
            cache.buckets.update(dict.fromkeys(found, number))
        return cache

    def save(self) -> None:
        """Write the parts that changed, each atomically, then the head (see the module
        docstring: a build killed half-way leaves parts that are each trusted for their key)."""
        if self.folder is None or not self.dirty:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if not (self.folder / ".gitignore").exists():
            (self.folder / ".gitignore").write_text("*\n")
        if not self.saved:  # a cold start: every part is written (stale files removed)
            self.changed |= {parsed_file(n) for n in range(PARSED_BUCKETS)}
            self.changed |= {memo_file(name) for name in self.memos}
        names = self.changed - {HEAD_FILE}
        self.write_parts(n for n in names if not (self.released and n.startswith("parsed-")))
        head = {"stamp": self.stamp, "memos": {**self.stored, **self.memo_keys()}}
        write_part(self.folder / HEAD_FILE, head)
        (self.folder / OLD_FILE).unlink(missing_ok=True)
        for leftover in self.folder.glob(".*.tmp"):  # a write killed half-way (an abandoned copy)
            leftover.unlink(missing_ok=True)
        self.changed, self.saved, self.fresh = set(), True, None

    def write_parts(self, names: Iterable[str]) -> None:
        """Write some parts of the cache by file name, in name order (a part that holds
        nothing is removed); the parsed inputs are sorted into their buckets in one pass."""
        assert self.folder is not None
        names = sorted(names)
        numbers = {parsed_number(name) for name in names if name.startswith("parsed-")}
        in_bucket = self.parsed_buckets(numbers) if numbers else {}
        for name in names:
            if name.startswith("parsed-"):
                value: Any = in_bucket[parsed_number(name)]
            elif name.startswith("memo-"):
                # A dict, not a (key, value) pair: write_plain streams dicts, and encoded
                # whole, the search memo alone took ~300 MB more at 100k papers.
                memo = next((m for n, m in self.memos.items() if memo_file(n) == name), None)
                value = {"key": memo[0], "memo": memo[1]} if memo is not None else None
            else:
                found = next((o for f, o in self.outputs.items() if outputs_file(f) == name), None)
                value = {"files": found[0], "groups": found[1]} if found is not None else None
            if value:
                write_part(self.folder / name, value)
            else:
                (self.folder / name).unlink(missing_ok=True)

    def parsed_buckets(self, numbers: Collection[int]) -> dict[int, dict[str, Any]]:
        """The parsed inputs of some buckets, by bucket (a pass for each took 32 x 10k
        lookups to write a cold 10k-page cache)."""
        found: dict[int, dict[str, Any]] = {number: {} for number in numbers}
        buckets = self.buckets
        for key, value in self.parsed.items():
            number = buckets.get(key)
            if number is None:
                number = buckets[key] = bucket(key)
            if number in found:
                found[number][key] = value
        return found

    def release_parsed(self) -> None:
        """Write the parsed inputs that changed now, then forget them all: a one-shot build
        that has read its project never asks for them again (at 100k papers, the pages and
        dumps as parsed hold ~300 MB that every forked copy would share or copy). For that
        build only: another build with this cache would parse every input and keep none."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fresh = {parsed_file(n) for n in range(PARSED_BUCKETS)} if not self.saved else set()
        names = {n for n in self.changed | fresh if n.startswith("parsed-")}
        self.write_parts(names)
        self.changed -= names
        self.parsed, self.papers, self.released = {}, {}, True

    def memo_keys(self) -> dict[str, str]:
        """The key of each memo read or made."""
        return {name: key for name, (key, _) in self.memos.items()}

    def memo_key(self, name: str) -> str:
        """The key a memo was made with ("" for none), without reading its value."""
        if name in self.memos:
            return self.memos[name][0]
        return self.stored.get(name, "")

    def stored_memo(self, name: str) -> tuple[str, Any] | None:
        """A memo by name: (key, value), read from its file the first time it is asked for."""
        if name not in self.memos and name in self.stored and self.folder is not None:
            key = self.stored.pop(name)
            found = read_part(self.folder / memo_file(name))
            if isinstance(found, dict) and found.keys() == {"key", "memo"} and found["key"] == key:
                self.memos[name] = (key, found["memo"])  # another key: from a killed build
        return self.memos.get(name)

    def spill(self, *names: str) -> None:
        """Write these memos now and keep only their keys (a stage that asks reads them
        again): a one-shot build done with them gives their memory back (discovery's base
        generation: ~200 MB at 100k papers). Safe before the head is written: a memo is
        trusted only under the key the head names."""
        if self.folder is None:
            return
        for name in [n for n in names if n in self.memos]:
            file = memo_file(name)
            if file in self.changed or not self.saved:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.write_parts([file])
                self.changed.discard(file)
            self.stored[name] = self.memos.pop(name)[0]

    def adopt(self, name: str, key: str, value: Any = None) -> None:
        """Trust the file another process (a forked copy) wrote for this memo, under this key,
        over whatever this one holds; `value`, what the file holds, if this process has it
        (it is then not read again)."""
        if self.memo_key(name) != key:
            self.changed.add(HEAD_FILE)
        self.memos.pop(name, None)
        self.stored.pop(name, None)
        self.changed.discard(memo_file(name))
        if value is None:
            self.stored[name] = key
        else:
            self.memos[name] = (key, value)

    def forget_memos(self, *names: str) -> None:
        """Drop these memos, or every memo (the next stage that asks recomputes them)."""
        for name in names or [*self.memos, *self.stored]:
            self.changed.add(memo_file(name))
            self.memos.pop(name, None)
            self.stored.pop(name, None)

    def outputs_of(self, output: Path) -> tuple[dict[str, Noted], Groups]:
        """What the last build into an output folder made there: per file, and groups."""
        folder = str(output.resolve())
        if folder not in self.outputs and self.folder is not None and self.saved:
            found = read_part(self.folder / outputs_file(folder))
            if isinstance(found, dict) and found.keys() == {"files", "groups"}:
                self.outputs[folder] = (found["files"], found["groups"])
        return self.outputs.get(folder, ({}, {}))

    def note_outputs(self, output: Path, files: dict[str, Noted], groups: Groups) -> None:
        """Remember what a build committed into an output folder."""
        folder = str(output.resolve())
        if self.outputs_of(output) != (files, groups):
            self.changed.add(outputs_file(folder))
        self.outputs[folder] = (files, groups)

    def restamp(self, stamp: str) -> None:
        """Record the settings stamp (every page key includes it)."""
        if stamp != self.stamp:
            self.changed.add(HEAD_FILE)
        self.stamp = stamp

    def parse(self, kind: str, key: str, make: Any) -> Any:
        """The parsed form of an input with this content key, made once."""
        if self.released:  # a one-shot build read its project already: nothing is kept
            return make()
        full = f"{kind}:{key}"
        self.used.add(full)
        if full in self.parsed:
            self.hits += 1
            return self.parsed[full]
        self.misses += 1
        number = self.buckets[full] = self.bucket_for(full)
        self.changed.add(parsed_file(number))
        value = self.parsed[full] = make()
        return value

    def bucket_for(self, full: str) -> int:
        """The bucket of a new parsed input: this build's (the smallest) while it has room,
        else by key (a cold start; or a moved project, whose every page has a new key: in
        one bucket, a later edit of any page would rewrite all of them)."""
        if self.fresh is None:
            sizes = Counter(self.buckets.values())
            self.fresh = min(range(PARSED_BUCKETS), key=lambda n: (sizes[n], n)) if sizes else -1
            # Not less what it holds: buckets filled by key are all near the average, and
            # a 200-paper dump would then spread over all 32 from ~11k papers on.
            self.room = max(len(self.buckets) // PARSED_BUCKETS, FRESH_ROOM)
        if self.fresh < 0 or self.room <= 0:
            return bucket(full)
        self.room -= 1
        return self.fresh

    def memo(self, name: str, key: str, make: Any) -> Any:
        """A derived value (e.g. related papers) recomputed only when its inputs' key changes
        (a stored value of another key is not even read: at 10k papers, discovery's takes 0.5 s)."""
        old = self.stored_memo(name) if self.memo_key(name) == key else None
        if old is not None and old[0] == key:
            return old[1]
        value = make()
        self.memos[name] = (key, value)
        self.changed.add(memo_file(name))
        return value

    def recall(self, name: str, key: str) -> Any:
        """The value memoised under a name, if its key is this one (else None)."""
        if self.memo_key(name) != key:
            return None
        old = self.stored_memo(name)
        return old[1] if old is not None and old[0] == key else None

    def keep(self, name: str, key: str, value: Any, new: bool = False) -> None:
        """Memoise a value under a name and key (replacing what the name held); `new`: the
        caller knows it differs from the stored one (which is then not read to compare)."""
        if new or self.memo_key(name) != key or self.stored_memo(name) != (key, value):
            self.changed.add(memo_file(name))
        self.memos[name] = (key, value)

    def prune(self) -> None:
        """Forget parsed inputs this build didn't use, so the cache doesn't grow forever."""
        gone = [k for k in self.parsed if k not in self.used]
        for full in gone:
            del self.parsed[full]
            self.changed.add(parsed_file(self.buckets.pop(full, bucket(full))))
        self.used = set()


def bucket(full_key: str) -> int:
    """The parsed bucket (file) a parsed input's key belongs to."""
    return zlib.crc32(full_key.encode("utf-8", "surrogatepass")) % PARSED_BUCKETS


def parsed_file(number: int) -> str:
    """The file of one bucket of parsed inputs."""
    return f"parsed-{number:02d}.cache"


def parsed_number(name: str) -> int:
    """The bucket of a parsed_file name."""
    return int(name[len("parsed-") : -len(".cache")])


def memo_file(name: str) -> str:
    """The file of one memo (its name made safe for a file name)."""
    return f"memo-{digest(name)[:16]}.cache"


def outputs_file(folder: str) -> str:
    """The file of what the last build left in one output folder."""
    return f"outputs-{digest(folder)[:16]}.cache"


def read_part(path: Path) -> Any:
    """One part of the cache, or None when it is missing, damaged or from another version."""
    try:
        data = read_plain(path)
        if isinstance(data, dict) and (data.get("format"), data.get("version")) == ours():
            return data["value"]
    except (
        OSError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        EOFError,
        ImportError,
        RecursionError,  # a crafted file nested deeper than Python's stack
        MemoryError,  # a crafted record claiming more items than it holds (marshal)
    ):
        pass  # any unreadable part is just a cold start of that part (damaged or foreign)
    return None


def ours() -> tuple[int, str]:
    """What a part must say it was made by to be read: this format, version and code."""
    return FORMAT, f"{__version__} {code_stamp()}"


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A hash of sitegen's own source. An update that keeps the version number (a git
    install, a clone) changes it: parts and pages that other code made are not reused."""
    package = Path(__file__).parent
    parts: list[bytes | str] = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if "/." in f"/{name}" or not path.is_file():  # an editor's lock file, a dead link
            continue
        try:
            parts += [name, path.read_bytes()]
        except OSError:
            parts += [name, b"unreadable"]
    return digest(*parts)


def write_part(path: Path, value: Any) -> None:
    """Write one part of the cache atomically (a crash leaves the previous one)."""
    form, version = ours()
    data = {"format": form, "version": version, "value": value}
    write_atomic(path, partial(write_plain, data))
