"""Regions of the map: k-means in the plane, named by the key phrases their papers share."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from sitegen.regions import (
    PHRASE_BONUS,
    PaperTerms,
    fitted_centres,
    kmeans,
    map_regions,
    region_count,
)


def blobs() -> tuple[list[str], np.ndarray, dict[str, tuple[str, ...]]]:
    """Three separated blobs of 12 papers, each blob's papers sharing a phrase."""
    rng = np.random.default_rng(3)
    names = ["graph neural networks", "diffusion models", "policy gradients"]
    slugs, coords, terms = [], [], {}
    for b, (cx, cy) in enumerate([(0.2, 0.2), (0.8, 0.25), (0.5, 0.85)]):
        for i in range(12):
            slug = f"b{b}-{i:02d}"
            slugs.append(slug)
            coords.append((cx + rng.normal(0, 0.03), cy + rng.normal(0, 0.03)))
            # "learning" is in every paper: too common to name anything.
            terms[slug] = (names[b], "learning", f"idea {b}-{i}")
    return slugs, np.array(coords), terms


def test_regions_are_named_by_their_shared_phrase() -> None:
    slugs, coords, terms = blobs()
    regions = map_regions(slugs, coords, terms)
    assert region_count(len(slugs)) == len(regions) >= 3
    names = {r.terms[0] for r in regions if len(r.slugs) >= 6}
    assert names == {"graph neural networks", "diffusion models", "policy gradients"}
    assert sorted(s for r in regions for s in r.slugs) == sorted(slugs)
    assert all(r.terms[0] != "learning" for r in regions)
    assert [len(r.slugs) for r in regions] == sorted((len(r.slugs) for r in regions), reverse=True)
    labels = [r.terms[0] for r in regions if r.terms[0]]
    assert len(labels) == len(set(labels))  # a name is taken once


def test_regions_do_not_depend_on_input_order() -> None:
    slugs, coords, terms = blobs()
    first = map_regions(slugs, coords, terms)
    assert map_regions(slugs, coords, terms) == first
    middle = np.array([np.mean([coords[slugs.index(s)] for s in r.slugs], axis=0) for r in first])
    assert np.allclose(middle, [[r.x, r.y] for r in first], atol=1e-4)


def test_a_term_two_papers_do_not_share_names_nothing() -> None:
    terms = [("alpha beta",), ("gamma",), ("alpha beta", "gamma")]
    assert PaperTerms.of(terms).scored(np.array([0, 0, 1]), 2)[0] == []


def term_scores_as_first_written(
    members: Sequence[int], terms: Sequence[tuple[str, ...]], df: Counter, n: int
) -> list[tuple[float, str, str]]:
    """(score, key, label) of the terms at least two of a region's papers share, best first,
    counted as strings one paper at a time."""
    labels = Counter(label for paper in members for label in terms[paper])
    counts: Counter = Counter()
    spelling: dict[str, list[tuple[int, str]]] = {}
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


def test_region_terms_are_those_counted_as_strings() -> None:
    # PaperTerms counts every region's terms at once, as numbers: the same scores (to the
    # last bit), spellings and order as counting strings one region at a time; and the
    # same count of a region's names each paper carries.
    rng = np.random.default_rng(5)
    words = ["graph", "Graph", "GRAPH", "diffusion model", "Diffusion Model", "a-b", "x", "y"]
    for trial in range(30):
        n, k = int(rng.integers(1, 60)), int(rng.integers(1, 6))
        terms = [
            tuple(rng.choice(words, size=int(rng.integers(0, 6))).tolist()) for _ in range(n)
        ]  # repeats within a paper and case variants included
        regions = rng.integers(0, k, size=n)
        table = PaperTerms.of(terms)
        df = Counter(label.lower() for found in terms for label in set(found))
        scored = table.scored(regions, k)
        for c in range(k):
            members = np.flatnonzero(regions == c)
            assert scored[c] == term_scores_as_first_written(members, terms, df, n), trial
            named = {label.lower() for _, _, label in scored[c][:2]}
            held = [len(named & {t.lower() for t in terms[i]}) for i in members]
            assert table.carrying(named, members).tolist() == held, trial


def test_kmeans_separates_far_groups() -> None:
    coords = np.array([[0, 0], [0.01, 0], [0, 0.01], [1, 1], [0.99, 1], [1, 0.99]])
    labels = kmeans(coords, 2)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


def test_few_papers_make_no_regions() -> None:
    assert map_regions(["a", "b"], np.zeros((2, 2)), {}) == ()


def kmeans_by_masks(coords: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means as first written: a mask per centre, broadcast gaps from the n x 2 array
    (its labels and centres)."""
    from sitegen.regions import ROUNDS

    rng = np.random.default_rng(0)
    centres, nearest = [coords[0]], ((coords - coords[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = float(nearest.sum())
        if total <= 0:
            break
        pick = int(rng.choice(len(coords), p=nearest / total))
        centres.append(coords[pick])
        nearest = np.minimum(nearest, ((coords - coords[pick]) ** 2).sum(axis=1))
    centre = np.array(centres)

    def gaps() -> np.ndarray:
        dx = coords[:, 0:1] - centre[None, :, 0]
        dy = coords[:, 1:2] - centre[None, :, 1]
        return dx * dx + dy * dy

    labels = np.full(len(coords), -1)
    for _ in range(ROUNDS):
        fresh = gaps().argmin(axis=1)
        if np.array_equal(fresh, labels):
            break
        labels = fresh
        for c in range(len(centre)):
            if (labels == c).any():
                centre[c] = coords[labels == c].mean(axis=0)
    return gaps().argmin(axis=1), centre


def test_kmeans_labels_are_those_of_a_mask_per_centre() -> None:
    # kmeans reads columns and sums each centre's members by bincount: the same arithmetic,
    # the same centres to the last bit, the same labels.
    rng = np.random.default_rng(11)
    for trial in range(12):
        n = int(rng.integers(8, 3000))
        coords = rng.normal(size=(n, 2)) * rng.random() * 10
        if trial % 3 == 0:
            coords = np.round(coords, 1)  # ties between centres
        k = region_count(n)
        labels, centres = kmeans_by_masks(coords, k)
        assert np.array_equal(kmeans(coords, k), labels), trial
        assert np.array_equal(fitted_centres(coords, k), centres), trial  # the same floats
