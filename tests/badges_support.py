"""Certificates for the Open Badges tests, written straight into the database (issuing them is another service's
job), and a verifier that fetches through the test client."""
import hashlib
from datetime import datetime, timezone
from pathlib import Path

from courseware.extensions import db
from courseware.models import Certificate, CourseVersion, Provider

from .learning_factory import make_course
from .openbadges_verifier import OpenBadgesVerifier, test_client_fetch

ISSUED = datetime(2026, 5, 4, 10, 30, tzinfo=timezone.utc)
EMAIL = "kari.nordmann@example.no"


def recipient_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def make_certificate(course=None, *, code="7K3MQ9XA2B4C", status_index=None, email=EMAIL, salt="d9a1c0ffee",
                     issued_at=ISSUED, **fields) -> Certificate:
    """A personal certificate for `course` (a new course of provider test-naeringshage when None), committed."""
    course = course or make_course("digital-drift", title="Digital drift – Trinn 1")
    if status_index is None:
        status_index = (db.session.execute(db.select(db.func.max(Certificate.status_index))).scalar() or 0) + 1
    current = db.session.get(CourseVersion, course.current_version_id)
    provider = db.session.get(Provider, course.provider_id)
    values = dict(
        code=code, course_id=course.id, version_id=current.id, provider_id=provider.id,
        learner_name="Kari Nordmann", course_slug=course.slug, course_title=current.title, stage=current.stage,
        version_number=current.number, provider_slug=provider.slug, provider_name=provider.name,
        minutes=90, language="nb", issued_at=issued_at, recipient_salt=salt,
        recipient_hash=recipient_hash(email, salt), status_index=status_index,
    )
    values.update(fields)
    cert = Certificate(**values)
    db.session.add(cert)
    db.session.commit()
    return cert


def old_key(app, created=datetime(2026, 1, 2, tzinfo=timezone.utc)):
    """Make the instance's first signing key as if it had been created at `created` (before ISSUED)."""
    from courseware.services.badges.keys import ensure_keys

    return ensure_keys(Path(app.config["SIGNING_KEYS_DIR"]), now=created).current


def verifier(client, now=None) -> OpenBadgesVerifier:
    """The independent verifier, dereferencing URLs through `client` (BASE_URL is http://localhost in tests)."""
    return OpenBadgesVerifier(test_client_fetch(client), now=now)
