"""Discovery in real headless Chromium: list filters and their URLs, copy buttons.

The map has its own tests (tests/test_map_browser.py).

Uses the session-wide `browser` fixture of conftest.py (one Playwright per process).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import serve_static
from playwright.sync_api import Browser, Page, expect

from sitegen.build import BuildOptions, build
from sitegen.ingest import ingest

THEME = "generative-models"
MARKED = {"reading": 3, "read": 2}  # pages of THEME given a status (the "read" ones also a tag)


def mark_pages(root: Path) -> None:
    """Give a few pages of THEME a reading status, and the 'read' ones the tag 'favourite'."""
    pages = sorted((root / "content" / "papers" / THEME).glob("*.md"))
    statuses = [s for s, n in MARKED.items() for _ in range(n)]
    for page, status in zip(pages, statuses, strict=False):
        extra = f"status: {status}\n" + ("tags: [favourite]\n" if status == "read" else "")
        page.write_text(page.read_text().replace("---\n", "---\n" + extra, 1))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus with a few statuses and tags, built once for this module."""
    from conftest import copy_shipped_content

    root = copy_shipped_content(tmp_path_factory.mktemp("discovery-browser"))
    config = root / "content" / "site.yaml"  # pages of 20: THEME's list takes three
    config.write_text(config.read_text().replace("per_page: 50", "per_page: 20"))
    assert not ingest(root).errors
    mark_pages(root)
    build(root, BuildOptions(root / "site"))
    return root / "site"


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The built site served by http.server on 127.0.0.1."""
    with serve_static(site) as url:
        yield url


def theme_size(site: Path) -> int:
    """How many papers THEME lists (filed there or cross-listed), from papers.json."""
    import json

    papers = json.loads((site / "papers.json").read_text())
    return sum(THEME in paper["themes"] for paper in papers)


def cards_in(site: Path, path: str) -> int:
    """How many cards (or A–Z lines) a built page holds."""
    html = (site / path / "index.html").read_text()
    cards = html.count('<li class="card') - html.count('<template id="card-template">')
    lines = re.search(r'<ol class="cards rows"[^>]*>(.*?)</ol>', html, re.DOTALL)
    return cards + (len(re.findall(r"<li[ >]", lines.group(1))) if lines else 0)


def visible_cards(page: Page) -> list[dict[str, str]]:
    """Title and data attributes of the cards currently shown."""
    return page.eval_on_selector_all(
        ".cards:not([hidden]) > li:not([hidden])",
        """cards => cards.map(c => ({title: (c.querySelector('.card-title')
                                            || c.querySelector('a')).textContent.trim(),
                                    status: c.dataset.status, tags: c.dataset.tags}))""",
    )


def test_statuses_and_tags_have_badges_and_tag_pages(site: Path) -> None:
    from linkcheck import broken_links

    tag_page = (site / "tags" / "favourite" / "index.html").read_text()
    assert tag_page.count('<li class="card" data-status="read" data-tags="favourite"') == 2
    assert tag_page.count('class="badge badge-status status-read"') == 2
    assert 'href="../../tags/"' in tag_page  # the sidebar links the tags index
    assert broken_links(site) == []


# ------------------------------------------------------------------ filters


def test_filters_change_the_url_survive_reload_and_go_back(
    page: Page, base_url: str, site: Path
) -> None:
    theme_url = f"{base_url}themes/{THEME}/"
    page.goto(theme_url)
    expect(page.locator("[data-filters]")).to_be_visible()
    everything = visible_cards(page)
    newest = cards_in(site, f"themes/{THEME}")
    assert len(everything) == newest and 20 <= newest < 40

    # The filter acts on the whole list (three pages), not just this page.
    page.select_option("#filter-status", "reading")
    expect(page).to_have_url(f"{theme_url}?status=reading")
    status = f"{MARKED['reading']} of {theme_size(site)} papers match."
    expect(page.locator(".filter-status")).to_have_text(status)
    reading = visible_cards(page)
    assert len(reading) == MARKED["reading"] and all(c["status"] == "reading" for c in reading)
    expect(page.locator(".pager").first).to_be_hidden()
    next_page = page.locator(".pager a[rel=next]").first.get_attribute("href")
    assert next_page.endswith("page/2/?status=reading")  # the filter follows the pager
    # (pages are numbered from the oldest: of three, page 2 is the one after the newest)

    word = re.sub(r"\W", "", reading[0]["title"].split()[0].lower())
    page.fill("#filter-text", word)
    expect(page).to_have_url(re.compile(r"\?status=reading&text="))
    shown = visible_cards(page)
    assert shown and all(word in c["title"].lower() and c["status"] == "reading" for c in shown)

    page.reload()
    expect(page.locator("#filter-status")).to_have_value("reading")
    expect(page.locator("#filter-text")).to_have_value(word)
    assert visible_cards(page) == shown

    page.go_back()
    expect(page).to_have_url(f"{theme_url}?status=reading")
    expect(page.locator("#filter-text")).to_have_value("")
    assert visible_cards(page) == reading
    page.go_back()
    expect(page).to_have_url(theme_url)
    expect(page.locator("#filter-status")).to_have_value("")
    assert len(visible_cards(page)) == newest
    page.go_forward()
    expect(page.locator("#filter-status")).to_have_value("reading")
    assert visible_cards(page) == reading


def test_the_dump_filter_gets_its_choices_from_the_list_data(
    page: Page, base_url: str, site: Path
) -> None:
    import json

    html = (site / "themes" / THEME / "index.html").read_text()
    assert "<option" not in html.split('id="filter-dump"')[1].split("</select>")[0].replace(
        '<option value="">Any</option>', ""
    )  # no dump in the page itself: a new dump would change every page of the list
    text = (site / "themes" / THEME / "cards.js").read_text()
    data = json.loads(text[text.index("(", text.index("sitegenCards(")) + 1 : text.rindex(")")])
    slug = data["dumps"][0][0]  # the newest dump of THEME's papers comes first
    listed = sum(0 in row[6] for row in data["cards"])
    page.goto(f"{base_url}themes/{THEME}/?dump={slug}")
    expect(page.locator("#filter-dump")).to_have_value(slug)
    expect(page.locator(".filter-status")).to_have_text(
        f"{listed} of {theme_size(site)} papers match."
    )
    options = page.locator("#filter-dump option").all_text_contents()
    assert options == ["Any", *(label for _, label, _ in data["dumps"])]
    page.goto(f"{base_url}themes/{THEME}/")
    page.hover("#filter-dump")
    expect(page.locator("#filter-dump option")).to_have_count(len(options))


def test_tag_filter_and_clear_on_the_a_to_z_list(page: Page, base_url: str, site: Path) -> None:
    page.goto(f"{base_url}papers/")
    page.select_option("#filter-tag", "favourite")
    expect(page).to_have_url(f"{base_url}papers/?tag=favourite")
    expect(page.locator(".filter-status")).to_have_text(f"{MARKED['read']} of 360 papers match.")
    tagged = visible_cards(page)
    assert len(tagged) == MARKED["read"] and all("favourite" in c["tags"] for c in tagged)
    page.fill("#filter-text", "zzzz-no-such-title")
    expect(page.locator(".filter-status")).to_have_text(
        "No paper in the whole list matches these filters."
    )
    page.click(".filter-clear")
    expect(page).to_have_url(f"{base_url}papers/")
    assert len(visible_cards(page)) == cards_in(site, "papers")


def test_a_shared_filter_url_opens_filtered(page: Page, base_url: str, site: Path) -> None:
    page.goto(f"{base_url}themes/{THEME}/?status=read&tag=favourite")
    expect(page.locator("#filter-tag")).to_have_value("favourite")
    expect(page.locator(".filter-status")).to_have_text(
        f"{MARKED['read']} of {theme_size(site)} papers match."
    )
    shown = visible_cards(page)
    assert len(shown) == MARKED["read"] and all(c["status"] == "read" for c in shown)
    page.goto(f"{base_url}themes/{THEME}/?status=no-such-status")
    expect(page.locator("#filter-status")).to_have_value("")  # unknown values mean "any"


def test_filters_work_from_disk(page: Page, site: Path) -> None:
    url = (site / "themes" / THEME / "index.html").as_uri()
    page.goto(url)
    page.select_option("#filter-status", "read")
    expect(page).to_have_url(f"{url}?status=read")
    page.reload()
    expect(page.locator("#filter-status")).to_have_value("read")
    expect(page.locator(".filter-status")).to_have_text(
        f"{MARKED['read']} of {theme_size(site)} papers match."
    )
    assert len(visible_cards(page)) == MARKED["read"]
    page.go_back()
    expect(page).to_have_url(url)
    assert len(visible_cards(page)) == cards_in(site, f"themes/{THEME}")


def test_without_javascript_filters_and_copy_buttons_stay_hidden(
    browser: Browser, base_url: str, site: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}themes/{THEME}/?status=read")
    expect(page.locator("[data-filters]")).to_be_hidden()
    assert page.locator(".cards > .card:visible").count() == cards_in(site, f"themes/{THEME}")
    page.goto(f"{base_url}papers/geometry-distributions/")
    expect(page.locator("[data-copy-buttons]")).to_be_hidden()
    expect(page.locator(".related-list li > a").first).to_be_visible()
    context.close()


def test_key_term_chips_search_for_the_term(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}papers/geometry-distributions/")
    chips = page.locator(".key-terms .chips a")
    assert 3 <= chips.count() <= 6
    phrase = chips.last.text_content()
    chips.last.click()
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.locator("#search-page-q")).to_have_value(phrase)
    titles = page.locator(".sg-result-title")
    expect(titles.first).to_be_visible()
    expect(titles.filter(has_text="Geometry Distributions")).to_have_count(1)


# ------------------------------------------------------------------ copy buttons


def test_copy_buttons_write_title_and_markdown_link(browser: Browser, base_url: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{base_url}papers/geometry-distributions/")
    title_button = page.locator("[data-copy-label=title]")
    title_button.click()
    expect(title_button).to_have_text("Copied")
    expect(page.locator(".copy-status")).to_have_text("Copied title to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == "Geometry Distributions"
    page.locator("[data-copy-label='Markdown link']").click()
    expect(page.locator(".copy-status")).to_have_text("Copied Markdown link to the clipboard.")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    # No base_url here: the link is made absolute from the page's own address.
    paper_url = f"{base_url}papers/geometry-distributions/"
    assert clipboard == f"[Geometry Distributions]({paper_url})"
    page.locator("[data-copy-label='BibTeX entry']").click()
    expect(page.locator(".copy-status")).to_have_text("Copied BibTeX entry to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == (
        "@misc{geometry-distributions,\n  title = {{Geometry Distributions}},\n"
        f"  howpublished = {{\\url{{{paper_url}}}}},\n}}"
    )
    expect(title_button).to_have_text("Copy title")
    context.close()


def test_the_pages_bibtex_escapes_as_the_builds_filter(page: Page, base_url: str) -> None:
    """static/discover.js makes the entry sitegen.render.bibtex would have written."""
    from types import SimpleNamespace

    from sitegen.render import bibtex

    page.goto(f"{base_url}papers/geometry-distributions/")
    for title in ("Plain", "A_b & {C} 50% #1 $x$ ~^ back\\slash", "Ünïcode — “quotes”"):
        url = "https://example.org/list/papers/a-b-c/"
        paper = SimpleNamespace(title=title, slug="a-b-c", copy_url=url)
        assert page.evaluate("([t, u]) => sitegenBibtex(t, u)", [title, url]) == bibtex(paper)


def test_copy_falls_back_without_the_clipboard_api(page: Page, base_url: str) -> None:
    page.add_init_script(
        """Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});
           document.addEventListener('copy', e => { window.copied = e.target.value; });"""
    )
    page.goto(f"{base_url}papers/geometry-distributions/")
    assert page.evaluate("navigator.clipboard") is None
    button = page.locator("[data-copy-label='Markdown link']")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("window.copied")
    assert copied == f"[Geometry Distributions]({base_url}papers/geometry-distributions/)"


def test_a_to_z_text_filter_counts_matches_across_all_pages(
    page: Page, base_url: str, site: Path
) -> None:
    import json

    titles = [p["title"] for p in json.loads((site / "papers.json").read_text())]
    expected = sorted(t for t in titles if "diffusion" in t.lower())
    assert len(expected) > 10  # more than one page holds
    page.goto(f"{base_url}papers/_page/d/")  # the letter D's page
    page.fill("#filter-text", "Diffusion")
    expect(page.locator(".filter-status")).to_have_text(f"{len(expected)} of 360 papers match.")
    shown = [c["title"] for c in visible_cards(page)]
    assert sorted(shown) == expected
    # Typed with an accent (or without one a title has), a word finds the same papers.
    page.fill("#filter-text", "DIFFUSIÓN")
    expect(page.locator(".filter-status")).to_have_text(f"{len(expected)} of 360 papers match.")
    page.fill("#filter-text", "Diffusion")
    expect(page.locator(".filter-status")).to_have_text(f"{len(expected)} of 360 papers match.")
    # The cards made from the data look like the page's own: the same badges and links.
    card = page.locator(".filter-results > .card").first
    assert card.locator(".badge-theme").count() == 1 and card.locator(".badge-dump").count() >= 1
    href = card.locator(".card-title a").get_attribute("href")
    assert href.startswith("../../../papers/") and href.endswith("/")
    # Every made card links its own page, its slug from cards.js or made from its title.
    slug_of = {p["title"]: p["slug"] for p in json.loads((site / "papers.json").read_text())}
    links = page.eval_on_selector_all(
        ".filter-results .card-title a", "as => as.map(a => [a.textContent, a.href])"
    )
    assert len(links) == len(expected)
    assert all(href.endswith(f"/papers/{slug_of[title]}/") for title, href in links)
    page.click(".filter-clear")
    assert len(visible_cards(page)) == cards_in(site, "papers/_page/d")


def test_a_letter_link_opens_the_letters_own_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}papers/")
    page.click(".letters a:text-is('S')")
    expect(page).to_have_url(f"{base_url}papers/_page/s/")
    expect(page.locator(".letters a[aria-current=page]")).to_have_text("S")
    titles = page.locator(".rows > li > a:first-child").all_inner_texts()
    assert titles and all(t.upper().startswith("S") for t in titles)
    page.click(".pager a[rel=next]")  # on to the next letter
    expect(page.locator(".letters a[aria-current=page]")).to_have_text("T")
