"""A learner's rights over their data: correct the profile, download everything, delete the account.

Deleting an account removes the person and everything about them; completed courses stay only as anonymous
rows (user_id NULL), so the programme's statistics still count them. The person's certificates are revoked and
anonymised (their name removed), so their verification page says they were withdrawn; firm certificates stay, as
they name the firm, not people.
"""
import hashlib
import secrets
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased
from werkzeug.security import check_password_hash

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import (
    AuditEvent,
    BulkUpload,
    Certificate,
    CertificateEvent,
    Completion,
    Course,
    CourseVersion,
    DmaAnswer,
    DmaAssessment,
    DmaDelegation,
    Enrolment,
    Firm,
    FirmInvitation,
    FirmJoinRequest,
    ModuleProgress,
    Provider,
    QuizAttempt,
    RecoveryCode,
    TaskCheck,
    TotpCredential,
    User,
    UserLogin,
    utcnow,
)
from . import audit, csvfile, rollups, workshop_privacy
from .accounts import normalise_email
from .certificate_admin import mark_revoked
from .certificate_codes import format_code, verify_url
from .certificate_status import ACCOUNT_DELETED
from .orgs import format_orgnr, industry_section_name, municipality_name
from .quiz import without_right_answers
from .roles import admin_count
from .validation import validate_name

# Account columns never exported (secrets) or meaningless outside the database.
_PRIVATE_COLUMNS = {"password_hash", "session_stamp", "provider_id", "firm_id",  # secrets, and ids shown as names
                    "firm_invited_by_id"}


def update_profile(user: User, *, name: str, locale: str | None, share_progress: bool,
                   name_on_firm_certificates: bool | None = None) -> User:
    """Save the learner's name, language, whether the firm's contact person sees their detailed progress, and
    whether their name may appear on the firm's public certificates (None: unchanged)."""
    name = validate_name(name, missing=_("Enter your name."))
    if locale and locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Choose a language from the list."), field="locale")
    user.name = name
    user.locale = locale or None
    user.share_progress = bool(share_progress)
    if name_on_firm_certificates is not None:
        user.name_on_firm_certificates = bool(name_on_firm_certificates)
    db.session.flush()
    return user


def export_user_data(user: User) -> dict:
    """Everything stored about `user`, as JSON-ready data (the right of access and data portability)."""
    uid = user.id
    titles = _course_labels(uid)

    def rows(model, *conditions, order_by=None):
        query = select(model).where(*conditions).order_by(order_by if order_by is not None else model.id)
        return [_with_course(_columns(obj, exclude={"id", "user_id"}), titles) for obj in db.session.scalars(query)]

    return {
        "exported_at": utcnow().isoformat(),
        "account": _columns(user, exclude=_PRIVATE_COLUMNS),
        "firm": _firm_data(user),
        "enrolments": _enrolments(uid, titles),
        "module_progress": rows(ModuleProgress, ModuleProgress.user_id == uid),
        "task_checks": rows(TaskCheck, TaskCheck.user_id == uid),
        # The learner's own answers, and whether each was right; never which choices are (the quiz's policy decides).
        "quiz_attempts": [dict(row, answers=without_right_answers(row["answers"]))
                          for row in rows(QuizAttempt, QuizAttempt.user_id == uid)],
        "completions": rows(Completion, Completion.user_id == uid),
        "certificates": _certificates(uid),
        "logins": rows(UserLogin, UserLogin.user_id == uid),  # the browsers logged in now, since when
        "invitations_received": [
            {"firm": name, "created_at": _json(created), "accepted_at": _json(accepted)}
            for name, created, accepted in db.session.execute(
                select(Firm.name, FirmInvitation.created_at, FirmInvitation.accepted_at)
                .join(Firm, Firm.id == FirmInvitation.firm_id)
                .where(FirmInvitation.email == normalise_email(user.email))
                .order_by(FirmInvitation.id)
            )
        ],
        "requests_to_join_firms": [
            {"firm": name, "status": status, "created_at": _json(created), "decided_at": _json(decided)}
            for name, status, created, decided in db.session.execute(
                select(Firm.name, FirmJoinRequest.status, FirmJoinRequest.created_at, FirmJoinRequest.decided_at)
                .join(Firm, Firm.id == FirmJoinRequest.firm_id)
                .where(FirmJoinRequest.user_id == uid)
                .order_by(FirmJoinRequest.id)
            )
        ],
        "bulk_uploads": _bulk_upload_rows(normalise_email(user.email)),
        "digital_maturity": _maturity(user),
        **workshop_privacy.export_for(uid),  # the maker space pass and sign-offs
    }


def _maturity(user: User) -> list[dict]:
    """The firm's digital maturity assessments, for the people who fill them in (contact person, delegate)."""
    from .dma import may_assess
    from .dma_results import csv_header, csv_rows

    if not may_assess(user):
        return []
    header = csv_header()
    return [dict(zip(header, row)) for row in csv_rows(user.firm_id)]


def _staff_member(user_id: int | None, names: dict[int, tuple[str, str | None]]) -> dict | None:
    """Who did something to the person's data: name, and the provider they work for (the source of the data)."""
    if user_id is None or user_id not in names:
        return None
    name, provider = names[user_id]
    return {"name": name, "provider": provider}


def _people(user_ids: set) -> dict[int, tuple[str, str | None]]:
    """{user id: (name, provider name)} for the staff named in the export (one query)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {uid: (name, provider) for uid, name, provider in db.session.execute(
        select(User.id, User.name, Provider.name).outerjoin(Provider, Provider.id == User.provider_id)
        .where(User.id.in_(ids)))}


def _enrolments(uid: int, titles: dict[int, dict]) -> list[dict]:
    """The person's enrolments, each saying who enrolled them (themselves when enrolled_by is empty)."""
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == uid).order_by(Enrolment.id)))
    names = _people({e.enrolled_by_id for e in enrolments})
    result = []
    for enrolment in enrolments:
        data = _with_course(_columns(enrolment, exclude={"id", "user_id", "enrolled_by_id"}), titles)
        data["enrolled_by"] = _staff_member(enrolment.enrolled_by_id, names) if enrolment.enrolled_by_id != uid \
            else None
        result.append(data)
    return result


def _certificates(uid: int) -> list[dict]:
    """The person's certificates as issued (with their public address) and what staff did to each (two queries)."""
    certificates = list(db.session.scalars(select(Certificate).where(Certificate.user_id == uid)
                                           .order_by(Certificate.id)))
    events: dict[int, list[dict]] = {}
    if certificates:
        found = db.session.scalars(select(CertificateEvent).where(
            CertificateEvent.certificate_id.in_([c.id for c in certificates])).order_by(CertificateEvent.id))
        for event in found:
            events.setdefault(event.certificate_id, []).append(
                _columns(event, exclude={"id", "certificate_id", "firm_certificate_id", "actor_id"}))
    return [dict(_columns(c, exclude={"id", "user_id", "completion_id", "course_id", "version_id", "provider_id",
                                      "firm_id"}),
                 code=format_code(c.code), url=verify_url(c.code), events=events.get(c.id, []))
            for c in certificates]


def _uploads_naming(email: str):
    """Kept bulk-enrolment files whose text holds the address (each is then read row by row)."""
    return select(BulkUpload).where(func.lower(BulkUpload.content).contains(email, autoescape=True))


def _bulk_upload_rows(email: str) -> list[dict]:
    """The rows naming the person in kept bulk-enrolment files, with the file, the course and who uploaded it."""
    course = aliased(Course)
    uploads = db.session.execute(
        _uploads_naming(email).add_columns(course.slug, Provider.name)
        .join(course, course.id == BulkUpload.course_id).join(Provider, Provider.id == course.provider_id)
        .order_by(BulkUpload.id)
    ).all()
    names = _people({upload.uploaded_by_id for upload, _slug, _provider in uploads})
    result = []
    for upload, slug, provider in uploads:
        for row in csvfile.rows_of(upload.content, email):
            result.append({
                "course": slug, "provider": provider, "file": upload.filename, "line": row.line,
                "name": row.name, "email": row.email, "orgnr": row.orgnr,
                "uploaded_at": _json(upload.created_at), "confirmed_at": _json(upload.confirmed_at),
                "uploaded_by": _staff_member(upload.uploaded_by_id, names),
            })
    return result


def _firm_data(user: User) -> dict | None:
    if user.firm_id is None:
        return None
    firm = db.session.get(Firm, user.firm_id)
    return {
        "orgnr": format_orgnr(firm.orgnr),
        "name": firm.name,
        "municipality": municipality_name(firm.municipality_code),
        "industry": industry_section_name(firm.industry_section),
        "industry_code": firm.industry_code,
        "size_band": firm.size_band,
        "is_contact_person": user.is_firm_contact,
    }


def _course_labels(uid: int) -> dict[int, dict]:
    """Slug and title of every course the user has any data in (one query)."""
    course_ids = select(Enrolment.course_id).where(Enrolment.user_id == uid).union(
        select(Completion.course_id).where(Completion.user_id == uid),
        select(ModuleProgress.course_id).where(ModuleProgress.user_id == uid),
        select(QuizAttempt.course_id).where(QuizAttempt.user_id == uid),
        select(TaskCheck.course_id).where(TaskCheck.user_id == uid),
    )
    result = db.session.execute(
        select(Course.id, Course.slug, CourseVersion.title)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.id.in_(course_ids))
    )
    return {cid: {"course": slug, "course_title": title or slug} for cid, slug, title in result}


def _with_course(data: dict, titles: dict[int, dict]) -> dict:
    course_id = data.pop("course_id", None)
    return {**titles.get(course_id, {}), **data} if course_id is not None else data


def _columns(obj, exclude=frozenset()) -> dict:
    return {c.key: _json(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in exclude}


def _json(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def check_deletion_confirmation(user: User, password: str) -> None:
    """InvalidInput unless `password` is the user's password (deleting an account needs it, not just a session)."""
    if password and check_password_hash(user.password_hash, password):
        return
    raise InvalidInput(_("Your password is not right. Type your password to confirm."), field="confirmation")


def delete_account(user: User, password: str) -> None:
    """Delete the account and all personal data; completions stay as anonymous rows (user_id NULL).

    Every step is explicit, so it works the same on SQLite and PostgreSQL whatever the foreign keys say.
    The firm stays even when this was its only contact person (an admin can appoint a new one).
    """
    check_deletion_confirmation(user, password)
    if user.is_admin and admin_count() <= 1:
        raise Conflict(_("You are the only administrator. Make someone else an administrator first."))
    uid, email = user.id, normalise_email(user.email)
    quiet = {"synchronize_session": False}
    workshop_privacy.forget_person(uid)
    _withdraw_certificates(uid)
    rollups.forget_enrolments(uid)
    db.session.execute(
        update(Completion).where(Completion.user_id == uid).values(user_id=None), execution_options=quiet
    )
    for model in (QuizAttempt, TaskCheck, ModuleProgress, Enrolment, UserLogin, TotpCredential, RecoveryCode):
        db.session.execute(delete(model).where(model.user_id == uid), execution_options=quiet)
    db.session.execute(
        update(Enrolment).where(Enrolment.enrolled_by_id == uid).values(enrolled_by_id=None),
        execution_options=quiet,
    )
    # Invitations addressed to the person go; those they sent stay with the firm, without the sender.
    db.session.execute(delete(FirmInvitation).where(FirmInvitation.email == email), execution_options=quiet)
    _remove_from_bulk_uploads(email)
    db.session.execute(
        update(BulkUpload).where(BulkUpload.uploaded_by_id == uid).values(uploaded_by_id=None),
        execution_options=quiet,
    )
    db.session.execute(
        update(FirmInvitation).where(FirmInvitation.invited_by_id == uid).values(invited_by_id=None),
        execution_options=quiet,
    )
    # Requests to join a firm are the person's own; answers they gave, firms they verified and colleagues they
    # invited stay, without them.
    db.session.execute(delete(FirmJoinRequest).where(FirmJoinRequest.user_id == uid), execution_options=quiet)
    db.session.execute(
        update(FirmJoinRequest).where(FirmJoinRequest.decided_by_id == uid).values(decided_by_id=None),
        execution_options=quiet,
    )
    db.session.execute(update(Firm).where(Firm.verified_by_id == uid).values(verified_by_id=None),
                       execution_options=quiet)
    # Revocations they made as staff stay in the audit log under the name they had.
    db.session.execute(update(CertificateEvent).where(CertificateEvent.actor_id == uid).values(actor_id=None),
                       execution_options=quiet)
    # So do the administrative actions they made (services/audit.py), under the address they had; events about
    # them lose their address, and their own two-step-login events go.
    audit.forget_person(uid)
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == uid).values(actor_id=None),
                       execution_options=quiet)
    db.session.execute(update(User).where(User.firm_invited_by_id == uid).values(firm_invited_by_id=None),
                       execution_options=quiet)
    # The firm's digital maturity assessments are the firm's and stay; who started, answered or delegated goes.
    db.session.execute(delete(DmaDelegation).where(DmaDelegation.user_id == uid), execution_options=quiet)
    db.session.execute(update(DmaDelegation).where(DmaDelegation.delegated_by_id == uid)
                       .values(delegated_by_id=None), execution_options=quiet)
    for column in (DmaAssessment.started_by_id, DmaAssessment.completed_by_id):
        db.session.execute(update(DmaAssessment).where(column == uid).values({column.key: None}),
                           execution_options=quiet)
    db.session.execute(update(DmaAnswer).where(DmaAnswer.answered_by_id == uid).values(answered_by_id=None),
                       execution_options=quiet)
    db.session.execute(delete(User).where(User.id == uid), execution_options=quiet)
    db.session.expunge(user)
    db.session.flush()


def _withdraw_certificates(uid: int) -> None:
    """Revoke the person's certificates (the reason says the holder deleted the account) and remove what names them:
    the name, and the salted hash of the address (redrawn, so it matches no address)."""
    for certificate in list(db.session.scalars(select(Certificate).where(Certificate.user_id == uid))):
        if certificate.revoked_at is None:
            mark_revoked(None, certificate, ACCOUNT_DELETED)
        else:  # revoked by staff before: the reason they gave stays, and the deletion is logged
            db.session.add(CertificateEvent(certificate_id=certificate.id, action="anonymised",
                                            reason=ACCOUNT_DELETED, created_at=utcnow()))
        salt = secrets.token_hex(16)
        certificate.learner_name = ""
        certificate.recipient_salt = salt
        certificate.recipient_hash = "sha256$" + hashlib.sha256(secrets.token_bytes(32) + salt.encode()).hexdigest()
        certificate.user_id = None
    db.session.flush()


def _remove_from_bulk_uploads(email: str) -> None:
    """Take the person's rows out of kept bulk-enrolment files; a file with no one else left goes entirely."""
    for upload in db.session.scalars(_uploads_naming(email)):
        remaining = csvfile.without_rows_of(upload.content, email)
        if remaining is None:
            db.session.delete(upload)
        else:
            upload.content = remaining
