"""The write edge of a build: output paths, atomic writes, stale files and the manifest.

Everything here touches site/ and nothing else; the rest of the build works in memory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from enum import Enum
from pathlib import Path, PurePosixPath

from sitegen.errors import SitegenError
from sitegen.fsio import FILE_MODE, write_if_changed

MANIFEST = ".sitegen-manifest.json"  # what the last build wrote, so the next can remove stale files


class Kept(Enum):
    """An output a build made without holding its bytes: where the file is instead."""

    UNCHANGED = "unchanged"  # made from the same inputs by an earlier build: on disk as it is
    WRITTEN = "written"  # written already by this build (a preview's open pages)
    SPOOLED = "spooled"  # rendered by this build, parked in the spool until the build succeeds


Outputs = dict[str, bytes | Kept]  # output path -> its bytes, or where it is kept


def check_path(path: str) -> None:
    """Refuse an output path that is absolute or climbs out of the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise SitegenError(f"refusing to write outside the output folder: {path!r}")


def read_manifest(output: Path) -> list[str]:
    """The files the previous build wrote (none if there was no previous build)."""
    try:
        data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        return [str(p) for p in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def remove_stale(output: Path, old: list[str], new: Mapping[str, object]) -> int:
    """Delete files an earlier build wrote that this one did not, and emptied folders."""
    removed = 0
    for name in sorted(set(old) - set(new)):
        try:
            check_path(name)
        except SitegenError:
            continue  # a tampered manifest must not delete anything outside output
        path = output / name
        if path.is_file():
            path.unlink()
            removed += 1
        for parent in path.parents:
            if parent == output or not parent.is_relative_to(output):
                break
            try:
                parent.rmdir()
            except OSError:
                break  # not empty
    return removed


def write_outputs(output: Path, outputs: Mapping[str, bytes | Kept]) -> list[str]:
    """Write the outputs whose bytes changed; say which were written."""
    return [
        path
        for path, data in outputs.items()
        if isinstance(data, bytes) and write_if_changed(output / path, data)
    ]


def finish(output: Path, old: list[str], outputs: Mapping[str, object]) -> int:
    """Remove files earlier builds wrote that this one did not, and record what it did."""
    removed = remove_stale(output, old, outputs)
    manifest = json.dumps({"files": sorted(outputs)}, indent=0) + "\n"
    write_if_changed(output / MANIFEST, manifest)
    return removed


class Spool:
    """Rendered pages parked on disk until the build succeeds, so memory stays flat at 100k pages.

    The folder sits next to the output (same file system), so moving a page into
    place is a rename; a build that fails discards it and the site stays untouched.
    """

    def __init__(self, output: Path):
        # One folder per process: a `sitegen build` may run while `sitegen serve` rebuilds.
        self.folder = output.with_name(f".{output.name}.spool-{os.getpid()}")
        self.paths: list[str] = []
        self.folders: set[Path] = set()  # made already: mkdir is a slow syscall at 100k pages
        for old in output.parent.glob(f".{output.name}.spool-*"):
            if old == self.folder or not pid_alive(old.name.rsplit("-", 1)[1]):
                shutil.rmtree(old, ignore_errors=True)  # left over from a killed build

    def put(self, path: str, data: bytes) -> None:
        """Park one output file."""
        target = self.folder / path
        self.make_folder(target.parent)
        target.write_bytes(data)
        self.paths.append(path)

    def commit(self, output: Path) -> list[str]:
        """Move the parked files into output, keeping files whose bytes are unchanged."""
        written = []
        for path in self.paths:
            parked, target = self.folder / path, output / path
            if target.is_file() and same_bytes(parked, target):
                continue
            self.make_folder(target.parent)
            os.chmod(parked, FILE_MODE)
            shutil.move(parked, target)  # a rename on the same file system
            written.append(path)
        self.discard()
        return written

    def make_folder(self, folder: Path) -> None:
        """mkdir -p, once per folder."""
        if folder not in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)

    def discard(self) -> None:
        """Forget the parked files."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.paths = []


def same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (sizes first, as that is cheap)."""
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def pid_alive(pid: str) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True
