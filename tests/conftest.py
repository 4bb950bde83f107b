"""Shared fixtures: small sites in temp folders, built from the repo's shipped content."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

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


# Debian's Chromium, headless, with nothing that phones home (no network here).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole test session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
