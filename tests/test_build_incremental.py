"""Incremental builds produce exactly what a clean build produces, whatever the edits."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import tempfile
from array import array
from pathlib import Path
from typing import Any

import pytest
from conftest import run_sitegen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitegen.build.model
import sitegen.build.outputs
import sitegen.build.run
import sitegen.build.schedule
import sitegen.build.write
import sitegen.cache
import sitegen.corpus_themes
import sitegen.discover
import sitegen.model.discovery
import sitegen.textmap
import sitegen.views.pages
from sitegen import search
from sitegen.build import BuildOptions, ingest_and_build, quick_build, template_build
from sitegen.build.options import Preview
from sitegen.build.schedule import EarlyDiscovery
from sitegen.cache import BuildCache, memo_file
from sitegen.catalog import read_pages
from sitegen.errors import SitegenError
from sitegen.ingest import ingest
from sitegen.model.library import SectionKey
from sitegen.output import Kept
from sitegen.themes import Taxonomy

REPO = Path(__file__).resolve().parent.parent
TOPICS = [
    "diffusion models denoise images step by step",
    "graph neural networks pass messages between nodes of molecules",
    "vision transformers split images into patches with attention",
    "adversarial attacks fool classifiers with small perturbations",
    "language models predict the next token of text",
    "point clouds and neural radiance fields reconstruct 3D scenes",
]


def abstract(topic: int, variant: int) -> str:
    """A plausible abstract about one topic."""
    return (
        f"We study {TOPICS[topic % len(TOPICS)]}. Our method, variant {variant}, improves "
        "accuracy on standard benchmarks while remaining simple. Code is at "
        f"https://github.com/example/p{variant}."
    )


def dump_text(papers: list[tuple[str, int]]) -> str:
    """A compact dump listing (title, topic) pairs."""
    body = "".join(f"{title}\n{abstract(topic, n)}\n" for n, (title, topic) in enumerate(papers))
    return "Subscribe" + body


def make_site(root: Path) -> None:
    """A small site: one dump of 10 papers, the shipped themes and settings."""
    content = root / "content"
    (content / "dumps").mkdir(parents=True)
    shutil.copy(REPO / "content" / "themes.yaml", content / "themes.yaml")
    (content / "site.yaml").write_text("title: Small list\nper_page: 3\n")
    papers = [(f"Paper Number {i}", i) for i in range(10)]
    (content / "dumps" / "2026-01-01-first.txt").write_text(dump_text(papers))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def page_paths(root: Path) -> list[Path]:
    """The current page files, in a stable order."""
    return [page.path for page in read_pages(root / "content" / "papers")]


# Each edit is (kind, a number that picks what to edit).
EDITS = st.tuples(
    st.sampled_from(
        [
            "edit-abstract",
            "add-notes",
            "front-matter",
            "tag",
            "second-theme",
            "move",
            "delete",
            "add-dump",
            "edit-themes",
            "edit-site",
            "override-template",
            "remove-template",
        ]
    ),
    st.integers(min_value=0, max_value=1000),
)


def apply_edit(root: Path, kind: str, n: int) -> set[Path]:
    """Perform one user edit on the site's files; return the page files it touched."""
    content = root / "content"
    pages = page_paths(root)
    page = pages[n % len(pages)] if pages else None
    if kind == "edit-abstract" and page:
        text = page.read_text()
        page.write_text(text.replace("We study", f"We carefully study ({n})", 1))
        return {page}
    if kind == "add-notes" and page:
        page.write_text(page.read_text() + f"\n## Notes\n\nNote {n} with a *twist*.\n")
        return {page}
    if kind == "front-matter" and page:
        page.write_text(page.read_text().replace("---\n", f"---\nrating: {n}\n", 1))
        return {page}
    elif kind == "tag" and page:
        status = ["to-read", "reading", "read"][n % 3]
        page.write_text(
            page.read_text().replace("---\n", f"---\ntags: [t{n % 3}]\nstatus: {status}\n", 1)
        )
    elif kind == "second-theme" and page:
        # Listed in another theme too: its page stays placed in its own theme's list.
        folders = sorted(f.name for f in (content / "papers").iterdir() if f.is_dir())
        other = folders[n % len(folders)]
        page.write_text(page.read_text().replace("---\n", f"---\nthemes: [{other}]\n", 1))
        return {page}
    elif kind == "move" and page:
        target = content / "papers" / ["theory", "graphs", "my-folder"][n % 3] / page.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.replace(page, target)
    elif kind == "delete" and page:
        page.unlink()
    elif kind == "add-dump":
        papers = [(f"Paper Number {n % 13 + i}", n + i) for i in range(3)]
        (content / "dumps" / f"2026-02-{n % 28 + 1:02d}-more-{n}.txt").write_text(dump_text(papers))
    elif kind == "edit-themes":
        themes = content / "themes.yaml"
        themes.write_text(themes.read_text().replace("title: Theory", f"title: Theory {n}", 1))
    elif kind == "edit-site":
        (content / "site.yaml").write_text(f"title: Small list {n}\nper_page: {n % 4 + 2}\n")
    elif kind == "override-template":
        shipped = (REPO / "templates" / "paper.html").read_text()
        (root / "templates").mkdir(exist_ok=True)
        marker = f"<p class='marker'>edit {n}</p>{{% endblock %}}"
        (root / "templates" / "paper.html").write_text(shipped.replace("{% endblock %}", marker, 1))
    elif kind == "remove-template":
        shutil.rmtree(root / "templates", ignore_errors=True)
    return set()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(EDITS, min_size=1, max_size=5),
    st.sampled_from(["memory", "disk", "fast"]),
    st.sampled_from([(256, (5, 4)), (4, (5, 4)), (4, (2, 1))]),
)
def test_incremental_build_equals_clean_build(
    edits: list[tuple[str, int]], mode: str, generation: tuple[int, tuple[int, int]]
) -> None:
    # A start of 4: discovery's statistics come from a base of the oldest papers
    # (model.discovery.generation) even in this small site, and dumps move past it; growing
    # by doubling, the base stays put over several dumps, which extend the remembered one.
    with (
        tempfile.TemporaryDirectory() as tmp,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(sitegen.model.discovery, "GENERATION_START", generation[0])
        patch.setattr(sitegen.model.discovery, "GENERATION_GROWTH", generation[1])
        root = Path(tmp) / "site-root"
        make_site(root)
        output = root / "site"
        cache, options = BuildCache.load(root), BuildOptions(output)
        last = ingest_and_build(root, options, cache)[1].model
        for kind, n in edits:
            touched = apply_edit(root, kind, n)
            if mode == "disk":  # a fresh process: the cache comes back from disk, no model
                cache, last = BuildCache.load(root), None
            # "fast": serve's paths for saved pages and for template edits (continuing
            # from the last model), falling back to a full build.
            looks_only = kind in ("override-template", "remove-template")
            fast = None
            if mode == "fast" and looks_only:
                fast = template_build(last, options, cache, None)
            elif mode == "fast" and touched:
                fast = quick_build(last, touched, options, cache, None)
            last = (fast or ingest_and_build(root, options, cache)[1]).model
            clean = Path(tmp) / f"clean-{kind}-{n}"
            ingest_and_build(root, BuildOptions(clean), BuildCache())
            assert tree(output) == tree(clean), f"after {kind} {n}"
            shutil.rmtree(clean)


def test_incremental_build_renders_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache = BuildCache.load(tmp_path)
    ingest_and_build(tmp_path, BuildOptions(output), cache)
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n## Notes\n\nOnly this page changes.\n")
    renders: list[str] = []
    real_render = sitegen.build.run.render_page
    monkeypatch.setattr(
        sitegen.build.run, "render_page", lambda e, t, c: renders.append(t) or real_render(e, t, c)
    )
    views: list[str] = []  # views made (and hashed): only where a page's inputs changed
    real_key = sitegen.build.run.page_key
    monkeypatch.setattr(
        sitegen.build.run, "page_key", lambda s, v: views.append(v.path) or real_key(s, v)
    )
    catalogues: list[int] = []  # papers.json made: not for notes, which it doesn't show
    real_json = sitegen.build.outputs.papers_json
    monkeypatch.setattr(
        sitegen.build.outputs, "papers_json", lambda p, a: catalogues.append(1) or real_json(p, a)
    )
    cache = BuildCache.load(tmp_path)
    _, result = ingest_and_build(tmp_path, BuildOptions(output), cache)
    assert cache.misses == 1  # only the edited page was parsed again
    assert renders == ["paper.html"]  # the feed is a view like any other: unchanged, not rendered
    assert catalogues == []
    # Notes show on their own page only, which is made without hashing its view (a paper's
    # page is keyed by what it shows: build.keys.PaperPageKeys); no other view is made.
    assert views == []
    changed = sorted(
        p.relative_to(output).as_posix()
        for p in output.rglob("*.html")
        if p.stat().st_mtime_ns != before.get(p)
    )
    assert changed == [f"papers/{page.stem}/index.html"]
    assert result.written >= 1  # the page, plus the search index that covers notes
    page.write_text(page.read_text().replace("title: ", "title: Retitled ", 1))
    ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    assert catalogues == [1]
    assert '"title": "Retitled ' in (output / "papers.json").read_text()


def test_a_new_dump_renders_only_the_paper_pages_that_show_its_paper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A base of 9 papers for both builds (10 papers, then 11): the statistics stay put.
    monkeypatch.setattr(sitegen.model.discovery, "GENERATION_START", 5)
    make_site(tmp_path)
    output = tmp_path / "site"
    _, first = ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    dump = tmp_path / "content" / "dumps" / "2026-02-01-second.txt"
    dump.write_text(dump_text([("A Brand New Paper On Diffusion", 0)]))
    renders: list[str] = []
    real_render = sitegen.build.run.render_page

    def counting(env, template, context):  # noqa: ANN001, ANN202
        renders.append(context["page"].path if "page" in context else template)
        return real_render(env, template, context)

    monkeypatch.setattr(sitegen.build.run, "render_page", counting)
    made: list[str] = []  # paper views made: only for pages whose shown inputs changed
    real_view = sitegen.views.pages.paper_view
    monkeypatch.setattr(
        sitegen.views.pages, "paper_view", lambda *a: made.append(a[1]) or real_view(*a)
    )
    _, result = ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    library = result.model.site.library
    [new] = set(library.papers) - set(first.model.site.library.papers)
    slugs = library.section(SectionKey.theme(library.papers[new].theme)).slugs
    at = slugs.index(new)
    showing = {new, *slugs[max(0, at - 2) : at + 3]}  # itself, and its sidebar neighbours
    related = library.discovery.related.items()
    showing |= {slug for slug, found in related if new in {r.slug for r in found}}
    rendered = {p.split("/")[1] for p in renders if p.startswith("papers/") and p.count("/") == 2}
    assert new in rendered and rendered <= showing
    assert len(library.papers) == 11 and len(showing) < 11
    assert set(made) == rendered  # the site key changed, but no other paper's view was made


def test_a_new_dump_extends_the_remembered_base_and_classifies_only_its_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A base of the 8 oldest papers (the next one is 16): the dump adds 3 papers after it.
    monkeypatch.setattr(sitegen.model.discovery, "GENERATION_START", 4)
    monkeypatch.setattr(sitegen.model.discovery, "GENERATION_GROWTH", (2, 1))
    make_site(tmp_path)
    output = tmp_path / "site"
    ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    (tmp_path / "content" / "dumps" / "2026-02-01-second.txt").write_text(
        dump_text([("A Brand New Paper On Diffusion", 0), ("Graphs Again", 1), ("Patches", 2)])
    )
    learnt, classified = [], []
    real_learn, real_classify = sitegen.discover.learn_generation, sitegen.corpus_themes.classify
    monkeypatch.setattr(
        sitegen.discover, "learn_generation", lambda *a: learnt.append(1) or real_learn(*a)
    )
    monkeypatch.setattr(
        sitegen.corpus_themes,
        "classify",
        lambda t, *a: classified.append(t) or real_classify(t, *a),
    )
    termed, real_terms = [], sitegen.discover.ranked_candidates
    monkeypatch.setattr(
        sitegen.discover,
        "ranked_candidates",
        lambda texts, **k: termed.extend(t for t, _ in texts) or real_terms(texts, **k),
    )
    _, result = ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    assert not learnt and len(result.model.site.library.papers) == 13
    new = ["A Brand New Paper On Diffusion", "Graphs Again", "Patches"]
    assert sorted(classified) == new and sorted(termed) == new  # the 2 older later ones: kept
    ingest_and_build(tmp_path, BuildOptions(tmp_path / "clean"), BuildCache())
    assert learnt == [1] and tree(output) == tree(tmp_path / "clean")


def second_dump(root: Path) -> None:
    """A new dump of three papers, one of them on a topic of the first dump's."""
    (root / "content" / "dumps" / "2026-02-01-second.txt").write_text(
        dump_text([("A Brand New Paper On Diffusion", 0), ("Graphs Again", 1), ("Patches", 2)])
    )


def small_generations(monkeypatch: pytest.MonkeyPatch, growth: tuple[int, int] = (2, 1)) -> None:
    """Bases from 4 papers, growing by `growth`: by default a base of the 8 oldest papers
    (the next one is 16), and a second dump comes after it."""
    monkeypatch.setattr(sitegen.model.discovery, "GENERATION_START", 4)
    monkeypatch.setattr(sitegen.model.discovery, "GENERATION_GROWTH", growth)


def built_with_a_second_dump(
    root: Path, monkeypatch: pytest.MonkeyPatch, growth: tuple[int, int] = (2, 1)
) -> Path:
    """A small site built once (forked, as the CLI builds), then given a second dump (after
    its base generation, with the default `growth`); its output folder."""
    small_generations(monkeypatch, growth)
    make_site(root)
    output = root / "site"
    ingest_and_build(root, BuildOptions(output, fork=True), BuildCache.load(root))
    second_dump(root)
    return output


def equals_a_clean_build(root: Path, output: Path) -> bool:
    """Whether output holds what a clean build of root (no cache, one process) makes."""
    ingest_and_build(root, BuildOptions(root / "clean"), BuildCache())
    return tree(output) == tree(root / "clean")


def test_a_new_dump_s_discovery_is_made_beside_its_placing_and_equals_a_clean_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first list has no base generation to extend: the copy hands back nothing, and the
    # build makes discovery (and its base) itself.
    output = built_with_a_second_dump(tmp_path, monkeypatch)
    started, real_start = [], sitegen.build.schedule.EarlyDiscovery.start

    def start(self, *args):  # once the copy is forked, this process must not discover
        real_start(self, *args)
        started.append(self.copy is not None)
        monkeypatch.setattr(sitegen.build.model, "discovered", refuse)

    def refuse(*args):
        raise AssertionError("discovery made again in the build's process")

    monkeypatch.setattr(sitegen.build.schedule.EarlyDiscovery, "start", start)
    data_log = spied_data(tmp_path, monkeypatch)  # made here, while the copy discovers
    log, real_write = tmp_path / "writes", sitegen.cache.write_part

    def spied(path: Path, value: object) -> None:  # in any process
        with log.open("a") as writes:
            writes.write(f"{os.getpid()} {path.name}\n")
        real_write(path, value)

    monkeypatch.setattr(sitegen.cache, "write_part", spied)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert started == [True] and data_log.read_text().split() == [str(os.getpid())]  # once
    # Discovery's memo and the later papers' are written once, by the copy that made them
    # (beside the build, not by this process at its end).
    memos = {memo_file("discovery"), memo_file("discovery-later")}
    writes = [line.split() for line in log.read_text().splitlines()]
    by = [(int(pid), name) for pid, name in writes if name in memos]
    assert sorted(name for _, name in by) == sorted(memos)
    assert all(pid != os.getpid() for pid, _ in by)
    monkeypatch.undo()
    small_generations(monkeypatch)
    assert equals_a_clean_build(tmp_path, output)
    # The build kept the copy's discovery under its own key: the next one reads it.
    monkeypatch.setattr(sitegen.build.model, "discovered", refuse)
    cache = BuildCache.load(tmp_path)
    assert ingest_and_build(tmp_path, BuildOptions(output, fork=True), cache)[1].written == 0


def logged_calls(monkeypatch: pytest.MonkeyPatch, log: Path, name: str, *modules: Any) -> Path:
    """`log`, where each call of the function `name` of these modules (the first one's is the
    real one) writes its process's id, in any process."""
    real = getattr(modules[0], name)

    def logged(*args: Any) -> Any:
        with log.open("a") as calls:
            calls.write(f"{os.getpid()}\n")
        return real(*args)

    for module in modules:
        monkeypatch.setattr(module, name, logged)
    return log


def spied_data(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that lists the process of each making of the data files (papers.json...): in a
    copy that renders (build.schedule), or at the end, when none did (build.write)."""
    modules = (sitegen.build.schedule, sitegen.build.write)
    return logged_calls(monkeypatch, root / "data-made", "data_outputs", *modules)


def test_while_a_new_dump_is_discovered_the_cards_are_made_before_the_side_copy_forks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = built_with_a_second_dump(tmp_path, monkeypatch)
    made_at_fork: list[int] = []

    class Counted(sitegen.build.schedule.Forked):
        def __init__(self, function: Any, *args: Any) -> None:
            if function is sitegen.build.schedule.side_work:  # args: group, run, ...
                made_at_fork.append(len(args[1].model.site.cards.made))
            super().__init__(function, *args)

    monkeypatch.setattr(sitegen.build.schedule, "Forked", Counted)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert made_at_fork == [len(page_paths(tmp_path))]  # every card, shared by the copy
    monkeypatch.undo()
    small_generations(monkeypatch)
    assert equals_a_clean_build(tmp_path, output)
    # Without a new dump's discovery in a copy (a cold build), none: the fork is not held up.
    made_at_fork.clear()
    monkeypatch.setattr(sitegen.build.schedule, "Forked", Counted)
    shutil.rmtree(tmp_path / ".sitegen-cache")
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert made_at_fork == [0]


def test_a_build_failing_as_the_side_copy_starts_stops_it_and_leaves_nothing_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With discovery made early, this process makes the data files once the side copy is
    # forked (schedule.data_here): failing there stops the copy, closes its ends and the
    # lists' pipe, and leaves no spool beside the output.
    output = built_with_a_second_dump(tmp_path, monkeypatch)
    me = os.getpid()

    def boom(run: object) -> object:
        if os.getpid() == me:
            raise SitegenError("data: boom")
        return {}

    forked: list[int] = []

    class Counted(sitegen.build.schedule.Forked):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            forked.append(self.pid)

    monkeypatch.setattr(sitegen.build.schedule, "data_outputs", boom)
    monkeypatch.setattr(sitegen.build.schedule, "Forked", Counted)
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(SitegenError, match="data: boom"):
        ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert len(os.listdir("/proc/self/fd")) == fds
    assert len(forked) == 2  # the early discovery copy and the side copy
    for pid in forked:  # each stopped and waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.spool")]


def unplaced_of(root: Path, cache: BuildCache) -> Any:
    """What an ingest of root hands its early discovery (ingest.BeforePlacing's `unplaced`)."""
    told: list = []
    ingest(root, cache, before_placing=lambda made, papers: told.append(made))
    return told[0]


def test_an_early_discovery_is_taken_only_for_the_papers_the_build_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_with_a_second_dump(tmp_path, monkeypatch)
    cache = BuildCache.load(tmp_path)
    early = sitegen.build.schedule.EarlyDiscovery(tmp_path, cache)
    assert early.discovery_for("any key") is None  # none started
    unplaced = unplaced_of(tmp_path, cache)
    early.start(unplaced, 13)
    key = early.read_key()  # the copy's, once it has read its papers
    assert key and early.copy is not None and not early.making("another project's key")
    assert early.copy is None and early.discovery_for(key) is None  # stopped, not waited for
    early.start(unplaced, 13)
    assert early.making(key) == sitegen.build.schedule.MAKES_DISCOVERY
    found = early.discovery_for(key)  # its own key: taken
    assert found is not None and set(found.plain) == {"key_terms", "related", "points", "regions"}
    assert early.copy is None and not early.read_key()
    monkeypatch.setattr(sitegen.build.schedule, "EARLY_DISCOVERY", 12)
    early.start(unplaced, 13)  # a list this large makes it in the build's own process
    assert early.copy is None


def test_an_early_copy_reads_the_papers_itself_while_this_process_places_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_with_a_second_dump(tmp_path, monkeypatch)
    cache = BuildCache.load(tmp_path)
    real_load = sitegen.build.schedule.load_project
    log = logged_calls(monkeypatch, tmp_path / "reads", "load_project", sitegen.build.schedule)
    unplaced = unplaced_of(tmp_path, cache)
    early = sitegen.build.schedule.EarlyDiscovery(tmp_path, cache)
    early.start(unplaced, 13)
    key = early.read_key()  # once the copy has read the papers
    assert key and early.copy is not None
    assert log.read_text().split() == [str(early.copy.pid)]  # there, not in this process
    found = early.discovery_for(key)
    assert found is not None and early.copy is None
    # A remembered base of other papers: the copy finds the new base's candidates instead,
    # which the build's own discovery takes (discovery_for gives nothing, and stops nothing).
    cache.keep(sitegen.build.model.BASE_MEMO, "another base", {})
    early.start(unplaced, 13)
    assert early.making(key) == sitegen.build.schedule.MAKES_CANDIDATES
    assert early.discovery_for(key) is None and early.copy is not None
    assert not early.making("another project's key") and early.copy is None  # stopped
    early.start(unplaced, 13)
    assert early.making(key) and early.candidates(None) is None  # none wanted: stopped
    assert early.copy is None
    project = real_load(tmp_path, cache, unplaced())
    here, found_here = sitegen.build.schedule.candidates_aside(project, cache), []
    early.start(unplaced, 13)
    assert early.making(key)
    found = early.candidates(lambda: found_here.append(1) or here())
    assert found is not None and log.read_text().split()[-1] == str(early.copy.pid)
    table, counts, later = found.early()  # as this process would find them
    assert pickle.dumps((table, counts, later)) == pickle.dumps(here()) and not found_here
    early.abandon()  # then stopped: what it would give is found here
    assert found.ready() and pickle.dumps(found.early()) == pickle.dumps(here())
    assert found_here == [1]
    # A list too large to find them in this copy (it would crowd the placing): it stops.
    monkeypatch.setattr(sitegen.build.schedule, "EARLY_CANDIDATES", 12)
    early.start(unplaced, 13)
    assert early.copy is not None and not early.read_key() and early.copy is None
    assert early.discovery_for(key) is None


def early_and_not(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A site built once, given a second dump, then built with discovery made early (root)
    and, in a copy of it, without (the copy's root)."""
    built_with_a_second_dump(root, monkeypatch)
    other = root.parent / f"{root.name}-without"
    shutil.copytree(root, other)
    ingest_and_build(root, BuildOptions(root / "site", fork=True), BuildCache.load(root))
    with monkeypatch.context() as patched:
        patched.setattr(sitegen.build.schedule, "EARLY_DISCOVERY", 0)
        ingest_and_build(other, BuildOptions(other / "site", fork=True), BuildCache.load(other))
    return root, other


@pytest.mark.parametrize("remembered", [11, 20_000])
def test_a_build_that_took_an_early_discovery_keeps_the_memos_one_without_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remembered: int
) -> None:
    # Below 13, more papers than the corpus stage remembers tokens of (it keeps none): those
    # of the later papers are then discovery's to keep, whichever process made it.
    monkeypatch.setattr(sitegen.textmap, "REMEMBERED", remembered)
    root, other = early_and_not(tmp_path / "early", monkeypatch)
    assert tree(root / "site") == tree(other / "site")
    mine, theirs = BuildCache.load(root), BuildCache.load(other)
    for name in ("discovery", sitegen.build.model.BASE_MEMO, "discovery-later"):
        assert mine.stored_memo(name) == theirs.stored_memo(name), name

    def tokens(cache: BuildCache) -> dict[str, list[str]]:  # each paper's tokens as text
        vocab, papers = cache.stored_memo("tokens")[1].values()
        ids = {key: array("i", found[1]).tolist() for key, found in papers.items()}
        return {key: [vocab[i] for i in found] for key, found in ids.items()}

    if remembered > 13:  # every paper's, as the corpus stage kept them
        assert tokens(mine) == tokens(theirs) and len(tokens(mine)) == 13
    else:  # the copy read the token memo before ingest replaced it: it may remember more
        assert tokens(theirs).items() <= tokens(mine).items() and tokens(theirs)


def test_an_early_copy_is_stopped_once_the_build_keeps_discovery_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = built_with_a_second_dump(tmp_path, monkeypatch)
    events: list[tuple] = []
    real_abandon, real_listing = EarlyDiscovery.abandon, sitegen.build.listing_model

    def abandon(self: Any) -> None:
        events.append(("stopped", self.copy is not None))
        real_abandon(self)

    def listing_model(*args: Any) -> Any:
        events.append(("listing",))
        return real_listing(*args)

    monkeypatch.setattr(EarlyDiscovery, "abandon", abandon)
    monkeypatch.setattr(sitegen.build, "listing_model", listing_model)
    monkeypatch.setattr(sitegen.build, "discovery_is_due", lambda *args: False)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert events[:2] == [("stopped", True), ("listing",)]  # before anything else is made


def test_a_dying_early_copy_costs_the_build_only_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = built_with_a_second_dump(tmp_path, monkeypatch)
    killed, real_start = [], sitegen.build.schedule.EarlyDiscovery.start

    def start(self, *args):  # as the kernel's out-of-memory killer would
        real_start(self, *args)
        os.kill(self.copy.pid, signal.SIGKILL)
        killed.append(self.copy.pid)

    monkeypatch.setattr(sitegen.build.schedule.EarlyDiscovery, "start", start)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert len(killed) == 1
    assert equals_a_clean_build(tmp_path, output)


def built_before_a_new_base(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small site built once (forked), then given a second dump that starts a new base
    generation (9 papers, then 13: the bases of 10 and 13 papers); its output folder."""
    return built_with_a_second_dump(root, monkeypatch, growth=(3, 2))


def early_copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process ids of the early copies the builds start, as they start them."""
    copies: list[int] = []
    real_start = sitegen.build.schedule.EarlyDiscovery.start

    def start(self: Any, *args: Any) -> None:
        real_start(self, *args)
        copies.append(self.copy.pid)

    monkeypatch.setattr(sitegen.build.schedule.EarlyDiscovery, "start", start)
    return copies


def test_a_new_dump_starting_a_new_base_has_its_candidates_found_beside_its_placing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = built_before_a_new_base(tmp_path, monkeypatch)
    log = logged_calls(monkeypatch, tmp_path / "found", "found_aside", sitegen.build.schedule)
    copies = early_copies(monkeypatch)
    data_log = spied_data(tmp_path, monkeypatch)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    # Found once, by the early copy (not by the side copy, as in a cold build); the data
    # files made once too, by the side copy, as in a cold build.
    assert len(copies) == 1 and log.read_text().split() == [str(copies[0])]
    [maker] = data_log.read_text().split()
    assert maker not in {str(os.getpid()), str(copies[0])}
    with pytest.raises(ChildProcessError):  # and waited for
        os.waitpid(copies[0], os.WNOHANG)
    assert equals_a_clean_build(tmp_path, output)


def test_an_early_copy_dying_before_its_candidates_costs_the_build_only_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = built_before_a_new_base(tmp_path, monkeypatch)
    me, real_found, found_here = os.getpid(), sitegen.build.schedule.found_aside, []

    def dying(*args: Any) -> Any:  # as the kernel's out-of-memory killer would
        if os.getpid() != me:
            os.kill(os.getpid(), signal.SIGKILL)
        found_here.append(1)
        return real_found(*args)

    monkeypatch.setattr(sitegen.build.schedule, "found_aside", dying)
    copies = early_copies(monkeypatch)
    fds = len(os.listdir("/proc/self/fd"))
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert found_here == [1] and len(copies) == 1  # found here once the copy was gone
    assert len(os.listdir("/proc/self/fd")) == fds
    with pytest.raises(ChildProcessError):  # and waited for
        os.waitpid(copies[0], os.WNOHANG)
    assert equals_a_clean_build(tmp_path, output)


def test_a_damaged_base_is_made_again_by_the_build_not_by_the_early_copy_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_generations(monkeypatch)
    make_site(tmp_path)
    output = tmp_path / "site"
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    base_file = tmp_path / ".sitegen-cache" / memo_file(sitegen.build.model.BASE_MEMO)
    base_file.write_bytes(base_file.read_bytes()[:-10])  # its check fails: unread
    second_dump(tmp_path)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    cache = BuildCache.load(tmp_path)
    assert cache.stored_memo(sitegen.build.model.BASE_MEMO) is not None  # made again, and kept
    assert equals_a_clean_build(tmp_path, output)


def test_fast_path_takes_notes_and_refuses_what_other_pages_show(tmp_path: Path) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache, options = BuildCache.load(tmp_path), BuildOptions(output)
    last = ingest_and_build(tmp_path, options, cache)[1].model
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n## Notes\n\nQuick.\n")
    quick = quick_build(last, {page}, options, cache, None)
    assert quick is not None
    assert "Quick." in (output / "papers" / page.stem / "index.html").read_text()
    page.write_text(page.read_text().replace("title: ", "title: Renamed ", 1))
    assert quick_build(quick.model, {page}, options, cache, None) is None  # lists show titles
    new = tmp_path / "content/papers/x/new.md"
    assert quick_build(quick.model, {new}, options, cache, None) is None


def test_fast_path_tells_the_preview_before_the_search_index_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache, options = BuildCache.load(tmp_path), BuildOptions(output)
    last = ingest_and_build(tmp_path, options, cache)[1].model
    events: list[str] = []
    search_job = sitegen.build.write.LATE_JOBS[0]
    started = [lambda run: events.append("search started") or search_job(run)]
    monkeypatch.setattr(sitegen.build.write, "LATE_JOBS", started)
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n## Notes\n\nQuick.\n")
    preview = Preview(on_pages=lambda written: events.append("pages"))
    assert quick_build(last, {page}, options, cache, preview) is not None
    # Handing the search memo to a worker takes the GIL: the reload must not wait for it.
    assert events == ["pages", "search started"]


def test_template_fast_path_rerenders_the_last_model_with_new_templates(tmp_path: Path) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache, options = BuildCache.load(tmp_path), BuildOptions(output)
    assert template_build(None, options, cache, None) is None  # nothing built: a full build
    last = ingest_and_build(tmp_path, options, cache)[1].model
    apply_edit(tmp_path, "override-template", 7)
    assert template_build(last, options, cache, None) is not None
    ingest_and_build(tmp_path, BuildOptions(tmp_path / "clean"), BuildCache())
    assert "edit 7" in next(output.glob("papers/*/index.html")).read_text()
    assert tree(output) == tree(tmp_path / "clean")


def built_then_edited(root: Path, appended: str) -> tuple[Path, Path]:
    """A site built by a forked build into root/site, then its first page appended to:
    (the output, the page)."""
    make_site(root)
    output = root / "site"
    ingest_and_build(root, BuildOptions(output, fork=True), BuildCache.load(root))
    page = page_paths(root)[0]
    page.write_text(page.read_text() + appended)
    return output, page


def test_a_forked_build_after_a_notes_edit_forks_no_renderer_and_equals_a_clean_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, _ = built_then_edited(tmp_path, "\n## Notes\n\nForked, but one page.\n")
    started: list[str] = []
    real = sitegen.build.schedule.Forked
    monkeypatch.setattr(
        sitegen.build.schedule, "Forked", lambda f, *a: started.append(f.__name__) or real(f, *a)
    )
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert started == ["side_work"]  # the search index; one page needs no second renderer
    assert equals_a_clean_build(tmp_path, output)


def test_a_forked_build_writes_what_it_parsed_before_the_fork_and_holds_none_of_it(
    tmp_path: Path,
) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache = BuildCache.load(tmp_path)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), cache)
    assert cache.parsed == {} and cache.memos.keys().isdisjoint({"page-stats", "dump-stats"})
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n## Notes\n\nOnly this page is read again.\n")
    again = BuildCache.load(tmp_path)
    assert sum(key.startswith("page:") for key in again.parsed) == len(page_paths(tmp_path))
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), again)
    assert again.misses == 1  # the edited page; every other input came from the cache
    assert equals_a_clean_build(tmp_path, output)


def test_a_search_file_changed_after_the_copy_found_it_as_left_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, _ = built_then_edited(tmp_path, "\n\n")  # search files made to the same bytes
    real = sitegen.build.write.keep_memo

    def keep(run: sitegen.build.run.Run, made: tuple) -> object:  # edited by hand meanwhile
        (output / "search" / "titles.js").write_bytes(b"edited")
        return real(run, made)

    monkeypatch.setattr(sitegen.build.write, "keep_memo", keep)
    before = {**tree(output), "search/titles.js": b"edited"}
    with pytest.raises(SitegenError) as caught:
        ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    message = str(caught.value)
    assert "site/search/titles.js" in message and "build again" in message and "\n" not in message
    assert tree(output) == before and not list(tmp_path.glob(".site.spool*"))  # nothing written


def test_a_search_file_changed_where_its_ctime_did_not_move_is_made_again(
    tmp_path: Path,
) -> None:
    # A coarse clock can leave the ctime the cache noted on a file written since: its size
    # tells (as Run.intact's check does), so the file is made again, not taken as left.
    make_site(tmp_path)
    output = tmp_path / "site"
    ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    shard = sorted((output / "search").glob("shard-*.js"))[0]
    made = shard.read_bytes()
    with open(shard, "ab") as handle:
        handle.write(b"// changed\n")
    cache = BuildCache.load(tmp_path)
    files, groups = cache.outputs_of(output)
    name = shard.relative_to(output).as_posix()
    key, content, _, inputs = files[name]
    noted = {**files, name: (key, content, os.stat(shard).st_ctime_ns, inputs)}
    cache.note_outputs(output, noted, groups)  # as if its ctime had not moved
    cache.save()
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n\n")  # a new entry key, the same search files
    ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    assert shard.read_bytes() == made and equals_a_clean_build(tmp_path, output)


@pytest.mark.parametrize("manifest", ["deleted", "damaged"])
def test_search_files_found_as_left_are_kept_without_the_manifest(
    tmp_path: Path, manifest: str
) -> None:
    output, _ = built_then_edited(tmp_path, "\n\n")  # search files made to the same bytes
    if manifest == "deleted":
        (output / ".sitegen-manifest.json").unlink()
    else:
        (output / ".sitegen-manifest.json").write_text("{not json")
    for _ in range(2):  # the first puts the manifest back; the second reads it
        ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert equals_a_clean_build(tmp_path, output)


@pytest.mark.parametrize("disk_full", [False, True])
def test_a_memo_slot_lets_its_spill_file_go_once_the_memo_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disk_full: bool
) -> None:
    from sitegen.cache import BytesOnDisk, TextsOnDisk

    write = sitegen.build.write
    cache = BuildCache(tmp_path / ".sitegen-cache")
    slot = write.MemoSlot(cache, None)
    slot.made_in = -1  # as in a forked copy, which writes the memo itself
    spill = slot.spill()
    assert spill is not None
    entries, texts = BytesOnDisk(spill), TextsOnDisk(spill)
    entries["k"] = b"x" * (2 << 20)  # a file, not memory
    texts.append('["a snippet"]')
    plain = {"keys": ["k"], "entries": {"k": b"x" * (2 << 20)}, "texts": ['["a snippet"]']}
    if disk_full:
        monkeypatch.setattr(BuildCache, "spill", lambda *_: (_ for _ in ()).throw(OSError(28)))
    memo = {"keys": ["k"], "entries": entries, "texts": texts}
    assert slot.store(memo) is not disk_full
    assert spill.file is not None and spill.file.closed
    if disk_full:  # handed back as plain data, read from the file before it went
        assert memo == plain and type(memo["entries"]) is dict and type(memo["texts"]) is list
    else:
        assert cache.recall("search", write.MEMO_KEY) == plain


def test_an_index_that_fails_in_the_side_copy_lets_its_spill_file_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write, held = sitegen.build.write, []

    def failing(*args: Any) -> object:
        held.append(args[4])
        args[4].append(b"x" * (2 << 20))  # some of the memo, in the file
        raise KeyboardInterrupt  # a build stopped half-way

    monkeypatch.setattr(write, "search_index", failing)
    slot = write.MemoSlot(BuildCache(tmp_path / ".sitegen-cache"), None)
    slot.made_in = -1
    with pytest.raises(KeyboardInterrupt):
        write.ResidentSearch()([], Taxonomy(()), slot, [])
    assert held[0].file is not None and held[0].file.closed


def test_a_search_memo_the_side_copy_cannot_write_is_handed_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    output, parent = tmp_path / "site", os.getpid()
    real_spill = BuildCache.spill

    def spill(cache: BuildCache, *names: str) -> None:
        if "search" in names and os.getpid() != parent:
            raise OSError("no space left on device")  # in the side copy only
        real_spill(cache, *names)

    monkeypatch.setattr(BuildCache, "spill", spill)
    cache = BuildCache.load(tmp_path)
    _, built = ingest_and_build(tmp_path, BuildOptions(output, fork=True), cache)
    memo_key = sitegen.build.write.MEMO_KEY
    handed = cache.memos["search"][1]  # sent back: plain data, read from the spill file
    assert type(handed["entries"]) is dict and len(handed["entries"]) == len(page_paths(tmp_path))
    assert type(handed["texts"]) is list and handed["texts"]
    papers, taxonomy, _, keys = sitegen.build.write.search_args(built.project, BuildCache(), None)
    assert handed == search.search_index(papers, taxonomy, None, keys)[1]
    assert BuildCache.load(tmp_path).recall("search", memo_key) == handed  # written here
    assert not [p for p in (tmp_path / ".sitegen-cache").iterdir() if p.name.startswith("tmp")]


def test_large_blocks_are_mapped_from_a_large_list_on(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    monkeypatch.setattr(sitegen.build.write, "map_large_blocks", lambda: asked.append(1))
    sitegen.build.write.mapped_if_large(sitegen.build.write.MAPPED_BLOCKS_FROM - 1)
    assert not asked
    sitegen.build.write.mapped_if_large(sitegen.build.write.MAPPED_BLOCKS_FROM)
    assert asked == [1]


def test_a_forked_build_leaves_the_search_memo_and_files_to_the_copy_that_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_site(tmp_path)
    output = tmp_path / "site"
    cache = BuildCache.load(tmp_path)
    handed: list[dict] = []
    real = sitegen.build.write.keep_memo
    monkeypatch.setattr(
        sitegen.build.write,
        "keep_memo",
        lambda run, made: handed.append(made[0]) or real(run, made),
    )
    real_index = sitegen.build.write.search_index

    def index(*args: object) -> object:  # in the copy: where the memo's entries and texts wait
        (tmp_path / "memo-spilled-to").write_text(type(args[4]).__name__)
        return real_index(*args)

    monkeypatch.setattr(sitegen.build.write, "search_index", index)
    mapped = tmp_path / "mapped-blocks-in"  # each process that asked for them, and ingest

    def map_large_blocks() -> None:  # in any process
        with mapped.open("a") as asked:
            asked.write(f"{os.getpid()}\n")

    def ingested(*args: Any, **kwargs: Any) -> Any:
        with mapped.open("a") as asked:
            asked.write("ingest\n")
        return ingest(*args, **kwargs)

    monkeypatch.setattr(sitegen.build.write, "MAPPED_BLOCKS_FROM", 1)  # a large corpus
    monkeypatch.setattr(sitegen.build.write, "map_large_blocks", map_large_blocks)
    monkeypatch.setattr(sitegen.build, "ingest", ingested)
    _, built = ingest_and_build(tmp_path, BuildOptions(output, fork=True), cache)
    # A first build's cache holds no pages: this process asks once ingest has given them,
    # and the side copy, which counts its papers, asks too.
    me = str(os.getpid())
    asked = mapped.read_text().split()
    assert asked[:2] == ["ingest", me] and len(asked) == 3 and asked[2] not in ("ingest", me)
    # The files are parked in the spool by the copy, not sent back to this process.
    assert handed[0] and set(handed[0].values()) == {Kept.SPOOLED}
    assert (output / "search" / "titles.js").is_file()
    memo_key = sitegen.build.write.MEMO_KEY
    # Written by the side copy, not sent back to this process to be written here.
    assert "search" not in cache.memos and cache.stored["search"] == memo_key
    first = BuildCache.load(tmp_path).recall("search", memo_key)
    assert len(first["keys"]) == len(page_paths(tmp_path))
    assert (tmp_path / "memo-spilled-to").read_text() == "SpillFile"
    papers, taxonomy, _, keys = sitegen.build.write.search_args(built.project, BuildCache(), None)
    assert first == search.search_index(papers, taxonomy, None, keys)[1]  # as made in memory
    page = page_paths(tmp_path)[0]
    page.write_text(page.read_text() + "\n## Notes\n\nA memo of the copy's own.\n")
    before = tree(output)
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    second = BuildCache.load(tmp_path).recall("search", memo_key)
    assert len(set(second["keys"]) - set(first["keys"])) == 1  # the edited paper's entry
    # Its cache held the pages: this process asked before ingest (its copies inherit it).
    assert mapped.read_text().split()[3:5] == [me, "ingest"]
    # Only the files whose bytes changed were parked; the rest were found as left.
    changed = {p for p, data in tree(output).items() if before.get(p) != data}
    kinds = handed[-1]
    assert {p for p, k in kinds.items() if k is Kept.SPOOLED} == changed & set(kinds)
    assert set(kinds.values()) <= {Kept.AS_LEFT, Kept.SPOOLED}
    page.write_text(page.read_text() + "\n\n")  # a new page key, the same search entry
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert set(handed[-1].values()) == {Kept.AS_LEFT}  # made again, to the same bytes
    # ...noted under the index's new key: a build finds them as the group left them.
    noted, groups = BuildCache.load(tmp_path).outputs_of(output)
    key, paths = groups["search"]
    assert set(paths) == set(handed[-1]) and {noted[p][0] for p in paths} == {key}
    assert equals_a_clean_build(tmp_path, output)
    # Made in this process (no fork): kept in memory, written when the cache is saved.
    page.write_text(page.read_text() + "\nOne more.\n")
    unforked = BuildCache.load(tmp_path)
    scripts: list[str] = []
    real_script = search.script
    monkeypatch.setattr(search, "script", lambda n, t: scripts.append(n) or real_script(n, t))
    mapped.unlink()
    ingest_and_build(tmp_path, BuildOptions(output), unforked)
    assert unforked.memos["search"][0] == memo_key and "search" not in unforked.stored
    # The build's own process keeps its allocator as it is (ingest ran, nothing asked).
    assert mapped.read_text().split() == ["ingest"]
    # Only the files named anew were made: the others were found as the last build left them.
    kinds = handed[-1]
    assert set(scripts) == {"titles"} | {
        Path(p).stem for p, k in kinds.items() if k != Kept.AS_LEFT
    }
    page.write_text(page.read_text() + "\n\n")  # a new entry key, the same files
    scripts.clear()
    ingest_and_build(tmp_path, BuildOptions(output), BuildCache.load(tmp_path))
    assert scripts == ["titles"] and len(handed[-1]) > 1
    assert {k for p, k in handed[-1].items() if p != "search/titles.js"} == {Kept.AS_LEFT}
    assert equals_a_clean_build(tmp_path, output)
    assert equals_a_clean_build(tmp_path, output)


def test_a_new_dumps_discovery_copy_loads_no_module_this_process_loads_too(
    shipped_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sitegen add` forks the copy that makes discovery once this process has loaded what
    # placing the new papers loads (numpy, scipy.sparse): each is loaded once, not again
    # in the copy. Only the copy loads discovery itself.
    assert run_sitegen("build", "-q", cwd=shipped_site).returncode == 0
    new = shipped_site.parent / "2026-12-05-more.txt"
    new.write_text(dump_text([("A Brand New Paper On Diffusion", 0), ("Graphs Again", 1)]))
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    added = run_sitegen("add", "-q", str(new), cwd=shipped_site)
    assert added.returncode == 0, added.stderr
    loaded = [line.rpartition("|")[2].strip() for line in added.stderr.splitlines()]
    assert loaded.count("sitegen.discover") == 1  # in the copy
    assert loaded.count("numpy") == loaded.count("scipy.sparse") == 1


def test_the_side_copy_makes_its_own_cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both the side copy and this process touch every card: made before the side copy's
    # fork, each card's pages would be copied as either first writes its reference count.
    make_site(tmp_path)
    made_at_fork: list[int] = []
    real_forked = sitegen.build.schedule.Forked

    class Counted(real_forked):  # type: ignore[misc, valid-type]
        def __init__(self, function: Any, *args: Any) -> None:
            if function is sitegen.build.schedule.side_work:
                made_at_fork.append(len(args[1].model.site.cards.made))
            super().__init__(function, *args)

    monkeypatch.setattr(sitegen.build.schedule, "Forked", Counted)
    output = tmp_path / "site"
    ingest_and_build(tmp_path, BuildOptions(output, fork=True), BuildCache.load(tmp_path))
    assert made_at_fork == [0]
    assert equals_a_clean_build(tmp_path, output)
