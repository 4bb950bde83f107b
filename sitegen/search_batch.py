"""A cold search index's documents analysed and indexed many at a time, as numpy columns.

`add_documents(index, docs, raws)` leaves a `search.ShardedIndex` in the state that
`index.add_record(index.analyser.record(doc))` for each doc in turn leaves it (the same
term numbers, first uses, counts, lengths and written forms), but for its postings: each
term's are kept as the codes `search.posting_codes` makes of the rows add_record keeps,
with the last posting's where in `index.lasts` (`index.coded`; tests/test_search_batch.py
compares both ways). One record at a time, a 10k-paper index spent ~3 s in
Python loops over every word and posting; here each field of a batch of documents is
one array of raw token ids, and the loops left run over distinct words and terms.

How the per-document steps map onto arrays, for one field of a batch:
- a (document, term) group is a term's posting: its count is the group's size, its
  place among the field's terms (lunr's first-use order) is its first token's;
- a word's slot (search.word_slots) is a running count in which a stop word adds 1
  only where it opens a run of them;
- a form mark (Analyser.marks) packs the distinct hashes of the group's words.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, pairwise

import numpy as np

from sitegen.arrays import (
    distinct,
    groups,
    lex_order,
    ranks_within,
    run_starts,
    spans,
    stable_order,
)
from sitegen.porter import TRIM, word_term
from sitegen.records import record
from sitegen.search import (
    FIELDS,
    POSITION_FIELDS,
    VARINT_DIGITS,
    ShardedIndex,
    tokenize,
    trimmed,
    varints,
)
from sitegen.wordforms import (
    FORM_HASHES,
    MANY_BITS,
    MANY_WORDS,
    MARK_WORDS,
    form_hash,
    inflects,
    utf16_length,
    word_class,
)

BATCH_DOCUMENTS = 2_000  # documents analysed at once: ~500k tokens at most per field
FIELD_BITS = 32  # a (document, field) and a place in it as one int: where << 32 | at
HASH_SPAN = 1 << 10  # form hashes are 1..1023 (wordforms.FORM_HASHES)


STEMS_KEPT = 200_000  # words RawFacts remembers the term of (~25 MB), between batches


class RawIds(dict[str, int]):
    """Raw token -> raw id, handing out the next id to a token not seen before (a lookup
    through map() stays in C for the others), and listing those in `fresh`."""

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list[str] = []

    def __missing__(self, raw: str) -> int:
        self[raw] = number = len(self)
        self.fresh.append(raw)
        return number


class RawFacts:
    """What lunr's pipeline makes of each distinct raw token, by raw id (search.Analyser's
    memo as arrays): its term's and form's ids, its form's hash, whether it marks."""

    def __init__(self) -> None:
        self.ids = RawIds()  # raw token -> raw id
        self.term: list[int] = []  # raw id -> term id (-1: a stop word)
        self.form: list[int] = []  # raw id -> form id (-1: none kept, the term itself)
        self.hash: list[int] = []  # raw id -> its form's class hash (wordforms.class_hash)
        self.marked: list[bool] = []  # raw id -> its term's posting gets a mark
        self.terms: dict[str, int] = {}  # term -> term id
        self.forms: dict[str, int] = {}  # form -> form id
        self.stems: dict[str, str | None] = {}  # word (lunr-trimmed) -> its term
        self.kept = tuple(np.zeros(0, kind) for kind in (np.int64, np.int64, np.int64, bool))

    def lookup(self, tokens: list[str]) -> np.ndarray:
        """Raw ids of tokens, learning the new ones (a dict lookup per token, in C)."""
        found = np.fromiter(map(self.ids.__getitem__, tokens), np.int64, len(tokens))
        if self.ids.fresh:
            self.learn(self.ids.fresh)
            self.ids.fresh.clear()
        return found

    def learn(self, raws: list[str]) -> None:
        """Analyser.term for new raw tokens, together: each word lunr's trimmer leaves
        stemmed once ("model," and "(model)" are "model": ~30 % of the raws), and the class
        hashes of their forms made in one pass (class_hashes)."""
        if len(self.stems) > STEMS_KEPT:  # the memo's memory stays bounded at 100k papers
            self.stems.clear()
        terms, forms = lunr_terms(raws, self.stems)
        kept = [form for form, term in zip(forms, terms, strict=True) if term is not None]
        hashes = iter(class_hashes(kept))
        term_ids, form_ids = self.terms, self.forms
        for term, form in zip(terms, forms, strict=True):
            if term is None:  # a stop word
                self.term.append(-1)
                self.form.append(-1)
                self.hash.append(0)
                self.marked.append(False)
                continue
            self.term.append(term_ids.setdefault(term, len(term_ids)))
            self.form.append(-1 if form == term else form_ids.setdefault(form, len(form_ids)))
            self.hash.append(next(hashes))
            self.marked.append(not inflects(form, term))

    def columns(self) -> tuple[np.ndarray, ...]:
        """term, form, hash and marked by raw id, as arrays (extended by the raws learnt since
        the last call: at 100k papers, made afresh they took ~5 s of the index's time)."""
        known = len(self.kept[0])
        if known < len(self.term):
            fresh = (self.term, self.form, self.hash, self.marked)
            self.kept = tuple(
                np.concatenate((kept, np.array(values[known:], kept.dtype)))
                for kept, values in zip(self.kept, fresh, strict=True)
            )
        return self.kept


def lunr_terms(raws: list[str], stems: dict[str, str | None]) -> tuple[list, list[str]]:
    """porter.lunr_term and search.trimmed of each raw token, each word stemmed once
    (`stems`: word -> term, None for a stop word; kept across calls)."""
    terms, forms = [], []
    for raw in raws:
        match = TRIM.match(raw)
        # Where lunr's trimmer takes a run of word characters, that run is the trimmed form.
        word, form = (raw, trimmed(raw)) if match is None else (match.group(1),) * 2
        term = stems.get(word, "")
        if term == "":  # not seen (only "" is stemmed to "": made again, the same)
            term = stems[word] = word_term(word)
        terms.append(term)
        forms.append(form)
    return terms, forms


def class_hashes(words: list[str]) -> list[int]:
    """wordforms.class_hash of each word, the hashes of their distinct classes made at once."""
    classes = list(map(word_class, words))
    distinct_classes = list(dict.fromkeys(classes))
    hashed = dict(zip(distinct_classes, form_hashes(distinct_classes).tolist(), strict=True))
    return [hashed[word] for word in classes]


FNV_PRIME = np.uint32(0x01000193)
# Words up to this many UTF-16 units are hashed together, one numpy step per place; a longer
# one (a token of base64 in an abstract) one by one, as a step for all costs ~40 units' work.
TOGETHER_UNITS = 64


def form_hashes(words: list[str]) -> np.ndarray:
    """wordforms.form_hash of each word (FNV-1a over its UTF-16 code units)."""
    lengths = np.fromiter(map(utf16_length, words), np.int64, len(words))
    found = np.empty(len(words), np.int64)
    alone = np.flatnonzero(lengths > TOGETHER_UNITS)
    found[alone] = [form_hash(words[at]) for at in alone.tolist()]
    together = np.flatnonzero(lengths <= TOGETHER_UNITS)
    found[together] = hashed_together([words[at] for at in together.tolist()], lengths[together])
    return found


def hashed_together(words: list[str], lengths: np.ndarray) -> np.ndarray:
    """form_hashes of words of these UTF-16 lengths: one numpy step per place in a word for
    every word that long (longest first, so they are a prefix)."""
    units = np.frombuffer("".join(words).encode("utf-16-le", "surrogatepass"), np.uint16)
    starts = np.zeros(len(words), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    order = np.argsort(-lengths, kind="stable")
    longest_first, starts = -lengths[order], starts[order]  # negated: ascending
    hashes = np.full(len(words), 0x811C9DC5, np.uint32)
    for at in range(int(-longest_first[0]) if len(words) else 0):
        live = int(np.searchsorted(longest_first, -at, side="left"))  # words longer than at
        hashes[:live] = (hashes[:live] ^ units[starts[:live] + at]) * FNV_PRIME
    found = np.empty(len(words), np.int64)
    found[order] = hashes % FORM_HASHES + 1
    return found


@record
class FieldPostings:
    """One field's postings in a batch, one row per (document, term) group in document
    order, then first-use order: the group's document, term id, place among the field's
    terms, count and form mark (-1: none); and the slots of its words, group by group."""

    doc: np.ndarray
    term: np.ndarray
    at: np.ndarray
    tf: np.ndarray
    mark: np.ndarray
    slots: np.ndarray | None  # title and abstract only
    lengths: np.ndarray  # terms (with repeats) per document
    forms: tuple[np.ndarray, np.ndarray, np.ndarray]  # field_forms


class BatchAdder:
    """Documents indexed BATCH_DOCUMENTS at a time (search.DocumentAdder)."""

    size = BATCH_DOCUMENTS

    def __init__(self) -> None:
        self.raws = RawFacts()

    def __call__(self, index: ShardedIndex, docs: Sequence[Mapping[str, object]]) -> None:
        add_documents(index, docs, self.raws)


def add_documents(
    index: ShardedIndex, docs: Sequence[Mapping[str, object]], raws: RawFacts
) -> None:
    """Index docs next (their numbers follow index.documents), as many add_records would,
    the postings kept as codes (see the module docstring)."""
    if not docs:
        return
    if not index.coded:  # its postings are kept as codes (search.ShardedIndex.term_codes)
        if index.documents:
            raise ValueError("an index begun one Record at a time goes on that way")
        index.coded = True
    base, fields = index.documents, len(FIELDS)
    parts = [field_postings(docs, name, field, raws) for field, (name, _) in enumerate(FIELDS)]
    numbers = numbered_terms(index, parts, base, raws)
    postings_into(index, parts, numbers, base)
    lengths = np.stack([part.lengths for part in parts], axis=1)  # (document, field)
    index.lengths.extend(lengths.ravel().tolist())
    for field, total in enumerate(lengths.sum(axis=0).tolist()):
        index.totals[field] += total
    index.documents += len(docs)
    written_into(index, parts, raws)
    assert len(index.lengths) == index.documents * fields


def field_postings(
    docs: Sequence[Mapping[str, object]], name: str, field: int, raws: RawFacts
) -> FieldPostings:
    """A field's (document, term) groups in a batch (see FieldPostings)."""
    tokens = [tokenize(doc[name]) for doc in docs]
    counts = np.fromiter(map(len, tokens), np.int64, len(tokens))
    ids = raws.lookup(list(chain.from_iterable(tokens)))
    term_of, form_of, hash_of, marked_of = raws.columns()
    starts = np.cumsum(counts) - counts
    doc = np.repeat(np.arange(len(docs)), counts)
    term = term_of[ids] if len(ids) else np.zeros(0, np.int64)
    used = term >= 0
    position = np.arange(len(ids)) - starts[doc]
    slot = word_slot(used, position, doc, starts) if field in POSITION_FIELDS else None
    # Groups: tokens sorted by (document, term), in token order within each (stable).
    kept = np.flatnonzero(used)
    group_keys = doc[kept] * (len(raws.terms) + 1) + term[kept]
    sorting = stable_order(group_keys)
    order, keys = kept[sorting], group_keys[sorting]
    opens = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(order) else order
    tf = np.diff(np.r_[opens, len(order)])
    first = order[opens]  # each group's first token
    by_use = stable_order(first)  # document by document, first use first
    group_doc = doc[first][by_use]
    at = ranks_within(np.bincount(group_doc, minlength=len(docs)))  # place among its terms
    marks = form_marks(order, opens, ids, hash_of, marked_of)
    slots = None
    if slot is not None:  # the groups' slots, in by_use order of the groups
        rank = np.empty(len(by_use), np.int64)
        rank[by_use] = np.arange(len(by_use))
        token_group = np.repeat(rank, tf)
        slots = slot[order][stable_order(token_group)]
    forms = field_forms(order, ids, form_of, term, (doc * len(FIELDS) + field, position))
    return FieldPostings(
        doc=group_doc,
        term=term[first][by_use],
        at=at,
        tf=tf[by_use],
        mark=marks[by_use],
        slots=slots,
        lengths=np.bincount(doc[kept], minlength=len(docs)),
        forms=forms,
    )


def word_slot(
    used: np.ndarray, position: np.ndarray, doc: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """Each token's slot (search.word_slots): a word takes one, a run of stop words one
    (starts: where each document's tokens start)."""
    opens_doc = position == 0
    after_word = np.r_[False, used[:-1]] & ~opens_doc
    step = np.where(used, 1, opens_doc | after_word).astype(np.int64)
    before = np.cumsum(step) - step  # steps before each token, all documents together
    return before - np.r_[before, 0][starts][doc]  # an empty document has no tokens


def form_marks(
    order: np.ndarray,
    opens: np.ndarray,
    ids: np.ndarray,
    hash_of: np.ndarray,
    marked_of: np.ndarray,
) -> np.ndarray:
    """Each group's form mark (wordforms.pack_mark of its words' distinct hashes) where one
    of its words marks, else -1; groups in sorted (document, term) order."""
    groups = len(opens)
    group = np.repeat(np.arange(groups), np.diff(np.r_[opens, len(order)]))
    raw = ids[order]
    odd = np.zeros(groups, bool)
    odd[group[marked_of[raw]]] = True
    chosen = odd[group]
    pairs = distinct(group[chosen] * HASH_SPAN + hash_of[raw[chosen]])
    owner, hashes = pairs // HASH_SPAN, pairs % HASH_SPAN
    words = np.bincount(owner, minlength=groups)
    later = words[owner] - 1 - ranks_within(words)  # the group's hashes after this one
    few = words[owner] <= MARK_WORDS
    mark = np.full(groups, -1, np.int64)
    mark[odd] = 0
    np.add.at(mark, owner[few], hashes[few] << (10 * later[few]))  # the smallest highest
    many = ~few
    if many.any():
        bits = np.zeros(groups, np.int64)
        np.bitwise_or.at(bits, owner[many], 1 << (hashes[many] % MANY_BITS))
        crowded = distinct(owner[many])
        mark[crowded] = MANY_WORDS | bits[crowded]
    return mark


def field_forms(
    order: np.ndarray,
    ids: np.ndarray,
    form_of: np.ndarray,
    term: np.ndarray,
    where: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The field's words written otherwise than as their term: term id, form id and where
    each stands ((document, field) << FIELD_BITS | place), one per word."""
    kept = order[form_of[ids[order]] >= 0]
    doc_field, position = where
    return term[kept], form_of[ids[kept]], (doc_field[kept] << FIELD_BITS) | position[kept]


def numbered_terms(
    index: ShardedIndex, parts: list[FieldPostings], base: int, raws: RawFacts
) -> np.ndarray:
    """Term number of every term id, numbering the batch's new terms in lunr's order (by
    first use); -1 for terms not yet used."""
    names = list(raws.terms)
    known = index.terms
    numbers = np.fromiter((known.get(name, -1) for name in names), np.int64, len(names))
    fields = len(FIELDS)
    where = np.concatenate([part.doc * fields + field for field, part in enumerate(parts)])
    at = np.concatenate([part.at for part in parts])
    term = np.concatenate([part.term for part in parts])
    new = numbers[term] < 0
    uses = (where[new] << FIELD_BITS) | at[new]
    fresh = term[new]
    if len(fresh):
        by_use = np.lexsort((uses, fresh))
        opens = np.r_[True, fresh[by_use][1:] != fresh[by_use][:-1]]
        firsts, ids = uses[by_use][opens], fresh[by_use][opens]
        for use, term_id in sorted(zip(firsts.tolist(), ids.tolist(), strict=True)):
            numbers[term_id] = known[names[term_id]] = len(index.pairs)
            index.pairs.append(0)
            index.occurs.append(0)
            index.lasts.append(0)
            index.first.append(use + (base * fields << FIELD_BITS))  # search.first_use
            index.postings[numbers[term_id]] = array("i")
    return numbers


def postings_into(
    index: ShardedIndex, parts: list[FieldPostings], numbers: np.ndarray, base: int
) -> None:
    """Append the batch's postings to each term's codes (search.posting_codes: where minus
    the one before, tf code, mark?, slots each minus the one before), in where order, and
    count its pairs and words."""
    fields = len(FIELDS)
    number = np.concatenate([numbers[part.term] for part in parts])
    where = np.concatenate([(part.doc + base) * fields + field for field, part in enumerate(parts)])
    tf = np.concatenate([part.tf for part in parts])
    mark = np.concatenate([part.mark for part in parts])
    slotted = np.concatenate([np.full(len(part.doc), part.slots is not None) for part in parts])
    sizes = 2 + (mark >= 0) + np.where(slotted, tf, 0)
    starts = np.cumsum(sizes) - sizes  # by group in field order
    flat = np.zeros(int(sizes.sum()), np.int64)
    flat[starts] = where
    flat[starts + 1] = 2 * tf + (mark >= 0)  # search.tf_code
    flat[starts[mark >= 0] + 2] = mark[mark >= 0]
    offset = 0
    for part in parts:  # the slots follow the count and mark
        rows = len(part.doc)
        if part.slots is not None and rows:
            begin = starts[offset : offset + rows] + 2 + (part.mark >= 0)
            rank = ranks_within(part.tf)
            into = np.repeat(begin, part.tf) + rank
            flat[into] = part.slots
            later = np.flatnonzero(rank)  # a posting's slots after its first
            flat[into[later]] -= part.slots[later - 1]
        offset += rows
    codes_by_term(index, flat, starts, sizes, number, where, tf)


def codes_by_term(
    index: ShardedIndex,
    flat: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    number: np.ndarray,
    where: np.ndarray,
    tf: np.ndarray,
) -> None:
    """Reorder the groups' segments by (term number, where) and extend each term's codes
    (each where made minus the term's where before it)."""
    if not len(number):  # no words in the whole batch
        return
    order = lex_order((where, number))
    sorted_number, sorted_where = number[order], where[order]
    opens = np.r_[True, sorted_number[1:] != sorted_number[:-1]]  # a term's first posting
    before = np.r_[0, sorted_where[:-1]]
    lasts = index.lasts
    before[opens] = [lasts[term] for term in sorted_number[opens].tolist()]
    flat[starts[order]] -= before
    take = spans(starts[order], sizes[order])
    data = flat[take].astype(np.int32).tobytes()
    ends = np.cumsum(sizes[order])
    cuts = np.flatnonzero(np.r_[opens[1:], True])  # a term's last posting
    pairs = np.bincount(number, minlength=len(index.pairs))
    occurs = np.bincount(number, weights=tf, minlength=len(index.pairs)).astype(np.int64)
    previous, postings, all_pairs, all_occurs = 0, index.postings, index.pairs, index.occurs
    terms = sorted_number[cuts]
    columns = (terms, ends[cuts], pairs[terms], occurs[terms], sorted_where[cuts])
    counted = zip(*(column.tolist() for column in columns), strict=True)
    for term, end, held, words, last in counted:
        postings[term].frombytes(data[4 * previous : 4 * end])
        all_pairs[term] += held
        all_occurs[term] += words
        lasts[term] = last
        previous = end


def written_into(index: ShardedIndex, parts: list[FieldPostings], raws: RawFacts) -> None:
    """Add the batch's written forms to index.written, each new one in order of first use."""
    term, form, key = (np.concatenate([part.forms[i] for part in parts]) for i in range(3))
    if not len(term):
        return
    span = len(raws.forms)
    pairs, _, inverse, totals = groups(term * span + form)
    first = np.full(len(pairs), np.iinfo(np.int64).max)
    np.minimum.at(first, inverse, key)
    terms, forms = list(raws.terms), list(raws.forms)
    written = index.written
    order = np.argsort(first)  # the words' places are distinct
    for code, times in zip(pairs[order].tolist(), totals[order].tolist(), strict=True):
        term_of, form_of = terms[code // span], forms[code % span]
        counts = written.get(term_of)
        if counts is None:
            counts = written[term_of] = {}
        counts[form_of] = counts.get(form_of, 0) + times


# Ints made varints at once by coded_texts (with their digits, ends and positions: ~40 MB).
VARINT_CHUNK = 1 << 20
VARINT_CODES = np.frombuffer(VARINT_DIGITS.encode("ascii"), np.uint8)


def coded_texts(index: ShardedIndex, numbers: list[int]) -> Iterator[str]:
    """Each of these terms' codes (index.postings, made by postings_into) as varints, in
    this order, as search.varints makes them: by numpy, VARINT_CHUNK ints at a time (the
    shards at 10k papers: 191-195 -> 131-143 ms)."""
    start = 0
    while start < len(numbers):
        rows, size = [], 0
        while start < len(numbers) and (size < VARINT_CHUNK or not rows):
            rows.append(index.postings[numbers[start]])
            size += len(rows[-1])
            start += 1
        flat = np.frombuffer(b"".join(rows), np.int32)
        if flat.size and int(flat.min()) < 0:  # no code is: varint() tells what one means
            yield from (varints(row.tolist()) for row in rows)
            continue
        text, ends = varint_text(flat)
        bounds = np.r_[0, ends][run_starts([len(row) for row in rows])].tolist()
        yield from (text[a:b] for a, b in pairwise(bounds))


def varint_text(numbers: np.ndarray) -> tuple[str, np.ndarray]:
    """search.varint of each of many non-negative int32s: their digits as one string, and
    where each int's digits end in it."""
    values = np.asarray(numbers, np.int32)
    count = np.ones(len(values), np.int8)
    for shift in range(5, 35, 5):
        count += values >= 1 << shift
    ends = np.cumsum(count, dtype=np.int64)
    digits = np.empty(int(ends[-1]) if len(ends) else 0, np.uint8)
    at, k = ends - count, 0
    while len(values):  # digit k of every int that has one: 5 bits, lowest first
        more = count > k + 1
        code = values & 31
        code[more] += 32  # more digits follow
        digits[at + k] = VARINT_CODES.take(code)
        keep = np.flatnonzero(more)
        values, count, at, k = values[keep] >> 5, count[keep], at[keep], k + 1
    return digits.tobytes().decode("ascii"), ends
