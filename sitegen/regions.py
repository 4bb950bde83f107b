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
from collections.abc import Mapping, Sequence

import numpy as np

from sitegen.arrays import distinct, groups, runs_at
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


Scored = tuple[float, str, str]  # a region's term: (score, key, label)


@record
class PaperTerms:
    """Every paper's key terms as numbers, for naming regions: each entry (a paper's term)
    by its paper and label, each label by its key (its lower case) and its place among the
    labels' texts. At 10k papers, counting 28 regions' terms as strings took 0.25 s."""

    owners: np.ndarray  # per entry: its paper
    labels: np.ndarray  # per entry: its label
    label_text: list[str]
    label_keys: np.ndarray  # per label: its key
    label_ranks: np.ndarray  # per label: its place in the labels' text order
    key_text: list[str]
    key_numbers: dict[str, int]
    df: np.ndarray  # per key: its papers, each once per label it has of the key
    pair_starts: np.ndarray  # where each paper's keys start in pair_keys (each key once)
    pair_keys: np.ndarray

    @classmethod
    def of(cls, terms: Sequence[tuple[str, ...]]) -> PaperTerms:
        """The table of each paper's terms (in the order of the map's papers)."""
        numbered: dict[str, int] = {}
        labels = np.array([numbered.setdefault(t, len(numbered)) for ts in terms for t in ts])
        labels = labels.astype(np.int64)  # an empty array of no terms too
        owners = np.repeat(np.arange(len(terms), dtype=np.int64), [len(ts) for ts in terms])
        label_text = list(numbered)
        keyed: dict[str, int] = {}
        label_keys = np.array([keyed.setdefault(t.lower(), len(keyed)) for t in label_text])
        label_keys = label_keys.astype(np.int64)
        ranks = np.empty(len(label_text), np.int64)
        ranks[sorted(range(len(label_text)), key=label_text.__getitem__)] = range(len(ranks))
        wide = max(len(label_text), 1)
        each_label = distinct(owners * wide + labels) % wide
        df = np.bincount(label_keys[each_label], minlength=len(keyed))
        pairs = distinct(owners * max(len(keyed), 1) + label_keys[labels])
        pair_owners, pair_keys = np.divmod(pairs, max(len(keyed), 1))
        starts = np.searchsorted(pair_owners, np.arange(len(terms) + 1))
        return cls(
            owners, labels, label_text, label_keys, ranks, list(keyed), keyed, df, starts,
            pair_keys,
        )  # fmt: skip

    def scored(self, regions: np.ndarray, k: int) -> list[list[Scored]]:
        """Per region (each paper's in `regions`, of k) the terms at least two of its papers
        share, best first, each scored count × ln(papers / df) × bonus (in that order: the
        same floats as one at a time) and spelled as its most used label there."""
        cells = groups(regions[self.owners] * max(len(self.label_text), 1) + self.labels)
        region, label = np.divmod(cells.values, max(len(self.label_text), 1))
        key, count = self.label_keys[label], cells.counts
        code = region * max(len(self.key_text), 1) + key  # ascending: by region, then key
        # Per (region, key): its most used label, ties by text.
        order = np.lexsort((self.label_ranks[label], -count, code))
        opens = np.r_[True, code[order][1:] != code[order][:-1]] if len(order) else order
        spelled = order[opens.astype(bool)]
        totals = np.add.reduceat(count[order], np.flatnonzero(opens)) if len(order) else count
        shared = spelled[totals >= 2]
        totals = totals[totals >= 2].astype(np.float64)
        papers = len(self.pair_starts) - 1
        found: list[list[Scored]] = [[] for _ in range(k)]
        df = self.df.tolist()  # Python numbers: the same arithmetic as one at a time
        columns = (totals, region[shared], key[shared], label[shared])
        for total, at, number, spelling in zip(*(c.tolist() for c in columns), strict=True):
            text = self.key_text[number]
            bonus = PHRASE_BONUS if " " in text or "-" in text else 1.0
            score = round(total * math.log(papers / df[number]) * bonus, 6)
            found[at].append((score, text, self.label_text[spelling]))
        for terms in found:
            terms.sort(key=lambda item: (-item[0], item[1]))
        return found

    def carrying(self, keys: set[str], members: np.ndarray) -> np.ndarray:
        """How many of these keys each of these papers' terms hold."""
        at, whose = runs_at(self.pair_starts, members)
        numbers = [self.key_numbers[key] for key in keys if key in self.key_numbers]
        hit = np.isin(self.pair_keys[at], numbers)
        return np.bincount(whose[hit], minlength=len(members))


def map_regions(
    slugs: Sequence[str], coords: np.ndarray, key_terms: Mapping[str, tuple[str, ...]]
) -> tuple[Region, ...]:
    """The map's regions, the largest first, each named by the terms its papers share."""
    k = region_count(len(slugs))
    if not k:
        return ()
    labels = kmeans(coords, k)
    terms = PaperTerms.of([key_terms.get(slug, ()) for slug in slugs])
    scored = terms.scored(labels, k)
    clusters = [(c, np.flatnonzero(labels == c)) for c in range(k)]
    ordered = sorted((g for g in clusters if len(g[1])), key=lambda g: (-len(g[1]), slugs[g[1][0]]))
    taken: set[str] = set()
    regions = []
    for c, members in ordered:
        middle = coords[members].mean(axis=0)
        fresh = [label for _, key, label in scored[c] if key not in taken][:TERMS]
        taken.update(label.lower() for label in fresh[:1])
        # Papers that carry the region's names come first, then the nearest its middle.
        carried = -terms.carrying({label.lower() for label in fresh}, members)
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
