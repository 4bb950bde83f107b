"""The site model: library order, views, pagination and the O(1)-per-page guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.catalog import Paper
from sitegen.dumps import Dump, Entry
from sitegen.project import Project, SiteConfig
from sitegen.site import (
    build_library,
    excerpt,
    html_pages,
    letter_of,
    make_pager,
    root_for,
)
from sitegen.themes import Taxonomy, Theme


def paper(slug: str, title: str, theme: str, dumps: tuple[str, ...], **extra: object) -> Paper:
    """A Paper with sensible defaults."""
    themes = extra.pop("themes", (theme,))
    return Paper(
        slug=slug,
        title=title,
        abstract=str(extra.pop("abstract", f"About {title}. Second sentence. Third one.")),
        notes="",
        theme=theme,
        themes=themes,  # type: ignore[arg-type]
        dumps=dumps,
        links=(),
        tags=tuple(extra.pop("tags", ())),  # type: ignore[arg-type]
        status="",
        meta={},
        source=f"papers/{theme}/{slug}.md",
    )


def project(papers: list[Paper], per_page: int = 50) -> Project:
    """A project of these papers over two dumps and two themes."""
    dumps = [
        Dump("2024-01-01-old", "2024-01-01", None, "spaced", (Entry("x", "y", 1),)),
        Dump("new dump", None, "Mar 13", "spaced", ()),
    ]
    taxonomy = Taxonomy((Theme("alpha", "Alpha", "First."), Theme("beta", "Beta", "Second.")))
    config = SiteConfig(per_page=per_page)
    return Project(Path("/nowhere"), config, taxonomy, dumps, papers, [])


@pytest.fixture
def library():  # noqa: ANN201
    """A small library: alpha has an old and a new paper plus one cross-listed from beta."""
    papers = [
        paper("zeta", "Zeta paper", "alpha", ("2024-01-01-old",)),
        paper("apple", "apple paper", "alpha", ("2024-01-01-old",)),
        paper("newest", "Newest", "alpha", ("2024-01-01-old", "new dump"), tags=["x y"]),
        paper("cross", "Cross", "beta", ("new dump",), themes=("beta", "alpha")),
        paper("digits", "3D things", "beta", ()),
    ]
    return build_library(project(papers))


def test_theme_order_is_newest_dump_first_then_title(library) -> None:  # noqa: ANN001
    assert library.section("theme:alpha").slugs == ["cross", "newest", "apple", "zeta"]
    assert [(t.slug, t.count, t.primary) for t in library.themes] == [
        ("alpha", 4, 3),
        ("beta", 2, 2),
    ]


def test_dumps_get_labels_safe_urls_and_their_additions(library) -> None:  # noqa: ANN001
    old, new = library.dumps
    assert (old.label, old.url, old.added) == ("2024-01-01", "dumps/2024-01-01-old/", 3)
    assert (new.label, new.url, new.added) == ("Mar 13", "dumps/new-dump/", 1)
    assert library.section("dump:new dump").slugs == ["cross"]


def test_a_to_z_ignores_case_and_files_digits_under_hash(library) -> None:  # noqa: ANN001
    assert library.section("az").slugs == ["digits", "apple", "cross", "newest", "zeta"]
    assert letter_of("3D things") == "#" and letter_of("Ångström") == "A"


def test_every_paper_gets_exactly_one_page(library) -> None:  # noqa: ANN001
    views = list(html_pages(library))
    paths = [v.path for v in views]
    assert len(paths) == len(set(paths))
    paper_paths = sorted(p for p in paths if p.count("/") == 2 and p.startswith("papers/"))
    assert paper_paths == [f"papers/{s}/index.html" for s in sorted(library.papers)]
    assert "tags/x-y/index.html" in paths and "404.html" in paths


def test_prev_next_follow_the_primary_theme(library) -> None:  # noqa: ANN001
    views = {v.path: v for v in html_pages(library)}
    newest = views["papers/newest/index.html"].context["paper"]
    assert (newest.prev.slug, newest.next.slug) == ("cross", "apple")
    assert newest.position == 2 and newest.theme_count == 4
    assert [t.title for t in newest.themes] == ["Alpha"]
    zeta = views["papers/zeta/index.html"].context
    assert zeta["paper"].next is None
    assert [item.url for item in zeta["nav_expanded"]] == [
        "papers/newest/",
        "papers/apple/",
        "papers/zeta/",
    ]
    assert [n.slug for n in zeta["nav"] if n.current] == ["alpha"]
    assert zeta["root"] == "../../"


def test_pages_hold_no_list_of_every_paper() -> None:
    papers = [paper(f"p{i:04d}", f"Paper {i:04d}", "alpha", ()) for i in range(500)]
    library = build_library(project(papers, per_page=20))
    for view in html_pages(library):
        listed = view.context.get("papers", [])
        assert len(listed) <= 100, view.path
        assert len(view.context.get("nav_expanded", [])) <= 2 * 2 + 3
        assert len(view.context["nav"]) <= 2 if "nav" in view.context else True
    theme_views = [v for v in html_pages(library) if v.template == "theme.html"]
    assert len(theme_views) == 25
    assert theme_views[-1].path == "themes/alpha/page/25/index.html"


def test_root_for_paths() -> None:
    assert root_for("index.html") == "./"
    assert root_for("papers/x/index.html") == "../../"
    assert root_for("themes/a/page/2/index.html") == "../../../../"


def test_pager_shows_a_bounded_window() -> None:
    pager = make_pager("themes/a/", 50, 100, 5000, 50, "page/")
    numbers = [link.number for link in pager.links if not link.gap]
    assert numbers == [1, 48, 49, 50, 51, 52, 100]
    assert sum(link.gap for link in pager.links) == 2
    assert (pager.prev_url, pager.next_url) == ("themes/a/page/49/", "themes/a/page/51/")
    first = make_pager("themes/a/", 2, 2, 60, 50, "page/")
    assert first.prev_url == "themes/a/" and first.next_url == "" and first.first_item == 51


def test_excerpt_is_one_or_two_sentences() -> None:
    assert excerpt("Short one. Short two. Short three.") == "Short one. Short two."
    long = "A " * 200 + "end. Next."
    cut = excerpt(long, limit=100)
    assert cut.endswith("…") and len(cut) <= 101
    assert excerpt("Links [here](https://x.org) and **bold**.") == "Links here and bold."
