"""Discovery in the views: paper-page terms and related papers, filters, the map and timeline."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_shipped_content
from linkcheck import broken_links, parse_links

import sitegen.discover
import sitegen.views.map
from sitegen.build import BuildOptions, build, render_site
from sitegen.build.model import PENDING
from sitegen.cache import BuildCache
from sitegen.catalog import Paper
from sitegen.discover import discover
from sitegen.dumps import Dump, Entry
from sitegen.model.library import AZ_KEY, Library, build_library
from sitegen.project import Project, SiteConfig, load_project
from sitegen.text import status_key
from sitegen.themes import Taxonomy, Theme
from sitegen.views.context import FilterOptions, MapInfo, PageView, TimelineBar
from sitegen.views.listing import cards_data, filter_options, make_site
from sitegen.views.map import MAP_PAD, MAP_SIZE
from sitegen.views.map import map_info as site_map_info
from sitegen.views.map import timeline_bars as site_timeline_bars
from sitegen.views.pages import SHOWS_DISCOVERY, markdown_link, routes, site_pages

TOPICS = {
    "alpha": "diffusion models denoise images with a learned score network",
    "beta": "graph neural networks pass messages between nodes of molecular graphs",
    "gamma": "reinforcement learning agents explore reward landscapes with policy gradients",
}


def paper(slug: str, theme: str, dumps: tuple[str, ...] = ("d1",), **extra: object) -> Paper:
    """A paper whose abstract talks about its theme's topic (tags lower-cased, as catalog does)."""
    return Paper(
        slug=slug,
        title=str(extra.pop("title", f"Paper {slug}")),
        abstract=f"{TOPICS[theme]}. We study {slug} in detail.",
        notes="",
        theme=theme,
        themes=(theme,),
        dumps=dumps,
        links=(),
        tags=tuple(t.lower() for t in extra.pop("tags", ())),  # type: ignore[union-attr]
        status=status_key(str(extra.pop("status", ""))),  # as make_paper normalises it
        meta={},
        source=f"papers/{theme}/{slug}.md",
    )


def project_of(papers: list[Paper]) -> Project:
    """A project over two dumps and three themes."""
    dumps = [
        Dump("d1", "2024-01-01", None, "spaced", tuple(Entry(p.slug, "", 1) for p in papers)),
        Dump("d2", "2024-02-01", None, "spaced", (Entry("x", "", 1),)),
    ]
    themes = tuple(Theme(slug, slug.title(), "") for slug in TOPICS)
    summaries = [dump.summary() for dump in dumps]
    return Project(
        Path("/nowhere"), SiteConfig(per_page=50), Taxonomy(themes), summaries, papers, []
    )


def corpus() -> list[Paper]:
    """Twelve papers, four per theme, a few with statuses and tags."""
    papers = [paper(f"{theme}-{i}", theme) for theme in TOPICS for i in range(4)]
    papers[0] = paper("alpha-0", "alpha", status="To Read", tags=["Gen AI"])
    papers[1] = paper("alpha-1", "alpha", ("d1", "d2"), status="read", tags=["gen ai", "best"])
    papers[2] = paper("alpha-2", "alpha", ("d2",), status="reading")
    return papers


def html_pages(library: Library) -> list[PageView]:
    """Every page view of a library's site."""
    return list(site_pages(make_site(library)))


def map_info(library: Library, limit: int | None = None) -> MapInfo:
    """The map of a library's site."""
    return site_map_info(make_site(library), limit)


def timeline_bars(library: Library) -> list[TimelineBar]:
    """The timeline bars of a library's site."""
    return site_timeline_bars(make_site(library))


def library_of(papers: list[Paper], base_url: str = ""):  # noqa: ANN201
    """A library with a real discovery attached."""
    project = project_of(papers)
    return build_library(project, base_url, discover(project.papers))


@pytest.fixture(scope="module")
def views() -> dict[str, object]:
    """Every page view of the small corpus by path."""
    return {v.path: v for v in html_pages(library_of(corpus()))}


def test_only_pages_of_the_kinds_that_show_discovery_change_with_it() -> None:
    """A CLI build renders the other kinds before discovery is done (build.model.PENDING)."""
    library = library_of(corpus())
    real = {v.path: v for v in html_pages(library)}
    pending = {v.path: v for v in html_pages(replace(library, discovery=PENDING))}
    routes_by_path = routes(make_site(library))
    assert real.keys() == pending.keys()
    changed = {routes_by_path[p].kind for p in real if real[p] != pending[p]}
    assert changed == SHOWS_DISCOVERY  # each of them does show it (or the list is stale)


# ------------------------------------------------------------------ paper pages


def test_paper_views_carry_key_terms_as_search_links(views) -> None:  # noqa: ANN001
    view = views["papers/alpha-3/index.html"].context["paper"]
    assert 1 <= len(view.key_terms) <= 6
    for term in view.key_terms:
        assert term.url.startswith("search/?q=") and " " not in term.url
    assert any("diffusion" in t.term or "denoise" in t.term for t in view.key_terms)


def test_related_papers_are_topical_and_explained(views) -> None:  # noqa: ANN001
    view = views["papers/beta-0/index.html"].context["paper"]
    assert 1 <= len(view.related) <= 5
    assert "beta-0" not in [r.slug for r in view.related]
    top = view.related[:3]
    assert all(r.slug.startswith("beta-") for r in top), [r.slug for r in top]
    assert all(r.shared_terms for r in top)
    assert top[0].url == f"papers/{top[0].slug}/" and top[0].theme == "Beta"


def test_markdown_link_escapes_brackets_and_uses_base_url() -> None:
    assert markdown_link("A [b] \\ c", "papers/x/") == "[A \\[b\\] \\\\ c](papers/x/)"
    relative = html_pages(library_of(corpus()))
    view = next(v for v in relative if v.path == "papers/alpha-0/index.html").context["paper"]
    assert (view.copy_url, view.markdown_link) == (
        "papers/alpha-0/",
        "[Paper alpha-0](papers/alpha-0/)",
    )
    absolute = html_pages(library_of(corpus(), "https://example.org/list/"))
    view = next(v for v in absolute if v.path == "papers/alpha-0/index.html").context["paper"]
    assert view.markdown_link == "[Paper alpha-0](https://example.org/list/papers/alpha-0/)"


def test_without_a_discovery_there_is_no_map_and_no_extras() -> None:
    library = build_library(project_of(corpus()))
    views = {v.path: v for v in html_pages(library)}
    assert "map/index.html" not in views
    assert views["index.html"].context["has_map"] is False
    view = views["papers/alpha-0/index.html"].context["paper"]
    assert view.key_terms == () and view.related == ()


# ------------------------------------------------------------------ status, tags, filters


def test_list_filters_offer_the_choices_of_the_whole_list(views) -> None:  # noqa: ANN001
    alpha = views["themes/alpha/index.html"].context["filters"]
    assert alpha.statuses == ("to-read", "reading", "read")  # reading order, not A-Z
    assert [t.name for t in alpha.tags] == ["best", "gen ai"]
    assert (alpha.by_dump, alpha.cards_url) == (True, "themes/alpha/cards.js")
    beta = views["themes/beta/index.html"].context["filters"]
    assert (beta.statuses, beta.tags, beta.by_dump) == ((), (), False)  # one dump: no choice
    assert filter_options([]) == FilterOptions((), (), False)
    # Every page of a list offers the same choices: those of the whole list.
    paged = replace(project_of(corpus()), config=SiteConfig(per_page=2))
    pages = {v.path: v for v in html_pages(build_library(paged))}
    first = pages["themes/alpha/index.html"].context["filters"]
    assert pages["themes/alpha/page/1/index.html"].context["filters"] == first


def test_a_lists_cards_data_holds_every_card_once() -> None:
    site = make_site(library_of(corpus()))
    data = cards_data(site, site.library.section(AZ_KEY))
    assert [row[0] for row in data["cards"]] == list(site.library.section(AZ_KEY).slugs)
    read = next(row for row in data["cards"] if row[4] == "read")
    assert [data["tags"][i][1] for i in read[5]] == ["gen ai", "best"]
    assert [data["dumps"][i][0] for i in read[6]] == ["2024-01-01", "2024-02-01"]
    assert [d[0] for d in data["dumps"]] == ["2024-02-01", "2024-01-01"]  # the filter's order
    assert data["themes"][read[3]] == ["Alpha", "themes/alpha/"]


def test_cards_carry_filter_data_and_status_badges() -> None:
    project = project_of(corpus())
    html = render_site(project)["themes/alpha/index.html"].decode()
    assert 'data-status="to-read" data-tags="gen-ai" data-dumps="2024-01-01"' in html
    assert 'data-status="read" data-tags="gen-ai best" data-dumps="2024-01-01 2024-02-01"' in html
    assert (
        '<span class="badge badge-status status-to-read" title="Reading status">to read</span>'
        in html
    )
    assert 'id="filter-status"' in html and 'id="filter-tag"' in html and 'id="filter-dump"' in html
    assert "data-filters hidden" in html  # shown by JavaScript only
    beta = render_site(project)["themes/beta/index.html"].decode()
    assert 'id="filter-text"' in beta and 'id="filter-status"' not in beta


# ------------------------------------------------------------------ map and timeline


def test_map_draws_every_paper_grouped_by_theme() -> None:
    info = map_info(library_of(corpus()))
    assert (info.total, info.dense, info.cell) == (12, False, 0)
    assert [g.theme.slug for g in info.groups] == ["alpha", "beta", "gamma"]
    assert len({g.colour for g in info.groups}) == 3
    for group in info.groups:
        assert len(group.points) == 4 and group.density == ()
        for point in group.points:
            assert MAP_PAD <= point.x <= MAP_SIZE - MAP_PAD
            assert MAP_PAD <= point.y <= MAP_SIZE - MAP_PAD
            assert point.url.startswith("papers/" + group.theme.slug)


def test_map_regions_are_named_and_list_their_papers() -> None:
    papers = [paper(f"{theme}-{i}", theme) for theme in TOPICS for i in range(6)]
    info = map_info(library_of(papers))
    assert len(info.regions) >= 2
    listed = [p.url for r in info.regions for p in r.papers]
    assert sorted(listed) == sorted(f"papers/{p.slug}/" for p in papers)  # each paper once
    for region in info.regions:
        assert region.label == region.terms[0] and region.label
        assert region.total == len(region.papers)
        assert region.anchor in ("start", "middle", "end")
        assert MAP_PAD <= region.x <= MAP_SIZE - MAP_PAD
    assert [r.number for r in info.regions] == list(range(1, len(info.regions) + 1))


def test_a_big_map_draws_density_not_a_sample() -> None:
    papers = [paper(f"p{i:03d}", "alpha") for i in range(60)]
    info = map_info(library_of(papers), limit=20)
    assert info.dense and info.cell == sitegen.views.map.DENSITY_CELL
    [group] = [g for g in info.groups if g.theme.slug == "alpha"]
    assert group.points == () and group.density
    cells = sum(run.width // info.cell for run in group.density)
    assert 1 <= cells <= 60  # every paper falls in some cell; cells may hold several
    assert {run.level for run in group.density} <= set(range(1, 6))
    assert max(run.level for run in group.density) == 5  # the fullest cell is darkest
    again = map_info(library_of(papers[::-1]), limit=20)
    assert again == info  # input order does not matter


def test_density_runs_merge_neighbouring_cells_of_a_level() -> None:
    from sitegen.views.map import DENSITY_CELL, density_runs

    runs = density_runs({(0, 0): 1, (0, 1): 1, (0, 2): 2, (1, 0): 1}, peak=2)
    assert [(r.x, r.y, r.width) for r in runs] == [
        (MAP_PAD, MAP_PAD, 2 * DENSITY_CELL),
        (MAP_PAD + 2 * DENSITY_CELL, MAP_PAD, DENSITY_CELL),
        (MAP_PAD, MAP_PAD + DENSITY_CELL, DENSITY_CELL),
    ]
    assert runs[1].level == 5 and runs[0].level < 5


def test_eighteen_themes_get_eighteen_colours() -> None:
    slugs = [f"t{i:02d}" for i in range(18)]
    TOPICS.update({s: f"topic {s} words" for s in slugs})
    try:
        papers = [paper(f"{s}-p", s) for s in slugs]
        themes = tuple(Theme(s, s, "") for s in slugs)
        project = Project(Path("/x"), SiteConfig(), Taxonomy(themes), [], papers, [])
        library = build_library(project, "", discover(papers))
        colours = [g.colour for g in map_info(library).groups]
    finally:
        for s in slugs:
            del TOPICS[s]
    assert colours == list(range(18))


def test_timeline_bars_follow_the_dumps_newest_first() -> None:
    bars = timeline_bars(library_of(corpus()))
    assert [(b.dump.slug, b.added, b.total, b.listed) for b in bars] == [
        ("2024-02-01", 1, 12, 1),
        ("2024-01-01", 11, 11, 12),
    ]
    assert bars[1].width == 100.0 and bars[0].width == round(100 / 11, 1)


def test_titles_on_the_map_and_related_lists_are_escaped() -> None:
    evil = "<script>alert(1)</script> & <b>"
    papers = corpus()
    papers[4] = paper("beta-0", "beta", title=evil)
    site = render_site(project_of(papers))
    for path in ("map/index.html", "papers/beta-1/index.html"):
        html = site[path].decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def map_colours(css: str) -> dict[str, list[str]]:
    """The map palettes in map.css: light (the first block) and dark (the forced one)."""
    light = re.search(r"\.map-figure, \.map-legend \{([^}]*)\}", css)
    dark = re.search(r':root\[data-theme="dark"\] \.map-figure, [^{]*\{([^}]*)\}', css)
    auto = re.search(r"prefers-color-scheme: dark\) \{[^{]*\{([^}]*)\}", css)
    assert light and dark and auto
    found = {
        mode: re.findall(r"--map-\d+: (#[0-9a-f]{6})", match.group(1))
        for mode, match in (("light", light), ("dark", dark), ("auto", auto))
    }
    assert found["auto"] == found["dark"]
    return found


def oklab(colour: str) -> tuple[float, float, float]:
    """A colour in OKLab (perceptual distance: about 0.02 is just noticeable)."""
    linear = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = linear
    lms = [
        (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b) ** (1 / 3),
        (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b) ** (1 / 3),
        (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b) ** (1 / 3),
    ]
    l_, m, s = lms
    return (
        0.2104542553 * l_ + 0.7936177850 * m - 0.0040720468 * s,
        1.9779984951 * l_ - 2.4285922050 * m + 0.4505937099 * s,
        0.0259040371 * l_ + 0.7827717186 * m - 0.8086757156 * s,
    )


def test_map_colours_stand_out_and_differ(repo_root: Path) -> None:
    from itertools import combinations

    from test_build import contrast

    css = (repo_root / "static" / "map.css").read_text()
    palettes = map_colours(css)
    backgrounds = {"light": "#f6f7fb", "dark": "#151922", "auto": "#151922"}  # --bg-soft
    for mode, colours in palettes.items():
        assert len(colours) == sitegen.views.map.MAP_COLOURS == len(set(colours)) >= 16
        for colour in colours:
            assert contrast(colour, backgrounds[mode]) >= 3, (mode, colour)  # WCAG 1.4.11
        for a, b in combinations(colours, 2):
            gap = sum((x - y) ** 2 for x, y in zip(oklab(a), oklab(b), strict=True)) ** 0.5
            assert gap >= 0.09, (mode, a, b)  # clearly different, not just noticeably
    classes = re.findall(r"\.mc(\d+) \{ --c: var\(--map-(\d+)\); \}", css)
    assert [(int(a), int(b)) for a, b in classes] == [(i, i) for i in range(18)]


# ------------------------------------------------------------------ the built site


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shipped corpus built once: (root, output)."""
    from sitegen.ingest import ingest

    root = copy_shipped_content(tmp_path_factory.mktemp("discovery") / "root")
    assert not ingest(root).errors
    build(root, BuildOptions(root / "site"))
    return root, root / "site"


def test_map_page_links_every_paper_and_is_in_the_sidebar(shipped: tuple[Path, Path]) -> None:
    root, output = shipped
    html = (output / "map" / "index.html").read_text()
    svg = html[html.index('<svg class="map"') : html.index("</svg>", html.index('class="map"'))]
    hrefs = re.findall(r'<a href="\.\./(papers/[^"]+)"(?: tabindex="-1")?><title>', svg)
    slugs = {p.slug for p in load_project(root).papers}
    assert sorted(hrefs) == sorted(f"papers/{s}/" for s in slugs)
    untabbed = re.findall(r'<a href="\.\./papers/[^"]+" tabindex="-1"><title>', svg)
    assert len(untabbed) == len(slugs) - 1  # the dots are one Tab stop
    assert len(re.findall(r'<g class="map-group', svg)) == html.count('class="map-toggle"')
    assert html.count('aria-pressed="true"') == html.count('class="map-toggle"') >= 16
    labels = re.findall(r'<text x="\d+" y="\d+" text-anchor="\w+">([^<]+)</text>', svg)
    assert len(labels) >= 8 and len(set(labels)) == len(labels)
    assert "Timeline" in html and "Regions" in html
    assert len(html.encode()) < 250 * 1024
    for page in ("index.html", "papers/geometry-distributions/index.html", "404.html"):
        refs = parse_links((output / page).read_text()).refs
        assert any(ref.endswith("map/") for ref in refs), page
    paper = (output / "papers" / "geometry-distributions" / "index.html").read_text()
    assert '<a class="button button-small" href="../../map/?paper=geometry-distributions">' in paper
    home = (output / "index.html").read_text()
    on_map = r'class="badge badge-map" href="(?:\./)?map/\?paper=[a-z0-9-]+"'
    assert len(re.findall(on_map, home)) >= 5
    assert broken_links(output) == []


def test_paper_pages_show_terms_related_and_copy_buttons(shipped: tuple[Path, Path]) -> None:
    _, output = shipped
    html = (output / "papers" / "geometry-distributions" / "index.html").read_text()
    chips = re.findall(r'<li><a href="\.\./\.\./search/\?q=([^"]+)"', html)
    assert 3 <= len(chips) <= 6
    related_list = html[html.index('<ol class="related-list">') :]
    related = re.findall(r'<li><a href="\.\./([^/]+)/"', related_list)  # papers/x/ from papers/y/
    assert 1 <= len(related) <= 5 and "geometry-distributions" not in related
    assert html.count('class="chip chip-shared"') >= len(related)
    # The buttons are made by static/discover.js, from the <h1> and the page's address.
    assert '<p class="copy-buttons" data-copy-buttons hidden></p>' in html
    assert "data-bibtex" not in html and "data-copy-url" not in html
    sizes = [p.stat().st_size for p in (output / "papers").glob("*/index.html")]
    assert max(sizes) <= 30 * 1024


def test_a_big_map_page_stays_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_build import write_synthetic

    monkeypatch.setattr(sitegen.views.map, "MAP_MAX_POINTS", 40)
    (tmp_path / "content").mkdir()
    write_synthetic(tmp_path, 90)
    build(tmp_path, BuildOptions(tmp_path / "site"))
    html = (tmp_path / "site" / "map" / "index.html").read_text()
    svg = html[
        html.index('<svg class="map"') : html.index("</svg>", html.index('<svg class="map"'))
    ]
    assert "<circle" not in svg and '<rect class="d' in svg
    assert 'class="map-figure is-dense"' in html
    labels = re.findall(r'<a class="map-region"[^>]*>', svg)
    assert labels and [label for label in labels if "tabindex" not in label] == labels[:1]


def test_discovery_is_computed_once_and_reused(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.ingest import ingest

    calls: list[int] = []
    real = sitegen.discover.discover

    def counting(papers, *args):  # noqa: ANN001, ANN002, ANN202
        calls.append(len(papers))
        return real(papers, *args)

    monkeypatch.setattr(sitegen.discover, "discover", counting)
    assert not ingest(shipped_site).errors
    cache = BuildCache()
    output = shipped_site / "site"
    build(shipped_site, BuildOptions(output), cache)
    build(shipped_site, BuildOptions(output), cache)
    assert calls == [360]
    page = next((shipped_site / "content" / "papers").rglob("*.md"))
    page.write_text(page.read_text() + "\nA new sentence about quantum chemistry.\n")
    result = build(shipped_site, BuildOptions(output), cache)
    assert calls == [360, 360]
    assert result.written >= 1


def test_moving_a_page_to_another_theme_does_not_rerun_discovery(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discovery reads titles and abstracts only, so its key holds nothing else."""
    from sitegen.cache import BuildCache
    from sitegen.ingest import ingest

    calls: list[int] = []
    real = sitegen.discover.discover
    monkeypatch.setattr(sitegen.discover, "discover", lambda *args: calls.append(1) or real(*args))
    assert not ingest(shipped_site).errors
    output = shipped_site / "site"
    build(shipped_site, BuildOptions(output), BuildCache.load(shipped_site))
    assert calls == [1]
    papers = shipped_site / "content" / "papers"
    page = next((papers / "3d-vision").glob("*.md"))
    moved = papers / "graphs" / page.name
    text = page.read_text().replace("---\n", "---\nstatus: To read\ntags: [moved]\n", 1)
    moved.write_text(text + "\n## Notes\n\nMoved by hand.\n")
    page.unlink()
    # A fresh cache object read from disk, as the next `sitegen build` process has.
    build(shipped_site, BuildOptions(output), BuildCache.load(shipped_site))
    assert calls == [1]  # not rerun
    html = (output / "papers" / page.stem / "index.html").read_text()
    assert 'href="../../themes/graphs/"' in html and "Moved by hand." in html
    assert page.stem in (output / "themes" / "graphs" / "index.html").read_text()
