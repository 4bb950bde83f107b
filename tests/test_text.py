"""Text helpers: slugs (the JS copy must match), links from abstracts, statuses, excerpts."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import textmap
from sitegen.text import (
    ARXIV_ID,
    SLUG_MAX,
    URL,
    arxiv_id,
    derivable_slug,
    excerpt,
    find_links,
    json_encoder,
    json_value,
    may_hold_url,
    one_line,
    short_title,
    slugify,
    status_key,
    unique_slug,
    without_emphasis,
)


def slug_grown_a_word_at_a_time(title: str) -> str:
    """slugify as it was first written: the reference the joined slug must equal."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:SLUG_MAX]
    return slug or "paper"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Z09-é日ßﬁΩ\u0301 "), max_size=160))
def test_a_slug_is_the_words_that_fit_joined(title: str) -> None:
    assert slugify(title) == slug_grown_a_word_at_a_time(title)


def test_slugs_are_readable_ascii_and_short() -> None:
    assert slugify("VIOLET : End-to-End Video-Language Transformers") == (
        "violet-end-to-end-video-language-transformers"
    )
    assert slugify("[MASK] is All You Need") == "mask-is-all-you-need"
    assert slugify("Müller's Ω-Nets") == "muller-s-nets"
    assert slugify("日本語") == "paper"
    long = slugify("word " * 40)
    assert len(long) <= 80 and not long.endswith("-")


def test_a_slug_is_derivable_only_from_an_ascii_title_that_gives_it() -> None:
    assert derivable_slug("[MASK] is All You Need", "mask-is-all-you-need")
    assert not derivable_slug("Müller's Nets", "muller-s-nets")  # the JS copies have no NFKD
    assert not derivable_slug("Mask is All", "mask-is-all-2")  # a collision's suffix


@given(st.text())
def test_slug_property(title: str) -> None:
    slug = slugify(title)
    assert 0 < len(slug) <= 80
    assert slug.isascii() and slug == slug.lower()
    assert all(ch.isalnum() or ch == "-" for ch in slug)


def test_unique_slug_suffixes_collisions() -> None:
    taken = {"deep-nets", "deep-nets-2"}
    assert unique_slug("Deep Nets", taken) == "deep-nets-3"
    assert unique_slug("Deep Nets!", set()) == "deep-nets"
    assert len(unique_slug("x" * 200, {"x" * 80})) <= 80


def test_links_are_cleaned_of_glued_junk() -> None:
    text = (
        "Code: https://github.com/x/CSFPN{https://github.com/x/CSFPN}. "
        'See http://mmlab.ie.cuhk.edu.hk/projects/CMP/". and (https://a.io/p_(1)), '
        "also https://github.com/x/CSFPN again and www.example.org/page."
    )
    assert find_links(text) == [
        "https://github.com/x/CSFPN",
        "http://mmlab.ie.cuhk.edu.hk/projects/CMP/",
        "https://a.io/p_(1)",
        "https://www.example.org/page",
    ]


def test_statuses_are_normalised() -> None:
    assert [status_key(s) for s in ("To Read", "to_read", " reading ", "READ", "")] == [
        "to-read",
        "to-read",
        "reading",
        "read",
        "",
    ]


def test_excerpt_is_one_or_two_sentences() -> None:
    assert excerpt("Short one. Short two. Short three.") == "Short one. Short two."
    long = "A " * 200 + "end. Next."
    cut = excerpt(long, limit=100)
    assert cut.endswith("…") and len(cut) <= 101
    assert excerpt("Links [here](https://x.org) and **bold**.") == "Links here and bold."
    # Only the first two sentences are looked for; a long second one is left out.
    assert excerpt("One *a*. " + "Two " * 60 + "words. Three.") == "One a."
    assert excerpt("No end in sight\n\n  _at_ all") == "No end in sight at all"
    assert excerpt("Ends. ") == "Ends." and excerpt("First. Second! (Third)") == "First. Second!"


def test_short_titles_are_cut_at_a_word() -> None:
    assert short_title("Short", 10) == "Short"
    assert short_title("A rather long title indeed", 12) == "A rather…"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("see arXiv:2301.01234v2 for details", "2301.01234"),
        ("https://arxiv.org/abs/1706.03762 and more", "1706.03762"),
        ("pdf at https://arxiv.org/pdf/2106.09685v1.pdf", "2106.09685"),
        ("old style arXiv:hep-th/9901001", "hep-th/9901001"),
        ("no identifier, only 2301.01234 as a number", None),
    ],
)
def test_arxiv_id_is_found_where_the_abstract_names_it(text: str, found: str | None) -> None:
    assert arxiv_id(text) == found


def test_excerpts_show_inline_tex_as_plain_text() -> None:
    assert excerpt(r"We get {\bf 8.2\%} with $O(n^2)$ cost, \eg here. Next.") == (
        "We get 8.2% with O(n^2) cost, e.g. here. Next."
    )


@given(st.text(alphabet="ab *_`#>[]()!.\n\t", max_size=40))
def test_without_emphasis_drops_what_the_markdown_noise_pattern_drops(text: str) -> None:
    assert without_emphasis(text) == re.sub(r"[*_`#>]+", "", text)


def test_excerpt_drops_emphasis_marks_and_keeps_link_words() -> None:
    assert excerpt("We *study* `code` and __bold__ > quotes. More.") == (
        "We study code and bold quotes. More."
    )
    assert excerpt("See [the site](https://x.org), *now*.") == "See the site, now."


def excerpt_of_whole_text(markdown: str, limit: int = 260) -> str:
    """excerpt as first written: every space of the whole abstract folded before the
    sentences are found."""
    from sitegen.text import MARKDOWN_NOISE, tex_plain, without_emphasis

    # the sentence end as first written: the space after a mark it looks behind for
    SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")  # noqa: N806

    plain = tex_plain(markdown)
    plain = MARKDOWN_NOISE.sub(r"\1", plain) if "[" in plain else without_emphasis(plain)
    text = " ".join(plain.split())
    first = SENTENCE_END.search(text)
    chosen = text if first is None else text[: first.start()]
    if first is not None:
        second = SENTENCE_END.search(text, first.end())
        following = text[first.end() : second.start() if second else len(text)]
        if len(chosen) + len(following) < limit * 0.8:
            chosen = f"{chosen} {following}"
    if len(chosen) <= limit:
        return chosen
    return chosen[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—") + "…"


SENTENCE_PARTS = st.lists(
    st.sampled_from(
        [
            "A",
            "b",
            "word",
            "3D",
            "(x",
            '"Q',
            "'t",
            ".",
            "!",
            "?",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\t",
            "\xa0",
            "\u2003",
            "\x1c",
            "*",
            "[l](u)",
            "$x$",
            "—",
            ",",
            "a" * 40,
        ]
    ),
    max_size=80,
)


@given(SENTENCE_PARTS, st.sampled_from([20, 60, 260]))
def test_an_excerpt_folds_only_its_first_sentences_and_says_the_same(
    parts: list[str], limit: int
) -> None:
    text = "".join(parts)
    assert excerpt(text, limit) == excerpt_of_whole_text(text, limit)


SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def test_whitespace_but_the_space_is_never_printable() -> None:
    # what one_line's shortcut rests on, for every code point there is
    assert [c for c in SPACES if c.isprintable()] == [" "]


@given(st.text(alphabet=SPACES + "ab.é\x00", max_size=30))
def test_one_line_folds_whitespace_as_split_and_join(text: str) -> None:
    assert one_line(text) == " ".join(text.split())


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["http", "https", "HTTP", ":", "/", "//", "www", ".", "w", "x", " "]),
        max_size=12,
    ).map("".join)
)
def test_a_text_no_url_pattern_can_match_in_is_one_may_hold_url_refuses(text: str) -> None:
    # may_hold_url spares the URL patterns' search where they cannot match: never where
    # one of them does (text.URL links, textmap.URL drops URLs from the words).
    assert may_hold_url(text) or not URL.search(text)
    lowered = text.lower()  # as textmap.paper_text asks
    assert may_hold_url(lowered) or not textmap.URL.search(lowered)
    assert not may_hold_url("a plain abstract. No link: none at all")
    assert may_hold_url("see https://x.org") and may_hold_url("www.x.org")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "arXiv:",
                "ARXIV: ",
                "arxıv:",
                "arXİv:",
                "arxiv.org/abs/",
                "Arxiv.org/pdf/",
                "rx",
                "2301.01234",
                "v2",
                "hep-th/9901001",
                "math.AG/0101001",
                " ",
                "x",
                ":",
            ]
        ),
        max_size=8,
    ).map("".join)
)
def test_arxiv_id_is_the_first_identifier_the_case_blind_pattern_finds(text: str) -> None:
    # arxiv_id looks for "rx" before it searches: the same answer as the search alone,
    # with the pattern's "i" matching "ı" and "İ" too.
    match = ARXIV_ID.search(text)
    assert arxiv_id(text) == (match.group(1) if match else None)


PLAIN_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(PLAIN_DATA)
def test_json_encoder_writes_what_json_dumps_writes(value: object) -> None:
    for separators in ((",", ":"), (", ", ": ")):
        for ascii_only in (True, False):
            wanted = json.dumps(value, separators=separators, ensure_ascii=ascii_only)
            assert json_encoder(separators, ascii_only)(value) == wanted


@settings(max_examples=200, deadline=None)
@given(PLAIN_DATA)
def test_json_value_reads_what_json_loads_reads(value: object) -> None:
    for ascii_only in (True, False):
        text = json_encoder((",", ":"), ascii_only)(value)
        assert json_value(text) == json.loads(text)


@pytest.mark.parametrize("text", ["", "[1", "[1,2] ", " [1]", "[1]x", "nul"])
def test_json_value_refuses_what_sitegen_never_writes(text: str) -> None:
    with pytest.raises(ValueError):
        json_value(text)
