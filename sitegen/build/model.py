"""From a Project to the model a build renders: settings stamp, discovery, library, site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2

from sitegen.build.keys import discovery_key, generation_key, settings_stamp
from sitegen.build.options import BuildOptions, SiteModel, resolve_base_url
from sitegen.cache import BuildCache
from sitegen.model.discovery import (
    MADE_KEPT_UP_TO,
    Discovery,
    KeptColumn,
    Related,
    generation,
    lazy_discovery,
    plain_discovery,
)
from sitegen.model.library import build_library
from sitegen.project import Project
from sitegen.records import record
from sitegen.render import make_environment, template_dirs
from sitegen.views.listing import make_site

if TYPE_CHECKING:  # numpy and scipy load only when discovery runs
    from sitegen.build.schedule import EarlyDiscovery
    from sitegen.discover import FoundCandidates


@record
class DiscoveryRun:
    """How a build computes discovery: `key`, discovery_key_of(project) when the caller has
    it; `spill`, a one-shot build, whose memos of the base generation go to disk as soon as
    they are read or made (BuildCache.spill), not held until the cache is saved;
    `candidates`, the base's key-term candidates, found by the side copy or a new dump's
    early copy (build.schedule.candidates_aside); `early`, discovery started while ingest
    placed the new papers (build.schedule.EarlyDiscovery)."""

    key: str = ""
    spill: bool = False
    candidates: FoundCandidates | None = None
    early: EarlyDiscovery | None = None


ON_ITS_OWN = DiscoveryRun()  # discovery computed here, with nothing given beforehand
BASE_MEMO = "discovery-base"  # the memo of the base generation (discover.Generation)


class Discovered(NamedTuple):
    """Discovery as computed (discovered), with the memos it leaves for the next build."""

    later_key: str  # the key of its base generation, which the later papers' memo is under
    later: dict | None  # the later papers' key-term candidates (the "discovery-later" memo;
    # None: written into the cache folder already, by the copy that made it)
    tokens: dict | None  # the token memo (textmap.TokenMemo.kept; None: as ingest left it)
    plain: dict[str, Any]  # discovery's plain form (model.discovery.plain_discovery)
    made_base: bool  # whether the base generation was made, not read from the cache
    written: bool = False  # whether the copy that made it wrote both memos (written_early)
    # Discovery as made, in a one-shot build of up to MADE_KEPT_UP_TO papers (lazy_discovery's
    # `made`): only in the process that made it, never sent to another.
    made: Discovery | None = None


def discovery_of(project: Project, cache: BuildCache, how: DiscoveryRun = ON_ITS_OWN) -> Discovery:
    """Key terms, related papers and map points, recomputed only when discovery_key changes
    (a memo of another key is not even read: at 10k papers, discovery's takes 0.5 s)."""
    from sitegen.textmap import TOKEN_MEMO

    key = how.key or discovery_key(project.papers, generation(project.arrival))
    kept = cache.recall("discovery", key)
    if kept is not None:
        return lazy_discovery(kept)
    early = how.early.discovery_for(key) if how.early is not None else None
    found = early or discovered(project, cache, how)
    if found.written:  # by the copy that made them, beside this process: adopted, not written
        cache.adopt("discovery-later", found.later_key)
        cache.adopt("discovery", key, found.plain)
    else:
        cache.keep("discovery-later", found.later_key, found.later)
        cache.keep("discovery", key, found.plain, new=True)
    if found.tokens is not None:
        cache.keep(*TOKEN_MEMO, found.tokens)
    if how.spill:
        cache.spill("discovery-later", TOKEN_MEMO[0])
    return lazy_discovery(found.plain, found.made)


def discovered(project: Project, cache: BuildCache, how: DiscoveryRun) -> Discovered:
    """Discovery computed (the cache's memos read, and its base generation's kept)."""
    from sitegen.discover import discover  # numpy and scipy load only when needed
    from sitegen.textmap import TOKEN_MEMO, TokenMemo

    # What depends on the base alone is kept apart: a new dump extends it, and a
    # build from it is the same computation as a clean one.
    base = generation(project.arrival)
    key = generation_key(project.papers, base)

    made_base: list[bool] = []

    def remember(make: Callable[[], dict]) -> dict:
        plain = cache.memo(BASE_MEMO, key, lambda: made_base.append(True) or make())
        if how.spill:  # discover unpacks it at once; at 100k papers, ~200 MB of text
            cache.spill(BASE_MEMO)
        return plain

    later = dict(cache.recall("discovery-later", key) or {})
    tokens = TokenMemo(cache.recall(*TOKEN_MEMO))  # ingest's, or the last build's
    # Handed to the views in a one-shot build only (`spill`), which keys paper pages by their
    # inputs: a view of values as made shares strings that one decoded from the cache does
    # not, so its pickle (a preview's page key) would differ; and serve would hold them all.
    # Otherwise only its plain form is kept: the related lists are made as their text.
    kept = how.spill and len(project.papers) <= MADE_KEPT_UP_TO
    found = discover(project.papers, base, remember, later, tokens, how.candidates, not kept)
    made = found if kept else None
    return Discovered(key, later, tokens.kept(), plain_discovery(found), bool(made_base), made=made)


def base_remembered(project: Project, cache: BuildCache) -> bool:
    """Whether the cache names a base generation of these papers (a new dump extends it)."""
    remembered = cache.memo_key(BASE_MEMO)  # none: not hashed (9 ms at 10k papers)
    return bool(remembered) and remembered == generation_key(
        project.papers, generation(project.arrival)
    )


def discovered_early(project: Project, cache: BuildCache, key: str) -> Discovered | None:
    """In a copy: discovery from the remembered base generation (build.schedule.EarlyDiscovery);
    None if the base had to be made (a damaged memo): the build then makes and keeps it.
    `key`: discovery_key_of(project), which the memo it writes is under (written_early)."""
    from sitegen.textmap import REMEMBERED

    found = discovered(project, cache, ON_ITS_OWN)
    if found.made_base:
        return None
    # Up to REMEMBERED papers, ingest's corpus stage left the tokens of every paper, as
    # discovery would keep them: this copy's are not sent back (10 MB at 10k papers).
    found = found._replace(made=None)  # its plain form is what goes back
    found = found._replace(tokens=None) if len(project.papers) <= REMEMBERED else found
    return written_early(found, cache, key)


def written_early(found: Discovered, cache: BuildCache, key: str) -> Discovered:
    """In the early copy: discovery's memo and the later papers' written into the cache
    folder now, beside the build, which adopts them (BuildCache.adopt) rather than writing
    them at its end, on one core (27 and 19 ms at 10k papers); handed back if they can't be."""
    if cache.folder is None:
        return found
    cache.keep("discovery-later", found.later_key, found.later, new=True)
    cache.keep("discovery", key, found.plain, new=True)
    try:
        cache.spill("discovery-later", "discovery")
    except OSError:  # the build writes them with the rest
        return found
    return found._replace(later=None, written=True)


def discovery_key_of(project: Project) -> str:
    """The key of the project's discovery memo (hashes every title and abstract)."""
    return discovery_key(project.papers, generation(project.arrival))


def discovery_is_due(cache: BuildCache, key: Callable[[], str]) -> bool:
    """Whether discovery must be computed: its memo is missing or was made from other papers
    (`key` makes the key). Adding a new dump's papers to a remembered base generation is
    long too: 1.6 s at 10k papers, beside the search index's 0.6 s in the side copy. With
    no memo at all, key() is not made here (it hashes every title and abstract: 11 ms at
    10k papers, before the side copy forks; discovery makes it anyway, after)."""
    remembered = cache.memo_key("discovery")
    return not remembered or remembered != key()


# Stands in for discovery until it is done: enough for the pages that show none of it
# (views.pages.SHOWS_DISCOVERY), which see only that the site has a map.
PENDING = Discovery(key_terms={}, related={}, points={})


def make_model(project: Project, options: BuildOptions, cache: BuildCache) -> SiteModel:
    """The library and site of a project, stamping the cache with its settings and templates."""
    return with_discovery(listing_model(project, options, cache), cache)


def listing_model(project: Project, options: BuildOptions, cache: BuildCache) -> SiteModel:
    """The model before discovery (PENDING): every page but those that show discovery."""
    cache.restamp(settings_stamp(project))
    base_url = resolve_base_url(options.base_url, project.config.base_url)
    library = build_library(project, base_url, PENDING)
    return SiteModel(project, make_site(library), base_url)


def draft_model(model: SiteModel, cache: BuildCache) -> SiteModel:
    """A listing model with the last build's discovery, kept to the papers still there: what
    a preview shows while discovery runs (build.run.draft_first)."""
    memo = cache.stored_memo("discovery")
    last = lazy_discovery(memo[1]) if memo is not None else PENDING
    papers = model.site.library.papers

    def still_there(related: tuple[Related, ...]) -> tuple[Related, ...]:
        return tuple(r for r in related if r.slug in papers)

    draft = Discovery(
        key_terms=KeptColumn(last.key_terms, papers),
        related=KeptColumn(last.related, papers, still_there),
        points=KeptColumn(last.points, papers),
        regions=tuple(
            replace(r, slugs=tuple(s for s in r.slugs if s in papers)) for r in last.regions
        ),
    )
    return given_discovery(model, draft)


def with_discovery(
    model: SiteModel, cache: BuildCache, how: DiscoveryRun = ON_ITS_OWN
) -> SiteModel:
    """The whole model: a listing model with discovery in (cards and sidebars kept)."""
    return given_discovery(model, discovery_of(model.project, cache, how))


def given_discovery(model: SiteModel, discovery: Discovery) -> SiteModel:
    """The model with this discovery in its library (cards and sidebars kept)."""
    library = replace(model.site.library, discovery=discovery)
    return replace(model, site=replace(model.site, library=library))


def environment_for(project: Project, cache: BuildCache) -> jinja2.Environment:
    """The Jinja environment, reused (templates compiled as used) while the stamp holds;
    build.schedule compiles every template before a fork that renders pages. A build
    without a cache folder (--clean) reuses no compiled template either."""
    if cache.environment is None or cache.environment[0] != cache.stamp:
        dirs, keep = template_dirs(project.root), cache.folder is not None
        cache.environment = (cache.stamp, make_environment(dirs, keep))
    return cache.environment[1]
