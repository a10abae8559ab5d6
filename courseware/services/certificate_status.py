"""What anyone may learn about a certificate from its code, without logging in: valid, revoked or expired, and only
the name, the course, its stage, the provider and the date (for a firm: the firm's name and organisation number,
how many of its employees have completed the course, and the names of those who agreed to be named).

There is no listing and no search: a code is random and look-ups are rate-limited (blueprints/verify). A code that
does not add up is "check the code" (certificate_codes.parse_code), an unknown one "not found". One query for a
personal certificate, three for a firm's.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import NotFound
from ..extensions import db
from ..models import Certificate, Completion, FirmCertificate, User, utcnow
from .certificate_codes import format_code, parse_code, verify_url

ACCOUNT_DELETED = "account_deleted"
# The public words for REVOCATION_REASONS (the category is public, the note is not).
REASON_LABELS = {
    "issued_in_error": _l("Issued in error"),
    "misconduct": _l("Breach of the course rules"),
    "withdrawn_by_provider": _l("Withdrawn by the course provider"),
    "other": _l("Other reason"),
    ACCOUNT_DELETED: _l("Withdrawn: the holder deleted their account"),
}


def reason_label(reason: str | None) -> str:
    """The public words for a revocation reason category."""
    return str(REASON_LABELS.get(reason or "", REASON_LABELS["other"]))


def certificate_state(certificate, now: datetime | None = None) -> str:
    """"valid", "revoked" or "expired" (revoked wins; personal certificates may expire, firm certificates do not)."""
    if certificate.revoked_at is not None:
        return "revoked"
    valid_until = getattr(certificate, "valid_until", None)
    if valid_until is not None and valid_until <= (now or utcnow()):
        return "expired"
    return "valid"


@dataclass
class PublicCertificate:
    """A certificate as the verification page and the API show it."""

    kind: str  # "personal" | "firm"
    certificate: Certificate | FirmCertificate  # for the signed credential (services.badges); never shown whole
    state: str
    name: str  # the learner's (empty once anonymised) or the firm's
    course_title: str
    stage: int
    provider_name: str
    issued_at: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    orgnr: str | None = None
    completed_by: int | None = None  # firm: how many employees have completed the course
    named_employees: list[str] = field(default_factory=list)  # firm: those who agreed to be named

    @property
    def code(self) -> str:
        return format_code(self.certificate.code)

    @property
    def reason_label(self) -> str:
        return reason_label(self.revoked_reason)

    @property
    def anonymised(self) -> bool:
        return self.revoked_reason == ACCOUNT_DELETED

    def as_json(self) -> dict:
        """The public facts as JSON (the API): the same as the page shows, and nothing more."""
        data = {
            "code": self.code, "url": verify_url(self.certificate.code), "kind": self.kind, "status": self.state,
            "name": self.name or None, "course": self.course_title, "stage": self.stage,
            "provider": self.provider_name, "issued_on": self.issued_at.date().isoformat(),
            "valid_until": self.valid_until.date().isoformat() if self.valid_until else None,
            "revoked_on": self.revoked_at.date().isoformat() if self.revoked_at else None,
            "revocation_reason": self.revoked_reason if self.revoked_at else None,
        }
        if self.kind == "firm":
            data.update(orgnr=self.orgnr, completed_by=self.completed_by, employees=self.named_employees)
        return data


def look_up(text: str | None, now: datetime | None = None) -> PublicCertificate:
    """The certificate with the code someone typed; InvalidInput when the code does not add up (check it),
    NotFound when no certificate has it."""
    code = parse_code(text)
    personal = db.session.execute(select(Certificate).where(Certificate.code == code)).scalar_one_or_none()
    if personal is not None:
        return _personal(personal, now)
    firm = db.session.execute(select(FirmCertificate).where(FirmCertificate.code == code)).scalar_one_or_none()
    if firm is not None:
        return _firm(firm, now)
    raise NotFound(_("No certificate has the code %(code)s. Check that it is written as on the certificate.",
                     code=format_code(code)), reason="unknown")


def _personal(certificate: Certificate, now) -> PublicCertificate:
    return PublicCertificate(
        kind="personal", certificate=certificate, state=certificate_state(certificate, now),
        name=certificate.learner_name, course_title=certificate.course_title, stage=certificate.stage,
        provider_name=certificate.provider_name, issued_at=certificate.issued_at,
        valid_until=certificate.valid_until, revoked_at=certificate.revoked_at,
        revoked_reason=certificate.revoked_reason,
    )


def _firm(certificate: FirmCertificate, now) -> PublicCertificate:
    completed_by, names = _firm_completions(certificate)
    return PublicCertificate(
        kind="firm", certificate=certificate, state=certificate_state(certificate, now), name=certificate.firm_name,
        course_title=certificate.course_title, stage=certificate.stage, provider_name=certificate.provider_name,
        issued_at=certificate.issued_at, revoked_at=certificate.revoked_at,
        revoked_reason=certificate.revoked_reason, orgnr=certificate.orgnr, completed_by=completed_by,
        named_employees=names,
    )


def _firm_completions(certificate: FirmCertificate) -> tuple[int, list[str]]:
    """How many people completed the course as the firm's employees (their certificate not revoked by the provider),
    and the names of those among them who agreed to be named (one query)."""
    if certificate.firm_id is None:  # the firm is gone
        return 0, []
    rows = db.session.execute(
        select(Certificate.learner_name, Certificate.revoked_at, Certificate.revoked_reason,
               User.name_on_firm_certificates)
        .select_from(Completion)
        .outerjoin(Certificate, Certificate.completion_id == Completion.id)
        .outerjoin(User, User.id == Completion.user_id)
        .where(Completion.firm_id == certificate.firm_id, Completion.course_id == certificate.course_id)
    ).all()
    completed, names = 0, []
    for learner_name, revoked_at, reason, consent in rows:
        if revoked_at is not None and reason != ACCOUNT_DELETED:
            continue  # revoked for cause: not a completion to count
        completed += 1
        if consent and learner_name and revoked_at is None:
            names.append(learner_name)
    return completed, sorted(names, key=str.casefold)
