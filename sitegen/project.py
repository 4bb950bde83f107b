"""Read a site directory (content/, templates/, static/) into memory, all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitegen.cache import BuildCache
from sitegen.catalog import (
    LEDGER_NAME,
    Paper,
    dump_membership,
    make_paper,
    read_ledger,
    read_pages,
)
from sitegen.dumps import Dump
from sitegen.errors import SitegenError
from sitegen.ingest import IngestResult, read_dumps
from sitegen.themes import Taxonomy, load_taxonomy

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class SiteConfig:
    """content/site.yaml: the reading list's name and where it is published."""

    title: str = "Reading list"
    description: str = "Papers worth reading, grouped by theme."
    base_url: str = ""
    author: str = ""
    per_page: int = 50
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Project:
    """Everything a build needs, read from disk before anything is written."""

    root: Path
    config: SiteConfig
    taxonomy: Taxonomy
    dumps: list[Dump]
    papers: list[Paper]
    warnings: list[str]


def default_dir(name: str) -> Path:
    """The shipped templates/ or static/: inside the wheel, or at the repo's top level."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def load_config(path: Path) -> SiteConfig:
    """Read content/site.yaml; every field is optional."""
    if not path.exists():
        return SiteConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SitegenError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path, mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise SitegenError("site.yaml must be a mapping of fields", path)
    known = {k: data[k] for k in ("title", "description", "base_url", "author") if k in data}
    config = SiteConfig(**{k: str(v) for k, v in known.items()})
    if "per_page" in data:
        try:
            config.per_page = max(1, int(data["per_page"]))
        except (TypeError, ValueError):
            raise SitegenError("per_page must be a whole number", path) from None
    config.extra = {k: v for k, v in data.items() if k not in known and k != "per_page"}
    return config


def load_project(
    root: Path, cache: BuildCache | None = None, ingested: IngestResult | None = None
) -> Project:
    """Read config, taxonomy, dumps and pages (unless an ingest just did); refuse bad files."""
    content = root / "content"
    if not content.is_dir():
        raise SitegenError("no content/ folder here (use --root DIR)", root)
    config = load_config(content / "site.yaml")
    taxonomy = load_taxonomy(content / "themes.yaml", cache)
    if ingested is not None:
        dumps, pages, ledger = ingested.dumps, ingested.pages, ingested.ledger
    else:
        dumps, errors = read_dumps(content / "dumps", cache)
        if errors:
            raise errors[0]
        pages = read_pages(content / "papers", cache)
        ledger = read_ledger(content / LEDGER_NAME)
    members = dump_membership(dumps, ledger, pages)
    papers = [make_paper(page, tuple(members.get(page.slug, ())), content) for page in pages]
    warnings = [
        f"{content / 'papers' / theme}: folder is not in themes.yaml; titled from its name"
        for theme in sorted({p.theme for p in papers})
        if taxonomy.get(theme) is None
    ]
    return Project(root, config, taxonomy, dumps, papers, warnings)
