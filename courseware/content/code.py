"""Fenced code blocks: syntax highlighting with Pygments at import, a language label, and output/error blocks.

SuperFences hands every fenced block to `format_fence` (registered for all languages with the name `*`). The
block becomes

    <div class="code-block"><div class="code-label">Python</div>
      <div class="highlight"><pre><code>...</code></pre></div></div>

with Pygments' short token classes on `<span>`s (`TOKEN_CLASSES`, the only classes the sanitiser lets through on a
span). ```` ```output ```` and ```` ```error ```` blocks are not highlighted and get their own label and style. The
copy button is added in the browser by static/js/code-copy.js. The colours (`stylesheet()`) are generated from two
Pygments styles that meet WCAG AA contrast, one for light and one for dark mode, into static/css/app.css.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# Pygments' short class names (`k`, `s2`, `c1`, ...), the only classes a span may keep.
TOKEN_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
# The wrapper classes this module emits.
BLOCK_CLASSES = frozenset({"code-block", "code-label", "code-output", "code-error", "highlight"})
LIGHT_STYLE, DARK_STYLE = "xcode", "lightbulb"  # WCAG AA: every token colour at least 4.5:1 on its background

OUTPUT, ERROR = "output", "error"
LABELS = {
    OUTPUT: {"nb": "Utdata", "nn": "Utdata", "en": "Output"},
    ERROR: {"nb": "Feil", "nn": "Feil", "en": "Error"},
}
MAX_LABEL = 40
_LABEL_CHARS = re.compile(r"[^A-Za-z0-9+#._-]")
_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True, nowrap=False)


def language_label(info: str) -> str:
    """The language an info string names, with every character but `A-Z a-z 0-9 + # . _ -` dropped."""
    return _LABEL_CHARS.sub("", info or "")[:MAX_LABEL]


def format_fence(source: str, language: str, class_name: str = "", options=None, md=None, **kwargs) -> str:
    """One fenced block as HTML: highlighted when Pygments knows the language, else escaped text."""
    name = language_label(language)
    kind = name.lower()
    if kind in LABELS:
        label = LABELS[kind].get(_language(md), LABELS[kind]["en"])
        return (f'<div class="code-block code-{kind}"><div class="code-label">{label}</div>'
                f'<pre><code>{html.escape(source, quote=False)}</code></pre></div>')
    lexer = _lexer(name) if name else None
    if lexer is None:
        body = f'<div class="highlight"><pre><code>{html.escape(source, quote=False)}</code></pre></div>'
    else:
        body = highlight(source, lexer, _FORMATTER)
    label = f'<div class="code-label">{html.escape(lexer.name if lexer else name)}</div>' if name else ""
    return f'<div class="code-block">{label}{body}</div>'


@lru_cache(maxsize=256)
def _lexer(name: str):
    """Pygments' lexer for a language name, or None (finding one searches every lexer: cached)."""
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


_PRE = re.compile(r"<pre[\s>].*?</pre>", re.S)
_CLASSED_SPAN = re.compile(r'<span class="([^"]*)">')


def after_sanitising(clean: str) -> str:
    """Token classes kept in code only, and every `<pre>` focusable: it scrolls sideways on a phone, and keyboard
    users must be able to scroll it too (the allow-list has no tabindex, so this runs on the sanitised HTML)."""
    return token_classes_in_code_only(clean).replace("<pre>", '<pre tabindex="0">')


def token_classes_in_code_only(clean: str) -> str:
    """Keep Pygments' token classes on spans inside `<pre>` only (the sanitiser cannot see where a span is): an
    author's `<span class="k">` in a paragraph loses them. Runs on the sanitised HTML."""
    if 'class="' not in clean:
        return clean
    out, position = [], 0
    for block in _PRE.finditer(clean):
        out.append(_CLASSED_SPAN.sub(_without_tokens, clean[position:block.start()]))
        out.append(block.group())
        position = block.end()
    out.append(_CLASSED_SPAN.sub(_without_tokens, clean[position:]))
    return "".join(out)


def _without_tokens(match: re.Match) -> str:
    kept = " ".join(name for name in match.group(1).split() if name not in TOKEN_CLASSES)
    return f'<span class="{kept}">' if kept else "<span>"


def accept_any_options(language, inputs, options, attrs, md) -> bool:
    """SuperFences validator: options after the language (`{.python title="x"}`) are ignored, never kept."""
    return True


def custom_fences() -> list[dict]:
    """SuperFences' `custom_fences` setting: every fence goes through format_fence."""
    return [{"name": "*", "class": "highlight", "format": format_fence, "validator": accept_any_options}]


def _language(md) -> str:
    return getattr(md, "courseware_language", "en") if md is not None else "en"


def stylesheet() -> str:
    """The Pygments colours for code blocks, light and dark, as they are in static/css/app.css."""
    light = "\n".join(HtmlFormatter(style=LIGHT_STYLE).get_token_style_defs(".highlight"))
    dark = "\n".join(HtmlFormatter(style=DARK_STYLE).get_token_style_defs(".highlight"))
    light_bg = HtmlFormatter(style=LIGHT_STYLE).style.background_color
    dark_bg = HtmlFormatter(style=DARK_STYLE).style.background_color
    dark_fg = _foreground(DARK_STYLE)
    return "\n".join([
        f"/* Code colours: Pygments '{LIGHT_STYLE}' and '{DARK_STYLE}', generated by "
        "`python -m courseware.content.code` */",
        f".highlight {{ background: {light_bg}; color: #000000; }}",
        light,
        "@media (prefers-color-scheme: dark) {",
        f".highlight {{ background: {dark_bg}; color: {dark_fg}; }}",
        # What the light style colours and the dark one does not must not keep its light colour.
        ".highlight [class] { color: inherit; background-color: transparent; font-weight: inherit; "
        "font-style: inherit; border: 0; }",
        dark,
        "}",
        "/* End of code colours */",
    ])


def _foreground(style: str) -> str:
    from pygments.styles import get_style_by_name
    from pygments.token import Text

    colour = get_style_by_name(style).style_for_token(Text)["color"]
    return f"#{colour}" if colour else "#f3f5f8"


if __name__ == "__main__":
    print(stylesheet())
