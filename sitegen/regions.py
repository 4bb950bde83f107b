"""Regions of the map: clusters of neighbouring papers, each named by its key phrases.

Pure and deterministic. The map's points are grouped by k-means in the plane (a
fixed-seed k-means++ start; distances are elementwise, so no BLAS rounding), and each
group is named by the key terms (sitegen.keyterms, via Discovery.key_terms) its papers
share more than the rest of the corpus does: a term scores

    papers in the region using it × ln(papers / papers using it anywhere)

with phrases preferred over single words. A region takes the best name no larger region
has taken; a name two papers don't share is no name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from sitegen.model.discovery import Region  # a plain type, kept with Discovery (no numpy)
from sitegen.records import record

MIN_PAPERS = 8  # fewer papers than this: no regions
MAX_REGIONS = 28
PAPERS_PER_REGION = 1.6  # regions ≈ sqrt(papers) / this
ROUNDS = 40
FIT_POINTS = 20_000  # k-means fits its centres on at most about this many points
PHRASE_BONUS = 1.6
TERMS = 3  # names shown per region (the first is its label)


def region_count(n: int) -> int:
    """How many regions a map of n papers gets."""
    if n < MIN_PAPERS:
        return 0
    return max(2, min(MAX_REGIONS, round(math.sqrt(n) / PAPERS_PER_REGION)))


def squared_gaps(coords: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared distance of every point to every centre (n x k), elementwise (no BLAS)."""
    return plane_gaps(Columns.of(coords), centres)


@record
class Columns:
    """Points as two contiguous columns (n x 1): a column of an n x 2 array is strided, and
    k-means reads them in every round (0.1 of its 0.17 s at 10k papers)."""

    xs: np.ndarray
    ys: np.ndarray

    @classmethod
    def of(cls, coords: np.ndarray) -> Columns:
        """The columns of n x 2 points."""
        return cls(np.ascontiguousarray(coords[:, 0:1]), np.ascontiguousarray(coords[:, 1:2]))


def plane_gaps(points: Columns, centres: np.ndarray) -> np.ndarray:
    """squared_gaps of points already in columns: the same arithmetic, in place."""
    dx = points.xs - centres[None, :, 0]
    dy = points.ys - centres[None, :, 1]
    dx *= dx
    dy *= dy
    dx += dy
    return dx


def kmeans(coords: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Labels of a k-means clustering of 2-D points (k-means++ start from a fixed seed).

    Above FIT_POINTS points the centres are fitted on every m-th point (in row order, so
    the same for the same input); every point then joins its nearest centre.
    """
    return squared_gaps(coords, fitted_centres(coords, k, seed)).argmin(axis=1)


def fitted_centres(coords: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """kmeans's centres (k x 2), fitted."""
    fit = coords[:: max(1, math.ceil(len(coords) / FIT_POINTS))]
    rng = np.random.default_rng(seed)
    centres = [fit[0]]
    nearest = ((fit - fit[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = float(nearest.sum())
        if total <= 0:
            break
        pick = int(rng.choice(len(fit), p=nearest / total))
        centres.append(fit[pick])
        nearest = np.minimum(nearest, ((fit - fit[pick]) ** 2).sum(axis=1))
    centre = np.array(centres)
    labels = np.full(len(fit), -1)
    columns = Columns.of(fit)
    xs, ys = columns.xs.ravel(), columns.ys.ravel()
    for _ in range(ROUNDS):
        fresh = plane_gaps(columns, centre).argmin(axis=1)
        if np.array_equal(fresh, labels):
            break
        labels = fresh
        # Each centre's mean: its members' sum in row order (bincount adds them one by one,
        # as a mean over axis 0 of its members' rows does), over their count; the same
        # floats, in one call per column rather than a sort and a mean per centre.
        counts = np.bincount(labels, minlength=len(centre))
        held = counts > 0
        sums = np.column_stack(
            [np.bincount(labels, xs, len(centre)), np.bincount(labels, ys, len(centre))]
        )
        centre[held] = sums[held] / counts[held, None]
    return centre


def term_scores(
    members: Sequence[int], terms: Sequence[tuple[str, ...]], df: Counter, n: int
) -> list[tuple[float, str, str]]:
    """(score, key, label) of the terms at least two of a region's papers share, best first."""
    labels = Counter(label for paper in members for label in terms[paper])
    counts: Counter = Counter()
    spelling: dict[str, list[tuple[int, str]]] = {}  # key -> (-count, label) of its spellings
    for label, count in labels.items():
        key = label.lower()
        counts[key] += count
        spelling.setdefault(key, []).append((-count, label))
    scored = []
    for key, count in counts.items():
        if count < 2:
            continue
        bonus = PHRASE_BONUS if " " in key or "-" in key else 1.0
        score = count * math.log(n / df[key]) * bonus
        scored.append((round(score, 6), key, min(spelling[key])[1]))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def map_regions(
    slugs: Sequence[str], coords: np.ndarray, key_terms: Mapping[str, tuple[str, ...]]
) -> tuple[Region, ...]:
    """The map's regions, the largest first, each named by the terms its papers share."""
    k = region_count(len(slugs))
    if not k:
        return ()
    labels = kmeans(coords, k)
    terms = [key_terms.get(slug, ()) for slug in slugs]
    df = Counter(label.lower() for found in terms for label in set(found))
    groups = [np.flatnonzero(labels == c) for c in range(k)]
    groups = sorted((g for g in groups if len(g)), key=lambda g: (-len(g), slugs[g[0]]))
    taken: set[str] = set()
    regions = []
    for members in groups:
        middle = coords[members].mean(axis=0)
        names = [(key, label) for _, key, label in term_scores(members, terms, df, len(slugs))]
        fresh = [label for key, label in names if key not in taken][:TERMS]
        taken.update(label.lower() for label in fresh[:1])
        # Papers that carry the region's names come first, then the nearest its middle.
        named = {label.lower() for label in fresh}
        carried = np.array([-len(named & {t.lower() for t in terms[i]}) for i in members])
        gaps = ((coords[members] - middle) ** 2).sum(axis=1)
        order = members[np.lexsort((members, gaps, carried))]
        regions.append(
            Region(
                tuple(fresh) or ("",),
                round(float(middle[0]), 4),
                round(float(middle[1]), 4),
                tuple(slugs[i] for i in order.tolist()),
            )
        )
    return tuple(regions)
