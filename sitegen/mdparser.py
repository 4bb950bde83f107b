"""markdown-it-py set up as sitegen renders Markdown: CommonMark, tables, strikethrough,
inline TeX, bare URLs linked, headings shifted below the page's <h1>.

Imported by the first text that needs the parser (render.markdown_html): most abstracts
are made without it (render.plain_paragraph), and a build whose texts all are loads no
markdown-it (~25 ms of a build's start).
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from sitegen.render import is_safe_url, linkify_text
from sitegen.texmath import tex_plugin


def link_tokens(visible: str, href: str, level: int) -> list[Token]:
    """The three inline tokens of a link around plain text."""
    opening = Token("link_open", "a", 1, attrs={"href": href}, level=level)
    opening.markup, opening.info = "linkify", "auto"
    text = Token("text", "", 0, content=visible, level=level + 1)
    closing = Token("link_close", "a", -1, level=level)
    closing.markup, closing.info = "linkify", "auto"
    return [opening, text, closing]


def linkify_rule(state: StateCore) -> None:
    """Core rule: turn bare URLs in text (outside links and code) into links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            if token.type != "text" or depth > 0 or "." not in token.content:
                children.append(token)
                continue
            for visible, href in linkify_text(token.content):
                if href is None:
                    children.append(Token("text", "", 0, content=visible, level=token.level))
                else:
                    children.extend(link_tokens(visible, href, token.level))
        block.children = children


def shift_headings_rule(state: StateCore) -> None:
    """Core rule: the page owns <h1>, so a user's '#' heading becomes <h2>, and so on."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"


def make_markdown() -> MarkdownIt:
    """CommonMark plus tables and strikethrough; no raw HTML, no images, safe links only."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")
    md.validateLink = is_safe_url
    md.use(tex_plugin)  # inline TeX: MathML, emphasis, accents (unknown TeX stays as written)
    md.core.ruler.push("sitegen_linkify", linkify_rule)
    md.core.ruler.push("sitegen_headings", shift_headings_rule)
    return md


MARKDOWN = make_markdown()
