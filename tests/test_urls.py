"""The URL scheme's helpers (sitegen/model/urls.py)."""

from __future__ import annotations

import posixpath

import pytest

from sitegen.model.urls import link_from, root_for

PAGES = ["index.html", "papers/a/index.html", "themes/t/page/2/index.html", "map/index.html"]
TARGETS = ["", "papers/a/", "papers/b/", "themes/t/", "map/?paper=b", "counts.js"]


@pytest.mark.parametrize("here", PAGES)
def test_a_link_from_a_page_reaches_the_same_place_as_from_the_root(here: str) -> None:
    for url in TARGETS:
        link = link_from(url, here)
        folder = posixpath.dirname(here)
        assert posixpath.normpath(posixpath.join(folder, link)) == posixpath.normpath(url or ".")
        assert len(link) <= len(root_for(here) + url)
    assert link_from("papers/b/", "papers/a/index.html") == "../b/"
