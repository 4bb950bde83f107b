"""`sitegen new DIR`: a reading list ready for git and GitHub Pages, made from sitegen/scaffold/."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitegen import __version__
from sitegen.errors import SitegenError
from sitegen.records import record
from sitegen.shipped import DEFAULT_THEMES, SCAFFOLD_DIR

# scaffold file -> where it goes in the new list
LAYOUT = {
    "site.yaml": "content/site.yaml",
    "gitignore": ".gitignore",
    "pages.yml": ".github/workflows/pages.yml",
    "requirements.txt": "requirements.txt",
    "README.md": "README.md",
}


@record
class NewList:
    """What `sitegen new` is asked for."""

    target: Path
    title: str = "Reading list"
    requirement: str = f"sitegen=={__version__}"  # what the Pages workflow installs
    git: bool = True


def one_line(text: str, what: str) -> str:
    """A value that must fit on one line of the files it goes into."""
    text = " ".join(text.split())
    if not text:
        raise SitegenError(f"{what} must not be empty")
    return text


def scaffold_files(request: NewList) -> dict[str, str]:
    """The new list's text files, by relative path (pure)."""
    title = one_line(request.title, "--title")
    if not request.requirement.isprintable():  # a line break or a control character
        raise SitegenError(
            f"--source must be one pip requirement on one line, not {request.requirement!r}"
        )
    requirement = one_line(request.requirement, "--source")
    # A JSON string is a valid YAML double-quoted scalar: any title is safe in site.yaml.
    fill = {
        "site.yaml": {"__TITLE__": json.dumps(title, ensure_ascii=False)},
        "README.md": {"__TITLE__": title},
        "requirements.txt": {"__REQUIREMENT__": requirement},
    }
    files: dict[str, str] = {}
    for name, target in LAYOUT.items():
        text = (SCAFFOLD_DIR / name).read_text(encoding="utf-8")
        for marker, value in fill.get(name, {}).items():
            text = text.replace(marker, value)
        files[target] = text
    files["content/themes.yaml"] = DEFAULT_THEMES.read_text(encoding="utf-8")
    return files


def create_list(request: NewList) -> list[str]:
    """Write a new reading list into an empty or missing folder, all or nothing."""
    target = request.target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SitegenError("already exists and is not empty; choose a new folder", target)
    files = scaffold_files(request)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Everything is written into a hidden sibling first, then renamed into place.
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:  # named by the folder asked for, not by the staging folder's name
        raise SitegenError(f"cannot create a folder here ({exc.strerror})", target) from None
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (staging / "content" / "dumps").mkdir()
        if target.exists():
            target.rmdir()
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    made = sorted(files) + ["content/dumps/"]
    if request.git and git_init(target):
        made.append(".git/ (branch main)")
    return made


def git_init(folder: Path) -> bool:
    """Make the new list a git repository on `main`, unless git is missing or it is in one."""
    if shutil.which("git") is None:
        return False
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=folder, capture_output=True, text=True
    )
    if inside.returncode == 0:
        return False
    done = subprocess.run(
        ["git", "init", "-q", "-b", "main"], cwd=folder, capture_output=True, text=True
    )
    return done.returncode == 0


def installed_source() -> str | None:
    """Where this sitegen was installed from, as a requirement GitHub's runners can install
    (sitegen is not on PyPI, and another project holds the name there), or None."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:  # PEP 610: pip records a direct install (a folder, a git URL) in direct_url.json
        text = distribution("sitegen").read_text("direct_url.json")
        direct_url = json.loads(text) if text else None
    except (PackageNotFoundError, ValueError, OSError):
        return None
    return requirement_from(direct_url) if isinstance(direct_url, dict) else None


def requirement_from(direct_url: dict) -> str | None:
    """A requirement for what direct_url.json says was installed: a git URL at its commit, or
    a local clone's origin (at its commit, if origin has it); None for anything else."""
    url = direct_url.get("url")
    if not isinstance(url, str):
        return None
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id")
        found = git_requirement(url, commit if isinstance(commit, str) else None)
        below = direct_url.get("subdirectory")  # sitegen in a folder of the repository
        if found is None or below is None:
            return found
        safe = isinstance(below, str) and re.fullmatch(r"(?!.*\.\.)[\w.-]+(/[\w.-]+)*", below)
        return f"{found}#subdirectory={below}" if safe else None
    parts = urlsplit(url)
    if parts.scheme == "file" and isinstance(direct_url.get("dir_info"), dict):
        return clone_requirement(Path(unquote(parts.path)))
    return None


def clone_requirement(folder: Path) -> str | None:
    """A local clone as a requirement: its origin's URL, at HEAD if a branch of origin has it."""
    top = git_output(folder, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != folder.resolve():
        return None  # not a clone's root: an enclosing repository's origin holds something else
    origin = git_output(folder, "remote", "get-url", "origin")
    if origin is None:
        return None
    commit = git_output(folder, "rev-parse", "--verify", "HEAD")
    pushed = git_output(folder, "branch", "--remotes", "--contains", "HEAD", "--list", "origin/*")
    return git_requirement(origin, commit if pushed else None)


def git_output(folder: Path, *args: str) -> str | None:
    """What a git command prints in folder, stripped; None if it fails or prints nothing."""
    if shutil.which("git") is None or not folder.is_dir():
        return None
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def git_requirement(remote: str, commit: str | None) -> str | None:
    """`sitegen @ git+https://…[@commit]` for a remote a runner can clone, else None."""
    url = public_url(remote)
    if url is None:
        return None
    pinned = f"@{commit}" if commit and re.fullmatch(r"[0-9a-f]{7,64}", commit) else ""
    return f"sitegen @ git+{url}{pinned}"


def public_url(remote: str) -> str | None:
    """A git remote as an https URL without credentials (a requirements.txt is committed),
    or None for a local path or a scheme a runner can't use."""
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(?!/)(.+)", remote)  # git@github.com:owner/repo.git
    if scp:
        return f"https://{scp[1]}/{scp[2]}"
    try:  # a port out of range, a broken IPv6 host: ValueError
        parts = urlsplit(remote)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "ssh", "git+https", "git+ssh") or not parts.hostname:
        return None
    host = parts.hostname + (f":{port}" if parts.scheme.endswith("https") and port else "")
    return f"https://{host}{parts.path}" if parts.path not in ("", "/") else None
