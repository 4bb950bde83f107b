"""Regions of the map: k-means in the plane, named by the key phrases their papers share."""

from __future__ import annotations

import numpy as np

from sitegen.regions import fitted_centres, kmeans, map_regions, region_count, term_scores


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
    scored = term_scores([0, 1], terms, __import__("collections").Counter(), 3)
    assert scored == []


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
