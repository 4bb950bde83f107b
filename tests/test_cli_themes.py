"""`sitegen themes`: overview, suggestions, --apply (dry run, then --write), as users run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_sitegen as sitegen
from conftest import snapshot

from sitegen.catalog import Ledger, LedgerEntry, format_ledger, read_ledger, render_page, title_key

THEMES_YAML = """\
themes:
  - slug: generative
    title: Generative models
    keywords: {diffusion: 3, denoising: 2}
  - slug: graphs
    title: Graphs
    keywords: {graph: 3, node: 2}
"""

DIFFUSION = "A denoising diffusion model generates images; diffusion sampling is slow."
GRAPH = "Graph neural networks pass messages between node features along graph edges."
PROTEIN = "Protein folding predicts the structure of amino acid chains; protein folding is hard."
QUANTUM = "Quantum circuits and qubit noise: quantum error correction keeps qubit states."

# slug: (folder, theme recorded at ingest, title, abstract, extra front matter)
PAGES = {
    "diffusion-a": ("unsorted", "unsorted", "Diffusion sampling", DIFFUSION, {}),
    "graph-b": ("unsorted", "unsorted", "Graph message passing", GRAPH, {}),
    "diffusion-pinned": ("unsorted", "unsorted", "Pinned diffusion", DIFFUSION, {"pinned": True}),
    "diffusion-moved": ("graphs", "unsorted", "Diffusion the user moved", DIFFUSION, {}),
    "protein-1": ("unsorted", "unsorted", "Protein folding one", PROTEIN, {}),
    "protein-2": ("unsorted", "unsorted", "Protein folding two", PROTEIN, {}),
    "protein-3": ("unsorted", "unsorted", "Protein folding three", PROTEIN, {}),
    "quantum-1": ("unsorted", "unsorted", "Quantum qubits one", QUANTUM, {}),
    "quantum-2": ("unsorted", "unsorted", "Quantum qubits two", QUANTUM, {}),
    "quantum-3": ("unsorted", "unsorted", "Quantum qubits three", QUANTUM, {}),
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site whose pages were ingested before the themes existed, one pinned, one moved."""
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "themes.yaml").write_text(THEMES_YAML, encoding="utf-8")
    ledger = Ledger()
    for slug, (folder, recorded, title, abstract, extra) in PAGES.items():
        page = content / "papers" / folder / f"{slug}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(render_page(title, slug, abstract, extra), encoding="utf-8")
        ledger.papers[title_key(title)] = LedgerEntry(slug, recorded)
    (content / "ingested.json").write_text(format_ledger(ledger), encoding="utf-8")
    # A page the ledger never saw: written by hand, so it stays where the user put it.
    hand = render_page("Hand-written diffusion", "hand-written", DIFFUSION, {})
    (content / "papers" / "unsorted" / "hand-written.md").write_text(hand, encoding="utf-8")
    return tmp_path


def test_overview_lists_counts_unsorted_papers_and_suggestions(site: Path) -> None:
    result = sitegen("themes", cwd=site)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "     0  generative" in out and "     1  graphs" in out and "    10  unsorted" in out
    assert "  protein-1  Protein folding one" in out
    suggestions = out.split("suggested themes:")[1]
    assert "protein" in suggestions and "quantum" in suggestions


def test_overview_as_json_groups_similar_unsorted_papers(site: Path) -> None:
    result = sitegen("themes", "--json", cwd=site)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    counts = {t["slug"]: t["papers"] for t in data["themes"]}
    assert counts == {"generative": 0, "graphs": 1, "unsorted": 10}
    assert len(data["unsorted"]) == 10
    groups = [set(s["papers"]) for s in data["suggestions"]]
    assert {"protein-1", "protein-2", "protein-3"} in groups
    assert {"quantum-1", "quantum-2", "quantum-3"} in groups
    protein = next(s for s in data["suggestions"] if "protein-1" in s["papers"])
    assert protein["from"] == "unsorted" and "protein" in protein["slug"]
    assert any("protein" in term for term in protein["terms"])


def test_apply_is_a_dry_run_that_explains_each_move(site: Path) -> None:
    before = snapshot(site)
    result = sitegen("themes", "--apply", cwd=site)
    assert result.returncode == 0, result.stderr
    assert snapshot(site) == before
    out = result.stdout
    assert "would move 2 papers; 3 pinned pages left alone" in out
    assert "diffusion-a: unsorted -> generative  (matched 'diffusion', 'denoising')" in out
    assert "graph-b: unsorted -> graphs  (matched 'graph', 'node')" in out
    assert "dry run: nothing changed" in out
    for untouched in ("diffusion-pinned", "diffusion-moved", "hand-written", "protein-1"):
        assert f"{untouched}:" not in out


def test_apply_write_moves_unpinned_pages_byte_for_byte(site: Path) -> None:
    before = snapshot(site)
    result = sitegen("themes", "--apply", "--write", "--json", cwd=site)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(m["slug"], m["from"], m["to"]) for m in data["moves"]] == [
        ("diffusion-a", "unsorted", "generative"),
        ("graph-b", "unsorted", "graphs"),
    ]
    assert {p["slug"]: p["why"] for p in data["pinned"]} == {
        "diffusion-moved": "moved by you from unsorted",
        "diffusion-pinned": "pinned: true",
        "hand-written": "not in the ingest ledger (placed by hand)",
    }
    after = snapshot(site)
    moved = {
        "papers/unsorted/diffusion-a.md": "papers/generative/diffusion-a.md",
        "papers/unsorted/graph-b.md": "papers/graphs/graph-b.md",
    }
    for old, new in moved.items():
        assert old not in after and after[new] == before[old]
    unchanged = set(before) - set(moved) - {"ingested.json"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    themes = {
        e.slug: e.theme for e in read_ledger(site / "content" / "ingested.json").papers.values()
    }
    assert themes["diffusion-a"] == "generative" and themes["graph-b"] == "graphs"
    assert themes["diffusion-moved"] == "unsorted"  # the user's move stays the user's
    # The moved pages now sit where the ledger says: nothing left to do, none counted as pinned.
    again = sitegen("themes", "--apply", cwd=site)
    assert "would move 0 papers; 3 pinned pages left alone" in again.stdout


def test_apply_write_refuses_to_overwrite_and_moves_nothing(site: Path) -> None:
    taken = site / "content" / "papers" / "graphs" / "graph-b.md"
    taken.write_text("---\ntitle: Another page\nslug: other-page\n---\n", encoding="utf-8")
    before = snapshot(site)
    result = sitegen("themes", "--apply", "--write", cwd=site)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("sitegen: error")]
    assert len(errors) == 1 and "already exists" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(site) == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("themes", "--write"), "--write only makes sense with --apply"),
        (("themes", "explain", "graph-b", "--apply"), "not both"),
        (("themes", "list", "graph-b"), "did you mean 'explain'"),
    ],
)
def test_misuse_is_one_line_error(site: Path, args: tuple[str, ...], needle: str) -> None:
    result = sitegen(*args, cwd=site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("sitegen: error") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_overview_reports_themes_under_three_papers_as_merge_candidates(site: Path) -> None:
    result = sitegen("themes", cwd=site)
    assert result.returncode == 0, result.stderr
    merges = result.stdout.split("merge candidates (fewer than 3 papers):")[1]
    assert merges.split("\n\n")[0].strip().startswith("graphs (1 paper)")
    data = json.loads(sitegen("themes", "--json", cwd=site).stdout)
    # An empty theme is no merge candidate: a young list has many of those.
    assert [m["slug"] for m in data["merge_candidates"]] == ["graphs"]


def test_explain_shows_the_keyword_stage_and_the_corpus_stage(site: Path) -> None:
    result = sitegen("themes", "explain", "graph-b", cwd=site)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "folder: unsorted" in out and "theme: graphs" in out
    assert "stage 1 (keywords):" in out and "'graph' in title" in out
    assert "stage 2 (corpus): keywords are confident" in out
    moved = sitegen("themes", "explain", "diffusion-moved", cwd=site).stdout
    assert "folder: graphs (placed by you)" in moved and "you placed this page" in moved
