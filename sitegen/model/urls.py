"""The site's one URL scheme: where every page lives.

Page URLs are relative to the site root and end in "/"; a page's output file is
its URL plus index.html. Templates prefix URLs with `root`, so the site works
under any path prefix. Every view, papers.json, the sitemap, the server and the
search data take their URLs from here.

static/search.js builds paper URLs itself ("papers/" + slug + "/", paperUrl), so
that its results need no URL per paper: keep it in step with paper_url.
"""

from __future__ import annotations

import re

from sitegen.text import slugify, unique_slug

HOME = ""
AZ = "papers/"  # the A–Z list; its later pages are papers/_page/N/ (no slug has "_")
DUMPS = "dumps/"
TAGS = "tags/"
MAP = "map/"
SEARCH = "search/"
FEED_FILE = "feed.xml"
COUNTS_FILE = "counts.js"  # papers per theme for the sidebars (static/site.js fills them in)
NOT_FOUND_FILE = "404.html"
PAGE_INFIX = "page/"  # later pages of a list: <list>/page/N/
AZ_INFIX = "_page/"
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def segment(name: str, taken: set[str], fallback: str = "") -> str:
    """A URL path segment for a section name: itself when URL-safe and free, else a unique slug.

    The one rule for themes, dumps and tags; `fallback` replaces a name with no
    letters or digits (slugify's own fallback is "paper").
    """
    if SAFE_SEGMENT.fullmatch(name) and name not in taken:
        chosen = name
    else:
        chosen = unique_slug(fallback if fallback and slugify(name) == "paper" else name, taken)
    taken.add(chosen)
    return chosen


def paper_url(slug: str) -> str:
    """A paper's page: papers/<slug>/ (static/search.js makes the same URL)."""
    return f"papers/{slug}/"


def escaped_table(space: str) -> dict[int, str]:
    """A str.translate table over UTF-8 bytes read as Latin-1: urllib.parse.quote's escaping
    with safe="" (letters, digits and "_.-~" as they are, any other byte as %XX), a space
    written as `space`."""
    kept = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~")
    table = {byte: chr(byte) if byte in kept else f"%{byte:02X}" for byte in range(256)}
    return {**table, ord(" "): space}


# One str.translate in C: urllib's quote makes a list of every byte's escape (each paper
# page's look-up links quote its title: ~7 % of making its view at 10k papers).
QUERY_ESCAPES, PATH_ESCAPES = escaped_table("+"), escaped_table("%20")


def query_value(text: str) -> str:
    """quote_plus(text, safe=""): a query value as a search form sends it (a space is a +)."""
    return text.encode("utf-8").decode("latin-1").translate(QUERY_ESCAPES)


def path_part(text: str) -> str:
    """quote(text, safe=""): text as one part of a URL path or query, nothing left special."""
    return text.encode("utf-8").decode("latin-1").translate(PATH_ESCAPES)


def map_url(slug: str) -> str:
    """A paper on the map: map/?paper=<slug> (static/map.js centres, zooms and focuses it).

    A query, not a #fragment: the big map draws no element per paper for one to name.
    """
    return f"{MAP}?paper={path_part(slug)}"


def theme_url(segment_: str) -> str:
    """A theme's paper list."""
    return f"themes/{segment_}/"


def dump_url(segment_: str) -> str:
    """What one dump added."""
    return f"{DUMPS}{segment_}/"


def tag_url(segment_: str) -> str:
    """The papers with one tag."""
    return f"{TAGS}{segment_}/"


def list_url(base: str, number: int, infix: str = PAGE_INFIX) -> str:
    """The URL of page `number` of a paginated list that starts at base."""
    return base if number == 1 else f"{base}{infix}{number}/"


def archive_url(base: str, number: int) -> str:
    """Page `number` of a growing list, counted from its oldest page: <list>/page/N/.

    Number 0 is the list's own URL, which shows its newest papers; numbered pages
    never move, so a full one keeps its papers (and its bytes) as the list grows.
    """
    return base if number == 0 else f"{base}{PAGE_INFIX}{number}/"


def search_url(term: str) -> str:
    """A search for a term (the search page reads ?q=; a space is a +, as a form sends it)."""
    return SEARCH + "?q=" + query_value(term)


def cards_file(list_url: str) -> str:
    """A list's cards as data, for its filters: <list>/cards.js (no slug has a dot)."""
    return f"{list_url}cards.js"


def file_of(url: str) -> str:
    """The output file of a URL (leading "/" or not): papers/x/ -> papers/x/index.html."""
    path = url.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def url_of(path: str) -> str:
    """The site-relative URL of an output file: papers/x/index.html -> papers/x/."""
    return path.removesuffix("index.html")


def root_for(path: str) -> str:
    """The relative path from an output file back to the site root, ending in "/"."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def link_from(url: str, here: str) -> str:
    """A URL of the site (from its root) as a relative link from the page at here: from
    papers/a/ to papers/b/ is ../b/, shorter than root_for's ../../papers/b/."""
    # Up from here's folder, a whole folder at a time (each prefix ends in "/"), until url
    # is below it: ~70k links a 10k site's paper pages, where splitting both took 3x longer.
    folder, ups = here[: here.rfind("/") + 1], 0
    while not url.startswith(folder):
        folder, ups = folder[: folder.rfind("/", 0, -1) + 1], ups + 1
    return "../" * ups + url[len(folder) :] or "./"


BASE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'<>\\`]")


def base_url_problem(base_url: str) -> str | None:
    """What is wrong with a base URL (site.yaml or --base-url), or None if it is fine ("" too).

    It must be an absolute http(s) URL with a host, or a path from the server's root
    ("/", "/list/"); "//host/" would be another site, and no whitespace or control
    character may reach a <base> tag or robots.txt.
    """
    if not base_url:
        return None
    if BASE_URL_CHARS.search(base_url):
        return f"{base_url!r} must not contain spaces, quotes, < > or control characters"
    if base_url.startswith(("https://", "http://")):
        host = base_url.split("://", 1)[1].split("/", 1)[0]
        if not host or host.startswith(("@", ":")):
            return f"{base_url!r} has no host name"
        return None
    if base_url.startswith("/") and not base_url.startswith("//"):
        return None
    return f"{base_url!r} must be an absolute http(s):// URL or a path starting with one '/'"


def is_absolute(base_url: str) -> bool:
    """Whether a base URL gives absolute addresses (https://…), as feeds and sitemaps need."""
    return base_url.startswith(("https://", "http://"))


def absolute(base_url: str, url: str) -> str:
    """A site-relative URL under the base URL ("" keeps it relative)."""
    return base_url + url
