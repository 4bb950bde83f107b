"""The phone menu (static/site.js + style.css) in real Chromium at 390x844: every link reachable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KEPT_WAIT, KEPT_WHOLE, open_page, serve_static, wait_for_full_results
from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}
# One page of each kind the menu must work on, relative to the site root.
PAGES = {
    "home": "",
    "theme": "themes/generative-models/",
    "last theme": "themes/applied-ml/",  # its link is the drawer's last
    "paper": "papers/3d-aware-image-generation-using-2d-diffusion-models/",
    "a-z": "papers/",
    "search": "search/?q=diffusion",
    "map": "map/",
}


@pytest.fixture(scope="module")
def base_url(shipped_url: str) -> str:
    """The shipped site, built once per session."""
    return shipped_url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page that fails the test on any uncaught error."""
    with open_page(browser, viewport=PHONE) as page:
        yield page


REACHABLE = """links => links.map(link => {
    link.scrollIntoView({block: "center"});
    const box = link.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return hit && (hit === link || link.contains(hit)) ? null : link.textContent.trim();
}).filter(Boolean)"""


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_menu_link_is_reachable_and_focus_goes_in_and_out(
    phone: Page, base_url: str, kind: str
) -> None:
    phone.goto(base_url + PAGES[kind])
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click(".menu-toggle")
    close = phone.locator(".sidebar-close")
    header_bottom = phone.evaluate(
        "document.querySelector('.site-header').getBoundingClientRect().bottom"
    )
    box = close.bounding_box()
    assert box is not None and box["y"] >= header_bottom - 1
    # Focus goes in, to the page's own link, on screen: the drawer scrolls to it (the last
    # theme's link is below the fold).
    focused = phone.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect();"
        " return [r.top, r.bottom]; })()"
    )
    assert header_bottom <= focused[0] and focused[1] <= PHONE["height"], focused
    links = phone.locator("#sidebar a:not(.sidebar-close)")
    assert links.count() >= 15  # browse links and every theme
    assert phone.eval_on_selector_all("#sidebar a:not(.sidebar-close)", REACHABLE) == []
    # The close control stays on screen however far the menu was scrolled.
    assert phone.evaluate(
        """() => { const c = document.querySelector('.sidebar-close').getBoundingClientRect();
                   const hit = document.elementFromPoint(c.left + 20, c.top + c.height / 2);
                   return hit === document.querySelector('.sidebar-close'); }"""
    )
    assert phone.evaluate("document.activeElement.closest('#sidebar') !== null")
    assert phone.evaluate("document.querySelector('main').inert")
    phone.keyboard.press("Escape")
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")
    assert not phone.evaluate("document.querySelector('main').inert")
    assert not phone.locator("#sidebar").is_visible()


def test_close_button_closes_and_returns_focus(phone: Page, base_url: str) -> None:
    phone.goto(base_url + PAGES["paper"])
    phone.click(".menu-toggle")
    assert phone.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    phone.click(".sidebar-close")
    assert phone.locator(".menu-toggle").get_attribute("aria-expanded") == "false"
    assert not phone.locator("#sidebar").is_visible()
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")


def click_at(page: Page, selector: str) -> None:
    """Click where an element is on screen, as a finger would (a locator's click scrolls to it
    first, which is not what a reader does)."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.parametrize("kind", ["theme", "paper"])
@pytest.mark.parametrize("close_with", ["Escape", ".sidebar-close", ".menu-toggle"])
def test_opening_and_closing_the_menu_keeps_the_reader_where_they_were(
    phone: Page, base_url: str, kind: str, close_with: str
) -> None:
    phone.goto(base_url + PAGES[kind])
    deep = phone.evaluate("Math.min(1500, document.documentElement.scrollHeight - innerHeight)")
    assert deep > 400  # a page long enough to lose one's place in
    phone.evaluate(f"window.scrollTo(0, {deep})")
    click_at(phone, ".menu-toggle")
    expect(phone.locator("#sidebar")).to_be_visible()
    assert phone.evaluate("scrollY") == deep
    if close_with == "Escape":
        phone.keyboard.press("Escape")
    else:
        click_at(phone, close_with)
    expect(phone.locator("#sidebar")).to_be_hidden()
    # Focus goes back to the menu button in the sticky header without scrolling the page.
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")
    assert phone.evaluate("scrollY") == deep


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus built as a large site (site.yaml: large_site: true)."""
    from conftest import copy_shipped_content

    from sitegen.build import build
    from sitegen.build.options import BuildOptions
    from sitegen.ingest import ingest

    root = copy_shipped_content(tmp_path_factory.mktemp("large-site"))
    with (root / "content" / "site.yaml").open("a") as config:
        config.write("large_site: true\n")
    assert not ingest(root).errors
    build(root, BuildOptions(root / "site"))
    return root / "site"


def test_a_lean_paper_pages_menu_gets_every_theme_from_counts_js(
    phone: Page, large_site: Path
) -> None:
    html = (large_site / PAGES["paper"] / "index.html").read_text()
    assert html.count('<ul class="nav-list nav-themes" data-fill>') == 1
    assert html.count("themes/") < 8  # its own theme only (and its links to it)
    full = (large_site / "themes" / "generative-models" / "index.html").read_text()
    themes = re.findall(r'<li(?: class="is-current")?><a href="\.\./\.\./(themes/[^"]+)"', full)
    with serve_static(large_site) as served:
        check_lean_menu(phone, served + PAGES["paper"], themes)
    check_lean_menu(phone, (large_site / PAGES["paper"] / "index.html").as_uri(), themes)


def check_lean_menu(phone: Page, url: str, themes: list[str]) -> None:
    """The menu of a lean paper page lists every theme, in order, with its count."""
    phone.goto(url)
    phone.click(".menu-toggle")
    shown = phone.eval_on_selector_all(
        ".nav-themes > li > a",
        "links => links.map(a => [a.getAttribute('href'), a.querySelector('.count') !== null])",
    )
    assert [re.sub(r"^(\.\./)+|index\.html$", "", href) for href, _ in shown] == themes
    assert all(counted for _, counted in shown)
    assert phone.eval_on_selector_all("#sidebar a:not(.sidebar-close)", REACHABLE) == []
    current = phone.locator(".nav-themes > li.is-current > a")
    expect(current).to_have_count(1)


def is_open(page: Page) -> bool:
    """Whether the phone menu is open."""
    return page.evaluate("document.body.classList.contains('nav-open')")


def test_back_closes_the_menu_and_the_next_back_leaves_the_page(phone: Page, base_url: str) -> None:
    phone.goto(base_url)
    phone.goto(base_url + PAGES["theme"])
    phone.evaluate("window.scrollTo(0, 1200)")
    click_at(phone, ".menu-toggle")
    assert is_open(phone)
    phone.go_back()
    expect(phone.locator("#sidebar")).to_be_hidden()
    assert phone.url == base_url + PAGES["theme"]
    assert phone.evaluate("scrollY") == 1200
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")
    assert not phone.evaluate("document.querySelector('main').inert")
    phone.go_forward()  # Forward opens it again: the entry stands for the open menu
    expect(phone.locator("#sidebar")).to_be_visible()
    phone.go_back()
    expect(phone.locator("#sidebar")).to_be_hidden()
    phone.go_back()  # no dead press: the page before
    assert phone.url == base_url


@pytest.mark.parametrize("close_with", ["Escape", ".sidebar-close", ".menu-toggle"])
def test_a_menu_closed_by_hand_leaves_no_history_entry(
    phone: Page, base_url: str, close_with: str
) -> None:
    phone.goto(base_url)
    phone.goto(base_url + PAGES["paper"])
    click_at(phone, ".menu-toggle")
    if close_with == "Escape":
        phone.keyboard.press("Escape")
    else:
        click_at(phone, close_with)
    expect(phone.locator("#sidebar")).to_be_hidden()
    phone.wait_for_function("history.state === null")  # back over the menu's entry
    assert phone.url == base_url + PAGES["paper"]
    phone.go_back()
    assert phone.url == base_url


def test_a_link_in_the_menu_takes_the_place_of_its_entry(phone: Page, base_url: str) -> None:
    phone.goto(base_url)
    phone.goto(base_url + PAGES["theme"])
    click_at(phone, ".menu-toggle")
    phone.click("#sidebar a[href$='map/']")
    phone.wait_for_url(base_url + PAGES["map"])
    phone.go_back()
    assert phone.url == base_url + PAGES["theme"]
    assert not is_open(phone)  # the page as it was, not the menu
    phone.go_back()
    assert phone.url == base_url


def test_back_out_of_the_menu_leaves_the_search_results_alone(phone: Page, base_url: str) -> None:
    phone.goto(base_url + PAGES["search"])
    wait_for_full_results(phone)
    first = phone.locator(".sg-result").first
    first.evaluate("item => item.dataset.seen = 'yes'")
    # A listener added after the page's scripts: the popstates that reach search.js reach it.
    phone.evaluate("window.pops = 0; addEventListener('popstate', () => window.pops++)")
    click_at(phone, ".menu-toggle")
    # The tap handled before Back: else Back can reach the browser first and leave the page.
    phone.wait_for_function("history.state && history.state.sitegenMenu")
    phone.go_back()
    expect(phone.locator("#sidebar")).to_be_hidden()
    # search.js re-renders on popstate; the menu's entry is not a new query
    assert phone.evaluate("window.pops") == 0
    assert phone.locator(".sg-result").first.get_attribute("data-seen") == "yes"
    assert phone.url == base_url + PAGES["search"]


def test_searching_from_the_header_with_the_menu_open_costs_no_back_press(
    phone: Page, base_url: str
) -> None:
    phone.goto(base_url)
    phone.goto(base_url + PAGES["theme"])
    click_at(phone, ".menu-toggle")
    phone.click("#site-search")  # closes the menu: the results take the page's place
    expect(phone.locator("#sidebar")).to_be_hidden()
    phone.wait_for_function("history.state === null")
    phone.fill("#site-search", "diffusion")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/search/?q=diffusion*")
    phone.go_back()
    assert phone.url == base_url + PAGES["theme"] and not is_open(phone)
    phone.go_back()
    assert phone.url == base_url


def test_a_jump_onto_the_menus_entry_shows_that_entrys_page(phone: Page, base_url: str) -> None:
    phone.goto(base_url + PAGES["search"])
    wait_for_full_results(phone)
    phone.click(".sg-filter[data-theme]:not([data-theme=''])")
    chosen = phone.url
    assert "theme=" in chosen
    click_at(phone, ".menu-toggle")
    phone.wait_for_function("history.state && history.state.sitegenMenu")  # the tap handled
    phone.go_back()  # closes the menu
    phone.go_back()  # the results for every theme
    expect(phone.locator(".sg-filter[data-theme=''][aria-pressed='true']")).to_have_count(1)
    phone.evaluate("history.go(2)")  # as a long press on Forward does: onto the menu's entry
    phone.wait_for_url(chosen)
    expect(phone.locator(".sg-filter[data-theme=''][aria-pressed='false']")).to_have_count(1)


def test_a_menu_entry_on_a_wide_screen_leaves_the_page_usable(phone: Page, base_url: str) -> None:
    phone.goto(base_url + PAGES["theme"])
    click_at(phone, ".menu-toggle")
    phone.set_viewport_size({"width": 1366, "height": 900})
    phone.wait_for_function("!document.querySelector('main').inert")  # the resize closed it
    phone.wait_for_function("history.state === null")
    # A reload on the menu's entry on a wide screen (a window widened while the page was
    # away): no drawer to show. The entry is made here, not by a resize, whose Back would
    # race the reload.
    phone.evaluate("history.pushState({ sitegenMenu: true }, '', location.href)")
    phone.reload()
    assert not is_open(phone)
    assert not phone.evaluate("document.querySelector('main').inert")
    assert phone.evaluate("history.state === null")


def test_the_menus_link_to_this_page_closes_it_without_a_reload(phone: Page, base_url: str) -> None:
    phone.goto(base_url + PAGES["theme"])
    phone.evaluate("window.stayed = true")
    click_at(phone, ".menu-toggle")
    phone.click("#sidebar a[aria-current='page']")
    expect(phone.locator("#sidebar")).to_be_hidden()
    phone.wait_for_function("history.state === null")
    assert phone.evaluate("window.stayed === true")


def test_a_quick_triple_tap_leaves_an_open_menu_that_back_closes(
    phone: Page, base_url: str
) -> None:
    phone.goto(base_url)
    phone.goto(base_url + PAGES["paper"])
    box = phone.locator(".menu-toggle").bounding_box()
    assert box is not None
    phone.mouse.click(box["x"] + 5, box["y"] + 5, click_count=3)
    expect(phone.locator("#sidebar")).to_be_visible()
    phone.wait_for_function("history.state && history.state.sitegenMenu")
    phone.go_back()
    expect(phone.locator("#sidebar")).to_be_hidden()
    assert phone.url == base_url + PAGES["paper"]


def test_back_to_a_page_left_through_the_menu_finds_it_kept_whole(
    cached_browser: Browser, base_url: str
) -> None:
    with open_page(cached_browser, viewport=PHONE) as phone:
        phone.goto(base_url)
        phone.goto(base_url + PAGES["theme"])
        phone.evaluate("window.sitegenKept = true")
        click_at(phone, ".menu-toggle")
        phone.click("#sidebar a[href$='map/']")
        phone.wait_for_url(base_url + PAGES["map"])
        phone.go_back(wait_until="commit")
        phone.wait_for_url(base_url + PAGES["theme"], wait_until="commit")
        phone.wait_for_function(KEPT_WHOLE, timeout=KEPT_WAIT)  # kept: not loaded again
        expect(phone.locator("body.nav-open")).to_have_count(0)  # without the menu left open
        assert phone.evaluate("history.state") is None  # on the page's own entry
        phone.go_back(wait_until="commit")
        phone.wait_for_url(base_url, wait_until="commit")  # the menu cost no Back press
