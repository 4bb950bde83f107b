"""The URL scheme's helpers (sitegen/model/urls.py)."""

from __future__ import annotations

import posixpath
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.model.urls import link_from, path_part, query_value, root_for

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


@given(st.text())
@settings(max_examples=400, deadline=None)
def test_query_and_path_escapes_are_urllibs(text: str) -> None:
    assert query_value(text) == quote_plus(text, safe="")
    assert path_part(text) == quote(text, safe="")


def test_escapes_keep_only_the_unreserved_characters() -> None:
    assert query_value("a b&c=d/é~_.-") == "a+b%26c%3Dd%2F%C3%A9~_.-"
    assert path_part("a b") == "a%20b"
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate, as urllib refuses it
        query_value("\ud800")
