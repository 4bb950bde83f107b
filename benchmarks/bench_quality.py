"""Quality of discovery on hand-judged data: theme accuracy and key-term precision.

    python benchmarks/bench_quality.py

Themes: tests/data/theme_labels.yaml labels the 360 papers of the shipped dumps (`also:`
lists acceptable alternatives). The sample is split in two fixed halves by a hash of the
title key: the tuning half (0) is the only one settings were ever chosen on; the
held-out half (1) was only measured. Both classifier stages run over the whole corpus,
as an ingest of the shipped dumps does.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.catalog import title_key  # noqa: E402
from sitegen.corpus_themes import CorpusPaper, place_all  # noqa: E402
from sitegen.ingest import read_dumps  # noqa: E402
from sitegen.themes import FALLBACK, Taxonomy, Theme, load_taxonomy  # noqa: E402

if TYPE_CHECKING:
    from sitegen.discover import Discovery

DATA = REPO / "tests" / "data"
HALVES = {"tuning": 0, "held-out": 1}


@dataclass(frozen=True)
class Labelled:
    """One hand-labelled paper of the shipped corpus."""

    key: str  # title key
    title: str
    abstract: str
    acceptable: frozenset[str]

    @property
    def half(self) -> int:
        """0 (tuning) or 1 (held-out): fixed by the title, never by the data."""
        return int(hashlib.sha256(self.key.encode()).hexdigest()[:8], 16) % 2


def shipped_papers() -> dict[str, tuple[str, str]]:
    """title_key -> (title, abstract) for the distinct papers of the shipped dumps."""
    dumps, _ = read_dumps(REPO / "content" / "dumps")
    papers: dict[str, tuple[str, str]] = {}
    for dump in dumps:
        for entry in dump.entries:
            papers.setdefault(title_key(entry.title), (entry.title, entry.abstract))
    return papers


def labelled_themes() -> list[Labelled]:
    """Every row of theme_labels.yaml, with its paper's text."""
    papers = shipped_papers()
    rows = yaml.safe_load((DATA / "theme_labels.yaml").read_text(encoding="utf-8"))
    found = []
    for row in rows:
        key = title_key(row["title"])
        title, abstract = papers[key]
        found.append(
            Labelled(key, title, abstract, frozenset({row["theme"], *row.get("also", [])}))
        )
    return found


@dataclass(frozen=True)
class Accuracy:
    """Share in an acceptable theme and share unsorted, over some papers."""

    papers: int
    acceptable: float
    unsorted: float


def dump_by_dump(taxonomy: Taxonomy) -> dict[str, str]:
    """title_key -> theme when the shipped dumps are ingested one at a time, oldest first:
    each new paper is placed by both stages, learning from the corpus as it stood then."""
    dumps, _ = read_dumps(REPO / "content" / "dumps")
    seen: dict[str, CorpusPaper] = {}
    themes: dict[str, str] = {}
    for dump in dumps:
        new = {title_key(e.title): e for e in dump.entries if title_key(e.title) not in seen}
        seen.update({k: CorpusPaper(k, e.title, e.abstract) for k, e in new.items()})
        placed = place_all(list(seen.values()), taxonomy, only=set(new))
        themes.update({key: placement.theme for key, placement in placed.items()})
    return themes


def theme_accuracy(
    taxonomy: Taxonomy, stages: int = 2, one_by_one: bool = False
) -> dict[str, Accuracy]:
    """Accuracy of the keyword stage alone (stages=1) or both, per half and whole; both
    stages over all dumps at once, or (one_by_one) as ingesting them one at a time places."""
    labelled = labelled_themes()
    if one_by_one:
        theme = dump_by_dump(taxonomy)
    else:
        corpus = [CorpusPaper(key, t, a) for key, (t, a) in shipped_papers().items()]
        placements = place_all(corpus, taxonomy)
        theme = {k: (p.theme if stages == 2 else p.keywords.theme) for k, p in placements.items()}
    parts = {name: [row for row in labelled if row.half == half] for name, half in HALVES.items()}
    parts["whole"] = labelled
    result = {}
    for name, rows in parts.items():
        good = sum(theme[row.key] in row.acceptable for row in rows)
        unsorted = sum(theme[row.key] == FALLBACK for row in rows)
        result[name] = Accuracy(
            len(rows), round(good / len(rows), 4), round(unsorted / len(rows), 4)
        )
    return result


def weakened(taxonomy: Taxonomy, keep: float, seed: int) -> Taxonomy:
    """The taxonomy with a random share of each theme's keywords left out (seeded).

    The shipped keywords were written with these papers in view; a sample they were not
    written for misses more of them. Dropping keywords imitates that.
    """
    rng = random.Random(seed)
    themes = tuple(
        Theme(
            t.slug,
            t.title,
            t.description,
            {k: w for k, w in t.keywords.items() if rng.random() < keep},
        )
        for t in taxonomy.themes
    )
    return Taxonomy(themes, taxonomy.settings)


def report_themes() -> None:
    """Print keyword-only and two-stage accuracy side by side, shipped and weakened keywords."""
    shipped = load_taxonomy(REPO / "content" / "themes.yaml")
    print("themes: share in an acceptable theme (share unsorted)")
    cases = [("shipped keywords", shipped)]
    cases += [(f"80% of keywords, seed {seed}", weakened(shipped, 0.8, seed)) for seed in range(3)]
    for name, taxonomy in cases:
        print(f"  {name}")
        modes = ((1, False, "keywords only"), (2, False, "+ corpus, at once"))
        for stages, one_by_one, label in (*modes, (2, True, "+ corpus, by dump")):
            scores = theme_accuracy(taxonomy, stages, one_by_one)
            cells = "  ".join(
                f"{part} {a.acceptable:.1%} ({a.unsorted:.1%})" for part, a in scores.items()
            )
            print(f"    {label:<18} {cells}")


# --- key terms -------------------------------------------------------------------------------

TOP = 5


def normal_term(term: str) -> str:
    """A term as matching sees it: lower case, hyphens and punctuation as spaces, no plurals."""
    from sitegen.textmap import stem

    words = "".join(c if c.isalnum() else " " for c in term.lower()).split()
    return " ".join(stem(w) for w in words)


def judged_terms() -> dict[str, frozenset[str]]:
    """title_key -> the normalised terms a careful reader accepts, for the 40 judged papers."""
    rows = yaml.safe_load((DATA / "key_terms_judged.yaml").read_text(encoding="utf-8"))
    return {title_key(r["title"]): frozenset(normal_term(t) for t in r["accept"]) for r in rows}


def shipped_discovery() -> tuple[Discovery, dict[str, str]]:
    """Discovery over the shipped corpus as a build computes it, and slug -> title key."""
    from sitegen.catalog import Paper
    from sitegen.discover import discover
    from sitegen.text import slugify

    papers, keys = [], {}
    for key, (title, abstract) in shipped_papers().items():
        slug = slugify(title)
        keys[slug] = key
        papers.append(Paper(slug, title, abstract, "", "t", ("t",), (), (), (), "", {}, ""))
    return discover(papers), keys


def shipped_key_terms() -> dict[str, tuple[str, ...]]:
    """title_key -> key terms, computed over the whole shipped corpus as a build does."""
    found, keys = shipped_discovery()
    return {keys[slug]: terms for slug, terms in found.key_terms.items()}


def precision_at(
    terms: dict[str, tuple[str, ...]], k: int = TOP, only: Collection[str] | None = None
) -> float:
    """Mean over the judged papers (those in `only`, if given) of accepted terms in the top k."""
    judged = {key: a for key, a in judged_terms().items() if only is None or key in only}
    hits = [
        sum(normal_term(t) in accept for t in terms.get(key, ())[:k]) / k
        for key, accept in judged.items()
    ]
    return round(sum(hits) / len(hits), 4)


def report_key_terms() -> None:
    """Print precision@5 per half and whole, every judged paper's terms, and the top chips."""
    found, keys = shipped_discovery()
    terms = {keys[slug]: t for slug, t in found.key_terms.items()}
    for name, half in HALVES.items():
        part = {k: t for k, t in terms.items() if Labelled(k, "", "", frozenset()).half == half}
        print(f"key terms: precision@{TOP}, {name} half {precision_at(part, only=part):.3f}")
    judged = len(judged_terms())
    print(f"key terms: precision@{TOP} on {judged} judged papers {precision_at(terms):.3f}")
    titles = {key: title for key, (title, _) in shipped_papers().items()}
    for key in sorted(judged_terms()):
        print(f"  {titles[key][:60]:<60}  {', '.join(terms.get(key, ()))}")
    chips: dict[str, int] = {}
    for related in found.related.values():
        for r in related:
            for term in r.shared_terms:
                chips[term] = chips.get(term, 0) + 1
    common = sorted(chips.items(), key=lambda item: (-item[1], item[0]))[:12]
    print("most frequent related-paper chips: " + ", ".join(f"{t} {n}x" for t, n in common))


if __name__ == "__main__":
    report_themes()
    report_key_terms()
