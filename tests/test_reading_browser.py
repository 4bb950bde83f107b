"""The paper page as a reader sees it in Chromium: one type family, a readable measure, math."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import copy_shipped_content, serve_static
from playwright.sync_api import Browser, Page

from sitegen.build import BuildOptions, build
from sitegen.ingest import ingest

ABSTRACT = (
    "We report {\\bf 8.2\\%} gains on a {\\it (Model \\(\\times\\) Data)} grid, with cost "
    "$O(n^2 \\log n)$ for $\\alpha \\leq \\frac{1}{2}$. "
    + "The method keeps every other setting of the earlier benchmark unchanged. "
    * 8
)


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped corpus plus one paper whose abstract carries inline TeX, served locally."""
    root = copy_shipped_content(tmp_path_factory.mktemp("reading"))
    dump = root / "content" / "dumps" / "2026-01-02-feed.txt"
    dump.write_text(f"Subscribe Gains From Grids\n{ABSTRACT}\n")
    assert not ingest(root).errors
    build(root, BuildOptions(root / "site"))
    with serve_static(root / "site") as url:
        yield url


@pytest.fixture
def base_url(site_url: str) -> str:
    """The TeX paper's page."""
    return site_url + "papers/gains-from-grids/"


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A 1366x900 page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


def test_abstract_lines_hold_60_to_75_characters(desktop: Page, base_url: str) -> None:
    desktop.goto(base_url)
    # The measure: the column's width over the average width of this text's characters.
    per_line = desktop.evaluate(
        """() => { const p = document.querySelector('.prose p');
                   const ctx = document.createElement('canvas').getContext('2d');
                   const style = getComputedStyle(p);
                   ctx.font = `${style.fontSize} ${style.fontFamily}`;
                   const text = p.textContent;
                   return p.clientWidth / (ctx.measureText(text).width / text.length); }"""
    )
    assert 60 <= per_line <= 75, per_line


def test_title_and_body_share_one_type_family(desktop: Page, base_url: str) -> None:
    desktop.goto(base_url)
    families = desktop.evaluate(
        """() => ['.paper h1', '.prose p', 'h2'].map(
             s => getComputedStyle(document.querySelector(s)).fontFamily)"""
    )
    assert len(set(families)) == 1, families


def test_inline_tex_renders_as_math_and_emphasis(desktop: Page, base_url: str) -> None:
    desktop.goto(base_url)
    prose = desktop.locator(".prose p").first
    assert prose.locator("strong").inner_text() == "8.2%"
    assert "Model" in prose.locator("em").first.inner_text()
    sizes = desktop.eval_on_selector_all(
        ".prose math", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(sizes) == 3 and all(width > 5 for width in sizes)
    text = prose.inner_text()
    assert "\\" not in text and "$" not in text and "{" not in text


def visible_cards(page: Page) -> int:
    """Cards wholly inside the viewport."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.card')].filter(c => {
               const r = c.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight;
           }).length"""
    )


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_compact_lists_show_20_papers_a_screen_and_are_remembered(
    browser: Browser, site_url: str, size: tuple[int, int]
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(site_url + "themes/representation-learning/")
    toggle = page.locator("[data-density-toggle] button").first
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.evaluate("window.scrollTo(0, document.querySelector('.cards').offsetTop - 60)")
    assert visible_cards(page) >= 20
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.goto(site_url + "themes/generative-models/")  # another list: still compact
    assert page.locator("html").get_attribute("data-density") == "compact"
    assert page.locator("[data-density-toggle] button").get_attribute("aria-pressed") == "true"
    page.locator("[data-density-toggle] button").click()
    assert page.locator("html").get_attribute("data-density") is None
    context.close()


def test_sidebar_counts_come_from_counts_js(desktop: Page, site_url: str) -> None:
    desktop.goto(site_url + "papers/")
    shown = desktop.eval_on_selector_all(
        ".nav-themes > li > a",
        """links => links.map(a => [a.getAttribute('href').replace(/^(\\.\\.\\/)+/, ''),
                                  a.querySelector('.count').textContent])""",
    )
    counts = desktop.evaluate(
        """() => new Promise(resolve => {
             window.sitegenCounts = resolve;
             const s = document.createElement('script'); s.src = '../counts.js';
             document.head.appendChild(s); })"""
    )
    assert len(shown) >= 15 and all(text == str(counts[url]) for url, text in shown)
    assert sum(counts.values()) >= 361  # every paper counts once per theme it is listed in
