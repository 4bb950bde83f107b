"""The library: section order, dump additions, A–Z, and each relation computed once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.catalog import Paper
from sitegen.dumps import Dump, Entry
from sitegen.model.library import (
    AZ_KEY,
    Library,
    SectionKey,
    build_library,
    letter_of,
    sort_title,
)
from sitegen.project import Project, SiteConfig
from sitegen.themes import Taxonomy, Theme


def paper(slug: str, title: str, theme: str, dumps: tuple[str, ...], **extra: object) -> Paper:
    """A Paper with sensible defaults."""
    themes = extra.pop("themes", (theme,))
    return Paper(
        slug=slug,
        title=title,
        abstract=str(extra.pop("abstract", f"About {title}. Second sentence. Third one.")),
        notes="",
        theme=theme,
        themes=themes,  # type: ignore[arg-type]
        dumps=dumps,
        links=(),
        tags=tuple(extra.pop("tags", ())),  # type: ignore[arg-type]
        status=str(extra.pop("status", "")),
        meta=dict(extra.pop("meta", {})),  # type: ignore[call-overload]
        source=f"papers/{theme}/{slug}.md",
    )


def project(papers: list[Paper], per_page: int = 50) -> Project:
    """A project of these papers over two dumps and two themes."""
    dumps = [
        Dump("2024-01-01-old", "2024-01-01", None, "spaced", (Entry("x", "y", 1),)),
        Dump("new dump", None, "Mar 13", "spaced", ()),
    ]
    taxonomy = Taxonomy((Theme("alpha", "Alpha", "First."), Theme("beta", "Beta", "Second.")))
    config = SiteConfig(per_page=per_page)
    return Project(Path("/nowhere"), config, taxonomy, [d.summary() for d in dumps], papers, [])


def small_library() -> Library:
    """A small library: alpha has an old and a new paper plus one cross-listed from beta."""
    papers = [
        paper("zeta", "Zeta paper", "alpha", ("2024-01-01-old",)),
        paper("apple", "apple paper", "alpha", ("2024-01-01-old",)),
        paper("newest", "Newest", "alpha", ("2024-01-01-old", "new dump"), tags=["x y"]),
        paper("cross", "Cross", "beta", ("new dump",), themes=("beta", "alpha")),
        paper("digits", "3D things", "beta", ()),
    ]
    return build_library(project(papers))


@pytest.fixture
def library() -> Library:
    """small_library()."""
    return small_library()


def test_theme_order_is_newest_dump_first_then_filed_here_then_title(
    library,  # noqa: ANN001
) -> None:
    # "cross" came with the newest dump; "newest" came with the old one and was listed
    # again, which keeps its place: a list only grows at its front.
    assert library.section(SectionKey.theme("alpha")).slugs == ("cross", "apple", "newest", "zeta")
    assert [(t.slug, t.count, t.primary) for t in library.themes] == [
        ("alpha", 4, 3),
        ("beta", 2, 2),
    ]


def test_dumps_get_labels_safe_urls_and_their_additions(library) -> None:  # noqa: ANN001
    old, new = library.dumps
    assert (old.label, old.url, old.added) == ("Jan 1, 2024", "dumps/2024-01-01/", 3)
    assert (new.label, new.url, new.added) == ("Mar 13", "dumps/mar-13/", 1)
    assert not old.undated and new.undated
    assert library.section(SectionKey.dump("new dump")).slugs == ("cross",)


def test_a_to_z_ignores_case_and_files_digits_under_hash(library) -> None:  # noqa: ANN001
    assert library.section(AZ_KEY).slugs == ("digits", "apple", "cross", "newest", "zeta")
    assert letter_of("3D things") == "#" and letter_of("Ångström") == "A"
    # The same order, grouped by the letter each title files under (views.pages' A–Z pages).
    by_letter: dict[str, list[str]] = {}
    for slug in library.section(AZ_KEY).slugs:
        by_letter.setdefault(letter_of(library.papers[slug].title), []).append(slug)
    assert library.letters == tuple((k, tuple(v)) for k, v in by_letter.items())
    assert [letter for letter, _ in library.letters] == ["#", "A", "C", "N", "Z"]


def test_the_dump_that_added_a_paper_is_its_recorded_one_even_if_an_older_dump_lists_it() -> None:
    # Dump "2024-01-01-old" is dated first but was ingested after "new dump" had added
    # "one": ingest recorded `added: new dump`, so that dump added it, on every page.
    papers = [
        paper("one", "One", "alpha", ("2024-01-01-old", "new dump"), meta={"added": "new dump"}),
        paper("two", "Two", "alpha", ("new dump",), meta={"added": "new dump"}),
        paper("three", "Three", "alpha", ("2024-01-01-old",), meta={"added": "2024-01-01-old"}),
        paper("hand", "Hand-made", "beta", ("2024-01-01-old",)),  # no record: first listing
        paper("gone", "Gone", "beta", ("new dump",), meta={"added": "deleted dump"}),
    ]
    library = build_library(project(papers))
    assert dict(library.added_by) == {
        "one": "new dump",
        "two": "new dump",
        "three": "2024-01-01-old",
        "hand": "2024-01-01-old",
        "gone": "new dump",
    }
    old, new = library.dumps
    assert (old.added, new.added) == (2, 3)
    assert library.section(SectionKey.dump("new dump")).slugs == ("gone", "one", "two")
    assert [(e.dump, e.added, e.total) for e in library.timeline] == [
        ("2024-01-01-old", 2, 2),
        ("new dump", 3, 5),
    ]


def test_timeline_counts_entries_listed_and_papers_without_a_dump_count_nowhere() -> None:
    papers = [paper("a", "A", "alpha", ()), paper("b", "B", "alpha", ("2024-01-01-old",))]
    entries = build_library(project(papers)).timeline
    assert [(e.dump, e.listed, e.added, e.total) for e in entries] == [
        ("2024-01-01-old", 1, 1, 1),
        ("new dump", 0, 0, 1),
    ]


def test_the_library_is_frozen(library: Library) -> None:
    with pytest.raises(AttributeError):
        library.papers = {}  # type: ignore[misc]


def test_a_dump_lists_what_it_added_in_the_feeds_order_with_each_papers_rank() -> None:
    papers = [paper(s, s.title(), "alpha", ("2024-01-01-old",)) for s in ("b", "a", "c", "known")]
    listed = replace(project(papers), listings={"2024-01-01-old": ("known", "c", "a", "b")})
    library = build_library(listed)
    assert library.section(SectionKey.dump("2024-01-01-old")).slugs == ("known", "c", "a", "b")
    assert library.listed_rank == {"known": 1, "c": 2, "a": 3, "b": 4}


def test_a_new_dump_only_adds_to_the_front_of_theme_and_tag_lists() -> None:
    old = [paper(f"o{i}", f"Old {i}", "alpha", ("2024-01-01-old",), tags=["t"]) for i in range(5)]
    old.append(paper("x", "Cross old", "beta", ("2024-01-01-old",), themes=("beta", "alpha")))
    before = build_library(project(old))
    listed_again = [replace(p, dumps=(*p.dumps, "new dump")) for p in old[:2]]
    new = [paper(f"n{i}", f"New {i}", "alpha", ("new dump",), tags=["t"]) for i in range(3)]
    new.append(paper("y", "Cross new", "beta", ("new dump",), themes=("beta", "alpha")))
    after = build_library(project([*listed_again, *old[2:], *new]))
    for key in (SectionKey.theme("alpha"), SectionKey.tag("t")):
        grown, kept = after.section(key).slugs, before.section(key).slugs
        assert grown[len(grown) - len(kept) :] == kept, key
    # In each dump's papers, those filed here come before those cross-listed.
    assert after.section(SectionKey.theme("alpha")).slugs[:4] == ("n0", "n1", "n2", "y")


def test_dumps_added_on_one_day_get_labels_that_tell_them_apart() -> None:
    def dump(name: str, listing_date: str | None) -> Dump:
        return Dump(name, name[:10], listing_date, "spaced", ())

    dumps = [
        dump("2026-12-03-000_77a7", "Mar 13"),
        dump("2026-12-03-001_2330", None),
        dump("2026-12-03-002_38f6", "Mar 12"),
        dump("2026-12-03-003_9e65", "Mar 12"),  # the same listing date as the one before
        dump("2026-12-04-mine", "Mar 14"),  # alone on its day: its date is enough
        Dump("undated", None, "Mar 13", "spaced", ()),
        Dump("undated-too", None, "Mar 13", "spaced", ()),
    ]
    papers = [paper("p", "P", "alpha", ("2026-12-04-mine",))]
    base = project(papers)
    library = build_library(replace(base, dumps=[d.summary() for d in dumps]))
    assert [d.label for d in library.dumps] == [
        "Dec 3, 2026 · Mar 13",
        "Dec 3, 2026 · 001_2330",
        "Dec 3, 2026 · 002_38f6",
        "Dec 3, 2026 · 003_9e65",
        "Dec 4, 2026",
        "Mar 13 · undated",
        "Mar 13 · undated-too",
    ]
    assert len({d.url for d in library.dumps}) == len(dumps)


def test_a_dump_named_by_a_hash_is_labelled_by_its_place() -> None:
    names = ("001_2330d60cc52b9a08", "week 12", "export-202403131200")
    dumps = [Dump(name, None, None, "spaced", ()) for name in names]
    dumps += [
        Dump(f"2026-03-13-{h}", "2026-03-13", None, "spaced", ())
        for h in ("77aa0d60cc52b9a0", "2330d6aa0c52b9a0")
    ]
    library = build_library(replace(project([]), dumps=[d.summary() for d in dumps]))
    assert [d.label for d in library.dumps] == [
        "Dump 1",
        "week 12",
        "export-202403131200",  # a timestamp a person may read
        "Mar 13, 2026 · Dump 4",
        "Mar 13, 2026 · Dump 5",
    ]


def first_sort_title(title: str) -> str:
    """sort_title as first written: every title through NFKD."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9 ]+", "", folded).strip() or title.casefold()


@given(
    st.text(alphabet=st.sampled_from("aZ z0-_.éÉßﬁİ\u0301\u00a0Ωµ"), max_size=12)
    | st.text(max_size=12)
)
def test_sort_title_is_the_first_versions(title: str) -> None:
    # ASCII titles skip NFKD, which leaves them as they are: the same keys for every title.
    assert sort_title(title) == first_sort_title(title)
