"""Math: `$…$`, `$$…$$`, `\\(…\\)` and `\\[…\\]` become MathML at import, which browsers render natively.

An inline pattern that runs after code spans (so nothing inside backticks or code blocks is touched) and before
backslash escapes and emphasis (so `\\(`, `_` and `*` inside a formula stay LaTeX). A `$` opens a formula only when
no space follows it, closes one only when no space comes before it and no digit after it, and `\\$` is a dollar
sign: `kr 50$`, "it costs $5 and $10" stay text. Each formula is converted by latex2mathml, parsed back and
written out again with only the MathML elements and attributes in `MATH_TAGS`/`MATH_ATTRIBUTES`; a formula that
does not convert cleanly (unbalanced braces, an unknown command, a fraction with one part, HTML inside) is left as
it was written and reported as E184 at its line, so the import stops and no text silently changes. `\\[…\\]` is
math only on lines of its own (as display math is written), so `\\[1\\]` in a sentence stays escaped brackets.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from .notes import note

MAX_FORMULA = 2000  # characters of LaTeX in one formula (latex2mathml is recursive: long hostile input is slow)
MAX_BRACES = 40  # braces nested inside each other

MATH_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot",
    "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose",
    "semantics", "annotation",
})
MATH_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "columnalign", "rowalign",
    "form", "accent", "accentunder", "minsize", "maxsize", "linethickness", "width", "height", "depth", "notation",
    "linebreak", "movablelimits", "largeop", "symmetric", "scriptlevel", "displaystyle", "columnspan", "rowspan",
    "columnlines", "rowlines", "columnspacing", "rowspacing", "frame", "voffset", "encoding",
})
# Elements whose children are positional arguments: how many each must have.
_ARITY = {"mfrac": 2, "mroot": 2, "msup": 2, "msub": 2, "msubsup": 3, "mover": 2, "munder": 2, "munderover": 3}

# Alternatives in order: an escaped dollar, $$…$$, \[…\], \(…\), $…$.
MATH_RE = (
    r"(?P<escaped>\\\$)"
    r"|\$\$(?P<display>(?:[^$\\]|\\.|\$(?!\$))+?)\$\$"
    r"|(?:^|(?<=\n))[ \t]*\\\[(?P<bracket>.+?)\\\][ \t]*(?=\n|$)"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$\w])\$(?![\s$])(?P<inline>(?:[^$\\\n]|\\.|\n(?![ \t]*\n))+?)(?<![\s\\])\$(?![\d$])"
)
MATH_PRIORITY = 185  # after backticks (190), before escapes (180) and everything else


class MathError(ValueError):
    """A formula that cannot be shown; `kind` says why (media_check.py has the message)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail


@lru_cache(maxsize=4096)  # `$x$` and `$n$` come back on every page; a MathError is not cached
def to_mathml(latex: str, display: bool) -> str:
    """A LaTeX formula as MathML holding only allowed elements and attributes; MathError if it does not convert."""
    if len(latex) > MAX_FORMULA:
        raise MathError("too-long")
    _check_braces(latex)
    try:
        raw = convert(latex, display="block" if display else "inline")
    except RecursionError:
        raise MathError("too-deep") from None
    except Exception as error:  # noqa: BLE001 (latex2mathml raises many kinds: each is the author's LaTeX)
        raise MathError("invalid", type(error).__name__) from None
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise MathError("invalid", "HTML or a bare & in the formula") from None
    out: list[str] = []
    _write(root, out)
    # No <annotation> with the LaTeX: its text would join the formula's in headings' ids and the table of contents.
    return "".join(out)


def _check_braces(latex: str) -> None:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", latex, re.S):
        token = match.group()
        if token == "{":
            depth += 1
            if depth > MAX_BRACES:
                raise MathError("too-deep")
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise MathError("invalid", "a } without its {")
    if depth:
        raise MathError("invalid", "a { without its }")


def _write(element: ET.Element, out: list[str]) -> None:
    tag = element.tag.rsplit("}", 1)[-1]
    if tag not in MATH_TAGS:
        raise MathError("invalid", f"<{tag}> in the formula")
    if tag in _ARITY and len(element) != _ARITY[tag]:
        raise MathError("invalid", f"\\{tag.removeprefix('m')} with a part missing")
    text = element.text or ""
    if tag in ("mi", "mo") and re.match(r"\\[A-Za-z]", text):
        raise MathError("unknown-command", text)
    attributes = "".join(
        f' {name}="{html.escape(value)}"' for name, value in element.attrib.items()
        if name in MATH_ATTRIBUTES and not name.startswith("on")
    )
    out.append(f"<{tag}{attributes}>{html.escape(text, quote=False)}")
    for child in element:
        _write(child, out)
        out.append(html.escape(child.tail or "", quote=False))
    out.append(f"</{tag}>")


def focusable_display(clean: str) -> str:
    """Display formulas scroll sideways when wider than a phone (static/css/app.css): make each one focusable, so
    that keyboard users can scroll it too. Runs on the sanitised HTML (the allow-list has no tabindex)."""
    return clean.replace('<math display="block">', '<math display="block" tabindex="0">')


class _MathProcessor(InlineProcessor):
    def handleMatch(self, match, data):  # noqa: N802 (Markdown's API)
        if match.group("escaped"):
            return "$", match.start(0), match.end(0)
        latex = next(g for g in (match.group("display"), match.group("bracket"), match.group("paren"),
                                 match.group("inline")) if g is not None)
        display = match.group("display") is not None or match.group("bracket") is not None
        try:
            mathml = to_mathml(latex.strip(), display)
        except MathError as error:
            code = "E185" if error.kind in ("too-long", "too-deep") else "E184"
            note(code, f"math-{error.kind}", match.group(0), detail=error.detail, limit=MAX_FORMULA)
            return None, None, None  # left as the author wrote it
        return self.md.htmlStash.store(mathml), match.start(0), match.end(0)


class MathExtension(Extension):
    """Registers the math pattern."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.inlinePatterns.register(_MathProcessor(MATH_RE, md), "courseware_math", MATH_PRIORITY)
