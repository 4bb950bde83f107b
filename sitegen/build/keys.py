"""Every invalidation key of the build, declared once, each from the fields its consumer reads.

- settings_stamp: sitegen's version and source (cache.code_stamp), site.yaml, themes.yaml
  (or the default taxonomy) and every template file. Changed: every page is rendered afresh.
- page_inputs: what a page is made from, before its view is made: every page reads the
  site key (the stamp, the base URL, site.yaml, the taxonomy, the dumps and their
  listings, and what pages show of each paper other than its own: seen_elsewhere);
  a paper's own page reads its paper whole as well (its page's content key and its
  dumps, all a paper is made from). Unchanged: the file is kept and
  no view is made (editing one page's notes makes one view). papers.json reads the
  site key alone.
- page_key: the stamp and the page's view (its whole template context). Changed:
  that page is rendered again (inputs that changed may still make the same view).
- PaperPageKeys: a paper's own page, once its input key changed (any dump changes the
  site key), by what paper_page shows: the paper, the cards of its neighbours in its
  theme and of its related papers, its discovery entries, the settings and the sidebar.
  Unchanged: the file is kept without making its view (a new dump leaves most papers'
  pages as they are; making and hashing every view cost ~0.4 ms a paper).
- discovery_key: each paper's slug, title and abstract (discovery_input; the text as its
  text_key, a hash made once per page content), and the base
  of oldest papers that sets the corpus statistics (model.discovery.generation).
  Changed: TF-IDF, related papers and the map are recomputed.
- search_key: every field search reads of each paper (its entry key), in order, and the
  taxonomy. Changed: the search index is updated (by difference, sitegen.search_diff).
- seen_elsewhere: what pages other than a paper's own show of it. Changed: a saved
  page needs a full build, not the quick path.

Parsed inputs have their own key, the content hash of the file (sitegen.cache).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Collection, Mapping
from dataclasses import field
from functools import lru_cache
from typing import Any

from sitegen import __version__
from sitegen.cache import code_stamp, digest, text_digest, tree_fingerprint
from sitegen.catalog import Paper
from sitegen.model.discovery import discovery_input, kept_text, related_rows
from sitegen.model.library import SectionKey
from sitegen.project import Project
from sitegen.records import mutable, record
from sitegen.render import template_dirs
from sitegen.text import json_value
from sitegen.themes import Taxonomy, themes_file
from sitegen.views.context import PageView
from sitegen.views.listing import Site
from sitegen.views.pages import NEIGHBOURS, theme_link

PICKLE_PROTOCOL = 5  # fixed, so keys don't change with the Python default


def settings_stamp(project: Project) -> str:
    """What every page depends on: the version, the settings and the templates."""
    content = project.root / "content"
    settings = [
        path.read_bytes() if path.is_file() else b""
        for path in (content / "site.yaml", themes_file(content))
    ]
    templates = tree_fingerprint(template_dirs(project.root))
    return digest(__version__, code_stamp(), *settings, templates)


def page_key(stamp: str, view: PageView) -> str:
    """What a page is made from: the templates' stamp and its view."""
    # A view is plain frozen data, so its pickle describes it completely (and is
    # several times faster to make than its repr). Equal views could pickle
    # differently only through object sharing, which costs a render, never a miss.
    hashing = Hashing(stamp, view.template)
    hashing.write(pickle.dumps(view.context, PICKLE_PROTOCOL))
    return hashing.hexdigest()


def site_key(project: Project, stamp: str, base_url: str) -> str:
    """What every page reads: the stamp, the base URL, site.yaml, the taxonomy, the dumps and
    what each listed, and what pages other than a paper's own show of each paper, in order.

    Not the papers' notes or other front matter: only their own pages show those.
    """
    shown = [seen_elsewhere(paper) for paper in project.papers]
    read = (project.config, project.taxonomy, project.dumps, project.listings, shown)
    return pickle_digest(read, stamp, base_url, unshared=True)


class Hashing:
    """A file that hashes what is written to it, keeping none of it."""

    def __init__(self, *parts: str) -> None:
        self.hash = hashed_parts(parts).copy()
        # Its write is the hash's own update: a pickler writes through it in C (~20k keys
        # of paper pages and cards at 10k papers: 10.2 -> 6.9 us each, with hashed_parts).
        self.write = self.hash.update

    def hexdigest(self) -> str:
        """The hash of all written, as a key (128 bits)."""
        return self.hash.hexdigest()[:32]


@lru_cache(maxsize=64)
def hashed_parts(parts: tuple[str, ...]) -> Any:
    """A hash that has taken in digest(*parts) (copied, never updated itself): most keys
    begin with the same few (a paper page's: the parts every one reads)."""
    hashing = hashlib.sha256()  # faster than BLAKE2b on the KBs a page's key pickles
    hashing.update(digest(*parts).encode())
    return hashing


def pickle_digest(value: object, *parts: str, unshared: bool = False) -> str:
    """The digest of some strings and value's pickle, hashed as it is written: at 100k papers
    the site key's pickle alone is ~300 MB. `unshared`: without the memo, so equal values
    give equal keys whether or not they share objects (a page parsed again shares no strings
    with the cached dumps)."""
    hashing = Hashing(*parts)
    pickler = pickle.Pickler(hashing, PICKLE_PROTOCOL)
    pickler.fast = unshared  # no memo: a shared object is written again (none is recursive)
    pickler.dump(value)
    return hashing.hexdigest()


@record
class PageInputs:
    """Each page's input key (see the module docstring), from the site key and the papers."""

    site: str
    papers: Mapping[str, Paper]

    def key(self, kind: str, name: str) -> str:
        """The input key of a page of this kind ("paper": name is its slug)."""
        if kind != "paper":
            return self.site
        made_of = paper_made_of(self.papers[name])
        if isinstance(made_of, tuple):
            return digest(self.site, *made_of)
        return pickle_digest(made_of, self.site, unshared=True)


def paper_made_of(paper: Paper) -> tuple[str, ...] | Paper:
    """What a paper is made from, for a key: its page's content key and its dumps, nothing
    else (Paper.page_key); the paper itself when it was made by hand (no page key)."""
    return (paper.page_key, *paper.dumps) if paper.page_key else paper


@mutable
class PaperPageKeys:
    """The key of each paper's own page by what views.pages.paper_page reads (see above)."""

    site: Site
    stamp: str  # the templates' stamp (build.keys.settings_stamp)
    common: str  # what every paper's page reads: the stamp, settings, sidebars, theme links
    cards: dict[str, str] = field(default_factory=dict)  # slug -> its card's key, made once
    places: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    # A card's dumps and tags by id -> (the object, kept alive, its key): each is on many
    # cards, and pickled whole on each it was half of a card key's time.
    shared: dict[int, tuple[object, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, site: Site, stamp: str) -> PaperPageKeys:
        """The keys of a site's paper pages, with the templates' stamp."""
        library = site.library
        common = (
            site.info,
            sorted(site.navs.items(), key=lambda item: item[0] or ""),
            library.config,
            library.base_url,
            [theme_link(theme) for theme in library.themes],
            (bool(library.tags), bool(library.dated_additions), library.discovery is not None),
        )
        return cls(site, stamp, pickle_digest((common, NEIGHBOURS), stamp, unshared=True))

    def warm(self) -> None:
        """Make every paper's card key and place now (a build waiting for discovery)."""
        for slug in self.site.library.papers:
            self.card(slug)
            self.place(slug)

    def for_site(self, site: Site) -> PaperPageKeys:
        """These keys for the same papers and lists with discovery in (build.model
        .given_discovery keeps the cards): the card keys and places made so far kept."""
        keys = PaperPageKeys.of(site, self.stamp)
        keys.cards, keys.places, keys.shared = self.cards, self.places, self.shared
        return keys

    def key(self, slug: str) -> str:
        """The key of one paper's page."""
        library, discovery = self.site.library, self.site.library.discovery
        position, slugs = self.place(slug)
        low = max(0, position - NEIGHBOURS)
        window = [self.card(s) for s in slugs[low : position + NEIGHBOURS + 1]]
        # Its related papers and key terms as discovery keeps them (JSON text), not as the
        # objects a page's view makes of them: making those was half of this key's time.
        related = kept_text(discovery.related, slug, related_rows) if discovery else ""
        shown = (
            paper_made_of(library.papers[slug]),  # pickling the whole paper: a quarter
            position - low,
            window,
            related,
            [self.card(row[0]) for row in json_value(related)] if related else [],
            kept_text(discovery.key_terms, slug) if discovery else "",
            discovery is not None and slug in discovery.points,
            library.added_by.get(slug, ""),
            library.listed_rank.get(slug, 0),
        )
        return pickle_digest(shown, self.common, unshared=True)

    def card(self, slug: str) -> str:
        """The key of a paper's card ("" for none): what it is made of (Cards.made_of), its
        title and abstract by their hash (text_key: a paper changed by dataclasses.replace
        must clear its page_key, catalog.Paper) and each dump and tag by its key; the card
        itself is not made."""
        found = self.cards.get(slug)  # ~100k asks at 10k papers, for 10k cards
        if found is None:
            paper = self.site.library.papers.get(slug)
            if paper is None:
                found = ""
            else:
                _, _, _, theme, theme_url, dumps, status, tags = self.site.cards.made_of(paper)
                # Strings only, each hashed with its length: pickling the whole abstract for
                # every card was a third of a new dump's paper page keys at 10k papers.
                found = digest(
                    slug, text_key(paper), theme, theme_url, status, str(len(dumps)),
                    *map(self.key_of, dumps), *map(self.key_of, tags),
                )  # fmt: skip
            self.cards[slug] = found
        return found

    def key_of(self, item: object) -> str:
        """A card's dump or tag by its key, made once (each is on many cards)."""
        known = self.shared.get(id(item))
        if known is None:
            known = self.shared[id(item)] = (item, pickle_digest(item, unshared=True))
        return known[1]

    def place(self, slug: str) -> tuple[int, tuple[str, ...]]:
        """A paper's position in its primary theme's list, and that list."""
        if slug not in self.places:
            papers = self.site.library.papers
            theme = papers[slug].theme
            slugs = tuple(self.site.library.section(SectionKey.theme(theme)).slugs)
            # A theme's list also holds the papers it is a second theme of: their pages
            # are placed in their primary theme's list, not this one.
            mine = ((i, s) for i, s in enumerate(slugs) if papers[s].theme == theme)
            self.places.update((s, (i, slugs)) for i, s in mine)
        return self.places[slug]


def discovery_key(papers: list[Paper], base: Collection[str]) -> str:
    """What discovery reads: slugs, titles and abstracts, in slug order, and which papers form
    the base that sets its corpus statistics (model.discovery.generation).

    Not the theme, the dumps or the notes: moving a page to another theme folder
    must not recompute TF-IDF and related papers (seconds at 10k papers).
    """
    return inputs_digest(papers, base)


def generation_key(papers: list[Paper], base: Collection[str]) -> str:
    """What discovery's base generation reads (sitegen.discover.Generation): the slugs,
    titles and abstracts of the base papers, and nothing of the papers after them."""
    return inputs_digest([p for p in papers if p.slug in base], ())


def inputs_digest(papers: list[Paper], base: Collection[str]) -> str:
    """The digest of the papers' discovery inputs (discovery_input), in slug order, and a base.

    A line per paper and per base slug, the papers counted first: a slug holds no space or
    line break (catalog.parse_page), a text key is hex. Joined, not a part each: a key at
    10k papers took 10 ms, made up to five times in a `sitegen add`."""
    rows = sorted([f"{paper.slug} {text_key(paper)}" for paper in papers])
    return digest(str(len(rows)), "\n".join(rows), "\n".join(sorted(base)))


def text_key(paper: Paper) -> str:
    """The hash of what discovery reads of a paper besides its slug: its title and abstract
    (discovery_input), as its page gave it, or hashed now for a paper made otherwise (or
    changed since: a paper changed by dataclasses.replace has no page_key, by the rule on
    catalog.Paper.page_key, and its text_key is not trusted either)."""
    return (
        paper.text_key
        if paper.page_key and paper.text_key
        else text_digest(*discovery_input(paper)[1:])
    )


def search_key(keys: list[str], taxonomy: Taxonomy) -> str:
    """What the search index is made from: each paper's entry key (every field search reads:
    sitegen.search.entry_keys), in order, and the taxonomy (theme titles and order)."""
    return digest(*keys, pickle.dumps(taxonomy, PICKLE_PROTOCOL))


def seen_elsewhere(paper: Paper) -> tuple[Any, ...]:
    """What pages other than a paper's own show of it: its card, record and relations (its
    title and abstract as their hash, made once per page content: the site key hashed every
    abstract again, 14 MB at 10k papers)."""
    return (
        paper.slug,
        text_key(paper),
        paper.theme,
        paper.themes,
        paper.dumps,
        paper.links,
        paper.tags,
        paper.status,
        str(paper.meta.get("added") or ""),  # as project.added_by reads it
    )
