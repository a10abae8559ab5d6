"""What the renderer noted about math and image attributes (notes.py), reported at its line in the module."""
from __future__ import annotations

from flask_babel import gettext as _

from .notes import Note
from .package import ModuleData
from .problems import Reporter, short


def report_notes(module: ModuleData, relpath: str, report: Reporter) -> None:
    """Errors and warnings for the module's notes, each at the first line (from the last one found) holding it."""
    lines = module.source.split("\n")
    start = module.body_line - 1
    for item in module.rendered.notes if module.rendered else []:
        line = _line_of(lines, item.needle, start)
        start = max(start, line - 1)
        message = note_message(item)
        if item.code.startswith("E"):
            report.error(relpath, line, item.code, message)
        else:
            report.warning(relpath, line, item.code, message)


def _line_of(lines: list[str], needle: str, start: int) -> int:
    first = needle.split("\n", 1)[0]
    for index in range(start, len(lines)):
        if first in lines[index]:
            return index + 1
    return start + 1


def note_message(item: Note) -> str:
    """The message for one note, in the current locale."""
    params, kind = item.params, item.kind
    formula = short(item.needle, 80)
    if kind == "math-too-long":
        return _("the formula %(formula)s is longer than %(limit)d characters: split it into several formulas",
                 formula=formula, limit=params.get("limit", 0))
    if kind == "math-too-deep":
        return _("the formula %(formula)s has braces { } nested too deep: simplify it", formula=formula)
    if kind == "math-unknown-command":
        return _("the formula %(formula)s uses %(command)s, which cannot be shown: use a standard LaTeX command, or "
                 "write \\$ for a dollar sign", formula=formula, command=short(params.get("detail", ""), 40))
    if kind == "math-invalid":
        return _("the formula %(formula)s is not valid LaTeX (%(detail)s): correct it, or write \\$ for a dollar "
                 "sign", formula=formula, detail=short(params.get("detail", ""), 80))
    if kind == "image-attribute":
        return _("the image attribute '%(name)s' is ignored: only alt, width and height may be given in { } after "
                 "an image", name=short(params.get("name", ""), 40))
    if kind == "image-size":
        return _("the image %(name)s '%(value)s' is ignored: give a whole number of pixels from 1 to %(limit)d",
                 name=params.get("name", ""), value=short(params.get("value", ""), 40), limit=params.get("limit", 0))
    return short(kind)
