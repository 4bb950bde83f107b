"""The build cache: stable keys, a round trip through disk, and what each map forgets when."""

from __future__ import annotations

import datetime
import marshal
import os
import pickle
import zlib
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen import cache as cache_module
from sitegen.cache import (
    CACHE_DIR,
    HEAD_FILE,
    MAGIC,
    BuildCache,
    BytesOnDisk,
    SpillFile,
    TextsOnDisk,
    bucket,
    digest,
    memo_file,
    parsed_file,
    read_plain,
    tree_fingerprint,
    write_plain,
)
from sitegen.catalog import Page
from sitegen.plain import decode, encode


def test_digest_is_stable_and_keeps_parts_apart() -> None:
    assert digest("a", b"b") == digest(b"a", "b")
    assert len(digest("x")) == 32
    assert digest("ab", "c") != digest("a", "bc")  # parts are length-prefixed
    assert digest() != digest("")


def test_tree_fingerprint_sees_contents_and_names(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "a.html").write_text("A")
    before = tree_fingerprint([folder, tmp_path / "missing"])
    assert tree_fingerprint([folder]) == before  # a missing folder counts as empty
    (folder / "a.html").write_text("B")
    changed = tree_fingerprint([folder])
    assert changed != before
    (folder / "a.html").rename(folder / "b.html")
    assert tree_fingerprint([folder]) not in (before, changed)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.restamp("stamp-1")
    cache.parse("page", "k1", lambda: {"title": "A"})
    cache.memo("discovery", "dkey", lambda: [1, 2])
    cache.save()
    again = BuildCache.load(tmp_path)
    assert again.stamp == "stamp-1"
    assert again.parsed == {"page:k1": {"title": "A"}}
    assert again.memo("discovery", "dkey", lambda: "recomputed") == [1, 2]
    assert (tmp_path / CACHE_DIR / ".gitignore").read_text() == "*\n"


def test_a_damaged_or_foreign_cache_is_a_cold_start(tmp_path: Path) -> None:
    folder = tmp_path / CACHE_DIR
    folder.mkdir()
    (folder / HEAD_FILE).write_bytes(b"not a cache")
    assert BuildCache.load(tmp_path).parsed == {}
    cache = BuildCache(folder)
    cache.parse("page", "k1", lambda: "A")
    cache.save()
    for name in (HEAD_FILE, parsed_file(bucket("page:k1"))):  # the head, or the part
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped
        assert BuildCache.load(tmp_path).parsed == {}
        (folder / name).write_bytes(data[: len(data) // 2])  # torn
        assert BuildCache.load(tmp_path).parsed == {}
        (folder / name).write_bytes(data)
        assert BuildCache.load(tmp_path).parsed == {"page:k1": "A"}


def test_a_cache_other_code_made_is_a_cold_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A git install updated in place keeps its version number: its source tells the caches
    # apart, so nothing the older code made is reused.
    cache = BuildCache.load(tmp_path)
    cache.parse("page", "k1", lambda: "A")
    cache.memo("discovery", "dkey", lambda: [1, 2])
    cache.save()
    assert BuildCache.load(tmp_path).parsed == {"page:k1": "A"}
    monkeypatch.setattr(cache_module, "code_stamp", lambda: "other source")
    again = BuildCache.load(tmp_path)
    assert again.parsed == {}
    assert again.memo("discovery", "dkey", lambda: "recomputed") == "recomputed"


def test_the_code_stamp_hashes_sitegens_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = Path(cache_module.__file__).parent
    files = sorted(package.rglob("*.py"))
    parts = [x for p in files for x in (p.relative_to(package).as_posix(), p.read_bytes())]
    assert len(files) > 40 and cache_module.code_stamp() == cache_module.digest(*parts)
    # An editor's lock file (a dead link named .#cache.py) is not source, and no error.
    (tmp_path / "sub").mkdir()
    (tmp_path / "cache.py").write_text("x = 1\n")
    (tmp_path / "sub" / "views.py").write_text("y = 2\n")
    stamp = code_stamp_of(tmp_path, monkeypatch)
    (tmp_path / ".#cache.py").symlink_to("user@host.1:1")
    (tmp_path / "sub" / ".#views.py").symlink_to("user@host.1:2")
    assert code_stamp_of(tmp_path, monkeypatch) == stamp
    (tmp_path / "sub" / "views.py").write_text("y = 3\n")
    assert code_stamp_of(tmp_path, monkeypatch) != stamp


def code_stamp_of(package: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """code_stamp for a package folder of one's own."""
    monkeypatch.setattr(cache_module, "__file__", str(package / "cache.py"))
    cache_module.code_stamp.cache_clear()
    try:
        return cache_module.code_stamp()
    finally:
        cache_module.code_stamp.cache_clear()


def test_each_part_is_read_when_asked_for_and_written_when_it_changed(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.memo("discovery", "d1", lambda: ["related"])
    cache.keep("search", "s1", {"entries": 1})
    for key in ("a", "b"):
        cache.parse("page", key, lambda key=key: key.upper())
    cache.save()
    folder = tmp_path / CACHE_DIR
    times = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = BuildCache.load(tmp_path)
    assert again.memos == {} and again.memo_key("discovery") == "d1"  # not read yet
    assert again.recall("search", "s1") == {"entries": 1}
    assert set(again.memos) == {"search"}
    again.keep("search", "s1", {"entries": 2})
    again.parse("page", "a", lambda: "A")  # used
    for key in "cdefg":  # new: together in one bucket, an empty one (not spread by key)
        again.parse("page", key, lambda key=key: key.upper())
    assert {again.buckets[f"page:{key}"] for key in "cdefg"} == {again.fresh}
    assert again.fresh not in {bucket("page:a"), bucket("page:b")}
    again.prune()  # b is gone
    again.save()
    now = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    rewritten = {name for name in {*times, *now} if now.get(name) != times.get(name)}
    buckets = {parsed_file(bucket("page:b")), parsed_file(again.buckets["page:c"])}
    assert rewritten == {HEAD_FILE, memo_file("search"), *buckets}
    third = BuildCache.load(tmp_path)
    assert third.parsed == {"page:a": "A", **{f"page:{k}": k.upper() for k in "cdefg"}}
    assert third.buckets == again.buckets  # each entry stays in its bucket
    assert third.recall("discovery", "d1") == ["related"]
    assert third.recall("search", "s1") == {"entries": 2}


def test_a_memo_written_by_a_build_killed_before_its_head_is_not_trusted(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.keep("search", "s1", "one")
    cache.save()
    newer = BuildCache.load(tmp_path)
    newer.keep("search", "s2", "two")
    newer.write_parts([memo_file("search")])  # killed here: the head still names s1
    again = BuildCache.load(tmp_path)
    assert again.recall("search", "s1") is None and again.recall("search", "s2") is None


def stored_again(value: object) -> object:
    """A value encoded, written as a record and decoded again, as the cache does."""
    record = marshal.dumps(encode(value))
    return decode(marshal.loads(record), [len(record)])


def test_plain_data_round_trips_values_and_refuses_other_classes() -> None:
    value = {
        "page": Page(Path("/x/a.md"), "theory", "a", {"d": datetime.date(2026, 3, 1)}, "b"),
        "sets": ({1, 2}, frozenset("ab"), [None, True, 1.5, b"x"]),
        ("tuple", "key"): "dict keys need not be strings",
    }
    assert stored_again(value) == value
    assert stored_again(memoryview(b"ab")) == b"ab"
    import numpy as np

    # numpy's float64 and str_ are a float and a str: marshal wrote them as their bytes
    numbers = [np.float64(1.5), np.str_("ab"), np.int64(3), [np.float32(0.5)]]
    back = stored_again(numbers)
    assert back == [1.5, "ab", 3, [0.5]] and [type(v) for v in back] == [float, str, int, list]
    for view in (memoryview(bytes(8)).cast("i"), memoryview(bytes(8))[::2]):
        with pytest.raises(TypeError):  # its len() is not its bytes', or it is not in one piece
            encode(view)
    for data in (["C", "os", "system", ["true"]], ["C", "sitegen.cli", "main", [[]]], ["X", 1]):
        with pytest.raises(ValueError):
            decode(data, [100])


def test_adv_poisoned_cache_runs_no_code(tmp_path: Path) -> None:
    """The cache was unpickled before any check: a crafted one in a shared project ran code."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    folder = tmp_path / CACHE_DIR
    folder.mkdir()
    for name in ("build.pickle", "build.cache", HEAD_FILE):  # old names, and today's
        (folder / name).write_bytes(pickle.dumps({"format": 2, "x": Payload()}))
    code = ["C", "subprocess", "run", [["L", ["touch", str(marker)]]]]
    payload = framed(marshal.dumps(["D", ["format", 5, "value", code]]))
    assert BuildCache.load(tmp_path).parsed == {}
    hashed = MAGIC + payload + zlib.crc32(payload).to_bytes(4, "little")
    for name in (HEAD_FILE, parsed_file(0)):
        (folder / name).write_bytes(hashed)  # well formed, naming a function
    with pytest.raises(ValueError, match="not a sitegen class"):  # read, and refused
        read_plain(folder / HEAD_FILE)
    assert BuildCache.load(tmp_path).parsed == {}
    assert not marker.exists()


def test_parse_counts_hits_and_prune_forgets_unused_inputs() -> None:
    cache = BuildCache()
    made: list[str] = []
    for key in ("a", "b", "a"):
        cache.parse("page", key, lambda key=key: made.append(key) or key.upper())
    assert (made, cache.hits, cache.misses) == (["a", "b"], 1, 2)
    cache.prune()  # every key was used by this build
    cache.parse("page", "b", lambda: "B2")
    cache.prune()
    assert cache.parsed == {"page:b": "B"}


def test_memo_recomputes_only_when_its_key_changes() -> None:
    cache = BuildCache()
    calls: list[str] = []
    for key in ("k1", "k1", "k2", "k2"):
        cache.memo("discovery", key, lambda key=key: calls.append(key) or key)
    assert calls == ["k1", "k2"]


def test_a_spilled_memo_leaves_memory_and_is_read_back_when_asked_for(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.memo("base", "g1", lambda: {"keys": "a\nb"})
    cache.spill("base", "never made")
    assert cache.memos == {} and cache.memo_key("base") == "g1"
    killed = BuildCache.load(tmp_path)  # no head yet: a spilled memo alone is not trusted
    assert killed.recall("base", "g1") is None
    assert cache.recall("base", "g1") == {"keys": "a\nb"}  # from its file
    cache.spill("base")  # unchanged since read: not written again
    cache.save()
    assert BuildCache.load(tmp_path).recall("base", "g1") == {"keys": "a\nb"}


def test_kept_memos_are_recalled_by_their_key_and_saved(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.keep("seeds", "rules-1", {"a": "vision", "b": None})
    assert cache.recall("seeds", "rules-1") == {"a": "vision", "b": None}
    assert cache.recall("seeds", "rules-2") is None and cache.recall("other", "x") is None
    cache.save()
    again = BuildCache.load(tmp_path)
    assert again.recall("seeds", "rules-1") == {"a": "vision", "b": None}
    again.keep("seeds", "rules-1", {"a": "vision", "b": None})
    assert not again.dirty  # the same value again: nothing to save


def test_a_memo_another_process_wrote_is_adopted_with_its_key_in_the_head(tmp_path: Path) -> None:
    # A forked copy writes a memo's file (keep + spill in its own cache object); this
    # process adopts it, with the value it holds or without: only the head is written, and
    # it names the new key even when nothing else changed.
    cache = BuildCache.load(tmp_path)
    cache.keep("found", "k1", {"a": "old"})
    cache.save()
    for key, value in [("k2", {"a": "new"}), ("k3", None)]:
        mine, copy = BuildCache.load(tmp_path), BuildCache.load(tmp_path)
        copy.keep("found", key, value or {"a": key}, new=True)
        copy.spill("found")  # the copy's write
        mine.adopt("found", key, value)
        assert mine.dirty and mine.changed == {HEAD_FILE}
        mine.save()
        assert BuildCache.load(tmp_path).recall("found", key) == (value or {"a": key})


def framed(record: bytes) -> bytes:
    """A record as write_plain writes it: its length, then its marshal bytes."""
    return len(record).to_bytes(4, "little") + record


def test_a_part_is_streamed_dict_by_dict_and_read_back_whole(tmp_path: Path) -> None:
    value = {"keys": ["a", "b"], "entries": {"a": b"x", ("t", 1): {"deep": {1, 2}}}, "n": 3}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(value, handle)
    assert read_plain(path) == value
    records = path.read_bytes()[len(MAGIC) : -4]
    assert records.count(b"entries") == 1 and len(records) > len(marshal.dumps(value))
    extra = records + framed(marshal.dumps("one record too many"))
    path.write_bytes(MAGIC + extra + zlib.crc32(extra).to_bytes(4, "little"))
    with pytest.raises(ValueError, match="not cache data"):
        read_plain(path)  # well checked, but not what write_plain makes


def crafted(path: Path, *records: object) -> None:
    """A cache file of these records, well framed and checked (as write_plain frames them)."""
    body = b"".join(framed(marshal.dumps(record)) for record in records)
    path.write_bytes(MAGIC + body + zlib.crc32(body).to_bytes(4, "little"))


def test_a_dicts_plain_items_go_in_a_few_pairs_records_in_order(tmp_path: Path) -> None:
    from sitegen.cache import PAIRS, PAIRS_ITEMS, STREAMED

    many = {f"term{n}": f"codes{n}" for n in range(2 * PAIRS_ITEMS + 5)}
    value = {"codes": many, "entries": {"a": b"x", "b": {"deep": 1}, ("t", 1): b"y"}, "n": 3}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(value, handle)
    again = read_plain(path)
    assert again == value and list(again["codes"]) == list(many)  # the same order
    assert list(again["entries"]) == ["a", "b", ("t", 1)]
    records = records_in(path)
    pairs = [r for r in records if isinstance(r, list) and r and r[0] == PAIRS]
    # codes: three records; entries: one before its dict "b", one in it, one after; then "n"
    assert [len(r[1]) for r in pairs] == [PAIRS_ITEMS, PAIRS_ITEMS, 5, 1, 1, 1, 1]
    assert all(len(r[1]) == len(r[2]) for r in pairs) and len(records) < 20
    for bad in (
        [[STREAMED, 2], [PAIRS, ["a", "a"], [1, 2]]],  # a repeated key: one item short
        [[STREAMED, 1], [PAIRS, ["a", "b"], [1]]],  # a key without its value
        [[STREAMED, 1], [PAIRS, ["a", "b"], [1, 2]]],  # more items than the dict holds
        [[STREAMED, 1], [PAIRS, "ab", "cd"]],
        [[STREAMED, 1], [PAIRS, ["a"], [{"no": "dict"}]]],  # values are never decoded
        [[STREAMED, 1], [PAIRS, ["a"], [("deep", [{1}])]]],
        [[STREAMED, 1], [PAIRS, ["a"], [1], "more"]],
    ):
        crafted(path, *bad)
        with pytest.raises(ValueError):
            read_plain(path)
    crafted(path, [STREAMED, 2], [PAIRS, ["a"], [1]], "b", [STREAMED, 0])
    assert read_plain(path) == {"a": 1, "b": {}}  # the check above is not what fails them


def records_in(path: Path) -> list:
    """The records of a cache file, as marshal reads them."""
    body, records, at = path.read_bytes()[len(MAGIC) : -4], [], 0
    while at < len(body):
        size = int.from_bytes(body[at : at + 4], "little")
        records.append(marshal.loads(body[at + 4 : at + 4 + size]))
        at += 4 + size
    return records


def test_objects_go_as_rows_of_their_fields_in_order(tmp_path: Path) -> None:
    # 10k parsed pages were 20k records (a key and an object each), each object tagged with
    # its class: decoding them took a third of a cold 10k build's cache load.
    from sitegen.cache import ROWS, STREAMED
    from sitegen.dumps import Dump, Entry

    def page(n: int) -> Page:
        meta = {"title": f"T{n}", "themes": ["a", "b"], "d": datetime.date(2026, 1, n + 1)}
        return Page(Path(f"/x/p{n}.md"), "theory", f"p{n}", meta, "body", links=(f"u{n}",))

    entries = tuple(Entry(f"T{n}", "abstract", n + 1) for n in range(3))
    dump = Dump("2026-01-01", "2026-01-01", None, "spaced", entries)
    parsed = {"page:a": page(0), "page:b": page(1), "dump:c": dump, "n": 1, "page:d": page(2)}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(parsed, handle)
    again = read_plain(path)
    assert again == parsed and list(again) == list(parsed)
    assert type(again["dump:c"].entries) is tuple and again["page:a"].path == Path("/x/p0.md")
    rows = [r for r in records_in(path) if isinstance(r, list) and r and r[0] == ROWS]
    # a run of pages, the dump (its class differs), then the last page after "n"
    assert [(r[2], r[3]) for r in rows] == [
        ("Page", ["page:a", "page:b"]),
        ("Dump", ["dump:c"]),
        ("Page", ["page:d"]),
    ]
    assert rows[1][4][0][4][0] == "O"  # the dump's entries: one tag and class for all
    mixed = [page(0), entries[0]]  # objects of two classes: each its own
    assert stored_again(mixed) == mixed and stored_again(entries) == entries
    assert stored_again([]) == [] and stored_again(()) == ()
    for bad in (
        [[STREAMED, 1], [ROWS, "sitegen.dumps", "Entry", ["k"], [["T", "a"]]]],  # a field short
        [[STREAMED, 1], [ROWS, "sitegen.dumps", "Entry", ["k"], ["T a 1"]]],
        [[STREAMED, 1], [ROWS, "os", "system", ["k"], [["true"]]]],
        [[STREAMED, 1], [ROWS, "sitegen.dumps", "Entry", ["k", "l"], [["T", "a", 1, ""]]]],
        [["O", "sitegen.dumps", "Entry", "X", [["T", "a", 1, ""]]]],  # no such shape
        [["O", "sitegen.dumps", "Entry", "S", [["T", "a", 1, ""]]]],  # nor a set of objects
    ):
        crafted(path, *bad)
        with pytest.raises(ValueError):
            read_plain(path)


def test_a_key_is_decoded_within_its_own_records_bytes(tmp_path: Path) -> None:
    # A key of many items whose value ends in a record of a few bytes: the key's bound is its
    # own record's size, not the size of the last record its value read.
    key = tuple(f"k{n}" for n in range(500))
    value = {key: {"deep": {"x": 1}}, "n": 2}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(value, handle)
    assert read_plain(path) == value


def test_tuples_and_lists_of_plain_values_go_in_pairs_records_as_they_are(
    tmp_path: Path,
) -> None:
    # The outputs record's values, the stat memos', the later papers' candidates (tuples
    # of tuples), the search memo's words as written (lists): a record each cost two
    # marshal calls and checksums, and decoding them one by one ten times their check.
    from sitegen.cache import PAIRS, PAIRS_VALUE, VERBATIM

    files = {f"papers/p{n}/index.html": (f"key{n}", "hash", n, "", None, 1.5) for n in range(50)}
    shared = {
        "nested": ("a", ("b", 2.5)),
        "long": tuple(range(99)),
        "tokens": (3, b"\x00"),
        "listed": ("a", ["b", ("c", [True, None])]),
        "tags": ["L", "C", "looks like a tag"],  # never decoded, so never taken for one
        "empty": ((), []),
    }
    own = {"big": ("x" * PAIRS_VALUE,), "object": (1, {2}), "deep": [{"a": 1}]}
    lists = [["GDE", "x" * PAIRS_VALUE], [], ("t", 1)]  # a memo's list of lists, big
    value = {"files": files, "own": {**own, **shared}, "lists": lists}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(value, handle)
    again = read_plain(path)
    assert again == value and all(type(v) is tuple for v in again["files"].values())
    listed = again["own"]["listed"]
    assert type(listed[1]) is list and type(listed[1][1]) is tuple
    assert type(again["lists"][2]) is tuple and type(again["own"]["object"][1]) is set
    records = records_in(path)
    pairs = [r for r in records if isinstance(r, list) and r and r[0] == PAIRS]
    assert [p[1] for p in pairs] == [list(files), list(shared)]
    assert [VERBATIM, lists] in records and [VERBATIM, own["big"]] in records
    # Three dicts' heads, three keys, the two PAIRS records, the list, the others' key and value.
    assert len(records) == 3 + 3 + 2 + 1 + 2 * len(own)
    crafted(path, [VERBATIM, [1, ("a", [{"no"}])]])
    with pytest.raises(ValueError, match="not cache data"):
        read_plain(path)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ([], True),
        ([1, "a", b"b", 2.5, None, True], True),
        ([(1, [2, (3, [4, ("deep",)])]), "flat"], True),
        ([[], (), [[]]], True),
        ([1, {"a": 1}], False),
        ([(1, [2, (3, [4, ({5},)])])], False),  # a set five levels down
        ([(1, 2), frozenset()], False),
        ([Path("p")], False),
        ([compile("1", "f", "eval")], False),  # marshal would store a code object
        ([1, 2**70], True),
    ],
)
def test_verbatim_allows_scalars_tuples_and_lists_at_any_depth(value: list, plain: bool) -> None:
    from sitegen.plain import verbatim

    assert verbatim(value) is plain
    assert verbatim(tuple(value)) is plain


def read_into(path: Path, found: list) -> None:
    """read_part of path, appended to found (for a thread)."""
    from sitegen.cache import read_part

    found.append(read_part(path))


def test_a_crafted_record_holding_itself_is_refused_at_once(tmp_path: Path) -> None:
    import threading

    from sitegen.cache import PAIRS, ROWS, STREAMED, VERBATIM
    from sitegen.plain import NESTING, verbatim

    itself: list = []
    itself.append(itself)  # marshal reads such a list back as it was
    doubling: list = []
    doubling += [doubling, doubling]  # each level twice the one before
    deep: list = [1]
    for _ in range(NESTING):
        deep = [deep]
    assert not verbatim(itself) and not verbatim(deep) and verbatim(deep[0][0])
    assert not verbatim(doubling, len(marshal.dumps(doubling)))
    path = tmp_path / "part.cache"
    # Tagged as encode tags a list (decoded item by item, not walked): each level twice
    tagged: list = ["L", []]
    for _ in range(NESTING):
        tagged = ["L", [tagged, tagged]]
    row = ["T", 1, 2, tagged]  # an Entry's fields, one of them the doubling list
    for records in (
        [[VERBATIM, itself]],
        [[VERBATIM, doubling]],
        [[STREAMED, 1], [PAIRS, ["k"], [itself]]],
        [[STREAMED, 1], [PAIRS, ["k"], [doubling]]],
        [tagged],
        [[STREAMED, 1], tagged, 1],  # as a key
        [["C", "sitegen.dumps", "Entry", row]],
        [["O", "sitegen.dumps", "Entry", "L", [row, row]]],
        [[STREAMED, 1], [ROWS, "sitegen.dumps", "Entry", ["k"], [row]]],
        # one long path named many times (5 bytes a reference), each parsed whole again
        [["L", [["P", "/" + "a" * 10**6 + "/x"]] * 20_000]],
        [["L", [["d", "2026-01-01" + " " * 10**6]] * 20_000]],
    ):
        crafted(path, *records)
        found: list = []
        reading = threading.Thread(target=partial(read_into, path, found), daemon=True)
        reading.start()
        reading.join(30)  # a walk that never ends would hold the build's lock forever
        assert not reading.is_alive() and found == [None]  # refused: a cold start
        with pytest.raises(ValueError, match="not cache data"):
            read_plain(path)


def written_with_peak(value: object, path: Path) -> int:
    """Write a cache file; the most memory Python allocations held meanwhile, in bytes."""
    import tracemalloc

    tracemalloc.start()
    try:
        with open(path, "wb") as handle:
            write_plain(value, handle)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_big_values_are_written_one_at_a_time_not_gathered(tmp_path: Path) -> None:
    columns = {f"column{n}": str(n) * 2_000_000 for n in range(8)}  # discovery's, in kind
    value = {"memo": {**columns, "list": [1, 2], "small": "s"}}
    path = tmp_path / "part.cache"
    peak = written_with_peak(value, path)
    assert peak < 3 * 2_000_000  # one column's record at a time, not all eight at once
    assert read_plain(path) == value


def test_big_bytes_are_written_from_where_they_lie_and_read_back_as_bytes(
    tmp_path: Path,
) -> None:
    import array

    numbers = array.array("i", range(1_000_000))  # 4 MB, as a discovery vector's array
    value = {"memo": {"view": memoryview(numbers).cast("B"), "bytes": bytes(3_000_000)}}
    value["memo"]["small"] = b"xy"
    path = tmp_path / "part.cache"
    peak = written_with_peak(value, path)
    assert peak < 1_000_000  # neither big value copied into a record first
    kept = read_plain(path)["memo"]
    assert kept == {"view": numbers.tobytes(), "bytes": bytes(3_000_000), "small": b"xy"}
    assert {type(v) for v in kept.values()} == {bytes}


def test_a_file_system_without_mmap_still_reads_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mmap

    value = {"entries": {"a": b"x"}, "n": 3}
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain(value, handle)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(19, "No such device")

    monkeypatch.setattr(mmap, "mmap", refuse)
    assert read_plain(path) == value


def test_a_part_nested_past_the_stack_is_a_cold_start(tmp_path: Path) -> None:
    from sitegen.cache import STREAMED, read_part

    crafted(tmp_path / "deep.cache", *[x for _ in range(5000) for x in ([STREAMED, 1], "k")])
    assert read_part(tmp_path / "deep.cache") is None


def test_bytes_on_disk_hold_their_values_in_a_file_and_are_written_as_a_dict(
    tmp_path: Path,
) -> None:
    small = BytesOnDisk(SpillFile(tmp_path / "cache"))
    small["k"] = b"v"
    assert small["k"] == b"v" and not (tmp_path / "cache").exists()  # no file for so little
    small.spill.close()
    spill = SpillFile(tmp_path / "cache")
    on_disk = BytesOnDisk(spill)
    values = {f"k{n}": bytes([n]) * 300_000 for n in range(8)}
    for key, value in values.items():
        on_disk[key] = value
    # What waits in memory stays under a megabyte: the rest is in the file already.
    assert len(spill.pending) < 1 << 20 and spill.written >= 7 * 300_000 - (1 << 20)
    assert os.fstat(spill.file.fileno()).st_size == spill.written
    on_disk["k1"] = b"newest"  # set again: its newest value, in its first place
    del on_disk["k2"]
    values["k1"] = b"newest"
    del values["k2"]
    assert list(on_disk) == list(values) and dict(on_disk) == values
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain({"entries": on_disk, "n": 1}, handle)
    assert read_plain(path) == {"entries": values, "n": 1}
    spill.close()
    assert list((tmp_path / "cache").iterdir()) == []  # the file has no name: nothing left


def test_texts_on_disk_share_a_spill_file_and_are_written_as_a_list(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "cache")
    entries, texts = BytesOnDisk(spill), TextsOnDisk(spill)
    made = [f'["chunk {n}","\u00e9 \ud800 {"x" * 200_000}"]' for n in range(12)]
    made.append("caf\u00e9 \ud83d")  # a lone surrogate, as a title may hold one
    for number, text in enumerate(made):
        texts.append(text)
        entries[f"k{number}"] = bytes([number]) * 50_000  # between the texts, in one file
    assert spill.written > 2_000_000 and len(spill.pending) < 1 << 20
    assert len(texts) == len(made) and list(texts) == made and texts[-1] == made[-1]
    texts.extend(["one more", ""])
    assert [texts[-2], texts[-1]] == ["one more", ""]
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:
        write_plain({"entries": entries, "texts": texts}, handle)
    back = read_plain(path)
    assert back["texts"] == [*made, "one more", ""] and type(back["texts"]) is list
    assert back["entries"] == {f"k{n}": bytes([n]) * 50_000 for n in range(13)}
    spill.close()


def test_bytes_on_disk_keep_what_a_full_disk_does_not_take_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = SpillFile(tmp_path / "cache")
    on_disk = BytesOnDisk(spill)
    on_disk["first"] = b"1" * (1 << 20)  # written
    real_pwrite, calls = os.pwrite, []

    def full(fd: int, data: memoryview, offset: int) -> int:
        calls.append(offset)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real_pwrite(fd, data[: len(data) // 2], offset)  # half, then the disk is full

    monkeypatch.setattr(os, "pwrite", full)
    values = {"first": b"1" * (1 << 20), **{f"k{n}": bytes([n]) * 400_000 for n in range(6)}}
    for key, value in list(values.items())[1:]:
        on_disk[key] = value  # no error: the rest stays in memory
    assert spill.full and len(calls) == 2  # tried once, then not again
    assert dict(on_disk) == values  # read without writing
    path = tmp_path / "part.cache"
    with open(path, "wb") as handle:  # (a real disk again, for the part)
        monkeypatch.setattr(os, "pwrite", real_pwrite)
        write_plain({"entries": on_disk}, handle)
    assert read_plain(path) == {"entries": values}
    spill.close()


def test_a_papers_text_digest_is_the_digest_of_its_title_and_abstract() -> None:
    from sitegen.cache import digest, text_digest

    assert text_digest("A title", "An abstract.") == digest("A title", "An abstract.")
    assert text_digest("A title", "An abstract.") != text_digest("A title ", "An abstract.")
    assert text_digest("\udcff", "") == digest("\udcff", "")  # a lone surrogate still hashes


def test_saving_removes_what_a_write_killed_half_way_left(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / ".sitegen-cache")
    cache.memo("discovery", "d1", lambda: ["related"])
    cache.save()
    leftover = tmp_path / ".sitegen-cache" / ".memo-x.cache.abc.tmp"  # as write_atomic names it
    leftover.write_bytes(b"half a memo")
    cache.memo("discovery", "d2", lambda: ["other"])
    cache.save()
    assert not leftover.exists() and BuildCache.load(tmp_path).recall("discovery", "d2")


def test_released_parsed_inputs_are_on_disk_and_no_longer_held(tmp_path: Path) -> None:
    cache = BuildCache.load(tmp_path)
    cache.parse("page", "a", lambda: "A")
    cache.parse("dump", "b", lambda: "B")
    cache.release_parsed()
    assert cache.parsed == {} and not any(name.startswith("parsed-") for name in cache.changed)
    assert cache.parse("page", "c", lambda: "C") == "C"  # made, but kept nowhere
    cache.save()  # writes no bucket: they are on disk, and this cache holds none
    assert BuildCache.load(tmp_path).parsed == {"page:a": "A", "dump:b": "B"}


def test_new_inputs_share_one_bucket_only_up_to_its_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moved project re-keys every page: past the fresh bucket's room they spread by key,
    so a later edit of one page rewrites one small bucket, not one holding them all."""
    monkeypatch.setattr(cache_module, "FRESH_ROOM", 4)
    cache = BuildCache.load(tmp_path)
    cache.parse("page", "old", lambda: "O")
    cache.save()
    again = BuildCache.load(tmp_path)
    for n in range(40):
        again.parse("page", f"new{n}", lambda: "N")
    fresh = [k for k, b in again.buckets.items() if k != "page:old" and b == again.fresh]
    assert len(fresh) >= 4  # the first four, and any whose key falls there too
    spread = [k for k in again.buckets if k != "page:old" and k not in fresh[:4]]
    assert all(again.buckets[k] == bucket(k) for k in spread) and len(spread) == 36


def test_a_dump_goes_into_one_bucket_however_full_the_buckets_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buckets filled by key (a cold start) are each near the average: a later build's new
    inputs, as many as an average bucket holds, still share one bucket."""
    monkeypatch.setattr(cache_module, "FRESH_ROOM", 4)
    cache = BuildCache.load(tmp_path)
    for n in range(640):  # 20 a bucket on average
        cache.parse("page", f"old{n}", lambda: "O")
    cache.save()
    for build in range(3):
        again = BuildCache.load(tmp_path)
        for n in range(640):
            again.parse("page", f"old{n}", lambda: "O")
        for n in range(20):
            again.parse("page", f"new{build}-{n}", lambda: "N")
        assert {again.buckets[f"page:new{build}-{n}"] for n in range(20)} == {again.fresh}
        again.save()


@given(st.text(alphabet="ab/. \u00e9", max_size=12))
def test_a_path_decodes_as_pathlib_parses_it(text: str) -> None:
    # Decoding makes a path as its folder's child (plain.path_of): the same Path, whatever
    # its slashes and dots (a crafted cache may hold any text).
    made = decode(encode(Path(text)), [len(text) + 1])
    assert made == Path(text) and made.parts == Path(text).parts and str(made) == str(Path(text))
    raw = decode(["P", text], [1])
    assert raw == Path(text) and raw.parts == Path(text).parts and str(raw) == str(Path(text))
