"""Fenced code inside a list item stays in the list when it is indented as far as the item's text.

Most Markdown tools (CommonMark, Pandoc, MyST, GitHub) read a fence indented to the item's text (`- ` is two
columns, `1. ` three) as part of the item; Python-Markdown wants four spaces and would end the list before the code,
so the numbering starts again after it. This preprocessor indents such a fenced block to four spaces. Each line
stays one line, so line numbers do not move.
"""
from __future__ import annotations

import re

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])( +)(?=\S)")
_FENCE = re.compile(r"^( *)(`{3,}|~{3,})")


def indent_list_code(lines: list[str]) -> list[str]:
    """The lines with each fenced block inside a top-level list item, indented short of four spaces, at four."""
    out = list(lines)
    column: int | None = None  # where the current list item's text starts; None outside a list item
    index = 0
    while index < len(out):
        line = out[index]
        item = _ITEM.match(line)
        fence = _FENCE.match(line)
        if item:
            column = item.end()
        elif fence and column is not None and column <= len(fence.group(1)) < 4:
            shift = " " * (4 - len(fence.group(1)))
            marker = fence.group(2)
            end = index + 1
            while end < len(out) and not (out[end].strip().startswith(marker[0] * len(marker))
                                          and not out[end].strip().strip(marker[0])):
                end += 1
            for position in range(index, min(end + 1, len(out))):
                out[position] = shift + out[position] if out[position].strip() else out[position]
            index = end + 1
            continue
        elif fence:  # fenced code outside a list item: skip it whole (its lines are not list items)
            marker = fence.group(2)
            index += 1
            while index < len(out) and not (out[index].strip().startswith(marker[0] * len(marker))
                                            and not out[index].strip().strip(marker[0])):
                index += 1
            column = None
        elif line.strip() and column is not None and len(line) - len(line.lstrip(" ")) < column:
            previous = out[index - 1] if index else ""
            if not previous.strip():  # text back at the margin after a blank line ends the item
                column = None
        index += 1
    return out


class _ListCodePreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return indent_list_code(lines) if any("```" in line or "~~~" in line for line in lines) else lines


class ListCodeExtension(Extension):
    """Registers the preprocessor before fenced blocks (blocks.py) and fenced code are read."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_ListCodePreprocessor(md), "courseware_list_code", 29)
