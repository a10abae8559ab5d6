"""Typographic quotes, dashes and ellipses per course language (Python-Markdown's smarty extension).

Straight quotes become «» in Norwegian (bokmål and nynorsk, with ‘’ inside them) and “” in English (‘’ inside);
`--` becomes an en dash, `---` an em dash and `...` an ellipsis. smarty works on text only: code spans, code blocks
and raw HTML keep their characters.
"""
from __future__ import annotations

_NORWEGIAN = {"left-double-quote": "&laquo;", "right-double-quote": "&raquo;",
              "left-single-quote": "&lsquo;", "right-single-quote": "&rsquo;"}
QUOTES = {"nb": _NORWEGIAN, "nn": _NORWEGIAN,
          "en": {"left-double-quote": "&ldquo;", "right-double-quote": "&rdquo;",
                 "left-single-quote": "&lsquo;", "right-single-quote": "&rsquo;"}}


def smarty_config(language: str) -> dict:
    """smarty's settings for a course language (unknown languages get the English quotes)."""
    return {"smart_quotes": True, "smart_dashes": True, "smart_ellipses": True, "smart_angled_quotes": False,
            "substitutions": dict(QUOTES.get(language, QUOTES["en"]))}
