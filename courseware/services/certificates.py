"""Issuing certificates: a learner's personal certificate for a completed course, and a firm's certificate for the
first completion by one of its people.

A personal certificate is issued in the same transaction as the completion (services.learning.complete_course),
when the course's `[certificate]` is enabled and the learner has confirmed their e-mail address. Someone who has
not gets it when they confirm (issue_waiting), and completions recorded before certificates existed get theirs from
`courseware certificates backfill` (backfill), which `courseware init` runs too. Exactly once: the certificate's
completion_id is unique, and an insert that loses a race to a simultaneous transaction finds the winner's row.

A firm certificate follows from a member's personal certificate: unique per firm and course, issued with the first
one. A firm certificate is a public claim about an organisation number, so it waits until the firm's contact
person is verified (Brønnøysund's roles or an administrator); services.firms.verify_firm then issues what waited.

Everything a certificate shows is frozen here. Its code is random (certificate_codes), and so is its place in the
revocation status list (status_list_length).
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..errors import Conflict
from ..extensions import db
from ..models import Certificate, Completion, Course, CourseVersion, Firm, FirmCertificate, Provider, User
from . import outbox, rollups
from .accounts import normalise_email
from .certificate_codes import format_code, new_code, verify_url
from .mail import absolute_url, send_mail

# The revocation status list (W3C Bitstring Status List) has at least this many entries, the minimum the
# specification asks for, so that one certificate's bit hides among many ("herd privacy"). Each personal
# certificate takes a random free entry. The list doubles whenever half of it is taken (status_list_length), so a
# random pick finds a free entry in two tries on average; entries already given out never move.
STATUS_LIST_MIN_LENGTH = 131_072
# Random codes and status entries that collide are drawn again; this many collisions in a row means something else
# is wrong.
ISSUE_ATTEMPTS = 20


def certificate_settings(version: CourseVersion | None) -> dict | None:
    """The version's `[certificate]` settings when it gives certificates; None when it does not."""
    settings = version.certificate if version is not None else None
    return settings if isinstance(settings, dict) and settings.get("enabled") is True else None


def _gives_certificates(version):
    """certificate_settings as a condition on a CourseVersion (or an alias of it), for queries."""
    return version.certificate["enabled"].as_boolean().is_(True)


def status_list_length() -> int:
    """How many entries the revocation status list has now: STATUS_LIST_MIN_LENGTH, doubled while half of it or
    more is taken, and never shorter than an entry given out (the Open Badges status list publishes this many)."""
    taken, highest = db.session.execute(
        select(func.count(Certificate.id), func.max(Certificate.status_index))).one()
    length = STATUS_LIST_MIN_LENGTH
    while taken * 2 >= length or (highest is not None and highest >= length):
        length *= 2
    return length


def recipient_hash(email: str, salt: str) -> str:
    """Open Badges' hashed recipient: "sha256$" and the hex SHA-256 of the normalised address followed by the salt."""
    return "sha256$" + hashlib.sha256((normalise_email(email) + salt).encode()).hexdigest()


def _fresh_code() -> str:
    """A random code that neither a personal nor a firm certificate has (both share one verification page)."""
    while True:
        code = new_code()
        taken = db.session.execute(select(or_(exists().where(Certificate.code == code),
                                               exists().where(FirmCertificate.code == code)))).scalar()
        if not taken:
            return code


def _insert_unique(make, existing):
    """Insert the row make() builds, drawing fresh random values after a unique collision; None when existing()
    then finds the row a simultaneous transaction inserted instead (the certificate exists: nothing to issue)."""
    for _attempt in range(ISSUE_ATTEMPTS):
        row = make()
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            if existing() is not None:
                return None
            continue
        return row
    raise Conflict(_("The certificate could not be issued just now. Please try again."))


def _years_later(moment: datetime, years: int) -> datetime | None:
    """The same day `years` later (28 February for 29 February); None past the calendar's end (never expires)."""
    if moment.year + years > 9998:
        return None
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


# --- Issuing -------------------------------------------------------------------------------------------------

def find_certificate_for_completion(completion_id: int) -> Certificate | None:
    """The personal certificate issued for a completion, or None."""
    return db.session.execute(
        select(Certificate).where(Certificate.completion_id == completion_id)).scalar_one_or_none()


def find_firm_certificate(firm_id: int, course_id: int) -> FirmCertificate | None:
    """The firm's certificate for a course, or None."""
    return db.session.execute(select(FirmCertificate).where(
        FirmCertificate.firm_id == firm_id, FirmCertificate.course_id == course_id)).scalar_one_or_none()


def issue_certificate(completion: Completion, user: User, version: CourseVersion,
                      provider: Provider, count: bool = True) -> Certificate | None:
    """Issue the personal certificate for a completion, frozen as things are now; None when the course gives none,
    the address is not confirmed yet, or the certificate exists already (also when a simultaneous request won).
    count=False: the caller adds it to the report counts itself (with the completion, in one change)."""
    settings = certificate_settings(version)
    if settings is None or user.email_verified_at is None or completion.user_id != user.id:
        return None
    if find_certificate_for_completion(completion.id) is not None:
        return None
    issued_at = completion.completed_at  # the certificate states when the course was completed
    valid_years = settings.get("valid_years") or 0
    length = status_list_length()
    salt = secrets.token_hex(16)
    frozen = dict(
        completion_id=completion.id, user_id=user.id, course_id=completion.course_id, version_id=version.id,
        provider_id=provider.id, firm_id=completion.firm_id, learner_name=user.name,
        course_slug=db.session.get(Course, completion.course_id).slug, course_title=version.title,
        stage=version.stage, version_number=version.number, provider_slug=provider.slug, provider_name=provider.name,
        signer_name=settings.get("signer_name") or "", signer_title=settings.get("signer_title") or "",
        minutes=sum(int(entry.get("minutes") or 0) for entry in version.outline or []),
        language=(user.locale or version.language or "nb")[:2], issued_at=issued_at,
        valid_until=_years_later(issued_at, valid_years) if valid_years else None,
        recipient_salt=salt, recipient_hash=recipient_hash(user.email, salt),
    )
    issued = _insert_unique(
        lambda: Certificate(code=_fresh_code(), status_index=secrets.randbelow(length), **frozen),
        lambda: find_certificate_for_completion(completion.id),
    )
    if issued is not None and count:
        rollups.record_certificate(issued)
    return issued


def issue_firm_certificate(personal: Certificate) -> FirmCertificate | None:
    """Issue the firm's certificate for the course of a member's certificate, once per firm and course, and mail the
    firm's contact person; None when it exists, the firm's contact person is not verified, or the member's
    certificate is revoked."""
    if personal.firm_id is None or personal.revoked_at is not None:
        return None
    firm = db.session.get(Firm, personal.firm_id)
    if firm is None or not firm.verified or find_firm_certificate(firm.id, personal.course_id) is not None:
        return None
    frozen = dict(
        firm_id=firm.id, course_id=personal.course_id, provider_id=personal.provider_id, firm_name=firm.name,
        orgnr=firm.orgnr, course_slug=personal.course_slug, course_title=personal.course_title,
        stage=personal.stage, provider_name=personal.provider_name, issued_at=personal.issued_at,
    )
    issued = _insert_unique(lambda: FirmCertificate(code=_fresh_code(), **frozen),
                            lambda: find_firm_certificate(firm.id, personal.course_id))
    if issued is not None:
        outbox.queue(send_firm_certificate_mail, issued.id)
    return issued


def issue_at_completion(completion: Completion, user: User, course: Course,
                        version: CourseVersion, count: bool = True) -> Certificate | None:
    """The certificates a completion earns, in its transaction: the learner's (announced by the completion e-mail)
    and, with the firm's first one, the firm's. count=False: see issue_certificate."""
    from .workshop import needs_sign_off  # the workshop issues through this module: imported here, not at the top

    if certificate_settings(version) is None:
        return None
    provider = db.session.get(Provider, course.provider_id)
    # A library's machine course: the certificate waits for the staff sign-off (services/workshop.sign_off). Only a
    # library's courses grant machines, so other providers' completions are spared the look-up.
    if provider.kind == "library" and needs_sign_off(course.id):
        return None
    certificate = issue_certificate(completion, user, version, provider, count=count)
    if certificate is not None:
        issue_firm_certificate(certificate)
    return certificate


def _waiting_completions(*conditions):
    """Completions of courses that give certificates, recorded without one (the version completed, else the
    current one), with that version and the provider."""
    from .workshop import waits_for_sign_off

    version = aliased(CourseVersion)
    return (
        select(Completion, version, Provider, User)
        .join(User, User.id == Completion.user_id)
        .join(Course, Course.id == Completion.course_id)
        .join(version, version.id == func.coalesce(Completion.version_id, Course.current_version_id))
        .join(Provider, Provider.id == Course.provider_id)
        .where(~exists().where(Certificate.completion_id == Completion.id), _gives_certificates(version),
               ~waits_for_sign_off(Completion.course_id, Completion.user_id), *conditions)
        .order_by(Completion.id)
    )


def _issue_waiting(*conditions) -> tuple[int, int]:
    """Issue the personal certificates (and firm certificates) that wait; each learner is mailed. (personal, firm)"""
    personal = firm = 0
    for completion, version, provider, user in db.session.execute(
            _waiting_completions(User.email_verified_at.is_not(None), *conditions)).all():
        certificate = issue_certificate(completion, user, version, provider)
        if certificate is None:
            continue
        personal += 1
        outbox.queue(send_certificate_mail, certificate.id)
        firm += issue_firm_certificate(certificate) is not None
    return personal, firm


def issue_waiting(user: User) -> int:
    """Issue the certificates a learner earned before confirming their e-mail address (call it once they have);
    returns how many personal certificates were issued."""
    if user.email_verified_at is None:
        return 0
    return _issue_waiting(Completion.user_id == user.id)[0]


def issue_firm_certificates(firm: Firm | None = None) -> int:
    """Issue the firm certificates that wait for members' certificates (of one firm, or all): after the firm's
    contact person is verified, and in the backfill. Returns how many were issued."""
    conditions = [Certificate.firm_id.is_not(None), Certificate.revoked_at.is_(None), Firm.verified_at.is_not(None),
                  ~exists().where(FirmCertificate.firm_id == Certificate.firm_id,
                                  FirmCertificate.course_id == Certificate.course_id)]
    if firm is not None:
        conditions.append(Certificate.firm_id == firm.id)
    first: dict[tuple[int, int], Certificate] = {}
    for certificate in db.session.execute(
            select(Certificate).join(Firm, Firm.id == Certificate.firm_id).where(*conditions)
            .order_by(Certificate.issued_at, Certificate.id)).scalars():
        first.setdefault((certificate.firm_id, certificate.course_id), certificate)
    return sum(issue_firm_certificate(certificate) is not None for certificate in first.values())


@dataclass
class Backfill:
    issued: int  # personal certificates
    firm_issued: int
    unconfirmed: int  # completions that wait for their learner to confirm the e-mail address


def backfill() -> Backfill:
    """Issue every certificate that should exist and does not (completions recorded before certificates existed,
    firms verified meanwhile); idempotent, and two queries when there is nothing to do. Mails each learner."""
    issued, firm_issued = _issue_waiting()
    firm_issued += issue_firm_certificates()
    unconfirmed = db.session.execute(select(func.count()).select_from(
        _waiting_completions(User.email_verified_at.is_(None)).order_by(None).subquery())).scalar_one()
    return Backfill(issued, firm_issued, unconfirmed)


# --- E-mail ------------------------------------------------------------------------------------------------------

def send_certificate_mail(certificate_id: int) -> bool:
    """Tell a learner their certificate is ready, with the link anyone can check it at (sent after the commit)."""
    certificate = db.session.get(Certificate, certificate_id)
    user = db.session.get(User, certificate.user_id) if certificate is not None and certificate.user_id else None
    if user is None or certificate.revoked_at is not None:
        return False
    return send_mail(user, _l("Your certificate for %(title)s", title=certificate.course_title),
                     "certificate_issued", user=user, certificate=certificate, code=format_code(certificate.code),
                     verify_url=verify_url(certificate.code), my_courses_url=absolute_url("learner.my_courses"))


def send_firm_certificate_mail(firm_certificate_id: int) -> bool:
    """Tell the firm's contact person that the firm has a new certificate (sent after the commit)."""
    from .firms import mail_contacts  # firms issues what waited at verification: imported here, not at the top

    certificate = db.session.get(FirmCertificate, firm_certificate_id)
    firm = db.session.get(Firm, certificate.firm_id) if certificate is not None and certificate.firm_id else None
    if firm is None or certificate.revoked_at is not None:
        return False
    return mail_contacts(firm, _l("%(firm)s has a certificate for %(title)s", firm=firm.name,
                                  title=certificate.course_title),
                         "firm_certificate_issued", certificate=certificate, code=format_code(certificate.code),
                         verify_url=verify_url(certificate.code), firm_url=absolute_url("firm.index"))
