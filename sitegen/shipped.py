"""Files sitegen ships: inside the installed wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped(in_wheel: str, in_repo: str | None = None) -> Path:
    """A shipped file or folder: `sitegen/<in_wheel>` when installed, else the repo's copy."""
    inside = PACKAGE_DIR / in_wheel
    return inside if inside.exists() else PACKAGE_DIR.parent / (in_repo or in_wheel)


# The default taxonomy is the demo's content/themes.yaml; the wheel carries it (pyproject.toml).
DEFAULT_THEMES = shipped("default_themes.yaml", "content/themes.yaml")
SCAFFOLD_DIR = PACKAGE_DIR / "scaffold"
