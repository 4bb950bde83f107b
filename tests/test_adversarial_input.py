"""Issue 17, input side: hostile or careless input, one regression test per finding.

Each test is named test_adv_<finding> and fails on the code before the fix. Sites
are tiny (one or two pages) so that the whole file stays fast; commands run as a
user runs them (a real process, a real HTTP server on 127.0.0.1, real FIFOs).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import resource
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import run_sitegen as sitegen

from sitegen.catalog import read_ledger, title_key
from sitegen.cli import main
from sitegen.dumps import parse_dump
from sitegen.errors import SitegenError
from sitegen.fsio import load_yaml
from sitegen.project import load_config
from sitegen.serve import PreviewServer, host_allowed
from sitegen.themes import load_taxonomy

ABSTRACT = (
    "We study how the representations of a network change during training. "
    "Our method is simple and it improves the results on three benchmarks by a wide margin."
)
ABSTRACT_2 = (
    "Diffusion models generate images by reversing a noising process, one step at a time. "
    "We show that a small change to the schedule halves the number of steps that are needed."
)
ABSTRACT_3 = (
    "Graph neural networks pass messages along the edges of a graph. In this paper we prove "
    "bounds on what they can tell apart, and we test the bounds on molecules and on proteins."
)
HEADER = "Get trending papers in your email inbox!\n\nSubscribe\n\nMar 13\n\n"


def dump_of(*blocks: str) -> bytes:
    """A spaced dump: the feed's header, then the given lines, blank-line separated."""
    return (HEADER + "\n\n".join(blocks) + "\n").encode()


def parse(data: bytes, name: str = "d.txt"):
    """Parse bytes as content/dumps/<name>."""
    return parse_dump(data, f"content/dumps/{name}", name.rsplit(".", 1)[0])


def titles(data: bytes) -> list[str]:
    """The titles a dump's bytes give."""
    return [entry.title for entry in parse(data).entries]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`sitegen ARGS` in this process, for mistakes refused before any build starts
    (a process each would cost half a second of imports)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--root", str(cwd)])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Assert a user mistake: non-zero exit, one `sitegen: error` line, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sitegen: error")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


PAGE = "---\ntitle: A Paper\nslug: a-paper\n---\n\nSome abstract.\n"


def tiny_site(root: Path, page: str = PAGE) -> Path:
    """A site with one page and a one-theme taxonomy (no dumps)."""
    content = root / "content"
    (content / "papers" / "theory").mkdir(parents=True)
    (content / "papers" / "theory" / "a-paper.md").write_text(page)
    (content / "themes.yaml").write_text("themes:\n  - slug: theory\n    keywords: [bounds]\n")
    return root


# --- The parser: a stray line must not steal the title --------------------------------


@pytest.mark.parametrize(
    "stray",
    [
        "12.3k",
        "★ 1,204",
        "Ann Lee, Bo Chen, Carla Diaz",
        "A. Lee · B. Chen · C. Diaz",
        "🔥🔥🔥",
        "— • —",
        "akhaliq",
    ],
)
def test_adv_stray_line_does_not_steal_the_title(stray: str) -> None:
    dump = parse(dump_of("Sparse Circuits in Vision Models", stray, ABSTRACT))
    assert [e.title for e in dump.entries] == ["Sparse Circuits in Vision Models"]
    assert [n.line for n in dump.notices] == [9]  # the stray line, reported where it is
    assert stray in dump.notices[0].message


def test_adv_submitted_by_and_user_name_do_not_merge_three_papers() -> None:
    blocks = []
    for title, abstract in (("First Paper", ABSTRACT), ("Second Paper", ABSTRACT_2)):
        blocks += [title, "Submitted by", "akhaliq", abstract]
    blocks += ["Third Paper", "Submitted by", "Ahsen Khaliq", ABSTRACT_3]
    dump = parse(dump_of(*blocks))
    assert [e.title for e in dump.entries] == ["First Paper", "Second Paper", "Third Paper"]
    assert len({title_key(e.title) for e in dump.entries}) == 3
    assert sum("Khaliq" in n.message or "akhaliq" in n.message for n in dump.notices) == 3


@pytest.mark.parametrize(
    "title",
    [
        "Dr. LLaMA: Improving Small Language Models in Domain-Specific QA via Generative "
        "Data Augmentation",
        "Mr. Right: Multimodal Retrieval on Representation of ImaGe witH Text for Better Answers",
        "Attention Is Not All You Need for Long Documents, and Here Is What Helps Instead.",
    ],
)
def test_adv_long_title_is_not_read_as_an_abstract(title: str) -> None:
    dump = parse(dump_of("First Paper on Clicks", ABSTRACT, title, ABSTRACT_2 * 2))
    assert [e.title for e in dump.entries] == ["First Paper on Clicks", title]
    assert dump.notices == ()


def test_adv_symbol_only_titles_have_an_identity_of_their_own() -> None:
    keys = {title_key(t) for t in ("🤗", "🔥🔥", "???", "C Models", "C++ Models", "C# Models")}
    assert len(keys) == 6
    assert "" not in keys
    assert title_key("C++  models") == title_key("c++ Models")  # case and spaces still fold


def test_adv_symbol_only_and_cpp_titles_each_get_a_page(tmp_path: Path) -> None:
    root = tmp_path / "s"
    (root / "content" / "dumps").mkdir(parents=True)
    (root / "content" / "themes.yaml").write_text("themes: []\n")
    data = dump_of(
        "🤗", ABSTRACT, "🔥🔥", ABSTRACT_2, "C++ Models", ABSTRACT_3, "C Models", ABSTRACT
    )
    (root / "content" / "dumps" / "2026-03-13-feed.txt").write_bytes(data)
    result = sitegen("ingest", "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["dumps"][0]
    assert (report["entries"], report["new"], report["known"]) == (4, 4, 0)


# --- `sitegen add`: nothing dropped in silence -----------------------------------------


@pytest.fixture
def add_site(tmp_path: Path) -> Path:
    """An empty site to add dumps to."""
    (tmp_path / "site" / "content").mkdir(parents=True)
    return tmp_path / "site"


def test_adv_add_two_files_with_one_name_from_two_folders(add_site: Path, tmp_path: Path) -> None:
    for folder, title in (("a", "First Paper"), ("b", "Second Paper")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "2026-03-13-feed.txt").write_bytes(dump_of(title, ABSTRACT))
    first, second = (str(tmp_path / f / "2026-03-13-feed.txt") for f in "ab")
    one_line_error(run_cli("add", "-q", first, second, cwd=add_site), second, "same name")
    assert not (add_site / "content" / "dumps").exists()
    # The same file given twice (or an identical copy) is one dump, not an error.
    (tmp_path / "b" / "2026-03-13-feed.txt").write_bytes(dump_of("First Paper", ABSTRACT))
    result = sitegen("add", "-q", first, second, cwd=add_site)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (add_site / "content" / "dumps").iterdir()] == ["2026-03-13-feed.txt"]


@pytest.mark.parametrize("name", ["feed.txt.crdownload", "feed.txt.part", "feed.txt~"])
def test_adv_add_refuses_unfinished_downloads_and_backups(
    add_site: Path, tmp_path: Path, name: str
) -> None:
    (tmp_path / name).write_bytes(dump_of("First Paper", ABSTRACT))
    result = run_cli("add", "-q", str(tmp_path / name), cwd=add_site)
    one_line_error(result, name, "never read as a dump")
    assert not (add_site / "content" / "dumps").exists()


def test_adv_add_a_folder_is_a_clear_error(add_site: Path, tmp_path: Path) -> None:
    (tmp_path / "dumps").mkdir()
    result = run_cli("add", "-q", str(tmp_path / "dumps"), cwd=add_site)
    one_line_error(result, "is a folder")
    assert not (add_site / "content" / "dumps").exists()


def test_adv_add_refuses_random_text_and_a_readme(add_site: Path, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# My reading list\n\n"
        + "This folder holds the dumps I copy from the feed every few days, and the site "
        "that sitegen builds from them, which I publish on GitHub Pages for the group.\n\n"
        + "## How to add a dump\n\n"
        + "Copy the page, save it as a text file, then run the add command on it and commit "
        "the new pages together with the ledger, so that the next clone has them too.\n"
    )
    result = run_cli("add", "-q", str(readme), cwd=add_site)
    one_line_error(result, "README.md", "not a dump")
    assert not (add_site / "content" / "dumps").exists()


def test_adv_random_text_is_not_108_junk_papers() -> None:
    import random

    rng = random.Random(17)
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "quod", "erat", "vel", "nunc", "arcu"]
    lines = []
    for i in range(216):
        n = rng.randint(3, 8) if i % 2 == 0 else rng.randint(40, 60)
        line = " ".join(rng.choice(words) for _ in range(n))
        lines.append(line.capitalize() + ("." if i % 2 else ""))
    with pytest.raises(SitegenError, match="not a dump"):
        parse("\n".join(lines).encode())


def test_adv_report_paths_keep_the_extension(add_site: Path, tmp_path: Path) -> None:
    source = tmp_path / "feed.text"
    source.write_bytes(dump_of("First Paper", ABSTRACT, "A Stray Line", "Second Paper", ABSTRACT_2))
    result = sitegen("add", "--json", str(source), cwd=add_site)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [dump] = report["dumps"]
    assert dump["name"].endswith("-feed.text") and dump["path"].endswith("-feed.text")
    assert all(".text:" in warning for warning in dump["warnings"])


# --- Hostile YAML -------------------------------------------------------------------


def billion_laughs(key: str = "x") -> str:
    """The classic alias bomb: nine levels of nine aliases each (10^9 strings)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append(f"{key}: *i")
    return "\n".join(lines) + "\n"


def test_adv_yaml_alias_bomb_is_refused_everywhere(tmp_path: Path) -> None:
    bomb = billion_laughs()
    with pytest.raises(SitegenError, match="aliases expand"):
        load_yaml(bomb, "x.yaml")
    (tmp_path / "site.yaml").write_text(bomb)
    with pytest.raises(SitegenError, match="site.yaml"):
        load_config(tmp_path / "site.yaml")
    (tmp_path / "themes.yaml").write_text(billion_laughs("themes"))
    with pytest.raises(SitegenError, match="themes.yaml"):
        load_taxonomy(tmp_path / "themes.yaml")
    page = "---\ntitle: Bomb\n" + billion_laughs("tags") + "---\n\nBody.\n"
    root = tiny_site(tmp_path / "s", page)
    one_line_error(sitegen("build", "-q", cwd=root), "a-paper.md", "aliases expand")
    # Small, honest aliases still work.
    assert load_yaml("base: &k [a, b]\ncopy: *k\n", "x.yaml") == {
        "base": ["a", "b"],
        "copy": ["a", "b"],
    }


def test_adv_deeply_nested_yaml_and_ledger_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SitegenError, match="nested too deeply"):
        load_yaml("x: " + "[" * 60_000 + "]" * 60_000, "x.yaml")  # libyaml: a segfault
    ledger = tmp_path / "ingested.json"
    ledger.write_text('{"version": 1, "papers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SitegenError, match="ingested.json: damaged ingest ledger"):
        read_ledger(ledger)


# --- Only regular files, with a size cap ---------------------------------------------


def build_bounded(root: Path) -> subprocess.CompletedProcess[str]:
    """`sitegen build -q` in a process that may use 2 GB and 60 s at most (a regression
    must fail the test, not take the machine's memory)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    try:
        return subprocess.run(
            [sys.executable, "-m", "sitegen", "build", "-q"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,  # noqa: PLW1509 (no threads are started before it runs)
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the build hung")


def test_adv_a_fifo_page_does_not_hang_the_build(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    os.mkfifo(root / "content" / "papers" / "theory" / "pipe.md")
    one_line_error(build_bounded(root), "pipe.md", "not a regular file")


def test_adv_a_page_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    (root / "content" / "papers" / "theory" / "zero.md").symlink_to("/dev/zero")
    one_line_error(build_bounded(root), "zero.md", "not a regular file")


def test_adv_the_preview_fast_path_reads_no_fifo(tmp_path: Path) -> None:
    from sitegen.build import BuildOptions, ingest_and_build, quick_build
    from sitegen.cache import BuildCache

    root = tiny_site(tmp_path / "s")
    options = BuildOptions(root / "site", "/")
    cache = BuildCache()
    _, built = ingest_and_build(root, options, cache)
    page = root / "content" / "papers" / "theory" / "a-paper.md"
    page.unlink()
    os.mkfifo(page)  # a save that left a FIFO where the page was
    result: list[object] = []
    worker = threading.Thread(
        target=lambda: result.append(quick_build(built.model, [page], options, cache, None)),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    hung = worker.is_alive()
    if hung:  # unblock the reader, so that the test ends
        os.close(os.open(page, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10)
    assert not hung, "the preview's fast path blocked on a FIFO"
    assert result == [None]  # a full build follows, which names the file


# --- Hidden, editor and OS files: one rule, shared with the watcher ---------------------


def test_adv_editor_leftovers_are_not_inputs_anywhere(tmp_path: Path) -> None:
    from sitegen.watch import classify_change

    root = tiny_site(tmp_path / "s")
    theory = root / "content" / "papers" / "theory"
    (theory / ".#a-paper.md").symlink_to("nobody@host.1234:1700000000")  # Emacs lock
    (theory / "._a-paper.md").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (theory / ".a-paper.md.k2j4x9_q.tmp").write_text("half")
    (root / "static").mkdir()
    for name in ("#site.css#", "site.css.swo", "site.css~", "site.css"):
        (root / "static" / name).write_text("body{}")
    result = sitegen("build", "-q", cwd=root)
    assert result.returncode == 0, result.stderr
    published = sorted(p.name for p in (root / "site" / "static").iterdir())
    assert "site.css" in published
    assert not {"#site.css#", "site.css.swo", "site.css~"} & set(published)
    assert classify_change(root / "static" / "#site.css#", root) is None
    assert classify_change(root / "static" / "site.css", root) == "static"


def test_adv_files_in_dumps_that_are_not_dumps_are_skipped_with_a_warning(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    dumps = root / "content" / "dumps"
    dumps.mkdir()
    (dumps / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    (dumps / "README.md").write_text("# Dumps\n\nPut the dumps you copy from the feed here.\n")
    (dumps / "2026-03-13-feed.txt").write_bytes(dump_of("First Paper", ABSTRACT))
    result = sitegen("build", cwd=root)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("Thumbs.db" in w and "skipped" in w for w in warnings), result.stderr
    assert any("README.md" in w and "skipped" in w for w in warnings), result.stderr
    assert "2 papers" in result.stdout  # the page, plus the one paper of the real dump


# --- Encodings --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_adv_utf16_dump_with_a_bom_is_decoded(encoding: str) -> None:
    text = dump_of("Sparse Circuits in Vision Models", ABSTRACT).decode()
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert titles(data) == ["Sparse Circuits in Vision Models"]


def test_adv_latin1_site_yaml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    (root / "content" / "site.yaml").write_bytes(
        "title: Liste de lecture\nauthor: Léa\n".encode("latin-1")
    )
    one_line_error(sitegen("build", "-q", cwd=root), "site.yaml:2:", "UTF-8")
    (root / "content" / "site.yaml").write_bytes("author: Léa\n".encode("utf-16"))
    assert load_config(root / "content" / "site.yaml").author == "Léa"  # a BOM says UTF-16


# --- Numbers, flags, dates and URLs -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("title: x\nper_page: .inf\n", "site.yaml:2: per_page"),
        ("per_page: .nan\n", "site.yaml:1: per_page"),
        ("per_page: -5\n", "site.yaml:1: per_page"),
        ("per_page: 2.5\n", "site.yaml:1: per_page"),
    ],
)
def test_adv_per_page_is_range_checked(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "site.yaml").write_text(text)
    with pytest.raises(SitegenError) as info:
        load_config(tmp_path / "site.yaml")
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "setting",
    ["max_secondary: .inf", "max_secondary: .nan", "max_secondary: -1", "title_weight: -3"],
)
def test_adv_classifier_settings_are_range_checked(tmp_path: Path, setting: str) -> None:
    path = tmp_path / "themes.yaml"
    path.write_text(f"themes:\n  - slug: a\nclassifier:\n  {setting}\n")
    with pytest.raises(SitegenError) as info:
        load_taxonomy(path)
    key = setting.split(":")[0]
    assert f"themes.yaml:4: classifier setting {key!r}" in str(info.value)


def test_adv_cli_flags_are_checked_before_anything_runs(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    one_line_error(run_cli("serve", "--port", "70000", cwd=root), "--port", "70000")
    one_line_error(run_cli("build", "-o", "", cwd=root), "-o/--output")
    one_line_error(run_cli("build", "--base-url", "//evil.example/", cwd=root), "--base-url")
    assert not (root / "site").exists()


@pytest.mark.parametrize("date", ["2025-02-31", "0000-01-01"])
def test_adv_impossible_dates_are_refused_with_file_and_line(tmp_path: Path, date: str) -> None:
    page = f"---\ntitle: A Paper\nslug: a-paper\nread: {date}\n---\n\nBody.\n"
    root = tiny_site(tmp_path / "s", page)
    one_line_error(sitegen("build", "-q", cwd=root), "a-paper.md:4:", date, "not a real date")
    source = tmp_path / f"{date}-feed.txt"
    source.write_bytes(dump_of("First Paper", ABSTRACT))
    dump = parse_dump(source.read_bytes(), str(source), source.stem)
    assert dump.date is None and "not a calendar date" in dump.notices[0].message
    one_line_error(run_cli("add", "-q", str(source), cwd=root), date, "not a calendar date")


@pytest.mark.parametrize(
    "base_url", ["//evil.example/", "https://example.org/\\nDisallow: /", "ftp://x/", "list/"]
)
def test_adv_base_url_must_be_http_or_a_rooted_path(tmp_path: Path, base_url: str) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(f'title: x\nbase_url: "{base_url}"\n')
    with pytest.raises(SitegenError) as info:
        load_config(path)
    assert "site.yaml:2: base_url" in str(info.value)
    for good in ("https://example.org/list/", "/list/", "/", ""):
        path.write_text(f'base_url: "{good}"\n')
        assert load_config(path).base_url == good


# --- The preview server -----------------------------------------------------------


@pytest.fixture
def preview(tmp_path: Path):
    """A preview server on 127.0.0.1 (any free port) serving a one-page site."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("<html><body>home</body></html>")
    server = PreviewServer(tmp_path / "out", "127.0.0.1", 0, live=False)
    server.start()
    yield server
    server.stop()


def get_with_host(server: PreviewServer, host: str, path: str = "/") -> tuple[int, bytes]:
    """GET path with a given Host header."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_adv_preview_answers_only_local_host_names(preview: PreviewServer, tmp_path: Path) -> None:
    port = preview.server_address[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert get_with_host(preview, host)[0] == 200, host
    for host in (f"evil.example:{port}", "rebind.attacker.test", f"localhost.evil:{port}"):
        status, body = get_with_host(preview, host, "/missing/page/")
        assert status in (421, 403), host
        assert str(tmp_path).encode() not in body
    # The name given to --host is the server's too; bound to every interface, so is any IP.
    assert host_allowed("mybox:8000", ("mybox", "10.0.0.5"))
    assert host_allowed("192.168.1.9:8000", ("0.0.0.0", "0.0.0.0"))
    assert not host_allowed("evil.example", ("0.0.0.0", "0.0.0.0"))


def test_adv_preview_listen_backlog_holds_a_burst(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    server = PreviewServer(tmp_path / "out", "127.0.0.1", 0, live=False)  # not accepting yet
    sockets = []
    try:
        for _ in range(100):  # all queued in the backlog before the first accept
            client = socket.create_connection(server.server_address[:2], timeout=2)
            sockets.append(client)
        assert server.request_queue_size >= 128
    finally:
        for client in sockets:
            client.close()
        server.server_close()


# --- Temporary files of a killed ingest -------------------------------------------


def test_adv_temp_files_of_a_killed_ingest_are_cleaned_up(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    leftovers = [
        root / "content" / "papers" / "theory" / ".new-paper.md.k2j4x9_q.tmp",
        root / "content" / ".ingested.json.a8d7f6g5.tmp",
        root / "content" / "dumps" / ".2026-03-13-feed.txt.tmp",
    ]
    leftovers[2].parent.mkdir()
    for path in leftovers:
        path.write_text("half a fi")
    mine = tmp_path / "mine.txt"  # the user's own file, linked from a name sitegen might use
    mine.write_text("keep me")
    theory = root / "content" / "papers" / "theory"
    (theory / ".link.md.k2j4x9_q.tmp").symlink_to(mine)
    (theory / ".folder.tmp").mkdir()  # not a file sitegen writes
    result = sitegen("build", "-q", cwd=root)
    assert result.returncode == 0, result.stderr
    assert [p for p in leftovers if p.exists()] == []
    assert (theory / ".link.md.k2j4x9_q.tmp").is_symlink() and mine.read_text() == "keep me"
    assert (theory / ".folder.tmp").is_dir()
    assert (root / "content" / "papers" / "theory" / "a-paper.md").read_text() == PAGE


def test_adv_templates_and_static_files_are_read_bounded(tmp_path: Path) -> None:
    root = tiny_site(tmp_path / "s")
    for folder in ("templates", "static"):
        (root / folder).mkdir()
        os.mkfifo(root / folder / "pipe.html")  # not a regular file: never opened
        (root / folder / "zero.css").symlink_to("/dev/zero")
    result = build_bounded(root)
    assert result.returncode == 0, result.stderr
    assert not (root / "site" / "static" / "zero.css").exists()


def test_adv_an_oversized_static_file_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen import cache, fsio
    from sitegen.build import BuildOptions, ingest_and_build, outputs
    from sitegen.errors import SitegenError

    root = tiny_site(tmp_path / "s")
    (root / "static").mkdir()
    (root / "static" / "talk.mp4").write_bytes(b"x" * 2**20)  # bigger than any shipped asset
    for module in (fsio, cache, outputs):
        monkeypatch.setattr(module, "MAX_ASSET_BYTES", 2**19)
    with pytest.raises(SitegenError, match=r"talk\.mp4.*too large"):
        ingest_and_build(root, BuildOptions(root / "site", "/"), cache.BuildCache())
