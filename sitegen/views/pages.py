"""One function per kind of page, and the route table that finds every page by its path.

A view is plain frozen data (PageView: output path, template, context); the
build renders it. `routes(site)` lists every page of the site, the Atom feed
included, as (path, kind, maker) without making any view, so a caller can make
all of them, one share of them, or only those at some paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import cache, lru_cache, partial
from typing import Any
from urllib.parse import quote

from sitegen.errors import SitegenError
from sitegen.model import urls
from sitegen.model.library import AZ_KEY, Section, SectionKey, ThemeInfo
from sitegen.project import SiteConfig
from sitegen.records import record
from sitegen.text import arxiv_id, slugify
from sitegen.views.context import (
    ChartBar,
    Crumb,
    FeedEntry,
    FilterOptions,
    KeyTerm,
    LetterLink,
    LinkButton,
    NavItem,
    Pager,
    PagerLink,
    PageView,
    PaperView,
    RelatedCard,
    ThemeLink,
    Totals,
)
from sitegen.views.listing import (
    TEMPLATE_CARD,
    Site,
    archive_page,
    archive_pages,
    archive_suffix,
    cards_data,
    common,
    filter_options,
    list_page,
    page_count,
    page_info,
    page_size,
    page_suffix,
)
from sitegen.views.map import map_page

AZ_PER_PAGE = 300  # lines (one per paper) on one A–Z page
# The kinds of page whose views show what discovery found (key terms, related papers, map
# points); every other page's view is the same before discovery is done, so a CLI build
# renders those while discovery runs (build/schedule.py; tests/test_views_discovery.py).
SHOWS_DISCOVERY = frozenset({"index", "paper", "map"})
NEWEST_ON_HOME = 12
NEIGHBOURS = 2  # papers shown either side of the current one in the sidebar
FEED_ITEMS = 100  # the newest papers the feed lists
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
LOOKUPS = (
    ("arXiv", "https://arxiv.org/search/?searchtype=title&query="),
    ("Semantic Scholar", "https://www.semanticscholar.org/search?q="),
    ("Hugging Face", "https://huggingface.co/papers?q="),
)


@record
class Route:
    """One page of the site: its output path, its kind and how to make its view."""

    path: str
    kind: str  # "paper" for the papers' own pages; the template's name for the others
    make: Callable[[], PageView]
    name: str = ""  # the paper's slug, or the theme, dump or tag the page lists (for errors)


# ---------------------------------------------------------------- paper pages


def link_button(url: str) -> LinkButton:
    """Label a link from the abstract by where it points."""
    host = re.sub(r"^https?://(www\.)?", "", url).split("/", 1)[0].lower()
    shown = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return LinkButton("Paper", shown, url, "paper")
    if host in CODE_HOSTS:
        return LinkButton("Code", shown, url, "code")
    return LinkButton("Project page", shown, url, "project")


def markdown_link(title: str, url: str) -> str:
    """[title](url) with the brackets and backslashes of the title escaped."""
    text = title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{text}]({url})"


def key_terms_of(site: Site, slug: str) -> tuple[KeyTerm, ...]:
    """A paper's key terms as search links (none without a discovery)."""
    discovery = site.library.discovery
    if discovery is None:
        return ()
    return tuple(map(key_term, discovery.key_terms.get(slug, ())))


@lru_cache(maxsize=1 << 14)  # papers share terms (at 10k, 70k shown, ~17k distinct); ~5 MB at most
def key_term(term: str) -> KeyTerm:
    """A key term and its search link (one object for every page that shows it: the one
    cache of key terms' links, urls.search_url keeps none)."""
    return KeyTerm(term, urls.search_url(term))


def related_of(site: Site, slug: str) -> tuple[RelatedCard, ...]:
    """A paper's most similar papers with the terms they share (none without a discovery)."""
    discovery = site.library.discovery
    if discovery is None:
        return ()
    cards = []
    for related in discovery.related.get(slug, ()):
        card = site.cards.get(related.slug)
        if card is not None:
            cards.append(
                RelatedCard(
                    card.slug,
                    card.title,
                    card.url,
                    card.theme,
                    card.theme_url,
                    related.score,
                    related.shared_terms,
                )
            )
    return tuple(cards)


def lookups_of(title: str, abstract: str) -> tuple[Crumb, ...]:
    """Where to find the paper: arXiv (its page when the abstract names it), S2, Hugging Face."""
    query = urls.query_value(title)  # a space is a +, as a search form sends it
    found = [Crumb(label, base + query) for label, base in LOOKUPS]
    identifier = arxiv_id(abstract)
    if identifier:
        found[0] = Crumb("arXiv", f"https://arxiv.org/abs/{identifier}")
    return tuple(found)


EDIT_URIS = {"github.com": "edit/main/content/", "gitlab.com": "-/edit/main/content/"}


def edit_url(config: SiteConfig, source: str) -> str:
    """The page's "Edit this page" link: repo_url + edit_uri + its path under content/."""
    if not config.repo_url:
        return ""
    host = re.sub(r"^https?://(www\.)?", "", config.repo_url).split("/", 1)[0].lower()
    uri = config.edit_uri or EDIT_URIS.get(host, "")
    if not uri:
        return ""
    return config.repo_url.rstrip("/") + "/" + uri.strip("/") + "/" + quote(source)


def map_links_of(site: Site, slugs: Sequence[str]) -> dict[str, str]:
    """Where each of these papers is on the map (urls.map_url), for those the map shows."""
    points = site.library.discovery.points if site.library.discovery else {}
    return {slug: urls.map_url(slug) for slug in slugs if slug in points}


def theme_link(theme: ThemeInfo) -> ThemeLink:
    """A theme as a paper page links to it: its counts left out (they change with each dump)."""
    return ThemeLink(theme.slug, theme.title, theme.url)


def paper_view(site: Site, slug: str, position: int, section: Section) -> PaperView:
    """The full view of one paper; prev/next come from its primary theme's order."""
    library = site.library
    paper = library.papers[slug]
    card = site.cards[slug]
    slugs = section.slugs
    copy_url = urls.absolute(library.base_url, card.url)
    return PaperView(
        slug=slug,
        title=paper.title,
        url=card.url,
        abstract=paper.abstract,
        notes=paper.notes,
        notes_titled=paper.notes.lstrip().startswith("#"),
        excerpt=card.excerpt,
        status=card.status,
        theme=theme_link(library.theme(paper.theme)),
        themes=tuple(
            theme_link(library.theme_by_slug[t]) for t in paper.themes if t in library.theme_by_slug
        ),
        dumps=card.dumps,
        tags=card.tags,
        links=tuple(link_button(url) for url in paper.links),
        lookups=lookups_of(paper.title, paper.abstract)[: 1 if site.info.large else None],
        prev=site.cards[slugs[position - 1]] if position > 0 else None,
        next=site.cards[slugs[position + 1]] if position + 1 < len(slugs) else None,
        source=paper.source,
        meta=paper.meta,
        key_terms=key_terms_of(site, slug),
        related=related_of(site, slug),
        copy_url=copy_url,
        markdown_link=markdown_link(paper.title, copy_url),
        edit_url=edit_url(library.config, paper.source),
        added_in=library.added_by.get(slug, ""),
        rank=library.listed_rank.get(slug, 0),
        map_url=map_links_of(site, (slug,)).get(slug, ""),
    )


def paper_page(site: Site, slug: str, position: int, section: Section) -> PageView:
    """The page of one paper at its place in its primary theme's list."""
    view = paper_view(site, slug, position, section)
    theme = view.theme
    low, high = max(0, position - NEIGHBOURS), position + NEIGHBOURS + 1
    cards = map(site.cards.__getitem__, section.slugs[low:high])
    expanded = tuple(NavItem(card.title, card.url, card.slug == slug) for card in cards)
    path = urls.file_of(view.url)
    crumbs = (Crumb(theme.title, theme.url), Crumb(view.title, ""))
    if site.info.large:  # a lean page: no neighbours, only its own theme (site.js adds the
        expanded, crumbs = (), crumbs[:1]  # rest), and its title once, in its <h1>
    context = common(
        site, page_info(site, path, "paper", view.title, view.excerpt), crumbs, theme.slug, expanded
    )
    if site.info.large:
        context.update(nav=site.lean_navs[theme.slug], nav_fill=True)
    context["paper"] = view
    return PageView(path, "paper.html", context)


def paper_page_of(site: Site, slug: str) -> PageView:
    """The page of one paper, found in its primary theme (for fast rebuilds of one page)."""
    section = site.library.section(SectionKey.theme(site.library.papers[slug].theme))
    return paper_page(site, slug, section.slugs.index(slug), section)


def paper_routes(site: Site) -> Iterator[Route]:
    """One page per paper at papers/<slug>/, walked theme by theme (O(N) overall)."""
    library = site.library
    for theme in library.themes:
        section = library.section(SectionKey.theme(theme.slug))
        for position, slug in enumerate(section.slugs):
            if library.papers[slug].theme == theme.slug:  # secondary members: under their primary
                path = urls.file_of(urls.paper_url(slug))
                yield Route(path, "paper", partial(paper_page, site, slug, position, section), slug)


# ---------------------------------------------------------------- list pages


def ranks_of(site: Site, slugs: Iterable[str]) -> dict[str, int]:
    """Each shown paper's place in the listing of the dump that added it ("#3")."""
    return {s: site.library.listed_rank[s] for s in slugs if s in site.library.listed_rank}


def home_page(site: Site) -> PageView:
    """The home page: what the list is, the theme chart, the newest dump's additions, totals."""
    library = site.library
    themes = [t for t in library.themes if t.count]
    largest = max((t.count for t in themes), default=1)
    chart = [
        ChartBar(
            t.title,
            t.url,
            t.count,
            t.primary,
            round(100 * t.count / largest, 1),
            round(100 * t.primary / largest, 1),
        )
        for t in themes
    ]
    newest = next((d for d in reversed(library.dumps) if d.added), None)
    slugs = library.section(SectionKey.dump(newest.name)).slugs if newest else ()
    totals = Totals(
        papers=len(library.papers),
        themes=len(themes),
        dumps=len(library.dumps),
        tags=len(library.tags),
        entries=sum(d.entries for d in library.dumps),
    )
    path = urls.file_of(urls.HOME)
    context = common(site, page_info(site, path, "home", library.config.title))
    context.update(
        totals=totals,
        chart=chart,
        newest=newest,
        newest_papers=[site.cards[s] for s in slugs[:NEWEST_ON_HOME]],
        newest_more=max(0, len(slugs) - NEWEST_ON_HOME),
        ranks=ranks_of(site, slugs[:NEWEST_ON_HOME]),
        map_links=map_links_of(site, slugs[:NEWEST_ON_HOME]),
        dumps=list(reversed(library.dumps)),
    )
    return PageView(path, "index.html", context)


def theme_page(
    site: Site, theme: ThemeInfo, filters: Callable[[], FilterOptions], number: int
) -> PageView:
    """Page `number` of a theme's paper list; its filters act on the whole list."""
    section = site.library.section(SectionKey.theme(theme.slug))
    path, cards, pager = archive_page(site, section, page_size(site), number)
    crumbs = (Crumb(theme.title, theme.url if number else ""),)
    if number:
        crumbs += (Crumb(f"Page {number}", ""),)
        theme = replace(theme, count=0, primary=0)  # an archive page shows no counts
    title = theme.title + archive_suffix(pager)
    context = common(
        site, page_info(site, path, "theme", title, theme.description), crumbs, theme.slug
    )
    context.update(theme=theme, papers=cards, pager=pager, filters=filters())
    return PageView(path, "theme.html", context)


# All papers A–Z: one page per first letter ("#": digits and symbols), its papers one line
# each, so that a new paper changes its letter's page only (pages of a fixed size would all
# shift after the first new title). A letter with more than AZ_PER_PAGE papers takes more pages.


def az_groups(site: Site) -> list[tuple[str, tuple[str, ...]]]:
    """The papers A–Z, grouped by first letter, in A–Z order (model.library.by_letter)."""
    return list(site.library.letters) or [("", ())]


def az_url(groups: list[tuple[str, tuple[str, ...]]], index: int, part: int = 1) -> str:
    """Part `part` of the index-th letter's page: papers/ for the first, papers/_page/<l>/."""
    if index == 0 and part == 1:
        return urls.AZ
    base = urls.AZ + urls.AZ_INFIX + letter_segment(groups[index][0]) + "/"
    return base if part == 1 else f"{base}{part}/"


def letter_segment(letter: str) -> str:
    """A letter's URL segment: a–z, 0 for digits and symbols, uXXXX for other letters."""
    if letter.isascii() and letter.isalpha():
        return letter.lower()
    return "0" if letter == "#" else f"u{ord(letter):04x}"


def az_pager(groups: list[tuple[str, tuple[str, ...]]], index: int, part: int) -> Pager:
    """Steps to the letter before and after (or the part), and links to a letter's parts."""
    slugs = groups[index][1]
    parts = page_count_of(len(slugs), AZ_PER_PAGE)
    if part > 1:
        prev = az_url(groups, index, part - 1)
    else:
        prev = (
            az_url(groups, index - 1, page_count_of(len(groups[index - 1][1]), AZ_PER_PAGE))
            if index
            else ""
        )
    if part < parts:
        next_ = az_url(groups, index, part + 1)
    else:
        next_ = az_url(groups, index + 1) if index + 1 < len(groups) else ""
    links = tuple(
        PagerLink(n, az_url(groups, index, n), current=n == part) for n in range(1, parts + 1)
    )
    return Pager(
        number=part,
        count=parts,
        total=len(slugs),
        first_item=(part - 1) * AZ_PER_PAGE + 1,
        last_item=min(part * AZ_PER_PAGE, len(slugs)),
        prev_url=prev,
        next_url=next_,
        links=links if parts > 1 else (),
    )


def page_count_of(items: int, size: int) -> int:
    """Pages of `size` that `items` take (at least one)."""
    return max(1, -(-items // size))


def az_page(
    site: Site,
    groups: list[tuple[str, tuple[str, ...]]],
    filters: Callable[[], FilterOptions],
    at: tuple[int, int],
) -> PageView:
    """Part `part` of one letter's page of all papers A–Z, with the letter jump links.

    Later letters live at papers/_page/<letter>/: "_" never occurs in a slug, so they
    cannot collide with a paper's papers/<slug>/.
    """
    index, part = at
    letter, slugs = groups[index]
    pager = az_pager(groups, index, part)
    path = urls.file_of(az_url(groups, index, part))
    shown = "0–9 and symbols" if letter == "#" else letter  # "" while the list is empty
    crumbs = (Crumb("All papers", urls.AZ if path != urls.file_of(urls.AZ) else ""),)
    if path != urls.file_of(urls.AZ):
        crumbs += (Crumb(shown + (f" ({part})" if part > 1 else ""), ""),)
    title = "All papers A–Z" + (f": {shown}" if shown else "") + (f" ({part})" if part > 1 else "")
    context = common(site, page_info(site, path, "papers", title), crumbs)
    letters = [LetterLink(g[0], az_url(groups, i), i == index) for i, g in enumerate(groups)]
    cards = [site.cards[s] for s in slugs[(part - 1) * AZ_PER_PAGE : part * AZ_PER_PAGE]]
    context.update(papers=cards, pager=pager, letters=letters, letter=shown, filters=filters())
    return PageView(path, "papers.html", context)


def cards_page(site: Site, section: Section) -> PageView:
    """A whole list's cards as data (<list>/cards.js) for its filters."""
    path = urls.cards_file(section.url)
    return PageView(path, "cards.js", {"data": cards_data(site, section)})


def cards_route(site: Site, section: Section) -> Route:
    """The route of a list's cards data."""
    return Route(urls.cards_file(section.url), "cards", partial(cards_page, site, section))


def filterable(site: Site, section: Section) -> Callable[[], FilterOptions]:
    """The filter choices of a whole list, and where its cards are as data: made when a page
    of the list is first made (the route table is made without every card)."""
    return cache(partial(filter_choices, site, section))


def filter_choices(site: Site, section: Section) -> FilterOptions:
    """The filter choices of a whole list, and where its cards are as data."""
    options = filter_options([site.cards[slug] for slug in section.slugs])
    return replace(options, cards_url=urls.cards_file(section.url), template_card=TEMPLATE_CARD)


def dumps_page(site: Site) -> PageView:
    """The dumps index, newest first."""
    path = urls.file_of(urls.DUMPS)
    context = common(site, page_info(site, path, "dumps", "Dumps"), (Crumb("Dumps", ""),))
    context["dumps"] = list(reversed(site.library.dumps))
    return PageView(path, "dumps.html", context)


def dump_page(site: Site, name: str, number: int) -> PageView:
    """Page `number` of what one dump added."""
    dump = next(d for d in site.library.dumps if d.name == name)
    section = site.library.section(SectionKey.dump(name))
    path, cards, pager = list_page(site, section, page_size(site), number)
    crumbs = (Crumb("Dumps", urls.DUMPS), Crumb(dump.label, ""))
    title = f"What {dump.label} added" + page_suffix(pager)
    context = common(site, page_info(site, path, "dump", title), crumbs)
    ranks = ranks_of(site, [card.slug for card in cards])
    context.update(dump=dump, papers=cards, pager=pager, ranks=ranks)
    return PageView(path, "dump.html", context)


def tags_page(site: Site) -> PageView:
    """The tags index."""
    path = urls.file_of(urls.TAGS)
    context = common(site, page_info(site, path, "tags", "Tags"), (Crumb("Tags", ""),))
    context["tags"] = list(site.library.tags)
    return PageView(path, "tags.html", context)


def tag_page(site: Site, name: str, number: int) -> PageView:
    """Page `number` of the papers with one tag."""
    tag = next(t for t in site.library.tags if t.name == name)
    section = site.library.section(SectionKey.tag(name))
    path, cards, pager = archive_page(site, section, page_size(site), number)
    crumbs = (Crumb("Tags", urls.TAGS), Crumb(tag.name, ""))
    if number:
        tag = replace(tag, count=0)  # an archive page shows no counts
    title = f"Tagged “{tag.name}”" + archive_suffix(pager)
    context = common(site, page_info(site, path, "tag", title), crumbs)
    context.update(tag=tag, papers=cards, pager=pager)
    return PageView(path, "tag.html", context)


def counts_page(site: Site) -> PageView:
    """counts.js: papers per theme, for every page's sidebar.

    Counts change with every dump; kept in one small file, they leave the pages that show
    them unchanged, so a new dump rewrites (and a deploy uploads) only what it changed.
    """
    counts = {t.url: t.count for t in site.library.themes if t.count}
    themes = [[t.url, t.title] for t in site.navs[None]]  # a lean page's sidebar is made from these
    return PageView(urls.COUNTS_FILE, "counts.js", {"counts": counts, "themes": themes})


def search_page(site: Site) -> PageView:
    """The search page (filled in by sitegen.search's templates and scripts)."""
    path = urls.file_of(urls.SEARCH)
    context = common(site, page_info(site, path, "search", "Search"), (Crumb("Search", ""),))
    return PageView(path, "search.html", context)


def not_found_page(site: Site) -> PageView:
    """404.html: served at any depth, so its links resolve against a <base> at the site root."""
    context = common(site, page_info(site, urls.NOT_FOUND_FILE, "404", "Page not found"))
    context["root"] = ""
    context["base_href"] = site.library.base_url or "/"
    return PageView(urls.NOT_FOUND_FILE, "404.html", context)


def feed_entries(site: Site) -> list[FeedEntry]:
    """The newest additions, one entry per paper: dated dumps newest first, each in listed order."""
    base, entries = site.info.base_url, []
    urn = None if urls.is_absolute(base) else feed_id(site)
    for dump in site.library.dated_additions:
        for slug in site.library.section(SectionKey.dump(dump.name)).slugs:
            card = site.cards[slug]
            link = urls.absolute(base, card.url)
            entry_id = f"{urn}:paper:{slug}" if urn else link
            entries.append(FeedEntry(card, dump, entry_id, f"{dump.date}T00:00:00Z", link))
            if len(entries) == FEED_ITEMS:
                return entries
    return entries


def feed_id(site: Site) -> str:
    """The feed's id: its absolute URL, or a stable URN without a base_url."""
    base = site.info.base_url
    if urls.is_absolute(base):
        return base + urls.FEED_FILE
    return f"urn:sitegen:{slugify(site.info.title)}"


def feed_context(site: Site) -> dict[str, Any]:
    """The Atom feed's context: the newest papers, each dated by its dump."""
    entries = feed_entries(site)
    feed = {"id": feed_id(site), "updated": entries[0].updated}
    return {"site": site.info, "feed": feed, "entries": entries}


def feed_page(site: Site) -> PageView:
    """The Atom feed of new papers: a view like any other, rendered only when changed."""
    return PageView(urls.FEED_FILE, "feed.xml", feed_context(site))


# ---------------------------------------------------------------- the route table


def list_routes(site: Site, kind: str, section: Section, size: int, make: Callable) -> list[Route]:
    """A route per page of a paginated section list; make(number) makes page `number`'s view."""
    routes = []
    for number in range(1, page_count(section, size) + 1):
        path = urls.file_of(urls.list_url(section.url, number))
        routes.append(Route(path, kind, partial(make, number), section.key.name))
    return routes


def archive_routes(kind: str, section: Section, size: int, make: Callable) -> list[Route]:
    """A route per page of a growing list (listing.archive_page): the newest, then 1, 2, …"""
    routes = []
    for number in range(archive_pages(len(section.slugs), size) + 1):
        path = urls.file_of(urls.archive_url(section.url, number))
        routes.append(Route(path, kind, partial(make, number), section.key.name))
    return routes


def routes(site: Site, papers: bool = True) -> dict[str, Route]:
    """Every page of the site by output path, in a fixed order; no view is made yet (but for
    the papers' own pages, without `papers`)."""
    library, size = site.library, page_size(site)
    table = [Route(urls.file_of(urls.HOME), "index", partial(home_page, site))]
    for theme in (t for t in library.themes if t.count):
        section = library.section(SectionKey.theme(theme.slug))
        make = partial(theme_page, site, theme, filterable(site, section))
        table += archive_routes("theme", section, size, make)
        table.append(
            Route(urls.cards_file(section.url), "cards", partial(cards_page, site, section))
        )
    if papers:
        table += paper_routes(site)
    az, groups = library.section(AZ_KEY), az_groups(site)
    make = partial(az_page, site, groups, filterable(site, az))
    for index, (_, slugs) in enumerate(groups):
        for part in range(1, page_count_of(len(slugs), AZ_PER_PAGE) + 1):
            path = urls.file_of(az_url(groups, index, part))
            table.append(Route(path, "papers", partial(make, (index, part))))
    table.append(cards_route(site, az))
    table.append(Route(urls.file_of(urls.DUMPS), "dumps", partial(dumps_page, site)))
    for dump in library.dumps:
        section = library.section(SectionKey.dump(dump.name))
        table += list_routes(site, "dump", section, size, partial(dump_page, site, dump.name))
    if library.tags:
        table.append(Route(urls.file_of(urls.TAGS), "tags", partial(tags_page, site)))
    for tag in library.tags:
        section = library.section(SectionKey.tag(tag.name))
        table += archive_routes("tag", section, size, partial(tag_page, site, tag.name))
    if library.discovery is not None:
        table.append(Route(urls.file_of(urls.MAP), "map", partial(map_page, site)))
    table.append(Route(urls.file_of(urls.SEARCH), "search", partial(search_page, site)))
    table.append(Route(urls.COUNTS_FILE, "counts", partial(counts_page, site)))
    table.append(Route(urls.NOT_FOUND_FILE, "404", partial(not_found_page, site)))
    if library.dated_additions:  # undated dumps give no dates, and the feed makes none up
        table.append(Route(urls.FEED_FILE, "feed", partial(feed_page, site)))
    return unique_paths(table)


def unique_paths(table: list[Route]) -> dict[str, Route]:
    """The routes by path; two pages at one path stop the build before anything is written."""
    found: dict[str, Route] = {}
    for route in table:
        other = found.setdefault(route.path, route)
        if other is not route:
            raise SitegenError(
                f"two pages would be written to {route.path}: the {other.kind} page of "
                f"{other.name!r} and the {route.kind} page of {route.name!r}; rename one"
            )
    return found


def site_pages(site: Site) -> Iterator[PageView]:
    """Every page of the site (the feed included), in the route table's order."""
    return (route.make() for route in routes(site).values())


def views_at(site: Site, paths: Iterable[str]) -> list[PageView]:
    """The views of some output pages (those the site has), looked up in the route table."""
    table = routes(site)
    return [table[path].make() for path in sorted(set(paths)) if path in table]
