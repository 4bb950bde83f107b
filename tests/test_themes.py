"""Tests for sitegen.themes: the taxonomy loader, tokenising, the classifier and its accuracy."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from sitegen.cli import main
from sitegen.errors import SitegenError
from sitegen.themes import (
    FALLBACK,
    Settings,
    Taxonomy,
    Theme,
    classify,
    explain,
    load_taxonomy,
    parse_taxonomy,
    stem,
    title_from_slug,
    words,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_quality import labelled_themes, shipped_papers  # noqa: E402

MIN_ACCEPTABLE = 0.90
MAX_UNSORTED = 0.05


def write(path: Path, text: str) -> Path:
    """Write a themes.yaml into a temp folder and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


def taxonomy(*themes: Theme, **settings: float) -> Taxonomy:
    """A small in-memory taxonomy with the fallback appended, as the loader would."""
    return Taxonomy((*themes, Theme(FALLBACK, "Unsorted")), Settings(**settings))


# --- the taxonomy loader -------------------------------------------------------------------


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "themes.yaml", "themes:\n  - slug: a\n    keywords: {x: 1\n  - slug: b\n"
    )
    with pytest.raises(SitegenError) as caught:
        load_taxonomy(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 3  # the { never closed
    assert str(caught.value).startswith(f"{path}:3: invalid YAML: flow mapping never closed")


def test_a_mistake_libyaml_takes_but_pure_python_yaml_refuses_is_still_one_line(
    tmp_path: Path,
) -> None:
    # A tab inside a flow mapping: libyaml reads it, the line-aware pure-Python parse that
    # points at a faulty theme refuses it. The theme's own mistake is reported, lineless.
    text = "themes:\n  - slug: a\n    keywords: {x: 1,\tz: many}\n"
    path = write(tmp_path / "themes.yaml", text)
    with pytest.raises(SitegenError, match=r"theme 'a': weight of 'z' must be a number"):
        load_taxonomy(path)


def test_missing_slug_names_the_theme_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "themes.yaml", "themes:\n  - slug: a\n  - title: No slug\n")
    with pytest.raises(SitegenError, match=r"theme #2 needs at least a slug") as caught:
        load_taxonomy(path)
    assert caught.value.line == 3


def test_unknown_theme_field_is_a_warning_naming_file_line_and_the_close_key(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "themes.yaml", "themes:\n  - slug: a\n  - slug: b\n    keyword: {x: 1}\n"
    )
    tax = load_taxonomy(path)
    assert tax.slugs() == ["a", "b", FALLBACK]
    assert tax.warnings == (
        f"{path}:3: theme 'b': unknown key 'keyword', ignored (did you mean 'keywords'?)",
    )


def test_unknown_classifier_setting_and_top_level_field_are_warnings(tmp_path: Path) -> None:
    tax = parse_taxonomy({"themes": [], "classifier": {"min_scroe": 3}, "colours": 1}, tmp_path)
    assert tax.settings == Settings()
    assert tax.warnings == (
        f"{tmp_path}: unknown key 'colours', ignored",
        f"{tmp_path}: classifier: unknown key 'min_scroe', ignored (did you mean 'min_score'?)",
    )
    assert load_taxonomy(REPO / "content" / "themes.yaml").warnings == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"themes": [{"slug": "Bad Slug"}]}, "must be lowercase"),
        ({"themes": [{"slug": "a"}, {"slug": "a"}]}, "listed twice"),
        ({"themes": [{"slug": "a", "keywords": "x"}]}, "mapping or a list"),
        ({"themes": [{"slug": "a", "keywords": {"x": "high"}}]}, "must be a number"),
        ({"themes": [{"slug": "a", "keywords": {"--": 1}}]}, "has no words"),
        ({"themes": [], "classifier": {"min_score": "two"}}, "must be a number"),
        ({"themes": "a"}, "expected a 'themes:' list"),
        ({"themes": [{"slug": "a", "title": ["x"]}]}, "theme 'a': title must be text, not a list"),
        ({"themes": [{"slug": "a", "description": {"x": 1}}]}, "description must be text, not a"),
    ],
)
def test_invalid_structures_are_errors(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(SitegenError, match=message):
        parse_taxonomy(data, tmp_path / "themes.yaml")


def test_list_style_keywords_get_weight_one_and_are_normalised(tmp_path: Path) -> None:
    tax = parse_taxonomy(
        [{"slug": "ssl", "keywords": ["Self-Supervised", "Masked Autoencoders"]}], tmp_path
    )
    assert tax.get("ssl").keywords == {"self supervised": 1.0, "masked autoencoder": 1.0}


def test_fallback_is_added_once_and_settings_apply(tmp_path: Path) -> None:
    text = "classifier:\n  min_score: 5\n  max_secondary: 1\nthemes:\n  - slug: video\n"
    tax = load_taxonomy(write(tmp_path / "themes.yaml", text))
    assert tax.slugs() == ["video", FALLBACK]
    assert tax.get("video").title == "Video"
    assert tax.settings == Settings(min_score=5.0, max_secondary=1)
    listed = parse_taxonomy({"themes": [{"slug": FALLBACK, "title": "Later"}]}, tmp_path)
    assert listed.slugs() == [FALLBACK] and listed.get(FALLBACK).title == "Later"


def test_missing_file_is_just_the_fallback(tmp_path: Path) -> None:
    assert load_taxonomy(tmp_path / "absent.yaml").slugs() == [FALLBACK]


def test_shipped_taxonomy_lists_every_theme_with_a_one_line_description() -> None:
    tax = load_taxonomy(REPO / "content" / "themes.yaml")
    assert len(tax.themes) == 17 and tax.slugs()[-1] == FALLBACK
    for theme in tax.themes:
        assert theme.description and "\n" not in theme.description
        assert theme.keywords or theme.slug == FALLBACK


def test_title_from_slug() -> None:
    assert title_from_slug("3d-vision") == "3d vision"
    assert title_from_slug("my_theme") == "My theme"


# --- tokenising ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("transformers", "transformer"),
        ("studies", "study"),
        ("processes", "process"),
        ("patches", "patch"),
        ("loss", "loss"),
        ("analysis", "analysis"),
        ("various", "various"),
        ("series", "series"),
        ("bias", "bias"),
        ("quantisation", "quantization"),
        ("modelling", "modeling"),
    ],
)
def test_stem(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_words_lowercases_splits_and_stems() -> None:
    assert words("Self-Supervised ViTs: 3D Point-Clouds!") == [
        "self",
        "supervised",
        "vit",
        "3d",
        "point",
        "cloud",
    ]
    assert words("") == []


# --- classify ------------------------------------------------------------------------------

VIDEO = Theme("video", "Video", keywords={"video": 1.0, "tracking": 2.0})
GRAPHS = Theme("graphs", "Graphs", keywords={"graph": 2.0})
THEORY = Theme("theory", "Theory", keywords={"generalization": 2.0})
ROBUST = Theme("robustness", "Robustness", keywords={"domain generalization": 3.0})


def test_title_outweighs_abstract() -> None:
    tax = taxonomy(VIDEO, GRAPHS)
    decision = classify("Video models", "We build a graph.", tax)
    assert decision.theme == "video"
    assert decision.scores == {"video": 3.0, "graphs": 2.0}
    assert classify("Models", "We build a graph of a video.", tax).theme == "graphs"


def test_repeats_have_diminishing_returns() -> None:
    decision = classify("", "graph graph graph", taxonomy(GRAPHS))
    assert decision.scores["graphs"] == pytest.approx(2.0 * (1 + math.log(3)))
    assert [(m.phrase, m.where, m.count) for m in decision.matches] == [("graph", "abstract", 3)]


def test_longest_phrase_wins_over_the_word_inside_it() -> None:
    tax = taxonomy(THEORY, ROBUST)
    decision = classify("Domain generalization", "", tax)
    assert decision.theme == "robustness" and "theory" not in decision.scores
    assert classify("Generalization", "", tax).theme == "theory"


def test_below_min_score_is_unsorted() -> None:
    tax = taxonomy(VIDEO, min_score=4.0)
    assert classify("Video", "", tax).theme == FALLBACK  # 1.0 x title weight 3 = 3 < 4
    assert classify("Video tracking", "", tax).theme == "video"  # 3 + 6 = 9
    low = classify("Nothing here", "a video", tax)
    assert low.theme == FALLBACK and low.scores == {"video": 1.0} and low.secondary == ()
    assert classify("", "", tax).theme == FALLBACK


def test_min_score_threshold_is_inclusive_and_exact() -> None:
    tax = taxonomy(VIDEO, min_score=3.0)
    assert classify("Video", "", tax).theme == "video"
    assert classify("", "video", tax).theme == FALLBACK


def test_secondary_themes_are_close_runners_up() -> None:
    tax = taxonomy(VIDEO, GRAPHS, THEORY, secondary_ratio=0.5, max_secondary=1)
    decision = classify("Tracking", "graph generalization", tax)  # 6, 2, 2
    assert decision.theme == "video" and decision.secondary == ()
    decision = classify("Tracking on a graph", "generalization", tax)  # 6, 6 (tie), 2
    assert decision.theme == "video" and decision.secondary == ("graphs",)
    abstract = "generalization generalization generalization"  # 2 x (1 + ln 3) = 4.2 >= 0.6 x 6
    both = classify("Tracking graph", abstract, taxonomy(VIDEO, GRAPHS, THEORY))
    assert both.secondary == ("graphs", "theory")
    one = classify(
        "Tracking graph", "generalization generalization", taxonomy(VIDEO, GRAPHS, THEORY)
    )
    assert one.secondary == ("graphs",)  # 2 x (1 + ln 2) = 3.4 < 3.6


def test_ties_go_to_the_theme_listed_first() -> None:
    text = ("Video tracking", "graph graph")
    first = classify(
        *text,
        taxonomy(Theme("a", "A", keywords={"video": 1}), Theme("b", "B", keywords={"tracking": 1})),
    )
    second = classify(
        *text,
        taxonomy(Theme("b", "B", keywords={"tracking": 1}), Theme("a", "A", keywords={"video": 1})),
    )
    assert (first.theme, second.theme) == ("a", "b")
    assert classify(*text, taxonomy(VIDEO, GRAPHS)) == classify(*text, taxonomy(VIDEO, GRAPHS))


def test_a_phrase_listed_under_two_themes_scores_for_both() -> None:
    tax = taxonomy(
        Theme("efficiency", "E", keywords={"compression": 1.0}),
        Theme("generative-models", "G", keywords={"compression": 2.0}),
    )
    decision = classify("Compression", "", tax)
    assert decision.scores == {"efficiency": 3.0, "generative-models": 6.0}
    assert decision.theme == "generative-models"


# --- explain -------------------------------------------------------------------------------


def test_explain_shows_theme_secondary_scores_and_matches() -> None:
    tax = taxonomy(VIDEO, GRAPHS)
    lines = explain(classify("Video tracking on a graph", "one graph", tax), tax)
    assert lines[0] == "theme: video"
    assert lines[1] == "secondary: graphs"
    video = next(line for line in lines if line.strip().startswith("video"))
    assert "9.0" in video and "'tracking' in title×1 (+6.0)" in video
    graphs = next(line for line in lines if line.strip().startswith("graphs"))
    assert "'graph' in title×1 (+6.0)" in graphs and "'graph' in abstract×1 (+2.0)" in graphs
    assert lines[2].startswith("score = sum of keyword weight")


def test_explain_says_why_a_paper_is_unsorted() -> None:
    tax = taxonomy(VIDEO)
    lines = explain(classify("Nothing", "one video", tax), tax)
    assert lines[0] == f"theme: {FALLBACK}"
    assert "no theme reached min_score 2 (best 1.0)" in lines


def test_cli_explain_prints_the_decision(shipped_site: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["ingest", "--root", str(shipped_site), "-q"]) == 0
    page = next((shipped_site / "content" / "papers" / "graphs").glob("*.md"))
    capsys.readouterr()
    assert main(["themes", "explain", page.stem, "--root", str(shipped_site)]) == 0
    out = capsys.readouterr().out
    assert "folder: graphs" in out and "theme: graphs" in out and "'graph" in out


# --- accuracy on the hand-labelled sample --------------------------------------------------


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str, set[str]]]:
    """(title, abstract, acceptable themes) for every hand-labelled paper."""
    return [(row.title, row.abstract, set(row.acceptable)) for row in labelled_themes()]


def measure(rows: list[tuple[str, str, set[str]]], tax: Taxonomy) -> tuple[float, float]:
    """The keyword stage alone: (share placed in an acceptable theme, share unsorted)."""
    themes = [classify(title, abstract, tax).theme for title, abstract, _ in rows]
    good = sum(theme in ok for theme, (_, _, ok) in zip(themes, rows, strict=True))
    return good / len(rows), themes.count(FALLBACK) / len(rows)


def test_labels_cover_every_shipped_paper_with_real_themes(labelled: list) -> None:
    slugs = set(load_taxonomy(REPO / "content" / "themes.yaml").slugs()) - {FALLBACK}
    assert len(labelled) == len(shipped_papers()) == 360
    for _, _, ok in labelled:
        assert ok <= slugs


def test_classifier_is_good_on_the_hand_labelled_sample(labelled: list) -> None:
    tax = load_taxonomy(REPO / "content" / "themes.yaml")
    acceptable, unsorted = measure(labelled, tax)
    assert acceptable >= MIN_ACCEPTABLE, f"only {acceptable:.1%} in an acceptable theme"
    assert unsorted <= MAX_UNSORTED, f"{unsorted:.1%} unsorted"


def test_the_accuracy_measure_catches_a_broken_taxonomy(labelled: list) -> None:
    shipped = load_taxonomy(REPO / "content" / "themes.yaml")
    # Same vocabulary, but each theme gets its neighbour's keywords.
    themes = [t for t in shipped.themes if t.slug != FALLBACK]
    shifted = [
        Theme(t.slug, t.title, t.description, themes[i - 1].keywords) for i, t in enumerate(themes)
    ]
    acceptable, _ = measure(labelled, taxonomy(*shifted))
    assert acceptable < MIN_ACCEPTABLE
    _, unsorted = measure(labelled, taxonomy(*(Theme(t.slug, t.title) for t in themes)))
    assert unsorted == 1.0
