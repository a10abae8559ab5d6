"""Builders for firm, admin and privacy tests: providers, courses, firms, enrolments and completions.

Courses are created as rows (not imported packages), so these tests do not depend on the content pipeline.
"""
from datetime import datetime, timezone

from courseware.extensions import db
from courseware.models import Completion, Course, CourseVersion, Enrolment, Firm, Provider

# Real, MOD11-valid numbers of public bodies (norway.md §1.3), so no private firm is named by accident.
ORGNR_A = "942110464"  # Trondheim kommune
ORGNR_B = "817920632"  # Trøndelag fylkeskommune
ORGNR_C = "986399445"  # Innovasjon Norge
WHEN = datetime(2026, 3, 14, 10, 0, tzinfo=timezone.utc)


def make_provider(slug="nasjonalparken", name="Nasjonalparken Næringshage", kind="business_park") -> Provider:
    provider = Provider(slug=slug, name=name, kind=kind)
    db.session.add(provider)
    db.session.commit()
    return provider


def make_course(title="Digital drift", slug=None, provider=None) -> Course:
    provider = provider or db.session.execute(db.select(Provider)).scalars().first() or make_provider()
    course = Course(slug=slug or title.lower().replace(" ", "-"), provider_id=provider.id)
    db.session.add(course)
    db.session.flush()
    version = CourseVersion(course_id=course.id, number=1, source_hash="0" * 64, title=title)
    db.session.add(version)
    db.session.flush()
    course.current_version_id = version.id
    db.session.commit()
    return course


def make_firm(orgnr=ORGNR_A, name="Testbedrift AS", *members, contact=None) -> Firm:
    firm = Firm(orgnr=orgnr, name=name, municipality_code="5001", industry_section="C", industry_code="25.620",
                size_band="0-9")
    db.session.add(firm)
    db.session.flush()
    for user in members:
        user.firm_id = firm.id
    if contact is not None:
        contact.firm_id = firm.id
        contact.is_firm_contact = True
    db.session.commit()
    return firm


def enrol(user, course, at=WHEN) -> Enrolment:
    enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=at)
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def complete(user, course, at=WHEN) -> Completion:
    completion = Completion(user_id=user.id, course_id=course.id, firm_id=user.firm_id, completed_at=at,
                            version_id=course.current_version_id)
    db.session.add(completion)
    db.session.commit()
    return completion
