"""The Pages workflow: its shape, and its build commands run for real in a temp copy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import copy_shipped_content
from linkcheck import broken_links

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "pages.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
FAKE_BASE_URL = "https://someone.github.io/reading-list"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    """The parsed workflow (PyYAML reads the `on:` key as True)."""
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    """The steps of one job."""
    return workflow["jobs"][job]["steps"]


def uses(workflow: dict[Any, Any], job: str) -> list[str]:
    """The actions a job uses, without versions."""
    return [s["uses"].split("@")[0] for s in steps(workflow, job) if "uses" in s]


def test_triggers_and_permissions(workflow: dict[Any, Any]) -> None:
    triggers = workflow[True]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_uses_the_official_pages_actions(workflow: dict[Any, Any]) -> None:
    build_uses = uses(workflow, "build")
    assert build_uses.index("actions/configure-pages") < build_uses.index(
        "actions/upload-pages-artifact"
    )
    assert uses(workflow, "deploy") == ["actions/deploy-pages"]
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert workflow["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    build_steps = steps(workflow, "build")
    upload = next(s for s in build_steps if "upload-pages-artifact" in s.get("uses", ""))
    build_step = next(s for s in build_steps if "sitegen build" in s.get("run", ""))
    assert "--output site " in build_step["run"] and upload["with"]["path"] == "public"


def test_installs_sitegen_from_the_repo(workflow: dict[Any, Any]) -> None:
    runs = [s["run"] for s in steps(workflow, "build") if "run" in s]
    assert any(re.search(r"pip install \.(\s|$)", run) for run in runs)


def substitute(value: str) -> str:
    """Fill in the GitHub expressions the build step reads."""
    known = {"steps.pages.outputs.base_url": FAKE_BASE_URL}
    return EXPRESSION.sub(lambda m: known[m.group(1)], value)


def test_build_commands_produce_a_working_site(workflow: dict[Any, Any], tmp_path: Path) -> None:
    root = copy_shipped_content(tmp_path / "repo")
    shim = tmp_path / "bin"
    shim.mkdir()
    sitegen = shim / "sitegen"
    # Installing is the workflow's first run step; here the package under test is already
    # importable, so `sitegen` runs it through a shim instead of a fresh pip install.
    sitegen.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sitegen "$@"\n')
    sitegen.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    ran = 0
    for step in steps(workflow, "build"):
        run = step.get("run", "")
        if not run or "pip install" in run:
            continue
        step_env = {k: substitute(str(v)) for k, v in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", substitute(run)],
            cwd=root,
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        ran += 1
    assert ran >= 1
    site = root / "site"
    assert (site / "index.html").is_file() and (site / ".nojekyll").is_file()
    # What is uploaded: the site without the build's record of its files (kept in site/).
    public = root / "public"
    assert (site / ".sitegen-manifest.json").is_file()
    assert sorted(p.relative_to(public) for p in public.rglob("*")) == sorted(
        p.relative_to(site) for p in site.rglob("*") if p.name != ".sitegen-manifest.json"
    )
    assert f'<base href="{FAKE_BASE_URL}/">' in (site / "404.html").read_text()
    assert broken_links(site, FAKE_BASE_URL + "/") == []
    assert shutil.which("sitegen", path=str(shim))
