"""Reading a project: site.yaml, the taxonomy, dumps and pages, refusing bad files by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.cache import BuildCache
from sitegen.dumps import DumpSummary
from sitegen.errors import SitegenError
from sitegen.project import SiteConfig, default_dir, load_config, load_project


def test_a_missing_site_yaml_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "site.yaml") == SiteConfig()


def test_site_yaml_fields_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("title: My list\nper_page: 1\nauthor: 7\nlogo: x.png\n")
    config = load_config(path)
    assert (config.title, config.author, config.per_page) == ("My list", "7", 1)
    assert config.warnings == [f"{path}:4: unknown key 'logo', ignored"]


@pytest.mark.parametrize("extra", ["{a: 1,\tb: 2}", "[" * 600 + "]" * 600])
def test_an_unknown_key_only_libyaml_reads_is_warned_of_without_its_line(
    tmp_path: Path, extra: str
) -> None:
    # A tab in a flow mapping, or deep nesting: libyaml reads them, the pure-Python parse
    # that finds the key's line does not.
    path = tmp_path / "site.yaml"
    path.write_text(f"title: My list\nextra: {extra}\n")
    assert load_config(path).warnings[0].endswith("unknown key 'extra', ignored")


@pytest.mark.parametrize(
    ("text", "chosen"), [("large_site: true\n", True), ("large_site: auto\n", None), ("", None)]
)
def test_large_site_is_chosen_or_left_to_the_size_of_the_list(
    tmp_path: Path, text: str, chosen: bool | None
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("title: x\n" + text)
    assert load_config(path).large_site is chosen


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("title: [open\n", "invalid YAML", 1),
        ("- a list\n", "must be a mapping", None),
        ("per_page: many\n", "per_page must be a whole number", 1),
        ("title: x\nper_page: 0\n", "per_page must be a whole number from 1", 2),
        ("large_site: maybe\n", "large_site must be true, false or auto", 1),
        ("large_site: 1\n", "large_site must be true, false or auto", 1),
        ("per_page: 5\ntitle: [a, b]\n", "title must be text, not a list", 2),
        ("description: {a: b}\n", "description must be text, not a mapping", 1),
        ("author: no\n", "author must be text, not false (YAML reads", 1),
    ],
)
def test_bad_site_yaml_is_refused_naming_the_file(
    tmp_path: Path, text: str, needle: str, line: int | None
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    with pytest.raises(SitegenError) as caught:
        load_config(path)
    assert needle in caught.value.message and caught.value.path == str(path)
    assert caught.value.line == line


def test_a_text_field_left_empty_is_its_default(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("title:\ndescription:\nauthor: 7\n")
    config = load_config(path)
    assert (config.title, config.description) == (SiteConfig().title, SiteConfig().description)
    assert config.author == "7"


def test_no_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SitegenError, match="no content/ folder"):
        load_project(tmp_path)


def test_a_project_joins_pages_to_the_dumps_that_list_them(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "dumps" / "2026-01-01-a.txt").write_text(
        "Subscribe" + "Listed Paper Title\n" + "We study things. " * 12 + "\n"
    )
    (content / "papers" / "own-folder").mkdir(parents=True)
    (content / "papers" / "own-folder" / "listed-paper-title.md").write_text(
        "---\ntitle: Listed Paper Title\n---\n\nWe study things.\n"
    )
    (content / "papers" / "own-folder" / "by-hand.md").write_text(
        "---\ntitle: By Hand\n---\n\nMine.\n"
    )
    project = load_project(tmp_path)
    dumps = {p.slug: p.dumps for p in project.papers}
    assert dumps == {"by-hand": (), "listed-paper-title": ("2026-01-01-a",)}
    # What the site shows of a dump: not its entries' abstracts (ingest's alone), a count.
    assert project.dumps == [DumpSummary("2026-01-01-a", "2026-01-01", None, 1, "2026-01-01-a.txt")]
    assert len(project.warnings) == 1 and "own-folder" in project.warnings[0]


HIDE = "(a name starting with '.' keeps it unread, unsaid)"


def test_what_no_build_reads_and_themes_the_taxonomy_lacks_are_warned_of(tmp_path: Path) -> None:
    content = tmp_path / "content"
    theme = content / "papers" / "own-folder"
    (theme / "sub" / "deeper").mkdir(parents=True)
    (theme / "figures").mkdir()
    (theme / "figures" / "plot.png").write_bytes(b"png")  # a folder of no pages: fine
    (theme / ".hidden").mkdir()
    (theme / ".hidden" / "x.md").write_text("an editor's")
    page = "---\ntitle: {}\nthemes: [own-folder, nosuch, '<b>']\n---\n\nText.\n"
    (theme / "a.md").write_text(page.format("A"))
    (theme / "a2.md").write_text(page.format("A2"))  # one warning per name, not per page
    for stray in (
        content / "papers" / "top.md",
        theme / "sub" / "b.md",
        theme / "sub" / "deeper" / "c.md",
    ):
        stray.write_text(page.format("Stray"))
    (content / "papers" / "notes.txt").write_text("not a page")
    (content / "dumps" / "folder.txt").mkdir(parents=True)
    (content / "dumps" / "broken.txt").symlink_to(tmp_path / "nowhere")
    (content / "dumps" / ".hidden.txt").symlink_to(tmp_path / "nowhere")
    project = load_project(tmp_path)
    assert [p.slug for p in project.papers] == ["a", "a2"]
    where = f"{content}/papers/own-folder/a.md and 1 more page: themes: "
    assert project.warnings == [
        f"{content}/papers/own-folder/sub/b.md: not read: a page goes straight in its theme's"
        " folder, content/papers/<theme>/<name>.md",
        f"{content}/papers/own-folder/sub/deeper/c.md: not read: a page goes straight in its"
        " theme's folder, content/papers/<theme>/<name>.md",
        f"{content}/papers/top.md: not read: a page goes straight in its theme's folder,"
        " content/papers/<theme>/<name>.md",
        f"{content}/dumps/broken.txt: not a file: skipped {HIDE}",
        f"{content}/dumps/folder.txt: not a file: skipped {HIDE}",
        f"{content}/papers/own-folder: folder is not in themes.yaml; titled from its name",
        f"{where}'nosuch' is not in themes.yaml nor a folder of content/papers/; a theme of its"
        " own, titled from its name",
        f"{where}'<b>' is not in themes.yaml nor a folder of content/papers/; a theme of its own,"
        " titled from its name",
    ]


def test_a_papers_or_dumps_file_in_place_of_its_folder_is_no_silent_empty_site(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "dumps").write_text("not a folder")
    assert load_project(tmp_path).warnings == [f"{content}/dumps: not a folder: no dump read"]
    (content / "papers").write_text("not a folder")
    with pytest.raises(SitegenError, match="not a folder") as caught:
        load_project(tmp_path)
    assert caught.value.path == str(content / "papers")


def test_a_long_lived_cache_makes_only_changed_pages_papers_again(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "papers" / "t").mkdir(parents=True)
    for name in ("a", "b", "Listed Paper Title"):
        page = content / "papers" / "t" / f"{name.lower().replace(' ', '-')}.md"
        page.write_text(f"---\ntitle: {name}\n---\n\nX.\n")
    cache = BuildCache()
    first = {p.slug: p for p in load_project(tmp_path, cache).papers}
    (content / "papers" / "t" / "b.md").write_text("---\ntitle: b\n---\n\nEdited.\n")
    (content / "dumps" / "2026-01-01-a.txt").write_text(
        "Subscribe" + "Listed Paper Title\n" + "We study things. " * 12 + "\n"
    )
    again = {p.slug: p for p in load_project(tmp_path, cache).papers}
    assert again["a"] is first["a"]  # the same page, listed by the same dumps
    assert again["b"].abstract == "Edited." and again["listed-paper-title"].dumps == (
        "2026-01-01-a",
    )
    assert again == {p.slug: p for p in load_project(tmp_path).papers}  # as made afresh


def test_the_shipped_templates_and_static_are_found() -> None:
    assert (default_dir("templates") / "base.html").is_file()
    assert (default_dir("static") / "style.css").is_file()


def test_repo_url_must_be_a_web_address(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("repo_url: javascript:alert(1)\n")
    with pytest.raises(SitegenError, match="repo_url must start with https://"):
        load_config(path)
    path.write_text("repo_url: https://github.com/me/list\nedit_uri: edit/trunk/content/\n")
    config = load_config(path)
    assert (config.repo_url, config.edit_uri, config.warnings) == (
        "https://github.com/me/list",
        "edit/trunk/content/",
        [],
    )
