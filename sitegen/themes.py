"""Stage 3: the taxonomy (content/themes.yaml) and the keyword classifier over it.

The classifier is lexical and explainable: each theme lists weighted words and
phrases; a paper scores the sum of the weights it matches (title matches count
more), and lands in the best-scoring theme, or in the fallback when nothing fits.

Matching reads a text once, left to right, taking the longest listed phrase at
each position ("domain generalization" wins over "generalization"), so a specific
phrase is never also counted as the vaguer word inside it. Keywords are inverted
into one phrase -> themes table when the taxonomy is built, so classifying costs
one lookup per position and n-gram length, whatever the number of themes.
"""

from __future__ import annotations

import math
import re
from dataclasses import field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from sitegen.cache import BuildCache
from sitegen.errors import SitegenError, unknown_key
from sitegen.fsio import (
    check_number,
    check_texts,
    decode_text,
    line_node,
    line_of,
    load_yaml,
    read_input,
)
from sitegen.known import content_key
from sitegen.records import record
from sitegen.shipped import DEFAULT_THEMES

FALLBACK = "unsorted"
WORD = re.compile(r"[a-z0-9]+")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
THEME_FIELDS = {"slug", "title", "description", "keywords"}
TOP_FIELDS = {"themes", "classifier"}

# British spellings fold to American ones, so either spelling meets the keyword.
SPELLING = (("isation", "ization"), ("elling", "eling"), ("elled", "eled"))

# Words the plural rules below would mangle.
IRREGULAR = {"series": "series", "species": "species", "bias": "bias", "biases": "bias"}

# A phrase -> ((theme slug, weight), ...) table.
Index = dict[str, tuple[tuple[str, float], ...]]


@record
class Theme:
    """One entry of the taxonomy."""

    slug: str
    title: str
    description: str = ""
    keywords: dict[str, float] = field(default_factory=dict)


@record
class Settings:
    """Classifier knobs, overridable under `classifier:` in themes.yaml."""

    title_weight: float = 3.0  # a title word says more than an abstract word
    min_score: float = 2.0  # below this a paper is unsorted
    secondary_ratio: float = 0.6  # a runner-up this close becomes a secondary theme
    max_secondary: int = 2
    # The corpus stage (sitegen.corpus_themes): which keyword calls are confident enough
    # to stand, and how much the learnt centroids weigh against weak ones (0 turns it off).
    confident_score: float = 5.0
    confident_ratio: float = 0.7
    corpus_weight: float = 2.0
    corpus_seeds: float = 100.0  # the corpus weight is full once this many papers seed it
    corpus_temperature: float = 0.03
    corpus_floor: float = 0.3  # a blended score below this leaves the paper unsorted
    corpus_min_similarity: float = 0.05  # cosine to a centroid below this is no evidence


@record
class Taxonomy:
    """The themes in navigation order, plus the classifier settings."""

    themes: tuple[Theme, ...]
    settings: Settings = Settings()
    warnings: tuple[str, ...] = field(default=(), compare=False)  # unknown keys, ignored
    # Derived lookup tables, built once here rather than once per paper.
    index: Index = field(init=False, repr=False, compare=False)
    # First word of a listed phrase -> the most words any phrase starting with it has.
    reach: dict[str, int] = field(init=False, repr=False, compare=False)
    rank: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Invert the keyword lists into one phrase table (frozen, hence object.__setattr__)."""
        table: dict[str, list[tuple[str, float]]] = {}
        for theme in self.themes:
            for phrase, weight in theme.keywords.items():
                table.setdefault(phrase, []).append((theme.slug, weight))
        index = {phrase: tuple(entries) for phrase, entries in table.items()}
        reach: dict[str, int] = {}
        for phrase in index:
            first, size = phrase.split(" ", 1)[0], phrase.count(" ") + 1
            reach[first] = max(reach.get(first, 0), size)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "reach", reach)
        object.__setattr__(self, "rank", {t.slug: i for i, t in enumerate(self.themes)})

    def get(self, slug: str) -> Theme | None:
        """The theme with this slug, if the taxonomy lists it."""
        return next((theme for theme in self.themes if theme.slug == slug), None)

    def slugs(self) -> list[str]:
        """Theme slugs in navigation order."""
        return [theme.slug for theme in self.themes]


@record
class Match:
    """One keyword hit, for explanations."""

    theme: str
    phrase: str
    where: str  # "title" or "abstract"
    count: int
    points: float


@record
class Decision:
    """Where a paper goes and why."""

    theme: str
    secondary: tuple[str, ...]
    scores: dict[str, float]
    matches: tuple[Match, ...]


@lru_cache(maxsize=1 << 16)  # vocabularies repeat; caching halves tokenising time
def stem(word: str) -> str:
    """A light stemmer: fold plain plurals and British spellings ('modelling' -> 'modeling')."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    for british, american in SPELLING:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
            break
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]  # 'processes' -> 'process', 'patches' -> 'patch'
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case, stemmed word tokens ('Self-Supervised' -> ['self', 'supervised'])."""
    return [stem(word) for word in WORD.findall(text.lower())]


def phrase_counts(tokens: list[str], index: Index, reach: dict[str, int]) -> dict[str, int]:
    """Counts of listed phrases, reading left to right and taking the longest at each word."""
    counts: dict[str, int] = {}
    i = 0
    while i < len(tokens):
        step = 1
        # Only words that start some listed phrase need a look-up at all.
        for n in range(min(reach.get(tokens[i], 0), len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            if phrase in index:
                counts[phrase] = counts.get(phrase, 0) + 1
                step = n
                break
        i += step
    return counts


def parse_taxonomy(
    data: Any, path: Path, lines: dict[int, int] | None = None, text: str | None = None
) -> Taxonomy:
    """Validate the YAML structure of themes.yaml into a Taxonomy.

    `lines` maps a theme's position (1-based) to its line in the file, and `text` is the
    file's text, for the lines of error messages.
    """
    lines = lines or {}
    if isinstance(data, list):
        data = {"themes": data}
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise SitegenError("expected a 'themes:' list", path)
    warnings = [unknown_key(key, TOP_FIELDS, f"{path}: ") for key in data if key not in TOP_FIELDS]
    themes: list[Theme] = []
    for index, item in enumerate(data["themes"], start=1):
        theme = parse_theme(item, index, path, lines.get(index), warnings)
        if any(t.slug == theme.slug for t in themes):
            raise SitegenError(f"theme {theme.slug!r} is listed twice", path, lines.get(index))
        themes.append(theme)
    if FALLBACK not in {t.slug for t in themes}:
        themes.append(Theme(FALLBACK, "Unsorted", "Papers that matched no theme yet."))
    settings = parse_settings(data.get("classifier"), path, warnings, text)
    return Taxonomy(tuple(themes), settings, tuple(warnings))


def parse_theme(item: Any, index: int, path: Path, line: int | None, warnings: list[str]) -> Theme:
    """One `themes:` entry: a slug, optional title and description, weighted keywords."""
    if not isinstance(item, dict) or not item.get("slug"):
        raise SitegenError(f"theme #{index} needs at least a slug", path, line)
    slug = str(item["slug"])
    if not SLUG.fullmatch(slug):
        raise SitegenError(f"theme slug {slug!r} must be lowercase letters, digits, -", path, line)
    where = f"{path}:{line}: theme {slug!r}: " if line else f"{path}: theme {slug!r}: "
    warnings += [unknown_key(key, THEME_FIELDS, where) for key in item if key not in THEME_FIELDS]
    check_texts(item, ("title", "description"), path, lambda _: line, what=f"theme {slug!r}: ")
    return Theme(
        slug=slug,
        title=str(item.get("title") or title_from_slug(slug)),
        description=str(item.get("description") or ""),
        keywords=parse_keywords(item.get("keywords"), slug, path, line),
    )


def parse_keywords(raw: Any, slug: str, path: Path, line: int | None) -> dict[str, float]:
    """Keywords as a {phrase: weight} mapping, or a plain list (each weight 1)."""
    raw = raw or {}
    if isinstance(raw, list):
        raw = {str(k): 1.0 for k in raw}
    if not isinstance(raw, dict):
        raise SitegenError(f"theme {slug!r}: keywords must be a mapping or a list", path, line)
    keywords: dict[str, float] = {}
    for phrase, weight in raw.items():
        key = " ".join(words(str(phrase)))
        if not key:
            raise SitegenError(f"theme {slug!r}: keyword {phrase!r} has no words", path, line)
        if check_number(weight, -1e6, 1e6) is None:
            raise SitegenError(
                f"theme {slug!r}: weight of {phrase!r} must be a number from -1e6 to 1e6",
                path,
                line,
            )
        keywords[key] = float(weight)
    return keywords


# The range of each classifier setting (lowest, highest, whole number?): finite, so
# `.inf`, `.nan` and negative weights are refused with the setting's line.
SETTING_RANGES: dict[str, tuple[float, float, bool]] = {
    "title_weight": (0, 1000, False),
    "min_score": (0, 1e6, False),
    "secondary_ratio": (0, 1, False),
    "max_secondary": (0, 20, True),
    "confident_score": (0, 1e6, False),
    "confident_ratio": (0, 1, False),
    "corpus_weight": (0, 1000, False),
    "corpus_seeds": (0, 1e9, False),
    "corpus_temperature": (1e-6, 1000, False),
    "corpus_floor": (0, 1e6, False),
    "corpus_min_similarity": (-1, 1, False),
}


def parse_settings(raw: Any, path: Path, warnings: list[str], text: str | None = None) -> Settings:
    """The optional `classifier:` mapping: unknown knobs are warned about, bad values refused."""
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise SitegenError("'classifier:' must be a mapping", path)
    known = Settings.__dataclass_fields__
    warnings += [unknown_key(k, known, f"{path}: classifier: ") for k in raw if k not in known]
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            continue
        lowest, highest, whole = SETTING_RANGES[key]
        number = check_number(value, lowest, highest, whole)
        if number is None:
            kind = "a whole number" if whole else "a number"
            line = line_of(text, "classifier", key) if text is not None else None
            raise SitegenError(
                f"classifier setting {key!r} must be {kind} from {lowest:g} to {highest:g}, "
                f"not {value!r}",
                path,
                line,
            )
        overrides[key] = int(number) if whole else float(number)
    return Settings(**overrides)


def theme_lines(text: str) -> dict[int, int]:
    """Line number (1-based) of each entry under `themes:`, for error messages."""
    import yaml  # only to point at a mistake

    node = line_node(text)
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == "themes"), None)
    if not isinstance(node, yaml.SequenceNode):
        return {}
    return {i: item.start_mark.line + 1 for i, item in enumerate(node.value, start=1)}


def read_taxonomy(path: Path, text: str) -> Taxonomy:
    """Parse the text of themes.yaml (libyaml when available: the file is large)."""
    data = load_yaml(text, path)
    try:
        taxonomy = parse_taxonomy(data, path)
    except SitegenError:
        # Only now pay for a second, line-aware parse, to point at the faulty theme.
        return parse_taxonomy(data, path, theme_lines(text), text)
    return parse_taxonomy(data, path, theme_lines(text), text) if taxonomy.warnings else taxonomy


def themes_file(content: Path) -> Path:
    """The site's content/themes.yaml, or sitegen's default taxonomy when it has none."""
    own = content / "themes.yaml"
    return own if own.exists() else DEFAULT_THEMES


def load_taxonomy(path: Path, cache: BuildCache | None = None) -> Taxonomy:
    """Read content/themes.yaml; a missing file gives a taxonomy of just the fallback."""
    if not path.exists():
        return parse_taxonomy({"themes": []}, path)
    data = read_input(path)
    text = decode_text(data, path)
    if cache is None:
        return read_taxonomy(path, text)
    return cache.parse("taxonomy", content_key(path, data), partial(read_taxonomy, path, text))


def title_from_slug(slug: str) -> str:
    """A readable title for a folder the taxonomy doesn't list."""
    return slug.replace("-", " ").replace("_", " ").strip().capitalize() or slug


def classify(title: str, abstract: str, taxonomy: Taxonomy) -> Decision:
    """Score a paper against every theme and pick the best (pure, deterministic)."""
    settings = taxonomy.settings
    parts = (
        ("title", words(title), settings.title_weight),
        ("abstract", words(abstract), 1.0),
    )
    scores: dict[str, float] = {}
    matches: list[Match] = []
    for where, tokens, factor in parts:
        counts = phrase_counts(tokens, taxonomy.index, taxonomy.reach)
        for phrase, count in counts.items():
            for slug, weight in taxonomy.index[phrase]:
                # Repeats help, but with diminishing returns.
                points = weight * factor * (1 + math.log(count))
                scores[slug] = scores.get(slug, 0.0) + points
                matches.append(Match(slug, phrase, where, count, points))
    ranked = rank_scores(scores, taxonomy)
    if not ranked or ranked[0][1] < settings.min_score:
        return Decision(FALLBACK, (), scores, tuple(matches))
    best, top = ranked[0]
    secondary = tuple(
        slug
        for slug, score in ranked[1 : 1 + settings.max_secondary]
        if score >= settings.secondary_ratio * top and score >= settings.min_score
    )
    return Decision(best, secondary, scores, tuple(matches))


def rank_scores(scores: dict[str, float], taxonomy: Taxonomy) -> list[tuple[str, float]]:
    """Themes by falling score; ties go to the theme listed first in themes.yaml."""
    last = len(taxonomy.rank)
    return sorted(scores.items(), key=lambda item: (-item[1], taxonomy.rank.get(item[0], last)))


def explain(decision: Decision, taxonomy: Taxonomy) -> list[str]:
    """Human-readable lines saying why a paper landed where it did."""
    settings = taxonomy.settings
    lines = [f"theme: {decision.theme}"]
    if decision.secondary:
        lines.append(f"secondary: {', '.join(decision.secondary)}")
    if decision.theme == FALLBACK:
        best = max(decision.scores.values(), default=0.0)
        lines.append(f"no theme reached min_score {settings.min_score:g} (best {best:.1f})")
    lines.append(
        f"score = sum of keyword weight × (1 + ln count), × {settings.title_weight:g} in the title"
    )
    for slug, score in rank_scores(decision.scores, taxonomy)[:5]:
        hits = sorted(
            (m for m in decision.matches if m.theme == slug), key=lambda m: (-m.points, m.phrase)
        )
        detail = ", ".join(
            f"{m.phrase!r} in {m.where}×{m.count} (+{m.points:.1f})" for m in hits[:6]
        )
        more = f", … {len(hits) - 6} more" if len(hits) > 6 else ""
        lines.append(f"  {slug:<24} {score:6.1f}  {detail}{more}")
    return lines
