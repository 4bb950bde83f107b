"""The wheel, installed in a fresh venv, used outside the repo exactly as the README says."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import REPO, SHIPPED, copy_shipped_content

from sitegen.shipped import DEFAULT_THEMES


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    # A user's shell has no PYTHONPATH pointing into a checkout; a test run may.
    env = env or {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_wheel_ships_templates_static_and_default_themes_and_builds_a_site(
    tmp_path: Path, installed_wheel: Path
) -> None:
    venv = installed_wheel.parent
    python = venv / "bin" / "python"
    where = run(python, "-c", "import sitegen; print(sitegen.__file__)", cwd=tmp_path).strip()
    assert where.startswith(str(venv)), where
    package = Path(where).parent
    assert (package / "templates" / "base.html").is_file()
    assert (package / "static" / "style.css").is_file()
    assert (package / "default_themes.yaml").read_bytes() == DEFAULT_THEMES.read_bytes()
    assert (package / "scaffold" / "pages.yml").is_file()

    site = copy_shipped_content(tmp_path / "elsewhere")
    out = run(venv / "bin" / "sitegen", "build", cwd=site)
    assert "360 papers" in out
    assert (site / "site" / "index.html").is_file()
    assert (site / "site" / "static" / "style.css").read_bytes() == (
        REPO / "static" / "style.css"
    ).read_bytes()


def test_new_add_commit_deploy_from_the_wheel(tmp_path: Path, installed_wheel: Path) -> None:
    """The README's own-list story: new, add two dumps, commit everything, deploy."""
    sitegen = installed_wheel.parent / "bin" / "sitegen"
    identity = {"GIT_AUTHOR_NAME": "R", "GIT_AUTHOR_EMAIL": "r@example.org"}
    identity |= {"GIT_COMMITTER_NAME": "R", "GIT_COMMITTER_EMAIL": "r@example.org"}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | identity
    run(sitegen, "new", "mylist", "--title", "Our reading group", cwd=tmp_path, env=env)
    root = tmp_path / "mylist"
    dumps = sorted((SHIPPED / "dumps").iterdir())[:2]
    out = run(sitegen, "add", *dumps, cwd=root, env=env)
    assert "269 papers" in out
    pages = list((root / "content" / "papers").rglob("*.md"))
    unsorted = [p for p in pages if p.parent.name == "unsorted"]
    assert len(pages) == 269 and len(unsorted) <= 0.05 * len(pages)
    run("git", "add", "-A", cwd=root, env=env)
    run("git", "commit", "-qm", "Start", cwd=root, env=env)
    under_content = [str(p.relative_to(root)) for p in (root / "content").rglob("*")]
    ignored = subprocess.run(
        ["git", "check-ignore", *under_content], cwd=root, capture_output=True, text=True
    )
    assert ignored.returncode == 1 and ignored.stdout == ""  # 1: nothing is ignored
    tracked = run("git", "ls-files", "content", cwd=root).splitlines()
    assert "content/ingested.json" in tracked and len(tracked) == 269 + 5

    run("git", "init", "-q", "--bare", tmp_path / "remote.git")
    run("git", "remote", "add", "origin", tmp_path / "remote.git", cwd=root)
    before = [run("git", "rev-parse", "HEAD", cwd=root), (root / ".git" / "index").read_bytes()]
    run(sitegen, "deploy", cwd=root, env=env)
    after = [run("git", "rev-parse", "HEAD", cwd=root), (root / ".git" / "index").read_bytes()]
    assert after == before
    assert run("git", "status", "--porcelain", cwd=root) == ""
    published = run("git", "ls-tree", "--name-only", "gh-pages", cwd=tmp_path / "remote.git")
    assert {"index.html", ".nojekyll"} <= set(published.split())
