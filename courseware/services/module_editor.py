"""The studio's module editor: a module's front matter as form values, its problems from the last check placed at
the field or body line they concern, saving, and the live preview.

Part of the editor's use cases (services/course_editor.py holds the course and module-list ones); the same rules:
the acting user is checked through services/drafts.py, saves go through `drafts.save_text` (Conflict when stale).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from ..content.package import ParseError, default_module_key, split_front_matter
from ..content.precheck import Refused
from ..content.render_check import refusal_message
from ..errors import InvalidInput, NotFound
from ..models import CourseDraft, DraftFile
from . import drafts
from .course_editor import MODULES, _check_text, _module_limit, _save, preview_base
from .course_text import module_fields, module_key, module_text, module_title, normalise

# Front matter keys -> the id of the form field that edits them.
FIELD_IDS = {"title": "title", "key": "key", "minutes": "minutes", "objectives": "objectives", "tasks": "tasks",
             "quiz": "pass_mark", "pass_mark": "pass_mark"}


@dataclass
class PlacedProblem:
    """A checker problem of the module, with the form field (or body line) it concerns where that is known."""

    line: int
    code: str
    message: str
    severity: str
    target: str | None = None  # a form field's id
    body_line: int | None = None  # the line in the body textarea

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class ModulePage:
    """What the module editor shows: the file, its form values (None: only the whole file can be edited)."""

    draft: CourseDraft
    file: DraftFile
    filename: str
    key: str
    title: str
    values: dict | None
    problems: list[PlacedProblem]
    problems_stale: bool

    @property
    def default_key(self) -> str:
        """The key the module has when its front matter names none: from its file name."""
        return default_module_key(self.filename)


def module_page(user, slug: str, filename: str) -> ModulePage:
    """The module `filename` of the draft of `slug`, ready for the editor (two queries)."""
    draft = drafts.get_draft_for(user, slug)
    item = drafts.get_file(draft, MODULES + filename)
    if item.kind != "module":
        raise NotFound(_("We could not find that module in the draft."))
    text = item.text or ""
    problems = place_problems(text, [p for p in draft.check_problems or [] if p.get("path") == item.path])
    stale = draft.checked_revision is not None and draft.checked_revision != draft.revision
    return ModulePage(draft, item, filename, module_key(filename, text), module_title(filename, text),
                      module_fields(text), problems, stale)


def place_problems(text: str, problems: list[dict]) -> list[PlacedProblem]:
    """Each problem with the field its line sets (front matter) or its line in the body, sorted by line."""
    lines = text.split("\n")
    fence = lines[0].rstrip() if lines else ""
    end = 0  # index of the closing fence line; 0 without front matter
    if fence in ("---", "+++"):
        closers = ("---", "...") if fence == "---" else ("+++",)
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in closers), 0)
    out = []
    for p in sorted(problems, key=lambda p: (p.get("line") or 0, p.get("code") or "")):
        line = int(p.get("line") or 1)
        placed = PlacedProblem(line, str(p.get("code", "")), str(p.get("message", "")), str(p.get("severity", "")))
        if end and line <= end + 1:
            placed.target = _field_at(lines, line, end)
        elif line > end:
            placed.target, placed.body_line = "body", line - (end + 1 if end else 0)
        out.append(placed)
    return out


_TOP_KEY = re.compile(r"^\[?([A-Za-z_][\w-]*)")
_QUESTION = re.compile(r"^\s*-\s*prompt\s*:|^\s*\[\[quiz\.questions\]\]")


def _field_at(lines: list[str], line: int, end: int) -> str | None:
    """The form field of the front matter setting at (or above) `line`: a question's prompt inside a quiz."""
    index = min(max(line - 1, 1), end - 1)
    while index >= 1:
        match = _TOP_KEY.match(lines[index])
        if match:
            key = match.group(1)
            if key == "quiz":
                questions = sum(1 for i in range(index, min(line, end)) if _QUESTION.match(lines[i]))
                return f"questions-{questions - 1}-prompt" if questions else "pass_mark"
            return FIELD_IDS.get(key)
        index -= 1
    return None


def save_module(user, slug: str, filename: str, base_revision: int, values: dict | None = None,
                source: str | None = None) -> DraftFile:
    """Save a module from the form's values (settings the form does not show are kept) or as the whole file typed
    in the advanced editor; Conflict when saved from a stale revision, a no-op when nothing changed."""
    draft = drafts.get_draft_for(user, slug)
    path = MODULES + filename
    stored = drafts.get_file(draft, path)
    if stored.kind != "module":
        raise NotFound(_("We could not find that module in the draft."))
    if source is not None:
        text = normalise(source)
    else:
        if module_fields(stored.text or "") is None and stored.revision == base_revision:
            raise InvalidInput(_("This module's settings cannot be shown in the form: edit the whole file instead."))
        text = module_text(values or {}, stored.text)
    return _save(user, draft, path, _check_text(text, _module_limit()), base_revision)


def preview(user, slug: str, body: str | None = None, source: str | None = None, root: str = "") -> dict:
    """The live preview of a module body (or of a whole module file): `{"html", "toc"}` from the learners' renderer.

    InvalidInput with a readable message for Markdown over the renderer's limits or front matter that does not
    parse."""
    draft = drafts.get_draft_for(user, slug)
    offset = 0
    if source is not None:
        try:
            parts = split_front_matter(normalise(source))
        except (ParseError, ValueError) as error:
            raise InvalidInput(_("The settings at the top of the file have an error (line %(line)s): %(detail)s",
                                 line=getattr(error, "line", 1), detail=getattr(error, "detail", str(error)))) from None
        body, offset = parts.body, parts.body_line - 1
    body = _check_text(normalise(body or ""), _module_limit())
    try:
        rendered = drafts.render_body(draft, body, preview_base(slug, root), audience="staff")  # with instructor notes
    except Refused as refused:
        _code, message = refusal_message(refused.refusal)
        raise InvalidInput(_("The preview cannot be shown (line %(line)d): %(message)s",
                             line=refused.refusal.line + offset, message=message)) from None
    return {"html": rendered.html, "toc": rendered.toc}
