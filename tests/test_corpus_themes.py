"""The corpus stage of the theme classifier: self-trained centroids settle weak keyword calls."""

from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path

import pytest

from sitegen.corpus_themes import (
    CorpusPaper,
    confident,
    learn,
    merge_candidates,
    place_all,
)
from sitegen.ingest import read_dumps
from sitegen.textmap import TokenMemo
from sitegen.themes import FALLBACK, Settings, Taxonomy, Theme, classify, load_taxonomy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_quality import theme_accuracy, weakened  # noqa: E402

TARGET = 0.95
MAX_UNSORTED = 0.03

GAMES = Theme("games", "Games", keywords={"game": 2, "reinforcement": 3, "reward": 3})
VISION = Theme("vision", "Vision", keywords={"image classification": 3, "label": 2})
ONE_SEED_ABSTRACT = "A reward-driven reinforcement agent plays a game with reward shaping."


def taxonomy(**settings: float) -> Taxonomy:
    """Two themes and the fallback; the corpus stage at full weight from the first seed."""
    settings = {"corpus_seeds": 1, **settings}
    return Taxonomy((GAMES, VISION, Theme(FALLBACK, "Unsorted")), Settings(**settings))


def vision_paper(i: int) -> CorpusPaper:
    """A paper the keywords place confidently in vision, with shared vision vocabulary."""
    text = (
        "Image classification with multi-label annotations: the label noise of chess board "
        f"photographs and pixels, image classification of pieces, variant {i}."
    )
    return CorpusPaper(f"vision-{i}", f"Image classification study {i}", text)


def games_paper(i: int) -> CorpusPaper:
    """A paper the keywords place confidently in games."""
    text = (
        "Reinforcement learning agents maximise reward; the reward of each game episode "
        f"trains the reinforcement policy with exploration, variant {i}."
    )
    return CorpusPaper(f"games-{i}", f"Reinforcement learning for games {i}", text)


# A paper that says "game" but reads like the vision papers (the ChessVision misfile).
CHESS = CorpusPaper(
    "chess",
    "A dataset of chess board photographs",
    "Annotations of chess board photographs and pixels from a game: "
    "the noise of pieces and chess board photographs, game after game.",
)


def corpus() -> list[CorpusPaper]:
    """Four confident papers per theme plus the weak chess paper."""
    return [*(vision_paper(i) for i in range(4)), *(games_paper(i) for i in range(4)), CHESS]


def test_weak_keyword_call_is_overruled_by_the_corpus() -> None:
    tax = taxonomy()
    keywords = classify(CHESS.title, CHESS.abstract, tax)
    assert keywords.theme == "games" and not confident(keywords, tax)
    placement = place_all(corpus(), tax)["chess"]
    assert placement.theme == "vision" and placement.stage == "corpus"
    assert placement.keywords.theme == "games"
    assert placement.similarity["vision"] > placement.similarity["games"]


def test_confident_calls_and_user_placements_are_never_overruled() -> None:
    tax = taxonomy()
    placements = place_all(corpus(), tax)
    for i in range(4):
        assert placements[f"vision-{i}"].theme == "vision"
        assert placements[f"games-{i}"].stage == "keywords"
    pinned = dataclasses.replace(CHESS, placed="games")
    placement = place_all([*corpus()[:-1], pinned], tax)["chess"]
    assert placement.theme == "games" and placement.stage == "user"


def test_user_placements_seed_the_centroids() -> None:
    tax = taxonomy()
    # Without confident vision papers the vision theme has no centroid...
    only_games = [games_paper(i) for i in range(4)]
    assert place_all([*only_games, CHESS], tax)["chess"].theme == "games"
    # ...until the user places two vision-like pages there by hand.
    placed = [
        dataclasses.replace(
            CHESS, key=f"chess-{i}", title=f"Chess photographs {i}", placed="vision"
        )
        for i in range(2)
    ]
    assert place_all([*only_games, *placed, CHESS], tax)["chess"].theme == "vision"


def test_a_young_corpus_only_tips_close_calls() -> None:
    # Eight seeds of the 100 that give the corpus its full weight: too few to overrule.
    placement = place_all(corpus(), taxonomy(corpus_seeds=100))["chess"]
    assert placement.theme == "games" and placement.stage == "both"
    assert placement.combined["vision"] == pytest.approx(2.0 * 8 / 100, abs=1e-3)


def test_corpus_weight_zero_is_the_keyword_classifier() -> None:
    placement = place_all(corpus(), taxonomy(corpus_weight=0))["chess"]
    assert placement.theme == "games" and placement.stage == "keywords"


def test_barely_similar_centroids_give_no_evidence() -> None:
    unrelated = CorpusPaper("other", "Protein folding", "Amino acid chains fold; a label.")
    placement = place_all([*corpus(), unrelated], taxonomy(corpus_min_similarity=0.9))["other"]
    assert placement.stage == "keywords" and placement.combined == {}


def test_placement_does_not_depend_on_corpus_order() -> None:
    tax = taxonomy()
    forward = place_all(corpus(), tax)
    assert place_all(list(reversed(corpus())), tax) == forward


def test_a_theme_with_a_single_seed_has_no_centroid() -> None:
    model = learn([*corpus()[:4], games_paper(0), CHESS], taxonomy())
    row = model.themes.index("games")
    assert not model.centroids[row].any() and model.centroids[model.themes.index("vision")].any()


def test_merge_candidates_are_themes_under_three_papers_with_their_closest_theme() -> None:
    model = learn(corpus(), taxonomy())
    folders = {p.key: ("games" if p.key in {"games-0", "chess"} else "vision") for p in corpus()}
    folders.update({f"games-{i}": "vision" for i in range(1, 4)})
    assert merge_candidates(model, folders) == [("games", 2, "vision")]
    assert merge_candidates(model, {p.key: "vision" for p in corpus()}) == []


# --- accuracy on the hand-labelled sample --------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Taxonomy:
    """The shipped taxonomy."""
    return load_taxonomy(REPO / "content" / "themes.yaml")


def test_both_stages_reach_the_target_on_each_half(shipped: Taxonomy) -> None:
    scores = theme_accuracy(shipped)
    assert scores["tuning"].papers + scores["held-out"].papers == scores["whole"].papers == 360
    assert scores["whole"].acceptable >= TARGET, scores
    for part in ("tuning", "held-out"):
        assert scores[part].acceptable >= TARGET - 0.01, scores
        assert scores[part].unsorted <= MAX_UNSORTED, scores
    # Ingesting the dumps one at a time (a young corpus first) places nearly as well.
    by_dump = theme_accuracy(shipped, one_by_one=True)["whole"]
    assert by_dump.acceptable >= TARGET - 0.01 and by_dump.unsorted <= MAX_UNSORTED


def test_corpus_stage_recovers_what_weakened_keywords_miss(shipped: Taxonomy) -> None:
    # Keywords that miss a fifth of their vocabulary, as on a sample they weren't written for.
    weak = weakened(shipped, 0.8, seed=0)
    alone, both = theme_accuracy(weak, stages=1)["whole"], theme_accuracy(weak)["whole"]
    assert both.acceptable > alone.acceptable
    assert both.unsorted < alone.unsorted


def test_remembered_seeds_place_new_papers_as_classifying_everything_does() -> None:
    tax = taxonomy()
    every = place_all(corpus(), tax)
    made: list[str] = []

    def remember(paper, make):  # noqa: ANN001, ANN202
        made.append(paper.key)
        return make()

    placed = place_all(corpus(), tax, only={"chess"}, remember=remember)
    assert placed == {"chess": every["chess"]}
    assert sorted(made) == sorted(p.key for p in corpus() if not p.placed)
    # A remembered verdict is used as is: a stale one (here: no seeds at all) shows.
    lost = place_all(corpus(), tax, only={"chess"}, remember=lambda paper, make: None)
    assert lost["chess"] != every["chess"]


def vectors_of(model) -> tuple:  # noqa: ANN001
    """A corpus model's TF-IDF, exactly (terms, df, and the sparse matrix's arrays)."""
    matrix = model.vectors.matrix
    return (
        model.vectors.terms,
        model.vectors.df.tolist(),
        matrix.indptr.tolist(),
        matrix.indices.tolist(),
        matrix.data.tolist(),
    )


def test_learning_with_remembered_tokens_equals_a_fresh_process(shipped: Taxonomy) -> None:
    """Property: with the tokens of earlier corpora remembered (the build cache's memo, as
    `sitegen add` or a preview ingesting dump after dump has it), the TF-IDF and every
    placement equal those of a process that never saw them."""
    dumps, _ = read_dumps(REPO / "content" / "dumps")
    entries = [entry for dump in dumps for entry in dump.entries]
    papers = [CorpusPaper(f"p{i:04d}", e.title, e.abstract) for i, e in enumerate(entries)]
    papers.append(CorpusPaper("odd", "Tokens: C++, see https://x.org/a?b", "E.g. 3-D (v2); a-b."))
    papers.append(CorpusPaper("bare", "((", "https://only.a/url"))  # no tokens at all
    rng = random.Random(16)
    kept: dict = {}
    hits = 0
    for _ in range(5):
        chosen = rng.sample(papers, rng.randint(20, len(papers)))
        only = {p.key for p in rng.sample(chosen, 10)}
        warm = TokenMemo(kept)
        remembered = (
            vectors_of(learn(chosen, shipped, tokens=warm)),
            place_all(chosen, shipped, only, tokens=warm),
        )
        fresh = (vectors_of(learn(chosen, shipped)), place_all(chosen, shipped, only))
        assert remembered == fresh
        hits += sum(key in warm.known for key in warm.used)
        kept = warm.kept()  # what the cache keeps: this corpus's papers only
    assert hits  # the memo was used
