"""The CLI end to end, as a user runs it: real processes on real folders."""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from conftest import run_sitegen as sitegen

from sitegen.cli import Console, ProgressBar, dated_name


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A user mistake: non-zero exit, one clear line, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("sitegen: error")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0]


@pytest.mark.parametrize("command", ["new", "ingest", "build", "add", "deploy", "themes"])
def test_every_command_has_help(command: str, tmp_path: Path) -> None:
    result = sitegen(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--root" in result.stdout and "-q" in result.stdout


def test_build_on_shipped_dumps_writes_papers_json(shipped_site: Path) -> None:
    result = sitegen("build", cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    assert "360 papers" in result.stdout
    papers = json.loads((shipped_site / "site" / "papers.json").read_text())
    assert len(papers) == 360
    assert len({p["slug"] for p in papers}) == 360
    by_title = {p["title"]: p for p in papers}
    csfpn = by_title["Cascaded Sparse Feature Propagation Network for Interactive Segmentation"]
    assert csfpn["links"] == ["https://github.com/kleinzcy/CSFPN"]
    assert csfpn["url"] == f"papers/{csfpn['slug']}/"
    assert csfpn["theme"] == csfpn["themes"][0]
    assert csfpn["dumps"] == ["001_2330d60cc52b9a08"]
    assert "{https://github.com/kleinzcy/CSFPN}" in csfpn["abstract"]
    in_two = [p for p in papers if len(p["dumps"]) > 1]
    assert len(in_two) == 22 - sum(len(p["dumps"]) - 2 for p in in_two)
    for paper in papers:
        assert paper["dumps"] == sorted(paper["dumps"])


def test_a_build_exits_at_once_with_its_output_flushed_and_its_files_whole(
    shipped_site: Path, tmp_path: Path
) -> None:
    # `sitegen build` and `add` end in os._exit (cli.command): whatever they printed to a
    # pipe is flushed first, the cache and site are complete, and the next build is a no-op.
    built = sitegen("build", cwd=shipped_site)
    assert built.returncode == 0 and "build: 360 papers" in built.stdout, built.stderr
    dump = tmp_path / "2030-01-01-new.txt"
    dump.write_text(
        "Trending Papers\n\nA Freshly Added Paper About Sparse Graphs\n\n"
        "We study sparse graphs in a new way and show that the method works well.\n"
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as a user's
    added = subprocess.run(
        [sys.executable, "-m", "sitegen", "add", "--json", str(dump)],
        cwd=shipped_site,
        env=buffered,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["build"]["papers"] == 361
    again = sitegen("build", cwd=shipped_site)
    assert "(nothing changed)" in again.stdout


@pytest.mark.parametrize(
    ("argv", "collects"), [(["build"], False), (["add", "new.txt"], False), (["new", "x"], True)]
)
def test_a_one_shot_build_runs_without_the_cycle_collector(
    argv: list[str], collects: bool, tmp_path: Path
) -> None:
    # As the `sitegen` command, a build (cli.ONE_SHOT) runs without it; other commands
    # (`serve` runs for hours), and main() called from Python, keep it.
    (tmp_path / "content").mkdir()
    script = f"""
import gc, sys
import sitegen.cli as cli
def handler(args):
    print(gc.isenabled())
    return 0
setattr(cli, "run_{argv[0]}", handler)
print(cli.main({argv!r}) == 0)
sys.argv = ["sitegen", *{argv!r}]
cli.command()
"""
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", str(collects)]


def test_output_option_and_quiet(shipped_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    result = sitegen("build", "-q", "-o", str(out), cwd=shipped_site)
    assert result.returncode == 0
    assert result.stdout == ""
    assert (out / "papers.json").exists()


@pytest.mark.parametrize("output", ["a-file", "a-file/site"])
def test_an_output_behind_a_file_is_named_not_its_spool(tmp_path: Path, output: str) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "a-file").write_text("mine")
    result = sitegen("build", "-o", output, cwd=tmp_path)
    assert_one_line_error(result, "-o/--output: a-file is a file, not a folder")
    assert "spool" not in result.stderr and (tmp_path / "a-file").read_text() == "mine"


def test_ingest_json_report(shipped_site: Path) -> None:
    result = sitegen("ingest", "--json", cwd=shipped_site)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [d["entries"] for d in report["dumps"]] == [43, 231, 36, 72]
    assert sum(d["new"] for d in report["dumps"]) == 360


def test_ingest_skips_a_file_that_is_not_a_dump_with_one_warning(shipped_site: Path) -> None:
    (shipped_site / "content" / "dumps" / "broken.txt").write_text("nothing useful here\n")
    result = sitegen("ingest", cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "broken.txt" in line]
    assert warning.startswith("warning: ") and "no recognisable entries" in warning
    assert "360 new papers" in result.stdout


def test_bad_front_matter_is_one_line_with_file_and_line(shipped_site: Path) -> None:
    assert sitegen("ingest", "-q", cwd=shipped_site).returncode == 0
    page = next((shipped_site / "content" / "papers").glob("*/*.md"))
    page.write_text("---\ntitle: ok\ntags: [unclosed\n---\nbody\n")
    result = sitegen("build", cwd=shipped_site)
    assert_one_line_error(result, f"{page.name}:3:")  # the line the [ opens on


def test_a_misspelt_command_gets_the_nearest_one(tmp_path: Path) -> None:
    result = sitegen("biuld", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "sitegen: error: unknown command 'biuld'; did you mean 'build'?"
    )
    far = sitegen("zzz", cwd=tmp_path).stderr.splitlines()[-1]
    assert far.startswith("sitegen: error: unknown command 'zzz' (choose from ingest, build")


@pytest.mark.parametrize(
    "message",
    [  # argparse's words for it before Python 3.12.7, and after (gh-117766)
        "argument COMMAND: invalid choice: 'biuld' (choose from 'ingest', 'build', 'add')",
        "argument COMMAND: invalid choice: 'biuld' (choose from ingest, build, add)",
    ],
)
def test_the_suggestion_does_not_depend_on_argparses_wording(message: str) -> None:
    from sitegen.cli import parser

    stderr = io.StringIO()
    with pytest.raises(SystemExit) as stopped, redirect_stderr(stderr):
        parser().error(message)
    assert stopped.value.code == 2
    last = stderr.getvalue().splitlines()[-1]
    assert last == "sitegen: error: unknown command 'biuld'; did you mean 'build'?"


@pytest.mark.parametrize("command", ["build", "ingest", "add", "serve", "watch", "deploy"])
def test_no_content_folder_is_a_clear_error_and_writes_nothing(
    command: str, tmp_path: Path
) -> None:
    extra = ["--port", "0"] if command == "serve" else []
    extra += [str(tmp_path / "nowhere.txt")] if command == "add" else []
    folder = tmp_path / "not-a-list"
    folder.mkdir()
    assert_one_line_error(sitegen(command, *extra, cwd=folder), "no content/ folder")
    assert list(folder.iterdir()) == []  # no lock, no cache, no site/


def test_add_copies_with_date_prefix_then_builds(shipped_site: Path, tmp_path: Path) -> None:
    dump = tmp_path / "fresh.txt"
    abstract = "Diffusion models synthesise images from noise. " * 6
    dump.write_text(f"Subscribe A Fresh Diffusion Paper\n{abstract}\n")
    result = sitegen("add", str(dump), cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    today = datetime.date.today().isoformat()
    assert (shipped_site / "content" / "dumps" / f"{today}-fresh.txt").exists()
    papers = json.loads((shipped_site / "site" / "papers.json").read_text())
    assert len(papers) == 361
    assert any(p["dumps"] == [f"{today}-fresh"] for p in papers)


def test_add_refuses_a_non_dump_and_copies_nothing(shipped_site: Path, tmp_path: Path) -> None:
    good = tmp_path / "2026-01-02-good.txt"
    good.write_text("Subscribe A Title\n" + "Prose sentence here. " * 20 + "\n")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    before = sorted(p.name for p in (shipped_site / "content" / "dumps").iterdir())
    assert_one_line_error(sitegen("add", str(good), str(bad), cwd=shipped_site), "notes.txt")
    assert sorted(p.name for p in (shipped_site / "content" / "dumps").iterdir()) == before


def test_dated_name_keeps_an_existing_date() -> None:
    today = datetime.date(2026, 11, 22)
    assert dated_name(Path("x/2026-01-02-feed.txt"), today) == "2026-01-02-feed.txt"
    assert dated_name(Path("feed.txt"), today) == "2026-11-22-feed.txt"


def test_themes_explain(shipped_site: Path) -> None:
    sitegen("ingest", "-q", cwd=shipped_site)
    slug = next((shipped_site / "content" / "papers" / "generative-models").glob("*.md")).stem
    result = sitegen("themes", "explain", slug, cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    assert "theme: generative-models" in result.stdout
    assert_one_line_error(sitegen("themes", "explain", "no-such-paper", cwd=shipped_site))


def test_a_folder_the_taxonomy_does_not_list_still_works(shipped_site: Path) -> None:
    assert sitegen("ingest", "-q", cwd=shipped_site).returncode == 0
    page = next((shipped_site / "content" / "papers" / "theory").glob("*.md"))
    folder = shipped_site / "content" / "papers" / "reading-group-picks"
    folder.mkdir()
    page.rename(folder / page.name)
    result = sitegen("build", cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "reading-group-picks" in result.stderr
    theme_page = shipped_site / "site" / "themes" / "reading-group-picks" / "index.html"
    assert "Reading group picks" in theme_page.read_text()
    papers = json.loads((shipped_site / "site" / "papers.json").read_text())
    assert [p["theme"] for p in papers if p["slug"] == page.stem] == ["reading-group-picks"]


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


def test_progress_bar_shows_only_for_slow_builds_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    quick = ProgressBar(Console(0))  # the default: a bar only after a second
    quick.update(200, 400)
    assert terminal.getvalue() == ""
    slow = ProgressBar(Console(0), delay=0)
    slow.update(200, 400)
    assert "[###############...............] 200/400" in terminal.getvalue()
    slow.close()
    assert terminal.getvalue().endswith("\r")
    silent = ProgressBar(Console(-1), delay=0)  # -q
    before = terminal.getvalue()
    silent.update(1, 2)
    assert terminal.getvalue() == before


MESSY_DUMP = """Trending Papers
Mar 13

Sparse Mixtures of Experts for Vision

We route image patches to a few experts out of many, cutting compute while keeping accuracy.
Upvote 12
· 5 authors

Contrastive Pretraining for Speech Recognition

Published on Mar 12
We pretrain speech encoders with a contrastive objective on unlabelled audio recordings.

A Cut-Off Last Title With No
"""


def test_add_prints_the_ingest_report_naming_the_real_file_and_lines(
    shipped_site: Path, tmp_path: Path
) -> None:
    dump = tmp_path / "2026-12-01-messy.txt"
    dump.write_text(MESSY_DUMP, encoding="utf-8")
    result = sitegen("add", str(dump), cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    assert "2026-12-01-messy.txt (spaced, 2026-12-01): 2 entries, 2 new" in result.stdout
    assert "4 warnings" in result.stdout and "build: 362 papers" in result.stdout
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    where = shipped_site / "content" / "dumps" / "2026-12-01-messy.txt"
    assert [w.split(": ", 2)[1] for w in warnings] == [f"{where}:{n}" for n in (7, 8, 12, 15)]
    assert "'Upvote 12'" in warnings[0] and "no abstract" in warnings[3]


def test_add_json_is_the_ingest_report_plus_the_build(shipped_site: Path, tmp_path: Path) -> None:
    dump = tmp_path / "2026-12-01-messy.txt"
    dump.write_text(MESSY_DUMP, encoding="utf-8")
    result = sitegen("add", "--json", str(dump), cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    target = shipped_site / "content" / "dumps" / dump.name
    assert data["added"] == [{"from": str(dump), "to": str(target)}]
    messy = next(d for d in data["dumps"] if d["name"] == dump.name)
    assert (messy["entries"], messy["new"], len(messy["warnings"])) == (2, 2, 4)
    assert data["build"]["papers"] == 362 and data["ok"] is True


def test_without_themes_yaml_the_default_themes_classify_as_the_demo_and_it_says_so_once(
    shipped_site: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    (bare / "content").mkdir(parents=True)
    shutil.copytree(shipped_site / "content" / "dumps", bare / "content" / "dumps")
    result = sitegen("build", cwd=bare)
    assert result.returncode == 0, result.stderr
    notes = [ln for ln in result.stderr.splitlines() if "default themes" in ln]
    assert len(notes) == 1 and notes[0].startswith("note:")
    assert sitegen("build", "-q", cwd=shipped_site).returncode == 0

    def themes(root: Path) -> dict[str, str]:
        papers = json.loads((root / "site" / "papers.json").read_text())
        return {p["slug"]: p["theme"] for p in papers}

    assert themes(bare) == themes(shipped_site)
    unsorted = sum(theme == "unsorted" for theme in themes(bare).values())
    assert unsorted <= 0.05 * len(themes(bare))


def test_unknown_site_yaml_key_is_a_warning_with_a_suggestion(shipped_site: Path) -> None:
    site_yaml = shipped_site / "content" / "site.yaml"
    site_yaml.write_text("title: Mine\nbase_ulr: https://x.example/\n", encoding="utf-8")
    result = sitegen("build", cwd=shipped_site)
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {site_yaml}:2: unknown key 'base_ulr', ignored (did you mean 'base_url'?)"
        in result.stderr.splitlines()
    )


def test_a_command_collects_garbage_cycles_less_often(tmp_path: Path) -> None:
    import gc

    from sitegen.cli import main
    from sitegen.workers import GC_THRESHOLDS

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert main(["build", "--root", str(tmp_path)]) == 1  # no content/: an error, after
        assert gc.get_threshold() == GC_THRESHOLDS != (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_serve_refuses_a_base_url_it_would_not_use(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    result = sitegen("serve", "--base-url", "https://example.org/list/", cwd=tmp_path)
    assert_one_line_error(result, "--base-url is for build, add, watch and deploy")
    assert "--base-url" not in sitegen("serve", "--help", cwd=tmp_path).stdout
