"""The search index updated by difference equals a clean build's, for edits, additions and
removals (sitegen.search_diff)."""

from __future__ import annotations

import random
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import makes_per_take
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import search, search_diff
from sitegen.build import write
from sitegen.build.write import ResidentSearch
from sitegen.cache import BytesOnDisk, SpillFile, read_plain, write_plain
from sitegen.catalog import Paper

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from gen_corpus import generate_papers  # noqa: E402

WORDS = [
    "quokka",
    "zyzzyva",
    "graph",
    "diffusion",
    "model",
    "transformer",
    "attention",
    "(QKA)",
    "note",
]


def edited(paper: Paper, rng: random.Random) -> Paper:
    """The paper with one field changed: notes, abstract, title, tags or theme."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))
    kind = rng.choice(["notes", "abstract", "title", "tags", "theme"])
    if kind == "notes":
        return replace(paper, notes=words)
    if kind == "abstract":
        return replace(paper, abstract=f"{words} {paper.abstract[: rng.randint(0, 200)]}")
    if kind == "title":
        return replace(paper, title=f"{paper.title} {words}".strip())
    if kind == "tags":
        return replace(paper, tags=tuple(words.split()[:2]))
    theme = rng.choice(["theory", "graphs", "vision", "misc-stuff"])
    return replace(paper, theme=theme, themes=(theme,))


def step(papers: list[Paper], pool: list[Paper], rng: random.Random) -> list[Paper]:
    """One build's change: edits in place, papers added at the end, or removed."""
    kind = rng.choice(["edit", "edit", "add", "remove", "remove-last", "swap"])
    papers = list(papers)
    if kind == "edit":
        for number in rng.sample(range(len(papers)), rng.randint(1, 3)):
            papers[number] = edited(papers[number], rng)
    elif kind == "add" and pool:
        papers += [pool.pop() for _ in range(min(len(pool), rng.randint(1, 8)))]
    elif kind == "remove" and len(papers) > 15:
        del papers[rng.randrange(len(papers) - 3, len(papers))]
    elif kind == "remove-last" and len(papers) > 15:
        del papers[-rng.randint(1, 3) :]
    elif kind == "swap":
        first, second = rng.sample(range(len(papers)), 2)
        papers[first], papers[second] = papers[second], papers[first]
    return papers


@pytest.mark.parametrize("tier", [search.POSITION_POSTINGS, 12])  # 12: common words cross it
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_an_index_updated_by_difference_equals_a_clean_one(tier: int, seed: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for module in (search, search_diff):  # small tiers and chunks: their edges get crossed
            patch.setattr(module, "POSITION_POSTINGS", tier)
            patch.setattr(module, "TEXT_CHUNK_DOCS", 4)
        check_steps(seed)


def check_steps(seed: int) -> None:
    """Four random changes, each updated by difference and compared with a clean build."""
    rng = random.Random(seed)
    corpus, taxonomy = generate_papers(45, seed=seed % 7)
    papers, pool = corpus[:35], corpus[35:]
    files, memo = search.search_index(papers, taxonomy)
    for _ in range(4):
        papers = step(papers, pool, rng)
        made = search_diff.updated(papers, taxonomy, memo, search.entry_keys(papers, taxonomy))
        clean = search.search_index(papers, taxonomy)
        if made is None:  # most papers changed: built afresh
            files, memo = clean
            continue
        files, memo = made
        assert files == clean[0]
        assert search.usable_memo(memo) is not None


def test_a_note_reads_one_paper_and_keeps_the_other_terms_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    papers, taxonomy = generate_papers(200, seed=5)
    _, memo = search.search_index(papers, taxonomy)
    read: list[bytes] = []
    real_read = search_diff.read_entry
    monkeypatch.setattr(search_diff, "read_entry", lambda e, a: read.append(e) or real_read(e, a))
    noted = [*papers[:100], replace(papers[100], notes="Zyzzyva quokka."), *papers[101:]]
    files, new = search.search_index(noted, taxonomy, memo)
    assert files == search.search_index(noted, taxonomy)[0]
    assert len(read) == 1  # the old entry of the paper that changed, nothing else
    same = [t for t in memo["codes"] if new["codes"][t] is memo["codes"][t]]
    assert len(same) == len(memo["codes"])  # no term's postings but the new words changed
    assert set(new["codes"]) - set(memo["codes"]) == {"zyzzyva", "quokka"}


def test_each_shard_item_is_made_as_its_shard_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    papers, taxonomy = generate_papers(200, seed=5)
    _, memo = search.search_index(papers, taxonomy)
    per_take = makes_per_take(monkeypatch, (search_diff, "shard_texts"), (search_diff, "varints"))
    noted = [*papers[:100], replace(papers[100], notes="Zyzzyva quokka."), *papers[101:]]
    files, _ = search.search_index(noted, taxonomy, memo)
    assert len(per_take) > 100 and set(per_take) == {1}  # each term's item made as taken
    assert files == search.search_index(noted, taxonomy)[0]


def test_a_spilled_update_moves_each_entry_to_disk_once(tmp_path: Path) -> None:
    papers, taxonomy = generate_papers(60, seed=3)
    held, spent = (search.search_index(papers[:50], taxonomy)[1] for _ in range(2))
    keys = search.entry_keys(papers, taxonomy)
    in_memory = search_diff.updated(papers, taxonomy, held, keys)
    spilled = search_diff.updated(papers, taxonomy, spent, keys, spill=SpillFile(tmp_path))
    assert in_memory is not None and spilled is not None
    assert spilled[0] == in_memory[0]
    assert isinstance(spilled[1]["entries"], BytesOnDisk)
    assert not spent["entries"]  # each moved out of the old memo: not held twice
    assert len(held["entries"]) == 50  # without a spill the old memo stays whole
    for name, memo in (("in-memory", in_memory[1]), ("spilled", spilled[1])):
        with (tmp_path / name).open("wb") as handle:
            write_plain(memo, handle)
    assert read_plain(tmp_path / "spilled") == read_plain(tmp_path / "in-memory")  # as kept


def test_a_side_copys_index_spends_its_memo_and_starts_afresh_from_a_damaged_one(
    tmp_path: Path,
) -> None:
    papers, taxonomy = generate_papers(60, seed=4)
    clean = search.search_index(papers, taxonomy)[0]
    old = search.search_index(papers[:50], taxonomy)[1]
    files, memo = search.search_index(papers, taxonomy, old, None, SpillFile(tmp_path))
    assert files == clean and isinstance(memo["entries"], BytesOnDisk)
    assert not old["entries"]  # search_index handed updated the spill file
    damaged = search.search_index(papers[:50], taxonomy)[1]
    del damaged["entries"][list(damaged["entries"])[-1]]  # an entry lost after others moved
    assert search.search_index(papers, taxonomy, damaged, None, SpillFile(tmp_path))[0] == clean


def test_files_on_disk_as_left_are_not_made_again() -> None:
    from sitegen.output import Kept

    papers, taxonomy = generate_papers(200, seed=4)
    old_files, memo = search.search_index(papers, taxonomy)
    noted = [*papers[:150], replace(papers[150], notes="A model."), *papers[151:]]
    clean = search.search_index(noted, taxonomy)[0]
    files, _ = search.search_index(noted, taxonomy, memo, left=old_files.__contains__)
    assert files.keys() == clean.keys()
    kept = {path for path, data in files.items() if data is Kept.AS_LEFT}
    assert kept == set(old_files) & set(clean) - {"search/titles.js"}
    assert len(kept) >= 5  # a note of known words: the files its terms are not in
    assert all(clean[path] == old_files[path] for path in kept)
    assert all(files[path] == clean[path] for path in set(files) - kept)
    afresh, _ = search.search_index(noted, taxonomy, None, left=old_files.__contains__)
    assert afresh == files  # an index made from scratch finds them too


def test_the_manifests_acronyms_are_counted_again_only_when_a_definition_changed() -> None:
    papers, taxonomy = generate_papers(60, seed=3)
    _, memo = search.search_index(papers, taxonomy)
    noted = [
        *papers[:30],
        replace(papers[30], notes="Quokka Kangaroo Attention (QKA)."),
        *papers[31:],
    ]
    files, kept = search.search_index(noted, taxonomy, memo)
    assert kept["best acronyms"] is memo["best acronyms"]  # notes define no acronym
    defined = f"Quokka Kangaroo Attention (QKA). {papers[30].abstract}"
    changed = [*papers[:30], replace(papers[30], abstract=defined), *papers[31:]]
    files, new = search.search_index(changed, taxonomy, kept)
    assert ["QKA", "quokka kangaroo attention"] in new["best acronyms"]
    assert files == search.search_index(changed, taxonomy)[0]
    undone = search.search_index(papers, taxonomy, new)
    assert undone is not None and undone[1]["best acronyms"] == memo["best acronyms"]


def test_the_warm_worker_keeps_its_memo_and_gets_only_the_papers_that_changed() -> None:
    papers, taxonomy = generate_papers(60, seed=9)
    resident = ResidentSearch()
    sent: list[dict] = []
    with ThreadPoolExecutor(1) as worker:  # a thread: the worker's state is this module's
        submit = worker.submit

        def spied(function, *args):  # noqa: ANN001, ANN202
            sent.append(args[3])  # the papers sent, by slug
            return submit(function, *args)

        worker.submit = spied  # type: ignore[method-assign]
        steps = [
            papers[:50],
            [*papers[:20], replace(papers[20], notes="Quokka."), *papers[21:50]],
            papers,  # ten more (and the note undone)
        ]
        for number, step in enumerate(steps):
            keys = search.entry_keys(step, taxonomy)
            files, *_ = resident.submit_in(worker, step, taxonomy, lambda: None, keys).result()
            assert files == search.search_index(step, taxonomy)[0]
            if number == 0:
                assert len(sent[-1]) == 50
        assert [len(s) for s in sent] == [50, 1, 11]
        write.RESIDENT.clear()  # a new worker, or one whose last index was abandoned
        again = [*papers[:-1]]
        keys = search.entry_keys(again, taxonomy)
        files, memo, _ = resident.submit_in(worker, again, taxonomy, lambda: None, keys).result()
        assert [len(s) for s in sent[-2:]] == [0, 59]  # it answered None: everything went
        assert files == search.search_index(again, taxonomy)[0]
