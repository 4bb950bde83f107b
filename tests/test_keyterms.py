"""Key terms: named methods, defined acronyms, technical phrases; generic prose never."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import keyterms
from sitegen.keyterms import (
    KEEP,
    PROSE,
    SENTENCE_END,
    Candidate,
    CandidateTable,
    InterleavedTables,
    Rows,
    Stream,
    candidates_and_counts,
    defined_acronyms,
    is_named,
    normalise,
    ranked_candidates,
    token_forms,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_quality import judged_terms, precision_at, shipped_key_terms  # noqa: E402
from gen_corpus import generate_papers  # noqa: E402

YOLO = (
    "YOLOv4: Optimal Speed and Accuracy of Object Detection",
    "There are a huge number of features which are said to improve accuracy. Some features "
    "operate on certain models exclusively. We use new features: Cross mini-Batch "
    "Normalization (CmBN), Mish activation and Mosaic data augmentation; CmBN helps object "
    "detection at a realtime speed, one step at a time, on a million images.",
)
RATE = (
    "Sparse rate reduction for transformers",
    "We measure sparse rate reduction. Maximising sparse rate reduction gives a transformer "
    "block; sparse rate reduction compresses tokens.",
)
FILLER = [
    (f"Object detection study {i}", f"Object detection of images with a detector, variant {i}.")
    for i in range(6)
]


@pytest.mark.parametrize(
    ("token", "named"),
    [
        ("YOLOv4", True),
        ("CmBN", True),
        ("ViT", True),
        ("MAE", True),
        ("U-Net", True),
        ("ResNet-50", True),
        ("3D", True),
        ("node2vec", True),
        ("Self-Supervised", False),  # Title Case, not a name
        ("Optimal", False),
        ("A", False),
        ("top-5", False),
        ("256times256", False),
    ],
)
def test_is_named(token: str, named: bool) -> None:
    assert is_named(token) is named


def test_defined_acronyms_map_to_their_long_form() -> None:
    found = defined_acronyms(YOLO[1])
    assert found == {"CmBN": ("Cross", "mini-Batch", "Normalization")}
    text = "Neural Tangent Kernel (NTK) limits; state of the art (SOTA); a model (see below)."
    assert defined_acronyms(text) == {"NTK": ("Neural", "Tangent", "Kernel")}
    assert defined_acronyms("domain generalization (DG) aims") == {
        "DG": ("domain", "generalization")
    }


def test_prose_words_are_never_terms_and_a_capital_names_only_inside_a_sentence() -> None:
    texts = [
        ("Regularising with mixing", "We delve into Mixup. Mixup helps a certain step."),
        ("Sampling schemes", "Sampling helps. Our Sampling is new."),
        *FILLER,
    ]
    mixup, sampling, *_ = ranked_candidates(texts)
    assert {c.key for c in mixup} == {"mixup", "mixing", "regularising"}
    assert {c.label for c in mixup} >= {"Mixup"}  # capitalised mid-sentence: a name
    labels = {c.key: c.label for c in sampling}
    assert labels["sampling"] == "sampling"  # the first spelling opens a sentence


def test_named_methods_and_phrases_beat_generic_words() -> None:
    (yolo, *_) = ranked_candidates([YOLO, RATE, *FILLER])
    labels = [c.label for c in yolo[:6]]
    assert "CmBN" in labels[:2] and "YOLOv4" in labels
    assert {"Mish", "Mosaic"} <= set(labels)  # capitalised inside a sentence: names
    every = " ".join(c.key for c in yolo)
    for word in ("huge", "certain", "step", "million", "operate", "speed optimal"):
        assert f" {word} " not in f" {every} ", word
    assert {"certain", "step", "million", "delve", "behind"} <= PROSE


def test_a_phrase_absorbs_the_pieces_that_only_occur_inside_it() -> None:
    _, rate, *_ = ranked_candidates([YOLO, RATE, *FILLER])
    keys = [c.key for c in rate]
    assert keys[0] == normalise("sparse") + " rate reduction"
    assert "sparse rate" not in keys and "rate reduction" not in keys


def test_labels_keep_names_and_drop_title_case() -> None:
    (yolo, *_) = ranked_candidates([YOLO, *FILLER])
    labels = {c.key: c.label for c in yolo}
    assert labels["yolov4"] == "YOLOv4"
    assert labels["object detection"] == "object detection"  # Title Case in the title only


def labels_one_by_one(chosen: list[int], rows: Rows, stream: Stream) -> list[str]:
    """labels_of as first written: each row's label made from its own tokens."""
    labels = []
    for row in chosen:
        source = rows.labels.get(row, row)
        if isinstance(source, str):
            labels.append(source)
            continue
        start, size = int(rows.first[source]), int(rows.size[source])
        tokens = [stream.raw[i] for i in stream.ids[start : start + size].tolist()]
        prose = bool(stream.prose[start])
        opens = prose and (start == 0 or stream.raw[stream.ids[start - 1]] in SENTENCE_END)
        forms = [
            token_forms(stream.raw, np.array([i]))[i] for i in stream.ids[start : start + size]
        ]
        style = 0 if prose else 1
        labels.append(" ".join([forms[0][2 if opens else style], *(f[style] for f in forms[1:])]))
        assert len(tokens) == size
    return labels


def test_labels_made_once_per_spelling_are_each_rows_own() -> None:
    papers, _ = generate_papers(300, seed=3)
    texts = [(p.title, p.abstract) for p in papers] + [
        YOLO,
        RATE,
        *FILLER,
        ("ResNet-50 Meets U-Net", "ResNet-50 meets U-Net. U-Net (UN) helps; ResNet-50 too. So UN."),
        ("Graph Nets", "Graph nets! Graph Nets work: graph nets? GRAPH NETS. graph nets"),
    ]
    seen: list[tuple[list[str], list[str]]] = []
    real = keyterms.labels_of

    def both(chosen: list[int], rows: Rows, stream: Stream) -> list[str]:
        made = real(chosen, rows, stream)
        seen.append((made, labels_one_by_one(chosen, rows, stream)))
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyterms, "labels_of", both)
        candidates_and_counts(texts, KEEP, None)
    ((made, reference),) = seen
    assert made == reference and len(made) > 3000
    assert len(set(made)) < len(made)  # spellings repeat: the case this is about


def test_candidates_are_deterministic() -> None:
    texts = [YOLO, RATE, *FILLER]
    assert ranked_candidates(texts) == ranked_candidates(list(texts))


# --- precision on the judged set -----------------------------------------------------------


def test_precision_at_5_on_the_judged_set_reaches_the_target() -> None:
    assert len(judged_terms()) == 40
    assert precision_at(shipped_key_terms()) >= 0.8


def test_precision_measure_catches_a_naive_extractor() -> None:
    from bench_quality import shipped_papers

    # The title's first five words are no key terms: the measure must say so.
    naive = {k: tuple(title.split()[:5]) for k, (title, _) in shipped_papers().items()}
    assert precision_at(naive) < 0.4


def test_empty_and_tiny_inputs() -> None:
    assert ranked_candidates([]) == []
    assert ranked_candidates([("", "")]) == [()]
    (only,) = ranked_candidates([("Graph", "")])
    assert [c.label for c in only] == ["graph"]


def test_later_papers_take_their_statistics_from_the_base_counts() -> None:
    from sitegen.keyterms import base_candidates

    base = [YOLO, RATE, *FILLER]
    later = [(f"Sparse rate reduction again {i}", RATE[1]) for i in range(3)]
    mine, counts = base_candidates(base)
    assert mine == ranked_candidates(base)
    assert counts.papers == len(base) and list(counts.keys) == sorted(counts.keys)
    assert counts.of(["sparse rate reduction", "no such key"]).tolist() == [1, 0]
    together = ranked_candidates(later, known=counts)
    # Each later paper's candidates are its own: alone, or with the others, the same.
    assert [ranked_candidates([text], known=counts)[0] for text in later] == together
    # Rarer in the base than in the later papers themselves: the base sets the idf.
    assert together[0] != ranked_candidates([*base, *later])[len(base)]


def test_a_large_base_in_passes_gets_the_same_candidates_and_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sitegen.keyterms
    from sitegen.keyterms import base_candidates

    base = [YOLO, RATE, *FILLER, YOLO, (RATE[0], "Sparse rate reduction (SRR) helps.")]
    whole, counts = base_candidates(base)
    monkeypatch.setattr(sitegen.keyterms, "ONE_PASS", 3)
    monkeypatch.setattr(sitegen.keyterms, "BASE_PASS", 2)  # passes of 2 papers
    parts, counted = base_candidates(base)
    assert parts == whole and counted.keys == counts.keys and counted.papers == len(base)
    assert counted.counts.tolist() == counts.counts.tolist()
    assert max(counts.counts.tolist()) > 1  # keys shared across passes were summed


def test_a_candidate_table_makes_a_papers_candidates_only_when_asked() -> None:
    texts = [YOLO, RATE, *FILLER]
    listed = ranked_candidates(texts)
    table, _ = candidates_and_counts(texts, KEEP, None)
    assert isinstance(table, CandidateTable) and table == listed and len(table) == len(texts)
    assert table[-1] == listed[-1] and table.columns(0)[0] == [c.key for c in listed[0]]
    assert table.leading_labels(2) == [tuple(c.label for c in found[:2]) for found in listed]
    with pytest.raises(IndexError):
        table[len(texts)]
    assert CandidateTable.joined([table, table]) == listed + listed

    def table_of(rows: list[tuple[Candidate, ...]]) -> CandidateTable:
        flat = [c for found in rows for c in found]
        columns = ([c.key for c in flat], [c.label for c in flat])
        numbers = ([c.weight for c in flat], [c.idf for c in flat])
        return CandidateTable.of([len(found) for found in rows], *columns, *numbers)

    flags = np.array([i % 3 == 0 for i in range(len(texts))])
    base = table_of([found for found, flag in zip(listed, flags, strict=True) if flag])
    others = table_of([found for found, flag in zip(listed, flags, strict=True) if not flag])
    both = InterleavedTables(flags, base, others)
    assert both == listed and len(both) == len(listed) and both[-1] == listed[-1]
    assert [both.columns(i) for i in range(len(both))] == [
        table.columns(i) for i in range(len(table))
    ]
    assert both.leading_labels(2) == table.leading_labels(2)
    assert both.table_row(3) == (base, 1) and both.table_row(4) == (others, 2)
    with pytest.raises(IndexError):
        both[len(texts)]
    with pytest.raises(ValueError, match="flagged"):
        InterleavedTables(flags[1:], base, others)


def findall_stream(texts: list[tuple[str, str]]) -> tuple[list[str], list[int]]:
    """Every text's TOKENs found in the whole text (abstract, then title), each text closed
    by a '.': what token_stream gives, as raw tokens, and each text's length."""
    tokens, lengths = [], []
    for title, abstract in texts:
        for text in (abstract, title):
            text = keyterms.URL.sub(" ", text) if "://" in text or "www." in text else text
            found = [*keyterms.TOKEN.findall(text), "."]
            tokens += found
            lengths.append(len(found))
    return tokens, lengths


# Words of letters, digits, joiners, punctuation, non-ASCII letters and every kind of space.
TEXT_PARTS = st.sampled_from(
    [
        "model",
        "GPT-4",
        "a-b",
        "x^2",
        "C++",
        "-",
        "+",
        "^",
        ".",
        "(",
        ")",
        ",",
        "é",
        "日本",
        " ",
        "  ",
        "\t",
        "\n",
        "\u00a0",
        "\u2003",
        "\u3000",
        "\x1c",
        "\ud800",
        "http://a.b/c",
        "www.x.org",
        "3.5",
        "co--op",
        "end-",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[st.lists(TEXT_PARTS, max_size=12).map("".join)] * 2), max_size=6))
def test_the_token_stream_is_every_texts_tokens_found_in_the_whole_text(
    texts: list[tuple[str, str]],
) -> None:
    # token_stream finds the tokens of each distinct word (between whitespace) once: the
    # same tokens, ids in order of first sight, as TOKEN finds in each whole text, whether
    # the texts' words are listed all at once or a few texts at a time.
    tokens, lengths = findall_stream(texts)
    for part in (keyterms.STREAM_PART, 2, 1):
        stream = keyterms.token_stream(texts, part)
        assert [stream.raw[i] for i in stream.ids.tolist()] == tokens
        assert stream.raw == list(dict.fromkeys([".", *tokens]))
        assert np.bincount(stream.text, minlength=2 * len(texts)).tolist() == lengths
        assert stream.text.tolist() == np.repeat(np.arange(2 * len(texts)), lengths).tolist()
        assert stream.ids.dtype == stream.text.dtype == np.int32
        assert stream.prose.tolist() == (stream.text % 2 == 0).tolist()


def reference_long_form(letters: list[str], window: list[str]) -> tuple[str, ...] | None:
    """match_long_form as first written: every tail checked whole, shortest first."""
    for start in range(len(window) - 1, -1, -1):
        words = window[start:]
        if any(not w[0].isalnum() for w in words):
            return None
        if words[0][0].lower() != (letters[0] if letters else ""):
            continue
        text, position = " ".join(words).lower(), 0
        for letter in letters:
            position = text.find(letter, position) + 1
            if position == 0:
                break
        else:
            return tuple(words)
    return None


LONG_FORM_PARTS = st.one_of(
    TEXT_PARTS,
    st.sampled_from(["Mini", "batch", "Net", "x", "(AB)", "Backpropagation", "q" * 25]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LONG_FORM_PARTS, max_size=80).map("".join), st.integers(1, 9), st.data())
def test_tokens_before_an_acronym_are_the_windows_last_tokens(
    text: str, wanted: int, data: st.DataObject
) -> None:
    # tokens_before looks in a few characters first; it must give what the whole window
    # LONG_FORM_CHARS back gives, wherever the acronym stands and however long it is.
    end = data.draw(st.integers(0, len(text)))
    window = keyterms.TOKEN.findall(text[max(0, end - keyterms.LONG_FORM_CHARS) : end])
    found = keyterms.tokens_before(text, end, wanted)
    assert found == window[-wanted:]
    letters = [c.lower() for c in data.draw(st.text("abcmnx2", max_size=5))]
    assert keyterms.match_long_form(letters, found) == reference_long_form(letters, found)


def test_defined_acronyms_look_back_past_a_short_window() -> None:
    # Long words before "(ABC)": the first look (10 characters a token) holds too few tokens.
    text = "x" * 300 + " Alphabetically Balanced Constructions (ABC) here"
    assert defined_acronyms(text) == {"ABC": ("Alphabetically", "Balanced", "Constructions")}
    found = keyterms.tokens_before(text, text.index("("), 6)  # all the window holds: 4
    assert found[1:] == ["Alphabetically", "Balanced", "Constructions"]
    assert set(found[0]) == {"x"} and len(found[0]) < 300  # cut where the window starts
    # The first look starts inside a word: that word is taken whole, from the window.
    text = "word " + "Q" * 25 + " Rx (QR)"
    assert keyterms.tokens_before(text, text.index("("), 2) == ["Q" * 25, "Rx"]


def test_a_split_word_is_what_token_matches_between_whitespace() -> None:
    # token_stream's premise: str.split() splits at exactly the code points TOKEN's \s
    # skips (and TOKEN matches none of them), for every code point.
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = {c for c in every if c.isspace()}
    assert spaces == set(re.findall(r"\s", every)) and len(spaces) == 29
    assert not spaces & set(keyterms.TOKEN.findall(every))
