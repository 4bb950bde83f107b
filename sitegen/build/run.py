"""One build run: its working state, and rendering a view unless it is unchanged.

A Run lives for one build and is then dropped; the only state that outlives it
is what write.py commits to the cache once the files are on disk.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

import jinja2

from sitegen.build.keys import PageInputs, PaperPageKeys, page_key, site_key
from sitegen.build.options import BuildOptions, Preview, SiteModel
from sitegen.cache import BuildCache, Groups, Noted
from sitegen.errors import SitegenError
from sitegen.fsio import write_if_changed
from sitegen.model import urls
from sitegen.output import Kept, Manifest, Outputs, Spool, read_manifest, verified
from sitegen.paper_page import paper_page_html, shipped_paper_page
from sitegen.records import mutable
from sitegen.render import render_template
from sitegen.views.context import PageView
from sitegen.views.pages import SHOWS_DISCOVERY, Route, routes, views_at

PAGE_KEY, INPUT_KEY = 0, 3  # where a Noted (sitegen.cache) holds each key


@mutable
class Run:
    """The working state of one build: what it renders from, and what it made so far."""

    model: SiteModel
    env: jinja2.Environment
    options: BuildOptions
    cache: BuildCache
    preview: Preview | None = None
    spool: Spool | None = None  # where rendered pages wait on disk; None: kept in memory
    fork: bool = False  # whether side work runs in forked copies (see schedule.can_fork)
    # What this build made, committed to the cache only once it is on disk.
    rendered: dict[str, str] = field(default_factory=dict)  # output path -> page key
    inputs: dict[str, str] = field(default_factory=dict)  # output path -> input key
    groups: Groups = field(default_factory=dict)
    written_early: list[str] = field(default_factory=list)  # files written before the rest
    # Groups of outputs started in forked copies before the model: name -> (key, copy).
    launched: dict[str, tuple[str, Any]] = field(default_factory=dict)
    # What the output folder holds, by its manifest: the page keys a build may trust.
    old: Manifest = field(init=False)
    # Per file of the output, as the last build into it left it: (page key, hash, ctime).
    seen: dict[str, Noted] = field(init=False)
    seen_groups: Groups = field(init=False)  # outputs made together (search): name -> (key, paths)
    noted: dict[str, Noted] = field(default_factory=dict)  # the same, for this build
    removed: int = 0  # stale files this build removed
    committed: set[str] = field(default_factory=set)  # in place already (a preview's pages)
    page_inputs: PageInputs | None = field(default=None, init=False)  # made when first asked
    paper_keys: PaperPageKeys | None = field(default=None, init=False)  # the same

    def __post_init__(self) -> None:
        self.old = read_manifest(self.output)
        self.seen, self.seen_groups = self.cache.outputs_of(self.output)

    def input_keys(self) -> PageInputs:
        """The page input keys of this run's model (build.keys.PageInputs), made once."""
        if self.page_inputs is None:
            model = self.model
            site = site_key(model.project, self.cache.stamp, model.base_url)
            self.page_inputs = PageInputs(site, model.site.library.papers)
        return self.page_inputs

    def paper_page_keys(self) -> PaperPageKeys:
        """The keys of this run's paper pages by what they show (build.keys), made once."""
        if self.paper_keys is None:
            self.paper_keys = PaperPageKeys.of(self.model.site, self.cache.stamp)
        return self.paper_keys

    @property
    def output(self) -> Path:
        """The output folder."""
        return self.options.output

    def site_unchanged(self) -> bool:
        """Whether every page but the papers' own reads what it read in the last build (then
        only the pages of papers that changed are made again)."""
        home = self.seen.get(urls.file_of(urls.HOME))
        return home is not None and home[INPUT_KEY] == self.input_keys().site

    def intact(self, path: str) -> int | None:
        """The file's ctime if it holds what the output's manifest records, else None."""
        record, seen = self.old.files.get(path), self.seen.get(path)
        same = seen is not None and record is not None and seen[1] == record[1]
        return verified(self.output, path, record, seen[2] if same else None)

    def reusable(self, path: str, key: str, level: int = PAGE_KEY) -> bool:
        """Whether path was last made with this key (its page key, or its INPUT_KEY) and
        is still as written."""
        seen = self.seen.get(path)
        if seen is None or seen[level] != key:
            return False
        record = self.old.files.get(path)  # intact(path), its lookups done once (11k pages)
        if record is None or record[1] != seen[1]:
            return False
        ctime = verified(self.output, path, record, seen[2])
        if ctime is None:
            return False
        self.rendered[path] = seen[PAGE_KEY]
        self.noted[path] = (seen[PAGE_KEY], seen[1], ctime, self.inputs.get(path, ""))
        return True


def render_page(env: jinja2.Environment, template: str, context: dict) -> bytes:
    """Render a template, turning template mistakes into one-line SitegenErrors."""
    try:
        if template == "paper.html" and shipped_paper_page(env):  # most pages: without Jinja
            return paper_page_html(context).encode("utf-8")
        return render_template(env, template, context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name
        raise SitegenError(f"template: {exc.message}", where, exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise SitegenError(f"template not found: {exc.name}") from None
    except Exception as exc:  # noqa: BLE001 - any error raised by template code
        where, line = template_frame(exc)
        raise SitegenError(f"template: {exc}", where or template, line) from None


def template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error was raised from (Jinja maps frames to them)."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render_changed(run: Run, view: PageView) -> bytes | None:
    """Render one page, or None when it was already made from the same view and templates."""
    key = page_key(run.cache.stamp, view)
    run.rendered[view.path] = key
    if run.reusable(view.path, key):
        return None
    return render_page(run.env, view.template, view.context)


def render_route(run: Run, route: Route) -> bytes | Kept:
    """A page of the route table: kept, without making its view, when its inputs are those
    the file was made from (a paper's page: or what it shows, build.keys.PaperPageKeys);
    else render_view."""
    key = run.inputs[route.path] = run.input_keys().key(route.kind, route.name)
    if run.reusable(route.path, key, INPUT_KEY):
        return Kept.UNCHANGED
    if route.kind != "paper":
        return render_view(run, route.make())
    # A paper's page key is what it shows, not its view's hash; a page rendered from its
    # view (a preview's open page, a quick build) is keyed by that, and made again next time.
    shown = run.rendered[route.path] = run.paper_page_keys().key(route.name)
    if run.reusable(route.path, shown):
        return Kept.UNCHANGED
    view = route.make()
    return parked(run, view.path, render_page(run.env, view.template, view.context))


def render_view(run: Run, view: PageView) -> bytes | Kept:
    """render_changed, parking the page in the run's spool when it has one."""
    data = render_changed(run, view)
    return Kept.UNCHANGED if data is None else parked(run, view.path, data)


def parked(run: Run, path: str, data: bytes) -> bytes | Kept:
    """A rendered page, parked in the run's spool when it has one (until the build succeeds)."""
    if run.spool is None:
        return data
    run.spool.put(path, data)
    return Kept.SPOOLED


def render_first(run: Run) -> Outputs:
    """The pages a preview has open, rendered and written straight away."""
    preview = run.preview
    if preview is None or not preview.first:
        return {}
    done: Outputs = {}
    written = []
    for view in views_at(run.model.site, preview.first):
        done[view.path] = Kept.WRITTEN
        data = render_changed(run, view)
        if data is not None and write_if_changed(run.output / view.path, data):
            written.append(view.path)
    run.written_early += written
    if written and preview.on_first is not None:
        preview.on_first(written)
    return done


DRAFTED_NEW = 1_000  # more new pages than this (a first dump): they wait for the whole build


def draft_first(run: Run) -> None:
    """A preview's open pages before discovery is done, written straight away, after the
    pages of papers new to the site they link to (so those links work at once); then the
    other new papers' pages.

    `run.model` is the model with the last build's discovery (build.model.draft_model):
    the open tab shows a new dump without waiting for discovery, missing only what
    discovery will say of the new papers, and render_first and the commit write the pages
    whole moments later (a page whose file changed is never reused unchecked:
    Run.reusable compares its ctime, then its hash). A draft never replaces a page but
    an open one; pages that show nothing of discovery are left to render_first, whose
    result their draft would be. The open tabs reload before the other new pages are
    drafted: a home page links to a few of a 200-paper dump's papers, not to all of them.
    """
    preview = run.preview
    if preview is None or not preview.first:
        return
    table = routes(run.model.site)
    new = [r for r in table.values() if r.kind == "paper" and not (run.output / r.path).exists()]
    new = new if len(new) <= DRAFTED_NEW else []
    opened = [table[p] for p in sorted(preview.first) if p in table]
    drafts = {r.path: drafted(run, r) for r in opened if r.kind in SHOWS_DISCOVERY}
    linked = {r.path for r in new if any(links_to(page, r.path, at) for at, page in drafts.items())}
    put_drafts(run, {path: drafted(run, table[path]) for path in sorted(linked)} | drafts)
    put_drafts(run, {r.path: drafted(run, r) for r in new if r.path not in linked})


def drafted(run: Run, route: Route) -> bytes:
    """A page of a preview's draft, rendered."""
    view = route.make()
    return render_page(run.env, view.template, view.context)


def links_to(page: bytes, path: str, here: str) -> bool:
    """Whether the page at `here` links to the page at `path` (from the site's root, as
    templates write {{ root }}{{ url }}, or by link_from)."""
    url = urls.url_of(path)
    return url.encode() in page or f'"{urls.link_from(url, here)}"'.encode() in page


def put_drafts(run: Run, pages: dict[str, bytes]) -> None:
    """Write a preview's drafts, in order, and tell its open tabs which changed."""
    written = [path for path, data in pages.items() if write_if_changed(run.output / path, data)]
    if written and run.preview is not None and run.preview.on_first is not None:
        run.preview.on_first(written)
