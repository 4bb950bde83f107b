"""Stage 1: parse a plain-text dump (titles and abstracts wrapped in page chrome).

The parser is a pure function from bytes to a Dump. It never relies on strict
title/abstract alternation: each line is classified on its own (chrome, known
stray, title-like, abstract-like) and an entry is a title-like line directly
followed by an abstract-like one. Everything else is reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sitegen.errors import SitegenError

# Page chrome copied along with the listing; dropped without a warning.
CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "byak and the research community",
    "trending papers",
}
MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
LISTING_DATE = re.compile(rf"^(?:{MONTHS})[a-z]*\.? \d{{1,2}}(?:, \d{{4}})?$", re.IGNORECASE)
# Lines a feed page shows around entries; skipped, but always reported.
KNOWN_STRAY = re.compile(
    r"^(?:upvotes? ?\d*|\d+ upvotes?|· ?\d+ authors?|\d+ authors?|published on .*|submitted by .*"
    r"|\d+|· .*|view (?:paper|pdf|code)|github|arxiv|code|\d+ comments?)$",
    re.IGNORECASE,
)
# The compact layout glues the first title to the chrome word: "SubscribeCascaded …".
GLUED_SUBSCRIBE = re.compile(r"^Subscribe\s*(?=[^\sa-z])")
DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
WHITESPACE = re.compile(r"\s+")
# Unicode's Cc category (C0, DEL, C1) less the whitespace controls \t \n \v \f \r.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Prose ends with a full stop or has one inside; titles may end with "?".
SENTENCE = re.compile(r"\.[\"')\]]*$|\. [A-Z]")

ABSTRACT_MIN_CHARS = 200  # real titles stay under ~150 characters


@dataclass(frozen=True)
class Entry:
    """One paper as listed in a dump."""

    title: str
    abstract: str
    line: int  # line of the title, 1-based


@dataclass(frozen=True)
class Notice:
    """A line the parser skipped or doubted, for the ingest report."""

    line: int
    message: str


@dataclass(frozen=True)
class Dump:
    """A parsed dump file."""

    name: str  # file stem; the dump's id
    date: str | None  # YYYY-MM-DD from the file name, never the clock
    listing_date: str | None  # e.g. "Mar 13", as printed on the feed page
    layout: str  # "spaced" or "compact"
    entries: tuple[Entry, ...]
    notices: tuple[Notice, ...] = field(default=())
    file: str = ""  # the file's own name (with its extension), for messages


def dump_date(stem: str) -> str | None:
    """The YYYY-MM-DD prefix of a dump's file name, if it has a valid one."""
    match = DATE_PREFIX.match(stem)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if 1 <= month <= 12 and 1 <= day <= 31:
        return match.group(0)
    return None


def clean(text: str) -> str:
    """Collapse every run of whitespace (tabs, NBSP, ...) to one space."""
    return WHITESPACE.sub(" ", text).strip()


def decode(data: bytes, path: str) -> tuple[str, list[Notice]]:
    """Decode UTF-8 (BOM optional); undecodable bytes become U+FFFD with a warning."""
    if b"\x00" in data:
        raise SitegenError("binary data (NUL bytes), not a text dump", path)
    notices: list[Notice] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        notices.append(Notice(line, "invalid UTF-8 bytes replaced with U+FFFD"))
        text = data.decode("utf-8-sig", errors="replace")
    controls = len(CONTROL.findall(text))
    if controls > max(8, len(text) // 100):
        raise SitegenError("binary data (control characters), not a text dump", path)
    return text, notices


def is_abstract(line: str) -> bool:
    """Abstracts are long prose; titles are short and rarely end a sentence."""
    if len(line) >= ABSTRACT_MIN_CHARS:
        return True
    return len(line.split()) >= 12 and SENTENCE.search(line) is not None


def parse_dump(data: bytes, path: str, stem: str) -> Dump:
    """Parse one dump's bytes; raise SitegenError if it holds no entries."""
    if not data.strip():
        raise SitegenError("empty file, not a dump", path)
    text, notices = decode(data, path)
    raw_lines = re.split(r"\r\n|\r|\n", text)
    layout = "compact"
    listing_date: str | None = None
    lines: list[tuple[int, str]] = []  # (line number, cleaned text) of content lines
    blank = False  # a blank line since the listing began (spaced, if text follows it)
    for number, raw in enumerate(raw_lines, start=1):
        line = clean(raw)
        if not line:
            blank = blank or bool(lines or listing_date)
            continue
        if blank:
            layout = "spaced"  # not for trailing blank lines, which a compact dump may have
        if line.lower() in CHROME:
            continue
        if not lines and GLUED_SUBSCRIBE.match(line):  # only before the first entry
            line = GLUED_SUBSCRIBE.sub("", line)
        if LISTING_DATE.match(line):
            if listing_date is None:
                listing_date = line
            else:
                notices.append(Notice(number, f"skipped extra date line {line!r}"))
            continue
        if KNOWN_STRAY.match(line):
            notices.append(Notice(number, f"skipped stray line {line!r}"))
            continue
        lines.append((number, line))
    entries = pair_entries(lines, notices)
    if not entries:
        raise SitegenError("no recognisable entries (a title line followed by an abstract)", path)
    notices.sort(key=lambda n: n.line)
    file = path.replace("\\", "/").rsplit("/", 1)[-1]
    return Dump(stem, dump_date(stem), listing_date, layout, tuple(entries), tuple(notices), file)


def pair_entries(lines: list[tuple[int, str]], notices: list[Notice]) -> list[Entry]:
    """Pair each title-like line with the abstract-like line right after it."""
    entries: list[Entry] = []
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    for number, line in lines:
        if is_abstract(line):
            if pending is not None:
                entries.append(Entry(pending[1], line, pending[0]))
                pending = None
            else:
                notices.append(Notice(number, f"skipped abstract with no title: {line[:60]!r}…"))
            continue
        if pending is not None:
            notices.append(Notice(pending[0], f"skipped stray line {pending[1]!r}"))
        pending = (number, line)
    if pending is not None:
        notices.append(Notice(pending[0], f"skipped last title with no abstract: {pending[1]!r}"))
    return entries
