"""A worker process for slow, independent build jobs (the search index), on the second core."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def worker_process(start_method: str) -> Iterator[Executor | None]:
    """One worker process for late jobs, so the search index builds on the second core.

    "fork" is instant but only safe before any thread starts (a CLI build);
    `serve` runs threads, so it uses "spawn" and keeps the worker warm.
    """
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    context = multiprocessing.get_context(start_method)
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def exit_with_parent(parent: int) -> None:
    """In a worker: end when the parent process is gone (killed, not shut down)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
