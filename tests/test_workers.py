"""Build work in other processes: the one-shot forked copy used by CLI builds."""

from __future__ import annotations

import os

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
