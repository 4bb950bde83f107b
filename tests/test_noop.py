"""sitegen/noop.py: a build with nothing changed replays the last; any change builds for real."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_sitegen
from hypothesis import given, settings
from hypothesis import strategies as st

import sitegen.noop
from sitegen import cli
from sitegen.build import BuildOptions, build
from sitegen.known import content_key
from sitegen.noop import (
    RACY_NS,
    Replay,
    as_written,
    changed_pages,
    file_clock_ns,
    input_lines,
    is_racy,
    output_stamp,
    record_path,
    remember,
    settled,
    time_grain,
    use_clock_of,
)
from sitegen.output import MANIFEST

PAGE = "---\ntitle: A Paper\nslug: a-paper\n---\n\nSome abstract about bounds.\n"
NOTHING = "(nothing changed)"


def tiny_site(root: Path) -> Path:
    """A site with two pages and a one-theme taxonomy, built until its inputs settle."""
    papers = root / "content" / "papers" / "theory"
    papers.mkdir(parents=True)
    (papers / "a-paper.md").write_text(PAGE)
    (papers / "b-paper.md").write_text(
        PAGE.replace("A Paper", "B Paper").replace("a-paper", "b-paper")
    )
    (root / "content" / "themes.yaml").write_text(
        "themes:\n  - slug: theory\n    keywords: [bounds]\n"
    )
    first = run_sitegen("build", cwd=root)
    assert first.returncode == 0 and NOTHING not in first.stdout, first.stderr
    # The first build's ingest wrote content/ingested.json after its input stamp was taken:
    # it is in the record as written (noop.as_written), so this is a no-op, unless the
    # pages were too recent for the first build to record any stamp (then it records).
    second = run_sitegen("build", cwd=root)
    assert second.returncode == 0, second.stderr
    return root


def files(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_build_with_nothing_changed_writes_nothing_and_says_what_the_last_said(
    tmp_path: Path,
) -> None:
    root = tiny_site(tmp_path)
    before = files(root / "site")
    again = run_sitegen("build", cwd=root)
    assert again.returncode == 0 and NOTHING in again.stdout
    assert "2 papers, 0 of" in again.stdout
    assert "sitemap.xml not written" in again.stderr  # the last build's note, replayed
    assert files(root / "site") == before
    clean = run_sitegen("build", "--clean", cwd=root)
    assert clean.returncode == 0 and NOTHING not in clean.stdout


def edit_page(root: Path) -> None:
    page = root / "content" / "papers" / "theory" / "a-paper.md"
    page.write_text(PAGE.replace("Some abstract", "A new abstract"))


def add_template(root: Path) -> None:
    (root / "templates").mkdir()
    (root / "templates" / "robots.txt").write_text("User-agent: *\n")


def delete_output(root: Path) -> None:
    (root / "site" / "index.html").unlink()


def edit_output(root: Path) -> None:
    (root / "site" / "index.html").write_text("defaced")


def edit_deep_output(root: Path) -> None:
    (root / "site" / "papers" / "a-paper" / "index.html").write_text("defaced")


def add_deep_output(root: Path) -> None:
    (root / "site" / "papers" / "a-paper" / "stray.html").write_text("stray")


def add_search_output(root: Path) -> None:
    (root / "site" / "search" / "stray.js").write_text("stray")


def replace_output_same_size(root: Path) -> None:
    """Another file of the same size renamed over a page (its ctime is the rename's)."""
    page = root / "site" / "index.html"
    stand_in = page.with_name("stand-in.tmp")
    stand_in.write_bytes(b"x" * page.stat().st_size)
    os.utime(stand_in, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns))
    os.replace(stand_in, page)


def delete_output_folder(root: Path) -> None:
    shutil.rmtree(root / "site" / "papers" / "b-paper")


def delete_manifest(root: Path) -> None:
    (root / "site" / MANIFEST).unlink()


CHANGES: dict[str, Callable[[Path], None]] = {
    "page": edit_page,
    "template": add_template,
    "deleted output": delete_output,
    "edited output": edit_output,
    "edited paper page": edit_deep_output,
    "file added to search/": add_search_output,
    "output replaced, same size and mtime": replace_output_same_size,
    "paper folder deleted": delete_output_folder,
    "manifest deleted": delete_manifest,
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_inputs_or_output_makes_a_real_build(tmp_path: Path, change: str) -> None:
    root = tiny_site(tmp_path)
    expected = files(root / "site")
    CHANGES[change](root)
    rebuilt = run_sitegen("build", cwd=root)
    assert rebuilt.returncode == 0 and NOTHING not in rebuilt.stdout, rebuilt.stdout
    if change == "page":
        paper = root / "site" / "papers" / "a-paper" / "index.html"
        assert b"A new abstract" in paper.read_bytes()
    elif change != "template":  # the output was repaired: equal to what the build wrote
        assert files(root / "site") == expected
    assert NOTHING in run_sitegen("build", cwd=root).stdout  # and the next one is a no-op


def test_a_file_added_where_builds_leave_it_is_no_reason_for_a_real_build(tmp_path: Path) -> None:
    root = tiny_site(tmp_path)
    expected = files(root / "site")
    add_deep_output(root)
    assert NOTHING in run_sitegen("build", cwd=root).stdout
    assert files(root / "site") == {**expected, "papers/a-paper/stray.html": b"stray"}
    (root / "site" / "papers" / "a-paper" / "stray.html").unlink()
    (root / "site" / "papers" / "a-paper" / "index.html").unlink()  # one it did write
    assert NOTHING not in run_sitegen("build", cwd=root).stdout
    assert files(root / "site") == expected


def test_another_base_url_or_output_folder_is_a_real_build(tmp_path: Path) -> None:
    root = tiny_site(tmp_path)
    other = run_sitegen("build", "--base-url", "https://example.org/list/", cwd=root)
    assert NOTHING not in other.stdout
    assert b"https://example.org/list/" in (root / "site" / "sitemap.xml").read_bytes()
    elsewhere = run_sitegen("build", "-o", "pub", cwd=root)
    assert elsewhere.returncode == 0 and NOTHING not in elsewhere.stdout, elsewhere.stderr
    assert (root / "pub" / "index.html").exists()


def test_a_page_edited_in_place_in_a_linked_folder_makes_a_real_build(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "theory"
    outside.mkdir(parents=True)
    (outside / "c-paper.md").write_text(
        PAGE.replace("A Paper", "C Paper").replace("a-paper", "c-paper")
    )
    root = tmp_path / "list"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "theory").symlink_to(outside)
    (root / "content" / "themes.yaml").write_text(
        "themes:\n  - slug: theory\n    keywords: [bounds]\n"
    )
    for _ in range(2):
        assert run_sitegen("build", cwd=root).returncode == 0
    assert NOTHING in run_sitegen("build", cwd=root).stdout
    page = outside / "c-paper.md"
    with page.open("r+") as handle:  # in place: the folder's own stat stays the same
        text = handle.read().replace("Some abstract", "Edited abstract")
        handle.seek(0)
        handle.write(text)
    rebuilt = run_sitegen("build", cwd=root)
    assert NOTHING not in rebuilt.stdout
    assert b"Edited abstract" in (root / "site" / "papers" / "c-paper" / "index.html").read_bytes()


def new_file(path: Path, data: bytes) -> int:
    """Create a file without a stat before its write (Python's open() makes one, and Linux
    then stamps the write finely, not by its coarse clock); its ctime."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return path.stat().st_ctime_ns


@pytest.fixture
def kernel_clock(tmp_path: Path) -> None:
    """File times read by the kernel's clock, as a command on a local file system reads them."""
    use_clock_of(tmp_path)
    if not sitegen.noop.KERNEL_CLOCK:  # macOS, or a temp folder on NFS, 9p, virtiofs, …
        pytest.skip("the kernel does not stamp this temp folder's or sitegen's file times")


def test_a_file_made_after_the_file_clock_is_read_is_stamped_no_earlier(
    tmp_path: Path, kernel_clock: None
) -> None:
    # A new file takes the kernel's coarse time, which lags the wall clock by up to a tick or
    # two: read as time.time_ns(), the clock would be ahead of most of these stamps.
    for number in range(300):
        now = file_clock_ns()
        assert new_file(tmp_path / f"{number}.txt", b"x") >= now


def test_a_file_made_after_a_settled_time_is_stamped_later(
    tmp_path: Path, kernel_clock: None
) -> None:
    for number in range(30):  # without the wait, nearly every pair is stamped the same
        first = new_file(tmp_path / f"{number}-a.md", b"a")
        assert settled(first) and not is_racy(first, file_clock_ns())
        assert new_file(tmp_path / f"{number}-b.md", b"b") > first, number


def test_the_kernels_clock_is_read_only_for_file_systems_it_stamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote"
    (tmp_path / "content").symlink_to(remote)  # linked to a file system Linux doesn't stamp
    remote.mkdir()
    away = {remote}  # the folders the fake below says Linux doesn't stamp
    monkeypatch.setattr(sitegen.noop, "stamped_here", lambda f: f.resolve() not in away)
    use_clock_of(tmp_path / "templates")  # a project none of whose folders is linked away
    assert sitegen.noop.coarse_clock_readable() is sitegen.noop.KERNEL_CLOCK
    for folder in (remote, sitegen.noop.PACKAGE_DIR, tmp_path / "site"):
        away.clear()  # its content (linked there), sitegen itself, its output
        away.add(folder)
        use_clock_of(tmp_path, tmp_path / "site")
        assert not sitegen.noop.KERNEL_CLOCK, folder
    before = time.time_ns()
    assert before - RACY_NS <= file_clock_ns() <= time.time_ns() - RACY_NS


def test_a_folders_file_system_is_the_one_mounted_nearest_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "mountinfo"
    monkeypatch.setattr(sitegen.noop, "MOUNTS", table)
    inner, spaced = tmp_path / "inner", tmp_path / "a disk"
    inner.mkdir()  # (a mount point is a folder that is there)
    spaced.mkdir()
    escaped = str(spaced).replace(" ", "\\040")
    lines = [
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",  # no optional field
        f"40 27 0:40 / {tmp_path} rw shared:5 master:1 - nfs4 server:/x rw",  # two of them
        f"41 40 0:41 / {inner} rw shared:6 - tmpfs tmpfs rw",
        f"42 40 0:42 / {escaped} rw - xfs /dev/sdb rw",
    ]
    table.write_text("\n".join(lines) + "\n")
    sitegen.noop.mounts.cache_clear()
    assert not sitegen.noop.stamped_here(tmp_path / "papers")  # on NFS, not made yet
    assert sitegen.noop.stamped_here(inner / "not" / "made" / "yet")  # tmpfs, mounted on it
    assert sitegen.noop.stamped_here(spaced) and sitegen.noop.stamped_here(Path("/etc"))
    table.write_text(lines[0] + f"\n40 27 0:40 / {tmp_path} rw - tmpfs x rw\n" + lines[1])
    sitegen.noop.mounts.cache_clear()
    assert not sitegen.noop.stamped_here(tmp_path)  # mounted over: the last mount is seen
    table.unlink()  # no table (not Linux): none
    sitegen.noop.mounts.cache_clear()
    assert not sitegen.noop.stamped_here(tmp_path)


def test_a_time_that_stays_too_recent_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitegen.noop, "SETTLE_LONGEST_S", 0.05)
    future = file_clock_ns() + 10**9 + 7  # a clock set back since: not on a whole second
    started = time.monotonic()
    assert not settled(future)
    assert time.monotonic() - started >= 0.05  # looked until it gave up
    assert settled(file_clock_ns() - 10**6 + 7)  # a time past already: at once


def test_a_file_time_is_racy_for_the_grain_its_zeros_suggest() -> None:
    assert [time_grain(t) for t in (1_234_567_891, 1_234_567_000, 1_230_000_000)] == [
        1,
        1000,
        10**7,
    ]
    assert time_grain(5 * 10**9 + 10**8) == 10**8 and time_grain(7 * 10**17) == 10**8
    assert is_racy(1_230_000_000, 1_230_000_000 + 10**7 - 1)  # a hundredths file system
    assert not is_racy(1_230_000_000, 1_230_000_000 + 10**7)
    assert is_racy(1_234_567_891, 1_234_567_891) and not is_racy(1_234_567_891, 1_234_567_892)
    assert is_racy(10**18, 10**18 + 2 * 10**9 - 1)  # whole seconds: two of them
    assert not settled(file_clock_ns() // 10**9 * 10**9 + 10**9)  # the next whole second


def test_an_input_changed_just_before_the_build_is_not_trusted(tmp_path: Path) -> None:
    from sitegen import noop

    root = tiny_site(tmp_path)
    settled = noop.stamp_of(*noop.input_lines(root, root / "site", None))
    assert not settled.startswith(noop.RACY)
    page = root / "content" / "papers" / "theory" / "a-paper.md"
    page.write_text(PAGE)  # the same bytes
    written = page.stat().st_ctime_ns
    with pytest.MonkeyPatch.context() as clock:  # stamped within the file clock's grain
        clock.setattr(noop, "file_clock_ns", lambda: written)
        assert noop.stamp_of(*noop.input_lines(root, root / "site", None)).startswith(noop.RACY)
        clock.setattr(noop, "file_clock_ns", lambda: written + noop.time_grain(written))
        assert not noop.stamp_of(*noop.input_lines(root, root / "site", None)).startswith(noop.RACY)


def test_the_stamp_a_build_records_is_the_one_its_output_shows(tmp_path: Path) -> None:
    root = tiny_site(tmp_path)
    (root / "content" / "papers" / "theory" / "a-paper.md").write_text(PAGE + "\nA note.\n")
    built = build(root, BuildOptions(root / "site"))
    assert set(built.left) == {*files(root / "site")} - {MANIFEST}
    assert output_stamp(root / "site", built.left) == output_stamp(root / "site")
    # A file the build saw no ctime for is statted; one it saw otherwise differs.
    unseen = {**built.left, "index.html": (built.left["index.html"][0], None)}
    assert output_stamp(root / "site", unseen) == output_stamp(root / "site")
    size, ctime = built.left["index.html"]
    stale = {**built.left, "index.html": (size, (ctime or 0) - 1)}
    assert output_stamp(root / "site", stale) != output_stamp(root / "site")


def test_a_stamp_of_files_written_just_now_is_recorded_once_their_tick_is_out(
    tmp_path: Path,
) -> None:
    root = tiny_site(tmp_path)
    built = build(root, BuildOptions(root / "site"))
    assert built.left is not None
    record = record_path(root, root / "site")
    replay = Replay(2, len(built.left), [], [], [])
    size, _ = built.left["index.html"]
    # A file whose ctime is this instant: a change within the same tick would look the same.
    just_now = time.time_ns() // 1000 * 1000 + 1  # not on a whole second
    remember(root, root / "site", "inputs", replay, {**built.left, "index.html": (size, just_now)})
    assert not is_racy(just_now, file_clock_ns()) and record.exists()
    record.unlink()
    # A FAT or HFS+ tick (the next second: the newest time in the stamp).
    whole_second = (time.time_ns() // 1_000_000_000 + 1) * 1_000_000_000
    remember(
        root, root / "site", "inputs", replay, {**built.left, "index.html": (size, whole_second)}
    )
    assert not record.exists()


def test_changed_pages_are_the_pages_whose_stat_alone_changed(tmp_path: Path) -> None:
    root = tmp_path
    page = f"{root}/content/papers/theory/a paper.md"
    before = ["0.1", f"@{root}/content", f"{page} 10 1 1 7", f"{root}/templates/page.html 5 1 1 8"]
    assert changed_pages(before, before, root) == []
    saved = [*before[:2], f"{page} 12 2 2 9", before[3]]
    assert changed_pages(before, saved, root) == [Path(page)]
    template = [*before[:3], f"{root}/templates/page.html 6 2 2 8"]
    assert changed_pages(before, template, root) is None
    assert (
        changed_pages(before, [*before, f"{root}/content/papers/theory/b.md 1 1 1 1"], root) is None
    )
    renamed = [*before[:2], f"{root}/content/papers/theory/b.md 10 1 1 7", before[3]]
    assert changed_pages(before, renamed, root) is None
    not_a_page = [*before[:2], f"{page}x 10 1 1 7", before[3]]
    assert changed_pages(before, not_a_page, root) is None
    # An editor's swap file beside the page (no input) comes and goes, or changes: no matter.
    swap = f"{root}/content/papers/theory/.a paper.md.swp"
    with_swap = [*saved[:3], f"{swap} 4096 3 3 11", saved[3]]
    assert changed_pages(before, with_swap, root) == [Path(page)]
    swap_changed = [*with_swap[:3], f"{swap} 8192 4 4 11", with_swap[4]]
    assert changed_pages(with_swap, swap_changed, root) == []
    other_swap = [*with_swap[:3], f"{root}/content/papers/theory/.b.md.swp 1 1 1 13", saved[3]]
    assert changed_pages(with_swap, other_swap, root) == []  # as many lines, another name
    backup = [*before[:3], f"{root}/content/papers/theory/a paper.md~ 1 1 1 12", before[3]]
    assert changed_pages(before, backup, root) == []


def test_a_folder_that_changed_is_never_a_changed_page_even_with_spaces_in_paths() -> None:
    root = Path("/my site")  # a line's path is all but its last four fields: spaces inside
    page = f"{root}/content/papers/theory/a.md 10 1 1 7"
    folder, hidden = f"{root}/content/papers/theory/zz/", f"{root}/content/papers/theory/zz~/"
    saved = f"{root}/content/papers/theory/a.md 12 2 2 7"
    assert changed_pages([folder, page], [hidden, saved], root) is None  # a folder went
    spaced = f"{root}/content/papers/theory/x.md y/"  # a folder, not the page x.md
    assert changed_pages([spaced, page], [spaced[:-1] + "z/", page], root) is None


def test_the_pages_a_build_ingested_are_in_its_record_as_written(tmp_path: Path) -> None:
    root = tiny_site(tmp_path)
    dump = root / "content" / "dumps" / "2026-01-02-fresh.txt"
    dump.parent.mkdir(exist_ok=True)
    abstract = "Diffusion models synthesise images from noise and bounds. " * 6
    dump.write_text(f"Subscribe A Fresh Diffusion Paper\n{abstract}\n")
    time.sleep(2 * RACY_NS / 1e9)
    ingesting = run_sitegen("build", cwd=root)
    assert ingesting.returncode == 0 and "ingest: 2 files written" in ingesting.stdout
    again = run_sitegen("build", cwd=root)  # it used to take a second build to record them
    assert again.returncode == 0 and NOTHING in again.stdout, again.stdout


def test_as_written_takes_only_files_that_hold_what_ingest_wrote(tmp_path: Path) -> None:
    content = tmp_path / "content"
    page = content / "papers" / "new" / "p.md"
    (content / "papers").mkdir(parents=True)
    other = content / "other.md"
    other.write_bytes(b"x")
    before = input_lines(tmp_path, tmp_path / "site", None)[0]
    page.parent.mkdir()
    page.write_bytes(b"as written")
    wrote = {page: content_key(page, b"as written")}
    found = as_written(before, wrote)
    assert found is not None and found[0] == input_lines(tmp_path, tmp_path / "site", None)[0]
    assert found[1] == page.stat().st_ctime_ns
    assert as_written(before, {page: content_key(page, b"other bytes")}) is None
    other.write_bytes(b"changed while the build ran")  # stays as it was: the next build is full
    assert as_written(before, wrote) == found
    page.unlink()  # a written file deleted (or moved away) while the build ran
    assert as_written(before, wrote) is None
    outside = tmp_path / "elsewhere" / "deeper" / "p.md"  # in a folder no line names
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"as written")
    assert as_written(before, {outside: content_key(outside, b"as written")}) is None


def test_as_written_follows_a_linked_content_folder_and_refuses_a_file_turned_folder(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real-content"
    (real / "papers" / "t").mkdir(parents=True)
    (real / "papers" / "t" / "old.md").write_bytes(b"old")
    (real / "papers" / "gone").write_bytes(b"a file")
    (tmp_path / "content").symlink_to(real)  # a project whose content lives elsewhere
    before = input_lines(tmp_path, tmp_path / "site", None)[0]
    page = tmp_path / "content" / "papers" / "t" / "new.md"
    page.write_bytes(b"as written")
    found = as_written(before, {page: content_key(page, b"as written")})
    assert found is not None and found[0] == input_lines(tmp_path, tmp_path / "site", None)[0]
    (real / "papers" / "gone").unlink()  # deleted while the build ran, and made a folder
    made = tmp_path / "content" / "papers" / "gone" / "p.md"
    made.parent.mkdir()
    made.write_bytes(b"as written")
    assert as_written(before, {made: content_key(made, b"as written")}) is None


NAMES = st.sampled_from(["a", "a-b", "a.b", "a b", "b", "ab", "a_b", "B", "z", "é", "0"])


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.tuples(NAMES, NAMES), max_size=8),
    st.lists(st.tuples(NAMES, NAMES, st.booleans()), min_size=1, max_size=6),
)
def test_as_written_gives_the_lines_a_walk_would_give(
    present: set[tuple[str, str]], written: list[tuple[str, str, bool]]
) -> None:
    # Folders and files of any names under content/papers, then ingest's writes: new files
    # in folders that are there or new (one level), and files written again.
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        papers = root / "content" / "papers"
        papers.mkdir(parents=True)
        (root / "content" / "ledger.json").write_text("{}")
        for theme, name in present:
            (papers / theme).mkdir(exist_ok=True)
            (papers / theme / f"{name}.md").write_text("old")
        before = input_lines(root, root / "site", None)[0]
        wrote = {}
        for theme, name, ledger in written:
            path = root / "content" / "ledger.json" if ledger else papers / theme / f"{name}.md"
            path.parent.mkdir(exist_ok=True)
            data = f"new {theme} {name}".encode()
            path.write_bytes(data)
            wrote[path] = content_key(path, data)
        found = as_written(before, wrote)
        assert found is not None
        assert found[0] == input_lines(root, root / "site", None)[0]


def test_a_build_whose_inputs_were_too_recent_when_it_read_them_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Racy when the build took its stamp, not when it ended (a page saved twice within
    # one tick, the second time after the build read it, would look unchanged).
    root = tiny_site(tmp_path)
    record_path(root, root / "site").unlink()
    dump = root / "content" / "dumps" / "2026-01-02-fresh.txt"
    dump.parent.mkdir(exist_ok=True)
    dump.write_text("Subscribe A Fresh Paper\n" + "On bounds and more bounds. " * 12 + "\n")
    time.sleep(2 * RACY_NS / 1e9)
    asked = tmp_path / "asked"  # a file: with no record, the stamp is taken in the ahead copy

    def racy_once(ctime_ns: int, now_ns: int) -> bool:
        with asked.open("a") as noted:
            noted.write(f"{ctime_ns}\n")
        return len(asked.read_text().split()) == 1

    monkeypatch.setattr(sitegen.noop, "is_racy", racy_once)
    assert cli.main(["build", "-q", "--root", str(root)]) == 0
    assert asked.is_file() and not record_path(root, root / "site").exists()
