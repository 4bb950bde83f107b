"""The whole build over the shipped corpus: pages, links, prefixes, reproducibility, weight."""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from conftest import copy_shipped_content, serve_static
from linkcheck import broken_links, parse_links

import sitegen.build
import sitegen.build.model
import sitegen.build.schedule
import sitegen.build.write
import sitegen.discover
from sitegen.build import BuildOptions, build, discovery_of
from sitegen.build.model import PENDING, DiscoveryRun, environment_for
from sitegen.build.options import resolve_base_url
from sitegen.build.schedule import (
    LOOK_EVERY,
    renderer_start,
    renders_beside_discovery,
    routes_here,
    shows_nothing_of_discovery,
)
from sitegen.cache import BuildCache
from sitegen.errors import SitegenError
from sitegen.ingest import ingest
from sitegen.model.library import build_library
from sitegen.output import MANIFEST
from sitegen.paper_page import PAPER_ONLY, unused_templates
from sitegen.project import load_project
from sitegen.render import compile_templates
from sitegen.texmath import tex_plain
from sitegen.views.listing import make_site
from sitegen.views.pages import Route

PAGE_LIMIT = 30 * 1024


class TextParser(HTMLParser):
    """Collects the visible text of a page (script and style excluded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter script/style."""
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        """Leave script/style."""
        self.skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        """Keep visible text."""
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """A page's visible text, whitespace collapsed."""
    parser = TextParser()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def words(text: str) -> list[str]:
    """Alphanumeric words, for comparing Markdown source with rendered text."""
    return re.findall(r"[A-Za-z0-9]+", text)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shipped corpus ingested and built once for this module: (site root, output)."""
    from sitegen.ingest import ingest

    root = copy_shipped_content(tmp_path_factory.mktemp("shipped") / "root")
    assert not ingest(root).errors
    output = root / "site"
    build(root, BuildOptions(output))
    return root, output


def ingested_copy(shipped: tuple[Path, Path], tmp_path: Path) -> Path:
    """A site root of its own holding the shipped corpus's content, pages included."""
    site_root = tmp_path / "root"
    shutil.copytree(shipped[0] / "content", site_root / "content")
    return site_root


def test_every_paper_has_a_page_with_title_and_abstract(shipped: tuple[Path, Path]) -> None:
    root, output = shipped
    papers = load_project(root).papers
    assert len(papers) == 360
    for paper in papers:
        page = output / "papers" / paper.slug / "index.html"
        text = visible_text(page.read_text(encoding="utf-8"))
        assert paper.title in text
        # The page shows inline TeX rendered (\eg as "e.g."), so compare with its plain text.
        assert " ".join(words(tex_plain(paper.abstract))[:40]) in " ".join(words(text))


def test_no_broken_internal_links_or_assets(shipped: tuple[Path, Path]) -> None:
    _, output = shipped
    assert broken_links(output) == []
    pages = list(output.rglob("*.html"))
    assert len(pages) > 360
    refs = parse_links((output / "index.html").read_text(encoding="utf-8")).refs
    assert "./static/style.css" in refs and "./search/" in refs


def test_link_checker_catches_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<a href="../b/">x</a><a href="#nope">y</a>')
    assert broken_links(tmp_path) == ["a/index.html: ../b/", "a/index.html: #nope (no #nope)"]


def test_all_links_are_relative(shipped: tuple[Path, Path]) -> None:
    _, output = shipped
    for page in output.rglob("*.html"):
        for ref in parse_links(page.read_text(encoding="utf-8")).refs:
            assert not ref.startswith("/"), (page, ref)


def test_paper_pages_stay_light(shipped: tuple[Path, Path]) -> None:
    _, output = shipped
    sizes = [p.stat().st_size for p in (output / "papers").glob("*/index.html")]
    assert len(sizes) == 360
    assert max(sizes) <= PAGE_LIMIT


def test_site_files_and_no_made_up_dates_or_relative_sitemap(shipped: tuple[Path, Path]) -> None:
    root, output = shipped
    for name in (".nojekyll", "404.html", "robots.txt", "papers.json", "search/index.html"):
        assert (output / name).is_file(), name
    assert (output / MANIFEST).is_file()
    # The shipped dumps are undated and there is no base_url: no feed (it would need dates
    # the input doesn't give) and no sitemap (it would need absolute URLs), and no link to either.
    assert not (output / "feed.xml").exists() and not (output / "sitemap.xml").exists()
    home = (output / "index.html").read_text()
    assert "feed.xml" not in home and "1970" not in home
    assert "Sitemap" not in (output / "robots.txt").read_text()


ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_has_one_entry_per_new_paper_dated_by_its_dump(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    abstract = "We study a problem and propose a method that works well on benchmarks. " * 3

    def dump(name: str, titles: list[str]) -> None:
        text = "".join(
            f"Subscribe {t}\n{abstract}\n" if i == 0 else f"{t}\n{abstract}\n"
            for i, t in enumerate(titles)
        )
        (content / "dumps" / name).write_text(text)

    dump("2026-01-02-feed.txt", ["Older One", "Older Two"])
    dump("2026-01-05-feed.txt", ["Newest B", "Older One", "Newest A"])
    dump("legacy.txt", ["Undated Paper"])
    (content / "site.yaml").write_text("title: Mine\nbase_url: https://x.org/list/\n")
    ingest(tmp_path)
    build(tmp_path, BuildOptions(tmp_path / "site"))
    feed = ET.parse(tmp_path / "site" / "feed.xml").getroot()
    entries = [
        (
            e.findtext(f"{ATOM}title"),
            e.findtext(f"{ATOM}updated"),
            e.find(f"{ATOM}link").get("href"),
        )
        for e in feed.findall(f"{ATOM}entry")
    ]
    assert entries == [
        ("Newest B", "2026-01-05T00:00:00Z", "https://x.org/list/papers/newest-b/"),
        ("Newest A", "2026-01-05T00:00:00Z", "https://x.org/list/papers/newest-a/"),
        ("Older One", "2026-01-02T00:00:00Z", "https://x.org/list/papers/older-one/"),
        ("Older Two", "2026-01-02T00:00:00Z", "https://x.org/list/papers/older-two/"),
    ]
    assert feed.findtext(f"{ATOM}updated") == "2026-01-05T00:00:00Z"
    assert all(
        e.findtext(f"{ATOM}summary").startswith("We study") for e in feed.iter(f"{ATOM}entry")
    )
    assert (
        "<loc>https://x.org/list/papers/undated-paper/</loc>"
        in (tmp_path / "site" / "sitemap.xml").read_text()
    )


def test_feed_is_well_formed_whatever_characters_titles_and_settings_hold(tmp_path: Path) -> None:
    # A title copied from a terminal (ESC, BEL) and a site title with a control character:
    # XML allows none of them, even escaped, and a feed reader refuses the whole feed.
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    abstract = "We study a problem and propose a method that works well on benchmarks. " * 3
    title = "Escape\x1b[31m Red\x07 Network"
    (content / "dumps" / "2026-01-02-odd.txt").write_text(f"Subscribe {title}\n{abstract}\n")
    (content / "site.yaml").write_text('title: "Mine\\x01 list"\nbase_url: https://x.org/list/\n')
    ingest(tmp_path)
    build(tmp_path, BuildOptions(tmp_path / "site"))
    feed = ET.parse(tmp_path / "site" / "feed.xml").getroot()  # raises if not well-formed
    assert feed.findtext(f"{ATOM}title") == "Mine list: new papers"
    assert [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")] == [
        "Escape[31m Red Network"
    ]


def test_base_url_makes_absolute_links_where_needed(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    root, _ = shipped
    output = tmp_path / "out"
    build(root, BuildOptions(output, base_url="https://example.org/reading/"))
    assert '<base href="https://example.org/reading/">' in (output / "404.html").read_text()
    assert "<loc>https://example.org/reading/papers/" in (output / "sitemap.xml").read_text()
    assert "Sitemap: https://example.org/reading/sitemap.xml" in (output / "robots.txt").read_text()
    home = (output / "index.html").read_text()
    assert '<link rel="canonical" href="https://example.org/reading/">' in home
    assert '<meta property="og:url" content="https://example.org/reading/">' in home
    paper = (output / "papers" / "geometry-distributions" / "index.html").read_text()
    assert '<meta property="og:type" content="article">' in paper
    assert '<meta property="og:title" content="Geometry Distributions">' in paper
    assert '<meta name="twitter:card" content="summary">' in paper
    assert broken_links(output, "https://example.org/reading/") == []


def test_base_url_must_be_a_url() -> None:
    assert resolve_base_url(None, "https://x.org/a") == "https://x.org/a/"
    assert resolve_base_url("", "https://x.org/a") == ""
    with pytest.raises(SitegenError):
        resolve_base_url("javascript:alert(1)", "")


def test_builds_are_reproducible(shipped: tuple[Path, Path], tmp_path: Path) -> None:
    root, output = shipped
    other_root = tmp_path / "elsewhere"
    shutil.copytree(root / "content", other_root / "content")
    build(other_root, BuildOptions(tmp_path / "out"))
    first, second = tree(output), tree(tmp_path / "out")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_rebuild_writes_nothing_and_removes_stale_pages(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    site_root = ingested_copy(shipped, tmp_path)
    output = tmp_path / "out"
    build(site_root, BuildOptions(output))
    (output / "mine.txt").write_text("not sitegen's")
    assert build(site_root, BuildOptions(output)).written == 0
    paper = load_project(site_root).papers[0]
    page_dir = output / "papers" / paper.slug
    assert page_dir.is_dir()
    (site_root / "content" / paper.source).unlink()
    result = build(site_root, BuildOptions(output))
    assert result.removed >= 1
    assert not page_dir.exists()
    assert (output / "mine.txt").exists()
    assert broken_links(output) == []


def test_user_templates_override_the_shipped_ones(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    site_root = ingested_copy(shipped, tmp_path)
    (site_root / "templates").mkdir()
    (site_root / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 class="mine">{{ paper.title }}</h1>'
        "{% endblock %}"
    )
    build(site_root, BuildOptions(tmp_path / "out"))
    page = (tmp_path / "out" / "papers" / "geometry-distributions" / "index.html").read_text()
    assert '<h1 class="mine">Geometry Distributions</h1>' in page
    assert "static/style.css" in page  # base.html still the shipped one


@pytest.mark.parametrize(
    ("template", "line"),
    [
        ("{% if %}", 1),  # a syntax error
        ('{% extends "base.html" %}\n{% block content %}\n{{ theme.nope }}{% endblock %}', 3),
        ('{% extends "base.html" %}\n{% block content %}\n\n{{ 1 // 0 }}{% endblock %}', 4),
    ],
)
def test_template_error_is_one_line_and_writes_nothing(
    shipped: tuple[Path, Path], tmp_path: Path, template: str, line: int
) -> None:
    site_root = ingested_copy(shipped, tmp_path)
    (site_root / "templates").mkdir()
    (site_root / "templates" / "theme.html").write_text(template)
    with pytest.raises(SitegenError) as caught:
        build(site_root, BuildOptions(tmp_path / "out"))
    message = str(caught.value)
    assert message.startswith(f"{site_root / 'templates' / 'theme.html'}:{line}: ")
    assert "\n" not in message
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.spool*"))  # pages rendered before the error are gone


def test_failed_rebuild_leaves_the_previous_site_byte_for_byte(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    site_root, out = ingested_copy(shipped, tmp_path), tmp_path / "out"
    build(site_root, BuildOptions(out))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shipped_paper = (Path(__file__).parent.parent / "templates" / "paper.html").read_text()
    (site_root / "templates").mkdir()
    # Fails on the last paper page only, after every other page was rendered (and spooled).
    last = sorted(p.stem for p in (site_root / "content" / "papers").glob("*/*.md"))[-1]
    (site_root / "templates" / "paper.html").write_text(
        shipped_paper.replace(
            "{% block content %}",
            f"{{% block content %}}{{% if paper.slug == {last!r} %}}{{{{ 1 // 0 }}}}{{% endif %}}",
            1,
        )
    )
    with pytest.raises(SitegenError, match="paper.html"):
        build(site_root, BuildOptions(out))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".out.spool*"))


def test_forked_rendering_gives_the_same_site_as_one_process(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, single = shipped
    forks: list[int] = []
    started: list[str] = []

    class Counted(sitegen.build.schedule.Forked):
        def __init__(self, function, *args) -> None:  # noqa: ANN001
            started.append(function.__name__)
            super().__init__(function, *args)

        def result(self) -> object:
            value = super().result()
            forks.append(value)
            return value

    real_discover = sitegen.discover.discover
    monkeypatch.setattr(
        sitegen.discover, "discover", lambda *a: started.append("discover") or real_discover(*a)
    )
    monkeypatch.setattr(sitegen.build.schedule, "Forked", Counted)

    # The renderer forks once the side copy is done: on a loaded machine this process could
    # make every page before then, and no renderer would start. So the first look waits
    # for the side copy to finish. So does discovery's look for the candidates: on a loaded
    # machine this process rendered every list while it waited for them, and the copy none
    # (the test named for that covers it); here every list ticket is taken by the copy.
    def finished(part: sitegen.build.schedule.Part) -> bool:
        part.wait()
        return True

    monkeypatch.setattr(sitegen.build.schedule.Part, "done", finished)
    monkeypatch.setattr(sitegen.build.schedule.Part, "ready", finished)
    lists_made = lists_rendered(tmp_path / "lists.log", monkeypatch)
    build(root, BuildOptions(tmp_path / "forked", fork=True))  # CLI: most pages in a fork
    # The renderer is read first; the side copy's candidates were taken early (listed None).
    (_, _, rendered, _, _), (candidates, searched, (_, _, listed, _, _)) = forks
    assert candidates is None
    site = make_site(build_library(load_project(root), "", PENDING))
    here = [r.path for r in routes_here(site, listed=True)]
    # One run of the table, its end: the renderer reads its own papers. It took the part
    # this process did not keep of the pages left when it started (it looks every few).
    assert list(rendered) == here[len(here) - len(rendered) :]
    kept = {renderer_start(len(here), done) for done in range(0, len(here), LOOK_EVERY)}
    assert len(here) - len(rendered) in kept and rendered
    # Discovery's candidates and the search index need only the papers, and a list page
    # shows nothing of discovery: one copy makes all three while this process computes
    # discovery.
    assert started == ["side_work", "discover", "render_routes"]
    assert "search/titles.js" in searched[0]  # (files, memo)
    # Each list once, all in the copy: this process waited for it before taking any.
    made = [path for _, path in lists_made()]
    lists = [r.path for r in shows_nothing_of_discovery(site)]
    assert sorted(made) == sorted(lists) and set(lists) <= set(listed)
    assert not [path for pid, path in lists_made() if pid == os.getpid()]
    assert "papers/index.html" in made and "themes/generative-models/index.html" in made
    assert not {"index.html", "map/index.html"} & set(listed)
    assert not [p for p in listed if p.startswith("papers/") and p.count("/") == 2]
    assert tree(tmp_path / "forked") == tree(single)


@pytest.mark.parametrize("pages", [1, 2, LOOK_EVERY, LOOK_EVERY + 1, 2 * LOOK_EVERY + 1, 250])
def test_each_page_is_rendered_once_wherever_the_renderer_starts(
    pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    schedule = sitegen.build.schedule
    table = [SimpleNamespace(path=f"p{n}", kind="paper") for n in range(pages)]
    here: list[str] = []
    there: list[list[str]] = []

    class Renderer:  # the forked renderer, run at once in this process
        def __init__(self, function: object, run: object, todo: list) -> None:
            there.append([route.path for route in todo])

        def result(self) -> tuple:
            return ({}, {}, dict.fromkeys(there[-1], b"there"), {}, {})

    monkeypatch.setattr(schedule, "routes_here", lambda site, listed: table)
    monkeypatch.setattr(schedule, "render_route", lambda run, r: here.append(r.path) or b"here")
    monkeypatch.setattr(schedule, "Forked", Renderer)
    monkeypatch.setattr(schedule, "share_before_fork", lambda run: None)

    class Lists:  # the side copy, done at its n-th look (or never)
        def __init__(self, looks: int) -> None:
            self.answers = iter([False] * looks + [True] * 10**6)

        def done(self) -> bool:
            return next(self.answers)

        def result(self) -> tuple:
            return ({}, {}, {}, {}, {})

    for looks in [0, 1, 2, 3, 10**6]:
        for launched in ({"lists": ("", Lists(looks))}, {}):
            here.clear(), there.clear()
            run = SimpleNamespace(
                launched=dict(launched),
                fork=True,
                site_unchanged=lambda: False,
                model=SimpleNamespace(site=None),
                options=SimpleNamespace(progress=None),
                rendered={},
                noted={},
                inputs={},
                spool=None,
            )
            outputs = schedule.render_all(run, set())
            made = here + [path for part in there for path in part]
            assert sorted(made) == sorted(outputs) == sorted(r.path for r in table)
            assert len(there) <= 1 and all(there)  # at most one renderer, never for nothing


def test_a_first_forked_build_compiles_the_templates_in_the_side_copy_beside_discovery(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_root, single = ingested_copy(shipped, tmp_path), shipped[1]
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(tmp_path / "compiled"))
    here: list[str] = []  # this process's steps (the copies' are theirs)
    real_compile, real_discover = (
        sitegen.build.schedule.compile_templates,
        sitegen.discover.discover,
    )
    monkeypatch.setattr(
        sitegen.build.schedule,
        "compile_templates",
        lambda env, unused: here.append("compile") or real_compile(env, unused),
    )
    monkeypatch.setattr(
        sitegen.discover, "discover", lambda *a: here.append("discover") or real_discover(*a)
    )
    build(site_root, BuildOptions(tmp_path / "forked", fork=True), BuildCache.load(site_root))
    assert here == ["discover", "compile"]  # none before the side copy started
    assert len(list((tmp_path / "compiled").iterdir())) >= 15  # kept, for this process too
    assert tree(tmp_path / "forked") == tree(single)


def test_templates_only_a_paper_page_renders_are_not_compiled_for_the_shipped_ones(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    project = load_project(ingested_copy(shipped, tmp_path), BuildCache())
    env = environment_for(project, BuildCache())
    compile_templates(env, unused_templates(env))
    names = {key[1] for key in env.cache}  # Jinja's cache: keys (loader ref, name)
    assert "base.html" in names and not names & set(PAPER_ONLY)
    (project.root / "templates").mkdir(exist_ok=True)
    (project.root / "templates" / "paper.html").write_text("{{ paper.title }}")
    own = environment_for(load_project(project.root, BuildCache()), BuildCache())
    assert unused_templates(own) == ()  # a site's own paper.html is Jinja's to render


def test_the_side_copy_finds_the_base_candidates_when_discovery_must_learn_its_base(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In CANDIDATES_ASIDE's sizes (widened here to any size, whatever they become), the side
    # copy finds the base generation's key-term candidates while this process makes the
    # vectors and the map, and hands them over before it ends; a remembered base needs none.
    import sitegen.keyterms

    site_root, cache = ingested_copy(shipped, tmp_path), BuildCache()
    monkeypatch.setattr(sitegen.build.schedule, "CANDIDATES_ASIDE", range(0, 10**6))
    where = tmp_path / "found-in"
    real = sitegen.keyterms.base_candidates

    def spy(*args: object) -> object:
        with where.open("a") as pids:
            pids.write(f"{os.getpid()}\n")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sitegen.keyterms, "base_candidates", spy)
    monkeypatch.setattr(sitegen.discover, "base_candidates", spy)
    taken: list[int] = []  # taken early (not once the copy is done: Part.result)
    real_early = sitegen.build.schedule.Part.early
    monkeypatch.setattr(
        sitegen.build.schedule.Part, "early", lambda part: taken.append(1) or real_early(part)
    )
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)
    found_in = where.read_text().split()
    assert len(found_in) == 1 and found_in[0] != str(os.getpid())  # once, in the copy
    assert taken == [1]
    build(site_root, BuildOptions(tmp_path / "clean"))  # one process, no cache
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")
    where.unlink()
    cache.forget_memos("discovery")  # the base generation is remembered (a new dump's case)
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)
    assert not where.exists()


def lists_rendered(log: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list]:
    """Log every list page rendered, in any process of the build (appended whole by each):
    the returned call reads them back as (pid, path)."""
    real_route = sitegen.build.schedule.render_route

    def logged(run: object, route: Route) -> object:
        if renders_beside_discovery(route):
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, f"{os.getpid()} {route.path}\n".encode())
            finally:
                os.close(fd)
        return real_route(run, route)  # type: ignore[arg-type]

    monkeypatch.setattr(sitegen.build.schedule, "render_route", logged)

    def read() -> list[tuple[int, str]]:
        lines = log.read_text().splitlines() if log.exists() else []
        return [(int(pid), path) for pid, path in (line.split(" ", 1) for line in lines)]

    return read


def test_while_discovery_waits_for_the_copys_candidates_this_process_renders_lists(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The side copy finds its candidates only once this process has rendered five lists
    # (held back here), and this process renders slowly: it renders the first lists while
    # it waits; every list is rendered once, here or in the copy, and the site is the
    # one-process build's.
    site_root, me, marker = ingested_copy(shipped, tmp_path), os.getpid(), tmp_path / "five"
    rendered = lists_rendered(tmp_path / "lists.log", monkeypatch)
    monkeypatch.setattr(sitegen.build.schedule, "CANDIDATES_ASIDE", range(0, 10**6))
    real_candidates = sitegen.discover.base_candidates
    real_route = sitegen.build.schedule.render_route
    made_here: list[str] = []

    def held(*args: object) -> object:  # in the copy
        for _ in range(3000):
            if marker.exists():
                break
            time.sleep(0.01)
        return real_candidates(*args)  # type: ignore[arg-type]

    def slow(run: object, route: Route) -> object:
        if os.getpid() == me and renders_beside_discovery(route):  # 30 ms a list here
            made_here.append(route.path)
            if len(made_here) == 5:
                marker.touch()
            time.sleep(0.03)
        return real_route(run, route)  # type: ignore[arg-type]

    monkeypatch.setattr(sitegen.discover, "base_candidates", held)
    monkeypatch.setattr(sitegen.build.schedule, "render_route", slow)
    build(site_root, BuildOptions(tmp_path / "out", fork=True), BuildCache())
    lists = [
        r.path
        for r in shows_nothing_of_discovery(make_site(build_library(load_project(site_root))))
    ]
    here = [path for path in made_here if path in lists]
    assert len(here) >= 5 and here[:5] == lists[:5]  # the first, while discovery waited
    assert sorted(path for _, path in rendered()) == sorted(lists)  # each once
    monkeypatch.undo()
    build(site_root, BuildOptions(tmp_path / "clean"))  # one process, no cache
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")  # the rest: the copy's


def test_this_process_renders_the_lists_the_side_copy_has_not_come_to_once_its_own_are_made(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The side copy is held before its search index until this process has rendered every
    # list: having made its own pages, this process takes the lists the copy has not come
    # to, each once, and the copy then finds none left. The site is the one-process build's.
    site_root, me, marker = ingested_copy(shipped, tmp_path), os.getpid(), tmp_path / "all"
    rendered = lists_rendered(tmp_path / "lists.log", monkeypatch)
    real_compile = sitegen.build.schedule.compile_templates
    real_route = sitegen.build.schedule.render_route
    lists = [
        r.path
        for r in shows_nothing_of_discovery(make_site(build_library(load_project(site_root))))
    ]
    made_here: list[str] = []

    def held(env: object, unused: object) -> object:  # in the side copy, first
        for _ in range(2000):
            if os.getpid() == me or marker.exists():
                break
            time.sleep(0.01)
        return real_compile(env, unused)  # type: ignore[arg-type]

    def spied(run: object, route: Route) -> object:
        if os.getpid() == me and renders_beside_discovery(route):
            made_here.append(route.path)
            if len(made_here) == len(lists):
                marker.touch()
        return real_route(run, route)  # type: ignore[arg-type]

    monkeypatch.setattr(sitegen.build.schedule, "compile_templates", held)
    monkeypatch.setattr(sitegen.build.schedule, "render_route", spied)
    build(site_root, BuildOptions(tmp_path / "out", fork=True), BuildCache())
    assert made_here == lists  # all, in order
    assert rendered() == [(me, path) for path in lists]  # none again in the copy
    monkeypatch.undo()
    build(site_root, BuildOptions(tmp_path / "clean"))  # one process, no cache
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")


def test_a_side_copy_that_fails_finding_candidates_fails_the_build_with_its_own_error(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The copy is gone before this process tells it how many lists it took: its error is
    # what the build says, and nothing is left open or half-written beside the output.
    site_root = ingested_copy(shipped, tmp_path)
    monkeypatch.setattr(sitegen.build.schedule, "CANDIDATES_ASIDE", range(0, 10**6))

    def boom(*args: object) -> object:
        raise SitegenError("candidates: boom")

    monkeypatch.setattr(sitegen.discover, "base_candidates", boom)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(SitegenError, match="candidates: boom"):
        build(site_root, BuildOptions(tmp_path / "out", fork=True), BuildCache())
    assert len(os.listdir("/proc/self/fd")) == fds
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no spool


def test_a_build_failing_before_its_pages_are_rendered_leaves_no_copy_or_pipe_open(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The side copy, and the lists' tickets this process would take, are started before
    # discovery; a failure after it, before render_all takes them, stops and closes them.
    site_root = ingested_copy(shipped, tmp_path)

    def boom(run: object) -> object:
        raise SitegenError("late job: boom")

    monkeypatch.setattr(sitegen.build.write, "LATE_JOBS", [boom])
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(SitegenError, match="late job: boom"):
        build(site_root, BuildOptions(tmp_path / "out", fork=True), BuildCache())
    assert len(os.listdir("/proc/self/fd")) == fds
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no spool


def test_a_forked_rebuild_renders_the_lists_in_the_side_copy_only_while_discovery_runs(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_root, cache = ingested_copy(shipped, tmp_path), BuildCache()
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)
    theme = (Path(__file__).parent.parent / "templates" / "theme.html").read_text()
    (site_root / "templates").mkdir()
    changed = theme.replace("{% block content %}", "{% block content %}<!-- changed -->", 1)
    (site_root / "templates" / "theme.html").write_text(changed)
    cache.forget_memos()  # discovery runs again, beside the copy
    launches: list[object] = []
    real = sitegen.build.launch_side

    def launch(run, group, aside=None, data=True):  # as build and launch_lists call it
        launches.append((group, run is not None))
        return real(run, group, aside, data)

    monkeypatch.setattr(sitegen.build, "launch_side", launch)
    monkeypatch.setattr(sitegen.build.schedule, "launch_side", launch)
    made_here: list[str] = []  # papers.json and the other data files, made in this process
    real_data = sitegen.build.write.data_outputs
    monkeypatch.setattr(
        sitegen.build.write, "data_outputs", lambda run: made_here.append("data") or real_data(run)
    )
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)
    # The search index was up to date: the copy renders only the lists (and the data files,
    # made there, not here), beside discovery.
    assert launches == [(None, True)] and made_here == []
    built = tree(tmp_path / "out")
    assert b"<!-- changed -->" in built["themes/graphs/index.html"]
    (site_root / "templates" / "theme.html").write_text(changed.replace("changed", "again"))
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)
    assert launches[-1] == (None, False)  # discovery memoised: no side copy at all
    assert made_here == ["data"]
    cache.forget_memos("discovery")  # due again, from the remembered base (a new dump's
    build(site_root, BuildOptions(tmp_path / "out", fork=True), cache)  # case): lists aside
    assert launches[-1] == (None, True)
    built = tree(tmp_path / "out")
    assert b"<!-- again -->" in built["themes/graphs/index.html"]
    build(site_root, BuildOptions(tmp_path / "clean"))
    assert built == tree(tmp_path / "clean")


def test_a_one_shot_build_hands_its_views_discovery_as_made(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    project = load_project(ingested_copy(shipped, tmp_path))
    one_shot = discovery_of(project, BuildCache(), DiscoveryRun(spill=True))
    slug = project.papers[0].slug
    assert len(one_shot.related.made) == len(project.papers)  # nothing decoded again
    # Not in a build that lives on (serve): it would hold them all, and a preview keys its
    # open pages by their views' pickles, which strings shared as made would change.
    kept = discovery_of(project, BuildCache())
    assert kept.related.made == {} and kept.related[slug] == one_shot.related[slug]
    assert kept == one_shot


def test_discovery_kept_only_as_plain_makes_no_related_objects(
    shipped: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a one-shot build's views read discovery as made: elsewhere (serve, the early
    # copy) the related lists are made as the text kept, never as objects to encode.
    from sitegen.build.model import discovered
    from sitegen.model import discovery as model

    made: list[object] = []

    class Counted(model.Related):
        def __init__(self, *fields: object) -> None:
            made.append(fields)
            super().__init__(*fields)

    monkeypatch.setattr(model, "Related", Counted)
    project = load_project(ingested_copy(shipped, tmp_path))
    plain = discovered(project, BuildCache(), DiscoveryRun()).plain
    assert made == []
    one_shot = discovered(project, BuildCache(), DiscoveryRun(spill=True))
    assert len(made) > 4 * len(project.papers) and one_shot.plain == plain
    assert one_shot.made is not None
    made.clear()  # a one-shot build too large to keep discovery as made: text only
    monkeypatch.setattr(sitegen.build.model, "MADE_KEPT_UP_TO", len(project.papers) - 1)
    large = discovered(project, BuildCache(), DiscoveryRun(spill=True))
    assert made == [] and large.made is None and large.plain == plain


@pytest.mark.parametrize("where", ["every paper page", "one page the renderer makes"])
def test_a_template_error_in_forked_rendering_is_one_line_and_writes_nothing(
    shipped: tuple[Path, Path], tmp_path: Path, where: str
) -> None:
    site_root = ingested_copy(shipped, tmp_path)
    condition = "true"
    if where == "one page the renderer makes":
        project = load_project(site_root)
        site = make_site(build_library(project, "", discovery_of(project, BuildCache())))
        # The last paper of the table: the renderer's, whenever it starts (the lists render
        # in their own copy).
        papers = [r for r in routes_here(site, listed=True) if r.kind == "paper"]
        condition = f"paper.slug == {papers[-1].path.split('/')[1]!r}"
    shipped_paper = (Path(__file__).parent.parent / "templates" / "paper.html").read_text()
    (site_root / "templates").mkdir()
    (site_root / "templates" / "paper.html").write_text(
        shipped_paper.replace(
            "{% block content %}",
            f"{{% block content %}}{{% if {condition} %}}{{{{ 1 // 0 }}}}{{% endif %}}",
            1,
        )
    )
    with pytest.raises(SitegenError) as caught:
        build(site_root, BuildOptions(tmp_path / "out", fork=True))
    assert "paper.html" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.spool*"))


# ------------------------------------------------------------ under a prefix, over HTTP


@pytest.fixture(scope="module")
def served(shipped: tuple[Path, Path]) -> Iterator[str]:
    """The shipped site served under http://127.0.0.1:PORT/prefix/ only."""
    with serve_static(shipped[1], "/prefix/") as url:
        yield url


def fetch(url: str) -> tuple[int, bytes]:
    """GET a URL: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_site_works_under_a_prefix(served: str) -> None:
    seen: set[str] = set()
    queue = [served]
    failures: list[str] = []
    deadline = time.monotonic() + 120
    while queue and time.monotonic() < deadline:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        status, body = fetch(url)
        if status != 200:
            failures.append(f"{status} {url}")
            continue
        if not (url.endswith("/") or url.endswith(".html")):
            continue
        for ref in parse_links(body.decode("utf-8")).refs:
            target = urldefrag(urljoin(url, ref))[0].split("?")[0]
            if target.startswith(served) and target not in seen:
                queue.append(target)
    assert failures == []
    assert len(seen) > 400  # every page and asset was reached through links alone
    assert f"{served}papers/geometry-distributions/" in seen
    assert fetch(served.replace("/prefix/", "/"))[0] == 404  # nothing leaks outside the prefix


# ------------------------------------------------------------ a synthetic large catalogue


def write_synthetic(root: Path, count: int) -> None:
    """A catalogue of `count` pages spread over three themes, with one dump listing some."""
    content = root / "content"
    shutil.copy(Path(__file__).parent.parent / "content" / "themes.yaml", content / "themes.yaml")
    themes = ("architectures", "generative-models", "language")
    for i in range(count):
        folder = content / "papers" / themes[i % 3]
        folder.mkdir(parents=True, exist_ok=True)
        title = f"Synthetic paper number {i:05d} about scaling"
        abstract = f"We study item {i}. " + "Long filler sentence about models and data. " * 20
        (folder / f"synthetic-{i:05d}.md").write_text(
            f"---\ntitle: {title}\nslug: synthetic-{i:05d}\ntags: [t{i % 7}]\n---\n\n{abstract}\n"
        )


@pytest.mark.parametrize("count", [30])
def test_page_weight_does_not_grow_with_the_corpus(tmp_path: Path, count: int) -> None:
    sizes = {}
    for n in (count, 3000):
        root = tmp_path / f"n{n}"
        (root / "content").mkdir(parents=True)
        write_synthetic(root, n)
        started = time.monotonic()
        build(root, BuildOptions(root / "site"))
        elapsed = time.monotonic() - started
        pages = list((root / "site" / "papers").glob("*/index.html"))
        assert len(pages) == n
        sizes[n] = max(p.stat().st_size for p in pages)
        theme_pages = list((root / "site" / "themes").rglob("index.html"))
        assert len(theme_pages) == 3 * -(-n // 3 // 50)  # paginated at per_page=50
        for listing in theme_pages + list((root / "site" / "papers" / "_page").rglob("*.html")):
            assert listing.stat().st_size < 100 * 1024, listing
    assert sizes[3000] <= PAGE_LIMIT
    assert sizes[3000] - sizes[count] < 200  # only digits in counts differ
    assert elapsed < 30


# ------------------------------------------------------------ look and feel in Chromium


def test_phone_menu_theme_toggle_and_keyboard(served: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    paper_url = f"{served}papers/geometry-distributions/"
    page.goto(paper_url)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways on a phone
    assert not page.locator("#sidebar").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.click(".menu-toggle")
    assert page.locator("#sidebar").is_visible()
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert not page.locator("#sidebar").is_visible()
    page.click("[data-theme-toggle]")
    assert page.get_attribute("html", "data-theme") == "dark"
    page.goto(f"{served}papers/")
    assert page.get_attribute("html", "data-theme") == "dark"  # the choice is remembered
    assert page.get_attribute("[data-theme-toggle]", "aria-pressed") == "true"
    page.fill("#site-search", "diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served}search/?q=diffusion")
    context.close()
    assert requests and all(url.startswith(served) for url in requests)


def luminance(hex_colour: str) -> float:
    """Relative luminance of #rrggbb (WCAG 2)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colour_pairs_meet_wcag_aa() -> None:
    css = (Path(__file__).parent.parent / "static" / "style.css").read_text()
    blocks = re.findall(r"(?::root|:root\[data-theme=\"dark\"\])\s*\{([^}]*)\}", css)
    assert len(blocks) == 2  # light, and the dark toggle (the media query copies it)
    pairs = [
        ("text", "bg"),
        ("text", "bg-soft"),
        ("muted", "bg"),
        ("muted", "bg-soft"),
        ("accent", "bg"),
        ("accent", "bg-soft"),
        ("accent-strong", "accent-soft"),
        ("badge-dump-text", "badge-dump-bg"),
        ("badge-tag-text", "badge-tag-bg"),
        ("bg", "accent"),
        ("bg", "text"),
    ]
    for block in blocks:
        colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", block))
        for fg, bg in pairs:
            assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)


def test_site_browses_from_disk(shipped: tuple[Path, Path], browser: object) -> None:
    _, site = shipped
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto((site / "index.html").as_uri())
    page.click("#sidebar a[href*='themes/']")
    page.wait_for_url("**/themes/**/index.html")
    assert page.locator("h1").count() == 1 and "Index of" not in page.content()
    page.locator("main a[href*='papers/']").first.click()
    page.wait_for_url("**/papers/**/index.html")
    assert page.locator("h1").count() == 1
    page.close()


def test_output_files_are_world_readable(shipped: tuple[Path, Path]) -> None:
    _, site = shipped
    modes = {oct(p.stat().st_mode & 0o777) for p in site.rglob("*") if p.is_file()}
    assert modes == {oct(0o644)}


def test_an_older_dump_ingested_later_does_not_take_papers_another_dump_added(
    tmp_path: Path,
) -> None:
    """Dump A (2026-01-02) lists One and Two; dump B (2026-01-01), ingested after, One and Three.

    One was added by A. The dump pages, the feed and the map's timeline all say so.
    """
    from test_ingest import add_dump

    from sitegen.build import ingest_and_build
    from sitegen.ingest import ingest

    (tmp_path / "content" / "dumps").mkdir(parents=True)
    add_dump(tmp_path, "2026-01-02-a.txt", "One Paper On Graphs", "Two Paper On Graphs")
    assert not ingest(tmp_path).errors
    add_dump(tmp_path, "2026-01-01-b.txt", "One Paper On Graphs", "Three Paper On Graphs")
    output = tmp_path / "site"
    ingest_and_build(tmp_path, BuildOptions(output))
    a = (output / "dumps" / "2026-01-02" / "index.html").read_text()
    b = (output / "dumps" / "2026-01-01" / "index.html").read_text()
    assert "One Paper On Graphs" in a and "Two Paper On Graphs" in a
    assert "Three Paper On Graphs" in b and "One Paper On Graphs" not in b
    timeline = (output / "map" / "index.html").read_text().split('id="timeline-heading"')[1]
    assert re.findall(r'chart-count">\+(\d+)', timeline) == ["2", "1"]  # A, then B: newest first
    feed = ET.parse(output / "feed.xml").getroot()
    dated = {
        e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry")
    }
    assert dated["One Paper On Graphs"] == dated["Two Paper On Graphs"] == "2026-01-02T00:00:00Z"
    assert dated["Three Paper On Graphs"] == "2026-01-01T00:00:00Z"


def test_a_status_is_written_the_same_way_in_papers_json_and_on_pages(
    shipped: tuple[Path, Path], tmp_path: Path
) -> None:
    import json

    root = ingested_copy(shipped, tmp_path)
    page = next((root / "content" / "papers").rglob("*.md"))
    page.write_text(page.read_text().replace("---\n", "---\nstatus: To read\n", 1))
    build(root, BuildOptions(root / "site"))
    records = json.loads((root / "site" / "papers.json").read_text())
    assert [r["status"] for r in records if r["status"]] == ["to-read"]
    html = (root / "site" / "papers" / page.stem / "index.html").read_text()
    assert "status-to-read" in html


def test_a_large_sites_papers_json_leaves_the_abstracts_out() -> None:
    import json

    from test_library import paper

    from sitegen.build.outputs import papers_json

    papers = [paper("b", "Bee", "alpha", ("d",)), paper("a", "Ant", "alpha", ())]
    full, lean = json.loads(papers_json(papers)), json.loads(papers_json(papers, abstracts=False))
    assert [p["slug"] for p in lean] == ["a", "b"] and all("abstract" not in p for p in lean)
    assert [{k: v for k, v in p.items() if k != "abstract"} for p in full] == lean
    assert full[0]["abstract"].startswith("About Ant")
