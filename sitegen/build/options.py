"""What a build is asked to do (BuildOptions, Preview) and what it hands back (BuildResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sitegen.errors import SitegenError
from sitegen.model import urls
from sitegen.output import LeftFiles
from sitegen.project import Project
from sitegen.records import record
from sitegen.views.listing import Site

if TYPE_CHECKING:  # a CLI build runs no worker: no need to load concurrent.futures
    from concurrent.futures import Executor

Progress = Callable[[int, int], None]  # (pages done, pages expected)


class Beside(Protocol):
    """Work started beside a build's commit (BuildOptions.beside_commit)."""

    def abandon(self) -> None:
        """Stop it: the build failed, or what it makes is not wanted."""


@record
class BuildOptions:
    """How to build: where to, under which URL, and with which helpers."""

    output: Path
    base_url: str | None = None  # overrides site.yaml's base_url; "" for none
    fork: bool = False  # side work in forked copies of this process (CLI builds: no threads)
    executor: Executor | None = None  # a warm worker process for the search index (serve)
    progress: Progress | None = None
    # Started once a CLI build's pages are rendered, to run beside its commit (the CLI
    # pickles the model for snapshot.keep); what it returns is BuildResult.beside.
    beside_commit: Callable[[SiteModel], Beside | None] | None = None


@record
class Preview:
    """What a live preview asks of a build: pages to do first, and calls when files are out."""

    # Output pages open in a browser: rendered and written before all the others, so
    # the reader sees a change without waiting for the whole site (Hugo's fast render).
    first: frozenset[str] = frozenset()
    on_first: Callable[[list[str]], None] | None = None  # those pages are written
    on_pages: Callable[[list[str]], None] | None = None  # all pages written; search follows


@record
class SiteModel:
    """What a build renders from: the project as read, and the site made of it."""

    project: Project
    site: Site
    base_url: str  # resolved: "" or an absolute URL ending in "/"


@record
class BuildResult:
    """What a build did, and the model it rendered (a preview keeps it for its fast paths)."""

    model: SiteModel
    written: int
    total: int
    removed: int = 0
    # Each file the output's manifest lists: (size, ctime_ns as the build saw it, or None),
    # for the no-op record (sitegen.noop.output_stamp), which then stats none of them.
    left: LeftFiles | None = field(default=None, repr=False)
    beside: Beside | None = field(default=None, repr=False)  # BuildOptions.beside_commit's

    @property
    def project(self) -> Project:
        """The project the build read."""
        return self.model.project

    @property
    def notes(self) -> tuple[str, ...]:
        """What the site leaves out, and why (the CLI prints these)."""
        return () if has_sitemap(self.model.base_url) else (SITEMAP_NOTE,)


SITEMAP_NOTE = (
    "sitemap.xml not written: a sitemap needs absolute URLs "
    "(set base_url in content/site.yaml or pass --base-url)"
)


def has_sitemap(base_url: str) -> bool:
    """Whether the site gets a sitemap: only with an absolute base_url, as crawlers require."""
    return urls.is_absolute(base_url)


def resolve_base_url(cli_value: str | None, config_value: str) -> str:
    """--base-url wins over site.yaml; the result is "" or an absolute URL ending in "/"."""
    url = (config_value if cli_value is None else cli_value).strip()
    if not url:
        return ""
    problem = urls.base_url_problem(
        url
    )  # the one rule; the CLI and site.yaml are checked by it too
    if problem:
        raise SitegenError(f"base_url {problem}")
    return url.rstrip("/") + "/"
