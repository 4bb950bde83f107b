"""Rendering edges: the Jinja2 environment and the Markdown renderer.

Everything user-written is untrusted. Jinja2 autoescapes every template (HTML
and XML alike) and no user text is ever marked safe; the only Markup that
reaches a template comes from markdown-it-py with raw HTML disabled, images
disabled (an image would be an external request) and a link validator that
allows only http(s), mailto and relative links.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import jinja2
import markupsafe
from markupsafe import Markup

from sitegen.fsio import own_cache_folder, trusted_by_owner
from sitegen.model import urls
from sitegen.project import default_dir
from sitegen.texmath import macros_as_text
from sitegen.text import URL, clean_url, may_hold_url, plural

SAFE_SCHEMES = ("http", "https", "mailto")
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# Browsers ignore these inside a URL's scheme ("java\tscript:"), so we do too.
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_url(url: str) -> bool:
    """True for http(s), mailto and scheme-less (relative) URLs; false for javascript:, data: …"""
    squashed = IGNORED_IN_URL.sub("", url).lower()
    match = SCHEME.match(squashed)
    return match is None or match.group(1) in SAFE_SCHEMES


def linkify_text(text: str) -> list[tuple[str, str | None]]:
    """Split text into (visible text, href or None) runs, linking bare URLs.

    Trailing punctuation and unbalanced brackets are trimmed off the link with
    text.clean_url; braces never belong to a URL (text.URL stops there).
    """
    runs: list[tuple[str, str | None]] = []
    position = 0
    for match in URL.finditer(text):
        raw = match.group(0)
        href = clean_url(raw)
        visible = href[len("https://") :] if raw.startswith("www.") else href
        if "://" not in href or len(href) <= len("https://x") or not is_safe_url(href):
            continue
        start = match.start()
        if start > position:
            runs.append((text[position:start], None))
        runs.append((visible, href))
        position = start + len(visible)
    if position < len(text):
        runs.append((text[position:], None))
    return runs


# One line of prose that no Markdown, TeX or HTML rule can touch: it starts with a letter
# (no block starts so) and holds no control character, no line break and none of the
# characters an inline rule starts at (escapes, code, emphasis, strikethrough, links,
# images, autolinks, entities, TeX). Most abstracts are such a line.
PLAIN_LINE = re.compile(r"[^\W\d_][^\x00-\x1f\x7f\\`*_~\[\]<>&!#|${}]*")
# A line of prose with characters markdown-it leaves as they are when no rule finds its
# pattern around them (a quarter of the synthetic corpus's abstracts, a sixth of the
# shipped one's, hold one): "_" inside a word (snake_case: it can neither open nor close
# emphasis), "~" not doubled (strikethrough needs "~~"), "|" (a table needs a second line),
# "{" and "}" (TeX reads them only after a backslash), ">" (a quote only opens a line), "&"
# where no entity is (escaped then, as ">" is), "`" where no code span closes (a run of
# backticks opens one only if a later run is as long: arXiv's ``quotes'' and `quotes'),
# "[" and "]" where no "](" makes a link (a paragraph defines no reference), one run of "*"
# (emphasis pairs two), and a digit first where no ordered list starts ("3D ...").
PLAIN_PROSE = re.compile(r"[^\W_][^\x00-\x1f\x7f\\<!#$]*")
EDGE_UNDERSCORE = re.compile(r"(?:^|\W)_|_(?:\W|$)")  # a "_" beside a space or a mark
ENTITY = re.compile(r"&[A-Za-z][A-Za-z0-9]*;")  # a named one: PLAIN_PROSE refuses "#"
BACKTICKS = re.compile(r"`+")
STARS = re.compile(r"\*+")
ORDERED_ITEM = re.compile(r"\d{1,9}[.)](?:\s|$)")


def plain_paragraph(text: str) -> str | None:
    """markdown-it's HTML for a plain line of prose (PLAIN_LINE, no edge space), made without
    parsing: one paragraph, its bare URLs linked as linkify_rule links them, escaped as
    markdown-it escapes ('"' too, not "'"); None for any other text. tests/test_render.py
    checks it against the parser."""
    if not PLAIN_LINE.fullmatch(text) or text[-1].isspace():
        return plain_prose(text)
    return linked_paragraph(text)


def linked_paragraph(text: str) -> str:
    """One paragraph of text that every rule leaves as it is, its bare URLs linked."""
    # linkify_rule looks only where a "." is
    if "." not in text or not may_hold_url(text) or not URL.search(text):
        return "<p>" + quoted(text) + "</p>\n"
    runs = (
        quoted(visible) if href is None else f'<a href="{quoted(href)}">{quoted(visible)}</a>'
        for visible, href in linkify_text(text)
    )
    return "<p>" + "".join(runs) + "</p>\n"


def quoted(text: str) -> str:
    """Text escaped as markdown-it escapes it: PLAIN_PROSE leaves '&', '>' and '"' (no '<')."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace('"', "&quot;")


def plain_prose(text: str) -> str | None:
    """plain_paragraph for a line of PLAIN_PROSE, or of it and the TeX macros the parser's
    TeX rules make text of (texmath.macros_as_text: arXiv's 84.8\\%, na\\"{\\i}ve, \\eg);
    None for any other text."""
    shown = checked = text
    if "\\" in text:
        made = macros_as_text(text)
        if made is None:
            return None
        shown, checked = made
    if (
        not PLAIN_PROSE.fullmatch(checked)
        or text[-1].isspace()
        or "~~" in checked
        or ("_" in checked and EDGE_UNDERSCORE.search(checked))
        or ("&" in checked and ENTITY.search(checked))
        # in the source: a code span may close on the backtick of an accent (\\`e)
        or ("`" in text and not literal_backticks(text))
        or "](" in checked
        or ("*" in checked and len(STARS.findall(checked)) > 1)
        or (checked[0].isdigit() and ORDERED_ITEM.match(checked))
    ):
        return None
    return linked_paragraph(shown)


def literal_backticks(text: str) -> bool:
    """Whether no run of backticks in text opens a code span: no two runs are as long."""
    lengths = [len(run) for run in BACKTICKS.findall(text)]
    return len(lengths) == len(set(lengths))


def markdown_html(text: str) -> Markup:
    """Render untrusted Markdown to HTML that is safe to embed."""
    if not text:
        return Markup("")
    plain = plain_paragraph(text)
    if plain is not None:
        return Markup(plain)
    from sitegen.mdparser import MARKDOWN  # loaded by the first text that needs it

    return Markup(MARKDOWN.render(text))


BIBTEX_SPECIAL = re.compile(r"([{}%&#$_~^\\])")


def bibtex(paper: Any) -> str:
    """`{{ paper|bibtex }}`: a @misc entry (key = slug) with the title and the page's URL."""
    title = BIBTEX_SPECIAL.sub(lambda m: BIBTEX_ESCAPES[m.group(1)], paper.title)
    return (
        f"@misc{{{paper.slug},\n  title = {{{{{title}}}}},\n"
        f"  howpublished = {{\\url{{{paper.copy_url}}}}},\n}}"
    )


BIBTEX_ESCAPES = {
    "{": "\\{",
    "}": "\\}",
    "%": "\\%",
    "&": "\\&",
    "#": "\\#",
    "$": "\\$",
    "_": "\\_",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    "\\": "\\textbackslash{}",
}


def template_dirs(root: Path | None) -> list[Path]:
    """Where templates are looked up: the site's own templates/ first, then the shipped ones."""
    dirs = [root / "templates"] if root is not None and (root / "templates").is_dir() else []
    return [*dirs, default_dir("templates")]


INDENT = re.compile(r"(?m)^[ \t]+")
PREFORMATTED = re.compile(r"<(?:pre|textarea)\b", re.IGNORECASE)


class DedentingLoader(jinja2.FileSystemLoader):
    """Loads templates with each line's indentation dropped: ~1 KB less on every page.

    Only the template's own text changes, never a value it prints, and line
    numbers stay the same; a template with <pre> or <textarea> is left as it is.
    """

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """The template's source, dedented."""
        source, filename, uptodate = super().get_source(environment, template)
        if not PREFORMATTED.search(source):
            source = INDENT.sub("", source)
        return source, filename, uptodate


# How templates are compiled (what their compiled code depends on, besides their source).
TEMPLATE_OPTIONS: dict[str, Any] = {
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}


def make_environment(search_path: Iterable[Path], keep_compiled: bool = True) -> jinja2.Environment:
    """A Jinja2 environment that autoescapes everything and fails on undefined names;
    `keep_compiled`: templates compiled before are reused (compiled_templates)."""
    env = jinja2.Environment(
        loader=DedentingLoader([str(p) for p in search_path]),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        cache_size=-1,
        **TEMPLATE_OPTIONS,
    )
    env.template_class = PrintingTemplate
    env.filters["markdown"] = markdown_html
    env.filters["plural"] = plural  # {{ n|plural("paper") }}: "1 paper", "3 papers"
    env.filters["bibtex"] = bibtex
    env.filters["link_from"] = urls.link_from  # {{ other.url|link_from(page.url) }}
    env.filters["filter_attributes"] = filter_attributes  # {{ card|filter_attributes }}
    env.filters["dump_badges"] = dump_badges  # {{ card.dumps|dump_badges(root) }}
    env.filters["card_items"] = card_items  # {{ papers|card_items(card, root, ...) }}
    # tojson (data files such as <list>/cards.js): compact and stable.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    env.bytecode_cache = compiled_templates(env) if keep_compiled else None
    return env


def filter_attributes(card: Any) -> markupsafe.Markup:
    """What a list's filters read of a paper's card (static/discover.js): its status, tag
    slugs and dump slugs as data- attributes, each left out when empty. A filter, not a
    macro: a macro call for each of the 10k lists' ~30k cards took a ninth of their time."""
    return markupsafe.Markup(attributes_text(card))


def attributes_text(card: Any) -> str:
    """filter_attributes, as a str."""
    parts = []
    if card.status:
        parts.append(f' data-status="{escaped_output(card.status)}"')
    if card.tags:
        parts.append(f' data-tags="{escaped_output(card.tag_slugs)}"')
    if card.dumps:
        parts.append(f' data-dumps="{escaped_output(card.dump_slugs)}"')
    return "".join(parts)


def dump_badges(dumps: Iterable[Any], root: str) -> markupsafe.Markup:
    """A badge linking each of a paper's dumps (a filter: a card on a list called the macro
    that made them once per card; macros.html's dump_badges macro prints this too)."""
    return markupsafe.Markup(badges_text(dumps, root))


def badges_text(dumps: Iterable[Any], root: str) -> str:
    """dump_badges, as a str."""
    dumps = list(dumps)
    if not dumps:  # the root is not printed: an undefined one is no error, as in a macro
        return ""
    # Each value printed as a template prints it (a Markup as it is, anything else escaped).
    root = escaped_output(root)
    return "".join(
        f'<a class="badge badge-dump" href="{root}{escaped_output(dump.url)}">'
        f"{escaped_output(dump.label)}</a>"
        for dump in dumps
    )


EMPTY: dict[str, Any] = {}  # a macro argument's default ({}), never written to


@jinja2.pass_environment
def card_items(env: jinja2.Environment, papers: Iterable[Any], card: Any, *args: Any) -> Markup:
    """`{% for paper in papers %}{{ card(paper, *args) }}{% endfor %}`, macros.html's list of
    cards: with the shipped macros.html, by shipped_card (4 µs a card, against 9 µs for a
    macro call); with a site's own, by its `card` macro."""
    if not shipped_templates(env, ("partials/macros.html",)):
        return Markup("".join(card(paper, *args) for paper in papers))
    return Markup("".join(shipped_card(paper, *args) for paper in papers))


def shipped_card(
    paper: Any,
    root: str,
    show_theme: bool = False,
    in_theme: str = "",
    ranks: Any = EMPTY,
    anchors: Any = EMPTY,
    map_links: Any = EMPTY,
) -> str:
    """What the shipped `card` macro prints, byte for byte (test_render compares the two)."""
    esc, slug, at = escaped_output, paper.slug, escaped_output(root)
    cross = in_theme and paper.theme_url != in_theme
    anchor = f' id="{esc(anchors[slug])}"' if slug in anchors else ""
    rank = (
        f'<span class="card-rank" title="Place in the feed\'s listing">#{esc(ranks[slug])}</span> '
        if slug in ranks
        else ""
    )
    theme_url, theme = esc(paper.theme_url), esc(paper.theme)
    parts = [
        f'<li class="card{" card-cross" if cross else ""}"{anchor}{attributes_text(paper)}>\n'
        f'<h3 class="card-title">{rank}<a href="{at}{esc(paper.url)}">{esc(paper.title)}</a>'
        f'</h3>\n<p class="card-excerpt">{esc(paper.excerpt)}</p>\n<div class="card-meta">\n'
    ]
    if show_theme:
        parts.append(f'<a class="badge badge-theme" href="{at}{theme_url}">{theme}</a>')
    if cross:
        parts.append(
            f'<a class="badge badge-cross" href="{at}{theme_url}" title="Filed under {theme},'
            f' also listed here">cross-listed from {theme}</a>'
        )
    parts.append(f"{badges_text(paper.dumps, root)}\n")
    if paper.status:
        parts.append(status_badge(paper.status))
    parts.append(badges(at, paper.tags, "tag", "name", "#"))
    if slug in map_links:
        parts.append(
            f'<a class="badge badge-map" href="{at}{esc(map_links[slug])}">See on the map</a>'
        )
    parts.append("</div>\n</li>\n")
    return "".join(parts)


def badges(root: str, items: Iterable[Any], kind: str, field: str, mark: str = "") -> str:
    """Badge links (a paper's tags, its themes), `root` escaped already."""
    return "".join(
        f'<a class="badge badge-{kind}" href="{root}{escaped_output(item.url)}">{mark}'
        f"{escaped_output(getattr(item, field))}</a>"
        for item in items
    )


def status_label(status: Any) -> Any:
    """A reading status as the templates print `status|replace('-', ' ')`."""
    return escaped_output(markupsafe.soft_str(status).replace("-", " "))


def status_badge(status: Any) -> str:
    """The badge of a reading status (a card's, a paper page's)."""
    return (
        f'<span class="badge badge-status status-{escaped_output(status)}" '
        f'title="Reading status">{status_label(status)}</span>'
    )


def shipped_templates(env: jinja2.Environment, names: tuple[str, ...]) -> bool:
    """Whether every one of these templates is the shipped one (no site overrides any):
    looked up once per environment (a build's, or a preview's until its templates change)."""
    known = SHIPPED.setdefault(env, {})
    if names not in known:
        known[names] = all_shipped(env, names)
    return known[names]


SHIPPED: WeakKeyDictionary[jinja2.Environment, dict[tuple[str, ...], bool]] = WeakKeyDictionary()


def all_shipped(env: jinja2.Environment, names: tuple[str, ...]) -> bool:
    """shipped_templates, looked up: no folder before the shipped one holds any of them."""
    loader = env.loader
    if not isinstance(loader, jinja2.FileSystemLoader):
        return False
    shipped = default_dir("templates").resolve()
    own = [Path(folder) for folder in loader.searchpath if Path(folder).resolve() != shipped]
    if len(own) + 1 != len(loader.searchpath):
        return False
    return not any((folder / name).exists() for folder in own for name in names)


def escaped_output(value: Any) -> Any:
    """What an autoescaping template prints for `{{ value }}`: the escaped text of a plain
    string as a str, not a Markup (the same characters, markupsafe's own escaping)."""
    if type(value) is str:
        return escape_text(value)
    if type(value) is markupsafe.Markup:  # safe already (a macro's output, a filter's): as is,
        return value  # where escape would copy it into a new Markup (~30k a 10k site's lists)
    return markupsafe.escape(value)


def escaped_by_replace(text: str) -> str:
    """markupsafe's escaping of a str, where markupsafe keeps no plain function for it."""
    for mark, entity in ESCAPES:
        text = text.replace(mark, entity)
    return text


ESCAPES = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"), ("'", "&#39;"), ('"', "&#34;"))
# markupsafe.escape builds a Markup (a Python-level constructor) of each value printed: ~75 %
# of its cost, for a result the template only joins into its output. Its C routine alone:
escape_text = getattr(markupsafe, "_escape_inner", escaped_by_replace)


class PrintingTemplate(jinja2.Template):
    """A template whose printed values are escaped without a Markup made for each.

    An autoescaping template's code wraps only what it prints in `escape(...)`, and joins
    those into its output; wherever that output is kept as a value (a macro's, `{% set %}`'s,
    a filter block's, `super()`), Jinja wraps it in Markup itself. So a str is as safe as a
    Markup there; 180 values printed per paper page made escaping ~15 % of rendering.
    """

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        namespace["escape"] = escaped_output  # the template code's own global
        return super()._from_namespace(environment, namespace, globals)


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled once per source, kept in the user's cache folder (Jinja's
    bytecode cache): a build compiled all 20 for 75 ms before its first page."""

    def load_bytecode(self, bucket: Any) -> None:
        """A compiled template, if its file is the user's own and readable; else a compile."""
        try:
            with open(self._get_cache_filename(bucket), "rb") as handle:
                if trusted_by_owner(os.fstat(handle.fileno())):
                    bucket.load_bytecode(handle)
        except Exception:  # noqa: BLE001 - missing, damaged or foreign: compiled afresh
            bucket.reset()

    def dump_bytecode(self, bucket: Any) -> None:
        """Keep a compiled template; a folder that can't take it costs a compile next time."""
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def compiled_templates(env: jinja2.Environment) -> CompiledTemplates | None:
    """The folder of compiled templates: SITEGEN_TEMPLATE_CACHE, else the user's cache folder's
    sitegen/templates (fsio.own_cache_folder); None when turned off or not the user's own."""
    folder = own_cache_folder("SITEGEN_TEMPLATE_CACHE", "templates")
    return None if folder is None else CompiledTemplates(str(folder), f"{compile_tag(env)}-%s")


def compile_tag(env: jinja2.Environment) -> str:
    """What compiled code depends on besides its template's source (each file holds a
    checksum of that): Jinja, the options, how each filter is called, and the filters' own
    results, which Jinja computes as it compiles when their arguments are constants
    (`{{ "*a*"|markdown }}`): sitegen's code and the Markdown and escaping libraries."""
    filters = sorted((n, repr(getattr(f, "jinja_pass_arg", None))) for n, f in env.filters.items())
    tag = hashlib.sha256(
        repr((jinja2.__version__, sorted(TEMPLATE_OPTIONS.items()), filters)).encode()
    )
    # The other libraries' code, which holds their versions: MarkupSafe's version is
    # deprecated as an attribute (and slow to look up), and markdown-it is not imported
    # for its own (sitegen.mdparser: only texts that need the parser load it).
    libraries = [Path(markupsafe.__file__), markdown_it_source()]
    for source in [*libraries, *sorted(Path(__file__).parent.rglob("*.py"))]:
        tag.update(source.read_bytes())
    return tag.hexdigest()[:16]


def markdown_it_source() -> Path:
    """markdown-it's __init__.py, where its __version__ is, found without importing it."""
    spec = importlib.util.find_spec("markdown_it")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("markdown_it")  # a dependency: only a broken install
    return Path(spec.origin)


def compile_into_cache(root: Path) -> None:
    """In the copy a CLI build starts ahead (sitegen.ahead): the site's templates compiled
    into the user's cache of compiled templates, if there is one (its environment is made
    here, not in the build)."""
    from sitegen.paper_page import unused_templates

    env = make_environment(template_dirs(root))
    if env.bytecode_cache is not None:
        compile_templates(env, unused_templates(env))


def compile_templates(env: jinja2.Environment, unused: Collection[str] = ()) -> None:
    """Compile every template the environment finds but those no page will render (`unused`:
    compiled if ever asked for); one with an error is left to fail where it is used (an
    unused broken template never stopped a build)."""
    for name in env.list_templates(extensions=("html", "xml", "js", "txt")):
        if name in unused:
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            continue


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> bytes:
    """Render one template to UTF-8 bytes (an XML one without the characters XML forbids)."""
    text = env.get_template(name).render(context)
    if name.endswith(".xml"):
        text = xml_chars(text)
    return text.encode("utf-8")


# What XML 1.0 allows no document to hold, even escaped: C0 controls but tab, newline and
# carriage return, lone surrogates and U+FFFE/U+FFFF. A title copied from a terminal can hold
# an ESC, and a feed reader refuses the whole feed for one such character.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_chars(text: str) -> str:
    """Text without the characters XML forbids (untrusted titles, abstracts and settings)."""
    return XML_FORBIDDEN.sub("", text)
