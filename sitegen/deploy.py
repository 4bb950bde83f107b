"""`sitegen deploy`: commit a built site to a branch (gh-pages) and push it, as `mkdocs gh-deploy`.

Only git plumbing is used (a temporary index, write-tree, commit-tree, update-ref), so the
working tree, the real index, HEAD and the current branch are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sitegen import __version__
from sitegen.errors import SitegenError
from sitegen.output import MANIFEST
from sitegen.records import record

GITHUB_REMOTE = re.compile(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$")


@record
class DeployOptions:
    """Where to publish, and with which commit message."""

    remote: str = "origin"
    branch: str = "gh-pages"
    message: str | None = None


@record
class Deployed:
    """What a deploy did."""

    commit: str | None  # None: the branch already held this site
    remote: str
    branch: str


class Git:
    """git commands in one repository; a failure becomes a one-line SitegenError."""

    def __init__(self, root: Path, env: dict[str, str] | None = None):
        self.root = root
        self.env = env

    def call(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run git and return what it did, whatever its exit status."""
        return subprocess.run(
            ["git", *args], cwd=cwd or self.root, env=self.env, capture_output=True, text=True
        )

    def run(self, *args: str, check: bool = True, cwd: Path | None = None) -> str:
        """Run git; return its stdout, stripped ("" when it failed and check is off)."""
        result = self.call(*args, cwd=cwd)
        if check and result.returncode != 0:
            raise SitegenError(f"git {args[0]}: {git_reason(result.stderr)}")
        return result.stdout.strip() if result.returncode == 0 else ""

    def ok(self, *args: str) -> bool:
        """Whether a git command succeeds."""
        return self.call(*args).returncode == 0


def exclusions(root: Path, output: Path) -> list[str]:
    """Pathspecs for what builds write (the site and the cache), which may be untracked."""
    paths = [output, root / ".sitegen-cache"]
    inside = [p.relative_to(root) for p in paths if p.is_relative_to(root) and p != root]
    return [f":(exclude){p.as_posix()}" for p in inside]


def check_repository(root: Path, output: Path, options: DeployOptions) -> Git:
    """Refuse a non-git folder, a missing remote, a dirty tree, or being on the branch."""
    if shutil.which("git") is None:
        raise SitegenError("git is not installed; sitegen deploy publishes through git")
    git = Git(root)
    if git.run("rev-parse", "--is-inside-work-tree", check=False) != "true":
        raise SitegenError("not a git repository (sitegen deploy publishes through git)", root)
    if not git.ok("remote", "get-url", options.remote):
        raise SitegenError(
            f"no git remote {options.remote!r} (add one: git remote add {options.remote} URL)",
            root,
        )
    if git.run("status", "--porcelain", "--", ".", *exclusions(root, output)):
        raise SitegenError(
            "uncommitted changes: commit them first, so the published site matches a commit",
            root,
        )
    current = git.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
    if current == options.branch:
        raise SitegenError(f"you are on {options.branch!r}; switch to your main branch first")
    return git


def pages_url(git: Git, remote: str) -> str | None:
    """The GitHub Pages address of a github.com remote (None for any other remote)."""
    match = GITHUB_REMOTE.search(git.run("remote", "get-url", remote))
    if not match:
        return None
    owner, repo = match.group(1), match.group(2)
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{repo.lower()}/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def remote_tip(git: Git, options: DeployOptions) -> str | None:
    """The branch's commit on the remote (fetched), else the local branch's, else None."""
    ref = f"refs/heads/{options.branch}"
    listed = git.call("ls-remote", "--heads", options.remote, ref)
    if listed.returncode != 0:
        raise SitegenError(f"cannot reach remote {options.remote!r}: {git_reason(listed.stderr)}")
    if listed.stdout.strip():
        tracking = f"refs/remotes/{options.remote}/{options.branch}"
        git.run("fetch", "-q", options.remote, f"+{ref}:{tracking}")
        return git.run("rev-parse", tracking)
    return git.run("rev-parse", "-q", "--verify", ref, check=False) or None


def git_reason(text: str) -> str:
    """Why a git command failed, in one line: its first 'fatal:' or 'error:' line (git adds
    advice after it: "Please make sure ... / and the repository exists."), else its last."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()] or ["failed"]
    said = next((ln for ln in lines if ln.startswith(("fatal: ", "error: "))), lines[-1])
    return said.removeprefix("fatal: ").removeprefix("error: ")


def push_reason(stderr: str) -> str:
    """Why a push failed: the remote's own words, else git's rejection line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = [ln.removeprefix("remote:").strip() for ln in lines if ln.startswith("remote:")]
    rejected = [ln for ln in lines if ln.startswith("! [")]
    return "; ".join(said + rejected) or git_reason(stderr)


def commit_site(git: Git, site: Path, parent: str | None, message: str) -> str | None:
    """Commit the site folder as a tree on top of parent; None if parent already has it."""
    with tempfile.TemporaryDirectory() as scratch:
        index_env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        staged = Git(git.root, index_env)
        git_dir = git.run("rev-parse", "--absolute-git-dir")
        # --force: the site is committed whole, whatever the repository's ignore rules say,
        # but for the output manifest: the next build's record of what it wrote, not a page.
        staged.run(
            f"--git-dir={git_dir}",
            f"--work-tree={site}",
            *("add", "-A", "--force", "--", ".", f":(exclude){MANIFEST}"),
            cwd=site,
        )
        if parent:
            kept_from(staged, git_dir, site, parent)
        tree = staged.run(f"--git-dir={git_dir}", "write-tree", cwd=site)
    if parent and git.run("rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    parents = ["-p", parent] if parent else []
    try:
        return git.run("commit-tree", tree, *parents, "-m", message)
    except SitegenError as exc:
        if "identity" in str(exc) or "user.email" in str(exc):
            raise SitegenError(
                "git doesn't know who you are: set git config user.name and user.email"
            ) from None
        raise


# Files the branch may hold that no build makes: GitHub writes CNAME there when a custom
# domain is set in the repository's settings, and a deploy without it would drop the domain.
KEPT_FROM_BRANCH = ("CNAME",)


def kept_from(staged: Git, git_dir: str, site: Path, parent: str) -> None:
    """Stage the branch's own KEPT_FROM_BRANCH files the site does not have, as they are."""
    for name in KEPT_FROM_BRANCH:
        found = staged.run(f"--git-dir={git_dir}", "ls-tree", parent, "--", name, cwd=site)
        if found and not (site / name).exists():
            mode, kind, blob = found.split("\t", 1)[0].split()
            if kind == "blob":
                staged.run(
                    f"--git-dir={git_dir}",
                    *("update-index", "--add", "--cacheinfo", f"{mode},{blob},{name}"),
                    cwd=site,
                )


def deploy(site: Path, options: DeployOptions, git: Git) -> Deployed:
    """Commit the built site to the branch and push it (the build has already run)."""
    if not (site / "index.html").is_file():
        raise SitegenError("no built site here (index.html is missing)", site)
    (site / ".nojekyll").touch()  # Pages must serve folders starting with _ as they are
    parent = remote_tip(git, options)
    source = git.run("rev-parse", "--short", "HEAD", check=False) or "an unborn branch"
    message = options.message or f"Deploy {source} with sitegen {__version__}"
    commit = commit_site(git, site, parent, message)
    ref = f"refs/heads/{options.branch}"
    if commit is not None or parent:
        git.run("update-ref", ref, commit or str(parent))
    pushed = git.call("push", "-q", options.remote, f"{ref}:{ref}")
    if pushed.returncode != 0:
        raise SitegenError(
            f"push to {options.remote} {options.branch} was rejected: {push_reason(pushed.stderr)}"
        )
    return Deployed(commit, options.remote, options.branch)
