"""The dump parser: both layouts and what real copy-pastes contain."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.dumps import dump_date, parse_dump
from sitegen.errors import SitegenError

ABSTRACT_A = (
    "We propose a new method for image segmentation that propagates clicks. "
    "It works well on many benchmarks. Code is at https://github.com/x/y{https://github.com/x/y}."
)
ABSTRACT_B = (
    "Diffusion models generate images by reversing a noising process, step by step. "
    "We show <b>bold</b> claims & prove 2^n bounds for Müller-type networks with α > 0."
)
ABSTRACT_C = "Graph neural networks pass messages along edges. " * 5

SPACED = f"""new

Get trending papers in your email inbox!

Subscribe

byAK and the research community

Mar 13

First Paper: Clicks

{ABSTRACT_A}

Second Paper on Diffusion

{ABSTRACT_B}
"""

COMPACT = f"""Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeFirst Paper: Clicks
{ABSTRACT_A}
Second Paper on Diffusion
{ABSTRACT_B}"""


def parse(text: str | bytes, stem: str = "d"):
    """Parse text as a dump called stem."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_dump(data, f"content/dumps/{stem}.txt", stem)


def titles(dump) -> list[str]:
    """The entry titles of a dump."""
    return [e.title for e in dump.entries]


def test_spaced_layout() -> None:
    dump = parse(SPACED)
    assert dump.layout == "spaced"
    assert dump.listing_date == "Mar 13"
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert dump.entries[1].abstract == ABSTRACT_B
    assert dump.entries[0].line == 11
    assert dump.notices == ()


def test_compact_layout_with_title_glued_to_subscribe() -> None:
    dump = parse(COMPACT)
    assert dump.layout == "compact"
    assert parse(COMPACT + "\n\n").layout == "compact"  # trailing blank lines don't count
    assert dump.listing_date is None
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]


@pytest.mark.parametrize("layout", [SPACED, COMPACT])
def test_crlf_bom_tabs_nbsp_and_trailing_space(layout: str) -> None:
    messy = layout.replace("First Paper: Clicks", "First\tPaper:\u00a0 Clicks   ")
    data = b"\xef\xbb\xbf" + messy.replace("\n", "\r\n").encode("utf-8")
    dump = parse(data)
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert dump.entries[0].abstract == ABSTRACT_A


def test_text_is_kept_exactly_apart_from_whitespace() -> None:
    dump = parse(SPACED)
    assert "<b>bold</b> claims & prove 2^n" in dump.entries[1].abstract
    assert "Müller" in dump.entries[1].abstract
    assert "{https://github.com/x/y}." in dump.entries[0].abstract


@pytest.mark.parametrize("stray", ["Upvote 12", "· 5 authors", "Published on Mar 12", "42"])
def test_known_stray_line_is_reported_and_does_not_shift_pairs(stray: str) -> None:
    text = SPACED.replace("Second Paper on Diffusion", f"{stray}\n\nSecond Paper on Diffusion")
    dump = parse(text)
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert dump.entries[1].abstract == ABSTRACT_B
    assert len(dump.notices) == 1
    assert dump.notices[0].line == 15
    assert stray in dump.notices[0].message


def test_unknown_stray_line_is_reported_and_does_not_shift_pairs() -> None:
    text = COMPACT.replace("Second Paper", "Some unknown chrome\nSecond Paper")
    dump = parse(text)
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert [n.line for n in dump.notices] == [5]
    assert "Some unknown chrome" in dump.notices[0].message


def test_stray_line_between_title_and_abstract() -> None:
    text = COMPACT.replace(f"Clicks\n{ABSTRACT_A}", f"Clicks\nUpvote 3\n{ABSTRACT_A}")
    dump = parse(text)
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert "Upvote 3" in dump.notices[0].message


def test_last_title_without_abstract_is_skipped_and_reported() -> None:
    dump = parse(COMPACT + "\nA Dangling Title")
    assert titles(dump) == ["First Paper: Clicks", "Second Paper on Diffusion"]
    assert "last title with no abstract" in dump.notices[-1].message
    assert dump.notices[-1].line == 7


def test_abstract_without_title_is_reported() -> None:
    dump = parse(COMPACT.replace("Second Paper on Diffusion\n", ""))
    assert titles(dump) == ["First Paper: Clicks"]
    assert "abstract with no title" in dump.notices[0].message


@pytest.mark.parametrize(
    ("first", "title"),
    [
        ("SubscribeFirst Paper: Clicks", "First Paper: Clicks"),
        ("Subscribe First Paper: Clicks", "First Paper: Clicks"),
        ("Subscribe[MASK] is All", "[MASK] is All"),
        ("Subscriber Churn Models", "Subscriber Churn Models"),
    ],
)
def test_title_glued_to_subscribe(first: str, title: str) -> None:
    dump = parse(COMPACT.replace("SubscribeFirst Paper: Clicks", first))
    assert titles(dump)[0] == title
    later = parse(COMPACT.replace("Second Paper on Diffusion", "SubscribeLater Title"))
    assert titles(later)[1] == "SubscribeLater Title"  # only the header glues


def test_titles_ending_in_question_marks_are_titles() -> None:
    title = "Which Features are Learnt by Contrastive Learning? On the Role of Simplicity Bias"
    dump = parse(COMPACT.replace("Second Paper on Diffusion", title))
    assert titles(dump)[1] == title


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n\r\n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 40, "binary"),
        (b"just a line\nand another\n", "no recognisable entries"),
    ],
)
def test_bad_files_are_refused_with_one_line_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(SitegenError) as info:
        parse(data, "bad")
    text = str(info.value)
    assert text.startswith("content/dumps/bad.txt")
    assert message in text
    assert "\n" not in text


def test_invalid_utf8_is_decoded_with_a_warning_naming_the_line() -> None:
    data = COMPACT.encode("utf-8").replace(b"Second Paper", b"Second \xff\xfe Paper")
    dump = parse(data)
    assert titles(dump)[1] == "Second \ufffd\ufffd Paper on Diffusion"
    assert dump.notices[0].line == 5
    assert "invalid UTF-8" in dump.notices[0].message


def test_dump_date_comes_from_the_file_name_only() -> None:
    assert dump_date("2026-03-13-trending") == "2026-03-13"
    assert dump_date("2026-13-01-x") is None
    assert dump_date("000_77a79f2bb25927ca") is None
    assert parse(SPACED, "2026-03-13-feed").date == "2026-03-13"


def test_shipped_dumps_hold_382_entries(repo_root: Path) -> None:
    counts = {}
    for path in sorted((repo_root / "content" / "dumps").glob("*.txt")):
        dump = parse_dump(path.read_bytes(), str(path), path.stem)
        counts[path.stem[:3]] = (dump.layout, len(dump.entries), len(dump.notices))
    assert counts == {
        "000": ("spaced", 43, 0),
        "001": ("compact", 231, 0),
        "002": ("spaced", 36, 0),
        "003": ("spaced", 72, 0),
    }


# Property-based: titles are short word sequences; abstracts are long prose.
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:"
WORD = st.text(alphabet=LETTERS, min_size=1, max_size=10)
TITLE = st.lists(WORD, min_size=2, max_size=12).map(lambda ws: "Paper " + " ".join(ws))
# 8–16 drawn words said five times: abstract-length lines at a fifth of the drawing cost
# (drawing 40–80 words per abstract made this the slowest test of the file).
ABSTRACT = st.lists(WORD, min_size=8, max_size=16).map(
    lambda ws: "We study " + " ".join(ws * 5) + "."
)
STRAY = st.sampled_from(["Upvote 7", "· 3 authors", "Published on Mar 2", "17", ""])


@pytest.mark.parametrize("ending", ["CF.", "etc.", "et al."])
def test_a_short_abstract_ending_in_an_abbreviation_is_kept(ending: str) -> None:
    # Found by Hypothesis: "cf." inside a line abbreviates, so "… in CF." ended no sentence,
    # this 80-character abstract read as a second title, and the dump had no entry.
    abstract = f"We study small graph models and their limits in many settings, as in {ending}"
    dump = parse(f"Subscribe\nPaper On Graphs\n{abstract}\nUpvote 7")
    assert [(e.title, e.abstract) for e in dump.entries] == [("Paper On Graphs", abstract)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        parse(text)
    except SitegenError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(SitegenError):
        parse(data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(TITLE, ABSTRACT, STRAY), min_size=1, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_well_formed_entries_are_never_lost(entries, newline: str, spaced: bool) -> None:
    sep = newline * 2 if spaced else newline
    lines = ["Subscribe"]
    for title, abstract, stray in entries:
        lines += [title, abstract] + ([stray] if stray else [])
    dump = parse(sep.join(lines))
    assert [(e.title, e.abstract) for e in dump.entries] == [(t, a) for t, a, _ in entries]
    assert len(dump.notices) == sum(1 for *_, stray in entries if stray)


JUNK = st.one_of(
    st.builds("{}.{}k".format, st.integers(1, 99), st.integers(0, 9)),  # star counts
    st.text(alphabet="🔥✨🚀—•·*", min_size=1, max_size=6).filter(str.strip),  # separators
    st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True),  # user names
    st.lists(
        st.sampled_from(["Ann Lee", "B. Chen", "Carla de la Cruz", "Dmitri Ivanov"]),
        min_size=2,
        max_size=4,
    ).map(", ".join),  # author lists
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TITLE, ABSTRACT, st.lists(JUNK, max_size=3)), min_size=1, max_size=8))
def test_junk_between_a_title_and_its_abstract_never_steals_the_title(entries) -> None:
    lines = ["Subscribe"]
    for title, abstract, junk in entries:
        lines += [title, *junk, abstract]
    dump = parse("\n".join(lines))
    assert [(e.title, e.abstract) for e in dump.entries] == [(t, a) for t, a, _ in entries]
    assert len(dump.notices) == sum(len(junk) for *_, junk in entries)
