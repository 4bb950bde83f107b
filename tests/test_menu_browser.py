"""The phone menu (static/site.js + style.css) in real Chromium at 390x844: every link reachable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import open_page
from playwright.sync_api import Browser, Page

PHONE = {"width": 390, "height": 844}
# One page of each kind the menu must work on, relative to the site root.
PAGES = {
    "home": "",
    "theme": "themes/generative-models/",
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
