"""sitegen.search_batch: documents indexed a batch at a time leave the index one Record at
a time leaves, value for value (the postings as the codes of its rows)."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sitegen.search_batch
from sitegen import search
from sitegen.porter import lunr_term
from sitegen.search_batch import BatchAdder, RawFacts, add_documents, coded_texts, varint_text
from sitegen.wordforms import class_hash, form_hash

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_corpus import generate_papers  # noqa: E402

STATE = ("terms", "first", "pairs", "occurs", "totals", "documents", "lengths", "written")

# Words that make every case: stop words (runs of them, at the start and end), forms of one
# term (marks: "generate", "generative", "generalize", "general" give one more than a mark
# holds), punctuation the trimmer takes, hyphens and other separators, non-ASCII letters.
WORDS = [
    "the", "of", "a", "and", "is", "model", "models", "modelling", "modeler", "generate",
    "generative", "generalize", "general", "generation", "generated", "(LoRA)", "LoRA",
    "lora,", "self-supervised", "ResNet-50", "e.g.", "—", "naïve", "Straße", "x", "9",
    "learning!!", "learned", "learn", "transformer", "transform", "transforms", "it's",
    "\u3000", "\xa0", "--", "über", "ß", "z",
]  # fmt: skip
texts = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)
documents = st.lists(
    st.fixed_dictionaries({name: texts for name, _ in search.FIELDS}), min_size=1, max_size=12
)


def one_by_one(docs: list[dict[str, str]]) -> search.ShardedIndex:
    index = search.ShardedIndex()
    for doc in docs:
        index.add_record(index.analyser.record(doc))
    return index


def in_batches(docs: list[dict[str, str]], size: int) -> search.ShardedIndex:
    index, raws = search.ShardedIndex(), RawFacts()
    for start in range(0, len(docs), size):
        add_documents(index, docs[start : start + size], raws)
    return index


def absolute_row(codes: Sequence[int]) -> list[int]:
    """A term's postings from their codes (search.posting_codes): a Row, all absolute."""
    row: list[int] = []
    at, where, count = 0, 0, len(codes)
    while at < count:
        where += codes[at]
        code = codes[at + 1]
        row += (where, code, *codes[at + 2 : at + 2 + (code & 1)])
        at += 2 + (code & 1)
        slot, slots = 0, search.after_count(where, code) - (code & 1)
        for step in codes[at : at + slots]:
            slot += step
            row.append(slot)
        at += slots
    return row


def assert_same(batched: search.ShardedIndex, reference: search.ShardedIndex) -> None:
    for name in STATE:
        assert getattr(batched, name) == getattr(reference, name), name
    assert list(batched.terms) == list(reference.terms)  # numbered in the same order
    assert batched.coded and not reference.coded
    coded = {n: (row.tolist(), batched.lasts[n]) for n, row in batched.postings.items()}
    assert coded == {n: search.posting_codes(row) for n, row in reference.postings.items()}
    assert {n: absolute_row(row) for n, row in batched.postings.items()} == {
        n: row.tolist() for n, row in reference.postings.items()
    }


@settings(max_examples=150, deadline=None)
@given(documents, st.integers(min_value=1, max_value=5))
def test_batches_leave_the_index_records_leave(docs: list[dict[str, str]], size: int) -> None:
    assert_same(in_batches(docs, size), one_by_one(docs))


def test_marks_of_many_words_slots_after_stop_runs_and_empty_fields() -> None:
    docs = [
        {"title": "", "abstract": "", "themes": "", "tags": "", "notes": ""},
        {
            "title": "the of a Generative models",
            "abstract": "generate generative generalize general the the model modeler models",
            "themes": "the",
            "tags": "",
            "notes": "learned learning!! (LoRA) lora, LoRA",
        },
        {"title": "", "abstract": "the a of", "themes": "", "tags": "x", "notes": ""},
    ]
    batched, reference = in_batches(docs, 3), one_by_one(docs)
    assert_same(batched, reference)
    marks = [row for row in reference.postings.values() if any(v >= 1 << 30 for v in row)]
    assert marks, "the fixture must give a mark of many words"


@pytest.mark.parametrize(("size", "kept"), [(1, 200_000), (37, 200_000), (400, 200_000), (37, 5)])
def test_a_generated_corpus_in_any_batch_size(
    size: int, kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kept: how many words' terms RawFacts remembers between batches (cleared past it).
    monkeypatch.setattr(sitegen.search_batch, "STEMS_KEPT", kept)
    papers, taxonomy = generate_papers(400, seed=11)
    docs = [search.search_document(n, p, taxonomy).fields() for n, p in enumerate(papers)]
    assert_same(in_batches(docs, size), one_by_one(docs))


@pytest.mark.parametrize("tier", [search.POSITION_POSTINGS, 20])  # 20: common words tiered
def test_a_cold_index_in_batches_writes_the_same_files_and_memo(
    monkeypatch: pytest.MonkeyPatch, tier: int
) -> None:
    monkeypatch.setattr(search, "POSITION_POSTINGS", tier)
    papers, taxonomy = generate_papers(300, seed=5)
    with monkeypatch.context() as one_by_one:  # numpy is loaded here: batch_adder would batch
        one_by_one.setattr(search, "batch_adder", lambda papers: search.OneByOne())
        one_at_a_time = search.search_index(papers, taxonomy)
    used: list[int] = []
    monkeypatch.setattr(search, "BATCH_FROM", 0)
    monkeypatch.setattr(BatchAdder, "size", 64)
    real = BatchAdder.__call__
    counted = lambda self, index, docs: used.append(len(docs)) or real(self, index, docs)  # noqa: E731
    monkeypatch.setattr(BatchAdder, "__call__", counted)
    assert search.search_index(papers, taxonomy) == one_at_a_time
    assert sum(used) == 300 and max(used) == 64


def test_an_index_goes_on_the_way_it_began() -> None:
    docs = [{name: "graph models" for name, _ in search.FIELDS} for _ in range(2)]
    batched = in_batches(docs[:1], 1)
    with pytest.raises(ValueError, match="in batches"):
        batched.add_record(batched.analyser.record(docs[1]))
    recorded = one_by_one(docs[:1])
    with pytest.raises(ValueError, match="one Record at a time"):
        add_documents(recorded, docs[1:], RawFacts())


EDGES = [0, 1, 31, 32, 33, 1023, 1024, 32767, 32768, 2**20 - 1, 2**20, 2**25, 2**30, 2**31 - 1]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(EDGES), st.integers(0, 2**31 - 1)), max_size=60))
def test_varint_text_writes_each_int_as_varint_does(numbers: list[int]) -> None:
    text, ends = varint_text(np.array(numbers, np.int32))
    assert text == search.varints(numbers)
    bounds = [0, *ends.tolist()]
    assert [text[a:b] for a, b in pairwise(bounds)] == [search.varint(n) for n in numbers]


def test_coded_texts_are_each_terms_varints_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of at least 5 ints: a term's row is never split, and an empty row is "".
    monkeypatch.setattr(sitegen.search_batch, "VARINT_CHUNK", 5)
    index = search.ShardedIndex()
    rows = [[3, 40, 2], [], [7] * 9, [1], [2**31 - 1, 0], [1500]]
    index.postings = {number: array("i", row) for number, row in enumerate(rows)}
    order = [4, 0, 1, 2, 3, 5]
    assert list(coded_texts(index, order)) == [search.varints(rows[n]) for n in order]
    index.postings[6] = array("i", [5, -1])  # no code is negative: refused as varints does
    with pytest.raises(ValueError, match="not a varint"):
        list(coded_texts(index, [6]))


WORDS = st.lists(
    st.one_of(
        st.sampled_from([*"aeiousy-'.,()0", "ing", "ed", "s", "ation", "ize", "é", "𝔸"]),
        st.characters(),  # any code point: lone surrogates and those beyond the BMP too
    ),
    max_size=8,
).map("".join)


@given(st.lists(WORDS, max_size=40))
def test_form_hashes_are_form_hash_of_each_word(words: list[str]) -> None:
    assert sitegen.search_batch.form_hashes(words).tolist() == [form_hash(w) for w in words]


@given(st.lists(WORDS, max_size=40))
def test_class_hashes_are_class_hash_of_each_word(words: list[str]) -> None:
    assert sitegen.search_batch.class_hashes(words) == [class_hash(w) for w in words]


@given(st.lists(WORDS.filter(bool), max_size=40), st.lists(WORDS.filter(bool), max_size=10))
def test_lunr_terms_are_lunr_term_and_trimmed_of_each_raw(raws: list[str], seen: list[str]) -> None:
    # Each word is stemmed once, remembered across calls (`seen` first, then raws again).
    stems: dict[str, str | None] = {}
    for batch in (seen, raws, raws):
        terms, forms = sitegen.search_batch.lunr_terms(batch, stems)
        assert terms == [lunr_term(raw) for raw in batch]
        assert forms == [search.trimmed(raw) for raw in batch]


LETTERS = st.sampled_from(["a", "é", "𝔸", "\ud800"])  # one and two UTF-16 units


@given(st.lists(st.tuples(st.integers(60, 70) | st.integers(0, 300), LETTERS), max_size=12))
def test_form_hashes_of_long_words_too(shapes: list[tuple[int, str]]) -> None:
    # Past TOGETHER_UNITS a word is hashed alone: the same hash either way, at the boundary too.
    words = [letter * size for size, letter in shapes] + ["b" * 64, "c" * 65, "𝔸" * 32 + "d"]
    assert sitegen.search_batch.form_hashes(words).tolist() == [form_hash(w) for w in words]
