"""SitegenError: one line that names the file and line, and the CLI prints it so."""

from __future__ import annotations

from pathlib import Path

from conftest import run_sitegen

from sitegen.errors import SitegenError


def test_message_names_file_and_line_when_known() -> None:
    assert str(SitegenError("bad", Path("content/site.yaml"), 3)) == "content/site.yaml:3: bad"
    assert str(SitegenError("bad", "content/site.yaml")) == "content/site.yaml: bad"
    assert str(SitegenError("bad")) == "bad"
    error = SitegenError("bad", Path("a.md"), 0)  # line 0 is no line
    assert (str(error), error.path, error.line, error.message) == ("a.md: bad", "a.md", 0, "bad")
    quoting = SitegenError("bad:\n  in 'x'\r\nmore\u2028end", "a.md", 2)
    assert str(quoting) == "a.md:2: bad:   in 'x' more end"  # always one line


def test_the_cli_prints_a_user_mistake_as_one_line_without_traceback(shipped_site: Path) -> None:
    (shipped_site / "content" / "site.yaml").write_text("title: [unclosed\nper_page: 3\n")
    result = run_sitegen("build", cwd=shipped_site)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "site.yaml:" in lines[0] and "invalid YAML" in lines[0]
    assert not (shipped_site / "site").exists()  # nothing half-written
