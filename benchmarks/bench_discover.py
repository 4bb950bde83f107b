"""Benchmark discovery (key terms, related papers, map, suggestions) on a synthetic corpus.

    python benchmarks/bench_discover.py 10000 100000
    python benchmarks/bench_discover.py --smoke      # 300 papers: CI keeps the script working

The map is timed in two parts: the layout (map_points: the kNN graph, the principal-axes
start and the force layout; above sitegen.discover.LAYOUT_SAMPLE papers a sample is laid
out and the rest placed by their neighbours) and its named regions (map_regions). Up to
20,000 papers it also reports how well the map keeps neighbourhoods: the share of each
paper's 10 nearest papers by text that are among its 10 nearest on the map, for the
layout and for the principal axes (PCA) the map used to be.

Each synthetic paper is a topic: a title and sentences sampled from the shipped dumps'
abstracts of a few seed papers, with some words turned into topic-specific variants so
the vocabulary grows with the corpus the way a real one does. Seeded, so reproducible.
Run each size in a fresh process: the reported peak memory is the process's peak RSS.
"""

from __future__ import annotations

import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sitegen.catalog import Paper  # noqa: E402
from sitegen.ingest import read_dumps  # noqa: E402
from sitegen.layout import neighbourhood_recall  # noqa: E402
from sitegen.regions import map_regions  # noqa: E402

SENTENCE = re.compile(r"(?<=[.!?])\s+")
PAPERS_PER_TOPIC = 40
VARIANT_SHARE = 0.12  # share of words replaced by a topic-specific variant
RECALL_MAX = 20_000  # above this, the recall's own kNN would dominate the run
SMOKE = 300


def shipped_entries() -> list[tuple[str, str]]:
    """(title, abstract) of every entry of the shipped dumps."""
    dumps, _ = read_dumps(REPO / "content" / "dumps")
    return [(e.title, e.abstract) for d in dumps for e in d.entries if e.abstract]


def variant(word: str, topic: int) -> str:
    """A topic-specific spelling of a word, standing in for a real corpus's rarer vocabulary."""
    return f"{word}{'abcdefghij'[topic % 10]}{topic // 10}" if len(word) > 4 else word


def synthetic_papers(count: int, seed: int = 0) -> list[Paper]:
    """`count` papers, PAPERS_PER_TOPIC per topic, built from the shipped abstracts."""
    rng = random.Random(seed)
    entries = shipped_entries()
    sentences = [[s for s in SENTENCE.split(abstract) if s] for _, abstract in entries]
    papers: list[Paper] = []
    for index in range(count):
        topic = index // PAPERS_PER_TOPIC
        topic_rng = random.Random(topic * 7919 + seed)
        seeds = topic_rng.sample(range(len(entries)), 3)
        pool = [s for i in seeds for s in sentences[i]]
        picked = [rng.choice(pool) for _ in range(rng.randint(5, 9))]
        if rng.random() < 0.3:  # some off-topic sentences, as real abstracts have
            picked.append(rng.choice(rng.choice(sentences)))
        title = entries[seeds[rng.randrange(3)]][0]
        text = " ".join(picked)
        words = [variant(w, topic) if rng.random() < VARIANT_SHARE else w for w in text.split(" ")]
        papers.append(make_paper(index, f"{title} {index}", " ".join(words), topic))
    return papers


def make_paper(index: int, title: str, abstract: str, topic: int) -> Paper:
    """A Paper as load_project would build it, minus the file."""
    theme = "unsorted" if index % 50 == 0 else f"theme-{topic % 15}"
    return Paper(
        slug=f"paper-{index:07d}",
        title=title,
        abstract=abstract,
        notes="",
        theme=theme,
        themes=(theme,),
        dumps=(f"dump-{index // 1000:03d}",),
        links=(),
        tags=(),
        status="",
        meta={"added": f"dump-{index // 1000:03d}"},
        source=f"papers/{theme}/paper-{index:07d}.md",
    )


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(count: int) -> None:
    """Time each discovery step on `count` synthetic papers and print one line per step."""
    from sitegen import discover as d

    start = time.perf_counter()
    papers = synthetic_papers(count)
    print(f"{count} papers generated in {time.perf_counter() - start:.1f}s, {peak_mb():.0f} MB")
    steps = [("vectors", lambda: d.paper_vectors(papers))]
    timings: dict[str, float] = {}
    vectors = None
    for name, step in steps:
        t0 = time.perf_counter()
        vectors = step()
        timings[name] = time.perf_counter() - t0
    found: dict = {}  # "candidates": the papers' CandidateTable
    points: dict = {}
    terms: dict = {}
    for name, step in [
        ("candidates", lambda: found.update(candidates=d.paper_candidates(papers))),
        ("key_terms", lambda: terms.update(d.key_terms(vectors.slugs, found["candidates"]))),
        (
            "related",
            lambda: d.with_shared_phrases(
                d.related_papers(vectors), vectors.slugs, found["candidates"]
            ),
        ),
        ("map", lambda: points.update(d.map_points(vectors))),
        ("regions", lambda: map_regions(vectors.slugs, plane(points, vectors.slugs), terms)),
        ("suggest", lambda: d.suggest_themes(papers, vectors)),
    ]:
        t0 = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - t0
    shape = vectors.matrix.shape
    detail = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    print(f"  {shape[1]} terms, {vectors.matrix.nnz} weights; {detail}")
    print(f"  map build (layout + regions): {timings['map'] + timings['regions']:.1f}s")
    if count <= RECALL_MAX:
        layout, pca = map_recall(vectors, plane(points, vectors.slugs))
        print(f"  map neighbourhood recall@10: layout {layout:.3f}, PCA {pca:.3f}")
    print(f"  total {sum(timings.values()):.1f}s, peak memory {peak_mb():.0f} MB")


def plane(points: dict, slugs: tuple[str, ...]) -> np.ndarray:
    """Map points as an n x 2 array in row order."""
    return np.array([[points[s].x, points[s].y] for s in slugs]).reshape(-1, 2)


def map_recall(vectors, coords: np.ndarray) -> tuple[float, float]:  # noqa: ANN001
    """Neighbourhood recall@10 of the map and of the principal axes, against TF-IDF kNN."""
    from sitegen import discover as d

    matched = d.pruned(vectors.matrix, d.PRUNE_TERMS)
    rows, cols, _ = d.nearest_neighbours(matched, matched, 10, skip_self=True)
    pca = d.principal_start(vectors.matrix)
    return neighbourhood_recall(coords, rows, cols, 10), neighbourhood_recall(pca, rows, cols, 10)


def main(argv: list[str]) -> None:
    """Measure each size in its own process so peak memory is per size."""
    sizes = [SMOKE if a == "--smoke" else int(a) for a in argv] or [10_000]
    if len(sizes) == 1:
        measure(sizes[0])
        return
    for size in sizes:
        subprocess.run([sys.executable, __file__, str(size)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
