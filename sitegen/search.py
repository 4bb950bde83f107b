"""Client-side search: a lunr index prebuilt at build time, staged for the browser.

What the build writes (paths relative to the site root; every file is a classic
script that assigns into the global ``SITEGEN_SEARCH`` object, so it loads with a
<script> tag from file://, where Chromium blocks fetch(), XHR and Workers):

1. ``search/titles.js`` — stage one, small: every paper's title, theme and URL
   slug plus the theme list, the field boosts, the acronyms the corpus defines
   (``defined_acronyms``: "masked image modeling (MIM)") and the names of the
   other files. The browser builds an index of the titles itself (same ranking),
   so the first results appear after this one file. Above TITLE_STAGE_PAPERS
   papers it holds no titles (``docs``), only each paper's theme (``docThemes``,
   varints); the first results then come from the full index, and the titles of
   the hits shown load from ``search/names-NNN-HASH.js`` (TEXT_CHUNK_DOCS each;
   HASH is the hash of its group of CHUNK_GROUP chunks, which titles.js lists).
2. ``search/index-000-HASH.js`` — stage two's head, loaded in the background: lunr's
   header, the terms, the words they were written as, how many (field, paper)
   pairs hold each term and each (field, paper)'s length (see "The head" below).
3. ``search/shard-NNN-HASH.js`` — the postings, split by term: each shard holds a
   run of terms in sorted order, about SHARD_BYTES, and a query loads only the
   shards that hold its words (Pagefind's idea), so full-text results need the
   head and a few shards, never the whole index. Over http(s) a Web Worker loads
   them and ranks (static/search-engine.js's rankQuery), so the main thread never
   parses them; on file:// the page loads them as <script>s.
4. ``search/text-NNN-HASH.js`` — snippet text, TEXT_CHUNK_DOCS papers per file
   (named like the names chunks), loaded on demand for the hits on screen: each
   abstract and note, up to SNIPPET_CHARS characters (LEAD_CHARS on a site with no
   title stage), from which a results page shows the stretch that matched; and the tags.

Cache busting (GitHub Pages lets browsers cache every file for 10 minutes): each
data file's name ends in a hash of its content (a text or names chunk: of its
group's), so a cached copy is always right
for its name, and a file that did not change keeps its name (and its cache
entry) across builds. Only titles.js has a fixed name, so pages need not change
when the papers do (incremental builds re-render a page only when its view
changes). A cached titles.js is an older but consistent snapshot; once its data
files are gone from the server, loading one fails and static/search.js loads
``titles.js?v=<now>`` once, past the cache, and starts over from its names.

What is written. lunr's serialized index (``lunr(...).serialize()``) holds, for
every term, the (field, paper) pairs that contain it, and for every (field, paper)
a vector of BM25 weights. All of it follows from the term counts of each (field,
paper), its length and the idf of each term, so only those are written, plus
where each word of a title or abstract stands (for phrases). Ints are varints:
base-64 digits (VARINT_DIGITS), 5 bits each, lowest first, plus 32 on every digit
but the last; most take one or two characters.

The head: lunr's version, fields and pipeline, the field boosts, BM25's k1 and b,
``idf``: [pairs, idf, pairs, idf, ...] for every distinct number of (field, paper)
pairs holding a term (shipped because JavaScript's Math.log may round differently
from C's log); ``t``: the terms in lunr's term-number (``_index``) order;
``w``: for each term, the words that became it, as written (lower case, trimmed),
the most frequent first, or "" when that is the term itself (prefixes while typing
and typo corrections work on the words people write, not on stems); ``n``: the
(field, paper) pairs of each term; ``l``: each (paper, field)'s length (terms
counted with repeats), field by field, paper by paper within each; ``first``: the
first term of each shard; ``tier``: POSITION_POSTINGS (see "Positions").

A shard, ``s``: for each of its terms, its number, its count of postings, then per
posting in paper order: ``paper * fields + field`` minus the previous posting's
(the first: minus 0), the count, and for the title and abstract the word slots of
each occurrence, each minus the one before (a slot per word, one per run of stop
words). Every count is written ``2 * count + 1`` when a form mark follows it (before
any slots), else ``2 * count``: the mark holds a hash of each word that made the term in
that field (sitegen.wordforms), and is there only when one of them is not a form of the
term itself ("transformer" for the term "transform"), so the browser can tell which
papers hold a form of the word searched for.

Positions. Slots cost more than the rest of a posting, and a word in most papers of a
large site would need hundreds of KB of them. So a term held by more than the head's
``tier`` (POSITION_POSTINGS) (field, paper) pairs keeps, in its shard, the slots of
its POSITION_POSTINGS best-weighted title and abstract postings only (title boosted,
so titles first); for those fields its count (as above, with the mark bit) is written
doubled, plus 1 where the slots follow. The others' slots go to the shard's
late file, ``search/late-NNN-HASH.js`` (``p``: per term its number, how many ints
follow, then the slots, posting by posting), listed in titles.js's ``late`` by shard
("" for none). Ranking by words that stand together reads the shard's slots alone
(whatever else has loaded, so the dropdown and the page agree); a quoted phrase and
an acronym's long form need every slot, and load the late files of their words.
On a site of a few thousand papers no term has that many pairs.

The browser recomputes every weight with lunr.py's float expression and
Python's round(x, 3); tests/test_search.py checks through node that it gives the
very index lunr.py gives (tests/lunr_reference.py rebuilds lunr.py's serialized
index from the same counts, and checks that against lunr.py's own bytes).

Documents are numbered in the order the papers arrived (the build passes
``project.Project.arrival``; slug order without one), and the number is the lunr
ref, so refs are short, the output is reproducible, and a new dump's papers come last:
the text chunks of older papers keep their bytes. ``Analyser`` does lunr.py's
Builder.add without its per-posting dicts: each field's raw tokens are counted first,
and each distinct raw token goes through the pipeline once (memoised); ShardedIndex
keeps each term's postings as a flat array of ints (a cold index in batches: as the codes
the shard files hold, sitegen.search_batch).

Incremental: a build keeps a memo (``SearchMemo``, in the build cache) of each paper's
analysed entry, by the hash of what search reads of it, and of the index's state: each
term's pairs, words, first use and full postings' codes, each (paper, field)'s length, the
text chunks. The next build updates that state by difference (sitegen.search_diff): it
reads only the papers whose hash changed (old entry and new), and edits only the codes of
the terms whose postings in them changed, so a note or a new dump costs work in proportion
to the change, not to the corpus. The files are the same bytes as without a memo.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from functools import cache
from itertools import chain, pairwise
from typing import Any, Protocol

from lunr import __TARGET_JS_VERSION__
from lunr.stop_word_filter import WORDS as STOP_WORDS

from sitegen.cache import BytesOnDisk, SpillFile, TextsOnDisk, digest
from sitegen.catalog import Paper
from sitegen.output import Kept, Outputs
from sitegen.porter import lunr_term
from sitegen.records import record
from sitegen.texmath import tex_plain
from sitegen.text import derivable_slug, one_line
from sitegen.themes import Taxonomy, title_from_slug
from sitegen.wordforms import class_hash, inflects, pack_mark

REF = "id"
# Title matches must outrank abstract matches: BM25 per-field scores are multiplied
# by these boosts at build time.
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("abstract", 1),
    ("themes", 1),
    ("tags", 3),
    ("notes", 1),
)
POSITION_FIELDS = (0, 1)  # title and abstract: their word order is kept, for phrases
# A term held by more (field, paper) pairs than this keeps the word slots of only its
# best-weighted this many title and abstract postings in its shard; the others' go to
# a late file, loaded for exact phrases only (see "Positions" in the module docstring).
POSITION_POSTINGS = 12_000
K1, B = 1.2, 0.75  # BM25 parameters: lunr's Builder defaults
SHARD_BYTES = 16 * 1024  # terms per shard file: about this much before gzip
TEXT_CHUNK_DOCS = 25  # papers per snippet-text file (about 31 KB, 12 KB gzipped)
# Text and names chunks are named by a hash of their group of CHUNK_GROUP chunks, so
# titles.js lists a hash per group, not per file (at 100k papers: 250, not 4,000).
CHUNK_GROUP = 16
# Above this many papers titles.js would outgrow a first paint (about 300 KB gzipped
# at 20k): it then holds no titles, the first results come from the full index, and
# the titles of the hits shown load by chunk (names-NNN files, TEXT_CHUNK_DOCS each).
TITLE_STAGE_PAPERS = 20_000
# Snippet text kept of each abstract and note: most abstracts whole, so a result shows the
# stretch that holds the words searched for; on a site with no title stage (very large), the
# start only, as a 100k site must fit GitHub Pages' 1 GB (entry_keys hold which).
SNIPPET_CHARS = 1500
LEAD_CHARS = 300
GLOBAL = "SITEGEN_SEARCH"
HASH_CHARS = 10  # hex digits of SHA-256 in data file names
TRIMMER = re.compile(r"^\W+|\W+$")  # lunr.trimmer
SEPARATOR = re.compile(r"[ \t\n\r\f\v\xa0-]+")  # lunr.tokenizer.SEPARATOR_CHARS
# What str.split() splits at besides SEPARATOR's spaces (every str.isspace() character).
OTHER_SPACES = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_MARKERS = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
MARKDOWN_EMPHASIS = str.maketrans("", "", "*_`~")
# Digits of the ints in ``v``: none needs escaping in JSON or in a JS string literal.
VARINT_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

FieldVector = tuple[list[int], list[int]]  # one (field, paper): term numbers ascending, counts


@record
class SearchDoc:
    """One paper as search sees it: plain text, and its number (ref)."""

    ref: str
    slug: str
    title: str
    theme: str
    themes: str  # theme slugs and titles, primary first
    tags: str
    abstract: str
    notes: str
    snippet_chars: int = SNIPPET_CHARS  # snippet_chars(papers): what snippet_text keeps

    def fields(self) -> dict[str, str]:
        """The lunr document: ref plus the indexed fields, their accents dropped (folded)."""
        return {
            REF: self.ref,
            "title": without_accents(self.title),
            "abstract": without_accents(self.abstract),
            "themes": without_accents(self.themes),
            "tags": without_accents(self.tags),
            "notes": without_accents(self.notes),
        }

    def snippet_text(self) -> list[str]:
        """What a hit's snippet may show: the abstract and notes (or their start), the tags."""
        limit = self.snippet_chars
        return [lead(self.abstract, limit), lead(self.notes, limit), self.tags]


# The marks NFKD splits off Latin, Greek and Cyrillic letters (U+0300-U+036F): a reader
# types "frechet", "nystrom" and "renyi" for "Fréchet", "Nyström" and "Rényi". Only this
# block, named the same in static/search-engine.js (fold), so that both sides agree
# whatever Unicode version each knows.
ACCENTS = re.compile("[\u0300-\u036f]")
# Dropped before NFKD, which makes a spacing accent a space and a mark ("Fr´echet", as a PDF
# copies "Fréchet", would be two words) and ™ letters glued to the word ("watsontm"): the
# 34 characters NFKD makes a space and a mark, ™ and ℠ (search-engine.js: the same list).
DROPPED = re.compile(
    "[\u00a8\u00af\u00b4\u00b8\u02d8-\u02dd\u037a\u0384\u0385\u1fbd\u1fbf-\u1fc1"
    "\u1fcd-\u1fcf\u1fdd-\u1fdf\u1fed\u1fee\u1ffd\u1ffe\u2017\u203e\u2120\u2122"
    "\ufe49-\ufe4c\uffe3]"
)


def folded(text: str) -> str:
    """Text as search reads it, in lower case with accents dropped ("Fréchet": "frechet"):
    DROPPED out, NFKD, ACCENTS out, NFC again, lower case; search-engine.js's fold, step
    for step."""
    return without_accents(text).lower()


def without_accents(text: str) -> str:
    """folded but for the lower case, which the index's tokenizer makes (an ASCII text as
    it is: the same text, and no copy)."""
    if text.isascii():
        return text
    decomposed = ACCENTS.sub("", unicodedata.normalize("NFKD", DROPPED.sub("", text)))
    return unicodedata.normalize("NFC", decomposed)


def plain_text(markdown: str) -> str:
    """Markdown source as one line of readable text (links keep their words, TeX its words)."""
    text = tex_plain(markdown)
    text = MARKDOWN_LINK.sub(r"\1", text) if "](" in text else text
    # Line markers first, then every emphasis character: the same as one regex
    # alternating both, but str.translate is much faster. On one line, a marker can only
    # open it; and most abstracts have no emphasis character to take out.
    if "\n" in text:
        text = MARKDOWN_MARKERS.sub("", text)
    elif (opening := MARKDOWN_MARKERS.match(text)) is not None:
        text = text[opening.end() :]
    if "*" in text or "_" in text or "`" in text or "~" in text:
        text = text.translate(MARKDOWN_EMPHASIS)
    return one_line(text)  # whitespace folded as " ".join(text.split()) folds it


def snippet_chars(papers: int) -> int:
    """How much of each abstract and note a site of this many papers keeps for snippets."""
    return LEAD_CHARS if papers > TITLE_STAGE_PAPERS else SNIPPET_CHARS


def lead(text: str, limit: int) -> str:
    """At most limit characters from the start of text, cut at a space, "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut <= limit // 2:  # hardly any spaces: cut inside a word
        cut = limit - 1
    return text[:cut].rstrip() + "…"


def theme_title(taxonomy: Taxonomy, slug: str) -> str:
    """A theme's display title, also for folders missing from themes.yaml."""
    theme = taxonomy.get(slug)
    return theme.title if theme is not None else title_from_slug(slug)


def theme_words(paper: Paper, taxonomy: Taxonomy) -> str:
    """A paper's themes as search indexes them: slugs and titles, primary first."""
    return " ".join(f"{slug} {theme_title(taxonomy, slug)}" for slug in paper.themes)


def search_document(
    number: int, paper: Paper, taxonomy: Taxonomy, snippet: int = SNIPPET_CHARS
) -> SearchDoc:
    """One paper as a search document, ref number (snippet: its snippet_chars)."""
    return SearchDoc(
        ref=str(number),
        slug=paper.slug,
        title=paper.title,
        theme=paper.theme,
        themes=theme_words(paper, taxonomy),
        tags=" ".join(paper.tags),
        abstract=plain_text(paper.abstract),
        notes=plain_text(paper.notes),
        snippet_chars=snippet,
    )


def search_documents(papers: Iterable[Paper], taxonomy: Taxonomy) -> list[SearchDoc]:
    """The papers as search documents, in slug order (the ref is the position)."""
    ordered = sorted(papers, key=lambda p: p.slug)
    return [search_document(number, paper, taxonomy) for number, paper in enumerate(ordered)]


# --- the index ---------------------------------------------------------------


def tokenize(value: object) -> list[str]:
    """lunr.py's Tokenizer for a string field, without the Token objects."""
    if value is None:
        return []
    text = str(value).lower()
    if splits_as_lunr(text):  # str.split(): twice as fast
        return text.replace("-", " ").split()
    return [raw for raw in SEPARATOR.split(text) if raw]


def splits_as_lunr(text: str) -> bool:
    """Whether str.split() splits text where lunr does: no whitespace that lunr keeps in a
    word (OTHER_SPACES; of ASCII only \x1c-\x1f: four scans cost less than the pattern)."""
    if text.isascii():
        return not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)
    return OTHER_SPACES.search(text) is None


# One document as the index needs it (plain lists, so the build cache can keep it): per
# field in FIELDS order, [its terms in order of first use, their counts, its form marks
# (Analyser.marks)] and, for the title and abstract, [each term's word slots]; then the
# words as written that are not the term itself, flat: [term, word, count, ...].
Record = list


class Analyser:
    """lunr.py's Builder.add for one document, without the index: a Record.

    Each field's raw tokens are counted first (in C), and each distinct raw token goes
    through lunr.py's pipeline once (sitegen.porter, memoised), so most words cost one
    dict lookup.
    """

    def __init__(self) -> None:
        self.term_of: dict[str, str | None] = {}  # raw token -> its term, None: a stop word
        # raw token -> its trimmed form, None where that is its term (counted as the rest)
        self.form_of: dict[str, str | None] = {}
        self.marked: set[str] = set()  # raw tokens that give their term's posting a mark
        self.hash_of: dict[str, int] = {}  # raw token -> its form's class's hash (form_mark)

    def term(self, raw: str) -> str | None:
        """The term lunr's pipeline makes of a raw token, None if none."""
        term = lunr_term(raw)
        form = trimmed(raw)
        self.form_of[raw] = None if form == term else form
        self.term_of[raw] = term
        if term is not None:
            self.hash_of[raw] = class_hash(form)
            if not inflects(form, term):
                self.marked.add(raw)
        return term

    def record(self, doc: Mapping[str, object]) -> Record:
        """The document's Record."""
        record: Record = []
        written: dict[str, int] = {}  # raw token -> its count in all fields (not stop words)
        term_of, marked = self.term_of, self.marked
        for field, (name, _) in enumerate(FIELDS):
            tokens = tokenize(doc[name])
            counts: dict[str, int] = {}
            odd: set[str] = set()  # terms whose posting has a mark
            distinct = Counter(tokens)
            for raw, times in distinct.items():
                term = term_of[raw] if raw in term_of else self.term(raw)
                if term is not None:  # else a stop word
                    counts[term] = counts.get(term, 0) + times
                    written[raw] = written.get(raw, 0) + times
                    if raw in marked:
                        odd.add(term)
            terms = list(counts)  # first use: lunr numbers new terms in this order
            entry = [terms, list(counts.values()), self.marks(terms, distinct, odd) if odd else []]
            if field in POSITION_FIELDS:
                slots = word_slots(tokens, term_of)
                entry.append([slots[term] for term in terms])
            record.append(entry)
        # A raw token has one term and one form, so (term, form) pairs come in the order
        # their tokens were first used.
        forms: dict[tuple[str, str], int] = {}
        form_of = self.form_of
        for raw, times in written.items():
            form = form_of[raw]
            if form is not None:  # its term itself: its count is what the others leave
                pair = (term_of[raw], form)  # type: ignore[arg-type]
                forms[pair] = forms.get(pair, 0) + times
        record.append([x for (term, form), times in forms.items() for x in (term, form, times)])
        return record

    def marks(self, terms: list[str], raws: Iterable[str], odd: set[str]) -> list[int]:
        """A field's form marks (wordforms.form_mark: the odd terms' words' hashes, packed),
        sparse: [at, mark, ...] by their place in terms."""
        hashes: dict[str, set[int]] = {term: set() for term in odd}
        term_of, hash_of = self.term_of, self.hash_of
        for raw in raws:
            term = term_of[raw]
            if term in hashes:
                hashes[term].add(hash_of[raw])
        return [
            x for at, term in enumerate(terms) if term in odd for x in (at, pack_mark(hashes[term]))
        ]


def pairwise_items(flat: list) -> list[tuple]:
    """[key, value, key, value, ...] (a term's forms and counts, a field's marks) as pairs."""
    return list(zip(flat[::2], flat[1::2], strict=True))


def trimmed(raw: str) -> str:
    """lunr's trimmer: a token without its leading and trailing non-word characters."""
    return TRIMMER.sub("", raw)


def word_slots(tokens: list[str], term_of: Mapping[str, str | None]) -> dict[str, list[int]]:
    """Where each term stands in a field: its words' slots (a run of stop words is one slot)."""
    slots: dict[str, list[int]] = {}
    found = slots.get  # the hottest loop of the index: locals, and no setdefault's new list
    at, in_gap = 0, False
    for term in [term_of[raw] for raw in tokens]:
        if term is None:
            at += not in_gap
            in_gap = True
            continue
        where = found(term)
        if where is None:
            slots[term] = [at]
        else:
            where.append(at)
        at += 1
        in_gap = False
    return slots


def tf_code(tf: int, mark: int) -> int:
    """A posting's count as a Row and a shard write it: 2 * tf, plus 1 when its form mark
    (wordforms.form_mark) follows."""
    return 2 * tf + (mark != 0)


def after_count(where: int, code: int) -> int:
    """How many ints follow a posting's count in a Row (or its codes): its mark, if any,
    and a title's or abstract's slots."""
    return (code & 1) + ((code >> 1) if where % len(FIELDS) in POSITION_FIELDS else 0)


# Per field (by where % len(FIELDS)): whether its postings hold word slots.
HAS_SLOTS = tuple(field in POSITION_FIELDS for field in range(len(FIELDS)))


def posting_codes(row: Sequence[int], previous: int = 0) -> tuple[list[int], int]:
    """A term's postings (a Row) as shard codes: each ``where`` minus the one before (the
    first: minus previous), the count (tf_code), its mark, the slots of a title or abstract
    word each minus the one before; and the last ``where``."""
    codes: list[int] = []
    # A loop over every posting of the index (1.2M at 10k papers): locals only, and one
    # slot (most words appear once in a field) appended without slicing.
    append, extend, has_slots, fields = codes.append, codes.extend, HAS_SLOTS, len(FIELDS)
    at, end = 0, len(row)
    while at < end:
        where, code = row[at], row[at + 1]
        append(where - previous)
        append(code)
        if code & 1:  # a mark follows
            append(row[at + 2])
            at += 3
        else:
            at += 2
        if has_slots[where % fields]:  # tf >= 1 slots: a term in a field is used
            count = code >> 1
            if count == 1:
                append(row[at])
            else:
                slots = row[at : at + count]
                append(slots[0])
                extend([b - a for a, b in pairwise(slots)])
            at += count
        previous = where
    return codes, previous


class Weights:
    """lunr.py's BM25 field-vector weights, with its exact float arithmetic."""

    def __init__(self, documents: int, totals: Sequence[int], pairs: Sequence[int]) -> None:
        self.documents = documents
        # lunr divides by the average only for a non-empty vector, so 0 documents never do
        self.average = [length / (documents or 1) for length in totals]
        self.pairs = pairs  # term number -> (field, document) pairs holding it
        self.idf_of: dict[int, float] = {}

    def idf(self, pairs: int) -> float:
        """lunr.idf of a term that pairs (field, document) pairs hold."""
        idf = self.idf_of.get(pairs)
        if idf is None:
            x = (self.documents - pairs + 0.5) / (pairs + 0.5)
            idf = self.idf_of[pairs] = math.log(1 + abs(x))
        return idf

    def table(self) -> list[float]:
        """[pairs, idf, pairs, idf, ...] for every pair count a term has, ascending."""
        return [x for pairs in sorted(set(self.pairs)) for x in (pairs, self.idf(pairs))]


# --- the compact index (see the module docstring) -------------------------------


def varint(number: int) -> str:
    """A non-negative int in VARINT_DIGITS: 5 bits a digit, lowest first, 32 = more follow."""
    digits = []
    while number >= 32:
        digits.append(VARINT_DIGITS[32 + (number & 31)])
        number >>= 5
    digits.append(VARINT_DIGITS[number])
    return "".join(digits)


@cache
def short_varints() -> tuple[str, ...]:
    """Every int of up to 3 digits, by its digits (32,768 varint() calls took 15 ms; made on
    first use, in the copy that makes the index, not at each import: 5 ms)."""
    found = [*VARINT_DIGITS[:32]]
    found += [low + high for high in VARINT_DIGITS[1:32] for low in VARINT_DIGITS[32:]]
    found += [
        low + middle + high
        for high in VARINT_DIGITS[1:32]
        for middle in VARINT_DIGITS[32:]
        for low in VARINT_DIGITS[32:]
    ]
    return tuple(found)


class VarintTable(dict[int, str]):
    """int -> its varint: those of up to 3 digits held, a larger one made when asked for
    (not kept: at 100k papers, the first posting of many terms has its own). A negative or
    non-integral key is refused; a float equal to a held int is taken as that int (callers
    pass ints)."""

    def __missing__(self, number: int) -> str:
        try:
            value = operator.index(number)  # an int, a numpy int; not a float
        except TypeError:
            value = -1
        if value < 0:
            raise ValueError(f"not a varint: {number!r}")
        return varint(value)


@cache
def varint_table() -> VarintTable:
    """The one VarintTable, filled with short_varints()."""
    return VarintTable(enumerate(short_varints()))


def varints(numbers: Iterable[int]) -> str:
    """Ints as one string of varints (each looked up in C, the few large ones made)."""
    return "".join(map(varint_table().__getitem__, numbers))


def index_header(weights: Weights) -> dict:
    """What chunk 0 says before the terms: lunr's header and what the weights need."""
    return {
        "version": __TARGET_JS_VERSION__,
        "fields": [name for name, _ in FIELDS],
        "pipeline": ["stemmer"],
        "boosts": [boost for _, boost in FIELDS],
        "k1": K1,
        "b": B,
        "idf": weights.table(),
    }


def groups(items: Iterable[tuple[str, ...]], limit: int, first: int) -> Iterator[list]:
    """(key, text, ...) items in runs of about limit bytes of text (first: the first run's)."""
    run: list[tuple[str, str]] = []
    size = first
    for item in items:
        if run and size + len(item[1]) + 1 > limit:
            yield run
            run, size = [], 0
        run.append(item)
        size += len(item[1]) + 1
    if run:  # a list with no papers yet has no terms, and so no shards
        yield run


class ShardedIndex:
    """The index split by term (see the module docstring), built one Record at a time, from
    scratch (sitegen.search_diff updates the memo it leaves by difference)."""

    def __init__(self) -> None:
        self.analyser = Analyser()
        self.terms: dict[str, int] = {}  # term -> number, in order of first use (lunr's)
        self.first: list[int] = []  # term number -> where it was first used (first_use)
        self.pairs: list[int] = []  # term number -> (field, document) pairs holding it
        self.totals = [0] * len(FIELDS)  # terms per field, all documents together
        self.documents = 0
        self.lengths: array[int] = array("q")  # terms in each (document, field)
        # term -> [doc * F + field, tf, slots...], until shards() turns them into codes; or
        # (`coded`: search_batch makes them so) the codes already, its last where in `lasts`
        self.postings: dict[int, array[int]] = {}
        self.coded = False
        self.lasts: list[int] = []  # term number -> its last posting's where (when coded)
        self.occurs: list[int] = []  # term number -> its words in all fields and documents
        self.written: dict[str, dict[str, int]] = {}  # term -> its words as written, but itself
        self.codes: dict[str, str] = {}  # term -> "LAST,CODES": all its postings (term_codes)
        self.tiered: dict[str, list] = {}  # term -> [0, its shard codes, its late codes]

    def add(self, doc: Mapping[str, object]) -> list[FieldVector]:
        """Index the next document (its ref must be its number: 0, 1, 2, ...); its field
        vectors (term numbers ascending, counts), in FIELDS order."""
        if str(doc[REF]) != str(self.documents):
            raise ValueError(f"ref {doc[REF]!r} out of order: expected {self.documents}")
        record = self.analyser.record(doc)
        self.add_record(record)
        vectors = []
        for entry in record[: len(FIELDS)]:
            pairs = sorted((self.terms[term], tf) for term, tf in zip(*entry[:2], strict=True))
            vectors.append(([n for n, _ in pairs], [tf for _, tf in pairs]))
        return vectors

    def add_record(self, record: Record) -> None:
        """Index the next document from its Record."""
        if self.coded:  # its postings are codes (search_batch): rows would not fit in
            raise ValueError("an index begun in batches goes on in batches")
        number, fields = self.documents, len(FIELDS)
        self.documents += 1
        terms, pairs, occurs, postings = self.terms, self.pairs, self.occurs, self.postings
        for field in range(fields):
            entry = record[field]
            words, counts = entry[0], entry[1]
            marks, k = entry[2], 0  # [at, code, ...] by at: the next mark is marks[k]'s
            mark_at = marks[0] if marks else -1
            slots = entry[3] if field in POSITION_FIELDS else None
            length = sum(counts)
            self.lengths.append(length)
            self.totals[field] += length
            where = number * fields + field
            for at, term in enumerate(words):
                n = terms.get(term)
                if n is None:
                    n = terms[term] = len(pairs)
                    pairs.append(0)
                    occurs.append(0)
                    self.first.append(first_use(where, at))
                    row = postings[n] = array("i")  # int32: half of "q" (the ints < 2**31)
                else:
                    row = postings[n]
                pairs[n] += 1
                occurs[n] += counts[at]
                row.append(where)
                if at != mark_at:
                    row.append(2 * counts[at])  # tf_code
                else:
                    row.append(2 * counts[at] + 1)
                    row.append(marks[k + 1])
                    k += 2
                    mark_at = marks[k] if k < len(marks) else -1
                if slots is not None:
                    row.extend(slots[at])
        written = self.written
        forms = record[fields]
        for at in range(0, len(forms), 3):
            term, form = forms[at], forms[at + 1]
            counts = written.get(term)
            if counts is None:
                counts = written[term] = {}
            counts[form] = counts.get(form, 0) + forms[at + 2]  # a Counter's += calls Python

    def sorted_terms(self) -> list[tuple[str, int]]:
        """(term, number) in JavaScript's string order (UTF-16 code units)."""
        return sorted(self.terms.items(), key=lambda item: item[0].encode("utf-16-be"))

    def shards(self, limit: int = SHARD_BYTES) -> tuple[list[str], list[str], list[str]]:
        """The first term of each shard, the shards' JSON texts (``s``) and their late
        files' (``p``; "" for a shard without one). Fills ``codes`` and ``tiered``, and
        empties ``postings`` as it goes (once, then: at 100k papers they hold ~100M ints)."""
        ordered = self.sorted_terms()
        texts: Iterable[str | None] = [None] * len(ordered)
        if self.coded:  # made in batches (numpy is loaded): its codes made varints at once
            from sitegen.search_batch import coded_texts

            texts = coded_texts(self, [number for _, number in ordered])
        return shard_texts(self.shard_items(ordered, texts), limit)

    def shard_items(
        self, ordered: list[tuple[str, int]], texts: Iterable[str | None]
    ) -> Iterator[ShardItem]:
        """Each term's shard item, made as its shard takes it (all at once, their codes
        held as much again as the shards' texts)."""
        for (term, number), text in zip(ordered, texts, strict=True):
            codes, late = self.term_codes(term, number, text)
            yield term, varints((number, self.pairs[number])) + codes, late

    def term_codes(self, term: str, number: int, text: str | None = None) -> tuple[str, str]:
        """One term's postings in its shard (after its number and count) and its late
        codes (its number, how many ints follow, the slots the shard lacks), as varints
        (`text`: its codes' varints, made already: search_batch.coded_texts)."""
        row = self.postings.pop(number)
        tiered = self.pairs[number] > POSITION_POSTINGS
        if not self.coded:
            codes, last = posting_codes(row)
        else:  # as a list only where text or tiers need it
            codes = row.tolist() if text is None or tiered else []
            last = self.lasts[number]
        text = varints(codes) if text is None else text
        self.codes[term] = f"{last},{text}"
        if not tiered:
            return text, ""
        self.tiered[term] = tiers = tiered_texts(codes, self.weighing())
        return tiers[1], late_codes(number, tiers[2])

    def weighing(self) -> Weighing:
        """What tiered_codes weighs postings by."""
        return Weighing(self.lengths, self.totals, self.documents)

    def head(self, firsts: list[str]) -> str:
        """The JSON text of the head file: lunr's header, terms, their words and counts."""
        written = [
            written_forms(term, self.occurs[number], self.written.get(term))
            for term, number in self.terms.items()
        ]
        return head_text(list(self.terms), written, self.pairs, self.weighing(), firsts)


def first_use(where: int, at: int) -> int:
    """Where a term is first used, as one int that sorts like lunr numbers terms: its
    (document, field) pair, then its place in that field's terms (first use first)."""
    return (where << 32) | at


@record
class Weighing:
    """What BM25 weights of the whole index depend on: each (document, field)'s length,
    each field's total length and the number of documents."""

    lengths: Sequence[int]
    totals: Sequence[int]
    documents: int


# A term in its shard: (term, its number, count and codes, its late codes), as varints.
ShardItem = tuple[str, str, str]


def shard_texts(
    items: Iterable[ShardItem], limit: int = SHARD_BYTES
) -> tuple[list[str], list[str], list[str]]:
    """Shard items in JavaScript's string order, as shards: the first term of each, their
    JSON texts and their late files' ("" if none); the items are taken one at a time."""
    firsts, texts, lates = [], [], []
    for run in groups(items, limit, 0):  # sized by the shard's codes (item[1])
        firsts.append(run[0][0])
        texts.append(json_text({"s": "".join(codes for _, codes, _ in run)}))
        late = "".join(late for _, _, late in run)
        lates.append(json_text({"p": late}) if late else "")
    return firsts, texts, lates


def tiered_codes(codes: Sequence[int], weighing: Weighing) -> tuple[list[int], list[int]]:
    """The shard codes of a term with more than POSITION_POSTINGS pairs, from all its
    postings' codes (posting_codes), and the slots its late codes hold: its best title and
    abstract postings keep their slots (their count code written 2 * code + 1), the
    others' (2 * code) go to the late codes. Every where and slot keeps its code."""
    fields = len(FIELDS)
    postings = []  # (where, count code, where its where's code is)
    append, at, where, end = postings.append, 0, 0, len(codes)
    while at < end:
        where += codes[at]
        code = codes[at + 1]
        append((where, code, at))
        at += 2 + after_count(where, code)
    positional = [(w, code >> 1) for w, code, _ in postings if w % fields in POSITION_FIELDS]
    kept = best_postings(positional, weighing)
    shard: list[int] = []
    late: list[int] = []
    for where, code, at in postings:
        slots = at + 2 + (code & 1)  # after its where, count and mark
        if where % fields not in POSITION_FIELDS:
            shard += codes[at:slots]
            continue
        shard += codes[at : at + 1]
        shard.append(2 * code + (where in kept))
        shard += codes[at + 2 : slots]
        (shard if where in kept else late).extend(codes[slots : slots + (code >> 1)])
    return shard, late


def tiered_texts(codes: Sequence[int], weighing: Weighing) -> list:
    """A tiered term's shard codes and late codes (but its number) as varints, from all its
    postings' codes, as the memo keeps them: [0, codes, late] ("" when no slot is late)."""
    codes, late = tiered_codes(codes, weighing)
    return [0, varints(codes), varints((len(late), *late)) if late else ""]


def late_codes(number: int, late: str) -> str:
    """A tiered term's late codes: its number, then what tiered_texts made ("" for none)."""
    return varints((number,)) + late if late else ""


def best_postings(postings: list[tuple[int, int]], weighing: Weighing) -> set[int]:
    """Of (where, tf) title and abstract postings of a term, the POSITION_POSTINGS with
    the highest BM25 weights (title boosted; ties: the first paper): their wheres."""
    import numpy as np  # here, not at the top: a build that keeps its index needs no numpy

    where = np.fromiter((w for w, _ in postings), np.int64, len(postings))
    tf = np.fromiter((t for _, t in postings), np.float64, len(postings))
    field = where % len(FIELDS)
    average = np.array(weighing.totals, np.float64) / weighing.documents
    boost = np.array([b for _, b in FIELDS], np.float64)
    lengths = np.asarray(weighing.lengths, np.int64)[where]
    norm = K1 * (1 - B + B * (lengths / average[field]))
    weight = tf * (K1 + 1) / (norm + tf) * boost[field]
    best = np.lexsort((where, -weight))[:POSITION_POSTINGS]
    return set(where[best].tolist())


def written_forms(term: str, occurs: int, counts: Mapping[str, int] | None) -> str:
    """A term's words as written, the most frequent first ("" when only itself)."""
    if not counts:
        return ""  # written only as itself
    itself = occurs - sum(counts.values())
    counts = Counter({**counts, term: itself}) if itself > 0 else counts
    return " ".join(sorted(counts, key=lambda form: (-counts[form], form)))


def head_text(
    terms: list[str], written: list[str], pairs: Sequence[int], weighing: Weighing, firsts: list
) -> str:
    """The JSON text of the head file: lunr's header, terms (by number), their words and
    counts, the lengths and each shard's first term."""
    lengths, fields = weighing.lengths, len(FIELDS)
    return json_text(
        {
            **index_header(Weights(weighing.documents, weighing.totals, pairs)),
            "t": terms,
            "w": written,
            "n": varints(pairs),
            # by field, each paper in turn: a field's lengths are alike, so gzip does better
            "l": varints(chain.from_iterable(lengths[f::fields] for f in range(fields))),
            "first": firsts,
            "tier": POSITION_POSTINGS,
        }
    )


# --- acronyms -----------------------------------------------------------------------

ACRONYM = re.compile(r"\(([A-Za-z][A-Za-z0-9]{1,9})\)")
LONG_FORM_WORD = re.compile(r"[A-Za-z0-9][\w'-]*")


def long_form(short: str, before: str) -> list[str] | None:
    """The words before "(SHORT)" that spell short (Schwartz and Hearst, 2003), or None.

    Each letter of short must occur in order in the long form, the first at the start of
    a word; the long form has at most min(len + 5, 2 * len) words.
    """
    letters = short.lower()
    if len(letters) > 2 and short[-1] == "s" and short[-2].isupper():
        letters = letters[:-1]  # a plural: "LLMs"
    words = LONG_FORM_WORD.findall(before.rsplit(".", 1)[-1])
    words = words[-min(len(letters) + 5, 2 * len(letters)) :]
    text = " ".join(words).lower()
    at = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        at = text.rfind(letters[index], 0, at + 1)  # the last letter before, found in C
        while index == 0 and at > 0 and text[at - 1].isalnum():  # the first: a word's start
            at = text.rfind(letters[0], 0, at)
        if at < 0:
            return None
        at -= 1
    found = text[text.rfind(" ", 0, at + 1) + 1 :].split()
    # Every word but a stop word ("of", "with") starts with one of the letters: not
    # "automated search for more compact models (AutoML)".
    spelled = all(w[0] in letters for w in found if w not in STOP_WORDS)
    return found if len(found) >= 2 and found[0][0] == letters[0] and spelled else None


def acronym_definitions(text: str) -> list[str]:
    """[short form, long form, ...] for every acronym one text defines, in order."""
    found = []
    for match in ACRONYM.finditer(text):
        short = match.group(1)
        if sum(c.isupper() for c in short) < 2:
            continue
        words = long_form(short, text[max(0, match.start() - 200) : match.start()])
        if words:
            found += (short.rstrip("s") if short[-1] == "s" else short, " ".join(words))
    return found


def defined_acronyms(texts: Iterable[str]) -> list[list[str]]:
    """[short form, long form] for every acronym texts define ("masked image modeling (MIM)").

    Each short form (2+ capitals) gets its most frequent long form; sorted by short form.
    """
    return best_acronyms(acronym_definitions(text) for text in texts)


def best_acronyms(definitions: Iterable[list[str]]) -> list[list[str]]:
    """defined_acronyms from each text's acronym_definitions."""
    seen: Counter[tuple[str, str]] = Counter()
    for flat in definitions:
        seen.update(zip(flat[::2], flat[1::2], strict=True))
    best: dict[str, tuple[int, str]] = {}
    for (short, long), times in sorted(seen.items()):
        if times > best.get(short, (0, ""))[0]:
            best[short] = (times, long)
    return [[short, long] for short, (_, long) in sorted(best.items())]


# --- the staged files ----------------------------------------------------------


# Whether an output file is on disk as the last build left it, by its path (the build's
# knowledge of the output folder: build.write.MemoSlot.left). A data file is named by a
# hash of its JSON text, so one found so holds the bytes it would be made with: it is not
# made again (Kept.AS_LEFT). At 10k papers a notes edit changes a few of ~830.
Left = Callable[[str], bool]


def nothing_left(path: str) -> bool:
    """Left for a build that knows of no output (every file made)."""
    return False


def json_text(value: object) -> str:
    """Compact ASCII JSON, as the data files hold it."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def script(name: str, text: str) -> bytes:
    """A classic script assigning the JSON text's value to SITEGEN_SEARCH[name].

    The data goes through JSON.parse on a string literal: V8 parses that much faster
    than an object literal of the same size.
    """
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"(self.{GLOBAL}=self.{GLOBAL}||{{}})[{json.dumps(name)}]=JSON.parse('{literal}');\n"
    ).encode("ascii")


def content_name(kind: str, number: int, text: str) -> str:
    """A data file's name: kind, number and a short hash of its JSON text."""
    return f"{kind}-{number:03d}-{hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]}"


def theme_order(papers: Sequence[Paper], taxonomy: Taxonomy) -> list[str]:
    """The themes papers use: in taxonomy order, then unknown folders by name."""
    used = {paper.theme for paper in papers}
    ordered = [t.slug for t in taxonomy.themes if t.slug in used]
    return ordered + sorted(used - set(ordered))


def numbered(papers: Iterable[Paper], order: Sequence[str] | None = None) -> list[Paper]:
    """The papers in the order their documents are numbered: order (slugs), else slug order."""
    by_slug = {paper.slug: paper for paper in papers}
    return [by_slug[slug] for slug in (sorted(by_slug) if order is None else order)]


def search_files(
    papers: Iterable[Paper], taxonomy: Taxonomy, order: Sequence[str] | None = None
) -> dict[str, bytes]:
    """Every search data file, keyed by path relative to the site root; documents numbered
    in order (slugs), else in slug order."""
    return search_index(numbered(papers, order), taxonomy)[0]


# What a search index was made of, so that the next build updates it by difference
# (sitegen.search_diff) instead of reading every paper back. Plain values, kept in the build
# cache. "format": MEMO_FORMAT; "keys": each document's entry key, by number; "entries":
# entry key -> the paper's entry (packed_entry: the text search_entry analyses); "terms",
# "first", "pairs", "occurs": by term number, each term, where it was first used
# (first_use), its (field, paper) pairs and its words; "written": term -> [form, count, ...]
# (its words as written, but itself); "lengths": each (paper, field)'s length (array "q"
# bytes); "totals": by field; "codes": term -> "LAST,CODES" of all its postings;
# "tiered": term -> [stamp, shard codes, late codes] for terms of more than
# POSITION_POSTINGS pairs (tiered_texts), made when "stamp" had that value; "derivable",
# "acronyms": by number; "best acronyms": the manifest's (best_acronyms of "acronyms");
# "texts": the text chunks' JSON texts.
SearchMemo = dict[str, Any]
MEMO_FORMAT = 10  # 5: entries keyed by their page's content key; 6: form marks; 7-8: hashes;
# 9: entries hold the text, not the analysis; 10: best acronyms
FORMAT_TAG = f"search index {MEMO_FORMAT}"  # in every entry key
MEMO_PARTS: dict[str, type] = {
    "keys": list,
    "entries": dict,
    "terms": list,
    "first": list,
    "pairs": list,
    "occurs": list,
    "written": dict,
    "lengths": bytes,
    "totals": list,
    "codes": dict,
    "tiered": dict,
    "stamp": int,
    "derivable": list,
    "acronyms": list,
    "best acronyms": list,
    "texts": list,
}


def usable_memo(memo: object) -> SearchMemo | None:
    """The memo if this code made it (a cache from another version is just not used)."""
    if not isinstance(memo, dict) or memo.get("format") != MEMO_FORMAT:
        return None
    return memo if all(isinstance(memo.get(k), t) for k, t in MEMO_PARTS.items()) else None


def entry_key(paper: Paper, themes: str, snippet: int = SNIPPET_CHARS) -> str:
    """What a paper's entry is made from: the hash of every field search reads (its page's
    content key stands for those its page gives), how much snippet text it keeps, and the
    index's format (so the search files an older sitegen wrote are made again)."""
    if paper.page_key:  # the page's key, and the rest hashed once per list of themes
        return paper.page_key + entry_rest_key(themes, snippet)
    fields = (paper.slug, paper.title, themes, *paper.tags, "", paper.abstract, paper.notes)
    text = "".join(f"{len(field)}:{field}" for field in fields)  # one hash update
    return digest(text, f"{FORMAT_TAG}, snippets {snippet}")


def entry_rest_key(themes: str, snippet: int) -> str:
    """What an entry reads besides its page: its themes' words, the snippet's length, the
    index's format (hashed with each page's key, they took entry_keys 2.4x as long)."""
    return digest(themes, f"{FORMAT_TAG}, snippets {snippet}")[:16]


def search_entry(doc: SearchDoc, analyser: Analyser) -> list:
    """A paper as the index needs it: [its Record, its snippet text, the acronyms it
    defines, whether the client can derive its slug from its title]."""
    return [analyser.record(doc.fields()), *entry_extras(doc)]


def entry_extras(doc: SearchDoc) -> list:
    """A search_entry but for its Record."""
    derivable = derivable_slug(doc.title, doc.slug)
    definitions = acronym_definitions(f"{doc.title}. {doc.abstract}")
    return [doc.snippet_text(), definitions, derivable]


ENTRY_TEXTS = 6  # the texts of a packed entry (packed_entry)


def packed_entry(doc: SearchDoc) -> bytes:
    """A paper's entry as the memo keeps it: the texts its document holds, analysed again
    when the entry is read (read_entry). At 10k papers, keeping the analysis itself
    (compressed JSON, 2.2 KB a paper) took a fifth of a cold index; the texts are 1.3 KB.
    Lengths first, then UTF-8: a damaged entry claims no memory it does not hold."""
    texts = [
        text.encode("utf-8", "surrogatepass")
        for text in (doc.slug, doc.title, doc.themes, doc.tags, doc.abstract, doc.notes)
    ]
    head = array("q", [doc.snippet_chars, *map(len, texts)])
    return head.tobytes() + b"".join(texts)


def read_entry(entry: bytes, analyser: Analyser) -> list:
    """What search_entry made of the document packed_entry kept (ValueError if damaged)."""
    return search_entry(entry_document(entry), analyser)


def entry_document(entry: bytes) -> SearchDoc:
    """The document packed_entry kept (ValueError if damaged)."""
    head = array("q")
    head.frombytes(entry[: head.itemsize * (ENTRY_TEXTS + 1)])
    snippet, *sizes = head
    at = len(head) * head.itemsize
    if len(sizes) != ENTRY_TEXTS or min(sizes) < 0 or snippet < 1 or at + sum(sizes) != len(entry):
        raise ValueError("a damaged search entry")
    texts = []
    for size in sizes:
        texts.append(entry[at : at + size].decode("utf-8", "surrogatepass"))
        at += size
    slug, title, themes, tags, abstract, notes = texts
    return SearchDoc("", slug, title, "", themes, tags, abstract, notes, snippet)


# What a memo this code did not make (a damaged cache) may raise while it is read.
DAMAGED = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError)


def entry_keys(papers: Sequence[Paper], taxonomy: Taxonomy) -> list[str]:
    """Each paper's entry key (entry_key), in order: what it reads besides its page made
    once per list of themes."""
    rests: dict[tuple[str, ...], str] = {}
    keys = []
    snippet = snippet_chars(len(papers))
    for paper in papers:
        if not paper.page_key:
            keys.append(entry_key(paper, theme_words(paper, taxonomy), snippet))
            continue
        rest = rests.get(paper.themes)
        if rest is None:
            rest = rests[paper.themes] = entry_rest_key(theme_words(paper, taxonomy), snippet)
        keys.append(paper.page_key + rest)
    return keys


def search_index(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    previous: object = None,
    keys: list[str] | None = None,
    spill: SpillFile | None = None,
    left: Left = nothing_left,
) -> tuple[Outputs, SearchMemo]:
    """Every search data file, documents numbered in the papers' order, and the memo for
    the next build. With a memo, the index is updated by difference (sitegen.search_diff:
    only papers whose entry key changed are read); the files equal a build without one.
    `keys`: entry_keys(papers, taxonomy), when the caller has them (build.keys.search_key).
    `spill`: where an index made afresh keeps the new memo's entries and text chunks until
    the memo is written (in memory if None).
    `left`: which files are on disk as the last build left them (Left)."""
    keys = entry_keys(papers, taxonomy) if keys is None else keys
    old = usable_memo(previous)
    if old is not None:
        from sitegen.search_diff import updated  # it builds on this module

        try:
            made = updated(papers, taxonomy, old, keys, left, spill)
            return made or indexed(papers, taxonomy, old, keys, spill, left)
        except DAMAGED:
            pass  # a memo this code did not make (a damaged cache): start afresh
    return indexed(papers, taxonomy, None, keys, spill, left)


def indexed(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    old: SearchMemo | None,
    keys: list[str],
    spill: SpillFile | None = None,
    left: Left = nothing_left,
) -> tuple[Outputs, SearchMemo]:
    """search_index from scratch, but for the entries an old memo holds (read back); the
    memo's entries and text chunks wait in `spill` (if given) as each is made."""
    kept = snippet_chars(len(papers))
    known: Mapping[str, bytes] = old["entries"] if old is not None else {}
    index, add = ShardedIndex(), batch_adder(len(papers))
    # The memo's entries, and the snippet chunks' JSON texts (chunked) made as they fill:
    # in a side copy's spill file, ~260 MB at 100k papers not held beside discovery's peak.
    entries: MutableMapping[str, bytes] = {} if spill is None else BytesOnDisk(spill)
    texts: list[str] | TextsOnDisk = [] if spill is None else TextsOnDisk(spill)
    snippets: list[list[str]] = []  # those of the chunk being filled
    definitions: list[list[str]] = []
    derivable: list[bool] = []
    batch: list[dict[str, str]] = []
    for number, (paper, key) in enumerate(zip(papers, keys, strict=True)):
        # Indexed a batch at a time, then dropped: only its bytes are kept (a cold 100k
        # index that held the analysed entries reached 3.65 GB).
        entry = known.get(key)
        if entry is None:
            document = search_document(number, paper, taxonomy, kept)
            entries[key] = packed_entry(document)
        else:
            document = entry_document(entry)
            entries[key] = entry
        snippet, acronyms, slug_derivable = entry_extras(document)
        batch.append(document.fields())
        if len(batch) == add.size:
            add(index, batch)
            batch = []
        snippets.append(snippet)
        if len(snippets) == TEXT_CHUNK_DOCS:
            texts.extend(chunked(snippets))
            snippets = []
        definitions.append(acronyms)
        derivable.append(slug_derivable)
    add(index, batch)
    texts.extend(chunked(snippets))
    firsts, shards, lates = index.shards()
    listing = titles_of(papers, taxonomy, derivable)
    best = best_acronyms(definitions)
    files = staged_files((index.head(firsts), shards, lates), *listing, texts, best, left)
    memo = {
        "format": MEMO_FORMAT,
        "keys": keys,
        "entries": entries,
        "terms": list(index.terms),
        "first": index.first,
        "pairs": index.pairs,
        "occurs": index.occurs,
        "written": {term: flat_counts(counts) for term, counts in index.written.items()},
        "lengths": index.lengths.tobytes(),
        "totals": index.totals,
        "codes": index.codes,
        "tiered": index.tiered,
        "stamp": 0,
        "derivable": derivable,
        "acronyms": definitions,
        "best acronyms": best,
        "texts": texts,
    }
    return files, memo


# From this many papers a cold index analyses them a batch at a time (sitegen.search_batch,
# the same index): its numpy import (~0.05 s) costs more than it saves on fewer papers.
BATCH_FROM = 1_000


class DocumentAdder(Protocol):
    """Indexes documents next, `size` at a time (a cold index hands it that many)."""

    size: int

    def __call__(self, index: ShardedIndex, docs: Sequence[Mapping[str, object]]) -> None: ...


class OneByOne:
    """Documents indexed one Record at a time (search_batch.BatchAdder indexes the same)."""

    size = 1

    def __init__(self) -> None:
        self.analyser = Analyser()

    def __call__(self, index: ShardedIndex, docs: Sequence[Mapping[str, object]]) -> None:
        for doc in docs:
            index.add_record(self.analyser.record(doc))


def batch_adder(papers: int) -> DocumentAdder:
    """What indexes a cold index's documents: in batches from BATCH_FROM papers, or at any
    size once numpy is loaded (a build computing discovery loads it before the side copy)."""
    if papers < BATCH_FROM and "numpy" not in sys.modules:
        return OneByOne()
    from sitegen.search_batch import BatchAdder  # numpy: only for a large cold index

    return BatchAdder()


def flat_counts(counts: Mapping[str, int]) -> list:
    """{form: count} as the memo keeps it: [form, count, form, count, ...]."""
    return [x for item in counts.items() for x in item]


def titles_of(
    papers: Sequence[Paper], taxonomy: Taxonomy, derivable: Sequence[bool]
) -> tuple[list[list[str]], list[list]]:
    """The themes papers use ([slug, title]) and each paper's titles.js record: its title,
    its theme's number and its slug ("" when the browser can derive it from the title)."""
    themes = theme_order(papers, taxonomy)
    theme_number = {slug: n for n, slug in enumerate(themes)}
    titles = [
        [paper.title, theme_number[paper.theme], "" if slug_derivable else paper.slug]
        for paper, slug_derivable in zip(papers, derivable, strict=True)
    ]
    return [[slug, theme_title(taxonomy, slug)] for slug in themes], titles


def staged_files(
    index: tuple[str, list[str], list[str]],
    themes: list[list[str]],
    titles: list[list],
    texts: Sequence[str],
    acronyms: list[list[str]],
    left: Left = nothing_left,
) -> Outputs:
    """The files of the staged index (see the module docstring), keyed by output path:
    from the head's, shards' and late files' JSON texts, the themes, each paper's titles
    record, the text chunks' JSON texts and the acronyms (best_acronyms). A file named by
    its content that is on disk as the last build left it (`left`) is not made again."""
    files: Outputs = {}
    head, shards, lates = index
    index_names = data_files(files, "index", [head], left)
    shard_names = data_files(files, "shard", shards, left)
    late_names = data_files(files, "late", lates, left)
    text_groups = chunk_files(files, "text", texts, left)
    manifest = {
        "version": 5,
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "themes": themes,
        "docs": titles,
        "index": index_names,
        "shards": shard_names,
        "text": text_groups,
        "acronyms": acronyms,
        "textChunkDocs": TEXT_CHUNK_DOCS,
        "chunkGroup": CHUNK_GROUP,
    }
    if any(late_names):
        manifest["late"] = late_names
    if len(titles) > TITLE_STAGE_PAPERS:
        del manifest["docs"]
        manifest["docThemes"] = varints(record[1] for record in titles)
        manifest["names"] = chunk_files(files, "names", list(chunked(titles)), left)
    files["search/titles.js"] = script("titles", json_text(manifest))
    return files


def chunked(records: Sequence[object]) -> Iterator[str]:
    """JSON texts of TEXT_CHUNK_DOCS records each, in order (paper n is in chunk n // size)."""
    for start in range(0, len(records), TEXT_CHUNK_DOCS):
        yield json_text(records[start : start + TEXT_CHUNK_DOCS])


def chunk_files(
    files: Outputs, kind: str, texts: Sequence[str], left: Left = nothing_left
) -> list[str]:
    """Add a chunk file for each JSON text, KIND-NNN-GROUPHASH; the hash of each group.

    A chunk's file is named by the hash of its group of CHUNK_GROUP chunks: an edit
    renames the files of one group, and titles.js lists a hash per group.
    """
    hashes = []
    for start in range(0, len(texts), CHUNK_GROUP):
        # Each text read once (a TextsOnDisk reads it from its file): hashed, then written.
        group = [texts[n] for n in range(start, min(start + CHUNK_GROUP, len(texts)))]
        hashes.append(hashlib.sha256("\n".join(group).encode()).hexdigest()[:HASH_CHARS])
        for number, text in enumerate(group, start):
            data_file(files, f"{kind}-{number:03d}-{hashes[-1]}", text, left)
    return hashes


def chunk_name(manifest: Mapping[str, object], kind: str, number: int) -> str:
    """The name of chunk number of kind ("text", "names") that a titles.js manifest lists."""
    groups = manifest[kind]
    assert isinstance(groups, list)
    return f"{kind}-{number:03d}-{groups[number // CHUNK_GROUP]}"


def data_files(files: Outputs, kind: str, texts: list[str], left: Left = nothing_left) -> list[str]:
    """Add a data file to files for each JSON text; their names, in order ("" for "").
    Each text is dropped from `texts` once its file is made: every shard's text and bytes
    at once took ~90 MB more at 100k papers."""
    names = []
    for number in range(len(texts)):
        text, texts[number] = texts[number], ""
        if not text:  # no file (a shard without a late file)
            names.append("")
            continue
        name = content_name(kind, number, text)
        data_file(files, name, text, left)
        names.append(name)
    return names


def data_file(files: Outputs, name: str, text: str, left: Left) -> None:
    """Add the data file of a name made from its JSON text: Kept.AS_LEFT if `left` finds it
    on disk as the last build left it (the same name, the same bytes), else its script."""
    path = f"search/{name}.js"
    files[path] = Kept.AS_LEFT if left(path) else script(name, text)
