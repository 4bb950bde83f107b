"""Values as plain data (marshal of str, int, float, bytes, list), so loading runs no code.

The build cache sits in the project folder, which may be shared or downloaded: unpickling
it would run whatever code a crafted file names. Instead the cache is stored as marshal
data made only of plain values, and `decode` rebuilds objects of sitegen's own dataclasses
only, field by field, refusing anything else (a code object marshal might hold included).
Every container is a tagged list, so user data (front matter) can never pose as a tag.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import importlib
import os
from itertools import chain, compress
from pathlib import Path, PurePosixPath
from typing import Any

PLAIN = (str, int, float, bytes, bool, type(None))
PACKAGE = "sitegen."


def encode(value: Any) -> Any:
    """value as plain data: scalars stay, containers and objects become tagged lists."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if isinstance(value, PLAIN) and not is_numpy_scalar(value):
        return value
    if kind is memoryview and value.format == "B" and value.c_contiguous:
        return value  # an array's bytes (discover.array_bytes): written, and read, as bytes
    if kind is list or kind is tuple:
        shape = "L" if kind is list else "T"
        if value and object_kind(type(value[0])) and len(set(map(type, value))) == 1:
            return ["O", *class_name(type(value[0])), shape, object_rows(value)]
        return [shape, encoded(value)]
    if kind is dict:
        return ["D", encoded([x for item in value.items() for x in item])]
    if kind in (set, frozenset):
        return ["S" if kind is set else "F", encoded(sorted(value, key=repr))]
    if isinstance(value, PurePosixPath):
        return ["P", str(value)]
    if kind is datetime.datetime:
        return ["t", value.isoformat()]
    if kind is datetime.date:
        return ["d", value.isoformat()]
    if object_kind(kind):
        return object_record(kind, object_rows([value])[0])
    if is_numpy_scalar(value):  # numpy's float64 and str_ are a float and a str that marshal
        return encode(value.item())  # would write as their bytes: the Python value instead
    raise TypeError(f"cannot store a {kind.__name__} in the cache")


def is_numpy_scalar(value: Any) -> bool:
    """Whether a value is one of numpy's scalars (numpy.float64, numpy.int64, numpy.str_...)."""
    return hasattr(value, "item") and hasattr(value, "dtype") and not getattr(value, "shape", ())


def encoded(items: Any) -> list[Any]:
    """Encode a sequence's items (strings, the most common, without a call each)."""
    return [v if type(v) is str else encode(v) for v in items]


@functools.cache
def object_kind(kind: type) -> bool:
    """Whether objects of a class are stored field by field: one of sitegen's dataclasses."""
    return dataclasses.is_dataclass(kind) and kind.__module__.startswith(PACKAGE)


def class_name(kind: type) -> tuple[str, str]:
    """A class's module and name, as dataclass_named finds it again."""
    return kind.__module__, kind.__qualname__


def object_record(kind: type, row: list[Any]) -> list[Any]:
    """One object as encode makes it: its class, then its row (object_rows)."""
    return ["C", *class_name(kind), row]


def object_rows(objects: Any) -> list[list[Any]]:
    """Objects of one of sitegen's dataclasses as rows: each its init fields' values, encoded
    (a list of them is one tag and class name, not one per object: object_rows_of)."""
    names = init_fields(type(objects[0]))
    return [encoded([getattr(value, name) for name in names]) for value in objects]


def decode(data: Any, room: list[int]) -> Any:
    """The value encode made; ValueError for anything encode would not have made, or for
    more items than `room` holds (see `values`)."""
    if type(data) in SCALARS:
        return data
    if type(data) is not list or len(data) < 2 or type(data[0]) is not str:
        raise ValueError("not cache data")
    tag, payload = data[0], data[1]
    if tag == "C" and len(data) == 4 and type(data[3]) is list:
        return make(payload, data[2], values(data[3], room))
    if tag == "O" and len(data) == 5 and data[3] in ROW_SHAPES and type(data[4]) is list:
        return SHAPES[data[3]](object_rows_of(payload, data[2], data[4], room))
    if tag in SHAPES and type(payload) is list:
        return SHAPES[tag](values(payload, room))
    if tag == "D" and type(payload) is list:
        items = values(payload, room)
        return dict(zip(items[::2], items[1::2], strict=True))
    if tag in MAX_TEXT and type(payload) is str:
        if len(payload) > MAX_TEXT[tag]:
            raise ValueError("not cache data")
        return path_of(payload) if tag == "P" else TIMES[tag].fromisoformat(payload)
    raise ValueError(f"unknown cache tag {tag!r}")


def path_of(text: str) -> Path:
    """Path(text), its folder's Path made once: a page's path parsed whole took a third of
    decoding the cache's pages (10k of them in a few dozen folders)."""
    folder, _, name = text.rpartition("/")
    odd = not folder.strip("/") or text.startswith("//") or name in ("", ".", "..")
    if odd or CHILD_OF is None:  # a root ("//" is one of its own), or no plain last part
        return Path(text)
    return CHILD_OF(folder_of(folder), name)


# pathlib's own way to a child of a parsed path (iterdir, glob): a private method, so a
# Python without it (3.13 has none) parses each path whole, as does Windows (the cache
# holds POSIX paths only: "C:/x" read there would be another path).
CHILD_OF = getattr(Path, "_make_child_relpath", None) if os.sep == "/" else None


@functools.lru_cache(maxsize=4096)
def folder_of(text: str) -> Path:
    """Path(text) of a folder, made once."""
    return Path(text)


def values(items: list[Any], room: list[int]) -> list[Any]:
    """Decode a list's items (strings, the most common, without a call each).

    `room` (one number, counted down): the items the record may still hold, its bytes at
    first (marshal writes each item in one byte at least); more raise ValueError. marshal
    can make a list that holds one list many times, each holding another so: a crafted
    record of a few hundred bytes, decoded item by item, would make 2**64 objects."""
    room[0] -= len(items)
    if room[0] < 0:
        raise ValueError("not cache data")
    return [v if type(v) is str else decode(v, room) for v in items]


SCALARS = frozenset(PLAIN)
SHAPES: dict[str, Any] = {"L": list, "T": tuple, "S": set, "F": frozenset}
ROW_SHAPES = frozenset("LT")  # what a list of objects is made as ("O": object_rows)
# The longest text a path or a time may be (Linux's PATH_MAX; an ISO time is ~32): a crafted
# record can name one long text many times over, each a 5-byte reference, and each read
# would parse all of it again.
MAX_TEXT = {"P": 4096, "t": 64, "d": 64}
TIMES: dict[str, Any] = {"t": datetime.datetime, "d": datetime.date}
NESTS = frozenset((tuple, list))  # what verbatim values nest in
VERBATIM_KINDS = SCALARS | NESTS
NESTING = 64  # levels verbatim walks: sitegen's values nest four deep at most


def verbatim(items: list[Any] | tuple[Any, ...], budget: int | None = None) -> bool:
    """Whether items are plain scalars and tuples and lists of them, at any depth: data
    marshal reads back as it was written, with nothing to decode (no tag, dict or object).

    A level at a time, each in C (a type per item, the next level chained): checking the
    10k tuples of a stat memo this way costs a tenth of decoding them one by one. A crafted
    record may hold a list that holds itself (marshal makes it): no more than NESTING levels
    are walked, nor (`budget`, a record's bytes: each item written takes one at least) more
    items than the record could hold.
    """
    level: Any = items
    walked = 0
    for _ in range(NESTING):
        kinds = set(map(type, level))
        if kinds <= SCALARS:
            return True
        if not kinds <= VERBATIM_KINDS:
            return False
        if not kinds <= NESTS:  # scalars among them: only the nests go on
            level = compress(level, map(NESTS.__contains__, map(type, level)))
        level = list(chain.from_iterable(level))
        walked += len(level)
        if budget is not None and walked > budget:
            return False
    return False


@functools.cache
def init_fields(kind: type) -> tuple[str, ...]:
    """The fields a dataclass's constructor takes."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.init)


@functools.cache
def dataclass_named(module: str, name: str) -> type:
    """One of sitegen's dataclasses by module and name; ValueError for anything else."""
    if not module.startswith(PACKAGE) or not all(p.isidentifier() for p in module.split(".")):
        raise ValueError(f"not a sitegen class: {module}")
    kind = getattr(importlib.import_module(module), name, None)
    if not isinstance(kind, type) or not dataclasses.is_dataclass(kind):
        raise ValueError(f"not a sitegen dataclass: {module}.{name}")
    return kind


def object_rows_of(module: Any, name: Any, rows: list[Any], room: list[int]) -> list[Any]:
    """The objects object_rows made rows of (of one of sitegen's dataclasses, by name)."""
    kind = dataclass_kind(module, name)
    size = len(init_fields(kind))
    if set(map(type, rows)) - {list} or set(map(len, rows)) - {size}:
        raise ValueError(f"{name} has other fields now")
    room[0] -= len(rows) + size * len(rows)  # values() would count each row's items so
    if room[0] < 0:
        raise ValueError("not cache data")
    # In field order, not by name: see make. Each row's fields decoded here, not by values():
    # a call less per object (10k pages are 10k rows).
    return [kind(*[v if type(v) is str else decode(v, room) for v in row]) for row in rows]


def dataclass_kind(module: Any, name: Any) -> type:
    """dataclass_named, for names read from the cache (ValueError if they are not strings)."""
    if type(module) is not str or type(name) is not str:
        raise ValueError("not cache data")
    return dataclass_named(module, name)


def make(module: Any, name: Any, values: list[Any]) -> Any:
    """An object of one of sitegen's dataclasses, from its init fields' values."""
    kind = dataclass_kind(module, name)
    if len(init_fields(kind)) != len(values):
        raise ValueError(f"{name} has other fields now")
    # In field order, not by name (2x faster: 60k objects in discovery's memo at 10k papers);
    # sitegen's dataclasses have no keyword-only fields (one would fail here: a cold start).
    return kind(*values)
