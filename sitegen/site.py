"""The site model: pure functions from a Project to the pages of the website.

Two layers, kept apart:
- the *library* (`Library`): every paper and section keyed by id, built once,
  O(N) in the corpus. Sections are themes, dumps, tags and the A–Z list; each
  holds its papers' slugs in display order.
- the *page views* (`PageView`): one per output page (path, template, context),
  made from the library. Each view carries only what its page shows, so page
  weight does not grow with the corpus: lists are paginated and the sidebar
  lists themes only.

All URLs in views are relative to the site root and end in "/" for pages;
templates prefix them with `root`, so the site works under any path prefix.

Template context (every HTML template gets the common keys; see
/tmp/site-template-context.md, merged into the README, for the full reference):

common   site (SiteInfo: title, description, author, base_url), root ("./", "../", …),
         page (PageInfo: path, url, title, description, kind), nav (list[NavTheme]: slug,
         title, url, count, current), nav_expanded (list[NavItem]: title, url, current)
         breadcrumbs (list[Crumb]: title, url — url "" for the current page)
         has_map (bool: the map page exists), has_tags (bool: the tags index exists)
index.html    totals (Totals), chart (list[ChartBar]), newest (DumpInfo | None),
              newest_papers (list[PaperCard]), newest_more (int), dumps (list[DumpInfo])
theme.html    theme (ThemeInfo), papers (list[PaperCard]), pager (Pager), filters (FilterOptions)
paper.html    paper (PaperView; .key_terms, .related, .copy_url, .markdown_link from discovery)
papers.html   papers (list[PaperCard]), pager (Pager), letters (list[LetterLink]),
              filters (FilterOptions)
map.html      map (MapInfo), timeline (list[TimelineBar])
dump.html     dump (DumpInfo), papers (list[PaperCard]), pager (Pager)
dumps.html    dumps (list[DumpInfo])
tag.html      tag (TagInfo), papers (list[PaperCard]), pager (Pager)
tags.html     tags (list[TagInfo])
search.html   (common keys only)
404.html      (common keys; root is "" and a <base> element points at the site root)
feed.xml      site, feed (FeedInfo: id, url, updated), entries (list[FeedEntry])
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sitegen.catalog import Paper, slugify, unique_slug
from sitegen.dumps import Dump
from sitegen.project import Project
from sitegen.themes import title_from_slug

if TYPE_CHECKING:  # the model only reads a Discovery; computing one needs numpy (sitegen.discover)
    from sitegen.discover import Discovery

AZ_PER_PAGE = 100
EXCERPT_CHARS = 260
NEWEST_ON_HOME = 12
# (part, fraction): part 0 takes `fraction` of the paper pages (spread evenly) and every
# other page; part 1 takes the remaining paper pages. (0, 1.0) is the whole site.
Share = tuple[int, float]
WHOLE: Share = (0, 1.0)
NEIGHBOURS = 2  # papers shown either side of the current one in the sidebar
PAGER_WINDOW = 2  # page links shown either side of the current page
FEED_ITEMS = 100  # papers listed per feed entry
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
MARKDOWN_NOISE = re.compile(r"[*_`#>]+|!?\[([^\]]*)\]\([^)]*\)")
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
LOOKUPS = (
    ("arXiv", "https://arxiv.org/search/?searchtype=title&query="),
    ("Semantic Scholar", "https://www.semanticscholar.org/search?q="),
    ("Hugging Face", "https://huggingface.co/papers?q="),
)
EPOCH = "1970-01-01T00:00:00Z"
STATUSES = ("to-read", "reading", "read")  # reading-status order in filters; others follow A–Z
MAP_MAX_POINTS = 2000  # above this the map draws a fixed sample, so the page stays ~0.5 MB
MAP_SIZE = 1000  # the map's viewBox is MAP_SIZE x MAP_SIZE user units
MAP_PAD = 14
MAP_RADIUS = 7
MAP_TITLE_CHARS = 100  # tooltip titles are cut here: bytes per point stay bounded
MAP_COLOURS = 9  # colours in static/style.css (--map-0 … --map-8); a second round uses rings


# ---------------------------------------------------------------- the library


@dataclass(frozen=True)
class DumpInfo:
    """A dump as the site shows it."""

    name: str  # file stem
    slug: str  # URL segment
    url: str
    label: str  # date, listing date, or "Dump N"
    date: str | None  # YYYY-MM-DD when known
    number: int  # 1-based, in dump order (oldest first)
    entries: int  # entries the dump listed
    added: int  # papers it listed first


@dataclass(frozen=True)
class ThemeInfo:
    """A theme as the site shows it."""

    slug: str
    title: str
    description: str
    url: str
    count: int  # papers listed under it (primary or secondary)
    primary: int  # papers whose folder it is


@dataclass(frozen=True)
class TagInfo:
    """A tag from the front matter."""

    name: str
    slug: str
    url: str
    count: int


@dataclass(frozen=True)
class PaperCard:
    """A paper in a list: enough for a title, an excerpt and badges."""

    slug: str
    title: str
    url: str
    excerpt: str
    theme: str  # primary theme title
    theme_url: str
    dumps: tuple[DumpInfo, ...]
    status: str
    tags: tuple[TagInfo, ...]


@dataclass
class Section:
    """An ordered list of papers under one id: theme:<slug>, dump:<name>, tag:<name>, az."""

    id: str
    title: str
    url: str
    slugs: list[str] = field(default_factory=list)


@dataclass
class Library:
    """Every paper and section keyed by id: the site's whole model, built once."""

    project: Project
    base_url: str
    papers: dict[str, Paper]
    cards: dict[str, PaperCard]
    themes: list[ThemeInfo]
    dumps: list[DumpInfo]
    tags: list[TagInfo]
    sections: dict[str, Section]
    discovery: Discovery | None = None  # key terms, related papers, map, timeline (optional)
    # The sidebar's theme list for each current theme, made once: every page has one.
    navs: dict[str | None, tuple[NavTheme, ...]] = field(default_factory=dict, repr=False)

    def section(self, section_id: str) -> Section:
        """The section with this id."""
        return self.sections[section_id]


def segment(name: str, taken: set[str]) -> str:
    """A URL path segment for a name: itself when URL-safe, else a unique slug."""
    if SAFE_SEGMENT.fullmatch(name) and name not in taken:
        taken.add(name)
        return name
    slug = unique_slug(name, taken)
    taken.add(slug)
    return slug


def dump_infos(dumps: list[Dump], added: dict[str, int]) -> list[DumpInfo]:
    """The dumps in project order (oldest first), with labels and URL segments."""
    taken: set[str] = set()
    infos = []
    for number, dump in enumerate(dumps, start=1):
        slug = segment(dump.name, taken)
        label = dump.date or dump.listing_date or f"Dump {number}"
        infos.append(
            DumpInfo(
                name=dump.name,
                slug=slug,
                url=f"dumps/{slug}/",
                label=label,
                date=dump.date,
                number=number,
                entries=len(dump.entries),
                added=added.get(dump.name, 0),
            )
        )
    return infos


def excerpt(markdown: str, limit: int = EXCERPT_CHARS) -> str:
    """The first sentence or two of an abstract, as plain text of at most ~limit characters."""
    text = " ".join(MARKDOWN_NOISE.sub(r"\1", markdown).split())
    sentences = SENTENCE_END.split(text)
    chosen = sentences[0]
    if len(sentences) > 1 and len(chosen) + len(sentences[1]) < limit * 0.8:
        chosen = f"{chosen} {sentences[1]}"
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut + "…"


def sort_title(title: str) -> str:
    """A case- and accent-insensitive key for A–Z order."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9 ]+", "", folded).strip() or title.casefold()


def letter_of(title: str) -> str:
    """The A–Z letter a title files under; "#" for digits and symbols."""
    key = sort_title(title)
    return key[0].upper() if key and key[0].isalpha() else "#"


def theme_infos(project: Project, members: dict[str, list[str]]) -> list[ThemeInfo]:
    """Taxonomy themes in navigation order, then folders the taxonomy does not name."""
    primary: dict[str, int] = {}
    for paper in project.papers:
        primary[paper.theme] = primary.get(paper.theme, 0) + 1
    known = project.taxonomy.slugs()
    extra = sorted(slug for slug in members if slug not in known)
    infos = []
    for slug in [*known, *extra]:
        theme = project.taxonomy.get(slug)
        infos.append(
            ThemeInfo(
                slug=slug,
                title=theme.title if theme else title_from_slug(slug),
                description=theme.description if theme else "",
                url=f"themes/{quote(slug)}/",
                count=len(members.get(slug, ())),
                primary=primary.get(slug, 0),
            )
        )
    return infos


def tag_infos(papers: list[Paper]) -> tuple[list[TagInfo], dict[str, list[str]]]:
    """Every tag in name order with its URL, and the slugs of its papers."""
    members: dict[str, list[str]] = {}
    for paper in papers:
        for tag in paper.tags:
            members.setdefault(tag, []).append(paper.slug)
    taken: set[str] = set()
    infos = []
    for name in sorted(members):
        slug = unique_slug(name, taken) if slugify(name) != "paper" else unique_slug("tag", taken)
        taken.add(slug)
        infos.append(TagInfo(name, slug, f"tags/{slug}/", len(members[name])))
    return infos, members


def status_key(status: str) -> str:
    """A reading status as one lower-case word: "To read" and "to_read" become "to-read"."""
    return "-".join(re.split(r"[\s_-]+", status.strip().lower())).strip("-")


def build_library(
    project: Project, base_url: str = "", discovery: Discovery | None = None
) -> Library:
    """Index the project: papers, cards and sections, all keyed by id. O(N log N)."""
    papers = {paper.slug: paper for paper in project.papers}
    dump_order = {dump.name: i for i, dump in enumerate(project.dumps)}
    added: dict[str, int] = {}
    for paper in project.papers:
        if paper.dumps:
            added[paper.dumps[0]] = added.get(paper.dumps[0], 0) + 1
    dumps = dump_infos(project.dumps, added)
    dump_by_name = {info.name: info for info in dumps}

    theme_members: dict[str, list[str]] = {}
    for paper in project.papers:
        for theme in paper.themes:
            theme_members.setdefault(theme, []).append(paper.slug)
    themes = theme_infos(project, theme_members)
    theme_by_slug = {info.slug: info for info in themes}
    tags, tag_members = tag_infos(project.papers)
    tag_by_name = {info.name: info for info in tags}

    def newest_first(slug: str) -> tuple[int, str, str]:
        """Newest dump first, then by title."""
        paper = papers[slug]
        newest = max((dump_order.get(d, -1) for d in paper.dumps), default=-1)
        return (-newest, sort_title(paper.title), slug)

    def by_title(slug: str) -> tuple[str, str]:
        """A–Z order."""
        return (sort_title(papers[slug].title), slug)

    cards = {
        paper.slug: PaperCard(
            slug=paper.slug,
            title=paper.title,
            url=f"papers/{paper.slug}/",
            excerpt=excerpt(paper.abstract),
            theme=theme_by_slug[paper.theme].title,
            theme_url=theme_by_slug[paper.theme].url,
            dumps=tuple(dump_by_name[d] for d in paper.dumps if d in dump_by_name),
            status=status_key(paper.status),
            tags=tuple(tag_by_name[t] for t in paper.tags),
        )
        for paper in project.papers
    }
    sections: dict[str, Section] = {}
    for info in themes:
        slugs = sorted(theme_members.get(info.slug, []), key=newest_first)
        sections[f"theme:{info.slug}"] = Section(f"theme:{info.slug}", info.title, info.url, slugs)
    first_listed: dict[str, list[str]] = {}
    for paper in project.papers:
        if paper.dumps:
            first_listed.setdefault(paper.dumps[0], []).append(paper.slug)
    for info in dumps:
        slugs = sorted(first_listed.get(info.name, []), key=by_title)
        sections[f"dump:{info.name}"] = Section(f"dump:{info.name}", info.label, info.url, slugs)
    for info in tags:
        slugs = sorted(tag_members[info.name], key=newest_first)
        sections[f"tag:{info.name}"] = Section(f"tag:{info.name}", info.name, info.url, slugs)
    az = sorted(papers, key=by_title)
    sections["az"] = Section("az", "All papers", "papers/", az)
    return Library(project, base_url, papers, cards, themes, dumps, tags, sections, discovery)


# ---------------------------------------------------------------- page views


@dataclass(frozen=True)
class SiteInfo:
    """Site-wide settings every template sees."""

    title: str
    description: str
    author: str
    base_url: str  # absolute URL ending in "/", or ""


@dataclass(frozen=True)
class PageInfo:
    """The page being rendered."""

    path: str  # output file, e.g. papers/x/index.html
    url: str  # relative to the site root, e.g. papers/x/
    title: str
    description: str
    kind: str  # home, theme, paper, papers, dump, dumps, tag, tags, search, 404


@dataclass(frozen=True)
class Crumb:
    """One breadcrumb; url is "" for the current page."""

    title: str
    url: str


@dataclass(frozen=True)
class NavTheme:
    """A theme in the sidebar."""

    slug: str
    title: str
    url: str
    count: int
    current: bool


@dataclass(frozen=True)
class NavItem:
    """A link under the expanded theme in the sidebar."""

    title: str
    url: str
    current: bool


@dataclass(frozen=True)
class PagerLink:
    """One page number in a pager; gap marks an elided run."""

    number: int
    url: str
    current: bool = False
    gap: bool = False


@dataclass(frozen=True)
class Pager:
    """Pagination of a list: a bounded window of page links."""

    number: int
    count: int
    total: int  # items in the whole list
    first_item: int  # 1-based index of the first item on this page
    last_item: int
    prev_url: str
    next_url: str
    links: tuple[PagerLink, ...]


@dataclass(frozen=True)
class LetterLink:
    """An A–Z jump link to the page where a letter starts."""

    letter: str
    url: str
    count: int


@dataclass(frozen=True)
class LinkButton:
    """A code or project link found in the abstract."""

    label: str
    host: str
    url: str
    kind: str  # code, paper, project


@dataclass(frozen=True)
class KeyTerm:
    """A distinctive word or phrase of a paper, linking to a search for it."""

    term: str
    url: str  # search/?q=…


@dataclass(frozen=True)
class RelatedCard:
    """A related paper on a paper page, with the shared terms that explain the link."""

    slug: str
    title: str
    url: str
    theme: str
    theme_url: str
    score: float
    shared_terms: tuple[str, ...]


@dataclass(frozen=True)
class FilterOptions:
    """The choices of a list page's client-side filters: only values its own cards carry."""

    statuses: tuple[str, ...]
    tags: tuple[TagInfo, ...]
    dumps: tuple[DumpInfo, ...]
    count: int  # papers on this page


@dataclass(frozen=True)
class MapPoint:
    """One paper on the map, in viewBox units."""

    x: int
    y: int
    url: str
    title: str


@dataclass(frozen=True)
class MapGroup:
    """The points of one (primary) theme, drawn in one style."""

    theme: ThemeInfo
    colour: int  # 0 … MAP_COLOURS-1
    ring: bool  # hollow markers: the second round of colours
    total: int  # papers filed under the theme
    points: tuple[MapPoint, ...]


@dataclass(frozen=True)
class MapInfo:
    """The map page's SVG: every paper (or a fixed sample) grouped by theme."""

    size: int
    radius: int
    groups: tuple[MapGroup, ...]
    total: int
    shown: int
    sampled: bool


@dataclass(frozen=True)
class TimelineBar:
    """One dump on the timeline: what it added, as a bar in percent of the largest."""

    dump: DumpInfo
    added: int
    listed: int
    total: int  # papers added by this dump and all before it
    width: float


@dataclass(frozen=True)
class PaperView:
    """Everything the paper page shows; Markdown is rendered by the template's filter."""

    slug: str
    title: str
    url: str
    abstract: str  # Markdown source
    notes: str  # Markdown source
    notes_titled: bool  # the notes open with their own heading
    excerpt: str
    status: str
    theme: ThemeInfo
    themes: tuple[ThemeInfo, ...]
    dumps: tuple[DumpInfo, ...]
    tags: tuple[TagInfo, ...]
    links: tuple[LinkButton, ...]
    lookups: tuple[Crumb, ...]
    prev: PaperCard | None
    next: PaperCard | None
    position: int  # 1-based place in its theme
    theme_count: int
    source: str  # path under content/
    meta: dict[str, Any]
    key_terms: tuple[KeyTerm, ...] = ()
    related: tuple[RelatedCard, ...] = ()
    copy_url: str = ""  # absolute when base_url is set, else relative to the site root
    markdown_link: str = ""  # [title](copy_url), for the "Copy Markdown link" button


@dataclass(frozen=True)
class Totals:
    """Counts for the home page."""

    papers: int
    themes: int
    dumps: int
    tags: int
    entries: int  # dump entries read, repeats included


@dataclass(frozen=True)
class ChartBar:
    """One bar of the home page's theme chart (widths in percent of the largest)."""

    title: str
    url: str
    count: int
    primary: int
    width: float
    primary_width: float


@dataclass(frozen=True)
class FeedEntry:
    """One dump in the Atom feed."""

    dump: DumpInfo
    id: str
    updated: str
    papers: tuple[PaperCard, ...]
    more: int


@dataclass(frozen=True)
class PageView:
    """One output page: where it goes, which template renders it, with what."""

    path: str
    template: str
    context: dict[str, Any]


def root_for(path: str) -> str:
    """The relative path from an output file back to the site root, ending in "/"."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def site_info(library: Library) -> SiteInfo:
    """The site-wide settings."""
    config = library.project.config
    return SiteInfo(config.title, config.description, config.author, library.base_url)


def nav_themes(library: Library, current: str | None) -> tuple[NavTheme, ...]:
    """The sidebar's themes (only themes with papers), the current one flagged."""
    if current not in library.navs:
        library.navs[current] = tuple(
            NavTheme(t.slug, t.title, t.url, t.count, t.slug == current)
            for t in library.themes
            if t.count or t.slug == current
        )
    return library.navs[current]


def common(
    library: Library,
    path: str,
    kind: str,
    title: str,
    description: str = "",
    crumbs: tuple[Crumb, ...] = (),
    current_theme: str | None = None,
    expanded: tuple[NavItem, ...] = (),
) -> dict[str, Any]:
    """The context keys every HTML page gets."""
    url = path.removesuffix("index.html")
    site = site_info(library)
    return {
        "site": site,
        "root": root_for(path),
        "page": PageInfo(path, url, title, description or site.description, kind),
        "nav": nav_themes(library, current_theme),
        "nav_expanded": list(expanded),
        "breadcrumbs": [Crumb(site.title, ""), *crumbs] if crumbs else [],
        "has_map": library.discovery is not None,
        "has_tags": bool(library.tags),
    }


def list_url(base: str, number: int, infix: str = "page/") -> str:
    """The URL of page `number` of a paginated list that starts at base."""
    return base if number == 1 else f"{base}{infix}{number}/"


def make_pager(base: str, number: int, count: int, total: int, size: int, infix: str) -> Pager:
    """A pager with the first, last and nearby pages, gaps elided."""
    shown = sorted(
        {1, count, *range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1)}
    )
    links: list[PagerLink] = []
    for n in shown:
        if links and n > links[-1].number + 1:
            links.append(PagerLink(n - 1, "", gap=True))
        links.append(PagerLink(n, list_url(base, n, infix), current=n == number))
    return Pager(
        number=number,
        count=count,
        total=total,
        first_item=(number - 1) * size + 1 if total else 0,
        last_item=min(number * size, total),
        prev_url=list_url(base, number - 1, infix) if number > 1 else "",
        next_url=list_url(base, number + 1, infix) if number < count else "",
        links=tuple(links),
    )


def paginate(slugs: list[str], size: int) -> list[list[str]]:
    """Split a list into pages of `size` (an empty list still has one page)."""
    return [slugs[i : i + size] for i in range(0, len(slugs), size)] or [[]]


def list_pages(
    library: Library, section: Section, size: int, infix: str = "page/"
) -> Iterator[tuple[str, list[PaperCard], Pager]]:
    """(output path, cards, pager) for each page of a section's paper list."""
    chunks = paginate(section.slugs, size)
    for number, chunk in enumerate(chunks, start=1):
        url = list_url(section.url, number, infix)
        pager = make_pager(section.url, number, len(chunks), len(section.slugs), size, infix)
        yield f"{url}index.html", [library.cards[s] for s in chunk], pager


def page_suffix(pager: Pager) -> str:
    """' (page n of m)' for pages after the first."""
    return f" (page {pager.number} of {pager.count})" if pager.number > 1 else ""


def home_page(library: Library) -> PageView:
    """The home page: what the list is, the theme chart, the newest dump's additions, totals."""
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
    slugs = library.section(f"dump:{newest.name}").slugs if newest else []
    totals = Totals(
        papers=len(library.papers),
        themes=len(themes),
        dumps=len(library.dumps),
        tags=len(library.tags),
        entries=sum(d.entries for d in library.dumps),
    )
    context = common(library, "index.html", "home", library.project.config.title)
    context.update(
        totals=totals,
        chart=chart,
        newest=newest,
        newest_papers=[library.cards[s] for s in slugs[:NEWEST_ON_HOME]],
        newest_more=max(0, len(slugs) - NEWEST_ON_HOME),
        dumps=list(reversed(library.dumps)),
    )
    return PageView("index.html", "index.html", context)


def theme_pages(library: Library, theme: ThemeInfo) -> Iterator[PageView]:
    """A theme's paginated paper list."""
    section = library.section(f"theme:{theme.slug}")
    size = library.project.config.per_page
    for path, cards, pager in list_pages(library, section, size):
        expanded = tuple(
            NavItem(f"Page {link.number}", link.url, link.current)
            for link in pager.links
            if not link.gap and pager.count > 1
        )
        context = common(
            library,
            path,
            "theme",
            theme.title + page_suffix(pager),
            theme.description,
            (Crumb(theme.title, theme.url if pager.number > 1 else ""),)
            + ((Crumb(f"Page {pager.number}", ""),) if pager.number > 1 else ()),
            theme.slug,
            expanded,
        )
        context.update(theme=theme, papers=cards, pager=pager, filters=filter_options(cards))
        yield PageView(path, "theme.html", context)


def filter_options(cards: list[PaperCard]) -> FilterOptions:
    """The statuses, tags and dumps the cards of one list page carry, each once, in order."""
    statuses = {c.status for c in cards if c.status}
    known = [s for s in STATUSES if s in statuses]
    tags = {t.slug: t for c in cards for t in c.tags}
    dumps = {d.slug: d for c in cards for d in c.dumps}
    return FilterOptions(
        statuses=(*known, *sorted(statuses - set(known))),
        tags=tuple(sorted(tags.values(), key=lambda t: t.name)),
        dumps=tuple(sorted(dumps.values(), key=lambda d: d.number)),
        count=len(cards),
    )


def link_button(url: str) -> LinkButton:
    """Label a link from the abstract by where it points."""
    host = re.sub(r"^https?://(www\.)?", "", url).split("/", 1)[0].lower()
    shown = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return LinkButton("Paper", shown, url, "paper")
    if host in CODE_HOSTS:
        return LinkButton("Code", shown, url, "code")
    return LinkButton("Project page", shown, url, "project")


def paper_view(library: Library, slug: str, position: int, section: Section) -> PaperView:
    """The full view of one paper; prev/next come from its primary theme's order."""
    paper = library.papers[slug]
    card = library.cards[slug]
    themes = {t.slug: t for t in library.themes}
    slugs = section.slugs
    query = quote(paper.title, safe="")
    return PaperView(
        slug=slug,
        title=paper.title,
        url=card.url,
        abstract=paper.abstract,
        notes=paper.notes,
        notes_titled=paper.notes.lstrip().startswith("#"),
        excerpt=card.excerpt,
        status=card.status,
        theme=themes[paper.theme],
        themes=tuple(themes[t] for t in paper.themes if t in themes),
        dumps=card.dumps,
        tags=card.tags,
        links=tuple(link_button(url) for url in paper.links),
        lookups=tuple(Crumb(label, base + query) for label, base in LOOKUPS),
        prev=library.cards[slugs[position - 1]] if position > 0 else None,
        next=library.cards[slugs[position + 1]] if position + 1 < len(slugs) else None,
        position=position + 1,
        theme_count=len(slugs),
        source=paper.source,
        meta=paper.meta,
        key_terms=key_terms_of(library, slug),
        related=related_of(library, slug),
        copy_url=library.base_url + card.url,
        markdown_link=markdown_link(paper.title, library.base_url + card.url),
    )


@functools.lru_cache(maxsize=1 << 16)  # key terms recur across thousands of papers
def search_url(term: str) -> str:
    """The site-relative URL of a search for a term (the search page reads ?q=)."""
    return "search/?q=" + quote(term, safe="")


def key_terms_of(library: Library, slug: str) -> tuple[KeyTerm, ...]:
    """A paper's key terms as search links (none without a discovery)."""
    if library.discovery is None:
        return ()
    return tuple(KeyTerm(t, search_url(t)) for t in library.discovery.key_terms.get(slug, ()))


def related_of(library: Library, slug: str) -> tuple[RelatedCard, ...]:
    """A paper's most similar papers with the terms they share (none without a discovery)."""
    if library.discovery is None:
        return ()
    cards = []
    for related in library.discovery.related.get(slug, ()):
        card = library.cards.get(related.slug)
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


def markdown_link(title: str, url: str) -> str:
    """[title](url) with the brackets and backslashes of the title escaped."""
    text = re.sub(r"([\\\[\]])", r"\\\1", title)
    return f"[{text}]({url})"


def in_share(count: int, share: Share) -> bool:
    """Whether the count-th paper page (from 0) belongs to this share."""
    part, fraction = share
    first = int((count + 1) * fraction) > int(count * fraction)
    return first if part == 0 else not first


def paper_pages(library: Library, share: Share = WHOLE) -> Iterator[PageView]:
    """One page per paper at papers/<slug>/, walked theme by theme (O(N) overall).

    With a share, only its papers: two processes can split the work, and views
    are made only for the papers in the share.
    """
    count = 0
    for theme in library.themes:
        section = library.section(f"theme:{theme.slug}")
        for position, slug in enumerate(section.slugs):
            if library.papers[slug].theme != theme.slug:
                continue  # listed here as a secondary theme; its page is made under its primary
            if in_share(count, share):
                yield paper_page(library, slug, position, section, theme)
            count += 1


def paper_page_of(library: Library, slug: str) -> PageView:
    """The page of one paper, found in its primary theme (for fast rebuilds of one page)."""
    paper = library.papers[slug]
    theme = next(info for info in library.themes if info.slug == paper.theme)
    section = library.section(f"theme:{theme.slug}")
    return paper_page(library, slug, section.slugs.index(slug), section, theme)


def paper_page(
    library: Library, slug: str, position: int, section: Section, theme: ThemeInfo
) -> PageView:
    """The page of one paper."""
    view = paper_view(library, slug, position, section)
    low, high = max(0, position - NEIGHBOURS), position + NEIGHBOURS + 1
    expanded = tuple(
        NavItem(library.cards[s].title, library.cards[s].url, s == slug)
        for s in section.slugs[low:high]
    )
    path = f"papers/{slug}/index.html"
    context = common(
        library,
        path,
        "paper",
        view.title,
        view.excerpt,
        (Crumb(theme.title, theme.url), Crumb(view.title, "")),
        theme.slug,
        expanded,
    )
    context["paper"] = view
    return PageView(path, "paper.html", context)


def az_pages(library: Library) -> Iterator[PageView]:
    """All papers A–Z, paginated, with letter jump links.

    Later pages live at papers/_page/N/: "_" never occurs in a slug, so they
    cannot collide with a paper's papers/<slug>/.
    """
    section = library.section("az")
    firsts: dict[str, tuple[int, int]] = {}
    for index, slug in enumerate(section.slugs):
        letter = letter_of(library.papers[slug].title)
        start, count = firsts.get(letter, (index, 0))
        firsts[letter] = (start, count + 1)
    letters = [
        LetterLink(letter, list_url(section.url, start // AZ_PER_PAGE + 1, "_page/"), count)
        for letter, (start, count) in sorted(firsts.items(), key=lambda kv: kv[1][0])
    ]
    for path, cards, pager in list_pages(library, section, AZ_PER_PAGE, "_page/"):
        crumbs = (Crumb("All papers", section.url if pager.number > 1 else ""),)
        if pager.number > 1:
            crumbs += (Crumb(f"Page {pager.number}", ""),)
        context = common(library, path, "papers", "All papers A–Z" + page_suffix(pager), "", crumbs)
        context.update(papers=cards, pager=pager, letters=letters, filters=filter_options(cards))
        yield PageView(path, "papers.html", context)


def dump_pages(library: Library) -> Iterator[PageView]:
    """The dumps index and a page per dump with what it added."""
    context = common(library, "dumps/index.html", "dumps", "Dumps", "", (Crumb("Dumps", ""),))
    context["dumps"] = list(reversed(library.dumps))
    yield PageView("dumps/index.html", "dumps.html", context)
    size = library.project.config.per_page
    for dump in library.dumps:
        section = library.section(f"dump:{dump.name}")
        for path, cards, pager in list_pages(library, section, size):
            title = f"Dump {dump.number}: {dump.label}" if dump.date else dump.label
            context = common(
                library,
                path,
                "dump",
                f"What {title} added" + page_suffix(pager),
                "",
                (Crumb("Dumps", "dumps/"), Crumb(dump.label, "")),
            )
            context.update(dump=dump, papers=cards, pager=pager)
            yield PageView(path, "dump.html", context)


def tag_pages(library: Library) -> Iterator[PageView]:
    """The tags index and a page per tag (only when some paper has tags)."""
    if not library.tags:
        return
    context = common(library, "tags/index.html", "tags", "Tags", "", (Crumb("Tags", ""),))
    context["tags"] = library.tags
    yield PageView("tags/index.html", "tags.html", context)
    size = library.project.config.per_page
    for tag in library.tags:
        section = library.section(f"tag:{tag.name}")
        for path, cards, pager in list_pages(library, section, size):
            crumbs = (Crumb("Tags", "tags/"), Crumb(tag.name, ""))
            title = f"Tagged “{tag.name}”" + page_suffix(pager)
            context = common(library, path, "tag", title, "", crumbs)
            context.update(tag=tag, papers=cards, pager=pager)
            yield PageView(path, "tag.html", context)


def search_page(library: Library) -> PageView:
    """The search page (filled in by sitegen.search's templates and scripts)."""
    path = "search/index.html"
    context = common(library, path, "search", "Search", "", (Crumb("Search", ""),))
    return PageView(path, "search.html", context)


def sample_rank(slug: str) -> bytes:
    """A paper's place in the map's fixed sample: a hash of its slug, stable as papers come."""
    return blake2b(slug.encode("utf-8"), digest_size=8).digest()


def map_slugs(library: Library, limit: int) -> set[str]:
    """The papers the map draws: all of them, or the `limit` whose slug hashes lowest."""
    points = library.discovery.points if library.discovery else {}
    slugs = [s for s in library.papers if s in points]
    if len(slugs) <= limit:
        return set(slugs)
    return set(sorted(slugs, key=sample_rank)[:limit])


def map_coordinate(value: float) -> int:
    """A [0, 1] coordinate in viewBox units, inside the padding."""
    return MAP_PAD + round(value * (MAP_SIZE - 2 * MAP_PAD))


def short_title(title: str, limit: int = MAP_TITLE_CHARS) -> str:
    """A title cut at a word boundary to at most ~limit characters."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + "…"


def map_info(library: Library, limit: int | None = None) -> MapInfo:
    """Points grouped by primary theme; each theme with papers gets its own style, in nav order."""
    points = library.discovery.points if library.discovery else {}
    shown = map_slugs(library, MAP_MAX_POINTS if limit is None else limit)
    members: dict[str, list[str]] = {}
    for slug in sorted(library.papers):
        members.setdefault(library.papers[slug].theme, []).append(slug)
    groups = []
    for info in (t for t in library.themes if t.primary):
        style = len(groups) % (2 * MAP_COLOURS)
        drawn = tuple(
            MapPoint(
                map_coordinate(points[s].x),
                map_coordinate(points[s].y),
                library.cards[s].url,
                short_title(library.cards[s].title),
            )
            for s in members.get(info.slug, [])
            if s in shown
        )
        groups.append(
            MapGroup(info, style % MAP_COLOURS, style >= MAP_COLOURS, info.primary, drawn)
        )
    return MapInfo(
        MAP_SIZE,
        MAP_RADIUS,
        tuple(groups),
        len(library.papers),
        len(shown),
        len(shown) < len(library.papers),
    )


def timeline_bars(library: Library) -> list[TimelineBar]:
    """The discovery timeline as bars, oldest dump first."""
    entries = library.discovery.timeline if library.discovery else ()
    by_name = {d.name: d for d in library.dumps}
    largest = max((e.added for e in entries), default=0) or 1
    return [
        TimelineBar(by_name[e.dump], e.added, e.listed, e.total, round(100 * e.added / largest, 1))
        for e in entries
        if e.dump in by_name
    ]


def map_page(library: Library) -> PageView:
    """map/: every paper placed by similarity, coloured by theme, and the timeline of dumps."""
    path = "map/index.html"
    description = "Every paper placed by the similarity of its words, coloured by theme."
    context = common(library, path, "map", "Map of papers", description, (Crumb("Map", ""),))
    context.update(map=map_info(library), timeline=timeline_bars(library))
    return PageView(path, "map.html", context)


def not_found_page(library: Library) -> PageView:
    """404.html: served at any depth, so its links resolve against a <base> at the site root."""
    context = common(library, "404.html", "404", "Page not found")
    context["root"] = ""
    context["base_href"] = library.base_url or "/"
    return PageView("404.html", "404.html", context)


def html_pages(
    library: Library, with_papers: bool = True, share: Share = WHOLE
) -> Iterator[PageView]:
    """Every HTML page of the site (or all but the papers' own), in a fixed order.

    With a share, part 0 gets its fraction of the paper pages and all the other
    pages; part 1 gets the rest of the paper pages.
    """
    if share[0] != 0:
        if with_papers:
            yield from paper_pages(library, share)
        return
    yield home_page(library)
    for theme in library.themes:
        if theme.count:
            yield from theme_pages(library, theme)
    if with_papers:
        yield from paper_pages(library, share)
    yield from az_pages(library)
    yield from dump_pages(library)
    yield from tag_pages(library)
    if library.discovery is not None:
        yield map_page(library)
    yield search_page(library)
    yield not_found_page(library)


def views_at(library: Library, paths: Iterable[str]) -> list[PageView]:
    """The views of some output pages (those the site has), finding paper pages directly."""
    wanted = set(paths)
    views = []
    for path in sorted(wanted):
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "papers" and parts[1] in library.papers:
            views.append(paper_page_of(library, parts[1]))
            wanted.discard(path)
    if wanted:
        views += [view for view in html_pages(library, with_papers=False) if view.path in wanted]
    return views


def feed_context(library: Library) -> dict[str, Any]:
    """The Atom feed's context: one entry per dump that added papers, newest first."""
    site = site_info(library)
    feed_id = f"{site.base_url}feed.xml" if site.base_url else f"urn:sitegen:{slugify(site.title)}"
    entries = []
    for dump in reversed(library.dumps):
        slugs = library.section(f"dump:{dump.name}").slugs
        if not slugs:
            continue
        entries.append(
            FeedEntry(
                dump=dump,
                id=f"{site.base_url}{dump.url}" if site.base_url else f"{feed_id}:dump:{dump.slug}",
                updated=f"{dump.date}T00:00:00Z" if dump.date else EPOCH,
                papers=tuple(library.cards[s] for s in slugs[:FEED_ITEMS]),
                more=max(0, len(slugs) - FEED_ITEMS),
            )
        )
    updated = max((e.updated for e in entries), default=EPOCH)
    return {"site": site, "feed": {"id": feed_id, "updated": updated}, "entries": entries}
