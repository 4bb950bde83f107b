"""The paper page without Jinja: the same bytes as the shipped templates, in every branch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from test_library import paper, project

from sitegen.build import BuildOptions, ingest_and_build
from sitegen.model.discovery import Discovery, Point, Related
from sitegen.model.library import build_library
from sitegen.paper_page import PAGE_TEMPLATES, paper_page_html, shipped_paper_page, theme_items
from sitegen.render import make_environment, render_template, template_dirs
from sitegen.views.context import NavTheme
from sitegen.views.listing import make_site
from sitegen.views.pages import site_pages

HOSTILE = "<b>&\"'</b> {{ x }}"  # what autoescaping must turn into text, in every field


def paper_views(
    papers: list, discovery: Discovery | None, listed: bool = True, **config: object
) -> list:
    """The paper pages' views of a project of these papers (project(): two dumps, themes);
    `listed`: the dated dump listed its papers in slug order (so they have ranks)."""
    made = project(papers)
    made = replace(made, config=replace(made.config, **config))
    if listed:
        old = sorted(p.slug for p in papers if "2024-01-01-old" in p.dumps)
        made = replace(made, listings={"2024-01-01-old": tuple(old)})
    base_url = str(config.get("base_url", ""))
    site = make_site(build_library(made, base_url, discovery))
    return [view for view in site_pages(site) if view.template == "paper.html"]


def both_ways(views: list) -> None:
    """Each view rendered by Jinja and by paper_page_html: the same text."""
    env = make_environment(template_dirs(None), keep_compiled=False)
    assert shipped_paper_page(env)
    for view in views:
        jinja = render_template(env, "paper.html", view.context).decode()
        assert paper_page_html(view.context) == jinja, view.path


def every_kind_of_paper() -> list:
    """Papers that take every branch of paper.html: notes with and without a heading,
    statuses, tags, links, no dump, HTML in every text."""
    return [
        paper("a", f"A {HOSTILE}", "alpha", ("2024-01-01-old",), status="to-read", tags=["x y"]),
        replace(
            paper("b", "B", "alpha", ("2024-01-01-old", "new dump"), abstract=f"*B* {HOSTILE}"),
            notes=f"Mine: {HOSTILE}",
            links=("https://github.com/a/b", "https://example.org/p?x=1&y=<2>"),
        ),
        replace(paper("c", "C", "beta", ("new dump",), themes=("beta", "alpha")), notes="# Own"),
        paper("d", "3D things", "beta", (), abstract=""),
        paper("e", "E", "alpha", ("new dump",), tags=[HOSTILE, "z"], status="reading-now"),
    ]


def a_discovery(slugs: list[str]) -> Discovery:
    """Key terms, related papers (with and without shared terms) and map points for all."""
    return Discovery(
        key_terms={s: (f"term {HOSTILE}", "plain") for s in slugs[:-1]},
        related={
            s: tuple(Related(o, 0.5, (HOSTILE,) if i % 2 else ()) for i, o in enumerate(slugs))
            for s in slugs[1:]
        },
        points={s: Point(0.5, 0.5) for s in slugs[1:]},
    )


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("discovered", [False, True])
@pytest.mark.parametrize("base_url", ["", "https://example.org/list/"])
def test_every_paper_page_is_the_templates_bytes(
    large: bool, discovered: bool, base_url: str
) -> None:
    papers = every_kind_of_paper()
    discovery = a_discovery([p.slug for p in papers]) if discovered else None
    config = {"large_site": large, "base_url": base_url, "title": f"List {HOSTILE}"}
    views = paper_views(papers, discovery, **config)
    assert {v.context["paper"].rank for v in views} > {0} and views[0].context["has_feed"]
    both_ways(views)
    author = {"author": HOSTILE, "repo_url": "https://github.com/me/l", "description": HOSTILE}
    both_ways(paper_views(papers, discovery, listed=False, **config, **author))


@pytest.mark.parametrize("large", [False, True])
def test_a_site_without_a_feed_or_tags_gets_the_templates_bytes(large: bool) -> None:
    undated = [paper(s, s.upper(), "alpha", ("new dump",)) for s in "xyz"]  # no dated dump
    views = paper_views([*undated, paper("w", "W", "beta", ())], None, large_site=large)
    assert not any(v.context["has_feed"] or v.context["has_tags"] for v in views)
    both_ways(views)


def test_values_that_are_not_text_print_as_jinja_prints_them() -> None:
    (view,) = paper_views([paper("a", "A", "alpha", ("2024-01-01-old",))], None)
    site = replace(view.context["site"], title=7, author=Markup("<i>me</i>"))  # type: ignore[arg-type]
    both_ways([replace(view, context={**view.context, "site": site})])


TEXT = st.lists(st.sampled_from([*"aZ9 -<>&\"'#*_`[]()$\\\n", "é", "http://a.b"])).map("".join)


@given(title=TEXT.filter(str.strip), abstract=TEXT, notes=TEXT, status=TEXT, tag=TEXT)
@settings(max_examples=40, deadline=None)
def test_any_text_gives_the_templates_bytes(
    title: str, abstract: str, notes: str, status: str, tag: str
) -> None:
    made = replace(
        paper("p", title, "alpha", ("2024-01-01-old",), abstract=abstract, status=status),
        notes=notes,
        tags=(tag,) if tag.strip() else (),
    )
    others = [paper("q", "Q", "alpha", ("new dump",)), paper("r", "R", "beta", ())]
    papers = [made, *others]
    both_ways(paper_views(papers, a_discovery(["p", "q", "r"]), title=title))


def test_a_site_that_overrides_any_of_its_templates_gets_jinja(tmp_path: Path) -> None:
    shipped = make_environment(template_dirs(None), keep_compiled=False)
    assert shipped_paper_page(shipped) and shipped_paper_page(shipped)  # looked up once
    for name in PAGE_TEMPLATES:
        root = tmp_path / name.replace("/", "-")
        own = root / "templates" / name
        own.parent.mkdir(parents=True)
        own.write_text("{% extends 'base.html' %}" if name == "paper.html" else "mine")
        env = make_environment(template_dirs(root), keep_compiled=False)
        assert not shipped_paper_page(env), name
    mine = tmp_path / "mine"
    (mine / "templates").mkdir(parents=True)
    (mine / "templates" / "theme.html").write_text("another page's template")
    assert shipped_paper_page(make_environment(template_dirs(mine), keep_compiled=False))


def test_the_build_renders_paper_pages_without_jinja(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sitegen.build.run as run

    made: list[str] = []
    monkeypatch.setattr(run, "paper_page_html", lambda c: made.append(c["page"].path) or "twin")
    ingest_and_build(shipped_site, BuildOptions(shipped_site / "site", fork=False))
    pages = sorted((shipped_site / "site" / "papers").glob("*/index.html"))
    assert sorted(made) == [str(p.relative_to(shipped_site / "site")) for p in pages]
    assert len(pages) > 300 and all(page.read_text() == "twin" for page in pages)
    assert "<html" in (shipped_site / "site" / "index.html").read_text()  # the rest: Jinja's


def test_every_paper_page_of_the_shipped_corpus_is_the_templates_bytes(shipped_site: Path) -> None:
    from sitegen.build.model import environment_for, make_model
    from sitegen.cache import BuildCache
    from sitegen.ingest import ingest
    from sitegen.project import load_project

    cache = BuildCache()
    ingest(shipped_site, cache)
    made = load_project(shipped_site, cache)
    for base_url in ("", "https://example.org/list/"):
        model = make_model(made, BuildOptions(shipped_site / "site", base_url), cache)
        assert shipped_paper_page(environment_for(made, cache))
        views = [v for v in site_pages(model.site) if v.template == "paper.html"]
        assert len(views) > 300 and sum(1 for v in views if v.context["paper"].rank) > 300
        both_ways(views)


def test_a_failure_in_the_twin_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.build.run as run
    from sitegen.errors import SitegenError

    def broken(context: dict) -> str:
        raise ValueError("no such field")

    monkeypatch.setattr(run, "paper_page_html", broken)
    env = make_environment(template_dirs(None), keep_compiled=False)
    with pytest.raises(SitegenError, match="template: no such field"):
        run.render_page(env, "paper.html", {})


def test_the_sidebar_theme_links_are_made_once_per_nav_and_root() -> None:
    # Split at the end of the current theme's link (its papers go there); made once for a
    # nav and a root, and again for another root or another nav with the same themes.
    nav = (NavTheme("a", "A & B", "themes/a/", False), NavTheme("b", "<B>", "themes/b/", True))
    before, after = theme_items(nav, "../../")
    assert before.endswith('<li class="is-current"><a href="../../themes/b/">&lt;B&gt;</a>')
    assert before.startswith('<li><a href="../../themes/a/">A &amp; B</a></li>')
    assert after == "</li>\n"
    assert theme_items(nav, "../../")[0] is before  # kept
    assert theme_items(nav, "")[0].startswith('<li><a href="themes/a/">')  # not the kept root
    plain = tuple(replace(theme, current=False) for theme in nav)
    assert theme_items(plain, "")[1] is None  # no current theme: all in the first part
