"""sitegen.wordforms: forms of one word, form marks, and their twins in search-engine.js."""

from __future__ import annotations

import re

from conftest import SHIPPED, run_node

from sitegen.porter import lunr_term
from sitegen.search import FIELDS, Analyser, tokenize, trimmed, varint
from sitegen.wordforms import (
    FORM_HASHES,
    MANY_BITS,
    MANY_WORDS,
    form_hash,
    form_mark,
    inflects,
    other_spelling,
    pack_mark,
    same_word,
    word_class,
)


def test_forms_of_one_word_and_other_words_of_one_stem() -> None:
    assert same_word("model", "models") and same_word("modeling", "modelling")
    assert same_word("optimization", "optimize") and same_word("studies", "study")
    assert same_word("transformers", "transformer")
    assert not same_word("transformer", "transformation")  # one stem, two words
    assert not same_word("generalization", "generative")
    assert not same_word("a", "b") and same_word("a", "a")
    assert same_word("generalisation", "generalization") and same_word("optimised", "optimize")


def test_a_word_spelled_with_ise_or_ize_has_the_other_spelling() -> None:
    pairs = [("optimise", "optimize"), ("generalisations", "generalizations")]
    pairs += [("tokenizer", "tokeniser"), ("recognising", "recognizing")]
    pairs += [("quantisation", "quantization"), ("standardise", "standardize")]
    pairs += [("synchronising", "synchronizing"), ("hypothesised", "hypothesized")]
    assert all(other_spelling(a) == b and other_spelling(b) == a for a, b in pairs)
    others = ("arise", "promise", "supervised", "precise", "noise", "expertise", "size")
    for word in (*others, "advertise", "compromise", "premise", "enterprise", "sunrise"):
        assert other_spelling(word) is None, word


def test_a_mark_is_zero_when_every_word_inflects_the_term() -> None:
    assert form_mark("model", ["model", "models", "modelling", "modeled"]) == 0
    assert inflects("studies", "studi") and not inflects("study", "studi")
    assert not inflects("detection", "detect")  # a form of "detect", but another word
    mark = form_mark("transform", ["transform", "transformer", "transformers"])
    assert mark == pack_mark({form_hash("transform"), form_hash("transformer")})


def test_a_words_class_is_what_its_forms_share() -> None:
    forms = ["generate", "generates", "generated", "generating"]
    assert {word_class(word) for word in forms} == {"generat"}
    assert word_class("generations") == "generation" != word_class("generative")
    # Inflections only: "severe" and "several" are not forms of one word.
    assert word_class("severe") != word_class("several")
    assert word_class("modelling") == word_class("modeling") == word_class("models") == "model"
    assert word_class("transformers") == "transformer" != word_class("transformations")
    assert word_class("studies") == word_class("study") == word_class("studied") == "stud"
    assert word_class("is") == "is" and word_class("𝔼s") == "𝔼"  # 2+ UTF-16 units left


def test_a_mark_packs_up_to_three_hashes_in_few_digits_and_is_never_zero() -> None:
    assert pack_mark({1}) == 1 and pack_mark({FORM_HASHES}) == FORM_HASHES
    assert len(varint(pack_mark({FORM_HASHES}))) == 2  # one word: two digits at most
    assert pack_mark({5, 900}) == 5 << 10 | 900  # the largest lowest: fewer digits
    assert len(varint(pack_mark({FORM_HASHES - 1, FORM_HASHES}))) == 4
    assert pack_mark({1, 2, 3}) == (1 << 20 | 2 << 10 | 3) < MANY_WORDS
    assert pack_mark({1, 2, 3, 4}) == MANY_WORDS | 0b11110 < 2**31  # the engine's int32
    assert pack_mark({29, 30, 59, 1000}) == MANY_WORDS | 1 << 29 | 1 | 1 << 10  # mod 30


def test_the_word_classes_of_each_shipped_term_have_distinct_hashes() -> None:
    # One bit in 30 took "transformations" for "transformers", "connectivity" for "connected".
    assert form_hash(word_class("transformations")) != form_hash(word_class("transformers"))
    assert form_hash(word_class("connectivity")) != form_hash(word_class("connected"))
    by_term: dict[str, set[str]] = {}
    for word in shipped_words():
        by_term.setdefault(lunr_term(word) or word, set()).add(word_class(word))
    clashes = [
        term
        for term, classes in by_term.items()
        if len({form_hash(one) for one in classes}) < len(classes)
    ]
    assert len(by_term) > 2500 and len(clashes) <= len(by_term) // 500, clashes


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
    packed = [pack_mark({1}), pack_mark({7, 1000}), pack_mark({2, 9, FORM_HASHES})]
    packed.append(pack_mark({2, 9, 1000, 1001}))
    holds = [(mark, [h]) for mark in packed for h in (1, 2, 7, 9, 1000, FORM_HASHES, 500)]
    assert len(pairs) > 1000 and any(not same_word(a, b) for a, b in pairs)
    got = run_node(
        """print({same: input.pairs.map(([a, b]) => engine.sameWord(a, b)),
                  hashes: input.words.map(engine.formHash),
                  classes: input.words.map(engine.wordClass),
                  spellings: input.words.map(engine.otherSpelling),
                  marks: input.marks.map(([t, w]) => engine.formMark(t, w)),
                  holds: input.holds.map(([m, w]) => engine.holdsOneOf(m, w))});""",
        {"pairs": pairs, "words": words, "marks": marks, "holds": holds},
    )
    assert got["same"] == [same_word(a, b) for a, b in pairs]
    assert got["hashes"] == [form_hash(word) for word in words]
    assert got["classes"] == [word_class(word) for word in words]
    assert got["spellings"] == [other_spelling(word) for word in words]
    assert sum(map(bool, got["spellings"])) > 20  # the shipped dumps use both spellings
    assert got["marks"] == [form_mark(term, group) for term, group in marks]
    assert len(set(got["hashes"])) > FORM_HASHES * 0.95  # the hash spreads over its range
    assert got["holds"] == [held[0] in unpacked(mark) for mark, held in holds]


def unpacked(mark: int) -> set[int]:
    """The hashes pack_mark put in a mark (of many words: all with their bits)."""
    if mark & MANY_WORDS:
        return {one for one in range(1, FORM_HASHES + 1) if mark >> one % MANY_BITS & 1}
    return {mark >> shift & 1023 for shift in (0, 10, 20)} - {0}


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
            assert marks.get(at) == (mark or None), (text, term)
            checked += bool(mark)
    assert checked > 300
