"""The search index updated by difference, from the memo the last build left.

A clean build (search.indexed) reads every paper's analysed entry and indexes them all.
Here only the papers whose entry key changed since the memo are read (the old entry and
the new): their (field, paper) lengths, each term's pairs, words and words as written are
updated by subtraction and addition, and only the terms whose postings in those papers
changed have their codes edited, in place (the codes of the postings before and after
them are kept as they are: a posting's codes but its first are independent of the
others). Terms are numbered by first use (search.first_use), so a term is renumbered only
when a paper that uses it first changed, or one before it; the others keep their place.
A term of more than POSITION_POSTINGS pairs keeps only its best postings' slots in its
shard, by BM25 weights that depend on every title and abstract length: its codes are made
again (from its full postings, which the memo keeps) whenever a length of those changed.

The files equal a clean build's (tests/test_search_diff.py); a memo that does not fit
(most papers changed, or damaged) returns None, and the caller builds from scratch.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from functools import cache
from itertools import compress, count, pairwise
from operator import ne

from sitegen.cache import BytesOnDisk, SpillFile
from sitegen.catalog import Paper
from sitegen.output import Outputs
from sitegen.search import (
    FIELDS,
    MEMO_FORMAT,
    POSITION_FIELDS,
    POSITION_POSTINGS,
    TEXT_CHUNK_DOCS,
    VARINT_DIGITS,
    Analyser,
    Left,
    SearchMemo,
    ShardItem,
    Weighing,
    after_count,
    best_acronyms,
    first_use,
    flat_counts,
    head_text,
    json_text,
    late_codes,
    nothing_left,
    packed_entry,
    pairwise_items,
    read_entry,
    search_document,
    search_entry,
    shard_texts,
    short_varints,
    snippet_chars,
    staged_files,
    tf_code,
    tiered_texts,
    titles_of,
    varints,
    written_forms,
)
from sitegen.themes import Taxonomy

F = len(FIELDS)
VARINT = re.compile(r"[g-z0-9_-]*[A-Za-f]")  # one varint: digits 32-63, then one of 0-31
# A term's postings (or one paper's), flat: per posting its where, its count as tf_code, its
# mark if any and, for a title or abstract, its slots.
Row = list[int]


@cache
def varint_values() -> dict[str, int]:
    """Every varint of up to three digits -> its value."""
    return {text: number for number, text in enumerate(short_varints())}


@cache
def shared_analyser() -> Analyser:
    """One Analyser for every update in this process: a preview's warm worker keeps the
    pipeline's term of each raw token it has seen (a pure function of the token)."""
    return Analyser()


def decoded(text: str) -> tuple[list[int], list[str]]:
    """The ints a string of varints holds, and each one's digits."""
    digits = VARINT.findall(text)
    ints = list(map(varint_values().get, digits))
    if None in ints:  # a value of four digits or more
        ints = [n if n is not None else slow_value(d) for n, d in zip(ints, digits, strict=True)]
    return ints, digits  # type: ignore[return-value]


def slow_value(digits: str) -> int:
    """A varint's value, digit by digit."""
    return sum((VARINT_DIGITS.index(c) & 31) << (5 * k) for k, c in enumerate(digits))


def split_codes(codes: str) -> tuple[int, str]:
    """A memo's "LAST,CODES": the last posting's where, and the codes."""
    comma = codes.index(",")
    return int(codes[:comma]), codes[comma + 1 :]


def row_postings(row: Row) -> list[tuple[int, list[int]]]:
    """A paper's postings of a term as (where, its codes after the where: the count, its
    mark, a title's or abstract's slots each minus the one before)."""
    postings, at = [], 0
    while at < len(row):
        where, code = row[at], row[at + 1]
        head = row[at + 1 : at + 2 + (code & 1)]  # the count and its mark
        at += 1 + len(head)
        slots = row[at : at + after_count(where, code) - (code & 1)]
        at += len(slots)
        postings.append((where, [*head, *(b - a for a, b in pairwise([0, *slots]))]))
    return postings


def spliced(codes: str | None, edits: Mapping[int, Row]) -> str:
    """A term's "LAST,CODES" with the postings of the papers in edits replaced (paper ->
    its postings now, [] for none). Codes before and after the edited papers are kept."""
    low, high = min(edits) * F, (max(edits) + 1) * F
    last, text = split_codes(codes) if codes is not None else (-1, "")
    new = [p for paper in edits for p in row_postings(edits[paper])]
    ints: list[int] = []
    digits: list[str] = []
    at = count = start = 0
    before = where = max(last, 0)
    if low <= last:  # not only papers after its last posting (a new dump's): find them
        ints, digits = decoded(text)
        before, count = 0, len(ints)
        while at < count and before + ints[at] < low:
            before += ints[at]
            at += 2 + after_count(before, ints[at + 1])
        start, where = at, before
        while at < count and where + ints[at] < high:  # postings of papers among the edited
            where += ints[at]
            end = at + 2 + after_count(where, ints[at + 1])
            if where // F not in edits:
                new.append((where, ints[at + 1 : end]))
            at = end
        text = "".join(digits[:start])
    new.sort()
    out: list[int] = []
    previous = before
    for posting, rest in new:
        out.append(posting - previous)
        out += rest
        previous = posting
    text += varints(out)
    if at < count:  # the posting after them: its where minus the new one before it
        after = varints((where + ints[at] - previous,))
        return f"{last},{text}{after}{''.join(digits[at + 1 :])}"
    return f"{previous},{text}"


def first_untouched(codes: str, touched: set[int]) -> int | None:
    """The first (paper, field) pair holding a term, of a paper not in touched; None if none."""
    ints, _ = decoded(split_codes(codes)[1])
    at, where = 0, 0
    while at < len(ints):
        where += ints[at]
        if where // F not in touched:
            return where
        at += 2 + after_count(where, ints[at + 1])
    return None


def contributions(record: list, number: int) -> tuple[dict[str, Row], dict[str, int]]:
    """A paper's Record as each term's postings (a Row) and where it first uses each."""
    rows: dict[str, Row] = {}
    firsts: dict[str, int] = {}
    for field in range(F):
        entry = record[field]
        marks = dict(pairwise_items(entry[2]))
        slots = entry[3] if field in POSITION_FIELDS else None
        where = number * F + field
        for at, (term, tf) in enumerate(zip(entry[0], entry[1], strict=True)):
            row = rows.get(term)
            if row is None:
                row = rows[term] = []
                firsts[term] = first_use(where, at)
            mark = marks.get(at, 0)
            row += (where, tf_code(tf, mark), mark) if mark else (where, tf_code(tf, 0))
            if slots is not None:
                row += slots[at]
    return rows, firsts


def row_counts(row: Row | None) -> tuple[int, int]:
    """A Row's (field, paper) pairs and words."""
    pairs = words = at = 0
    while row and at < len(row):
        where, code = row[at], row[at + 1]
        pairs += 1
        words += code >> 1
        at += 2 + after_count(where, code)
    return pairs, words


class Update:
    """The memo's index as mutable tables by term, updated paper by paper."""

    def __init__(self, memo: SearchMemo, keys: list[str]):
        terms = memo["terms"]
        self.memo, self.keys = memo, keys
        self.pairs = dict(zip(terms, memo["pairs"], strict=True))
        self.occurs = dict(zip(terms, memo["occurs"], strict=True))
        self.first = dict(zip(terms, memo["first"], strict=True))
        self.codes: dict[str, str] = dict(memo["codes"])
        self.written: dict[str, list] = dict(memo["written"])
        self.tiered: dict[str, list] = dict(memo["tiered"])
        self.lengths = array("q")
        self.lengths.frombytes(memo["lengths"])
        if len(self.lengths) != len(memo["keys"]) * F or len(terms) != len(self.pairs):
            raise ValueError("search memo out of step")
        self.totals = list(memo["totals"])
        self.stamp = memo["stamp"]
        self.renumber = False  # a term was added, dropped or first used elsewhere
        self.edits: dict[str, dict[int, Row]] = {}  # term -> paper -> its postings now
        self.new_first: dict[str, int] = {}  # term -> its first use among changed papers
        self.affected: set[str] = set()
        self.forms: dict[str, dict[str, int]] = {}  # term -> its words as written, updated

    def change(self, number: int, old: list | None, new: list | None) -> None:
        """Paper number's Record was old (None: it had none) and is new (None: it is gone)."""
        old_rows, _ = contributions(old, number) if old is not None else ({}, {})
        new_rows, firsts = contributions(new, number) if new is not None else ({}, {})
        self.lengths_of(number, old, new)
        for term in old_rows.keys() | new_rows.keys():
            before, now = old_rows.get(term), new_rows.get(term)
            (pairs, words), (less_pairs, less_words) = row_counts(now), row_counts(before)
            self.pairs[term] = self.pairs.get(term, 0) + pairs - less_pairs
            self.occurs[term] = self.occurs.get(term, 0) + words - less_words
            if before != now:
                self.edits.setdefault(term, {})[number] = now or []
            if term in firsts:
                self.new_first[term] = min(firsts[term], self.new_first.get(term, firsts[term]))
            self.affected.add(term)
        for record, sign in ((old, -1), (new, 1)):
            forms = record[F] if record is not None else []
            for at in range(0, len(forms), 3):
                counts = self.counts_of(forms[at])
                counts[forms[at + 1]] = counts.get(forms[at + 1], 0) + sign * forms[at + 2]

    def counts_of(self, term: str) -> dict[str, int]:
        """A term's words as written (but itself), to update (written() keeps them)."""
        counts = self.forms.get(term)
        if counts is None:
            counts = self.forms[term] = dict(pairwise_items(self.written.get(term, [])))
        return counts

    def written_now(self) -> dict[str, list]:
        """The memo's "written", with the words of the terms updated."""
        for term, counts in self.forms.items():
            kept = {form: times for form, times in counts.items() if times > 0}
            if kept and term in self.pairs:
                self.written[term] = flat_counts(kept)
            else:
                self.written.pop(term, None)
        self.forms = {}
        return self.written

    def lengths_of(self, number: int, old: list | None, new: list | None) -> None:
        """Paper number's field lengths; a title or abstract length that changed (or a paper
        added or gone) changes every tiered term's weights: a new stamp."""
        before = [sum(old[f][1]) for f in range(F)] if old is not None else [0] * F
        now = [sum(new[f][1]) for f in range(F)] if new is not None else [0] * F
        for field in range(F):
            self.totals[field] += now[field] - before[field]
        if new is not None:
            self.lengths[number * F : number * F + F] = array("q", now)
        if old is None or new is None or before[:2] != now[:2]:
            self.stamp += 1

    def settle(self, touched: set[int], entries: Mapping[str, bytes]) -> None:
        """After every change: drop the terms no paper holds, edit the codes of the others,
        and find where each affected term is first used now."""
        for term in sorted(self.affected):
            if self.pairs[term] <= 0:
                for table in (self.pairs, self.occurs, self.first, self.codes, self.tiered):
                    table.pop(term, None)
                self.written.pop(term, None)
                self.renumber = True
                continue
            old_first = self.first.get(term)
            first = self.first_of(term, old_first, touched, entries)
            if term in self.edits:
                self.codes[term] = spliced(self.codes.get(term), self.edits[term])
            if first != old_first:
                self.first[term] = first
                self.renumber = True

    def first_of(
        self, term: str, old: int | None, touched: set[int], entries: Mapping[str, bytes]
    ) -> int:
        """Where a term is first used now: among the changed papers or, before them, where it
        was (if that paper did not change), else its first posting in an unchanged paper."""
        found = self.new_first.get(term)
        if old is not None and (old >> 32) // F not in touched:
            return old if found is None else min(old, found)
        where = first_untouched(self.codes[term], touched) if term in self.codes else None
        if where is None or (found is not None and (where << 32) > found):
            assert found is not None  # the term has pairs: some paper holds it
            return found
        record = read_entry(entries[self.keys[where // F]], shared_analyser())[0]
        return first_use(where, record[where % F][0].index(term))

    def order(self) -> list[str]:
        """The terms by number: by first use."""
        if not self.renumber:
            return list(self.memo["terms"])
        return sorted(self.first, key=self.first.__getitem__)

    def tiered_of(self, term: str, weighing: Weighing) -> list:
        """A tiered term's [stamp, shard codes, late codes], made again unless its postings
        and every title and abstract length are as when it was made."""
        known = self.tiered.get(term)
        if known is None or known[0] != self.stamp or term in self.edits:
            known = tiered_texts(decoded(split_codes(self.codes[term])[1])[0], weighing)
            known[0] = self.stamp
            self.tiered[term] = known
        return known


def updated(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    memo: SearchMemo,
    keys: list[str],
    left: Left = nothing_left,
    spill: SpillFile | None = None,
) -> tuple[Outputs, SearchMemo] | None:
    """search.search_index by difference from memo (keys: the papers' entry keys; left: the
    files on disk as the last build left them); None when most papers changed (a clean
    build is as fast). `spill`: the new memo's entries wait there, each taken out of the
    old memo as it moves (the old memo is then spent)."""
    before = memo["keys"]
    # The papers whose key changed, and those only one list has (a pair at a time, in C).
    touched = list(compress(count(), map(ne, before, keys)))
    touched += range(min(len(before), len(keys)), max(len(before), len(keys)))
    if not keys or 2 * len(touched) > len(keys):
        return None
    old_entries: dict[str, bytes] = memo["entries"]
    # In a side copy, the entries (~170 MB at 100k papers) go to its spill file before the
    # index is staged, not held beside discovery's peak until the memo is written.
    entries: MutableMapping[str, bytes] = {} if spill is None else BytesOnDisk(spill)
    move = old_entries.__getitem__ if spill is None else old_entries.pop
    fresh: dict[int, list] = {}
    analyser = shared_analyser()
    snippet = snippet_chars(len(papers))
    update = Update(memo, keys)
    update.lengths = update.lengths[: min(len(before), len(keys)) * F]
    update.lengths.extend([0] * (max(0, len(keys) - len(before)) * F))
    for number in touched:
        old = read_entry(old_entries[before[number]], analyser)[0] if number < len(before) else None
        new = None
        if number < len(keys):
            key = keys[number]
            packed = old_entries.get(key)
            if packed is None:
                document = search_document(number, papers[number], taxonomy, snippet)
                fresh[number] = search_entry(document, analyser)
                entries[key] = packed_entry(document)
            else:
                fresh[number] = read_entry(packed, analyser)
            new = fresh[number][0]
        update.change(number, old, new)
    for key in keys:
        if key not in entries:
            entries[key] = move(key)
    update.settle(set(touched), entries)
    return staged(papers, taxonomy, update, fresh, entries, left)


def staged(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    update: Update,
    fresh: Mapping[int, list],
    entries: MutableMapping[str, bytes],
    left: Left = nothing_left,
) -> tuple[Outputs, SearchMemo]:
    """The files of the updated index, and its memo."""
    memo, documents = update.memo, len(update.keys)
    derivable = list(memo["derivable"][:documents]) + [False] * (documents - len(memo["derivable"]))
    definitions = list(memo["acronyms"][:documents]) + [[]] * (documents - len(memo["acronyms"]))
    for number, entry in fresh.items():
        derivable[number], definitions[number] = entry[3], entry[2]
    snippets = {number: entry[1] for number, entry in fresh.items()}
    texts = text_chunks(memo["texts"], documents, len(memo["keys"]), snippets)
    order = update.order()
    weighing = Weighing(update.lengths, update.totals, documents)
    firsts, shards, lates = shard_texts(shard_items(update, order, weighing))
    update.tiered = {t: v for t, v in update.tiered.items() if update.pairs[t] > POSITION_POSTINGS}
    update.written_now()
    written = [
        written_forms(term, update.occurs[term], dict(pairwise_items(update.written.get(term, []))))
        for term in order
    ]
    pairs = [update.pairs[term] for term in order]
    head = head_text(order, written, pairs, weighing, firsts)
    listing = titles_of(papers, taxonomy, derivable)
    best = best_of(memo, definitions, fresh)
    files = staged_files((head, shards, lates), *listing, texts, best, left)
    new_memo = {
        "format": MEMO_FORMAT,
        "keys": update.keys,
        "entries": entries,
        "terms": order,
        "first": [update.first[term] for term in order],
        "pairs": pairs,
        "occurs": [update.occurs[term] for term in order],
        "written": update.written,
        "lengths": update.lengths.tobytes(),
        "totals": update.totals,
        "codes": update.codes,
        "tiered": update.tiered,
        "stamp": update.stamp,
        "derivable": derivable,
        "acronyms": definitions,
        "best acronyms": best,
        "texts": texts,
    }
    return files, new_memo


def shard_items(update: Update, order: list[str], weighing: Weighing) -> Iterator[ShardItem]:
    """Each term's shard item (search.shard_texts) in JavaScript's string order, made as its
    shard takes it: all at once, their codes held ~56 MB more at 100k papers."""
    numbers = {term: number for number, term in enumerate(order)}
    for term in sorted(order, key=lambda t: t.encode("utf-16-be")):
        number, pairs = numbers[term], update.pairs[term]
        if pairs > POSITION_POSTINGS:
            _, codes, late = update.tiered_of(term, weighing)
            late = late_codes(number, late)
        else:
            codes, late = split_codes(update.codes[term])[1], ""
        yield term, varints((number, pairs)) + codes, late


def best_of(memo: SearchMemo, definitions: list[list[str]], fresh: Mapping[int, list]) -> list:
    """The manifest's acronyms: the memo's when no paper's definitions changed (a notes
    edit's case: they come from titles and abstracts; counted again, 25 ms at 10k)."""
    old = memo["acronyms"]
    if len(definitions) == len(old) and all(old[n] == definitions[n] for n in fresh):
        return memo["best acronyms"]
    return best_acronyms(definitions)


def text_chunks(
    old: list[str], documents: int, before: int, snippets: Mapping[int, list[str]]
) -> list[str]:
    """The text chunks' JSON texts with the snippets of the papers that changed (a chunk cut
    short where papers are gone)."""
    count = -(-documents // TEXT_CHUNK_DOCS)
    texts = list(old[:count])
    redo = {number // TEXT_CHUNK_DOCS for number in snippets}
    if documents != before and documents:
        redo.add((documents - 1) // TEXT_CHUNK_DOCS)  # papers gone: the last chunk is shorter
    for chunk in sorted(redo):
        start = chunk * TEXT_CHUNK_DOCS
        known = json.loads(texts[chunk]) if chunk < len(texts) else []
        size = min(TEXT_CHUNK_DOCS, documents - start)
        records = [
            snippets[n] if n in snippets else known[n - start] for n in range(start, start + size)
        ]
        if chunk < len(texts):
            texts[chunk] = json_text(records)
        else:
            texts.append(json_text(records))
    return texts
