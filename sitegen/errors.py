"""The one error type users see: a message that names the file (and line)."""

from __future__ import annotations

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
        return f"{where}{self.message}"
