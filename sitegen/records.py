"""Records: dataclasses (`record`: frozen; `mutable`) whose methods compile at once, not one by one.

Python 3.11's dataclasses writes six methods for a frozen class (__init__, __repr__, __eq__,
__hash__, __setattr__, __delattr__) and compiles each on its own: ~0.5 ms a class on a
quiet machine, and sitegen's ~80 of them are made at every build's start (Python 3.13
compiles once per class). `record` lets dataclasses set up the fields (so fields(),
replace(), asdict() and pickling work as for any dataclass), compiles __init__, __eq__ and
__hash__ at once, and gives __repr__ and the refusals to change a field as functions shared
by every record: the same behaviour (tests/test_records.py compares it with
dataclass(frozen=True) case by case). Their compiled code is kept beside sitegen's own
bytecode, as Python keeps a module's (`kept_codes`): compiling it took ~27 ms of every start.
"""

from __future__ import annotations

import atexit
import dataclasses
import marshal
import reprlib
import sys
from collections.abc import Callable
from functools import cache
from importlib.util import MAGIC_NUMBER, cache_from_source
from pathlib import Path
from types import CodeType
from typing import Any, TypeVar

T = TypeVar("T")
SET = object.__setattr__
WRITTEN = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


class Factory:
    """The default of a field made by its default_factory (shown as dataclasses shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


FACTORY = Factory()


def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True)` for a plain class (no base dataclass, no slots, no InitVar)."""
    fields = fields_only(cls, WRITTEN)
    cls.__init__, cls.__eq__, cls.__hash__ = compiled_methods(cls, fields)  # type: ignore[misc]
    cls.__repr__ = repr_method(tuple(f.name for f in fields if f.repr))  # type: ignore[assignment]
    cls.__setattr__, cls.__delattr__ = frozen_methods(cls, {f.name for f in fields})  # type: ignore[assignment]
    return cls


def mutable(cls: type[T]) -> type[T]:
    """`@dataclass` (fields that can be set, compared by value, no hash) made as a record
    is: for a build's working state (a Run, the cache, a page being read)."""
    fields = fields_only(cls, WRITTEN[:4])
    # No __hash__ (None), as dataclasses leaves a class compared by value that is not frozen.
    cls.__init__, cls.__eq__, cls.__hash__ = compiled_methods(cls, fields, frozen=False)  # type: ignore[misc]
    cls.__repr__ = repr_method(tuple(f.name for f in fields if f.repr))  # type: ignore[assignment]
    return cls


def fields_only(cls: type, written: tuple[str, ...]) -> tuple[dataclasses.Field, ...]:
    """cls made a dataclass with no methods written (no exec), and its fields; TypeError for
    a class that defines a method a record writes, or that has a dataclass base."""
    own = [name for name in written if name in cls.__dict__]
    if own or any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: a record defines none of {written}, and no base")
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    return dataclasses.fields(cls)


def compiled_methods(
    cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool = True
) -> tuple[Callable, ...]:
    """__init__, __eq__ and __hash__ as dataclasses writes them (a frozen class's fields set
    past __setattr__; the compared and hashed fields' values as tuples; no __hash__, None,
    for a class that is not frozen), compiled at once."""
    names: dict[str, Any] = {"SET": SET, "FACTORY": FACTORY}
    params, lines = ["self"], []
    for f in fields:
        factory = f.default_factory is not dataclasses.MISSING
        if factory:
            names[f"factory_{f.name}"] = f.default_factory
        if not f.init:
            if factory:
                lines.append(assign(f.name, f"factory_{f.name}()", frozen))
            elif f.default is not dataclasses.MISSING:
                names[f"default_{f.name}"] = f.default
                lines.append(assign(f.name, f"default_{f.name}", frozen))
            continue
        if factory:
            params.append(f"{f.name}=FACTORY")
            value = f"factory_{f.name}() if {f.name} is FACTORY else {f.name}"
        elif f.default is not dataclasses.MISSING:
            names[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
            value = f.name
        else:
            params.append(f.name)
            value = f.name
        lines.append(assign(f.name, value, frozen))
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    compared = values_text("self", [f.name for f in fields if f.compare])
    other = values_text("other", [f.name for f in fields if f.compare])
    hashes = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    hashed = values_text("self", hashes)
    source = "\n".join(
        [
            f"def make({', '.join(names)}):",
            f" def __init__({', '.join(params)}):",
            *(f"  {line}" for line in lines or ["pass"]),
            " def __eq__(self, other):",
            "  if other.__class__ is self.__class__:",
            f"   return {compared} == {other}",
            "  return NotImplemented",
            *([" def __hash__(self):", f"  return hash({hashed})"] if frozen else []),
            f" return __init__, __eq__, {'__hash__' if frozen else 'None'}",
        ]
    )
    scope: dict[str, Any] = {}
    exec(compiled(source), {}, scope)  # noqa: S102 - our own source, from the class's field names
    methods = scope["make"](**names)
    for method in filter(None, methods):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    methods[0].__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return methods


def assign(name: str, value: str, frozen: bool) -> str:
    """The source that sets a field in __init__: past __setattr__ in a frozen class."""
    return f"SET(self, {name!r}, {value})" if frozen else f"self.{name} = {value}"


def values_text(name: str, fields: list[str]) -> str:
    """A tuple of these fields' values, as source: (self.a, self.b,)."""
    return "(" + "".join(f"{name}.{field}," for field in fields) + ")"


def repr_method(names: tuple[str, ...]) -> Callable[[Any], str]:
    """__repr__ as dataclasses writes it: Class(name=value!r, ...)."""

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return reprlib.recursive_repr()(__repr__)  # one that holds itself shows "..." there


def frozen_methods(cls: type, names: set[str]) -> tuple[Callable, Callable]:
    """__setattr__ and __delattr__ refusing to change a field (FrozenInstanceError)."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


# --- the compiled code, kept --------------------------------------------------------------
USED: set[str] = set()  # the sources this process compiled or found kept
NEW: set[str] = set()  # those it compiled, not yet written


def compiled(source: str) -> CodeType:
    """source compiled, or as kept_codes holds it."""
    codes = kept_codes()
    code = codes.get(source)
    if code is None:
        code = codes[source] = compile(source, "<record>", "exec")
        if not NEW:
            atexit.register(keep_compiled)  # the `sitegen` command calls it before os._exit
        NEW.add(source)
    USED.add(source)
    return code


def codes_path() -> Path | None:
    """Where the records' code is kept: beside this module's bytecode (records.TAG.methods)."""
    try:
        return Path(cache_from_source(__file__)).with_suffix(".methods")
    except (NotImplementedError, ValueError):  # no cache tag: this Python keeps no bytecode
        return None


@cache
def kept_codes() -> dict[str, CodeType]:
    """The records' code objects by their source, as the last process that compiled one
    left them ({} when there are none, or from another Python)."""
    path = codes_path()
    try:
        data = path.read_bytes() if path is not None else b""
        if data.startswith(MAGIC_NUMBER):
            codes = marshal.loads(data[len(MAGIC_NUMBER) :])
            if type(codes) is dict and all(type(c) is CodeType for c in codes.values()):
                return codes
    except (OSError, ValueError, EOFError, TypeError, MemoryError, RecursionError):
        pass  # unreadable or damaged: compiled again, and written anew
    return {}


def keep_compiled() -> None:
    """Write the code this process compiled to kept_codes' file (atomically), unless Python
    writes no bytecode here either; sources no record of this process used go once they are
    most of it (older versions of the classes)."""
    path = codes_path()
    if not NEW or path is None or sys.dont_write_bytecode:
        return
    codes = kept_codes()
    if len(codes) > 2 * len(USED) + 20:
        codes = {source: codes[source] for source in USED}
    from sitegen.fsio import write_atomic

    try:
        write_atomic(path, MAGIC_NUMBER + marshal.dumps(codes))
        NEW.clear()
    except OSError:
        pass  # a read-only install: compiled at every start, as its modules would be
