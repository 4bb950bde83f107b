"""The views: one page per route, prev/next, pagination and the O(1)-per-page guarantees."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from test_library import paper, project, small_library

from sitegen.dumps import DumpSummary
from sitegen.model.library import Library, build_library
from sitegen.project import SiteConfig
from sitegen.views.context import PageView
from sitegen.views.listing import make_pager, make_site, page_size
from sitegen.views.pages import (
    AZ_PER_PAGE,
    edit_url,
    lookups_of,
    markdown_link,
    routes,
    site_pages,
    views_at,
)


def html_pages(library: Library) -> list[PageView]:
    """Every page view of a library's site."""
    return list(site_pages(make_site(library)))


@pytest.fixture
def library() -> Library:
    """small_library()."""
    return small_library()


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
    assert (newest.prev.slug, newest.next.slug) == ("apple", "zeta")
    assert views["papers/apple/index.html"].context["paper"].prev.slug == "cross"  # newer dump
    assert (newest.theme.slug, newest.theme.url) == ("alpha", "themes/alpha/")
    assert not hasattr(newest.theme, "count")  # counts change with each dump: not on paper pages
    assert [t.title for t in newest.themes] == ["Alpha"]
    zeta = views["papers/zeta/index.html"].context
    assert zeta["paper"].next is None  # the oldest paper comes last
    assert [item.url for item in zeta["nav_expanded"]] == [
        "papers/apple/",
        "papers/newest/",
        "papers/zeta/",
    ]
    assert [n.slug for n in zeta["nav"] if n.current] == ["alpha"]
    assert zeta["root"] == "../../"


def test_pages_hold_no_list_of_every_paper() -> None:
    papers = [paper(f"p{i:04d}", f"Paper {i:04d}", "alpha", ()) for i in range(500)]
    library = build_library(project(papers, per_page=20))
    for view in html_pages(library):
        listed = view.context.get("papers", [])
        assert len(listed) <= AZ_PER_PAGE, view.path
        assert len(view.context.get("nav_expanded", [])) <= 2 * 2 + 3
        assert len(view.context["nav"]) <= 2 if "nav" in view.context else True
    theme_views = [v for v in html_pages(library) if v.template == "theme.html"]
    assert len(theme_views) == 25  # the newest 20, then 24 numbered pages of 20
    assert theme_views[-1].path == "themes/alpha/page/24/index.html"
    assert all(len(v.context["papers"]) == 20 for v in theme_views)


def archive_views(count: int) -> dict[str, PageView]:
    """The theme pages of `count` papers of one theme, 7 per dump (3 per page)."""
    dumps = [
        DumpSummary(f"2024-01-{d + 1:02d}", f"2024-01-{d + 1:02d}", None, 0) for d in range(20)
    ]
    papers = [
        paper(f"p{i:03d}", f"Paper {i:03d}", "alpha", (dumps[i // 7].name,)) for i in range(count)
    ]
    library = build_library(replace(project(papers, per_page=3), dumps=dumps))
    return {v.path: v for v in html_pages(library) if v.template == "theme.html"}


def test_a_growing_list_is_paged_from_its_oldest_so_full_pages_never_change() -> None:
    before, after = archive_views(40), archive_views(47)
    assert len(before) == 13 and len(after) == 15  # the newest page, then 12 (14) of 3
    newest = after["themes/alpha/index.html"].context
    assert [c.slug for c in newest["papers"]] == ["p042", "p043", "p044", "p045", "p046"]
    assert 3 <= len(newest["papers"]) < 6  # one to two pages' worth, never a handful
    oldest = after["themes/alpha/page/1/index.html"].context
    assert [c.slug for c in oldest["papers"]] == ["p004", "p005", "p006"]
    assert oldest["pager"].span == "Jan 1, 2024" and oldest["theme"].count == 0
    # Every numbered page but the newest one (whose "Newer" link moved on) is unchanged.
    same = [path for path, view in before.items() if after.get(path) == view]
    assert len(same) == len(before) - 2  # all but the newest page and page 12
    pager = after["themes/alpha/page/12/index.html"].context["pager"]
    assert (pager.newer_url, pager.older_url) == ("themes/alpha/page/13/", "themes/alpha/page/11/")
    assert [link.number for link in pager.links if not link.gap] == [0, 13, 12, 11, 10, 1]


def test_pager_shows_a_bounded_window() -> None:
    pager = make_pager("themes/a/", 50, 100, 5000, 50, "page/")
    numbers = [link.number for link in pager.links if not link.gap]
    assert numbers == [1, 48, 49, 50, 51, 52, 100]
    assert sum(link.gap for link in pager.links) == 2
    assert (pager.prev_url, pager.next_url) == ("themes/a/page/49/", "themes/a/page/51/")
    first = make_pager("themes/a/", 2, 2, 60, 50, "page/")
    assert first.prev_url == "themes/a/" and first.next_url == "" and first.first_item == 51


def test_the_route_table_finds_every_page_by_path_and_the_feed_is_one_of_them(library) -> None:  # noqa: ANN001
    site = make_site(library)
    table = routes(site)
    assert [route.path for route in table.values()] == [v.path for v in site_pages(site)]
    assert "feed.xml" in table and table["feed.xml"].make().template == "feed.xml"
    wanted = ["tags/x-y/index.html", "papers/zeta/index.html", "no/such/index.html"]
    assert [v.path for v in views_at(site, wanted)] == sorted(wanted[:2])
    assert [r.path for r in table.values() if r.kind == "paper"] == [
        f"papers/{s}/index.html" for s in ("apple", "newest", "zeta", "cross", "digits")
    ]
    others = routes(site, papers=False)  # the same table but for the papers' own pages
    assert list(others) == [path for path, route in table.items() if route.kind != "paper"]


def test_lookups_link_the_arxiv_page_when_the_abstract_names_it() -> None:
    searched = lookups_of("A [Title]", "No identifier here.")
    assert [c.title for c in searched] == ["arXiv", "Semantic Scholar", "Hugging Face"]
    assert searched[0].url == "https://arxiv.org/search/?searchtype=title&query=A+%5BTitle%5D"
    direct = lookups_of("A Title", "Code and paper: https://arxiv.org/abs/2301.01234v3.")
    assert direct[0].url == "https://arxiv.org/abs/2301.01234"


def test_edit_links_follow_repo_url_and_edit_uri() -> None:
    github = SiteConfig(repo_url="https://github.com/me/list")
    assert edit_url(github, "papers/graphs/a b.md") == (
        "https://github.com/me/list/edit/main/content/papers/graphs/a%20b.md"
    )
    own = SiteConfig(
        repo_url="https://git.example.org/me/list/", edit_uri="src/branch/trunk/content"
    )
    assert edit_url(own, "papers/x.md") == (
        "https://git.example.org/me/list/src/branch/trunk/content/papers/x.md"
    )
    assert edit_url(SiteConfig(repo_url="https://git.example.org/me/list"), "papers/x.md") == ""
    assert edit_url(SiteConfig(), "papers/x.md") == ""


def test_pages_show_no_counts_that_every_new_dump_would_change(library) -> None:  # noqa: ANN001
    views = {v.path: v for v in site_pages(make_site(library))}
    assert views["counts.js"].context["counts"] == {"themes/alpha/": 4, "themes/beta/": 2}
    nav = views["papers/zeta/index.html"].context["nav"]
    assert not any(hasattr(item, "count") for item in nav)


def test_a_large_site_gets_lean_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.views.listing

    library = small_library()
    assert not make_site(library).info.large
    monkeypatch.setattr(sitegen.views.listing, "LARGE_SITE_PAPERS", len(library.papers))
    views = {v.path: v for v in html_pages(library)}  # as large as the threshold: lean
    paper_page = views["papers/newest/index.html"].context
    assert paper_page["site"].large and paper_page["nav_fill"]
    assert [t.slug for t in paper_page["nav"]] == ["alpha"]  # site.js adds the others
    # One lean sidebar per theme, shared by its pages (paper_page.theme_items keeps its HTML).
    alphas = [v.context["nav"] for v in views.values() if v.template == "paper.html"]
    alphas = [nav for nav in alphas if nav[0].slug == "alpha"]
    assert len(alphas) > 1 and all(nav is alphas[0] for nav in alphas)
    assert paper_page["nav_expanded"] == [] and len(paper_page["paper"].lookups) == 1
    assert [c.title for c in paper_page["breadcrumbs"]] == ["Reading list", "Alpha"]
    assert not views["themes/alpha/index.html"].context["nav_fill"]  # lists keep the sidebar
    # A line per paper in its lists: twice site.yaml's per_page of them to a page.
    assert page_size(make_site(library)) == 2 * library.config.per_page
    lean = replace(library, config=replace(library.config, large_site=False))
    assert not make_site(lean).info.large  # site.yaml's choice wins
    assert page_size(make_site(lean)) == lean.config.per_page


def test_a_to_z_has_a_page_per_first_letter() -> None:
    titles = ["apple", "Avocado", "banana", "3D", "Ωmega", *(f"Cherry {i:03d}" for i in range(301))]
    papers = [paper(f"p{i}", title, "alpha", ()) for i, title in enumerate(titles)]
    views = {v.path: v for v in html_pages(build_library(project(papers)))}
    az = {path: view for path, view in views.items() if view.template == "papers.html"}
    assert sorted(az) == [
        "papers/_page/a/index.html",
        "papers/_page/b/index.html",
        "papers/_page/c/2/index.html",  # 301 papers under C: a second page
        "papers/_page/c/index.html",
        "papers/_page/m/index.html",  # "Ωmega" sorts as "mega"
        "papers/index.html",  # the first letter's ("#": digits and symbols)
    ]
    first = az["papers/index.html"].context
    assert [c.title for c in first["papers"]] == ["3D"] and first["letter"] == "0–9 and symbols"
    assert [link.letter for link in first["letters"]] == ["#", "A", "B", "C", "M"]
    c2 = az["papers/_page/c/2/index.html"].context["pager"]
    assert (c2.prev_url, c2.next_url) == ("papers/_page/c/", "papers/_page/m/")
    assert len(az["papers/_page/c/2/index.html"].context["papers"]) == 1


def test_a_markdown_link_escapes_what_would_end_its_text() -> None:
    assert markdown_link("Plain", "u/") == "[Plain](u/)"
    title = "A [b] \\c] [[d"
    link = markdown_link(title, "u/")
    assert link == "[A \\[b\\] \\\\c\\] \\[\\[d](u/)"
    assert re.sub(r"\\(.)", r"\1", link[1 : -len("](u/)")]) == title  # unescaped: the title
