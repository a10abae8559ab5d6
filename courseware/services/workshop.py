"""A library's maker space, for its staff: machines, the courses that grant them, and the staff sign-off that turns
a completed course into a permission (and issues the course's certificate), or withdraws it.

Staff of a library are authors linked to a provider of kind "library"; each sees and changes only their own
library's machines, courses, residents and sign-offs. The rules themselves are in services/workshop_rules.py; the
desk look-up, the resident's pass and the reports are in services/workshop_desk.py, privacy in
services/workshop_privacy.py.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import joinedload

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import (MACHINE_KINDS, Certificate, Completion, Course, CourseVersion, Enrolment, Machine, MachineGrant,
                      MachinePermission, Provider, User, WorkshopPass, utcnow)
from . import audit, certificates, outbox
from . import workshop_rules as rules
from .certificate_codes import new_code
from .validation import validate_name

PASS_PREFIX = "VP"
NOTE_MAX = 1000


# --- Who may -----------------------------------------------------------------------------------------------------

def library_of(user) -> Provider | None:
    """The library whose staff `user` is, or None (authors of other providers, learners, admins)."""
    if not getattr(user, "is_authenticated", True) or user.role != "author" or user.provider_id is None:
        return None
    provider = db.session.get(Provider, user.provider_id)
    return provider if provider is not None and provider.kind == "library" else None


def require_library(user) -> Provider:
    """The actor's library; PermissionDenied for anyone who is not a library's staff."""
    library = library_of(user)
    if library is None:
        raise PermissionDenied(_("The maker space pages are for the staff of a library."))
    return library


def is_resident_of(library: Provider, user_id: int) -> bool:
    """Whether a person is enrolled in one of the library's machine courses or has a sign-off there."""
    grant_course = (select(MachineGrant.course_id).join(Machine, Machine.id == MachineGrant.machine_id)
                    .where(Machine.provider_id == library.id))
    return bool(db.session.execute(select(or_(
        exists().where(Enrolment.user_id == user_id, Enrolment.course_id.in_(grant_course)),
        exists().where(MachinePermission.user_id == user_id, MachinePermission.provider_id == library.id),
    ))).scalar())


def get_resident_for(actor, user_id: int) -> User:
    """A resident of the actor's library; NotFound for anyone else (staff of library A never see B's residents)."""
    library = require_library(actor)
    user = db.session.get(User, user_id)
    if user is None or not is_resident_of(library, user_id):
        raise NotFound(_("We could not find that person among the library's residents."))
    return user


# --- Machines ----------------------------------------------------------------------------------------------------

def list_machines(actor) -> list[Machine]:
    """The actor's library's machines by name."""
    library = require_library(actor)
    return list(db.session.scalars(select(Machine).where(Machine.provider_id == library.id)
                                   .order_by(Machine.name, Machine.id)))


def add_machine(actor, *, name: str, kind: str, room: str = "") -> Machine:
    """A new machine in the actor's library."""
    library = require_library(actor)
    name = validate_name(name, missing=_("Enter the machine's name."), field="name")
    if kind not in MACHINE_KINDS:
        raise InvalidInput(_("Choose the kind of machine from the list."), field="kind")
    machine = Machine(provider_id=library.id, name=name, kind=kind, room=(room or "").strip()[:120])
    db.session.add(machine)
    db.session.flush()
    audit.record(actor, "workshop.machine_add", "machine", machine.id, {"name": name})
    return machine


def get_machine_for(actor, machine_id: int) -> Machine:
    """One of the actor's library's machines; NotFound otherwise."""
    library = require_library(actor)
    machine = db.session.get(Machine, machine_id)
    if machine is None or machine.provider_id != library.id:
        raise NotFound(_("We could not find that machine."))
    return machine


def remove_machine(actor, machine_id: int) -> None:
    """Remove a machine that nobody was signed off for (one with sign-offs stays, for the records)."""
    machine = get_machine_for(actor, machine_id)
    if db.session.execute(select(exists().where(MachinePermission.machine_id == machine.id))).scalar():
        raise InvalidInput(_("People have been signed off for this machine, so it stays in the records."))
    db.session.execute(delete(MachineGrant).where(MachineGrant.machine_id == machine.id))
    db.session.delete(machine)
    db.session.flush()


# --- Courses that grant machines -----------------------------------------------------------------------------------

@dataclass
class CourseGrants:
    course: Course
    title: str
    machine_ids: set[int]
    rules: rules.Rules
    refresher_course_id: int | None


def _library_course(library: Provider, slug: str) -> Course:
    course = db.session.execute(select(Course).where(Course.slug == slug)).scalar_one_or_none()
    if course is None or course.provider_id != library.id:
        raise NotFound(_("We could not find that course among the library's courses."))
    return course


def list_library_courses(actor) -> list[tuple[Course, str]]:
    """The library's published courses with their titles, for linking them to machines."""
    library = require_library(actor)
    return list(db.session.execute(
        select(Course, CourseVersion.title).join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.provider_id == library.id, Course.retired_at.is_(None)).order_by(CourseVersion.title)).all())


def get_course_grants(actor, slug: str) -> CourseGrants:
    """A library course with the machines it grants and its rules (the first grant's: one set of rules per course)."""
    library = require_library(actor)
    course = _library_course(library, slug)
    grants = list(db.session.scalars(select(MachineGrant).where(MachineGrant.course_id == course.id)
                                     .order_by(MachineGrant.id)))
    first = grants[0] if grants else None
    title = db.session.execute(select(CourseVersion.title).where(
        CourseVersion.id == course.current_version_id)).scalar() or course.slug
    return CourseGrants(course, title, {g.machine_id for g in grants}, _rules_of(first),
                        first.refresher_course_id if first else None)


def _rules_of(grant) -> rules.Rules:
    if grant is None:
        return rules.Rules()
    return rules.Rules(grant.min_age, grant.consent_under_age, grant.valid_months)


def _ids(values) -> set[int]:
    """Machine ids as given (form strings or ints); InvalidInput for anything else."""
    try:
        return {int(value) for value in values or []}
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose machines from the list."), field="machines") from None


def _optional_int(value, field: str, low: int, high: int, message: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(message, field=field) from None
    if not low <= number <= high:
        raise InvalidInput(message, field=field)
    return number


def set_course_grants(actor, slug: str, *, machine_ids, min_age=None, consent_under_age=None, valid_months=None,
                      refresher_slug: str | None = None) -> CourseGrants:
    """Make a library course grant these machines with these rules (replacing what it granted before)."""
    library = require_library(actor)
    course = _library_course(library, slug)
    own = {m.id for m in list_machines(actor)}
    wanted = _ids(machine_ids)
    if not wanted <= own:
        raise InvalidInput(_("Choose machines of your own library."), field="machines")
    min_age = _optional_int(min_age, "min_age", 1, 99, _("Enter an age between 1 and 99, or leave it empty."))
    consent = _optional_int(consent_under_age, "consent_under_age", 1, 99,
                            _("Enter an age between 1 and 99, or leave it empty."))
    months = _optional_int(valid_months, "valid_months", 1, 120,
                           _("Enter a number of months between 1 and 120, or leave it empty."))
    refresher = _library_course(library, refresher_slug).id if refresher_slug else None
    if refresher == course.id:
        refresher = None
    db.session.execute(delete(MachineGrant).where(MachineGrant.course_id == course.id))
    for machine_id in sorted(wanted):
        db.session.add(MachineGrant(course_id=course.id, machine_id=machine_id, min_age=min_age,
                                    consent_under_age=consent, valid_months=months, refresher_course_id=refresher))
    db.session.flush()
    audit.record(actor, "workshop.course_grants", "course", course.id, {"machines": sorted(wanted)})
    return get_course_grants(actor, slug)


def needs_sign_off(course_id: int) -> bool:
    """Whether completing the course waits for a staff sign-off before its certificate (it grants machines, or
    renews them as a refresher)."""
    return bool(db.session.execute(select(exists().where(or_(
        MachineGrant.course_id == course_id, MachineGrant.refresher_course_id == course_id)))).scalar())


def waits_for_sign_off(completion_course_id, completion_user_id):
    """A condition for queries of completions: the course needs a sign-off and the person has none from it."""
    grants = exists().where(or_(MachineGrant.course_id == completion_course_id,
                                MachineGrant.refresher_course_id == completion_course_id))
    signed = exists().where(MachinePermission.user_id == completion_user_id,
                            MachinePermission.course_id == completion_course_id,
                            MachinePermission.withdrawn_at.is_(None))
    return grants & ~signed


# --- The pass ------------------------------------------------------------------------------------------------------

def find_pass(user_id: int) -> WorkshopPass | None:
    return db.session.get(WorkshopPass, user_id)


def ensure_pass(user) -> WorkshopPass:
    """The person's workshop pass, made with a fresh random code the first time."""
    found = find_pass(user.id)
    if found is None:
        found = WorkshopPass(user_id=user.id, code=PASS_PREFIX + new_code())
        db.session.add(found)
        db.session.flush()
    return found


def set_birth_year(user, value, now: datetime | None = None) -> WorkshopPass:
    """Keep the person's year of birth on their pass (asked only where a course has an age rule)."""
    year = rules.validate_birth_year(value, now or utcnow())
    found = ensure_pass(user)
    found.birth_year = year
    db.session.flush()
    return found


# --- Sign-off -----------------------------------------------------------------------------------------------------

@dataclass
class SignOffChoice:
    """A course the resident completed at the library, with the machines a sign-off may grant from it."""

    course: Course
    title: str
    completion: Completion
    grants: list[MachineGrant]
    rules: rules.Rules


def sign_off_choices(actor, resident: User) -> list[SignOffChoice]:
    """The library's machine courses (and refreshers) the resident has completed, each with what it grants."""
    library = require_library(actor)
    rows = db.session.execute(
        select(Completion, Course, CourseVersion.title)
        .join(Course, Course.id == Completion.course_id)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Completion.user_id == resident.id, Course.provider_id == library.id)
        .order_by(Completion.completed_at)).all()
    choices = []
    for completion, course, title in rows:
        grants = _grants_from(course.id, resident.id)
        if grants:
            choices.append(SignOffChoice(course, title, completion, grants, _rules_of(grants[0])))
    return choices


def _grants_from(course_id: int, user_id: int) -> list[MachineGrant]:
    """The grants a completed course gives: its own, and as a refresher those the person had a sign-off for."""
    own = list(db.session.scalars(select(MachineGrant).options(joinedload(MachineGrant.machine))
                                  .where(MachineGrant.course_id == course_id).order_by(MachineGrant.machine_id)))
    renewed = list(db.session.scalars(
        select(MachineGrant).options(joinedload(MachineGrant.machine))
        .where(MachineGrant.refresher_course_id == course_id,
               exists().where(MachinePermission.user_id == user_id,
                              MachinePermission.machine_id == MachineGrant.machine_id))
        .order_by(MachineGrant.machine_id)))
    seen = {g.machine_id for g in own}
    return own + [g for g in renewed if g.machine_id not in seen and not seen.add(g.machine_id)]


def sign_off(actor, resident: User, course_slug: str, *, machine_ids, birth_year=None, guardian_name: str = "",
             note: str = "", now: datetime | None = None) -> list[MachinePermission]:
    """Attest in person that the resident may use these machines: one permission per machine, with who, when, the
    note and the guardian's consent; then the course's certificate is issued. Only staff of the course's library."""
    now = now or utcnow()
    library = require_library(actor)
    course = _library_course(library, course_slug)
    completion = db.session.execute(select(Completion).where(
        Completion.user_id == resident.id, Completion.course_id == course.id)).scalar_one_or_none()
    if completion is None:
        raise InvalidInput(_("The resident has not completed the course yet: the theory and the quiz come first."))
    grants = {g.machine_id: g for g in _grants_from(course.id, resident.id)}
    chosen = _ids(machine_ids)
    if not chosen:
        raise InvalidInput(_("Choose at least one machine."), field="machines")
    if not chosen <= set(grants):
        raise InvalidInput(_("Choose machines the course grants."), field="machines")
    pass_ = ensure_pass(resident)
    year = pass_.birth_year
    if birth_year not in (None, ""):
        year = rules.validate_birth_year(birth_year, now)
    guardian_name = (guardian_name or "").strip()[:200]
    for machine_id in chosen:
        rules.check_sign_off(_rules_of(grants[machine_id]), year, guardian_name, now)
    pass_.birth_year = year
    note = (note or "").strip()[:NOTE_MAX]
    consent = any(rules.needs_consent(_rules_of(grants[m]), year, now) for m in chosen)
    made = []
    for machine_id in sorted(chosen):
        permission = MachinePermission(
            user_id=resident.id, machine_id=machine_id, provider_id=library.id, course_id=course.id, granted_at=now,
            expires_at=rules.expires_at(_rules_of(grants[machine_id]), now), signed_off_by_id=actor.id,
            signed_off_by_name=actor.name, note=note, age_band=rules.age_band(year, now),
            guardian_name=guardian_name if consent else "",
            guardian_recorded_by_id=actor.id if consent else None, guardian_recorded_at=now if consent else None)
        db.session.add(permission)
        made.append(permission)
    db.session.flush()
    certificate = _issue_certificate(completion, resident, course, library)
    for permission in made:
        permission.certificate_id = certificate.id if certificate is not None else None
    db.session.flush()
    audit.record(actor, "workshop.sign_off", "user", resident.id, {"course": course.slug, "machines": sorted(chosen)})
    return made


def _issue_certificate(completion: Completion, resident: User, course: Course, library: Provider):
    """The course's certificate, which waited for the sign-off (through the certificate machinery), or the one
    an earlier sign-off issued."""
    existing = certificates.find_certificate_for_completion(completion.id)
    if existing is not None:
        return existing
    version = db.session.get(CourseVersion, completion.version_id or course.current_version_id)
    certificate = certificates.issue_certificate(completion, resident, version, library)
    if certificate is not None:
        outbox.queue(certificates.send_certificate_mail, certificate.id)
    return certificate


def withdraw(actor, permission_id: int, reason: str, now: datetime | None = None) -> MachinePermission:
    """Withdraw a sign-off (misuse) with a reason; when every machine of that sign-off is withdrawn, the
    certificate it issued is revoked too."""
    from .certificate_admin import mark_revoked

    library = require_library(actor)
    permission = db.session.get(MachinePermission, permission_id)
    if permission is None or permission.provider_id != library.id or permission.user_id is None:
        raise NotFound(_("We could not find that sign-off."))
    if permission.withdrawn_at is not None:
        raise InvalidInput(_("This sign-off is withdrawn already."))
    reason = (reason or "").strip()[:NOTE_MAX]
    if not reason:
        raise InvalidInput(_("Say why the sign-off is withdrawn."), field="reason")
    now = now or utcnow()
    permission.withdrawn_at, permission.withdrawn_by_id, permission.withdrawn_reason = now, actor.id, reason
    db.session.flush()
    if permission.certificate_id is not None and not db.session.execute(select(exists().where(
            MachinePermission.certificate_id == permission.certificate_id,
            MachinePermission.withdrawn_at.is_(None)))).scalar():
        certificate = db.session.get(Certificate, permission.certificate_id)
        if certificate is not None and certificate.revoked_at is None:
            mark_revoked(actor, certificate, "withdrawn_by_provider", reason, now)
    audit.record(actor, "workshop.withdraw", "user", permission.user_id, {"machine": permission.machine_id})
    return permission

