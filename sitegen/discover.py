"""Discovery: key terms, related papers, theme suggestions and a 2D map.

Pure and deterministic computations over the papers' titles and abstracts (notes
are the user's, not the paper's, so they don't count). Rows are always in slug
order, so every tie is broken by slug; floats are rounded before they leave.
Similarity is sparse TF-IDF cosine computed in row blocks, never an all-pairs loop.
Key terms, and the shared terms that explain a related paper, are the technical
phrases and named methods of sitegen.keyterms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from hashlib import blake2b
from itertools import pairwise, repeat

import numpy as np

from sitegen.arrays import lex_order, percentile, ranks_within, run_starts, runs_at
from sitegen.cache import text_digest
from sitegen.catalog import Paper
from sitegen.keyterms import (
    KEEP,
    Candidate,
    CandidateRows,
    CandidateTable,
    InterleavedTables,
    KeyCounts,
    base_candidates,
    candidates_and_counts,
    ranked_candidates,
)
from sitegen.layout import affinity_graph, optimise
from sitegen.model.discovery import (
    Discovery,
    Point,
    Related,
    RelatedRow,
    discovery_input,
    related_column,
)
from sitegen.records import record
from sitegen.regions import map_regions
from sitegen.sparse import sp
from sitegen.text import slugify
from sitegen.textmap import REMEMBERED, TokenMemo, Vectors, vectorise, vectorise_more

KEY_TERMS = 6
RELATED = 5
SHARED_TERMS = 3
COMMON_IDF = 1 + math.log(20)  # the idf of a phrase in 1 paper of 20
PRUNE_TERMS = 24  # candidates come from each paper's 24 heaviest terms: bounds the work
CANDIDATES = 20  # candidates per paper, re-ranked by exact cosine
# How much closer than a base paper's limit-th related paper of the base a paper outside
# the base must be to join its list (see welcome).
NEWCOMER_MARGIN = 0.2
# Papers whose candidate products are made at once: a block's product has a row per paper
# and a column per paper sharing a heavy term, so it grows with the catalogue (1024 rows
# took ~600 MB at 100k papers); 256 cost no more time at 10k. Results don't depend on it.
BLOCK_ROWS = 256
ROUND = 4
MAP_NEIGHBOURS = 10  # neighbours per paper in the map's layout graph
LAYOUT_SAMPLE = 10_000  # above this, a sample is laid out and the rest placed by it
OUTLIER_PERCENT = 1.0  # the map's scale ignores this share of papers on each side...
EDGE_BAND = 0.03  # ...which are squashed into this band along the edge


@record
class Cluster:
    """A group of similar papers, named by its top terms."""

    slugs: tuple[str, ...]
    terms: tuple[str, ...]
    cohesion: float  # mean cosine of the members to their centroid


def paper_vectors(papers: Iterable[Paper], base: Collection[str] | None = None) -> Vectors:
    """TF-IDF vectors of the papers' titles and abstracts, rows in slug order; with `base`,
    the slugs whose papers set the corpus statistics (see model.discovery.generation)."""
    rows = catalogue_rows(papers, base)
    return vectorise(rows.slugs, rows.texts, base=rows.in_base)


def paper_candidates(papers: Iterable[Paper], base: Collection[str] | None = None) -> CandidateRows:
    """Each paper's ranked key-term candidates, in slug order (like the vector rows)."""
    rows = catalogue_rows(papers, base)
    mine, counts = rows.base_candidates()
    theirs, _ = candidates_and_counts(rows.of(~rows.in_base), KEEP, counts)
    return InterleavedTables(rows.in_base, mine, theirs)


@record
class CatalogueRows:
    """The papers as discovery's rows (slug order): slugs, texts (title, abstract) and
    whether each is one of the base's."""

    slugs: list[str]
    texts: list[tuple[str, str]]
    in_base: np.ndarray

    def of(self, chosen: np.ndarray) -> list[tuple[str, str]]:
        """The texts of the rows chosen (a bool per row)."""
        return [self.texts[i] for i in np.flatnonzero(chosen).tolist()]

    def base_candidates(self) -> tuple[CandidateTable, KeyCounts]:
        """The base papers' key-term candidates and key counts (keyterms.base_candidates)."""
        return base_candidates(self.of(self.in_base))


def catalogue_rows(papers: Iterable[Paper], base: Collection[str] | None) -> CatalogueRows:
    """The papers in slug order, as discovery reads them (model.discovery.discovery_input)."""
    ordered = sorted(map(discovery_input, papers))
    texts = [(title, abstract) for _, title, abstract in ordered]
    return CatalogueRows([slug for slug, _, _ in ordered], texts, base_flags(ordered, base))


def base_flags(ordered: list[tuple[str, str, str]], base: Collection[str] | None) -> np.ndarray:
    """Whether each paper (in slug order) is one of the base's; all are without a base."""
    if base is None:
        return np.ones(len(ordered), bool)
    return np.array([slug in base for slug, _, _ in ordered], bool)


Remember = Callable[[Callable[[], dict]], dict]


def discover(
    papers: Sequence[Paper],
    base: Collection[str] | None = None,
    remember: Remember | None = None,
    later: dict[str, tuple] | None = None,
    tokens: TokenMemo | None = None,
    candidates: FoundCandidates | None = None,
    as_text: bool = False,
) -> Discovery:
    """Key terms, related papers, map points and the map's named regions for a whole catalogue.

    The corpus statistics (document frequencies, which terms count) come from the
    papers in `base` (all papers without one): a paper outside it changes no other
    paper's key terms or vector, so a new dump changes an older paper's related list
    only by being closer to it. All that depends on the base alone (its papers' key terms,
    related papers among themselves, map layout) is a `Generation`; `remember` may keep it
    between builds (it is handed a function making its plain form), and the rest is added
    to it: a build from a remembered generation is the same computation as one without.
    `later` (plain key-term candidates of the papers after the base, by their text; it must
    belong to the same generation) is read, and refilled with today's papers after the base.
    `tokens` tokenises a paper (a textmap.TokenMemo remembers them). `candidates` gives
    the base's key-term candidates (base_found: another process may be finding them).
    `as_text`: the related lists made as their JSON text (model.discovery.related_column),
    for a caller that keeps only discovery's plain form.
    """
    catalogue = catalogue_rows(papers, base)
    in_base, texts = catalogue.in_base, catalogue.texts
    rows = np.flatnonzero(in_base)
    aside: dict[str, tuple] = {}  # the later papers' candidates, found with the base's

    def found() -> tuple[CandidateTable, KeyCounts]:
        if candidates is None:
            return catalogue.base_candidates()
        table, counts, later_ones = candidates()
        aside.update(later_ones)
        return table, counts

    made: list[Pruned] = []  # every row's vectors, when this build makes them all

    def whole(keys: bool = False) -> Pruned:  # keys: for packed_vectors
        if not made:
            vectors = vectorise(catalogue.slugs, texts, base=in_base, tokens=tokens, keys=keys)
            # Pruning is row by row: the base's rows of this are what pruning the base gives.
            made.append(Pruned(vectors, pruned(vectors.matrix, PRUNE_TERMS)))
        return made[0]

    def make() -> dict:
        both = whole(keys=len(rows) <= VECTORS_KEPT)
        base = Pruned(rows_of(both.vectors, rows), both.matched[rows])
        generation = learn_generation(base.vectors, found, base.matched, candidates is not None)
        plain = {**packed(generation), **packed_vectors(base)}  # views of base's rows
        made[0] = Pruned(replace(both.vectors, columns=None), both.matched)  # keys: in `plain`
        return plain

    # Even a generation just made is unpacked: its strings are then shared as in a later
    # build's, so each view pickles the same (build.keys.page_key) and no page renders again.
    plain = (remember or (lambda f: f()))(make)
    # The kept vectors apart, and only where grown reads them (this build made none): at
    # 100k papers, the copy of the base's rows a cold build packs (~80 MB) is not held
    # while the generation is unpacked, nor its texts (~75 MB) while grown makes every
    # row's matrix. A one-shot build spills the memo, so `del` frees them (~290 MB).
    kept, plain = vectors_apart(plain)
    kept = {} if made else kept
    generation = fitting(plain, rows)
    if generation is None:  # a remembered one that doesn't fit this base: made afresh
        plain = make()
        generation = unpacked(plain)
    del plain
    both = made[0] if made else grown(kept, catalogue, tokens) or whole()
    del kept
    made.clear()  # made[0] is `both`: held here, `del both` below would free nothing
    known = {} if later is None else later
    for key, plain_ones in aside.items():  # of this generation's counts, as the memo's are
        known.setdefault(key, plain_ones)
    # The papers after the base, each step dropping what the next ones do not read: at 100k
    # papers, the candidate tables (~60 MB) before the map, the vectors (~90 MB) before its
    # regions.
    terms, related = extended(generation, both, in_base, texts, known, as_text)
    coords = generation.coords
    del generation
    points = map_points(both.vectors, in_base, coords, both.matched)
    slugs = both.vectors.slugs
    del both
    return named_regions(Discovery(key_terms=terms, related=related, points=points), slugs)


# Up to this many base papers, a generation keeps its papers' vectors (9 MB at 9k papers,
# 86 MB at 100k): a later build vectorises only the papers after the base (0.35 -> 0.08 s
# at 10k papers; at 100k, a new dump's 11 s vectorise and its ~500 MB peak beside the side
# copy's search index). They are packed as views of the base's rows, which the generation
# was learnt from (~90 MB at 100k papers), let go once the memo is written (vectors_apart):
# the cold build's peak has no room for another copy.
VECTORS_KEPT = 120_000


def packed_vectors(base: Pruned) -> dict[str, str | bytes | memoryview | int]:
    """The base's vectors (whole and pruned) and what each column counts, as plain values
    (none above VECTORS_KEPT base papers: vectorise then keeps no keys)."""
    columns = base.vectors.columns
    if len(base.vectors.slugs) > VECTORS_KEPT or columns is None:
        return {}
    plain: dict[str, str | bytes | memoryview | int] = {
        "vector_keys": "\n".join(columns),
        "vector_terms": "\n".join(base.vectors.terms),
        "vector_df": numbers(base.vectors.df, np.int64),
    }
    for name, matrix in (("vectors", base.vectors.matrix), ("matched", base.matched)):
        plain[f"{name}_indptr"] = array_bytes(matrix.indptr, np.int64)
        plain[f"{name}_indices"] = array_bytes(matrix.indices, np.int32)
        plain[f"{name}_data"] = array_bytes(matrix.data, np.float32)
    return plain


def grown(plain: dict, catalogue: CatalogueRows, tokens: TokenMemo | None) -> Pruned | None:
    """Every row's vectors from the base's kept ones (packed_vectors) and the later papers'
    made over the base's columns: what vectorise and pruned give, bit for bit (None when
    the generation kept none)."""
    if "vector_keys" not in plain:
        return None
    in_base = catalogue.in_base
    try:  # the cache is untrusted: what doesn't fit this base is made afresh
        terms, keys = (list(each_line(plain[name])) if plain[name] else [] for name in KEPT_TEXTS)
        df = plain_array(plain, "vector_df", np.int64)
        base = {name: kept_matrix(plain, name, len(terms)) for name in ("vectors", "matched")}
        for matrix in base.values():
            matrix.check_format(full_check=True)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    n_base = int(in_base.sum())
    if not len(terms) == len(keys) == len(df) or {m.shape[0] for m in base.values()} != {n_base}:
        return None
    columns = dict(zip(keys, range(len(keys)), strict=True))
    more = vectorise_more(catalogue.of(~in_base), columns, df, n_base, tokens)
    if tokens is not None and len(in_base) <= REMEMBERED:  # as a whole vectorise keeps them
        tokens.carry(catalogue.of(in_base))  # for the next build: the base's tokens too
    matrix = interleaved(base["vectors"], more, in_base)
    matched = interleaved(base["matched"], pruned(more, PRUNE_TERMS), in_base)
    return Pruned(Vectors(tuple(catalogue.slugs), tuple(terms), matrix, df), matched)


def vectors_apart(plain: object) -> tuple[dict, object]:
    """A memo's kept vectors (packed_vectors), and the rest (all of it, if it is not a dict of
    names: the cache is untrusted, and fitting refuses what doesn't unpack)."""
    if type(plain) is not dict or not all(type(name) is str for name in plain):
        return {}, plain
    vectors = {name: value for name, value in plain.items() if name.startswith(VECTOR_PARTS)}
    return vectors, {name: value for name, value in plain.items() if name not in vectors}


KEPT_TEXTS = ("vector_terms", "vector_keys")  # packed_vectors' lines: the terms, their keys
VECTOR_PARTS = ("vector_", "vectors_", "matched_")  # how packed_vectors' names begin


def kept_matrix(plain: dict, name: str, columns: int) -> sp.csr_matrix:
    """A matrix packed_vectors kept, its rows' entries in the order they were kept."""
    indptr = plain_array(plain, f"{name}_indptr", np.int64)
    data = plain_array(plain, f"{name}_data", np.float32)
    parts = (data, plain_array(plain, f"{name}_indices", np.int32), indptr)
    return sp.csr_matrix(parts, shape=(len(indptr) - 1, columns))


def interleaved(base: sp.csr_matrix, later: sp.csr_matrix, in_base: np.ndarray) -> sp.csr_matrix:
    """The rows of `base` where in_base is true, those of `later` where it is false, in order."""
    # Each part's entries put in place: a stack of both, then its rows picked, made two
    # copies of the base (~150 MB at 100k papers, beside the side copy's search index).
    lengths = np.empty(len(in_base), np.int64)
    lengths[in_base] = np.diff(base.indptr)
    lengths[~in_base] = np.diff(later.indptr)
    indptr = np.zeros(len(in_base) + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    of_base = np.repeat(in_base, lengths)  # whose each entry is, in the rows' order
    indices = np.empty(int(indptr[-1]), np.int32)
    data = np.empty(int(indptr[-1]), np.float32)
    indices[of_base], data[of_base] = base.indices, base.data
    indices[~of_base], data[~of_base] = later.indices, later.data
    shape = (len(in_base), base.shape[1])
    return sp.csr_matrix((data, indices, indptr), shape=shape)


# The base generation's key-term candidates, how many base papers use each key, and the
# candidates of the papers after the base by their text (later_found's plain ones).
FoundCandidates = Callable[[], tuple[CandidateTable, KeyCounts, dict[str, tuple]]]


def base_found(papers: Sequence[Paper], base: Collection[str] | None) -> tuple:
    """The candidates discover finds for these papers, found on their own (by the side copy
    of a build, while discover's process makes the vectors and the map): FoundCandidates.
    The later papers' too: in that copy, each token has been judged already (at 360
    papers, their 40 took ~0.12 s in discover's process, which judged none)."""
    catalogue = catalogue_rows(papers, base)
    table, counts = catalogue.base_candidates()
    later: dict[str, tuple] = {}
    later_found(catalogue.of(~catalogue.in_base), counts, later)
    return table, counts, later


@record
class Pruned:
    """TF-IDF vectors and the same rows cut to their heaviest terms (pruned)."""

    vectors: Vectors
    matched: sp.csr_matrix


class RelatedTable:
    """Each base paper's related entries (base row, exact cosine, shared terms) as columns:
    at 100k papers, ~450k entries as tuples held ~65 MB through the end of discovery."""

    def __init__(
        self, starts: np.ndarray, rows: np.ndarray, exact: np.ndarray, terms: list[tuple[str, ...]]
    ):
        self.starts = starts  # paper i's entries are starts[i]:starts[i + 1]
        self.rows, self.exact, self.terms = rows, exact, terms

    @classmethod
    def of(
        cls, sizes: Sequence[int] | np.ndarray, rows: np.ndarray, exact: np.ndarray, terms: list
    ) -> RelatedTable:
        """The table of papers with these numbers of entries, and the entries' columns."""
        return cls(run_starts(sizes), rows, exact, terms)

    @classmethod
    def of_lists(cls, lists: Sequence[Sequence[Entry]]) -> RelatedTable:
        """The table of these papers' entry lists."""
        flat = [entry for entries in lists for entry in entries]
        return cls.of(
            [len(entries) for entries in lists],
            np.array([row for row, _, _ in flat], np.int32),
            np.array([value for _, value, _ in flat], np.float64),
            [terms for *_, terms in flat],
        )

    def __len__(self) -> int:
        return len(self.starts) - 1

    def lists(self) -> Iterator[list[Entry]]:
        """Each paper's entries in turn (made a run of papers at a time)."""
        for first in range(0, len(self), LISTS_RUN):
            last = min(first + LISTS_RUN, len(self))
            bounds = self.starts[first : last + 1]
            a, b = int(bounds[0]), int(bounds[-1])
            rows, exact = self.rows[a:b].tolist(), self.exact[a:b].tolist()
            entries = list(zip(rows, exact, self.terms[a:b], strict=True))
            for start, end in pairwise((bounds - a).tolist()):
                yield entries[start:end]


LISTS_RUN = 4_096  # papers whose related entries RelatedTable.lists makes at once


@record
class Generation:
    """What discovery keeps of its base generation: all that depends on the base papers only."""

    slugs: tuple[str, ...]  # the base's, in slug order
    candidates: CandidateTable  # each base paper's key-term candidates
    counts: KeyCounts  # how many base papers use each key (later papers' statistics)
    related: RelatedTable  # per base paper, its best RELATED among the base, before the
    # min_score cut: (base row, exact cosine, shared terms)
    thresholds: np.ndarray  # per base paper: the score that makes a later paper a candidate
    bars: np.ndarray  # per base paper: the exact score a later paper needs to join (welcome)
    coords: np.ndarray  # the base's map layout (n x 2, layout units)


def learn_generation(
    mine: Vectors,
    candidates: Callable[[], tuple[CandidateTable, KeyCounts]],
    matched: sp.csr_matrix,
    aside: bool = False,
) -> Generation:
    """Key terms, related papers among the base, and the map layout of the base's papers
    (mine: the base's vectors, matched: the same rows pruned; `aside`: another process is
    finding the candidates)."""
    coords = base_layout(mine, matched)  # first: the candidates may come from another process
    # So may the related pairs, which the candidates only explain (at 10k papers, the side
    # copy had them 0.4 s after the map); found here, the candidates come first, as the
    # pairs held through their peak would add ~25 MB at 100k papers.
    best = base_best(mine, matched) if aside else None
    found, counts = candidates()
    best = best if best is not None else base_best(mine, matched)
    explain = by_phrases(mine.slugs, found)
    related = RelatedTable.of_lists(explained_lists(best, mine.slugs, explain, found))
    return Generation(mine.slugs, found, counts, related, best.thresholds, best.bars, coords)


def rows_of(vectors: Vectors, rows: np.ndarray) -> Vectors:
    """The vectors of some rows only (same terms and columns)."""
    slugs = tuple(vectors.slugs[i] for i in rows.tolist())
    return Vectors(slugs, vectors.terms, vectors.matrix[rows], vectors.df, vectors.columns)


def extended(
    generation: Generation,
    both: Pruned,
    in_base: np.ndarray,
    texts: list,
    known: dict[str, tuple],
    as_text: bool = False,
) -> tuple[dict[str, tuple[str, ...]], Mapping[str, tuple[Related, ...]]]:
    """The whole catalogue's key terms and related lists (`as_text`: as their JSON text): the
    base generation's, and those of the papers after it (their key-term candidates taken
    from `known` where it has them, and put there)."""
    vectors, matched = both.vectors, both.matched
    later = np.flatnonzero(~in_base)
    found = later_candidates([texts[i] for i in later.tolist()], generation.counts, known)
    candidates = InterleavedTables(in_base, generation.candidates, found)
    terms = key_terms(vectors.slugs, candidates)
    explain = by_phrases(vectors.slugs, candidates)
    return terms, related_of(vectors, in_base, generation, explain, matched, as_text)


def named_regions(discovery: Discovery, slugs: Sequence[str]) -> Discovery:
    """Discovery with the map's named regions (of its points and key terms)."""
    points = discovery.points
    plane = np.array([[points[s].x, points[s].y] for s in slugs]).reshape(-1, 2)
    return replace(discovery, regions=map_regions(slugs, plane, discovery.key_terms))


LATER_PASS = 4_000  # later papers whose candidates are found at once


def later_candidates(
    texts: list[tuple[str, str]], counts: KeyCounts, known: dict[str, tuple]
) -> CandidateTable:
    """The candidates of papers after the base, as a table (later_found)."""
    plain = later_found(texts, counts, known)
    flat = [c for found in plain for c in found]
    return CandidateTable.of(
        [len(found) for found in plain],
        [key for key, *_ in flat],
        [label for _, label, *_ in flat],
        [weight for *_, weight, _ in flat],
        [idf for *_, idf in flat],
    )


def later_found(
    texts: list[tuple[str, str]], counts: KeyCounts, known: dict[str, tuple]
) -> list[tuple]:
    """The plain candidates of papers after the base: each depends on its text and the base's
    counts only, so those `known` (plain, by text) are reused; `known` then holds these
    papers'."""
    keys = [text_digest(title, abstract) for title, abstract in texts]
    missing = sorted({i for i, key in enumerate(keys) if key not in known}, key=keys.__getitem__)
    fresh = {}
    # In passes: each paper's candidates are its own (the counts are the base's), and all
    # n-gram occurrences of 13k later papers at once took 250 MB more at 100k papers.
    for start in range(0, len(missing), LATER_PASS):
        part = missing[start : start + LATER_PASS]
        made = ranked_candidates([texts[i] for i in part], known=counts)
        fresh.update(
            (keys[i], plain_candidates(found)) for i, found in zip(part, made, strict=True)
        )
    plain = [known[key] if key in known else fresh[key] for key in keys]
    known.clear()
    known.update(zip(keys, plain, strict=True))
    return plain


def plain_candidates(found: tuple[Candidate, ...]) -> tuple:
    """Candidates as plain tuples (key, label, weight, idf) for the build cache."""
    return tuple((c.key, c.label, c.weight, c.idf) for c in found)


Entry = tuple[int, float, tuple[str, ...]]  # a related paper's row, exact cosine, shared terms
# The TF-IDF terms adding most to a pair's score, made only when asked (most pairs share a
# phrase, and folding terms is a third of the time spent explaining).
Terms = Callable[[], tuple[str, ...]]
Explain = Callable[[str, str, Terms], tuple[str, ...]]  # (paper, related, TF-IDF terms)


def by_phrases(slugs: Sequence[str], candidates: CandidateRows) -> Explain:
    """Explain a related pair by the phrases both share, or else by the top TF-IDF term
    (candidates: the papers', in the order of slugs)."""
    row = {slug: i for i, slug in enumerate(slugs)}
    last: dict[str, dict[str, Shared]] = {}  # the paper asked last: pairs come by paper

    def explain(slug: str, other: str, terms: Terms) -> tuple[str, ...]:
        if slug not in last:
            last.clear()
            keys, labels, weights, idfs = candidates.columns(row[slug])
            last[slug] = dict(zip(keys, zip(idfs, weights, labels, strict=True), strict=True))
        keys, weights = candidates.keys_and_weights(row[other])
        return tuple(shared_with(last[slug], keys, weights)) or terms()[:1]

    return explain


def by_terms(slug: str, other: str, terms: Terms) -> tuple[str, ...]:
    """Explain a related pair by the TF-IDF terms adding most to its score."""
    return terms()


def base_best(mine: Vectors, matched: sp.csr_matrix) -> Best:
    """Each base paper's best among the base (rows of `mine`), its thresholds and bars."""
    return best_related(mine, np.arange(len(mine.slugs)), np.ones(len(mine.slugs), bool), matched)


def explained_lists(
    best: Best, slugs: Sequence[str], explain: Explain, found: CandidateTable | None = None
) -> list[list[Entry]]:
    """Each base paper's related entries (base row, exact cosine, shared terms). With the
    base's candidates (`found`, in the order of slugs), the phrases each pair shares are
    found for every pair at once (phrases_shared), and `explain` asked only where it must
    break a tie between two of them."""
    related: list[list[Entry]] = [[] for _ in slugs]
    shared = (
        phrases_shared(found, best.rows, best.cols)
        if found is not None
        else repeat(None, len(best.rows))
    )
    for (row, col, exact, terms), labels in zip(best.entries(), shared, strict=True):
        # Where no phrase is shared, the TF-IDF term (as explain gives it).
        shown = explain(slugs[row], slugs[col], terms) if labels is None else labels
        related[row].append((col, exact, shown or terms()[:1]))
    return related


# Pairs phrases_shared takes at once: ~16 candidates a paper on each side, ~4 MB of arrays.
PAIRS_AT_ONCE = 16_384


def phrases_shared(
    table: CandidateTable, rows: np.ndarray, cols: np.ndarray
) -> Iterator[tuple[str, ...] | None]:
    """shared_with for each pair of a table's papers (rows[i], cols[i]), in numpy: the
    labels of the phrases both share, () for none; None where two tie on idf and weight
    (shared_with orders those by key: rare, and left to it). A paper's keys are distinct,
    and weights and idfs finite (as keyterms makes them).

    Explaining 450k pairs at 100k papers took 7.9 s in Python, a pair at a time."""
    key_ids, key_count = numbered_keys(table.keys)
    for start in range(0, len(rows), PAIRS_AT_ONCE):
        end = start + PAIRS_AT_ONCE
        yield from block_shared(table, key_ids, key_count, rows[start:end], cols[start:end])


def numbered_keys(keys: list[str]) -> tuple[np.ndarray, int]:
    """Each key's number (in the order keys are first used), and how many there are."""
    # Made here: the dict of every distinct key (~1M at 100k papers) is gone on return.
    number = {key: n for n, key in enumerate(dict.fromkeys(keys))}
    return np.fromiter(map(number.__getitem__, keys), np.int64, len(keys)), len(number)


def block_shared(
    table: CandidateTable, key_ids: np.ndarray, key_count: int, rows: np.ndarray, cols: np.ndarray
) -> Iterator[tuple[str, ...] | None]:
    """phrases_shared of some pairs (key_ids: numbered_keys of the table's keys)."""
    mine, pair = runs_at(table.starts, rows)  # each pair's candidates on either side
    theirs, their_pair = runs_at(table.starts, cols)
    _, at_mine, at_theirs = np.intersect1d(  # the (pair, key)s both sides have
        pair * key_count + key_ids[mine],
        their_pair * key_count + key_ids[theirs],
        assume_unique=True,
        return_indices=True,
    )
    if not len(at_mine):  # no pair shares a phrase
        yield from repeat((), len(rows))
        return
    pair, mine, theirs = pair[at_mine], mine[at_mine], theirs[at_theirs]
    idf, weight = table.idfs[mine], np.minimum(table.weights[mine], table.weights[theirs])
    order = lex_order((-weight, -idf, pair))  # by pair, then rarest, then heaviest
    pair, mine, idf, weight = pair[order], mine[order], idf[order], weight[order]
    opens = np.r_[True, pair[1:] != pair[:-1]]  # a pair's first shared phrase
    same = ~opens[1:] & (idf[1:] == idf[:-1]) & (weight[1:] == weight[:-1])
    tied = set(pair[1:][same].tolist())
    # Up to SHARED_TERMS specific phrases; or, if none is, the rarest common one alone.
    specific = idf >= COMMON_IDF
    counted = np.cumsum(specific) - specific  # specific ones before each, in all pairs
    first = np.maximum.accumulate(np.where(opens, np.arange(len(pair)), 0))
    rank = counted - counted[first]  # ...and in its own pair
    has_specific = np.bincount(pair, specific, len(rows)) > 0
    keep = specific & (rank < SHARED_TERMS) | opens & ~has_specific[pair]
    labels = [table.labels[i] for i in mine[keep].tolist()]
    bounds = run_starts(np.bincount(pair[keep], minlength=len(rows))).tolist()
    for number in range(len(rows)):
        yield None if number in tied else tuple(labels[bounds[number] : bounds[number + 1]])


def related_of(
    vectors: Vectors,
    in_base: np.ndarray,
    generation: Generation,
    explain: Explain,
    matched: sp.csr_matrix,
    as_text: bool = False,
) -> Mapping[str, tuple[Related, ...]]:
    """Every paper's related list (`as_text`: as its JSON text): a base paper's best among
    the base plus the later papers it welcomes; a later paper's best among all."""
    rows, later = np.flatnonzero(in_base), np.flatnonzero(~in_base)
    if len(generation.related) != len(rows):  # each base row's list is taken in turn, below
        raise ValueError("a generation's related lists are not its base's")
    added: dict[int, list[Entry]] = {}  # by row: what later papers add to the base's lists
    slugs = vectors.slugs
    if len(later):
        for at, col, exact, terms in welcomed(vectors, matched, rows, later, generation):
            row = int(rows[at])
            added.setdefault(row, []).append((col, exact, explain(slugs[row], slugs[col], terms)))
        best = best_related(vectors, later, in_base, matched)
        for at, col, exact, terms in best.entries():
            row = int(later[at])
            shared = explain(slugs[row], slugs[col], terms)
            added.setdefault(row, []).append((col, exact, shared))
    # A base paper's entries are renumbered as its list is made, not all at once first (at
    # 100k papers, a copy of every base list held ~80 MB through the end of discovery).
    base_rows, flags = rows.tolist(), in_base.tolist()

    def each_list() -> Iterator[tuple[str, list[RelatedRow]]]:
        base_lists = generation.related.lists()  # in row order, as the base's rows come
        for row, slug in enumerate(slugs):
            own = next(base_lists) if flags[row] else ()
            entries = [(base_rows[col], exact, shared) for col, exact, shared in own]
            yield slug, final(slugs, entries + added.get(row, []))

    return related_column(each_list(), as_text)


def final(slugs: Sequence[str], entries: list[Entry], min_score: float = 0.01) -> list[RelatedRow]:
    """A related list as shown: the RELATED best (by score, ties by slug) above min_score."""
    ranked = sorted(entries, key=rank_of)[:RELATED] if len(entries) > 1 else entries
    shown = []
    for col, exact, shared in ranked:  # a loop, not a generator: one round() an entry
        score = round(exact, ROUND)
        if score >= min_score:
            shown.append((slugs[col], score, shared))
    return shown


def rank_of(entry: Entry) -> tuple[float, int]:
    """A related entry's place in its list: by score (to 6 places), ties by row (slug)."""
    return -round(entry[1], 6), entry[0]


def related_papers(
    vectors: Vectors, base: np.ndarray | None = None
) -> Mapping[str, tuple[Related, ...]]:
    """The RELATED most similar papers to each paper, explained by TF-IDF terms."""
    in_base = np.ones(len(vectors.slugs), bool) if base is None else base
    mine = rows_of(vectors, np.flatnonzero(in_base))
    matched = pruned(vectors.matrix, PRUNE_TERMS)
    best = base_best(mine, matched[np.flatnonzero(in_base)])
    related = RelatedTable.of_lists(explained_lists(best, mine.slugs, by_terms))
    none = KeyCounts((), np.zeros(0, np.int32), 0)
    generation = Generation((), [], none, related, best.thresholds, best.bars, np.zeros((0, 2)))
    return related_of(vectors, in_base, generation, by_terms, matched)


def packed(generation: Generation) -> dict[str, str | bytes | int]:
    """A generation as plain values for the build cache (columns of text and numbers)."""
    candidates, related = generation.candidates, generation.related
    return {
        "slugs": "\n".join(generation.slugs),
        "candidates": numbers(np.diff(candidates.starts), np.int32),
        "keys": "\n".join(candidates.keys),
        "labels": "\n".join(candidates.labels),
        "weights": numbers(candidates.weights, np.float64),
        "idfs": numbers(candidates.idfs, np.float64),
        "count_keys": "\n".join(generation.counts.keys),
        "counts": numbers(generation.counts.counts, np.int32),
        "papers": generation.counts.papers,
        "related": numbers(np.diff(related.starts), np.int32),
        "related_rows": numbers(related.rows, np.int32),
        "related_exact": numbers(related.exact, np.float64),
        "related_terms": "\n".join("\t".join(terms) for terms in related.terms),
        "thresholds": numbers(generation.thresholds, np.float64),
        "bars": numbers(generation.bars, np.float64),
        "coords": numbers(generation.coords, np.float64),
    }


def numbers(values: Iterable | np.ndarray, dtype: type) -> bytes:
    """Numbers as the bytes of a little-endian array."""
    return np.asarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()


def array_bytes(array: np.ndarray, dtype: type) -> bytes | memoryview:
    """numbers() of an array: a view of its own bytes when they are those already (the
    cache writes it as bytes; the array must not change while the memo holds it)."""
    if array.dtype == np.dtype(dtype).newbyteorder("<") and array.flags.c_contiguous:
        return memoryview(array).toreadonly().cast("B")  # a memo in memory is not written
    return numbers(array, dtype)


def plain_array(plain: dict, name: str, dtype: type) -> np.ndarray:
    """The array numbers() kept under this name."""
    # Not copied where the bytes are in this machine's order: read-only, a view of them.
    return np.frombuffer(plain[name], np.dtype(dtype).newbyteorder("<")).astype(dtype, copy=False)


def fitting(plain: object, rows: np.ndarray) -> Generation | None:
    """The generation a memo kept, if it unpacks to one of these base rows (the cache is
    untrusted: its checksum catches a torn or damaged file, not a forged one)."""
    try:
        if not holds_together(plain, len(rows)):  # type: ignore[arg-type]
            return None
        generation = unpacked(plain)  # type: ignore[arg-type]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    table = generation.candidates
    sizes = {
        len(generation.slugs),
        len(generation.related),
        len(generation.thresholds),
        len(generation.bars),
        len(generation.coords),
        len(table.starts) - 1,
    }
    columns = {len(table.keys), len(table.labels), len(table.weights), len(table.idfs)}
    counts = len(generation.counts.keys) == len(generation.counts.counts)
    return generation if sizes == {len(rows)} and len(columns) == 1 and counts else None


def holds_together(plain: dict, papers: int) -> bool:
    """Whether a kept generation's numbers agree with each other and with its base's size:
    every run of candidates and related entries adds up, every related row is the base's,
    and no number is NaN (or infinite, but a row's bounds). A forged memo of the right
    sizes would otherwise fail far from here."""
    array = partial(plain_array, plain)
    runs, related = array("candidates", np.int32), array("related", np.int32)
    rows, counts = array("related_rows", np.int32), array("counts", np.int32)
    floats = [array(name, np.float64) for name in FLOAT_COLUMNS]
    weights, idfs, exact, coords, *bounds = floats
    return (
        type(plain["papers"]) is int
        and plain["papers"] == papers
        and runs.min(initial=0) >= 0
        and int(runs.sum()) == len(weights)
        and related.min(initial=0) >= 0
        and int(related.sum()) == len(rows) == len(exact)
        and (rows.min(initial=0) >= 0 and rows.max(initial=-1) < papers)
        and counts.min(initial=0) >= 0
        and all(np.isfinite(values).all() for values in (weights, idfs, exact, coords))
        and not any(np.isnan(values).any() for values in bounds)  # -inf: a row with too few
    )


FLOAT_COLUMNS = ("weights", "idfs", "related_exact", "coords", "thresholds", "bars")


def unpacked(plain: dict) -> Generation:
    """The generation packed() stored."""
    array = partial(plain_array, plain)

    # One string object per distinct text: at 100k papers, 1.6M keys and labels are a few
    # hundred thousand phrases (~200 MB less). Every build unpacks, so views pickle alike.
    shared: dict[str, str] = {}

    def lines(name: str, n: int) -> list[str]:
        found: list[str] = []
        for chunk in line_chunks(plain[name]) if n else ():
            found.extend(map(shared.setdefault, chunk, chunk))  # no Python call per line
        return found

    sizes = array("candidates", np.int32).tolist()
    weights, idfs = array("weights", np.float64), array("idfs", np.float64)
    keys, labels = lines("keys", len(weights)), lines("labels", len(weights))
    candidates = CandidateTable.of(sizes, keys, labels, weights, idfs)
    counts = array("counts", np.int32)
    exact = array("related_exact", np.float64)
    terms = []
    for chunk in line_chunks(plain["related_terms"]) if len(exact) else ():
        for line in chunk:
            words = line.split("\t") if line else []
            terms.append(tuple(map(shared.setdefault, words, words)))
    if len(terms) != len(exact):
        raise ValueError("a kept generation's related terms are not its entries'")
    related = RelatedTable.of(
        array("related", np.int32), array("related_rows", np.int32), exact, terms
    )
    return Generation(
        tuple(lines("slugs", len(sizes))),
        candidates,
        KeyCounts(tuple(lines("count_keys", len(counts))), counts, plain["papers"]),
        related,
        array("thresholds", np.float64),
        array("bars", np.float64),
        array("coords", np.float64).reshape(-1, 2),
    )


LINES_CHUNK = 1 << 16  # characters of text split at once by line_chunks


def each_line(text: str) -> Iterator[str]:
    """text.split("\n"), a chunk of lines at a time (line_chunks)."""
    for chunk in line_chunks(text):
        yield from chunk


def line_chunks(text: str) -> Iterator[list[str]]:
    """text.split("\n") in runs of lines: at 100k papers a list of every line of the base's
    columns at once is 1.4M fresh strings (~80 MB), most equal to one already kept."""
    start = 0
    while True:
        end = text.find("\n", start + LINES_CHUNK)  # a chunk ends at a line's end
        if end < 0:
            yield text[start:].split("\n")
            return
        yield text[start:end].split("\n")
        start = end + 1


# Rows longer than this many times k are first cut by a bound from their first entries
# (row_thresholds): at 100k papers, a block of candidate scores holds ~20M entries.
BOUND_SAMPLE = 16


def row_thresholds(data: np.ndarray, indptr: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Each row's k-th largest distinct value (-inf for rows with fewer).

    Long rows are first cut to the entries at or above the same statistic of BOUND_SAMPLE × k
    of their entries, spread evenly along the row: a subset's k-th largest distinct value is
    no larger than the row's, so every entry that decides the row's is kept, and the result
    is the same. (A row's first entries would do as well in theory, but columns are in slug
    order and similar papers have similar slugs: at 100k papers, the first entries kept
    15-30 % of a row, an even spread 6 %.)
    """
    n_rows, sample = len(indptr) - 1, BOUND_SAMPLE * k
    if k < 8 or len(data) <= 4 * sample * n_rows:  # a few passes are cheaper than a cut
        return kth_distinct(data, indptr, rows, k)
    lengths = np.diff(indptr)
    counts = np.minimum(lengths, sample)
    spread = spread_sample(indptr, lengths, counts)
    bound = kth_distinct(data[spread], run_starts(counts), rows[spread], k)
    kept = np.flatnonzero(data >= bound[rows])
    counts = np.bincount(rows[kept], minlength=n_rows)
    return kth_distinct(data[kept], run_starts(counts), rows[kept], k)


def spread_sample(indptr: np.ndarray, lengths: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Positions of counts[r] entries of each row r, evenly spaced along it, in row order."""
    row = np.repeat(np.arange(len(counts)), counts)
    nth = ranks_within(counts)
    return indptr[:-1][row] + nth * lengths[row] // counts[row]  # rows of none: not in row


def kth_distinct(data: np.ndarray, indptr: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """row_thresholds by one sort of every entry (rows in order), by row and then from the
    largest value: a value's place among its row's distinct values is then a running count
    (k passes of a row-wise maximum took 0.5 s of discovery at 10k papers; this, 0.17 s)."""
    threshold = np.full(len(indptr) - 1, -np.inf)
    if not len(data):
        return threshold
    values, row = largest_first(data, rows)
    new = np.ones(len(values), bool)
    new[1:] = (row[1:] != row[:-1]) | (values[1:] != values[:-1])  # -0.0 is 0.0
    rank = np.cumsum(new, dtype=np.int32 if len(new) < 2**31 else np.int64)
    filled = np.flatnonzero(np.diff(indptr) > 0)
    before = np.zeros(len(threshold), rank.dtype)
    before[filled] = rank[indptr[filled]] - 1  # distinct values in the rows above
    rank -= before[row]
    at = np.flatnonzero(new & (rank == k))
    threshold[row[at]] = values[at]
    return threshold


SIGN = np.uint32(0x80000000)


def largest_first(data: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, row) of every entry, sorted by row (rows in order: each row keeps its place)
    and then from the largest value. float32 (TF-IDF scores, most entries) sorts as one
    integer key per entry, the row above the value's bits in IEEE order."""
    if data.dtype != np.float32:
        order = lex_order((-data, rows))
        return data[order], rows[order]
    # In place where it can be: at 100k papers, pruning sorts ~10M entries at once.
    word = data.view(np.uint32).copy()
    negative = word >= SIGN
    np.invert(word, out=word, where=negative)  # as unsigned, in value order...
    np.bitwise_or(word, SIGN, out=word, where=~negative)
    np.invert(word, out=word)  # ...from the largest
    del negative
    key = rows.astype(np.uint64)
    key <<= np.uint64(32)
    key |= word
    del word
    key.sort()
    word = key.astype(np.uint32)
    np.invert(word, out=word)
    positive = word >= SIGN
    np.bitwise_xor(word, SIGN, out=word, where=positive)
    np.invert(word, out=word, where=~positive)
    del positive
    key >>= np.uint64(32)
    return word.view(np.float32), key.astype(rows.dtype)


def ranked_entries(matrix: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of each row's k largest entries, by row then rank; ties by column."""
    matrix = matrix.tocsr()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), np.diff(matrix.indptr))
    # Sorting only the entries near each row's k-th largest value keeps this linear.
    threshold = row_thresholds(matrix.data, matrix.indptr, rows, k) - 1e-6
    near = np.flatnonzero(matrix.data >= threshold[rows])
    # Rounding first makes float noise unable to reorder near-ties.
    values = np.round(matrix.data[near].astype(np.float64), 6)
    order = near[lex_order((matrix.indices[near], -values, rows[near]))]
    ordered_rows = rows[order]
    starts = np.searchsorted(ordered_rows, ordered_rows)  # first position of each row
    chosen = order[np.arange(len(order)) - starts < k]
    return rows[chosen], matrix.indices[chosen], matrix.data[chosen]


def distinct_terms(candidates: Iterable[int], terms: Sequence[str], limit: int) -> tuple[str, ...]:
    """The first `limit` of these term ids, folding a word into the phrase that contains it."""
    chosen: list[str] = []
    covered: set[str] = set()  # words already shown, alone or inside a phrase
    for term in (terms[c] for c in candidates):
        if term in covered or term in chosen:
            continue  # "diffusion" adds nothing after "diffusion model"
        if " " in term:
            words = term.split()
            shown = [w for w in words if w in covered]
            inner = [i for i, c in enumerate(chosen) if c in shown] if shown else []
            if inner:  # the phrase replaces its words, keeping the first one's rank
                chosen[inner[0]] = term
                chosen = [c for i, c in enumerate(chosen) if i not in inner[1:]]
            else:
                chosen.append(term)
            covered.update(words)
        else:
            chosen.append(term)
            covered.add(term)
        if len(chosen) >= limit + 2:
            break
    return tuple(chosen[:limit])


def key_terms(
    slugs: Sequence[str], candidates: CandidateRows, limit: int = KEY_TERMS
) -> dict[str, tuple[str, ...]]:
    """Each paper's key terms: its heaviest phrases and names, as the paper writes them."""
    return dict(zip(slugs, candidates.leading_labels(limit), strict=True))


def shared_phrases(mine: tuple[Candidate, ...], theirs: tuple[Candidate, ...]) -> list[str]:
    """The candidates two papers share, the most specific first: rarest in the corpus, then
    heaviest in both (so "mode connectivity" comes before "computer vision")."""
    return shared_with(
        {c.key: (c.idf, c.weight, c.label) for c in mine},
        [c.key for c in theirs],
        [c.weight for c in theirs],
    )


Shared = tuple[float, float, str]  # what shared_with reads of a candidate: idf, weight, label


def shared_with(mine: dict[str, Shared], keys: list[str], weights: list[float]) -> list[str]:
    """shared_phrases, with one paper's candidates by key (each key is one candidate: its
    idf, weight and label; no Candidate made) and the other's keys and weights."""
    # The keys both have, found in C: most pairs share a few of their ~16 (a lookup each
    # in Python was a quarter of explaining 45k related pairs at 10k papers).
    shared = mine.keys() & keys
    if not shared:
        return []
    both = []
    for key in shared:  # a few: their weights found by index(), in C
        idf, weight, label = mine[key]
        both.append((idf, min(weight, weights[keys.index(key)]), key, label))
    # Sorted to the key, which is unique: the order the candidates come in doesn't count.
    both.sort(key=lambda item: (-item[0], -item[1], item[2]))
    # A phrase one paper in twenty uses ("computer vision") explains little: only when
    # nothing rarer is shared does the rarest of those stand alone.
    specific = [label for idf, *_, label in both if idf >= COMMON_IDF]
    return specific[:SHARED_TERMS] or [label for *_, label in both[:1]]


def with_shared_phrases(
    related: Mapping[str, tuple[Related, ...]],
    slugs: Sequence[str],
    candidates: Sequence[tuple[Candidate, ...]],
) -> dict[str, tuple[Related, ...]]:
    """Related papers explained by the phrases both share; TF-IDF words only when none are."""
    by_slug = dict(zip(slugs, candidates, strict=True))
    return {
        slug: tuple(
            replace(
                r,
                shared_terms=tuple(shared_phrases(by_slug[slug], by_slug[r.slug]))
                or r.shared_terms[:1],
            )
            for r in found
        )
        for slug, found in related.items()
    }


def pruned(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row cut to its `keep` heaviest terms and re-normalised."""
    rows, cols, values = ranked_entries(matrix, keep)
    cut = sp.csr_matrix((values, (rows, cols)), shape=matrix.shape, dtype=np.float32)
    norms = np.sqrt(np.asarray(cut.multiply(cut).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return row_scaled(cut, (1.0 / norms).astype(np.float32))


def row_scaled(matrix: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """diags(scale) @ matrix, entry for entry as scipy's product makes it (each row's entries
    in reverse order, zeros dropped), as later sums add them in that order: without
    sp.diags, whose np.unique loads numpy.ma (8 ms of a shipped build's critical path)."""
    counts = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(len(counts)), counts)
    ends = matrix.indptr[1:][rows] - 1
    source = matrix.indptr[:-1][rows] + ends - np.arange(len(matrix.data))
    data = matrix.data[source] * scale[rows]
    indices = matrix.indices[source]
    kept = data != 0
    if not kept.all():
        data, indices, counts = (
            data[kept],
            indices[kept],
            np.bincount(rows[kept], minlength=len(counts)),
        )
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((data, indices, indptr), shape=matrix.shape)


def candidate_pairs(
    block: sp.csr_matrix, in_base: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column) of each row's candidates: every paper scoring at least the row's k-th
    best score among the base papers (that threshold is the third array, one per row). A
    paper outside the base adds candidates, never pushes one out, so it changes a related
    list only by being closer."""
    rows = np.repeat(np.arange(block.shape[0], dtype=np.int32), np.diff(block.indptr))
    base_data = np.where(in_base[block.indices], block.data, np.float32(-np.inf))
    threshold = row_thresholds(base_data, block.indptr, rows, k)
    chosen = np.flatnonzero(block.data >= threshold[rows])
    return rows[chosen], block.indices[chosen], threshold


def welcome_bars(
    rows: np.ndarray, exact: np.ndarray, among_base: np.ndarray, n_rows: int, limit: int
) -> np.ndarray:
    """Per row, the exact score a paper outside the base must reach to join a base paper's
    list: NEWCOMER_MARGIN above the row's limit-th best score among base candidates (0 with
    fewer), so a new dump changes an older page's list only when it brings something
    clearly closer."""
    ours = np.flatnonzero(among_base)
    order = ours[lex_order((-exact[ours], rows[ours]))]  # by row, best first
    firsts = np.searchsorted(rows[order], rows[order])
    at_limit = order[np.arange(len(order)) - firsts == limit - 1]
    bar = np.zeros(n_rows)
    bar[rows[at_limit]] = exact[at_limit] * (1 + NEWCOMER_MARGIN)
    return bar


@record
class Best:
    """Some rows' best related papers before the min_score cut, with what bounds them."""

    rows: np.ndarray  # position in the rows asked for, by row then rank
    cols: np.ndarray  # the related paper's row in the vectors
    exact: np.ndarray  # float64 cosine over all terms
    terms: Sequence[Terms]  # the TF-IDF terms adding most to each score
    thresholds: np.ndarray  # per row asked for: the candidate threshold (candidate_pairs)
    bars: np.ndarray  # per row asked for: the bar of welcome_bars

    def entries(self) -> Iterable[tuple[int, int, float, Terms]]:
        """(row, column, exact score, TF-IDF terms) of every entry."""
        return zip(
            self.rows.tolist(), self.cols.tolist(), self.exact.tolist(), self.terms, strict=True
        )


def best_related(
    vectors: Vectors, asked: np.ndarray, in_base: np.ndarray, matched: sp.csr_matrix
) -> Best:
    """The RELATED best papers for some rows (base papers welcome others only above their
    bar), among candidates from each paper's heaviest terms re-ranked by exact cosine."""
    full = vectors.matrix  # matched: its rows pruned to their heaviest terms (pruned())
    transposed = matched.T.tocsr()
    parts: list[tuple] = []
    for start in range(0, len(asked), BLOCK_ROWS):
        ids = asked[start : start + BLOCK_ROWS]
        # Candidates: the best matches over each paper's heaviest terms (a sparse product)...
        block = (matched[ids] @ transposed).tocsr()
        rows, cols, threshold = candidate_pairs(block, in_base, CANDIDATES + 1)
        mine = cols != ids[rows]
        rows, cols = rows[mine], cols[mine]
        # ...re-ranked by their exact cosine over all terms.
        products = full[ids[rows]].multiply(full[cols]).tocsr()
        exact = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
        from_base, to_base = in_base[ids[rows]], in_base[cols]
        bar = welcome_bars(rows, exact, from_base & to_base, len(ids), RELATED)
        kept = np.flatnonzero(~from_base | to_base | (exact >= bar[rows]))
        *best, pair_products = top_entries(
            rows[kept], cols[kept], exact[kept], products[kept], len(ids), full.shape[0]
        )
        # Explained block by block: the products of every block's pairs held until the
        # end took ~250 MB at 100k papers.
        explained = explaining_terms(pair_products, vectors.terms)
        parts.append((start, (*best, explained), threshold, bar))
    return joined(parts, vectors.terms)


def top_entries(
    rows: np.ndarray,
    cols: np.ndarray,
    exact: np.ndarray,
    products: sp.csr_matrix,
    n_rows: int,
    n_cols: int,
) -> tuple[np.ndarray, ...]:
    """Each row's RELATED best (row, column, exact) of these pairs, and the pairs' products."""
    best = sp.csr_matrix((exact, (rows, cols)), shape=(n_rows, n_cols))
    best_rows, best_cols, best_values = ranked_entries(best, RELATED)
    keys = rows.astype(np.int64) * n_cols + cols
    by_key = np.argsort(keys)
    pairs = by_key[np.searchsorted(keys[by_key], best_rows.astype(np.int64) * n_cols + best_cols)]
    return best_rows, best_cols, best_values, products[pairs]


def joined(parts: list[tuple], terms: Sequence[str]) -> Best:
    """One Best from the blocks of best_related, each entry explained by its TF-IDF terms."""
    rows, cols, exact, shared = [], [], [], []
    for start, (best_rows, best_cols, values, explained), _, _ in parts:
        rows.append(best_rows + start)
        cols.append(best_cols)
        exact.append(values.astype(np.float64))
        shared.append(explained)
    if not parts:
        empty = np.zeros(0)
        return Best(empty.astype(np.int64), empty.astype(np.int64), empty, [], empty, empty)
    return Best(
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(exact),
        PairTerms.joined(shared, terms),
        np.concatenate([threshold for *_, threshold, _ in parts]),
        np.concatenate([bar for *_, bar in parts]),
    )


def explaining_terms(products: sp.csr_matrix, terms: Sequence[str]) -> PairTerms:
    """Per pair (a row of elementwise products), the terms adding most to its score."""
    shared_rows, shared_cols, _ = ranked_entries(products, 2 * SHARED_TERMS)
    bounds = np.searchsorted(shared_rows, np.arange(products.shape[0] + 1))
    return PairTerms(shared_cols, bounds, terms)


class PairTerms(Sequence):
    """Each pair's explaining terms (Terms), made only when iterated: at 100k papers there
    are ~500k pairs, most explained by shared phrases instead (a callable and a list of
    ints each took ~90 MB)."""

    def __init__(self, cols: np.ndarray, bounds: np.ndarray, terms: Sequence[str]):
        self.cols, self.bounds, self.terms = cols, bounds, terms  # pair i: cols[bounds[i]:]

    @classmethod
    def joined(cls, parts: Sequence[PairTerms], terms: Sequence[str]) -> PairTerms:
        """The pairs of several, in order."""
        offsets = np.cumsum([0, *(len(p.cols) for p in parts)])
        bounds = [p.bounds[:-1] + offset for p, offset in zip(parts, offsets, strict=False)]
        return cls(
            np.concatenate([p.cols for p in parts]) if parts else np.zeros(0, np.int32),
            np.concatenate([*bounds, offsets[-1:]]),
            terms,
        )

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, index: int) -> Terms:  # type: ignore[override]
        if not 0 <= index < len(self):
            raise IndexError(index)
        return partial(
            pair_terms, self.cols[self.bounds[index] : self.bounds[index + 1]], self.terms
        )

    def __iter__(self) -> Iterator[Terms]:
        cols, terms = self.cols, self.terms
        for a, b in pairwise(self.bounds.tolist()):
            yield partial(pair_terms, cols[a:b], terms)


def pair_terms(cols: np.ndarray, terms: Sequence[str]) -> tuple[str, ...]:
    """The SHARED_TERMS terms adding most to a pair's score (cols: its best term ids)."""
    return distinct_terms(cols.tolist(), terms, SHARED_TERMS)


def welcomed(
    vectors: Vectors,
    matched: sp.csr_matrix,
    rows: np.ndarray,
    later: np.ndarray,
    generation: Generation,
) -> Iterable[tuple[int, int, float, Terms]]:
    """(base row, later paper's row, exact, TF-IDF terms) of each later paper a base paper
    welcomes: a candidate by its threshold, and above its bar (see best_related)."""
    full = vectors.matrix
    found = []
    for start in range(0, len(rows), BLOCK_ROWS):
        ids = rows[start : start + BLOCK_ROWS]
        block = (matched[ids] @ matched[later].T).tocsr()
        pair_rows = np.repeat(np.arange(len(ids)), np.diff(block.indptr))
        chosen = np.flatnonzero(block.data >= generation.thresholds[pair_rows + start])
        pair_rows, pair_cols = pair_rows[chosen], later[block.indices[chosen]]
        products = full[ids[pair_rows]].multiply(full[pair_cols]).tocsr()
        exact = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
        kept = np.flatnonzero(exact >= generation.bars[pair_rows + start])
        terms = explaining_terms(products[kept], vectors.terms)
        found += zip(
            (pair_rows[kept] + start).tolist(),
            pair_cols[kept].tolist(),
            exact[kept].tolist(),
            terms,
            strict=True,
        )
    return found


def centred_svd(matrix: sp.csr_matrix, rank: int, seed: int = 0) -> np.ndarray:
    """Row coordinates on the top principal axes (randomised SVD of the centred matrix)."""
    n_rows, n_cols = matrix.shape
    mean = np.asarray(matrix.mean(axis=0), dtype=np.float64).ravel()

    def forward(block: np.ndarray) -> np.ndarray:
        return matrix @ block - np.outer(np.ones(n_rows), mean @ block)

    def backward(block: np.ndarray) -> np.ndarray:
        return matrix.T @ block - np.outer(mean, block.sum(axis=0))

    probe = np.random.default_rng(seed).standard_normal((n_cols, rank + 10))
    basis = np.linalg.qr(forward(probe))[0]
    for _ in range(4):  # power iterations sharpen the leading axes
        basis = np.linalg.qr(forward(np.linalg.qr(backward(basis))[0]))[0]
    small = backward(basis).T  # (rank + 10) x n_cols
    left, values, _ = np.linalg.svd(small, full_matrices=False)
    return basis @ left[:, :rank] * values[:rank]


def oriented(coords: np.ndarray) -> np.ndarray:
    """Flip each axis so its long tail points to the positive side (an SVD's sign is arbitrary)."""
    coords = coords.copy()
    for axis in range(coords.shape[1]):
        column = coords[:, axis]
        skew = float(np.sum(np.round(column, 6) ** 3))
        if skew < 0 or (skew == 0 and column[np.argmax(np.abs(column))] < 0):
            coords[:, axis] = -column
    return coords


def nearest_neighbours(
    matched: sp.csr_matrix, among: sp.csr_matrix, k: int, skip_self: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, cosine) of each row's k most similar rows of `among`, nearest first."""
    transposed = among.T.tocsr()
    parts = []
    for start in range(0, matched.shape[0], BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, matched.shape[0])
        rows, cols, sims = ranked_entries((matched[start:stop] @ transposed).tocsr(), k + 1)
        mine = cols != rows + start if skip_self else np.ones(len(rows), bool)
        kept = np.flatnonzero(mine & (sims > 0))
        # Each row's first k (one more was asked for in case it found itself).
        ordered = rows[kept]
        rank = np.arange(len(kept)) - np.searchsorted(ordered, ordered)
        kept = kept[rank < k]
        parts.append((rows[kept] + start, cols[kept], sims[kept]))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    rows, cols, sims = (np.concatenate(p) for p in zip(*parts, strict=True))
    return rows.astype(np.int64), cols.astype(np.int32), sims


def sample_rank(slug: str) -> bytes:
    """A paper's place in the layout's fixed sample: a hash of its slug, stable as papers come."""
    return blake2b(slug.encode("utf-8"), digest_size=8).digest()


def principal_start(matrix: sp.csr_matrix) -> np.ndarray:
    """The layout's start: each row on the two principal axes of the TF-IDF matrix."""
    return oriented(centred_svd(matrix.astype(np.float64), 2))


def laid_out(matrix: sp.csr_matrix, matched: sp.csr_matrix) -> np.ndarray:
    """A neighbourhood-keeping layout of every row (n x 2, layout units; matched: pruned)."""
    rows, cols, sims = nearest_neighbours(matched, matched, MAP_NEIGHBOURS, skip_self=True)
    graph = affinity_graph(matrix.shape[0], rows, cols, sims)
    return optimise(principal_start(matrix), graph)


def layout_sample(slugs: Sequence[str]) -> np.ndarray:
    """The rows the force layout places: all, or above LAYOUT_SAMPLE papers that many chosen
    by a hash of their slugs (stable as papers come)."""
    if len(slugs) <= LAYOUT_SAMPLE:
        return np.arange(len(slugs))
    ranks = [sample_rank(slug) for slug in slugs]
    return np.array(sorted(sorted(range(len(slugs)), key=ranks.__getitem__)[:LAYOUT_SAMPLE]))


def jitter(slugs: Sequence[str]) -> np.ndarray:
    """A small, fixed offset per paper from its slug's hash (layout units), so that papers
    with the same neighbours don't stack."""
    offsets = [[b / 255.0 - 0.5 for b in sample_rank(slug)[:2]] for slug in slugs]
    return np.array(offsets).reshape(-1, 2) * 0.35


def placed(
    vectors: Vectors,
    matched: sp.csr_matrix,
    rows: np.ndarray,
    sample: np.ndarray,
    coords: np.ndarray,
) -> np.ndarray:
    """Some rows placed at the similarity-weighted mean of their nearest sampled rows
    (`coords`: the sample's places; matched: the vectors pruned), each with its jitter."""
    if not len(rows):
        return np.zeros((0, 2))
    near, cols, sims = nearest_neighbours(matched[rows], matched[sample], MAP_NEIGHBOURS, False)
    weight = sims.astype(np.float64) ** 2
    n = len(rows)
    total = np.bincount(near, weight, minlength=n)
    found = np.zeros((n, 2))
    for axis in range(2):
        summed = np.bincount(near, weight * coords[cols, axis], minlength=n)
        found[:, axis] = np.where(total > 0, summed / np.maximum(total, 1e-12), 0.0)
    return found + jitter([vectors.slugs[i] for i in rows.tolist()])


def base_layout(mine: Vectors, matched: sp.csr_matrix) -> np.ndarray:
    """The base generation's map (n x 2, layout units): its layout sample laid out by force,
    the rest of it placed by its nearest sampled papers."""
    n = len(mine.slugs)
    if n < 3 or mine.matrix.shape[1] < 2:
        return np.zeros((n, 2))
    sample = layout_sample(mine.slugs)
    coords = np.zeros((n, 2))
    coords[sample] = laid_out(mine.matrix[sample], matched[sample])
    left = np.ones(n, bool)  # not np.setdiff1d: its np.unique loads numpy.ma
    left[sample] = False
    rest = np.flatnonzero(left)
    coords[rest] = placed(mine, matched, rest, sample, coords[sample])
    return coords


def unit_square(coords: np.ndarray) -> np.ndarray:
    """Coordinates scaled into [0, 1], one scale for both axes (the shorter axis centred).

    The scale comes from the inner 98 % of papers; the few beyond are squashed into a thin
    band at the edge, so a handful of outliers cannot shrink the whole map to its middle.
    """
    low = percentile(coords, OUTLIER_PERCENT)
    high = percentile(coords, 100 - OUTLIER_PERCENT)
    span = float((high - low).max()) or 1.0
    inner = 1.0 - 2 * EDGE_BAND
    scaled = EDGE_BAND + inner * (coords - low) / span
    scaled += inner * (1.0 - (high - low) / span) / 2
    below = np.maximum(EDGE_BAND - scaled, 0.0)
    above = np.maximum(scaled - (1.0 - EDGE_BAND), 0.0)
    # Beyond the band's inner edge, distance d lands at band × k / (d + k): far ones reach 0.
    scaled = np.where(below > 0, EDGE_BAND * 0.05 / (below + 0.05), scaled)
    scaled = np.where(above > 0, 1.0 - EDGE_BAND * 0.05 / (above + 0.05), scaled)
    return np.clip(np.round(scaled, ROUND), 0.0, 1.0)


def map_points(
    vectors: Vectors,
    in_base: np.ndarray | None = None,
    base_coords: np.ndarray | None = None,
    matched: sp.csr_matrix | None = None,
) -> dict[str, Point]:
    """Every paper placed in 2D so that papers with similar text sit together, in [0, 1]:
    the base laid out (base_coords, if known: see base_layout), later papers placed by it."""
    slugs = vectors.slugs
    in_base = np.ones(len(slugs), bool) if in_base is None else in_base
    rows, later = np.flatnonzero(in_base), np.flatnonzero(~in_base)
    if len(rows) < 3 or vectors.matrix.shape[1] < 2:
        return {slug: Point(0.5, 0.5) for slug in slugs}
    mine = rows_of(vectors, rows)
    matched = pruned(vectors.matrix, PRUNE_TERMS) if matched is None else matched
    coords = np.zeros((len(slugs), 2))
    coords[rows] = base_layout(mine, matched[rows]) if base_coords is None else base_coords
    sample = rows[layout_sample(mine.slugs)]
    coords[later] = placed(vectors, matched, later, sample, coords[sample])
    scaled = unit_square(coords)
    return {
        slug: Point(float(x), float(y)) for slug, (x, y) in zip(slugs, scaled.tolist(), strict=True)
    }


def cluster_rows(
    matrix: sp.csr_matrix, k: int, seed: int = 0, rounds: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (k-means++ start, fixed seed): labels and unit centroids."""
    n_rows = matrix.shape[0]
    rng = np.random.default_rng(seed)
    dense_first = matrix[[0]].toarray()
    centroids = [dense_first.ravel()]
    # k-means++: each next seed is drawn with probability ~ its distance to the chosen ones.
    for _ in range(1, k):
        sims = np.asarray(matrix @ np.array(centroids).T).max(axis=1)
        weights = np.maximum(1.0 - sims, 0.0)
        if weights.sum() <= 0:
            break
        pick = int(rng.choice(n_rows, p=weights / weights.sum()))
        centroids.append(matrix[[pick]].toarray().ravel())
    centres = np.array(centroids)
    labels = np.full(n_rows, -1)
    for _ in range(rounds):
        new_labels = np.asarray(matrix @ centres.T).argmax(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for c in range(len(centres)):
            members = labels == c
            if members.any():
                centre = np.asarray(matrix[members].sum(axis=0)).ravel()
                centres[c] = centre / (np.linalg.norm(centre) or 1.0)
    return labels, centres


def clusters(
    vectors: Vectors, slugs: Sequence[str], k: int, min_size: int = 2, terms: int = KEY_TERMS
) -> list[Cluster]:
    """Group some papers into at most k clusters of similar text, largest first."""
    index = {slug: i for i, slug in enumerate(vectors.slugs)}
    chosen = sorted(index[s] for s in slugs if s in index)
    if len(chosen) < min_size or k < 1:
        return []
    matrix = vectors.matrix[chosen].astype(np.float64)
    labels, centres = cluster_rows(matrix, min(k, len(chosen)))
    found: list[Cluster] = []
    for c, centre in enumerate(centres):
        members = np.flatnonzero(labels == c)
        if len(members) < min_size or not centre.any():
            continue  # too small, or papers with no terms at all: nothing to name it by
        cohesion = float(np.asarray(matrix[members] @ centre).mean())
        order = np.lexsort((np.arange(len(centre)), -np.round(centre, 6)))[: 3 * terms]
        found.append(
            Cluster(
                tuple(vectors.slugs[chosen[m]] for m in members),
                distinct_terms([t for t in order.tolist() if centre[t] > 0], vectors.terms, terms),
                round(cohesion, ROUND),
            )
        )
    return sorted(found, key=lambda c: (-len(c.slugs), c.slugs))


@record
class Suggestion:
    """A theme worth adding: a cluster of unsorted papers, or a split of an overfull theme."""

    source: str  # the theme the papers sit in now ("unsorted" or an overfull theme)
    slug: str  # a proposed slug, from the top term
    cluster: Cluster


def overfull_themes(papers: Sequence[Paper], fallback: str, min_papers: int = 20) -> list[str]:
    """Themes holding at least `min_papers` and more than twice the median theme's count."""
    counts: dict[str, int] = {}
    for paper in papers:
        if paper.theme != fallback:
            counts[paper.theme] = counts.get(paper.theme, 0) + 1
    if not counts:
        return []
    median = float(np.median(list(counts.values())))
    return sorted(t for t, n in counts.items() if n >= min_papers and n > 2 * median)


def suggest_themes(
    papers: Sequence[Paper], vectors: Vectors, fallback: str = "unsorted"
) -> list[Suggestion]:
    """New themes to consider: clusters of unsorted papers, then splits of overfull themes."""
    suggestions: list[Suggestion] = []
    unsorted = sorted(p.slug for p in papers if p.theme == fallback)
    # About sqrt(n) clusters of about sqrt(n) papers each, never more than 12.
    k_unsorted = max(1, min(12, math.ceil(len(unsorted) ** 0.5)))
    for cluster in clusters(vectors, unsorted, k_unsorted):
        suggestions.append(Suggestion(fallback, suggested_slug(cluster), cluster))
    for theme in overfull_themes(papers, fallback):
        members = sorted(p.slug for p in papers if p.theme == theme)
        for cluster in clusters(vectors, members, 3, min_size=3):
            suggestions.append(Suggestion(theme, suggested_slug(cluster), cluster))
    return suggestions


def suggested_slug(cluster: Cluster) -> str:
    """A slug for a suggested theme, from its top phrase (or top word)."""
    phrases = [t for t in cluster.terms if " " in t or "-" in t]
    return slugify((phrases or list(cluster.terms) or ["new theme"])[0])
