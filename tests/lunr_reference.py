"""lunr.py's serialized index, rebuilt from sitegen.search's term counts: the reference.

sitegen ships only its own split index (sitegen.search.ShardedIndex); these build
lunr's own JSON from the same ShardedIndex, so that tests can check (1) that it equals
what lunr.py's lunr() gives, byte for byte, and (2) that the browser's engine decodes
the shipped files to it. benchmarks/bench_search.py times both builders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from lunr import __TARGET_JS_VERSION__, lunr

from sitegen.search import FIELDS, K1, REF, B, FieldVector, ShardedIndex, Weights


def build_index_plain(documents: Sequence[dict[str, str]]) -> dict:
    """The reference: lunr.py's own lunr() call, serialized."""
    fields = [{"field_name": name, "boost": boost} for name, boost in FIELDS]
    return lunr(ref=REF, fields=fields, documents=list(documents)).serialize()


def field_vector(weights: Weights, field: int, vector: FieldVector) -> list[float]:
    """A serialized lunr field vector: [term number, weight, term number, weight, ...]."""
    numbers, counts = vector
    if not numbers:
        return []
    length, boost = sum(counts), FIELDS[field][1]
    norm = K1 * (1 - B + B * (length / weights.average[field]))
    out: list[float] = []
    for number, tf in zip(numbers, counts, strict=True):
        score = weights.idf(weights.pairs[number]) * ((K1 + 1) * tf) / (norm + tf)
        out += (number, round(score * boost, 3))  # lunr.py then multiplies by doc boost 1
    return out


def build_index(documents: Sequence[Mapping[str, object]]) -> dict:
    """Same result as build_index_plain, built faster (see the module docstring)."""
    index = ShardedIndex()
    refs = [str(doc[REF]) for doc in documents]
    vectors = [index.add(doc) for doc in documents]
    return lunr_index(index, refs, vectors)


def lunr_index(index: ShardedIndex, refs: list[str], vectors: list[list[FieldVector]]) -> dict:
    """lunr's serialized index from the term counts: the JSON lunr.py's serialize() gives."""
    names = [name for name, _ in FIELDS]
    weights = Weights(index.documents, index.totals, index.pairs)
    postings: list[dict[str, dict]] = [{name: {} for name in names} for _ in index.terms]
    field_vectors = []
    for ref, doc_vectors in zip(refs, vectors, strict=True):
        for field, vector in enumerate(doc_vectors):
            field_vectors.append([f"{names[field]}/{ref}", field_vector(weights, field, vector)])
            for number in vector[0]:
                postings[number][names[field]][ref] = {}
    inverted = [[term, {**postings[n], "_index": n}] for term, n in sorted(index.terms.items())]
    return {
        "version": __TARGET_JS_VERSION__,
        "fields": names,
        "fieldVectors": field_vectors,
        "invertedIndex": inverted,
        "pipeline": ["stemmer"],
    }


def index_json(serialized: dict) -> str:
    """Stable, compact JSON for a serialized index."""
    return json.dumps(serialized, ensure_ascii=True, separators=(",", ":"))
