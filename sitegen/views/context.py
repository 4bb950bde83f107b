"""The template context: what each template sees (this module is the template reference).

Every HTML template gets the common keys:

common   site (SiteInfo: title, description, author, base_url), root ("./", "../", …),
         page (PageInfo: path, url, title, description, kind), nav (list[NavTheme]: slug,
         title, url, count, current), nav_expanded (list[NavItem]: title, url, current)
         breadcrumbs (list[Crumb]: title, url — url "" for the current page)
         has_map (bool: the map page exists), has_tags (bool: the tags index exists)
index.html    totals (Totals), chart (list[ChartBar]), newest (DumpInfo | None),
              newest_papers (list[PaperCard]), newest_more (int), dumps (list[DumpInfo]),
              ranks (slug -> place in the dump), map_links (slug -> the paper on the map)
theme.html    theme (ThemeInfo; count and primary are 0 on archive pages), papers
              (list[PaperCard]), pager (ArchivePager), filters (FilterOptions)
paper.html    paper (PaperView; .theme and .themes are ThemeLinks: slug, title, url;
              .key_terms, .related, .copy_url, .markdown_link from discovery)
papers.html   one letter's papers A–Z: papers (list[PaperCard], one line each), letter ("B",
              or "0–9 and symbols"), pager (Pager: the letter's parts, steps to the letters
              either side), letters (list[LetterLink]), filters (FilterOptions)
map.html      map (MapInfo), timeline (list[TimelineBar])
dump.html     dump (DumpInfo), papers (list[PaperCard]), pager (Pager)
dumps.html    dumps (list[DumpInfo])
tag.html      tag (TagInfo; count is 0 on archive pages), papers (list[PaperCard]),
              pager (ArchivePager)
tags.html     tags (list[TagInfo])
search.html   (common keys only)
404.html      (common keys; root is "" and a <base> element points at the site root)
feed.xml      site, feed (FeedInfo: id, url, updated), entries (list[FeedEntry])

DumpInfo, ThemeInfo and TagInfo come from the library (sitegen.model.library).
"""

from __future__ import annotations

from typing import Any

from sitegen.model.library import DumpInfo, TagInfo, ThemeInfo
from sitegen.records import record


@record
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

    @property
    def tag_slugs(self) -> str:
        """Its tags' slugs, space-separated (what a list's filters read)."""
        return " ".join(tag.slug for tag in self.tags)

    @property
    def dump_slugs(self) -> str:
        """Its dumps' slugs, space-separated (what a list's filters read)."""
        return " ".join(dump.slug for dump in self.dumps)


@record
class SiteInfo:
    """Site-wide settings every template sees."""

    title: str
    description: str
    author: str
    base_url: str  # absolute URL ending in "/", or ""
    large: bool = False  # lean pages for a very large list (listing.LARGE_SITE_PAPERS)


@record
class PageInfo:
    """The page being rendered."""

    path: str  # output file, e.g. papers/x/index.html
    url: str  # relative to the site root, e.g. papers/x/
    title: str
    description: str
    kind: str  # home, theme, paper, papers, dump, dumps, tag, tags, search, 404


@record
class Crumb:
    """One breadcrumb; url is "" for the current page."""

    title: str
    url: str


@record
class NavTheme:
    """A theme in the sidebar (its count comes from counts.js, so pages stay as they are)."""

    slug: str
    title: str
    url: str
    current: bool


@record
class NavItem:
    """A link under the expanded theme in the sidebar."""

    title: str
    url: str
    current: bool


@record
class PagerLink:
    """One page number in a pager; gap marks an elided run."""

    number: int
    url: str
    current: bool = False
    gap: bool = False


@record
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


@record
class ArchivePager:
    """Pagination of a growing list (a theme's, a tag's), its pages numbered from the oldest.

    Page 0, the list's own URL, shows its newest papers: one to two pages' worth, so it
    never shows a handful. Page N shows the N-th oldest full page, which keeps its papers
    as the list grows; so that its bytes stay too, an archive page (number > 0) shows no
    count of the whole list: `pages` and `total` are 0 there. `links` run newest first
    (number 0 first), a bounded window with gaps, like Pager's.
    """

    number: int  # 0 on the newest page
    pages: int  # numbered (archive) pages; 0 on an archive page
    total: int  # papers in the whole list; 0 on an archive page
    span: str  # when this page's papers were added: "Mar 1 – Mar 12, 2024" (archive pages)
    first_item: int  # this page's papers, counted from the list's oldest (archive pages)
    last_item: int
    newer_url: str  # "" on the newest page
    older_url: str  # "" on page 1
    links: tuple[PagerLink, ...]


@record
class LetterLink:
    """An A–Z jump link to a letter's page (no count: a new paper would change every page)."""

    letter: str
    url: str
    current: bool


@record
class LinkButton:
    """A code or project link found in the abstract."""

    label: str
    host: str
    url: str
    kind: str  # code, paper, project


@record
class KeyTerm:
    """A distinctive word or phrase of a paper, linking to a search for it."""

    term: str
    url: str  # search/?q=…


@record
class RelatedCard:
    """A related paper on a paper page, with the shared terms that explain the link."""

    slug: str
    title: str
    url: str
    theme: str
    theme_url: str
    score: float
    shared_terms: tuple[str, ...]


@record
class FilterOptions:
    """The choices of a list's client-side filters: the values its cards carry, each once.

    The dumps are not among them: a new dump would change every page of a list that shows
    its choices, so static/discover.js reads them from the list's cards data (cards_url).
    """

    statuses: tuple[str, ...]
    tags: tuple[TagInfo, ...]
    by_dump: bool  # the list's papers come from more than one dump: offer a dump filter
    cards_url: str = ""  # the whole list's cards as data (<list>/cards.js), "" for none
    template_card: PaperCard | None = None  # rendered once as the <template> cards are made from


@record
class MapPoint:
    """One paper on the map, in viewBox units."""

    x: int
    y: int
    url: str
    title: str


@record
class DensityRun:
    """A horizontal run of density cells of one theme at one darkness level (1 … 5)."""

    x: int
    y: int
    width: int
    level: int


@record
class MapGroup:
    """The points of one (primary) theme, drawn in one colour (or its density, on a big map)."""

    theme: ThemeInfo
    colour: int  # 0 … MAP_COLOURS-1
    total: int  # papers filed under the theme
    points: tuple[MapPoint, ...]
    density: tuple[DensityRun, ...]


@record
class MapRegion:
    """A named cluster of the map: its label's place and a list of its papers."""

    number: int  # its anchor: #region-<number>
    label: str
    terms: tuple[str, ...]  # every name, the label first
    x: int  # label position, viewBox units
    y: int
    anchor: str  # text-anchor: start near the left edge, end near the right, else middle
    total: int  # papers in the region
    papers: tuple[MapPoint, ...]  # the first few, nearest its middle first


@record
class MapInfo:
    """The map page's SVG: every paper as a dot (or, on a big map, its density) and regions."""

    size: int
    radius: int
    cell: int  # a density cell's side, viewBox units (0 when dots are drawn)
    groups: tuple[MapGroup, ...]
    regions: tuple[MapRegion, ...]
    total: int
    dense: bool  # drawn as density: too many papers for a dot each
    coords: str = ""  # on a dense map, every paper's position (views.map.packed_coordinates)


@record
class TimelineBar:
    """One dump on the timeline: what it added, as a bar in percent of the largest."""

    dump: DumpInfo
    added: int
    listed: int
    total: int  # papers added by this dump and all before it
    width: float


@record
class ThemeLink:
    """A theme as a paper page shows it: a link, no counts (so a new dump leaves it alone)."""

    slug: str
    title: str
    url: str


@record
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
    theme: ThemeLink
    themes: tuple[ThemeLink, ...]
    dumps: tuple[DumpInfo, ...]
    tags: tuple[TagInfo, ...]
    links: tuple[LinkButton, ...]
    lookups: tuple[Crumb, ...]
    prev: PaperCard | None
    next: PaperCard | None
    source: str  # path under content/
    meta: dict[str, Any]
    key_terms: tuple[KeyTerm, ...] = ()
    related: tuple[RelatedCard, ...] = ()
    edit_url: str = ""  # "Edit this page" (site.yaml repo_url and edit_uri), or ""
    added_in: str = ""  # the name of the dump that added it
    rank: int = 0  # its place in that dump's listing (0: unknown)
    copy_url: str = ""  # absolute when base_url is set, else relative to the site root
    markdown_link: str = ""  # [title](copy_url), for the "Copy Markdown link" button
    map_url: str = ""  # the paper on the map (urls.map_url), "" when the map doesn't show it


@record
class Totals:
    """Counts for the home page."""

    papers: int
    themes: int
    dumps: int
    tags: int
    entries: int  # dump entries read, repeats included


@record
class ChartBar:
    """One bar of the home page's theme chart (widths in percent of the largest)."""

    title: str
    url: str
    count: int
    primary: int
    width: float
    primary_width: float


@record
class FeedEntry:
    """One paper in the Atom feed, dated by the dump that added it."""

    paper: PaperCard
    dump: DumpInfo
    id: str
    updated: str  # the dump's date, as an Atom timestamp
    link: str  # absolute under base_url, else site-relative


@record
class PageView:
    """One output page: where it goes, which template renders it, with what."""

    path: str
    template: str
    context: dict[str, Any]
