"""The provider's view: a provider's staff see and export enrolments and progress in their own courses only.

Staff are authors linked to the course's provider (and admins, who see every course). Every function here
takes the acting user and checks this itself, so the web pages and any later API share one rule.
Bulk enrolment from a CSV file lives in services/bulk.py.
"""
import tomllib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..content.package import MANIFEST
from ..models import (Certificate, Completion, Course, CourseDraft, CourseVersion, DraftFile, Enrolment, Firm,
                      FirmCertificate, Provider, User)
from .orgs import format_orgnr
from .progress import Summary, course_progress_rows, evaluate, progress_summaries, summarise
from .spreadsheet import csv_for_excel


def is_staff(user) -> bool:
    """Admins, and authors linked to a provider, may use the studio."""
    return bool(getattr(user, "is_authenticated", True) and (
        user.is_admin or (user.role == "author" and user.provider_id is not None)))


def require_staff(user) -> None:
    """PermissionDenied unless `user` may use the studio at all."""
    if not is_staff(user):
        if getattr(user, "role", None) == "author":
            raise PermissionDenied(_("Your account is not linked to a provider yet. Ask an administrator."))
        raise PermissionDenied(_("The studio is for the staff of course providers."))


def can_manage_course(user, course) -> bool:
    """Whether `user` may see the learners of `course` and enrol people in it."""
    return bool(user.is_admin or (user.role == "author" and user.provider_id
                                  and user.provider_id == course.provider_id))


def _courses():
    return (
        select(Course)
        .join(Provider, Provider.id == Course.provider_id)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .options(contains_eager(Course.provider), contains_eager(Course.current_version))
    )


def get_course_for(user, slug: str) -> Course:
    """The course `user` manages, with version and provider loaded; NotFound or PermissionDenied otherwise."""
    require_staff(user)
    course = db.session.execute(_courses().where(Course.slug == slug)).unique().scalar_one_or_none()
    if course is None:
        raise NotFound(_("We could not find that course."))
    if not can_manage_course(user, course):
        raise PermissionDenied(_("This course belongs to another provider."))
    return course


@dataclass
class CourseFigures:
    """A row of My courses: a published course and/or its draft, with enrolment figures and the last check."""

    course: Course | None  # None: a draft not published yet
    enrolled: int = 0
    withdrawn: int = 0
    completed: int = 0
    draft: CourseDraft | None = None
    draft_title: str | None = None  # a draft-only course's title from its course.toml
    provider_name: str = ""

    @property
    def slug(self) -> str:
        return self.course.slug if self.course is not None else self.draft.slug

    @property
    def version(self) -> CourseVersion | None:
        return self.course.current_version if self.course is not None else None

    @property
    def title(self) -> str:
        version = self.version
        return version.title if version is not None else (self.draft_title or self.slug)

    @property
    def status(self) -> str:
        """"draft" (never published), "retired", "changed" (published, with unpublished changes in the draft) or
        "published". A draft counts as changed once it was edited after the version was published (or was started
        from an older version); an opened but untouched draft does not."""
        if self.version is None:
            return "draft"
        if self.course.retired_at is not None:
            return "retired"
        draft = self.draft
        if draft is not None and (draft.base_version_id != self.course.current_version_id or (
                draft.revision > 1 and draft.updated_at > self.version.imported_at)):
            return "changed"
        return "published"

    @property
    def check(self) -> dict | None:
        """The draft's last check: errors, warnings, when, and whether the draft changed since; None if never."""
        draft = self.draft
        if draft is None or draft.checked_at is None:
            return None
        problems = draft.check_problems or []
        errors = sum(1 for p in problems if p.get("severity") == "error")
        return {"errors": errors, "warnings": len(problems) - errors, "at": draft.checked_at,
                "stale": draft.checked_revision != draft.revision}


def list_courses(user) -> list[CourseFigures]:
    """The courses `user` manages (an admin: all) and their drafts not published yet, with active enrolments,
    withdrawals, completions and the last check (at most 5 queries, whatever the number of courses)."""
    require_staff(user)
    stmt = _courses().order_by(Provider.name, CourseVersion.stage, CourseVersion.title, Course.slug)
    drafts_stmt = (select(CourseDraft, Provider.name).join(Provider, Provider.id == CourseDraft.provider_id)
                   .order_by(Provider.name, CourseDraft.slug))
    if not user.is_admin:
        stmt = stmt.where(Course.provider_id == user.provider_id)
        drafts_stmt = drafts_stmt.where(CourseDraft.provider_id == user.provider_id)
    courses = list(db.session.execute(stmt).unique().scalars())
    drafts = {draft.slug: (draft, name) for draft, name in db.session.execute(drafts_stmt)}
    ids = [c.id for c in courses]
    enrolments, completions = {}, {}
    if ids:
        enrolments = {
            (course_id, active): n
            for course_id, active, n in db.session.execute(
                select(Enrolment.course_id, Enrolment.withdrawn_at.is_(None), func.count())
                .where(Enrolment.course_id.in_(ids))
                .group_by(Enrolment.course_id, Enrolment.withdrawn_at.is_(None))
            )
        }
        completions = {course_id: n for course_id, n in db.session.execute(
            select(Completion.course_id, func.count()).where(Completion.course_id.in_(ids))
            .group_by(Completion.course_id)
        )}
    rows = [
        CourseFigures(c, enrolments.get((c.id, True), 0), enrolments.get((c.id, False), 0), completions.get(c.id, 0),
                      drafts.pop(c.slug, (None, ""))[0], provider_name=c.provider.name)
        for c in courses
    ]
    if drafts:  # drafts of courses not published yet: their titles are in their manifests
        manifests = dict(db.session.execute(select(DraftFile.draft_id, DraftFile.text).where(
            DraftFile.draft_id.in_([d.id for d, _name in drafts.values()]), DraftFile.path == MANIFEST)).all())
        rows += [CourseFigures(None, draft=d, draft_title=_manifest_title(manifests.get(d.id)), provider_name=name)
                 for d, name in drafts.values()]
    return rows


def _manifest_title(text: str | None) -> str | None:
    try:
        title = tomllib.loads(text or "").get("title")
    except tomllib.TOMLDecodeError:
        return None
    return title.strip()[:300] or None if isinstance(title, str) else None


@dataclass
class LearnerRow:
    enrolment: Enrolment
    user: User
    summary: Summary | None
    certificate: Certificate | None = None

    @property
    def firm_name(self) -> str:
        return self.user.firm.name if self.user.firm is not None else ""

    @property
    def status(self) -> str:
        return learner_status(self.summary is not None and self.summary.completed, self.enrolment.withdrawn_at)


def learner_status(completed: bool, withdrawn_at) -> str:
    """"completed", "withdrawn" or "enrolled": lists and the export show each in words, not colour alone."""
    return "completed" if completed else "withdrawn" if withdrawn_at else "enrolled"


def _learners(course):
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .options(joinedload(Enrolment.user).joinedload(User.firm))
        .where(Enrolment.course_id == course.id)
        .order_by(func.lower(User.name), User.id)
    )


def list_learners(user, course, *, page: int = 1, per_page: int = 50):
    """One page of the course's learners (name, firm, enrolled, percent, completed, certificate); a fixed number of
    queries."""
    if not can_manage_course(user, course):
        raise PermissionDenied(_("This course belongs to another provider."))
    pagination = db.paginate(_learners(course), page=page, per_page=per_page, error_out=False, count=True)
    enrolments = list(pagination.items)
    ids = [e.user_id for e in enrolments]
    summaries = progress_summaries(ids, [course.id]) if enrolments else {}
    certificates = {c.user_id: c for c in db.session.execute(select(Certificate).where(
        Certificate.course_id == course.id, Certificate.user_id.in_(ids))).scalars()} if ids else {}
    pagination.rows = [LearnerRow(e, e.user, summaries.get((e.user_id, course.id)), certificates.get(e.user_id))
                       for e in enrolments]
    return pagination


def list_firm_certificates(user, course) -> list[FirmCertificate]:
    """The firm certificates of a course, by firm name, for its provider's staff."""
    if not can_manage_course(user, course):
        raise PermissionDenied(_("This course belongs to another provider."))
    return list(db.session.execute(
        select(FirmCertificate).where(FirmCertificate.course_id == course.id)
        .order_by(func.lower(FirmCertificate.firm_name), FirmCertificate.id)).scalars())


def export_learners_csv(user, course) -> str:
    """Every learner of the course as CSV for Excel: UTF-8 with BOM, semicolons (the Norwegian Excel default).

    Percent counts steps (read modules, ticked tasks, passed quizzes), as the learner list does. Four plain queries
    for the whole course (learners, progress rows, ticked tasks, completions), whatever the number of learners,
    and each learner judged against the current outline as on every other page.
    """
    if not can_manage_course(user, course):
        raise PermissionDenied(_("This course belongs to another provider."))
    outline = course.current_version.outline or []
    learners = db.session.execute(
        select(Enrolment.user_id, User.name, User.email, Firm.name, Firm.orgnr, Firm.verified_at,
               Enrolment.enrolled_at, Enrolment.withdrawn_at)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Firm, Firm.id == User.firm_id)
        .where(Enrolment.course_id == course.id)
        .order_by(func.lower(User.name), User.id)
    ).all()
    rows, tasks = course_progress_rows(course.id)
    completed = dict(db.session.execute(
        select(Completion.user_id, Completion.completed_at).where(Completion.course_id == course.id)
    ).all())
    header = [_("Name"), _("E-mail"), _("Firm"), _("Organisation number"), _("Enrolled"), _("Withdrawn"),
              _("Percent"), _("Modules completed"), _("Modules"), _("Completed"), _("Status"), _("Steps done"),
              _("Steps"), _("Firm verified")]
    statuses = {"completed": _("Completed"), "withdrawn": _("Left the course"), "enrolled": _("Not completed yet")}
    lines = []
    for user_id, name, email, firm_name, orgnr, verified_at, enrolled_at, withdrawn_at in learners:
        states = evaluate(outline, rows.get(user_id, {}), tasks.get(user_id, {}))
        s = summarise(states, completed.get(user_id))
        status = learner_status(s.completed, withdrawn_at)
        lines.append([
            name, email, firm_name or "", format_orgnr(orgnr) if orgnr else "", _date(enrolled_at),
            _date(withdrawn_at), s.step_percent, s.completed_modules, s.total_modules, _date(s.completed_at),
            statuses[status], s.steps_done, s.steps_total, (_("Yes") if verified_at else _("No")) if firm_name else "",
        ])
    return csv_for_excel(header, lines)


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""

