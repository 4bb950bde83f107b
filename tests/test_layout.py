"""The map layout: deterministic, and it keeps text neighbours together better than PCA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sitegen.discover
from sitegen.discover import (
    MAP_NEIGHBOURS,
    PRUNE_TERMS,
    map_points,
    nearest_neighbours,
    paper_vectors,
    principal_start,
    pruned,
)
from sitegen.ingest import read_dumps
from sitegen.layout import affinity_graph, neighbourhood_recall, optimise
from sitegen.textmap import Vectors

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped_vectors() -> Vectors:
    """TF-IDF vectors of every paper of the shipped dumps (titles and abstracts)."""
    from sitegen.catalog import Paper

    dumps, _ = read_dumps(REPO / "content" / "dumps")
    entries = {e.title: e.abstract for d in dumps for e in d.entries}
    papers = [
        Paper(f"p{i:04d}", t, a, "", "x", ("x",), (), (), (), "", {}, "")
        for i, (t, a) in enumerate(sorted(entries.items()))
    ]
    return paper_vectors(papers)


def text_neighbours(vectors: Vectors, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Each paper's k nearest papers by text, nearest first: (rows, cols)."""
    matched = pruned(vectors.matrix, PRUNE_TERMS)
    rows, cols, _ = nearest_neighbours(matched, matched, k, skip_self=True)
    return rows, cols


def plane(vectors: Vectors) -> np.ndarray:
    """The map's points as an n x 2 array, in row order."""
    points = map_points(vectors)
    return np.array([[points[s].x, points[s].y] for s in vectors.slugs])


@pytest.fixture(scope="module")
def shipped_plane(shipped_vectors: Vectors) -> np.ndarray:
    """The shipped corpus's map, computed once."""
    return plane(shipped_vectors)


def test_layout_keeps_neighbours_better_than_pca(
    shipped_vectors: Vectors, shipped_plane: np.ndarray
) -> None:
    rows, cols = text_neighbours(shipped_vectors)
    layout = neighbourhood_recall(shipped_plane, rows, cols, 10)
    pca = neighbourhood_recall(principal_start(shipped_vectors.matrix), rows, cols, 10)
    assert layout >= 0.25 and layout >= 2.5 * pca, (layout, pca)  # measured: 0.38 vs 0.10


def test_layout_is_deterministic_and_rounded(
    shipped_vectors: Vectors, shipped_plane: np.ndarray
) -> None:
    assert np.array_equal(plane(shipped_vectors), shipped_plane)
    assert np.array_equal(np.round(shipped_plane, 4), shipped_plane)
    assert ((shipped_plane >= 0) & (shipped_plane <= 1)).all()
    assert len({tuple(p) for p in shipped_plane.tolist()}) > 0.95 * len(shipped_plane)


def test_layout_does_not_depend_on_the_blas_thread_count(tmp_path: Path) -> None:
    script = (
        "import sys, json; sys.path.insert(0, 'benchmarks'); sys.path.insert(0, '.');"
        "from bench_discover import synthetic_papers; from sitegen import discover as d;"
        "v = d.paper_vectors(synthetic_papers(240));"
        "print(json.dumps(sorted((s, p.x, p.y) for s, p in d.map_points(v).items())))"
    )
    outputs = []
    for threads in ("1", "2"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
        env["PYTHONPATH"] = str(REPO)
        run = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 1000


def test_a_big_corpus_lays_out_a_sample_and_places_the_rest(
    shipped_vectors: Vectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitegen.discover, "LAYOUT_SAMPLE", 150)
    rows, cols = text_neighbours(shipped_vectors)
    points = plane(shipped_vectors)
    assert len(points) > 300 and ((points >= 0) & (points <= 1)).all()
    assert len({tuple(p) for p in points.tolist()}) > 0.95 * len(points)  # few stacked
    recall = neighbourhood_recall(points, rows, cols, 10)
    pca = neighbourhood_recall(principal_start(shipped_vectors.matrix), rows, cols, 10)
    assert recall > 1.3 * pca, (recall, pca)  # measured: 0.15 vs 0.10


def test_affinities_are_symmetric_and_in_the_unit_interval() -> None:
    rows = np.array([0, 0, 1, 2, 3])
    cols = np.array([1, 2, 0, 3, 2])
    sims = np.array([0.9, 0.5, 0.9, 0.3, 0.3], np.float32)
    graph = affinity_graph(4, rows, cols, sims)
    edges = {
        (int(h), int(t)): float(w)
        for h, t, w in zip(graph.heads, graph.tails, graph.weights, strict=True)
    }
    assert all(edges[(t, h)] == w for (h, t), w in edges.items())
    assert all(0 < w <= 1 for w in edges.values())
    assert edges[(0, 1)] == 1.0  # each paper's nearest neighbour is fully its neighbour
    assert edges[(0, 2)] < 1.0


def test_two_groups_of_neighbours_end_up_apart() -> None:
    # Two cliques of five joined by nothing: each ends up tight and away from the other.
    pairs = [(a, b) for group in (range(5), range(5, 10)) for a in group for b in group if a != b]
    rows = np.array([a for a, _ in pairs])
    cols = np.array([b for _, b in pairs])
    graph = affinity_graph(10, rows, cols, np.full(len(pairs), 0.8, np.float32))
    start = np.random.default_rng(1).standard_normal((10, 2))
    y = optimise(start, graph)
    inside = np.mean([np.linalg.norm(y[a] - y[b]) for a, b in pairs])
    across = np.mean([np.linalg.norm(y[a] - y[b]) for a in range(5) for b in range(5, 10)])
    assert across > 2 * inside
    assert np.array_equal(optimise(start, graph), y)


def test_neighbourhood_recall_counts_shared_neighbours() -> None:
    coords = np.array([[0.0, 0], [1, 0], [10, 0], [11, 0]])
    rows = np.array([0, 1, 2, 3])
    assert neighbourhood_recall(coords, rows, np.array([1, 0, 3, 2]), 1) == 1.0
    assert neighbourhood_recall(coords, rows, np.array([2, 3, 0, 1]), 1) == 0.0
    assert MAP_NEIGHBOURS >= 5


def naive_forces(places: np.ndarray, graph, negatives: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """The forces as the module docstring states them, one edge and one sample at a time."""
    from sitegen.layout import NEGATIVES, REPULSION

    n = graph.n
    found = np.zeros(n, np.complex128)
    degree = np.zeros(n)
    for head, tail, weight in zip(graph.heads, graph.tails, graph.weights, strict=True):
        apart = places[head] - places[tail]
        found[head] += -2.0 * weight / (1.0 + abs(apart) ** 2) * apart
        degree[head] += weight
    for row in negatives:
        for paper, other in enumerate(row):
            if other == paper:
                continue
            away = places[paper] - places[other]
            d2 = abs(away) ** 2
            push = REPULSION * 2.0 * degree[paper] / NEGATIVES / ((d2 + 1e-3) * (d2 + 1.0))
            found[paper] += push * away
    return found


def test_forces_pull_each_edge_both_ways_and_push_from_samples() -> None:
    from sitegen.layout import NEGATIVES, Fixed, forces

    rng = np.random.default_rng(3)
    n = 12
    rows = np.repeat(np.arange(n), 4)
    cols = (rows + rng.integers(1, n, len(rows))) % n
    graph = affinity_graph(n, rows, cols, rng.random(len(rows)).astype(np.float32))
    places = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    negatives = rng.integers(0, n, size=(NEGATIVES, n))
    negatives[0, 5] = 5  # a paper drawn as its own sample pushes nothing
    found = forces(places.copy(), negatives, Fixed.of(graph))
    assert np.allclose(found, naive_forces(places, graph, negatives), rtol=1e-12, atol=1e-12)
