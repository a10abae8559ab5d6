"""Managing certificates: revoking and restoring them, their audit log, and the lists staff, admins and firms see.

An administrator, or the staff of the provider that issued a certificate (authors linked to it), may revoke it with
a reason category and an optional note, and restore it; every action is a CertificateEvent saying who and when.
Revoking and restoring are conditional UPDATEs, so two staff members (or two tabs) acting at once do it once. The
verification page and the API read the row itself, so they show a change at once. A certificate withdrawn because
its holder deleted the account (services.privacy) cannot be restored: the name on it is gone.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import REVOCATION_REASONS, Certificate, CertificateEvent, FirmCertificate, set_loaded, utcnow
from . import audit
from .certificate_status import ACCOUNT_DELETED, look_up
from .studio import require_staff
from .validation import search_term

# What staff may choose when revoking (the account-deletion reason is the privacy service's alone).
STAFF_REASONS = tuple(reason for reason in REVOCATION_REASONS if reason != ACCOUNT_DELETED)
MAX_NOTE_LENGTH = 2000
SEARCH_LIMIT = 50


def can_manage_certificate(actor, certificate: Certificate | FirmCertificate) -> bool:
    """Admins, and authors of the provider that issued the certificate, may revoke and restore it."""
    return bool(actor.is_admin or (actor.role == "author" and actor.provider_id
                                   and actor.provider_id == certificate.provider_id))


def _get_for(actor, model, certificate_id: int):
    require_staff(actor)
    certificate = db.session.get(model, certificate_id)
    if certificate is None:
        raise NotFound(_("We could not find that certificate."))
    if not can_manage_certificate(actor, certificate):
        raise PermissionDenied(_("This certificate was issued by another provider."))
    return certificate


def get_certificate_for(actor, certificate_id: int) -> Certificate:
    """A personal certificate `actor` may manage; NotFound or PermissionDenied otherwise."""
    return _get_for(actor, Certificate, certificate_id)


def get_firm_certificate_for(actor, firm_certificate_id: int) -> FirmCertificate:
    """A firm certificate `actor` may manage; NotFound or PermissionDenied otherwise."""
    return _get_for(actor, FirmCertificate, firm_certificate_id)


def _event(actor, certificate, action: str, reason: str | None, note: str, now: datetime) -> CertificateEvent:
    personal = isinstance(certificate, Certificate)
    event = CertificateEvent(
        certificate_id=certificate.id if personal else None,
        firm_certificate_id=None if personal else certificate.id,
        action=action, reason=reason, note=note, actor_id=actor.id if actor is not None else None,
        actor_name=actor.name if actor is not None else "", created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(_("The note can be at most %(n)d characters long.", n=MAX_NOTE_LENGTH), field="note")
    return note


def revoke(actor, certificate, reason: str, note: str | None = "", now: datetime | None = None) -> CertificateEvent:
    """Revoke a personal or firm certificate with a reason category (public) and a note (for the audit log only).

    PermissionDenied unless `actor` may manage it; Conflict when it is revoked already."""
    if not can_manage_certificate(actor, certificate):
        raise PermissionDenied(_("This certificate was issued by another provider."))
    if reason not in STAFF_REASONS:
        raise InvalidInput(_("Choose why the certificate is revoked."), field="reason")
    event = mark_revoked(actor, certificate, reason, _note(note), now)
    _audit(actor, certificate, "certificate.revoke", reason, event)
    return event


def _audit(actor, certificate, action: str, reason: str | None, event: CertificateEvent) -> None:
    kind = "certificate" if isinstance(certificate, Certificate) else "firm_certificate"
    audit.record(actor, action, kind, certificate.id, {"reason": reason, "note": event.note}, now=event.created_at)


def _change(certificate, still, revoked_at: datetime | None, reason: str | None) -> bool:
    """Set the revocation with one conditional UPDATE (`still(model)`: the state it must still be in), so two people
    acting at once change it once; whether this call did."""
    model = type(certificate)
    claimed = db.session.execute(
        update(model).where(model.id == certificate.id, still(model))
        .values(revoked_at=revoked_at, revoked_reason=reason).execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        set_loaded(certificate, revoked_at=revoked_at, revoked_reason=reason)
    return claimed == 1


def _revoked_by_staff(model):
    return model.revoked_at.is_not(None) & (model.revoked_reason != ACCOUNT_DELETED)


def mark_revoked(actor, certificate, reason: str, note: str = "", now: datetime | None = None) -> CertificateEvent:
    """Record the revocation itself, once (callers check who may); Conflict when it is revoked already."""
    now = now or utcnow()
    if not _change(certificate, lambda model: model.revoked_at.is_(None), now, reason):
        raise Conflict(_("This certificate is revoked already."))
    return _event(actor, certificate, "revoked", reason, note, now)


def restore(actor, certificate, note: str | None = "", now: datetime | None = None) -> CertificateEvent:
    """Make a revoked certificate valid again (a revocation made in error); Conflict when it is not revoked or its
    holder deleted the account."""
    if not can_manage_certificate(actor, certificate):
        raise PermissionDenied(_("This certificate was issued by another provider."))
    note = _note(note)
    if certificate.revoked_reason == ACCOUNT_DELETED:
        raise Conflict(_("This certificate cannot be restored: its holder deleted their account."))
    if not _change(certificate, _revoked_by_staff, None, None):
        raise Conflict(_("This certificate is not revoked."))
    event = _event(actor, certificate, "restored", None, note, now or utcnow())
    _audit(actor, certificate, "certificate.restore", None, event)
    return event


def list_events(certificate) -> list[CertificateEvent]:
    """The certificate's audit log, oldest first."""
    column = CertificateEvent.certificate_id if isinstance(certificate, Certificate) \
        else CertificateEvent.firm_certificate_id
    return list(db.session.execute(
        select(CertificateEvent).where(column == certificate.id).order_by(CertificateEvent.created_at,
                                                                          CertificateEvent.id)).scalars())


# --- Lists ---------------------------------------------------------------------------------------------------------

def firm_certificates(firm) -> list[FirmCertificate]:
    """A firm's certificates, newest first (the caller has checked that the actor manages the firm)."""
    return list(db.session.execute(
        select(FirmCertificate).where(FirmCertificate.firm_id == firm.id)
        .order_by(FirmCertificate.issued_at.desc(), FirmCertificate.id.desc())).scalars())


@dataclass
class Search:
    """The admin's certificate search: an exact code, or names and course titles containing the words."""

    query: str
    personal: list[Certificate] = field(default_factory=list)
    firm: list[FirmCertificate] = field(default_factory=list)
    problem: str | None = None  # why the query, read as a code, found nothing


def search(actor, query: str | None) -> Search:
    """Certificates by code (as typed from paper: any case, with or without dashes), or by the learner's or
    firm's name or the course title; the newest ones without a query. Admins only, at most SEARCH_LIMIT of each."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can do this."))
    query = search_term(query)
    result = Search(query)
    if query:
        try:
            found = look_up(query)
        except InvalidInput as error:  # not a code, or a mistyped one: search the names as well
            if error.details.get("reason") == "mistyped":
                result.problem = error.message
        except NotFound as error:
            result.problem = error.message
            return result
        else:
            (result.personal if found.kind == "personal" else result.firm).append(found.certificate)
            return result
    words = query.lower()
    personal = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(SEARCH_LIMIT)
    firm = select(FirmCertificate).order_by(FirmCertificate.issued_at.desc(),
                                            FirmCertificate.id.desc()).limit(SEARCH_LIMIT)
    if words:
        personal = personal.where(func.lower(Certificate.learner_name).contains(words, autoescape=True)
                                  | func.lower(Certificate.course_title).contains(words, autoescape=True))
        firm = firm.where(func.lower(FirmCertificate.firm_name).contains(words, autoescape=True)
                          | func.lower(FirmCertificate.course_title).contains(words, autoescape=True)
                          | FirmCertificate.orgnr.startswith(words.replace(" ", ""), autoescape=True))
    result.personal = list(db.session.execute(personal).scalars())
    result.firm = list(db.session.execute(firm).scalars())
    return result

