"""Other processes for build work, so it uses the second core.

- worker_process: a pool of one warm process for `serve` and `watch` (the search index);
- Forked: a one-shot forked copy of this process for CLI builds (half the pages, the
  search index). A copy shares the whole model with its parent instead of receiving
  it pickled, and gives its memory back the moment it is done.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sitegen.errors import SitegenError

if TYPE_CHECKING:  # a build forks; only serve's warm worker needs a process pool
    from concurrent.futures import Executor


@contextmanager
def worker_process(start_method: str) -> Iterator[Executor | None]:
    """One worker process for late jobs, so the search index builds on the second core.

    "fork" is instant but only safe before any thread starts (a CLI build);
    `serve` runs threads, so it uses "spawn" and keeps the worker warm.
    """
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(start_method)
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
    )
    try:
        yield pool
    finally:
        # Ctrl+C must not wait for a search job to finish: at exit, the pool's own atexit
        # hook would join the worker. (No public way to stop it before Python 3.14.)
        running = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            process.terminate()


def exit_with_parent(parent: int) -> None:
    """In a worker: end when the parent process is gone (killed, not shut down)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class Forked:
    """A function running in a forked copy of this process; result() waits for its value.

    Only where no other thread runs (a CLI build): a fork copies one thread only.
    """

    def __init__(self, function: Callable[..., Any], *args: Any):
        # The value goes through an unnamed temporary file, not a pipe: the copy can
        # write it all and exit (freeing its memory) long before the parent reads it.
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result() or abandon()
        # The copy shares memory with this process until either writes to it, and a
        # garbage collection writes to every object it scans: freeze what exists now
        # (at 100k papers this saves GBs of peak memory).
        gc.freeze()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: run, report, and never return into the caller
            try:
                pickle.dump(run_reporting(function, args), self.file, pickle.HIGHEST_PROTOCOL)
                self.file.flush()
            finally:
                os._exit(0)

    def result(self) -> Any:
        """Wait for the copy and return its value (or raise its SitegenError)."""
        os.waitpid(self.pid, 0)
        self.pid = 0  # reaped: nothing left to stop (abandon), and its id may be reused
        try:
            with self.file:
                self.file.seek(0)
                error, value = pickle.load(self.file)
        except EOFError:
            raise SitegenError("internal error: a build process died (out of memory?)") from None
        if error is not None:
            raise error
        return value

    def abandon(self) -> None:
        """Stop the copy (this process failed first), so it writes nothing more."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        self.file.close()


def run_reporting(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, Any]:
    """(None, function(*args)), or (the error, None) for the parent to raise."""
    try:
        return None, function(*args)
    except SitegenError as exc:
        return exc, None
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which has the terminal
        return SitegenError(f"internal error in a build process: {exc!r}"), None
