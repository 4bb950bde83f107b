"""What discovery (sitegen.discover) hands to the views: plain frozen data, no numpy.

A build that reuses the discovery memo, and every view, read only these types, so
numpy and scipy load only when discovery must be recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sitegen.catalog import Paper
from sitegen.records import record
from sitegen.text import json_encoder, json_value

V = TypeVar("V")


@record
class Related:
    """One related paper and the terms both papers weigh heavily (the explanation)."""

    slug: str
    score: float  # cosine similarity over the papers' heaviest terms, 0..1
    shared_terms: tuple[str, ...]


@record
class Point:
    """A paper's place on the map, both coordinates in [0, 1] (y grows downwards in SVG)."""

    x: float
    y: float


@record
class Region:
    """A cluster of papers on the map, with the phrases that name it (sitegen.regions)."""

    terms: tuple[str, ...]  # its names, the best first ("" for a region with no shared term)
    x: float  # where its label goes: its papers' mean, in [0, 1]
    y: float
    slugs: tuple[str, ...]  # its papers: those with its names first, then nearest its middle


@record
class Discovery:
    """Everything the renderer attaches to paper views, keyed by paper slug."""

    key_terms: Mapping[str, tuple[str, ...]]
    related: Mapping[str, tuple[Related, ...]]
    points: Mapping[str, Point]
    regions: tuple[Region, ...] = ()  # the map's clusters, named by their key phrases


class LazyColumn(Mapping[str, V]):
    """Slug -> value, kept as JSON text and made when first asked for: a build that renders
    a few paper pages (a notes edit) reads a few papers' discovery, not 60k objects of it.
    `keep`: how many values made are kept (the most recent; None: all of them)."""

    def __init__(
        self,
        slugs: list[str],
        texts: list[str],
        make: Callable[[Any], V],
        keep: int | None,
        made: Mapping[str, V] | None = None,
    ):
        self.texts = dict(zip(slugs, texts, strict=True))
        self.make, self.keep = make, keep
        self.made: dict[str, V] = dict(made or {})  # `made`: the values, made already

    def __getitem__(self, slug: str) -> V:
        value = self.made.get(slug)
        if value is None:
            value = self.make(json_value(self.texts[slug]))
            if self.keep is not None and len(self.made) >= self.keep:
                del self.made[next(iter(self.made))]  # the oldest made
            self.made[slug] = value
        return value

    def get(self, slug: str, default: Any = None) -> Any:  # type: ignore[override]
        """A paper's value, or `default` (without Mapping.get's try/except: 6 a paper page)."""
        return self[slug] if slug in self.texts else default

    def __contains__(self, slug: object) -> bool:
        return slug in self.texts

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    def __getstate__(self) -> dict[str, Any]:
        # A kept model (sitegen.snapshot) goes without the values made: the next build makes
        # the few its pages ask for (a build that made discovery holds them all: `made`).
        return {**self.__dict__, "made": {}}


class KeptColumn(Mapping[str, V]):
    """A column's values for the slugs `kept` holds only, each made (by `value`) when asked
    for: a preview's draft reads the last discovery of a few pages, where a copy of the
    whole column cost ~0.4 s at 10k papers."""

    def __init__(
        self,
        column: Mapping[str, V],
        kept: Mapping[str, object],
        value: Callable[[V], V] | None = None,
    ):
        self.column, self.kept, self.value = column, kept, value

    def __getitem__(self, slug: str) -> V:
        if slug not in self.kept:
            raise KeyError(slug)
        found = self.column[slug]
        return found if self.value is None else self.value(found)

    def __contains__(self, slug: object) -> bool:
        return slug in self.kept and slug in self.column

    def __iter__(self) -> Iterator[str]:
        return (slug for slug in self.column if slug in self.kept)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def plain_discovery(discovery: Discovery) -> dict[str, Any]:
    """Discovery as the build cache keeps it: per field, the slugs and each one's JSON text
    (plain strings decode ~10x faster than the dataclasses they stand for)."""
    return {
        "key_terms": column(discovery.key_terms),
        "related": column(discovery.related, related_rows),
        "points": column(discovery.points, plain_point),
        "regions": discovery.regions,
    }


RelatedRow = tuple[str, float, tuple[str, ...]]  # a related paper's fields, as kept


def related_rows(related: Iterable[Related]) -> list[RelatedRow]:
    """A paper's related papers as kept: a row of each one's fields (dataclasses.astuple
    copies deeply: 0.2 s at 10k papers)."""
    return [(r.slug, r.score, r.shared_terms) for r in related]


def related_column(
    lists: Iterable[tuple[str, list[RelatedRow]]], as_text: bool
) -> Mapping[str, tuple[Related, ...]]:
    """Every paper's related papers from their rows (slug, rows), as made; or (`as_text`: no
    view reads them as made, build.model.discovered) as the text kept (a LazyColumn): at 100k
    papers, the objects held ~100 MB at discovery's peak, and a copy that only sends the text
    back made 60k objects at 10k papers to encode them (0.23 s)."""
    if not as_text:
        return {slug: tuple(Related(*row) for row in rows) for slug, rows in lists}
    slugs, texts = [], []
    for slug, rows in lists:
        slugs.append(slug)
        texts.append(COMPACT_JSON(rows))
    return LazyColumn(slugs, texts, related_of, RECENT)


def kept_text(column: Mapping[str, Any], slug: str, plain: Callable[[Any], Any] = tuple) -> str:
    """A paper's value in a discovery column as the JSON text plain_discovery keeps of it
    ("" for none): a LazyColumn's own, without making the value (a page's key reads it for
    every paper), else the value made plain (`plain`) and encoded."""
    if isinstance(column, LazyColumn):
        return column.texts.get(slug, "")
    value = column.get(slug)
    return "" if value is None else COMPACT_JSON(plain(value))


# Many small values (30k a discovery at 10k papers): 73 -> 40 ms with the encoder made once.
COMPACT_JSON = json_encoder((",", ":"), ascii_only=True)


def column(values: Mapping[str, Any], plain: Callable[[Any], Any] | None = None) -> list[list[str]]:
    """[slugs, their values (made plain by `plain`) as JSON text]: a LazyColumn's own."""
    if isinstance(values, LazyColumn):
        return [list(values.texts), list(values.texts.values())]
    made = values.values() if plain is None else map(plain, values.values())
    return [list(values), [COMPACT_JSON(v) for v in made]]


def lazy_discovery(plain: dict[str, Any], made: Discovery | None = None) -> Discovery:
    """The Discovery that plain_discovery() kept, each paper's values made when first asked for
    (`made`: that discovery itself, whose key terms and related papers are then not made
    again from their text: at 10k papers, a sixth of making the paper pages' views)."""
    return Discovery(
        LazyColumn(*plain["key_terms"], tuple, RECENT, made.key_terms if made else None),
        LazyColumn(*plain["related"], related_of, RECENT, made.related if made else None),
        LazyColumn(*plain["points"], point_of, None),  # the map pages read them all, often
        plain["regions"],
    )


# A paper page asks for its key terms and related papers twice (its key, then its view),
# one page at a time: all of them kept grew each renderer by ~1 KB a page (100k papers).
RECENT = 64
# Up to this many papers, the discovery a one-shot build just made gives its views its values
# as made (lazy_discovery's `made`): ~1 KB a paper held to the end, which at 100k papers
# would meet the peak of its memory. Above, and wherever only the plain form is kept,
# related_column makes the related lists as their text at once (build.model.discovered).
MADE_KEPT_UP_TO = 50_000


def plain_point(point: Point) -> list[float]:
    """A paper's map point as kept: its JSON pair."""
    return [point.x, point.y]


def point_of(xy: list[float]) -> Point:
    """A paper's map point from its JSON pair."""
    return Point(*xy)


def related_of(rows: list[list[Any]]) -> tuple[Related, ...]:
    """A paper's related papers from their JSON rows (slug, score, shared terms)."""
    return tuple(Related(slug, score, tuple(terms)) for slug, score, terms in rows)


def discovery_input(paper: Paper) -> tuple[str, str, str]:
    """All that discover() reads of a paper (the build keys its memo on exactly this)."""
    return (paper.slug, paper.title, paper.abstract)


# Discovery's corpus statistics (document frequencies, which terms count) come from a base
# of the oldest papers, so they stay put while a list grows: a new dump then leaves the key
# terms and related papers of older pages as they were, unless a new paper is closer.
GENERATION_START = 256  # a list smaller than this: every paper is in the base
GENERATION_GROWTH = (5, 4)  # the base grows by a quarter at a time


def generation_size(papers: int) -> int:
    """How many of the oldest papers form the base: all of a small list, else the largest
    256 × 1.25^k that fits (…, 7,275, 9,094, 11,368, …)."""
    if papers < GENERATION_START:
        return papers
    grow, by = GENERATION_GROWTH
    size, numerator, denominator = GENERATION_START, GENERATION_START * grow, by
    while numerator // denominator <= papers:
        size = numerator // denominator
        numerator, denominator = numerator * grow, denominator * by
    return size


def generation(arrival: Sequence[str]) -> frozenset[str]:
    """The base: the slugs of the oldest papers (arrival lists them oldest first)."""
    return frozenset(arrival[: generation_size(len(arrival))])
