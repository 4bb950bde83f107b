"""The catalogue: identity of titles, pages and the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.catalog import (
    LEDGER_VERSION,
    Ledger,
    LedgerEntry,
    Page,
    dump_listings,
    dump_membership,
    format_ledger,
    parse_page,
    read_ledger,
    read_pages,
    render_page,
    split_body,
    title_key,
)
from sitegen.dumps import Dump, Entry
from sitegen.errors import SitegenError


def test_title_key_ignores_case_space_punctuation_and_unicode_forms() -> None:
    assert title_key("VIOLET : End-to-End Video") == title_key("Violet: end-to-end  video")
    assert title_key("Ｆｕｌｌｗｉｄｔｈ Ｎｅｔ") == title_key("fullwidth net")
    assert title_key("Café") == title_key("Cafe\u0301")
    assert title_key("Deep Nets") != title_key("Deeper Nets")


def test_page_round_trip_and_body_split(tmp_path: Path) -> None:
    text = render_page('A "quoted": title', "a-quoted-title", "The abstract.", {"added": "d1"})
    page = parse_page(text + "\n## Notes\n\nMine.\n", tmp_path / "x.md", "theory")
    assert page.title == 'A "quoted": title'
    assert page.slug == "a-quoted-title"
    assert page.meta["added"] == "d1"
    assert split_body(page.body) == ("The abstract.", "## Notes\n\nMine.")


def test_a_papers_abstract_is_its_pages_body_not_a_copy(tmp_path: Path) -> None:
    from sitegen.catalog import make_paper

    text = render_page("A title", "a-title", "The abstract,\non two lines.", {})
    page = parse_page(text + "\n\n", tmp_path / "content" / "papers" / "t" / "a.md", "t")
    paper = make_paper(page, (), tmp_path / "content")
    assert paper.abstract == "The abstract,\non two lines." and paper.abstract is page.body
    # A body that ends in an empty heading still has its notes split off there.
    for ending in ("\n#\n", "\n## \n"):
        page = parse_page(text + ending, tmp_path / "content" / "papers" / "t" / "a.md", "t")
        assert split_body(page.body)[0] == "The abstract,\non two lines."


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("no front matter\n", 1, "missing front matter"),
        ("---\ntitle: x\n", 1, "not closed"),
        # an unclosed [ is named at its own line, not where YAML gave up
        (
            "---\ntitle: x\nslug: [unclosed\n---\nbody\n",
            3,
            "front matter: flow sequence never closed",
        ),
        ("---\n- a list\n---\n", 2, "mapping"),
        ("---\nslug: no-title\n---\n", 2, "no title"),
        ("---\ntitle: T\nslug: Bad Slug\n---\n", 2, "slug"),
        # A field shown as text whose YAML is none: refused at its line, not shown as a repr.
        ("---\ntitle: [a, b]\n---\n", 2, "title must be text, not a list"),
        ("---\nslug: s\ntitle: yes\n---\n", 3, "title must be text, not true (YAML reads"),
        ("---\ntitle: T\ntags: {a: 1}\n---\n", 3, "tags must be text or a list of texts, not a"),
        ("---\ntitle: T\n\ntags: [[a, b]]\n---\n", 4, "not a list holding a list"),
        ("---\ntitle: T\ntags: [a, null]\n---\n", 3, "not a list holding an empty item"),
        ("---\ntitle: T\nnotes: [1, 2]\n---\n", 3, "notes must be text, not a list"),
        ("---\ntitle: T\nstatus: [read]\n---\n", 3, "status must be text, not a list"),
        ("---\ntitle: T\nthemes: [a, {b: 1}]\n---\n", 3, "themes must be text or a list"),
    ],
)
def test_bad_pages_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(SitegenError) as info:
        parse_page(text, tmp_path / "p.md", "t")
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "p.md"))


def test_text_fields_take_numbers_dates_and_lists_of_texts(tmp_path: Path) -> None:
    text = "---\ntitle: 2024\ntags: [a, 5, 2024-01-02]\nthemes: x\nnotes:\nstatus: read\n---\nB\n"
    page = parse_page(text, tmp_path / "p.md", "t")
    assert page.title == "2024" and page.meta["notes"] is None


def test_read_pages_refuses_duplicate_slugs(tmp_path: Path) -> None:
    for theme in ("a", "b"):
        (tmp_path / theme).mkdir()
        (tmp_path / theme / "x.md").write_text("---\ntitle: T\n---\n")
    with pytest.raises(SitegenError, match="also used by"):
        read_pages(tmp_path)


def test_ledger_round_trip_is_deterministic(tmp_path: Path) -> None:
    ledger = Ledger({"b": LedgerEntry("b-slug", "theory"), "a": LedgerEntry("a", "graphs")})
    text = format_ledger(ledger)
    path = tmp_path / "ingested.json"
    path.write_text(text)
    assert read_ledger(path) == ledger
    assert format_ledger(read_ledger(path)) == text
    assert text.index('"a"') < text.index('"b"')


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("{not json", "damaged ingest ledger (not JSON: Expecting property name", 1),
        ('{\n"papers": {},\n]', "damaged ingest ledger (not JSON", 3),
        ("[]", 'damaged ingest ledger (not {"version": …, "papers"', None),
        ('{"papers": {"k": {"slug": "s"}}}', 'damaged ingest ledger (not {"version"', None),
        ('{"version": "two", "papers": {}}', 'damaged ingest ledger (not {"version"', None),
        ('{"version": 99, "papers": {}}', "ingest ledger version 99 is newer than this", None),
    ],
)
def test_damaged_ledger_is_a_clear_error(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    path = tmp_path / "ingested.json"
    path.write_text(text)
    with pytest.raises(SitegenError) as caught:
        read_ledger(path)
    assert caught.value.message.startswith(message) and caught.value.line == line
    assert "object has no attribute" not in caught.value.message


def test_dump_listings_keep_the_feeds_order_and_membership_follows_from_them() -> None:
    ledger = Ledger({title_key("Old Title"): LedgerEntry("renamed", "theory")})
    pages = [
        Page(Path("/p/theory/renamed.md"), "theory", "renamed", {"title": "New title"}, ""),
        Page(Path("/p/graphs/g.md"), "graphs", "g", {"title": "Graphs!"}, ""),
    ]
    entries = (Entry("graphs", "x", 1), Entry("OLD  title", "x", 3), Entry("Graphs", "x", 5))
    dumps = [
        Dump("d1", None, None, "spaced", entries),
        Dump("d2", None, None, "spaced", entries[:1]),
    ]
    listings = dump_listings(dumps, ledger, pages)
    assert listings == {"d1": ("g", "renamed"), "d2": ("g",)}
    assert dump_membership(listings) == {"g": ["d1", "d2"], "renamed": ["d1"]}


def test_a_pages_source_is_its_path_under_content_or_else_its_name() -> None:
    from sitegen.catalog import source_of

    content = Path("/lists/mine/content")
    assert source_of(content / "papers" / "nlp" / "a.md", content) == "papers/nlp/a.md"
    assert source_of(Path("content/papers/nlp/a.md"), Path("content")) == "papers/nlp/a.md"
    assert source_of(Path("papers/nlp/a.md"), Path(".")) == "papers/nlp/a.md"
    assert source_of(Path("/lists/mine/contents/a.md"), content) == "a.md"  # not a prefix
    assert source_of(Path("/elsewhere/a.md"), content) == "a.md"
    assert source_of(Path("/elsewhere/a.md"), Path(".")) == "a.md"  # absolute, not in "."
    assert source_of(content, content) == "content"  # the folder itself: not inside it


def test_page_files_are_the_inputs_under_theme_folders_in_path_order(tmp_path: Path) -> None:
    from sitegen.catalog import page_files

    papers = tmp_path / "papers"
    for name in ("b/z.md", "b/a.md", "a/m.md", ".git/x.md", "a/.#m.md", "a/m.md~", "a/n.txt"):
        (papers / name).parent.mkdir(parents=True, exist_ok=True)
        (papers / name).write_text("x")
    (papers / "top.md").write_text("x")  # not in a theme folder
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "l.md").write_text("x")
    (papers / "linked").symlink_to(tmp_path / "elsewhere")  # a linked theme folder is read
    found = [Path(p).relative_to(papers).as_posix() for p in page_files(papers)]
    assert found == ["a/m.md", "b/a.md", "b/z.md", "linked/l.md"]
    assert page_files(tmp_path / "missing") == []


def test_a_paper_carries_its_pages_content_key(tmp_path: Path) -> None:
    from sitegen.build.keys import PageInputs
    from sitegen.catalog import make_paper, read_page
    from sitegen.known import content_key

    folder = tmp_path / "content" / "papers" / "theory"
    folder.mkdir(parents=True)
    data = render_page("A title", "a-title", "The abstract.", {}).encode()
    path = folder / "a-title.md"
    page = read_page(path, data)
    assert page.key == content_key(path, data)
    paper = make_paper(page, ("d1",), tmp_path / "content")
    assert paper.page_key == page.key
    # Its own page's input key: its page and its dumps, what the paper is made from.
    edited = make_paper(read_page(path, data + b"\nA note.\n"), ("d1",), tmp_path / "content")
    later = make_paper(page, ("d1", "d2"), tmp_path / "content")
    keys = {
        PageInputs("site", {"a-title": p}).key("paper", "a-title") for p in (paper, edited, later)
    }
    assert len(keys) == 3


@given(st.dictionaries(st.text(), st.tuples(st.text(), st.text()), max_size=8))
def test_ledger_text_is_a_json_dumps_per_line(papers: dict[str, tuple[str, str]]) -> None:
    ledger = Ledger({key: LedgerEntry(slug, theme) for key, (slug, theme) in papers.items()})
    rows = [
        f"    {json.dumps(key)}: " + json.dumps({"slug": slug, "theme": theme}, ensure_ascii=False)
        for key, (slug, theme) in sorted(papers.items())
    ]
    text = format_ledger(ledger)
    head = f'{{\n  "version": {LEDGER_VERSION},\n  "papers": {{\n'
    assert text == head + ",\n".join(rows) + ("\n" if rows else "") + "  }\n}\n"
    assert json.loads(text)["papers"] == {
        k: {"slug": s, "theme": t} for k, (s, t) in papers.items()
    }


def test_a_page_parsed_carries_its_links_and_so_does_its_paper(tmp_path: Path) -> None:
    from sitegen.catalog import make_paper
    from sitegen.text import find_links

    path = tmp_path / "papers" / "theory" / "p.md"
    body = "A *bold* claim, first. Then more. See https://github.com/a/b and more.\n\n## Notes\n"
    page = parse_page(f"---\ntitle: A Paper\n---\n\n{body}", path, "theory")
    abstract = split_body(page.body)[0]
    assert page.links == tuple(find_links(abstract)) == ("https://github.com/a/b",)
    assert make_paper(page, (), tmp_path).links == page.links
