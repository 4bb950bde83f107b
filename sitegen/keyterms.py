"""Key terms a researcher would write: technical phrases, named methods and defined acronyms.

Pure and deterministic. Each paper's title and abstract are cut into runs of content
words (function words, generic scientific prose and punctuation end a run); every
1..4-word n-gram inside a run is a candidate. Candidates are scored by

    weight = tf × idf × kind

- tf: 1 + ln(abstract count + TITLE_BOOST × title count);
- idf: ln((1 + papers) / (1 + document frequency)) + 1, learnt from the corpus, so a
  word every paper uses ("image", "class") counts for little;
- kind: named tokens (YOLOv4, ViT, CmBN, ResNet-50: inner capitals, acronyms, letters
  with digits) and acronyms the abstract defines ("Cross mini-Batch Normalization
  (CmBN)") count most; a phrase counts more than a word when it is a term (it recurs,
  in the paper, the title or other papers), less when it is a one-off word sequence;
  a plain lowercase word counts least, since researchers name topics by phrases.

A candidate that only occurs inside a longer recurring one is absorbed by it (C-value's
nesting), and the list shown folds nested keys: "diffusion" adds nothing after "diffusion
models".

Like textmap, the per-token Python work is one regex pass and one dict lookup; each
distinct token is judged once, and n-grams are counted with numpy, level by level, as
codes over token ids. Only each paper's chosen terms are turned back into text.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain, pairwise, repeat
from operator import itemgetter

import numpy as np

from sitegen.arrays import distinct, groups, lex_order, run_starts
from sitegen.records import mutable, record
from sitegen.text import may_hold_url
from sitegen.textmap import GENERIC, PHRASE_NOUNS, STOPWORDS, URL, TokenTable, stem, word_set

MAX_WORDS = 4
ADVERB_ENDINGS = ("ally", "ably", "ibly", "ively", "ously", "ently", "antly", "edly", "ingly")
ADVERB_ENDINGS += ("citly", "ictly", "ately")
TITLE_BOOST = 2.5
# Kind weights: how much a candidate's shape says it is a term (see kind_weight).
DEFINED = 2.6  # an acronym the abstract defines
NAMED = 2.2  # a named token: YOLOv4, CmBN, ResNet-50
PHRASE = 1.6  # a recurring phrase
GENERIC_HEAD = 0.7  # × PHRASE when its last word is a generic noun ("neural networks")
PROPER = 1.2  # a capitalised word inside a sentence (Mixup, Sintel)
PLAIN_WORD = 0.45  # a lowercase word: researchers name topics by phrases
ONE_OFF = 0.5  # a word sequence seen once in one paper ("utilize 2D", "models beat")
KEEP = 16  # candidates kept per paper (key terms show 6; shared terms search all 16)

# Raw tokens: words with inner hyphens, '+' or '^' (U-Net, E^2FGVI, V+L), or punctuation.
TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-+^][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
SENTENCE_END = frozenset(".!?:;")
# "(CmBN)": one token in parentheses, and how far back its long form may start.
PARENTHESISED = re.compile(r"\(\s*([A-Za-z0-9]+(?:[-+^][A-Za-z0-9]+)*)\s*\)")
LONG_FORM_CHARS = 240

# A short hand list of words every kind of scientific prose uses, on top of textmap's
# function words and ML boilerplate. Everything else is down-weighted by document
# frequency, learnt from the corpus.
PROSE = word_set(
    """
    affect affects behind beat beats believe bring brings built call called capture captures
    certain combine combined combining corresponding crucial decent delve delves
    demonstrating derive derived describe designing diverse end enhance enhanced ensure
    essential etc exploring extend extends finding following great hand huge identifying
    instance instances inherent interpreting involve involves kind mainly manner match
    matches matter matters meet meets million millions mitigate mitigating modern notion
    operate operates original overall paves plethora primarily prime prevailing produce
    produces receive receives rely relies remarkable rethinking revisiting role serves
    standard step steps strategy thorough thereby thousands toward tremendous truly uncover
    uncovering unique utilize utilizes variety versatile whole wide
    """
)


# Acronyms of the field itself, which name no method: "SOTA", "DNNs".
PROSE_ACRONYMS = word_set("ai ml dl sota nn nns dnn dnns ann anns")


@dataclass(frozen=True, slots=True)  # a build holds KEEP of these per paper
class Candidate:
    """One candidate key term of one paper."""

    key: str  # normalised: lower case, hyphens as spaces, plurals folded
    label: str  # how the paper writes it
    weight: float
    size: int  # words in the key
    idf: float  # how rare it is in the corpus: ranks the terms two papers share


class CandidateRows(Sequence):
    """Papers' candidates in row order, read by columns (CandidateTable, InterleavedTables):
    a paper's Candidates are made when asked for."""

    def columns(self, index: int) -> tuple[list[str], list[str], list[float], list[float]]:
        """One paper's keys, labels, weights and idfs, without making its Candidates."""
        raise NotImplementedError

    def keys_and_weights(self, index: int) -> tuple[list[str], list[float]]:
        """One paper's keys and weights (what a related pair's other paper is asked for)."""
        keys, _, weights, _ = self.columns(index)
        return keys, weights

    def __getitem__(self, index: int) -> tuple[Candidate, ...]:  # type: ignore[override]
        keys, labels, weights, idfs = self.columns(index)
        return tuple(
            Candidate(key, label, weight, key.count(" ") + 1, idf)
            for key, label, weight, idf in zip(keys, labels, weights, idfs, strict=True)
        )

    def row(self, index: int) -> int:
        """A row number, checked (negative counts from the end)."""
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class CandidateTable(CandidateRows):
    """Papers' candidates as columns. A build holds KEEP a paper: at 100k papers, ~370 MB
    as objects against ~90 MB as columns."""

    def __init__(
        self,
        starts: np.ndarray,
        keys: list[str],
        labels: list[str],
        weights: np.ndarray,
        idfs: np.ndarray,
    ):
        self.starts = starts  # paper i's candidates are rows starts[i]:starts[i + 1]
        self.keys, self.labels, self.weights, self.idfs = keys, labels, weights, idfs

    @classmethod
    def of(
        cls,
        sizes: Sequence[int],
        keys: list[str],
        labels: list[str],
        weights: Sequence[float],
        idfs: Sequence[float],
    ) -> CandidateTable:
        """The table of papers with these numbers of candidates, and the candidates' columns."""
        weights, idfs = np.asarray(weights, np.float64), np.asarray(idfs, np.float64)
        return cls(run_starts(sizes), keys, labels, weights, idfs)

    @classmethod
    def joined(cls, tables: Sequence[CandidateTable]) -> CandidateTable:
        """One table of several, in order; equal keys, and equal labels, become one string
        (each pass of base_candidates makes its own)."""
        shared: dict[str, str] = {}
        sizes = np.concatenate([np.diff(t.starts) for t in tables]) if tables else []
        return cls.of(
            sizes,
            [shared.setdefault(key, key) for t in tables for key in t.keys],
            [shared.setdefault(label, label) for t in tables for label in t.labels],
            np.concatenate([t.weights for t in tables]) if tables else [],
            np.concatenate([t.idfs for t in tables]) if tables else [],
        )

    def __len__(self) -> int:
        return len(self.starts) - 1

    def columns(self, index: int) -> tuple[list[str], list[str], list[float], list[float]]:
        """One paper's keys, labels, weights and idfs, without making its Candidates."""
        index = self.row(index)
        a, b = self.starts[index : index + 2].tolist()
        weights, idfs = self.weights[a:b].tolist(), self.idfs[a:b].tolist()
        return self.keys[a:b], self.labels[a:b], weights, idfs

    def keys_and_weights(self, index: int) -> tuple[list[str], list[float]]:
        """One paper's keys and weights, without its labels and idfs (~50k pairs at 10k)."""
        index = self.row(index)
        a, b = self.starts[index : index + 2].tolist()
        return self.keys[a:b], self.weights[a:b].tolist()

    def leading_labels(self, limit: int) -> list[tuple[str, ...]]:
        """Each paper's first `limit` labels (its key terms)."""
        bounds, labels = self.starts.tolist(), self.labels
        return [tuple(labels[a : min(b, a + limit)]) for a, b in pairwise(bounds)]


class InterleavedTables(CandidateRows):
    """The papers of two tables back in row order, read through them: nothing is copied (at
    100k papers, one table of all 1.6M candidates held ~50 MB more through related papers
    and the map). `flags`: which rows are the base's."""

    def __init__(self, flags: np.ndarray, base: CandidateTable, others: CandidateTable):
        self.tables = (others, base)
        self.flags: list[int] = flags.astype(np.int8).tolist()
        seen = [0, 0]
        self.rows: list[int] = []  # each row's index in its own table
        for flag in self.flags:
            self.rows.append(seen[flag])
            seen[flag] += 1
        if seen != [len(others), len(base)]:
            raise ValueError(f"{seen} rows flagged for tables of {len(others)} and {len(base)}")

    def __len__(self) -> int:
        return len(self.flags)

    def columns(self, index: int) -> tuple[list[str], list[str], list[float], list[float]]:
        """One paper's keys, labels, weights and idfs (CandidateTable.columns)."""
        table, row = self.table_row(index)
        return table.columns(row)

    def keys_and_weights(self, index: int) -> tuple[list[str], list[float]]:
        """One paper's keys and weights (CandidateTable.keys_and_weights)."""
        table, row = self.table_row(index)
        return table.keys_and_weights(row)

    def table_row(self, index: int) -> tuple[CandidateTable, int]:
        """The table a row is in, and its index there."""
        index = self.row(index)
        return self.tables[self.flags[index]], self.rows[index]

    def leading_labels(self, limit: int) -> list[tuple[str, ...]]:
        """Each paper's first `limit` labels (its key terms)."""
        each = [iter(table.leading_labels(limit)) for table in self.tables]
        return [next(each[flag]) for flag in self.flags]


# Compiled once: these run once per distinct token (~8k at the shipped corpus, ~1M at 100k).
LETTER_NAME = re.compile(r"[A-Z]-[A-Z][a-z]+")
JOINS = re.compile(r"[-+^]")
DIGITS_INSIDE = re.compile(r"[A-Za-z]\d+[A-Za-z]")


@lru_cache(maxsize=1 << 18)
def is_named(token: str) -> bool:
    """A named method or thing: YOLOv4, CmBN, ViT, MAE, U-Net, ResNet-50, 3D, node2vec.

    Title Case hyphenation ("Self-Supervised") is not a name: each hyphen-joined part
    is judged alone.
    """
    if token.islower() and token.isalpha():
        return False  # most words: no capital or digit, so no name (named_part says so)
    if LETTER_NAME.fullmatch(token):
        return True  # U-Net, X-Ray: a one-letter name joined to a word
    return any(named_part(part) for part in JOINS.split(token) if part)


def named_part(part: str) -> bool:
    """One hyphen-free part of a token: inner capitals, an acronym, or letters around digits."""
    if not has_letter(part):
        return False
    if part.isupper():
        return len(part) > 1 or not part.isalpha()  # MAE, 3D; not the "A" of a sentence
    if any(c.isupper() for c in part[1:]):
        return True  # YOLOv4, CmBN, ViT, BigBiGAN
    return bool(DIGITS_INSIDE.search(part)) or (
        part[0].isupper() and any(c.isdigit() for c in part)
    )  # node2vec, GPT2, V100


@lru_cache(maxsize=1 << 18)
def is_break(token: str) -> bool:
    """Punctuation, numbers, function words and generic prose end a run of content words."""
    if not token[0].isalnum():
        return True
    lower = token.lower()
    if lower in PROSE_ACRONYMS:
        return True
    if is_named(token):
        return False
    if len(lower) < 2 or lower[0].isdigit() or not has_letter(lower):
        return True  # numbers and number-led tokens ("256times256", "31-refinements")
    stemmed = stem(lower)
    if lower in PHRASE_NOUNS or stemmed in PHRASE_NOUNS:
        return False  # "representation learning", "diffusion model": kept inside phrases
    if lower.endswith(ADVERB_ENDINGS):
        return True  # "provably", "explicitly": adverbs are no part of a term
    return lower in STOPWORDS or lower in GENERIC or stemmed in GENERIC or lower in PROSE


def has_letter(text: str) -> bool:
    """Whether any character is a letter (a word of letters alone, without a loop)."""
    return text.isalpha() or any(c.isalpha() for c in text)


def is_phrase_noun(token: str) -> bool:
    """A generic noun that may sit in a phrase but is never a term alone."""
    lower = token.lower()
    return not is_named(token) and (lower in PHRASE_NOUNS or stem(lower) in PHRASE_NOUNS)


def normalise(token: str) -> str:
    """A token's matching form: lower case, hyphen-joined parts stemmed."""
    lower = token.lower()
    if not ("-" in lower or "+" in lower or "^" in lower):  # one part (JOINS): most tokens
        return stem(lower) if lower else ""
    return " ".join(stem(part) for part in JOINS.split(lower) if part)


class BreakTable(dict[str, bool]):
    """Token -> whether it ends a run, judged once per distinct token (used via map)."""

    def __missing__(self, token: str) -> bool:
        self[token] = is_break(token)
        return self[token]


BREAKS = BreakTable()


def defined_acronyms(text: str) -> dict[str, tuple[str, ...]]:
    """Acronyms an abstract defines, 'long form (ACR)', mapped to their long form's tokens.

    The short form's letters must appear in order in the long form, the first at the
    start of its first word (after Schwartz & Hearst, 2003).
    """
    found: dict[str, tuple[str, ...]] = {}
    for match in PARENTHESISED.finditer(text):
        short = match.group(1)
        if not is_named(short) or is_break(short):
            continue  # "(see below)" defines nothing; nor does "(SOTA)" worth showing
        letters = [c.lower() for c in short.rstrip("s") if c.isalpha()]
        long_form = match_long_form(letters, tokens_before(text, match.start(), len(letters) + 3))
        if long_form:
            found[short] = long_form
    return found


SPACE = re.compile(r"\s")
NEAR_CHARS = 10  # per token wanted: where tokens_before looks first


def tokens_before(text: str, end: int, wanted: int) -> list[str]:
    """The last `wanted` TOKENs of the LONG_FORM_CHARS before `end`.

    Looked for first in a few characters from a space on: no TOKEN holds a space, so the
    tokens after one are those the whole window has there (enough for 86 % of the acronyms
    10k papers define; 10 % stand near their text's start, 4 % need the whole window)."""
    low = max(0, end - LONG_FORM_CHARS)
    near = end - NEAR_CHARS * wanted
    if near > low and (space := SPACE.search(text, near, end)) is not None:
        found = TOKEN.findall(text, space.end(), end)
        if len(found) >= wanted:
            return found[-wanted:]
    return TOKEN.findall(text, low, end)[-wanted:]


def match_long_form(letters: list[str], window: list[str]) -> tuple[str, ...] | None:
    """The shortest tail of `window` whose words' letters spell `letters` in order; None once
    a tail would hold a word that does not start with a letter or digit."""
    first = letters[0] if letters else ""
    for start in range(len(window) - 1, -1, -1):
        head = window[start][0]
        if not head.isalnum():
            return None  # every longer tail holds it too
        if head.lower() != first:
            continue
        words = window[start:]
        text = " ".join(words).lower()
        position = 0
        for letter in letters:
            position = text.find(letter, position) + 1
            if position == 0:
                break
        else:
            return tuple(words)
    return None


@lru_cache(maxsize=1 << 18)  # vocabularies repeat: each distinct token is judged once
def token_facts(token: str) -> tuple[str, bool, bool, bool, bool]:
    """(normal form, named, generic noun, capitalised, ends like a past participle)."""
    named = is_named(token)
    verb_end = token.lower().endswith("ed") and not named and "-" not in token
    return normalise(token), named, is_phrase_noun(token), token[:1].isupper(), verb_end


@record
class Stream:
    """Every paper's abstract then title as raw token ids, each text closed by a '.'."""

    ids: np.ndarray  # raw token id per position
    text: np.ndarray  # text index per position: 2 × paper (abstract), 2 × paper + 1 (title)
    prose: np.ndarray  # in an abstract (prose) rather than a Title Case title
    raw: list[str]  # raw token by id


class WordTokens(dict[str, int]):
    """A word (as str.split() finds them) -> its number; `found[number]`: the raw ids of its
    TOKENs, found on first sight.

    TOKEN matches no whitespace (`\\s` is what str.split() splits at, code point for code
    point), so a text's tokens are its words' in turn; a corpus says each word many times
    (at 10k papers, 2M words and 11k distinct). "" (a word str.split() never gives) is the
    stop that closes each text."""

    def __init__(self, raw_id: Callable[[str], int], stop: int) -> None:
        super().__init__({"": 0})
        self.raw_id = raw_id
        self.found: list[tuple[int, ...]] = [(stop,)]
        self.flat, self.size = array("i"), array("q")  # found, flat, as far as gathered

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self.found)
        self.found.append(tuple(map(self.raw_id, TOKEN.findall(word))))
        return number

    def tokens(self, said: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The raw ids of these words' tokens in turn, and how many each word has."""
        # Words numbered by one lookup each in C, their tokens gathered by numpy: a word's
        # tuple of ids iterated and boxed into an array was ~4x the time (1.1 s at 10k).
        numbers = np.fromiter(map(self.__getitem__, said), np.int32, len(said))
        fresh = self.found[len(self.size) :]
        self.flat.extend(chain.from_iterable(fresh))
        self.size.extend(map(len, fresh))
        sizes = np.frombuffer(self.size, np.int64)
        size = sizes[numbers]
        start = (np.cumsum(sizes) - sizes)[numbers]
        first = np.cumsum(size) - size  # each word's first token in this part
        at = np.repeat(start - first, size) + np.arange(int(size.sum()))
        return np.frombuffer(self.flat, np.int32)[at], size


STREAM_PART = 250  # texts whose words are listed at once (~50k words at most, ~3 MB)


def token_stream(texts: Sequence[tuple[str, str]], part: int = STREAM_PART) -> Stream:
    """Tokenise every text once (the only per-word Python work is a split and a lookup)."""
    table = TokenTable()
    words = WordTokens(table.__getitem__, table["."])
    # Each part's arrays appended to one array each, not joined at the end: joined, the
    # parts and the whole were held at once (a 5,000-paper pass peaked at 40 MB, not 18:
    # 17 MB before the numpy gather, whose parts list their words, ~3 MB a part).
    ids, text = array("i"), array("i")
    for begin in range(0, len(texts), part):
        said: list[str] = []
        sizes = array("q")  # words a text says, its stop included
        for title, abstract in texts[begin : begin + part]:
            for one in (abstract, title):
                if may_hold_url(one):
                    one = URL.sub(" ", one)
                before = len(said)
                said += one.split()
                said.append("")
                sizes.append(len(said) - before)
        tokens, size = words.tokens(said)
        del said
        numbers = np.arange(2 * begin, 2 * begin + len(sizes), dtype=np.int32)
        ids.frombytes(tokens.tobytes())
        # int32: 100k papers hold tens of millions of positions, so per-position arrays stay narrow
        each_word = np.repeat(numbers, np.frombuffer(sizes, np.int64))
        text.frombytes(np.repeat(each_word, size).tobytes())
    joined = np.frombuffer(text, np.int32) if text else np.zeros(0, np.int32)
    tokens = np.frombuffer(ids, np.int32) if ids else np.zeros(0, np.int32)
    return Stream(tokens, joined, joined % 2 == 0, list(table))


@record
class Vocabulary:
    """Facts about each distinct raw token, as arrays indexed by raw token id."""

    content: np.ndarray  # not a break: may be part of a term
    normal: np.ndarray  # id of its normal form in `words` (-1 for a break)
    named: np.ndarray
    generic: np.ndarray  # a generic noun ("model"): never a term alone
    capital: np.ndarray
    participle: np.ndarray  # a phrase may not end in it ("models conditioned")
    sentence_end: np.ndarray
    learning: np.ndarray  # by normal id: "learning" may not open a phrase (a verb there)
    words: list[str]  # normal forms


def vocabulary(raw: list[str]) -> Vocabulary:
    """Judge each distinct token once."""
    ends = np.array([token in SENTENCE_END for token in raw], bool)
    normals: dict[str, int] = {}
    # Per token: (normal id, named, generic, capitalised, participle); a break is all off.
    # Made as lists, then arrays: an array item set per fact cost more than the facts.
    facts: list[tuple[int, bool, bool, bool, bool]] = []
    off = (-1, False, False, False, False)
    for token in raw:
        if BREAKS[token]:
            facts.append(off)
            continue
        form, named, generic, capital, verb = token_facts(token)
        facts.append((normals.setdefault(form, len(normals)), named, generic, capital, verb))
    columns = list(zip(*facts, strict=True)) if facts else [(), (), (), (), ()]
    normal = np.array(columns[0], np.int32)
    named, generic, capital, verb = (np.array(c, bool) for c in columns[1:])
    words = list(normals)
    learning = np.array([w == "learning" for w in words] + [False], bool)
    return Vocabulary(normal >= 0, normal, named, generic, capital, verb, ends, learning, words)


def shifted(values: np.ndarray, by: int, fill: bool) -> np.ndarray:
    """values[p + by] at each position p (`fill` past the end)."""
    out = np.full(len(values), fill, values.dtype)
    if by < len(values):
        out[: len(values) - by] = values[by:]
    return out


@record
class Occurrences:
    """Every candidate n-gram occurrence in the stream, level after level."""

    start: np.ndarray  # position of its first token
    size: np.ndarray  # tokens
    key: np.ndarray  # id of its key (normal forms joined by spaces) in `keys`
    named: np.ndarray  # holds a named token
    capital: np.ndarray  # holds a capitalised word, in prose, not opening a sentence
    keys: list[str]
    index: dict[str, int]  # key -> its id in `keys`


def occurrences(stream: Stream, vocab: Vocabulary) -> Occurrences:
    """All 1..MAX_WORDS-token n-grams inside runs of content tokens, coded level by level.

    An n-gram is the (n-1)-gram at the same start plus one token, so its code is the
    dense id of (previous code, next word): no string is built per occurrence.
    """
    ids, prose = stream.ids, stream.prose
    content, norm, named = vocab.content[ids], vocab.normal[ids], vocab.named[ids]
    opens = np.ones(len(ids), bool)
    opens[1:] = vocab.sentence_end[ids[:-1]]
    capital = vocab.capital[ids] & prose & ~(opens & ~named)  # a sentence's first word aside
    generic, participle = vocab.generic[ids], vocab.participle[ids]
    learning = vocab.learning[np.where(norm >= 0, norm, len(vocab.words))]
    keys: dict[str, int] = {}
    parts: list[tuple[np.ndarray, ...]] = []
    code, valid = norm.copy(), content.copy()
    any_named, any_capital, all_generic = named, capital, generic
    for n in range(1, MAX_WORDS + 1):
        if n > 1:
            valid = valid & shifted(content, n - 1, False)
            where = np.flatnonzero(valid)
            pairs = code[where].astype(np.int64) * max(len(vocab.words), 1) + norm[where + n - 1]
            code = np.full(len(ids), -1, np.int32)
            code[where] = groups(pairs, spent=True).inverse
            any_named = any_named | shifted(named, n - 1, False)
            any_capital = any_capital | shifted(capital, n - 1, False)
            all_generic = all_generic & shifted(generic, n - 1, True)
            kept = valid & ~all_generic & ~learning & ~shifted(participle, n - 1, False)
        else:
            kept = valid & ~all_generic
        where = np.flatnonzero(kept)
        level_key = level_keys(code[where], where, n, norm, vocab.words, keys)
        parts.append(
            (
                where.astype(np.int32),
                np.full(len(where), n, np.int8),
                level_key,
                any_named[where],
                any_capital[where],
            )
        )
    start, size, key, has_name, has_capital = (np.concatenate(p) for p in zip(*parts, strict=True))
    return Occurrences(start, size, key, has_name, has_capital, list(keys), keys)


def level_keys(
    codes: np.ndarray, where: np.ndarray, n: int, norm: np.ndarray, words: list[str], keys: dict
) -> np.ndarray:
    """The key id of each occurrence: one string per distinct n-gram, shared by spelling."""
    found, first, inverse, _ = groups(codes)
    starts = where[first]
    # Each n-gram's words a column at a time (a slice and a list per n-gram took 5x as long).
    columns = [map(words.__getitem__, norm[starts + i].tolist()) for i in range(n)]
    texts = columns[0] if n == 1 else map(" ".join, zip(*columns, strict=True))
    add = keys.setdefault
    ids = [add(text, len(keys)) for text in texts]  # "U-Net" and "u net" are one key
    return np.array(ids, np.int32)[inverse]


@mutable
class Rows:
    """One row per (paper, key) that occurs, sorted by paper then key."""

    paper: np.ndarray
    key: np.ndarray
    count: np.ndarray  # title occurrences count TITLE_BOOST
    places: np.ndarray  # occurrences, the title counting once per occurrence
    named: np.ndarray
    capital: np.ndarray
    first: np.ndarray  # position of the first occurrence (abstract before title)
    size: np.ndarray  # its tokens
    df: np.ndarray  # papers using the key (the base's, and this one)
    outside: np.ndarray  # the row's paper is outside the base that sets the statistics
    defined: np.ndarray  # an acronym the abstract defines
    hidden: np.ndarray  # a defined acronym's long form: counted with it, never shown
    labels: dict[int, int | str]  # row -> the row whose spelling it shows, or a spelling

    def pairs(self, n_keys: int) -> np.ndarray:
        """paper × n_keys + key of every row: sorted, for searchsorted."""
        return self.paper.astype(np.int64) * n_keys + self.key


def rows_of(
    found: Occurrences, stream: Stream, known: KeyCounts | None, inside: bool = False
) -> Rows:
    """Aggregate the occurrences per (paper, key), each group in position order.

    Without `known`, the papers are the base: a row's df counts the papers using its key.
    With it, they are outside the base: the base's count of the key, plus the paper itself;
    or (`inside`) part of the base that `known` counts: its count alone.
    """
    n_keys = max(len(found.keys), 1)
    pair = (stream.text[found.start] // 2).astype(np.int64) * n_keys + found.key
    order = lex_order((found.start, pair))
    pair = pair[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if len(order) else order
    rows = pair[starts]
    del pair  # the largest arrays go as soon as they have served: 100k papers, ~35M n-grams
    key = (rows % n_keys).astype(np.int32)  # rows are many: keep their columns narrow

    def per_row(values: np.ndarray) -> np.ndarray:
        """How many of each row's occurrences have a flag."""
        return (
            np.add.reduceat(values[order].astype(np.int32), starts) if len(starts) else values[:0]
        )

    places = np.diff(np.r_[starts, len(order)]).astype(np.int32)
    titles = per_row(~stream.prose[found.start])
    paper = (rows // n_keys).astype(np.int32)
    if known is None:
        outside = np.zeros(len(rows), bool)
        df = np.bincount(key, minlength=n_keys).astype(np.int32)[key]
    elif inside:
        outside = np.zeros(len(rows), bool)
        df = known.of(found.keys)[key]
    else:
        outside = np.ones(len(rows), bool)
        df = known.of(found.keys)[key] + 1
    return Rows(
        paper=paper,
        key=key,
        count=(places - titles) + TITLE_BOOST * titles,
        places=places,
        named=per_row(found.named) > 0,
        capital=per_row(found.capital) > 0,
        first=found.start[order[starts]],
        size=found.size[order[starts]],
        df=df.astype(np.int32),
        outside=outside,
        defined=np.zeros(len(rows), bool),
        hidden=np.zeros(len(rows), bool),
        labels={},
    )


def merge_acronyms(rows: Rows, texts: Sequence[tuple[str, str]], key_id: Mapping[str, int]) -> None:
    """Count each defined acronym with its long form, show the shorter, hide the long one
    (key_id: each key's id, Occurrences.index)."""
    n_keys = max(len(key_id), 1)
    defined: list[tuple[int, int, int, int, str]] = []  # paper, short's key, long's, words
    for paper, (_, abstract) in enumerate(texts):
        if "(" not in abstract:
            continue
        for short, long_form in defined_acronyms(abstract).items():
            short_key = key_id.get(normalise(short))
            if short_key is not None:
                long_key = key_id.get(" ".join(normalise(t) for t in long_form), -1)
                defined.append((paper, short_key, long_key, len(long_form), short))
    pairs = rows.pairs(n_keys)
    if not defined or not len(pairs):
        return
    # Each (paper, key) looked up among the rows at once, not one searchsorted each.
    paper, short_key, long_key = np.array([entry[:3] for entry in defined], np.int64).T
    wanted = np.concatenate((paper * n_keys + short_key, paper * n_keys + long_key))
    at = np.minimum(np.searchsorted(pairs, wanted), len(pairs) - 1)
    found = np.where((pairs[at] == wanted) & (np.r_[short_key, long_key] >= 0), at, -1)
    short_rows, long_rows = found[: len(defined)].tolist(), found[len(defined) :].tolist()
    for row, long_row, (*_, words, short) in zip(short_rows, long_rows, defined, strict=True):
        if row < 0:
            continue
        if long_row >= 0 and long_row != row:
            rows.count[row] += rows.count[long_row]
            rows.places[row] += rows.places[long_row]
            rows.hidden[long_row] = True
        rows.defined[row] = True
        rows.labels[row] = long_row if words <= 2 and long_row >= 0 else short


def absorbed(rows: Rows, found: Occurrences, n_positions: int) -> np.ndarray:
    """Rows whose key only occurs inside a longer recurring one (C-value's nesting).

    "sparse rate" and "rate reduction" add nothing when every use is "sparse rate reduction".
    """
    n_keys = max(len(found.keys), 1)
    pairs = rows.pairs(n_keys)
    key_at = {}
    for n in range(1, MAX_WORDS + 1):
        table = np.full(n_positions, -1, np.int32)  # four of these: keep them small
        mine = found.size == n
        table[found.start[mine]] = found.key[mine]
        key_at[n] = table
    inside = np.zeros(len(pairs), bool)
    recurring = (rows.size >= 2) & ((rows.places >= 2) | (rows.df >= 2) | rows.hidden)
    for n in range(2, MAX_WORDS + 1):
        outer = np.flatnonzero(recurring & (rows.size == n))
        for m in range(1, n):
            for offset in range(n - m + 1):
                sub = key_at[m][rows.first[outer] + offset]
                has = sub >= 0
                target = rows.paper[outer[has]].astype(np.int64) * n_keys + sub[has]
                at = np.minimum(np.searchsorted(pairs, target), max(len(pairs) - 1, 0))
                hit = pairs[at] == target
                inner, sup = at[hit], outer[has][hit]
                inside[inner[rows.count[inner] <= rows.count[sup]]] = True
    return inside


def weights(rows: Rows, keys: list[str], n_base: int) -> tuple[np.ndarray, np.ndarray]:
    """(1 + ln count) × idf × kind for every row, and its idf (over the base papers, and the
    row's own paper when it is outside them)."""
    # Per key in C (map): a key's words, and whether its last word is a generic head noun.
    spaces = np.fromiter(map(str.count, keys, repeat(" ")), np.int64, len(keys))
    words = (spaces + 1 if len(keys) else np.ones(1, np.int64))[rows.key]
    heads = map(itemgetter(2), map(str.rpartition, keys, repeat(" ")))  # the last word
    generic_head = np.fromiter(map(PHRASE_NOUNS.__contains__, heads), bool, len(keys))
    generic_head = generic_head if len(keys) else np.zeros(1, bool)
    phrase = np.where(
        rows.named, PHRASE * 1.3, PHRASE * np.where(generic_head[rows.key], GENERIC_HEAD, 1.0)
    )
    phrase = np.where((rows.places < 2) & (rows.df < 2), ONE_OFF, phrase)
    single = np.where(rows.named, NAMED, np.where(rows.capital, PROPER, PLAIN_WORD))
    kind = np.where(rows.defined, DEFINED, np.where(words > 1, phrase, single))
    log_papers = np.where(rows.outside, math.log(2 + n_base), math.log(1 + n_base))
    idf = log_papers + 1 - np.log1p(rows.df.astype(np.float64))
    return np.round((1 + np.log(rows.count)) * idf * kind, 6), np.round(idf, 6)


@record
class KeyCounts:
    """How many papers of the base use each candidate key: the corpus statistics of key terms."""

    keys: tuple[str, ...]  # sorted
    counts: np.ndarray  # int32, papers using each key
    papers: int  # papers in the base
    # Each key's place in `keys`, when one is at hand (base_candidates' passes share one).
    index: dict[str, int] | None = field(default=None, compare=False, repr=False)

    def of(self, keys: Sequence[str]) -> np.ndarray:
        """The base's count of each of these keys (0 for a key no base paper uses)."""
        index = self.index if self.index is not None else {k: i for i, k in enumerate(self.keys)}
        padded = np.append(self.counts, 0).astype(np.int32)
        return padded[[index.get(key, -1) for key in keys]] if keys else padded[:0]


# Above ONE_PASS base papers, their candidates are found in passes of BASE_PASS: every
# n-gram occurrence of 85k papers at once peaked at ~1.6 GB (+165 MB at 10k). A pass of 10k
# papers at 100k added ~85 MB to the build's peak (its key-term plateau), half that at 5k;
# each pass reads its papers twice, so a base of up to ONE_PASS papers takes one.
ONE_PASS = 20_000
BASE_PASS = 5_000


def base_candidates(
    texts: Sequence[tuple[str, str]], keep: int = KEEP
) -> tuple[CandidateTable, KeyCounts]:
    """The base papers' candidates, and how many of them use each key (for later papers).

    A large base goes in passes of BASE_PASS papers, the same result: one pass counts
    the papers using each key, a second finds each pass's candidates with those counts
    (a paper's candidates depend only on its own text and the counts).
    """
    if len(texts) <= ONE_PASS:  # one pass: each paper's n-grams are found once
        return candidates_and_counts(texts, keep, None)
    passes = [texts[i : i + BASE_PASS] for i in range(0, len(texts), BASE_PASS)]
    total: dict[str, int] = {}
    for part in passes:
        stream = token_stream(part)
        found = occurrences(stream, vocabulary(stream.raw))
        used = key_counts(found.keys, rows_of(found, stream, None), len(part))
        for key, count in zip(used.keys, used.counts.tolist(), strict=True):
            total[key] = total.get(key, 0) + count
        del stream, found  # one pass's n-grams at a time
    keys = tuple(sorted(total))
    counts = KeyCounts(keys, np.array([total[k] for k in keys], np.int32), len(texts))
    # One index of the keys for every pass (at 100k, a dict of millions of keys a pass),
    # made of the counting dict, which is no longer needed.
    total.update((key, place) for place, key in enumerate(keys))
    indexed = replace(counts, index=total)
    found_all = [candidates_and_counts(part, keep, indexed, inside=True)[0] for part in passes]
    return CandidateTable.joined(found_all), counts


def ranked_candidates(
    texts: Sequence[tuple[str, str]], keep: int = KEEP, known: KeyCounts | None = None
) -> list[tuple[Candidate, ...]]:
    """Each paper's best candidates, heaviest first (ties by key), nested ones folded away.

    Document frequencies come from the papers themselves, or with `known`, from the base
    it counts (plus the paper itself): a paper outside the base then gets candidates from
    its own text and the base only, whichever other papers arrive with it.
    """
    return list(candidates_and_counts(texts, keep, known)[0])


def candidates_and_counts(
    texts: Sequence[tuple[str, str]], keep: int, known: KeyCounts | None, inside: bool = False
) -> tuple[CandidateTable, KeyCounts]:
    """ranked_candidates, plus the key counts of these papers (when they are the base);
    `inside`: these papers are base papers that `known` counts (base_candidates' passes)."""
    if not texts:
        none = CandidateTable.of([], [], [], [], [])
        return none, known if known is not None else KeyCounts((), np.zeros(0, np.int32), 0)
    stream = token_stream(texts)
    found = occurrences(stream, vocabulary(stream.raw))
    rows = rows_of(found, stream, known, inside)
    merge_acronyms(rows, texts, found.index)
    weight, idf = weights(rows, found.keys, len(texts) if known is None else known.papers)
    counts = known if known is not None else key_counts(found.keys, rows, len(texts))
    shown = np.flatnonzero(
        ~((absorbed(rows, found, len(stream.ids)) | rows.hidden) & ~rows.defined)
    )
    keys = found.keys
    del found  # the n-gram occurrences: the bulk of the memory, no longer needed
    alphabetical = np.empty(max(len(keys), 1), np.int64)
    alphabetical[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    ranked = shown[lex_order((alphabetical[rows.key[shown]], -weight[shown], rows.paper[shown]))]
    bounds = np.searchsorted(rows.paper[ranked], np.arange(len(texts) + 1)).tolist()
    ranked_keys, ranked_rows = [keys[k] for k in rows.key[ranked].tolist()], ranked.tolist()
    picks = []  # per paper: (key, row) of its candidates
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        texts_of = ranked_keys[a:b]
        picks.append([(texts_of[i], ranked_rows[a + i]) for i in folded(texts_of, keep)])
    chosen = [r for found in picks for _, r in found]
    # Labels, weights and idfs are gathered for all papers at once (per-row numpy lookups
    # cost more than the strings made from them).
    labels = labels_of(chosen, rows, stream)
    chosen_keys = [key for found in picks for key, _ in found]
    table = CandidateTable.of(
        [len(found) for found in picks], chosen_keys, labels, weight[chosen], idf[chosen]
    )
    return table, counts


def key_counts(keys: list[str], rows: Rows, papers: int) -> KeyCounts:
    """How many of the papers use each key (rows are one per paper and key), keys sorted."""
    used = np.bincount(rows.key, minlength=len(keys)).astype(np.int32)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return KeyCounts(tuple(keys[i] for i in order), used[order], papers)


def folded(ranked: list[str], limit: int) -> list[int]:
    """Indices of the first keys, skipping any a chosen one contains or is contained in."""
    chosen: list[int] = []
    padded_chosen: list[str] = []
    for index, key in enumerate(ranked):
        padded = f" {key} "
        for other in padded_chosen:  # a loop, not any(): no generator made per key
            if other in padded or padded in other:
                break
        else:
            chosen.append(index)
            padded_chosen.append(padded)
            if len(chosen) >= limit:
                break
    return chosen


def labels_of(chosen: list[int], rows: Rows, stream: Stream) -> list[str]:
    """How each of these rows' terms is shown: as first written, names keeping their case
    (and, in prose, capitalised words too: a sentence's first word is lowered first).

    A label depends only on its tokens, whether they stand in prose and whether they open
    a sentence, so each distinct such spelling is made once (at 10k papers, 26k labels of
    160k) and every token's forms are judged once."""
    sources = [rows.labels.get(r, r) for r in chosen]
    spelt = np.array([s for s in sources if not isinstance(s, str)], np.int64)
    start = rows.first[spelt].astype(np.int64)
    last = max(len(stream.ids) - 1, 0)
    spans = stream.ids[np.minimum(start[:, None] + np.arange(MAX_WORDS), last)].astype(np.int64)
    spans[np.arange(MAX_WORDS) >= rows.size[spelt][:, None]] = -1  # past the term's tokens
    ends = np.fromiter((token in SENTENCE_END for token in stream.raw), bool, len(stream.raw))
    prose = stream.prose[start]
    opens = prose & ((start == 0) | ends[stream.ids[np.maximum(start - 1, 0)]])
    spellings = np.column_stack((spans, prose, opens))
    # Each row as one opaque value: np.unique's axis=0 sorts rows ~4x slower.
    row = np.dtype((np.void, spellings.itemsize * spellings.shape[1]))
    found, inverse = np.unique(spellings.view(row).ravel(), return_inverse=True)
    spelling_rows = found.view(np.int64).reshape(-1, spellings.shape[1])
    forms = token_forms(stream.raw, distinct(spelling_rows[:, :MAX_WORDS]))
    shared: dict[str, str] = {}  # one string per label: a build holds KEEP labels a paper
    made = []
    for *tokens, in_prose, opening in spelling_rows.tolist():
        mine, style = [t for t in tokens if t >= 0], 0 if in_prose else 1
        first = forms[mine[0]][2 if opening else style]
        label = " ".join([first, *(forms[t][style] for t in mine[1:])])
        made.append(shared.setdefault(label, label))
    spelt_labels = iter([made[i] for i in inverse.ravel().tolist()])
    return [source if isinstance(source, str) else next(spelt_labels) for source in sources]


def token_forms(raw: list[str], used: np.ndarray) -> dict[int, tuple[str, str, str]]:
    """Per raw token id: how it is shown in prose, in a title, and opening a sentence."""
    forms = {}
    for i in used.tolist():
        if i < 0:  # no token (labels_of: past a term's end)
            continue
        token = raw[i]
        named, capital, lower = is_named(token), token[:1].isupper(), token.lower()
        in_prose = token if named or capital else lower
        forms[i] = (
            in_prose,
            token if named else lower,
            lower if capital and not named else in_prose,
        )
    return forms
