"""Invalidation keys (sitegen.build.keys): what each covers."""

from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st
from test_build_incremental import make_site, page_paths

from sitegen.build import BuildOptions, ingest_and_build
from sitegen.build.keys import PICKLE_PROTOCOL, PaperPageKeys, pickle_digest
from sitegen.cache import BuildCache, digest
from sitegen.catalog import Paper
from sitegen.model.discovery import Discovery, LazyColumn, Related
from sitegen.model.library import Library, SectionKey, TagInfo
from sitegen.views.context import PaperCard
from sitegen.views.listing import Cards
from sitegen.views.pages import NEIGHBOURS


def test_a_paper_in_a_second_themes_list_is_placed_in_its_own_themes(tmp_path: Path) -> None:
    # A theme's list also holds the papers it is a second theme of. A paper's page shows its
    # neighbours in its primary theme's list, so its key must read that list, whichever
    # theme's pages were keyed first (pages are walked theme by theme).
    make_site(tmp_path)
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    pages = page_paths(tmp_path)
    folders = sorted({page.parent.name for page in pages})
    first = next(t.slug for t in result.model.site.library.themes if t.slug in folders)
    listed = next(page for page in pages if page.parent.name != first)
    listed.write_text(listed.read_text().replace("---\n", f"---\nthemes: [{first}]\n", 1))
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    site = result.model.site
    library = site.library
    assert listed.stem in library.section(SectionKey.theme(first)).slugs
    keys = PaperPageKeys.of(site, "stamp")
    for slug in library.section(SectionKey.theme(first)).slugs:  # that theme's pages first
        if library.papers[slug].theme == first:
            keys.key(slug)
    own = library.section(SectionKey.theme(listed.parent.name)).slugs
    assert keys.place(listed.stem) == (own.index(listed.stem), tuple(own))


def test_discovery_key_reads_titles_abstracts_and_the_base_only() -> None:
    from dataclasses import replace

    from sitegen.build.keys import discovery_key
    from sitegen.catalog import Paper

    def paper(slug: str, title: str, abstract: str = "An abstract.") -> Paper:
        return Paper(slug, title, abstract, "", "t", ("t",), (), (), (), "", {}, f"t/{slug}.md")

    papers = [paper("a", "A title"), paper("b", "B title")]
    key = discovery_key(papers, {"a"})
    assert discovery_key(list(reversed(papers)), {"a"}) == key  # in slug order
    noted = [replace(papers[0], notes="Mine.", theme="u"), papers[1]]
    assert discovery_key(noted, {"a"}) == key  # notes and theme: not read
    assert discovery_key([paper("a", "A title."), papers[1]], {"a"}) != key
    assert discovery_key([papers[0], paper("b", "B title", "Other.")], {"a"}) != key
    assert discovery_key(papers, {"a", "b"}) != key
    # Parts don't run into each other: a text moved from one paper's field to the next.
    assert discovery_key([paper("a", "x", "y z")], ()) != discovery_key(
        [paper("a", "x y", "z")], ()
    )


def test_a_pages_text_key_is_what_discovery_key_would_hash_of_its_paper(tmp_path: Path) -> None:
    from dataclasses import replace

    from sitegen.build.keys import discovery_key
    from sitegen.catalog import make_paper, read_page

    folder = tmp_path / "content" / "papers" / "t"
    folder.mkdir(parents=True)
    page = folder / "a.md"
    # A title over two lines and notes after the abstract: the paper's title is one line,
    # and its abstract stops at the notes (both as make_paper makes them).
    page.write_text("---\ntitle: |-\n  A  long\n  title\n---\n\nAbstract.\n\n## Notes\n\nMine.\n")
    paper = make_paper(read_page(page, page.read_bytes()), (), tmp_path / "content")
    assert paper.text_key and (paper.title, paper.abstract) == ("A long title", "Abstract.")
    by_hand = replace(paper, page_key="", text_key="")
    assert discovery_key([paper], ()) == discovery_key([by_hand], ())
    assert discovery_key([paper], ()) != discovery_key([replace(by_hand, abstract="Other.")], ())
    # Changed by replace as the rule on Paper.page_key says: its old text_key is not trusted.
    changed = replace(paper, abstract="Other.", page_key="")
    assert discovery_key([changed], ()) == discovery_key([replace(by_hand, abstract="Other.")], ())


def test_a_paper_pages_key_reads_its_related_papers_and_key_terms_as_discovery_keeps_them(
    tmp_path: Path,
) -> None:
    # The key reads a paper's related papers and key terms as the JSON text discovery keeps
    # (a build's LazyColumn), or encodes them alike (a Discovery made in memory): the same
    # discovery gives the same keys either way, and a change to any field of a related
    # paper (model.discovery.related_rows lists them), or to a key term, changes the key.
    make_site(tmp_path)
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    site = result.model.site
    lazy = site.library.discovery
    assert lazy is not None and isinstance(lazy.related, LazyColumn)
    made = Discovery(
        dict(lazy.key_terms.items()), dict(lazy.related.items()), dict(lazy.points.items())
    )

    def keys_with(discovery: Discovery) -> dict[str, str]:
        changed = replace(site, library=replace(site.library, discovery=discovery))
        keys = PaperPageKeys.of(changed, "stamp")
        return {slug: keys.key(slug) for slug in site.library.papers}

    before = keys_with(lazy)
    assert keys_with(made) == before
    slug = next(slug for slug, related in made.related.items() if related)
    first, *rest = made.related[slug]
    assert [f.name for f in fields(Related)] == ["slug", "score", "shared_terms"]
    for other in (
        replace(first, slug=next(s for s in site.library.papers if s != first.slug)),
        replace(first, score=first.score + 0.01),
        replace(first, shared_terms=(*first.shared_terms, "another")),
    ):
        related = {**made.related, slug: (other, *rest)}
        assert keys_with(replace(made, related=related))[slug] != before[slug]
    terms = {**made.key_terms, slug: (*made.key_terms.get(slug, ()), "another")}
    assert keys_with(replace(made, key_terms=terms))[slug] != before[slug]
    # A related paper's card (its title, here) is shown on the page too: one that is not
    # among the page's neighbours in its theme's list (whose cards the key reads anyway).
    keys = PaperPageKeys.of(site, "stamp")

    def neighbours(slug: str) -> tuple[str, ...]:
        position, slugs = keys.place(slug)
        return slugs[max(0, position - NEIGHBOURS) : position + NEIGHBOURS + 1]

    page, shown = next(
        (page, r.slug)
        for page, related in made.related.items()
        for r in related
        if r.slug not in neighbours(page)
    )
    retitled = replace(site.library.papers[shown], title="Another title", page_key="")
    library = replace(site.library, papers={**site.library.papers, shown: retitled})
    changed = PaperPageKeys.of(replace(site, library=library, cards=Cards(library)), "stamp")
    assert changed.key(page) != before[page]


def test_a_cards_key_changes_whenever_its_card_does_and_makes_no_card(tmp_path: Path) -> None:
    # A card's key hashes what the card is made of (Cards.made_of), each dump and tag by a
    # key made once, and makes no card. Any change to the paper, its theme, a dump or a tag
    # that changes its card changes the key; notes, which no card shows, don't.
    make_site(tmp_path)
    _, result = ingest_and_build(tmp_path, BuildOptions(tmp_path / "site"), BuildCache())
    site = result.model.site
    slug = next(s for s in site.library.papers if site.library.papers[s].dumps)
    tag = TagInfo("a tag", "a-tag", "/tags/a-tag/", 1)
    paper = replace(site.library.papers[slug], tags=("a tag",), status="read", page_key="")
    base = replace(site.library, tags=(*site.library.tags, tag))

    def made(library: Library, changed: Paper) -> tuple[str, PaperCard, Cards]:
        library = replace(library, papers={**library.papers, slug: changed})
        cards = Cards(library)
        key = PaperPageKeys.of(replace(site, library=library, cards=cards), "stamp").card(slug)
        assert cards.made == {}  # the key made no card
        return key, cards[slug], cards

    before, card, _ = made(base, paper)
    variants = [(base, replace(paper, **{f: getattr(paper, f) + "x"})) for f in TEXT_FIELDS]
    variants += [(base, replace(paper, tags=())), (base, replace(paper, dumps=paper.dumps[:0]))]
    theme = base.theme(paper.theme)
    for f in ("title", "url"):
        other = replace(theme, **{f: getattr(theme, f) + "x"})
        variants.append(
            (replace(base, theme_by_slug={**base.theme_by_slug, theme.slug: other}), paper)
        )
    dump = next(d for d in base.dumps if d.name == paper.dumps[0])
    for info, name in ((dump, "dumps"), (tag, "tags")):
        for f in fields(info):
            value = getattr(info, f.name)
            other = value + 1 if isinstance(value, int) else f"{value}x"
            infos = tuple(
                replace(i, **{f.name: other}) if i is info else i for i in getattr(base, name)
            )
            renamed = info is tag and f.name == "name"  # the paper names its tags
            variants.append(
                (
                    replace(base, **{name: infos}),
                    replace(paper, tags=(other,)) if renamed else paper,
                )
            )
    shown = 0
    for library, changed in variants:
        key, other_card, _ = made(library, changed)
        if other_card != card:  # (an abstract's end, past the excerpt, changes the key only)
            assert key != before, (changed, other_card)
            shown += 1
    assert shown == len(variants) - 5  # but notes, source, page_key, text_key, the abstract
    assert made(base, replace(paper, notes="other notes"))[0] == before


TEXT_FIELDS = ("title", "abstract", "notes", "status", "source", "page_key", "text_key")


def test_seen_elsewhere_reads_added_as_the_project_does() -> None:
    # `added:` names the dump that added a paper, read as text (project.added_by): 1 and
    # true are equal values but different dumps ("1", "True"), so a quick build that kept
    # the arrival order of before would be wrong; None and "" are both "no dump".
    from sitegen.build.keys import seen_elsewhere
    from sitegen.project import added_by

    base = Paper(
        slug="a", title="A", abstract="x", theme="t", themes=("t",), dumps=(), links=(),
        tags=(), status="", notes="", meta={}, source="papers/t/a.md",
    )  # fmt: skip
    one, true = replace(base, meta={"added": 1}), replace(base, meta={"added": True})
    dumps = [SimpleNamespace(name="1"), SimpleNamespace(name="True")]
    assert added_by([one], dumps) == {"a": "1"} and added_by([true], dumps) == {"a": "True"}
    assert seen_elsewhere(one) != seen_elsewhere(true)
    assert seen_elsewhere(replace(base, meta={"added": None})) == seen_elsewhere(base)


def reference_digest(value: object, *parts: str) -> str:
    """pickle_digest as first written: SHA-256 of the parts' digest, then the pickle
    written without a memo."""

    written = io.BytesIO()
    pickler = pickle.Pickler(written, PICKLE_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)
    return hashlib.sha256(digest(*parts).encode() + written.getvalue()).hexdigest()[:32]


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
        max_leaves=12,
    ),
    st.lists(st.text(max_size=8), max_size=3),
)
def test_a_pickle_digest_is_the_hash_of_its_parts_and_pickle(value: object, parts: list) -> None:
    # Hashing starts from the parts' hash made once (hashed_parts, copied) and writes the
    # pickle straight into the hash: the same keys as hashing it all afresh, every time.
    for _ in range(2):
        assert pickle_digest(value, *parts, unshared=True) == reference_digest(value, *parts)


def test_keys_warmed_on_the_listing_model_are_those_of_the_whole_model(tmp_path: Path) -> None:
    # While discovery runs in another process, a build makes the papers' card keys and places
    # from the model without it (PaperPageKeys.warm): the whole model's keys are the same.
    from sitegen.build.model import listing_model
    from sitegen.project import load_project

    make_site(tmp_path)
    options, cache = BuildOptions(tmp_path / "site"), BuildCache()
    _, result = ingest_and_build(tmp_path, options, cache)
    site, stamp = result.model.site, cache.stamp
    listing = listing_model(load_project(tmp_path, cache), options, cache).site
    assert listing.library.discovery != site.library.discovery
    warmed = PaperPageKeys.of(listing, stamp)
    warmed.warm()
    assert len(warmed.cards) == len(warmed.places) == len(site.library.papers)
    keys = warmed.for_site(site)
    assert keys.cards is warmed.cards
    fresh = PaperPageKeys.of(site, stamp)
    assert {s: keys.key(s) for s in site.library.papers} == {
        s: fresh.key(s) for s in site.library.papers
    }
