"""Inline TeX: MathML and emphasis through the Markdown filter, plain text for excerpts/search."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.render import markdown_html
from sitegen.texmath import NotTex, macros_as_text, parse_math, tex_plain


def inner(html: str) -> str:
    """The HTML of one paragraph, without the <p> wrapper."""
    return str(html).strip().removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (r"{\bf 8.2\%}", "<strong>8.2%</strong>"),
        (r"{\it and} {\em opposite}", "<em>and</em> <em>opposite</em>"),
        (r"\textbf{bold} \emph{this}", "<strong>bold</strong> <em>this</em>"),
        (r"na\"{\i}ve, na\"ive, \'etude", "naïve, naïve, étude"),
        (r"\eg, \ie \etc.", "e.g., i.e. etc.."),
        (r"{\it a *b* \(\times\)}", "<em>a <em>b</em> <math>"),
    ],
)
def test_text_mode_tex_becomes_emphasis_and_characters(source: str, html: str) -> None:
    assert inner(markdown_html(source)).startswith(html)


def test_inline_math_becomes_mathml_with_its_source_as_annotation() -> None:
    html = inner(markdown_html(r"cost $O(n^2)$ and \(\alpha \leq \frac{1}{2}\) here"))
    assert html.count("<math>") == 2
    assert "<msup><mi>n</mi><mn>2</mn></msup>" in html
    assert "<mi>α</mi><mo>≤</mo><mfrac>" in html
    assert '<annotation encoding="application/x-tex">O(n^2)</annotation>' in html


@pytest.mark.parametrize(
    "source",
    [
        "costs $5 and $10 each",  # money, not math
        r"$\unknownmacro{x}$",  # a macro we don't read
        r"the \overfeat network",  # an author's own macro
        "$ x$ and $}$",  # not a formula
        r"{\bf never closed",
        r"$$\unknownmacro{x}$$ in display",  # not a $...$ between two stray dollars
        "a $$ b $ c $$",  # not a formula either
        "$$x\n\ny$$",  # a blank line between: two paragraphs, no formula
    ],
)
def test_tex_this_module_does_not_read_stays_as_written(source: str) -> None:
    html = inner(markdown_html(source))
    assert "<math>" not in html and "<strong>" not in html
    assert tex_plain(source) == source


@pytest.mark.parametrize(
    "source",
    [r"a \(\unknownmacro{x}\) here", r"then \( open", r"close \) only", r"$$\unknownmacro{x}$$"],
)
def test_tex_delimiters_around_what_is_not_read_keep_their_backslashes(source: str) -> None:
    assert inner(markdown_html(source)) == source  # not Markdown's escapes: "(" and ")"


def test_display_math_is_one_formula_without_stray_dollars() -> None:
    html = inner(markdown_html("We show $$E = mc^2$$ holds, and $x$ too."))
    assert html.startswith('We show <math display="block"><semantics><mrow><mi>E</mi>')
    assert "$" not in html and html.count("<math") == 2
    assert tex_plain("We show $$E = mc^2$$ holds.") == "We show E=mc^2 holds."


def test_math_is_escaped_not_trusted() -> None:
    html = str(markdown_html(r"$<b>$ and \(\text{<img src=x onerror=alert(1)>}\)"))
    assert "<b>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_code_spans_keep_their_dollars() -> None:
    assert inner(markdown_html("`$x$`")) == "<code>$x$</code>"


def test_plain_text_for_search_and_excerpts() -> None:
    assert tex_plain(r"{\bf 8.2\%} gain, $O(n^2 \log n)$") == "8.2% gain, O(n^2 log n)"
    assert tex_plain(r"model \(\times\) data, $\max_i x_i$") == "model × data, max_i x_i"
    assert tex_plain("no tex at all: 5$") == "no tex at all: 5$"


def test_parse_math_refuses_unbalanced_braces() -> None:
    for source in ("{x", "x}", "x^", r"\frac{1}"):
        with pytest.raises(NotTex):
            parse_math(source)


PIECES = [*"$\\{}()^_ abx1%<&\"'i", "\\bf ", "\\(", "\\)", "\\frac", "<b>", "\\text{"]


@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_any_text_renders_without_raw_markup_or_errors(text: str) -> None:
    html = str(markdown_html(text))
    made = (
        r"p|em|strong|code|pre|hr|br|h[2-6]|ul|ol|li|blockquote|math|semantics|annotation|m[a-z]+"
    )
    assert re.search(rf"<(?!/?({made})\b)", html) is None
    tex_plain(text)


def test_macros_as_text_are_the_parsers_text_and_step_aside_from_the_rest() -> None:
    made = macros_as_text('84.8\\% of na\\"{\\i}ve nets, \\eg the \\overfeat one')
    assert made == (
        "84.8% of naïve nets, e.g. the \\overfeat one",
        "84.8x of naxve nets, xthe xone",
    )
    for text in (
        "a {\\em b}",
        "a \\emph{b}",
        "a \\(x\\)",
        "a \\\\",
        "a\\",
        "a \\-",
        "a_\\%",
    ):
        assert macros_as_text(text) is None, text
