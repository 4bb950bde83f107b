"""The last CLI build's model, kept so that a notes edit remakes a page, not the site.

`sitegen serve` keeps the last good build's SiteModel in memory for its fast paths
(build/fast.py). A CLI build has no process to keep it in, so it keeps it on disk: after
a build that noop.py recorded, the model it rendered and the input lines of its record.
The next `sitegen build` that finds only papers' pages changed since those lines (and the
output as left) continues from that model through serve's quick_build, instead of
reading, modelling and checking every paper (1.7 s at 10k papers).

The model is a pickle (loading 10k papers' model takes 0.08 s; the cache's plain data
would take longer than making it again), so it is kept in the user's own cache folder,
as compiled templates are, never in the project, which may be shared or downloaded; and
it is read by an unpickler that makes sitegen's own dataclasses and enums and a few
value types only.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import marshal
import os
import pickle
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sitegen import __version__
from sitegen.cache import digest, no_gc
from sitegen.errors import SitegenError
from sitegen.fsio import own_cache_folder, trusted_by_owner
from sitegen.noop import RACY
from sitegen.workers import Forked, forking_pays

if TYPE_CHECKING:  # the build loads after a cold build's first fork (ahead.started)
    from sitegen.build.options import SiteModel

FOLDER_VARIABLE = "SITEGEN_MODEL_CACHE"  # "off" keeps no model
# A kept model's file: MAGIC, the model's pickle, then the head (marshal of the record's
# stamp and lines) and the head's size (HEAD_SIZE): the pickle is written first, beside the
# build's commit (pickle_model), the head only once the build is recorded (keep).
MAGIC = f"sitegen-model 2 {__version__}\n".encode()
HEAD_SIZE = 8
KEEP_FILES = 8  # the most recently built projects' models; older ones are removed
# Above this many papers the model is not kept (a larger list is unmeasured). The copy that
# pickles it runs beside the commit, after the build's peak (with one core, the build
# pickles it itself: ~15 ms per 1k papers). At 40k papers no cold build was slower or
# peaked higher for it, and a notes edit took 3.3-3.8 s instead of 5.6 s; at 100k (a 296 MB
# pickle) cold builds peaked at 1,780 MB with it and without, and a notes edit took 7.1-7.5 s
# instead of 14.0-14.8 s.
MAX_PAPERS = 120_000
# Objects the model holds besides sitegen's dataclasses and enums (which are all allowed).
ALLOWED = {
    ("builtins", "tuple"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("pathlib", "PosixPath"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("sitegen.views.listing", "Cards"),
    ("sitegen.model.discovery", "LazyColumn"),
    ("sitegen.model.discovery", "point_of"),
    ("sitegen.model.discovery", "related_of"),
}


@dataclasses.dataclass(frozen=True)
class Kept:
    """A kept model's record: the input stamp and lines it was built from, and where the
    model lies (read only when asked: a build that then goes full never reads its ~33 MB at
    10k papers)."""

    stamp: str
    lines: list[str]
    path: Path
    span: tuple[int, int]  # where the pickle starts and ends
    identity: tuple[int, int, int]  # the file's inode, size and mtime when its head was read

    def model(self) -> SiteModel | None:
        """The model (None if it can't be read back: replaced since, or made by another
        sitegen or Python)."""
        try:
            handle = open_model(self.path)
            if handle is None:
                return None
            with handle:
                if file_identity(os.fstat(handle.fileno())) != self.identity:
                    return None
                start, end = self.span
                handle.seek(start)
                data = handle.read(end - start)
        except (OSError, MemoryError):
            return None
        return unpickled(data)


def open_model(path: Path) -> BinaryIO | None:
    """A kept model's file opened to read, if it is a regular file of the user's own (a FIFO
    or a link put there is no model: it is opened without blocking or following it)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        found = os.fstat(fd)
        if stat.S_ISREG(found.st_mode) and trusted_by_owner(found):
            return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def file_identity(info: os.stat_result) -> tuple[int, int, int]:
    """What tells a kept file from the one that replaced it."""
    return info.st_ino, info.st_size, info.st_mtime_ns


def unpickled(data: bytes) -> SiteModel | None:
    """A pickled model read back by ModelUnpickler (None if damaged or foreign)."""
    from sitegen.build.options import SiteModel

    try:
        with no_gc():  # millions of objects, none of them garbage
            model = ModelUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - damaged or foreign: the build reads everything
        return None
    return model if type(model) is SiteModel else None


class ModelUnpickler(pickle.Unpickler):
    """Makes only what a SiteModel holds: sitegen's dataclasses and enums, and ALLOWED."""

    def find_class(self, module: str, name: str) -> Any:
        """The class or function named, if allowed; refused otherwise (before any import)."""
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        if module.startswith("sitegen.") and name.isidentifier() and module in sys.modules:
            found = getattr(sys.modules[module], name, None)  # imported already: no code runs
            if (
                isinstance(found, type)
                and found.__module__ == module
                and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum))
            ):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a model")


def model_file(root: Path, output: Path) -> Path | None:
    """Where the model of builds of root into output is kept (None: keep none)."""
    folder = own_cache_folder(FOLDER_VARIABLE, "models")
    if folder is None:
        return None
    return folder / f"{digest(str(root.resolve()), str(output.resolve()))[:24]}.model"


class Pickling:
    """A model pickled into a temporary file beside the kept one, waiting for its head: in a
    forked copy while the build commits (at 10k papers, ~0.2 s off every full build)."""

    def __init__(self, path: Path, model: SiteModel, forked: bool):
        self.path = path  # where keep() puts it
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)  # mkstemp's mode is 0o600: the user's alone, whatever the umask
        self.temp = Path(temp)
        try:
            self.copy = Forked(write_pickle, self.temp, model) if forked else None
            self.whole = self.copy is not None or write_pickle(self.temp, model)
        except BaseException:  # no copy (a fork refused, Ctrl+C): no file left behind
            self.temp.unlink(missing_ok=True)
            raise

    def finished(self) -> bool:
        """Wait for the pickle; whether it is whole."""
        if self.copy is not None:
            try:
                self.whole = self.copy.result()
            except SitegenError:  # the copy died: the next notes edit builds in full
                self.whole = False
            self.copy = None  # reaped (until then, abandon() stops it)
        return self.whole

    def abandon(self) -> None:
        """Stop the copy (if any) and remove the temporary file."""
        if self.copy is not None:
            self.copy.abandon()
            self.copy = None
        self.temp.unlink(missing_ok=True)


def pickle_model(root: Path, output: Path, model: SiteModel) -> Pickling | None:
    """Start pickling a CLI build's model for keep(), in a forked copy where one pays (the
    build's BuildOptions.beside_commit); None where no model is kept."""
    path = model_file(root, output)
    if path is None or len(model.project.papers) > MAX_PAPERS:
        return None
    try:
        return Pickling(path, model, forking_pays())
    except OSError:
        return None


def write_pickle(path: Path, model: SiteModel) -> bool:
    """MAGIC and the model's pickle, into a new file of the user's own; whether it is whole."""
    try:
        with open(path, "wb") as handle:
            handle.write(MAGIC)
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return True
    except (OSError, pickle.PicklingError, MemoryError, RecursionError):
        return False


def keep(
    root: Path,
    output: Path,
    stamp: str,
    lines: list[str],
    model: SiteModel,
    pickling: Pickling | None = None,
) -> None:
    """Keep a built model with its record's input stamp and lines (none above MAX_PAPERS);
    readable by the user alone, whatever the umask (kept() refuses any other file).
    `pickling`: the model's pickle, started beside the build's commit (else made here)."""
    path = model_file(root, output)
    try:
        if path is None or len(model.project.papers) > MAX_PAPERS or stamp.startswith(RACY):
            if path is not None:
                path.unlink(missing_ok=True)
            return
        pickling = pickling or Pickling(path, model, forked=False)
        if not pickling.finished():
            raise OSError("the model's pickle is not whole")
        head = marshal.dumps([stamp, lines])
        # Not created if gone (another build's prune): a new file would take the umask's mode.
        with os.fdopen(os.open(pickling.temp, os.O_WRONLY | os.O_APPEND), "wb") as handle:
            handle.write(head + len(head).to_bytes(HEAD_SIZE, "little"))
        os.replace(pickling.temp, path)
        prune(path.parent)
    except OSError:
        if path is not None:
            path.unlink(missing_ok=True)  # the next notes edit builds in full
    finally:
        if pickling is not None:
            pickling.abandon()  # its file, unless it is in place


def kept(root: Path, output: Path, stamp: str) -> Kept | None:
    """The model kept for root into output if it was kept with this stamp (the record's)."""
    path = model_file(root, output)
    if path is None:
        return None
    try:
        handle = open_model(path)
        if handle is None:
            return None
        with handle:
            found = os.fstat(handle.fileno())
            if found.st_size < len(MAGIC) + HEAD_SIZE or handle.read(len(MAGIC)) != MAGIC:
                return None
            handle.seek(found.st_size - HEAD_SIZE)
            size = int.from_bytes(handle.read(HEAD_SIZE), "little")
            end = found.st_size - HEAD_SIZE - size  # where the pickle ends and the head starts
            if end < len(MAGIC):
                return None
            handle.seek(end)
            stamp_found, lines = marshal.loads(handle.read(size))
        if stamp_found != stamp or not isinstance(lines, list):
            return None
        if not all(type(x) is str for x in lines):
            return None
        return Kept(stamp_found, lines, path, (len(MAGIC), end), file_identity(found))
    except (OSError, ValueError, EOFError, TypeError, MemoryError):
        return None


def forget(root: Path, output: Path) -> None:
    """Drop the model kept for root into output (a build that fails keeps none)."""
    path = model_file(root, output)
    if path is not None:
        path.unlink(missing_ok=True)


def prune(folder: Path) -> None:
    """Keep the KEEP_FILES most recently written models (projects come and go), and remove
    what a write killed half-way left (a temporary file over a minute old)."""
    models, now = [], time.time_ns()
    for entry in os.scandir(folder):
        try:
            written = entry.stat().st_mtime_ns
            if entry.name.endswith(".model"):
                models.append((written, entry.path))
            elif entry.name.endswith(".tmp") and now - written > 60 * 10**9:
                os.unlink(entry.path)
        except OSError:  # removed meanwhile (another build's forget)
            continue
    for _, path in sorted(models, reverse=True)[KEEP_FILES:]:
        Path(path).unlink(missing_ok=True)
