"""What discovery (sitegen.discover) hands to the views: plain frozen data, no numpy.

A build that reuses the discovery memo, and every view, read only these types, so
numpy and scipy load only when discovery must be recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitegen.catalog import Paper


@dataclass(frozen=True)
class Related:
    """One related paper and the terms both papers weigh heavily (the explanation)."""

    slug: str
    score: float  # cosine similarity over the papers' heaviest terms, 0..1
    shared_terms: tuple[str, ...]


@dataclass(frozen=True)
class Point:
    """A paper's place on the map, both coordinates in [0, 1] (y grows downwards in SVG)."""

    x: float
    y: float


@dataclass(frozen=True)
class Region:
    """A cluster of papers on the map, with the phrases that name it (sitegen.regions)."""

    terms: tuple[str, ...]  # its names, the best first ("" for a region with no shared term)
    x: float  # where its label goes: its papers' mean, in [0, 1]
    y: float
    slugs: tuple[str, ...]  # its papers: those with its names first, then nearest its middle


@dataclass(frozen=True)
class Discovery:
    """Everything the renderer attaches to paper views, keyed by paper slug."""

    key_terms: dict[str, tuple[str, ...]]
    related: dict[str, tuple[Related, ...]]
    points: dict[str, Point]
    regions: tuple[Region, ...] = ()  # the map's clusters, named by their key phrases


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


def generation(arrival: list[str]) -> frozenset[str]:
    """The base: the slugs of the oldest papers (arrival lists them oldest first)."""
    return frozenset(arrival[: generation_size(len(arrival))])
