"""sitegen.search: the fast index builder, the staged files, and lunr.py/lunr.js parity."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import LUNR_JS, makes_per_take, node_json, run_node
from hypothesis import given, settings
from hypothesis import strategies as st
from lunr.exceptions import QueryParseError
from lunr.index import Index

from sitegen import search, search_diff
from sitegen.build import BuildOptions, build
from sitegen.cache import BytesOnDisk, SpillFile, TextsOnDisk
from sitegen.catalog import Paper
from sitegen.text import slugify
from sitegen.themes import Taxonomy, Theme

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_corpus import generate_papers  # noqa: E402
from lunr_reference import build_index, build_index_plain, index_json  # noqa: E402

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


def read_varints(text: str) -> list[int]:
    """The ints of a varint string (sitegen.search.varints)."""
    ints, value, shift = [], 0, 0
    for char in text:
        digit = search.VARINT_DIGITS.index(char)
        value += (digit & 31) << shift
        shift += 5
        if digit < 32:
            ints.append(value)
            value, shift = 0, 0
    return ints


def decode_index(head: dict, shards: list[dict]) -> dict:
    """lunr's serialized index from the head and shard files: the engine's readShard, in Python."""
    fields, boosts, k1, b = head["fields"], head["boosts"], head["k1"], head["b"]
    width, terms = len(fields), head["t"]
    pairs, by_field = read_varints(head["n"]), read_varints(head["l"])
    papers = len(by_field) // width
    lengths = [by_field[f * papers + doc] for doc in range(papers) for f in range(width)]
    average = [sum(lengths[f::width]) / papers for f in range(width)]
    idf = dict(zip(head["idf"][::2], head["idf"][1::2], strict=True))
    postings: dict[str, dict] = {term: {field: {} for field in fields} for term in terms}
    vectors: list[list[tuple[int, float]]] = [[] for _ in range(papers * width)]
    for shard in shards:
        ints, at = read_varints(shard["s"]), 0
        while at < len(ints):
            number, count, where = ints[at], ints[at + 1], 0
            tiered = count > head["tier"]  # slots of some postings are in a late file
            at += 2
            for _ in range(count):
                where += ints[at]
                tf, f = ints[at + 1], where % width
                at += 2
                positional = f in search.POSITION_FIELDS
                here = not (positional and tiered) or tf & 1
                tf >>= positional and tiered
                at += tf & 1  # a form mark follows
                tf >>= 1
                at += tf if positional and here else 0
                norm = k1 * (1 - b + b * (lengths[where] / average[f]))
                weight = idf[pairs[number]] * ((k1 + 1) * tf) / (norm + tf) * boosts[f]
                vectors[where].append((number, round(weight, 3)))
                postings[terms[number]][fields[f]][str(where // width)] = {}
    return {
        "version": head["version"],
        "fields": fields,
        "fieldVectors": [
            [f"{fields[i % width]}/{i // width}", [x for pair in sorted(v) for x in pair]]
            for i, v in enumerate(vectors)
        ],
        "invertedIndex": [
            [t, {**postings[t], "_index": n}]
            for n, t in sorted(enumerate(terms), key=lambda x: x[1])
        ],
        "pipeline": head["pipeline"],
    }


def write_search_files(folder: Path, papers: list[Paper], taxonomy: Taxonomy) -> Path:
    """Write the search data files of papers into folder/search/; folder."""
    (folder / "search").mkdir(parents=True, exist_ok=True)
    for name, data in search.search_files(papers, taxonomy).items():
        (folder / name).write_bytes(data)
    return folder


# --- the fast builder ------------------------------------------------------------


def test_fast_build_matches_lunr_bytes_on_tricky_documents() -> None:
    expected = index_json(build_index_plain(TRICKY_DOCS))
    assert index_json(build_index(TRICKY_DOCS)) == expected


def test_fast_build_matches_lunr_bytes_on_generated_corpus() -> None:
    papers, taxonomy = generate_papers(60, seed=7)
    docs = [d.fields() for d in search.search_documents(papers, taxonomy)]
    plain = index_json(build_index_plain(docs))
    fast = index_json(build_index(docs))
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
    index = Index.load(build_index(docs))
    assert [r["ref"] for r in index.search("graphs")] == ["1", "0"]


# --- documents and files ---------------------------------------------------------


def test_plain_text_keeps_link_words_and_drops_markup() -> None:
    text = search.plain_text("See **[the code](https://x.org/a)** and `run()`.\n\n> quoted\n- item")
    assert text == "See the code and run(). quoted item"


def test_plain_text_indexes_the_words_of_inline_tex() -> None:
    text = search.plain_text(
        r"Gains of {\bf 8.2\%} over a {\it na\"{\i}ve} $O(n^2)$ baseline, \eg here."
    )
    assert text == "Gains of 8.2% over a naïve O(n^2) baseline, e.g. here."


# plain_text's markup removal in one regex, as it was: the reference for its faster form.
ONE_REGEX = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)|[*_`~]+")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab *-+#>_`~1.)[]()\n\t\xa0", max_size=30))
def test_plain_text_drops_the_markup_one_regex_would(markdown: str) -> None:
    linked = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    expected = re.sub(r"\s+", " ", ONE_REGEX.sub("", linked)).strip()
    assert search.plain_text(markdown) == expected


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
        "search/shard-000",
        "search/text-000",
    ]


def test_data_file_names_change_with_their_content_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "CHUNK_GROUP", 2)
    papers, taxonomy = generate_papers(120, seed=2)
    before = search.search_files(papers, taxonomy)
    # The paper last in slug order gets a note: only its text chunk's group and the
    # index change.
    last = max(papers, key=lambda p: p.slug)
    edited = [replace(p, notes="A new note about zebras.") if p is last else p for p in papers]
    after = search.search_files(edited, taxonomy)
    _, old = read_script(before["search/titles.js"])
    _, new = read_script(after["search/titles.js"])
    chunks = -(-len(papers) // search.TEXT_CHUNK_DOCS)
    assert len(old["text"]) == -(-chunks // 2) > 1  # a hash per group of two chunks
    assert old["text"][:-1] == new["text"][:-1]
    assert old["text"][-1] != new["text"][-1]
    assert old["index"] != new["index"]
    texts = [search.chunk_name(new, "text", n) for n in range(chunks)]
    for name in new["index"]:
        data = after[f"search/{name}.js"]
        assert read_script(data)[0] == name  # each file assigns under its own name
        assert name.rsplit("-", 1)[1] == content_hash(read_script(data)[1])
    for number, name in enumerate(texts):
        assert read_script(after[f"search/{name}.js"])[0] == name
        group = texts[number - number % 2 : number - number % 2 + 2]
        joined = "\n".join(
            json.dumps(read_script(after[f"search/{n}.js"])[1], separators=(",", ":"))
            for n in group
        )
        assert name.rsplit("-", 1)[1] == hashlib.sha256(joined.encode()).hexdigest()[:10]


@pytest.mark.parametrize("tier", [30, search.POSITION_POSTINGS])  # 30: some words cross it
def test_an_index_made_from_a_memo_equals_a_clean_one(
    tier: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (search, search_diff):
        monkeypatch.setattr(module, "POSITION_POSTINGS", tier)
    afresh: list[int] = []
    real_indexed = search.indexed
    monkeypatch.setattr(
        search,
        "indexed",
        lambda p, t, old, *rest: afresh.append(len(p)) or real_indexed(p, t, old, *rest),
    )
    papers, taxonomy = generate_papers(150, seed=6)
    analysed: list[str] = []  # papers made into documents (not read back from the memo)
    real_document = search.search_document
    for module in (search, search_diff):
        monkeypatch.setattr(
            module,
            "search_document",
            lambda n, paper, *rest: analysed.append(paper.title) or real_document(n, paper, *rest),
        )
    files, memo = search.search_index(papers[:120], taxonomy)
    noted = [*papers[:40], replace(papers[40], notes="Quokka *zyzzyva* notes."), *papers[41:]]
    steps = [
        (noted[:120], [papers[40].title], False),  # a note, with words no other paper has
        (noted, [p.title for p in papers[120:]], False),  # a new dump's papers, numbered last
        (noted[:7] + noted[8:], [], True),  # one removed: most papers after it are renumbered
        (papers, [papers[7].title, papers[40].title], True),  # the paper back, the note undone
    ]
    for step, new, renumbered in steps:
        analysed.clear()
        afresh.clear()
        files, memo = search.search_index(step, taxonomy, memo)
        assert analysed == new
        assert afresh == ([len(step)] if renumbered else [])  # else updated by difference
        assert files == search.search_index(step, taxonomy)[0]
    assert any(name.startswith("search/late-") for name in files) == (tier == 30)


def test_entries_read_back_from_a_memo_give_the_same_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    papers, taxonomy = generate_papers(60, seed=8)
    files, memo = search.search_index(papers, taxonomy)
    read_back: list[bytes] = []
    real_read = search.entry_document
    monkeypatch.setattr(search, "entry_document", lambda e: read_back.append(e) or real_read(e))
    keys = search.entry_keys(papers, taxonomy)
    assert search.indexed(papers, taxonomy, memo, keys) == (files, memo)  # all from bytes
    assert len(read_back) == 60
    read_back.clear()
    assert search.search_index(papers, taxonomy) == (files, memo)
    assert read_back == []  # a cold index takes each entry as it is analysed


def test_an_index_that_spills_its_memo_to_a_file_makes_the_same_files_and_memo(
    tmp_path: Path,
) -> None:
    # More than a group of text chunks, so their names hash groups read back from the file.
    papers, taxonomy = generate_papers(search.TEXT_CHUNK_DOCS * (search.CHUNK_GROUP + 2), seed=5)
    files, memo = search.search_index(papers, taxonomy)
    spill = SpillFile(tmp_path)
    spilled_files, spilled = search.search_index(papers, taxonomy, spill=spill)
    assert type(spilled["texts"]) is TextsOnDisk and type(spilled["entries"]) is BytesOnDisk
    assert spill.written > 0  # a megabyte of entries and texts went to the file
    assert spilled_files == files
    assert list(spilled["texts"]) == memo["texts"] and len(memo["texts"]) > search.CHUNK_GROUP
    assert dict(spilled["entries"]) == memo["entries"]
    assert {k: v for k, v in spilled.items() if k not in ("texts", "entries")} == {
        k: v for k, v in memo.items() if k not in ("texts", "entries")
    }
    spill.close()


def test_a_damaged_memo_only_costs_time() -> None:
    papers, taxonomy = generate_papers(40, seed=7)
    clean, memo = search.search_index(papers, taxonomy)
    entry = memo["entries"][search.entry_keys(papers, taxonomy)[0]]
    for bad in (b"not an entry", entry[:-1], entry + b"x", b"(" + (2**30).to_bytes(4, "little")):
        damaged = {**memo, "entries": dict.fromkeys(memo["entries"], bad)}
        assert search.search_index(papers, taxonomy, damaged)[0] == clean
        edited = [replace(papers[0], notes="A note.")] + papers[1:]  # the old entry is read
        assert (
            search.search_index(edited, taxonomy, damaged)[0]
            == search.search_index(edited, taxonomy)[0]
        )
    wrong = {**memo, "codes": dict.fromkeys(memo["codes"], 7)}
    edited = [replace(papers[0], notes="A note.")] + papers[1:]
    again = search.search_index(edited, taxonomy, wrong)[0]
    assert again == search.search_index(edited, taxonomy)[0]
    assert search.search_index(papers, taxonomy, {"format": -1})[0] == clean


def test_a_new_dump_leaves_the_files_of_older_papers_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "CHUNK_GROUP", 2)
    papers, taxonomy = generate_papers(260, seed=8)
    order = [p.slug for p in papers]  # as they arrived: the new papers last
    before = search.search_files(papers[:200], taxonomy, order[:200])
    after = search.search_files(papers, taxonomy, order)
    texts = sorted(name for name in before if name.startswith("search/text-"))
    kept = [name for name in texts if after.get(name) == before[name]]
    # 200 papers fill chunks 0-7 (groups 0-3): every one stays; the new papers start chunk 8
    assert len(texts) == 8 and kept == texts
    assert search.search_files(papers, taxonomy) != after  # slug order would renumber them


def content_hash(value: object) -> str:
    """The hash a data file's name ends in: of its compact JSON text."""
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()[:10]


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
    names = titles["index"] + titles["shards"] + [search.chunk_name(titles, "text", 0)]
    assert [f"search/{name}.js" for name in names] == sorted(set(files) - {"search/titles.js"})
    _, texts = read_script(files[f"search/{search.chunk_name(titles, 'text', 0)}.js"])
    assert texts[3] == ["An abstract.", "A note about graphs.", ""]
    assert texts[0][2] == "gnn"


@pytest.mark.parametrize("large", [False, True])
def test_snippet_text_is_abstract_and_notes_cut_at_a_word(
    monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    # Most abstracts whole, so that a results page can show the stretch that matched; on a
    # very large site (no title stage) only their start, to fit GitHub Pages.
    monkeypatch.setattr(search, "TITLE_STAGE_PAPERS", 1 if large else 100)
    limit = search.LEAD_CHARS if large else search.SNIPPET_CHARS
    long = " ".join(f"word{i}" for i in range(400))
    papers = [paper("long", "Long", long, notes=long, tags=("a", "b")), paper("x", "X", "Brief.")]
    files = search.search_files(papers, Taxonomy((Theme("theory", "Theory"),)))
    _, titles = read_script(files["search/titles.js"])
    _, texts = read_script(files[f"search/{search.chunk_name(titles, 'text', 0)}.js"])
    abstract, notes, tags = texts[0]
    assert abstract == notes and tags == "a b"
    assert limit - 10 <= len(abstract) <= limit and abstract.endswith("…")
    assert long.startswith(abstract[:-1]) and long[len(abstract) - 1] == " "
    assert texts[1] == ["Brief.", "", ""]
    assert search.lead("x" * 400, 300) == "x" * 299 + "…"
    keys = search.entry_keys(papers, Taxonomy((Theme("theory", "Theory"),)))
    monkeypatch.setattr(search, "TITLE_STAGE_PAPERS", 100 if large else 1)
    assert set(keys).isdisjoint(search.entry_keys(papers, Taxonomy((Theme("theory", "Theory"),))))


def test_a_fresh_index_makes_each_shard_item_as_its_shard_takes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    papers, taxonomy = generate_papers(120, seed=2)
    files = search.search_index(papers, taxonomy)[0]
    per_take = makes_per_take(
        monkeypatch, (search, "shard_texts"), (search.ShardedIndex, "term_codes")
    )
    assert search.search_index(papers, taxonomy)[0] == files
    assert len(per_take) > 100 and set(per_take) == {1}  # each term's codes made as taken


@pytest.mark.parametrize("tier", [search.POSITION_POSTINGS, 4])
def test_sharded_index_decodes_to_the_serialized_index(
    tier: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "POSITION_POSTINGS", tier)
    papers, taxonomy = generate_papers(30, seed=1)
    docs = [d.fields() for d in search.search_documents(papers, taxonomy)]
    index = search.ShardedIndex()
    for doc in docs:
        index.add(doc)
    assert {row.typecode for row in index.postings.values()} == {"i"}  # 4 bytes an int
    firsts, texts, lates = index.shards(limit=2000)
    assert index.postings == {} and index.codes.keys() == index.terms.keys()  # turned to codes
    assert any(lates) == (tier == 4) and len(lates) == len(texts)  # common words: a late file
    assert len(texts) > 5 and len(firsts) == len(texts)
    assert firsts == sorted(firsts, key=lambda t: t.encode("utf-16-be"))
    shards = [json.loads(text) for text in texts]
    codes = read_varints("".join(shard["s"] for shard in shards))
    assert max(codes) >= 32 * 32  # long ints
    head = json.loads(index.head(firsts))
    assert decode_index(head, shards) == build_index(docs)
    # Smaller than lunr's JSON, though it also holds where every title and abstract word is.
    assert sum(map(len, texts)) + len(index.head(firsts)) < len(index_json(build_index(docs)))


def test_a_query_loads_only_the_shards_of_its_words(tmp_path: Path) -> None:
    papers, taxonomy = generate_papers(200, seed=3)
    write_search_files(tmp_path, papers, taxonomy)
    loaded = run_node(
        """
        const sandbox = vm.createContext({ JSON });
        sandbox.self = sandbox;
        const names = [];
        const load = (name) => {
          names.push(name);
          const file = path.join(input, "search", name + ".js");
          vm.runInContext(fs.readFileSync(file, "utf8"), sandbox);
          return sandbox.SITEGEN_SEARCH[name];
        };
        const manifest = load("titles");
        const searcher = engine.openFull(manifest, load);
        const result = searcher.query("graph", {});
        print({ names, shards: manifest.shards.length, hits: result.total });
        """,
        str(tmp_path),
    )
    assert loaded["hits"] > 0
    assert len(loaded["names"]) == 3  # titles, the head, and the one shard holding "graph"
    assert loaded["shards"] >= 5


def test_sharded_index_refuses_refs_out_of_order() -> None:
    index = search.ShardedIndex()
    index.add(TRICKY_DOCS[0])
    with pytest.raises(ValueError, match="out of order"):
        index.add(TRICKY_DOCS[2])


def test_engine_rounds_weights_like_python() -> None:
    rng = random.Random(9)
    values = [k / 16 for k in range(1, 3200, 2)]  # exact halves at the third decimal
    halves = [(2 * i + 1) / 2000 for i in range(3000)]  # nearly halves, either side
    values += [math.nextafter(x, toward) for x in halves for toward in (0, 10)] + halves
    values += [rng.uniform(0, 10 ** rng.randint(-3, 4)) for _ in range(20_000)]
    got = run_node("print(input.map(engine.round3));", values)
    assert got == [round(x, 3) for x in values]


def tricky_papers() -> tuple[list[Paper], Taxonomy]:
    """Generated papers plus some with notes, tags and non-BMP or fullwidth words."""
    papers, taxonomy = generate_papers(150, seed=4)
    odd = [
        ("fullwidth", "Ｆｕｌｌ ｗｉｄｔｈ ｚａ words", "Fullwidth ｚａ and 𝔘a side by side."),
        ("fraktur", "𝔘a 𝔘b fraktur words", "Astral letters: 𝔘a, 𝔘b and ｚａ."),
        ("emoji", "Emoji a😀b", "Replacement \ufffd chars a\ufffdb and a😀b."),
    ]
    papers += [
        paper(slug, title, abstract, tags=("tag-a", "b"), notes="Note *with* words words.")
        for slug, title, abstract in odd
    ]
    return papers, taxonomy


def utf16_order(serialized: dict) -> dict:
    """serialized with its terms sorted as JavaScript compares strings (UTF-16 units)."""
    inverted = sorted(serialized["invertedIndex"], key=lambda item: item[0].encode("utf-16-be"))
    return {**serialized, "invertedIndex": inverted}


def test_engine_decodes_the_files_to_lunr_pys_index(tmp_path: Path) -> None:
    papers, taxonomy = tricky_papers()
    write_search_files(tmp_path, papers, taxonomy)
    decoded = run_node(
        """
        const sandbox = vm.createContext({ JSON });
        sandbox.self = sandbox;
        const load = (name) => vm.runInContext(
          fs.readFileSync(path.join(input, "search", name + ".js"), "utf8"), sandbox);
        const manifest = (load("titles"), sandbox.SITEGEN_SEARCH.titles);
        const full = engine.openFull(manifest, (name) => {
          load(name);
          return sandbox.SITEGEN_SEARCH[name];
        }).index;
        // lunr.js loads it (its TokenSet wants terms in JavaScript's string order); the
        // index holds folded words ("ｚａ" is "za"), which queries are folded to first
        const folded = engine.fold("𝔘a ｚａ");
        print({ index: full.serialized(), hits: full.lunr.search(folded).length, folded });
        """,
        str(tmp_path),
    )
    docs = [d.fields() for d in search.search_documents(papers, taxonomy)]
    expected = utf16_order(build_index(docs))
    assert expected != build_index(docs)  # the two orders differ on these terms
    assert decoded["index"] == expected
    assert (decoded["hits"], decoded["folded"]) == (2, "ua za")
    assert decode_index(*load_index_files(tmp_path)) == build_index(docs)


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
    build(root, BuildOptions(output))
    return output


def run_lunr_js(site: Path, queries: list[str]) -> list[dict]:
    """Results of tests/search_parity.js (lunr.js from node_modules) for queries."""
    assert LUNR_JS.is_file(), "run `npm ci` at the repo root first"
    return node_json([str(REPO / "tests" / "search_parity.js"), str(site)], queries)


def load_index_files(site: Path) -> tuple[dict, list[dict]]:
    """The head and the shards of the index in a built site."""
    _, titles = read_script((site / "search" / "titles.js").read_bytes())

    def read(name: str) -> dict:
        return read_script((site / "search" / f"{name}.js").read_bytes())[1]

    return read(titles["index"][0]), [read(name) for name in titles["shards"]]


def load_built_index(site: Path) -> dict:
    """The serialized index, decoded from the built search/ files."""
    return decode_index(*load_index_files(site))


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


def test_engine_never_throws_and_answers_broad_queries(built_site: Path) -> None:
    odd = ['"', "*", "the of and", "title:", "transformr"]
    rows = {r["query"]: r for r in run_lunr_js(built_site, PARITY_QUERIES + BROAD_QUERIES + odd)}
    for query in ('"', "*", "~", ":", "the of and", "title:"):
        assert rows[query]["engine"] == [], query  # nothing to search for, and no error
    assert len(rows["learning"]["engine"]) > 200
    assert rows["transformr"]["mode"] == "typo" and rows["transformr"]["engine"]
    assert rows["diffusion"]["mode"] == "exact"
    # one word: every paper holding it, the same set as lunr's
    assert sorted(rows["diffusion"]["engine"]) == sorted(rows["diffusion"]["refs"])
    assert set(rows["-video"]["engine"]) == set()  # only a "not": nothing to rank


def test_vendored_lunr_is_the_npm_package() -> None:
    vendored = REPO / "static" / "vendor" / "lunr.min.js"
    assert vendored.read_bytes() == (LUNR_JS.parent / "lunr.min.js").read_bytes()
    assert b"2.3.9" in vendored.read_bytes()[:200]
    assert (REPO / "static" / "vendor" / "LUNR-LICENSE").read_text().startswith("Copyright")


# --- sitegen's ranking (static/search-engine.js's rankQuery), in node ---------------

FILLER = "We study a problem and report experiments on standard benchmarks with results."


def ranking_site(tmp_path: Path, papers: list[Paper]) -> Path:
    """A folder holding only the search data of papers (theory theme)."""
    return write_search_files(tmp_path, papers, Taxonomy((Theme("theory", "Theory"),)))


def engine_results(
    site: Path, queries: list[str], papers: list[Paper] | None = None, **options: object
) -> dict[str, dict]:
    """benchmarks/search_node.js over site: each query's result, slugs for refs (from
    titles.js, or papers as the index numbers them: a large site's titles.js has none)."""
    _, titles = read_script((site / "search" / "titles.js").read_bytes())
    request = {"queries": queries, "limit": 10, **options}
    rows = node_json([str(REPO / "benchmarks" / "search_node.js"), str(site)], request)["results"]
    if papers is not None:
        slugs = [p.slug for p in search.numbered(papers)]
    else:
        slugs = [doc[2] or slugify(doc[0]) for doc in titles["docs"]]
    for row in rows:
        row["slugs"] = [slugs[ref] for ref in row["refs"]]
    return {row["query"]: row for row in rows}


def test_papers_with_every_word_come_first_and_are_counted(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("all", "Message passing for molecules", "A graph neural network. " + FILLER),
            paper("short", "Graph kernels", "Graph graph graph kernels."),
            paper("two", "Neural network pruning", "Pruning a neural network. " + FILLER),
            paper("none", "Unrelated", FILLER),
        ],
    )
    row = engine_results(site, ["graph neural network"])["graph neural network"]
    assert row["slugs"] == ["all", "two", "short"]
    assert (row["total"], row["full"]) == (3, 1)


def test_pages_and_theme_filters_follow_the_whole_ranking(tmp_path: Path) -> None:
    # The engine orders only the page asked for (a bounded top-k): every page and every
    # theme filter must still be a slice of the one ranking, ties and all.
    papers, taxonomy = generate_papers(400, seed=5)
    site = write_search_files(tmp_path, papers, taxonomy)
    _, titles = read_script((site / "search" / "titles.js").read_bytes())
    queries = ["learning", "neural network", '"deep learning" model', "model", "graph models"]
    whole = engine_results(site, queries, limit=400)
    for query in queries:
        ranking = whole[query]["refs"]
        assert len(ranking) == whole[query]["total"] > 40, query
        pages = [
            engine_results(site, [query], limit=10, offset=offset)[query]["refs"]
            for offset in (0, 10, 30)
        ]
        assert pages == [ranking[0:10], ranking[10:20], ranking[30:40]], query
        theme = titles["docs"][ranking[-1]][1]
        filtered = engine_results(site, [query], limit=400, theme=theme)[query]["refs"]
        assert filtered == [ref for ref in ranking if titles["docs"][ref][1] == theme], query


def test_words_together_and_in_order_outrank_scattered_ones(tmp_path: Path) -> None:
    long = " ".join([FILLER] * 6)
    site = ranking_site(
        tmp_path,
        [
            paper("phrase", "A new approach", f"{long} We propose masked image modeling. {long}"),
            paper("scattered", "Masked models for image data", "Modeling. " + FILLER),
            paper("reversed", "Modeling image masked", FILLER),
        ],
    )
    rows = engine_results(site, ["masked image modeling", '"masked image modeling"'])
    assert rows["masked image modeling"]["slugs"][0] == "phrase"
    assert rows["masked image modeling"]["full"] == 3
    assert rows['"masked image modeling"']["slugs"] == ["phrase"]  # quoted: the exact phrase


def test_common_words_keep_their_best_slots_and_quoted_phrases_stay_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers, taxonomy = generate_papers(200, seed=3)
    whole = write_search_files(tmp_path / "whole", papers, taxonomy)
    monkeypatch.setattr(search, "POSITION_POSTINGS", 8)
    tiered = write_search_files(tmp_path / "tiered", papers, taxonomy)
    assert list((tiered / "search").glob("late-*.js")) and not list(whole.glob("search/late-*"))
    quoted = ['"neural network"', '"deep learning" model', '"learning" "image"']
    for query, row in engine_results(tiered, quoted, limit=200).items():
        expected = engine_results(whole, [query], limit=200)[query]
        assert (row["refs"], row["total"]) == (expected["refs"], expected["total"]), query
        assert row["total"] > 3, query
    # Ranking by words that stand together reads the shard's slots alone, loaded late
    # files or not: the dropdown and the page never disagree over what has loaded.
    plain = ["neural network", "deep learning model"]
    alone = engine_results(tiered, plain, limit=200)
    after = engine_results(tiered, quoted + plain, limit=200)
    assert all(alone[q]["refs"] == after[q]["refs"] for q in plain)


def marked_words(text: str, terms: list[str]) -> list[str]:
    """The words of text that the engine's highlight marks for a hit's terms."""
    runs = run_node("print(engine.highlight(input[0], input[1]));", [text, terms])
    return [run["text"] for run in runs if run["hit"]]


def test_highlights_mark_the_typed_prefix_and_forms_of_the_word_only(tmp_path: Path) -> None:
    text = "Organizing organs: general generative models, modern modeling of organizations"
    site = ranking_site(
        tmp_path,
        [
            paper("a", "Organizing organs", "General generative models. " + FILLER),
            paper("b", "Modern modeling of organizations", FILLER),
        ],
    )
    typed = engine_results(site, ["organiz", "mod"], prefixLast=True)
    # A prefix marks the words that start with it as typed, not every word of their
    # stems ("organ" and "organization" are one term).
    assert marked_words(text, typed["organiz"]["terms"]) == ["Organizing", "organizations"]
    assert marked_words(text, typed["mod"]["terms"]) == ["models", "modern", "modeling"]
    # A word typed in full marks its forms too, as the results page does.
    typed = engine_results(site, ["general models"], prefixLast=True)
    assert marked_words(text, typed["general models"]["terms"]) == ["general", "models", "modeling"]
    # A whole word marks its forms, not the words that merely share its stem.
    words = engine_results(site, ["general", "models", "organs"])
    assert marked_words(text, words["general"]["terms"]) == ["general"]
    assert marked_words(text, words["models"]["terms"]) == ["models", "modeling"]
    assert marked_words(text, words["organs"]["terms"]) == ["organs"]
    # "-er" and "-ive" make other words (lunr's stemmer makes all of these "transform"): a
    # transformer's forms are its plural; a verb's include its "-ion" noun.
    site = ranking_site(
        tmp_path / "t",
        [
            paper("t", "Transformers", "Transformer. " + FILLER),
            paper("o", "Optimization", "Segmentation. " + FILLER),
        ],
    )
    text = "Transform a transformer: transformers, transformation, transformed, transformative"
    words = engine_results(site, ["transformer", "transformation", "transform"])
    assert marked_words(text, words["transformer"]["terms"]) == ["transformer", "transformers"]
    verb = ["Transform", "transformation", "transformed"]
    assert marked_words(text, words["transformation"]["terms"]) == verb
    assert marked_words(text, words["transform"]["terms"]) == verb
    text = "We optimize optimizers: optimized optimization; segment segmented segmentation"
    words = engine_results(site, ["optimization", "segmentation"])
    assert marked_words(text, words["optimization"]["terms"]) == [
        "optimize",
        "optimized",
        "optimization",
    ]
    assert marked_words(text, words["segmentation"]["terms"]) == [
        "segment",
        "segmented",
        "segmentation",
    ]


FOLD_CASES = [
    "Fréchet Inception Distance",
    "NYSTRÖM and Rényi, Lévy, Poincaré, Erdős, Hölder",
    "ﬁne-tuning ＡＩ models²",  # compatibility forms: a ligature, full width, a superscript
    "한국어 데이터, がぎぐ, Ελληνικά, Ёлка, İstanbul, ΣΟΦΟΣ",  # kept but for their accents
    "e\u0301te\u0301 (typed with combining accents)",
    "Fr´echet and Sch¨olkopf (as a PDF copies them), Watson™",
    "plain ASCII Text",
]


def test_folding_drops_accents_and_case_and_keeps_other_letters() -> None:
    assert search.folded("Fréchet, NYSTRÖM, Rényi") == "frechet, nystrom, renyi"
    assert search.folded("e\u0301te\u0301") == "ete"
    assert search.folded("ﬁne ＡＩ") == "fine ai"
    # A spacing accent and ™ are dropped, not made a space or letters: one word each.
    assert search.folded("Fr´echet Sch¨olkopf Watson™") == "frechet scholkopf watson"
    # Hangul and kana stay whole (NFC puts back what NFKD split), Greek loses only its tonos.
    assert search.folded("한국어 がぎ Ελληνικά") == "한국어 がぎ ελληνικα"


def test_the_browser_folds_text_as_the_build_does() -> None:
    assert run_node("print(input.map(engine.fold));", FOLD_CASES) == [
        search.folded(text) for text in FOLD_CASES
    ]


def test_words_are_found_with_or_without_their_accents(tmp_path: Path) -> None:
    papers = [
        paper("fid", "Fréchet distances between generative models", "Rényi bounds. " + FILLER),
        paper("nys", "NYSTRÖM approximations of kernels", FILLER),
        paper("plain", "Frechet means on manifolds", FILLER),
        paper("none", "Unrelated", FILLER),
    ]
    site = ranking_site(tmp_path, papers)
    queries = ["frechet", "Fréchet", "FRÉCHET", "nystrom", "nyström", "renyi", "fréch*"]
    for stage in ("titles", "full"):
        rows = engine_results(site, queries, stage=stage)
        for query in ("frechet", "Fréchet", "FRÉCHET", "fréch*"):
            assert set(rows[query]["slugs"]) == {"fid", "plain"}, (stage, query)
        assert rows["nystrom"]["slugs"] == rows["nyström"]["slugs"] == ["nys"], stage
    assert engine_results(site, ["renyi"])["renyi"]["slugs"] == ["fid"]  # in an abstract
    typed = engine_results(site, ["frechet", "nystr"], prefixLast=True)
    text = "Fréchet distances, NYSTRÖM approximations"
    assert marked_words(text, typed["frechet"]["terms"]) == ["Fréchet"]
    assert marked_words(text, typed["nystr"]["terms"]) == ["NYSTRÖM"]
    # Words that begin or end with a letter outside ASCII are marked whole.
    assert marked_words("Über naïve Poincaré, Émile", ["~uber", "~poincare", "~emile"]) == [
        "Über",
        "Poincaré",
        "Émile",
    ]
    assert marked_words("Grad－CAM maps", ["~cam"]) == ["CAM"]  # a full-width hyphen splits


def test_a_word_written_as_one_or_as_two_finds_both_spellings(tmp_path: Path) -> None:
    papers = [
        paper("gradcam", "Grad-CAM: visual explanations from deep networks", FILLER),
        paper("multi", "Multi head attention, revisited", "Each head attends. " + FILLER),
        paper("apart", "Cam placement for grad students", "A cam, a grad: back to ones. " + FILLER),
        paper("bb", "Backbones for vision", FILLER),
        paper("hyphen", "Pre-trained encoders", FILLER),
        paper("inabs", "Encoders for text", "We study pre-trained encoders. " + FILLER),
        paper("joined", "Pretrained decoders", FILLER),
        paper("ft", "Finetuning language models", FILLER),
    ]
    site = ranking_site(tmp_path, papers)
    for stage in ("titles", "full"):
        queries = ["gradcam", "multihead", "GradCAM explanations", "pretrained", "pre trained"]
        queries += ["fine tuning"]
        rows = engine_results(site, queries, stage=stage)
        # the words together and in order, not apart ("apart" holds both words)
        assert rows["gradcam"]["slugs"] == ["gradcam"], stage
        assert rows["gradcam"]["expansions"] == [["gradcam", "grad cam"]], stage
        assert rows["gradcam"]["mode"] != "typo", stage
        assert rows["multihead"]["slugs"] == ["multi"], stage
        assert rows["GradCAM explanations"]["slugs"][0] == "gradcam", stage
        # a word written both ways finds both, typed as one or as two, the words as typed
        # first, even in an abstract ("pre trained" before a title's "Pretrained")
        both = ["hyphen", "joined"] if stage == "titles" else ["hyphen", "inabs", "joined"]
        assert sorted(rows["pretrained"]["slugs"]) == sorted(both), stage
        assert rows["pre trained"]["slugs"] == both, stage
        assert rows["fine tuning"]["slugs"] == ["ft"], stage
        assert rows["fine tuning"]["expansions"] == [["finetuning", "fine tuning"]], stage
        typed = engine_results(site, ["gradcam"], prefixLast=True, stage=stage)
        assert typed["gradcam"]["slugs"] == ["gradcam"], stage
    typed = engine_results(site, ["gradcam"])["gradcam"]
    assert marked_words("Grad-CAM: visual explanations", typed["terms"]) == ["Grad", "CAM"]
    typed = engine_results(site, ["fine tuning"])["fine tuning"]
    assert marked_words("Finetuning language models", typed["terms"]) == ["Finetuning"]
    # A misspelt word is still corrected, also one that splits into two written words no
    # paper holds together ("backones": "back ones"; "apart" holds both, not as a phrase).
    rows = engine_results(site, ["atention", "backones", "-gradcam atention", "title:atention"])
    assert rows["-gradcam atention"]["corrected"] == "-gradcam attention"  # still excluded
    assert rows["title:atention"]["corrected"] == "title:attention"
    assert rows["atention"]["slugs"] == ["multi"]
    assert (rows["backones"]["slugs"], rows["backones"]["corrected"]) == (["bb"], "backbones")
    assert rows["backones"]["expansions"] == []


def test_split_words_keep_phrases_fields_and_typing_consistent(tmp_path: Path) -> None:
    papers = [
        paper("multi", "Multi head attention, revisited", FILLER),
        paper("sage", "Graph SAGE: inductive learning", FILLER),
        paper("graphsage", "Graphs age quickly", FILLER),
        *(paper(f"age{n}", f"Graphs of age {n}", FILLER) for n in range(3)),
        paper("learn", "Learnability of halfspaces", FILLER),
        paper("ability", "Learning ability: what deep networks learn", FILLER),
        paper("inabs", "Saliency maps", "We compare Grad-CAM with others. " + FILLER),
        paper("hyphen", "Pre-trained encoders", FILLER),
        paper("pretrained", "Pretrained decoders", "With encoders. " + FILLER),
        paper("training", "Pre-training at scale", FILLER),
        paper("ft", "Finetuning language models", "We study instance normalization (IN). "),
    ]
    site = ranking_site(tmp_path, papers)
    queries = ["multihead attention", '"multihead attention"', "graphsage", "learnability"]
    queries += ["multihead multihead", "pretrained encoders", '"fine tuning"', "-gradcam saliency"]
    queries += ['"multihead"', "fine of tuning"]
    for stage in ("titles", "full"):
        rows = engine_results(site, queries, stage=stage)
        # a quoted phrase is matched as typed; unquoted, the split counts
        assert rows["multihead attention"]["slugs"] == ["multi"], stage
        assert rows['"multihead attention"']["slugs"] == rows['"multihead"']["slugs"] == [], stage
        assert rows['"fine tuning"']["expansions"] == [], stage
        # every split some paper holds ("graph sage" and "graphs age")
        assert set(rows["graphsage"]["slugs"]) == {"sage", "graphsage"}, stage
        assert len(rows["graphsage"]["expansions"]) == 2, stage
        # the word itself before the words it splits into; the split as the word itself
        assert rows["learnability"]["slugs"] == ["learn", "ability"], stage
        assert rows["pretrained encoders"]["slugs"][0] == "hyphen", stage
        assert rows["multihead multihead"]["expansions"] == [["multihead", "multi head"]], stage
        assert rows["-gradcam saliency"]["expansions"] == [], stage  # excluded: not named
        assert rows["fine of tuning"]["expansions"] == [], stage  # words apart are no word
    rows = engine_results(site, ["gradcam", "title:gradcam", "title:fine title:tuning"])
    assert rows["gradcam"]["slugs"] == ["inabs"]
    assert marked_words("We compare Grad-CAM with others", rows["gradcam"]["terms"]) == [
        "Grad",
        "CAM",
    ]
    # a field is searched for the words as typed
    assert rows["title:gradcam"]["slugs"] == rows["title:fine title:tuning"]["slugs"] == []
    # While typing, a second part of 3+ letters may be begun: the hits stay as it grows.
    typing = ["pretr", "pretra", "pretrai", "pretrain", "pretraine", "pretrained", "of"]
    rows = engine_results(site, typing, prefixLast=True)
    for typed in typing[2:6]:
        assert {"hyphen", "pretrained"} <= set(rows[typed]["slugs"]), typed
    assert rows["pretrai"]["expansions"] == []  # "pre trai" is no word to show
    assert rows["of"]["expansions"] == []  # a stop word is no acronym's short form ("IN")


def test_two_words_the_corpus_writes_as_one_are_no_typos(tmp_path: Path) -> None:
    papers = [
        paper("auto", "Autoregressive models", FILLER),
        paper("aggr", "Aggressive driving", FILLER),
        paper("grad", "Advice for grad students", FILLER),
        paper("cam", "Gradcam for transformers", FILLER),
    ]
    site = ranking_site(tmp_path, papers)
    for stage in ("titles", "full"):
        rows = engine_results(site, ["autore gressive", "grad cam"], stage=stage)
        row = rows["autore gressive"]
        assert (row["slugs"], row["mode"], row["full"]) == (["auto"], "exact", 1), stage
        assert "No paper contains" not in row["notice"], stage
        assert rows["grad cam"]["slugs"] == ["cam", "grad"], stage
        assert rows["grad cam"]["full"] == 1, stage


def test_a_title_with_only_another_word_of_the_stem_ranks_below_the_word_itself(
    tmp_path: Path,
) -> None:
    # lunr's stemmer makes "generalization" and "generative" one term ("gener"), and
    # "transformer" and "transformation" another: both still match, but a title holding
    # only the other word ranks below one holding the word (or its plural).
    site = ranking_site(
        tmp_path,
        [
            paper("generative", "Generative networks", FILLER),
            paper("domain", "A study of domain generalization across many vision tasks", FILLER),
            paper("basis", "Basis transformation", FILLER),
            paper("vit", "Plain vision transformers as backbones for dense prediction", FILLER),
            paper("modelling", "Modelling long documents", FILLER),
            paper("modeling", "A study of document modeling across many vision tasks", FILLER),
        ],
    )
    for stage, typing in [("titles", False), ("full", False), ("titles", True), ("full", True)]:
        # typing: the dropdown, where the last word is also a prefix (each query is one word)
        queries = ["generalization", "transformer", "generative", "modeling"]
        rows = engine_results(site, queries, stage=stage, prefixLast=typing)
        assert rows["generalization"]["slugs"] == ["domain", "generative"], stage
        assert rows["transformer"]["slugs"] == ["vit", "basis"], stage
        assert rows["generative"]["slugs"][0] == "generative", stage
        # A doubled consonant is the same word: the shorter title first, as lunr weighs.
        assert rows["modeling"]["slugs"] == ["modelling", "modeling"], stage
    for stage in ("titles", "full"):  # typing a prefix no word is: each longer word weighed
        typed = engine_results(site, ["generaliz"], stage=stage, prefixLast=True)
        assert typed["generaliz"]["slugs"] == ["domain", "generative"], stage
    text = "Modelling and modeling, labelled and labeled"
    words = engine_results(site, ["modeling"])["modeling"]["terms"]
    assert marked_words(text, words) == ["Modelling", "modeling"]


def test_a_paper_holding_each_word_itself_ranks_above_one_holding_a_sibling_of_one(
    tmp_path: Path,
) -> None:
    # "Generative models" holds both stems, side by side in its title, but not the word
    # "generalization": a paper that says both words ranks first, though they stand apart.
    site = ranking_site(
        tmp_path,
        [
            paper("generative", "Generative models", "Generative models of images. " + FILLER),
            paper("ood", "Generalization in vision models", "Out of distribution. " + FILLER),
            paper("vit", "Graph transformers", "On graphs. " + FILLER),
            paper("basis", "Graph transformations", "On graphs. " + FILLER),
        ],
    )
    queries = ["generalization models", "models generalization", "transformer graph"]
    for stage, typing in [("titles", False), ("full", False), ("full", True)]:
        rows = engine_results(site, queries, stage=stage, prefixLast=typing)
        assert rows["generalization models"]["slugs"][:2] == ["ood", "generative"], stage
        assert rows["models generalization"]["slugs"][:2] == ["ood", "generative"], stage
        assert rows["transformer graph"]["slugs"][:2] == ["vit", "basis"], stage
        assert rows["generalization models"]["full"] == 2  # both still hold every stem


def test_a_paper_whose_text_holds_the_word_ranks_above_one_only_in_a_theme_named_so(
    tmp_path: Path,
) -> None:
    # A detection paper filed under "Detection & segmentation" matches "segmentation" by its
    # theme's name; a paper that says "segmentation" (once, in a long abstract) comes first.
    taxonomy = Taxonomy((Theme("theory", "Theory"), Theme("det", "Detection & segmentation")))
    papers = [
        paper("boxes", "Boxes at scale", "We detect objects in images.", theme="det"),
        paper("masks", "Pictures at scale", "We study " + FILLER + " and segmentation."),
    ]
    site = write_search_files(tmp_path, papers, taxonomy)
    rows = engine_results(site, ["segmentation", "segmentation images"], papers)
    assert rows["segmentation"]["slugs"] == ["masks", "boxes"]
    assert rows["segmentation"]["full"] == 2  # both still match
    themed = engine_results(site, ["themes:segmentation"], papers)  # the field asked for
    assert themed["themes:segmentation"]["slugs"] == ["boxes"]


def test_a_word_finds_its_other_spelling_as_a_form_of_itself(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("uk", "Domain generalisation at scale", FILLER),
            paper("us", "Domain generalization at scale", FILLER),
            paper("gen", "Generative models at scale", FILLER),
            paper("opt", "We optimise networks", FILLER),
        ],
    )
    for stage in ("titles", "full"):
        rows = engine_results(site, ["generalization", "generalisation", "optimize"], stage=stage)
        assert set(rows["generalization"]["slugs"][:2]) == {"uk", "us"}, stage
        assert set(rows["generalisation"]["slugs"][:2]) == {"uk", "us"}, stage
        assert rows["optimize"]["slugs"] == ["opt"], stage
    for query in ("generalization", "generalisation"):  # either spelling marks both
        words = engine_results(site, [query])[query]["terms"]
        assert marked_words("Generalisation and generalization, not generative", words) == [
            "Generalisation",
            "generalization",
        ]


def test_a_rare_other_spelling_weighs_no_more_than_the_word(tmp_path: Path) -> None:
    # "generalisation" is a rare term (a high idf), "generalization" shares "gener" with
    # generative, generation...: an abstract's "generalisation" must not outrank a title.
    site = ranking_site(
        tmp_path,
        [
            paper("uk", "Shifts between domains", "Generalisation."),
            paper("us", "Domain generalization", FILLER),
            # "gener" in as many (field, paper) pairs as papers: lunr's idf is then least
            *[paper(f"g{n}", f"Generative models {n}", FILLER) for n in range(20)],
        ],
    )
    for typing in (False, True):
        rows = engine_results(site, ["generalization"], prefixLast=typing)
        assert rows["generalization"]["slugs"][:2] == ["us", "uk"], typing


def test_a_trailing_wildcard_matches_the_words_it_begins(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("gen", "Generative networks", FILLER),
            paper("general", "General methods", FILLER),
            paper("other", "Discriminative networks", FILLER),
        ],
    )
    rows = engine_results(site, ["gen*", "networks gen*"])
    assert set(rows["gen*"]["slugs"]) == {"gen", "general"}
    assert rows["networks gen*"]["slugs"][0] == "gen" and rows["networks gen*"]["full"] == 1


def test_a_quoted_phrase_ranks_its_own_words_above_siblings_of_their_stems(
    tmp_path: Path,
) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("generative", "Generative models", FILLER),
            paper("ood", "Generalization models at scale", FILLER),
        ],
    )
    rows = engine_results(site, ['"generalization models"'])
    assert rows['"generalization models"']["slugs"] == ["ood", "generative"]


def test_a_posting_of_inflections_holds_each_word_they_are_forms_of(tmp_path: Path) -> None:
    # "embedding" inflects the term "embed" (no mark), and is a form of "embeddings", though
    # "embed" is not; "embedment" is another word (a mark).
    site = ranking_site(
        tmp_path,
        [paper("graph", "Graph embedding methods", FILLER), paper("other", "Embedment", FILLER)],
    )
    for stage in ("titles", "full"):
        rows = engine_results(site, ["embeddings", "embedment"], stage=stage)
        assert rows["embeddings"]["slugs"] == ["graph", "other"], stage
        assert rows["embedment"]["slugs"] == ["other", "graph"], stage


def test_entry_keys_hold_the_index_format(monkeypatch: pytest.MonkeyPatch) -> None:
    # A site an older sitegen indexed gets its search files made again, not kept.
    papers, taxonomy = sample_papers()
    papers = [*papers, replace(papers[0], slug="paged", page_key="a page's content key")]
    before = search.entry_keys(papers, taxonomy)
    monkeypatch.setattr(search, "FORMAT_TAG", "search index 0")
    assert all(a != b for a, b in zip(before, search.entry_keys(papers, taxonomy), strict=True))


@pytest.mark.parametrize("tier", [search.POSITION_POSTINGS, 1])  # 1: slots in late files
@pytest.mark.parametrize("titled", [True, False])  # False: a large site's titles.js
def test_an_abstract_or_theme_with_only_another_word_of_the_stem_ranks_below(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, titled: bool, tier: int
) -> None:
    # Without the form marks, "basis" (a shorter abstract) and "affine" (a theme's name
    # holds "transformations") would rank first for "transformer".
    monkeypatch.setattr(search, "TITLE_STAGE_PAPERS", 100 if titled else 0)
    monkeypatch.setattr(search, "POSITION_POSTINGS", tier)
    taxonomy = Taxonomy((Theme("theory", "Theory"), Theme("affine", "Affine transformations")))
    papers = [
        paper("basis", "Images at scale", "A transformation of images."),
        paper("vit", "Images at scale", "We train a transformer on images and report results."),
        paper("affine", "Pictures at scale", "We train a model on pictures.", theme="affine"),
        paper("seq", "Pictures at scale", "We train a transformer on pictures with results."),
    ]
    site = write_search_files(tmp_path, papers, taxonomy)
    rows = engine_results(site, ["transformer", "transformation", "transformer images"], papers)
    assert set(rows["transformer"]["slugs"][:2]) == {"vit", "seq"}
    assert set(rows["transformation"]["slugs"][:2]) == {"basis", "affine"}
    assert rows["transformer images"]["slugs"][0] == "vit"
    typed = engine_results(site, ["transformer"], papers, prefixLast=True)  # the dropdown
    assert set(typed["transformer"]["slugs"][:2]) == {"vit", "seq"}


def test_a_word_typed_in_full_ranks_above_a_rarer_word_it_begins(tmp_path: Path) -> None:
    # "DiffusionSat" is rarer than "diffusion" (a higher idf): while typing, a longer word
    # counts with the typed word's idf at most, so the dropdown agrees with the page.
    site = ranking_site(
        tmp_path,
        [
            paper("sat", "DiffusionSat for satellite images", FILLER),
            paper("functional", "Functional diffusion at scale", FILLER),
            *[paper(f"d{n}", f"Diffusion models {n}", FILLER) for n in range(6)],
        ],
    )
    for stage in ("titles", "full"):
        typed = engine_results(site, ["diffusion"], stage=stage, prefixLast=True)
        page = engine_results(site, ["diffusion"], stage=stage)
        assert typed["diffusion"]["slugs"][-1] == "sat", stage
        assert typed["diffusion"]["slugs"][:7] == page["diffusion"]["slugs"][:7], stage
        typed = engine_results(site, ["diffusio"], stage=stage, prefixLast=True)  # not a word
        assert set(typed["diffusio"]["slugs"]) == {"sat", "functional"} | {
            f"d{n}" for n in range(6)
        }


def test_every_prefix_of_a_written_word_finds_it_in_both_stages(tmp_path: Path) -> None:
    words = ["contrastive", "generative", "segmentation", "representations", "adversarial"]
    papers = [paper(w, f"{w.title()} methods", f"On {w} learning. " + FILLER) for w in words]
    site = ranking_site(tmp_path, papers)
    prefixes = [w[:n] for w in words for n in range(1, len(w) + 1)]
    for stage in ("titles", "full"):
        rows = engine_results(site, prefixes, prefixLast=True, stage=stage)
        for prefix in prefixes:
            word = next(w for w in words if w.startswith(prefix))
            assert word in rows[prefix]["slugs"], (stage, prefix)
    # Without prefixLast (the results page), a prefix is a word like any other.
    assert engine_results(site, ["contrasti"])["contrasti"]["mode"] == "typo"


def test_a_misspelt_word_is_corrected_on_the_written_words(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("diffusion", "Diffusion models", "Diffusion models generate images. " + FILLER),
            paper("models", "Language models", FILLER),
            paper("graphical", "Graphically structured models", "Graphical models. " + FILLER),
        ],
    )
    rows = engine_results(site, ["difusion models", "graphicall", "diffusion"])
    typo = rows["difusion models"]
    assert typo["slugs"][0] == "diffusion" and typo["full"] == 1
    assert typo["corrected"] == "diffusion models"
    assert "Showing results for \u201cdiffusion models\u201d" in typo["notice"]
    # "graphicall" is one edit from "graphical" but two from its stem "graphic"
    assert rows["graphicall"]["corrected"] == "graphical"
    assert rows["graphicall"]["slugs"][0] == "graphical"
    assert rows["diffusion"]["mode"] == "exact" and not rows["diffusion"]["notice"]


def test_acronyms_the_corpus_defines_are_found_both_ways(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("defines", "Pre-training", "We study masked image modeling (MIM). " + FILLER),
            paper("long", "Vision pre-training", "Masked image modeling helps. " + FILLER),
            paper("short", "MIM at scale", "Scaling MIM to billions of images. " + FILLER),
            paper("other", "Masked language models", "Modeling text. " + FILLER),
        ],
    )
    rows = engine_results(site, ["MIM", "masked image modeling"])
    assert set(rows["MIM"]["slugs"]) == {"defines", "long", "short"}
    assert rows["MIM"]["expansions"] == [["MIM", "masked image modeling"]]
    assert set(rows["masked image modeling"]["slugs"][:3]) == {"defines", "long", "short"}
    assert rows["masked image modeling"]["full"] == 3
    # The long form is marked where it stands together, not each of its words anywhere.
    text = "Masked image modeling (MIM) helps. An image of a masked face, for modeling."
    terms = rows["MIM"]["terms"]
    assert marked_words(text, terms) == ["Masked", "image", "modeling", "MIM"]


def test_an_acronym_only_its_long_form_spells_in_titles_is_a_full_match(tmp_path: Path) -> None:
    # The title stage holds "large language models" but not "llm": its one paper holds
    # every word of the query, not "some of its words".
    site = ranking_site(
        tmp_path,
        [
            paper(
                "defines",
                "Large language models at scale",
                "We study large language models (LLMs). " + FILLER,
            ),
            paper("other", "Scaling laws", "Models of language. " + FILLER),
        ],
    )
    for stage in ("titles", "full"):
        row = engine_results(site, ["llm"], stage=stage)["llm"]
        assert (row["slugs"], row["full"]) == (["defines"], 1), stage
        assert "No paper contains" not in row["notice"], stage


def test_an_acronyms_long_form_matches_as_written_gaps_and_repeats_too(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("dg", "Domain shifts", "We study domain generalization (DG). " + FILLER),
            paper("gap", "Domain image generalization", FILLER),  # a word between
            paper("nin", "Stacked layers", "A network in network (NIN) design. " + FILLER),
            paper("net", "Network pruning", FILLER),  # "network" once, not twice
        ],
    )
    for stage in ("titles", "full"):
        rows = engine_results(site, ["DG", "NIN"], stage=stage)
        assert "gap" not in rows["DG"]["slugs"] and "net" not in rows["NIN"]["slugs"], stage
    rows = engine_results(site, ["DG", "NIN"])
    assert rows["DG"]["slugs"] == ["dg"] and rows["NIN"]["slugs"] == ["nin"]


def test_defined_acronyms_take_the_initials_of_the_words_before_them() -> None:
    texts = [
        "Large language models (LLMs) are large. We use masked image modeling (MIM).",
        "Contrastive Language-Image Pre-training (CLIP) and a Vision Transformer (ViT).",
        "An automated search for more compact models (AutoML). Note (N) and (Table 2).",
        "Masked image modeling (MIM) again, and masked image models (MIM) once.",
    ]
    assert search.defined_acronyms(texts) == [
        ["CLIP", "contrastive language-image pre-training"],
        ["LLM", "large language models"],
        ["MIM", "masked image modeling"],
        ["ViT", "vision transformer"],
    ]


def reference_long_form(short: str, before: str) -> list[str] | None:
    """search.long_form as first written: the walk back a character at a time."""
    letters = short.lower()
    if len(letters) > 2 and short[-1] == "s" and short[-2].isupper():
        letters = letters[:-1]
    words = search.LONG_FORM_WORD.findall(before.rsplit(".", 1)[-1])
    words = words[-min(len(letters) + 5, 2 * len(letters)) :]
    text = " ".join(words).lower()
    at = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        while at >= 0 and (
            text[at] != letters[index] or (index == 0 and at > 0 and text[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return None
        at -= 1
    found = text[text.rfind(" ", 0, at + 1) + 1 :].split()
    spelled = all(w[0] in letters for w in found if w not in search.STOP_WORDS)
    return found if len(found) >= 2 and found[0][0] == letters[0] and spelled else None


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["ab", "ba", "a", "b", "xa", "ax", "9a", "of", " ", "-", "'"]), max_size=12
    ),
    st.text("abx", min_size=2, max_size=4),
)
def test_an_acronyms_letters_are_found_back_from_its_parenthesis(
    words: list[str], letters: str
) -> None:
    # long_form finds each letter with rfind: the same long form as the walk back.
    before = " ".join(words)
    for short in (letters.upper(), letters.upper() + "s", letters[0].upper() + letters[1:]):
        assert search.long_form(short, before) == reference_long_form(short, before)


def test_pasted_titles_are_plain_words_and_field_syntax_still_works(tmp_path: Path) -> None:
    site = ranking_site(
        tmp_path,
        [
            paper("bert", "BERT: Pre-training of Deep Transformers", "Language [MASK] models."),
            paper("cpp", "C++ for ML^2 (v2)", "Deep code. " + FILLER),
            paper("deep", "Shallow nets", "Deep transformers in the abstract. " + FILLER),
        ],
    )
    queries = [
        "BERT: Pre-training of Deep Transformers",
        "C++ for ML^2 (v2)",
        "title:deep",
        "deep -bert",
        "+deep +code",
        "transform*",
        "tag:nothing deep",
    ]
    rows = engine_results(site, queries)
    assert rows[queries[0]]["slugs"][0] == "bert" and not rows[queries[0]]["notice"]
    assert rows[queries[1]]["slugs"][0] == "cpp"
    assert rows["title:deep"]["slugs"] == ["bert"]
    assert set(rows["deep -bert"]["slugs"]) == {"cpp", "deep"}
    assert rows["+deep +code"]["slugs"] == ["cpp"]
    assert set(rows["transform*"]["slugs"]) == {"bert", "deep"}
    assert rows["tag:nothing deep"]["slugs"][0] in {"bert", "cpp", "deep"}


def test_words_lunr_py_stems_unlike_lunr_js_are_found_as_written(tmp_path: Path) -> None:
    # lunr.py stems "key" to "kei", lunr.js to "key": the written form decides.
    site = ranking_site(
        tmp_path,
        [
            paper("key", "Obstacles", "We overcome two key obstacles. " + FILLER),
            paper("other", "Keys and locks", FILLER),
        ],
    )
    rows = engine_results(site, ["two key", "key obstacles"])
    assert rows["two key"]["slugs"][0] == "key" and rows["two key"]["mode"] == "exact"
    assert rows["two key"]["full"] == 1
    assert "~key" in rows["two key"]["terms"]  # highlighted as written
    assert rows["key obstacles"]["slugs"] == ["key", "other"]  # "keys" is "kei" too
    assert rows["key obstacles"]["full"] == 1


def test_papers_read_from_pages_are_indexed_by_their_page_key() -> None:
    papers, taxonomy = generate_papers(30, seed=11)
    papers = [replace(p, page_key=f"page-{p.slug}-1") for p in papers]  # as make_paper sets it
    files, memo = search.search_index(papers, taxonomy)
    keys = search.entry_keys(papers, taxonomy)
    assert len(set(keys)) == 30 and keys == search.entry_keys(list(papers), taxonomy)
    # An edited page is another page key: its entry is analysed again, the rest reused.
    edited = [replace(papers[3], notes="A note on it.", page_key="page-3-2"), *papers[4:]]
    edited = papers[:3] + edited
    again, _ = search.search_index(edited, taxonomy, memo)
    assert again == search.search_index(edited, taxonomy)[0] != files


def test_data_files_drop_each_text_once_its_file_is_made() -> None:
    texts = ['{"s":"a"}', "", '{"s":"b"}']
    files: dict[str, bytes] = {}
    names = search.data_files(files, "shard", texts)
    assert texts == ["", "", ""] and names[1] == "" and len(files) == 2
    assert sorted(files) == sorted(f"search/{name}.js" for name in names if name)


def test_tokenize_splits_where_lunr_does_whatever_the_spaces() -> None:
    spaces = [c for c in map(chr, range(0x110000)) if c.isspace()]
    # str.split()'s fast path is taken only for text without the spaces lunr keeps in a word
    assert {c for c in spaces if search.OTHER_SPACES.match(c)} == {
        c for c in spaces if not search.SEPARATOR.match(c)
    }
    ascii_kept = {c for c in spaces if c.isascii() and search.OTHER_SPACES.match(c)}
    assert ascii_kept == set("\x1c\x1d\x1e\x1f")  # what splits_as_lunr scans ASCII for
    for space in [*spaces, "-", "\u00a0-\t"]:
        text = f" Self{space}Supervised  {space}ViT-B/16{space}"
        lunr = [t for t in search.SEPARATOR.split(text.lower()) if t]
        assert search.tokenize(text) == lunr, repr(space)
    assert search.tokenize("A U+2003\u2003space") == ["a", "u+2003\u2003space"]


def test_a_small_cold_index_reads_in_batches_once_numpy_is_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A build computing discovery loads numpy before its side copy starts the index.
    import sys

    import sitegen.search_batch  # noqa: F401 - loaded with the real numpy, before it is hidden

    monkeypatch.delitem(sys.modules, "numpy", raising=False)
    assert isinstance(search.batch_adder(search.BATCH_FROM - 1), search.OneByOne)
    monkeypatch.setitem(sys.modules, "numpy", object())
    assert not isinstance(search.batch_adder(search.BATCH_FROM - 1), search.OneByOne)


def test_a_list_of_ints_reads_back_whatever_their_size() -> None:
    # Most ints have up to 3 digits (a table); a larger one is made when met.
    from sitegen.search import short_varints, varint, varints

    short = len(short_varints())
    for numbers in (
        [],
        [0, 31, 32],
        [short - 1, 5],
        [5, short, 2**40, 0],
        list(range(0, 10**6, 997)),
    ):
        assert read_varints(varints(numbers)) == numbers
        assert varints(iter(numbers)) == varints(numbers) == "".join(map(varint, numbers))
    import numpy as np

    assert varints([np.int64(2**40), np.int32(7)]) == varint(2**40) + varint(7)
    for wrong in ([-1], [3, -5], [1.5]):
        with pytest.raises(ValueError, match="not a varint"):
            varints(wrong)


def tiered_codes_of_row(row: list[int], weighing: search.Weighing) -> tuple[list, list]:
    """tiered_codes as first written, from a term's Row (absolute wheres and slots)."""
    fields = len(search.FIELDS)
    postings = []  # (where, count code, where it starts in row)
    append, at, end = postings.append, 0, len(row)
    while at < end:
        where, code = row[at], row[at + 1]
        append((where, code, at + 1))
        at += 2 + search.after_count(where, code)
    positional = [(w, code >> 1) for w, code, _ in postings if w % fields in search.POSITION_FIELDS]
    kept = search.best_postings(positional, weighing)
    codes: list[int] = []
    late: list[int] = []
    previous = 0
    for where, code, start in postings:
        mark = (row[start + 1],) if code & 1 else ()
        if where % fields not in search.POSITION_FIELDS:
            codes += (where - previous, code, *mark)
            previous = where
            continue
        codes += (where - previous, 2 * code + (where in kept), *mark)
        before, slots = 0, []
        start += 1 + len(mark)
        for slot in row[start : start + (code >> 1)]:
            slots.append(slot - before)
            before = slot
        if where in kept:
            codes += slots
        else:
            late += slots
        previous = where
    return codes, late


postings_rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),  # where, minus the one before
        st.integers(min_value=1, max_value=4),  # tf
        st.booleans(),  # a mark
        st.integers(min_value=0, max_value=30),  # first slot
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(postings_rows, st.integers(min_value=0, max_value=12))
def test_tiered_codes_from_codes_are_those_from_the_row(postings: list, tier: int) -> None:
    row, where = [], 0
    for step, tf, marked, first in postings:
        where += step
        row += [where, 2 * tf + marked, *([77] if marked else [])]
        if where % len(search.FIELDS) in search.POSITION_FIELDS:
            row += [first + 3 * k for k in range(tf)]
    documents = where // len(search.FIELDS) + 1
    lengths = [5 + (n * 7) % 11 for n in range(documents * len(search.FIELDS))]
    weighing = search.Weighing(lengths, [sum(lengths)] * len(search.FIELDS), documents)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "POSITION_POSTINGS", tier)
        codes, _ = search.posting_codes(row)
        assert search.tiered_codes(codes, weighing) == tiered_codes_of_row(row, weighing)


def test_entry_keys_are_each_papers_entry_key() -> None:
    # entry_keys hashes what an entry reads besides its page once per list of themes; each
    # key is still entry_key's, and changes with the page, the themes or the snippet length.
    papers, taxonomy = sample_papers()
    paged = [replace(p, page_key=f"page key {n}") for n, p in enumerate(papers)]
    mixed = [*papers, *paged, replace(paged[0], slug="other", themes=(*paged[0].themes, "x"))]
    snippet = search.snippet_chars(len(mixed))
    expected = [search.entry_key(p, search.theme_words(p, taxonomy), snippet) for p in mixed]
    assert search.entry_keys(mixed, taxonomy) == expected
    assert len(set(expected)) == len(expected)
    assert search.entry_key(paged[0], "t", 10) != search.entry_key(paged[0], "t", 11)
    assert search.entry_key(paged[0], "t", 10) != search.entry_key(paged[0], "u", 10)
