"""Rendering safety: Markdown without HTML, safe links, linkify, autoescaping, overrides, XSS."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import loaded_before_and_after
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from sitegen.build import BuildOptions, build
from sitegen.mdparser import MARKDOWN
from sitegen.model.library import DumpInfo, TagInfo
from sitegen.render import (
    bibtex,
    compile_tag,
    is_safe_url,
    linkify_text,
    literal_backticks,
    make_environment,
    markdown_html,
    markdown_it_source,
    plain_paragraph,
    plural,
    render_template,
    template_dirs,
)
from sitegen.views.context import PaperCard

# Every character class a Markdown, TeX or link rule starts at, and prose around them.
MARKDOWNISH = st.lists(
    st.sampled_from([*"ab Zé1 .,:;'\"()-+=%@^/?\t\n\r\x00\\`*_~[]<>&!#|${}", "www.", "http://a.b"]),
    max_size=30,
).map("".join)


# Lines that a rule changes: the parser-free path leaves them to markdown-it, or links
# their bare URLs as linkify_rule does.
RULED_LINES = [
    "a *b* c",
    "a _b_ c",
    "a `b` c",
    "a ~~b~~ c",
    "a [b](c) d",
    "a ![b](c) d",
    "a <b> c",
    "a < b",
    "a <http://b.c> d",
    "a &amp; &copy c",
    "a $x^2$ c",
    "a \\(x\\) c",
    "a \\% c",
    "a {\\bf b} c",
    "a \\emph{b} c",
    "a | b",
    "Code (see https://x.org/a).",
    "Link https://x.org",
    "a www.x",
    "a http://x.y/(b) c.",
    "a https://x.y/q?a=1+b='2' c",
    "See www.a.org now",
    "See http://a.b/c now",
    "a b  ",
    "a\nb",
    "a\tb",
    "a\x00b",
    "# a",
    "1. a",
    "- a",
    "> a",
    "    a",
    # The prose path's characters, where a rule does take them and where none does.
    "a snake_case b",
    "a __init__ b",
    "a _b c",
    "a b_ c",
    "a_ b",
    "a_(b)",
    "é_1 x",
    "a ~ b ~~c~~",
    "a ~b~ c",
    "R&D and A & B",
    "a &amp; b",
    "a &copy; b &copy c",
    "a &AMP; b",
    "a > b",
    "a {b} | {c}",
    "a {b} www.x.org",
    "a_b https://x.org/c_d",
    "R&D https://x.org/?a=1&b=2",
    "See https://x.org/a_b/~c/d|e{f} now.",
    "a `b' and ``c\" d",
    "a `b` c",
    "a ``b`` c `d",
    "a `b ``c`` d` e",
    "a ``` b `` c ` d",
    "a `https://x.org/b` c",
    "a https://x.org/`b` c",
    "a `b https://x.org/c.",
    "a [1] and [b] c",
    "a [b](https://x.org) c",
    "a [b] (c) d",
    "a [b][c] d",
    "a*b c",
    "a *b* c",
    "a ** b",
    "a **b** *c",
    "3D scenes [12] at p<0.05*",
    "12. a",
    "1) a",
    "1986. a",
    "1986.5 a",
    # TeX the parser's rules make text of, and TeX they don't.
    '84.8\\% top-1 and R\\&D, \\eg na\\"{\\i}ve \\overfeat nets\\ie ones',
    "a {\\em b} c",
    "a \\emph{b} c",
    "a \\(x\\) b",
    "a \\$5 b",
    "a \\\\ b",
    "a \\_b_ c",
    "a\\",
    "a \\eg",
    "a \\ie ",
    "a \\%_b_\\% c",
    "a \\%*b*\\% c",
    "a \\foo\rb c",
    "a`\\`e",
    "Following `Poincar\\`e' we",
    "Poincar\\`e's method",
]


@settings(max_examples=200, deadline=None)
@given(st.one_of(MARKDOWNISH, st.text(max_size=30)))
@example('A "quoted" line: 50% of (1) it, at @x ^ y = z + 1 - 2 / 3?')
def test_a_plain_paragraph_is_what_markdown_it_makes(text: str) -> None:
    """The parser-free path for a plain line gives markdown-it's bytes, or steps aside."""
    for line in [text, *RULED_LINES]:
        plain = plain_paragraph(line)
        if plain is not None:
            assert plain == MARKDOWN.render(line), line
    assert (
        plain_paragraph('A plain line, "quoted".') == "<p>A plain line, &quot;quoted&quot;.</p>\n"
    )


# Words and the characters the prose path lets through (render.PLAIN_PROSE), and the ones
# around which a rule may take them.
PROSE = st.lists(
    st.sampled_from(["a", "Zé", "1", "_", "__", "~", "~~", "|", "{", "}", "&", ">", " ", ".",
                     ",", "(", ")", '"', "'", "amp;", "gt;", "-", "www.x.org", "é_1", "`",
                     "``", "https://x.org/", "/", "*", "**", "[", "]", "](", "1", "1.", "\\",
                     "\\%", "\\&", "\\ie", "\\eg ", "\\foo", '\\"{\\i}', "\\'e", "{\\it x}",
                     "\\(", "\\)", "$", "\\$", "\\_", "\\{", " \\", "\\`e", "\\`{a}"]),
    min_size=1,
    max_size=24,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(PROSE)
@example("The R&D of snake_case ~ tables | {sets} > all")
def test_a_plain_prose_line_is_what_markdown_it_makes(text: str) -> None:
    """The prose path gives markdown-it's bytes, or steps aside."""
    plain = plain_paragraph(text)
    if plain is not None:
        assert plain == MARKDOWN.render(text), text


def test_the_prose_path_takes_what_it_may() -> None:
    for text in [
        "a snake_case R&D x > y ~ z | {w}",
        "The code: https://github.com/a/b_c/~d. It was ``fully trained'' as `teacher' models.",
    ]:
        assert plain_paragraph(text) is not None
        assert plain_paragraph(text) == MARKDOWN.render(text)
    assert plain_paragraph("a `b` c") is None  # a code span: the parser's


def test_a_run_of_backticks_is_literal_when_no_later_run_is_as_long() -> None:
    assert literal_backticks("``a'' and `b'") and literal_backticks("no ticks")
    assert not literal_backticks("`a` b") and not literal_backticks("``a`` `b")


def test_raw_html_is_escaped() -> None:
    html = markdown_html("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_dangerous_links_are_not_links(source: str) -> None:
    html = markdown_html(source)
    assert "href" not in html, html


def test_images_are_not_loaded() -> None:
    html = markdown_html("![tracker](https://evil.example/pixel.png)")
    assert "<img" not in html


def test_safe_url_schemes() -> None:
    assert is_safe_url("https://x.org") and is_safe_url("mailto:a@b.c") and is_safe_url("../x/")
    assert not is_safe_url(" javascript:alert(1)")
    assert not is_safe_url("data:image/png;base64,AAAA")
    assert not is_safe_url("file:///etc/passwd")


@pytest.mark.parametrize(
    ("text", "href", "rest"),
    [
        ("see https://github.com/a/b.", "https://github.com/a/b", "."),
        ("(code: https://github.com/a/b)", "https://github.com/a/b", ")"),
        ("at https://x.io/{project}, ok", "https://x.io/", "{project}, ok"),
        ("url https://en.wikipedia.org/wiki/A_(b)!", "https://en.wikipedia.org/wiki/A_(b)", "!"),
        ("site www.example.com/x;", "https://www.example.com/x", ";"),
    ],
)
def test_bare_urls_are_linked_and_trimmed(text: str, href: str, rest: str) -> None:
    runs = linkify_text(text)
    linked = [run for run in runs if run[1] is not None]
    assert [h for _, h in linked] == [href]
    assert "".join(t for t, _ in runs) == text  # nothing is lost from the visible text
    assert runs[-1][0].endswith(rest)
    html = markdown_html(text)
    assert f'href="{href}"' in html


def test_urls_in_code_and_links_are_left_alone() -> None:
    assert "href" not in markdown_html("`https://x.org/a`")
    html = markdown_html("[site https://x.org/b](https://x.org/a)")
    assert html.count("<a ") == 1


def test_user_headings_sit_below_the_page_title() -> None:
    assert "<h2>Notes</h2>" in markdown_html("# Notes")


def test_autoescape_everywhere_and_template_syntax_stays_literal(tmp_path: Path) -> None:
    (tmp_path / "t.xml").write_text("<t>{{ v }}</t>")
    (tmp_path / "t.html").write_text("<p>{{ v }}</p>")
    env = make_environment([tmp_path])
    value = "<b>{{ 7*7 }}</b>"
    assert render_template(env, "t.xml", {"v": value}) == b"<t>&lt;b&gt;{{ 7*7 }}&lt;/b&gt;</t>"
    assert render_template(env, "t.html", {"v": value}) == b"<p>&lt;b&gt;{{ 7*7 }}&lt;/b&gt;</p>"


def test_site_templates_come_first(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    dirs = template_dirs(tmp_path)
    assert dirs[0] == tmp_path / "templates" and (dirs[1] / "base.html").is_file()
    assert template_dirs(tmp_path / "nowhere")[0] == dirs[1]


# ------------------------------------------------------------ XSS in a real browser

PAYLOAD = "<script>alert('t')</script><img src=x onerror=alert('i')> {{ 7*7 }}"
EVIL_PAGE = textwrap.dedent(
    """\
    ---
    title: "Evil <script>alert('title')</script> <img src=x onerror=alert(1)> {{ 7*7 }}"
    slug: evil-paper
    tags: ["<script>alert('tag')</script>", "{{ 7*7 }}"]
    status: "<b onmouseover=alert(1)>reading</b>"
    notes: "[click](javascript:alert('notes')) and <img src=x onerror=alert('n')>"
    ---

    Abstract with <script>alert('abstract')</script> and <img src=x onerror=alert('a')>,
    a [link](javascript:alert('link')), a [data link](data:text/html,<script>alert(1)</script>),
    template syntax {{ 7*7 }} {% raw %} and https://example.org/code}.

    # My notes

    More <iframe src="javascript:alert('iframe')"></iframe> {{ 7*7 }}
    """
)


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose only paper is full of XSS payloads, built."""
    root = tmp_path_factory.mktemp("evil")
    folder = root / "content" / "papers" / "architectures"
    folder.mkdir(parents=True)
    (folder / "evil-paper.md").write_text(EVIL_PAGE)
    (root / "content" / "site.yaml").write_text(f"title: {PAYLOAD!r}\n")
    build(root, BuildOptions(root / "site"))
    return root / "site"


@pytest.mark.parametrize(
    "page_path",
    ["papers/evil-paper/", "", "themes/architectures/", "papers/", "tags/", "search/", "404.html"],
)
def test_xss_payloads_render_as_text_in_chromium(
    evil_site: Path, browser: object, page_path: str
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    target = evil_site / page_path
    if target.is_dir():
        target = target / "index.html"
    page.goto(target.as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    assert "{{ 7*7 }}" in text and "49" not in text
    assert "<script>alert('t')</script>" in page.title()
    if page_path == "papers/evil-paper/":
        for fragment in ("<script>alert('abstract')</script>", "onerror=alert('a')>", "{% raw %}"):
            assert fragment in text
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:"))]
        assert "https://example.org/code" in hrefs
        page.hover("text=reading")  # the status must not carry a live onmouseover
    assert page.locator("img, iframe").count() == 0
    page.close()
    assert dialogs == []


def test_templates_lose_their_indentation_but_not_inside_pre(tmp_path: Path) -> None:
    (tmp_path / "plain.html").write_text("<ul>\n    <li>{{ x }}</li>\n</ul>\n")
    (tmp_path / "code.html").write_text("<pre>\n    indented {{ x }}\n</pre>\n")
    env = make_environment([tmp_path])
    assert env.get_template("plain.html").render(x="  kept  ") == "<ul>\n<li>  kept  </li>\n</ul>\n"
    assert env.get_template("code.html").render(x=1) == "<pre>\n    indented 1\n</pre>\n"


def test_plural_counts_one_and_many() -> None:
    assert [plural(n, "paper") for n in (0, 1, 2)] == ["0 papers", "1 paper", "2 papers"]
    assert (
        plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
    )


def test_bibtex_escapes_the_title_and_keys_by_slug() -> None:
    paper = SimpleNamespace(title="50% of {x} & y_1 ~ \\o", slug="s-1", copy_url="papers/s-1/")
    assert bibtex(paper) == (
        "@misc{s-1,\n  title = {{50\\% of \\{x\\} \\& y\\_1 \\textasciitilde{} "
        "\\textbackslash{}o}},\n  howpublished = {\\url{papers/s-1/}},\n}"
    )


def compiles_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles in this process from now on."""
    import jinja2

    compiled: list[str] = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment,
        "compile",
        lambda e, s, n=None, *a, **k: compiled.append(n) or real(e, s, n, *a, **k),
    )
    return compiled


def test_templates_are_compiled_once_per_source_into_the_users_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.render import make_environment

    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(tmp_path / "compiled"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ text|plural('page') }} one</p>\n")
    compiled = compiles_seen(monkeypatch)
    first = make_environment([templates]).get_template("page.html").render(text=2)
    assert compiled == ["page.html"] and any((tmp_path / "compiled").iterdir())
    again = make_environment([templates]).get_template("page.html").render(text=2)
    assert compiled == ["page.html"] and again == first  # read back, not compiled again
    (templates / "page.html").write_text("<p>{{ text|plural('page') }} two</p>\n")
    edited = make_environment([templates]).get_template("page.html").render(text=2)
    assert compiled == ["page.html"] * 2 and "two" in edited  # its source changed


def test_a_template_cache_others_can_write_to_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sitegen.render import compiled_templates, make_environment

    env = make_environment([tmp_path])
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(tmp_path / "compiled"))
    assert compiled_templates(env) is not None
    (tmp_path / "compiled").chmod(0o777)  # anyone could put code there
    assert compiled_templates(env) is None
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", "off")
    assert compiled_templates(env) is None


def test_a_damaged_or_foreign_compiled_template_is_compiled_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    from sitegen.build.model import environment_for
    from sitegen.cache import BuildCache
    from sitegen.render import make_environment

    compiled = tmp_path / "compiled"
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(compiled))
    (tmp_path / "page.html").write_text("<p>{{ 2|plural('page') }}</p>\n")
    expected = make_environment([tmp_path]).get_template("page.html").render()
    (kept,) = compiled.iterdir()
    kept.write_bytes(kept.read_bytes()[:20] + b"garbage")  # torn, or edited
    assert make_environment([tmp_path]).get_template("page.html").render() == expected
    compiles: list[str] = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment, "compile", lambda e, *a, **k: compiles.append("") or real(e, *a, **k)
    )
    assert make_environment([tmp_path]).get_template("page.html").render() == expected
    assert compiles == []  # the file written again above is used
    kept.chmod(0o666)  # anyone could have put code in it
    assert make_environment([tmp_path]).get_template("page.html").render() == expected
    assert compiles == [""]  # not used: compiled afresh
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", "relative/folder")
    assert make_environment([tmp_path]).bytecode_cache is None  # never under a project
    monkeypatch.setenv("SITEGEN_TEMPLATE_CACHE", str(compiled))
    project = type("Project", (), {"root": tmp_path})()
    assert environment_for(project, BuildCache()).bytecode_cache is None  # --clean: none


PRINTED = st.one_of(
    st.text(alphabet=st.sampled_from([*"a é<>&'\"{}%#\\\x00\n"]), max_size=12),
    st.integers(),
    st.none(),
    st.builds(lambda s: __import__("markupsafe").Markup(s), st.sampled_from(["<b>x</b>", "&amp;"])),
)
# Every way a printed value can be kept and printed again: a macro, a call block, {% set %},
# a filter block, super(), an include, a loop; and the `e` filter beside the printing.
EVERY_WAY = """{% macro m(v) %}<i>{{ v }}</i>{{ caller() if caller else '' }}{% endmacro %}
{%- set kept %}[{{ v }}]{% endset -%}
{{ v }}|{{ v|e }}|{{ m(v) }}|{% call m(v) %}{{ v }}{% endcall %}|{{ kept }}|{{ kept|e }}
|{% filter upper %}{{ v }}{% endfilter %}|{% for x in [v, v] %}{{ x }}{{ loop.index }}{% endfor %}
|{% include "inc.html" %}|{{ [v]|join(",") }}|{{ v ~ "<" }}|{% block b %}{{ v }}{% endblock %}"""


@given(PRINTED)
@settings(max_examples=60, deadline=None)
def test_printed_values_are_escaped_as_jinja_escapes_them(value: object) -> None:
    import jinja2

    from sitegen.render import TEMPLATE_OPTIONS, PrintingTemplate

    sources = {
        "t.html": EVERY_WAY,
        "child.html": '{% extends "t.html" %}{% block b %}({{ super() }}){% endblock %}',
        "inc.html": "<{{ v }}>",
    }

    def rendered(template_class: type | None) -> str:
        env = jinja2.Environment(loader=jinja2.DictLoader(sources), **TEMPLATE_OPTIONS)
        if template_class is not None:
            env.template_class = template_class
        return env.get_template("child.html").render(v=value)

    assert rendered(PrintingTemplate) == rendered(None)


def test_printing_escapes_with_markupsafe_or_the_same_replacements() -> None:
    from markupsafe import escape

    from sitegen.render import escaped_by_replace, escaped_output

    text = "<a href='x' title=\"y\">&amp; & é</a>"
    assert escaped_output(text) == escaped_by_replace(text) == str(escape(text))
    assert type(escaped_output(text)) is str  # no Markup made for a printed str
    assert escaped_output(escape("<b>")) == "&lt;b&gt;" and escaped_output(5) == "5"
    safe = escape("<b>")  # a Markup is printed as it is, the same text escape would give
    assert escaped_output(safe) is safe and str(escape(safe)) == safe

    class Subclass(type(safe)):  # any other type goes through markupsafe.escape
        pass

    assert escaped_output(Subclass("<i>")) == "<i>"


def test_the_environment_prints_through_the_printing_template(tmp_path: Path) -> None:
    from sitegen.render import PrintingTemplate

    (tmp_path / "t.html").write_text("<p>{{ v }}</p>")
    template = make_environment([tmp_path], keep_compiled=False).get_template("t.html")
    assert isinstance(template, PrintingTemplate)
    assert template.render(v="<&>") == "<p>&lt;&amp;&gt;</p>"


# What the list filters read of a card, as macros.html printed it before it was a filter.
FILTER_DATA_MACRO = (
    '{% if paper.status %} data-status="{{ paper.status }}"{% endif %}'
    '{% if paper.tags %} data-tags="{{ paper.tag_slugs }}"{% endif %}'
    '{% if paper.dumps %} data-dumps="{{ paper.dump_slugs }}"{% endif %}'
)


@given(
    st.sampled_from(["", "to-read", "a\"<b>&'c", "read", 5, Markup("&amp;"), None]),
    st.lists(st.sampled_from(["rl", "x&y", '"q"', "<t>"]), max_size=3),
    st.lists(st.sampled_from(["2024-04-10", "d'o", "a>b"]), max_size=2),
)
def test_a_card_s_filter_attributes_are_those_its_template_printed(
    status: object, tags: list[str], dumps: list[str]
) -> None:
    import jinja2

    from sitegen.render import filter_attributes

    card = SimpleNamespace(
        status=status,
        tags=tuple(tags),
        dumps=tuple(dumps),
        tag_slugs=" ".join(tags),
        dump_slugs=" ".join(dumps),
    )
    env = jinja2.Environment(autoescape=True)
    expected = env.from_string(FILTER_DATA_MACRO).render(paper=card)
    env.filters["filter_attributes"] = filter_attributes
    assert env.from_string("{{ paper|filter_attributes }}").render(paper=card) == expected


def test_dump_badges_are_those_the_macro_printed_with_hostile_labels() -> None:
    import jinja2

    from sitegen.render import dump_badges

    dumps = [
        SimpleNamespace(url="dumps/a/", label="2024-04-10"),
        SimpleNamespace(url='dumps/"b"/', label="<script>x</script> & 'y'"),
    ]
    old = (
        '{% for dump in dumps %}<a class="badge badge-dump" href="{{ root }}{{ dump.url }}">'
        "{{ dump.label }}</a>{% endfor %}"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    odd = [SimpleNamespace(url=Markup("a&amp;b/"), label=None)]  # printed as a template would
    for root in ("", "../../", '"><', Markup("&amp;/")):
        for listed in (dumps, odd):
            expected = env.from_string(old).render(dumps=listed, root=root)
            assert dump_badges(listed, root) == expected
    assert dump_badges([], jinja2.StrictUndefined(name="root")) == ""  # never printed


def card_of(title: object, status: object = "", tags: tuple = (), dumps: tuple = ()) -> object:
    """A paper's card as a list shows it."""
    return PaperCard(
        "s-1", title, "papers/t/s-1/", f"{title} excerpt", f'Th"eme {title}', "themes/t/",
        dumps, status, tags,
    )  # fmt: skip


HOSTILE = ["", "Plain", "<script>x</script>", "a&b \"q\" 'p'", Markup("<i>safe</i>"), 7]
CARD_ENV = make_environment(template_dirs(None), keep_compiled=False)  # shared: compiled once
CARD_ARGS = "root, show_theme, in_theme, ranks, anchors, map_links"
CARD_LOOP = (  # what the shipped cards macro did, and the filter it calls instead
    '{% from "partials/macros.html" import card %}'
    f"{{% for paper in papers %}}{{{{ card(paper, {CARD_ARGS}) }}}}{{% endfor %}}"
)
CARD_FILTER = f"{{{{ papers|card_items(card, {CARD_ARGS}) }}}}"


@given(
    title=st.sampled_from(HOSTILE),
    status=st.sampled_from(["", "to-read", "a<b>-c", 5]),
    tags=st.lists(st.sampled_from(["rl", "x&y", "<t>"]), max_size=2),
    dumps=st.lists(st.sampled_from(["2024-04-10", "d'o", "a>b"]), max_size=2),
    root=st.sampled_from(["", "../../", '"><', Markup("&amp;/")]),
    show_theme=st.booleans(),
    in_theme=st.sampled_from(["", "themes/t/", "themes/other/"]),
    marks=st.sampled_from([{}, {"s-1": 3}, {"s-1": "<x>"}, {"other": 1}]),
)
@settings(max_examples=150, deadline=None)
def test_a_list_s_cards_are_what_the_card_macro_prints(
    title: object, status: object, tags: list, dumps: list, root: str,
    show_theme: bool, in_theme: str, marks: dict,
) -> None:  # fmt: skip
    tag_infos = tuple(TagInfo(t, t, f"tags/{t}/", 1) for t in tags)
    dump_infos = tuple(DumpInfo(d, d, f"dumps/{d}/", f"label {d}", None, 1, 2, 1, d) for d in dumps)
    papers = [card_of(title, status, tag_infos, dump_infos), card_of("Other")]
    args = {"root": root, "show_theme": show_theme, "in_theme": in_theme}
    values = {**args, "ranks": marks, "anchors": marks, "map_links": marks}
    looped = CARD_ENV.from_string(CARD_LOOP).render(papers=papers, **values)
    twin = CARD_ENV.from_string(CARD_FILTER).render(papers=papers, card=None, **values)
    assert twin == looped and "<li" in twin


def test_a_site_s_own_card_macro_makes_its_lists(tmp_path: Path) -> None:
    shipped = (template_dirs(None)[-1] / "partials" / "macros.html").read_text()
    own = tmp_path / "templates" / "partials" / "macros.html"
    own.parent.mkdir(parents=True)
    own.write_text(shipped.replace('<li class="card', '<li data-mine class="card'))
    page = '{% from "partials/macros.html" import cards %}{{ cards(papers, "") }}'
    for site, mine in ((tmp_path, 2), (None, 0)):
        env = make_environment(template_dirs(site), keep_compiled=False)
        made = env.from_string(page).render(papers=[card_of("A"), card_of("B")])
        assert made.count("<li data-mine") == mine and made.count("<li") == 2


def test_markdown_it_loads_only_when_a_text_needs_the_parser() -> None:
    # Most abstracts are made without the parser (plain_paragraph): importing what renders
    # pages, and rendering such a text, load no markdown-it (~25 ms of a build's start);
    # a text that needs the parser does, and the template cache's tag is found without it.
    first = (
        "import sitegen.build, sitegen.cli, sitegen.paper_page\n"
        "from sitegen.render import compile_tag, make_environment, markdown_html, template_dirs\n"
        "compile_tag(make_environment(template_dirs(None), keep_compiled=False))\n"
        "assert markdown_html('A plain abstract, see https://x.org/a.') is not None"
    )
    then = "assert markdown_html('Some *emphasis*.') == '<p>Some <em>emphasis</em>.</p>\\n'"
    assert loaded_before_and_after("markdown_it", first, then) == (False, True)


def test_compile_tag_follows_markdown_it_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The compiled templates' tag reads markdown-it's code (its version) without importing it.
    import markdown_it

    import sitegen.render

    env = make_environment(template_dirs(None), keep_compiled=False)
    assert markdown_it_source() == Path(markdown_it.__file__)
    before = compile_tag(env)
    other = tmp_path / "__init__.py"
    other.write_text('__version__ = "99.0.0"\n', encoding="utf-8")
    monkeypatch.setattr(sitegen.render, "markdown_it_source", lambda: other)
    assert compile_tag(env) != before
