"""The build: ingest, read the whole project, then write the whole site."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sitegen.catalog import Paper
from sitegen.fsio import write_if_changed
from sitegen.project import Project, load_project


@dataclass
class BuildResult:
    """What a build did."""

    project: Project
    written: int
    total: int


def paper_record(paper: Paper) -> dict[str, object]:
    """One paper as it appears in papers.json."""
    return {
        "slug": paper.slug,
        "title": paper.title,
        "abstract": paper.abstract,
        "url": f"papers/{paper.slug}/",
        "theme": paper.theme,
        "themes": list(paper.themes),
        "dumps": list(paper.dumps),
        "links": list(paper.links),
        "tags": list(paper.tags),
        "status": paper.status,
    }


def papers_json(papers: list[Paper]) -> str:
    """The machine-readable catalogue, sorted by slug for stable output."""
    records = [paper_record(p) for p in sorted(papers, key=lambda p: p.slug)]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def build(root: Path, output: Path, base_url: str | None = None) -> BuildResult:
    """Read everything, then write everything into output."""
    project = load_project(root)
    files = {"papers.json": papers_json(project.papers)}
    written = sum(write_if_changed(output / name, data) for name, data in files.items())
    return BuildResult(project, written, len(files))
