"""File-system edges: which files are inputs, YAML with errors by line, atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any, BinaryIO

import yaml

from sitegen.errors import SitegenError

# mkstemp creates files readable by their owner only; published files should get
# the permissions a plain open() would give them (0666 less the umask).
UMASK = os.umask(0o022)
os.umask(UMASK)
FILE_MODE = 0o666 & ~UMASK
# Editor swap and backup files, half-written downloads and temporaries: never inputs.
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part", ".crdownload", ".pyc")


def counts_as_input(relative: PurePath) -> bool:
    """Whether a file (path relative to the site root or an input folder) is an input.

    The one rule for dumps, pages, static files and the watcher: nothing hidden
    (no part starts with "."), no editor or download leftover.
    """
    parts = relative.parts
    return (
        bool(parts)
        and not any(p.startswith(".") for p in parts)
        and not relative.name.endswith(IGNORED_SUFFIXES)
    )


YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster at 100k pages


def load_yaml(text: str, path: Path | str, first_line: int = 1, what: str = "invalid YAML") -> Any:
    """Parse YAML text read from path (starting at first_line of the file).

    The one mapping of YAML mistakes to user errors: "path:line: what: problem".
    """
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line = mark.line + first_line if mark is not None else None
        raise SitegenError(f"{what}: {problem}", path, line) from None


def write_atomic(path: Path, data: bytes | str | Callable[[BinaryIO], None]) -> None:
    """Write a file so readers see either the old or the new bytes, never half.

    data may be a function that writes to the open file (to stream large output).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            os.fchmod(handle.fileno(), FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write atomically unless the file already holds these bytes; say whether it wrote."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
