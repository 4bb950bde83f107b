"""A 2-D layout that keeps neighbourhoods: papers near in text stay near on the map.

Pure numpy/scipy and deterministic. The input is a k-nearest-neighbour graph (each
paper's most similar papers, by TF-IDF cosine) and a starting position per paper
(the principal axes, so the layout's large shape follows the main directions of the
corpus). The optimisation is UMAP-like, run full-batch so each epoch is a handful of
vectorised array operations:

- affinities: each paper's neighbours weighted by exp(-(d - rho) / sigma) over the
  cosine distance d (rho its nearest neighbour's, sigma its neighbours' spread),
  symmetrised as a fuzzy union, w = a + b - ab;
- attraction along every edge, 2w / (1 + d^2) (a Cauchy kernel, as t-SNE's);
- repulsion from a few negative samples per paper and epoch, drawn from a fixed seed;
- a step that shrinks linearly to zero, each coordinate's move clipped.

Every reduction is a sparse product or row adds in a fixed order (sequential, so sums never
depend on thread count), the start is rounded (BLAS noise cannot seed a different run),
and the result is rounded.
"""

from __future__ import annotations

import numpy as np

from sitegen.arrays import lex_order
from sitegen.records import record
from sitegen.sparse import sp

EPOCHS = 300
NEGATIVES = 6  # negative samples per paper and epoch
REPULSION = 4.0
START_SPREAD = 10.0  # the start's longest axis spans this many layout units
MAX_STEP = 4.0


@record
class Graph:
    """A symmetric weighted graph over n papers, as parallel arrays of directed edges."""

    n: int
    heads: np.ndarray  # int32
    tails: np.ndarray  # int32
    weights: np.ndarray  # float64, in (0, 1]


def affinity_graph(n: int, rows: np.ndarray, cols: np.ndarray, sims: np.ndarray) -> Graph:
    """Fuzzy neighbour weights from each paper's k nearest (row, col, cosine) triples."""
    distance = 1.0 - np.clip(sims.astype(np.float64), 0.0, 1.0)
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, rows, distance)
    gap = distance - nearest[rows]
    count = np.maximum(np.bincount(rows, minlength=n), 1)
    spread = np.bincount(rows, weights=gap, minlength=n) / count + 1e-3
    weight = np.round(np.exp(-gap / spread[rows]), 6)
    one_way = sp.csr_matrix((weight, (rows, cols)), shape=(n, n))
    one_way.sum_duplicates()
    both = (one_way + one_way.T - one_way.multiply(one_way.T)).tocoo()
    keep = (both.data > 1e-4) & (both.row != both.col)
    order = lex_order((both.col[keep], both.row[keep]))  # a fixed edge order
    return Graph(
        n,
        both.row[keep][order].astype(np.int32),
        both.col[keep][order].astype(np.int32),
        np.round(both.data[keep][order], 6),
    )


def scaled_start(start: np.ndarray) -> np.ndarray:
    """The starting positions centred, their longest axis spanning START_SPREAD, rounded."""
    centred = start - start.mean(axis=0) if len(start) else start
    span = float(np.ptp(centred, axis=0).max()) if len(start) else 0.0
    return np.round(centred * (START_SPREAD / (span or 1.0)), 3)


@record
class Fixed:
    """What every epoch's forces share: each edge once (its head the lower paper), its
    -2 x weight, the sparse incidence that sums each edge's pull into its two ends, and
    each paper's push scale."""

    heads: np.ndarray  # intp: numpy casts int32 indices on every gather
    tails: np.ndarray
    pull: np.ndarray  # -2 x the edge's weight
    incidence: sp.csr_matrix  # papers x edges: +1 at an edge's head, -1 at its tail
    push: np.ndarray  # REPULSION x 2 x the paper's weighted degree / NEGATIVES

    @classmethod
    def of(cls, graph: Graph) -> Fixed:
        """What the forces on this (symmetric) graph share."""
        once = graph.heads < graph.tails  # the graph holds each edge both ways, equal
        heads, tails = graph.heads[once].astype(np.intp), graph.tails[once].astype(np.intp)
        edges = np.arange(len(heads))
        incidence = sp.csr_matrix(
            (
                np.r_[np.ones(len(heads)), -np.ones(len(heads))],
                (np.r_[heads, tails], np.r_[edges, edges]),
            ),
            shape=(graph.n, len(heads)),
        )
        incidence.sort_indices()  # each paper's edges in order: its sums in a fixed order
        degree = np.bincount(graph.heads, graph.weights, minlength=graph.n)
        return cls(
            heads,
            tails,
            -2.0 * graph.weights[once],
            incidence,
            REPULSION * 2.0 * (degree / NEGATIVES),
        )


def forces(places: np.ndarray, negatives: np.ndarray, fixed: Fixed) -> np.ndarray:
    """The summed attraction and repulsion on every point (complex: x + iy).

    A point is one complex number, so each gather moves both coordinates at once; each
    edge is pulled once and its pull summed into both ends by one sparse product (the
    directed edges' gathers and bincounts took ~35 % more at 10k papers). Every sum is
    sequential in a fixed order (scipy's CSR product, row adds), so a run is reproducible.
    `negatives`: NEGATIVES rows of n papers, one sample per paper in each.
    """
    n = len(places)
    apart = places.take(fixed.heads)
    apart -= places.take(fixed.tails)
    spread = squared_lengths(apart)
    spread += 1.0
    apart *= np.divide(fixed.pull, spread, out=spread)  # -2w / (1 + d^2) along each edge
    pulled = fixed.incidence @ apart.view(np.float64).reshape(-1, 2)
    away = np.subtract(places, places.take(negatives))  # NEGATIVES x n
    d2 = squared_lengths(away)
    near = d2 + 1e-3
    d2 += 1.0
    near *= d2
    # Each paper is pushed about as hard as it is pulled (its weighted degree).
    push = np.divide(fixed.push, near, out=near)
    push[negatives == np.arange(n)] = 0.0  # a paper drawn as its own sample
    away *= push
    total = away[0].copy()
    for sample in away[1:]:
        total += sample
    total += pulled.view(np.complex128).ravel()
    return total


def squared_lengths(points: np.ndarray) -> np.ndarray:
    """|z|^2 of each complex value, as x*x + y*y (abs() would take a square root)."""
    xy = points.view(np.float64).reshape(*points.shape, 2)
    found = xy[..., 0] * xy[..., 0]
    found += xy[..., 1] * xy[..., 1]
    return found


def optimise(start: np.ndarray, graph: Graph, epochs: int = EPOCHS, seed: int = 0) -> np.ndarray:
    """Positions that keep the graph's neighbours close (n x 2, float64, layout units)."""
    y = scaled_start(np.asarray(start, dtype=np.float64))
    if graph.n < 2 or not len(graph.heads):
        return y
    rng = np.random.default_rng(seed)
    fixed = Fixed.of(graph)
    places = np.ascontiguousarray(y).view(np.complex128).ravel()  # x + iy per paper
    for epoch in range(epochs):
        negatives = rng.integers(0, graph.n, size=(NEGATIVES, graph.n))
        force = forces(places, negatives, fixed)
        moves = force.view(np.float64)  # each coordinate's move clipped, then scaled
        np.clip(moves, -MAX_STEP, MAX_STEP, out=moves)
        moves *= 1.0 - epoch / epochs
        places += force
    return places.view(np.float64).reshape(-1, 2).copy()


def neighbourhood_recall(coords: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int) -> float:
    """How many of each paper's k text neighbours are among its k nearest on the map (mean).

    rows/cols: each paper's neighbours by text, nearest first (at most k are used).
    """
    from scipy.spatial import cKDTree  # here: a build never measures recall, tests do

    n = len(coords)
    if n <= k:
        return 1.0
    tree = cKDTree(coords)
    _, near = tree.query(coords, k=k + 1)
    found = 0
    total = 0
    starts = np.searchsorted(rows, np.arange(n + 1))
    for paper in range(n):
        text = cols[starts[paper] : starts[paper + 1]][:k]
        if not len(text):
            continue
        found += len(set(text.tolist()) & set(near[paper].tolist()) - {paper})
        total += len(text)
    return found / total if total else 1.0
