"""`sitegen new`: a new list's files, its refusals, and its Pages workflow run for real."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SHIPPED, run_sitegen

from sitegen import __version__
from sitegen.errors import SitegenError
from sitegen.project import load_config
from sitegen.scaffold import NewList, create_list, public_url, requirement_from, scaffold_files
from sitegen.shipped import DEFAULT_THEMES

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
FAKE_BASE_URL = "https://someone.github.io/my-list"


def test_new_list_has_config_themes_dumps_gitignore_workflow_and_readme(tmp_path: Path) -> None:
    made = create_list(NewList(tmp_path / "mylist", "Group reading"))
    root = tmp_path / "mylist"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*")}
    for expected in (
        ".github/workflows/pages.yml",
        ".gitignore",
        "README.md",
        "content/dumps",
        "content/site.yaml",
        "content/themes.yaml",
        "requirements.txt",
    ):
        assert expected in files
    assert (root / "content" / "themes.yaml").read_bytes() == DEFAULT_THEMES.read_bytes()
    assert load_config(root / "content" / "site.yaml").title == "Group reading"
    assert load_config(root / "content" / "site.yaml").warnings == []
    assert (root / ".gitignore").read_text().split("\n")[-3:] == ["/site/", "/.sitegen-cache/", ""]
    assert f"sitegen=={__version__}" in (root / "requirements.txt").read_text().splitlines()
    readme = (root / "README.md").read_text()
    assert readme.startswith("# Group reading\n")
    for command in ("sitegen add", "sitegen serve", "sitegen deploy", "content/papers/"):
        assert command in readme
    assert any("git" in m for m in made)
    branch = subprocess.run(
        ["git", "symbolic-ref", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    )
    assert branch.stdout.strip() == "main"


@pytest.mark.parametrize("title", ['He said "hi": <b>&</b> #1', "tab\there\nnewline", "'; x: [1"])
def test_any_title_round_trips_through_site_yaml(tmp_path: Path, title: str) -> None:
    files = scaffold_files(NewList(tmp_path / "x", title))
    path = tmp_path / "site.yaml"
    path.write_text(files["content/site.yaml"], encoding="utf-8")
    assert load_config(path).title == " ".join(title.split())


def test_source_spec_is_what_the_workflow_installs(tmp_path: Path) -> None:
    spec = "git+https://github.com/someone/sitegen@v1"
    files = scaffold_files(NewList(tmp_path / "x", requirement=spec))
    assert spec in files["requirements.txt"].splitlines()


@pytest.mark.parametrize("spec", ["x\ny", "sitegen\r", "sitegen\x1b[0m"])
def test_a_source_spec_of_more_than_one_line_is_refused(tmp_path: Path, spec: str) -> None:
    with pytest.raises(SitegenError, match="--source must be one pip requirement on one line"):
        scaffold_files(NewList(tmp_path / "x", requirement=spec))


def git(folder: Path, *args: str) -> str:
    """Run git in folder (a fixed identity, no global config); its output, stripped."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@t"}
    done = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_git_install_is_pinned_to_its_commit() -> None:
    installed = {
        "url": "https://github.com/someone/sitegen.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123abcd" * 5, "requested_revision": "main"},
    }
    expected = f"sitegen @ git+https://github.com/someone/sitegen.git@{'0123abcd' * 5}"
    assert requirement_from(installed) == expected
    below = {**installed, "subdirectory": "tools/sitegen"}
    assert requirement_from(below) == f"{expected}#subdirectory=tools/sitegen"
    assert requirement_from({**installed, "subdirectory": "../elsewhere"}) is None
    wheel = {"url": "file:///tmp/sitegen-0.2.0-py3-none-any.whl", "archive_info": {}}
    assert requirement_from(wheel) is None  # a file on this machine: no runner can get it


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:someone/sitegen.git", "https://github.com/someone/sitegen.git"),
        ("ssh://git@github.com/someone/sitegen", "https://github.com/someone/sitegen"),
        # A token in a remote must not end up in a committed requirements.txt.
        (
            "https://me:ghp_secret@github.com/someone/sitegen.git",
            "https://github.com/someone/sitegen.git",
        ),
        ("/home/me/sitegen.git", None),
        ("https://github.com:99999/someone/sitegen", None),  # a port no URL can have
        ("https://[::1/sitegen", None),
        ("file:///home/me/sitegen.git", None),
        ("../sitegen", None),
    ],
)
def test_a_remote_becomes_an_https_url_a_runner_can_clone(remote: str, url: str | None) -> None:
    assert public_url(remote) == url


def test_a_clone_installed_from_its_folder_gives_its_origin(tmp_path: Path) -> None:
    # A clone of a GitHub repository, as `git clone … && pip install ./sitegen` leaves it:
    # its origin is a local bare repository here, renamed to a GitHub URL after the push.
    remote, clone = tmp_path / "remote.git", tmp_path / "sitegen"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    (clone / "README.md").write_text("sitegen\n")
    git(clone, "add", "README.md")
    git(clone, "commit", "-q", "-m", "first")
    git(clone, "push", "-q", "origin", "main")
    installed = {"url": clone.as_uri(), "dir_info": {"editable": True}}
    assert requirement_from(installed) is None  # origin is a folder on this machine
    git(clone, "remote", "set-url", "origin", "git@github.com:someone/sitegen.git")
    pushed = git(clone, "rev-parse", "HEAD")
    expected = "sitegen @ git+https://github.com/someone/sitegen.git"
    assert requirement_from(installed) == f"{expected}@{pushed}"
    # A folder inside the clone is not the clone: its origin holds something else.
    (clone / "unpacked").mkdir()
    inside = {"url": (clone / "unpacked").as_uri(), "dir_info": {}}
    assert requirement_from(inside) is None
    # A commit origin doesn't have can't be installed from it: the branch, unpinned.
    (clone / "README.md").write_text("sitegen, changed here\n")
    git(clone, "commit", "-q", "-am", "local only")
    assert requirement_from(installed) == expected


def test_new_says_what_the_workflow_will_install(tmp_path: Path) -> None:
    result = run_sitegen("new", "mylist", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [requirement] = [
        line
        for line in (tmp_path / "mylist" / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    # This checkout's origin (if any) decides which; either way the user is told.
    if requirement == f"sitegen=={__version__}":
        assert "warning: requirements.txt pins" in result.stderr and "--source" in result.stderr
        assert "the sitegen on PyPI is another project" in result.stderr
    else:
        assert requirement.startswith("sitegen @ git+https://")
        assert f"note: the Pages workflow installs {requirement}" in result.stderr


def test_a_folder_that_cannot_be_made_is_named_not_its_staging_folder(tmp_path: Path) -> None:
    target = Path("/proc/sitegen-new-test")  # /proc takes no new folder, even from root
    result = run_sitegen("new", str(target), "--no-git", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"sitegen: error: {target}: cannot create a folder")


def test_refuses_a_non_empty_folder_and_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = run_sitegen("new", str(target), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"sitegen: error: {target}: already exists and is not empty; choose a new folder"
    )
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no staging folder left


def test_an_existing_empty_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    create_list(NewList(tmp_path / "empty", git=False))
    assert (tmp_path / "empty" / "content" / "site.yaml").is_file()
    assert not (tmp_path / "empty" / ".git").exists()


def test_empty_title_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SitegenError, match="--title"):
        create_list(NewList(tmp_path / "x", "  "))
    assert not (tmp_path / "x").exists()


def workflow_of(root: Path) -> dict[Any, Any]:
    """The list's parsed workflow (PyYAML reads the `on:` key as True)."""
    return yaml.safe_load((root / ".github" / "workflows" / "pages.yml").read_text())


def test_workflow_pins_sitegen_caches_the_build_and_uses_the_official_actions(
    tmp_path: Path,
) -> None:
    create_list(NewList(tmp_path / "l", git=False))
    flow = workflow_of(tmp_path / "l")
    assert flow[True]["push"]["branches"] == ["main"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build = flow["jobs"]["build"]["steps"]
    actions = [s["uses"].split("@")[0] for s in build if "uses" in s]
    assert actions == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/cache",
        "actions/upload-pages-artifact",
    ]
    runs = [s["run"] for s in build if "run" in s]
    assert runs[0] == "python -m pip install -r requirements.txt"
    cache = next(s for s in build if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"].split() == [".sitegen-cache", "site"]
    assert "hashFiles('requirements.txt')" in cache["with"]["key"]
    assert "github.sha" in cache["with"]["key"]  # a new entry per push, restored by prefix
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"].strip())
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def run_steps(root: Path, flow: dict[Any, Any], env: dict[str, str]) -> list[str]:
    """Run the build job's shell steps in root, as the runner would; return their outputs."""
    known = {"steps.pages.outputs.base_url": FAKE_BASE_URL}
    outputs = []
    for step in flow["jobs"]["build"]["steps"]:
        if "run" not in step:
            continue
        step_env = {
            k: EXPRESSION.sub(lambda m: known[m.group(1)], str(v))
            for k, v in step.get("env", {}).items()
        }
        done = subprocess.run(
            [
                "bash",
                "-eo",
                "pipefail",
                "-c",
                EXPRESSION.sub(lambda m: known[m.group(1)], step["run"]),
            ],
            cwd=root,
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout)
    return outputs


def build_line(outputs: list[str]) -> str:
    """What the build step printed."""
    return next((out for out in outputs if "build:" in out), "\n".join(outputs))


def test_workflow_steps_install_build_and_rebuild_incrementally(
    tmp_path: Path, installed_wheel: Path
) -> None:
    """The install step really installs the pinned wheel; a restored cache makes rebuilds cheap."""
    venv_bin = installed_wheel.parent / "bin"
    root = tmp_path / "mylist"
    create_list(NewList(root, requirement=str(installed_wheel), git=False))
    dumps = sorted((SHIPPED / "dumps").iterdir())
    (root / "content" / "dumps" / "2026-03-11-feed.txt").write_bytes(dumps[0].read_bytes())
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    flow = workflow_of(root)
    first = build_line(run_steps(root, flow, env))
    assert re.search(r"build: 43 papers, (\d+) of \1 files written", first), first
    assert (root / "site" / "index.html").is_file()
    assert f'<base href="{FAKE_BASE_URL}/">' in (root / "site" / "404.html").read_text()
    # The next push: actions/cache restored .sitegen-cache and site/; nothing is re-rendered.
    again = build_line(run_steps(root, flow, env))
    assert re.search(r"build: 43 papers, 0 of \d+ files written", again), again
    # A push with a new dump builds the bigger list on top of the restored cache.
    (root / "content" / "dumps" / "2026-03-12-feed.txt").write_bytes(dumps[1].read_bytes())
    grown = build_line(run_steps(root, flow, env))
    assert re.search(r"build: 269 papers", grown), grown


def test_a_new_list_with_no_dumps_builds_and_its_search_finds_nothing(
    tmp_path: Path, page: Any
) -> None:
    from conftest import serve_static

    root = tmp_path / "mine"
    create_list(NewList(root, "Mine"))
    built = run_sitegen("build", cwd=root)
    assert built.returncode == 0, built.stderr
    assert "0 papers" in built.stdout
    with serve_static(root / "site") as url:
        page.goto(url)
        start = page.locator(".start-command").inner_text()
        assert start == "sitegen add FILE"  # the home page says how to begin
        page.keyboard.press("/")
        page.keyboard.type("diffusion")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search/**")
        assert "No papers match" in page.locator("main").inner_text()
