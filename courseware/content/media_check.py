"""Checker problems for media: what the renderer noted about math and image attributes (notes.py), at its line in
the module, and what svg.py found in SVG assets."""
from __future__ import annotations

from flask_babel import gettext as _

from . import svg
from .notes import Note
from .package import ModuleData
from .problems import Reporter, short
from .svg import SvgProblem, SvgResult


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


def report_svg(relpath: str, result: SvgResult, report: Reporter) -> None:
    """Errors (the file is refused) and warnings (something was dropped) for one SVG asset."""
    for problem in result.problems:
        message = svg_message(problem)
        if problem.code.startswith("E"):
            report.error(relpath, problem.line, problem.code, message)
        else:
            report.warning(relpath, problem.line, problem.code, message)


def svg_message(problem: SvgProblem) -> str:
    """The message for one problem of an SVG file, in the current locale."""
    detail = short(problem.detail, 100)
    if problem.kind == svg.NOT_SVG:
        return _("this is not an SVG image that can be read (%(detail)s): export it again as plain SVG, or as PNG",
                 detail=detail)
    if problem.kind == svg.DOCTYPE:
        return _("SVG images may not have a DOCTYPE or entities (<!DOCTYPE ...>, <!ENTITY ...>): remove them, or "
                 "export the image again as plain SVG")
    if problem.kind == svg.EVENT_HANDLER:
        return _("the SVG image has an event handler (%(detail)s), which could run script: remove it, or export "
                 "the image again as plain SVG", detail=detail)
    if problem.kind == svg.FORBIDDEN_ELEMENT:
        return _("the SVG image has a <%(detail)s> element, which is not allowed (scripts, embedded web pages, "
                 "links and animations are refused): remove it, or convert the image to PNG", detail=detail)
    if problem.kind == svg.EXTERNAL:
        return _("the SVG image refers to something outside itself (%(detail)s): only references inside the file "
                 "(#id) are allowed; embed or remove what it refers to, or convert the image to PNG", detail=detail)
    if problem.kind == svg.BAD_IMAGE:
        return _("the SVG image holds an <image> that is not an embedded PNG, JPEG, GIF or WebP image (%(detail)s): "
                 "embed the picture, or convert the whole image to PNG", detail=detail)
    if problem.kind == svg.STYLESHEET_PI:
        return _("the SVG image loads a style sheet (<?xml-stylesheet ...?>): put the styles inside the file")
    return _("these parts of the SVG image are not shown and were left out: %(detail)s", detail=detail)
