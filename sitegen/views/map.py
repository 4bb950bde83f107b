"""The map page: every paper placed by similarity, coloured by theme, and the dumps' timeline."""

from __future__ import annotations

from hashlib import blake2b

from sitegen.model import urls
from sitegen.text import short_title
from sitegen.views.context import (
    Crumb,
    MapGroup,
    MapInfo,
    MapPoint,
    PageView,
    TimelineBar,
)
from sitegen.views.listing import Site, common, page_info

MAP_MAX_POINTS = 2000  # above this the map draws a fixed sample, so the page stays ~0.5 MB
MAP_SIZE = 1000  # the map's viewBox is MAP_SIZE x MAP_SIZE user units
MAP_PAD = 14
MAP_RADIUS = 7
MAP_TITLE_CHARS = 100  # tooltip titles are cut here: bytes per point stay bounded
MAP_COLOURS = 9  # colours in static/style.css (--map-0 … --map-8); a second round uses rings


def sample_rank(slug: str) -> bytes:
    """A paper's place in the map's fixed sample: a hash of its slug, stable as papers come."""
    return blake2b(slug.encode("utf-8"), digest_size=8).digest()


def map_slugs(site: Site, limit: int) -> set[str]:
    """The papers the map draws: all of them, or the `limit` whose slug hashes lowest."""
    discovery = site.library.discovery
    points = discovery.points if discovery else {}
    slugs = [s for s in site.library.papers if s in points]
    if len(slugs) <= limit:
        return set(slugs)
    return set(sorted(slugs, key=sample_rank)[:limit])


def map_coordinate(value: float) -> int:
    """A [0, 1] coordinate in viewBox units, inside the padding."""
    return MAP_PAD + round(value * (MAP_SIZE - 2 * MAP_PAD))


def map_info(site: Site, limit: int | None = None) -> MapInfo:
    """Points grouped by primary theme; each theme with papers gets its own style, in nav order."""
    library = site.library
    points = library.discovery.points if library.discovery else {}
    shown = map_slugs(site, MAP_MAX_POINTS if limit is None else limit)
    members: dict[str, list[str]] = {}
    for slug in sorted(library.papers):
        members.setdefault(library.papers[slug].theme, []).append(slug)
    groups = []
    for info in (t for t in library.themes if t.primary):
        style = len(groups) % (2 * MAP_COLOURS)
        drawn = tuple(
            MapPoint(
                map_coordinate(points[s].x),
                map_coordinate(points[s].y),
                site.cards[s].url,
                short_title(site.cards[s].title, MAP_TITLE_CHARS),
            )
            for s in members.get(info.slug, [])
            if s in shown
        )
        groups.append(
            MapGroup(info, style % MAP_COLOURS, style >= MAP_COLOURS, info.primary, drawn)
        )
    total = len(library.papers)
    return MapInfo(MAP_SIZE, MAP_RADIUS, tuple(groups), total, len(shown), len(shown) < total)


def timeline_bars(site: Site) -> list[TimelineBar]:
    """The library's timeline as bars, newest dump first (as the dumps page lists them)."""
    entries = site.library.timeline
    by_name = {d.name: d for d in site.library.dumps}
    largest = max((e.added for e in entries), default=0) or 1
    return [
        TimelineBar(by_name[e.dump], e.added, e.listed, e.total, round(100 * e.added / largest, 1))
        for e in reversed(entries)
    ]


def map_page(site: Site) -> PageView:
    """map/: every paper placed by similarity, coloured by theme, and the timeline of dumps."""
    path = urls.file_of(urls.MAP)
    description = "Every paper placed by the similarity of its words, coloured by theme."
    context = common(
        site, page_info(site, path, "map", "Map of papers", description), (Crumb("Map", ""),)
    )
    context.update(map=map_info(site), timeline=timeline_bars(site))
    return PageView(path, "map.html", context)
