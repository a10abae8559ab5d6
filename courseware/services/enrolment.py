"""Enrolment: who may take a course, self-enrolment, withdrawing, and enrolling others.

A "firms" course needs the learner to belong to a firm; a "public" one only an account. `requires` names the
courses to complete first. Withdrawing keeps every progress row, so enrolling again continues where the
learner left off. Enrolling twice (double click, two tabs, two servers) leaves one Enrolment row.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Completion, Course, CourseVersion, Enrolment, Firm, Provider, User, utcnow
from . import dma_triggers, outbox, rollups
from .accounts import require_verified_email
from .firms import may_see_member, visible_members_clause
from .mail import absolute_url, send_mail


def find_enrolment(user, course) -> Enrolment | None:
    """The user's enrolment in the course (active or withdrawn), or None."""
    return db.session.execute(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    ).scalar_one_or_none()


def missing_requirements(user, version: CourseVersion) -> list[str]:
    """Titles of the courses in `version.requires` that the user has not completed yet (in manifest order)."""
    slugs = list(version.requires or [])
    if not slugs:
        return []
    rows = db.session.execute(
        select(Course.slug, CourseVersion.title, Completion.id)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .outerjoin(Completion, (Completion.course_id == Course.id) & (Completion.user_id == user.id))
        .where(Course.slug.in_(slugs))
    ).all()
    found = {slug: (title or slug, done is not None) for slug, title, done in rows}
    missing = []
    for slug in slugs:
        title, done = found.get(slug, (slug, False))
        if not done:
            missing.append(title)
    return missing


def check_can_enrol(user, course, *, check_requires: bool = True) -> None:
    """PermissionDenied with a message the learner can act on when they may not enrol in `course` (also when
    someone else enrols them): a retired course (only learners enrolled before may come back), an unconfirmed e-mail
    address, no firm for a firms' course, missing requirements."""
    version = course.current_version
    if version is None:
        raise NotFound(_("We could not find that course."))
    require_verified_email(user)
    if course.retired_at is not None and find_enrolment(user, course) is None:
        raise PermissionDenied(_("This course is retired and takes no new enrolments. Learners already enrolled "
                                 "keep it."), reason="retired")
    if version.audience != "public" and not user.firm_id:
        raise PermissionDenied(
            _("This course is for employees of firms. Register your firm (or join it) first, then enrol."),
            reason="no_firm",
        )
    if check_requires:
        missing = missing_requirements(user, version)
        if missing:
            raise PermissionDenied(
                _("Complete %(courses)s first, then you can enrol in this course.", courses=", ".join(missing)),
                reason="requires", courses=missing,
            )


@dataclass
class EnrolResult:
    enrolment: Enrolment
    # "created", "resumed" (enrolled again after withdrawing) or None (already enrolled: nothing changed)
    change: str | None


def enrol(user, course, *, enrolled_by=None, check_requires: bool = True, now: datetime | None = None) -> EnrolResult:
    """Enrol `user` (idempotent); a withdrawn enrolment is resumed with its progress. Mails a confirmation."""
    check_can_enrol(user, course, check_requires=check_requires)
    now = now or utcnow()
    by_id = enrolled_by.id if enrolled_by is not None and enrolled_by.id != user.id else None
    enrolment = find_enrolment(user, course)
    change = None
    if enrolment is None:
        try:
            with db.session.begin_nested():
                enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now, enrolled_by_id=by_id,
                                      firm_id=user.firm_id)
                db.session.add(enrolment)
            change = "created"
            rollups.record_enrolment(enrolment)
            dma_triggers.on_enrolment(enrolment, course.current_version, now=now)  # a baseline for a new stage
        except IntegrityError:  # enrolled by a simultaneous request
            enrolment = find_enrolment(user, course)
    elif enrolment.withdrawn_at is not None:
        # Conditional, so two simultaneous "enrol again" clicks resume (and mail) once.
        resumed = db.session.execute(
            update(Enrolment)
            .where(Enrolment.id == enrolment.id, Enrolment.withdrawn_at.is_not(None))
            .values(withdrawn_at=None, enrolled_by_id=by_id)
        ).rowcount
        change = "resumed" if resumed else None
        if resumed:
            rollups.record_withdrawal(enrolment, undo=True)
    if change:
        outbox.queue(send_enrolment_mail, user.id, course.id, by_id)
    return EnrolResult(enrolment, change)


def withdraw(user, course, now: datetime | None = None) -> bool:
    """Leave a course; progress stays for a later return. False when the user was not enrolled (nothing to do)."""
    left = db.session.execute(
        update(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.withdrawn_at.is_(None))
        .values(withdrawn_at=now or utcnow())
    ).rowcount
    if left:
        rollups.record_withdrawal(find_enrolment(user, course))
    return bool(left)


def get_published_course(course_id: int) -> Course | None:
    """A published course by id with its current version and provider loaded, or None."""
    return db.session.execute(
        select(Course)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .join(Provider, Provider.id == Course.provider_id)
        .options(contains_eager(Course.current_version), contains_eager(Course.provider))
        .where(Course.id == course_id)
    ).unique().scalar_one_or_none()


def enrol_from_invitation(user, invitation) -> EnrolResult | None:
    """Enrol a person who accepted an invitation that names a course (bulk enrolment by the course's provider).

    Call it after the user has joined the invitation's firm. The provider's staff chose these people, so
    `requires` is not checked; None when the invitation names no course or the course is gone or retired.
    """
    if not invitation.course_id:
        return None
    course = get_published_course(invitation.course_id)
    if course is None or course.retired_at is not None:  # retired since the invitation: no new enrolments
        return None
    inviter = db.session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    return enrol(user, course, enrolled_by=inviter, check_requires=False)


# --- The firm's contact person enrols colleagues ----------------------------------------------------------------

def require_firm_contact(actor) -> None:
    """PermissionDenied unless `actor` is the contact person of a firm."""
    if not (actor.firm_id and actor.is_firm_contact):
        raise PermissionDenied(_("Only a firm's contact person can enrol colleagues."))


@dataclass
class ColleagueEnrolment:
    enrolled: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def _contact_firm(actor) -> Firm:
    require_firm_contact(actor)
    return db.session.get(Firm, actor.firm_id)


def list_colleagues(actor) -> list[User]:
    """The members of the contact person's firm whose data they may see (firms.may_see_member), by name."""
    firm = _contact_firm(actor)
    return list(db.session.execute(
        select(User).where(User.firm_id == actor.firm_id, User.active.is_(True), visible_members_clause(actor, firm))
        .order_by(User.name, User.id)
    ).scalars())


def colleague_enrolments(actor, colleague_ids) -> set[tuple[int, int]]:
    """(user_id, course_id) of the colleagues' active enrolments, to show who is already enrolled where."""
    firm = _contact_firm(actor)
    ids = list(colleague_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        select(Enrolment.user_id, Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.user_id.in_(ids), User.firm_id == actor.firm_id, Enrolment.withdrawn_at.is_(None),
               visible_members_clause(actor, firm))
    )
    return {(user_id, course_id) for user_id, course_id in rows}


def enrol_colleagues(actor, course, user_ids, now: datetime | None = None) -> ColleagueEnrolment:
    """The contact person enrols colleagues of their own firm; each one's reason is reported when refused."""
    firm = _contact_firm(actor)
    ids = {int(i) for i in user_ids}
    if not ids:
        raise InvalidInput(_("Choose at least one colleague."), field="users")
    users = list(db.session.execute(
        select(User).where(User.id.in_(ids)).order_by(User.name, User.id)
    ).scalars())
    if len(users) != len(ids) or any(not may_see_member(actor, firm, u) for u in users):
        raise PermissionDenied(_("You can only enrol colleagues in your own firm."))
    result = ColleagueEnrolment()
    for user in users:
        try:
            outcome = enrol(user, course, enrolled_by=actor, now=now)
        except PermissionDenied as refusal:
            result.refused.append((user.name, refusal.message))
            continue
        (result.enrolled if outcome.change else result.already).append(user.name)
    return result


# --- E-mail ------------------------------------------------------------------------------------------------------

def send_enrolment_mail(user_id: int, course_id: int, enrolled_by_id: int | None = None) -> bool:
    """Confirm an enrolment to the learner (who enrolled them, where to start); sent after the commit."""
    user = db.session.get(User, user_id)
    course = get_published_course(course_id)
    if user is None or course is None:
        return False
    by = db.session.get(User, enrolled_by_id) if enrolled_by_id else None
    version = course.current_version
    outline = version.outline or []
    start_url = (absolute_url("public.module", slug=course.slug, key=outline[0]["key"]) if outline
                 else absolute_url("public.course", slug=course.slug))
    return send_mail(
        user, _l("You are enrolled in %(title)s", title=version.title), "enrolment", user=user,
        title=version.title, provider=course.provider.name, enrolled_by=by.name if by else None,
        modules=len(outline), minutes=version.estimated_minutes, start_url=start_url,
        course_url=absolute_url("public.course", slug=course.slug), my_courses_url=absolute_url("learner.my_courses"),
    )
