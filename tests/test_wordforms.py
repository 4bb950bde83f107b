"""sitegen.wordforms: forms of one word, form marks, and their twins in search-engine.js."""

from __future__ import annotations

import re

from conftest import SHIPPED, run_node

from sitegen.porter import lunr_term
from sitegen.search import FIELDS, Analyser, tokenize, trimmed
from sitegen.wordforms import MARK_BITS, form_bit, form_mark, inflects, mark_code, same_word


def test_forms_of_one_word_and_other_words_of_one_stem() -> None:
    assert same_word("model", "models") and same_word("modeling", "modelling")
    assert same_word("optimization", "optimize") and same_word("studies", "study")
    assert same_word("transformers", "transformer")
    assert not same_word("transformer", "transformation")  # one stem, two words
    assert not same_word("generalization", "generative")
    assert not same_word("a", "b") and same_word("a", "a")


def test_a_mark_is_zero_when_every_word_inflects_the_term() -> None:
    assert form_mark("model", ["model", "models", "modelling", "modeled"]) == 0
    assert inflects("studies", "studi") and not inflects("study", "studi")
    assert not inflects("detection", "detect")  # a form of "detect", but another word
    mark = form_mark("transform", ["transform", "transformer"])
    assert mark == form_bit("transform") | form_bit("transformer")
    assert 0 < mark < 1 << MARK_BITS


def test_mark_codes_are_one_digit_for_one_bit_and_never_zero() -> None:
    singles = [mark_code(1 << bit) for bit in range(MARK_BITS)]
    assert singles == list(range(1, MARK_BITS + 1))  # a varint digit holds 0-31
    assert mark_code(0b101) == MARK_BITS + 1 + 0b101
    assert mark_code((1 << MARK_BITS) - 1) < 2**31  # the engine reads varints as int32


def shipped_words() -> list[str]:
    """The shipped dumps' words of five letters or more, some with accents."""
    text = " ".join(p.read_text(encoding="utf-8") for p in (SHIPPED / "dumps").glob("*.txt"))
    return sorted(set(re.findall(r"[^\W\d_]{5,}", text.lower()))) + ["é", "naïve", "𝔼x"]


def test_the_engine_agrees_on_forms_bits_and_marks() -> None:
    words = shipped_words()
    by_term: dict[str, list[str]] = {}
    for word in words:
        by_term.setdefault(lunr_term(word) or word, []).append(word)
    groups = {term: group for term, group in by_term.items() if len(group) > 1}
    pairs = [(a, b) for group in groups.values() for a in group for b in group]
    marks = [(term, group) for term, group in groups.items()]
    codes = [1 << bit for bit in range(MARK_BITS)] + [3, 0b101, (1 << MARK_BITS) - 1]
    assert len(pairs) > 1000 and any(not same_word(a, b) for a, b in pairs)
    got = run_node(
        """print({same: input.pairs.map(([a, b]) => engine.sameWord(a, b)),
                  bits: input.words.map(engine.formBit),
                  marks: input.marks.map(([t, w]) => engine.formMark(t, w)),
                  codes: input.codes.map(engine.markCode),
                  back: input.codes.map((m) => engine.markOf(engine.markCode(m)))});""",
        {"pairs": pairs, "words": words, "marks": marks, "codes": codes},
    )
    assert got["same"] == [same_word(a, b) for a, b in pairs]
    assert got["bits"] == [form_bit(word) for word in words]
    assert got["marks"] == [form_mark(term, group) for term, group in marks]
    assert len(set(got["bits"])) == MARK_BITS  # every bit is used
    assert got["codes"] == [mark_code(mark) for mark in codes] and got["back"] == codes


def test_the_index_marks_each_field_as_form_mark_does() -> None:
    analyser, checked = Analyser(), 0
    lines = (SHIPPED / "dumps" / "000_77a79f2bb25927ca.txt").read_text(encoding="utf-8")
    for text in [line for line in lines.splitlines() if len(line.split()) > 8][:300]:
        record = analyser.record({name: text if name == "abstract" else "" for name, _ in FIELDS})
        terms, flat = record[1][0], record[1][2]
        marks = dict(zip(flat[::2], flat[1::2], strict=True))
        words: dict[str, set[str]] = {}
        for raw in tokenize(text):
            if lunr_term(raw) is not None:
                words.setdefault(lunr_term(raw), set()).add(trimmed(raw))
        for at, term in enumerate(terms):
            mark = form_mark(term, words[term])
            assert marks.get(at) == (mark_code(mark) if mark else None), (text, term)
            checked += bool(mark)
    assert checked > 300
