"""Fenced blocks (`:::` / `::::`, the Pandoc, MyST and Docusaurus syntax) rendered as the platform's callouts.

```markdown
::: challenge
Lag en liste over maskinene i verkstedet.

:::: solution
Et regneark holder.
::::
:::
```

A preprocessor turns each block into the admonition syntax the renderer already has (`!!! kind "title"` for a
callout or an exercise, `??? kind "title"` for a collapsed solution or hint), indenting its content one level per
block, so everything inside renders as Markdown (lists, code, images, nested blocks) and looks like the older
`!!! note` admonitions. Line numbers stay as in the source: each line becomes one line. Instructor notes never
reach Markdown when rendering for learners; for staff they become `<aside class="instructor-note">` with a label.

A block opens with three or more colons and a name (`::: tip`, `:::tip`, `::: {tip}`, `::: {.tip}`,
`:::{admonition} Title`), optionally a title (`title="..."`, `[Title]` or text after the name), and closes with
a bare fence of the same number of colons. `walk` reads this structure once; the renderer, the checker (`notices`)
and precheck.py (`depths`) share it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

LEARNER, STAFF = "learner", "staff"
AUDIENCES = frozenset({LEARNER, STAFF})

CALLOUTS = ("note", "tip", "important", "warning", "caution", "example", "discussion", "callout", "prereq",
            "objectives", "keypoints", "questions")
EXERCISES = ("challenge", "exercise")
COLLAPSED = ("solution", "hint", "spoiler")
INSTRUCTOR = ("instructor", "teacher")
# Names other tools use for the same thing.
SYNONYMS = {"info": "note", "seealso": "note", "danger": "warning", "admonition": "callout", "tldr": "keypoints",
            "prerequisites": "prereq", "teacher-note": "instructor", "instructor-note": "instructor"}

# The class each kind is shown with (the page's stylesheet knows these; objectives gets a prefix because the module
# page's own objectives box is `.objectives`). The sanitiser allows exactly CLASSES.
_CLASS = {**{name: name for name in CALLOUTS}, "objectives": "block-objectives",
          **{name: "exercise" for name in EXERCISES}, **{name: name for name in COLLAPSED}}
INSTRUCTOR_CLASS = "instructor-note"
CLASSES = frozenset({*_CLASS.values(), INSTRUCTOR_CLASS})

TITLES = {
    "en": {"note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning", "caution": "Caution",
           "example": "Example", "discussion": "Discussion", "callout": "Note", "prereq": "Prerequisites",
           "objectives": "Objectives", "keypoints": "Key points", "questions": "Questions", "challenge": "Exercise",
           "exercise": "Exercise", "solution": "Solution", "hint": "Hint", "spoiler": "Show",
           "instructor": "Instructor note — learners do not see this"},
    "nb": {"note": "Merk", "tip": "Tips", "important": "Viktig", "warning": "Advarsel", "caution": "Obs",
           "example": "Eksempel", "discussion": "Diskusjon", "callout": "Merk", "prereq": "Forkunnskaper",
           "objectives": "Læringsmål", "keypoints": "Hovedpunkter", "questions": "Spørsmål", "challenge": "Oppgave",
           "exercise": "Oppgave", "solution": "Løsning", "hint": "Hint", "spoiler": "Vis",
           "instructor": "Instruktørnotat – deltakerne ser ikke dette"},
    "nn": {"note": "Merk", "tip": "Tips", "important": "Viktig", "warning": "Åtvaring", "caution": "Obs",
           "example": "Døme", "discussion": "Diskusjon", "callout": "Merk", "prereq": "Forkunnskapar",
           "objectives": "Læringsmål", "keypoints": "Hovudpunkt", "questions": "Spørsmål", "challenge": "Oppgåve",
           "exercise": "Oppgåve", "solution": "Løysing", "hint": "Hint", "spoiler": "Vis",
           "instructor": "Instruktørnotat – deltakarane ser ikkje dette"},
}

OPEN, CLOSE, STRAY, TEXT, CODE = "open", "close", "stray", "text", "code"
UNCLOSED, UNKNOWN = "unclosed", "unknown"  # notices, with STRAY

_FENCE = re.compile(r"^( *):{3,}")
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_TITLE_ATTRIBUTE = re.compile(r"""\btitle[ \t]*=[ \t]*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_WORD = re.compile(r"[\w-]+")
_ADMONITION = re.compile(r"^( *)(!!!|\?\?\?\+?)[ ]?(instructor|teacher)\b[\w -]*?(?: +\"(.*)\")?[ ]*$", re.I)


@dataclass(frozen=True)
class Block:
    """An opening fence: where it is (0-based `index`), its colons and indent, the name as written and its kind."""

    index: int
    indent: int
    colons: int
    name: str
    title: str | None

    @property
    def kind(self) -> str:
        """The name the platform knows it by (`instructor` for teacher too), or "" for an unknown name."""
        name = SYNONYMS.get(self.name, self.name)
        return name if name in _CLASS or name in INSTRUCTOR else ""


@dataclass(frozen=True)
class Notice:
    """Something the checker reports about fenced blocks: `kind` is UNCLOSED, UNKNOWN or STRAY; `line` is 1-based."""

    line: int
    kind: str
    name: str


def parse_opening(info: str) -> tuple[str, str | None]:
    """The name (lower case) and title of an opening fence's text after the colons."""
    info = info.strip().rstrip(":").strip()
    title = None
    braces = re.match(r"\{([^}]*)\}[ \t]*(.*)$", info)
    if braces:  # MyST `{name} Title` or Pandoc `{.name title="..."}`
        inner, rest = braces.group(1).strip(), braces.group(2).strip()
        word = _WORD.match(inner.lstrip("."))
        name = word.group() if word else ""
        attributes = inner.lstrip(".")[word.end():] if word else inner
        title = rest or None
    else:  # `name`, Docusaurus `name[Title]`, `name Title` or `name title="..."`
        word = _WORD.match(info)
        name = word.group() if word else ""
        attributes = info[word.end():] if word else info
        bracket = re.match(r"\[(.*)\]", attributes.strip())
        if bracket:
            title = bracket.group(1).strip() or None
        elif attributes.strip() and not _TITLE_ATTRIBUTE.search(attributes):
            title = attributes.strip()
    found = _TITLE_ATTRIBUTE.search(attributes)
    if found:
        title = next(group for group in found.groups() if group is not None).strip() or title
    name = name.lower()
    return name.removeprefix("callout-") if name.startswith("callout-") else name, title


def walk(lines: list[str]) -> Iterator[tuple[int, str, Block | None, list[Block]]]:
    """Each line with its role (OPEN, CLOSE, STRAY, TEXT or CODE), its block (for OPEN and CLOSE) and the blocks open
    around it (for OPEN, those around the new block). CODE is fenced code (``` and ~~~) with its fences. Blocks a
    closing fence leaves
    open inside its own block are closed with it; `notices` reports them."""
    stack: list[Block] = []
    open_by_colons: dict[int, int] = {}  # how many open blocks have each colon count: a stray fence costs no search
    code: str | None = None
    for index, line in enumerate(lines):
        fence = _CODE_FENCE.match(line)
        if code is not None:
            if fence and fence.group(1)[0] == code[0] and len(fence.group(1)) >= len(code) \
                    and not line.strip().strip(code[0]):
                code = None
            yield index, CODE, None, stack
            continue
        if fence:
            code = fence.group(1)
            yield index, CODE, None, stack
            continue
        match = _FENCE.match(line)
        if match is None:
            yield index, TEXT, None, stack
            continue
        colons = len(line) - len(line[match.end(1):].lstrip(":")) - len(match.group(1))
        info = line[match.end():]
        if info.strip().strip(":").strip():
            name, title = parse_opening(info)
            block = Block(index, len(match.group(1)), colons, name, title)
            yield index, OPEN, block, stack  # read before the next line: the block is pushed then
            stack.append(block)
            open_by_colons[colons] = open_by_colons.get(colons, 0) + 1
            continue
        if not open_by_colons.get(colons):
            yield index, STRAY, None, stack
            continue
        position = next(i for i in range(len(stack) - 1, -1, -1) if stack[i].colons == colons)
        block = stack[position]
        for closed in stack[position:]:  # each block is closed once: linear over the module
            open_by_colons[closed.colons] -= 1
        del stack[position:]
        yield index, CLOSE, block, stack


def notices(text: str) -> list[Notice]:
    """Unclosed blocks (errors), unknown names and stray closing fences (warnings), in line order."""
    found: list[Notice] = []
    open_blocks: list[Block] = []
    for index, role, block, _stack in walk(text.split("\n")):
        if role == OPEN:
            open_blocks.append(block)
            if not block.kind:
                found.append(Notice(index + 1, UNKNOWN, block.name or block.title or ""))
        elif role == CLOSE:
            while open_blocks:
                inner = open_blocks.pop()
                if inner is block:
                    break
                found.append(Notice(inner.index + 1, UNCLOSED, inner.name))  # closed only by an outer fence
        elif role == STRAY:
            found.append(Notice(index + 1, STRAY, ""))
    found.extend(Notice(b.index + 1, UNCLOSED, b.name) for b in open_blocks)
    return sorted(found, key=lambda n: (n.line, n.kind))


def has_instructor_notes(text: str) -> bool:
    """Whether a module holds instructor notes (`::: instructor` or `!!! instructor`), outside code."""
    if "instructor" not in text.lower() and "teacher" not in text.lower():
        return False
    lines = text.split("\n")
    return any(role == OPEN and block.kind in INSTRUCTOR or role == TEXT and _ADMONITION.match(lines[index])
               for index, role, block, _stack in walk(lines))


def depths(lines: list[str]) -> list[int]:
    """How many fenced blocks are open around each line (precheck.py adds this to the line's own nesting)."""
    out = []
    for _index, role, _block, stack in walk(lines):
        out.append(len(stack) + (1 if role == OPEN else 0))
    return out


def convert(lines: list[str], language: str, audience: str) -> list[str]:
    """The lines with each fenced block written as an admonition (one line for each line); instructor notes blank
    for learners."""
    titles = TITLES.get(language, TITLES["en"])
    out: list[str] = []
    hidden_from: int | None = None  # depth of the instructor note being left out, while inside one
    admonition_indent: int | None = None  # an `!!! instructor` admonition being left out
    for index, role, block, stack in walk(lines):
        line = lines[index]
        if admonition_indent is not None:
            if not line.strip() or _indent(line) > admonition_indent:
                out.append("")
                continue
            admonition_indent = None
        if hidden_from is not None:
            if role == CLOSE and len(stack) <= hidden_from:
                hidden_from = None
            out.append("")
            continue
        depth = len(stack)
        if role == OPEN:
            kind = block.kind
            if kind in INSTRUCTOR and audience != STAFF:
                hidden_from = depth
                out.append("")
                continue
            out.append(" " * (block.indent + 4 * depth) + _opening(block, kind, titles))
        elif role in (CLOSE, STRAY):
            out.append("")
        elif role == TEXT and (admonition := _ADMONITION.match(line)):  # `!!! instructor`, the older form
            if audience != STAFF:
                admonition_indent = len(admonition.group(1))
                out.append("")
            else:
                title = titles["instructor"] + (f": {admonition.group(4)}" if admonition.group(4) else "")
                out.append(_shift(f'{admonition.group(1)}!!! {INSTRUCTOR_CLASS} "{_quote(title)}"', stack, depth))
        else:
            out.append(_shift(line, stack, depth))
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, stack: list[Block], depth: int) -> str:
    """A line inside `depth` blocks, indented four spaces per block at the outermost block's indent."""
    if not depth or not line.strip():
        return line if line.strip() else ""
    at = min(stack[0].indent, _indent(line))
    return line[:at] + " " * (4 * depth) + line[at:]


def _opening(block: Block, kind: str, titles: dict[str, str]) -> str:
    if not kind:
        return f'!!! callout "{_quote(block.title or block.name)}"'
    if kind in INSTRUCTOR:
        title = titles["instructor"] + (f": {block.title}" if block.title else "")
        return f'!!! {INSTRUCTOR_CLASS} "{_quote(title)}"'
    marker = "???" if kind in COLLAPSED else "!!!"
    return f'{marker} {_CLASS[kind]} "{_quote(block.title or titles[kind])}"'


def _quote(title: str) -> str:
    """A title as the admonition line takes it: one line, never empty (an empty title would drop the title bar)."""
    return " ".join(title.split()) or "…"


class _BlockPreprocessor(Preprocessor):
    def __init__(self, md, language: str, audience: Callable[[], str]):
        super().__init__(md)
        self.language = language
        self.audience = audience

    def run(self, lines: list[str]) -> list[str]:
        if not any(":::" in line or "instructor" in line.lower() or "teacher" in line.lower() for line in lines):
            return lines
        return convert(lines, self.language, self.audience())


class _InstructorTreeprocessor(Treeprocessor):
    """For staff: the instructor note's admonition becomes an aside, so it reads as a note beside the text."""

    def run(self, root) -> None:
        for element in root.iter("div"):
            if INSTRUCTOR_CLASS in (element.get("class") or "").split():
                element.tag = "aside"
                element.set("class", INSTRUCTOR_CLASS)


class BlocksExtension(Extension):
    """Registers the fenced-block preprocessor (after whitespace is normalised, before fenced code is stashed)."""

    def __init__(self, language: str, audience: Callable[[], str]):
        super().__init__()
        self.language = language
        self.audience = audience

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_BlockPreprocessor(md, self.language, self.audience), "courseware_blocks", 28)
        md.treeprocessors.register(_InstructorTreeprocessor(md), "courseware_instructor", 30)
