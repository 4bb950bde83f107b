"""Text helpers, pure: slugs, URLs found in abstracts, reading statuses, excerpts.

static/site.js has a copy of slugify (window.sitegenSlugify: search.js, discover.js and
notfound.js derive most papers' URLs from their titles with it, so the search data and a
list's cards.js needn't carry a slug each): keep the two in step.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sitegen.texmath import tex_plain

SLUG_MAX = 80  # also in static/search.js
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}]+")
URL_TRAIL = ".,;:!?'\"*"
PAIRS = {")": "(", "]": "["}
EXCERPT_CHARS = 260
# A sentence's end: the space after its mark (group 1), before a capital, digit or opening.
# The mark is matched, not looked behind for: a search then skips to the marks (3x faster).
SENTENCE_END = re.compile(r"[.!?](\s+)(?=[A-Z0-9(\"'])")
MARKDOWN_NOISE = re.compile(r"[*_`#>]+|!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS_MARKS = "*_`#>"  # what MARKDOWN_NOISE drops from a text without "["
EMPHASIS_NOISE = str.maketrans("", "", EMPHASIS_MARKS)


def one_line(text: str) -> str:
    """Every run of whitespace (tabs, newlines, NBSP, ...) as one space, none at the ends:
    " ".join(text.split()). A text already so is returned as it is, found in one pass:
    whitespace other than " " is never printable, so a printable text without "  " and
    without a space at either end has nothing to fold (most abstracts: 8 -> 1.5 us)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 paper", "3 papers" (irregular: plural(n, "entry", "entries")); a template's filter."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def without_emphasis(plain: str) -> str:
    """MARKDOWN_NOISE.sub for a text without "[": most have no mark (10x faster than the regex)."""
    # EMPHASIS_MARKS one by one: a generator over them cost more than the five scans
    if "*" in plain or "_" in plain or "`" in plain or "#" in plain or ">" in plain:
        return plain.translate(EMPHASIS_NOISE)
    return plain


def ascii_folded(text: str) -> str:
    """Text in ASCII: accents split off by NFKD and dropped, with any other character that
    has no ASCII form (an ASCII text as it is: NFKD leaves it so, and most titles are)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


SLUG_WORD = re.compile(r"[a-z0-9]+")


def slugify(title: str) -> str:
    """A readable ASCII slug of at most 80 characters, cut at a word boundary."""
    words = SLUG_WORD.findall(ascii_folded(title).lower())
    # The words that fit, joined once (a slug grown a word at a time copied it each time).
    length, count = -1, 0
    for word in words:
        length += len(word) + 1
        if length > SLUG_MAX:
            break
        count += 1
    if not count:
        return words[0][:SLUG_MAX] if words else "paper"
    return "-".join(words[:count])


def derivable_slug(title: str, slug: str) -> bool:
    """Whether the browser's copy of slugify (static/site.js) gives
    slug back from title: an ASCII title (no NFKD step there) whose slug is its own."""
    return title.isascii() and slugify(title) == slug


def unique_slug(title: str, taken: set[str]) -> str:
    """slugify(title), with -2, -3, ... appended while it collides with a taken slug."""
    base = slugify(title)
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        n += 1
    return slug


def clean_url(url: str) -> str:
    """Trim trailing punctuation and unbalanced brackets that the copy-paste glued on."""
    while url:
        last = url[-1]
        unbalanced = last in ")]" and url.count(PAIRS[last]) < url.count(last)
        if last in URL_TRAIL or unbalanced:
            url = url[:-1]
        else:
            break
    if url.startswith("www."):
        url = "https://" + url
    return url


def may_hold_url(text: str) -> bool:
    """Whether a URL pattern (URL here, textmap.URL) could match in text: each needs "://"
    or "www." (most abstracts have neither; two scans are ~4x faster than a search)."""
    return "://" in text or "www." in text


def find_links(text: str) -> list[str]:
    """The distinct cleaned URLs in a text, in order of appearance."""
    links: list[str] = []
    if not may_hold_url(text):
        return links
    for match in URL.finditer(text):
        url = clean_url(match.group(0))
        if "://" in url and len(url) > len("https://x") and url not in links:
            links.append(url)
    return links


def status_key(status: str) -> str:
    """A reading status as one lower-case word: "To read" and "to_read" become "to-read".

    The one normalisation: pages, filters and papers.json all show this form.
    """
    if not status:  # most pages have none
        return ""
    return "-".join(re.split(r"[\s_-]+", status.strip().lower())).strip("-")


def excerpt(markdown: str, limit: int = EXCERPT_CHARS) -> str:
    """The first sentence or two of an abstract, as plain text of at most ~limit characters."""
    plain = tex_plain(markdown)
    plain = MARKDOWN_NOISE.sub(r"\1", plain) if "[" in plain else without_emphasis(plain)
    # The first two sentences only (a card per paper: at 100k, splitting whole abstracts
    # took seconds), their whitespace folded: a sentence ends where it ends in the text as
    # it is (the same mark and lookahead about a run of spaces, however long).
    first = SENTENCE_END.search(plain)
    second = SENTENCE_END.search(plain, first.end()) if first is not None else None
    text = one_line(plain if second is None else plain[: second.start(1)])
    first = SENTENCE_END.search(text)
    chosen = text if first is None else text[: first.start(1)]
    if first is not None:
        second = SENTENCE_END.search(text, first.end())
        following = text[first.end() : second.start(1) if second else len(text)]
        if len(chosen) + len(following) < limit * 0.8:
            chosen = f"{chosen} {following}"
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut + "…"


ARXIV_ID = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arXiv:\s?)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)


def arxiv_id(text: str) -> str | None:
    """The first arXiv identifier an abstract carries (arXiv:2301.01234, arxiv.org/abs/…)."""
    # A match holds "rx" in some case (its "i" may also be "ı" or "İ"): looking for that
    # first spares most abstracts the case-blind search (at 10k papers, 132 -> 18 ms).
    if "rx" not in text.lower():
        return None
    match = ARXIV_ID.search(text)
    return match.group(1) if match else None


def short_title(title: str, limit: int) -> str:
    """A title cut at a word boundary to at most ~limit characters."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0] + "…"


SCAN_JSON = json.JSONDecoder().scan_once  # the C scanner where there is one


def json_value(text: str) -> Any:
    """json.loads(text) for JSON that sitegen wrote compactly (no space around the value):
    the decoder's scanner called at once, without json.loads' checks and two regex matches
    (half its time on a paper's few related papers, which every paper page reads)."""
    try:
        value, end = SCAN_JSON(text, 0)
    except StopIteration as stop:
        raise json.JSONDecodeError("Expecting value", text, stop.value) from None
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def json_encoder(separators: tuple[str, str], ascii_only: bool) -> Callable[[Any], str]:
    """json.dumps(value, separators=separators, ensure_ascii=ascii_only) for plain data (no
    value holding itself), with CPython's C encoder made once: json.dumps makes one per
    call, half the time of encoding a small value."""
    encoder = json.JSONEncoder(separators=separators, ensure_ascii=ascii_only)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (another Python): the encoder's own method
        return encoder.encode
    strings = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
    encode = make(
        None,  # no check for a value that holds itself: plain data
        encoder.default,
        strings,
        None,  # no indent
        encoder.key_separator,
        encoder.item_separator,
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return lambda value: "".join(encode(value, 0))
