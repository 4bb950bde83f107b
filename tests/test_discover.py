"""Discovery on a tiny hand-made corpus: key terms, related papers, clusters and the map."""

from __future__ import annotations

import marshal
import pickle
import random
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import sitegen.discover
import sitegen.model.discovery
from sitegen.catalog import Paper
from sitegen.discover import (
    PRUNE_TERMS,
    VECTOR_PARTS,
    Point,
    Pruned,
    base_flags,
    base_found,
    clusters,
    discover,
    discovery_input,
    distinct_terms,
    holds_together,
    key_terms,
    paper_candidates,
    paper_vectors,
    pruned,
    ranked_entries,
    related_papers,
    row_scaled,
    suggest_themes,
    with_shared_phrases,
)
from sitegen.keyterms import CandidateTable
from sitegen.textmap import GENERIC, STOPWORDS, stem, vectorise

CORPUS = {
    "diffusion": [
        (
            "Denoising diffusion models for image synthesis",
            "We propose a novel denoising diffusion model that generates images by reversing a "
            "noise process. The diffusion model achieves state-of-the-art image synthesis.",
        ),
        (
            "Faster sampling for diffusion models",
            "Sampling from diffusion models is slow. Our method reduces the denoising steps of "
            "the diffusion model while keeping image synthesis quality and sample fidelity.",
        ),
        (
            "Latent diffusion for text-to-image synthesis",
            "Latent diffusion models run the denoising process in a latent space, giving "
            "text-to-image synthesis with fewer sampling steps and results that beat baselines.",
        ),
    ],
    "graphs": [
        (
            "Message passing graph neural networks",
            "Graph neural networks aggregate node features by message passing along edges. We "
            "show that deeper graph neural networks suffer from oversmoothing of node features.",
        ),
        (
            "Graph attention for node classification",
            "We propose graph attention layers for node classification: each node weighs its "
            "neighbours in the graph, improving performance on citation graph benchmarks.",
        ),
        (
            "Expressive power of graph neural networks",
            "We study which graphs message passing can distinguish. Graph neural networks are at "
            "most as powerful as the Weisfeiler-Lehman test on node neighbourhoods.",
        ),
    ],
    "reinforcement": [
        (
            "Policy gradient methods for reinforcement learning",
            "An agent learns a policy from reward signals. Policy gradient reinforcement learning "
            "estimates the return of each action in the environment.",
        ),
        (
            "Offline reinforcement learning with conservative value functions",
            "Offline reinforcement learning trains an agent from logged trajectories without the "
            "environment; a conservative value function keeps the policy near the reward data.",
        ),
        (
            "Exploration bonuses for sparse reward agents",
            "Agents in environments with sparse reward explore poorly. An exploration bonus "
            "helps the reinforcement learning agent find reward and improve its policy.",
        ),
    ],
}


def make_paper(slug: str, title: str, abstract: str, theme: str = "unsorted", **meta) -> Paper:
    """A Paper as load_project builds it, without a file."""
    return Paper(
        slug=slug,
        title=title,
        abstract=abstract,
        notes=meta.pop("notes", ""),
        theme=theme,
        themes=(theme,),
        dumps=tuple(meta.pop("dumps", ())),
        links=(),
        tags=(),
        status="",
        meta=meta,
        source=f"papers/{theme}/{slug}.md",
    )


def corpus() -> list[Paper]:
    """The hand-made corpus: three topics of three papers, slugs like diffusion-1."""
    return [
        make_paper(f"{topic}-{i}", title, abstract, theme=topic)
        for topic, entries in CORPUS.items()
        for i, (title, abstract) in enumerate(entries, start=1)
    ]


def topic(slug: str) -> str:
    """The topic a corpus slug belongs to."""
    return slug.rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def found():
    """Discovery over the corpus, computed once for this module."""
    return discover(corpus())


def test_related_papers_share_the_topic_and_never_the_paper_itself(found) -> None:
    for slug, related in found.related.items():
        assert related, slug
        assert len(related) <= 5
        assert slug not in [r.slug for r in related]
        # Within a topic the vocabulary overlaps most, so the best match is a sibling.
        assert topic(related[0].slug) == topic(slug), (slug, related)
        scores = [r.score for r in related]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)


def test_two_diffusion_papers_relate_more_than_to_a_graph_paper(found) -> None:
    scores = {r.slug: r.score for r in found.related["diffusion-1"]}
    assert scores["diffusion-2"] > scores.get("graphs-1", 0.0)
    assert scores["diffusion-3"] > scores.get("graphs-2", 0.0)


def test_related_papers_explain_themselves_with_shared_terms(found) -> None:
    by_slug = {r.slug: r for r in found.related["graphs-1"]}
    shared = by_slug["graphs-3"].shared_terms
    assert shared and len(shared) <= 3
    assert any("graph" in term or "message passing" in term for term in shared), shared
    papers = {p.slug: p for p in corpus()}
    for slug, related in found.related.items():
        for r in related:
            for term in r.shared_terms:
                for side in (slug, r.slug):
                    text = f"{papers[side].title} {papers[side].abstract}".lower()
                    assert term.split()[0][:5] in text, (term, side)


def test_key_terms_are_distinctive_not_stopwords_or_ml_boilerplate(found) -> None:
    assert set(found.key_terms) == {p.slug for p in corpus()}
    for slug, terms in found.key_terms.items():
        assert 1 <= len(terms) <= 6, slug
        for term in terms:
            words = term.lower().split()
            assert 1 <= len(words) <= 4
            if len(words) == 1:
                assert term not in STOPWORDS and stem(term) not in GENERIC, term
            assert not any(w in STOPWORDS for w in words), term
        assert not {"propose", "method", "results", "performance", "state-of-the-art"} & set(terms)
    assert any("diffusion" in t for t in found.key_terms["diffusion-1"])
    assert any("polic" in t or "reinforcement" in t for t in found.key_terms["reinforcement-1"])


def test_phrases_absorb_their_words() -> None:
    terms = ["diffusion", "model", "diffusion model", "graph", "image"]
    assert distinct_terms([0, 2, 3, 4], terms, 3) == ("diffusion model", "graph", "image")
    assert distinct_terms([2, 0, 3], terms, 6) == ("diffusion model", "graph")


def test_ties_are_broken_by_column_then_rows_keep_order() -> None:
    matrix = sp.csr_matrix(np.array([[0.5, 0.5, 0.9, 0.5], [0, 0.1, 0, 0.2], [0, 0, 0, 0]]))
    rows, cols, values = ranked_entries(matrix, 3)
    assert rows.tolist() == [0, 0, 0, 1, 1]
    assert cols.tolist() == [2, 0, 1, 3, 1]
    assert values.tolist() == pytest.approx([0.9, 0.5, 0.5, 0.2, 0.1])


def test_pruning_is_row_by_row() -> None:
    # discover() prunes the whole catalogue once and hands the base its rows.
    matrix = paper_vectors(shipped_papers()[:120]).matrix
    rows = np.arange(0, 120, 3)
    whole, part = pruned(matrix, 24)[rows], pruned(matrix[rows], 24)
    assert whole.nnz == part.nnz > 0
    assert (whole != part).nnz == 0 and np.array_equal(whole.indices, part.indices)


def kth_distinct_by_row(data: np.ndarray, indptr: np.ndarray, k: int) -> list[float]:
    """The k-th largest distinct value of each row, row by row (-inf with fewer)."""
    bounds = indptr.tolist()
    values = [sorted(set(data[a:b].tolist()), reverse=True) for a, b in pairwise(bounds)]
    return [row[k - 1] if len(row) >= k else -np.inf for row in values]


@pytest.mark.parametrize("bound_sample", [1, 16])
def test_each_rows_kth_distinct_value_is_the_one_a_sorted_row_gives(
    monkeypatch: pytest.MonkeyPatch, bound_sample: int
) -> None:
    import sitegen.discover

    monkeypatch.setattr(sitegen.discover, "BOUND_SAMPLE", bound_sample)  # 1: every row long
    rng = np.random.default_rng(3)
    for _ in range(60):
        lengths = rng.integers(0, 400, int(rng.integers(1, 20)))
        indptr = np.r_[0, np.cumsum(lengths)]
        rows = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        data = (np.round(rng.random(indptr[-1]), 2) - 0.3).astype(np.float32)  # ties, negatives
        data[rng.random(len(data)) < 0.2] = -np.inf  # as candidate_pairs marks non-base papers
        data[rng.random(len(data)) < 0.05] = -0.0  # the same value as 0.0
        k = int(rng.integers(1, 30))
        for values in (data, data.astype(np.float64) / 3):  # scores; exact cosines
            expected = kth_distinct_by_row(values, indptr, k)
            assert sitegen.discover.kth_distinct(values, indptr, rows, k).tolist() == expected
            assert sitegen.discover.row_thresholds(values, indptr, rows, k).tolist() == expected
    # A row whose first entries are its k best: the bound is the row's value itself.
    data = np.r_[np.arange(10, 0, -1), np.zeros(100)].astype(np.float32)
    indptr, rows = np.array([0, 110]), np.zeros(110, np.int32)
    assert sitegen.discover.row_thresholds(data, indptr, rows, 10).tolist() == [1.0]


def test_the_bound_samples_entries_spread_along_each_row() -> None:
    from sitegen.discover import spread_sample

    lengths = np.array([100, 0, 7, 30])
    indptr = np.r_[0, np.cumsum(lengths)]
    counts = np.minimum(lengths, 10)
    positions = spread_sample(indptr, lengths, counts).tolist()
    assert positions[:10] == list(range(0, 100, 10))  # evenly, first to last tenth
    assert positions[10:17] == list(range(100, 107))  # a short row: all of it
    assert positions[17:] == [107 + 3 * i for i in range(10)]
    assert len(positions) == counts.sum()


def test_results_do_not_depend_on_input_order(found) -> None:
    shuffled = corpus()
    random.Random(4).shuffle(shuffled)
    assert discover(shuffled) == found


def test_results_do_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    papers, base = shipped_with_base(330)
    whole = discover(papers, base)
    monkeypatch.setattr(sitegen.discover, "BLOCK_ROWS", 7)  # 37 blocks of the base, 11 later
    assert discover(papers, base) == whole


def test_map_points_lie_in_the_unit_square_and_separate_topics(found) -> None:
    points = found.points
    assert set(points) == {p.slug for p in corpus()}
    for point in points.values():
        assert 0.0 <= point.x <= 1.0 and 0.0 <= point.y <= 1.0
        assert round(point.x, 4) == point.x and round(point.y, 4) == point.y
    xs = [p.x for p in points.values()]
    ys = [p.y for p in points.values()]
    assert max(max(xs) - min(xs), max(ys) - min(ys)) >= 0.9  # the map fills its square

    def distance(a: Point, b: Point) -> float:
        return ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5

    slugs = sorted(points)
    within = [
        distance(points[a], points[b])
        for a in slugs
        for b in slugs
        if a < b and topic(a) == topic(b)
    ]
    across = [distance(points[a], points[b]) for a in slugs for b in slugs if topic(a) != topic(b)]
    assert np.mean(within) < np.mean(across)


def test_map_of_a_tiny_catalogue_is_centred() -> None:
    papers = corpus()[:2]
    assert set(discover(papers).points.values()) == {Point(0.5, 0.5)}


def test_clusters_group_similar_texts() -> None:
    vectors = paper_vectors(corpus())
    found = clusters(vectors, list(vectors.slugs), 3)
    assert sorted(len(c.slugs) for c in found) == [3, 3, 3]
    for cluster in found:
        assert len({topic(s) for s in cluster.slugs}) == 1, cluster
        assert cluster.terms and 0 < cluster.cohesion <= 1


def test_suggestions_come_from_unsorted_papers_with_top_terms() -> None:
    papers = [
        make_paper(
            p.slug, p.title, p.abstract, theme="unsorted" if p.theme != "graphs" else "graphs"
        )
        for p in corpus()
    ]
    suggestions = suggest_themes(papers, paper_vectors(papers))
    assert suggestions
    for suggestion in suggestions:
        assert suggestion.source == "unsorted"
        assert not any(s.startswith("graphs") for s in suggestion.cluster.slugs)
        assert suggestion.slug and suggestion.cluster.terms
    grouped = [set(map(topic, s.cluster.slugs)) for s in suggestions]
    assert {"diffusion"} in grouped or {"reinforcement"} in grouped


def test_vectors_ignore_urls_and_notes() -> None:
    papers = corpus()
    noted = [make_paper(p.slug, p.title, p.abstract, p.theme, notes="zebra zebra") for p in papers]
    assert discover(noted) == discover(papers)
    texts = [
        ("x", "see https://example.org/foo/bar"),
        ("y", "https://example.org/foo/bar"),
        ("z", ""),
    ]
    assert not {"bar", "example", "org"} & set(vectorise(["a", "b", "c"], texts).terms)
    plain = [("x", "see example foo bar"), ("y", "example foo bar"), ("z", "")]
    assert {"bar", "example"} <= set(vectorise(["a", "b", "c"], plain).terms)


def test_shared_phrases_are_the_rarest_terms_both_papers_have() -> None:
    from sitegen.discover import COMMON_IDF, shared_phrases
    from sitegen.keyterms import Candidate

    def cand(key: str, idf: float, weight: float = 1.0) -> Candidate:
        return Candidate(key, key.upper(), weight, key.count(" ") + 1, idf)

    mine = (cand("computer vision", 2.0), cand("mode connectivity", 6.0), cand("loss", 5.0))
    theirs = (cand("loss", 5.0), cand("mode connectivity", 6.0), cand("computer vision", 2.0))
    # The common phrase drops out when rarer ones are shared...
    assert shared_phrases(mine, theirs) == ["MODE CONNECTIVITY", "LOSS"]
    # ...and stands alone when it is all the two papers share.
    assert COMMON_IDF > 2.0
    assert shared_phrases(mine[:1], theirs) == ["COMPUTER VISION"]
    assert shared_phrases(mine[1:2], (cand("graph", 6.0),)) == []


@st.composite
def candidate_tables(draw: st.DrawFn) -> tuple[CandidateTable, list[int], list[int]]:
    """A small table of papers' candidates, from few keys, idfs and weights (so that pairs
    share phrases, some common, and some tie), and pairs of its papers."""
    papers = draw(st.integers(1, 7))
    keys = [
        draw(st.lists(st.sampled_from("abcdefghij"), max_size=8, unique=True))
        for _ in range(papers)
    ]
    idf = draw(
        st.fixed_dictionaries({k: st.sampled_from([1.5, 2.0, 4.0, 6.0]) for k in "abcdefghij"})
    )
    flat = [key for row in keys for key in row]
    weights = draw(
        st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.5]), min_size=len(flat), max_size=len(flat))
    )
    table = CandidateTable.of(
        [len(row) for row in keys], flat, [k.upper() for k in flat], weights, [idf[k] for k in flat]
    )
    pairs = draw(st.lists(st.tuples(st.integers(0, papers - 1), st.integers(0, papers - 1))))
    return table, [a for a, _ in pairs], [b for _, b in pairs]


@given(candidate_tables())
def test_phrases_shared_are_shared_with_for_every_pair_or_left_to_it_on_a_tie(
    made: tuple[CandidateTable, list[int], list[int]],
) -> None:
    from sitegen.discover import PAIRS_AT_ONCE, phrases_shared, shared_with

    table, rows, cols = made
    found = list(phrases_shared(table, np.array(rows, np.int64), np.array(cols, np.int64)))
    assert len(found) == len(rows) and len(rows) < PAIRS_AT_ONCE
    for row, col, labels in zip(rows, cols, found, strict=True):
        keys, labels_of, weights, idfs = table.columns(row)
        mine = dict(zip(keys, zip(idfs, weights, labels_of, strict=True), strict=True))
        theirs, their_weights = table.keys_and_weights(col)
        expected = tuple(shared_with(mine, theirs, their_weights))
        pairs = zip(theirs, their_weights, strict=True)
        both = [(mine[k][0], min(mine[k][1], w)) for k, w in pairs if k in mine]
        if labels is None:  # left to shared_with: two shared phrases tie
            assert len(set(both)) < len(both)
        else:
            assert labels == expected


def test_phrases_shared_go_a_block_of_pairs_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen.discover import phrases_shared

    table = CandidateTable.of(
        [2, 2, 1],
        ["x y", "z", "z", "x y", "q"],
        ["XY", "Z", "Z2", "XY2", "Q"],
        [1, 2, 3, 4, 5],
        [9.0, 8.0, 8.0, 9.0, 7.0],
    )
    rows, cols = np.array([0, 1, 2, 0, 1]), np.array([1, 0, 0, 2, 1])
    whole = list(phrases_shared(table, rows, cols))
    assert whole == [("XY", "Z"), ("XY2", "Z2"), (), (), ("XY2", "Z2")]
    monkeypatch.setattr(sitegen.discover, "PAIRS_AT_ONCE", 2)
    assert list(phrases_shared(table, rows, cols)) == whole


def test_base_lists_explained_at_once_equal_those_explained_a_pair_at_a_time() -> None:
    from sitegen.discover import (
        base_best,
        by_phrases,
        catalogue_rows,
        explained_lists,
        phrases_shared,
        rows_of,
    )

    catalogue = catalogue_rows(shipped_papers(), None)
    vectors = vectorise(catalogue.slugs, catalogue.texts)
    mine = rows_of(vectors, np.arange(len(catalogue.slugs)))
    best = base_best(mine, pruned(vectors.matrix, PRUNE_TERMS))
    found, _ = catalogue.base_candidates()
    explain = by_phrases(mine.slugs, found)
    asked: list[tuple[str, str]] = []

    def counted(slug: str, other: str, terms) -> tuple[str, ...]:
        asked.append((slug, other))
        return explain(slug, other, terms)

    one_by_one = explained_lists(best, mine.slugs, explain)
    assert explained_lists(best, mine.slugs, counted, found) == one_by_one
    assert len(asked) < len(best.rows) // 20  # only ties are asked
    # Most pairs share a phrase, some none (explained by their TF-IDF term then).
    at_once = list(phrases_shared(found, best.rows, best.cols))
    assert () in at_once and sum(map(bool, at_once)) > len(at_once) // 2
    shared = [entry[2] for entries in one_by_one for entry in entries]
    assert len(shared) == len(best.rows) and all(shared)


def shipped_papers() -> list[Paper]:
    """The shipped dumps' papers, in the order the dumps list them (oldest dump first)."""
    from sitegen.ingest import read_dumps
    from sitegen.text import slugify

    dumps, _ = read_dumps(Path(__file__).resolve().parent.parent / "content" / "dumps")
    seen: dict[str, Paper] = {}
    for entry in (e for dump in dumps for e in dump.entries):
        slug = slugify(entry.title)[:60]
        seen.setdefault(slug, make_paper(slug, entry.title, entry.abstract))
    return list(seen.values())


def shipped_with_base(papers: int = 300) -> tuple[list[Paper], set[str]]:
    """The first papers of the shipped dumps, and the slugs of the first 256: a base."""
    first = shipped_papers()[:papers]
    return first, {p.slug for p in first[:256]}


def key_terms_and_related(papers: list[Paper], base: set[str] | None = None) -> tuple[dict, dict]:
    """What paper pages show of discovery (discover() without the map, which is slower)."""
    vectors, candidates = paper_vectors(papers, base), paper_candidates(papers, base)
    flags = base_flags(sorted(map(discovery_input, papers)), base)
    related = with_shared_phrases(related_papers(vectors, base=flags), vectors.slugs, candidates)
    return key_terms(vectors.slugs, candidates), related


def test_papers_outside_the_base_change_older_papers_only_by_being_closer() -> None:
    papers = shipped_papers()
    old = papers[:300]
    base = {p.slug for p in old[:256]}
    (terms_before, before), (terms_after, after) = (
        key_terms_and_related(old, base),
        key_terms_and_related(papers, base),
    )
    for paper in old:
        slug = paper.slug
        assert terms_after[slug] == terms_before[slug]
        # What stays of the older list keeps its order, scores and shared terms; a new
        # paper comes in only by scoring above the older ones it pushes out.
        older = [r for r in after[slug] if r.slug in before]
        assert older == list(before[slug][: len(older)])
    changed = sum(before[p.slug] != after[p.slug] for p in old)
    assert changed > 0  # the new papers are close to some older ones
    # Without a base the statistics move with every paper: more older pages change.
    drift = key_terms_and_related(old), key_terms_and_related(papers)
    moved = sum(
        (drift[0][0][p.slug], drift[0][1][p.slug]) != (drift[1][0][p.slug], drift[1][1][p.slug])
        for p in old
    )
    assert moved > changed


def test_a_generation_is_the_oldest_papers_and_grows_by_a_quarter() -> None:
    from sitegen.model.discovery import generation, generation_size

    assert [generation_size(n) for n in (0, 10, 255, 256, 319, 320, 399, 400)] == [
        0,
        10,
        255,
        256,
        256,
        320,
        320,
        400,
    ]
    assert generation_size(10_000) == generation_size(10_200) == 9_094
    arrival = [f"p{i}" for i in range(300)]
    assert generation(arrival) == frozenset(arrival[:256])


def test_candidates_found_aside_give_what_discover_finds_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A build's side copy finds the base's candidates and the later papers' (base_found);
    # discover takes both, finds none of the later papers' again, and gives the same.
    papers, base = shipped_with_base()
    own = discover(papers, base)
    table, counts, later = base_found(papers, base)
    assert len(later) == 300 - 256 and counts.papers == 256
    found_again: list[int] = []
    real = sitegen.discover.ranked_candidates
    monkeypatch.setattr(
        sitegen.discover,
        "ranked_candidates",
        lambda texts, **kw: found_again.append(len(texts)) or real(texts, **kw),
    )
    assert discover(papers, base, candidates=lambda: (table, counts, later)) == own
    assert found_again == []
    assert discover(papers, base, candidates=lambda: (table, counts, {})) == own
    assert found_again == [300 - 256]


def test_a_remembered_generation_gives_what_a_fresh_one_gives() -> None:
    from sitegen.discover import packed, unpacked
    from sitegen.plain import decode, encode

    papers, base = shipped_with_base()
    kept: list[bytes] = []

    def remember(make):  # noqa: ANN001, ANN202
        # A later build: the generation comes back from the cache's plain data.
        kept.append(marshal.dumps(encode(make())))
        return decode(marshal.loads(kept[-1]), [len(kept[-1])])

    remembered = discover(papers, base, remember)
    assert len(kept) == 1 and remembered == discover(papers, base)
    plain = decode(marshal.loads(kept[0]), [len(kept[0])])
    generation = unpacked(plain)
    own = {name: value for name, value in plain.items() if not name.startswith(VECTOR_PARTS)}
    assert packed(generation) == own  # a round trip, exactly
    assert len(generation.slugs) == 256 and generation.coords.shape == (256, 2)
    assert set(plain) - set(own)  # and the base's vectors, kept (VECTORS_KEPT)


def same_matrix(one: sp.csr_matrix, other: sp.csr_matrix) -> bool:
    """Whether two CSR matrices hold the same entries in the same order, bit for bit."""
    return (
        one.shape == other.shape
        and np.array_equal(one.indptr, other.indptr)
        and np.array_equal(one.indices, other.indices)
        and one.data.dtype == other.data.dtype
        and one.data.tobytes() == other.data.tobytes()
    )


@pytest.mark.parametrize("step", [2, 5, 9])
def test_a_remembered_base_and_the_papers_after_it_are_the_vectors_of_all(step: int) -> None:
    from sitegen.discover import catalogue_rows, grown, packed_vectors, rows_of

    papers = shipped_papers()[:330]
    base = {p.slug for p in papers[::step]} | {p.slug for p in papers[:40]}
    catalogue = catalogue_rows(papers, base)
    vectors = vectorise(catalogue.slugs, catalogue.texts, base=catalogue.in_base, keys=True)
    whole = Pruned(vectors, pruned(vectors.matrix, PRUNE_TERMS))
    rows = np.flatnonzero(catalogue.in_base)
    plain = packed_vectors(Pruned(rows_of(vectors, rows), whole.matched[rows]))
    made = grown(marshal.loads(marshal.dumps(plain)), catalogue, None)
    assert made is not None and made.vectors.terms == vectors.terms
    assert np.array_equal(made.vectors.df, vectors.df)
    assert same_matrix(made.vectors.matrix, vectors.matrix)
    assert same_matrix(made.matched, whole.matched)
    assert grown({}, catalogue, None) is None  # a generation that kept none: made anew


def test_a_whole_base_packs_views_of_its_vectors_and_the_cache_keeps_their_bytes(
    tmp_path: Path,
) -> None:
    from sitegen.cache import read_plain, write_plain
    from sitegen.discover import catalogue_rows, grown, packed_vectors

    papers = shipped_papers()[:120]
    cold = catalogue_rows(papers[:100], None)  # a cold build's: every row in the base
    alone = vectorise(cold.slugs, cold.texts, keys=True)
    mine = Pruned(alone, pruned(alone.matrix, PRUNE_TERMS))
    plain = packed_vectors(mine)
    for name, matrix in (("vectors", alone.matrix), ("matched", mine.matched)):
        for part, dtype in (("indices", np.int32), ("data", np.float32)):
            shown = np.frombuffer(plain[f"{name}_{part}"], dtype)
            assert np.shares_memory(shown, getattr(matrix, part))  # not a copy...
            assert plain[f"{name}_{part}"].readonly  # ...nor a way to write to the matrix
    with (tmp_path / "memo").open("wb") as handle:
        write_plain(plain, handle)
    kept = read_plain(tmp_path / "memo")
    assert {type(value) for value in kept.values()} <= {str, bytes}
    catalogue = catalogue_rows(papers, {p.slug for p in papers[:100]})  # a new dump's build
    vectors = vectorise(catalogue.slugs, catalogue.texts, base=catalogue.in_base)
    made = grown(kept, catalogue, None)
    assert made is not None
    assert same_matrix(made.vectors.matrix, vectors.matrix)
    assert same_matrix(made.matched, pruned(vectors.matrix, PRUNE_TERMS))


def test_a_large_base_keeps_no_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.discover
    from sitegen.discover import catalogue_rows, packed_vectors

    papers = shipped_papers()[:60]
    catalogue = catalogue_rows(papers, None)
    vectors = vectorise(catalogue.slugs, catalogue.texts, keys=True)
    whole = Pruned(vectors, pruned(vectors.matrix, PRUNE_TERMS))
    assert packed_vectors(whole)
    monkeypatch.setattr(sitegen.discover, "VECTORS_KEPT", 59)
    assert packed_vectors(whole) == {}


def test_a_later_paper_owes_nothing_to_the_other_later_papers() -> None:
    # What a later paper gets (its key terms) depends on its own text
    # and the base only: a build that adds one dump to a remembered base computes the same.
    papers, base = shipped_with_base(330)
    everything = discover(papers, base)
    some = discover(papers[:290], base)
    for paper in papers[256:290]:
        assert some.key_terms[paper.slug] == everything.key_terms[paper.slug]
    # (Their related lists do depend on each other: a later paper may be closest to another.)
    assert some.key_terms != everything.key_terms  # the extra papers have key terms of their own


def test_a_kept_column_is_the_last_discovery_for_the_papers_still_there() -> None:
    from sitegen.model.discovery import KeptColumn, lazy_discovery, plain_discovery

    papers = shipped_papers()[:120]
    last = lazy_discovery(plain_discovery(discover(papers, {p.slug for p in papers})))
    gone = {p.slug for p in papers[::3]}  # removed since the last build
    still = {p.slug: p for p in papers if p.slug not in gone}

    def still_there(related):  # noqa: ANN001, ANN202
        return tuple(r for r in related if r.slug in still)

    related = KeptColumn(last.related, still, still_there)
    eager = {s: still_there(rs) for s, rs in last.related.items() if s in still}
    assert dict(related) == eager and list(related) == list(eager) and len(related) == len(still)
    assert any(len(related[s]) < len(last.related[s]) for s in still)  # some pointed at `gone`
    points = KeptColumn(last.points, still)
    assert dict(points) == {s: last.points[s] for s in still}
    dropped = sorted(gone)[0]
    assert dropped in last.points and dropped not in points and points.get(dropped) is None
    with pytest.raises(KeyError):
        related[dropped]


def test_related_lists_made_as_their_text_are_the_text_kept() -> None:
    # as_text (a large discovery, or one whose plain form alone is kept): the related lists
    # are made as their JSON text at once (a LazyColumn), not as objects first: the same
    # text kept, and the same lists read back.
    from sitegen.model.discovery import LazyColumn, plain_discovery

    papers, base = shipped_with_base()
    as_made = discover(papers, base)
    as_text = discover(papers, base, as_text=True)
    assert isinstance(as_text.related, LazyColumn) and not isinstance(as_made.related, LazyColumn)
    assert plain_discovery(as_text) == plain_discovery(as_made)
    assert dict(as_text.related) == dict(as_made.related)
    assert sum(len(rs) for rs in as_made.related.values()) > 4 * len(papers)


def test_later_papers_in_passes_get_what_they_get_all_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    papers, base = shipped_with_base(330)
    at_once = discover(papers, base)
    monkeypatch.setattr(sitegen.discover, "LATER_PASS", 7)  # 74 later papers: 11 passes
    assert discover(papers, base) == at_once


def test_discovery_from_the_cache_makes_a_papers_entries_only_when_asked() -> None:
    from sitegen.model.discovery import lazy_discovery, plain_discovery
    from sitegen.plain import decode, encode

    papers = shipped_papers()[:120]
    fresh = discover(papers, {p.slug for p in papers})
    data = marshal.dumps(encode(plain_discovery(fresh)))
    kept = decode(marshal.loads(data), [len(data)])
    again = lazy_discovery(kept)
    slug = papers[0].slug
    assert again.related.made == {} and again.key_terms.made == {}  # nothing made yet
    assert again.related[slug] == fresh.related[slug] and list(again.related.made) == [slug]
    assert again.points.get("no-such-paper") is None and slug in again.points
    assert again == fresh  # every entry, as discover made it
    assert list(again.related) == list(fresh.related)
    # Only the most recent are kept (a page asks twice, then never again); points, all.
    recent = sitegen.model.discovery.RECENT
    assert len(again.related.made) == len(again.key_terms.made) == recent < len(papers)
    assert list(again.related.made) == list(again.related)[-recent:]
    assert len(again.points.made) == len(again.points)
    # The discovery a build just made gives its key terms and related papers as they are:
    # the same values, none made again from its text.
    seeded = lazy_discovery(kept, fresh)
    assert seeded.related[slug] is fresh.related[slug] and seeded.points.made == {}
    assert seeded.key_terms[slug] is fresh.key_terms[slug] and seeded == fresh


def test_pair_terms_are_made_when_asked_and_join_in_order() -> None:
    from sitegen.discover import PairTerms, explaining_terms

    terms = ["diffusion", "diffusion model", "graph", "image", "loss"]
    products = sp.csr_matrix(np.array([[0.5, 0.9, 0, 0.1, 0], [0, 0, 0.7, 0, 0.2], [0] * 5]))
    pairs = explaining_terms(products, terms)
    assert [t() for t in pairs] == [("diffusion model", "image"), ("graph", "loss"), ()]
    assert [pairs[i]() for i in range(len(pairs))] == [t() for t in pairs]
    with pytest.raises(IndexError):
        pairs[3]
    both = PairTerms.joined([pairs, explaining_terms(products[1:], terms)], terms)
    assert [t() for t in both] == [t() for t in pairs] + [("graph", "loss"), ()]


@pytest.mark.parametrize(
    "text",
    ["", "\n", "a", "a\n", "a\nb", "a\r\nb\rc", "x\u2028y\n\n", "a\tb\n", "\n\n", "\na"],
)
def test_each_line_is_split_at_newlines_only(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text += "\n".join(f"key {n}" for n in range(len(text) * 40))  # some span several chunks
    for chunk in (0, 1, 3, 7, sitegen.discover.LINES_CHUNK):  # where a chunk may end
        monkeypatch.setattr(sitegen.discover, "LINES_CHUNK", chunk)
        assert list(sitegen.discover.each_line(text)) == text.split("\n"), chunk


def test_a_build_from_a_remembered_generation_grows_its_vectors_and_keeps_all_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sitegen.plain import decode, encode
    from sitegen.textmap import TokenMemo

    papers, base = shipped_with_base()
    stored: list[bytes] = []

    def first(make):  # noqa: ANN001, ANN202
        stored.append(marshal.dumps(encode(make())))
        return decode(marshal.loads(stored[0]), [len(stored[0])])

    def later(make):  # noqa: ANN001, ANN202 - a later build: never made again
        return decode(marshal.loads(stored[0]), [len(stored[0])])

    fresh = discover(papers, base, first)
    tokens = TokenMemo()
    discover(papers, base, tokens=tokens)  # every paper's tokens, as ingest leaves them
    memo = TokenMemo(tokens.kept())
    whole = []  # vectorise of every paper: none, the base's rows are the memo's
    monkeypatch.setattr(sitegen.discover, "vectorise", lambda *a, **k: whole.append(a))
    grown_ = discover(papers, base, later, tokens=memo)
    assert grown_ == fresh and not whole
    assert len(memo.kept()["papers"]) == 300  # the base's tokens are kept for the next build


def test_vectors_a_damaged_or_foreign_memo_kept_are_made_afresh() -> None:
    from sitegen.discover import catalogue_rows, grown, packed_vectors, rows_of

    papers, base = shipped_with_base()
    catalogue = catalogue_rows(papers, base)
    vectors = vectorise(catalogue.slugs, catalogue.texts, base=catalogue.in_base, keys=True)
    rows = np.flatnonzero(catalogue.in_base)
    mine = rows_of(vectors, rows)
    plain = packed_vectors(Pruned(mine, pruned(mine.matrix, PRUNE_TERMS)))
    assert grown(dict(plain), catalogue, None) is not None
    damaged = [
        {**plain, "vectors_indices": plain["vectors_indices"][:-4]},  # one entry short
        {**plain, "matched_indptr": plain["matched_indptr"][:-8]},  # one row short
        {**plain, "vector_df": plain["vector_df"][:-8]},  # a column's df missing
        {**plain, "vector_keys": 3},  # not text
        {k: v for k, v in plain.items() if k != "matched_data"},
    ]
    for memo in damaged:
        assert grown(memo, catalogue, None) is None
    other = catalogue_rows(papers, {p.slug for p in papers[:200]})  # another base
    assert grown(dict(plain), other, None) is None


def test_a_remembered_generation_that_does_not_fit_its_base_is_made_afresh() -> None:
    # The cache's checksum catches a torn or damaged file, not a forged one.
    papers = shipped_papers()[:120]
    base = {p.slug for p in papers[:100]}
    made: list[dict] = []

    def keep(make):  # noqa: ANN001, ANN202
        made.append(make())
        return made[0]

    fresh = discover(papers, base, keep)
    plain = made[0]
    assert holds_together(plain, 100)  # a memo just made is taken

    def with_first(name: str, value: float, dtype: type) -> dict:  # the right sizes, forged
        numbers = np.frombuffer(plain[name], np.dtype(dtype).newbyteorder("<")).copy()
        numbers[0] = value
        return {**plain, name: numbers.astype(np.dtype(dtype).newbyteorder("<")).tobytes()}

    forged = [
        {**plain, "slugs": 5},
        {**plain, "thresholds": plain["thresholds"][:-8]},
        {**plain, "coords": b""},
        [1, 2, 3],
        {k: v for k, v in plain.items() if k != "related"},
        with_first("related_rows", 10_000, np.int32),  # a row outside the base
        with_first("related_rows", -3, np.int32),
        with_first("related", 9, np.int32),  # runs that don't add up
        with_first("candidates", -1, np.int32),
        with_first("coords", np.nan, np.float64),
        with_first("thresholds", np.nan, np.float64),
        with_first("weights", np.inf, np.float64),
        {**plain, "papers": "100"},
        {**plain, "papers": 0},
        {**plain, "labels": plain["labels"].rsplit("\n", 3)[0]},  # three labels short
        {**plain, "related_terms": plain["related_terms"].rsplit("\n", 2)[0]},  # two short
    ]
    for memo in forged:
        assert discover(papers, base, lambda make, memo=memo: memo) == fresh


def test_a_related_table_gives_back_each_papers_entries_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sitegen.discover as discover_module
    from sitegen.discover import RelatedTable

    rng = np.random.default_rng(5)
    lists = [
        [(int(rng.integers(0, 50)), float(rng.random()), ("t", str(i))) for i in range(k)]
        for k in rng.integers(0, 7, 40).tolist()
    ]
    for run in (3, 4_096):  # runs of papers that end inside the table, and one run of all
        monkeypatch.setattr(discover_module, "LISTS_RUN", run)
        table = RelatedTable.of_lists(lists)
        assert len(table) == 40 and list(table.lists()) == lists
    assert list(RelatedTable.of_lists([]).lists()) == [] and len(RelatedTable.of_lists([[]])) == 1


def test_related_lists_refuse_a_generation_of_another_base() -> None:
    # related_of takes each base row's list in turn: a table of another length is an error,
    # not lists silently shifted onto other papers.
    from sitegen.discover import Generation, KeyCounts, RelatedTable, related_of

    vectors = paper_vectors(corpus())
    n = len(vectors.slugs)
    none = KeyCounts((), np.zeros(0, np.int32), 0)
    for lists in ([[]] * (n - 1), [[]] * (n + 1)):
        table = RelatedTable.of_lists(lists)
        short = Generation((), [], none, table, np.zeros(n), np.zeros(n), None)
        with pytest.raises(ValueError, match="related lists"):
            related_of(vectors, np.ones(n, bool), short, lambda *a: (), vectors.matrix)


def test_a_lazy_column_makes_a_value_when_asked_and_gets_like_a_mapping() -> None:
    from sitegen.model.discovery import LazyColumn

    made: list[object] = []
    column = LazyColumn(["a", "b"], ['["x"]', "[1, 2]"], lambda v: made.append(v) or tuple(v), 1)
    assert column.get("a") == ("x",) and column.get("zz") is None and column.get("zz", 5) == 5
    assert column["b"] == (1, 2) and column.get("a") == ("x",)  # kept one: "a" made again
    assert made == [["x"], [1, 2], ["x"]] and "a" in column and "zz" not in column
    # Pickled (a kept model), it goes without the values made, seeded or not.
    seeded = LazyColumn(["a", "b"], ['["x"]', "[1, 2]"], tuple, None, {"a": ("x",)})
    again = pickle.loads(pickle.dumps(seeded))
    assert again.made == {} and again["a"] == ("x",) and seeded.made == {"a": ("x",)}


def test_row_scaled_is_scipys_diagonal_product_entry_for_entry() -> None:
    rng = np.random.default_rng(1)
    for trial in range(60):
        n, m = int(rng.integers(1, 30)), int(rng.integers(1, 40))
        dense = rng.random((n, m)).astype(np.float32)
        matrix = sp.csr_matrix(np.where(rng.random((n, m)) < rng.random(), dense, 0))
        if trial % 3 == 0:  # explicit zeros, dropped as the product drops them
            matrix.data[rng.random(len(matrix.data)) < 0.3] = 0
        scale = rng.random(n).astype(np.float32) + np.float32(0.1)
        scale[: trial % 2] = 0
        want, got = (sp.diags(scale) @ matrix).tocsr(), row_scaled(matrix, scale)
        assert got.indptr.tolist() == want.indptr.tolist()
        assert got.indices.tolist() == want.indices.tolist()  # reversed in each row, as later
        assert got.data.tobytes() == want.data.tobytes()  # sums add them in that order


PLAIN_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(PLAIN_JSON)
def test_discoverys_kept_text_is_what_json_dumps_writes(value: object) -> None:
    # model.discovery.COMPACT_JSON: the C encoder made once, not once a value.
    import json

    from sitegen.model.discovery import COMPACT_JSON

    assert COMPACT_JSON(value) == json.dumps(value, separators=(",", ":"))
    assert COMPACT_JSON(("a", ("b",))) == '["a",["b"]]'  # tuples, as the columns hold them
