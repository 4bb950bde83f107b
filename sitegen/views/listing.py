"""What every page shares: the cards and sidebars made once per build, the common keys, pagers.

`Site` is the library as the templates see it: a card per paper (title, excerpt,
badges) and the sidebar's theme list for each current theme, both made once so
that each page only picks from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sitegen.catalog import Paper
from sitegen.model import urls
from sitegen.model.library import DumpInfo, Library, Section, TagInfo
from sitegen.records import record
from sitegen.text import derivable_slug, excerpt
from sitegen.views.context import (
    ArchivePager,
    Crumb,
    FilterOptions,
    NavItem,
    NavTheme,
    PageInfo,
    Pager,
    PagerLink,
    PaperCard,
    SiteInfo,
)

PAGER_WINDOW = 2  # page links shown either side of the current page
STATUSES = ("to-read", "reading", "read")  # reading-status order in filters; others follow A–Z


@record
class Site:
    """The library with what many pages show of it: paper cards and sidebars, made once."""

    library: Library
    info: SiteInfo
    cards: Cards
    navs: Mapping[str | None, tuple[NavTheme, ...]]  # the sidebar, by current theme
    # A lean paper page's sidebar (site.js adds the rest): the current theme alone, made once
    # per theme, so each theme's pages share one (paper_page.theme_items keeps its HTML).
    lean_navs: Mapping[str | None, tuple[NavTheme, ...]]


class Cards(Mapping[str, PaperCard]):
    """Every paper's card by slug, each made the first time a page asks for it (a build
    that keeps every page but one makes a handful)."""

    def __init__(self, library: Library):
        self.library = library
        self.made: dict[str, PaperCard] = {}
        self.derivable: dict[str, bool] = {}  # slug -> slug_derivable
        self.dump_by_name = {d.name: d for d in library.dumps}
        self.tag_by_name = {t.name: t for t in library.tags}

    def __getitem__(self, slug: str) -> PaperCard:
        card = self.made.get(slug)
        if card is None:
            card = self.made[slug] = self.card(self.library.papers[slug])
        return card

    def get(self, slug: str, default: PaperCard | None = None) -> PaperCard | None:  # type: ignore[override]
        """A paper's card, or `default` (without Mapping.get's try/except: ~50k calls at 10k)."""
        return self[slug] if slug in self.library.papers else default

    def __iter__(self) -> Iterator[str]:
        return iter(self.library.papers)

    def __len__(self) -> int:
        return len(self.library.papers)

    def __contains__(self, slug: object) -> bool:
        return slug in self.library.papers

    def make_all(self) -> None:
        """Make every card now (a build waiting for discovery, before it forks: its copy's
        lists then share them, not make them again)."""
        for slug in self.library.papers:
            self[slug]  # noqa: B018 - made and kept by __getitem__

    def slug_derivable(self, slug: str) -> bool:
        """Whether the browser's slugify makes this paper's slug from its title (asked once
        a paper: each of its lists' cards.js asks)."""
        found = self.derivable.get(slug)
        if found is None:
            found = self.derivable[slug] = derivable_slug(self[slug].title, slug)
        return found

    def __getstate__(self) -> dict[str, Any]:
        # A kept model (sitegen.snapshot) goes without the cards made: the next build makes
        # again the few its pages show (10k made: 3 of 31 MB and ~60 ms of the pickle).
        return {**self.__dict__, "made": {}, "derivable": {}}

    def card(self, paper: Paper) -> PaperCard:
        """A paper's card, made of what made_of names and nothing else."""
        slug, title, abstract, theme, theme_url, dumps, status, tags = self.made_of(paper)
        return PaperCard(
            slug=slug,
            title=title,
            url=urls.paper_url(slug),
            excerpt=excerpt(abstract),
            theme=theme,
            theme_url=theme_url,
            dumps=dumps,
            status=status,
            tags=tags,
        )

    def made_of(self, paper: Paper) -> CardInputs:
        """What a paper's card is made from (a page's key hashes this, not the card: making
        every card for the keys was ~0.13 s of a new dump's build at 10k papers, which shows
        a few thousand)."""
        theme = self.library.theme(paper.theme)
        return (
            paper.slug,
            paper.title,
            paper.abstract,
            theme.title,
            theme.url,
            tuple(self.dump_by_name[d] for d in paper.dumps if d in self.dump_by_name),
            paper.status,
            tuple(self.tag_by_name[t] for t in paper.tags),
        )


# Slug, title, abstract, theme title and URL, dumps, status, tags (Cards.made_of).
CardInputs = tuple[str, str, str, str, str, tuple[DumpInfo, ...], str, tuple[TagInfo, ...]]


def nav_themes(library: Library, current: str | None) -> tuple[NavTheme, ...]:
    """The sidebar's themes (only themes with papers), the current one flagged."""
    return tuple(
        NavTheme(t.slug, t.title, t.url, t.slug == current)
        for t in library.themes
        if t.count or t.slug == current
    )


# From this many papers on, a site is built lean unless site.yaml says `large_site: false`:
# at 100,000 papers a full one is ~2.5 GB, and GitHub Pages takes 1 GB. See is_large.
LARGE_SITE_PAPERS = 20_000


def is_large(library: Library) -> bool:
    """Whether pages are built lean: site.yaml's large_site, else by the number of papers.

    Lean, a paper page's sidebar lists only its own theme (static/site.js adds the others
    from counts.js) and no neighbours, its related papers are titles only and its details
    section is left out; list pages show a line per paper, and cards.js no excerpts.
    """
    chosen = library.config.large_site
    return chosen if chosen is not None else len(library.papers) >= LARGE_SITE_PAPERS


def page_size(site: Site) -> int:
    """Papers per page of a theme, dump or tag list: site.yaml's per_page; twice that on a
    large site, whose lists show a line per paper rather than a card (as the A–Z pages do,
    300 to a page), so that its thousands of list pages repeat their header and sidebar less."""
    per_page = site.library.config.per_page
    return per_page * LEAN_PAGE_FACTOR if site.info.large else per_page


LEAN_PAGE_FACTOR = 2


def make_site(library: Library) -> Site:
    """The cards and sidebars of a library."""
    config = library.config
    info = SiteInfo(
        config.title, config.description, config.author, library.base_url, is_large(library)
    )
    navs = {current: nav_themes(library, current) for current in [None, *library.theme_by_slug]}
    lean = {c: tuple(t for t in nav if t.current) for c, nav in navs.items()} if info.large else {}
    return Site(library, info, Cards(library), navs, lean)


def page_info(site: Site, path: str, kind: str, title: str, description: str = "") -> PageInfo:
    """The page being rendered: its output path and URL, title and description."""
    return PageInfo(path, urls.url_of(path), title, description or site.info.description, kind)


def common(
    site: Site,
    page: PageInfo,
    crumbs: tuple[Crumb, ...] = (),
    current_theme: str | None = None,
    expanded: tuple[NavItem, ...] = (),
) -> dict[str, Any]:
    """The context keys every HTML page gets; the sidebar expands current_theme's list."""
    info = site.info
    return {
        "site": info,
        "root": urls.root_for(page.path),
        "page": page,
        "nav": site.navs[current_theme],
        "nav_expanded": list(expanded),
        "nav_fill": False,  # the sidebar lists only the current theme; site.js adds the others
        "breadcrumbs": [Crumb(info.title, ""), *crumbs] if crumbs else [],
        "has_map": site.library.discovery is not None,
        "has_tags": bool(site.library.tags),
        "has_feed": bool(site.library.dated_additions),
    }


def make_pager(base: str, number: int, count: int, total: int, size: int, infix: str) -> Pager:
    """A pager with the first, last and nearby pages, gaps elided."""
    shown = sorted(
        {1, count, *range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1)}
    )
    links: list[PagerLink] = []
    for n in shown:
        if links and n > links[-1].number + 1:
            links.append(PagerLink(n - 1, "", gap=True))
        links.append(PagerLink(n, urls.list_url(base, n, infix), current=n == number))
    return Pager(
        number=number,
        count=count,
        total=total,
        first_item=(number - 1) * size + 1 if total else 0,
        last_item=min(number * size, total),
        prev_url=urls.list_url(base, number - 1, infix) if number > 1 else "",
        next_url=urls.list_url(base, number + 1, infix) if number < count else "",
        links=tuple(links),
    )


def page_count(section: Section, size: int) -> int:
    """How many pages a section's list takes (an empty list still has one)."""
    return max(1, -(-len(section.slugs) // size))


def list_page(
    site: Site, section: Section, size: int, number: int, infix: str = urls.PAGE_INFIX
) -> tuple[str, list[PaperCard], Pager]:
    """(output path, cards, pager) of page `number` of a section's paper list."""
    chunk = section.slugs[(number - 1) * size : number * size]
    count = page_count(section, size)
    pager = make_pager(section.url, number, count, len(section.slugs), size, infix)
    path = urls.file_of(urls.list_url(section.url, number, infix))
    return path, [site.cards[s] for s in chunk], pager


def list_pages(
    site: Site, section: Section, size: int, infix: str = urls.PAGE_INFIX
) -> Iterator[tuple[str, list[PaperCard], Pager]]:
    """(output path, cards, pager) for each page of a section's paper list."""
    for number in range(1, page_count(section, size) + 1):
        yield list_page(site, section, size, number, infix)


def page_suffix(pager: Pager) -> str:
    """' (page n of m)' for pages after the first."""
    return f" (page {pager.number} of {pager.count})" if pager.number > 1 else ""


# ---------------------------------------------------------------- growing lists
#
# A theme's or a tag's list is newest first and grows at its front (model.library orders
# it by the dump that added each paper). Numbered from the front, every page would shift
# on each new dump; numbered from the oldest, a full page keeps its papers for good. The
# list's own URL shows the newest papers: those that don't fill a numbered page yet, plus
# the newest full page, so it shows between one and two pages' worth (all of a short list).


def archive_pages(total: int, size: int) -> int:
    """How many numbered (archive) pages a growing list of `total` papers has."""
    return max(0, total // size - 1)


def archive_span(site: Site, slugs: Sequence[str]) -> str:
    """When a page's papers were added: "Mar 1 – Mar 12, 2024", one label if one dump."""
    labels = {d.name: d.label for d in site.library.dumps}
    added = [labels.get(site.library.added_by.get(s, ""), "") for s in (slugs[-1], slugs[0])]
    oldest, newest = (label or "by hand" for label in added)
    return oldest if oldest == newest else f"{oldest} – {newest}"


def archive_links(base: str, number: int, pages: int) -> tuple[PagerLink, ...]:
    """The newest page, then the next newer page, this one, two older ones and page 1.

    Newest first, gaps before page 1 elided. Nothing on an archive page depends on how
    many pages there are but whether the next newer one exists, so a new page changes
    only the page before it.
    """
    top = min(pages, number + 1) if number else pages
    bottom = max(1, (number or pages + 1) - PAGER_WINDOW)
    links = [PagerLink(0, urls.archive_url(base, 0), current=number == 0)]
    for n in range(top, bottom - 1, -1):
        links.append(PagerLink(n, urls.archive_url(base, n), current=n == number))
    if bottom > 2:
        links.append(PagerLink(0, "", gap=True))
    if bottom > 1:
        links.append(PagerLink(1, urls.archive_url(base, 1)))
    return tuple(links)


def archive_page(
    site: Site, section: Section, size: int, number: int
) -> tuple[str, list[PaperCard], ArchivePager]:
    """(output path, cards, pager) of page `number` of a growing list (0: the newest)."""
    total = len(section.slugs)
    pages = archive_pages(total, size)
    if number:
        chunk = section.slugs[total - size * number : total - size * (number - 1)]
        newer = urls.archive_url(section.url, 0 if number == pages else number + 1)
        older = urls.archive_url(section.url, number - 1) if number > 1 else ""
    else:
        chunk = section.slugs[: total - size * pages]
        newer, older = "", urls.archive_url(section.url, pages) if pages else ""
    pager = ArchivePager(
        number=number,
        pages=0 if number else pages,
        total=0 if number else total,
        span=archive_span(site, chunk) if number else "",
        first_item=size * (number - 1) + 1 if number else 0,
        last_item=size * number,
        newer_url=newer,
        older_url=older,
        links=archive_links(section.url, number, pages),
    )
    path = urls.file_of(urls.archive_url(section.url, number))
    return path, [site.cards[s] for s in chunk], pager


def archive_suffix(pager: ArchivePager) -> str:
    """' (page n)' for a growing list's archive pages."""
    return f" (page {pager.number})" if pager.number else ""


def filter_options(cards: list[PaperCard]) -> FilterOptions:
    """The statuses, tags and dumps the cards of a whole list carry, each once, in order."""
    statuses = {c.status for c in cards if c.status}
    known = [s for s in STATUSES if s in statuses]
    tags = {t.slug: t for c in cards for t in c.tags}
    dumps = {d.slug: d for c in cards for d in c.dumps}
    return FilterOptions(
        statuses=(*known, *sorted(statuses - set(known))),
        tags=tuple(sorted(tags.values(), key=lambda t: t.name)),
        by_dump=len(dumps) > 1,
    )


# The card static/discover.js fills in for each match of a whole-list filter: one of each badge.
TEMPLATE_CARD = PaperCard(
    slug="",
    title="",
    url="",
    excerpt="",
    theme="",
    theme_url="",
    dumps=(DumpInfo("", "", "", "", None, 0, 0, 0),),
    status="to-read",
    tags=(TagInfo("", "", "", 0),),
)


def cards_data(site: Site, section: Section) -> dict[str, Any]:
    """A whole list's cards as compact JSON-able rows, for filters that act on all of it.

    Each row is [slug, title, excerpt, theme, status, tags, dumps]; theme, tags and
    dumps are indexes into the lists that follow, so each name appears once. The slug is
    "" where static/site.js's copy of slugify makes it from the title (text.derivable_slug),
    as in the search index: at 100,000 papers that is a third of these files.
    """
    themes: dict[str, int] = {}
    tags: dict[str, int] = {}
    listed = {d.slug for slug in section.slugs for d in site.cards[slug].dumps}
    # Newest dump first: the dump filter's choices, in the order static/discover.js shows them.
    dumps = {
        d.slug: i for i, d in enumerate(d for d in reversed(site.library.dumps) if d.slug in listed)
    }
    rows = []
    for slug in section.slugs:
        card = site.cards[slug]
        theme = themes.setdefault(card.theme_url, len(themes))
        row_tags = [tags.setdefault(t.slug, len(tags)) for t in card.tags]
        row_dumps = [dumps[d.slug] for d in card.dumps]
        excerpt = "" if site.info.large else card.excerpt  # lean: a line per paper, no excerpt
        shown_slug = "" if site.cards.slug_derivable(slug) else slug
        rows.append([shown_slug, card.title, excerpt, theme, card.status, row_tags, row_dumps])
    by_url = {t.url: t for t in site.library.themes}
    tag_by_slug = {t.slug: t for t in site.library.tags}
    dump_by_slug = {d.slug: d for d in site.library.dumps}
    return {
        "cards": rows,
        "themes": [[by_url[url].title, url] for url in themes],
        "tags": [[slug, tag_by_slug[slug].name, tag_by_slug[slug].url] for slug in tags],
        "dumps": [[slug, dump_by_slug[slug].label, dump_by_slug[slug].url] for slug in dumps],
    }
