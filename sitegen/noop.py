"""A no-op build in one directory walk: inputs and output stat-equal to the last build's.

`sitegen build` with nothing changed used to read every page, make every view and
hash it to find that nothing had changed (~3 s at 10k papers). Instead, after each
CLI build, the stats of everything a build reads (content/, the site's and the
shipped templates and static files, sitegen's own code) and of everything it wrote
(the output folder) are recorded, with the lines the build printed. When both
still match, nothing can differ, and the next build replays those lines.

An input's stat is (path, size, mtime_ns, ctime_ns, inode); an output file's is (path,
size, ctime_ns), as the build itself saw it (build.write.files_left), so a file changed
even while the build ran shows. No tool sets a ctime back (only a clock stepped back
does), so any write, rename or `touch` in between makes the next build a real one. A
stamp whose newest time is too recent to tell a later change from it (file times tick
coarsely) waits that tick out, or is not recorded.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import asdict
from functools import cache
from pathlib import Path, PurePosixPath

from sitegen import __version__
from sitegen.cache import CACHE_DIR, digest
from sitegen.errors import SitegenError
from sitegen.fsio import counts_as_input, read_input, sorted_entries, write_atomic
from sitegen.output import MANIFEST, SWEPT, LeftFiles, read_manifest
from sitegen.records import record
from sitegen.shipped import DEFAULT_THEMES, PACKAGE_DIR, shipped

RACY = "racy:"  # the prefix of an input stamp too recent to be recorded
# How far a file time may lag the wall clock where the clock that stamps it can't be read:
# the file system is remote (NFS, SMB, FUSE, 9p: another machine's clock), or not Linux.
RACY_NS = 20_000_000
RACY_NS_WHOLE_SECONDS = 2_000_000_000  # FAT and HFS+ keep whole seconds (FAT: even ones)
SETTLE_POLL_S, SETTLE_LONGEST_S = 0.001, 1.0  # settled(): how often it looks, and how long
CLOCK_REALTIME_COARSE = 5  # Linux's clock id (the time module has no name for it)
# File systems whose file times Linux stamps from its own clock (CLOCK_REALTIME_COARSE, or a
# finer reading of it, never an earlier one), to the nanosecond or (old ext inodes) to the
# second, which is_racy tells by the time. Others may be stamped by another machine or
# to a coarser grain (FAT, exFAT, NTFS): RACY_NS holds there.
KERNEL_STAMPED = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "f2fs", "bcachefs", "overlay", "zfs"}
)
MOUNTS = Path("/proc/self/mountinfo")


def coarse_clock_readable() -> bool:
    """Whether this is Linux and its coarse clock can be read."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        time.clock_gettime_ns(CLOCK_REALTIME_COARSE)
    except (AttributeError, OSError):
        return False
    return True


KERNEL_CLOCK = False  # whether file_clock_ns reads the kernel's clock (use_clock_of says)


@record
class Replay:
    """What a build printed, to print again when nothing changed."""

    papers: int
    total: int
    details: list[str]  # ingest warnings per dump (shown with -v)
    warnings: list[str]  # ingest and build warnings
    notes: list[str]


def tree_stats(folder: Path, into: list[str], seen: set[tuple[int, int]] | None = None) -> int:
    """Append a line per file under folder: its path and stat, in a stable order.

    Linked folders are followed (the build reads pages through them), each folder once.
    Returns the newest change time (ns) of any file in it.
    """
    seen = set() if seen is None else seen
    newest = 0
    try:
        here = folder.stat()
        if (here.st_dev, here.st_ino) in seen:
            return newest
        seen.add((here.st_dev, here.st_ino))
    except OSError:  # missing or unreadable: recorded as such by the caller's path
        return newest
    for entry in sorted_entries(str(folder)):
        if entry.name == "__pycache__":  # written by imports, read by no build
            continue
        try:
            if entry.is_dir():
                into.append(f"{entry.path}/")
                newest = max(newest, tree_stats(Path(entry.path), into, seen))
                continue
            s = entry.stat()
        except OSError:  # a dangling link: its own stat says enough
            s = entry.stat(follow_symlinks=False)
        newest = max(newest, stat_line(entry.path, s, into))
    return newest


def stat_line(path: str, s: os.stat_result, into: list[str]) -> int:
    """Append one file's line (stat_text); returns its change time."""
    into.append(stat_text(path, s))
    return s.st_ctime_ns


def stat_text(path: str, s: os.stat_result, size: object = None) -> str:
    """A file's line in a stamp: path, size (or what stands for it), mtime, ctime, inode."""
    size = s.st_size if size is None else size
    return f"{path} {size} {s.st_mtime_ns} {s.st_ctime_ns} {s.st_ino}"


def line_path(line: str) -> str:
    """The path of a file's line (stat_text): all but its last four fields."""
    return line.rsplit(" ", 4)[0]


def input_folders(root: Path) -> list[Path]:
    """The folders a build of root reads: the project's, sitegen's code and its shipped ones."""
    project = [root / "content", root / "templates", root / "static"]
    return [*project, PACKAGE_DIR, shipped("templates"), shipped("static")]


def input_lines(root: Path, output: Path, base_url: str | None) -> tuple[list[str], int]:
    """What a build of root into output reads: a line per file (stat_text), and the newest
    change time among them (stamp_of makes them the input stamp)."""
    lines = [__version__, str(output.resolve()), repr(base_url)]
    newest, seen = 0, set()  # seen: in a wheel, the shipped folders are inside PACKAGE_DIR
    for folder in input_folders(root):
        lines.append(f"@{folder}")
        newest = max(newest, tree_stats(folder, lines, seen))
    if DEFAULT_THEMES.exists():  # in a checkout, the demo's content/themes.yaml
        newest = max(newest, stat_line(str(DEFAULT_THEMES), DEFAULT_THEMES.stat(), lines))
    return lines, newest


def stamp_of(lines: list[str], newest: int) -> str:
    """Everything a build reads, as one hash of input_lines' stats: marked RACY when too
    recent to record."""
    stamp = digest("\n".join(lines))
    return RACY + stamp if is_racy(newest, file_clock_ns()) else stamp


def changed_pages(before: list[str], now: list[str], root: Path) -> list[Path] | None:
    """The pages (content/papers/**.md) whose stat differs between two builds' input lines,
    or None when anything else differs: a file added, removed or changed besides them (but
    none a build never reads, such as an editor's swap file beside a page)."""
    content = f"{root / 'content'}/"
    pairs = [(old, new) for old, new in zip(before, now, strict=False) if old != new]
    if len(before) != len(now) or any(is_read(a, content) != is_read(b, content) for a, b in pairs):
        # A line that only one side reads: compared again without those no build reads.
        before, now = read_only(before, content), read_only(now, content)
        if len(before) != len(now):
            return None
        pairs = [(old, new) for old, new in zip(before, now, strict=True) if old != new]
    # Each changed line read on both sides or neither (a notes edit's case): the lines read
    # are at the same places as in the lists without the others, so only these need a look.
    papers = f"{content}papers/"
    changed = []
    for old, new in pairs:
        if not is_read(new, content):
            continue  # nor is the old one
        path = line_path(new)
        if new.endswith("/") or line_path(old) != path:
            return None  # a folder (its path may hold spaces) or another file
        if not path.startswith(papers) or not path.endswith(".md"):
            return None
        changed.append(Path(path))
    return changed


def read_only(lines: list[str], content: str) -> list[str]:
    """The input lines but those of files and folders under content/ that are no input
    (fsio.counts_as_input: hidden, editor and download leftovers)."""
    return [line for line in lines if is_read(line, content)]


def is_read(line: str, content: str) -> bool:
    """Whether an input line's file or folder is one a build reads (all outside content/)."""
    if not line.startswith(content):
        return True
    return counts_as_input(PurePosixPath(line_relative(line, content)))


def line_relative(line: str, prefix: str) -> str:
    """The path of a line's file or folder, past a prefix (a folder's, with its slash)."""
    inside = line[len(prefix) :]
    return inside[:-1] if inside.endswith("/") else line_path(inside)


def as_written(before: list[str], wrote: dict[Path, str]) -> tuple[list[str], int] | None:
    """The input lines a walk would give now if, since `before` was taken, only the files
    ingest wrote changed (path -> content key as written), each still holding what ingest
    wrote: those lines with the written files' put in (at 10k papers, a second walk was
    43 ms of `sitegen add`'s tail, on one core). Anything else changed meanwhile stays as it
    was, so the next build differs from the record and is a full one. None where the walk's
    lines can't be told so (a folder not in them), or a written file or folder takes the
    place of a folder or file that was there."""
    lines, newest = list(before), 0
    starts = {line: at for at, line in enumerate(lines) if line.endswith("/") or line[:1] == "@"}
    blocks: dict[str, dict[str, list[str]]] = {}  # folder walked -> its new entries by name
    made: dict[str, dict[str, str]] = {}  # a folder ingest made -> its files' lines by name
    for path, key in wrote.items():
        name = str(path)
        try:
            found = os.stat(name)
        except OSError:
            return None  # gone (moved away) since ingest wrote it
        line = stat_text(name, found)
        if not holds(name, key, line):
            return None
        newest = max(newest, found.st_ctime_ns)
        folder, file = os.path.split(name)
        if block_at(starts, folder) < 0:
            made.setdefault(folder, {})[file] = line
        else:
            blocks.setdefault(folder, {})[file] = [line]
    for folder, files in made.items():  # each an entry of its parent's: its line, its files'
        parent, name = os.path.split(folder)
        blocks.setdefault(parent, {})[name] = [f"{folder}/", *(files[f] for f in sorted(files))]
    if any(block_at(starts, f) < 0 for f in blocks):
        return None
    # From the last block up: the lines a block gains move only those after it. (Where a
    # walk lists a folder's files elsewhere, under a link to it walked first, these lines
    # differ from it: the next build is a full one, as for any change meanwhile.)
    for folder in sorted(blocks, key=lambda f: -block_at(starts, f)):
        if not merge_entries(lines, block_at(starts, folder), folder, blocks[folder]):
            return None
    return lines, newest


def block_at(starts: dict[str, int], folder: str) -> int:
    """Where a folder's entries start in the lines (after its own line, or after a walked
    root's "@" line), or -1 if it has none."""
    return starts.get(f"{folder}/", starts.get(f"@{folder}", -1))


def merge_entries(lines: list[str], start: int, folder: str, entries: dict[str, list[str]]) -> bool:
    """Put entries (by name: a file's line, or a folder's and its files') among those of the
    folder whose lines follow `start`, in the order sorted_entries gives (by name): a file's
    in place of its old line. False where one would take the place of a folder, or a new
    folder that of a file (what stood there is gone, and the build may have read it)."""
    prefix, at, merged = f"{folder}/", start + 1, []
    new = sorted(entries)
    while at < len(lines) and lines[at].startswith(prefix):
        name = entry_name(lines[at], prefix)
        end = at + 1
        while end < len(lines) and lines[end].startswith(f"{prefix}{name}/"):
            end += 1  # a folder's own entries
        while new and new[0] < name:
            merged += entries[new.pop(0)]
        if new and new[0] == name:
            if lines[at].endswith("/") or entries[name][0].endswith("/"):
                return False
            merged += entries[new.pop(0)]
        else:
            merged += lines[at:end]
        at = end
    for name in new:
        merged += entries[name]
    lines[start + 1 : at] = merged
    return True


def entry_name(line: str, prefix: str) -> str:
    """The name of the entry a line of a folder's block stands for (a file's or a folder's)."""
    return line_relative(line, prefix).split("/")[0]


def holds(path: str, key: str, line: str) -> bool:
    """Whether a file holds the bytes of this content key, and its stat is still this line."""
    from sitegen.known import content_key  # known.py reads is_racy from here

    try:
        data = read_input(Path(path))
        return content_key(Path(path), data) == key and stat_text(path, os.stat(path)) == line
    except (OSError, SitegenError):
        return False


def use_clock_of(root: Path, output: Path | None = None) -> None:
    """Read file times by the kernel's clock from now on if a command's project (its inputs'
    folders, wherever a link takes them), its output and sitegen's own code all lie on file
    systems it stamps. (A link deeper inside them is not followed here.)"""
    global KERNEL_CLOCK
    places = [root, *input_folders(root), *([output] if output is not None else [])]
    KERNEL_CLOCK = coarse_clock_readable() and all(stamped_here(place) for place in places)


def stamped_here(folder: Path) -> bool:
    """Whether Linux stamps the times of files in a folder (or the nearest one there is, a
    link followed) from its own clock: the type of the file system mounted where it lies
    (the longest mount point above it in /proc/self/mountinfo) is in KERNEL_STAMPED."""
    place = os.path.realpath(folder)
    while not os.path.exists(place) and place != os.path.dirname(place):
        place = os.path.dirname(place)
    found, longest = None, -1
    for mount_point, kind in mounts():
        inside = place == mount_point or place.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= longest:  # the last of equals: mounted over
            found, longest = kind, len(mount_point)
    return found in KERNEL_STAMPED


@cache
def mounts() -> list[tuple[str, str]]:
    """Each mount point and its file system's type, in /proc/self/mountinfo's order ([]
    without one): a line's fifth field (spaces and the like escaped in octal) and the
    first after its lone "-"."""
    try:
        text = MOUNTS.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return []
    found = []
    for fields in map(str.split, text.splitlines()):
        if len(fields) > 7 and "-" in fields[6:-1]:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            found.append((point, fields[fields.index("-", 6) + 1]))
    return found


def file_clock_ns() -> int:
    """Now, as a file time (is_racy's `now_ns`): a file changed from now on is stamped no
    earlier, but for its file system's grain. The kernel's coarse clock where it stamps the
    files (use_clock_of), else the wall clock less RACY_NS."""
    if KERNEL_CLOCK:
        return time.clock_gettime_ns(CLOCK_REALTIME_COARSE)
    return time.time_ns() - RACY_NS


def is_racy(ctime_ns: int, now_ns: int) -> bool:
    """Whether a change at ctime_ns is too recent for a stat to show a later one (`now_ns`:
    file_clock_ns()), as git's "racily clean" entries are: not until the file clock is past
    it by the file system's grain, guessed from the time's trailing zeros (a file system
    that keeps hundredths of a second stamps times so; whole seconds are racy for 2 s)."""
    if ctime_ns % 1_000_000_000 == 0:
        return now_ns - ctime_ns < RACY_NS_WHOLE_SECONDS
    return now_ns - ctime_ns < time_grain(ctime_ns)


def time_grain(ctime_ns: int) -> int:
    """The largest power of ten, up to a tenth of a second, that a file time is a multiple of."""
    grain = 1
    while grain < 100_000_000 and ctime_ns % (grain * 10) == 0:
        grain *= 10
    return grain


def settled(ctime_ns: int) -> bool:
    """Whether a change after ctime_ns now shows in a stat: at once, or after a wait for the
    file clock to tick past it (a file the build wrote just now could change within its
    tick, unseen); False on a file system that ticks by whole seconds, or a time that
    stays too recent for SETTLE_LONGEST_S (a clock set back)."""
    if ctime_ns % 1_000_000_000 == 0:
        return not is_racy(ctime_ns, file_clock_ns())
    give_up = time.monotonic() + SETTLE_LONGEST_S
    while is_racy(ctime_ns, file_clock_ns()):
        if time.monotonic() > give_up:  # one more look: this process may have been stalled
            return not is_racy(ctime_ns, file_clock_ns())
        time.sleep(SETTLE_POLL_S)
    return True


def output_stamp(output: Path, left: LeftFiles | None = None) -> str:
    """What the output folder holds, as one hash of stats: each file the last build wrote
    (its manifest lists them, and itself) and each folder a build sweeps of files no
    manifest lists (output.SWEPT), whose times change when a file in it is added. A hand
    edit or deletion shows; a file added elsewhere does not, and a build leaves it too.
    Stats by path, not a walk: a walk opens every paper's folder (0.20 s against 0.07 s at
    10k papers). `left`: the files as the build just saw them, so that recording the
    stamp stats none of them again (0.06 s at 10k papers)."""
    lines, _ = output_lines(output, left)
    return digest("\n".join(lines))


def output_lines(output: Path, left: LeftFiles | None) -> tuple[list[str], int]:
    """output_stamp's lines, and the newest change time among them."""
    top = str(output)
    lines = [f"@{top}"]
    times = [stat_entry(f"{top}/{folder.rstrip('/')}", folder=True) for folder in SWEPT]
    files = read_manifest(output).files if left is None else left
    for name in sorted({*files, MANIFEST}):
        seen = left.get(name) if left is not None else None
        if seen is None or seen[1] is None:
            times.append(stat_entry(f"{top}/{name}"))
        else:
            times.append((f"{top}/{name} {seen[0]} {seen[1]}", seen[1]))
    lines += [line for line, _ in times]
    return lines, max((ctime for _, ctime in times), default=0)


def stat_entry(path: str, folder: bool = False) -> tuple[str, int]:
    """One line of output_stamp, and its ctime: the path, size (not a folder's) and ctime.
    No mtime, nor inode: any write, rename or `touch` sets the ctime, and size and ctime
    are what a build keeps of the files it checks (build.run.Run.noted)."""
    try:
        s = os.stat(path)
    except OSError:
        return f"{path} missing", 0
    return f"{path} {'/' if folder else s.st_size} {s.st_ctime_ns}", s.st_ctime_ns


def record_path(root: Path, output: Path) -> Path:
    """Where the record for builds of root into output lives (one per output folder)."""
    return root / CACHE_DIR / f"noop-{digest(str(output.resolve()))[:16]}.json"


def recorded(root: Path, output: Path) -> tuple[str, Replay] | None:
    """The last build's input stamp and lines, if its output is still as it left it."""
    try:
        record = json.loads(record_path(root, output).read_text("utf-8"))
        if record["outputs"] != output_stamp(output) or not isinstance(record["inputs"], str):
            return None
        return record["inputs"], Replay(**record["replay"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(
    root: Path, output: Path, inputs: str, replay: Replay, left: LeftFiles | None = None
) -> bool:
    """Record a finished build's lines, with the input stamp taken before it started.

    Taken before, not after: a page saved while the build ran (after it was read)
    then differs from the record, and the next build is a real one. The pages the build
    ingested itself are recorded as written (as_written).
    """
    if inputs.startswith(RACY):
        return False
    lines, newest = output_lines(output, left)
    if not settled(newest):
        return False
    outputs = digest("\n".join(lines))
    record = {"inputs": inputs, "outputs": outputs, "replay": asdict(replay)}
    write_atomic(record_path(root, output), json.dumps(record, ensure_ascii=False))
    return True


def forget(root: Path, output: Path) -> None:
    """Drop the record, so that the next build is a real one."""
    record_path(root, output).unlink(missing_ok=True)
