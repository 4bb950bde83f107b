"""`sitegen serve` end to end: a real process, real file edits, a real browser that reloads."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import copy_shipped_content

import sitegen.known
import sitegen.live
from sitegen import cli
from sitegen.catalog import read_pages
from sitegen.live import PREVIEW_BASE_URL, LiveSite
from sitegen.serve import PreviewServer
from sitegen.text import slugify
from sitegen.watch import ChangeSet

ABSTRACT = (
    "We propose a transformer for chess commentary that reads board states and writes "
    "explanations. Experiments on annotated games show fluent, accurate commentary."
)


class Served:
    """A running `sitegen serve` process and the lines it printed."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--root", str(root), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self.pump, daemon=True).start()
        self.url = self.expect(r"serving .* at (http://127\.0\.0\.1:\d+/)", timeout=60).group(1)

    def pump(self) -> None:
        """Copy the process's output lines into a queue."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """Wait for an output line matching pattern."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.log.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r}; got {self.log}")

    def stop(self) -> None:
        """Stop the server like Ctrl+C does."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def test_open_pages_are_written_and_announced_before_the_rest(tmp_path: Path) -> None:
    root = copy_shipped_content(tmp_path / "root")
    output = root / "site"
    server = PreviewServer(output, "127.0.0.1", 0)  # its state only; no need to serve
    site = LiveSite(root, output, "/", lambda _: None, server)
    assert site.rebuild()
    pages = sorted(output.glob("papers/*/index.html"))
    watched, other = pages[3], pages[-1]
    server.state.viewers[f"/papers/{watched.parent.name}/"] += 1  # a tab shows this page
    announced: list[tuple[list[str] | None, bool]] = []
    publish = server.state.publish

    def spy(error: str | None = None, pages: list[str] | None = None) -> None:
        # What was announced, and whether the other page had been rewritten by then.
        announced.append((None if pages is None else sorted(pages), "MARK" in other.read_text()))
        publish(error, pages)

    server.state.publish = spy  # type: ignore[method-assign]
    (root / "templates").mkdir()
    shipped = (Path(__file__).parent.parent / "templates" / "base.html").read_text()
    (root / "templates" / "base.html").write_text(shipped.replace("</footer>", "MARK</footer>"))
    assert site.rebuild(ChangeSet({root / "templates" / "base.html"}, {"template"}))
    (first, other_done_first), (rest, _) = announced
    assert first == [f"papers/{watched.parent.name}/index.html"]
    assert not other_done_first  # announced before the rest of the site was written
    assert rest is not None and len(rest) > 300 and first[0] not in rest
    assert "MARK" in watched.read_text() and "MARK" in other.read_text()
    server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The shipped corpus, served with live reload."""
    root = copy_shipped_content(tmp_path_factory.mktemp("live") / "site-root")
    server = Served(root)
    yield server
    server.stop()


def a_page(root: Path, index: int = 0) -> Path:
    """The path of some page of the catalogue."""
    return sorted(page.path for page in read_pages(root / "content" / "papers"))[index]


def status_of(url: str) -> int:
    """The HTTP status of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_editing_markdown_updates_the_open_page(served: Served, browser) -> None:
    path = a_page(served.root)
    page = browser.new_page()
    page.goto(f"{served.url}papers/{path.stem}/")
    path.write_text(path.read_text() + "\n## Notes\n\nA freshly saved live note.\n")
    page.get_by_text("A freshly saved live note.").wait_for(timeout=10_000)
    served.expect(r"rebuilt \(content/papers/.*\.md\)")
    page.close()


def test_only_tabs_whose_page_changed_reload(served: Served, browser) -> None:
    pages = sorted((served.root / "content" / "papers").glob("*/*.md"))
    edited, other = pages[5], pages[6]
    tab, bystander = browser.new_page(), browser.new_page()
    tab.goto(f"{served.url}papers/{edited.stem}/")
    bystander.goto(f"{served.url}papers/{other.stem}/")
    epoch = 'document.documentElement.getAttribute("data-sitegen-epoch")'
    bystander.wait_for_function(f"{epoch} !== null", timeout=10_000)  # its stream is open
    bystander.evaluate("window.stillHere = true")  # gone if the tab reloads
    edited.write_text(edited.read_text() + "\n## Notes\n\nOnly this tab reloads.\n")
    tab.get_by_text("Only this tab reloads.").wait_for(timeout=10_000)
    tab.wait_for_function(f"{epoch} !== null", timeout=10_000)
    rebuilt = tab.evaluate(epoch)
    # The bystander heard the same rebuild (the live client marks each state it keeps)…
    bystander.wait_for_function(f"{epoch} === {rebuilt!r}", timeout=10_000)
    assert bystander.evaluate("window.stillHere === true")  # …and did not reload
    tab.close()
    bystander.close()


def test_a_dropped_dump_shows_up_on_the_site_and_in_search(served: Served, browser) -> None:
    page = browser.new_page()
    page.goto(served.url)
    dump = served.root / "content" / "dumps" / "2026-11-22-live.txt"
    dump.write_text(f"Subscribe Chess Commentary Transformers\n{ABSTRACT}\n")
    # The open home page reloads by itself and lists the newest dump's addition.
    page.get_by_text("Chess Commentary Transformers").first.wait_for(timeout=10_000)
    assert status_of(f"{served.url}papers/chess-commentary-transformers/") == 200
    served.expect(r"rebuilt \(content/dumps/2026-11-22-live.txt\)")
    page.goto(f"{served.url}search/?q=chess+commentary")
    page.locator("[data-search-page] a[href*='chess-commentary-transformers']").first.wait_for(
        timeout=10_000
    )
    page.close()


def test_a_broken_template_shows_an_error_keeps_the_site_and_recovers(
    served: Served, browser
) -> None:
    path = a_page(served.root, 1)
    url = f"{served.url}papers/{path.stem}/"
    page = browser.new_page()
    page.goto(url)
    templates = served.root / "templates"
    templates.mkdir(exist_ok=True)
    broken = templates / "paper.html"
    broken.write_text('{% extends "base.html" %}\n{% block content %}\n{{ paper.title \n')
    overlay = page.locator("#sitegen-error")
    overlay.wait_for(timeout=10_000)
    assert "paper.html:" in overlay.text_content()
    served.expect(r"error: .*paper\.html:\d+")
    assert status_of(url) == 200  # the last good site is still served
    broken.unlink()
    overlay.wait_for(state="detached", timeout=10_000)
    page.locator("h1").first.wait_for()
    page.close()


def test_bad_front_matter_and_bad_dump_are_reported_then_fixed(served: Served, browser) -> None:
    path = a_page(served.root, 2)
    good = path.read_text()
    page = browser.new_page()
    page.goto(served.url)
    path.write_text(good.replace("---\n", "---\ntags: [unclosed\n", 1))
    overlay = page.locator("#sitegen-error")
    overlay.wait_for(timeout=10_000)
    assert f"{path.name}:" in overlay.text_content()
    path.write_text(good)
    overlay.wait_for(state="detached", timeout=10_000)

    # A file in dumps/ that isn't a dump is skipped with a warning, not an error.
    bad = served.root / "content" / "dumps" / "junk.txt"
    bad.write_bytes(b"\x00\x01\x02 not a dump")
    served.expect(r"warning: .*junk\.txt: binary data .*skipped")
    served.expect(r"rebuilt \(content/dumps/junk\.txt\)")
    assert page.locator("#sitegen-error").count() == 0
    page.close()


def test_a_page_save_while_another_page_is_broken_still_reports_the_error(
    shipped_site: Path,
) -> None:
    from sitegen.live import LiveSite
    from sitegen.watch import ChangeSet

    messages: list[str] = []
    site = LiveSite(shipped_site, shipped_site / "site", None, messages.append)
    assert site.rebuild()
    broken, other = a_page(shipped_site, 0), a_page(shipped_site, 1)
    good = broken.read_text()
    broken.write_text(good.replace("---\n", "---\ntags: [unclosed\n", 1))
    assert not site.rebuild(ChangeSet({broken}, {"page"}))
    other.write_text(other.read_text() + "\n## Notes\n\nStill broken elsewhere.\n")
    assert not site.rebuild(ChangeSet({other}, {"page"}))  # no fast path past an error
    assert broken.name in messages[-1]
    broken.write_text(good)
    assert site.rebuild(ChangeSet({broken}, {"page"}))
    other.write_text(other.read_text() + "\nMore.\n")
    assert site.rebuild(ChangeSet({other}, {"page"}))
    assert "pages in" in messages[-1]


def test_watch_rebuilds_without_a_server_and_stops_cleanly_on_sigterm(shipped_site: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "watch", "--root", str(shipped_site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if text in lines.get(timeout=0.2):
                    return
            except queue.Empty:
                continue
        raise AssertionError(f"no {text!r} from sitegen watch")

    wait_for("watching")
    path = a_page(shipped_site)
    path.write_text(path.read_text() + "\n## Notes\n\nWatched note.\n")
    # Its own rebuild ("rebuilt (content/papers/…)"), or the one that also takes in the
    # first build's ingest writes, when the edit lands among their events ("361 files").
    html = shipped_site / "site" / "papers" / path.stem / "index.html"
    deadline = time.monotonic() + 30
    while "Watched note." not in html.read_text() and time.monotonic() < deadline:
        wait_for("rebuilt (")
    assert "Watched note." in html.read_text()
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 130
    deadline = time.monotonic() + 5
    while [pid for pid in children if running(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if running(pid)], "worker processes outlived it"


def running(pid: str) -> bool:
    """Whether a process exists and isn't a zombie (exited, waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


NEW_PAGE = "papers/chess-commentary-transformer/index.html"


def test_a_new_dump_is_drafted_on_open_pages_and_searched_before_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sitegen.build.model
    from sitegen.build import BuildOptions, ingest_and_build
    from sitegen.output import read_manifest

    root = copy_shipped_content(tmp_path / "root")
    output = root / "site"
    server = PreviewServer(output, "127.0.0.1", 0)  # its state only; no need to serve
    events: list[tuple[str, object]] = []
    with ThreadPoolExecutor(1) as worker:
        submit = worker.submit

        def spied_submit(function, *args):
            events.append(("worker", function.__name__, args[-1]))  # (…, write_to)
            return submit(function, *args)

        monkeypatch.setattr(worker, "submit", spied_submit)
        site = LiveSite(root, output, "/", lambda _: None, server, worker)
        assert site.rebuild()
        server.state.viewers["/"] += 1  # a tab shows the home page
        publish = server.state.publish

        def spy(error: str | None = None, pages: list[str] | None = None) -> None:
            home = (output / "index.html").read_text()
            listed = "Chess commentary transformer" in home and (output / NEW_PAGE).is_file()
            events.append(("reload", (pages, listed)))
            publish(error, pages)

        discovery_of = sitegen.build.model.discovery_of

        def spied_discovery(*args, **kwargs):
            # The search files land while discovery runs (here: waits for them).
            titles, deadline = output / "search" / "titles.js", time.monotonic() + 30
            while "Chess commentary" not in titles.read_text() and time.monotonic() < deadline:
                time.sleep(0.01)
            events.append(("discovery", "Chess commentary" in titles.read_text()))
            return discovery_of(*args, **kwargs)

        server.state.publish = spy  # type: ignore[method-assign]
        monkeypatch.setattr(sitegen.build.model, "discovery_of", spied_discovery)
        dump = root / "content" / "dumps" / "2030-01-01-chess.txt"
        dump.write_text(f"Subscribe\nChess commentary transformer\n{ABSTRACT}\n")
        events.clear()
        assert site.rebuild(ChangeSet({dump}, {"dump"}))
    # The search index went to the worker, which puts its files in place itself (this
    # process is busy with discovery then); the open home page was drafted with the new
    # paper (whose own page came first), both before discovery ran; the search files
    # were in place while discovery ran; then the pages were written whole.
    assert events[0] == ("worker", "worker_search", output)
    assert events[1] == ("reload", ([NEW_PAGE, "index.html"], True))
    assert events[2] == ("discovery", True)
    # What the preview left equals a clean build's output, file for file.
    clean = tmp_path / "clean"
    ingest_and_build(root, BuildOptions(clean, "/"))
    assert read_manifest(output).files == read_manifest(clean).files
    server.server_close()


def site_with_home_open(tmp_path: Path) -> tuple[Path, Path, PreviewServer, LiveSite]:
    """A built copy of the shipped site, its preview's state, and a tab on its home page."""
    root = copy_shipped_content(tmp_path / "root")
    output = root / "site"
    server = PreviewServer(output, "127.0.0.1", 0)  # not serving until started
    site = LiveSite(root, output, "/", lambda _: None, server)
    assert site.rebuild()
    server.state.viewers["/"] += 1
    return root, output, server, site


def chess_papers(count: int) -> list[str]:
    """Titles of new papers, none like the shipped ones."""
    return [f"Chess opening transformer number {n}" for n in range(count)]


def chess_dump(root: Path, names: list[str]) -> Path:
    """A dump of these titles (each with ABSTRACT), dropped into the site's dumps."""
    dump = root / "content" / "dumps" / "2030-01-01-chess.txt"
    dump.write_text("Subscribe\n" + "".join(f"{name}\n{ABSTRACT}\n" for name in names))
    return dump


def test_open_tabs_reload_once_the_new_pages_they_link_to_are_drafted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sitegen.build.model
    from sitegen.views.pages import NEWEST_ON_HOME

    root, output, server, site = site_with_home_open(tmp_path)
    events: list[object] = []
    publish = server.state.publish

    def spy(error: str | None = None, pages: list[str] | None = None) -> None:
        events.append([(page, (output / page).is_file()) for page in pages or []])
        publish(error, pages)

    discovery_of = sitegen.build.model.discovery_of

    def spied_discovery(*args, **kwargs):
        events.append("discovery")
        return discovery_of(*args, **kwargs)

    server.state.publish = spy  # type: ignore[method-assign]
    monkeypatch.setattr(sitegen.build.model, "discovery_of", spied_discovery)
    names = chess_papers(NEWEST_ON_HOME + 2)  # the home page lists the first twelve
    assert site.rebuild(ChangeSet({chess_dump(root, names)}, {"dump"}))
    pages = [f"papers/{slugify(name)}/index.html" for name in names]
    home, rest = events[0], events[1]
    assert home == [(page, True) for page in sorted(pages[:NEWEST_ON_HOME])] + [
        ("index.html", True)
    ]
    assert rest == [(page, True) for page in pages[NEWEST_ON_HOME:]]
    assert events[2] == "discovery"
    server.server_close()


def test_a_new_page_asked_for_while_drafts_go_out_comes_with_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new page the open tab does not link to (a link on a new page it does) is drafted
    # after the tab's reload: a request for it waits for that batch, not for the whole build.
    import sitegen.build.model
    from sitegen.views.pages import NEWEST_ON_HOME

    root, output, server, site = site_with_home_open(tmp_path)
    server.start()
    names = chess_papers(NEWEST_ON_HOME + 2)
    later = f"papers/{slugify(names[-1])}/"  # not on the home page
    answers: queue.Queue[int] = queue.Queue()
    publish = server.state.publish

    def ask() -> None:
        with urllib.request.urlopen(server.url + later, timeout=60) as response:
            answers.put(response.status)

    def spy(error: str | None = None, pages: list[str] | None = None) -> None:
        if not (output / later).exists():  # the first batch: the reader follows a link
            threading.Thread(target=ask, daemon=True).start()
            deadline = time.monotonic() + 10
            while server.state.held == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
        publish(error, pages)

    discovery_of = sitegen.build.model.discovery_of

    def waiting_discovery(*args, **kwargs):
        answered.append(answers.get(timeout=10))  # discovery runs long at 10k papers
        return discovery_of(*args, **kwargs)

    answered: list[int] = []
    server.state.publish = spy  # type: ignore[method-assign]
    monkeypatch.setattr(sitegen.build.model, "discovery_of", waiting_discovery)
    try:
        assert site.rebuild(ChangeSet({chess_dump(root, names)}, {"dump"}))
    finally:
        server.stop()
    assert answered == [200]


def ingested_events(root: Path) -> tuple[list[Path], set[Path]]:
    """The pages under content/papers, and every path ingest's writes give events for."""
    pages = sorted((root / "content" / "papers").glob("*/*.md"))
    return pages, {*pages, *(page.parent for page in pages), root / "content" / "ingested.json"}


def test_the_folders_and_pages_ingest_made_are_its_own_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a build that filed new papers in new theme folders, their file events (the
    # folders too) must not start a second build.
    root = copy_shipped_content(tmp_path / "root")
    said: list[str] = []
    site = LiveSite(root, root / "site", "/", said.append)
    assert site.rebuild()
    pages, events = ingested_events(root)
    assert len({page.parent for page in pages}) > 3
    # Checked against what ingest wrote as the build ends, they are known by their stats:
    # their events cost a stat each (no read), and the next build reads none of them.
    assert set(site.cache.recall("page-stats", "")) >= {str(page) for page in pages}
    reads: list[Path] = []
    read_input = sitegen.known.read_input
    monkeypatch.setattr(sitegen.known, "read_input", lambda path: reads.append(path) or b"")
    paused: list[bool] = []  # nor the collection after a build (workers.paused_collector)
    real = sitegen.live.paused_collector

    def counted() -> object:
        paused.append(True)
        return real()

    monkeypatch.setattr(sitegen.live, "paused_collector", counted)
    assert site.rebuild(ChangeSet(events, {"page", "ledger"}))
    assert len(said) == 1 and reads == [] and paused == []  # skipped: no second "rebuilt"
    monkeypatch.setattr(sitegen.known, "read_input", read_input)
    assert site.rebuild() and said[-1].startswith("rebuilt") and paused == [True]  # a real one
    monkeypatch.undo()
    # A user's save among the same events is not the build's own.
    other = copy_shipped_content(tmp_path / "other")
    site = LiveSite(other, other / "site", "/", said.append)
    assert site.rebuild()
    pages, events = ingested_events(other)
    pages[0].write_text(pages[0].read_text() + "\n## Notes\n\nMine.\n")
    assert not site.only_own_writes(ChangeSet(events, {"page", "ledger"}))


def test_serve_renders_what_a_build_of_a_list_without_a_base_url_renders(tmp_path: Path) -> None:
    root = tmp_path / "root"
    papers = root / "content" / "papers" / "theory"
    papers.mkdir(parents=True)
    for slug in ("a-paper", "b-paper"):
        (papers / f"{slug}.md").write_text(f"---\ntitle: {slug}\nslug: {slug}\n---\n\nOn bounds.\n")
    (root / "content" / "themes.yaml").write_text("themes:\n  - slug: theory\n    keywords: [b]\n")
    assert cli.main(["build", "-q", "--root", str(root)]) == 0
    said: list[str] = []
    site = LiveSite(root, root / "site", PREVIEW_BASE_URL, said.append)
    assert site.rebuild() and ", 0 files written" in said[-1]  # switching costs no page
    # A published list's base URL stays out of the preview: its 404 page links to the server.
    (root / "content" / "site.yaml").write_text("base_url: https://example.org/list/\n")
    assert site.rebuild()
    assert '<base href="/">' in (root / "site" / "404.html").read_text()
    assert not any(b"example.org" in p.read_bytes() for p in (root / "site").rglob("*.html"))
