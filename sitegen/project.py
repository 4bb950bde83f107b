"""Read a site directory (content/, templates/, static/) into memory, all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sitegen.cache import BuildCache
from sitegen.catalog import (
    LEDGER_NAME,
    Listings,
    Paper,
    dump_listings,
    dump_membership,
    make_paper,
    read_ledger,
    read_pages,
)
from sitegen.dumps import Dump
from sitegen.errors import SitegenError, unknown_key
from sitegen.fsio import load_yaml
from sitegen.ingest import IngestResult, read_dumps
from sitegen.shipped import shipped
from sitegen.themes import Taxonomy, load_taxonomy, themes_file


@dataclass
class SiteConfig:
    """content/site.yaml: the reading list's name and where it is published."""

    title: str = "Reading list"
    description: str = "Papers worth reading, grouped by theme."
    base_url: str = ""
    author: str = ""
    per_page: int = 50
    repo_url: str = ""  # the list's repository, for "Edit this page" links (as in MkDocs)
    edit_uri: str = ""  # path from repo_url to content/ in its web editor; GitHub/GitLab guessed
    warnings: list[str] = field(default_factory=list, compare=False)  # unknown keys, ignored


TEXT_FIELDS = ("title", "description", "base_url", "author", "repo_url", "edit_uri")
CONFIG_FIELDS = (*TEXT_FIELDS, "per_page")


@dataclass
class Project:
    """Everything a build needs, read from disk before anything is written."""

    root: Path
    config: SiteConfig
    taxonomy: Taxonomy
    dumps: list[Dump]
    papers: list[Paper]
    warnings: list[str]
    listings: Listings = field(default_factory=dict)  # dump -> its papers' slugs, as listed


def default_dir(name: str) -> Path:
    """The shipped templates/ or static/: inside the wheel, or at the repo's top level."""
    return shipped(name)


def load_config(path: Path) -> SiteConfig:
    """Read content/site.yaml; every field is optional."""
    if not path.exists():
        return SiteConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SitegenError("not UTF-8 text", path) from None
    data = load_yaml(text, path) or {}
    if not isinstance(data, dict):
        raise SitegenError("site.yaml must be a mapping of fields", path)
    known = {k: data[k] for k in TEXT_FIELDS if k in data}
    config = SiteConfig(**{k: str(v) for k, v in known.items()})
    if "per_page" in data:
        try:
            config.per_page = max(1, int(data["per_page"]))
        except (TypeError, ValueError):
            raise SitegenError("per_page must be a whole number", path) from None
    if config.repo_url and not config.repo_url.startswith(("https://", "http://")):
        raise SitegenError("repo_url must start with https:// or http://", path)
    unknown = [key for key in data if key not in CONFIG_FIELDS]
    lines = key_lines(text) if unknown else {}  # a second parse, only to point at a mistake
    config.warnings = [
        unknown_key(key, CONFIG_FIELDS, f"{path}:{lines[key]}: " if key in lines else f"{path}: ")
        for key in unknown
    ]
    return config


def key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key of a YAML mapping."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 for key, _ in node.value}


def load_project(
    root: Path, cache: BuildCache | None = None, ingested: IngestResult | None = None
) -> Project:
    """Read config, taxonomy, dumps and pages (unless an ingest just did); refuse bad files."""
    content = root / "content"
    if not content.is_dir():
        raise SitegenError("no content/ folder here (use --root DIR)", root)
    config = load_config(content / "site.yaml")
    taxonomy = load_taxonomy(themes_file(content), cache)
    if ingested is not None:
        dumps, pages, ledger = ingested.dumps, ingested.pages, ingested.ledger
    else:
        dumps, errors = read_dumps(content / "dumps", cache)
        if errors:
            raise errors[0]
        pages = read_pages(content / "papers", cache)
        ledger = read_ledger(content / LEDGER_NAME)
    listings = dump_listings(dumps, ledger, pages)
    members = dump_membership(listings)
    papers = [make_paper(page, tuple(members.get(page.slug, ())), content) for page in pages]
    warnings = [*config.warnings, *taxonomy.warnings]
    warnings += [
        f"{content / 'papers' / theme}: folder is not in themes.yaml; titled from its name"
        for theme in sorted({p.theme for p in papers})
        if taxonomy.get(theme) is None
    ]
    return Project(root, config, taxonomy, dumps, papers, warnings, listings)
