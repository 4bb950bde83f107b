"""Build work in other processes: the one-shot forked copy of CLI builds, serve's warm worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.errors import SitegenError
from sitegen.workers import Forked

SHARED = {"papers": list(range(1000))}  # made before the fork: the copy sees it unpickled


def total_of_shared(key: str) -> int:
    """Runs in the copy."""
    return sum(SHARED[key])


def fail(kind: str) -> None:
    """Runs in the copy and goes wrong in one of three ways."""
    if kind == "user":
        raise SitegenError("template: boom", "templates/paper.html", 3)
    if kind == "bug":
        raise KeyError("oops")
    os._exit(9)  # dies without a word, as the OOM killer would leave it


def test_forked_copy_returns_its_value() -> None:
    assert Forked(total_of_shared, "papers").result() == sum(range(1000))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("user", "templates/paper.html:3: template: boom"),
        ("bug", "internal error in a build process: KeyError('oops')"),
        ("died", "internal error: a build process died (out of memory?)"),
    ],
)
def test_forked_copy_failures_become_one_line_errors(kind: str, message: str) -> None:
    with pytest.raises(SitegenError) as caught:
        Forked(fail, kind).result()
    assert str(caught.value) == message


# A script: a job (JOB_*, writing the marker file named by its argument) submitted to the
# warm worker, and the pool left as soon as the marker is there.
LEAVES_THE_POOL = """
import sys, time
from pathlib import Path
from sitegen.workers import worker_process
{job}
if __name__ == "__main__":
    marker = Path(sys.argv[1])
    with worker_process("spawn") as pool:
        pool.submit(job, str(marker))
        while not marker.exists():
            time.sleep(0.001)
    print("left")
"""

WAITS_FOR_A_JOB = """
def job(marker):
    Path(marker).write_text("started")
    time.sleep(600)
"""


def test_leaving_serves_worker_does_not_wait_for_its_running_job(tmp_path: Path) -> None:
    # As Ctrl+C in `sitegen serve` while the search index builds in the warm worker.
    leave_the_pool(tmp_path, WAITS_FOR_A_JOB)  # the job sleeps 600 s: waiting for it fails


def leave_the_pool(tmp_path: Path, source: str) -> None:
    """Run a script that leaves worker_process once its job wrote the marker file (the
    script's argument); it must print "left" and end within a minute."""
    script, marker = tmp_path / "script.py", tmp_path / "marker"
    script.write_text(LEAVES_THE_POOL.format(job=source))
    done = subprocess.run(
        [sys.executable, str(script), str(marker)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "left\n" and marker.exists()


HANDS_BACK_A_RESULT = """
from multiprocessing import connection

def job(marker):
    # The result's length goes down the pipe, then the worker says so and takes a moment
    # before its bytes: the pool is left just then, as a preview stopped mid-send.
    send = connection.Connection._send

    def slow(self, buf, *args):
        send(self, buf, *args)
        if len(buf) == 4 and not Path(marker).exists():
            Path(marker).write_text("sending")
            time.sleep(0.5)

    connection.Connection._send = slow
    return b"x" * 1_000_000
"""


def test_leaving_serves_worker_while_it_hands_back_a_result_does_not_hang(
    tmp_path: Path,
) -> None:
    # As Ctrl+C in `sitegen serve` just after the worker put a new dump's search files in
    # place (build.write.worker_search), while it sends them back: killed mid-send, it left
    # the pool's thread waiting for the rest of the message, and the exit with it.
    leave_the_pool(tmp_path, HANDS_BACK_A_RESULT)


def parts(fail_after: int) -> object:
    """Runs in the copy: yields its parts one at a time, perhaps failing after some."""
    for number in range(3):
        if number == fail_after:
            raise SitegenError("template: boom")
        yield [number] * 1000


def test_forked_copy_hands_back_a_generators_parts_in_order() -> None:
    assert Forked(parts, 9).result() == [[0] * 1000, [1] * 1000, [2] * 1000]
    with pytest.raises(SitegenError, match="template: boom"):
        Forked(parts, 2).result()  # a part made before the error is not a result


def waits_for(marker: str) -> object:
    """Runs in the copy: a first part, then a second only once the parent made `marker`."""
    yield {"first": list(range(100))}
    for _ in range(3000):
        if os.path.exists(marker):
            break
        time.sleep(0.01)
    yield "second" if os.path.exists(marker) else "gave up"


def test_a_copys_early_part_is_read_while_the_copy_goes_on(tmp_path: Path) -> None:
    marker = tmp_path / "go"
    copy = Forked(waits_for, str(marker))
    assert copy.early_part(0) == {"first": list(range(100))}  # the copy cannot end yet
    assert not copy.done()
    marker.touch()
    assert copy.result() == [None, "second"]  # the part taken early is not held twice


def first_waits_for(marker: str) -> object:
    """Runs in the copy: a first part only once the parent made `marker`."""
    for _ in range(3000):
        if os.path.exists(marker):
            break
        time.sleep(0.01)
    yield "first"


def test_a_part_is_seen_ready_only_once_the_copy_made_it(tmp_path: Path) -> None:
    marker = tmp_path / "go"
    copy = Forked(first_waits_for, str(marker))
    assert not copy.part_ready()  # it cannot be made before the marker
    marker.touch()
    for _ in range(500):
        if copy.part_ready():
            break
        time.sleep(0.01)
    assert copy.part_ready() and copy.early_part(0) == "first"
    assert copy.result() == [None]
    assert copy.part_ready()  # gone: taking a part would not wait either


def test_an_early_part_the_copy_never_made_raises_its_error() -> None:
    copy = Forked(parts, 1)
    with pytest.raises(ValueError, match="part 1 asked for early, after 0 taken"):
        copy.early_part(1)
    assert copy.early_part(0) == [0] * 1000
    with pytest.raises(SitegenError, match="template: boom"):
        copy.early_part(1)
    with pytest.raises(SitegenError, match="a build process died"):
        Forked(fail, "died").early_part(0)
    with pytest.raises(ValueError, match="only a generator's values"):
        Forked(total_of_shared, "papers").early_part(0)


def many_parts(count: int) -> object:
    """Runs in the copy: more parts than a pipe's buffer holds 8-byte notes of."""
    yield from range(count)


def test_a_copy_of_many_parts_never_waits_for_a_reader_and_can_be_stopped_after_one() -> None:
    assert Forked(many_parts, 20_000).result() == list(range(20_000))
    copy = Forked(many_parts, 3)
    assert copy.early_part(0) == 0
    copy.abandon()  # after a part taken early: nothing left open, nothing raised
    assert copy.ends_read == -1 and copy.file.closed


def test_a_finished_copy_is_seen_done_without_waiting_and_still_gives_its_value() -> None:
    copy = Forked(total_of_shared, "papers")
    for _ in range(500):
        if copy.done():
            break
        time.sleep(0.01)
    assert copy.done() and copy.result() == sum(range(1000))


def test_a_paused_collector_collects_no_cycle_inside_and_the_cycles_made_there_after() -> None:
    import gc
    import weakref

    from sitegen.workers import paused_collector

    class Node:
        pass

    assert gc.isenabled()
    with paused_collector():
        assert not gc.isenabled()  # no collection rescans the heap the last build left
        node = Node()
        node.self = node  # a cycle, garbage once dropped: only a collection frees it
        gone = weakref.ref(node)
        del node
        assert gone() is not None
    assert gone() is None  # collected on the way out, by a young collection
    assert gc.isenabled()


MAPPED_PROBE = """
import ctypes, sys
from sitegen.workers import map_large_blocks

class Info(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
freed = bytearray(16 << 20)  # mapped; freed, it raises glibc's threshold to its size
del freed
if sys.argv[1] == "map":
    map_large_blocks()
before = libc.mallinfo2().hblkhd
block = bytearray(2 << 20)
print(libc.mallinfo2().hblkhd - before)
"""


@pytest.mark.parametrize(("how", "mapped"), [("map", True), ("heap", False)])
def test_large_blocks_are_mapped_on_their_own_once_asked(how: str, mapped: bool) -> None:
    out = subprocess.run(
        [sys.executable, "-c", MAPPED_PROBE, how], capture_output=True, text=True, check=True
    )
    # A 2 MiB block after a 16 MiB one was freed: in the heap, unless map_large_blocks ran.
    assert (int(out.stdout) >= 2 << 20) is mapped
