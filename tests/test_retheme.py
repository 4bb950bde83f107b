"""Re-theming: a pure plan that leaves pinned pages alone; applying it moves bytes as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_library import paper as library_paper

from sitegen.catalog import LEDGER_NAME, Ledger, LedgerEntry, Paper, format_ledger, read_ledger
from sitegen.errors import SitegenError
from sitegen.retheme import Move, apply_moves, is_true, plan_moves
from sitegen.themes import Taxonomy, Theme

TAXONOMY = Taxonomy(
    (
        Theme("video", "Video", keywords={"video": 2.0, "tracking": 2.0}),
        Theme("graphs", "Graphs", keywords={"graph": 2.0, "message passing": 2.0}),
    )
)


def paper(slug: str, theme: str, abstract: str, **meta: object) -> Paper:
    """A paper filed under theme, in no dump."""
    return library_paper(
        slug, slug.replace("-", " ").title(), theme, (), abstract=abstract, meta=meta
    )


def ledger(*entries: tuple[str, str]) -> Ledger:
    """A ledger of (slug, theme) entries."""
    return Ledger({slug: LedgerEntry(slug, theme) for slug, theme in entries})


def test_flags() -> None:
    assert all(is_true(v) for v in (True, "yes", "On", "1", " true "))
    assert not any(is_true(v) for v in (False, "no", "", None, 0))


def test_the_plan_moves_only_unpinned_misfiled_pages() -> None:
    graphy = "Graph networks do message passing over each graph."
    papers = [
        paper("misfiled", "video", graphy),
        paper("kept", "graphs", graphy),
        paper("pinned", "video", graphy, pinned="yes"),
        paper("user-moved", "video", graphy),
        paper("by-hand", "video", graphy),
    ]
    known = ledger(("misfiled", "video"), ("kept", "graphs"), ("pinned", "video"))
    plan = plan_moves(
        papers, Ledger({**known.papers, "um": LedgerEntry("user-moved", "graphs")}), TAXONOMY
    )
    assert [(m.slug, m.old_theme, m.new_theme) for m in plan.moves] == [
        ("misfiled", "video", "graphs")
    ]
    assert plan.moves[0].terms[:2] == ("graph", "message passing")
    assert dict(plan.pinned) == {
        "by-hand": "not in the ingest ledger (placed by hand)",
        "pinned": "pinned: true",
        "user-moved": "moved by you from graphs",
    }


def test_a_page_listed_under_its_new_theme_already_keeps_both() -> None:
    graphy = "Graph networks do message passing over each graph."
    papers = [
        library_paper("both", "Both", "video", (), abstract=graphy, themes=("video", "graphs"))
    ]
    plan = plan_moves(papers, ledger(("both", "video")), TAXONOMY)
    # Moved unchanged, its `themes: [graphs]` would name its new theme only: video lost.
    assert plan.moves == ()
    assert dict(plan.pinned) == {
        "both": "listed under graphs already (its themes:); a move drops video"
    }


def site_with(tmp_path: Path, *slugs: str) -> Path:
    """A content/ folder with video pages and a ledger that files them under video."""
    for slug in slugs:
        page = tmp_path / "content" / "papers" / "video" / f"{slug}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(f"---\ntitle: {slug}\n---\n\nBody of {slug}.\r\n".encode())
    (tmp_path / "content" / LEDGER_NAME).write_text(
        format_ledger(ledger(*((slug, "video") for slug in slugs)))
    )
    return tmp_path


def test_applying_moves_the_bytes_and_records_the_new_theme(tmp_path: Path) -> None:
    root = site_with(tmp_path, "a", "b")
    before = (root / "content/papers/video/a.md").read_bytes()
    assert apply_moves(root, [Move("a", "papers/video/a.md", "video", "graphs", ())]) == 1
    assert (root / "content/papers/graphs/a.md").read_bytes() == before
    assert not (root / "content/papers/video/a.md").exists()
    themes = {e.slug: e.theme for e in read_ledger(root / "content" / LEDGER_NAME).papers.values()}
    assert themes == {"a": "graphs", "b": "video"}


def test_a_taken_target_refuses_the_whole_plan_before_any_move(tmp_path: Path) -> None:
    root = site_with(tmp_path, "a", "b")
    (root / "content/papers/graphs").mkdir(parents=True)
    (root / "content/papers/graphs/b.md").write_text("someone else's")
    moves = [
        Move("a", "papers/video/a.md", "video", "graphs", ()),
        Move("b", "papers/video/b.md", "video", "graphs", ()),
    ]
    ledger_before = (root / "content" / LEDGER_NAME).read_bytes()
    with pytest.raises(SitegenError, match="already exists"):
        apply_moves(root, moves)
    assert (root / "content/papers/video/a.md").is_file()  # nothing moved
    assert (root / "content" / LEDGER_NAME).read_bytes() == ledger_before


def test_adv_retheme_two_pages_with_one_name_into_one_theme(tmp_path: Path) -> None:
    """Two unpinned x.md from different folders moving to one theme: refused before any move."""
    root = site_with(tmp_path, "x")
    other = root / "content/papers/graphs/x.md"
    other.parent.mkdir(parents=True)
    other.write_text("---\ntitle: the other x\n---\n\nOther.\n")
    moves = [
        Move("x", "papers/video/x.md", "video", "robots", ()),
        Move("x-2", "papers/graphs/x.md", "graphs", "robots", ()),
    ]
    before = {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()}
    with pytest.raises(SitegenError, match=r"papers/video/x\.md and .*papers/graphs/x\.md"):
        apply_moves(root, moves)
    assert {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()} == before
