"""The write edge of a build: output paths, atomic writes, stale files and the manifest.

Everything here touches site/ and nothing else; the rest of the build works in memory.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import field
from enum import Enum
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from stat import S_ISLNK, S_ISREG

from sitegen.errors import SitegenError
from sitegen.fsio import create_file, make_folder, write_atomic, write_if_changed
from sitegen.model import urls
from sitegen.records import mutable

MANIFEST = ".sitegen-manifest.json"  # what the last build wrote, so the next can remove stale files
# Folders whose every file a build makes, with names that change (the search index's
# hashed chunks): a file there that no manifest lists (from an interrupted or overlapping
# build of an older version) is removed too. Elsewhere, a file the build did not write is
# left alone. Listing one folder costs little.
SWEPT = (urls.SEARCH,)


class Kept(Enum):
    """An output a build made without holding its bytes: where the file is instead."""

    UNCHANGED = "unchanged"  # made from the same inputs by an earlier build: on disk as it is
    WRITTEN = "written"  # written already by this build (a preview's open pages)
    SPOOLED = "spooled"  # rendered by this build, parked in the spool until the build succeeds
    # Made again by this build (in a copy), to the bytes the last build left, which the copy
    # found on disk as they were: not parked (the search files a one-paper edit leaves alone).
    AS_LEFT = "as-left"


Outputs = dict[str, bytes | Kept]  # output path -> its bytes, or where it is kept


def check_path(path: str) -> None:
    """Refuse an output path that is absolute or climbs out of the output folder."""
    # As PurePosixPath(path) would judge it (absolute, a ".." part, no part), by string: a
    # build checks every path it makes (11k at 10k papers), and a PurePosixPath costs 3 µs.
    parts = path.split("/")
    nothing = all(part in ("", ".") for part in parts)
    if path.startswith("/") or ".." in parts or "\\" in path or nothing:
        raise SitegenError(f"refusing to write outside the output folder: {path!r}")


PROTECTED = ("content", "templates", "static", ".sitegen-cache", ".git")  # a project's own folders


def check_output_folder(root: Path, output: Path) -> None:
    """Refuse an output folder whose files a build could overwrite or delete, or read as input.

    Never the project folder, its content/, templates/ or static/ (nor inside them, nor a
    folder holding them); otherwise site/, an empty folder, or one an earlier build wrote.
    """
    root, folder = root.resolve(), output.resolve()
    inputs = [root / name for name in PROTECTED]
    if folder == Path.cwd() and folder != (root / "site").resolve():
        raise SitegenError("refusing to build into the current folder; name an output folder")
    if folder == root or any(p.is_relative_to(folder) or folder.is_relative_to(p) for p in inputs):
        raise SitegenError("refusing to build into the project's own files; use site/", output)
    if folder.exists() and not folder.is_dir():
        raise SitegenError("output is not a folder", output)
    if folder == (root / "site").resolve() or not folder.exists():
        return
    with os.scandir(folder) as entries:
        empty = next(entries, None) is None
    if empty or (folder / MANIFEST).is_file():
        return
    raise SitegenError(
        "output folder is not empty and holds no sitegen build; choose an empty folder", output
    )


Record = tuple[int, str]  # (size, content hash): what a file in the output should hold
Parked = tuple[dict[str, Record], dict[str, int]]  # files parked in a spool: records, ctimes
# What a build left in its output folder: path -> (size, ctime_ns) per file the manifest
# lists, as the build saw them (ctime None where it saw none): sitegen.noop records it.
LeftFiles = dict[str, tuple[int, int | None]]
MANIFEST_FORMAT = 2


@mutable
class Manifest:
    """What the last build wrote to one output folder: each file's size and hash.

    Reproducible (no times, no keys). It stays in the output folder for the next build, and
    out of what is published (`sitegen deploy`, the Pages workflow).
    """

    files: dict[str, Record] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The manifest as written into the output folder (one file per line: tidy diffs)."""
        # As json.dumps writes a string and [size, hash], without its per-call cost (11k
        # files at 10k papers, every build).
        quote = encode_basestring_ascii
        rows = ",\n".join(
            f"{quote(path)}: [{int(size)}, {quote(digest)}]"
            for path, (size, digest) in sorted(self.files.items())
        )
        return (
            f'{{"generator": "sitegen", "format": {MANIFEST_FORMAT},\n"files": {{\n{rows}\n}}}}\n'
        ).encode()


def read_manifest(output: Path) -> Manifest:
    """What the previous build wrote (nothing if there was none, or the manifest is damaged).

    A manifest of the first format lists files only: they are removed when stale, but
    never trusted as up to date.
    """
    path = output / MANIFEST
    try:
        with open(path, "rb") as handle:
            identity = manifest_identity(path, os.fstat(handle.fileno()))
            if READ[0] == identity:  # read by this process already (the no-op check did)
                return Manifest(dict(READ[1]))
            data = json.loads(handle.read())
        files = data["files"]
        if isinstance(files, list):
            return Manifest({str(p): (-1, "") for p in files})
        records = {str(p): (int(r[0]), str(r[1])) for p, r in files.items()}
        READ[:] = [identity, records]
        return Manifest(dict(records))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Manifest()


# The last manifest this process read, by its file's identity, and its records: a CLI build
# reads it twice, for the no-op check and for the build (~20 ms each at 10k papers). A
# manifest is replaced by rename, never written in place, so a new one has a new inode.
READ: list = [None, {}]


def manifest_identity(path: Path, info: os.stat_result) -> tuple:
    """What tells a manifest file from the one that replaced it."""
    return str(path.resolve()), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def file_hash(data: bytes) -> str:
    """The content hash a manifest records (SHA-256, cut to 128 bits: with the SHA extensions
    of today's CPUs, 1.7x faster than BLAKE2b on a page's 11 KB)."""
    return hashlib.sha256(data).hexdigest()[:32]


def verified(output: Path, path: str, record: Record | None, ctime: int | None) -> int | None:
    """The file's ctime if it still holds what the manifest says, else None.

    Same size and the ctime the last build saw (kept in the cache) are trusted:
    any write, even one that restores the mtime, changes the ctime. Otherwise the
    file's hash must match. A file changed or deleted by hand fails, so the build
    writes it again.
    """
    if record is None or not record[1]:
        return None
    try:
        # By string, not output / path: pathlib's join costs more than the stat.
        full = f"{output}{os.sep}{path}"
        stat = os.stat(full)
        if stat.st_size != record[0]:
            return None
        if stat.st_ctime_ns == ctime or file_hash(Path(full).read_bytes()) == record[1]:
            return stat.st_ctime_ns
    except OSError:
        pass
    return None


def record_of(path: Path) -> tuple[Record, int]:
    """The manifest record of a file on disk, and its ctime."""
    data = path.read_bytes()
    stat = os.stat(path)
    return (stat.st_size, file_hash(data)), stat.st_ctime_ns


def write_outputs(output: Path, outputs: Mapping[str, bytes | Kept]) -> list[str]:
    """Write the outputs whose bytes changed straight into output (a preview's first pages)."""
    return [
        path
        for path, data in outputs.items()
        if isinstance(data, bytes) and write_if_changed(output / path, data)
    ]


def remove_empty_parents(output: Path, path: Path) -> None:
    """Remove the folders above path that are now empty, up to output."""
    for parent in path.parents:
        if parent == output or not parent.is_relative_to(output):
            break
        try:
            parent.rmdir()
        except OSError:
            break  # not empty


JOURNAL = "journal.json"  # in a spool folder while its commit runs: what to undo
# A spool folder's name: .site.spool2-PID. Versions before the flat spool named theirs
# .site.spool-PID and undo them as trees; a new name keeps such a version (a `serve` still
# running through an upgrade, or a downgrade) from undoing a flat one by the wrong layout.
SPOOL, OLDER_SPOOL = "spool2", "spool"


def is_empty_folder(folder: Path) -> bool:
    """Whether folder is missing or an empty folder (not a symlink to one)."""
    try:
        if folder.is_symlink():
            return False
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True
    except OSError:
        return False  # not a folder, or unreadable: the file-by-file commit reports it


def is_file_or_link(path: str) -> bool:
    """Whether path is a file or a link (as Path.is_file() or .is_symlink(): one lstat)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):  # as pathlib's: nothing there
            return False
        raise
    return S_ISREG(mode) or S_ISLNK(mode)


def made_folder(folder: str, made: set[str]) -> None:
    """mkdir -p, once per folder (`made`: those made, or known to be there, so far)."""
    if folder not in made:
        make_folder(folder)
        made.add(folder)


def parked_name(path: str) -> str:
    """The flat name a spool parks an output path under: its hash, unique for all purposes."""
    return hashlib.blake2b(path.encode(), digest_size=16).hexdigest()


def parked_at(folder: Path, side: str, path: str, flat: bool) -> Path:
    """Where a spool (folder) parks an output path, in new/ or (moved aside) in old/."""
    return folder / side / parked_relative(path, flat)


def parked_relative(path: str, flat: bool) -> str:
    """An output path's place in a spool's new/ or old/: its flat name, or itself."""
    return parked_name(path) if flat else path


class Spool:
    """Output files parked on disk until the build succeeds, then committed all or nothing.

    The folder sits next to the output (same file system), so a commit is renames:
    each replaced file is moved aside into old/ first, and a journal lists the
    paths. A commit that fails, or a process killed during one, is undone (by the
    next run for a kill), so the site is either the old one or the new one.

    Into an empty output, files are parked in the output's own tree (new/papers/…), so the
    commit renames a few top-level folders (if the output is still empty then; else it
    moves them one by one). Into a built site they are parked flat, one name per path
    (`parked_name`): a commit moves them one by one anyway, and a folder per page made in
    new/ and again in old/ cost more than the files (mkdir is slow on ext4).
    """

    def __init__(self, output: Path):
        # One folder per process: a `sitegen build` may run while `sitegen serve` rebuilds.
        self.folder = output.with_name(f".{output.name}.{SPOOL}-{os.getpid()}")
        self.output = output
        self.records: dict[str, Record] = {}  # parked path -> its record
        # parked path -> its ctime as parked: still its ctime once a commit moves the whole
        # spool (moved_whole), where a commit moving file by file changes each one's
        self.ctimes: dict[str, int] = {}
        self.moved_whole = False
        self.folders: set[str] = set()  # made already: mkdir is a slow syscall at 100k pages
        self.parking = f"{self.folder}{os.sep}new"  # put's folder, and those it made, as str:
        self.parked_in: set[str] = set()  # a Path per page cost ~8 us of a put's ~20 at 10k
        self.dropped = False  # a parked file was un-parked: its folder may be left empty
        spools = [output.parent.glob(f".{output.name}.{name}-*") for name in (SPOOL, OLDER_SPOOL)]
        for old in sorted(path for found in spools for path in found):
            if old == self.folder or not pid_alive(old.name.rsplit("-", 1)[1]):
                undo(old)  # left over from a killed build: finish its commit's undo
                shutil.rmtree(old, ignore_errors=True)
        self.flat = not is_empty_folder(output)  # as the undo above left it

    def put(self, path: str, data: bytes) -> Record:
        """Park one output file (where parked_at says); its record."""
        target = f"{self.parking}/{parked_relative(path, self.flat)}"
        parent = target.rpartition("/")[0]
        made_folder(parent, self.parked_in)
        self.ctimes[path] = create_file(target, data)
        record = self.records[path] = (len(data), file_hash(data))
        return record

    def parked(self) -> Parked:
        """The records and ctimes of what this spool parked (what a copy hands back)."""
        return self.records, self.ctimes

    def adopt(self, parked: Parked) -> None:
        """Take in what a copy parked in the same folder (Spool.parked)."""
        records, ctimes = parked
        self.records.update(records)
        self.ctimes.update(ctimes)

    def ctime(self, output: Path, path: str) -> int:
        """A committed file's ctime: as parked, in a folder the commit moved in whole (a
        rename changes the ctime of what it moves, not of what lies inside a moved folder)."""
        if self.moved_whole and "/" in path and path in self.ctimes:
            return self.ctimes[path]
        return os.stat(os.path.join(output, path)).st_ctime_ns

    def own_copy(self) -> Spool:
        """This spool for a forked copy: the same folder, and its own records of what it
        parks (handed back to the build, which commits them all)."""
        mine = copy.copy(self)
        mine.records, mine.ctimes = {}, {}
        return mine

    def drop(self, path: str) -> None:
        """Un-park a file (its bytes turned out to be on disk already)."""
        parked_at(self.folder, "new", path, self.flat).unlink()
        del self.records[path]
        self.ctimes.pop(path, None)
        self.dropped = True

    def commit(self, output: Path, removed: list[str]) -> list[str]:
        """Move every parked file into output and remove `removed`: all of it, or none."""
        changed = sorted(self.records)
        self.moved_whole = False
        journal = {"output": str(output), "changed": changed, "removed": removed, "flat": self.flat}
        self.make_folder(self.folder)
        write_atomic(self.folder / JOURNAL, json.dumps(journal))
        try:
            if self.fresh(output, removed):
                self.move_whole(output)
                self.moved_whole = True
            else:
                self.move_in(output, changed)
            for path in removed:
                self.move_aside(f"{output}/{path}", parked_relative(path, self.flat))
                remove_empty_parents(output, output / path)
        except BaseException as exc:  # a write failed, or Ctrl+C (SIGTERM in `serve`)
            undo(self.folder)
            self.discard()
            if isinstance(exc, OSError):
                raise SitegenError(
                    f"could not write the output ({exc.strerror}); the site is left as it was",
                    exc.filename or output,
                ) from None
            raise
        (self.folder / JOURNAL).unlink()  # the commit point: from here on, the new site holds
        self.discard()
        return changed

    def fresh(self, output: Path, removed: list[str]) -> bool:
        """Whether the spool is parked as a tree and holds all it will hold, and output is
        missing or an empty folder: then it can be renamed in whole."""
        return not (self.flat or removed or self.dropped) and is_empty_folder(output)

    def move_whole(self, output: Path) -> None:
        """Move the spool's top-level files and folders into an empty output: a cold build's
        commit is a few renames, not one per file plus its folders (the journal still lists
        every file, so undo works file by file as for any commit)."""
        self.make_folder(output)
        new = self.folder / "new"
        for name in sorted(os.listdir(new)) if new.is_dir() else []:
            os.replace(new / name, output / name)

    def move_in(self, output: Path, changed: list[str]) -> None:
        """Move parked files into output one by one, each file it replaces moved aside first
        (by strings: a Path per file cost more than its two renames at 10k)."""
        into, new = str(output), f"{self.folder}/new/"
        for path in changed:
            target, parked = f"{into}/{path}", parked_relative(path, self.flat)
            self.move_aside(target, parked)
            made_folder(target.rpartition("/")[0], self.folders)
            os.replace(f"{new}{parked}", target)

    def move_aside(self, target: str, parked: str) -> None:
        """Move the file a commit replaces or removes (at target) into old/, under its
        parked name (parked_relative), so an undo can restore it."""
        if is_file_or_link(target):
            aside = f"{self.folder}/old/{parked}"
            made_folder(aside.rpartition("/")[0], self.folders)
            os.replace(target, aside)

    def make_folder(self, folder: Path) -> None:
        """mkdir -p, once per folder."""
        made_folder(str(folder), self.folders)

    def discard(self) -> None:
        """Forget the parked files (a commit's journal still there: left for the next run's
        undo, as a killed build's is)."""
        if not (self.folder / JOURNAL).exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.records = {}
        self.folders, self.parked_in = set(), set()  # maybe removed: made again if used again
        self.dropped = False
        # ctimes and moved_whole stay: the build notes each committed file's ctime (ctime())
        # after the commit has discarded the spool.


def undo(folder: Path) -> None:
    """Undo a commit that did not finish (its journal is still there): put old files back."""
    try:
        journal = json.loads((folder / JOURNAL).read_bytes())
        output = Path(journal["output"])
        changed, removed = list(journal["changed"]), list(journal["removed"])
        flat = journal.get("flat") is True  # absent from an older version's journal: a tree
    except (OSError, ValueError, KeyError, TypeError):
        return  # no journal: the commit never started, or it finished
    for path in [*changed, *removed]:
        check_path(path)
        new, old = parked_at(folder, "new", path, flat), parked_at(folder, "old", path, flat)
        target = output / path
        if old.is_file() or old.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)  # a removed file's folder is gone
            restore(old, target)
        elif path in changed and not new.exists():
            target.unlink(missing_ok=True)  # created by the commit
            remove_empty_parents(output, target)
    (folder / JOURNAL).unlink()


def restore(old: Path, target: Path) -> None:
    """Put a file moved aside back, keeping it aside until the journal is gone: an undo
    killed half-way is done again by the next run, and must not take a file it restored
    for one the commit made."""
    try:
        if os.path.samestat(os.lstat(old), os.lstat(target)):
            return  # restored by an undo before (renaming a link onto itself does nothing)
    except FileNotFoundError:
        pass
    copy = target.with_name(f".{target.name}.undo")
    copy.unlink(missing_ok=True)
    try:
        os.link(old, copy, follow_symlinks=False)
    except (OSError, NotImplementedError):  # no hard links here (or no linkat)
        shutil.copy2(old, copy, follow_symlinks=False)
    os.replace(copy, target)


def pid_alive(pid: str) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True


def unlisted(output: Path, folders: Iterable[str]) -> list[str]:
    """The regular files directly in some output folders, as output paths."""
    found = []
    for folder in folders:
        try:
            with os.scandir(output / folder) as entries:
                found += [folder + e.name for e in entries if e.is_file(follow_symlinks=False)]
        except OSError:
            continue  # no such folder yet
    return sorted(found)
