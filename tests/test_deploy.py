"""`sitegen deploy`: a real git repository pushing to a local bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import SHIPPED, run_sitegen

from sitegen.deploy import DeployOptions, Git, pages_url
from sitegen.output import MANIFEST
from sitegen.scaffold import NewList, create_list

IDENTITY = {
    "GIT_AUTHOR_NAME": "Reader",
    "GIT_AUTHOR_EMAIL": "reader@example.org",
    "GIT_COMMITTER_NAME": "Reader",
    "GIT_COMMITTER_EMAIL": "reader@example.org",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in cwd; fail the test if it fails."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def reading_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed reading list (one shipped dump) with a bare remote called origin."""
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "mylist"
    create_list(NewList(root, "Deployed list"))
    dump = sorted((SHIPPED / "dumps").iterdir())[0]
    (root / "content" / "dumps" / "2026-03-11-feed.txt").write_bytes(dump.read_bytes())
    assert run_sitegen("ingest", "-q", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "My list")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(root, "remote", "add", "origin", str(tmp_path / "remote.git"))
    return root


def state(root: Path) -> tuple[str, str, bytes, str]:
    """HEAD, the current branch, the index file and the working tree's status."""
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "symbolic-ref", "HEAD"),
        (root / ".git" / "index").read_bytes(),
        git(root, "status", "--porcelain", "--ignored"),
    )


def test_deploy_commits_the_site_to_gh_pages_and_leaves_the_checkout_alone(
    reading_list: Path,
) -> None:
    before = state(reading_list)
    result = run_sitegen("deploy", cwd=reading_list)
    assert result.returncode == 0, result.stderr
    remote = reading_list.parent / "remote.git"
    files = git(remote, "ls-tree", "--name-only", "gh-pages").splitlines()
    assert "index.html" in files and ".nojekyll" in files
    assert "papers" in files and "content" not in files
    # The output manifest is the next build's record, not part of the site: it stays home.
    assert (reading_list / "site" / MANIFEST).is_file() and MANIFEST not in files
    assert state(reading_list)[:3] == before[:3]
    # Only what the build writes (site/, the cache) is new, and both are ignored.
    assert git(reading_list, "status", "--porcelain") == ""
    head = git(reading_list, "rev-parse", "--short", "HEAD")
    assert git(remote, "log", "-1", "--format=%s", "gh-pages").startswith(f"Deploy {head} ")
    # The deployed page is the built one.
    deployed = git(remote, "show", "gh-pages:index.html")
    assert deployed == (reading_list / "site" / "index.html").read_text().strip()


def test_second_deploy_builds_on_the_first_and_skips_an_unchanged_site(
    reading_list: Path,
) -> None:
    assert run_sitegen("deploy", cwd=reading_list).returncode == 0
    remote = reading_list.parent / "remote.git"
    first = git(remote, "rev-parse", "gh-pages")
    again = run_sitegen("deploy", cwd=reading_list)
    assert again.returncode == 0 and "already holds this site" in again.stdout
    assert git(remote, "rev-parse", "gh-pages") == first
    page = next((reading_list / "content" / "papers").rglob("*.md"))
    page.write_text(page.read_text() + "\nMy own note on this paper.\n")
    git(reading_list, "commit", "-qam", "A note")
    result = run_sitegen("deploy", "-m", "Notes", cwd=reading_list)
    assert result.returncode == 0, result.stderr
    assert git(remote, "log", "--format=%s", "gh-pages").splitlines()[0] == "Notes"
    assert git(remote, "rev-parse", "gh-pages^") == first


def test_a_custom_domains_cname_on_the_branch_is_kept(reading_list: Path, tmp_path: Path) -> None:
    assert run_sitegen("deploy", cwd=reading_list).returncode == 0
    remote = reading_list.parent / "remote.git"
    # GitHub commits CNAME to the branch when a custom domain is set in the settings.
    pages = tmp_path / "pages"
    git(tmp_path, "clone", "-q", "-b", "gh-pages", str(remote), str(pages))
    (pages / "CNAME").write_text("papers.example.org\n")
    git(pages, "add", "CNAME")
    git(pages, "commit", "-qm", "Create CNAME")
    git(pages, "push", "-q", "origin", "gh-pages")
    page = next((reading_list / "content" / "papers").rglob("*.md"))
    page.write_text(page.read_text() + "\nA note.\n")
    git(reading_list, "commit", "-qam", "A note")
    result = run_sitegen("deploy", cwd=reading_list)
    assert result.returncode == 0, result.stderr
    assert git(remote, "show", "gh-pages:CNAME") == "papers.example.org"
    assert "A note." in git(remote, "show", "gh-pages:" + "papers/" + page.stem + "/index.html")
    assert not (reading_list / "site" / "CNAME").exists()  # the branch's, not the build's


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a refused command."""
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("sitegen: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_dirty_tree_is_refused_before_anything_is_built(reading_list: Path) -> None:
    (reading_list / "content" / "dumps" / "2026-03-12-more.txt").write_text("draft")
    assert "uncommitted changes" in one_error(run_sitegen("deploy", cwd=reading_list))
    assert not (reading_list / "site").exists()
    remote = reading_list.parent / "remote.git"
    assert git(remote, "branch", "--list") == ""


def test_missing_remote_and_non_git_folder_are_refused(reading_list: Path, tmp_path: Path) -> None:
    error = one_error(run_sitegen("deploy", "--remote", "upstream", cwd=reading_list))
    assert "no git remote 'upstream'" in error
    git(reading_list, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    error = one_error(run_sitegen("deploy", "--remote", "gone", cwd=reading_list))
    assert "cannot reach remote 'gone': " in error and "does not appear to be a git repo" in error
    plain = tmp_path / "plain"
    (plain / "content").mkdir(parents=True)
    assert "not a git repository" in one_error(run_sitegen("deploy", cwd=plain))


def test_a_rejected_push_is_one_line_with_the_remotes_reason(reading_list: Path) -> None:
    hook = reading_list.parent / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'gh-pages is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = state(reading_list)
    error = one_error(run_sitegen("deploy", cwd=reading_list))
    assert "push to origin gh-pages was rejected: gh-pages is protected" in error
    assert state(reading_list)[:3] == before[:3]


def test_pages_url_of_github_remotes(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    repo = Git(tmp_path)
    cases = {
        "git@github.com:Someone/reading-list.git": "https://someone.github.io/reading-list/",
        "https://github.com/someone/someone.github.io": "https://someone.github.io/",
        "/srv/git/list.git": None,
    }
    for number, (url, expected) in enumerate(cases.items()):
        git(tmp_path, "remote", "add", f"r{number}", url)
        assert pages_url(repo, DeployOptions(remote=f"r{number}").remote) == expected
