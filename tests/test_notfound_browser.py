"""404.html in Chromium, served as GitHub Pages: mistyped paper addresses get suggestions."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; a missing file gets the site's 404.html with status 404, as Pages does."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer 404 with 404.html."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


@pytest.fixture(scope="module")
def base_url(shipped_build: Path) -> Iterator[str]:
    """The shipped site served with a 404 page on 127.0.0.1."""
    handler = functools.partial(PagesHandler, directory=str(shipped_build))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_mistyped_paper_address_suggests_the_paper_and_a_search(
    page: Page, base_url: str
) -> None:
    response = page.goto(base_url + "papers/difusion-models-beat-gan-on-image-synthesis/")
    assert response is not None and response.status == 404
    suggestions = page.locator("[data-suggestion-list] a")
    expect(suggestions.first).to_have_text("Diffusion Models Beat GANs on Image Synthesis")
    assert suggestions.count() <= 5
    suggestions.first.click()
    expect(page).to_have_url(base_url + "papers/diffusion-models-beat-gans-on-image-synthesis/")


def test_the_search_offered_carries_the_addresss_words(page: Page, base_url: str) -> None:
    page.goto(base_url + "papers/zzqx-nothing-like-it/")
    search = page.locator("[data-search-link]")
    expect(search).to_be_visible()
    assert search.get_attribute("href") == "search/?q=zzqx%20nothing%20like%20it"
    expect(page.locator("[data-suggestion-heading]")).to_be_hidden()
