"""A small programme for the report tests, built through the real services (so the rollups are kept as in
production): three courses of two providers, three firms in two municipalities, six learners over three months.

    course  provider  stage  certificate      firm  municipality  industry  size    status
    a1      park-a    1      yes              F1    5001          C         0-9     verified (register)
    a2      park-a    2      no               F2    5006          A         10-49   verified (register)
    b1      park-b    1      yes              F3    5001          G         50-249  unverified (typed in)

Every course has three modules of 10 minutes. What happens (month of 2026):
    u1 F1: enrols a1 (1), completes a1 (2, certificate); enrols a2 (2)
    u2 F1: enrols a1 (1), withdraws
    u3 F2: enrols a1 (2), completes a1 (3, certificate); enrols b1 (3), completes b1 (3, certificate)
    u4 F3: enrols b1 (1)
    u6 F3: enrols a2 (3), completes a2 (3, no certificate)
"""
from datetime import datetime, timezone

from courseware.extensions import db
from courseware.models import CourseVersion, Firm
from courseware.services import enrolment, learning

from .learning_factory import make_course


def at(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=timezone.utc)


def make_firm(orgnr, name, municipality, industry, size, source) -> Firm:
    firm = Firm(orgnr=orgnr, name=name, municipality_code=municipality, industry_section=industry, size_band=size,
                source=source)
    db.session.add(firm)
    db.session.commit()
    return firm


def course(slug, provider, stage, certificate):
    c = make_course(slug, provider_slug=provider, title=f"Kurs {slug.upper()}",
                    certificate={"enabled": True} if certificate else {})
    version = db.session.get(CourseVersion, c.current_version_id)
    version.stage = stage
    db.session.commit()
    return c


def enrol(user, c, month):
    c = enrolment.get_published_course(c.id)  # with its current version, as the course page loads it
    enrolment.enrol(user, c, check_requires=False, now=at(month))
    db.session.commit()


def complete(user, c, month):
    learning.complete_course(user, c, db.session.get(CourseVersion, c.current_version_id), now=at(month, 20))
    db.session.commit()


def build_programme(make_user) -> dict:
    a1 = course("a1", "park-a", 1, True)
    a2 = course("a2", "park-a", 2, False)
    b1 = course("b1", "park-b", 1, True)
    f1 = make_firm("817920632", "Fjøs AS", "5001", "C", "0-9", "brreg")
    f2 = make_firm("986399445", "Gård AS", "5006", "A", "10-49", "brreg")
    f3 = make_firm("942110464", "Butikk AS", "5001", "G", "50-249", "manual")
    u = {n: make_user("learner", firm_id=firm.id) for n, firm in
         (("u1", f1), ("u2", f1), ("u3", f2), ("u4", f3), ("u6", f3))}
    enrol(u["u1"], a1, 1)
    complete(u["u1"], a1, 2)
    enrol(u["u1"], a2, 2)
    enrol(u["u2"], a1, 1)
    enrolment.withdraw(u["u2"], a1, now=at(1, 15))
    db.session.commit()
    enrol(u["u3"], a1, 2)
    complete(u["u3"], a1, 3)
    enrol(u["u3"], b1, 3)
    complete(u["u3"], b1, 3)
    enrol(u["u4"], b1, 1)
    enrol(u["u6"], a2, 3)
    complete(u["u6"], a2, 3)
    return {"courses": (a1, a2, b1), "firms": (f1, f2, f3), "users": u}
