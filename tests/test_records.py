"""records.record behaves as dataclass(frozen=True), case by case, and for sitegen's own records."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import marshal
import os
import pickle
import pkgutil
import subprocess
import sys
from dataclasses import FrozenInstanceError, asdict, astuple, field, fields, replace
from pathlib import Path

import pytest

import sitegen
from sitegen.records import mutable, record


def both(make_class):
    """The class body made twice: with dataclass(frozen=True), and with record."""
    return dataclasses.dataclass(frozen=True)(make_class()), record(make_class())


def plain():
    class Plain:
        """Fields of every kind a record takes."""

        a: int
        b: str = "x"
        c: tuple = field(default_factory=tuple)
        d: int = field(default=3, compare=False, repr=False)
        e: list = field(default_factory=list, compare=False)
        f: int = field(default=0, init=False)
        g: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    return Plain


def posted():
    class Posted:
        """A __post_init__ that sets a field left out of __init__."""

        a: int
        b: int = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "b", self.a * 2)

    return Posted


def empty():
    class Empty:
        """No fields."""

    return Empty


def state(value: object) -> object:
    """What an instance holds and shows: its class name, fields, dict and repr."""
    return type(value).__name__, astuple(value), asdict(value), repr(value)


def made_alike(real: type, ours: type) -> list[tuple[object, object]]:
    """Both classes' instances from the same arguments (each refused by both, or made alike),
    their fields, signatures and match args compared first."""
    assert [f.name for f in fields(real)] == [f.name for f in fields(ours)]
    assert real.__match_args__ == ours.__match_args__
    assert str(inspect.signature(real)) == str(inspect.signature(ours))
    made = []
    for arguments in [(), (1,), (1, "y"), (1, "y", (2,)), (1, "y", (2,), 4, [5])]:
        try:
            expected = real(*arguments)
        except TypeError:
            with pytest.raises(TypeError):
                ours(*arguments)
            continue
        value = ours(*arguments)
        assert state(value)[1:] == state(expected)[1:]
        made.append((expected, value))
    return made


@pytest.mark.parametrize("make", [plain, posted, empty])
def test_a_record_is_a_frozen_dataclass(make) -> None:
    real, ours = both(make)
    names = [f.name for f in fields(real)]
    made = made_alike(real, ours)
    for (real_a, ours_a), (real_b, ours_b) in [(x, y) for x in made for y in made]:
        assert (real_a == real_b) == (ours_a == ours_b)
        assert (real_a != real_b) == (ours_a != ours_b)
        if real_a == real_b:
            assert (hash(real_a) == hash(real_b)) == (hash(ours_a) == hash(ours_b))
    for expected, value in made:
        assert (value == 1) is False and value.__eq__(expected) is NotImplemented
        for name in [*names, "other"]:
            with pytest.raises(FrozenInstanceError):
                setattr(value, name, 1)
            with pytest.raises(FrozenInstanceError):
                delattr(value, name)
        assert copy.copy(value) == value and copy.deepcopy(value) == value
        try:
            hash(expected)
        except TypeError:
            with pytest.raises(TypeError):
                hash(value)
        else:
            assert hash(value) == hash(expected)
        if names:
            changed = {names[0]: 7}
            assert state(replace(value, **changed))[1:] == state(replace(expected, **changed))[1:]


@pytest.mark.parametrize("make", [plain, posted, empty])
def test_a_mutable_record_is_a_dataclass(make) -> None:
    real, ours = dataclasses.dataclass(make()), mutable(make())
    assert ours.__hash__ is None and real.__hash__ is None  # compared by value: unhashable
    made = made_alike(real, ours)
    for (real_a, ours_a), (real_b, ours_b) in [(x, y) for x in made for y in made]:
        assert (real_a == real_b) == (ours_a == ours_b) and (ours_a != ours_b) == (real_a != real_b)
    for expected, value in made:
        assert value.__eq__(1) is NotImplemented and copy.deepcopy(value) == value
        for name in [f.name for f in fields(real)]:
            setattr(expected, name, 9)
            setattr(value, name, 9)
        value.other = expected.other = 1  # not frozen: any attribute
        assert state(value)[1:] == state(expected)[1:]


def test_a_record_that_holds_itself_shows_dots_there_as_a_dataclass_does() -> None:
    real, ours = dataclasses.dataclass(plain()), mutable(plain())
    shown = []
    for kind in (real, ours):
        value = kind(1)
        value.a = value
        shown.append(repr(value))
    assert shown[0] == shown[1] and "a=..." in shown[1]


def test_a_record_refuses_what_it_would_not_write_as_dataclasses_does() -> None:
    class Own:
        a: int

        def __repr__(self) -> str:
            return "mine"

    with pytest.raises(TypeError):
        record(Own)
    with pytest.raises(TypeError):
        mutable(Own)


def sitegen_frozen_dataclasses() -> list[type]:
    """Every frozen dataclass sitegen defines (its modules imported), by name."""
    found = {}
    for module in pkgutil.walk_packages(sitegen.__path__, "sitegen."):
        for value in vars(importlib.import_module(module.name)).values():
            frozen = isinstance(value, type) and "__setattr__" in vars(value)
            if frozen and dataclasses.is_dataclass(value):  # by dataclasses or record
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_sitegens_records_are_frozen_and_compare_by_value() -> None:
    kinds = sitegen_frozen_dataclasses()
    records = [kind for kind in kinds if kind.__repr__.__module__ == "sitegen.records"]
    assert len(records) >= 80 and len(kinds) - len(records) <= 2  # the slots one, snapshot's
    for kind in records:
        assert kind.__eq__ is not object.__eq__ and kind.__hash__ is not object.__hash__, kind
        with pytest.raises(FrozenInstanceError):
            object.__new__(kind).__setattr__("anything", 1)
        assert kind.__match_args__ == tuple(f.name for f in fields(kind) if f.init), kind


def test_sitegens_other_dataclasses_are_mutable_records() -> None:
    found = set()
    for module in pkgutil.walk_packages(sitegen.__path__, "sitegen."):
        for value in vars(importlib.import_module(module.name)).values():
            ours = isinstance(value, type) and value.__module__.startswith("sitegen.")
            if ours and dataclasses.is_dataclass(value) and "__setattr__" not in vars(value):
                found.add(value)
    assert len(found) >= 15
    assert all(kind.__repr__.__module__ == "sitegen.records" for kind in found), found


@record
class Kept:
    """A record at a module's top, as sitegen's are: pickled by reference to its class."""

    name: str
    sizes: tuple[int, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)


def test_a_record_pickles_as_it_was() -> None:
    value = Kept("a", (1, 2), {"b": [3]})
    again = pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    assert again == value and again.extra == {"b": [3]} and type(again) is Kept
    with pytest.raises(FrozenInstanceError):
        again.name = "b"


KEPT_RUN = """
import builtins
real = builtins.compile
compiled = []
def counting(source, filename, *args, **kwargs):
    if filename == "<record>":
        compiled.append(source)
    return real(source, filename, *args, **kwargs)
builtins.compile = counting
import sitegen.build, sitegen.discover, sitegen.cli
from sitegen import records
records.keep_compiled()
print(len(compiled), len(records.USED))
"""


def kept_run(cache: Path, write: bool = True) -> tuple[int, int]:
    """A fresh interpreter importing the build (its bytecode under cache): how many records
    it compiled, and how many it made."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", KEPT_RUN], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    compiled, made = done.stdout.split()
    return int(compiled), int(made)


def test_the_records_code_is_kept_beside_the_bytecode_and_compiled_once(tmp_path: Path) -> None:
    from importlib.util import MAGIC_NUMBER

    first = kept_run(tmp_path)
    assert first[0] == first[1] > 50  # every record compiled once
    [kept] = tmp_path.rglob("records.*.methods")
    assert kept_run(tmp_path) == (0, first[1])  # none compiled again
    codes = marshal.loads(kept.read_bytes()[len(MAGIC_NUMBER) :])
    stale = {f"# an older class {n}\n": compile("pass", "<record>", "exec") for n in range(200)}
    dropped = next(iter(codes))  # compiled again: the file is written, without the stale
    codes = {**{s: c for s, c in codes.items() if s != dropped}, **stale}
    kept.write_bytes(MAGIC_NUMBER + marshal.dumps(codes))
    assert kept_run(tmp_path) == (1, first[1])
    assert len(marshal.loads(kept.read_bytes()[len(MAGIC_NUMBER) :])) == first[1]
    kept.write_bytes(b"damaged")  # or from another Python: compiled, and written anew
    assert kept_run(tmp_path) == first
    kept.unlink()
    assert kept_run(tmp_path, write=False) == first and not kept.exists()
