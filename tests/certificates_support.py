"""Builders for the certificate tests: a course whose [certificate] is on, and learners who complete it the way the
app does (learning.complete_course), so their certificates are issued as in production."""
from datetime import datetime, timezone

from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Certificate, Enrolment, FirmCertificate, utcnow
from courseware.services import certificates, learning, outbox

from .learning_factory import load, make_course, make_firm

WHEN = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)


def certificate_settings(valid_years: int = 0, enabled: bool = True) -> dict:
    return {"enabled": enabled, "signer_name": "Kari Nordmann", "signer_title": "Daglig leder, Test Næringshage",
            "valid_years": valid_years}


def certified_course(slug="kurs", *, valid_years=0, enabled=True, **kwargs):
    """A published course (three modules of 10 minutes) that gives certificates."""
    return make_course(slug, certificate=certificate_settings(valid_years, enabled), **kwargs)


def verified_firm(orgnr="817920632", name="Testgården AS"):
    """A firm whose contact person is verified, so its people's certificates give it firm certificates."""
    firm = make_firm(orgnr, name)
    firm.verified_via, firm.verified_at = "admin", utcnow()
    db.session.commit()
    return firm


def complete(user, course, when=WHEN):
    """Complete the course for `user` as the last module would (committed, its e-mails sent); the Completion, or
    None. The learner is enrolled first when they were not."""
    course = load(course)
    if db.session.execute(select(Enrolment.id).filter_by(user_id=user.id, course_id=course.id)).first() is None:
        db.session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=when))
    completion = learning.complete_course(user, course, course.current_version, now=when)
    db.session.commit()
    outbox.deliver()
    return completion


def graduate(make_user, course, when=WHEN, **attrs) -> Certificate:
    """A new learner (attrs as for make_user) who completed the course; their certificate."""
    user = make_user("learner", **attrs)
    completion = complete(user, course, when)
    return certificates.find_certificate_for_completion(completion.id)


def firm_certificate(firm, course) -> FirmCertificate | None:
    return certificates.find_firm_certificate(firm.id, course.id)
