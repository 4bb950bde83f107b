"""Atomic writes: readers see the old bytes or the new, never half; nothing is left over."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sitegen.fsio import FILE_MODE, write_atomic, write_if_changed


def test_write_atomic_makes_folders_and_gives_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "page.html"
    write_atomic(target, "héllo")
    assert target.read_bytes() == "héllo".encode()
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    assert FILE_MODE & 0o044  # readable by others, as a web server needs (umask permitting)
    assert os.listdir(target.parent) == ["page.html"]


def test_write_atomic_streams_from_a_writer(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    write_atomic(target, lambda handle: [handle.write(bytes([i]) * 1000) for i in range(3)])
    assert target.read_bytes() == b"\0" * 1000 + b"\1" * 1000 + b"\2" * 1000


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old")

    def half(handle) -> None:  # noqa: ANN001
        handle.write(b"new, but only ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["page.html"]


def test_write_if_changed_leaves_equal_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    assert write_if_changed(target, "same") is True
    inode = target.stat().st_ino
    assert write_if_changed(target, b"same") is False
    assert target.stat().st_ino == inode  # not even replaced
    assert write_if_changed(target, "other") is True
    assert target.read_text() == "other"
