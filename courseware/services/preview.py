"""Preview as a learner: a module of the draft shown as the learner's module page shows it, quiz included.

The body is rendered by the learners' renderer (drafts.render_body); the front matter and the manifest are read
by the checker's own validators, so the preview shows what publishing would store. The quiz is shown and graded by
services/quiz.py, exactly as for learners (answers shuffled, the right ones never in the page before submitting),
but nothing is stored: no attempt, no progress. Only the provider's staff and admins (drafts.open_draft decides).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from flask_babel import gettext as _

from ..content.fields import check_manifest, check_module_meta
from ..content.package import MANIFEST, ParseError, split_front_matter
from ..content.precheck import Refused
from ..content.problems import Reporter
from ..errors import NotFound
from . import drafts, quiz
from .publishing import module_title


@dataclass
class PreviewEntry:
    """A module of the draft in the course's order, for the previous/next links."""

    key: str
    title: str
    filename: str


@dataclass
class PreviewModule:
    """A draft module with the attributes of a published Module that the page and services/quiz.py read."""

    key: str
    title: str
    position: int
    minutes: int | None
    objectives: list
    tasks: list
    quiz: dict
    html: str
    version: SimpleNamespace  # pass_mark, show_answers, attempts_per_day, title, language (from course.toml)

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz and self.quiz.get("questions"))


@dataclass
class Preview:
    slug: str
    course_title: str
    module: PreviewModule | None
    outline: list[PreviewEntry]
    previous: PreviewEntry | None = None
    following: PreviewEntry | None = None
    problems: int = 0  # errors the checker finds in this module's settings (shown as a notice)
    refused: str | None = None  # why the body could not be rendered
    questions: list = field(default_factory=list)  # quiz.ShownQuestion, freshly shuffled
    pass_mark: float = 0.0


def preview_module(user, slug: str, key: str, base: str) -> Preview:
    """The draft's module `key` as learners would see it; `base` is the preview's URL folder (ends in '/')."""
    draft = drafts.open_draft(user, slug)
    files = drafts.draft_files(draft)
    context = drafts.draft_context(draft, files)
    manifest = _manifest(files, slug)
    outline = _outline(files, context.module_links, manifest.get("modules"))
    index = next((i for i, e in enumerate(outline) if e.key == key), None)
    if index is None:
        raise NotFound(_("The draft has no module with the key %(key)s.", key=key))
    entry = outline[index]
    text = next(f.text or "" for f in files if f.path == f"modules/{entry.filename}")
    version = SimpleNamespace(title=manifest["title"] or slug, language=manifest["language"],
                              pass_mark=float(manifest["pass_mark"]), show_answers=manifest["show_answers"],
                              attempts_per_day=manifest["attempts_per_day"] or 0)
    found = Preview(slug, version.title, None, outline, outline[index - 1] if index else None,
                    outline[index + 1] if index + 1 < len(outline) else None)
    try:
        front = split_front_matter(text)
    except ParseError:
        found.problems = 1
        front = None
    if front is None or not isinstance(front.meta, dict):
        found.problems = max(found.problems, 1)
        return found
    report = Reporter(Path(slug))
    meta = check_module_meta(front.meta, f"modules/{entry.filename}", text.split("\n"), report)
    found.problems = sum(p.is_error for p in report.problems)
    try:
        html = drafts.render_body(draft, front.body, base, context, audience="staff").html  # instructor notes shown
    except Refused as refusal:
        found.refused, html = str(refusal), ""
    found.module = PreviewModule(key, meta["title"] or entry.title, index + 1, meta["minutes"], meta["objectives"],
                                 meta["tasks"], meta["quiz"], html, version)
    if found.module.has_quiz:
        found.questions = quiz.show_quiz(found.module)
        found.pass_mark = quiz.pass_mark(found.module)
    return found


def grade_preview(module: PreviewModule, answers: dict[int, list[str]], drawn: list[int] | None = None) -> dict:
    """Grade answers to the preview's quiz in memory, as the learner's result page shows them; stores nothing."""
    if drawn is not None:
        pool = {q.index for q in quiz.questions_of(module)}
        if not drawn or len(set(drawn)) != len(drawn) or not set(drawn) <= pool:
            drawn = None  # a changed form: grade every question rather than fail
    grade = quiz.grade_quiz(module, answers, drawn)
    policy = quiz.policy(module)
    reveal = policy.reveals(grade.passed)
    return {"grade": grade, "reveal": reveal, "show_answers": policy.show_answers,
            "questions": quiz.shown_result(grade.snapshot, reveal)}


def _manifest(files, slug: str) -> dict:
    """The draft's course.toml as the checker reads it (defaults where it is broken)."""
    text = next((f.text or "" for f in files if f.path == MANIFEST), "")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    return check_manifest(data, text, slug, Reporter(Path(slug)))


def _outline(files, links: dict[str, str], listed) -> list[PreviewEntry]:
    """The draft's modules in the course's order: the manifest's `modules` list when it has one, else by file name."""
    texts = {f.path.split("/", 1)[1]: f.text or "" for f in files if f.kind == "module"}
    names = sorted(texts)
    if isinstance(listed, list):
        wanted = [str(n).removeprefix("modules/") for n in listed]
        names = [n for n in wanted if n in texts] + [n for n in names if n not in wanted]
    return [PreviewEntry(links[n], module_title(texts[n]) or links[n], n) for n in names]
