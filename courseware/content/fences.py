"""Front matter fences: finding settings that were not read as front matter, so they never reach a page as text.

A module's settings (quiz answers included) sit between `---` (YAML) or `+++` (TOML) lines at the very top. A
misspelt fence (`--`, `----`, `—`, `---yaml`), a missing opening fence, settings put after the text, or a closing
fence placed too early would let Markdown render the settings as text. package.py refuses each of these with the
finding made here (`Finding`), and render.py checks once more that a body it is given does not begin with settings.
Each check is one linear pass over the lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FENCES = ("---", "+++")
# The settings a module's front matter holds (fields.py): at column 0, `key: value` (YAML) or `key = value` (TOML).
SETTING_NAMES = ("title", "key", "minutes", "objectives", "tasks", "quiz")
_SETTING = re.compile(rf"^(?:{'|'.join(SETTING_NAMES)})[ \t]*[:=](?:[ \t]|$)")
# A quiz anywhere: YAML `quiz:`, TOML `quiz =`, `[quiz]` or `[[quiz.questions]]`.
_QUIZ = re.compile(r"^(?:quiz[ \t]*[:=]|\[\[?[ \t]*quiz[ \t]*[.\]])")
# Lines a writer or a word processor makes of a fence: `--`, `----`, `- - -`, `—`, `–-`, `---yaml`, `++`, `+++ toml`.
_MISSPELT = re.compile(r"^[ \t]*(?:(?:[-+–—―][ \t]*){2,}[A-Za-z]*|[–—―])[ \t]*$")
_HEADING = re.compile(r"^[ ]{0,3}#{1,6}(?:[ \t]|$)")
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")

# Kinds of finding.
MISSPELT_OPENING, MISSPELT_CLOSING, NO_OPENING, LATE_OPENING, STRAY_FENCE, AFTER_CLOSING, AFTER_TEXT = (
    "misspelt-opening", "misspelt-closing", "no-opening", "late-opening", "stray-fence", "after-closing",
    "after-text",
)
CODES = {MISSPELT_OPENING: "E170", MISSPELT_CLOSING: "E170", NO_OPENING: "E171", LATE_OPENING: "E171",
         STRAY_FENCE: "E171", AFTER_CLOSING: "E172", AFTER_TEXT: "E172"}


@dataclass(frozen=True)
class Finding:
    """Settings that were not read as front matter: `line` is 1-based in the text given, `text` the line itself."""

    line: int
    kind: str
    text: str

    @property
    def code(self) -> str:
        return CODES[self.kind]


def is_misspelt_fence(line: str) -> bool:
    """Whether a line looks like a front matter fence but is not exactly `---` or `+++`."""
    return line.rstrip() not in FENCES and _MISSPELT.match(line) is not None


def is_setting(line: str) -> bool:
    """Whether a line sets one of a module's settings at column 0 (`title: ...`, `quiz:`, `minutes = 20`)."""
    return _SETTING.match(line) is not None or _QUIZ.match(line) is not None


def stray_settings(lines: list[str], start: int = 0, fenced: bool = False) -> Finding | None:
    """The first place from lines[start] on where settings would be shown as text, or None.

    Before the first heading: a settings line, or (when the file has no front matter, `fenced` False) a fence line.
    Anywhere outside fenced code: a fence followed by a settings line, or a quiz (`quiz:`, `[quiz]`).
    """
    in_code: str | None = None
    heading_seen = False
    for index in range(start, len(lines)):
        line = lines[index]
        code = _CODE_FENCE.match(line)
        if in_code is not None:
            if code and code.group(1)[0] == in_code[0] and len(code.group(1)) >= len(in_code) \
                    and not line.strip().lstrip(in_code[0]):
                in_code = None
            continue
        if code:
            in_code = code.group(1)
            continue
        if _HEADING.match(line):
            heading_seen = True
            continue
        fence = line.rstrip() in FENCES or is_misspelt_fence(line)
        if fence and _next_is_setting(lines, index + 1):
            if heading_seen or fenced:
                return Finding(index + 1, AFTER_TEXT, line.strip())
            late = not any(lines[i].strip() for i in range(start, index))  # only blank lines above it
            return Finding(index + 1, LATE_OPENING if late else NO_OPENING, line.strip())
        if not heading_seen:
            if is_setting(line):
                return Finding(index + 1, AFTER_CLOSING if fenced else NO_OPENING, line.strip())
            if fence and not fenced and line.rstrip() in FENCES:
                return Finding(index + 1, STRAY_FENCE, line.strip())
        elif _QUIZ.match(line):
            return Finding(index + 1, AFTER_TEXT, line.strip())
    return None


def _next_is_setting(lines: list[str], index: int) -> bool:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index < len(lines) and is_setting(lines[index])


def leading_settings(body: str) -> Finding | None:
    """Whether a Markdown body begins with something that parses as settings (a last check before rendering).

    The body's first lines up to a blank line (or between fences) are parsed as YAML and TOML; a mapping with one of
    SETTING_NAMES is a finding. Only the first 200 lines are read: settings are short.
    """
    from .package import parse_toml, parse_yaml  # package.py imports render.py, which calls this

    lines = body.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        return None
    head = lines[first:first + 200]
    if head[0].rstrip() in FENCES or is_misspelt_fence(head[0]):
        end = next((i for i in range(1, len(head)) if head[i].rstrip() in FENCES or is_misspelt_fence(head[i])),
                   len(head))
        chunk = head[1:end]
    else:
        end = next((i for i in range(len(head)) if not head[i].strip() or _HEADING.match(head[i])), len(head))
        chunk = head[:end]
    text = "\n".join(chunk)
    for parse in (parse_yaml, parse_toml):
        try:
            value = parse(text)
        except Exception:  # noqa: BLE001 (text that is not settings in this language)
            continue
        if isinstance(value, dict) and any(name in value for name in SETTING_NAMES):
            return Finding(first + 1, NO_OPENING, head[0].strip())
    return None
