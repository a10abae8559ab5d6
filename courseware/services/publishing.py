"""Checking and publishing a course from the studio, retiring it, and its history.

The draft (services/drafts.py) is checked by exactly the code of `courseware check` and published by exactly the
code of `courseware import`; this module adds what the studio pages need around that: the last check grouped by
file and shown next to the module and line it concerns, the rule that warnings must be accepted before
publishing, retiring a course (gone from the catalogue, no new enrolments; enrolled learners keep it) and the
course's history. Every function takes the acting user and checks access itself; functions flush, the caller
commits. Versions, comparing and restoring are in services/versions.py; the learner preview in services/preview.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from ..content.package import MANIFEST, ParseError, split_front_matter
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import Course, CourseDraft, CourseVersion, DraftFile, StudioEvent, utcnow
from . import drafts
from .studio import can_manage_course, require_staff

# How much of a source line a problem shows (a long Markdown paragraph is one line).
SOURCE_LINE_CHARS = 240
HISTORY_LIMIT = 200


# --- which course ---------------------------------------------------------------------------------------------

@dataclass
class Target:
    """A course in the studio by slug: its published course (None before the first publish) and draft (None until
    someone opens one)."""

    slug: str
    course: Course | None
    draft: CourseDraft | None

    @property
    def owner(self):
        """What carries the slug and provider_id (the draft of a new course, else the course)."""
        return self.course if self.course is not None else self.draft

    @property
    def version(self) -> CourseVersion | None:
        return self.course.current_version if self.course is not None else None


def get_target(user, slug: str) -> Target:
    """The course or draft `slug` that `user` may manage (2 queries); NotFound or PermissionDenied otherwise."""
    require_staff(user)
    course = db.session.execute(
        select(Course).outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .options(contains_eager(Course.current_version)).where(Course.slug == slug)
    ).unique().scalar_one_or_none()
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == slug)).scalar_one_or_none()
    if course is None and draft is None:
        raise NotFound(_("We could not find that course."))
    allowed = can_manage_course(user, course) if course is not None else drafts.can_edit_draft(user, draft)
    if not allowed or (draft is not None and not drafts.can_edit_draft(user, draft)):
        raise PermissionDenied(_("This course belongs to another provider."))
    return Target(slug, course, draft)


# --- the last check, as the page shows it -----------------------------------------------------------------------

@dataclass
class ShownProblem:
    line: int
    code: str
    message: str
    severity: str
    source: str | None  # the file's text on that line, when it has one

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class FileProblems:
    """The problems of one file: a module is shown by its title and file name."""

    path: str  # inside the package ("" for the package as a whole)
    title: str | None  # a module's title from its front matter
    problems: list[ShownProblem] = field(default_factory=list)

    @property
    def is_module(self) -> bool:
        return self.path.startswith("modules/")


@dataclass
class CheckReport:
    checked: bool
    checked_at: datetime | None = None
    stale: bool = False  # the draft changed after the check
    revision: int | None = None  # the draft's revision now
    files: list[FileProblems] = field(default_factory=list)
    modules: list[tuple[str, str]] = field(default_factory=list)  # the draft's modules (key, title), to preview

    @property
    def errors(self) -> int:
        return sum(p.is_error for f in self.files for p in f.problems)

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for f in self.files for p in f.problems)


def check_report(user, slug: str) -> CheckReport:
    """The draft's last check, grouped by file (course.toml first, then modules in order), with each module's
    title and the source line each problem concerns; not checked when there is no draft or no check yet."""
    target = get_target(user, slug)
    draft = target.draft
    if draft is None:
        return CheckReport(False)
    texts = {path: text for path, text in db.session.execute(
        select(DraftFile.path, DraftFile.text).where(DraftFile.draft_id == draft.id, DraftFile.kind != "asset"))}
    links = drafts.draft_context(draft, [DraftFile(path=p, kind="module", text=t) for p, t in texts.items()
                                         if p.startswith("modules/")]).module_links
    modules = [(key, module_title(texts[f"modules/{name}"]) or key) for name, key in sorted(links.items())]
    if draft.checked_at is None:
        return CheckReport(False, revision=draft.revision, modules=modules)
    groups: dict[str, FileProblems] = {}
    for item in draft.check_problems or []:
        path = item.get("path") or ""
        group = groups.get(path)
        if group is None:
            group = groups[path] = FileProblems(path, module_title(texts.get(path)) if path.startswith("modules/")
                                                else None)
        line = int(item.get("line") or 1)
        group.problems.append(ShownProblem(line, item.get("code", ""), item.get("message", ""),
                                           item.get("severity", "error"), _source_line(texts.get(path), line)))
    for group in groups.values():
        group.problems.sort(key=lambda p: (p.line, p.code))
    order = {"": 0, MANIFEST: 1}
    files = sorted(groups.values(), key=lambda g: (order.get(g.path, 2 if g.is_module else 3), g.path))
    return CheckReport(True, draft.checked_at, draft.checked_revision != draft.revision, draft.revision, files,
                       modules)


def module_title(text: str | None) -> str | None:
    """A module's title from its front matter (None when it has none or cannot be read)."""
    if not text:
        return None
    try:
        meta = split_front_matter(text).meta
    except ParseError:
        return None
    title = meta.get("title") if isinstance(meta, dict) else None
    return str(title)[:300] if isinstance(title, (str, int, float)) and str(title).strip() else None


def _source_line(text: str | None, line: int) -> str | None:
    if not text:
        return None
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or lines[line - 1].strip() in ("", "---", "+++", "..."):
        return None  # a whole-file problem reported at line 1 says nothing about the front matter's fence
    source = lines[line - 1].rstrip()
    return source if len(source) <= SOURCE_LINE_CHARS else source[:SOURCE_LINE_CHARS - 1] + "…"


def run_check(user, slug: str) -> list[drafts.CheckedProblem]:
    """Check the course's draft (opened from the published version when there is none) and store the result."""
    draft = drafts.open_draft(user, slug)
    return drafts.check(user, draft)


# --- publishing -------------------------------------------------------------------------------------------------

@dataclass
class PublishOutcome:
    """What publishing did: "published" (a new version), "unchanged" (the draft is the current version: nothing
    made, as after a double click), "refused" (errors remain) or "confirm" (warnings not accepted yet)."""

    status: str
    version: CourseVersion | None = None
    errors: int = 0
    warnings: int = 0


def publish(user, slug: str, *, accept_warnings: bool = False, seen_revision: int | None = None) -> PublishOutcome:
    """Check the draft and, without errors, publish it as a new version (progress is kept by module key).

    Warnings must be accepted for the revision the author looked at (`seen_revision`): a draft changed since then
    needs a new look. The check is stored whatever happens, so the check page shows why publishing was refused."""
    draft = drafts.open_draft(user, slug)
    problems = drafts.check(user, draft)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if errors:
        return PublishOutcome("refused", errors=errors, warnings=warnings)
    current = _current_version(draft)
    if current is not None and drafts.same_files(drafts.draft_files(draft), current):
        return PublishOutcome("unchanged", current, warnings=warnings)  # e.g. the second click of a double click
    if warnings and not (accept_warnings and seen_revision == draft.revision):
        return PublishOutcome("confirm", warnings=warnings)
    version = drafts.publish(user, draft)
    changed = current is None or version.id != current.id
    return PublishOutcome("published" if changed else "unchanged", version, warnings=warnings)


def _current_version(draft: CourseDraft) -> CourseVersion | None:
    return db.session.execute(select(CourseVersion).join(Course, Course.current_version_id == CourseVersion.id)
                              .where(Course.slug == draft.slug)).scalar_one_or_none()


# --- retiring ---------------------------------------------------------------------------------------------------

def retire(user, slug: str, now: datetime | None = None) -> bool:
    """Take the course out of the catalogue and stop new enrolments; enrolled learners keep the course, their
    progress and certificates. False when it was retired already (a double click records one history line)."""
    return _set_retired(user, slug, now or utcnow(), "retired")


def reinstate(user, slug: str) -> bool:
    """Put a retired course back in the catalogue; False when it was not retired."""
    return _set_retired(user, slug, None, "reinstated")


def _set_retired(user, slug: str, when: datetime | None, action: str) -> bool:
    course = _course_for(user, slug)
    # Conditional, so two simultaneous clicks change (and record) it once.
    changed = db.session.execute(
        update(Course).where(Course.id == course.id,
                             Course.retired_at.is_(None) if when is not None else Course.retired_at.is_not(None))
        .values(retired_at=when).execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.refresh(course)
        drafts.record(user, course, action)
        db.session.flush()
    return bool(changed)


def _course_for(user, slug: str) -> Course:
    target = get_target(user, slug)
    if target.course is None:
        raise NotFound(_("The course has not been published yet, so there is nothing to retire."))
    return target.course


# --- history ----------------------------------------------------------------------------------------------------

def course_history(user, slug: str, limit: int = HISTORY_LIMIT) -> list[tuple[StudioEvent, str | None]]:
    """The course's latest history lines (who did what, when), newest first, with each person's name."""
    target = get_target(user, slug)
    return drafts.history(user, target.owner, limit=limit)
