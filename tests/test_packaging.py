"""The wheel: `pip install .` into a fresh venv, then `sitegen build` anywhere with a content/."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO, copy_shipped_content


def run(*args: str | Path, cwd: Path | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_wheel_ships_templates_and_static_and_builds_a_site(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, REPO)
    wheel = next(wheels.glob("sitegen-*.whl"))
    # A clean venv, as a user's: its dependencies come from pip (its cache, usually).
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel)
    where = run(python, "-c", "import sitegen; print(sitegen.__file__)", cwd=tmp_path).strip()
    assert where.startswith(str(env)), where
    package = Path(where).parent
    assert (package / "templates" / "base.html").is_file()
    assert (package / "static" / "style.css").is_file()

    site = copy_shipped_content(tmp_path / "elsewhere")
    out = run(env / "bin" / "sitegen", "build", cwd=site)
    assert "360 papers" in out
    assert (site / "site" / "index.html").is_file()
    assert (site / "site" / "static" / "style.css").read_bytes() == (
        REPO / "static" / "style.css"
    ).read_bytes()
