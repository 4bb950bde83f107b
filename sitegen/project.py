"""Read a site directory (content/, templates/, static/) into memory, all at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from functools import cached_property, partial
from pathlib import Path

from sitegen.cache import BuildCache
from sitegen.catalog import (
    LEDGER_NAME,
    Listings,
    Page,
    Paper,
    dump_listings,
    dump_membership,
    make_paper,
    read_ledger,
    read_pages,
    stray_pages,
)
from sitegen.dumps import DumpSummary
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
from sitegen.ingest import IngestResult, read_dumps, skipped_dump, stray_dumps
from sitegen.known import content_key
from sitegen.model.urls import base_url_problem
from sitegen.records import mutable
from sitegen.shipped import shipped
from sitegen.text import plural
from sitegen.themes import Taxonomy, load_taxonomy, themes_file


@mutable
class SiteConfig:
    """content/site.yaml: the reading list's name and where it is published."""

    title: str = "Reading list"
    description: str = "Papers worth reading, grouped by theme."
    base_url: str = ""
    author: str = ""
    per_page: int = 50
    repo_url: str = ""  # the list's repository, for "Edit this page" links (as in MkDocs)
    edit_uri: str = ""  # path from repo_url to content/ in its web editor; GitHub/GitLab guessed
    large_site: bool | None = None  # lean pages for very large lists; None: from LARGE_SITE_PAPERS
    warnings: list[str] = field(default_factory=list, compare=False)  # unknown keys, ignored


MAX_PER_PAGE = 10_000  # a bigger page is no longer a page
TEXT_FIELDS = ("title", "description", "base_url", "author", "repo_url", "edit_uri")
CONFIG_FIELDS = (*TEXT_FIELDS, "per_page", "large_site")
LARGE_SITE_CHOICES = {True: True, False: False, "auto": None, None: None}  # site.yaml's large_site


@mutable
class Project:
    """Everything a build needs, read from disk before anything is written."""

    root: Path
    config: SiteConfig
    taxonomy: Taxonomy
    dumps: list[DumpSummary]
    papers: list[Paper]
    warnings: list[str]
    listings: Listings = field(default_factory=dict)  # dump -> its papers' slugs, as listed

    @cached_property  # the library, the search index and discovery each ask: found once
    def adders(self) -> dict[str, str]:
        """The dump that added each paper (added_by)."""
        return added_by(self.papers, self.dumps)

    @cached_property  # the same (a sort of every paper: 20 ms at 10k, asked 4 times a build)
    def arrival(self) -> tuple[str, ...]:
        """Slugs oldest first: by the dump that added each paper (in project order), then
        those no dump added; ties by slug."""
        return arrived([paper.slug for paper in self.papers], self.adders, self.dumps)

    def with_papers(self, papers: list[Paper]) -> Project:
        """The project with these papers in place of its own, each saved with changes only
        its own page shows (build.fast.quick_model): the dump that added each, and so the
        order they arrived in, are this project's (keys.seen_elsewhere holds both)."""
        changed = replace(self, papers=papers)
        for name in ("adders", "arrival"):  # cached_property's values: each made once
            if name in self.__dict__:
                changed.__dict__[name] = self.__dict__[name]
        return changed


def added_by(papers: list[Paper], dumps: list[DumpSummary]) -> dict[str, str]:
    """The dump that added each paper: the `added:` ingest wrote, else the first dump listing it.

    `added:` wins because dumps are ordered by date: a dump dated earlier but
    ingested later lists papers an earlier ingest had already added.
    """
    known = {dump.name for dump in dumps}
    found = {}
    for paper in papers:
        recorded = str(paper.meta.get("added") or "")
        if recorded in known:
            found[paper.slug] = recorded
        elif paper.dumps:
            found[paper.slug] = paper.dumps[0]
    return found


def arrived(
    slugs: list[str], adder: Mapping[str, str], dumps: list[DumpSummary]
) -> tuple[str, ...]:
    """Project.arrival from the dump that added each paper and the dumps in project order."""
    order = {dump.name: i for i, dump in enumerate(dumps)}
    late = len(order)
    return tuple(sorted(slugs, key=lambda slug: (order.get(adder.get(slug, ""), late), slug)))


def default_dir(name: str) -> Path:
    """The shipped templates/ or static/: inside the wheel, or at the repo's top level."""
    return shipped(name)


def load_config(path: Path, cache: BuildCache | None = None) -> SiteConfig:
    """Read content/site.yaml (parsed once per content, when there is a cache)."""
    if not path.exists():
        return SiteConfig()
    data = read_input(path)
    text = decode_text(data, path)
    if cache is None:
        return read_config(path, text)
    return cache.parse("config", content_key(path, data), partial(read_config, path, text))


def read_config(path: Path, text: str) -> SiteConfig:
    """Parse the text of content/site.yaml; every field is optional."""
    data = load_yaml(text, path) or {}
    if not isinstance(data, dict):
        raise SitegenError("site.yaml must be a mapping of fields", path)
    check_texts(data, TEXT_FIELDS, path, partial(line_of, text))
    # A field left empty (`title:`) is one not given: its default, as when it is not there.
    config = SiteConfig(**{k: str(data[k]) for k in TEXT_FIELDS if data.get(k) is not None})
    if "per_page" in data:
        per_page = check_number(data["per_page"], 1, MAX_PER_PAGE, whole=True)
        if per_page is None:
            raise SitegenError(
                f"per_page must be a whole number from 1 to {MAX_PER_PAGE}, "
                f"not {data['per_page']!r}",
                path,
                line_of(text, "per_page"),
            )
        config.per_page = int(per_page)
    if "large_site" in data:
        choice = data["large_site"]
        if not isinstance(choice, (bool, str, type(None))) or choice not in LARGE_SITE_CHOICES:
            raise SitegenError(
                f"large_site must be true, false or auto, not {choice!r}",
                path,
                line_of(text, "large_site"),
            )
        config.large_site = LARGE_SITE_CHOICES[choice]
    if config.repo_url and not config.repo_url.startswith(("https://", "http://")):
        raise SitegenError("repo_url must start with https:// or http://", path)
    problem = base_url_problem(config.base_url.strip())
    if problem:
        raise SitegenError(f"base_url {problem}", path, line_of(text, "base_url"))
    unknown = [key for key in data if key not in CONFIG_FIELDS]
    lines = key_lines(text) if unknown else {}  # a second parse, only to point at a mistake
    config.warnings = [
        unknown_key(key, CONFIG_FIELDS, f"{path}:{lines[key]}: " if key in lines else f"{path}: ")
        for key in unknown
    ]
    return config


def key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key of a YAML mapping."""
    import yaml  # only to point at a mistake

    node = line_node(text)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 for key, _ in node.value}


def papers_of(
    pages: list[Page], members: dict[str, list[str]], content: Path, cache: BuildCache | None
) -> list[Paper]:
    """Each page as a paper, with the dumps that listed it; one an earlier build of this
    process made from the same page object and dumps is reused (BuildCache.papers)."""
    made = cache.papers if cache is not None else {}
    kept: dict[int, tuple[Page, tuple[str, ...], Paper]] = {}
    for page in pages:
        dumps = tuple(members.get(page.slug, ()))
        old = made.get(id(page))
        same = old is not None and old[0] is page and old[1] == dumps
        kept[id(page)] = (page, dumps, old[2] if same else make_paper(page, dumps, content))
    if cache is not None:
        cache.papers = kept  # the pages of this build only
    return [kept[id(page)][2] for page in pages]


def theme_warnings(content: Path, papers: list[Paper], taxonomy: Taxonomy) -> list[str]:
    """Themes the taxonomy does not list, each titled from its name: a page's folder, or a
    name in a page's `themes:` that is no folder either (a typo makes a theme of its own)."""
    folders = sorted({p.theme for p in papers})
    found = [
        f"{content / 'papers' / theme}: folder is not in themes.yaml; titled from its name"
        for theme in folders
        if taxonomy.get(theme) is None
    ]
    known, named = set(folders), {}  # each unknown name: the pages naming it
    for paper in papers:
        for name in paper.themes[1:]:
            if name not in known and taxonomy.get(name) is None:
                named.setdefault(name, []).append(paper.source)
    found += [
        f"{content / sources[0]}{more_pages(len(sources) - 1)}: themes: {name!r} is not in"
        " themes.yaml nor a folder of content/papers/; a theme of its own, titled from its name"
        for name, sources in named.items()
    ]
    return found


def more_pages(count: int) -> str:
    """' and 2 more pages' after a page's path, for a warning about several ("" for none)."""
    return f" and {plural(count, 'more page')}" if count else ""


def content_warnings(content: Path) -> list[str]:
    """Files in content/ that look like inputs but that no build reads."""
    pages = [
        f"{path}: not read: a page goes straight in its theme's folder, "
        "content/papers/<theme>/<name>.md"
        for path in stray_pages(content / "papers")
    ]
    dumps = [
        f"{path}: not a folder: no dump read"
        if path == str(content / "dumps")
        else f"{path}: not a file: skipped (a name starting with '.' keeps it unread, unsaid)"
        for path in stray_dumps(content / "dumps")
    ]
    return pages + dumps


def load_project(
    root: Path, cache: BuildCache | None = None, ingested: IngestResult | None = None
) -> Project:
    """Read config, taxonomy, dumps and pages (unless an ingest just did); refuse bad files."""
    content = root / "content"
    if not content.is_dir():
        raise SitegenError("no content/ folder here (use --root DIR)", root)
    config = load_config(content / "site.yaml", cache)
    taxonomy = load_taxonomy(themes_file(content), cache)
    if ingested is not None:
        dumps, pages, ledger = ingested.dumps, ingested.pages, ingested.ledger
        skips = list(ingested.skipped)
    else:
        dumps, skipped = read_dumps(content / "dumps", cache)
        skips = [skipped_dump(error) for error in skipped]
        pages = read_pages(content / "papers", cache)
        ledger = read_ledger(content / LEDGER_NAME)
    listings = dump_listings(dumps, ledger, pages)
    members = dump_membership(listings)
    papers = papers_of(pages, members, content, cache)
    warnings = [*config.warnings, *taxonomy.warnings, *skips, *content_warnings(content)]
    warnings += theme_warnings(content, papers, taxonomy)
    summaries = [dump.summary() for dump in dumps]
    return Project(root, config, taxonomy, summaries, papers, warnings, listings)
