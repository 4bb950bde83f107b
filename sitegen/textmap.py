"""Text to vectors: tokenisation, stopwords and a TF-IDF matrix over unigrams and bigrams.

Pure and deterministic. The per-paper Python work is one regex pass and one dict
lookup per token; everything after that (bigrams, document frequencies, weights)
is vectorised with numpy/scipy so that 100k abstracts stay within seconds.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping, Sequence

import numpy as np

from sitegen.arrays import groups
from sitegen.cache import digest, text_digest
from sitegen.records import record
from sitegen.sparse import sp
from sitegen.text import may_hold_url

# A token is a word (hyphenated compounds kept whole) or a punctuation mark,
# which breaks phrases: no bigram spans a comma or a sentence end.
TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|[.,;:!?()\[\]{}\"]")
URL = re.compile(r"(?:https?://|www\.)\S+")
BREAK = -1  # token id of a stopword or punctuation mark: never a term, ends a phrase
TITLE_WEIGHT = 2.0  # a title word counts as much as two abstract words


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easy to read and edit)."""
    return frozenset(text.split())


# Function words: never terms, and they break phrases ("learning of graphs" is no bigram).
STOPWORDS = word_set(
    """
    a about above across after again against all almost along also although always am among an
    and another any anyone anything are around as at be because been before being below between
    both but by can cannot could did do does doing done down during each either else enough etc
    even ever every few for from further had has have having he her here hers herself him himself
    his how however i if in into is it its itself just less let may me might more most much must
    my neither no nor not now of off often on once one only onto or other others otherwise our
    ours ourselves out over own per quite rather same several shall she should since so some such
    than that the their theirs them themselves then there thereby therefore these they this those
    though through thus to together too toward towards under unless until up upon us very via was
    we well were what whatever when where whereas whether which while who whom whose why will with
    within without would yet you your yours e g eg ie i-e e-g et al vs cf
    """
)

# Words every ML abstract uses ("propose", "novel", "results"): never terms, and
# they break phrases like function words do.
GENERIC = word_set(
    """
    ability able abstract accuracy accurate achieve achieved achieves achieving across addition
    additional address addresses advantage aim allow allows analysis analyze applied apply
    approach approaches art available based baseline baselines benchmark benchmarks best better
    broad called case cases challenge challenges challenging code common compared comparison
    competitive complex comprehensive consider considered consistently conventional current
    currently data dataset datasets demonstrate demonstrated demonstrates design designed despite
    develop developed different difficult directly due effect effective effectively efficacy
    empirical empirically enable enables especially evaluate evaluated evaluation even existing
    experiment experimental experiments explore extensive extensively fact far field find findings
    first focus framework frameworks fully furthermore gain gains general generally github given
    good great help high higher highly https http however idea important improve improved
    improvement improvements improves improving include including increase increasingly
    introduce introduced investigate issue issues key known large largely last latest lead leads
    learn learned learning leverage leverages like limited literature lot low lower main make
    makes making many method methods model models moreover namely need new novel number numerous
    obtain observe observed offer outperform outperforming outperforms paper papers particular
    particularly perform performance performances performing perspective play possible potential
    powerful practical present presented presents previous previously prior problem problems
    promising propose proposed proposes prove provide provides providing publicly range
    real recent recently related release released remain remains report require requires
    research researchers respectively result results reveal robust second see set setting
    settings show showed shown shows significant significantly similar simple simply single
    small solution solutions sota specific specifically state state-of-the-art strong studies
    study substantial substantially success successful suggest superior surpass task tasks
    technique techniques terms the third three time times towards traditional two typically
    understanding use used useful uses using usually various version way ways widely work works
    yield yields
    """
)

# Generic nouns: never terms alone, but a phrase may keep one next to a real word
# ("diffusion model" and "training data" stay; "proposed method" does not).
PHRASE_NOUNS = word_set(
    """
    approach architecture benchmark data dataset framework learning method model network
    representation system task training
    """
)


@record
class Vectors:
    """A TF-IDF matrix: one L2-normalised row per paper, one column per term."""

    slugs: tuple[str, ...]  # row order (sorted by slug)
    terms: tuple[str, ...]  # column order (sorted alphabetically)
    matrix: sp.csr_matrix  # float32, rows L2-normalised
    df: np.ndarray  # document frequency of each term
    # What each column counts, by its key (column_keys; vectorise_more reads them).
    columns: tuple[str, ...] | None = None


def column_keys(words: list[str], codes: np.ndarray) -> tuple[str, ...]:
    """Each column's key: its stemmed word, or its two words' pair_key (`codes`: per column,
    a word's id, or len(words) + first * len(words) + second)."""
    n = max(len(words), 1)
    return tuple(
        words[code] if code < n else pair_key(words[(code - n) // n], words[(code - n) % n])
        for code in codes.tolist()
    )


def pair_key(first: str, second: str) -> str:
    """A bigram column's key: its stemmed words, a space between (no word holds one)."""
    return f"{first} {second}"


def stem(word: str) -> str:
    """Fold plain English plurals so 'models' meets 'model' (a light, predictable stemmer)."""
    if len(word) <= 3 or not word.endswith("s") or word[-2].isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "as", "ys", "ics")):
        return word
    return word[:-1]


def kind_of(token: str) -> str:
    """Classify a raw token: 'break' (stopword, number, punctuation), 'generic' or 'word'."""
    if len(token) < 2 or not token[0].isalnum() or token in STOPWORDS:
        return "break"
    if token.replace("-", "").isdigit():
        return "break"
    if token in PHRASE_NOUNS or stem(token) in PHRASE_NOUNS:
        return "generic"
    if token in GENERIC or stem(token) in GENERIC:
        return "break"
    return "word"


class TokenTable(dict[str, int]):
    """Raw token -> raw id, handing out new ids on first sight (used via map for speed)."""

    def __missing__(self, token: str) -> int:
        self[token] = len(self)
        return self[token]


def paper_text(title: str, abstract: str) -> tuple[str, str]:
    """The lower-cased title and abstract with URLs removed (they are not topical words)."""
    abstract = abstract.lower()
    return title.lower(), URL.sub(" ", abstract) if may_hold_url(abstract) else abstract


def paper_tokens(title: str, abstract: str) -> tuple[list[str], list[str]]:
    """The raw tokens of a paper's title and of its abstract."""
    first, second = paper_text(title, abstract)
    return TOKEN.findall(first), TOKEN.findall(second)


class TokenMemo:
    """Each paper's tokens, remembered by its text (a digest) for the build cache to keep.

    Each new dump changes every idf, so a TF-IDF is learnt anew (the corpus stage's at
    ingest, discovery's in the build), but the tokens of the papers seen before come from
    here instead of the regex: in `sitegen add` as in a preview. A paper is kept as the
    number of its title's tokens and the ids of all its tokens in `vocab` (int32 bytes), so
    a stream of 10k papers is a join of bytes and a few numpy passes. Only a corpus of up
    to REMEMBERED papers is remembered (a 100k-paper build stays lean, and hashes nothing).
    """

    def __init__(self, kept: dict | None = None) -> None:
        kept = kept if well_formed(kept) else {}  # the cache is untrusted: else start afresh
        self.vocab: list[str] = list(kept.get("vocab", ()))
        self.index = TokenTable(zip(self.vocab, range(len(self.vocab)), strict=True))
        self.known: dict[str, tuple[int, bytes]] = kept.get("papers", {})
        self.used: dict[str, tuple[int, bytes]] = {}  # this corpus's papers: what is kept

    def kept(self) -> dict:
        """What the build cache keeps: the papers of the last corpus, and the vocabulary."""
        return {"vocab": self.vocab, "papers": self.used} if self.used else {}

    def paper(self, title: str, abstract: str, key: str | None) -> tuple[int, bytes]:
        """One paper: its title's token count and its token ids (remembered, or found now)."""
        found = self.known.get(key) if key else None
        if not (isinstance(found, tuple) and len(found) == 2 and fits(*found)):
            first, second = paper_tokens(title, abstract)
            ids = array("i", map(self.index.__getitem__, first + second))
            found = (len(first), ids.tobytes())
        if key:
            self.used[key] = found
        return found

    def carry(self, texts: Sequence[tuple[str, str]]) -> None:
        """Keep the remembered tokens of papers not read now (a build that vectorises only
        the papers after its base keeps its base's, for the next build's corpus stage)."""
        for title, abstract in texts:
            key = text_digest(title, abstract)
            if key in self.known:
                self.used[key] = self.known[key]

    def stream(self, texts: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Raw ids of every token in one stream (ids in order of first sight, a "." after each
        title and abstract: papers never join into a phrase), tokens per part, raw tokens."""
        remember = len(texts) <= REMEMBERED
        found = [self.paper(t, a, text_digest(t, a) if remember else None) for t, a in texts]
        if not texts:
            return np.zeros(0, np.int32), np.zeros(0, np.int64), []
        in_title = np.fromiter((title for title, _ in found), np.int64, len(found))
        sizes = np.fromiter((len(ids) for _, ids in found), np.int64, len(found)) // 4
        # Every paper's ids joined at once, then a "." put after each title and abstract (each
        # copy let go once the next is made: at 100k papers, ~90 MB each).
        joined = b"".join([ids for _, ids in found])
        del found
        ends = np.cumsum(sizes)
        cuts = np.stack([ends - sizes + in_title, ends], axis=1).ravel()
        everything = np.insert(np.frombuffer(joined, np.int32), cuts, self.index["."])
        del joined
        if everything.min() < 0 or everything.max() >= len(self.index):  # a damaged memo
            return TokenMemo().stream(texts)
        lengths = np.stack([in_title + 1, sizes - in_title + 1], axis=1).ravel()
        # Renumber in order of first sight, as a table filled along the stream would.
        seen = first_seen(everything, len(self.index))
        rank = np.zeros(len(self.index), np.int32)
        rank[seen] = np.arange(len(seen), dtype=np.int32)
        if len(self.vocab) < len(self.index):  # tokens found now: listed in id order
            self.vocab = list(self.index)
        return rank[everything], lengths, [self.vocab[i] for i in seen.tolist()]


def first_seen(ids: np.ndarray, n: int) -> np.ndarray:
    """The distinct ids (each below n) in order of first sight, found in chunks that double:
    past the first few, a chunk holds few ids not seen before, and only those are sorted
    (at 2.3M tokens, 3x faster than a minimum.at over every position)."""
    seen, found = np.zeros(n, bool), [np.zeros(0, ids.dtype)]
    start, size = 0, FIRST_CHUNK
    while start < len(ids):
        chunk = ids[start : start + size]
        new = chunk[~seen[chunk]]
        if len(new):
            distinct, first = np.unique(new, return_index=True)
            found.append(distinct[np.argsort(first, kind="stable")])
            seen[distinct] = True
        start, size = start + size, 2 * size
    return np.concatenate(found)


FIRST_CHUNK = 1 << 14  # tokens: the first chunk first_seen sorts the new ids of


def well_formed(kept: object) -> bool:
    """Whether a memo read from the build cache has the shape TokenMemo keeps."""
    if not isinstance(kept, dict) or not kept:
        return False
    vocab, papers = kept.get("vocab"), kept.get("papers")
    return (
        isinstance(vocab, list)
        and all(isinstance(token, str) for token in vocab)
        and len(set(vocab)) == len(vocab)
        and isinstance(papers, dict)
    )


def fits(in_title: object, ids: object) -> bool:
    """Whether a remembered paper is a title's token count and whole int32 ids after it."""
    return (
        isinstance(in_title, int)
        and isinstance(ids, bytes)
        and len(ids) % 4 == 0
        and 0 <= in_title <= len(ids) // 4
    )


REMEMBERED = 20_000  # papers: a memo of ~10 MB (a larger list learns without one)
# The build cache's memo of tokens: its name, and its key (what tokens depend on besides text).
TOKEN_MEMO = ("tokens", digest("2", TOKEN.pattern, URL.pattern))


def tokenise(
    texts: Sequence[tuple[str, str]], tokens: TokenMemo | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Raw token ids of all (title, abstract) pairs in one stream, with doc index and weight
    (`tokens`: the papers' tokens remembered, if any)."""
    ids, counts, raw = (tokens or TokenMemo()).stream(texts)
    docs = np.repeat(np.arange(len(counts), dtype=np.int32) // 2, counts)
    weights = np.repeat(np.tile(np.array([TITLE_WEIGHT, 1.0], np.float32), len(texts)), counts)
    return ids, docs, weights, raw


def unigram_ids(raw: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Map raw token ids to stemmed word ids (BREAK for stopwords), plus a generic flag per word."""
    word_id: dict[str, int] = {}
    generic: list[bool] = []
    mapping = np.full(len(raw), BREAK, np.int32)
    for index, token in enumerate(raw):
        kind = kind_of(token)
        if kind == "break":
            continue
        word = stem(token)
        if word not in word_id:
            word_id[word] = len(word_id)
            generic.append(kind == "generic")
        mapping[index] = word_id[word]
    # One spare flag so that indexing with a clipped BREAK id works even with no words at all.
    return mapping, list(word_id), np.array([*generic, False], dtype=bool)


def surface_names(raw: list[str], mapping: np.ndarray, counts: np.ndarray, n: int) -> list[str]:
    """The most frequent spelling of each stemmed word (ties: alphabetical), for display."""
    best: list[tuple[int, str] | None] = [None] * n
    for index, token in enumerate(raw):
        word = int(mapping[index])
        if word < 0:
            continue
        key = (-int(counts[index]), token)
        current = best[word]
        if current is None or key < current:
            best[word] = key
    return [entry[1] if entry else "" for entry in best]


def count_matrix(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape) -> sp.csr_matrix:
    """A summed CSR matrix from (row, col, value) triples."""
    matrix = sp.csr_matrix((data, (rows, cols)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


def vectorise(
    slugs: Sequence[str],
    texts: Sequence[tuple[str, str]],
    min_df: int = 2,
    max_df: float = 0.5,
    base: np.ndarray | None = None,
    tokens: TokenMemo | None = None,
    keys: bool = False,
) -> Vectors:
    """TF-IDF (sublinear tf, smooth idf, L2 rows) of unigrams and bigrams; rows in given order.

    With `base` (a flag per row), the corpus statistics (which terms are columns, their
    idf, how each is spelt) come from the flagged rows only: a row outside the base
    leaves every other row's vector unchanged. `keys`: keep what each column counts
    (Vectors.columns: each column's key).
    """
    n_docs = len(slugs)
    in_base = np.ones(n_docs, bool) if base is None else np.asarray(base, bool)
    n_base = int(in_base.sum())
    ids, docs, weights, raw = tokenise(texts, tokens)
    mapping, words, generic = unigram_ids(raw)
    seen = np.bincount(ids if base is None else ids[in_base[docs]], minlength=len(raw))
    names = surface_names(raw, mapping, seen, len(words))
    seq = mapping[ids]
    del ids, seen
    n_words = max(len(words), 1)
    max_count = max(max_df * n_base, min_df)
    # Positions, not masks: a boolean mask is searched again by every array it indexes.
    single = positions((seq >= 0) & ~generic[np.maximum(seq, 0)])
    unigrams, unigram_df, unigram_keep = kept_columns(
        count_matrix(docs[single], seq[single], weights[single], (n_docs, n_words)),
        min_df,
        max_count,
        in_base,
    )
    del single
    # Bigrams: two adjacent words (a break token in between, or a paper's end, ends a phrase).
    pair = positions((seq[:-1] >= 0) & (seq[1:] >= 0))
    second = pair + 1  # each pair's second word
    codes = seq[pair].astype(np.int64) * n_words + seq[second]
    bigram_codes, _, bigram_cols, _ = groups(codes, spent=True)
    del codes
    pair_weights = np.minimum(weights[pair], weights[second])
    del second
    bigrams, bigram_df, bigram_keep = kept_columns(
        count_matrix(
            docs[pair],
            bigram_cols.astype(np.int32),
            pair_weights,
            (n_docs, len(bigram_codes)),
        ),
        min_df,
        max_count,
        in_base,
    )
    del pair, bigram_cols, pair_weights, docs, weights, seq
    labels = [names[c] for c in unigram_keep.tolist()]
    labels += [bigram_label(names, int(code), n_words) for code in bigram_codes[bigram_keep]]
    # Each label is one column's (a spelling belongs to one stem): the order is the base's.
    order = np.array(sorted(range(len(labels)), key=labels.__getitem__), dtype=np.int64)
    counts = sp.hstack([unigrams, bigrams], format="csc")[:, order].tocsr()
    df = np.concatenate([unigram_df, bigram_df])[order]
    codes = np.concatenate([unigram_keep, n_words + bigram_codes[bigram_keep]])[order]
    terms = tuple(labels[i] for i in order)
    # Made now, not kept as the words and codes: the words are every stemmed word of the
    # corpus (~30 MB at 100k papers), and a cold build held them while it made its base.
    columns = column_keys(words, codes.astype(np.int64)) if keys else None
    return Vectors(tuple(slugs), terms, tfidf(counts, df, n_base), df, columns)


def positions(mask: np.ndarray) -> np.ndarray:
    """Where a mask is true, as int32 where they fit (at 100k papers, 20M positions)."""
    found = np.flatnonzero(mask)
    return found.astype(np.int32) if len(mask) < 2**31 else found


def vectorise_more(
    texts: Sequence[tuple[str, str]],
    columns: Mapping[str, int],
    df: np.ndarray,
    n_base: int,
    tokens: TokenMemo | None = None,
) -> sp.csr_matrix:
    """The TF-IDF rows of more texts over the columns a vectorise learnt from its base
    (`columns`: each column's key, Vectors.columns, to its number; `df`, `n_base`: the
    base's): the rows vectorise gives these texts beside that base, bit for bit.

    A column's word is never generic (a generic word is no column alone, and whether a word
    is generic depends on its stem alone), so every token of it counts; a count is a sum of
    2s and 1s (exact in float32, in any order); and tfidf works row by row, each row's
    columns in order.
    """
    ids, docs, weights, raw = tokenise(texts, tokens)
    mapping, words, _ = unigram_ids(raw)
    seq = mapping[ids]
    del ids
    n_words = max(len(words), 1)
    word_column = np.array([columns.get(word, -1) for word in words] + [-1], np.int64)
    single = word_column[seq]  # a BREAK (-1) reads the spare -1 at the end
    pair = (seq[:-1] >= 0) & (seq[1:] >= 0)
    codes = seq[:-1][pair].astype(np.int64) * n_words + seq[1:][pair]
    found, _, at, _ = groups(codes, spent=True)
    keys = [pair_key(words[c // n_words], words[c % n_words]) for c in found.tolist()]
    pair_column = np.array([columns.get(key, -1) for key in keys], np.int64)[at]
    unigram, bigram = np.flatnonzero(single >= 0), np.flatnonzero(pair_column >= 0)
    rows = np.concatenate([docs[unigram], docs[:-1][pair][bigram]])
    cols = np.concatenate([single[unigram], pair_column[bigram]])
    data = np.concatenate(
        [weights[unigram], np.minimum(weights[:-1][pair], weights[1:][pair])[bigram]]
    )
    counts = count_matrix(rows, cols.astype(np.int32), data, (len(texts), len(df)))
    return tfidf(counts, df, n_base)


def kept_columns(
    counts: sp.csr_matrix, min_df: int, max_count: float, base: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The columns whose document frequency in the base rows lies in [min_df, max_count]:
    matrix, df, indices."""
    in_base = counts if base.all() else counts[np.flatnonzero(base)]
    df = np.bincount(in_base.indices, minlength=counts.shape[1])
    keep = np.flatnonzero((df >= min_df) & (df <= max_count))
    return counts.tocsc()[:, keep], df[keep], keep


def bigram_label(names: list[str], code: int, n_words: int) -> str:
    """The display text of a bigram code."""
    return f"{names[code // n_words]} {names[code % n_words]}"


def tfidf(counts: sp.csr_matrix, df: np.ndarray, n_docs: int) -> sp.csr_matrix:
    """Sublinear term frequency times smooth inverse document frequency, rows L2-normalised."""
    matrix = counts.astype(np.float32)
    matrix.data = 1.0 + np.log(matrix.data)
    idf = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
    matrix.sort_indices()  # each row's columns in order: its norm sums them in that order
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data *= np.repeat((1.0 / norms).astype(np.float32), np.diff(matrix.indptr))
    return matrix
