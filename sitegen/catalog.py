"""Stage 2: the catalogue, one Markdown page per paper under content/papers/<theme>/.

Pure helpers (keys, slugs, front matter, ingest planning) plus the two I/O edges
that read the pages and the ledger. The ledger (content/ingested.json) records
every paper ever ingested, so deleted pages stay deleted and slugs never change.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import field
from functools import lru_cache, partial
from json.encoder import encode_basestring, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from sitegen.cache import BuildCache, text_digest
from sitegen.dumps import Entry
from sitegen.errors import SitegenError
from sitegen.fsio import (
    check_texts,
    decode_text,
    line_of,
    load_yaml,
    name_counts_as_input,
    read_input,
    sorted_entries,
)
from sitegen.known import KnownFiles, content_key
from sitegen.records import mutable
from sitegen.text import find_links, one_line, status_key

LEDGER_NAME = "ingested.json"
# A heading line, empty ("#") included: bodies are stored without trailing whitespace.
NOTES_HEADING = re.compile(r"^#{1,6}(?:\s|$)", re.MULTILINE)


@mutable
class Page:
    """One Markdown file of the catalogue, as the user left it."""

    path: Path  # absolute path of the .md file
    theme: str  # the folder it sits in
    slug: str
    meta: dict[str, Any]
    body: str
    key: str = ""  # content_key of the file it was read from (path and bytes)
    text_key: str = ""  # its paper's text_digest(title, abstract), made once per content
    title_key: str = ""  # title_key(title), the same (ingest and the dumps' listings key by it)
    links: tuple[str, ...] = ()  # text.find_links(abstract), the same (25 ms a build at 10k)

    @property
    def title(self) -> str:
        """The page's title from its front matter."""
        return str(self.meta.get("title", "")).strip()


@mutable
class LedgerEntry:
    """What ingest once did for one paper: its slug and the theme it first got."""

    slug: str
    theme: str


# 2: title keys keep "+" and "#", and a title without letters or digits is its symbols.
# A version-1 ledger's keys are letters and digits only (see legacy_title_key).
LEDGER_VERSION = 2


@mutable
class Ledger:
    """Every paper ever ingested, keyed by title key."""

    papers: dict[str, LedgerEntry] = field(default_factory=dict)
    version: int = LEDGER_VERSION  # of the keys: an older ledger is looked up by old keys too


# Symbols that tell titles apart ("C++ Models" is not "C Models", nor "C# Tools" "C Tools").
KEY_SYMBOLS = frozenset("+#")
# What a key drops: all but letters and digits (re's \w is str.isalnum() plus "_") and those.
NOT_IN_KEY = re.compile(r"[^\w+#]|_")


@lru_cache(maxsize=1 << 18)  # every build keys every page and dump entry; serve repeats them
def title_key(title: str) -> str:
    """Identity of a title: ignore case, whitespace, punctuation (but + and #) and Unicode forms.

    A title with no letter or digit ("🤗", "???") is its own symbols, whitespace aside,
    so that such titles don't all share one empty key.
    """
    folded = unicodedata.normalize("NFKC", title).casefold()
    key = NOT_IN_KEY.sub("", unicodedata.normalize("NFKD", folded))
    if key.strip("".join(KEY_SYMBOLS)):  # a letter or digit
        return key
    return "".join(folded.split())


def key_of(item: Page | Entry) -> str:
    """A page's or dump entry's title_key, as made when it was parsed (or now)."""
    return item.title_key or title_key(item.title)


def legacy_title_key(title: str) -> str:
    """The title key of ledger version 1: letters and digits only ("C++" was "c")."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(filter(str.isalnum, unicodedata.normalize("NFKD", folded)))


def split_body(body: str) -> tuple[str, str]:
    """Split a page body into the abstract and the user's notes (from the first heading on)."""
    match = NOTES_HEADING.search(body) if "#" in body else None  # most bodies have none
    if not match:
        return body.strip(), ""
    return body[: match.start()].strip(), body[match.start() :].strip()


def parse_page(text: str, path: Path, theme: str, key: str = "") -> Page:
    """Parse a page: YAML front matter between --- lines, then the Markdown body."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise SitegenError("missing front matter: the file must start with a '---' line", path, 1)
    end = text.find("\n---", 3)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        raise SitegenError("front matter is not closed by a '---' line", path, 1)
    # The front matter starts on the file's second line.
    front = text[4 : end + 1]
    meta = load_yaml(front, path, first_line=2, what="front matter") or {}
    if not isinstance(meta, dict):
        raise SitegenError("front matter must be a mapping of fields", path, 2)
    check_text_fields(meta, front, path)
    if not str(meta.get("title") or "").strip():
        raise SitegenError("front matter has no title", path, 2)
    slug = str(meta.get("slug") or path.stem)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", slug):
        raise SitegenError(f"slug {slug!r} must be lowercase ASCII letters, digits and -", path, 2)
    # Without the trailing whitespace split_body strips: a paper's abstract is then this very
    # string, not a copy (at 100k papers, 133 MB).
    page = Page(path, theme, slug, meta, text[end + 4 :].lstrip("\n").rstrip(), key)
    # What the build reads of each paper, made once per content and cached with the page:
    # a build then keys discovery on a hash per paper, not on every title and abstract
    # hashed again (35 ms at 10k papers), and finds no paper's links again. (Not the card's
    # excerpt: kept with every page, it raised a 40k build's peak by ~11 MB.)
    title, abstract = paper_text(page)
    page.text_key = text_digest(title, abstract)
    page.title_key = title_key(page.title)
    page.links = tuple(find_links(abstract))
    return page


def render_page(title: str, slug: str, abstract: str, extra: dict[str, Any]) -> str:
    """The text of a freshly ingested page: front matter, then the abstract."""
    import yaml  # loaded by ingest alone: a build reads no YAML it holds parsed

    meta = {"title": title, "slug": slug, **extra}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ~10x faster at 100k pages
    front = yaml.dump(meta, Dumper=dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n\n{abstract}\n"


def read_page(path: Path, data: bytes, key: str | None = None) -> Page:
    """Parse a page file's bytes (UTF-8, or UTF-16 with a byte-order mark); key: their
    content_key, when the caller has it."""
    key = content_key(path, data) if key is None else key
    return parse_page(decode_text(data, path), path, path.parent.name, key)


def paper_text(page: Page) -> tuple[str, str]:
    """The title and abstract of a page's paper (what discovery reads of it)."""
    return paper_title(page), split_body(page.body)[0]


def paper_title(page: Page) -> str:
    """A page's title as its paper's: on one line, spaces collapsed."""
    return one_line(page.title)


# The fields a page's front matter gives as text, and those a list of texts will do for.
TEXT_FIELDS = ("title", "notes", "status", "tags", "themes")
TEXT_LISTS = ("tags", "themes")


def check_text_fields(meta: dict[str, Any], front: str, path: Path) -> None:
    """Refuse a field sitegen shows whose YAML is no text (`title: [a, b]`, `tags: {a: 1}`,
    `title: yes`): shown as Python wrote it, it would be a list's or a mapping's repr."""

    def line(name: str) -> int:
        found = line_of(front, name)
        return found + 1 if found is not None else 2  # the front matter starts on line 2

    check_texts(meta, TEXT_FIELDS, path, line, TEXT_LISTS)


def load_page(path: Path, data: bytes, cache: BuildCache | None = None) -> Page:
    """A page from its file's bytes, parsed once per content (when there is a cache)."""
    if cache is None:
        return read_page(path, data)
    return cache.parse("page", content_key(path, data), partial(read_page, path, data))


def read_pages(papers_dir: Path, cache: BuildCache | None = None) -> list[Page]:
    """Read every page under content/papers/<theme>/, sorted by path (re-parsing only changes)."""
    pages: list[Page] = []
    seen: dict[str, Path] = {}
    # Unchanged pages (by stat) are neither read nor hashed again: sitegen.known.
    known = KnownFiles(cache, "page") if cache is not None else None
    listed = known.listed(str(papers_dir)) if known is not None else None  # taken, if any
    if listed is None and not papers_dir.is_dir():
        if os.path.lexists(papers_dir):  # a file: a build would write a site of no papers
            raise SitegenError("not a folder (pages go in content/papers/<theme>/)", papers_dir)
        return pages
    for name in page_files(papers_dir) if listed is None else listed:
        if known is None:
            path = Path(name)
            page = read_page(path, read_input(path))
        else:  # a known page is its cached Page, path and all: no Path is made for it
            page = known.load(name, read_page)
        if page.slug in seen:
            raise SitegenError(f"slug {page.slug!r} is also used by {seen[page.slug]}", name)
        seen[page.slug] = page.path
        pages.append(page)
    if known is not None:
        known.remember()
    return pages


def page_files(papers_dir: Path) -> list[str]:
    """The files papers_dir/*/*.md that count as inputs (not an editor's .#page.md lock, nor
    a hidden folder), in path order: a walk by scandir, 3x faster than Path.glob at 10k."""
    found = []
    for folder in sorted_entries(str(papers_dir)):
        if folder.is_dir() and not folder.name.startswith("."):  # hidden: nothing in it counts
            found += [
                entry.path
                for entry in sorted_entries(folder.path)
                if entry.name.endswith(".md") and name_counts_as_input(entry.name)
            ]
    return found


def stray_pages(papers_dir: Path) -> list[str]:
    """Markdown files in papers_dir that no build reads: at its top, or in a folder inside a
    theme's (a page goes straight in its theme's folder); hidden ones and non-.md aside."""
    found = []
    for entry in sorted_entries(str(papers_dir)):
        if not name_counts_as_input(entry.name):
            continue
        if not entry.is_dir():
            found += [entry.path] if entry.name.endswith(".md") else []
        # A folder counts the folders in it in its links (2 for none), so a theme's folder of
        # pages is not listed again (~25 ms at 10k); where links don't count them (btrfs: 1),
        # every theme's folder is.
        elif entry.stat().st_nlink != 2:
            found += pages_below(entry.path)
    return found


def pages_below(theme_dir: str) -> list[str]:
    """Markdown files in the folders inside a theme's folder (hidden ones aside), in order."""
    found = []
    for entry in sorted_entries(theme_dir):
        if entry.is_dir() and name_counts_as_input(entry.name):
            for folder, folders, files in os.walk(entry.path):
                folders[:] = sorted(f for f in folders if name_counts_as_input(f))
                found += [
                    os.path.join(folder, name)
                    for name in sorted(files)
                    if name.endswith(".md") and name_counts_as_input(name)
                ]
    return found


def path_order(path: Path) -> tuple[str, ...]:
    """A path's place in sorted order (as Path's own `<`, about half as fast to sort by)."""
    return path.parts


def read_ledger(path: Path) -> Ledger:
    """Load the ingest ledger; a missing file is an empty ledger."""
    if not path.exists():
        return Ledger()
    text = decode_text(read_input(path), path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SitegenError(
            f"damaged ingest ledger (not JSON: {exc.msg})", path, exc.lineno
        ) from None
    except RecursionError:
        raise SitegenError("damaged ingest ledger (nested too deeply)", path) from None
    try:
        version = int(data.get("version", 1))
        papers = {
            str(key): LedgerEntry(str(value["slug"]), str(value["theme"]))
            for key, value in data["papers"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SitegenError(
            'damaged ingest ledger (not {"version": …, "papers": {key: {"slug": …, "theme": …}}})',
            path,
        ) from None
    if version > LEDGER_VERSION:  # written by a newer sitegen: its entries may mean more
        raise SitegenError(
            f"ingest ledger version {version} is newer than this sitegen reads "
            f"({LEDGER_VERSION}): upgrade sitegen",
            path,
        )
    return Ledger(papers, version)


def format_ledger(ledger: Ledger) -> str:
    """Serialise the ledger deterministically, one paper per line for tidy git diffs."""
    # json's own C string encoders, the same text as a json.dumps per line (the key escaped
    # to ASCII, the entry not): two calls per paper were 0.05 s of each ingest at 11k papers.
    key_text, text = encode_basestring_ascii, encode_basestring
    rows = [
        f'    {key_text(key)}: {{"slug": {text(entry.slug)}, "theme": {text(entry.theme)}}}'
        for key, entry in sorted(ledger.papers.items())
    ]
    inner = ",\n".join(rows)
    head = f'{{\n  "version": {LEDGER_VERSION},\n  "papers": {{\n'
    return head + inner + ("\n" if rows else "") + "  }\n}\n"


@mutable
class Paper:
    """A paper as the rest of the pipeline sees it: page content plus dump membership."""

    slug: str
    title: str
    abstract: str  # Markdown source of the abstract (body up to the first heading)
    notes: str  # Markdown the user added: a `notes:` field and/or the body from a heading on
    theme: str  # primary theme: the folder the page sits in
    themes: tuple[str, ...]  # primary first, then secondary themes from front matter
    dumps: tuple[str, ...]  # stems of the dumps that listed it, in dump order
    links: tuple[str, ...]
    tags: tuple[str, ...]
    status: str
    meta: dict[str, Any]
    source: str  # path relative to content/, for messages and "edit" links
    # Its page's content key (path and bytes): with `dumps`, all it is made from ("" for
    # a paper made by hand), so build keys hash that instead of every field. A paper
    # changed with dataclasses.replace must set it to "" (its fields are then hashed).
    page_key: str = ""
    # text_digest(title, abstract) as its page gave them: trusted only with a page_key.
    text_key: str = ""


def as_strings(value: Any) -> tuple[str, ...]:
    """A front-matter field that may be a string or a list, as a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


def make_paper(page: Page, dumps: tuple[str, ...], content_dir: Path) -> Paper:
    """Combine a page with the dumps that listed it."""
    abstract, body_notes = split_body(page.body)
    notes = "\n\n".join(n for n in (str(page.meta.get("notes") or "").strip(), body_notes) if n)
    secondary = [t for t in as_strings(page.meta.get("themes")) if t != page.theme]
    source = source_of(page.path, content_dir)
    return Paper(
        slug=page.slug,
        title=paper_title(page),
        abstract=abstract,
        notes=notes,
        theme=page.theme,
        themes=(page.theme, *dict.fromkeys(secondary)),
        dumps=dumps,
        links=page.links,
        tags=tuple(dict.fromkeys(t.lower() for t in as_strings(page.meta.get("tags")))),
        status=status_key(str(page.meta.get("status") or "")),
        meta=page.meta,
        source=source,
        page_key=page.key,
        text_key=page.text_key,
    )


def source_of(path: Path, content_dir: Path) -> str:
    """A page's path relative to content/ ("papers/<theme>/<file>"), or its name outside it."""
    # By parts, not by text: a page's path from the cache (plain.path_of) holds its parts,
    # and on Python 3.11 its text is made only when asked for; this was the build's only ask
    # (~40 ms at 10k papers).
    parts, inside = path.parts, content_dir.parts
    if (
        len(parts) > len(inside)
        and path.anchor == content_dir.anchor
        and parts[: len(inside)] == inside
    ):
        return "/".join(parts[len(inside) :])
    return path.name


Listings = dict[str, tuple[str, ...]]  # dump name -> page slugs in the order it listed them


def dump_listings(dumps: list[Any], ledger: Ledger, pages: list[Page]) -> Listings:
    """Each dump's papers as page slugs, in the order the feed listed them (each once)."""
    slug_of = {key: entry.slug for key, entry in ledger.papers.items()}
    for page in pages:
        slug_of.setdefault(key_of(page), page.slug)
    listings = {}
    for dump in dumps:
        slugs = (slug_of.get(key_of(entry)) for entry in dump.entries)
        listings[dump.name] = tuple(dict.fromkeys(s for s in slugs if s is not None))
    return listings


def dump_membership(listings: Listings) -> dict[str, list[str]]:
    """Map each page slug to the dumps that listed its paper, in dump order."""
    members: dict[str, list[str]] = {}
    for name, slugs in listings.items():
        for slug in slugs:
            members.setdefault(slug, []).append(name)
    return members
