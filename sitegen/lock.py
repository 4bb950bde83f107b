"""One command at a time per project: a lock file around everything that writes.

`sitegen build`, `add`, `ingest`, `deploy`, `themes --apply --write` and each of
`serve`'s rebuilds hold an exclusive fcntl.flock on .sitegen-cache/lock while they
ingest and build, so two never share site/, the cache or content/ at once. The
kernel drops the lock when its holder ends, killed or not: a stale lock can't exist.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sitegen.cache import CACHE_DIR
from sitegen.errors import SitegenError

LOCK_FILE = "lock"


def holder(fd: int) -> str:
    """The process id the current holder wrote into the lock file ("" if unknown)."""
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


@contextmanager
def project_lock(
    root: Path, wait: bool = True, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the project's lock: wait for it (saying so once), or fail at once if not `wait`."""
    folder = root / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by spawned workers
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = holder(fd)
            who = f"another sitegen command (pid {pid})" if pid else "another sitegen command"
            if not wait:
                raise SitegenError(f"{who} is working on this project (--no-wait)", path) from None
            if say is not None:
                say(f"waiting for {who} to finish with {root} ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
