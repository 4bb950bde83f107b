"""sitegen.porter makes lunr.py's terms: the same as lunr.py's own pipeline, word for word."""

from __future__ import annotations

import random

from conftest import SHIPPED
from hypothesis import given, settings
from hypothesis import strategies as st
from lunr import get_default_builder
from lunr.stemmer import PorterStemmer
from lunr.token import Token

from sitegen.porter import lunr_term, pattern, stem
from sitegen.search import tokenize

PIPELINE = get_default_builder().pipeline


def lunr_py_term(raw: str) -> str | None:
    """What lunr.py's default pipeline makes of a raw token (None: dropped)."""
    tokens = PIPELINE.run([Token(raw, {})])
    return str(tokens[0]) if tokens else None


def test_the_default_pipeline_is_the_one_lunr_term_follows() -> None:
    assert PIPELINE.serialize() == ["trimmer", "stopWordFilter", "stemmer"]


def test_every_word_of_the_shipped_dumps_gets_lunr_pys_term() -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((SHIPPED / "dumps").iterdir()))
    words = set(tokenize(text))
    assert len(words) > 5_000
    differ = {w: (lunr_term(w), lunr_py_term(w)) for w in words if lunr_term(w) != lunr_py_term(w)}
    assert differ == {}


# Words made to reach every rule: a stem of letters where y, doubled consonants and
# consonant-vowel-consonant endings are common, then one or two of the suffixes the steps
# strip, sometimes with a plural.
LETTERS = "aeiouybcdlmnrstzgwxv"
SUFFIXES = (  # noqa: SIM905 - a list of 64 would run down the page
    "ational tional enci anci izer bli abli alli entli eli ousli ization ation ator alism "
    "iveness fulness ousness aliti iviti biliti logi icate ative alize iciti ical ful ness al "
    "ance ence er ic able ible ant ement ment ent ion sion tion ou ism ate iti ous ive ize "
    "e ll l zz tt ed eed ing at bl iz y ies sses ss s"
).split()


@st.composite
def words(draw: st.DrawFn) -> str:
    """A made-up word: letters, then suffixes the stemmer's steps strip."""
    stem_ = draw(st.text(alphabet=LETTERS, min_size=0, max_size=8))
    ends = draw(st.lists(st.sampled_from(SUFFIXES), max_size=2))
    return stem_ + "".join(ends) + draw(st.sampled_from(["", "", "s", "es", "ed", "ing"]))


def made_up_word(rng: random.Random) -> str:
    """words(), drawn from a seeded generator: thousands cost a second, not a minute."""
    stem_ = "".join(rng.choice(LETTERS) for _ in range(rng.randint(0, 8)))
    ends = "".join(rng.choice(SUFFIXES) for _ in range(rng.randint(0, 2)))
    return stem_ + ends + rng.choice(["", "", "s", "es", "ed", "ing"])


@settings(max_examples=500, deadline=None)
@given(words())
def test_generated_words_stem_as_lunr_py_stems_them(word: str) -> None:
    assert stem(word) == PorterStemmer().stem(word)


def test_sixty_thousand_made_up_words_stem_as_lunr_py_stems_them() -> None:
    rng, stemmer = random.Random(7), PorterStemmer()
    made = {made_up_word(rng) for _ in range(60_000)}
    assert len(made) > 40_000
    assert {w: stem(w) for w in made if stem(w) != stemmer.stem(w)} == {}


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="aeiouybcstlnm-'’._0é", min_size=1, max_size=12))
def test_raw_tokens_with_marks_get_lunr_pys_term(raw: str) -> None:
    assert lunr_term(raw) == lunr_py_term(raw)


def pattern_letter_by_letter(word: str) -> str:
    """pattern as first written: each letter judged after the one before it."""
    kinds, consonant = [], True
    for i, letter in enumerate(word):
        if letter in "aeiou":
            consonant = False
        elif letter == "y":
            consonant = i == 0 or not consonant
        else:
            consonant = True
        kinds.append("c" if consonant else "v")
    return "".join(kinds)


@settings(max_examples=500)
@given(st.text(alphabet="aeiouyybcxz9-é", max_size=12))
def test_a_words_pattern_is_judged_letter_by_letter(word: str) -> None:
    assert pattern(word) == pattern_letter_by_letter(word)
