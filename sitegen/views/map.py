"""The map page: every paper placed by similarity, coloured by theme, and the dumps' timeline."""

from __future__ import annotations

import math
from collections import Counter

from sitegen.model import urls
from sitegen.model.discovery import Point, Region
from sitegen.text import short_title
from sitegen.views.context import (
    Crumb,
    DensityRun,
    MapGroup,
    MapInfo,
    MapPoint,
    MapRegion,
    PageView,
    TimelineBar,
)
from sitegen.views.listing import Site, common, page_info

MAP_MAX_POINTS = 2000  # above this the map draws density, not a dot per paper
MAP_SIZE = 1000  # the map's viewBox is MAP_SIZE x MAP_SIZE user units
MAP_PAD = 14
MAP_RADIUS = 7
MAP_TITLE_CHARS = 100  # dot titles are cut here: bytes per point stay bounded
MAP_COLOURS = 18  # colours in static/map.css (--map-0 … --map-17), in both colour schemes
DENSITY_CELL = 10  # a density cell's side, viewBox units
DENSITY_LEVELS = 5
REGION_PAPERS = 12  # papers listed per region on a big map (a small map lists them all)
EDGE = 0.2  # a region label this near the left or right edge is anchored to stay inside


def map_coordinate(value: float) -> int:
    """A [0, 1] coordinate in viewBox units, inside the padding."""
    return MAP_PAD + round(value * (MAP_SIZE - 2 * MAP_PAD))


def map_point(site: Site, slug: str, point: Point) -> MapPoint:
    """A paper as a dot: position, link and (shortened) title."""
    card = site.cards[slug]
    x, y = map_coordinate(point.x), map_coordinate(point.y)
    return MapPoint(x, y, card.url, short_title(card.title, MAP_TITLE_CHARS))


def density_runs(cells: dict[tuple[int, int], int], peak: int) -> tuple[DensityRun, ...]:
    """Occupied cells (row, column) -> papers, as runs of equal darkness along each row."""
    scale = math.log1p(peak) or 1.0
    runs: list[DensityRun] = []
    for (row, column), count in sorted(cells.items()):
        level = max(1, math.ceil(DENSITY_LEVELS * math.log1p(count) / scale))
        last = runs[-1] if runs else None
        x, y = MAP_PAD + column * DENSITY_CELL, MAP_PAD + row * DENSITY_CELL
        if last and last.y == y and last.level == level and last.x + last.width == x:
            runs[-1] = DensityRun(last.x, y, last.width + DENSITY_CELL, level)
        else:
            runs.append(DensityRun(x, y, DENSITY_CELL, level))
    return tuple(runs)


def density_cell(point: Point) -> tuple[int, int]:
    """The (row, column) of the density grid a point falls in."""
    last = (MAP_SIZE - 2 * MAP_PAD) // DENSITY_CELL
    column = min(int(point.x * (MAP_SIZE - 2 * MAP_PAD)) // DENSITY_CELL, last)
    return min(int(point.y * (MAP_SIZE - 2 * MAP_PAD)) // DENSITY_CELL, last), column


def density_by_theme(
    members: dict[str, list[str]], points: dict[str, Point], order: list[str]
) -> dict[str, tuple[DensityRun, ...]]:
    """Each cell's papers, drawn in the colour of the theme most of them are filed under.

    One shape per cell whatever the number of themes, so a big map's page stays small;
    darkness counts every paper in the cell.
    """
    counts: dict[tuple[int, int], Counter] = {}
    for theme, slugs in members.items():
        for slug in slugs:
            counts.setdefault(density_cell(points[slug]), Counter())[theme] += 1
    rank = {slug: i for i, slug in enumerate(order)}
    owned: dict[str, dict[tuple[int, int], int]] = {}
    for cell, themes in counts.items():
        top = min(themes, key=lambda t: (-themes[t], rank.get(t, len(rank)), t))
        owned.setdefault(top, {})[cell] = sum(themes.values())
    peak = max((sum(c.values()) for c in counts.values()), default=1)
    return {theme: density_runs(cells, peak) for theme, cells in owned.items()}


def theme_groups(site: Site, dense: bool) -> tuple[MapGroup, ...]:
    """Each primary theme's dots (or density), in nav order, each in its own colour."""
    library = site.library
    points = library.discovery.points if library.discovery else {}
    members: dict[str, list[str]] = {}
    for slug in sorted(library.papers):
        if slug in points:
            members.setdefault(library.papers[slug].theme, []).append(slug)
    primary = [t for t in library.themes if t.primary]
    density = density_by_theme(members, points, [t.slug for t in primary]) if dense else {}
    return tuple(
        MapGroup(
            info,
            number % MAP_COLOURS,
            info.primary,
            ()
            if dense
            else tuple(map_point(site, s, points[s]) for s in members.get(info.slug, [])),
            density.get(info.slug, ()),
        )
        for number, info in enumerate(primary)
    )


CODE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def packed_coordinates(site: Site) -> str:
    """Every paper's dot position, 4 characters each (x then y, 12 bits as 2 base-64 digits),
    in the order they arrived: the search's own numbering, so a big map can mark its hits."""
    points = site.library.discovery.points if site.library.discovery else {}
    out = []
    for slug in site.library.arrival:
        point = points.get(slug)
        values = (map_coordinate(point.x), map_coordinate(point.y)) if point else (0, 0)
        out.extend(CODE[v >> 6] + CODE[v & 63] for v in values)
    return "".join(out)


def map_region(site: Site, number: int, region: Region, dense: bool) -> MapRegion:
    """A region as the map labels and lists it."""
    points = site.library.discovery.points if site.library.discovery else {}
    anchor = "start" if region.x < EDGE else "end" if region.x > 1 - EDGE else "middle"
    listed = region.slugs[:REGION_PAPERS] if dense else region.slugs
    return MapRegion(
        number,
        region.terms[0],
        region.terms,
        map_coordinate(region.x),
        min(max(map_coordinate(region.y), 3 * MAP_PAD), MAP_SIZE - 2 * MAP_PAD),
        anchor,
        len(region.slugs),
        tuple(map_point(site, s, points[s]) for s in listed if s in site.cards),
    )


def map_info(site: Site, limit: int | None = None) -> MapInfo:
    """The map: dots by theme (density above `limit` papers) and the named regions."""
    library = site.library
    total = len(library.papers)
    dense = total > (MAP_MAX_POINTS if limit is None else limit)
    regions = library.discovery.regions if library.discovery else ()
    named = [r for r in regions if r.terms[0] and r.slugs]
    return MapInfo(
        MAP_SIZE,
        MAP_RADIUS,
        DENSITY_CELL if dense else 0,
        theme_groups(site, dense),
        tuple(map_region(site, n, r, dense) for n, r in enumerate(named, start=1)),
        total,
        dense,
        packed_coordinates(site) if dense else "",
    )


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
