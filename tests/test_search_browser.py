"""Search in real headless Chromium: the header box, the results page, file:// and a prefix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import KEPT_WAIT, KEPT_WHOLE, serve_static, wait_for_full_index, wait_for_full_results
from playwright.sync_api import Browser, Locator, Page, expect

from sitegen.build import BuildOptions, build
from sitegen.ingest import ingest

PREFIX = "/prefix/"
PAGE_HITS = 20  # static/search.js: results per page
MALFORMED = ["title:", '"', "*", "~", ":", "+", "-", "^", "a:b:c", '"unclosed phrase', "title:*"]


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Path:
    """The shipped corpus, ingested and built once per session (read only)."""
    return shipped_build


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The built site served under /prefix/ only, by http.server on 127.0.0.1."""
    with serve_static(site, PREFIX) as url:
        yield url


def test_typing_shows_highlighted_results_with_theme_badges(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.keyboard.press("/")
    expect(page.locator("#site-search")).to_be_focused()
    page.keyboard.type("diffusion")
    hits = page.locator(".sg-hit")
    expect(hits.first).to_be_visible()
    assert 1 <= hits.count() <= 8
    for i in range(hits.count()):
        assert hits.nth(i).locator(".sg-badge").inner_text().strip()
    expect(hits.first.locator(".sg-title mark").first).to_have_text(re.compile("^diffusion", re.I))
    expect(hits.first.locator(".sg-snippet mark").first).to_be_visible()
    href = hits.first.locator("a").get_attribute("href")
    assert href.startswith(base_url + "papers/")
    assert page.request.get(href).status == 200


def test_keyboard_moves_opens_and_closes(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.keyboard.press("/")
    page.keyboard.type("graph neural")
    first = page.locator(".sg-hit").first
    expect(first).to_be_visible()
    # The list may still answer a prefix ("graph neura"); the typed query's own list comes
    # after it, fresh, with nothing selected: press the arrows on that one.
    expect(page.locator(".sg-dropdown")).to_have_attribute("data-query", "graph neural")
    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(page.locator(".sg-dropdown")).to_be_hidden()
    page.keyboard.press("ArrowDown")  # reopens
    expect(first).to_be_visible()
    page.keyboard.press("ArrowDown")
    # Enter opens the hit the keyboard selected (read it, not assume which one it is: a
    # list re-rendered as the full index arrives under load may keep another selected).
    selected = page.locator('.sg-hit[aria-selected="true"]')
    expect(selected).to_have_count(1)
    title = selected.locator(".sg-title").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "papers/**")
    assert title in page.locator("h1").inner_text()


def test_enter_without_selection_opens_the_results_page(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.fill("#site-search", "segmentation")
    page.press("#site-search", "Enter")
    page.wait_for_url("**/search/?q=segmentation")
    assert urlparse(page.url).path == PREFIX + "search/"
    expect(page.locator(".sg-result").first).to_be_visible()


def test_results_page_from_url_filters_by_theme_and_keeps_history(
    page: Page, base_url: str
) -> None:
    page.goto(base_url + "search/?q=learning")
    wait_for_full_results(page)  # not the titles' first results, which are searched again
    results = page.locator(".sg-result")
    status = page.locator(".sg-status")
    expect(status).to_contain_text("papers match")
    expect(status).not_to_contain_text("loading")
    total = int(status.inner_text().split()[0])
    assert total > PAGE_HITS
    expect(results).to_have_count(PAGE_HITS)
    expect(results.first.locator(".sg-snippet mark").first).to_be_visible()
    chip = page.locator(".sg-filter").nth(1)
    theme = chip.get_attribute("data-theme")
    in_theme = int(chip.locator(".count").inner_text())
    chip.click()
    assert parse_qs(urlparse(page.url).query)["theme"] == [theme]
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(status).to_have_text(re.compile(rf"^{in_theme} papers? match .* in this theme"))
    assert 0 < in_theme < total
    expect(results).to_have_count(min(in_theme, PAGE_HITS))
    themes = {b.get_attribute("data-theme") for b in results.locator(".sg-badge").all()}
    assert themes == {theme}
    page.fill("#search-page-q", "diffusion")
    page.press("#search-page-q", "Enter")
    assert parse_qs(urlparse(page.url).query) == {"q": ["diffusion"]}
    expect(results.first.locator(".sg-title mark").first).to_be_visible()
    page.go_back()
    assert parse_qs(urlparse(page.url).query)["theme"] == [theme]
    expect(page.locator("#search-page-q")).to_have_value("learning")
    expect(status).to_contain_text("in this theme")
    page.go_back()
    expect(status).to_have_text(re.compile(rf"^{total} papers match"))
    expect(results).to_have_count(PAGE_HITS)
    page.go_forward()
    page.go_forward()
    expect(page.locator("#search-page-q")).to_have_value("diffusion")


def test_full_index_answers_field_queries_over_http_and_from_file(
    page: Page, site: Path, base_url: str
) -> None:
    # The title index finds nothing for an abstract: query; the top hits' snippets
    # (the start of the abstract) show the word.
    for url in (
        base_url + "search/?q=abstract:diffusion",
        site.as_uri() + "/search/index.html?q=abstract:diffusion",
    ):
        page.goto(url)
        wait_for_full_index(page)
        results = page.locator(".sg-result")
        expect(results.first).to_be_visible()
        expect(results.first.locator(".sg-snippet mark").first).to_have_text(
            re.compile("^diffusion", re.I)
        )


def test_file_url_search_box_and_results_page(page: Page, site: Path) -> None:
    page.goto(site.as_uri() + "/index.html")
    page.keyboard.press("/")
    page.keyboard.type("transformer")
    expect(page.locator(".sg-hit").first).to_be_visible()
    href = page.locator(".sg-hit a").first.get_attribute("href")
    assert href.startswith(site.as_uri() + "/papers/") and href.endswith("/index.html")
    assert Path(urlparse(href).path).is_file()
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/index.html?q=transformer")
    expect(page.locator(".sg-result").first).to_be_visible()


def test_malformed_queries_fall_back_without_page_errors(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/")
    wait_for_full_index(page)
    notice = page.locator(".sg-page-notice")
    for query in MALFORMED:
        page.fill("#site-search", query)
        page.fill("#search-page-q", query)
        page.press("#search-page-q", "Enter")
        expect(page.locator(".sg-status")).to_contain_text("match")
        expect(notice).not_to_contain_text("Could not read")
    page.fill("#search-page-q", "transformr")
    page.press("#search-page-q", "Enter")
    expect(notice).to_contain_text("Showing results for \u201ctransformer\u201d")
    expect(page.locator(".sg-result").first).to_be_visible()


def test_results_page_shows_twenty_hits_at_a_time(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=learning")
    # The full index's results, not the titles' first ones: those are searched again once the
    # full index is in, and the status says "Searching…" meanwhile.
    wait_for_full_results(page)
    status = page.locator(".sg-status")
    expect(status).to_have_text(re.compile(r"^\d+ papers match"))
    expect(status).not_to_contain_text("loading")
    total = int(status.inner_text().split()[0])
    assert total > 100  # enough for several pages on the shipped corpus
    results = page.locator(".sg-result")
    expect(results).to_have_count(PAGE_HITS)
    counts = page.locator(".sg-filter .count").all_inner_texts()
    assert int(counts[0]) == total and sum(map(int, counts[1:])) == total
    more = page.locator(".sg-more")
    expect(more).to_contain_text(f"{total - PAGE_HITS} not shown")
    first_page = results.locator("h2 a").all_inner_texts()
    # A click is aimed at where the button is when it scrolls into view; the snippets filled
    # in as results scroll into view move nothing (see the test below), so it lands.
    more.click()
    expect(results).to_have_count(2 * PAGE_HITS)
    expect(results.nth(PAGE_HITS).locator("h2 a")).to_be_focused()
    assert results.locator("h2 a").all_inner_texts()[:PAGE_HITS] == first_page
    hrefs = results.locator("h2 a").evaluate_all("as => as.map(a => a.href)")
    assert len(set(hrefs)) == 2 * PAGE_HITS
    for shown in range(2 * PAGE_HITS, total, PAGE_HITS):
        more.press("Enter")
        expect(results).to_have_count(min(shown + PAGE_HITS, total))
    expect(more).to_be_hidden()


def test_stale_cached_titles_file_recovers_with_the_current_one(
    page: Page, site: Path, base_url: str
) -> None:
    # A titles.js from an older build (as GitHub Pages' 10-minute cache may serve)
    # names data files that no longer exist; the page must fetch titles.js afresh.
    current = (site / "search" / "titles.js").read_text()
    stale = re.sub(r"(index|text)-(\d{3})-[0-9a-f]{10}", r"\1-\2-0000000000", current)
    assert stale != current
    asked: list[str] = []

    def old_titles(route) -> None:  # noqa: ANN001
        asked.append(route.request.url)
        route.fulfill(body=stale, content_type="text/javascript")

    page.context.route(re.compile(r".*/search/titles\.js$"), old_titles)
    page.goto(base_url + "search/?q=abstract:diffusion")
    wait_for_full_index(page)
    assert asked  # the stale file was served first
    results = page.locator(".sg-result")
    expect(results.first.locator(".sg-snippet mark").first).to_have_text(
        re.compile("^diffusion", re.I)
    )


# --- relevance and behaviour on both surfaces (issue 12) ---------------------------


def dropdown_state(page: Page) -> dict:
    """What the dropdown shows now: hit titles, the footer text, whether it is empty."""
    return page.evaluate(
        """() => ({
          titles: [...document.querySelectorAll('.sg-hit .sg-title')].map(e => e.textContent),
          footer: document.querySelector('.sg-footer').textContent,
          empty: !!document.querySelector('.sg-empty'),
        })"""
    )


def type_and_settle(page: Page, text: str) -> dict:
    """Type text into the header box; the dropdown once it answers that text."""
    page.keyboard.type(text)
    page.wait_for_function(
        "q => { const box = document.querySelector('.sg-dropdown');"
        " return box && !box.hidden && box.dataset.query === q; }",
        arg=page.input_value("#site-search").strip(),
    )
    return dropdown_state(page)


def test_typing_every_prefix_of_long_words_never_shows_no_match(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.click("#site-search")
    wait_for_full_index(page)
    for word in ("contrastive", "generative", "segmentation", "representations", "adversarial"):
        page.fill("#site-search", "")
        for letter in word:
            state = type_and_settle(page, letter)
            assert not state["empty"] and state["titles"], page.input_value("#site-search")


def test_dropdown_and_results_page_agree_on_the_top_five(page: Page, base_url: str) -> None:
    for query in ("graph neural network", "diffusion", "masked image modeling"):
        page.goto(base_url)
        page.click("#site-search")
        wait_for_full_index(page)
        state = type_and_settle(page, query + " ")  # a finished word: no prefix matching
        page.keyboard.press("Enter")
        expect(page.locator(".sg-result").first).to_be_visible()
        wait_for_full_results(page)
        page_titles = page.locator(".sg-result .sg-title").all_inner_texts()[:5]
        assert state["titles"][:5] == page_titles, query
        # the same counts, in the same words
        status = page.locator(".sg-status").inner_text()
        count = re.search(r"\d+ papers? match", state["footer"])
        assert count and count.group(0) in status, (state["footer"], status)


def test_pasted_title_with_a_colon_finds_the_paper(page: Page, base_url: str) -> None:
    title = "GScream: Learning 3D Geometry and Feature Consistent Gaussian Splatting"
    page.goto(base_url + "search/?q=" + title.replace(" ", "+"))
    wait_for_full_results(page)
    first = page.locator(".sg-result .sg-title").first
    expect(first).to_contain_text("GScream: Learning 3D Geometry")
    expect(page.locator(".sg-page-notice")).to_be_hidden()


def test_a_typo_is_corrected_in_the_dropdown(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.click("#site-search")
    wait_for_full_index(page)
    state = type_and_settle(page, "difusion models ")
    assert "Showing results for \u201cdiffusion models\u201d" in state["footer"]
    assert all("diffusion" in t.lower() for t in state["titles"][:3])
    state = type_and_settle(page, "tranformer ")  # stage one (titles) knows it too
    assert state["titles"]


def test_an_acronym_finds_the_papers_that_spell_it_out(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=MIM")
    wait_for_full_results(page)
    expect(page.locator(".sg-page-notice")).to_contain_text("MIM = masked image modeling")
    # "Context Autoencoder" says "masked image modeling (MIM)": its title has neither
    expect(page.locator(".sg-result .sg-title", has_text="Context Autoencoder")).to_be_visible()


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_snippets_filled_as_results_scroll_into_view_move_nothing(
    browser: object, base_url: str, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(base_url + "search/?q=diffusion+models")
    wait_for_full_results(page)
    expect(page.locator(".sg-result")).to_have_count(PAGE_HITS)
    where = """() => [...document.querySelectorAll('.sg-result, .sg-more')].map(
                 e => [e.offsetTop, e.offsetHeight])"""
    empty = """() => [...document.querySelectorAll('.sg-result .sg-snippet')].filter(
                 s => !s.textContent).length"""
    before, unfilled = page.evaluate(where), page.evaluate(empty)
    assert unfilled > 0  # those far below the first screen wait until they are near it
    for number in range(PAGE_HITS):  # as a reader scrolls down (a jump skips some)
        page.locator(".sg-result").nth(number).scroll_into_view_if_needed()
    page.wait_for_function(f"({empty})() === 0")
    assert page.evaluate(where) == before
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_sheet_stays_within_the_viewport(browser: object, base_url: str, scheme: str) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, color_scheme=scheme, has_touch=True
    )
    page = context.new_page()
    page.goto(base_url)
    page.click("#site-search")
    wait_for_full_index(page)
    type_and_settle(page, "diffusion models for image synthesis")
    sheet = page.locator(".sg-dropdown").bounding_box()
    assert sheet["x"] == 0 and sheet["width"] == 390
    assert sheet["y"] > 0 and sheet["y"] + sheet["height"] <= 844
    outside = page.evaluate(
        """() => [...document.querySelectorAll('.sg-dropdown *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width && (r.left < 0 || r.right > innerWidth);
           }).map(e => e.className)"""
    )
    assert outside == []
    assert page.locator(".sg-hit").count() >= 3
    hit = page.locator(".sg-hit").first.bounding_box()
    assert hit["height"] >= 44  # a tap target
    context.close()


def test_full_index_swaps_the_titles_list_once_and_not_under_the_pointer(
    page: Page, base_url: str
) -> None:
    held = []  # the full index's requests, answered only when the test says so
    page.route("**/search/index-*.js", lambda route: held.append(route))
    page.goto(base_url)
    page.click("#site-search")
    page.keyboard.type("diffusion")
    box = page.locator(".sg-dropdown")
    expect(box).to_have_class(re.compile("sg-provisional"))
    before = dropdown_state(page)["titles"]
    assert before
    page.hover(".sg-hit >> nth=1")  # the reader is about to click
    for route in held:
        route.continue_()
    page.route("**/search/index-*.js", lambda route: route.continue_())
    wait_for_full_index(page)
    page.wait_for_timeout(300)
    assert dropdown_state(page)["titles"] == before  # not reshuffled under the pointer
    expect(box).to_have_class(re.compile("sg-provisional"))
    page.mouse.move(5, 600)  # the pointer leaves: now the full results come in
    expect(box).not_to_have_class(re.compile("sg-provisional"))
    assert "Titles only" not in dropdown_state(page)["footer"]


# --- a large site: no title stage (issue 12, 100k papers) ----------------------------


@pytest.fixture(scope="module")
def untitled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus built as a large site: titles.js holds no titles (TITLE_STAGE_PAPERS)
    and common words keep few word slots in their shards (POSITION_POSTINGS)."""
    from conftest import copy_shipped_content

    from sitegen import search

    root = copy_shipped_content(tmp_path_factory.mktemp("search-untitled"))
    assert not ingest(root).errors
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "TITLE_STAGE_PAPERS", 0)
        patch.setattr(search, "POSITION_POSTINGS", 5)
        build(root, BuildOptions(root / "site"))
    return root / "site"


def test_a_site_without_a_title_stage_loads_the_titles_of_its_hits(
    page: Page, untitled_site: Path
) -> None:
    titles = (untitled_site / "search" / "titles.js").read_text()
    assert '"docs"' not in titles and '"names"' in titles
    with serve_static(untitled_site, PREFIX) as base:
        for start in (base, untitled_site.as_uri() + "/index.html"):
            page.goto(start)
            page.keyboard.press("/")
            state = type_and_settle(page, "masked image modeling")
            assert page.evaluate("document.documentElement.dataset.searchIndex") == "full"
            assert any("Context Autoencoder" in title for title in state["titles"]), state
            first = page.locator(".sg-hit").first
            expect(first.locator(".sg-badge")).not_to_be_empty()
            expect(first.locator(".sg-snippet mark").first).to_be_visible()
            href = first.locator("a").get_attribute("href")
            assert "/papers/" in href
            if start == base:
                assert page.request.get(href).status == 200
            else:
                assert Path(urlparse(href).path).is_file()
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/search/(index\.html)?\?q="))
            wait_for_full_results(page)
            expect(page.locator(".sg-result").first).to_be_visible()
            shown = page.locator(".sg-result .sg-result-title").all_inner_texts()
            assert shown[: len(state["titles"])] == state["titles"]
            # A quoted phrase loads its words' late files (the slots their shards lack).
            page.goto(page.url.split("?")[0] + '?q="masked+image+modeling"')
            wait_for_full_results(page)
            titles = page.locator(".sg-result .sg-result-title")
            expect(titles.filter(has_text="Context Autoencoder")).to_be_visible()


@pytest.mark.parametrize("theme", ["", "graphs"])
def test_phone_results_show_the_first_hit_on_the_first_screen(
    browser: object, base_url: str, theme: str
) -> None:
    # A dozen theme filters, wrapped, pushed the first result below a phone's first screen:
    # they are one row that scrolls sideways, with the chosen one in view.
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(base_url + "search/?q=vision+transformer" + (f"&theme={theme}" if theme else ""))
    wait_for_full_results(page)
    filters = page.locator(".sg-filter")
    assert filters.count() > 8
    tops = {
        round(box["y"]) for box in (filters.nth(i).bounding_box() for i in range(filters.count()))
    }
    assert len(tops) == 1  # one row
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= 390
    )  # the row scrolls, not the page
    first = page.locator(".sg-result").first.bounding_box()
    assert first is not None and first["y"] + 60 < 844
    chosen = page.locator('.sg-filter[aria-pressed="true"]').bounding_box()
    assert chosen is not None and chosen["x"] >= 0 and chosen["x"] + chosen["width"] <= 390
    expect(page.locator('.sg-filter[aria-pressed="true"]')).to_contain_text(theme.title() or "All")
    context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_typing_in_the_header_box_leaves_the_page_behind_where_it_was(
    browser: object, base_url: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 844})
    try:
        page.goto(base_url + "themes/generative-models/")
        page.evaluate("scrollTo(0, 900)")
        page.wait_for_function("scrollY === 900")
        page.locator("#site-search").focus()
        page.keyboard.type("graph attention", delay=20)
        expect(page.locator(".sg-hit").first).to_be_visible()
        assert page.evaluate("scrollY") == 900
    finally:
        page.close()


def test_a_jump_to_a_heading_lands_below_the_sticky_header(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "#themes-heading")
    page.wait_for_function("scrollY > 0")
    heading = page.locator("#themes-heading").bounding_box()
    header = page.locator(".site-header").bounding_box()
    assert heading["y"] >= header["y"] + header["height"]


def test_a_sidebar_link_reached_by_tab_is_not_hidden_under_the_header(
    page: Page, base_url: str
) -> None:
    # At the page's end the footer pushes the sticky sidebar up, under the header.
    page.set_viewport_size({"width": 1366, "height": 700})
    page.goto(base_url)
    page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("scrollY > 0")
    hidden = page.evaluate(
        """() => {
          const links = [...document.querySelectorAll('.sidebar a')]
            .filter((a) => a.getClientRects().length);
          const under = links.findIndex((a) => {
            const top = a.getBoundingClientRect().top;
            return top > 0 && top < 40;
          });
          if (under < 1) return false;
          links[under - 1].focus({ preventScroll: true });
          return true;
        }"""
    )
    assert hidden  # the layout still puts a sidebar link under the header here
    page.keyboard.press("Tab")
    top = page.evaluate("document.activeElement.getBoundingClientRect().top")
    header = page.locator(".site-header").bounding_box()
    assert top >= header["y"] + header["height"]


def eight_hits(page: Page, base_url: str) -> Locator:
    """The home page, its header box showing (at least) eight hits for "transformer"."""
    page.goto(base_url)
    page.locator("#site-search").click()
    page.keyboard.type("transformer", delay=20)
    hits = page.locator(".sg-hit")
    expect(hits.nth(7)).to_be_attached()
    # The full-text index renders the list again once it is in: wait for that final list,
    # or a box measured now may belong to an element the next render removes.
    dropdown = page.locator(".sg-dropdown")
    expect(dropdown).to_have_attribute("data-query", "transformer")
    expect(dropdown).not_to_have_class(re.compile("sg-provisional"))
    return hits


@pytest.mark.parametrize("width", [1366, 390])
def test_the_dropdowns_count_stays_in_view_and_the_arrows_keep_hits_above_it(
    browser: object, base_url: str, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 844})
    try:
        hits = eight_hits(page, base_url)
        box = page.locator(".sg-dropdown").bounding_box()
        link = page.locator(".sg-all").bounding_box()
        assert link["y"] + link["height"] <= box["y"] + box["height"] + 1  # not scrolled away
        footer = page.locator(".sg-footer").bounding_box()
        for _ in range(hits.count()):
            page.keyboard.press("ArrowDown")
            chosen = page.locator(".sg-hit[aria-selected=true]").bounding_box()
            assert chosen["y"] + chosen["height"] <= footer["y"] + 1
    finally:
        page.close()


def test_the_chosen_hit_stays_above_the_footer_when_late_snippets_grow_the_list(
    phone: Page, base_url: str
) -> None:
    held = []  # the snippets' text chunks, answered only after the arrows chose the last hit
    phone.route("**/search/text-*.js", lambda route: held.append(route))
    hits = eight_hits(phone, base_url)
    for _ in range(hits.count()):
        phone.keyboard.press("ArrowDown")
    assert held and phone.locator(".sg-snippet.sg-loading").count() > 0
    for route in held:
        route.continue_()
    phone.unroute("**/search/text-*.js")
    expect(phone.locator(".sg-snippet.sg-loading")).to_have_count(0)
    footer = phone.locator(".sg-footer").bounding_box()
    chosen = phone.locator(".sg-hit[aria-selected=true]").bounding_box()
    assert chosen["y"] + chosen["height"] <= footer["y"] + 1


def test_a_quoted_phrase_is_shown_in_one_pair_of_quotes(page: Page, base_url: str) -> None:
    page.goto(base_url + 'search/?q="vision transformer"')
    status = page.locator(".sg-status")
    expect(status).to_contain_text("\u201cvision transformer\u201d")
    expect(status).not_to_contain_text('"')


# --- Back on a phone: the search sheet is closed, the page stays ---------------------


@pytest.fixture
def phone(browser: object) -> Iterator[Page]:
    """A page the size of a phone's screen."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    yield page
    page.close()


def open_sheet(phone: Page, base_url: str, query: str = "transformer") -> None:
    """Home, then a theme page, with the search sheet open over it."""
    phone.goto(base_url)
    phone.goto(base_url + "themes/generative-models/")
    phone.click("#site-search")
    phone.keyboard.type(query)
    expect(phone.locator(".sg-dropdown.sg-sheet .sg-hit").first).to_be_visible()
    phone.wait_for_function("history.state && history.state.sitegenSheet")


def test_back_closes_the_phones_search_sheet_and_keeps_the_page(phone: Page, base_url: str) -> None:
    open_sheet(phone, base_url)
    phone.go_back()
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    assert phone.url == base_url + "themes/generative-models/"
    phone.go_back()  # one Back more: the page before, as if the sheet was never opened
    assert phone.url == base_url


def test_a_sheet_closed_by_hand_or_left_for_a_hit_costs_no_back_press(
    phone: Page, base_url: str
) -> None:
    open_sheet(phone, base_url)
    phone.keyboard.press("Escape")
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    phone.wait_for_function("history.state === null")
    phone.go_back()
    assert phone.url == base_url
    open_sheet(phone, base_url)
    href = phone.locator(".sg-hit a").first.get_attribute("href")
    phone.locator(".sg-hit a").first.click()
    phone.wait_for_url(href)
    phone.go_back()
    assert phone.url == base_url + "themes/generative-models/"
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    phone.go_back()
    assert phone.url == base_url


def test_back_to_a_page_left_from_the_sheet_finds_it_kept_whole(
    cached_browser: Browser, base_url: str
) -> None:
    phone = cached_browser.new_page(viewport={"width": 390, "height": 844})
    try:
        open_sheet(phone, base_url)
        phone.evaluate("window.sitegenKept = true")
        href = phone.locator(".sg-hit a").first.get_attribute("href")
        phone.locator(".sg-hit a").first.click()
        phone.wait_for_url(href)
        phone.go_back(wait_until="commit")
        phone.wait_for_url(base_url + "themes/generative-models/", wait_until="commit")
        phone.wait_for_function(KEPT_WHOLE, timeout=KEPT_WAIT)  # kept: not loaded again
        expect(phone.locator(".sg-dropdown")).to_be_hidden()
        assert phone.evaluate("history.state") is None
        phone.go_back(wait_until="commit")
        phone.wait_for_url(base_url, wait_until="commit")  # the sheet cost no Back press
        open_sheet(phone, base_url)  # left by Enter: the results page
        phone.evaluate("window.sitegenKept = true")
        phone.keyboard.press("Enter")
        phone.wait_for_url("**/search/?q=transformer")
        phone.go_back(wait_until="commit")
        phone.wait_for_url(base_url + "themes/generative-models/", wait_until="commit")
        phone.wait_for_function(KEPT_WHOLE, timeout=KEPT_WAIT)
        expect(phone.locator(".sg-dropdown")).to_be_hidden()  # the sheet closed with its entry
        assert phone.evaluate("history.state") is None
        assert phone.evaluate("document.activeElement.id") != "site-search"  # no keyboard up
    finally:
        phone.close()


def test_the_menu_or_a_button_tapped_from_the_sheet_costs_no_back_press(
    phone: Page, base_url: str
) -> None:
    open_sheet(phone, base_url)
    phone.click(".menu-toggle")  # the menu takes the sheet's place, and its history entry
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    expect(phone.locator("body.nav-open")).to_have_count(1)
    phone.go_back()  # closes the menu
    expect(phone.locator("body.nav-open")).to_have_count(0)
    assert phone.url == base_url + "themes/generative-models/"
    phone.go_back()
    assert phone.url == base_url
    open_sheet(phone, base_url)
    phone.click(".theme-toggle")  # a button beside the sheet: closed by hand
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    phone.wait_for_function("history.state === null")
    phone.go_back()
    assert phone.url == base_url
    open_sheet(phone, base_url)
    phone.click(".site-title")  # a link beside it: followed in the sheet's place
    phone.wait_for_url(base_url)
    phone.go_back()
    assert phone.url == base_url + "themes/generative-models/"


def test_back_from_the_sheet_leaves_the_map_as_the_reader_set_it(
    phone: Page, base_url: str
) -> None:
    phone.goto(base_url)
    phone.goto(base_url + "map/?paper=3d-aware-image-generation-using-2d-diffusion-models")
    svg = phone.locator("svg").first
    zoomed = svg.get_attribute("viewBox")
    phone.click("button[data-zoom=reset]")
    expect(svg).not_to_have_attribute("viewBox", zoomed)
    chosen = svg.get_attribute("viewBox")
    phone.click("#site-search")
    phone.keyboard.type("diffusion")
    phone.wait_for_function("history.state && history.state.sitegenSheet")
    phone.go_back()  # the sheet's step: the map's own Back handling is not told of it
    expect(phone.locator(".sg-dropdown")).to_be_hidden()
    assert svg.get_attribute("viewBox") == chosen and "paper=" in phone.url


def test_a_dropdown_turned_into_a_sheet_by_a_rotation_closes_on_back(
    browser: object, base_url: str
) -> None:
    page = browser.new_page(viewport={"width": 844, "height": 390})  # a phone on its side
    try:
        page.goto(base_url)
        page.goto(base_url + "themes/generative-models/")
        page.click("#site-search")
        page.keyboard.type("transformer")
        wait_for_full_index(page)
        expect(page.locator(".sg-dropdown:not(.sg-sheet) .sg-hit").first).to_be_visible()
        # The full index's list is in: nothing renders the box again after the rotation.
        expect(page.locator(".sg-dropdown")).not_to_have_class(re.compile("sg-provisional"))
        expect(page.locator(".sg-snippet.sg-loading")).to_have_count(0)
        page.mouse.move(5, 380)  # and the pointer is off the list
        assert page.evaluate("history.state") is None
        page.set_viewport_size({"width": 390, "height": 844})
        expect(page.locator(".sg-dropdown.sg-sheet")).to_be_visible()
        page.wait_for_function("history.state && history.state.sitegenSheet")
        page.go_back()
        expect(page.locator(".sg-dropdown")).to_be_hidden()
        assert page.url == base_url + "themes/generative-models/"
    finally:
        page.close()


def test_a_wide_screens_dropdown_adds_no_history_entry(page: Page, base_url: str) -> None:
    page.goto(base_url)
    before = page.evaluate("history.length")
    page.click("#site-search")
    page.keyboard.type("transformer")
    expect(page.locator(".sg-hit").first).to_be_visible()
    assert page.evaluate("history.length") == before and page.evaluate("history.state") is None


def test_escape_while_results_are_on_their_way_keeps_the_box_closed(
    page: Page, base_url: str
) -> None:
    held, holding = [], [True]  # the index's shards, answered only after Escape

    def hold(route: object) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r".*/search/shard-.*\.js$"), hold)
    page.goto(base_url)
    page.click("#site-search")
    page.keyboard.type("transformer")
    expect(page.locator(".sg-hit").first).to_be_visible()  # the titles' answer
    for _ in range(250):  # the full index came: its answer waits for a shard
        if held:
            break
        page.wait_for_timeout(20)
    assert held
    page.keyboard.press("Escape")
    expect(page.locator(".sg-dropdown")).to_be_hidden()
    holding[0] = False
    for route in held:
        route.continue_()
    # The same query again, by the page's own handle: it waits for the same shards, so once
    # it is answered, so is the one the box asked before Escape (and a frame later shown).
    assert page.evaluate("SitegenSearch.query('transformer').then(r => r.hits.length)") > 0
    page.evaluate("new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
    expect(page.locator(".sg-dropdown")).to_be_hidden()
    page.keyboard.type(" model")  # typing again shows results again
    expect(page.locator(".sg-hit").first).to_be_visible()
