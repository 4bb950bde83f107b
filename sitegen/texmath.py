"""Inline TeX in abstracts and notes: MathML and emphasis at build time, or plain text.

Abstracts copied from arXiv carry LaTeX: `$O(n^2)$`, `\\(\\times\\)`, `{\\bf 8.2\\%}`,
`{\\em ...}`, `na\\"{\\i}ve`. This module reads the common subset; anything it doesn't
know (an unknown macro, unbalanced braces) is left exactly as it was written.
Pure: strings in, strings out. The Markdown side is a markdown-it plugin (`tex_plugin`).
"""

from __future__ import annotations

import re
import unicodedata
from html import escape
from typing import TYPE_CHECKING

from sitegen.records import mutable

if TYPE_CHECKING:  # types only: excerpts and the search index need no Markdown parser
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline

GREEK_TABLE = """
alpha:α beta:β gamma:γ delta:δ epsilon:ϵ varepsilon:ε zeta:ζ eta:η theta:θ vartheta:ϑ iota:ι
kappa:κ lambda:λ mu:μ nu:ν xi:ξ pi:π varpi:ϖ rho:ρ varrho:ϱ sigma:σ varsigma:ς tau:τ
upsilon:υ phi:ϕ varphi:φ chi:χ psi:ψ omega:ω Gamma:Γ Delta:Δ Theta:Θ Lambda:Λ Xi:Ξ Pi:Π
Sigma:Σ Upsilon:Υ Phi:Φ Psi:Ψ Omega:Ω
"""
GREEK_CHARS = dict(pair.split(":") for pair in GREEK_TABLE.split())
# fmt: off
OPERATORS = {
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "div": "÷", "ast": "∗", "circ": "∘",
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "mapsto": "↦",
    "leftrightarrow": "↔", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆",
    "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "nabla": "∇", "partial": "∂",
    "sum": "∑", "prod": "∏", "int": "∫", "infty": "∞", "ldots": "…", "cdots": "⋯",
    "dots": "…", "prime": "′", "mid": "∣", "vert": "|", "|": "‖", "langle": "⟨", "rangle": "⟩",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "%": "%", "{": "{", "}": "}",
    "#": "#", "&": "&", "_": "_", ",": " ", ";": " ", "!": "", " ": " ", "quad": " ",
    "qquad": "  ", "star": "⋆", "dagger": "†", "ell": "ℓ", "top": "⊤", "perp": "⊥",
    "oplus": "⊕", "otimes": "⊗", "odot": "⊙",
}
FUNCTIONS = {
    "log", "ln", "exp", "sin", "cos", "tan", "max", "min", "arg", "lim", "sup", "inf",
    "det", "dim", "deg", "tanh", "Pr",
}
VARIANTS = {
    "mathbf": "bold", "boldsymbol": "bold-italic", "mathcal": "script", "mathbb": "double-struck",
    "mathrm": "normal", "mathit": "italic", "mathsf": "sans-serif", "mathtt": "monospace",
    "operatorname": "normal",
}
TEXT_MACROS = {"text", "textrm", "mbox", "textnormal"}
IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "displaystyle", "limits"}
# Author shorthands that papers define and abstracts keep.
WORDS = {
    "eg": "e.g.", "ie": "i.e.", "etc": "etc.", "etal": "et al.", "wrt": "w.r.t.", "vs": "vs.",
    "cf": "cf.",
}
ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "u": "\u0306", "v": "\u030c", "H": "\u030b", "k": "\u0328",
}
STYLES = {
    "bf": "strong", "textbf": "strong", "it": "em", "em": "em", "emph": "em", "textit": "em",
    "sl": "em", "textsl": "em",
}
ESCAPED = {"%", "&", "#", "_", "$", "{", "}"}
# fmt: on

MATH_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\d+(?:\.\d+)?)|([A-Za-z])|(\s+)|(.)", re.S)
ACCENT = re.compile(
    r"""\\(["'`^~=.]|[cuvHk](?=[{ ]))\s*(?:\{\s*(\\i|\\j|[A-Za-z])\s*\}|(\\i|\\j|[A-Za-z]))"""
)
WORD_MACRO = re.compile(r"\\([A-Za-z]+)\b\s?")


class NotTex(ValueError):
    """Text that is not TeX this module understands; it stays as written."""


@mutable
class Node:
    """A MathML element with text or children."""

    tag: str
    text: str = ""
    children: tuple[Node, ...] = ()
    variant: str = ""

    def html(self) -> str:
        """The element as MathML (text escaped)."""
        attrs = f' mathvariant="{self.variant}"' if self.variant else ""
        if self.children or self.tag in ("mrow", "msqrt"):
            inner = "".join(child.html() for child in self.children)
        else:
            inner = escape(self.text, quote=False)
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"

    def plain(self) -> str:
        """The element as readable text."""
        if self.tag in ("msup", "msub", "msubsup"):
            base = self.children[0].plain()
            marks = {"msup": "^", "msub": "_", "msubsup": "_^"}[self.tag]
            pairs = zip(marks, self.children[1:], strict=True)
            scripts = "".join(f"{mark}{wrap(child.plain())}" for mark, child in pairs)
            return base.rstrip() + scripts + (" " if base.endswith(" ") else "")
        if self.tag == "mfrac":
            return f"{wrap(self.children[0].plain())}/{wrap(self.children[1].plain())}"
        if self.tag == "msqrt":
            return f"√{wrap(''.join(c.plain() for c in self.children))}"
        if self.children:
            return "".join(child.plain() for child in self.children).strip()
        # Function names (log, max) are words: keep them apart from their arguments.
        return f" {self.text} " if self.tag == "mi" and len(self.text) > 1 else self.text


def wrap(text: str) -> str:
    """Parenthesise a script or operand of more than one character."""
    return text if len(text) <= 1 else f"({text})"


class MathParser:
    """Recursive descent over the tokens of one inline formula."""

    def __init__(self, source: str):
        self.tokens = [m for m in MATH_TOKEN.finditer(source) if not m.group(4)]
        self.position = 0

    def peek(self) -> re.Match[str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> re.Match[str]:
        token = self.peek()
        if token is None:
            raise NotTex("formula ends too early")
        self.position += 1
        return token

    def row(self, closing: str | None = None) -> Node:
        """Atoms with their scripts, up to `closing` (a `}`) or the end."""
        items: list[Node] = []
        while (token := self.peek()) is not None:
            if token.group(5) == "}":
                if closing is None:
                    raise NotTex("unbalanced }")
                self.position += 1
                return Node("mrow", children=tuple(items))
            items.append(self.scripted())
        if closing is not None:
            raise NotTex("unbalanced {")
        return Node("mrow", children=tuple(items))

    def group(self) -> Node:
        """A braced group or a single atom (a macro's argument)."""
        token = self.take()
        if token.group(5) == "{":
            return self.row("}")
        self.position -= 1
        return self.atom()

    def scripted(self) -> Node:
        """An atom and its ^ and _ scripts."""
        base = self.atom()
        low = high = None
        while (token := self.peek()) is not None and token.group(5) in ("^", "_"):
            self.position += 1
            if token.group(5) == "^":
                high = self.group()
            else:
                low = self.group()
        if low is not None and high is not None:
            return Node("msubsup", children=(base, low, high))
        if high is not None:
            return Node("msup", children=(base, high))
        if low is not None:
            return Node("msub", children=(base, low))
        return base

    def atom(self) -> Node:
        """One letter, number, operator, group or macro."""
        token = self.take()
        macro, number, letter, _, other = token.groups()
        if number:
            return Node("mn", number)
        if letter:
            return Node("mi", letter)
        if other == "{":
            return self.row("}")
        if other is not None:
            if other in "}^_$":
                raise NotTex(f"unexpected {other}")
            return Node("mo", other)
        return self.macro(macro)

    def macro(self, name: str) -> Node:
        """A backslash command; an unknown one means this is not TeX we read."""
        if name in GREEK_CHARS:
            return Node("mi", GREEK_CHARS[name], variant="normal" if name[0].isupper() else "")
        if name in OPERATORS:
            return Node("mo", OPERATORS[name])
        if name in FUNCTIONS:
            return Node("mi", name, variant="normal" if len(name) == 1 else "")
        if name in IGNORED:
            return Node("mrow")
        if name == "frac":
            return Node("mfrac", children=(self.group(), self.group()))
        if name == "sqrt":
            return Node("msqrt", children=(self.group(),))
        if name in VARIANTS:
            inner = self.group()
            return Node("mrow", children=tuple(restyle(c, VARIANTS[name]) for c in flat(inner)))
        if name in TEXT_MACROS:
            return Node("mtext", self.raw_group())
        raise NotTex(f"unknown macro \\{name}")

    def raw_group(self) -> str:
        """The literal text of a braced argument (for \\text{...})."""
        if self.take().group(5) != "{":
            raise NotTex("\\text needs braces")
        parts = []
        depth = 1
        while True:
            token = self.take()
            if token.group(5) == "{":
                depth += 1
            elif token.group(5) == "}":
                depth -= 1
                if depth == 0:
                    return "".join(parts)
            parts.append(token.group(0))


def flat(node: Node) -> tuple[Node, ...]:
    """The children of a row, or the node itself."""
    return node.children if node.tag == "mrow" else (node,)


def restyle(node: Node, variant: str) -> Node:
    """A leaf in another mathvariant (\\mathbf{x}); a structure stays as it is."""
    if node.tag in ("mi", "mn", "mo") and not node.children:
        return Node("mi" if node.tag == "mo" else node.tag, node.text, variant=variant)
    return node


def parse_math(source: str) -> Node:
    """The MathML tree of an inline formula; NotTex if it isn't TeX this module reads."""
    if not source.strip():
        raise NotTex("empty formula")
    return MathParser(source).row()


def math_html(source: str, display: bool = False) -> str:
    """A formula as a <math> element (`display`: a `$$...$$` one, set apart on its line)."""
    tree = parse_math(source)
    annotation = escape(source.strip(), quote=False)
    opening = '<math display="block">' if display else "<math>"
    return (
        f'{opening}<semantics>{tree.html()}<annotation encoding="application/x-tex">'
        f"{annotation}</annotation></semantics></math>"
    )


def accented(mark: str, letter: str) -> str:
    """A letter with a TeX accent, composed (\\"{\\i} -> ï)."""
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + ACCENTS[mark])


# --- plain text: for excerpts, descriptions and the search index -------------------------

# `$$...$$` (display), `$...$` and `\\(...\\)`: the formula is the one group that matched.
INLINE_MATH = re.compile(
    r"\$\$(?=\S)((?:[^$\n]|\n(?!\s*\n)){1,400}?)(?<=\S)\$\$"
    r"|\$(?=\S)([^$\n]{1,400}?)(?<=\S)\$(?!\d)"
    r"|\\\((.{1,400}?)\\\)",
    re.S,
)
STYLE_GROUP = re.compile(
    r"\{\\(bf|it|em|sl)\s+([^{}]*)\}|\\(textbf|textit|emph|textsl)\{([^{}]*)\}"
)


def tex_plain(text: str) -> str:
    """Text with the inline TeX this module reads turned into plain words and symbols."""
    if "\\" not in text and "$" not in text:
        return text

    def formula(match: re.Match[str]) -> str:
        try:
            return parse_math(formula_of(match)).plain()
        except NotTex:
            return match.group(0)

    text = INLINE_MATH.sub(formula, text)
    text = ACCENT.sub(lambda m: accented(m.group(1), m.group(2) or m.group(3)), text)
    for _ in range(3):  # nested groups, innermost first
        text = STYLE_GROUP.sub(lambda m: m.group(2) if m.group(1) else m.group(4), text)
    text = re.sub(r"\\([%&#_$])", r"\1", text)
    return WORD_MACRO.sub(lambda m: word_plain(m), text)


def word_plain(match: re.Match[str]) -> str:
    """An author shorthand (\\eg) as its words; any other macro as written."""
    name = match.group(1)
    if name in WORDS:
        return WORDS[name] + (" " if match.group(0).endswith(" ") else "")
    return match.group(0)


# --- Markdown: a markdown-it plugin, run before markdown's own backslash escapes ---------


def formula_of(match: re.Match[str]) -> str:
    """The formula an INLINE_MATH match holds."""
    return match.group(1) or match.group(2) or match.group(3)


def math_rule(state: StateInline, silent: bool) -> bool:
    """`$$...$$`, `$...$` and `\\(...\\)` as a <math> element, when the formula is TeX we
    read. One we don't read stays as written: a `$$...$$` (not a `$...$` between two stray
    `$`), a `\\(...\\)` and a lone `\\(` or `\\)` (Markdown's escapes would drop their
    backslashes); a `$...$` is left to the other rules (`$5 and $10`)."""
    source, at = state.src, state.pos
    match = INLINE_MATH.match(source, at)
    if match is None or (source[at] == "$" and at > 0 and source[at - 1] == "\\"):
        if not source.startswith(("\\(", "\\)"), at):
            return False
        token, end = ("text", source[at : at + 2]), at + 2
    else:
        try:
            token = ("tex_math", math_html(formula_of(match), match.group(1) is not None))
        except NotTex:
            if match.group(2) is not None:
                return False
            token = ("text", match.group(0))
        end = match.end()
    if not silent:
        state.push(token[0], "math" if token[0] == "tex_math" else "", 0).content = token[1]
    state.pos = end
    return True


STYLE_OPEN = re.compile(r"\{\\(bf|it|em|sl)\s+|\\(textbf|textit|emph|textsl)\{")


def style_rule(state: StateInline, silent: bool) -> bool:
    """`{\\bf ...}`, `\\emph{...}` and the like: strong or em around inline Markdown."""
    match = STYLE_OPEN.match(state.src, state.pos)
    if match is None:
        return False
    end = closing_brace(state.src, match.end())
    if end is None or end > state.posMax:
        return False
    if not silent:
        tag = STYLES[match.group(1) or match.group(2)]
        old_max = state.posMax
        state.push(f"{tag}_open", tag, 1)
        state.pos, state.posMax = match.end(), end
        state.md.inline.tokenize(state)
        state.push(f"{tag}_close", tag, -1)
        state.posMax = old_max
    state.pos = end + 1
    return True


def closing_brace(source: str, start: int) -> int | None:
    """The index of the } closing a group opened just before start, skipping \\{ and \\}."""
    depth, i = 1, start
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def macro_rule(state: StateInline, silent: bool) -> bool:
    """Accents (na\\"{\\i}ve), escaped characters (\\%) and shorthands (\\eg) as text."""
    source, pos = state.src, state.pos
    if source[pos] != "\\":
        return False
    if (match := ACCENT.match(source, pos)) is not None:
        text = accented(match.group(1), match.group(2) or match.group(3))
    elif source[pos + 1 : pos + 2] in ESCAPED:
        match, text = None, source[pos + 1]
    elif (match := WORD_MACRO.match(source, pos)) is not None and match.group(1) in WORDS:
        text = word_plain(match)
    else:
        return False
    if not silent:
        state.push("text", "", 0).content = text
    state.pos = match.end() if match is not None else pos + 2
    return True


def macros_as_text(text: str) -> tuple[str, str] | None:
    """For prose whose only TeX is what macro_rule makes text of (accents, escaped
    characters, author shorthands, and unknown macros, which markdown leaves as written)
    outside any formula or style group: (the text as markdown-it's tokens hold it, the text
    with each macro as "x", for checking what the rest is); None for other text: a backslash
    this doesn't read, a line break or tab, or a "_" (whether one opens or closes emphasis
    depends on the character before it in the source, a macro's own)."""
    if "_" in text or STYLE_OPEN.search(text) or CONTROL.search(text):
        return None
    made, checked, at = [], [], 0
    while (start := text.find("\\", at)) >= 0:
        made.append(text[at:start])
        checked.append(text[at:start])
        if (match := ACCENT.match(text, start)) is not None:
            made.append(accented(match.group(1), match.group(2) or match.group(3)))
        elif text[start + 1 : start + 2] in ESCAPED:
            match = None
            made.append(text[start + 1])
        elif (match := WORD_MACRO.match(text, start)) is not None:
            # An unknown one as written, as markdown leaves it: its backslash, then letters
            # (the "x" standing for them in `checked` is a letter too).
            made.append(word_plain(match))
        else:
            return None
        checked.append("x")
        at = match.end() if match is not None else start + 2
    made.append(text[at:])
    checked.append(text[at:])
    return "".join(made), "".join(checked)


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def tex_plugin(md: MarkdownIt) -> None:
    """Teach a markdown-it parser the inline TeX of abstracts; the rest stays Markdown."""
    md.inline.ruler.before("escape", "tex_math", math_rule)
    md.inline.ruler.before("escape", "tex_macro", macro_rule)
    md.inline.ruler.before("text", "tex_style", style_rule)
    md.add_render_rule("tex_math", render_math)


def render_math(self: object, tokens: list, idx: int, options: object, env: object) -> str:
    """A tex_math token's MathML, built (and escaped) by math_html."""
    return str(tokens[idx].content)
