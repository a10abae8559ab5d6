"""Bulk enrolment: a provider's staff upload a CSV file (name, e-mail, orgnr), check a preview, then confirm.

Everyone on a valid row gets an e-mailed invitation to the firm and the course: nobody is put in a firm or enrolled
without accepting it (see invitations.accept_invitation), whether they have an account or not, and the preview
never tells the staff which addresses have accounts. The file is kept in `bulk_uploads` between preview and
confirmation (a cookie is too small), and every row is checked again on confirmation, so confirming twice, or
uploading the same file twice, invites each person once.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import BulkUpload, Course, Enrolment, Firm, FirmInvitation, User, utcnow
from . import outbox
from .accounts import normalise_email
from .csvfile import MAX_BYTES, MAX_ROWS, decode, parse  # noqa: F401 -- reading the file lives in csvfile.py
from .invitations import invitation_url, is_expired, token_hash
from .mail import send_mail
from .orgs import format_orgnr, validate_orgnr
from .studio import can_manage_course
from .validation import validate_name

# Kept files hold people's names and e-mail addresses, so they are deleted after this many days.
UPLOAD_RETENTION_DAYS = 30

# Row outcomes: invite the person, skip (invited from this course already, the invitation still valid), or an error
# in the row's own data to fix.
INVITE, SKIP, ERROR = "invite", "skip", "error"


@dataclass
class BulkRow:
    line: int
    name: str
    email: str
    orgnr: str
    status: str = ERROR
    reason: str = ""
    firm: Firm | None = None
    invitation: FirmInvitation | None = None
    # Never shown: confirming sends no invitation to someone enrolled in the course already (the staff see the
    # course's learners anyway), but the preview says the same as for anybody else.
    enrolled: bool = False


@dataclass
class BulkPreview:
    upload: BulkUpload
    rows: list[BulkRow]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


@dataclass
class BulkOutcome:
    invited: int = 0
    skipped: int = 0
    errors: int = 0


def check_rows(course, parsed) -> list[BulkRow]:
    """Each row's outcome with its reason; 3 queries however many rows (firms, enrolments, invitations).

    A valid row always reads "gets an invitation": what an address has (an account, of what kind, in which
    firm) is never part of the answer. Rows with errors say what is wrong with the row's own data.
    """
    rows = [BulkRow(line, name, normalise_email(email), orgnr) for line, name, email, orgnr in parsed]
    for row in rows:
        _validate(row)
    emails = {r.email for r in rows if r.reason == ""}
    orgnrs = {r.orgnr for r in rows if r.reason == ""}
    firms = {f.orgnr: f for f in db.session.execute(select(Firm).where(Firm.orgnr.in_(orgnrs))).scalars()} \
        if orgnrs else {}
    enrolled = set(db.session.execute(select(User.email).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.course_id == course.id, User.email.in_(emails), Enrolment.withdrawn_at.is_(None)
    )).scalars()) if emails else set()
    invited = {i.email: i for i in db.session.execute(select(FirmInvitation).where(
        FirmInvitation.course_id == course.id, FirmInvitation.email.in_(emails), FirmInvitation.accepted_at.is_(None)
    )).scalars()} if emails else {}
    seen = set()
    for row in rows:
        if row.reason:
            continue
        if row.email in seen:
            row.reason = _("The e-mail address is on an earlier row too.")
            continue
        seen.add(row.email)
        row.firm = firms.get(row.orgnr)
        if row.firm is None:
            row.reason = _("No firm with the organisation number %(orgnr)s is registered.", orgnr=format_orgnr(row.orgnr))
        elif row.email in invited and not is_expired(invited[row.email]):
            row.status, row.reason = SKIP, _("Invited to this course on %(date)s; the invitation is still valid.",
                                             date=format_date(invited[row.email].created_at))
        else:
            row.status, row.invitation = INVITE, invited.get(row.email)
            row.enrolled = row.email in enrolled
            row.reason = _("Gets an invitation by e-mail.")
    return rows


def _validate(row: BulkRow) -> None:
    try:
        row.email = normalise_email(validate_email(row.email, check_deliverability=False).normalized)
    except EmailNotValidError:
        row.reason = _("The e-mail address is not valid.") if row.email else _("The e-mail address is missing.")
        return
    try:
        row.orgnr = validate_orgnr(row.orgnr)
    except InvalidInput as error:
        row.reason = error.message
        return
    try:
        row.name = validate_name(row.name, missing=_("The name is missing."))
    except InvalidInput as error:
        row.reason = error.message


def _require(actor, course) -> None:
    if not can_manage_course(actor, course):
        raise PermissionDenied(_("This course belongs to another provider."))


def purge_old_uploads(now: datetime | None = None) -> int:
    """Delete kept CSV files older than UPLOAD_RETENTION_DAYS (they hold personal data); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=UPLOAD_RETENTION_DAYS)
    return db.session.execute(
        delete(BulkUpload).where(BulkUpload.created_at < cutoff).execution_options(synchronize_session=False)
    ).rowcount


def upload(actor, course, filename: str, raw: bytes) -> BulkPreview:
    """Keep an uploaded CSV file and check its rows for the preview; nothing is enrolled yet."""
    _require(actor, course)
    text = decode(raw)
    purge_old_uploads()
    preview = BulkPreview(BulkUpload(course_id=course.id, uploaded_by_id=actor.id, filename=(filename or "")[:200],
                                     content=text), check_rows(course, parse(text)))
    db.session.add(preview.upload)
    db.session.flush()
    return preview


def get_upload(actor, course, upload_id: int) -> BulkUpload:
    """An upload for this course, visible to the course's staff only."""
    _require(actor, course)
    found = db.session.get(BulkUpload, upload_id)
    if found is None or found.course_id != course.id:
        raise NotFound(_("We could not find that upload. Upload the file again."))
    return found


def preview(actor, course, upload_id: int) -> BulkPreview:
    """The rows of a kept upload, checked against the database as it is now."""
    found = get_upload(actor, course, upload_id)
    return BulkPreview(found, check_rows(course, parse(found.content)))


def confirm(actor, course, upload_id: int, now: datetime | None = None) -> BulkOutcome:
    """Invite the rows that are OK now; rows invited already are skipped, so confirming again is harmless."""
    now = now or utcnow()
    found = get_upload(actor, course, upload_id)
    # Lock the course row: two confirmations for the same course run one after the other, never side by side.
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update()).first()
    db.session.execute(update(BulkUpload).where(BulkUpload.id == found.id).values(confirmed_at=now)
                       .execution_options(synchronize_session=False))
    outcome = BulkOutcome()
    title = course.current_version.title if course.current_version else course.slug
    for row in check_rows(course, parse(found.content)):
        if row.status == INVITE and not row.enrolled:
            url = _invite(actor, course, row, now)
            # Sent after the commit, with plain values captured now.
            outbox.queue(send_invitation, row.email, name=row.name, firm=row.firm.name, title=title,
                         provider=course.provider.name, inviter=actor.name, url=url)
            outcome.invited += 1
        elif row.status in (INVITE, SKIP):
            outcome.skipped += 1
        else:
            outcome.errors += 1
    db.session.flush()
    return outcome


def _invite(actor, course, row: BulkRow, now: datetime) -> str:
    invitation = row.invitation or FirmInvitation(firm_id=row.firm.id, email=row.email, course_id=course.id)
    token = secrets.token_urlsafe(32)
    invitation.firm_id = row.firm.id
    invitation.token_hash = token_hash(token)  # a fresh link; an expired one stops working
    invitation.invited_by_id = actor.id
    invitation.created_at = now
    db.session.add(invitation)
    return invitation_url(token)


def send_invitation(email: str, *, title: str, **context) -> bool:
    """E-mail a person their invitation to the firm and the course (plain text and HTML)."""
    return send_mail(
        email, _l("Invitation to the course %(title)s", title=title), "course_invitation", title=title,
        days=current_app.config["INVITATION_MAX_AGE"] // 86400, **context,
    )
