"""Re-run both classifier stages over the catalogue: plan the moves (pure), then make them (I/O).

A page is pinned when its front matter says `pinned: true`, when the user moved it
(its folder differs from the theme the ledger recorded at ingest), or when the
ledger never saw it (the user wrote it by hand). Pinned pages are never moved.
Moving a page is an os.replace into the new theme folder (the bytes stay as they
are); the ledger then records the new theme, so the page doesn't look user-moved.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.catalog import (
    LEDGER_NAME,
    Ledger,
    LedgerEntry,
    Page,
    Paper,
    format_ledger,
    read_ledger,
    split_body,
)
from sitegen.errors import SitegenError
from sitegen.fsio import write_atomic
from sitegen.records import record
from sitegen.themes import Decision, Taxonomy

if TYPE_CHECKING:  # numpy loads only when a command needs the corpus stage
    from sitegen.corpus_themes import CorpusPaper, Placement

MATCHED_TERMS = 4


@record
class Move:
    """One page the classifier now places elsewhere, with the words that decided it."""

    slug: str
    source: str  # path relative to content/
    old_theme: str
    new_theme: str
    terms: tuple[str, ...]  # the new theme's keywords the paper matched, heaviest first
    stage: str = "keywords"  # which classifier stage decided: "keywords", "both" or "corpus"


@record
class Plan:
    """What `sitegen themes --apply` would do."""

    moves: tuple[Move, ...]
    pinned: tuple[tuple[str, str], ...]  # (slug, why) of the pages left alone


def is_true(value: object) -> bool:
    """A front-matter flag: true, yes, on or 1."""
    return value is True or str(value).strip().lower() in {"true", "yes", "on", "1"}


def pinned_reason(paper: Page | Paper, ledger_theme: dict[str, str]) -> str | None:
    """Why a page must stay where it is, or None if the classifier may move it."""
    if is_true(paper.meta.get("pinned")):
        return "pinned: true"
    recorded = ledger_theme.get(paper.slug)
    if recorded is None:
        return "not in the ingest ledger (placed by hand)"
    if recorded != paper.theme:
        return f"moved by you from {recorded}"
    return None


def matched_terms(decision: Decision, theme: str | None = None) -> tuple[str, ...]:
    """A theme's matched keywords (the winner's by default), by points (ties: alphabetical)."""
    theme = theme or decision.theme
    points: dict[str, float] = {}
    for match in decision.matches:
        if match.theme == theme:
            points[match.phrase] = points.get(match.phrase, 0.0) + match.points
    ranked = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    return tuple(phrase for phrase, _ in ranked[:MATCHED_TERMS])


def corpus_of(pages: Sequence[Page | Paper], ledger: Ledger) -> list[CorpusPaper]:
    """The catalogue as the corpus stage reads it: pages the user placed are fixed seeds."""
    from sitegen.corpus_themes import CorpusPaper

    ledger_theme = {entry.slug: entry.theme for entry in ledger.papers.values()}
    corpus = []
    for page in pages:
        abstract = page.abstract if isinstance(page, Paper) else split_body(page.body)[0]
        placed = page.theme if pinned_reason(page, ledger_theme) else None
        corpus.append(CorpusPaper(page.slug, page.title, abstract, placed))
    return corpus


def place_catalogue(
    papers: Sequence[Paper], ledger: Ledger, taxonomy: Taxonomy
) -> dict[str, Placement]:
    """Both classifier stages over today's catalogue, keyed by slug."""
    from sitegen.corpus_themes import place_all

    return place_all(corpus_of(papers, ledger), taxonomy)


def plan_moves(papers: Sequence[Paper], ledger: Ledger, taxonomy: Taxonomy) -> Plan:
    """Place every unpinned page again (both stages) and list those that would change theme."""
    ledger_theme = {entry.slug: entry.theme for entry in ledger.papers.values()}
    placements = place_catalogue(papers, ledger, taxonomy)
    moves: list[Move] = []
    pinned: list[tuple[str, str]] = []
    for paper in sorted(papers, key=lambda p: p.slug):
        reason = pinned_reason(paper, ledger_theme)
        if reason:
            pinned.append((paper.slug, reason))
            continue
        placement = placements[paper.slug]
        if placement.theme in paper.themes[1:]:
            # Listed there already by its `themes:`: moved (bytes unchanged), it would keep
            # that list, which names its new theme, and lose the old one.
            why = (
                f"listed under {placement.theme} already (its themes:); a move drops {paper.theme}"
            )
            pinned.append((paper.slug, why))
        elif placement.theme != paper.theme:
            terms = matched_terms(placement.keywords, placement.theme)
            moves.append(
                Move(paper.slug, paper.source, paper.theme, placement.theme, terms, placement.stage)
            )
    return Plan(tuple(moves), tuple(pinned))


def move_targets(content: Path, moves: Sequence[Move]) -> list[tuple[Path, Path]]:
    """(from, to) paths of every move; refuse the plan if any target is taken."""
    pairs: list[tuple[Path, Path]] = []
    claimed: dict[Path, Path] = {}  # target -> the page moving there (the plan as a whole)
    for move in moves:
        source = content / move.source
        target = content / "papers" / move.new_theme / source.name
        if not source.is_file():
            raise SitegenError("page vanished since the plan was made", source)
        if target in claimed:
            raise SitegenError(
                f"cannot move both {claimed[target]} and {source} to {target}: "
                "rename one of them (nothing was moved)"
            )
        if target.exists():
            raise SitegenError(f"cannot move {move.slug}: {target} already exists", source)
        claimed[target] = source
        pairs.append((source, target))
    return pairs


def apply_moves(root: Path, moves: Sequence[Move]) -> int:
    """Move the pages (bytes untouched), then record their new themes in the ledger."""
    content = root / "content"
    ledger_path = content / LEDGER_NAME
    ledger = read_ledger(ledger_path)
    pairs = move_targets(content, moves)  # every check before the first move
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    # The ledger goes last: after a crash, a moved page just looks moved by the user
    # (pinned), which is the safe side.
    new_theme = {move.slug: move.new_theme for move in moves}
    papers = {
        key: LedgerEntry(entry.slug, new_theme.get(entry.slug, entry.theme))
        for key, entry in ledger.papers.items()
    }
    write_atomic(ledger_path, format_ledger(Ledger(papers)))
    return len(pairs)
