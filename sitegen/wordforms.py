"""Which written words are forms of one word, and each posting's form mark (search index).

lunr's stemmer makes one index term of words that are not one word: "generalization" and
"generative", "transformer" and "transformation". The search index marks each posting
(a term in one paper's field) whose words are not all forms of the term itself with a
10-bit hash of each word it holds (form_mark; a word and its inflections, one hash), so
the browser can tell a paper that says "transformer" from one that says only
"transformation", and rank the latter after it (static/search-engine.js's formShare).
static/search-engine.js has the same WORD_FAMILIES, sameWord, wordClass, formHash and
formMark; tests/test_wordforms.py checks through node that they agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Endings that turn one word into another form of it ("model", "models", "modeling",
# "optimize", "optimization"). Two words are forms of one word only when, past their
# common start, both end in endings of one family. "-er" and "-ive" make other words:
# their families hold their own plurals only ("transformers" is "transformer").
WORD_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("", "s", "es", "e", "ed", "d", "ing", "y", "ies", "ied", "al", "ally", "ly")
    + ("ion", "ions", "ation", "ations"),
    ("er", "ers"),
    ("ive", "ives"),
)
FAMILY_OF = {ending: n for n, family in enumerate(WORD_FAMILIES) for ending in family}
LONGEST_ENDING = max(map(len, FAMILY_OF))
INFLECTIONS = frozenset(("", "s", "es", "e", "ed", "d", "ing"))  # not "-ion", "-al", "-ly"
# What word_class takes off. Only inflections: with "-ion" or "-al", "severe" and "several"
# would share a class, though neither is a form of the other.
CLASS_ENDINGS = sorted(INFLECTIONS - {""} | {"y", "ies", "ied"}, key=lambda e: (-len(e), e))
ANY_CLASS_ENDING = tuple(CLASS_ENDINGS)
CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")
# A word's hash is 1..FORM_HASHES: ten bits, two varint digits (search.varint). Only the
# written forms of one term can be taken for each other, and 1,023 values keep two of them
# apart: 30 (one digit) let "transformations" pass for "transformers".
FORM_HASHES = 1023
MARK_WORDS = 3  # a mark holds this many words' hashes, ten bits each: below 2**30
# A posting of more words (an abstract that says "generate", "generative", "generalize" and
# "general") has MANY_WORDS plus a bit per word, its hash mod MANY_BITS: below 2**31 still.
MANY_WORDS = 1 << 30
MANY_BITS = 30


# "-ise" and "-ize" spellings of one word, where the letters before take either ("optimise",
# "generalisation", "tokenize"; not "arise", "promise", "supervise"). lunr stems them apart;
# the engine searches both (static/search-engine.js's otherSpelling) and counts either a form.
BEFORE_ISE = r"^([a-z]{2,}(?:al|an|ar|en|er|es|et|gn|il|im|it|nt|on|or|rd|tr|ym))"
BRITISH = re.compile(BEFORE_ISE + r"is(e|es|ed|er|ers|ing|ation|ations)$")
AMERICAN = re.compile(BEFORE_ISE + r"iz(e|es|ed|er|ers|ing|ation|ations)$")


def one_spelling(word: str) -> str:
    """A word in its "-ize" spelling, if it has two."""
    return BRITISH.sub(r"\1iz\2", word)


def other_spelling(word: str) -> str | None:
    """A word's other spelling ("optimise" for "optimize" and back), or None."""
    if BRITISH.match(word):
        return one_spelling(word)
    return AMERICAN.sub(r"\1is\2", word) if AMERICAN.match(word) else None


def same_word(a: str, b: str) -> bool:
    """Whether two written words (lower case, trimmed) are forms of one word: past a common
    start of 2+ letters, both end in endings of one family ("connecting", "connection"),
    either spelling ("generalisation", "generalization")."""
    if a == b:
        return True
    a, b = one_spelling(a), one_spelling(b)
    common = 0
    while common < len(a) and common < len(b) and a[common] == b[common]:
        common += 1
    for start in range(common, max(1, common - LONGEST_ENDING - 1), -1):
        # A consonant doubled before an ending ("modelling", "labelled", "running"): one.
        family = FAMILY_OF.get(a[start + doubled(a, start) :])
        if family is not None and family == FAMILY_OF.get(b[start + doubled(b, start) :]):
            return True
    return False


def doubled(word: str, at: int) -> int:
    """1 where word's letter at `at` repeats the one before it, else 0."""
    return int(0 < at < len(word) and word[at] == word[at - 1])


@lru_cache(maxsize=1 << 16)
def word_class(word: str) -> str:
    """What a written word and its inflections share, hashed for marks: the word less its
    longest CLASS_ENDING (leaving 2+ UTF-16 units; a consonant doubled before it as one):
    "generate", "generates", "generating" are "generat"; "generation" is itself."""
    if not word.endswith(ANY_CLASS_ENDING):  # most words: one test, not one per ending
        return word
    length = utf16_length(word)
    for ending in CLASS_ENDINGS:
        if word.endswith(ending) and length - len(ending) >= 2:
            stem = word[: -len(ending)]
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] in CONSONANTS:
                stem = stem[:-1]
            return stem
    return word


def utf16_length(text: str) -> int:
    """The length of text in UTF-16 code units, as JavaScript counts it."""
    if text.isascii():
        return len(text)
    return len(text) + sum(ord(char) > 0xFFFF for char in text)


@lru_cache(maxsize=1 << 16)
def form_hash(word: str) -> int:
    """A written word's hash in a form mark: FNV-1a over its UTF-16 code units, 1..FORM_HASHES."""
    h = 0x811C9DC5
    data = word.encode("utf-16-le", "surrogatepass")
    for at in range(0, len(data), 2):
        h = ((h ^ (data[at] | data[at + 1] << 8)) * 0x01000193) & 0xFFFFFFFF
    return h % FORM_HASHES + 1


@lru_cache(maxsize=1 << 16)
def inflects(word: str, term: str) -> bool:
    """Whether a written word is its index term with an inflection at most ("models",
    "modelling" for "model"; not "modeler" or "detection" for "detect"), remembered."""
    if not word.startswith(term):
        return False
    rest = word[len(term) :]
    if len(rest) > 1 and term and rest[0] == term[-1]:  # a consonant doubled: one
        rest = rest[1:]
    return rest in INFLECTIONS


def form_mark(term: str, words: Iterable[str]) -> int:
    """A posting's mark: 0 when every word that made the term inflects it (so it is a
    form of each word the term itself is a form of), else its words' classes' hashes
    (word_class, pack_mark): forms of one word take one hash, so most marks hold one."""
    words = list(words)
    if all(inflects(word, term) for word in words):
        return 0
    return pack_mark({class_hash(word) for word in words})


def class_hash(word: str) -> int:
    """What a written word puts in a form mark: its class's hash (search.Analyser, the
    engine's formShare and formMark read the same)."""
    return form_hash(word_class(word))


def pack_mark(hashes: set[int]) -> int:
    """Distinct word hashes as one int, ten bits each, the largest lowest (so two words
    take four varint digits at most); for more than MARK_WORDS, MANY_WORDS and their bits."""
    mark = 0
    if len(hashes) > MARK_WORDS:
        for one in hashes:
            mark |= 1 << one % MANY_BITS
        return MANY_WORDS | mark
    for one in sorted(hashes):
        mark = mark << 10 | one
    return mark
