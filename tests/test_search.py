"""sitegen.search: the fast index builder, the staged files, and lunr.py/lunr.js parity."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from lunr.exceptions import QueryParseError
from lunr.index import Index

from sitegen import search
from sitegen.build import build
from sitegen.catalog import Paper
from sitegen.themes import Taxonomy, Theme

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_corpus import generate_papers  # noqa: E402

NODE = shutil.which("node") or "/usr/bin/node"
LUNR_JS = REPO / "node_modules" / "lunr" / "lunr.js"

TRICKY_DOCS = [
    {
        "id": "0",
        "title": "The Self-Supervised Learning of Everything — a survey",
        "abstract": "We (re)consider learning; learning!! and LEARNED models… e.g. ResNet-50.",
        "themes": "representation-learning Representation learning",
        "tags": "ssl survey",
        "notes": "",
    },
    {
        "id": "1",
        "title": "Über naïve Bayes: ÇA marche?",
        "abstract": "Ünïcödé text\u00a0with non-breaking\tspaces and\nnewlines -- and -- dashes.",
        "themes": "theory Theory",
        "tags": "",
        "notes": "My note: compare with [0]. It's 'quoted' and \"double quoted\".",
    },
    {
        "id": "2",
        "title": "",
        "abstract": "the of and a an to in",
        "themes": "unsorted Unsorted",
        "tags": "",
        "notes": "running runs runner ran",
    },
]


def paper(slug: str, title: str, abstract: str, theme: str = "theory", **extra: object) -> Paper:
    """A Paper with defaults for the fields search ignores."""
    fields = {"notes": "", "tags": (), "themes": (theme,)} | extra
    return Paper(
        slug=slug,
        title=title,
        abstract=abstract,
        theme=theme,
        dumps=(),
        links=(),
        status="",
        meta={},
        source=f"papers/{theme}/{slug}.md",
        **fields,  # type: ignore[arg-type]
    )


def read_script(data: bytes) -> tuple[str, object]:
    """The name and value a search/*.js data file assigns."""
    match = re.fullmatch(
        rb"\(self\.SITEGEN_SEARCH=.*?\)\[\"([^\"]+)\"\]=JSON\.parse\('(.*)'\);\n", data
    )
    assert match, data[:200]
    literal = re.sub(r"\\(.)", r"\1", match.group(2).decode("ascii"))
    return match.group(1).decode(), json.loads(literal)


def join_chunks(chunks: list[dict]) -> dict:
    """What static/search-engine.js assemble() does, in Python."""
    return {
        "version": chunks[0]["version"],
        "fields": chunks[0]["fields"],
        "fieldVectors": [item for c in chunks for item in c["f"]],
        "invertedIndex": [item for c in chunks for item in c["i"]],
        "pipeline": chunks[0]["pipeline"],
    }


# --- the fast builder ------------------------------------------------------------


def test_fast_build_matches_lunr_bytes_on_tricky_documents() -> None:
    expected = search.index_json(search.build_index_plain(TRICKY_DOCS))
    assert search.index_json(search.build_index(TRICKY_DOCS)) == expected


def test_fast_build_matches_lunr_bytes_on_generated_corpus() -> None:
    papers, taxonomy = generate_papers(60, seed=7)
    docs = [d.fields() for d in search.search_documents(papers, taxonomy)]
    plain = search.index_json(search.build_index_plain(docs))
    fast = search.index_json(search.build_index(docs))
    assert len(plain) > 50_000
    assert fast == plain


def test_fast_build_loads_in_lunr_py_and_ranks_title_matches_first() -> None:
    docs = [
        {
            "id": "0",
            "title": "A study",
            "abstract": "graphs graphs graphs",
            "themes": "",
            "tags": "",
        },
        {"id": "1", "title": "Graphs", "abstract": "a study", "themes": "", "tags": ""},
    ]
    docs = [d | {"notes": ""} for d in docs]
    index = Index.load(search.build_index(docs))
    assert [r["ref"] for r in index.search("graphs")] == ["1", "0"]


# --- documents and files ---------------------------------------------------------


def test_plain_text_keeps_link_words_and_drops_markup() -> None:
    text = search.plain_text("See **[the code](https://x.org/a)** and `run()`.\n\n> quoted\n- item")
    assert text == "See the code and run(). quoted item"


def sample_papers() -> tuple[list[Paper], Taxonomy]:
    """A few papers, one with a non-ASCII title and one with a de-duplicated slug."""
    taxonomy = Taxonomy((Theme("theory", "Theory"), Theme("graphs", "Graphs")))
    papers = [
        paper("graph-nets", "Graph Nets", "Message passing on graphs.", "graphs", tags=("gnn",)),
        paper("uber-alles", "Über alles", "An abstract.", notes="A *note* about graphs."),
        paper("graph-nets-2", "Graph Nets", "Another one.", "graphs"),
        paper("loose", "Loose", "Theme missing from themes.yaml.", "misc-stuff"),
    ]
    return papers, taxonomy


def test_search_files_are_reproducible_and_independent_of_input_order() -> None:
    papers, taxonomy = sample_papers()
    first = search.search_files(papers, taxonomy)
    shuffled = papers[:]
    random.Random(3).shuffle(shuffled)
    assert search.search_files(shuffled, taxonomy) == first
    names = sorted(first)
    assert names[-1] == "search/titles.js"
    assert [re.sub(r"-[0-9a-f]{10}\.js$", "", n) for n in names[:-1]] == [
        "search/index-000",
        "search/text-000",
    ]


def test_data_file_names_change_with_their_content_only() -> None:
    papers, taxonomy = generate_papers(120, seed=2)
    before = search.search_files(papers, taxonomy)
    # The paper last in slug order gets a note: only its text chunk and the index change.
    last = max(papers, key=lambda p: p.slug)
    edited = [replace(p, notes="A new note about zebras.") if p is last else p for p in papers]
    after = search.search_files(edited, taxonomy)
    _, old = read_script(before["search/titles.js"])
    _, new = read_script(after["search/titles.js"])
    assert len(old["text"]) == -(-len(papers) // search.TEXT_CHUNK_DOCS) > 1
    assert old["text"][:-1] == new["text"][:-1]
    assert old["text"][-1] != new["text"][-1]
    assert old["index"] != new["index"]
    for name in new["index"] + new["text"]:
        data = after[f"search/{name}.js"]
        assert read_script(data)[0] == name  # each file assigns under its own name
        assert (
            name.rsplit("-", 1)[1]
            == hashlib.sha256(
                json.dumps(read_script(data)[1], separators=(",", ":")).encode()
            ).hexdigest()[:10]
        )


def test_titles_manifest_lists_every_paper_with_theme_and_derivable_slug() -> None:
    papers, taxonomy = sample_papers()
    files = search.search_files(papers, taxonomy)
    name, titles = read_script(files["search/titles.js"])
    assert name == "titles"
    assert titles["themes"] == [
        ["theory", "Theory"],
        ["graphs", "Graphs"],
        ["misc-stuff", "Misc stuff"],
    ]
    # slug order; "" where slugify(title) gives the slug back from an ASCII title
    assert titles["docs"] == [
        ["Graph Nets", 1, ""],
        ["Graph Nets", 1, "graph-nets-2"],
        ["Loose", 2, ""],
        ["Über alles", 0, "uber-alles"],
    ]
    assert titles["fields"] == ["title", "abstract", "themes", "tags", "notes"]
    assert [f"search/{name}.js" for name in titles["index"] + titles["text"]] == sorted(
        set(files) - {"search/titles.js"}
    )
    _, texts = read_script(files[f"search/{titles['text'][0]}.js"])
    assert texts[3] == ["An abstract.", "A note about graphs.", ""]
    assert texts[0][2] == "gnn"


def test_index_chunks_reassemble_to_the_serialized_index() -> None:
    papers, taxonomy = generate_papers(30, seed=1)
    docs = [d.fields() for d in search.search_documents(papers, taxonomy)]
    serialized = search.build_index(docs)
    chunks = search.chunk_lists(serialized, limit=4000)
    assert len(chunks) > 5
    for chunk in chunks[1:]:
        assert len(search.index_json(chunk)) < 4000 + 2000  # one item may overflow the limit
    assert join_chunks(chunks) == serialized


# --- lunr.py and lunr.js on the built index ----------------------------------------

PARITY_QUERIES = [
    "diffusion",
    "neural network",
    "title:transformer",
    "abstract:segmentation",
    "+image -video",
    "+graph +neural",
    "segment*",
    "*former",
    "lear*ing",
    "transformr~1",
    "title:diffusion^10 abstract:image",
    "themes:interpretability",
    "generative-models",
    "reinforcement learning agents",
    "zebra",
    "the of and",
    "title:",
    "~",
    ":",
]


# Broad queries: each matches most papers (the slow case for lunr's own Index#query).
BROAD_QUERIES = [
    "learning",
    "network",
    "learning with neural networks and deep models",
    "a",
    "l*",
    "*ing",
    "+learning +model",
    "learning -learning",
    "-video",
    "-learning -model",
    "title:learning^5 model",
    '"neural network" learning',
    "netwrk~1",
    "+zebra learning",
]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus, built once for this module."""
    from conftest import copy_shipped_content

    from sitegen.ingest import ingest

    root = copy_shipped_content(tmp_path_factory.mktemp("search-root"))
    assert not ingest(root).errors
    output = root / "site"
    build(root, output)
    return output


def run_lunr_js(site: Path, queries: list[str]) -> list[dict]:
    """Results of tests/search_parity.js (lunr.js from node_modules) for queries."""
    assert LUNR_JS.is_file(), "run `npm ci` at the repo root first"
    done = subprocess.run(
        [NODE, str(REPO / "tests" / "search_parity.js"), str(site)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def load_built_index(site: Path) -> dict:
    """The serialized index, reassembled from the built search/index-NNN.js files."""
    _, titles = read_script((site / "search" / "titles.js").read_bytes())
    chunks = [read_script((site / "search" / f"{n}.js").read_bytes())[1] for n in titles["index"]]
    return join_chunks(chunks)


def test_lunr_py_and_lunr_js_rank_the_same_refs(built_site: Path) -> None:
    serialized = load_built_index(built_site)
    assert serialized["version"] == "2.3.9"
    index = Index.load(serialized)
    js_rows = run_lunr_js(built_site, PARITY_QUERIES)
    compared = 0
    for query, row in zip(PARITY_QUERIES, js_rows, strict=True):
        try:
            py_hits = index.search(query)
        except QueryParseError:
            assert row["error"] == "QueryParseError", query
            continue
        assert row["error"] is None, query
        assert row["refs"] == [h["ref"] for h in py_hits], query
        assert row["scores"] == pytest.approx([h["score"] for h in py_hits], rel=1e-9), query
        compared += bool(py_hits)
    assert compared >= 12  # most queries must find something, or the check proves little


def assert_fast_ranking_is_lunrs(site: Path, queries: list[str]) -> None:
    """FullIndex#rank gives lunr.js's exact refs, scores and terms for every query."""
    rows = run_lunr_js(site, queries)
    for row in rows:
        assert row["fastPath"], "the index should take the fast path"
        assert row["fast"] is None, (row["query"], row["fast"])
    assert sum(row["checked"] for row in rows) >= 3 * len(queries)
    assert sum(len(row["engine"]) for row in rows) > 10 * len(queries)


def test_fast_ranking_equals_lunr_on_the_shipped_corpus(built_site: Path) -> None:
    assert_fast_ranking_is_lunrs(built_site, PARITY_QUERIES + BROAD_QUERIES)


def test_fast_ranking_equals_lunr_on_a_generated_corpus_with_notes_and_tags(
    tmp_path: Path,
) -> None:
    papers, taxonomy = generate_papers(400, seed=5)
    rng = random.Random(5)
    themes = [t.slug for t in taxonomy.themes]
    papers = [
        replace(
            p,
            notes=rng.choice(["", "Read this: graph learning works.", "A note on *models*."]),
            tags=tuple(rng.sample(["gnn", "rl", "vision", "learning"], rng.randint(0, 2))),
            themes=(p.theme, *rng.sample([t for t in themes if t != p.theme], rng.randint(0, 2))),
        )
        for p in papers
    ]
    (tmp_path / "search").mkdir()
    for name, data in search.search_files(papers, taxonomy).items():
        (tmp_path / name).write_bytes(data)
    assert_fast_ranking_is_lunrs(tmp_path, BROAD_QUERIES + ["notes:graph", "tags:rl", "-gnn"])


def test_engine_falls_back_on_malformed_queries_and_retries_typos(built_site: Path) -> None:
    rows = {
        r["query"]: r
        for r in run_lunr_js(built_site, ["title:", '"', "*", "~", ":", "transformr", "diffusion"])
    }
    for query in ("title:", '"', "*", "~", ":"):
        assert rows[query]["mode"] == "plain", query
    assert rows["transformr"]["refs"] == []
    assert rows["transformr"]["mode"] == "typo"
    assert rows["transformr"]["engine"]
    assert rows["diffusion"]["mode"] == "exact"
    assert rows["diffusion"]["engine"] == rows["diffusion"]["refs"]


def test_vendored_lunr_is_the_npm_package() -> None:
    vendored = REPO / "static" / "vendor" / "lunr.min.js"
    assert vendored.read_bytes() == (LUNR_JS.parent / "lunr.min.js").read_bytes()
    assert b"2.3.9" in vendored.read_bytes()[:200]
    assert (REPO / "static" / "vendor" / "LUNR-LICENSE").read_text().startswith("Copyright")
