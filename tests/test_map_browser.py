"""The map page (static/map.js) in real headless Chromium, on the shipped corpus.

Search highlight through the site's own search, the visible label of a focused or tapped
dot, the dots as a single Tab stop with arrow keys inside, zoom and pan, theme toggles,
and links into the map at a paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import open_page
from playwright.sync_api import Browser, Page, expect

ACTIVE = """() => { const a = document.activeElement;
  return {inMap: !!a.closest('svg.map'), dot: !!a.closest('.map-group'),
          href: a.getAttribute('href') || '', tag: a.tagName}; }"""
VIEW_WIDTH = "+document.querySelector('svg.map').getAttribute('viewBox').split(' ')[2]"
ON_A_DOT = "() => !!document.activeElement.closest('.map-group, .map-hits')"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page that fails the test on any uncaught error."""
    with open_page(browser, viewport={"width": 1366, "height": 900}) as fresh:
        yield fresh


def tab_into_the_map(page: Page) -> None:
    """Focus the control just before the map, then Tab once (once map.js has shown it)."""
    expect(page.locator(".map-tools")).to_be_visible()
    page.focus(".map-zoom button[data-zoom='reset']")
    page.keyboard.press("Tab")


def test_the_dots_are_one_tab_stop_with_arrows_inside(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    tab_into_the_map(page)
    first = page.evaluate(ACTIVE)
    assert first["inMap"] and first["dot"] and first["href"].startswith("../papers/")
    page.keyboard.press("ArrowRight")
    second = page.evaluate(ACTIVE)
    assert second["dot"] and second["href"] != first["href"]
    assert page.locator("svg.map [tabindex='0']").count() == 1  # the Tab stop moved along
    page.keyboard.press("PageDown")  # the next region's first paper
    assert page.evaluate(ACTIVE)["dot"]
    page.keyboard.press("Tab")  # one Tab leaves all 360 dots behind
    after = page.evaluate(ACTIVE)
    assert not after["inMap"], after
    page.keyboard.press("Shift+Tab")  # and comes back to the dot last visited
    assert page.evaluate(ACTIVE)["dot"]


def test_a_focused_dot_shows_its_title_and_links_to_the_paper(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    tip = page.locator(".map-tip")
    expect(tip).to_be_hidden()
    tab_into_the_map(page)
    title = page.evaluate("document.activeElement.querySelector('title').textContent")
    expect(tip).to_be_visible()
    expect(tip.locator("a")).to_have_text(title)
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert tip.locator("a").get_attribute("href") == href
    box, frame = tip.bounding_box(), page.locator(".map-frame").bounding_box()
    assert box and frame  # the label stays inside the map
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    page.keyboard.press("ArrowDown")
    title = page.evaluate("document.activeElement.querySelector('title').textContent")
    expect(tip.locator("a")).to_have_text(title)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/papers/[^/]+/$"))
    expect(page.locator("h1")).to_contain_text(tip_text_start(title))


def tip_text_start(title: str) -> str:
    """The start of a dot's title (long titles are cut with an ellipsis)."""
    return title.removesuffix("…")[:40]


def test_search_highlights_what_the_site_search_finds(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    page.fill("#map-q", "diffusion")
    expect(page.locator("svg.map")).to_have_class(re.compile("is-searching"))
    expect(page.locator("html")).to_have_attribute("data-search-index", "full")
    expected = page.evaluate(
        "() => SitegenSearch.query('diffusion', {limit: 1000}).then(r => r.hits.map(h => +h.ref))"
    )
    # The first marks may come from the title index; the full index's answer replaces them.
    page.wait_for_function(
        f"() => document.querySelectorAll('svg.map a.is-hit').length === {len(expected)}"
    )
    hits = page.eval_on_selector_all(
        "svg.map .map-group a.is-hit", "as => as.map(a => a.getAttribute('href'))"
    )
    assert 5 <= len(hits) == len(expected) < 360
    slugs = sorted(re.search(r"papers/([^/]+)/", h).group(1) for h in hits)
    # The search numbers papers in the order they arrived; its records name each hit's slug.
    found = page.evaluate(f"() => {expected}.map(ref => SitegenSearch.paper(ref).slug)")
    assert slugs == sorted(found)
    titles = page.eval_on_selector_all(
        "svg.map a.is-hit title", "ts => ts.map(t => t.textContent.toLowerCase())"
    )
    assert sum("diffusion" in t for t in titles) >= len(titles) // 2
    expect(page.locator(".map-status")).to_contain_text(f"{len(hits)} papers match")
    dimmed = page.eval_on_selector(
        "svg.map .map-group a:not(.is-hit)", "a => +getComputedStyle(a).opacity"
    )
    assert dimmed < 0.5
    page.press("#map-q", "Enter")  # goes to the best match, zoomed in, its label shown
    page.wait_for_function(ON_A_DOT)
    active = page.evaluate(ACTIVE)
    assert active["dot"] and active["href"] in hits
    assert page.evaluate(VIEW_WIDTH) < 1000
    expect(page.locator(".map-tip")).to_be_visible()
    page.fill("#map-q", "")
    expect(page.locator("svg.map")).not_to_have_class(re.compile("is-searching"))


def test_keys_wheel_and_buttons_zoom_and_pan(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    tab_into_the_map(page)
    page.keyboard.press("+")
    zoomed = page.evaluate(VIEW_WIDTH)
    assert zoomed < 1000
    before = page.get_attribute("svg.map", "viewBox")
    page.keyboard.press("Shift+ArrowRight")
    assert page.get_attribute("svg.map", "viewBox") != before
    page.keyboard.press("0")
    assert page.get_attribute("svg.map", "viewBox") == "0 0 1000 1000"
    box = page.locator("svg.map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(page.locator("svg.map")).not_to_have_attribute("viewBox", "0 0 1000 1000")
    width = page.evaluate(VIEW_WIDTH)
    # Dragging pans: the view moves, its size does not.
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 240, steps=5)
    page.mouse.up()
    assert page.evaluate(VIEW_WIDTH) == width
    page.click(".map-zoom [data-zoom='reset']")
    page.click(".map-zoom [data-zoom='in']")
    assert page.evaluate(VIEW_WIDTH) < 1000


def test_the_wheel_scrolls_past_a_map_not_in_use(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    expect(page.locator(".map-tools")).to_be_visible()
    box = page.locator("svg.map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)  # a reader scrolling down the page, pointer over the map
    page.wait_for_function("window.scrollY > 0")
    assert page.get_attribute("svg.map", "viewBox") == "0 0 1000 1000"
    expect(page.locator(".map-wheel-hint")).to_be_visible()
    page.keyboard.down("Control")  # Ctrl + wheel zooms without clicking first
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    expect(page.locator("svg.map")).not_to_have_attribute("viewBox", "0 0 1000 1000")


def test_theme_toggles_hide_and_show_a_theme(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "map/")
    toggle = page.locator(".map-toggle").first
    theme = toggle.get_attribute("data-theme")
    group = page.locator(f"svg.map .map-group[data-theme='{theme}']")
    expect(group).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(group).to_be_hidden()
    tab_into_the_map(page)  # still one Tab stop, on a theme that shows
    active = page.evaluate(ACTIVE)
    assert (
        active["dot"]
        and page.evaluate("document.activeElement.closest('.map-group').dataset.theme") != theme
    )
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(group).to_be_visible()


def test_a_paper_page_links_to_its_dot(page: Page, shipped_url: str) -> None:
    page.goto(shipped_url + "papers/geometry-distributions/")
    page.click("text=See on the map")
    expect(page).to_have_url(re.compile(r"map/\?paper=geometry-distributions$"))
    page.wait_for_function(ON_A_DOT)
    active = page.evaluate(ACTIVE)
    assert active["dot"] and active["href"] == "../papers/geometry-distributions/"
    expect(page.locator(".map-tip a")).to_have_text("Geometry Distributions")
    assert page.evaluate(VIEW_WIDTH) <= 300  # zoomed in on it


def test_a_tap_shows_the_label_and_a_second_tap_follows(browser: Browser, shipped_url: str) -> None:
    with open_page(browser, viewport={"width": 390, "height": 844}, has_touch=True) as phone:
        phone.goto(shipped_url + "map/?paper=geometry-distributions")
        dot = phone.locator("svg.map a[href='../papers/geometry-distributions/'] circle")
        expect(phone.locator(".map-tip")).to_be_visible()  # the link focused its dot
        phone.keyboard.press("Escape")
        expect(phone.locator(".map-tip")).to_be_hidden()
        dot.tap()
        expect(phone.locator(".map-tip")).to_be_visible()
        assert "map/" in phone.url
        phone.locator(".map-tip a").tap()
        expect(phone).to_have_url(re.compile(r"papers/geometry-distributions/$"))


# ------------------------------------------------------------------ a dense map


@pytest.fixture(scope="module")
def dense_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped corpus built as a big site would be: the map as density, and a search
    index whose titles load by chunk (no title stage)."""
    from conftest import copy_shipped_content, serve_static

    import sitegen.search
    import sitegen.views.map
    from sitegen.build import BuildOptions, build
    from sitegen.ingest import ingest

    root = copy_shipped_content(tmp_path_factory.mktemp("dense-map"))
    assert not ingest(root).errors
    patch = pytest.MonkeyPatch()
    patch.setattr(sitegen.views.map, "MAP_MAX_POINTS", 100)
    patch.setattr(sitegen.search, "TITLE_STAGE_PAPERS", 100)
    try:
        build(root, BuildOptions(root / "site"))
    finally:
        patch.undo()
    with serve_static(root / "site") as url:
        yield url


def test_a_dense_map_marks_search_hits_and_finds_a_linked_paper(page: Page, dense_url: str) -> None:
    page.goto(dense_url + "map/")
    assert page.locator("svg.map circle").count() == 0
    assert page.locator("svg.map rect").count() > 50
    tab_into_the_map(page)  # the region labels are the one Tab stop
    assert page.evaluate("document.activeElement.classList.contains('map-region')")
    page.keyboard.press("Tab")
    assert not page.evaluate(ACTIVE)["inMap"]
    page.fill("#map-q", "diffusion")
    hits = page.locator("svg.map .map-hits a")
    expect(hits.first).to_be_attached()
    expected = page.evaluate(
        "() => SitegenSearch.query('diffusion', {limit: 300}).then(r => r.hits.length)"
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('svg.map .map-hits a').length === {expected}"
    )
    titles = page.eval_on_selector_all(
        "svg.map .map-hits title", "ts => ts.map(t => t.textContent.toLowerCase())"
    )
    assert sum("diffusion" in t for t in titles) >= len(titles) // 2
    href = hits.first.get_attribute("href")
    assert re.fullmatch(r"\.\./papers/[a-z0-9-]+/", href)
    page.press("#map-q", "Enter")
    expect(page.locator(".map-tip")).to_be_visible()
    page.goto(dense_url + "map/?paper=geometry-distributions")
    expect(page.locator(".map-tip a")).to_have_text("Geometry Distributions")
    page.wait_for_function(ON_A_DOT)
    assert page.evaluate(ACTIVE)["href"] == "../papers/geometry-distributions/"
