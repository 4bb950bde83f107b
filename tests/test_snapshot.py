"""sitegen/snapshot.py: a CLI build keeps its model, and a notes edit continues from it."""

from __future__ import annotations

import marshal
import os
import pickle
import sys
import time
from pathlib import Path

import pytest

from sitegen import ahead, cli, noop, snapshot
from sitegen import ingest as ingest_module
from sitegen.build.options import SiteModel
from sitegen.fsio import write_atomic
from sitegen.noop import RACY_NS
from sitegen.views.listing import Cards

PAGE = "---\ntitle: {title}\nslug: {slug}\n---\n\nAn abstract about {word} bounds.\n"
THEMES = "themes:\n  - slug: theory\n    keywords: [bounds]\n"
NOTES = "\n## Notes\n\nRead with zanzibarian care.\n"


def write_page(root: Path, slug: str, text: str) -> Path:
    page = root / "content" / "papers" / "theory" / f"{slug}.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text)
    return page


def settle() -> None:
    """Wait until files written just now are old enough for a build to record (noop.RACY_NS)."""
    time.sleep(2 * RACY_NS / 1e9)


def build(root: Path, *args: str) -> None:
    settle()  # the edit just made: a build records only inputs old enough to tell (noop.py)
    assert cli.main(["build", "-q", "--root", str(root), *args]) == 0


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three papers, built until a build records its inputs; models kept in the test's folder."""
    monkeypatch.setenv(snapshot.FOLDER_VARIABLE, str(tmp_path / "models"))
    root = tmp_path / "site-root"
    for word in ("alpha", "beta", "gamma"):
        write_page(
            root,
            f"{word}-paper",
            PAGE.format(title=f"{word} paper", slug=f"{word}-paper", word=word),
        )
    (root / "content" / "themes.yaml").write_text(
        "themes:\n  - slug: theory\n    keywords: [bounds]\n"
    )
    settle()
    build(root)
    build(root)  # the first build wrote content/ingested.json after its stamp was taken
    return root


@pytest.fixture
def full_builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots of the builds that read and modelled everything (cli.build_site)."""
    called: list[Path] = []
    real = cli.build_site

    def counted(args, **options):  # noqa: ANN001, ANN003, ANN202
        called.append(args.root)
        return real(args, **options)

    monkeypatch.setattr(cli, "build_site", counted)
    return called


def clean_build(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """Every file of a clean build of root, into a folder of its own."""
    other = tmp_path / "clean-output"
    assert cli.main(["build", "-q", "--clean", "--root", str(root), "-o", str(other)]) == 0
    return files(other)


def noted_walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file where each walk of the inputs (noop.input_lines) notes its root and process,
    made slow: the build's first read of its inputs (ingest.read_inputs) must still come
    after it. A copy works ahead on one core too."""
    walks = tmp_path / "walks.txt"  # the walk may be made in the ahead copy: noted in a file
    real_walk, real_read = noop.input_lines, ingest_module.read_inputs

    def noted_walk(root: Path, *more: object) -> object:
        found = real_walk(root, *more)
        time.sleep(0.5)  # a slow walk: the build must still wait for it before reading
        with walks.open("a") as noted:
            noted.write(f"{root} {os.getpid()}\n")
        return found

    def read_after_the_walk(*given: object, **more: object) -> object:
        assert walks.is_file()  # the build's first read of its inputs: walked before
        return real_read(*given, **more)

    monkeypatch.setattr(noop, "input_lines", noted_walk)
    monkeypatch.setattr(ahead, "forking_pays", lambda: True)
    monkeypatch.setattr(ingest_module, "read_inputs", read_after_the_walk)
    return walks


def test_a_notes_edit_remakes_the_page_from_the_kept_model_as_a_clean_build_would(
    site: Path, tmp_path: Path, full_builds: list[Path]
) -> None:
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text() + NOTES)
    build(site)
    assert full_builds == []  # continued from the kept model
    made = files(site / "site")
    assert b"zanzibarian" in made["papers/beta-paper/index.html"]
    assert any(b"zanzibarian" in data for path, data in made.items() if path.startswith("search/"))
    assert made == clean_build(site, tmp_path)
    # The next edit continues from the model this build kept.
    page.write_text(page.read_text().replace("zanzibarian", "quixotic"))
    build(site)
    assert full_builds == [site]  # the clean build only
    made = files(site / "site")
    assert b"quixotic" in made["papers/beta-paper/index.html"]
    assert made == clean_build(site, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        "title",
        "template",
        "new page",
        "page deleted",
        "output edited",
        "model damaged",
        "model of another stamp",
        "cache without the output's records",
        "last build a clean one",
    ],
)
def test_anything_but_notes_builds_in_full_and_right(
    site: Path, tmp_path: Path, full_builds: list[Path], change: str
) -> None:
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text() + NOTES)
    model = snapshot.model_file(site, site / "site")
    assert model is not None and model.exists()
    if change == "title":
        page.write_text(page.read_text().replace("title: beta paper", "title: Beta, renamed"))
    elif change == "template":
        (site / "templates").mkdir()
        (site / "templates" / "robots.txt").write_text("User-agent: *\n")
    elif change == "new page":
        write_page(
            site, "delta-paper", PAGE.format(title="delta", slug="delta-paper", word="delta")
        )
    elif change == "page deleted":
        (site / "content" / "papers" / "theory" / "gamma-paper.md").unlink()
    elif change == "output edited":
        (site / "site" / "index.html").write_text("defaced")
    elif change == "cache without the output's records":  # its head read, the records lost
        for part in (site / ".sitegen-cache").glob("outputs-*"):
            part.unlink()
    elif change == "last build a clean one":  # which saves no cache: the cache is older
        page.write_text(page.read_text().replace("title: beta paper", "title: Beta, renamed"))
        build(site, "--clean")
        full_builds.clear()
        page.write_text(page.read_text().replace("zanzibarian", "quixotic"))
    elif change == "model damaged":
        model.write_bytes(model.read_bytes()[:-100])
    else:
        data = model.read_bytes()
        model.write_bytes(data.replace(data[len(snapshot.MAGIC) + 20 :][:4], b"XXXX", 1))
    build(site)
    assert full_builds == [site]
    assert files(site / "site") == clean_build(site, tmp_path)


def test_a_page_broken_since_the_last_build_is_named_and_then_built_in_full(
    site: Path, full_builds: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    good = page.read_text()
    page.write_text("---\ntitle: [unclosed\n---\n")
    settle()
    assert cli.main(["build", "-q", "--root", str(site)]) == 1
    assert f"{page}:2: front matter" in capsys.readouterr().err  # where the [ opens
    page.write_text(good + NOTES)
    build(site)
    assert full_builds == [site]  # the failed build left no record to continue from
    assert b"zanzibarian" in (site / "site/papers/beta-paper/index.html").read_bytes()


def test_a_model_is_read_only_with_its_own_classes(tmp_path: Path) -> None:
    victim, written = tmp_path / "victim", tmp_path / "written"
    victim.write_text("still here")

    class Remove:
        def __reduce__(self):  # noqa: ANN204 - what a crafted file would hold
            return (os.remove, (str(victim),))

    class Write:  # a function of sitegen's own is no class of a model either
        def __reduce__(self):  # noqa: ANN204
            return (write_atomic, (written, "code"))

    crafted = [
        pickle.dumps(Remove()),
        pickle.dumps(Write()),
        b"csitegen.cli\nsignal.Signals\n.",  # a dotted name: another module's class
        b"csitegen.cli\nConsole\n.",  # a class of sitegen's, but no dataclass
        b"csitegen.not_a_module\nPaper\n.",  # refused before anything is imported
        b"not a pickle",
        b"",
    ]
    for data in crafted:
        assert snapshot.unpickled(data) is None
    assert "sitegen.not_a_module" not in sys.modules
    assert victim.read_text() == "still here" and not written.exists()


def test_models_are_kept_only_in_a_folder_of_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "site-root"
    monkeypatch.setenv(snapshot.FOLDER_VARIABLE, "off")
    assert snapshot.model_file(root, root / "site") is None
    monkeypatch.setenv(snapshot.FOLDER_VARIABLE, "relative/models")
    assert snapshot.model_file(root, root / "site") is None
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # anyone may write: a file in it could be anyone's code
    monkeypatch.setenv(snapshot.FOLDER_VARIABLE, str(shared))
    assert snapshot.model_file(root, root / "site") is None


def test_only_the_most_recent_models_are_kept(tmp_path: Path) -> None:
    for number in range(snapshot.KEEP_FILES + 3):
        path = tmp_path / f"{number:02d}.model"
        path.write_bytes(b"x")
        os.utime(path, ns=(number * 10**9, number * 10**9))
    (tmp_path / "other.txt").write_text("not a model")
    snapshot.prune(tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"{n:02d}.model" for n in range(3, snapshot.KEEP_FILES + 3)] + ["other.txt"]


def test_a_list_too_big_keeps_no_model(
    site: Path, full_builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MAX_PAPERS", 2)
    (site / "content" / "themes.yaml").write_text(
        "themes:\n  - slug: theory\n    keywords: [bounds, abstract]\n"
    )
    build(site)  # a full build (themes.yaml changed), with three papers: no model kept
    assert not snapshot.model_file(site, site / "site").exists()
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text() + NOTES)
    build(site)
    assert full_builds == [site, site]


def test_after_adding_a_dump_a_notes_edit_continues_from_the_model_the_add_kept(
    site: Path, tmp_path: Path, full_builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "2026-01-02-fresh.txt"
    abstract = "Diffusion models synthesise images from noise and bounds. " * 6
    dump.write_text(f"Subscribe A Fresh Diffusion Paper\n{abstract}\n")
    settle()
    walks = noted_walks(tmp_path, monkeypatch)
    assert cli.main(["add", "-q", "--root", str(site), str(dump)]) == 0
    assert full_builds == [site]
    # The add waited for the dump it copied in before its walk of the inputs: one walk, in
    # the copy that works ahead of the build (beside this process loading the cache).
    noted = [line.rsplit(" ", 1) for line in walks.read_text().splitlines()]
    assert [root for root, _ in noted] == [str(site)] and noted[0][1] != str(os.getpid())
    new_page = next((site / "content" / "papers").glob("*/a-fresh-diffusion-paper.md"))
    new_page.write_text(new_page.read_text() + NOTES)
    build(site)
    assert full_builds == [site]  # the pages the add wrote are in its record: no second build
    made = files(site / "site")
    assert b"zanzibarian" in made["papers/a-fresh-diffusion-paper/index.html"]
    assert made == clean_build(site, tmp_path)


def test_a_build_with_no_record_walks_its_inputs_in_the_ahead_copy_before_reading_them(
    site: Path,
    tmp_path: Path,
    full_builds: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # With no last build to compare with, `sitegen build` has nothing to decide before it
    # starts: the inputs are walked for its record in the copy that works ahead, beside this
    # process loading the cache, and still before the build reads any of them.
    noop.forget(site, site / "site")
    walks = noted_walks(tmp_path, monkeypatch)
    build(site)
    ((_, walker),) = [line.rsplit(" ", 1) for line in walks.read_text().splitlines()]
    assert walker != str(os.getpid())
    capsys.readouterr()
    assert cli.main(["build", "--root", str(site)]) == 0  # recorded with the copy's walk:
    assert "(nothing changed)" in capsys.readouterr().out  # nothing changed
    assert full_builds == [site]
    noted = [line.rsplit(" ", 1)[1] for line in walks.read_text().splitlines()]
    assert noted == [walker, str(os.getpid())]  # with a record to compare: walked here


def test_a_model_is_kept_for_the_user_alone_whatever_the_umask(
    site: Path, tmp_path: Path, full_builds: list[Path]
) -> None:
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text().replace("An abstract", "A new abstract"))
    old = os.umask(0o002)  # a user-private-group system's default
    try:
        build(site)
        model = snapshot.model_file(site, site / "site")
        assert model is not None and model.stat().st_mode & 0o777 == 0o600
        page.write_text(page.read_text() + NOTES)
        build(site)
    finally:
        os.umask(old)
    assert full_builds == [site]  # the first build only: the second continued from its model
    assert files(site / "site") == clean_build(site, tmp_path)


def head_of(data: bytes) -> tuple[int, str]:
    """Where a kept model's head starts (the pickle's end), and the stamp it holds."""
    size = int.from_bytes(data[-snapshot.HEAD_SIZE :], "little")
    end = len(data) - snapshot.HEAD_SIZE - size
    return end, marshal.loads(data[end : len(data) - snapshot.HEAD_SIZE])[0]


def test_the_model_is_read_only_when_asked_and_only_from_the_file_whose_head_was_read(
    site: Path,
) -> None:
    path = snapshot.model_file(site, site / "site")
    data = path.read_bytes()
    end, stamp = head_of(data)
    damaged = data[: len(snapshot.MAGIC)] + b"not a pickle" + data[end:]  # the head intact
    path.write_bytes(damaged)
    found = snapshot.kept(site, site / "site", stamp)
    assert found is not None and found.span == (len(snapshot.MAGIC), len(snapshot.MAGIC) + 12)
    assert found.model() is None
    path.write_bytes(data)  # the file replaced after its head was read: that model is refused
    assert found.model() is None
    assert type(snapshot.kept(site, site / "site", stamp).model()) is SiteModel


def test_a_fifo_or_a_link_where_the_model_is_kept_is_no_model(site: Path, tmp_path: Path) -> None:
    path = snapshot.model_file(site, site / "site")
    data = path.read_bytes()
    path.unlink()
    os.mkfifo(path)  # opened without blocking: a plain open would wait for a writer forever
    assert snapshot.kept(site, site / "site", "any") is None
    path.unlink()
    elsewhere = tmp_path / "elsewhere.model"
    elsewhere.write_bytes(data)
    elsewhere.chmod(0o600)
    path.symlink_to(elsewhere)  # a link is not followed, whatever it points to
    assert snapshot.kept(site, site / "site", head_of(data)[1]) is None


def test_a_full_build_pickles_its_model_in_a_forked_copy_beside_its_commit(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pickled-by"
    real = snapshot.write_pickle

    def noted(path: Path, model: SiteModel) -> bool:
        with open(pids, "a") as out:  # the copy's pid, written by whoever pickles
            out.write(f"{os.getpid()}\n")
        return real(path, model)

    monkeypatch.setattr(snapshot, "write_pickle", noted)
    monkeypatch.setattr(snapshot, "forking_pays", lambda: True)
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text().replace("title: beta paper", "title: Beta, renamed"))
    build(site)  # a title shows on other pages: a full build
    assert pids.read_text().split() != [str(os.getpid())] and len(pids.read_text().split()) == 1
    models = tmp_path / "models"
    assert not list(models.glob("*.tmp"))  # the pickle is in place, under the model's name
    stamp = head_of(snapshot.model_file(site, site / "site").read_bytes())[1]
    found = snapshot.kept(site, site / "site", stamp)
    model = None if found is None else found.model()
    assert model is not None  # the model this build rendered, read back whole
    assert sorted(p.title for p in model.project.papers) == [
        "Beta, renamed",
        "alpha paper",
        "gamma paper",
    ]


@pytest.mark.parametrize("how", ["commit fails", "not recorded", "stamp too recent", "deploy"])
def test_a_model_not_kept_leaves_no_pickle_behind(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    from sitegen import noop
    from sitegen.build import write

    monkeypatch.setattr(snapshot, "forking_pays", lambda: True)
    page = site / "content" / "papers" / "theory" / "beta-paper.md"
    page.write_text(page.read_text().replace("title: beta paper", "title: Beta, renamed"))
    settle()
    args = ["build", "-q", "--root", str(site)]
    if how == "commit fails":

        def failing(*_: object, **__: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(write, "commit", failing)
        assert cli.main(args) != 0
    elif how == "not recorded":  # the output too new to trust (noop.remember)
        monkeypatch.setattr(noop, "remember", lambda *_, **__: False)
        assert cli.main(args) == 0
    elif how == "deploy":  # a build that no record follows (sitegen deploy's)
        parsed = cli.parser().parse_args(args)
        parsed.output = site / "site"
        cli.build_site(parsed)
    else:  # every stamp too recent to trust: the build is not recorded, its model not kept
        monkeypatch.setattr(noop, "RACY", "")
        assert cli.main(args) == 0
    models = tmp_path / "models"
    assert not list(models.glob("*.tmp")) and not list(models.glob(".*.tmp"))
    if how != "deploy":  # (deploy leaves the last recorded build's model as it was)
        assert not snapshot.model_file(site, site / "site").exists()


def test_a_kept_model_goes_without_the_cards_made_and_makes_them_again(site: Path) -> None:
    # The build made every card (its lists show them all); the kept model holds none, and
    # a card asked of it is made as the build made it.
    [path] = (site.parent / "models").glob("*.model")
    data = path.read_bytes()[len(snapshot.MAGIC) :]
    model = snapshot.unpickled(data[: -snapshot.HEAD_SIZE - int.from_bytes(data[-8:], "little")])
    assert model is not None and model.site.cards.made == {}
    again = Cards(model.site.library)
    assert [model.site.cards[s] for s in again] == [
        again.card(p) for p in again.library.papers.values()
    ]
    assert len(model.site.cards.made) == 3
