"""Image attributes: `![](src){alt="…" width=600 height=400}`, as Pandoc, MyST and Python-Markdown's attr_list
write them, but only `alt`, `width` and `height` are taken.

Python-Markdown's attr_list is not enabled (it lets authors set any attribute on any element); this tree processor
reads the braces straight after an image and nothing else. Every other attribute (class, id, style, on*, ...) is
dropped with W180; a width or height that is not a whole number from 1 to MAX_SIZE is dropped with W181.
"""
from __future__ import annotations

import re

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .notes import note

MAX_SIZE = 4000
TAKEN = ("alt", "width", "height")
_ATTRIBUTES = re.compile(r"\{(?P<body>[^{}\n]*)\}")
_TOKEN = re.compile(
    r"""\s*(?:(?P<key>[^\s=}"']+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))"""
    r"""|(?P<word>[^\s=}"']+))"""
)
_SIZE = re.compile(r"[1-9][0-9]{0,3}")


def parse_attributes(body: str) -> list[tuple[str, str]] | None:
    """The `name=value` pairs (`.x` and `#x` as class and id) of an attribute list, or None if it is not one."""
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(body):
        if not body[position:].strip():
            break
        match = _TOKEN.match(body, position)
        if match is None or match.end() == position:
            return None
        if match.group("key"):
            value = next(v for v in (match.group("dq"), match.group("sq"), match.group("bare")) if v is not None)
            pairs.append((match.group("key"), value))
        else:
            word = match.group("word")
            name = "class" if word.startswith(".") else "id" if word.startswith("#") else word
            pairs.append((name, word.lstrip(".#")))
        position = match.end()
    return pairs


def apply_attributes(img, pairs: list[tuple[str, str]], needle: str) -> None:
    """Set alt, width and height from the pairs on the image element; note everything else that was dropped."""
    for name, value in pairs:
        key = name.lower()
        if key == "alt":
            img.set("alt", value)
        elif key in ("width", "height"):
            if _SIZE.fullmatch(value.strip()) and int(value) <= MAX_SIZE:
                img.set(key, str(int(value)))
            else:
                note("W181", "image-size", needle, name=key, value=value[:40], limit=MAX_SIZE)
        else:
            note("W180", "image-attribute", needle, name=name[:40])


class _ImageAttributes(Treeprocessor):
    def run(self, root) -> None:
        for parent in root.iter():
            for child in parent:
                if child.tag != "img" or not child.tail or not child.tail.startswith("{"):
                    continue
                match = _ATTRIBUTES.match(child.tail)
                pairs = parse_attributes(match.group("body")) if match else None
                if pairs is None:
                    continue
                apply_attributes(child, pairs, child.get("src") or match.group(0))
                child.tail = child.tail[match.end():]


class ImageAttributesExtension(Extension):
    """Registers the image attribute reader (before the link resolver reads alt texts)."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        # After the inline patterns (20) made the <img>, before smarty (6) would curl the quotes of alt="…"
        md.treeprocessors.register(_ImageAttributes(md), "courseware_image_attributes", 7)
