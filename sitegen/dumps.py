"""Stage 1: parse a plain-text dump (titles and abstracts wrapped in page chrome).

The parser is a pure function from bytes to a Dump. It never relies on strict
title/abstract alternation: each line is classified on its own (chrome, known
stray, title-like, abstract-like) and an entry is the most title-like of the
lines before an abstract-like one. Everything else is reported with its line.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import field

from sitegen.errors import SitegenError
from sitegen.fsio import BOMS
from sitegen.records import record
from sitegen.text import one_line

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
    r"^(?:upvotes? ?\d*|\d+ upvotes?|· ?\d+ authors?|\d+ authors?|published on .*"
    r"|submitted by(?: .*)?|\d+|· .*|view (?:paper|pdf|code)|github|arxiv|code|\d+ comments?"
    r"|[★⭐☆✩]?\s*\d[\d.,]*\s*[km]?(?:\s*(?:stars?|forks?|★|⭐))?)$",
    re.IGNORECASE,
)
# "Submitted by" on a line of its own: the next line is the user's name.
SUBMITTED_BY = re.compile(r"^submitted by:?$", re.IGNORECASE)
# The compact layout glues the first title to the chrome word: "SubscribeCascaded …".
GLUED_SUBSCRIBE = re.compile(r"^Subscribe\s*(?=[^\sa-z])")
DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# Unicode's Cc category (C0, DEL, C1) less the whitespace controls \t \n \v \f \r.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# A full stop that may end a sentence: "word. Next" inside a line, or at its end.
FULL_STOP = re.compile(r"(\S+)\.[\"')\]]*(?: (?=[A-Z])|$)")
# Words whose full stop ends no sentence: "Dr. LLaMA", "et al.", "vs.", an initial "J.".
ABBREVIATIONS = frozenset(
    (  # noqa: SIM905 (words read better as words)
        "dr mr mrs ms prof st jr sr vs al etc fig figs eq eqs no nos inc ltd co corp e.g "
        "i.e approx cf resp sec ch vol pp ed eds dept univ u.s u.k"
    ).split()
)
# Any letter or digit, in any script.
ALNUM = re.compile(r"[^\W_]")
# An author list: "Ann Lee, Bo Chen, Carla Diaz" or "A. Lee, B. Chen and C. Diaz" (et al.).
# A name is two to four words, the first capitalised ("A. Lee", "Maria de la Cruz").
NAME = r"[A-Z][\w'’-]*\.?(?: (?:[A-Z][\w'’-]*\.?|de|van|von|der|den|da|di|la|le|du|del)){1,3}"
AUTHORS = re.compile(
    rf"^{NAME}(?: ?[,·•;] ?{NAME})+(?:,? and {NAME})?(?: et al\.?)?$|^{NAME},? et al\.?$"
)
# A user name: one token, no spaces, lowercase or with _ / @ / digits ("akhaliq", "@ak_92").
USER_NAME = re.compile(r"^@?[a-z0-9_.-]+$|^@\S+$|^\S*_\S*$")

ABSTRACT_MIN_CHARS = 200  # real titles stay under ~150 characters
SENTENCE_WORDS = 12  # a shorter line is a title even if it ends a sentence


@record
class Entry:
    """One paper as listed in a dump."""

    title: str
    abstract: str
    line: int  # line of the title, 1-based
    title_key: str = ""  # catalog.title_key(title), made once per dump content (ingest)


@record
class Notice:
    """A line the parser skipped or doubted, for the ingest report."""

    line: int
    message: str


@record
class Dump:
    """A parsed dump file."""

    name: str  # file stem; the dump's id
    date: str | None  # YYYY-MM-DD from the file name, never the clock
    listing_date: str | None  # e.g. "Mar 13", as printed on the feed page
    layout: str  # "spaced" or "compact"
    entries: tuple[Entry, ...]
    notices: tuple[Notice, ...] = field(default=())
    file: str = ""  # the file's own name (with its extension), for messages

    def summary(self) -> DumpSummary:
        """What the site shows of this dump (ingest alone reads its entries)."""
        return DumpSummary(self.name, self.date, self.listing_date, len(self.entries), self.file)


@record
class DumpSummary:
    """A dump as a project keeps it once read: the papers it listed are in the project's
    listings, so not its entries, only how many (at 100k papers, ~150 MB of abstracts)."""

    name: str
    date: str | None
    listing_date: str | None
    entries: int
    file: str = ""


def dump_date(stem: str) -> str | None:
    """The YYYY-MM-DD prefix of a dump's file name, if it is a real calendar date."""
    match = DATE_PREFIX.match(stem)
    if not match:
        return None
    try:
        datetime.date(*(int(g) for g in match.groups()))
    except ValueError:  # 2025-02-31, 0000-01-01, month 13
        return None
    return match.group(0)


def impossible_date(stem: str) -> str | None:
    """The date-like prefix of a file name that is no real date (e.g. 2025-02-31), if any."""
    match = DATE_PREFIX.match(stem)
    return match.group(0) if match and dump_date(stem) is None else None


def clean(text: str) -> str:
    """Collapse every run of whitespace (tabs, NBSP, ...) to one space."""
    return one_line(text)  # str.split()'s whitespace is r"\s"'s: 3x faster than a regex


def decode(data: bytes, path: str) -> tuple[str, list[Notice]]:
    """Decode UTF-8 (BOM optional), or UTF-16/32 with a BOM; undecodable bytes become
    U+FFFD with a warning."""
    encoding = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8-sig")
    if encoding == "utf-8":
        encoding = "utf-8-sig"
    elif b"\x00" in data and encoding == "utf-8-sig":
        raise SitegenError("binary data (NUL bytes), not a text dump", path)
    notices: list[Notice] = []
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1 if encoding == "utf-8-sig" else 1
        name = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        notices.append(Notice(line, f"invalid {name} bytes replaced with U+FFFD"))
        text = data.decode(encoding, errors="replace")
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise SitegenError("binary data (NUL characters), not a text dump", path)
    controls = len(CONTROL.findall(text))
    if controls > max(8, len(text) // 100):
        raise SitegenError("binary data (control characters), not a text dump", path)
    return text, notices


def ends_sentences(line: str) -> int:
    """How many full stops in a line may end a sentence (not "Dr.", "et al.", an initial)."""
    count = 0
    for match in FULL_STOP.finditer(line):
        word = match.group(1).lower().lstrip("(\"'[")
        # At the line's end nothing follows to abbreviate ("… as in CF."): a sentence ends.
        last = match.end() == len(line)
        initial = len(word) == 1 and word.isalpha() and not last  # "J. Smith"
        if not initial and (last or word not in ABBREVIATIONS):
            count += 1
    return count


def abstract_kind(line: str) -> str:
    """A line's kind: "abstract" (long prose), "maybe" (shorter; either) or "title".

    Abstracts are long; a line of 12+ words that ends or holds a sentence is an
    abstract only in context (pair_entries): long titles such as "Dr. LLaMA: …" or
    ones ending in a period are titles.
    """
    if len(line) >= ABSTRACT_MIN_CHARS:
        return "abstract"
    if len(line.split()) >= SENTENCE_WORDS and ends_sentences(line):
        return "maybe"
    return "title"


def title_score(line: str) -> int:
    """How title-like a line is, to choose among the lines before an abstract: 2 for
    words, 1 for one word, below 0 for what feeds print near titles (user names,
    author lists, emoji or separators)."""
    if not ALNUM.search(line):
        return -3  # "🔥🔥🔥", "— — —", "•"
    if USER_NAME.match(line):
        return -2
    if AUTHORS.match(line):
        return -1
    return 2 if " " in line else 1


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
    chrome = False  # whether any feed chrome was seen (a dump without any is judged harder)
    user_next = False  # the line after a bare "Submitted by" is a user name
    for number, raw in enumerate(raw_lines, start=1):
        line = clean(raw)
        if not line:
            blank = blank or bool(lines or listing_date)
            continue
        if blank:
            layout = "spaced"  # not for trailing blank lines, which a compact dump may have
        if user_next:
            user_next = False
            notices.append(Notice(number, f"skipped user name {line!r} after 'Submitted by'"))
            continue
        if line.lower() in CHROME:
            chrome = True
            continue
        if not lines and GLUED_SUBSCRIBE.match(line):  # only before the first entry
            line = GLUED_SUBSCRIBE.sub("", line)
            chrome = True
        if LISTING_DATE.match(line):
            chrome = True
            if listing_date is None:
                listing_date = line
            else:
                notices.append(Notice(number, f"skipped extra date line {line!r}"))
            continue
        if KNOWN_STRAY.match(line):
            chrome = True
            user_next = bool(SUBMITTED_BY.match(line))
            notices.append(Notice(number, f"skipped stray line {line!r}"))
            continue
        lines.append((number, line))
    known = len(notices)
    entries = pair_entries(lines, notices)
    if not entries:
        raise SitegenError("no recognisable entries (a title line followed by an abstract)", path)
    problem = not_a_dump(entries, len(notices) - known, chrome)
    if problem:
        raise SitegenError(f"not a dump: {problem}", path)
    if impossible_date(stem):
        notices.append(
            Notice(1, f"the name starts with {impossible_date(stem)}, not a calendar date: undated")
        )
    notices.sort(key=lambda n: n.line)
    file = path.replace("\\", "/").rsplit("/", 1)[-1]
    return Dump(stem, dump_date(stem), listing_date, layout, tuple(entries), tuple(notices), file)


def pair_entries(lines: list[tuple[int, str]], notices: list[Notice]) -> list[Entry]:
    """Pair each abstract with the most title-like of the lines since the last abstract."""
    entries: list[Entry] = []
    waiting: list[tuple[int, str]] = []  # lines since the last abstract: title candidates
    kinds = [abstract_kind(line) for _, line in lines]
    for index, (number, line) in enumerate(lines):
        kind = kinds[index]
        if kind == "maybe":
            # Short prose, unless an abstract follows it (past any junk): a long title.
            kind = "title" if abstract_follows(lines, kinds, index + 1) else "abstract"
        if kind == "title":
            waiting.append((number, line))
            continue
        if not waiting:
            notices.append(Notice(number, f"skipped abstract with no title: {line[:60]!r}…"))
            continue
        best = max(range(len(waiting)), key=lambda i: (title_score(waiting[i][1]), i))
        for i, (other_number, other) in enumerate(waiting):
            if i != best:
                notices.append(Notice(other_number, f"skipped stray line {other!r}"))
        entries.append(Entry(waiting[best][1], line, waiting[best][0]))
        waiting = []
    for number, line in waiting[:-1]:
        notices.append(Notice(number, f"skipped stray line {line!r}"))
    if waiting:
        number, line = waiting[-1]
        notices.append(Notice(number, f"skipped last title with no abstract: {line!r}"))
    return entries


def abstract_follows(lines: list[tuple[int, str]], kinds: list[str], start: int) -> bool:
    """Whether the next line from start that could matter (not junk) is a sure abstract."""
    for (_, line), kind in zip(lines[start:], kinds[start:], strict=True):
        if kind != "title" or title_score(line) >= 1:
            return kind == "abstract"
    return False


# The commonest English words: a third of an abstract's words, hardly any of random text.
FUNCTION_WORDS = frozenset(
    (  # noqa: SIM905 (words read better as words)
        "a an and are as at be by for from has have in is it its of on or our that the "
        "their these this to we which with"
    ).split()
)
SENTENCE_END = re.compile(r"[.!?。！？](?:[\"')\]]*)(?:\s|$)")
MARKUP_START = ("#", ">", "|", "```", "* ", "- ", "<", '"', "“", "'", "‘")


def entry_looks_real(entry: Entry, strict: bool) -> bool:
    """Whether an entry reads like a paper: a title-like title and an abstract of prose."""
    title, abstract = entry.title, entry.abstract
    first = title.split()[0]
    if title_score(title) < 1 or title.startswith(MARKUP_START) or title.endswith((",", ";")):
        return False
    if first[0].islower() and not any(c.isupper() or c.isdigit() for c in first):
        return False  # "mPLUG", "word2vec" are names; "and then she" is not
    words = abstract.split()
    if not SENTENCE_END.search(abstract):
        return False
    if strict and abstract.isascii():
        common = sum(1 for w in words if w.lower().strip(",.;:()") in FUNCTION_WORDS)
        return common >= 0.05 * len(words)
    return True


def not_a_dump(entries: list[Entry], skipped: int, chrome: bool) -> str | None:
    """Why parsed entries are junk rather than papers (random text, a README), or None.

    A dump with feed chrome needs half its entries to look real; a bare list of
    titles and abstracts needs four in five, with abstracts in English prose.
    """
    real = sum(entry_looks_real(entry, strict=not chrome) for entry in entries)
    needed = 0.5 if chrome else 0.8
    if real < needed * len(entries):
        return f"only {real} of {len(entries)} entries read like a paper's title and abstract"
    if skipped > 2 * len(entries) + 10:
        return f"{skipped} unknown lines for {len(entries)} entries"
    return None
