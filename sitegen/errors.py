"""The one error type users see (a message naming the file and line), and config warnings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class SitegenError(Exception):
    """A user-facing error, printed as one line without a traceback."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return " ".join(f"{where}{self.message}".splitlines())  # one line, whatever it quotes


def unknown_key(key: object, known: Iterable[str], where: str) -> str:
    """A warning for a key a config file doesn't know, with a 'did you mean' when one is close."""
    import difflib  # only for this warning: every command imports this module (~4 ms)

    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}unknown key {str(key)!r}, ignored{hint}"
