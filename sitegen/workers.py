"""Other processes for build work, so it uses the second core.

- worker_process: a pool of one warm process for `serve` and `watch` (the search index);
- Forked: a one-shot forked copy of this process for CLI builds (half the pages, the
  search index). A copy shares the whole model with its parent instead of receiving
  it pickled, and gives its memory back the moment it is done;
- paused_collector: a long-lived process's rebuild, without the cycle collector rescanning
  what the last build left.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from sitegen.cache import no_gc
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
        # Ctrl+C must not wait long for a search job to finish: at exit, the pool's own
        # atexit hook would join the worker. (No public way to stop it before Python 3.14.)
        # A job handing back its result gets STOP_GRACE first: a worker killed half-way
        # through sending leaves the pool's thread waiting for the rest, and exit with it.
        running = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            process.join(STOP_GRACE)
            process.terminate()


STOP_GRACE = 2.0  # seconds a preview's worker gets to finish its job when the preview ends


def exit_with_parent(parent: int) -> None:
    """In a worker: end when the parent process is gone (killed, not shut down)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


# The cyclic garbage collector's thresholds for a sitegen process (Python's are 700, 10, 10).
# A build makes millions of small objects that live until it ends (key-term candidates,
# related lists, views), and each full collection walks all of them: at 100k papers
# discovery spent 20 s of 114 s collecting, 6 s with these (a young collection still
# runs every 10,000 allocations, so short-lived cycles are freed as before).
GC_THRESHOLDS = (10_000, 20, 20)


def tune_collector() -> None:
    """Collect garbage cycles less often (GC_THRESHOLDS)."""
    gc.set_threshold(*GC_THRESHOLDS)


@contextmanager
def paused_collector() -> Iterator[None]:
    """Run the block with the cycle collector off, then collect the young generations once.

    A preview holds the last build's model and cache (millions of objects at 10k papers),
    and every full collection during a rebuild scanned them all: six or seven of ~0.2 s
    while a 200-paper dump was added, one of them before the open tab's page was drafted.
    A rebuild leaves few cycles (0-40 objects measured), so one young collection after it
    finds them (everything it made is still young: ~85 ms at 10k papers, against ~0.2 s for
    a full one); the old generation is left to the collector's own schedule."""
    with no_gc():  # collected before it is on again: an automatic one would scan all too
        try:
            yield
        finally:
            gc.collect(1)


def forking_pays() -> bool:
    """Whether this system can fork, and has a second core for the copy."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


class Forked:
    """A function running in a forked copy of this process; result() waits for its value,
    early_part(i) only for a generator's i-th value (the copy goes on).

    Only where no other thread runs (a CLI build): a fork copies one thread only.
    """

    def __init__(self, function: Callable[..., Any], *args: Any):
        # The value goes through an unnamed temporary file, not a pipe: the copy can
        # write it all and exit (freeing its memory) long before the parent reads it.
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result() or abandon()
        # Through a pipe, the copy says where each of its first EARLY_PARTS records ends
        # (8 bytes each: far below a pipe's buffer, so it never waits for a reader).
        self.ends_read, ends_written = os.pipe()
        self.ends: list[int] = []  # where each record taken early ends in the file
        self.taken = 0  # parts early_part handed over
        # The copy shares memory with this process until either writes to it, and a
        # garbage collection writes to every object it scans: freeze what exists now
        # (at 100k papers this saves GBs of peak memory).
        gc.freeze()
        try:
            self.pid = os.fork()
        except OSError:
            os.close(ends_written)
            self.close_ends()
            self.file.close()
            raise
        if self.pid == 0:  # the copy: run, report, and never return into the caller
            try:
                os.close(self.ends_read)
                for number, record in enumerate(run_reporting(function, args)):
                    pickle.dump(record, self.file, pickle.HIGHEST_PROTOCOL)
                    del record  # a part is dropped before the next is made...
                    if number < EARLY_PARTS:
                        self.file.flush()
                        os.write(ends_written, RECORD_END.pack(self.file.tell()))
                    give_back_memory()  # ...and the memory it held goes back to the system
                self.file.flush()
            finally:
                os._exit(0)
        os.close(ends_written)  # the copy's end: reading finds the end once the copy is gone

    @property
    def stopped(self) -> bool:
        """Whether nothing more of the copy can be read (abandoned, or its value read)."""
        return self.file.closed

    def done(self) -> bool:
        """Whether the copy has finished (without waiting for it)."""
        if self.pid and os.waitpid(self.pid, os.WNOHANG)[0] == 0:
            return False
        self.pid = 0  # reaped: nothing left to stop (abandon), and its id may be reused
        return True

    def wait(self) -> None:
        """Wait for the copy to finish (its value is read by result())."""
        if self.pid:
            os.waitpid(self.pid, 0)
        self.pid = 0  # reaped: nothing left to stop (abandon), and its id may be reused

    def early_part(self, index: int) -> Any:
        """A generator's value number `index` (below EARLY_PARTS), as soon as the copy has
        written it; taken in order, and listed as None by result() (not held twice)."""
        if index != self.taken or index >= EARLY_PARTS:
            raise ValueError(f"part {index} asked for early, after {self.taken} taken")
        start = self.ends[-1] if self.ends else 0
        said = os.read(self.ends_read, RECORD_END.size) if self.ends_read >= 0 else b""
        if len(said) < RECORD_END.size:  # the copy is gone before that part
            return self.result()[index]  # raises its error, or that it died
        end = RECORD_END.unpack(said)[0]
        # pread: the copy shares the file's offset, and may be writing at it
        kind, value = pickle.loads(os.pread(self.file.fileno(), end - start, start))
        if kind == ERROR:
            return self.result()[index]  # raises it
        if kind != PART:
            raise ValueError("only a generator's values can be taken early")
        self.ends.append(end)
        self.taken += 1
        return value

    def part_ready(self) -> bool:
        """Whether early_part would return at once: the next part is made (or the copy gone)."""
        if self.ends_read < 0:
            return True
        watch = select.poll()  # not select(): no limit on the descriptor's number
        watch.register(self.ends_read, select.POLLIN)
        return bool(watch.poll(0))

    def result(self) -> Any:
        """Wait for the copy and return its value (or raise its SitegenError)."""
        self.wait()
        self.close_ends()
        parts: list[Any] = [None] * self.taken
        try:
            with self.file:
                self.file.seek(self.ends[-1] if self.ends else 0)
                while (record := pickle.load(self.file))[0] == PART:
                    parts.append(record[1])
        except EOFError:
            raise SitegenError("internal error: a build process died (out of memory?)") from None
        kind, value = record
        if kind == ERROR:
            raise value
        return parts if kind == PARTS_END else value

    def abandon(self) -> None:
        """Stop the copy (this process failed first), so it writes nothing more."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        self.close_ends()
        self.file.close()

    def close_ends(self) -> None:
        """Close this end of the copy's pipe (once)."""
        if self.ends_read >= 0:
            os.close(self.ends_read)
            self.ends_read = -1

    def __del__(self) -> None:
        self.close_ends()  # a copy dropped unread (its file closes itself)


def give_back_memory() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim): Python frees a
    large result's objects, but the allocator keeps their pages mapped otherwise."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)


def map_large_blocks(size: int = 1 << 20) -> None:
    """Have glibc's malloc map each block of `size` bytes or more on its own (a fixed
    M_MMAP_THRESHOLD, which also stops glibc from raising it as large blocks are freed):
    such a block grows by a move of its pages (mremap), not by a copy that leaves its old
    place as a hole in the heap, and goes back to the system when freed."""
    libc = glibc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, size)


@cache
def glibc() -> Any:
    """The C library, when it is glibc (its malloc_trim and mallopt); None otherwise."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None  # not glibc: nothing to do


M_MMAP_THRESHOLD = -3  # glibc's malloc.h


# What a copy writes, record by record: (VALUE, value) or (ERROR, error); a function that
# yields writes (PART, value) for each value as it comes, then (PARTS_END, None).
VALUE, ERROR, PART, PARTS_END = "value", "error", "part", "end"
RECORD_END = struct.Struct("q")  # what the copy says through its pipe after a record
EARLY_PARTS = 8  # the parts a parent may take early (Forked.early_part)


def run_reporting(function: Callable[..., Any], args: tuple[Any, ...]) -> Iterator[tuple]:
    """The records of function(*args) (see VALUE): a generator's values one at a time, so
    the copy holds one part at once; an error is the last record, for the parent to raise."""
    try:
        value = function(*args)
        if not isinstance(value, GeneratorType):
            yield VALUE, value
            return
        for part in value:
            yield PART, part
            del part  # before the next part is made
        yield PARTS_END, None
    except SitegenError as exc:
        yield ERROR, exc
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which has the terminal
        yield ERROR, SitegenError(f"internal error in a build process: {exc!r}")
