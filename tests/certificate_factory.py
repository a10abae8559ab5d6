"""Certificates written straight into the database for the tests of their files (PDF, badge, links).

Issuing belongs to services/certificates.py; these builders fill the same frozen fields as issuing does, with a
fixed clock and chosen details, so the file tests can assert exact text.
"""
import secrets
from datetime import datetime, timezone

from courseware.extensions import db
from courseware.models import Certificate, FirmCertificate
from courseware.services.certificate_codes import new_code

from .learning_factory import load

ISSUED_AT = datetime(2026, 12, 3, 14, 30, tzinfo=timezone.utc)  # a fixed clock: 3 Dec 2026, 15:30 in Oslo


def next_status_index() -> int:
    """The next free place on the revocation list, as issuing would take it."""
    return (db.session.execute(db.select(db.func.max(Certificate.status_index))).scalar() or 0) + 1


def make_certificate(user, course, **fields) -> Certificate:
    """A learner's certificate for `course` (committed); `fields` override the frozen details."""
    version = load(course).current_version
    values = dict(
        code=new_code(), user_id=user.id if user is not None else None, course_id=course.id,
        version_id=version.id, provider_id=course.provider_id, firm_id=getattr(user, "firm_id", None),
        learner_name=user.name if user is not None else "Slettet bruker", course_slug=course.slug,
        course_title=version.title, stage=version.stage, version_number=version.number,
        provider_slug="test-naeringshage", provider_name="Test Næringshage", signer_name="Kari Løvås",
        signer_title="Daglig leder", minutes=180, language="en", issued_at=ISSUED_AT,
        recipient_salt=secrets.token_hex(8), recipient_hash="sha256$" + "0" * 64, status_index=next_status_index(),
    )
    values.update(fields)
    cert = Certificate(**values)
    db.session.add(cert)
    db.session.commit()
    return cert


def make_firm_certificate(firm, course, **fields) -> FirmCertificate:
    """A firm's certificate for `course` (committed)."""
    version = load(course).current_version
    values = dict(
        code=new_code(), firm_id=firm.id, course_id=course.id, provider_id=course.provider_id, firm_name=firm.name,
        orgnr=firm.orgnr, course_slug=course.slug, course_title=version.title, stage=version.stage,
        provider_name="Test Næringshage", issued_at=ISSUED_AT,
    )
    values.update(fields)
    fc = FirmCertificate(**values)
    db.session.add(fc)
    db.session.commit()
    return fc
