"""Shared fixtures: small sites in temp folders, built from the repo's shipped content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "content"


def copy_shipped_content(root: Path) -> Path:
    """Copy the shipped dumps, themes.yaml and site.yaml (no pages) into root/content."""
    content = root / "content"
    shutil.copytree(SHIPPED / "dumps", content / "dumps")
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(SHIPPED / name, content / name)
    return root


@pytest.fixture
def shipped_site(tmp_path: Path) -> Path:
    """A fresh site directory holding the shipped content, not yet ingested."""
    return copy_shipped_content(tmp_path / "site-root")


@pytest.fixture
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO
