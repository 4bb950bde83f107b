"""Text to vectors: the light stemmer, token kinds and the TF-IDF matrix."""

from __future__ import annotations

import numpy as np

from sitegen.cache import digest
from sitegen.textmap import TokenMemo, kind_of, paper_text, stem, vectorise, word_set


def test_stem_folds_plain_plurals_only() -> None:
    assert [stem(w) for w in ("models", "studies", "classes", "boxes", "graphs")] == [
        "model",
        "study",
        "class",
        "box",
        "graph",
    ]
    assert [stem(w) for w in ("gas", "bus", "analysis", "physics", "3ds", "its")] == [
        "gas",
        "bus",
        "analysis",
        "physics",
        "3ds",
        "its",
    ]


def test_token_kinds() -> None:
    assert kind_of("the") == "break" and kind_of(",") == "break" and kind_of("2024") == "break"
    assert kind_of("x") == "break"
    assert kind_of("diffusion") == "word"


def test_paper_text_drops_urls_and_case() -> None:
    assert paper_text("Deep NETS", "See https://github.com/x/y now") == ("deep nets", "see   now")
    assert word_set(" a  b\nc ") == frozenset({"a", "b", "c"})


def texts() -> list[tuple[str, str]]:
    """Four tiny papers: two on diffusion, two on graphs."""
    return [
        ("Diffusion models", "Score diffusion models denoise images."),
        ("Faster diffusion models", "We sample score diffusion models faster."),
        ("Graph networks", "Message passing graph networks, molecules."),
        ("Graph networks again", "Graph networks, molecules and message passing."),
    ]


def test_vectorise_gives_unit_rows_sorted_terms_and_df_bounds() -> None:
    vectors = vectorise(["a", "b", "c", "d"], texts())
    assert vectors.slugs == ("a", "b", "c", "d")
    assert list(vectors.terms) == sorted(vectors.terms)
    norms = np.sqrt(np.asarray(vectors.matrix.multiply(vectors.matrix).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert (vectors.df >= 2).all() and (vectors.df <= 2).all()  # min_df 2, max_df half of 4
    assert "diffusion models" in vectors.terms and "graph networks" in vectors.terms
    assert "message passing" in vectors.terms
    assert "networks molecules" not in vectors.terms  # no phrase across a comma


def test_vectorise_is_deterministic_and_keeps_the_given_row_order() -> None:
    once = vectorise(["a", "b", "c", "d"], texts())
    again = vectorise(["a", "b", "c", "d"], texts())
    assert once.terms == again.terms and (once.matrix != again.matrix).nnz == 0
    diffusion = once.terms.index("diffusion models")
    column = once.matrix[:, diffusion].toarray().ravel()
    assert (column[:2] > 0).all() and (column[2:] == 0).all()


def matrix_of(vectors) -> tuple:  # noqa: ANN001
    """Vectors exactly: terms, df and the sparse matrix's arrays."""
    m = vectors.matrix
    return (
        vectors.terms,
        vectors.df.tolist(),
        m.indptr.tolist(),
        m.indices.tolist(),
        m.data.tolist(),
    )


def test_remembered_or_damaged_tokens_give_the_vectors_of_a_fresh_process() -> None:
    """A memo of other papers' tokens, of the same papers, or a damaged one (the cache is
    untrusted): the TF-IDF is the regex's, to the last bit."""
    texts = [
        ("Graph Neural Nets, Again", "We study graph neural networks (GNNs) on www.x.org graphs."),
        ("Diffusion for Graphs", "Diffusion models generate graphs; see https://a.b/c?d=1."),
        ("C++ Kernels", "Fast 3-D kernels in C++ for graph diffusion, e.g. on GPUs."),
        ("((", ""),
    ]
    slugs = [f"p{i}" for i in range(len(texts))]
    fresh = matrix_of(vectorise(slugs, texts, min_df=1, max_df=1.0))
    other = TokenMemo()
    vectorise(slugs[1:3], texts[2:0:-1], min_df=1, max_df=1.0, tokens=other)  # another order
    memos = [other.kept()]
    same = TokenMemo(other.kept())
    assert matrix_of(vectorise(slugs, texts, min_df=1, max_df=1.0, tokens=same)) == fresh
    memos.append(same.kept())
    assert len(same.kept()["papers"]) == len(texts)
    key = digest(*texts[0])
    memos += [
        {"vocab": ["a"], "papers": {key: (0, (99).to_bytes(4, "little"))}},  # id out of range
        {"vocab": ["a"], "papers": {key: (5, b"\0\0\0\0")}},  # more title tokens than ids
        {"vocab": ["a", "a"], "papers": {}},
        {"vocab": "a", "papers": []},
        ["not", "a", "memo"],
    ]
    for kept in memos:
        tokens = TokenMemo(kept)  # type: ignore[arg-type]
        assert matrix_of(vectorise(slugs, texts, min_df=1, max_df=1.0, tokens=tokens)) == fresh


def test_first_seen_lists_ids_in_order_of_first_sight() -> None:
    import numpy as np

    from sitegen.textmap import first_seen

    ids = np.array([5, 2, 5, 0, 2, 7, 0], np.int32)
    assert first_seen(ids, 8).tolist() == [5, 2, 0, 7]
    assert first_seen(np.zeros(0, np.int32), 3).tolist() == []
    rng = np.random.default_rng(2)
    many = rng.integers(0, 500, 20_000).astype(np.int32)
    present, first = np.unique(many, return_index=True)
    assert first_seen(many, 500).tolist() == present[np.argsort(first)].tolist()
    # New ids far past the first chunks, in falling order (a later chunk's new ids must
    # keep their order of sight, not their order by value).
    late = np.concatenate([many, np.arange(5_000, 500, -1, dtype=np.int32), many[:9]])
    late = np.concatenate([late, rng.integers(0, 9_000, 200_000).astype(np.int32)])
    present, first = np.unique(late, return_index=True)
    assert first_seen(late, 9_000).tolist() == present[np.argsort(first)].tolist()


def test_more_rows_over_a_base_s_columns_are_the_rows_vectorise_gives_them() -> None:
    from sitegen.textmap import vectorise_more

    texts = [
        ("Diffusion Models for Video", "Diffusion models generate video. See https://x.org/a."),
        ("Graph Networks", "Graph neural networks pass messages; diffusion on graphs."),
        ("Video Diffusion Models", "A video diffusion model with graph attention."),
        ("Message Passing", "Message passing in graph networks, and video models."),
        ("Brand-New Words", "Zebra stripes: a word no base paper uses, and diffusion models."),
        ("Video Graphs", "Video graphs meet diffusion models and message passing networks."),
    ]
    base = np.array([True, True, False, True, False, False])
    whole = vectorise([f"p{i}" for i in range(6)], texts, min_df=1, base=base, keys=True)
    assert whole.columns is not None
    assert vectorise([f"p{i}" for i in range(6)], texts, min_df=1, base=base).columns is None
    columns = {key: number for number, key in enumerate(whole.columns)}
    later = np.flatnonzero(~base)
    rows = vectorise_more([texts[i] for i in later], columns, whole.df, int(base.sum()))
    expected = whole.matrix[later]
    assert rows.shape == expected.shape and rows.nnz == expected.nnz > 0
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices)
    assert rows.data.tobytes() == expected.data.tobytes()
    assert "zebra" not in columns and "diffusion model" in columns  # the base's columns only


def test_whether_a_word_is_generic_depends_on_its_stem_alone() -> None:
    # vectorise_more counts every token of a column's word: a word is generic by its stem,
    # whichever of its spellings came first in the whole catalogue.
    from sitegen.textmap import PHRASE_NOUNS

    assert all(stem(noun) in PHRASE_NOUNS for noun in PHRASE_NOUNS)
    for noun in PHRASE_NOUNS:
        assert kind_of(noun) == "generic" == kind_of(stem(noun))
