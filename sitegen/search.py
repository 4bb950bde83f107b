"""Client-side search: a lunr index prebuilt at build time, staged for the browser.

What the build writes (paths relative to the site root; every file is a classic
script that assigns into the global ``SITEGEN_SEARCH`` object, so it loads with a
<script> tag from file://, where Chromium blocks fetch(), XHR and Workers):

1. ``search/titles.js`` — stage one, small: every paper's title, theme and URL
   slug plus the theme list and the names of the other files. The browser builds
   a tiny prefix index over the titles itself, so the first results appear after
   this one file (about 1/10 of the full data at 10k papers).
2. ``search/index-NNN-HASH.js`` — stage two, loaded in the background: the full
   lunr index (title, abstract, themes, tags, notes) serialized by lunr.py in
   lunr.js 2.3.9's schema, cut into chunks of about CHUNK_BYTES. Chunk 0 carries
   the header (version, fields, pipeline); the client concatenates the chunks'
   lists and calls ``lunr.Index.load``. Over http(s) a Web Worker does the
   download, parse and load, so the main thread never parses megabytes of JSON; on
   file:// the chunks load one <script> at a time on the main thread, each a
   separate task, so input stays responsive between them. Once loaded, the full
   index replaces the title index. Queries run through static/search-engine.js's
   FullIndex.rank (lunr's exact ranking over flat postings, see there) and only
   one page of hits leaves the worker.
3. ``search/text-NNN-HASH.js`` — snippet text, TEXT_CHUNK_DOCS papers per file,
   loaded on demand for the hits on screen.

Cache busting (GitHub Pages lets browsers cache every file for 10 minutes): each
data file's name ends in a hash of its content, so a cached copy is always right
for its name, and a chunk that did not change keeps its name (and its cache
entry) across builds. Only titles.js has a fixed name, so pages need not change
when the papers do (incremental builds re-render a page only when its view
changes). A cached titles.js is an older but consistent snapshot; once its data
files are gone from the server, loading one fails and static/search.js loads
``titles.js?v=<now>`` once, past the cache, and starts over from its names.

Documents are numbered in slug order and the number is the lunr ref, so refs are
short and the output is reproducible. The index is built by ``build_index``, an
exact re-implementation of lunr.py's Builder that runs each distinct raw token
through the pipeline once (memoised) and skips the TokenSet that serialization
never uses; it produces the same bytes as ``lunr(...).serialize()``, about 2–4×
faster (benchmarks/bench_search.py; tests/test_search.py checks the bytes).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lunr import __TARGET_JS_VERSION__, get_default_builder, lunr
from lunr.token import Token

from sitegen.catalog import Paper, slugify
from sitegen.themes import Taxonomy, title_from_slug

REF = "id"
# Title matches must outrank abstract matches: BM25 per-field scores are multiplied
# by these boosts at build time.
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("abstract", 1),
    ("themes", 2),
    ("tags", 3),
    ("notes", 1),
)
CHUNK_BYTES = 512 * 1024  # size of one full-index chunk before gzip
TEXT_CHUNK_DOCS = 10  # papers per snippet-text file: a results page needs ~15 of them
GLOBAL = "SITEGEN_SEARCH"
HASH_CHARS = 10  # hex digits of SHA-256 in data file names
SEPARATOR = re.compile(r"[ \t\n\r\f\v\xa0-]+")  # lunr.tokenizer.SEPARATOR_CHARS
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
MARKDOWN_NOISE = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)|[*_`~]+")
WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchDoc:
    """One paper as search sees it: plain text, numbered in slug order."""

    ref: str
    slug: str
    title: str
    theme: str
    themes: str  # theme slugs and titles, primary first
    tags: str
    abstract: str
    notes: str

    def fields(self) -> dict[str, str]:
        """The lunr document: ref plus the indexed fields."""
        return {
            REF: self.ref,
            "title": self.title,
            "abstract": self.abstract,
            "themes": self.themes,
            "tags": self.tags,
            "notes": self.notes,
        }


def plain_text(markdown: str) -> str:
    """Markdown source as one line of readable text (links keep their words)."""
    text = MARKDOWN_LINK.sub(r"\1", markdown)
    text = MARKDOWN_NOISE.sub("", text)
    return WHITESPACE.sub(" ", text).strip()


def theme_title(taxonomy: Taxonomy, slug: str) -> str:
    """A theme's display title, also for folders missing from themes.yaml."""
    theme = taxonomy.get(slug)
    return theme.title if theme is not None else title_from_slug(slug)


def search_documents(papers: Iterable[Paper], taxonomy: Taxonomy) -> list[SearchDoc]:
    """The papers as search documents, in slug order (the ref is the position)."""
    docs = []
    for number, paper in enumerate(sorted(papers, key=lambda p: p.slug)):
        themes = " ".join(f"{slug} {theme_title(taxonomy, slug)}" for slug in paper.themes)
        docs.append(
            SearchDoc(
                ref=str(number),
                slug=paper.slug,
                title=paper.title,
                theme=paper.theme,
                themes=themes,
                tags=" ".join(paper.tags),
                abstract=plain_text(paper.abstract),
                notes=plain_text(paper.notes),
            )
        )
    return docs


# --- the index ---------------------------------------------------------------


def build_index_plain(documents: Sequence[dict[str, str]]) -> dict:
    """The reference: lunr.py's own lunr() call, serialized."""
    fields = [{"field_name": name, "boost": boost} for name, boost in FIELDS]
    return lunr(ref=REF, fields=fields, documents=list(documents)).serialize()


class TermCache:
    """lunr.py's default indexing pipeline, run once per distinct raw token."""

    def __init__(self) -> None:
        self.pipeline = get_default_builder().pipeline
        self.terms: dict[str, list[str]] = {}

    def __call__(self, raw: str) -> list[str]:
        """The index terms one raw token becomes (none for a stop word)."""
        terms = self.terms.get(raw)
        if terms is None:
            terms = [str(t) for t in self.pipeline.run([Token(raw, {})])]
            self.terms[raw] = terms
        return terms


def tokenize(value: object) -> list[str]:
    """lunr.py's Tokenizer for a string field, without the Token objects."""
    if value is None:
        return []
    return [raw for raw in SEPARATOR.split(str(value).lower()) if raw]


def build_index(documents: Sequence[dict[str, str]]) -> dict:
    """Same result as build_index_plain, built faster (see the module docstring)."""
    field_names = [name for name, _ in FIELDS]
    boosts = dict(FIELDS)
    terms_of = TermCache()
    inverted: dict[str, dict] = {}
    frequencies: dict[str, dict[str, int]] = {}
    lengths: dict[str, int] = {}
    for doc in documents:
        ref = str(doc[REF])
        for name in field_names:
            terms = [t for raw in tokenize(doc[name]) for t in terms_of(raw)]
            counts: dict[str, int] = {}
            field_ref = f"{name}/{ref}"
            frequencies[field_ref] = counts
            lengths[field_ref] = len(terms)
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
                posting = inverted.get(term)
                if posting is None:
                    # Key order matters for the bytes: fields first, then _index.
                    posting = {field: {} for field in field_names}
                    posting["_index"] = len(inverted)
                    inverted[term] = posting
                posting[name].setdefault(ref, {})
    vectors = field_vectors(inverted, frequencies, lengths, boosts, len(documents))
    return {
        "version": __TARGET_JS_VERSION__,
        "fields": field_names,
        "fieldVectors": vectors,
        "invertedIndex": [[term, inverted[term]] for term in sorted(inverted)],
        "pipeline": ["stemmer"],
    }


def field_vectors(
    inverted: dict[str, dict],
    frequencies: dict[str, dict[str, int]],
    lengths: dict[str, int],
    boosts: dict[str, int],
    document_count: int,
) -> list[list]:
    """BM25 field vectors, computed with lunr.py's exact float arithmetic."""
    k1, b = 1.2, 0.75
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for field_ref, length in lengths.items():
        name = field_ref.split("/", 1)[0]
        totals[name] = totals.get(name, 0) + length
        counts[name] = counts.get(name, 0) + 1
    average = {name: totals[name] / counts[name] for name in totals}
    idf_cache: dict[str, float] = {}
    vectors = []
    for field_ref, term_counts in frequencies.items():
        name = field_ref.split("/", 1)[0]
        field_length = lengths[field_ref]
        elements = []
        for term, tf in term_counts.items():
            posting = inverted[term]
            idf = idf_cache.get(term)
            if idf is None:
                idf = idf_cache[term] = inverse_document_frequency(posting, document_count)
            score = idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (field_length / average[name])) + tf)
            score *= boosts[name]
            score *= 1  # document boost, as lunr.py applies it
            elements.append((posting["_index"], round(score, 3)))
        elements.sort()
        vectors.append([field_ref, [round(x, 3) for pair in elements for x in pair]])
    return vectors


def inverse_document_frequency(posting: dict, document_count: int) -> float:
    """lunr's idf: the same expression as lunr.idf.idf."""
    with_term = sum(len(docs) for key, docs in posting.items() if key != "_index")
    x = (document_count - with_term + 0.5) / (with_term + 0.5)
    return math.log(1 + abs(x))


def index_json(serialized: dict) -> str:
    """Stable, compact JSON for a serialized index."""
    return json.dumps(serialized, ensure_ascii=True, separators=(",", ":"))


# --- the staged files ----------------------------------------------------------


def script(name: str, value: object) -> bytes:
    """A classic script assigning value to SITEGEN_SEARCH[name].

    The data goes through JSON.parse on a string literal: V8 parses that much faster
    than an object literal of the same size.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"(self.{GLOBAL}=self.{GLOBAL}||{{}})[{json.dumps(name)}]=JSON.parse('{literal}');\n"
    ).encode("ascii")


def chunk_lists(serialized: dict, limit: int = CHUNK_BYTES) -> list[dict]:
    """Cut the index's two big lists into chunks of about limit bytes, in order."""
    chunks: list[dict] = [{"i": [], "f": []}]
    size = 0
    for key, items in (("i", serialized["invertedIndex"]), ("f", serialized["fieldVectors"])):
        for item in items:
            item_size = len(index_json(item)) + 1
            if size + item_size > limit and size:
                chunks.append({"i": [], "f": []})
                size = 0
            chunks[-1][key].append(item)
            size += item_size
    header = {k: serialized[k] for k in ("version", "fields", "pipeline")}
    chunks[0] = {**header, **chunks[0]}
    return chunks


def title_record(doc: SearchDoc, theme_number: dict[str, int]) -> list:
    """[title, theme number, slug], slug "" when the client can derive it from the title."""
    derivable = doc.title.isascii() and slugify(doc.title) == doc.slug
    return [doc.title, theme_number[doc.theme], "" if derivable else doc.slug]


def content_name(kind: str, number: int, value: object) -> str:
    """A data file's name: kind, number and a short hash of its content."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return f"{kind}-{number:03d}-{hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]}"


def search_files(papers: Iterable[Paper], taxonomy: Taxonomy) -> dict[str, bytes]:
    """Every search data file, keyed by path relative to the site root."""
    docs = search_documents(papers, taxonomy)
    used = {doc.theme for doc in docs}
    ordered = [t.slug for t in taxonomy.themes if t.slug in used]
    ordered += sorted(used - set(ordered))
    theme_number = {slug: n for n, slug in enumerate(ordered)}
    index_chunks = chunk_lists(build_index([doc.fields() for doc in docs]))
    text_chunks = [
        [[d.abstract, d.notes, d.tags] for d in docs[i : i + TEXT_CHUNK_DOCS]]
        for i in range(0, len(docs), TEXT_CHUNK_DOCS)
    ]
    data: dict[str, object] = {}
    for kind, chunks in (("index", index_chunks), ("text", text_chunks)):
        for number, chunk in enumerate(chunks):
            data[content_name(kind, number, chunk)] = chunk
    titles = {
        "version": 2,
        "fields": [name for name, _ in FIELDS],
        "themes": [[slug, theme_title(taxonomy, slug)] for slug in ordered],
        "docs": [title_record(doc, theme_number) for doc in docs],
        "index": [name for name in data if name.startswith("index-")],
        "text": [name for name in data if name.startswith("text-")],
        "textChunkDocs": TEXT_CHUNK_DOCS,
    }
    files = {"search/titles.js": script("titles", titles)}
    for name, value in data.items():
        files[f"search/{name}.js"] = script(name, value)
    return files
