"""`sitegen new DIR`: a reading list ready for git and GitHub Pages, made from sitegen/scaffold/."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sitegen import __version__
from sitegen.errors import SitegenError
from sitegen.shipped import DEFAULT_THEMES, SCAFFOLD_DIR

# scaffold file -> where it goes in the new list
LAYOUT = {
    "site.yaml": "content/site.yaml",
    "gitignore": ".gitignore",
    "pages.yml": ".github/workflows/pages.yml",
    "requirements.txt": "requirements.txt",
    "README.md": "README.md",
}


@dataclass(frozen=True)
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
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
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
