"""Nesting limits for settings (course.toml and front matter), checked before a parser can recurse or expand.

tomllib parses nested arrays and inline tables recursively, so `x = [[[[...]]]]` a few thousand deep raises
RecursionError; PyYAML's constructor recurses too, and YAML aliases expand a few lines into billions of items
("billion laughs"). Brackets are counted in the TOML text and YAML is read as a stream of events first, both in
linear time; what the parsers built is then measured without recursion (dotted TOML keys nest tables too).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

# Lists and tables inside each other. Real settings nest 4 deep (quiz -> questions -> question -> answers).
MAX_SETTINGS_DEPTH = 16

DEEP, ALIAS = "deep", "alias"


@dataclass(frozen=True)
class Refusal:
    """Why settings text is refused before parsing: `kind` is DEEP or ALIAS; `line` is 0-based within the text."""

    line: int
    kind: str


_TOML_TOKEN = re.compile(r"""[\[\]{}"'#\n]""")
_TOML_STRING = {
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*""""{0,2}', re.S),
    "'''": re.compile(r"'''(?:[^']|'(?!''))*''''{0,2}"),
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    "'": re.compile(r"'[^'\n]*'"),
}


def toml_refusal(text: str, limit: int = MAX_SETTINGS_DEPTH) -> Refusal | None:
    """Where `[` and `{` outside strings and comments nest deeper than limit in TOML text, or None."""
    depth = line = pos = 0
    while (match := _TOML_TOKEN.search(text, pos)) is not None:
        char, pos = match.group(), match.end()
        if char == "\n":
            line += 1
        elif char == "#":
            pos = text.find("\n", pos)
            if pos < 0:
                return None
        elif char in "[{":
            depth += 1
            if depth > limit:
                return Refusal(line, DEEP)
        elif char in "]}":
            depth = max(0, depth - 1)
        else:
            opener = char * 3 if text.startswith(char * 3, match.start()) else char
            string = _TOML_STRING[opener].match(text, match.start())
            if string is None:  # an unclosed string: tomllib reports it
                return None
            line += text.count("\n", match.start(), string.end())
            pos = string.end()
    return None


def yaml_refusal(text: str, loader: type, limit: int = MAX_SETTINGS_DEPTH) -> Refusal | None:
    """Where YAML uses an anchor or alias, or nests deeper than limit, read as events (PyYAML's errors pass)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return Refusal(event.start_mark.line, ALIAS)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > limit:
                return Refusal(event.start_mark.line, DEEP)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return None


def too_deep(value, limit: int = MAX_SETTINGS_DEPTH) -> bool:
    """Whether parsed settings hold lists or tables nested deeper than limit (measured without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
