"""A small hand-computed completion register, shared by the register, API-token and OpenAPI tests.

    Alfa AS    942110464  5001 Trondheim  C  10-49  verified    Digital drift (stage 1): 6 people, first 2026-03-14,
                                                                 firm certificate; Eksport (stage 2): 2 people ("<5"),
                                                                 first 2026-04-01 23:30 UTC = 2026-04-02 in Norway.
                                                                 Employees who completed: 6 (the 2 are among the 6).
    Beta AS    817920632  5007 Namsos     G  0-9    unverified  Digital drift: 3 people ("<5"), first 2026-03-16 (the one who deleted
                                                                 their account since); employees: "<5".
    Gamma AS   986399445  5001            C  0-9    verified    nothing completed (found by orgnr, not listed).
    And a learner without a firm who completed Digital drift: in no firm's row.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from courseware.extensions import db
from courseware.models import Completion, CourseVersion, Firm, FirmCertificate
from courseware.services.certificate_codes import format_code, new_code

from .firms_support import ORGNR_A, ORGNR_B, ORGNR_C, make_course, make_firm, make_provider

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=timezone.utc)
EKSPORT_AT = datetime(2026, 4, 1, 23, 30, tzinfo=timezone.utc)


@dataclass
class Register:
    alfa: Firm
    beta: Firm
    gamma: Firm
    certificate_code: str  # formatted


def _firm(orgnr, name, municipality, industry, size, verified):
    firm = make_firm(orgnr, name)
    firm.municipality_code, firm.industry_section, firm.size_band = municipality, industry, size
    firm.industry_code = None
    if verified:
        firm.verified_via, firm.verified_at = "admin", T0
    db.session.commit()
    return firm


def complete_at(user_id, course, firm, at):
    db.session.add(Completion(user_id=user_id, course_id=course.id, firm_id=firm.id if firm else None,
                              completed_at=at, version_id=course.current_version_id))


def build_register(make_user) -> Register:
    provider = make_provider()
    drift = make_course("Digital drift", slug="digital-drift", provider=provider)
    eksport = make_course("Eksport", slug="eksport", provider=provider)
    db.session.get(CourseVersion, eksport.current_version_id).stage = 2
    alfa = _firm(ORGNR_A, "Alfa AS", "5001", "C", "10-49", True)
    beta = _firm(ORGNR_B, "Beta AS", "5007", "G", "0-9", False)
    gamma = _firm(ORGNR_C, "Gamma AS", "5001", "C", "0-9", True)
    alfa_people = [make_user(firm_id=alfa.id) for _ in range(6)]
    for n, person in enumerate(alfa_people):
        complete_at(person.id, drift, alfa, T0 + timedelta(days=n))
    for person in alfa_people[:2]:
        complete_at(person.id, eksport, alfa, EKSPORT_AT)
    for n in range(2):
        complete_at(make_user(firm_id=beta.id).id, drift, beta, T0 + timedelta(days=3 + n))
    complete_at(None, drift, beta, T0 + timedelta(days=2))  # an account deleted since
    complete_at(make_user().id, drift, None, T0)  # no firm
    code = new_code()
    db.session.add(FirmCertificate(code=code, firm_id=alfa.id, course_id=drift.id, provider_id=provider.id,
                                   firm_name="Alfa AS", orgnr=ORGNR_A, course_slug="digital-drift",
                                   course_title="Digital drift", stage=1, provider_name=provider.name))
    db.session.commit()
    return Register(alfa=alfa, beta=beta, gamma=gamma, certificate_code=format_code(code))
