"""Ingest: dedup, idempotency, and never undoing what the user did."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import snapshot

from sitegen import fsio
from sitegen.catalog import paper_text, read_pages
from sitegen.ingest import JOURNAL_NAME, ingest, undo_stopped_ingest

TEMPLATE = """Subscribe{title_a}
{abstract}
{title_b}
{abstract}
"""
ABSTRACT = (
    "We study graph neural networks and message passing on molecules. "
    "Our method improves node classification on many benchmarks by a wide margin."
)


def pages(root: Path) -> dict[str, Path]:
    """Page paths by slug."""
    return {page.slug: page.path for page in read_pages(root / "content" / "papers")}


def add_dump(root: Path, name: str, title_a: str, title_b: str) -> None:
    """Write a small compact dump into content/dumps."""
    text = TEMPLATE.format(title_a=title_a, title_b=title_b, abstract=ABSTRACT)
    (root / "content" / "dumps" / name).write_text(text)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The shipped corpus, ingested once, and a snapshot of its content/."""
    from conftest import copy_shipped_content

    root = copy_shipped_content(tmp_path_factory.mktemp("ingest") / "site")
    result = ingest(root)
    assert not result.errors
    return root, snapshot(root)


def test_shipped_dumps_give_360_distinct_pages(ingested) -> None:
    root, _ = ingested
    assert len(pages(root)) == 360
    ledger = json.loads((root / "content" / "ingested.json").read_text())
    assert len(ledger["papers"]) == 360


def test_reingest_changes_no_byte(ingested) -> None:
    root, before = ingested
    result = ingest(root)
    assert result.written == []
    assert snapshot(root) == before


def test_report_counts_entries_new_and_known(shipped_site: Path) -> None:
    result = ingest(shipped_site)
    reports = {r.name[:3]: (r.entries, r.new, r.known) for r in result.reports}
    assert sum(r[0] for r in reports.values()) == 382
    assert sum(r[1] for r in reports.values()) == 360
    assert sum(r[2] for r in reports.values()) == 22
    again = ingest(shipped_site)
    assert sum(r.known for r in again.reports) == 382


def test_same_paper_in_two_dumps_is_one_page(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "a.txt", "VIOLET : End-to-End Video", "Other Paper")
    add_dump(tmp_path, "b.txt", "Violet: end-to-end video", "Third Paper")
    ingest(tmp_path)
    assert sorted(pages(tmp_path)) == ["other-paper", "third-paper", "violet-end-to-end-video"]


def test_slug_collision_between_different_papers_gets_a_suffix(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "a.txt", "Deep Nets", "Deep Nets (日本)")
    ingest(tmp_path)
    assert sorted(pages(tmp_path)) == ["deep-nets", "deep-nets-2"]


def test_a_new_paper_takes_no_slug_or_file_name_in_use(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "a.txt", "Deep Nets", "Wide Nets")
    ingest(tmp_path)
    # The user renames a page's slug (its file keeps its name), deletes a page (the ledger
    # keeps its slug) and writes one by hand.
    deep, wide = pages(tmp_path)["deep-nets"], pages(tmp_path)["wide-nets"]
    deep.write_text(deep.read_text().replace("slug: deep-nets", "slug: my-nets"))
    wide.unlink()
    (wide.parent / "by-hand.md").write_text("---\ntitle: Mine\nslug: hand-made\n---\n\nText.\n")
    # Titles of their own (a title key keeps the 日本), whose slugs are the taken ones.
    add_dump(tmp_path, "b.txt", "Wide Nets (日本)", "By Hand (日本)")
    add_dump(tmp_path, "c.txt", "My Nets (日本)", "Deep Nets (日本)")
    ingest(tmp_path)
    found = {slug: path.name for slug, path in pages(tmp_path).items()}
    assert found == {
        "my-nets": "deep-nets.md",
        "my-nets-2": "my-nets-2.md",  # a page's slug (its ledger entry keeps the old one)
        "deep-nets-2": "deep-nets-2.md",  # a ledger entry's slug and a file's name
        "wide-nets-2": "wide-nets-2.md",  # the ledger's slug of a page deleted
        "by-hand-2": "by-hand-2.md",  # a file's name
        "hand-made": "by-hand.md",
    }


def test_user_edits_moves_and_deletions_survive_new_dumps(shipped_site: Path) -> None:
    ingest(shipped_site)
    paths = pages(shipped_site)
    edited, moved, deleted = sorted(paths)[:3]
    edited_path = paths[edited]
    edited_text = edited_path.read_text().replace("---\n", "---\nstatus: read\n", 1)
    edited_text += "\n## Notes\n\nMy notes.\n"
    edited_path.write_text(edited_text)
    target = shipped_site / "content" / "papers" / "my-own-theme" / paths[moved].name
    target.parent.mkdir()
    os.replace(paths[moved], target)
    paths[deleted].unlink()
    before = snapshot(shipped_site)

    # A new dump that lists all three again, plus one new paper.
    titles = {p.slug: p.title for p in read_pages(shipped_site / "content" / "papers")}
    dump = shipped_site / "content" / "dumps" / "2026-11-22-new.txt"
    dump.write_text(
        "Subscribe"
        + "".join(f"{titles[s]}\n{ABSTRACT}\n" for s in (edited, moved))
        + f"{deleted.replace('-', ' ')}\n{ABSTRACT}\nA Brand New Paper\n{ABSTRACT}\n"
    )
    result = ingest(shipped_site)
    after = snapshot(shipped_site)
    new_files = sorted(set(after) - set(before))
    assert len(new_files) == 2 and new_files[0] == "dumps/2026-11-22-new.txt"
    assert new_files[1].endswith("/a-brand-new-paper.md")
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == ["ingested.json"]
    assert edited_path.read_text() == edited_text
    assert not paths[deleted].exists()
    assert [(r.new, r.known) for r in result.reports if r.name.startswith("2026")] == [(1, 3)]


def test_a_page_from_a_dump_read_half_copied_grows_with_it_until_it_is_the_users(
    tmp_path: Path,
) -> None:
    # `serve` ingests a dump as soon as its folder is quiet: one still being copied in gives
    # its last entries cut short (a half abstract; later entries not there yet).
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    dump = tmp_path / "content" / "dumps" / "2026-01-01-feed.txt"
    titles = ("Graph Nets One", "Graph Nets Two", "Graph Nets Three")
    whole = "Subscribe" + "".join(f"{t}\n{ABSTRACT} Paper {t}.\n" for t in titles)
    dump.write_text(whole[: whole.index("wide margin", whole.index(titles[1]))])
    ingest(tmp_path)
    found = pages(tmp_path)
    cut = found["graph-nets-two"].read_text()
    assert cut.endswith("benchmarks by a\n") and "graph-nets-three" not in found
    first = found["graph-nets-one"].read_text()
    dump.write_text(whole)
    result = ingest(tmp_path)
    found = pages(tmp_path)
    assert "Paper Graph Nets Two." in found["graph-nets-two"].read_text()  # whole now
    assert found["graph-nets-one"].read_text() == first  # unchanged
    assert found["graph-nets-two"] in result.written and set(found) == {
        "graph-nets-one",
        "graph-nets-two",
        "graph-nets-three",
    }
    assert [p.body for p in result.pages if p.slug == "graph-nets-two"] == [
        f"{ABSTRACT} Paper Graph Nets Two."
    ]


def test_an_abstract_the_user_shortened_is_not_grown_back(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    dump = tmp_path / "content" / "dumps" / "2026-01-01-feed.txt"
    dump.write_text("Subscribe" + f"Graph Nets One\n{ABSTRACT} Code is at example.org.\n")
    ingest(tmp_path)
    page = pages(tmp_path)["graph-nets-one"]
    page.write_text(page.read_text().replace(" Code is at example.org.", ""))  # their cut
    shortened = page.read_bytes()
    assert ingest(tmp_path).written == [] and page.read_bytes() == shortened


def test_a_paper_listed_twice_grows_by_its_first_listing_alone(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    dump = tmp_path / "content" / "dumps" / "2026-01-01-feed.txt"
    cut = ABSTRACT[: ABSTRACT.index("wide margin")].rstrip()
    dump.write_text(
        "Subscribe"
        + f"Graph Nets One\n{cut}\nOther One\n{ABSTRACT}\n"
        + f"Graph Nets One\n{ABSTRACT}\n"
    )
    ingest(tmp_path)
    before = pages(tmp_path)["graph-nets-one"].read_bytes()
    assert ingest(tmp_path).written == []  # the same dumps again change nothing
    assert pages(tmp_path)["graph-nets-one"].read_bytes() == before


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text + "\nMy note.\n",  # a note
        lambda text: text.replace("\nslug:", "\nstatus: read\nslug:", 1),  # a field of theirs
        lambda text: text.replace("message passing on", "message passing over"),  # their words
    ],
)
def test_a_cut_page_the_user_edited_stays_theirs(tmp_path: Path, edit) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    dump = tmp_path / "content" / "dumps" / "2026-01-01-feed.txt"
    whole = "Subscribe" + f"Graph Nets One\n{ABSTRACT}\n"
    dump.write_text(whole[: whole.index("wide margin")])
    ingest(tmp_path)
    page = pages(tmp_path)["graph-nets-one"]
    page.write_text(edit(page.read_text()))
    edited = page.read_bytes()
    dump.write_text(whole)
    ingest(tmp_path)
    assert page.read_bytes() == edited


def test_a_file_that_is_not_a_dump_is_skipped_with_a_warning(shipped_site: Path) -> None:
    (shipped_site / "content" / "dumps" / "zz-bad.txt").write_bytes(b"\x00\x01binary")
    result = ingest(shipped_site)
    assert not result.errors
    assert sum(r.new for r in result.reports) == 360  # the real dumps are ingested
    [warning] = [w for w in result.warnings if "zz-bad.txt" in w]
    assert "binary" in warning and "skipped" in warning and "\n" not in warning
    assert ingest(shipped_site).written == []  # and skipped again, writing nothing


def stopped_ingest(root: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    """An ingest of root stopped (Ctrl-C, the power going out) at its `at`-th file put in place."""
    real_replace = os.replace
    calls = {"n": 0}

    def crashing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == at:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(fsio.os, "replace", crashing_replace)
    with pytest.raises(KeyboardInterrupt):
        ingest(root)
    monkeypatch.setattr(fsio.os, "replace", real_replace)


def test_crash_mid_ingest_leaves_no_half_file_and_is_undone(
    shipped_site: Path, ingested, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, whole = ingested
    stopped_ingest(shipped_site, monkeypatch, 50)  # the journal, then 48 pages
    content = shipped_site / "content"
    assert not list(content.rglob("*.tmp")), "temp files were left behind"
    assert not (content / "ingested.json").exists()
    assert len(pages(shipped_site)) == 48  # whole files only; read_pages parses each
    # The next run takes none of them for a page the user placed (the classifier would learn
    # from it): it undoes them, and gives what one whole run gives, byte for byte.
    ingest(shipped_site)
    assert snapshot(shipped_site) == whole


def test_a_page_of_a_stopped_ingest_edited_since_is_kept(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped_ingest(shipped_site, monkeypatch, 4)  # the journal, then 2 pages
    written = sorted(pages(shipped_site).values())
    assert len(written) == 2
    written[0].write_text(written[0].read_text().replace("\n---\n", "\nstatus: read\n---\n", 1))
    content = shipped_site / "content"
    assert undo_stopped_ingest(content) == [written[1]]  # the user's edit is theirs now
    assert written[0].exists() and not (content / JOURNAL_NAME).exists()
    ingest(shipped_site)
    assert len(pages(shipped_site)) == 360


def test_a_build_after_a_stopped_ingest_takes_no_listing_of_the_pages_undone(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.ahead import read_ahead
    from sitegen.cache import BuildCache
    from sitegen.known import take_ahead

    first = BuildCache.load(shipped_site)
    ingest(shipped_site, first)
    first.save()  # a saved cache, as a CLI build leaves: the first copy then lists the pages
    (shipped_site / "content" / "dumps" / "later.txt").write_text(
        "Subscribe" + f"Graph Nets Later\n{ABSTRACT}\n" + f"Graph Nets After\n{ABSTRACT}\n"
    )
    stopped_ingest(shipped_site, monkeypatch, 3)  # the journal, then one of the two pages
    # A CLI build: the first copy lists the pages (the stopped run's among them) before ingest.
    cache = BuildCache.load(shipped_site)
    take_ahead(cache, read_ahead(shipped_site))
    result = ingest(shipped_site, cache)
    assert len(pages(shipped_site)) == 362 and not result.errors
    assert any("undid an ingest stopped before its ledger (1 page)" in w for w in result.warnings)


def test_a_journal_page_the_ledger_records_is_kept(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped_ingest(shipped_site, monkeypatch, 4)  # the journal, then 2 pages
    written = sorted(pages(shipped_site).values())
    content = shipped_site / "content"
    # The ledger came to record one (a collaborator's identical ingest, pulled).
    ledger = {"k": {"slug": written[0].stem, "theme": written[0].parent.name}}
    (content / "ingested.json").write_text(json.dumps({"version": 2, "papers": ledger}))
    assert undo_stopped_ingest(content) == [written[1]]
    assert written[0].exists()


def test_a_journal_after_the_ledger_undoes_nothing(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_unlink = Path.unlink

    def kept_journal(self: Path, missing_ok: bool = False) -> None:
        if self.name != JOURNAL_NAME:  # stopped after the ledger, before the journal went
            real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", kept_journal)
    ingest(shipped_site)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    content = shipped_site / "content"
    assert (content / JOURNAL_NAME).exists()
    assert undo_stopped_ingest(content) == []
    assert len(pages(shipped_site)) == 360 and not (content / JOURNAL_NAME).exists()


CHESS_THEMES = """\
classifier: {corpus_seeds: 1}  # nine papers: give the corpus stage its full weight
themes:
  - slug: games
    keywords: {game: 2, reinforcement: 3, reward: 3}
  - slug: vision
    keywords: {image classification: 3, label: 2}
"""


def test_new_papers_with_weak_keywords_are_placed_by_the_corpus_stage(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "themes.yaml").write_text(CHESS_THEMES)
    vision = "We study image classification of chess board photographs and pieces, run {}."
    games = "We train reinforcement learning agents on the reward of each game episode, run {}."
    entries = [(f"Image classification study {i}", vision.format(i)) for i in range(4)]
    entries += [(f"Reinforcement learning for games {i}", games.format(i)) for i in range(4)]
    # Says "game" (weak keyword evidence for games) but reads like the vision papers.
    chess = (
        "We annotate chess board photographs from a game: pieces on a chess board, game after game."
    )
    entries.append(("Chess board photographs", chess))
    text = "Subscribe" + "".join(f"{title}\n{abstract}\n" for title, abstract in entries)
    (content / "dumps" / "a.txt").write_text(text)
    ingest(tmp_path)
    placed = {slug: path.parent.name for slug, path in pages(tmp_path).items()}
    assert placed["chess-board-photographs"] == "vision"
    assert placed["reinforcement-learning-for-games-0"] == "games"
    # A second ingest of the same content decides the same and writes nothing.
    before = snapshot(tmp_path)
    assert ingest(tmp_path).written == [] and snapshot(tmp_path) == before


def test_a_version_1_ledger_keeps_deleted_cpp_papers_deleted(tmp_path: Path) -> None:
    """Ledger keys changed in version 2 ("C++" is no longer "c"); an older ledger's papers
    are still found by their old keys, so a deleted page doesn't come back on upgrade."""
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "themes.yaml").write_text("themes: []\n")
    abstract = "We study things with care. It works on every benchmark we tried, and more. " * 3
    text = f"Subscribe\nRelationNet++: Bridging Views\n{abstract}\nC Models\n{abstract}\n"
    (content / "dumps" / "a.txt").write_text(text)
    old_key = "relationnetbridgingviews"  # version 1's key; its page was deleted
    ledger = {"version": 1, "papers": {old_key: {"slug": "relationnet", "theme": "unsorted"}}}
    (content / "ingested.json").write_text(json.dumps(ledger))
    result = ingest(tmp_path)
    assert [(r.new, r.known) for r in result.reports] == [(1, 1)]  # only C Models is new
    saved = json.loads((content / "ingested.json").read_text())
    assert saved["version"] == 2
    assert saved["papers"]["relationnet++bridgingviews"]["slug"] == "relationnet"
    # In a version-2 ledger, C++ Models is not C Models.
    (content / "dumps" / "b.txt").write_text(f"Subscribe\nC++ Models\n{abstract}\n")
    assert [(r.new, r.known) for r in ingest(tmp_path).reports] == [(0, 2), (1, 0)]


def test_a_ledger_that_holds_what_ingest_read_is_not_written_again(tmp_path: Path) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "a.txt", "First Paper", "Second Paper")
    ingest(tmp_path)
    ledger = tmp_path / "content" / "ingested.json"
    spread = json.dumps(json.loads(ledger.read_text()), indent=1)  # the same, laid out anew
    ledger.write_text(spread)
    assert ingest(tmp_path).written == []  # nothing new: neither pages nor the ledger
    assert ledger.read_text() == spread
    add_dump(tmp_path, "b.txt", "Third Paper", "Second Paper")
    assert ledger in ingest(tmp_path).written  # a new paper: written, laid out as ever
    assert ledger.read_text() != spread and '"third-paper"' in ledger.read_text()


def many_dumps(root: Path, count: int) -> Path:
    """A site with `count` small dumps of two papers each (the last is no dump at all)."""
    (root / "content" / "dumps").mkdir(parents=True)
    for n in range(count - 1):
        add_dump(root, f"2024-01-{n + 1:02d}.txt", f"Graph Paper {n}", f"Vision Paper {n}")
    (root / "content" / "dumps" / "zz-bad.txt").write_bytes(b"\x00\x01binary")
    return root


def test_many_dumps_are_parsed_aside_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen import ingest as ingest_module
    from sitegen.cache import BuildCache

    parsed_here = []
    real_parse = ingest_module.parse_dump
    monkeypatch.setattr(
        ingest_module, "parse_dump", lambda *a: parsed_here.append(a[1]) or real_parse(*a)
    )
    alone, aside = many_dumps(tmp_path / "a", 20), many_dumps(tmp_path / "b", 20)
    expected = ingest(alone, BuildCache())
    assert len(parsed_here) == 20
    parsed_here.clear()
    result = ingest(aside, BuildCache(), fork=True)
    # The forked copy parsed the 19 dumps (its calls are counted in its own memory); this
    # process parsed only the one it refused, to report it.
    assert parsed_here == [str(aside / "content" / "dumps" / "zz-bad.txt")]
    assert snapshot(aside / "content") == snapshot(alone / "content")
    shown = [(r.name, r.entries, r.new, r.known, r.error) for r in result.reports]
    assert shown == [
        (r.name, r.entries, r.new, r.known, (r.error or "").replace(str(alone), str(aside)) or None)
        for r in expected.reports
    ]
    assert len(shown) == 20 and sum(r.new for r in result.reports) == 38
    assert [w.replace(str(aside), "") for w in result.warnings] == [
        w.replace(str(alone), "") for w in expected.warnings
    ]


def test_a_dump_parsed_aside_is_taken_only_for_the_bytes_read_now(tmp_path: Path) -> None:
    from sitegen.cache import BuildCache
    from sitegen.ingest import parse_aside, parsed_dumps, read_dumps

    root = many_dumps(tmp_path, 3)
    dumps_dir = root / "content" / "dumps"
    assert parse_aside(dumps_dir, BuildCache()) is None  # too few to fork for
    first = dumps_dir / "2024-01-01.txt"
    aside = parsed_dumps([first])
    assert list(aside) == [str(first)]  # the one that isn't a dump is left to read_dumps
    dumps, errors = read_dumps(dumps_dir, BuildCache(), aside)
    assert dumps[0] is aside[str(first)][1] and len(errors) == 1
    add_dump(root, first.name, "Changed Paper", "Vision Paper 0")  # since it was parsed aside
    dumps, _ = read_dumps(dumps_dir, BuildCache(), aside)
    assert dumps[0] is not aside[str(first)][1]
    assert dumps[0].entries[0].title == "Changed Paper"


def test_a_mistake_in_the_dumps_is_reported_before_one_in_the_pages(tmp_path: Path) -> None:
    from sitegen.cache import BuildCache
    from sitegen.errors import SitegenError

    for fork in (False, True):
        root = many_dumps(tmp_path / str(fork), 20)
        ingest(root, BuildCache())
        first = sorted((root / "content" / "papers").glob("*/*.md"))[0]
        (first.parent / "copy-of-first.md").write_bytes(first.read_bytes())  # its slug again
        dumps = root / "content" / "dumps"
        (dumps / "2024-01-01.md").write_bytes((dumps / "2024-01-01.txt").read_bytes())
        with pytest.raises(SitegenError, match="same name"):
            ingest(root, BuildCache(), fork=fork)
        (dumps / "2024-01-01.md").unlink()
        with pytest.raises(SitegenError, match="also used by"):
            ingest(root, BuildCache(), fork=fork)


def test_dumps_are_parsed_here_when_the_copy_parsing_them_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from sitegen import ingest as ingest_module
    from sitegen.cache import BuildCache

    here, real_parse = os.getpid(), ingest_module.parse_dump

    def parse_or_die(*args):  # killed in the forked copy, as by the out-of-memory killer
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_parse(*args)

    alone, aside = many_dumps(tmp_path / "a", 20), many_dumps(tmp_path / "b", 20)
    ingest(alone, BuildCache())
    monkeypatch.setattr(ingest_module, "parse_dump", parse_or_die)
    result = ingest(aside, BuildCache(), fork=True)
    assert sum(r.new for r in result.reports) == 38
    assert snapshot(aside / "content") == snapshot(alone / "content")


def test_parsed_dumps_and_pages_carry_the_title_keys_ingest_matches_them_by(
    tmp_path: Path,
) -> None:
    from sitegen.catalog import key_of, read_page, title_key
    from sitegen.ingest import read_dump

    abstract = "We study a thing at length. " * 10
    dump = tmp_path / "2026-01-02.txt"
    dump.write_text(f"C++ Templates, Revisited!\n{abstract}\n\nA  Second   Title\n{abstract}\n")
    entries = read_dump(dump).entries
    assert [e.title_key for e in entries] == [title_key(e.title) for e in entries]
    assert entries[0].title_key == "c++templatesrevisited"
    page = tmp_path / "t" / "p.md"
    page.parent.mkdir()
    page.write_text("---\ntitle: 'a second TITLE'\n---\n\nText.\n")
    parsed = read_page(page, page.read_bytes())
    assert key_of(parsed) == parsed.title_key == key_of(entries[1])


def test_before_placing_is_told_the_new_pages_as_they_will_read_but_for_their_theme(
    tmp_path: Path,
) -> None:
    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "2026-01-01-a.txt", "Graph Networks For Molecules", "Message Passing")
    ingest(tmp_path)
    told: list = []
    add_dump(tmp_path, "2026-01-02-b.txt", "Message Passing", "Diffusion For Images")
    result = ingest(tmp_path, before_placing=lambda made, papers: told.append((made(), papers)))
    [(unplaced, papers)] = told
    assert papers == 3 and len(unplaced.pages) == 3
    placed = {page.slug: page for page in result.pages}
    for page in unplaced.pages:
        final = placed[page.slug]
        assert paper_text(page) == paper_text(final) and page.text_key == final.text_key
        assert page.meta["added"] == final.meta["added"]
    assert {p.theme for p in unplaced.pages if p.slug == "diffusion-for-images"} == {"unsorted"}
    told.clear()
    ingest(tmp_path, before_placing=lambda made, papers: told.append(made))
    assert told == []  # nothing new: nothing to tell
