"""A paper's page without Jinja: the shipped paper.html, byte for byte, as plain Python.

A paper page is most of a site's pages (10,000 of 10,670 at 10k papers), and Jinja spent
~0.19 ms on each: the yields, context copies and attribute lookups of six templates, for a
page of ~50 values. This assembles the same bytes from the same view in 0.07 ms, the
abstract's Markdown included.

It is the twin of the shipped templates the page is made of (PAGE_TEMPLATES), transcribed
from the code Jinja compiles them to, and is used only when a site overrides none of them
(`shipped_paper_page`): a site's own templates/paper.html, base.html or partial is rendered
by Jinja as always. tests/test_paper_page.py renders every paper page of the shipped corpus
and of fixture sites both ways and compares the bytes; change a template and its twin here
together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2

from sitegen.model.urls import link_from
from sitegen.render import (
    badges,
    dump_badges,
    markdown_html,
    shipped_templates,
    status_badge,
    status_label,
)
from sitegen.render import escaped_output as esc
from sitegen.views.context import PaperView

Add = Callable[[str], object]  # appends a piece of the page

# Every template a paper page is rendered from (paper.html extends base.html, which
# includes the sidebar and search's hooks; paper.html imports macros and includes extras).
PAGE_TEMPLATES = (
    "paper.html",
    "base.html",
    "partials/sidebar.html",
    "partials/macros.html",
    "partials/paper_extras.html",
    "partials/search_head.html",
    "partials/search_scripts.html",
)

# The templates only a paper page renders: with the shipped ones, none is compiled (10 ms
# of a build's 70 ms of compiling), as no page asks Jinja for it.
PAPER_ONLY = ("paper.html", "partials/paper_extras.html")


def unused_templates(env: jinja2.Environment) -> tuple[str, ...]:
    """The templates no page of a build with this environment renders through Jinja."""
    return PAPER_ONLY if shipped_paper_page(env) else ()


def shipped_paper_page(env: jinja2.Environment) -> bool:
    """Whether every template of a paper page is the shipped one (no site overrides any)."""
    return shipped_templates(env, PAGE_TEMPLATES)


def paper_page_html(context: dict[str, Any]) -> str:
    """The shipped paper.html rendered with this context (views.pages.paper_page's)."""
    out: list[str] = []
    add = out.append
    head(add, context)
    header_and_sidebar(add, context)
    add('<main id="main" tabindex="-1">\n')
    if not context["site"].large:
        breadcrumbs(add, context)
    article(add, context)
    add("</main>\n</div>\n")
    footer(add, context)
    root = esc(context["root"])
    add(f'<script src="{root}static/site.js" defer></script>\n')
    add(f'<script src="{root}static/discover.js" defer></script>')
    add(f'<script src="{root}static/search.js" data-root="{root}" defer></script>\n')
    add("</body>\n</html>\n")
    return "".join(out)


def head(add: Add, context: dict[str, Any]) -> None:
    """base.html's <head> for a paper page (its blocks: title)."""
    site, page, root = context["site"], context["page"], esc(context["root"])
    add('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>')
    add(f"{esc(page.title)} · {esc(site.title)}</title>")
    if not site.large:
        add(f'<meta name="description" content="{esc(page.description)}">')
    add('<meta name="color-scheme" content="light dark">')
    social = not site.large
    if social:
        add('<meta property="og:type" content="article">\n<meta property="og:site_name" content="')
        add(f'{esc(site.title)}">\n<meta property="og:title" content="{esc(page.title)}">\n')
        add(f'<meta property="og:description" content="{esc(page.description)}">\n')
        add('<meta name="twitter:card" content="summary">\n')
        add('<meta name="generator" content="sitegen">\n')
    if site.base_url.startswith("http"):
        here = f"{esc(site.base_url)}{esc(page.url)}"
        add(f'<link rel="canonical" href="{here}">\n')
        if social:
            add(f'<meta property="og:url" content="{here}">')
    add(f'<link rel="stylesheet" href="{root}static/style.css">\n')
    add(f'<link rel="icon" href="{root}static/favicon.svg" type="image/svg+xml">\n')
    if context["has_feed"] and social:
        add('<link rel="alternate" type="application/atom+xml" title="')
        add(f'{esc(site.title)}: new papers" href="{root}feed.xml">')
    add(f'<script src="{root}static/theme.js"></script>\n</head>\n')


def header_and_sidebar(add: Add, context: dict[str, Any]) -> None:
    """base.html's header, then partials/sidebar.html."""
    root, title = esc(context["root"]), esc(context["site"].title)
    add('<body class="page-paper">\n<a class="skip-link" href="#main">Skip to content</a>\n')
    add('<header class="site-header"><div class="header-inner"><a class="menu-toggle" ')
    add('href="#sidebar"><span class="visually-hidden">Menu</span></a>\n')
    add(f'<a class="site-title" href="{root}"><span>{title}</span></a>\n')
    add(f'<form class="search-form" role="search" action="{root}search/" method="get">\n')
    add('<input id="site-search" type="search" name="q" placeholder="Search papers…" ')
    add('aria-label="Search papers" autocomplete="off">\n</form>\n</div>\n</header>\n')
    add('<div class="layout">\n<nav id="sidebar" class="sidebar" aria-label="Themes and ')
    add('sections">\n<div class="sidebar-inner">\n<a class="sidebar-close" href="#main">Close ')
    add('menu</a>\n<p class="sidebar-heading">Browse</p>\n<ul class="nav-list">\n')
    add(f'<li><a href="{root}">Overview</a></li>\n')
    add(f'<li><a href="{root}papers/">All papers A–Z</a></li>\n')
    add(f'<li><a href="{root}dumps/">Dumps</a></li>\n')
    if context["has_map"]:
        add(f'<li><a href="{root}map/">Map</a></li>\n')
    if context["has_tags"]:
        add(f'<li><a href="{root}tags/">Tags</a></li>\n')
    add(f'<li><a href="{root}search/">Search</a></li>\n</ul>\n')
    fill = " data-fill" if context["nav_fill"] else ""
    add(f'<p class="sidebar-heading">Themes</p><ul class="nav-list nav-themes"{fill}>\n')
    before, after = theme_items(context["nav"], root)
    add(before)
    expanded = context["nav_expanded"]
    if expanded and after is not None:  # the current theme's papers, under its link
        add('<ul class="nav-sub">\n')
        for item in expanded:
            mark = ' aria-current="page"' if item.current else ""
            add(f'<li><a href="{root}{esc(item.url)}"{mark}>{esc(item.title)}</a></li>\n')
        add("</ul>")
    add(after or "")
    add("</ul>\n</div>\n</nav>\n")


# id(nav) (a Site's sidebar for one current theme, shared by its pages) -> (nav, root, items):
# every paper page of a theme prints the same theme links (~40 escapes a page).
NAV_ITEMS: dict[int, tuple[tuple[Any, ...], str, tuple[str, str | None]]] = {}


def theme_items(nav: tuple[Any, ...], root: str) -> tuple[str, str | None]:
    """The sidebar's theme links up to the current theme's link, and from the end of that
    link on (None without a current theme: all are in the first)."""
    found = NAV_ITEMS.get(id(nav))
    if found is not None and found[0] is nav and found[1] == root:
        return found[2]
    parts, cut = [], None
    for theme in nav:
        current = ' class="is-current"' if theme.current else ""
        parts.append(f'<li{current}><a href="{root}{esc(theme.url)}">{esc(theme.title)}</a>')
        if theme.current:
            cut = len(parts)
        parts.append("</li>\n")
    items = ("".join(parts), None) if cut is None else ("".join(parts[:cut]), "".join(parts[cut:]))
    if len(NAV_ITEMS) > 256:  # a long `serve`: the navs of builds gone
        NAV_ITEMS.clear()
    NAV_ITEMS[id(nav)] = (nav, root, items)
    return items


def breadcrumbs(add: Add, context: dict[str, Any]) -> None:
    """base.html's breadcrumbs block (a lean page has none: paper.html)."""
    crumbs = context["breadcrumbs"]
    if not crumbs:
        return
    root = esc(context["root"])
    add('<nav class="breadcrumbs" aria-label="Breadcrumbs">\n<ol>\n')
    add(f'<li><a href="{root}">Home</a></li>\n')
    for crumb in crumbs[1:]:
        if crumb.url:
            add(f'<li><a href="{root}{esc(crumb.url)}">{esc(crumb.title)}</a></li>\n')
        else:
            add(f'<li><span aria-current="page">{esc(crumb.title)}</span></li>\n')
    add("</ol>\n</nav>\n")


def article(add: Add, context: dict[str, Any]) -> None:
    """paper.html's content block."""
    paper, root = context["paper"], esc(context["root"])
    add('<article class="paper">\n<header class="page-head">\n<p class="eyebrow"><a href="')
    add(f'{root}{esc(paper.theme.url)}">{esc(paper.theme.title)}</a></p>\n')
    add(f'<h1>{esc(paper.title)}</h1>\n<div class="card-meta">\n')
    if paper.status:
        add(status_badge(paper.status))
    add(dump_badges(paper.dumps, context["root"]) + "\n")  # macros.html's dump_badges
    add(badges(root, paper.tags, "tag", "name", "#"))
    add('</div><div class="ways-out">\n')
    ways_out(add, paper, root)
    add('<section class="prose" aria-labelledby="abstract-heading">\n')
    add(f'<h2 id="abstract-heading">Abstract</h2>\n{markdown_html(paper.abstract)}\n</section>\n\n')
    if paper.notes:
        add('<section class="prose notes" aria-label="Notes">\n')
        if not paper.notes_titled:
            add("<h2>Notes</h2>")
        add(f"{markdown_html(paper.notes)}\n</section>\n")
    add("\n")
    extras(add, context)
    if not context["site"].large:
        facts(add, paper, root)
    add("\n")
    if paper.edit_url:
        edit = esc(paper.edit_url)
        add(f'<p class="edit-link"><a href="{edit}" rel="noopener">Edit this page</a></p>')
    prev_next(add, paper, context["page"].path)


def ways_out(add: Add, paper: PaperView, root: str) -> None:
    """The paper's own links and where to find it, under its title."""
    if paper.links:
        add('<p class="buttons">\n')
        for link in paper.links:
            primary = "button-primary" if link.kind == "code" else ""
            add(f'<a class="button {primary}" href="{esc(link.url)}" rel="noopener nofollow">')
            host = esc(link.host)
            add(f'<span>{esc(link.label)}</span> <span class="button-host">{host}</span></a>\n')
        add("</p>\n")
    add('<p class="lookups"><span class="muted">Find it on</span> ')
    for link in paper.lookups:
        add(f'<a href="{esc(link.url)}" rel="nofollow">{esc(link.title)}</a>')
    if paper.map_url:
        add(' <span class="muted">or</span> <a class="button button-small" href="')
        add(f'{root}{esc(paper.map_url)}">See on the map</a>')
    add('</p>\n</div><p class="copy-buttons" data-copy-buttons hidden></p>\n</header>\n\n')


def extras(add: Add, context: dict[str, Any]) -> None:
    """partials/paper_extras.html: key terms and related papers."""
    paper, root = context["paper"], esc(context["root"])
    if paper.key_terms:
        add('<section class="key-terms" aria-labelledby="key-terms-heading">\n')
        add('<h2 id="key-terms-heading">Key terms</h2>\n<ul class="chips">\n')
        for term in paper.key_terms:
            add(f'<li><a href="{root}{esc(term.url)}">{esc(term.term)}</a></li>')
        add("</ul>\n</section>\n")
    if not paper.related:
        return
    add('<section class="related" aria-labelledby="related-heading">\n')
    add('<h2 id="related-heading">Related papers</h2>\n<ol class="related-list">\n')
    here, lean = context["page"].path, context["site"].large
    for item in paper.related:
        add(f'<li><a href="{esc(link_from(item.url, here))}">{esc(item.title)}</a>')
        if not lean:
            add('<span class="related-why"><a class="badge badge-theme" href="')
            add(f'{root}{esc(item.theme_url)}">{esc(item.theme)}</a>')
            if item.shared_terms:
                add(' <span class="muted">shares</span>')
                for term in item.shared_terms:
                    add(f' <span class="chip chip-shared">{esc(term)}</span>')
            add("</span>")
        add("</li>\n")
    add("</ol>\n</section>\n")


def facts(add: Add, paper: PaperView, root: str) -> None:
    """paper.html's details: themes, the dumps that listed it, status and tags."""
    add('<section class="facts" aria-labelledby="facts-heading">\n')
    add('<h2 id="facts-heading" class="visually-hidden">Details</h2>\n<dl>\n<div>\n')
    add(f"<dt>Themes</dt>\n<dd>{badges(root, paper.themes, 'theme', 'title')}</dd>\n</div>\n")
    add("<div>\n<dt>Listed in</dt>\n<dd>\n")
    listed = []
    for dump in paper.dumps:
        text = f'<a href="{root}{esc(dump.url)}">{esc(dump.label)}</a>'
        if dump.name == paper.added_in and paper.rank:
            text += f' <span class="muted">#{esc(paper.rank)}, first listed here</span>'
        if dump.undated:
            text += ' <span class="muted">(undated)</span>'
        listed.append(text)
    add(", ".join(listed) or '<span class="muted">no dump (added by hand)</span>')
    add("</dd>\n</div>\n")
    if paper.status:
        add(f"<div><dt>Status</dt><dd>{status_label(paper.status)}</dd></div>")
    if paper.tags:
        add(f"<div><dt>Tags</dt><dd>{badges(root, paper.tags, 'tag', 'name', '#')}</dd></div>\n")
    add("</dl>\n</section>\n")


def prev_next(add: Add, paper: PaperView, here: str) -> None:
    """The previous and next paper in its theme."""
    add(f'\n<nav class="prev-next" aria-label="More in {esc(paper.theme.title)}">\n')
    if paper.prev:
        add(f'<a class="prev" href="{esc(link_from(paper.prev.url, here))}" rel="prev">')
        add(f'<span class="muted">← Previous</span><span>{esc(paper.prev.title)}</span></a>')
    else:
        add("<span></span>")
    if paper.next:
        add(f'<a class="next" href="{esc(link_from(paper.next.url, here))}" rel="next">')
        add(f'<span class="muted">Next →</span><span>{esc(paper.next.title)}</span></a>')
    add("</nav>\n</article>\n")


def footer(add: Add, context: dict[str, Any]) -> None:
    """base.html's footer block."""
    site, root = context["site"], esc(context["root"])
    author = f" · curated by {esc(site.author)}" if site.author else ""
    add('<footer class="site-footer">\n<div class="footer-inner">\n')
    add(f"<p><strong>{esc(site.title)}</strong>{author}</p>")
    if site.large:
        add(f'<p><a href="{root}papers.json">papers.json</a></p>\n')
    else:
        add(f'<nav aria-label="Site">\n<a href="{root}papers/">All papers</a>\n')
        add(f'<a href="{root}dumps/">Dumps</a>\n<a href="{root}search/">Search</a>\n')
        if context["has_feed"]:
            add(f'<a href="{root}feed.xml">Atom feed</a>')
        add(f'<a href="{root}papers.json">papers.json</a>\n</nav>\n')
        add('<p class="muted">Built with sitegen. No trackers, no external requests.</p>\n')
    add("</div>\n</footer>\n")
