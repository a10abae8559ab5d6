"""Certificates for the Open Badges tests (tests/certificate_factory.py with a known recipient address), and a
verifier that fetches through the test client."""
import hashlib
from datetime import datetime, timezone
from pathlib import Path

from courseware.extensions import db
from courseware.models import Certificate, Provider

from . import certificate_factory
from .learning_factory import make_course
from .openbadges_verifier import OpenBadgesVerifier, test_client_fetch

ISSUED = datetime(2026, 5, 4, 10, 30, tzinfo=timezone.utc)
EMAIL = "kari.nordmann@example.no"


def recipient_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def make_certificate(course=None, *, code="7K3MQ9XAG", email=EMAIL, salt="d9a1c0ffee", issued_at=ISSUED,
                     **fields) -> Certificate:
    """A personal certificate for `course` (a new course of provider test-naeringshage when None), committed."""
    course = course or make_course("digital-drift", title="Digital drift – Trinn 1")
    provider = db.session.get(Provider, course.provider_id)
    values = dict(code=code, learner_name="Kari Nordmann", provider_slug=provider.slug, provider_name=provider.name,
                  minutes=90, language="nb", issued_at=issued_at, recipient_salt=salt,
                  recipient_hash=recipient_hash(email, salt))
    return certificate_factory.make_certificate(None, course, **(values | fields))


def old_key(app, created=datetime(2026, 1, 2, tzinfo=timezone.utc)):
    """Make the instance's first signing key as if it had been created at `created` (before ISSUED)."""
    from courseware.services.badges.keys import ensure_keys

    return ensure_keys(Path(app.config["SIGNING_KEYS_DIR"]), now=created).current


def verifier(client, now=None) -> OpenBadgesVerifier:
    """The independent verifier, dereferencing URLs through `client` (BASE_URL is http://localhost in tests)."""
    return OpenBadgesVerifier(test_client_fetch(client), now=now)
