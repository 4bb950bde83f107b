"""Stage 3, second half: theme centroids learnt from the corpus settle weak keyword calls.

The keyword classifier (sitegen.themes) is the first stage and stays the explainable
one. This second stage learns from the corpus itself (self-training): the papers the
keywords place confidently (a high top score and a clear margin over the runner-up),
plus pages the user placed by hand, give each theme a TF-IDF centroid. A paper whose
keyword evidence is weak then goes to the theme with the best

    keyword share (its scores / its top score) + corpus_weight × softmax(cosine to each
    centroid / corpus_temperature)

so the corpus can overrule a paper that says "game" three times but reads like the
papers the keywords put confidently elsewhere. Confident keyword calls are never
overruled, a theme with fewer than two seeds has no centroid, and a centroid the paper is
barely similar to (below corpus_min_similarity) gets no say.

Where it runs (the design choice):
- ingest places each *new* paper with both stages, learning from the corpus as it
  stands after that ingest (the existing pages plus the new entries). Existing pages
  never move: the Markdown is the user's once written. The result is a pure function
  of the texts and the user's placements, so an ingest of the same content is
  deterministic, and `sitegen themes explain SLUG` re-derives both stages.
- the build never classifies: it reads the folders. So incremental builds stay
  byte-identical to clean builds whatever the classifier learns.
- `sitegen themes --apply` re-runs both stages over today's corpus and proposes moves
  of unpinned pages, which is how papers ingested early benefit from a grown corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import cached_property, partial

import numpy as np

from sitegen.records import record
from sitegen.textmap import TokenMemo, Vectors, vectorise
from sitegen.themes import FALLBACK, Decision, Taxonomy, classify, rank_scores

MIN_SEEDS = 2  # a centroid of one paper is that paper, not a theme
MIN_DF = 2
ROUND = 4


@record
class CorpusPaper:
    """One paper of the corpus the second stage learns from."""

    key: str  # a unique id: the slug of a page, or of an entry about to become one
    title: str
    abstract: str
    placed: str | None = None  # a theme the user chose: a seed, and never re-placed


@record
class Placement:
    """Where a paper goes after both stages, and the evidence of each."""

    theme: str
    secondary: tuple[str, ...]
    stage: str  # "user", "keywords" (confident), "corpus" (overruled) or "both" (agreed)
    keywords: Decision
    similarity: dict[str, float]  # cosine to each theme's centroid
    combined: dict[str, float]  # the blended score, for weak keyword calls only


@record
class CorpusModel:
    """The corpus vectors, each paper's keyword decision, and the learnt theme centroids."""

    papers: tuple[CorpusPaper, ...]  # in key order, like the vector rows
    vectors: Vectors
    decisions: dict[int, Decision]  # by row: every paper's, or those learn() was asked for
    seeds: tuple[str | None, ...]  # the theme each paper seeds, if any
    themes: tuple[str, ...]  # the centroid rows
    centroids: np.ndarray  # (themes, terms), unit rows (zero for a theme without seeds)

    @cached_property
    def seeded(self) -> int:
        """How many papers seed a theme (counted once: every weak paper's blend asks)."""
        return sum(seed is not None for seed in self.seeds)

    def row(self, key: str) -> int:
        """The row of a paper, by key."""
        return self.vectors.slugs.index(key)


def confident(decision: Decision, taxonomy: Taxonomy) -> bool:
    """Whether the keyword evidence is strong enough to stand whatever the corpus says."""
    settings = taxonomy.settings
    ranked = rank_scores(decision.scores, taxonomy)
    if decision.theme == FALLBACK or not ranked:
        return False
    top = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return top >= settings.confident_score and runner_up < settings.confident_ratio * top


# Remembers the theme a paper seeds by its keywords alone (or None), given a function making
# it: the keyword stage is a pure function of the paper's text and the taxonomy.
RememberSeed = Callable[[CorpusPaper, Callable[[], str | None]], str | None]


def keyword_seed(decision: Decision, taxonomy: Taxonomy) -> str | None:
    """The theme a paper seeds by its keywords: the confident ones' theme, else None."""
    return decision.theme if confident(decision, taxonomy) else None


def learn(
    papers: Sequence[CorpusPaper],
    taxonomy: Taxonomy,
    only: Collection[str] | None = None,
    remember: RememberSeed | None = None,
    tokens: TokenMemo | None = None,
) -> CorpusModel:
    """Classify the papers by keywords (those keyed in `only`, or all), and learn a centroid
    per theme from the seeds (the keyword stage's seeds of the other papers may come from
    `remember`; the papers' tokens from `tokens`, a textmap.TokenMemo)."""
    ordered = tuple(sorted(papers, key=lambda p: p.key))
    # No max_df cut: in a young list one theme's vocabulary can be in half the papers.
    texts = [(p.title, p.abstract) for p in ordered]
    vectors = vectorise([p.key for p in ordered], texts, min_df=MIN_DF, max_df=1.0, tokens=tokens)
    decisions = {
        row: classify(p.title, p.abstract, taxonomy)
        for row, p in enumerate(ordered)
        if only is None or p.key in only
    }
    themes = tuple(slug for slug in taxonomy.slugs() if slug != FALLBACK)

    def seed(row: int, paper: CorpusPaper) -> str | None:
        if paper.placed in themes:
            return paper.placed
        if row in decisions:
            found = keyword_seed(decisions[row], taxonomy)
            return remember(paper, lambda: found) if remember else found
        make = partial(keyword_seed_of, paper, taxonomy)
        return remember(paper, make) if remember else make()

    seeds = tuple(seed(row, p) for row, p in enumerate(ordered))
    centroids = np.zeros((len(themes), vectors.matrix.shape[1]))
    labels = np.array([themes.index(s) if s else -1 for s in seeds], dtype=np.int64)
    for row, _ in enumerate(themes):
        members = np.flatnonzero(labels == row)
        if len(members) >= MIN_SEEDS:
            centre = np.asarray(vectors.matrix[members].sum(axis=0), dtype=np.float64).ravel()
            centroids[row] = centre / (np.linalg.norm(centre) or 1.0)
    return CorpusModel(ordered, vectors, decisions, seeds, themes, centroids)


def keyword_seed_of(paper: CorpusPaper, taxonomy: Taxonomy) -> str | None:
    """The theme a paper seeds by its keywords (classifying it)."""
    return keyword_seed(classify(paper.title, paper.abstract, taxonomy), taxonomy)


def corpus_weight(model: CorpusModel, taxonomy: Taxonomy) -> float:
    """The corpus stage's weight, growing to corpus_weight as the seeds reach corpus_seeds.

    A young list's first dump seeds a few papers per theme: centroids that noisy should
    only tip close calls, not overrule the keywords.
    """
    settings = taxonomy.settings
    return settings.corpus_weight * min(1.0, model.seeded / max(settings.corpus_seeds, 1.0))


def similarities(model: CorpusModel) -> np.ndarray:
    """Cosine of every paper to every theme centroid, rounded so float noise decides nothing."""
    return np.round(np.asarray(model.vectors.matrix @ model.centroids.T, dtype=np.float64), 6)


def place(model: CorpusModel, row: int, sims: np.ndarray, taxonomy: Taxonomy) -> Placement:
    """Both stages for one paper: user placement, confident keywords, or the blend."""
    paper, decision = model.papers[row], model.decisions[row]
    similarity = {t: round(float(s), ROUND) for t, s in zip(model.themes, sims, strict=True)}
    if paper.placed:
        return Placement(paper.placed, decision.secondary, "user", decision, similarity, {})
    settings = taxonomy.settings
    learnt = sims >= max(settings.corpus_min_similarity, 1e-6)  # a few shared words are no evidence
    if confident(decision, taxonomy) or settings.corpus_weight <= 0 or not learnt.any():
        return Placement(decision.theme, decision.secondary, "keywords", decision, similarity, {})
    top = max(max(decision.scores.values(), default=0.0), settings.min_score)
    weight = corpus_weight(model, taxonomy)
    weights = np.exp((sims - sims[learnt].max()) / settings.corpus_temperature) * learnt
    share = weights / weights.sum()
    combined = {
        theme: round(decision.scores.get(theme, 0.0) / top + weight * float(p), 6)
        for theme, p in zip(model.themes, share, strict=True)
    }
    ranked = rank_scores(combined, taxonomy)
    best, best_score = ranked[0]
    if best_score < settings.corpus_floor:
        return Placement(FALLBACK, (), "both", decision, similarity, combined)
    secondary = tuple(
        theme
        for theme, score in ranked[1 : 1 + settings.max_secondary]
        if score >= settings.secondary_ratio * best_score and decision.scores.get(theme, 0.0)
    )
    stage = "both" if best == decision.theme else "corpus"
    return Placement(best, secondary, stage, decision, similarity, combined)


def place_all(
    papers: Sequence[CorpusPaper],
    taxonomy: Taxonomy,
    only: Collection[str] | None = None,
    remember: RememberSeed | None = None,
    tokens: TokenMemo | None = None,
) -> dict[str, Placement]:
    """Both stages for every paper of a corpus (or those keyed in `only`), keyed by paper key."""
    model = learn(papers, taxonomy, only, remember, tokens)
    sims = similarities(model)
    return {
        paper.key: place(model, row, sims[row], taxonomy)
        for row, paper in enumerate(model.papers)
        if only is None or paper.key in only
    }


def nearest_seeds(model: CorpusModel, row: int, theme: str, limit: int = 3) -> list[str]:
    """The keys of the seeds of a theme most similar to one paper (for explanations)."""
    members = [i for i, seed in enumerate(model.seeds) if seed == theme and i != row]
    if not members:
        return []
    sims = np.asarray(model.vectors.matrix[members] @ model.vectors.matrix[row].T.toarray())
    order = sorted(range(len(members)), key=lambda i: (-round(float(sims[i, 0]), 6), members[i]))
    return [model.papers[members[i]].key for i in order[:limit]]


def explain_placement(
    placement: Placement, model: CorpusModel, row: int, taxonomy: Taxonomy
) -> list[str]:
    """The second stage's lines of `sitegen themes explain`."""
    settings = taxonomy.settings
    verdict = {
        "user": "you placed this page: it stays where you put it",
        "keywords": "keywords are confident "
        f"(top ≥ {settings.confident_score:g}, runner-up < {settings.confident_ratio:g} × top):"
        " the corpus stage is not consulted",
        "both": "keywords are weak; the corpus stage agrees",
        "corpus": f"keywords are weak ({placement.keywords.theme}); the corpus overrules them",
    }[placement.stage]
    seeds = {t: model.seeds.count(t) for t in model.themes}
    lines = [f"stage 2 (corpus): {verdict}"]
    lines.append(
        "  cosine to the centroid of each theme's confidently placed papers"
        + (
            f"; blend = keyword share + {corpus_weight(model, taxonomy):.2g} × softmax"
            if placement.combined
            else ""
        )
    )
    ranked = sorted(placement.similarity.items(), key=lambda item: (-item[1], item[0]))
    for theme, sim in ranked[:5]:
        blend = f"  blend {placement.combined[theme]:.2f}" if placement.combined else ""
        lines.append(f"  {theme:<24} {sim:6.3f}{blend}  ({seeds[theme]} seeds)")
    near = nearest_seeds(model, row, placement.theme)
    if near and placement.stage in {"corpus", "both"}:
        lines.append(f"  closest {placement.theme} seeds: {', '.join(near)}")
    return lines


def merge_candidates(
    model: CorpusModel, folders: dict[str, str], min_papers: int = 3
) -> list[tuple[str, int, str | None]]:
    """Themes holding 1..min_papers-1 papers, each with the theme its papers read most like."""
    counts: dict[str, int] = {}
    for theme in folders.values():
        counts[theme] = counts.get(theme, 0) + 1
    sims = similarities(model)
    found: list[tuple[str, int, str | None]] = []
    for theme in model.themes:
        if not 0 < counts.get(theme, 0) < min_papers:
            continue
        rows = [i for i, p in enumerate(model.papers) if folders.get(p.key) == theme]
        mean = sims[rows].mean(axis=0)
        others = [(round(float(s), 6), t) for s, t in zip(mean, model.themes, strict=True)]
        others = [(s, t) for s, t in others if t != theme and s > 0]
        others.sort(key=lambda item: (-item[0], item[1]))
        found.append((theme, counts[theme], others[0][1] if others else None))
    return found
