"""The desk look-up ("may this person use the laser cutter?"), the resident's workshop pass, and the library
reports. Each answers in a fixed number of indexed queries, whatever the number of residents.

The look-up takes what the desk types or a hand scanner types from the pass's QR code: the pass URL or its bare
code, a certificate code, an e-mail address, or a part of a name. Staff of a library find only their own library's
residents (enrolled in one of its machine courses, or signed off there) and see only its machines.
"""
import re
from urllib.parse import unquote
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, extract, func, or_, select, union

from ..errors import PermissionDenied
from ..extensions import db
from ..models import (AGE_BANDS, Certificate, Completion, Course, CourseVersion, Enrolment, Machine, MachineGrant,
                      MachinePermission, Provider, User, WorkshopPass, utcnow)
from . import suppression
from . import workshop_rules as rules
from .accounts import normalise_email
from .certificate_codes import parse_code
from .mail import absolute_url
from .workshop import PASS_PREFIX, ensure_pass, library_of, require_library

MAX_RESULTS = 20
_PASS = re.compile(PASS_PREFIX + r"[-\s]?([0-9A-Z][-0-9A-Z*~$=]{8,11})")


# --- Parsing what the desk typed -------------------------------------------------------------------------------

def pass_url(code: str) -> str:
    """What the pass's QR code holds: the desk look-up's address with the pass code, so a scanner typing it into
    the field and a phone opening it both land on the answer."""
    return absolute_url("studio.workshop_desk", q=code)


def parse_pass_code(text: str) -> str | None:
    """The pass code in a typed or scanned text (the pass URL or the bare code, any case, with dashes); None."""
    found = _PASS.findall(unquote(text or "").upper())
    for candidate in reversed(found):
        try:
            return PASS_PREFIX + parse_code(candidate)
        except Exception:  # noqa: BLE001 - not a valid code: try the next match
            continue
    return None


def _certificate_code(text: str) -> str | None:
    try:
        return parse_code(text)
    except Exception:  # noqa: BLE001 - not a certificate code
        return None


# --- The look-up ---------------------------------------------------------------------------------------------------

@dataclass
class MachineAnswer:
    machine: Machine
    answer: rules.Answer
    permission: MachinePermission | None


@dataclass
class Resident:
    user: User
    answers: list[MachineAnswer] = field(default_factory=list)


def _residents_of(library: Provider):
    """A condition on User: enrolled in one of the library's machine courses, or signed off there. As a set of ids
    read from two indexes (enrolments by course, sign-offs by library), so a name search scans only the library's
    residents, not every account."""
    grant_courses = (select(MachineGrant.course_id).join(Machine, Machine.id == MachineGrant.machine_id)
                     .where(Machine.provider_id == library.id))
    return User.id.in_(union(
        select(Enrolment.user_id).where(Enrolment.course_id.in_(grant_courses)),
        select(MachinePermission.user_id).where(MachinePermission.provider_id == library.id,
                                                MachinePermission.user_id.is_not(None))))


def lookup(actor, text: str, now: datetime | None = None) -> list[Resident]:
    """The library's residents matching the text, each with an answer per machine of the library (four queries)."""
    library = require_library(actor)
    now = now or utcnow()
    text = (text or "").strip()[:300]
    if not text:
        return []
    query = select(User).where(_residents_of(library))
    code = parse_pass_code(text)
    if code is not None:
        query = query.join(WorkshopPass, WorkshopPass.user_id == User.id).where(WorkshopPass.code == code)
    elif "@" in text:
        query = query.where(User.email == normalise_email(text))
    elif (certificate := _certificate_code(text)) is not None:
        query = query.join(Certificate, Certificate.user_id == User.id).where(Certificate.code == certificate)
    else:
        words = text.replace("%", "").replace("_", "").split()
        if not words:
            return []
        query = query.where(*(User.name.ilike(f"%{word}%") for word in words))
    users = list(db.session.scalars(query.order_by(User.name, User.id).limit(MAX_RESULTS)))
    return _answers(library, users, now)


def _answers(library: Provider, users: list[User], now: datetime) -> list[Resident]:
    if not users:
        return []
    machines = list(db.session.scalars(select(Machine).where(Machine.provider_id == library.id)
                                       .order_by(Machine.name, Machine.id)))
    by_user = defaultdict(list)
    for permission in db.session.scalars(select(MachinePermission).where(
            MachinePermission.user_id.in_([u.id for u in users]), MachinePermission.provider_id == library.id)):
        by_user[permission.user_id].append(permission)
    results = []
    for user in users:
        newest = rules.newest(by_user[user.id])
        results.append(Resident(user, [MachineAnswer(m, rules.answer(newest.get(m.id), now), newest.get(m.id))
                                       for m in machines]))
    return results


def resident_answers(actor, user: User, now: datetime | None = None) -> Resident:
    """One resident's answers per machine (the sign-off page shows them)."""
    return _answers(require_library(actor), [user], now or utcnow())[0]


def waiting_for_sign_off(actor, limit: int = 50) -> list[tuple[User, str]]:
    """Residents who completed one of the library's machine courses and wait for a sign-off from it."""
    library = require_library(actor)
    grant_courses = (select(MachineGrant.course_id).join(Machine, Machine.id == MachineGrant.machine_id)
                     .where(Machine.provider_id == library.id))
    return list(db.session.execute(
        select(User, CourseVersion.title)
        .join(Completion, Completion.user_id == User.id)
        .join(Course, Course.id == Completion.course_id)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Completion.course_id.in_(grant_courses),
               ~exists().where(MachinePermission.user_id == User.id,
                               MachinePermission.course_id == Completion.course_id))
        .order_by(Completion.completed_at).limit(limit)).all())


# --- The resident's pass -------------------------------------------------------------------------------------------

@dataclass
class PassLine:
    machine: Machine
    library: str
    answer: rules.Answer
    permission: MachinePermission


@dataclass
class WorkshopPassPage:
    code: str
    url: str
    birth_year: int | None
    asks_birth_year: bool
    lines: list[PassLine]
    waiting: list[tuple[str, str]]  # (course title, library) completed and waiting for a staff sign-off


def my_pass(user, now: datetime | None = None) -> WorkshopPassPage:
    """The resident's pass: every machine they were signed off for, at any library, with its state and expiry."""
    now = now or utcnow()
    found = ensure_pass(user)
    rows = db.session.execute(
        select(MachinePermission, Machine, Provider.name)
        .join(Machine, Machine.id == MachinePermission.machine_id)
        .join(Provider, Provider.id == MachinePermission.provider_id)
        .where(MachinePermission.user_id == user.id)).all()
    machines = {m.id: (m, name) for _p, m, name in rows}
    newest = rules.newest(p for p, _m, _n in rows)
    lines = [PassLine(machines[mid][0], machines[mid][1], rules.answer(p, now), p) for mid, p in newest.items()]
    lines.sort(key=lambda line: (line.library, line.machine.name))
    asks = db.session.execute(select(exists().where(
        Enrolment.user_id == user.id, Enrolment.withdrawn_at.is_(None),
        Enrolment.course_id == MachineGrant.course_id,
        or_(MachineGrant.min_age.is_not(None), MachineGrant.consent_under_age.is_not(None))))).scalar()
    waiting = db.session.execute(
        select(CourseVersion.title, Provider.name)
        .join(Course, Course.current_version_id == CourseVersion.id)
        .join(Provider, Provider.id == Course.provider_id)
        .join(Completion, Completion.course_id == Course.id)
        .where(Completion.user_id == user.id,
               exists().where(or_(MachineGrant.course_id == Course.id, MachineGrant.refresher_course_id == Course.id)),
               ~exists().where(MachinePermission.user_id == user.id, MachinePermission.course_id == Course.id))
        .order_by(CourseVersion.title)).all()
    return WorkshopPassPage(found.code, pass_url(found.code), found.birth_year, bool(asks), lines,
                            [tuple(row) for row in waiting])


# --- Reports -------------------------------------------------------------------------------------------------------

def report_libraries(actor) -> list[Provider]:
    """The libraries whose report the actor may see: their own; the county library's staff (the provider named
    by WORKSHOP_COUNTY_LIBRARY) and administrators see every library."""
    county = current_app.config.get("WORKSHOP_COUNTY_LIBRARY")
    library = library_of(actor)
    everyone = actor.is_admin or (library is not None and county and library.slug == county)
    if everyone:
        return list(db.session.scalars(select(Provider).where(Provider.kind == "library").order_by(Provider.name)))
    if library is None:
        raise PermissionDenied(_("The maker space reports are for the staff of libraries."))
    return [library]


AGE_BAND_LABELS = {"under_16": _l("Under 16"), "16_19": _l("16–19"), "20_39": _l("20–39"), "40_66": _l("40–66"),
                   "67_plus": _l("67 and older"), "unknown": _l("Not asked")}


@dataclass
class WorkshopReport:
    libraries: list[Provider]  # the libraries counted
    choices: list[Provider]  # the libraries the actor may choose between (one for a library's own staff)
    residents_trained: suppression.Cell
    months: list[str]
    machines: list[tuple[str, str, list[suppression.Cell], suppression.Cell]]  # library, machine, per month, total
    age_bands: list[tuple[str, suppression.Cell]]
    age_total: suppression.Cell


def library_report(actor, library_slug: str | None = None) -> WorkshopReport:
    """Residents signed off, sign-offs per machine and month and by age band, with small counts suppressed
    (anonymous rows of deleted accounts still count). Three queries."""
    choices = libraries = report_libraries(actor)
    if library_slug:
        libraries = [p for p in libraries if p.slug == library_slug] or libraries
    ids = [p.id for p in libraries]
    person = func.coalesce(MachinePermission.user_id, -MachinePermission.id)  # a deleted account's row: one person
    trained = db.session.execute(select(func.count(func.distinct(person))).where(
        MachinePermission.provider_id.in_(ids))).scalar_one()
    year, month = extract("year", MachinePermission.granted_at), extract("month", MachinePermission.granted_at)
    per_month = db.session.execute(
        select(Provider.name, Machine.name, year, month, func.count())
        .join(Machine, Machine.id == MachinePermission.machine_id)
        .join(Provider, Provider.id == MachinePermission.provider_id)
        .where(MachinePermission.provider_id.in_(ids))
        .group_by(Provider.name, Machine.id, Machine.name, year, month)).all()
    per_month = [(library, machine, f"{int(y):04d}-{int(m):02d}", count) for library, machine, y, m, count in per_month]
    months = sorted({m for _l, _m, m, _c in per_month})
    table = defaultdict(dict)
    for library, machine, m, count in per_month:
        table[(library, machine)][m] = table[(library, machine)].get(m, 0) + count
    machines = []
    for (library, machine), counts in sorted(table.items()):
        cells, total = suppression.protect_column([counts.get(m, 0) for m in months], sum(counts.values()))
        machines.append((library, machine, cells, total))
    bands = dict(db.session.execute(
        select(MachinePermission.age_band, func.count(func.distinct(person)))
        .where(MachinePermission.provider_id.in_(ids)).group_by(MachinePermission.age_band)).all())
    band_cells, band_total = suppression.protect_column([bands.get(b, 0) for b in AGE_BANDS], sum(bands.values()))
    return WorkshopReport(libraries, choices, suppression.people_cell(trained), months, machines,
                          list(zip(AGE_BANDS, band_cells)), band_total)


def library_report_table(actor, table: str, library_slug: str | None = None) -> tuple[list, list[list]]:
    """One table of the library report, "machines" or "age-bands", as header and rows for a CSV export, with the
    cells the page shows: a suppressed count is "<5" there too."""
    report = library_report(actor, library_slug)
    if table == "machines":
        header = [_("Library"), _("Machine"), *report.months, _("Total")]
        rows = [[library, machine, *map(str, cells), str(total)] for library, machine, cells, total in report.machines]
    elif table == "age-bands":
        header = [_("Age band"), _("Residents")]
        rows = [[str(AGE_BAND_LABELS[band]), str(cell)] for band, cell in report.age_bands]
        rows.append([_("Total"), str(report.age_total)])
    else:
        raise ValueError(f"unknown report table {table!r}")
    return header, rows
