"""The library: every paper and section of the site keyed by id, built once and frozen.

Every relation between papers, themes, dumps and tags is computed here and only
here: theme and tag members, the dump that added each paper, theme order, the
A–Z order and the timeline of dumps. Views read the library; nothing changes it.
Building it is O(N log N) in the papers and pure (no I/O).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import cached_property

from sitegen.catalog import Paper
from sitegen.dumps import DATE_PREFIX, DumpSummary
from sitegen.model import urls
from sitegen.model.discovery import Discovery
from sitegen.project import Project, SiteConfig
from sitegen.records import record
from sitegen.text import ascii_folded
from sitegen.themes import title_from_slug


@record
class DumpInfo:
    """A dump as the site shows it."""

    name: str  # file stem
    slug: str  # URL segment: the date, else the listing date, else the file's stem
    url: str
    label: str  # "Mar 13, 2026" when dated; else the feed's listing date, else the file's stem
    date: str | None  # YYYY-MM-DD from the file name (`sitegen add` writes one); never the clock
    number: int  # 1-based, in dump order (oldest first)
    entries: int  # entries the dump listed
    added: int  # papers it added to the list
    file: str = ""  # the dump's file name

    @property
    def undated(self) -> bool:
        """No YYYY-MM-DD in the file name: its place among the dumps is by name, not by date."""
        return self.date is None


@record
class ThemeInfo:
    """A theme as the site shows it."""

    slug: str
    title: str
    description: str
    url: str
    count: int  # papers listed under it (primary or secondary)
    primary: int  # papers whose folder it is


@record
class TagInfo:
    """A tag from the front matter."""

    name: str
    slug: str
    url: str
    count: int


class SectionKind(Enum):
    """The kinds of paper list the site has."""

    THEME = "theme"
    DUMP = "dump"
    TAG = "tag"
    AZ = "az"


@record
class SectionKey:
    """The id of a section: its kind and the theme slug, dump name or tag name."""

    kind: SectionKind
    name: str = ""

    @classmethod
    def theme(cls, slug: str) -> SectionKey:
        """A theme's section (primary and secondary members)."""
        return cls(SectionKind.THEME, slug)

    @classmethod
    def dump(cls, name: str) -> SectionKey:
        """The papers a dump added."""
        return cls(SectionKind.DUMP, name)

    @classmethod
    def tag(cls, name: str) -> SectionKey:
        """The papers with a tag."""
        return cls(SectionKind.TAG, name)


AZ_KEY = SectionKey(SectionKind.AZ)


@record
class Section:
    """An ordered list of papers under one key."""

    key: SectionKey
    title: str
    url: str
    slugs: tuple[str, ...]


@record
class TimelineEntry:
    """How many papers one dump added, in dump order."""

    dump: str
    listed: int  # entries the dump lists
    added: int  # papers this dump added
    total: int  # papers added by this dump and all earlier ones


@record
class Library:
    """Every paper and section keyed by id: the site's whole model, built once."""

    config: SiteConfig
    base_url: str  # absolute URL ending in "/", or ""
    papers: Mapping[str, Paper]
    themes: tuple[ThemeInfo, ...]  # navigation order
    dumps: tuple[DumpInfo, ...]  # oldest first
    tags: tuple[TagInfo, ...]  # name order
    sections: Mapping[SectionKey, Section]
    added_by: Mapping[str, str]  # paper slug -> the dump that added it
    listed_rank: Mapping[str, int]  # paper slug -> its 1-based place in that dump's listing
    arrival: tuple[str, ...]  # slugs oldest first (Project.arrival): the search's numbering
    letters: tuple[tuple[str, tuple[str, ...]], ...]  # A–Z's papers by first letter, in order
    timeline: tuple[TimelineEntry, ...]
    theme_by_slug: Mapping[str, ThemeInfo]
    discovery: Discovery | None = None  # key terms, related papers, map points (optional)

    def section(self, key: SectionKey) -> Section:
        """The section with this key."""
        return self.sections[key]

    def theme(self, slug: str) -> ThemeInfo:
        """The theme with this slug."""
        return self.theme_by_slug[slug]

    @cached_property  # every page asks (has_feed): found once
    def dated_additions(self) -> tuple[DumpInfo, ...]:
        """Dated dumps that added papers, newest first: the feed's (it never makes a date up)."""
        return tuple(d for d in reversed(self.dumps) if d.date and d.added)


NOT_SORTED_BY = re.compile(r"[^a-z0-9 ]+")


def sort_title(title: str) -> str:
    """A case- and accent-insensitive key for A–Z order."""
    folded = ascii_folded(title).lower()  # casefold, for ASCII
    return NOT_SORTED_BY.sub("", folded).strip() or title.casefold()


def letter_of(title: str) -> str:
    """The A–Z letter a title files under; "#" for digits and symbols."""
    return letter_of_key(sort_title(title))


def letter_of_key(key: str) -> str:
    """letter_of, from the title's sort_title."""
    return key[0].upper() if key and key[0].isalpha() else "#"


def by_letter(slugs: Iterable[str], titles: Mapping[str, str]) -> tuple:
    """Slugs in A–Z order grouped by first letter (titles: each one's sort_title)."""
    groups: dict[str, list[str]] = {}
    for slug in slugs:
        groups.setdefault(letter_of_key(titles[slug]), []).append(slug)
    return tuple((letter, tuple(group)) for letter, group in groups.items())


def count_by(values: list[str]) -> dict[str, int]:
    """How often each value occurs."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_label(date: str) -> str:
    """2026-03-13 -> "Mar 13, 2026" (the same in every locale)."""
    year, month, day = date.split("-")
    return f"{MONTHS[int(month) - 1]} {int(day)}, {year}"


def dump_labels(dumps: list[DumpSummary]) -> list[str]:
    """Each dump's label, told apart from the others': its date ("Mar 13, 2026"), else the
    feed's listing date, else its file's stem. Dumps that would share one (several added on
    one day) add the feed's listing date, or failing that the name their file came with."""
    bases = [
        date_label(d.date) if d.date else d.listing_date or readable_name(d.name, number)
        for number, d in enumerate(dumps, start=1)
    ]
    feeds = [
        f"{base} · {dump.listing_date}" if dump.date and dump.listing_date else base
        for dump, base in zip(dumps, bases, strict=True)
    ]
    shared, shared_feed = count_by(bases), count_by(feeds)
    labels = []
    for number, (dump, base, feed) in enumerate(zip(dumps, bases, feeds, strict=True), 1):
        if shared[base] == 1:
            labels.append(base)
        elif feed != base and shared_feed[feed] == 1:
            labels.append(feed)
        else:
            labels.append(f"{base} · {readable_name(own_name(dump), number)}")
    still = count_by(labels)  # two files named alike but for the date prefix's separator
    return [
        label if still[label] == 1 else f"{base} · {dump.file or dump.name}"
        for dump, base, label in zip(dumps, bases, labels, strict=True)
    ]


# A file stem no one chose to read ("001_2330d60cc52b9a08"): a run of 12+ hex digits with
# letters and digits both (not a timestamp such as "export-202403131200").
MACHINE_NAME = re.compile(r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,}", re.IGNORECASE)


def readable_name(name: str, number: int) -> str:
    """A dump's file stem, or "Dump N" (its place) for a stem that is a machine's hash."""
    return f"Dump {number}" if MACHINE_NAME.search(name) else name


def own_name(dump: DumpSummary) -> str:
    """A dump's file stem without the date prefix `sitegen add` gave it (the name it came with)."""
    return DATE_PREFIX.sub("", dump.name).lstrip("-_ ") or dump.file or dump.name


def dump_infos(dumps: list[DumpSummary], added: dict[str, int]) -> tuple[DumpInfo, ...]:
    """The dumps in project order (oldest first), with labels and URL segments.

    Project order (sitegen.ingest.read_dumps) puts the undated dumps first, by file name,
    then the dated ones by date: "newest first" lists dated dumps by date, undated last.
    """
    taken: set[str] = set()
    infos = []
    for number, (dump, label) in enumerate(zip(dumps, dump_labels(dumps), strict=True), start=1):
        readable = dump.date or dump.listing_date or dump.name
        slug = urls.segment(readable, taken, fallback=dump.name)
        infos.append(
            DumpInfo(
                name=dump.name,
                slug=slug,
                url=urls.dump_url(slug),
                label=label,
                date=dump.date,
                number=number,
                entries=dump.entries,
                added=added.get(dump.name, 0),
                file=dump.file or dump.name,
            )
        )
    return tuple(infos)


def theme_infos(project: Project, members: dict[str, list[str]]) -> tuple[ThemeInfo, ...]:
    """Taxonomy themes in navigation order, then folders the taxonomy does not name."""
    primary = count_by([paper.theme for paper in project.papers])
    known = project.taxonomy.slugs()
    extra = sorted(slug for slug in members if slug not in known)
    taken: set[str] = set()
    infos = []
    for slug in [*known, *extra]:
        theme = project.taxonomy.get(slug)
        infos.append(
            ThemeInfo(
                slug=slug,
                title=theme.title if theme else title_from_slug(slug),
                description=theme.description if theme else "",
                url=urls.theme_url(urls.segment(slug, taken)),
                count=len(members.get(slug, ())),
                primary=primary.get(slug, 0),
            )
        )
    return tuple(infos)


def tag_infos(members: dict[str, list[str]]) -> tuple[TagInfo, ...]:
    """Every tag in name order with its URL."""
    taken: set[str] = set()
    infos = []
    for name in sorted(members):
        slug = urls.segment(name, taken, fallback="tag")
        infos.append(TagInfo(name, slug, urls.tag_url(slug), len(members[name])))
    return tuple(infos)


def timeline(dumps: list[DumpSummary], added: dict[str, int]) -> tuple[TimelineEntry, ...]:
    """Papers added per dump, in dump order, with the running total."""
    entries = []
    total = 0
    for dump in dumps:
        total += added.get(dump.name, 0)
        entries.append(TimelineEntry(dump.name, dump.entries, added.get(dump.name, 0), total))
    return tuple(entries)


def members_of(papers: list[Paper], field: str) -> dict[str, list[str]]:
    """Slugs of the papers under each value of a tuple field (themes or tags), in paper order."""
    members: dict[str, list[str]] = {}
    for paper in papers:
        for value in getattr(paper, field):
            members.setdefault(value, []).append(paper.slug)
    return members


def build_library(
    project: Project, base_url: str = "", discovery: Discovery | None = None
) -> Library:
    """Index the project: papers, sections and every relation, all keyed by id. O(N log N)."""
    papers = {paper.slug: paper for paper in project.papers}
    adder = project.adders
    ranks = listed_ranks(project.listings, adder)
    added = count_by(list(adder.values()))
    dumps = dump_infos(project.dumps, added)
    theme_members = members_of(project.papers, "themes")
    themes = theme_infos(project, theme_members)
    tag_members = members_of(project.papers, "tags")
    tags = tag_infos(tag_members)
    dump_order = {dump.name: i for i, dump in enumerate(project.dumps)}
    titles = {slug: sort_title(paper.title) for slug, paper in papers.items()}

    def newest_first(slug: str) -> tuple[int, str, str]:
        """Newest first: by the dump that added the paper (a paper no dump added is oldest),
        then by title. A new dump's papers go before all others and a paper listed again
        keeps its place, so a growing list only grows at its front (views.listing pages it
        from the oldest end, so its older pages never change)."""
        return (-dump_order.get(adder.get(slug, ""), -1), titles[slug], slug)

    def by_title(slug: str) -> tuple[str, str]:
        """A–Z order."""
        return (titles[slug], slug)

    def as_listed(slug: str) -> tuple[int, str, str]:
        """The feed's own (trending) order: the best signal of what mattered that day."""
        return (ranks.get(slug, 1 << 30), *by_title(slug))

    sections: dict[SectionKey, Section] = {}
    for theme in themes:
        key = SectionKey.theme(theme.slug)

        def filed_here_first(slug: str, here: str = theme.slug) -> tuple[int, bool, str, str]:
            """Newest dump first; in each dump's papers, those filed under the theme before
            those cross-listed in it (as arXiv lists a day's new papers, then its cross-lists)."""
            newest, *rest = newest_first(slug)
            return (newest, papers[slug].theme != here, *rest)

        slugs = sorted(theme_members.get(theme.slug, []), key=filed_here_first)
        sections[key] = Section(key, theme.title, theme.url, tuple(slugs))
    dump_members = members_of_dump(adder)
    for dump in dumps:
        key = SectionKey.dump(dump.name)
        slugs = sorted(dump_members.get(dump.name, []), key=as_listed)
        sections[key] = Section(key, dump.label, dump.url, tuple(slugs))
    for tag in tags:
        key = SectionKey.tag(tag.name)
        slugs = sorted(tag_members[tag.name], key=newest_first)
        sections[key] = Section(key, tag.name, tag.url, tuple(slugs))
    a_to_z = tuple(sorted(papers, key=by_title))
    sections[AZ_KEY] = Section(AZ_KEY, "All papers", urls.AZ, a_to_z)
    return Library(
        config=project.config,
        base_url=base_url,
        papers=papers,
        themes=themes,
        dumps=dumps,
        tags=tags,
        sections=sections,
        added_by=adder,
        listed_rank=ranks,
        arrival=project.arrival,
        letters=by_letter(a_to_z, titles),
        timeline=timeline(project.dumps, added),
        theme_by_slug={theme.slug: theme for theme in themes},
        discovery=discovery,
    )


def listed_ranks(
    listings: Mapping[str, tuple[str, ...]], adder: Mapping[str, str]
) -> dict[str, int]:
    """Each paper's 1-based place in the listing of the dump that added it."""
    places = {
        dump: {slug: place for place, slug in enumerate(slugs, start=1)}
        for dump, slugs in listings.items()
    }
    return {
        slug: places[dump][slug] for slug, dump in adder.items() if slug in places.get(dump, {})
    }


def members_of_dump(adder: dict[str, str]) -> dict[str, list[str]]:
    """The papers each dump added."""
    members: dict[str, list[str]] = {}
    for slug, dump in adder.items():
        members.setdefault(dump, []).append(slug)
    return members
