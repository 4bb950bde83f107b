"""Stage 3: the taxonomy (content/themes.yaml) and the keyword classifier over it.

The classifier is lexical and explainable: each theme lists weighted words and
phrases; a paper scores the sum of the weights it matches (title matches count
more), and lands in the best-scoring theme, or in the fallback when nothing fits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitegen.errors import SitegenError

FALLBACK = "unsorted"
WORD = re.compile(r"[a-z0-9]+")
MAX_NGRAM = 4


@dataclass(frozen=True)
class Theme:
    """One entry of the taxonomy."""

    slug: str
    title: str
    description: str = ""
    keywords: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Classifier knobs, overridable under `classifier:` in themes.yaml."""

    title_weight: float = 3.0  # a title word says more than an abstract word
    min_score: float = 2.0  # below this a paper is unsorted
    secondary_ratio: float = 0.6  # a runner-up this close becomes a secondary theme
    max_secondary: int = 2


@dataclass(frozen=True)
class Taxonomy:
    """The themes in navigation order, plus the classifier settings."""

    themes: tuple[Theme, ...]
    settings: Settings = Settings()

    def get(self, slug: str) -> Theme | None:
        """The theme with this slug, if the taxonomy lists it."""
        return next((theme for theme in self.themes if theme.slug == slug), None)

    def slugs(self) -> list[str]:
        """Theme slugs in navigation order."""
        return [theme.slug for theme in self.themes]


@dataclass(frozen=True)
class Match:
    """One keyword hit, for explanations."""

    theme: str
    phrase: str
    where: str  # "title" or "abstract"
    count: int
    points: float


@dataclass(frozen=True)
class Decision:
    """Where a paper goes and why."""

    theme: str
    secondary: tuple[str, ...]
    scores: dict[str, float]
    matches: tuple[Match, ...]


def stem(word: str) -> str:
    """A very light stemmer: fold plain plurals so 'transformers' meets 'transformer'."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case, stemmed word tokens ('Self-Supervised' -> ['self', 'supervised'])."""
    return [stem(word) for word in WORD.findall(text.lower())]


def ngrams(tokens: list[str]) -> dict[str, int]:
    """Counts of every 1..4-word phrase in a token list."""
    counts: dict[str, int] = {}
    for n in range(1, MAX_NGRAM + 1):
        for i in range(len(tokens) - n + 1):
            phrase = " ".join(tokens[i : i + n])
            counts[phrase] = counts.get(phrase, 0) + 1
    return counts


def parse_taxonomy(data: Any, path: Path) -> Taxonomy:
    """Validate the YAML structure of themes.yaml into a Taxonomy."""
    if isinstance(data, list):
        data = {"themes": data}
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise SitegenError("expected a 'themes:' list", path)
    themes: list[Theme] = []
    for index, item in enumerate(data["themes"], start=1):
        if not isinstance(item, dict) or not item.get("slug"):
            raise SitegenError(f"theme #{index} needs at least a slug", path)
        slug = str(item["slug"])
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
            raise SitegenError(f"theme slug {slug!r} must be lowercase letters, digits, -", path)
        raw_keywords = item.get("keywords") or {}
        if isinstance(raw_keywords, list):
            raw_keywords = {str(k): 1.0 for k in raw_keywords}
        if not isinstance(raw_keywords, dict):
            raise SitegenError(f"theme {slug!r}: keywords must be a mapping", path)
        keywords = {" ".join(words(str(k))): float(v) for k, v in raw_keywords.items()}
        themes.append(
            Theme(
                slug=slug,
                title=str(item.get("title") or title_from_slug(slug)),
                description=str(item.get("description") or ""),
                keywords=keywords,
            )
        )
    known = {f for f in Settings.__dataclass_fields__}
    overrides = {k: v for k, v in (data.get("classifier") or {}).items() if k in known}
    if FALLBACK not in {t.slug for t in themes}:
        themes.append(Theme(FALLBACK, "Unsorted", "Papers that matched no theme yet."))
    return Taxonomy(tuple(themes), Settings(**overrides))


def load_taxonomy(path: Path) -> Taxonomy:
    """Read content/themes.yaml; a missing file gives a taxonomy of just the fallback."""
    if not path.exists():
        return parse_taxonomy({"themes": []}, path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SitegenError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path, mark.line + 1 if mark else None
        ) from None
    return parse_taxonomy(data, path)


def title_from_slug(slug: str) -> str:
    """A readable title for a folder the taxonomy doesn't list."""
    return slug.replace("-", " ").replace("_", " ").strip().capitalize() or slug


def classify(title: str, abstract: str, taxonomy: Taxonomy) -> Decision:
    """Score a paper against every theme and pick the best (pure, deterministic)."""
    settings = taxonomy.settings
    parts = (
        ("title", ngrams(words(title)), settings.title_weight),
        ("abstract", ngrams(words(abstract)), 1.0),
    )
    scores: dict[str, float] = {}
    matches: list[Match] = []
    for theme in taxonomy.themes:
        for phrase, weight in theme.keywords.items():
            for where, counts, factor in parts:
                count = counts.get(phrase, 0)
                if count:
                    # Repeats help, but with diminishing returns.
                    points = weight * factor * (1 + math.log(count))
                    scores[theme.slug] = scores.get(theme.slug, 0.0) + points
                    matches.append(Match(theme.slug, phrase, where, count, points))
    order = taxonomy.slugs()
    ranked = sorted(scores.items(), key=lambda item: (-item[1], order.index(item[0])))
    if not ranked or ranked[0][1] < settings.min_score:
        return Decision(FALLBACK, (), scores, tuple(matches))
    best, top = ranked[0]
    secondary = tuple(
        slug
        for slug, score in ranked[1 : 1 + settings.max_secondary]
        if score >= settings.secondary_ratio * top and score >= settings.min_score
    )
    return Decision(best, secondary, scores, tuple(matches))


def explain(decision: Decision, taxonomy: Taxonomy) -> list[str]:
    """Human-readable lines saying why a paper landed where it did."""
    lines = [f"theme: {decision.theme}"]
    if decision.secondary:
        lines.append(f"secondary: {', '.join(decision.secondary)}")
    if decision.theme == FALLBACK:
        best = max(decision.scores.values(), default=0.0)
        lines.append(f"no theme reached min_score {taxonomy.settings.min_score} (best {best:.1f})")
    ranked = sorted(decision.scores.items(), key=lambda item: -item[1])
    for slug, score in ranked[:5]:
        hits = [m for m in decision.matches if m.theme == slug]
        hits.sort(key=lambda m: -m.points)
        detail = ", ".join(
            f"{m.phrase!r} in {m.where}×{m.count} (+{m.points:.1f})" for m in hits[:6]
        )
        lines.append(f"  {slug:<24} {score:6.1f}  {detail}")
    return lines
