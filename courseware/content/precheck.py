"""The Markdown pre-check: refuse, at its line, what would make rendering slow, before Python-Markdown sees it.

Python-Markdown and the sanitiser (html5ever, through nh3) are not linear on every input (bench/hostile_markdown.py
measures each case): block containers nested inside each other (quotes, lists, indented blocks) recurse and parse
their text again per level; an unclosed `[`, `(`, `<` or run of backticks is scanned again from each one to the
end of its paragraph (`<` to the end of the module); every match rebuilds its paragraph's text, so a long paragraph
full of markup is quadratic; block HTML elements opened thousands deep make both parsers quadratic; each `[TOC]`
copies the outline and each abbreviation is another pass over the text. Each check here is linear, and its limit
is far above what real modules use (the longest demo module is 8 kB, nested 3 deep). The renderer's CPU budget
(render.py) is the net for whatever these checks miss.
"""
from __future__ import annotations

import re
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from . import blocks

MAX_BLOCK_NESTING = 16  # quotes, list items, definitions, admonitions, ::: blocks and 4-space indents inside each other
MAX_HTML_NESTING = 32  # block HTML elements (div, ul, section, ...) open inside each other
MAX_SCAN = 4_000_000  # characters scanned ahead from unclosed [ ( < and backtick runs, summed over the module
MAX_INLINE_WORK = 1_000_000_000  # markup characters × length of their paragraph, summed over the module
MAX_TOC_MARKERS = 3
MAX_ABBREVIATIONS = 100
# CPU seconds one module may take to render before it is refused: a net behind the checks here, never reached by
# real modules (the longest renders in milliseconds). Only enforced in the main thread (the CLI), by SIGPROF.
RENDER_SECONDS = 20.0

BLOCK_NESTING, HTML_NESTING, SCAN, INLINE_WORK, TOC_MARKERS, ABBREVIATIONS, BUDGET = (
    "block-nesting", "html-nesting", "scan", "inline-work", "toc-markers", "abbreviations", "budget",
)
FRONT_MATTER = "front-matter"  # not a cost limit: a body that begins with settings (render.py, fences.py)


@dataclass(frozen=True)
class Refusal:
    """Why a module's Markdown is not rendered: `kind` (one of the names above), the 1-based `line`, the limit."""

    line: int
    kind: str
    limit: float


def check_markdown(text: str) -> Refusal | None:
    """The first limit a module's Markdown body goes over, or None when it may be rendered."""
    lines = text.split("\n")
    return (_block_nesting(lines, blocks.depths(lines)) or _counted_lines(lines) or html_nesting(lines, skip_code=True)
            or _scan(text) or _inline_work(text))


_SPACES = re.compile(r" *")
_MARKER = re.compile(r"(?:[-*+:]|\d{1,9}[.)]|!!!|\?\?\?\+?)(?=[ \t]|$)[ \t]?")
_RULE = re.compile(r"[ \t>]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # `- - -` is a horizontal rule, not three lists


def _block_nesting(lines: list[str], fenced: list[int]) -> Refusal | None:
    """Containers around each line: its own quotes, list markers and indents, plus the `:::` blocks around it
    (`fenced`, from blocks.py), which the renderer turns into one indented admonition each."""
    for number, line in enumerate(lines, 1):
        if "\t" in line:
            line = line.expandtabs(4)
        markers = _RULE.match(line) is None
        depth, position = fenced[number - 1], 0
        while depth <= MAX_BLOCK_NESTING:
            end = _SPACES.match(line, position).end()
            depth += (end - position) // 4
            position = end
            if line.startswith(">", position):
                depth, position = depth + 1, position + 1
            elif markers and (marker := _MARKER.match(line, position)):
                depth, position = depth + 1, marker.end()
            else:
                break
        if depth > MAX_BLOCK_NESTING:
            return Refusal(number, BLOCK_NESTING, MAX_BLOCK_NESTING)
    return None


_TOC = re.compile(r"[ \t>]*\[TOC\][ \t]*$")
_ABBREVIATION = re.compile(r"[ \t>]*\*\[[^\]]*\] ?:")


def _counted_lines(lines: list[str]) -> Refusal | None:
    counts = {TOC_MARKERS: 0, ABBREVIATIONS: 0}
    for number, line in enumerate(lines, 1):
        for kind, pattern, limit in ((TOC_MARKERS, _TOC, MAX_TOC_MARKERS), (ABBREVIATIONS, _ABBREVIATION,
                                                                           MAX_ABBREVIATIONS)):
            if pattern.match(line):
                counts[kind] += 1
                if counts[kind] > limit:
                    return Refusal(number, kind, limit)
    return None


# Block elements whose nesting makes Python-Markdown's HTML block parser and html5ever quadratic. Elements that
# close themselves (p, li, td, ...) and inline ones (span, b, a, an author's <placeholder>) do not pile up.
NESTING_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "canvas", "center", "details", "dialog", "dir", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "iframe", "listing", "main", "map",
    "math", "menu", "nav", "noscript", "object", "ol", "optgroup", "pre", "section", "select", "summary", "table",
    "textarea", "ul", "video", "xmp",
})
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")


def html_nesting(lines: list[str], skip_code: bool = False) -> Refusal | None:
    """Where block HTML elements (opened and not closed) nest deeper than MAX_HTML_NESTING, or None.

    With skip_code, text between backticks on a line is left out: `<div>` in a code span is not an element.
    """
    depth = 0
    for number, line in enumerate(lines, 1):
        if "<" not in line:
            continue
        for segment in _outside_code(line) if skip_code else (line,):
            for tag in _TAG.finditer(segment):
                if tag.group(2).lower() not in NESTING_TAGS:
                    continue
                if tag.group(1):
                    depth = max(0, depth - 1)
                else:
                    depth += 1
                    if depth > MAX_HTML_NESTING:
                        return Refusal(number, HTML_NESTING, MAX_HTML_NESTING)
    return None


def _outside_code(line: str) -> list[str]:
    parts = line.split("`")
    if len(parts) % 2 == 0:  # an odd backtick opens no code span
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return parts[::2]


_TAG_START = re.compile(r"<[A-Za-z/!?]")
_BRACKET = re.compile(r"[\[\]()]|`+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _scan(text: str) -> Refusal | None:
    """Characters scanned ahead from each opener: `<` to the next `>` anywhere after it (the HTML block parser
    reads past paragraphs), `[` and `(` to their partner, a backtick run to the next run as long, else to the end
    of the paragraph."""
    cost, next_close = 0, -1
    for tag in _TAG_START.finditer(text):
        if next_close < tag.start():
            found = text.find(">", tag.start())
            next_close = found if found >= 0 else len(text)
        cost += next_close - tag.start()
        if cost > MAX_SCAN:
            return Refusal(_line_at(text, tag.start()), SCAN, MAX_SCAN)
    for start, end in _paragraphs(text):
        openers: dict[str, list[int]] = {"[": [], "(": []}
        runs: dict[int, int] = {}
        for token in _BRACKET.finditer(text, start, end):
            char, position = token.group(), token.start()
            if char in "[(":
                openers[char].append(position)
            elif char in "])":
                stack = openers["[" if char == "]" else "("]
                if stack:
                    cost += position - stack.pop()
            elif len(char) in runs:
                cost += position - runs.pop(len(char))
            else:
                runs[len(char)] = position
            if cost > MAX_SCAN:
                return Refusal(_line_at(text, position), SCAN, MAX_SCAN)
        for position in sorted([*openers["["], *openers["("], *runs.values()]):
            cost += end - position
            if cost > MAX_SCAN:
                return Refusal(_line_at(text, position), SCAN, MAX_SCAN)
    return None


_MARKUP = re.compile(r"[*_`\[<&~\\|$]")  # $: each formula is a match too (math.py)


def _inline_work(text: str) -> Refusal | None:
    """Each inline match rebuilds its paragraph's text: markup characters × paragraph length, summed."""
    work = 0
    for start, end in _paragraphs(text):
        marks = len(_MARKUP.findall(text, start, end))
        work += marks * (end - start)
        if work > MAX_INLINE_WORK:
            return Refusal(_line_at(text, start), INLINE_WORK, MAX_INLINE_WORK)
    return None


def _paragraphs(text: str):
    """(start, end) of each run of non-blank lines: inline markup never reaches across a blank line."""
    start = 0
    for gap in _PARAGRAPH_BREAK.finditer(text):
        if gap.start() > start:
            yield start, gap.start()
        start = gap.end()
    if start < len(text):
        yield start, len(text)


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


class Refused(Exception):
    """A module whose Markdown is not rendered: over a limit of precheck.py, or over the CPU budget."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal)
        self.refusal = refusal


class OverBudget(Exception):
    """Raised inside a block that ran out of its CPU budget (see cpu_budget)."""


def _over_budget(signum, frame):
    raise OverBudget


@contextmanager
def cpu_budget(seconds: float | None):
    """Raise OverBudget in the block once it used `seconds` of CPU time (main thread only: signals need it)."""
    if (not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_PROF)[0]):
        yield
        return
    previous = signal.signal(signal.SIGPROF, _over_budget)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
