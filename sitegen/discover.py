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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from hashlib import blake2b

import numpy as np
import scipy.sparse as sp

from sitegen.catalog import Paper
from sitegen.keyterms import Candidate, ranked_candidates
from sitegen.layout import affinity_graph, optimise
from sitegen.model.discovery import Discovery, Point, Related, discovery_input
from sitegen.regions import map_regions
from sitegen.text import slugify
from sitegen.textmap import Vectors, vectorise

KEY_TERMS = 6
RELATED = 5
SHARED_TERMS = 3
COMMON_IDF = 1 + math.log(20)  # the idf of a phrase in 1 paper of 20
PRUNE_TERMS = 24  # candidates come from each paper's 24 heaviest terms: bounds the work
CANDIDATES = 20  # candidates per paper, re-ranked by exact cosine
# How much closer than a base paper's limit-th related paper of the base a paper outside
# the base must be to join its list (see welcome).
NEWCOMER_MARGIN = 0.2
BLOCK_ROWS = 1024
ROUND = 4
MAP_NEIGHBOURS = 10  # neighbours per paper in the map's layout graph
LAYOUT_SAMPLE = 10_000  # above this, a sample is laid out and the rest placed by it
OUTLIER_PERCENT = 1.0  # the map's scale ignores this share of papers on each side...
EDGE_BAND = 0.03  # ...which are squashed into this band along the edge


@dataclass(frozen=True)
class Cluster:
    """A group of similar papers, named by its top terms."""

    slugs: tuple[str, ...]
    terms: tuple[str, ...]
    cohesion: float  # mean cosine of the members to their centroid


def paper_vectors(papers: Iterable[Paper], base: Collection[str] | None = None) -> Vectors:
    """TF-IDF vectors of the papers' titles and abstracts, rows in slug order; with `base`,
    the slugs whose papers set the corpus statistics (see model.discovery.generation)."""
    ordered = sorted(map(discovery_input, papers))
    return vectorise(
        [slug for slug, _, _ in ordered],
        [(t, a) for _, t, a in ordered],
        base=base_flags(ordered, base),
    )


def paper_candidates(
    papers: Iterable[Paper], base: Collection[str] | None = None
) -> list[tuple[Candidate, ...]]:
    """Each paper's ranked key-term candidates, in slug order (like the vector rows)."""
    ordered = sorted(map(discovery_input, papers))
    return ranked_candidates([(t, a) for _, t, a in ordered], base=base_flags(ordered, base))


def base_flags(ordered: list[tuple[str, str, str]], base: Collection[str] | None) -> np.ndarray:
    """Whether each paper (in slug order) is one of the base's; all are without a base."""
    if base is None:
        return np.ones(len(ordered), bool)
    return np.array([slug in base for slug, _, _ in ordered], bool)


def discover(papers: Sequence[Paper], base: Collection[str] | None = None) -> Discovery:
    """Key terms, related papers, map points and the map's named regions for a whole catalogue.

    The corpus statistics (document frequencies, which terms count) come from the
    papers in `base` (all papers without one): a paper outside it changes no other
    paper's key terms or vector, so a new dump changes an older paper's related list
    only by being closer to it.
    """
    vectors = paper_vectors(papers, base)
    candidates = paper_candidates(papers, base)
    in_base = base_flags(sorted(map(discovery_input, papers)), base)
    related = related_papers(vectors, base=in_base)
    terms = key_terms(vectors.slugs, candidates)
    points = map_points(vectors)
    plane = np.array([[points[s].x, points[s].y] for s in vectors.slugs]).reshape(-1, 2)
    return Discovery(
        key_terms=terms,
        related=with_shared_phrases(related, vectors.slugs, candidates),
        points=points,
        regions=map_regions(vectors.slugs, plane, terms),
    )


def row_thresholds(data: np.ndarray, indptr: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Each row's k-th largest distinct value (-inf for rows with fewer), in k vectorised passes."""
    n_rows = len(indptr) - 1
    starts = indptr[:-1][np.diff(indptr) > 0]
    filled = np.diff(indptr) > 0
    work = data.copy()
    threshold = np.full(n_rows, -np.inf)
    for _ in range(k):
        if not len(work):
            break
        threshold = np.full(n_rows, -np.inf)
        threshold[filled] = np.maximum.reduceat(work, starts)
        work[work >= threshold[rows]] = -np.inf  # drop this round's maxima, ties included
    return threshold


def ranked_entries(matrix: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of each row's k largest entries, by row then rank; ties by column."""
    matrix = matrix.tocsr()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), np.diff(matrix.indptr))
    # Sorting only the entries near each row's k-th largest value keeps this linear.
    threshold = row_thresholds(matrix.data, matrix.indptr, rows, k) - 1e-6
    near = np.flatnonzero(matrix.data >= threshold[rows])
    # Rounding first makes float noise unable to reorder near-ties.
    values = np.round(matrix.data[near].astype(np.float64), 6)
    order = near[np.lexsort((matrix.indices[near], -values, rows[near]))]
    ordered_rows = rows[order]
    starts = np.searchsorted(ordered_rows, ordered_rows)  # first position of each row
    chosen = order[np.arange(len(order)) - starts < k]
    return rows[chosen], matrix.indices[chosen], matrix.data[chosen]


def split_by_row(rows: np.ndarray, n_rows: int) -> list[slice]:
    """Slices of a row-sorted array, one per row."""
    bounds = np.searchsorted(rows, np.arange(n_rows + 1))
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


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
    slugs: Sequence[str], candidates: Sequence[tuple[Candidate, ...]], limit: int = KEY_TERMS
) -> dict[str, tuple[str, ...]]:
    """Each paper's key terms: its heaviest phrases and names, as the paper writes them."""
    return {
        slug: tuple(c.label for c in found[:limit])
        for slug, found in zip(slugs, candidates, strict=True)
    }


def shared_phrases(mine: tuple[Candidate, ...], theirs: tuple[Candidate, ...]) -> list[str]:
    """The candidates two papers share, the most specific first: rarest in the corpus, then
    heaviest in both (so "mode connectivity" comes before "computer vision")."""
    weight = {c.key: c.weight for c in theirs}
    both = [(c.idf, min(c.weight, weight[c.key]), c.key, c.label) for c in mine if c.key in weight]
    both.sort(key=lambda item: (-item[0], -item[1], item[2]))
    # A phrase one paper in twenty uses ("computer vision") explains little: only when
    # nothing rarer is shared does the rarest of those stand alone.
    specific = [label for idf, *_, label in both if idf >= COMMON_IDF]
    return specific[:SHARED_TERMS] or [label for *_, label in both[:1]]


def with_shared_phrases(
    related: dict[str, tuple[Related, ...]],
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
    return (sp.diags((1.0 / norms).astype(np.float32)) @ cut).tocsr()


def candidate_pairs(block: sp.csr_matrix, in_base: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """(row, column) of each row's candidates: every paper scoring at least the row's k-th
    best score among the base papers. A paper outside the base adds candidates, never
    pushes one out, so it changes a related list only by being closer."""
    rows = np.repeat(np.arange(block.shape[0], dtype=np.int32), np.diff(block.indptr))
    base_data = np.where(in_base[block.indices], block.data, -np.inf)
    threshold = row_thresholds(base_data, block.indptr, rows, k)
    chosen = np.flatnonzero(block.data >= threshold[rows])
    return rows[chosen], block.indices[chosen]


def welcome(
    rows: np.ndarray, cols: np.ndarray, exact: np.ndarray, in_base: np.ndarray, limit: int
) -> np.ndarray:
    """Which candidate pairs may be related: all of them for a paper outside the base; for a
    base paper, a paper outside the base only if it scores NEWCOMER_MARGIN above the paper's
    limit-th best score among base papers (a new dump then changes an older page's list only
    when it brings something clearly closer)."""
    from_base, to_base = in_base[rows], in_base[cols]
    ours = np.flatnonzero(from_base & to_base)
    order = ours[np.lexsort((-exact[ours], rows[ours]))]  # by row, best first
    firsts = np.searchsorted(rows[order], rows[order])
    at_limit = order[np.arange(len(order)) - firsts == limit - 1]
    bar = np.zeros(len(in_base))
    bar[rows[at_limit]] = exact[at_limit] * (1 + NEWCOMER_MARGIN)
    return ~from_base | to_base | (exact >= bar[rows])


def related_papers(
    vectors: Vectors,
    limit: int = RELATED,
    min_score: float = 0.01,
    base: np.ndarray | None = None,
) -> dict[str, tuple[Related, ...]]:
    """The `limit` most similar papers to each paper, with the terms that explain it."""
    slugs = vectors.slugs
    full = vectors.matrix
    in_base = np.ones(len(slugs), bool) if base is None else base
    matched = pruned(full, PRUNE_TERMS)
    transposed = matched.T.tocsr()
    result: dict[str, tuple[Related, ...]] = {}
    for start in range(0, len(slugs), BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, len(slugs))
        # Candidates: the best matches over each paper's heaviest terms (a sparse product)...
        block = (matched[start:stop] @ transposed).tocsr()
        rows, cols = candidate_pairs(block, in_base, CANDIDATES + 1)
        mine = cols != rows + start
        rows, cols = rows[mine], cols[mine]
        # ...re-ranked by their exact cosine over all terms.
        products = full[rows + start].multiply(full[cols]).tocsr()
        exact = np.asarray(products.sum(axis=1), dtype=np.float64).ravel()
        kept = np.flatnonzero(welcome(rows + start, cols, exact, in_base, limit))
        rows, cols, exact, products = rows[kept], cols[kept], exact[kept], products[kept]
        best = sp.csr_matrix((exact, (rows, cols)), shape=(stop - start, len(slugs)))
        best_rows, best_cols, best_values = ranked_entries(best, limit)
        keys = rows.astype(np.int64) * len(slugs) + cols
        by_key = np.argsort(keys)
        pairs = by_key[
            np.searchsorted(keys[by_key], best_rows.astype(np.int64) * len(slugs) + best_cols)
        ]
        result.update(
            explained(
                vectors,
                start,
                stop,
                (best_rows, best_cols, best_values),
                products[pairs],
                min_score,
            )
        )
    return result


def explained(
    vectors: Vectors,
    start: int,
    stop: int,
    best: tuple[np.ndarray, np.ndarray, np.ndarray],
    products: sp.csr_matrix,
    min_score: float,
) -> dict[str, tuple[Related, ...]]:
    """Related entries for rows start..stop, each with the terms adding most to its score."""
    rows, cols, values = best
    shared_rows, shared_cols, _ = ranked_entries(products, 2 * SHARED_TERMS)
    shared = split_by_row(shared_rows, len(rows))
    shared_list = shared_cols.tolist()
    found: dict[str, tuple[Related, ...]] = {}
    for offset, part in enumerate(split_by_row(rows, stop - start)):
        found[vectors.slugs[start + offset]] = tuple(
            Related(
                vectors.slugs[int(cols[i])],
                round(float(values[i]), ROUND),
                distinct_terms(shared_list[shared[i]], vectors.terms, SHARED_TERMS),
            )
            for i in range(part.start, part.stop)
            if round(float(values[i]), ROUND) >= min_score
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


def laid_out(matrix: sp.csr_matrix) -> np.ndarray:
    """A neighbourhood-keeping layout of every row (n x 2, layout units)."""
    matched = pruned(matrix, PRUNE_TERMS)
    rows, cols, sims = nearest_neighbours(matched, matched, MAP_NEIGHBOURS, skip_self=True)
    graph = affinity_graph(matrix.shape[0], rows, cols, sims)
    return optimise(principal_start(matrix), graph)


def placed_by_neighbours(
    matrix: sp.csr_matrix, sample: np.ndarray, coords: np.ndarray, jitter: np.ndarray
) -> np.ndarray:
    """Every row placed at the similarity-weighted mean of its nearest sampled rows."""
    matched = pruned(matrix, PRUNE_TERMS)
    rows, cols, sims = nearest_neighbours(matched, matched[sample], MAP_NEIGHBOURS, False)
    weight = sims.astype(np.float64) ** 2
    n = matrix.shape[0]
    total = np.bincount(rows, weight, minlength=n)
    placed = np.zeros((n, 2))
    for axis in range(2):
        summed = np.bincount(rows, weight * coords[cols, axis], minlength=n)
        placed[:, axis] = np.where(total > 0, summed / np.maximum(total, 1e-12), 0.0)
    placed += jitter  # papers with the same neighbours don't stack
    placed[sample] = coords
    return placed


def map_coordinates(vectors: Vectors) -> np.ndarray:
    """Layout coordinates of every paper; above LAYOUT_SAMPLE, of a sample, the rest placed."""
    n = len(vectors.slugs)
    if n <= LAYOUT_SAMPLE:
        return laid_out(vectors.matrix)
    ranks = [sample_rank(slug) for slug in vectors.slugs]
    sample = np.array(sorted(sorted(range(n), key=ranks.__getitem__)[:LAYOUT_SAMPLE]))
    coords = laid_out(vectors.matrix[sample])
    # A small, fixed offset per paper from its slug's hash, in layout units.
    unit = np.array([[b / 255.0 - 0.5 for b in r[:2]] for r in ranks]) * 0.35
    return placed_by_neighbours(vectors.matrix, sample, coords, unit)


def unit_square(coords: np.ndarray) -> np.ndarray:
    """Coordinates scaled into [0, 1], one scale for both axes (the shorter axis centred).

    The scale comes from the inner 98 % of papers; the few beyond are squashed into a thin
    band at the edge, so a handful of outliers cannot shrink the whole map to its middle.
    """
    low = np.percentile(coords, OUTLIER_PERCENT, axis=0)
    high = np.percentile(coords, 100 - OUTLIER_PERCENT, axis=0)
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


def map_points(vectors: Vectors) -> dict[str, Point]:
    """Every paper placed in 2D so that papers with similar text sit together, in [0, 1]."""
    slugs = vectors.slugs
    if len(slugs) < 3 or vectors.matrix.shape[1] < 2:
        return {slug: Point(0.5, 0.5) for slug in slugs}
    scaled = unit_square(map_coordinates(vectors))
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


@dataclass(frozen=True)
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
