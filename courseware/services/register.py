"""The completion register: per firm, which courses (and stages) its people completed, when, how many, and the
firm's certificate codes. What "checking completions" means for a funder: type an orgnr, get the answer.

Rows are firms, never people: the number of a firm's employees who completed is a count of people, so it goes
through suppression.people_cell ("<5" below the threshold). A firm's total counts everyone who completed any
course, so with one course it equals that course's count (both suppressed alike) and with several it is not their
sum: no suppressed cell can be worked out by subtraction. Completions whose account was deleted still count (each
as one person). The web pages, the CSV export and the API all read through here, so they show the same numbers.
"""
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import Completion, Course, CourseVersion, Firm, FirmCertificate, Provider
from .certificate_codes import format_code
from .orgs import (SIZE_BAND_LABELS, format_orgnr, industry_section_name, list_industry_sections, municipality_name,
                   validate_orgnr)
from .reports_access import require_funder
from .spreadsheet import csv_for_excel
from .suppression import Cell, people_cell
from .validation import search_term

# "NO 123 456 789 MVA" (the VAT form on invoices) is an orgnr too.
_VAT_FORM = re.compile(r"^\s*NO(?=[\s\d])|MVA\s*$", re.IGNORECASE)
_MUNICIPALITY = re.compile(r"[0-9]{4}")
MAX_PER_PAGE = 200


def parse_orgnr(raw: str | None) -> str:
    """The 9-digit orgnr from what a funder typed ("942 110 464", "NO 942110464 MVA"); InvalidInput says what is
    wrong (too few digits, a check digit that does not match)."""
    return validate_orgnr(_VAT_FORM.sub("", raw or ""))


@dataclass(frozen=True)
class RegisterFilters:
    """What the register is narrowed to; empty strings mean "all". Kept in the URL (as_args)."""

    search: str = ""
    municipality: str = ""  # municipality number, e.g. "5001"
    industry: str = ""  # SN2007 section letter
    course: str = ""  # course slug

    @classmethod
    def from_args(cls, args: Mapping) -> "RegisterFilters":
        """Filters from a query string (q, municipality, industry, course); InvalidInput for a malformed one."""
        # Values from the page's selects, or a program: exact (ASCII digits, one ASCII letter), never guessed at.
        municipality = args.get("municipality") or ""
        if municipality and not _MUNICIPALITY.fullmatch(municipality):
            raise InvalidInput(_("A municipality number has 4 digits, for example 5001."), field="municipality")
        industry = args.get("industry") or ""
        if industry and not (re.fullmatch(r"[A-Za-z]", industry)
                             and industry.upper() in {s.letter for s in list_industry_sections()}):
            raise InvalidInput(_("Choose the industry from the list."), field="industry")
        industry = industry.upper()
        course = args.get("course") or ""  # a slug; one that no course has selects nothing
        return cls(search=search_term(args.get("q")), municipality=municipality, industry=industry, course=course)

    def as_args(self) -> dict:
        values = {"q": self.search, "municipality": self.municipality, "industry": self.industry,
                  "course": self.course}
        return {key: value for key, value in values.items() if value}


@dataclass
class CourseLine:
    """One course a firm's people completed."""

    slug: str
    title: str
    stage: int
    provider: str
    first_completed_at: datetime
    people: Cell
    certificate_code: str | None = None  # formatted, "K7QM-4XPT-9"
    certificate_revoked: bool = False

    @property
    def first_completed_on(self) -> date:
        return local_date(self.first_completed_at)

    def as_json(self) -> dict:
        certificate = None
        if self.certificate_code:
            certificate = {"code": self.certificate_code, "revoked": self.certificate_revoked}
        return {"slug": self.slug, "title": self.title, "stage": self.stage, "provider": self.provider,
                "first_completed_at": self.first_completed_at.isoformat(), "people": self.people.as_json(),
                "firm_certificate": certificate}


@dataclass
class FirmEntry:
    """A firm in the register: who it is, and what its people completed."""

    orgnr: str
    name: str
    municipality_code: str | None
    industry_section: str | None
    size_band: str | None
    verified: bool
    people: Cell
    first_completed_at: datetime | None
    courses: list[CourseLine] = field(default_factory=list)

    @property
    def orgnr_display(self) -> str:
        return format_orgnr(self.orgnr)

    @property
    def municipality(self) -> str:
        return municipality_name(self.municipality_code)

    @property
    def industry(self) -> str:
        return industry_section_name(self.industry_section)

    @property
    def size_band_label(self) -> str:
        return SIZE_BAND_LABELS.get(self.size_band or "", "")

    @property
    def first_completed_on(self) -> date | None:
        return local_date(self.first_completed_at) if self.first_completed_at else None

    def as_json(self) -> dict:
        return {
            "orgnr": self.orgnr, "name": self.name, "municipality_code": self.municipality_code,
            "municipality": self.municipality or None, "industry_section": self.industry_section,
            "industry": self.industry or None, "size_band": self.size_band, "verified": self.verified,
            "people": self.people.as_json(),
            "first_completed_at": self.first_completed_at.isoformat() if self.first_completed_at else None,
            "courses": [line.as_json() for line in self.courses],
        }


@dataclass
class RegisterPage:
    """One page of the register, shaped like Flask-SQLAlchemy's Pagination for the pagination macro."""

    items: list[FirmEntry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def local_date(moment: datetime) -> date:
    """The calendar date of a moment where the programme runs (Norway), as the pages and exports show it."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


# --- Queries ----------------------------------------------------------------------------------------------------

# People who completed: distinct accounts, and each completion of a deleted account (user_id NULL) as one person.
_PEOPLE = func.count(func.distinct(func.coalesce(Completion.user_id, -Completion.id)))


def _filtered(query, filters: RegisterFilters):
    """Narrow a query over Firm joined with Completion to the filters."""
    if filters.course:
        query = query.where(Completion.course_id.in_(select(Course.id).where(Course.slug == filters.course)))
    if filters.municipality:
        query = query.where(Firm.municipality_code == filters.municipality)
    if filters.industry:
        query = query.where(Firm.industry_section == filters.industry)
    if filters.search:
        conditions = [func.lower(Firm.name).contains(filters.search.lower(), autoescape=True)]
        digits = re.sub(r"\s", "", _VAT_FORM.sub("", filters.search))
        if digits.isascii() and digits.isdigit():
            conditions.append(Firm.orgnr.startswith(digits[:9]))
        query = query.where(or_(*conditions))
    return query


def _firm_rows(filters: RegisterFilters, *, limit: int | None = None, offset: int = 0, firm_id: int | None = None):
    query = (select(Firm, _PEOPLE, func.min(Completion.completed_at))
             .join(Completion, Completion.firm_id == Firm.id)
             .group_by(Firm.id).order_by(Firm.name, Firm.id))
    query = _filtered(query, filters)
    if firm_id is not None:
        query = query.where(Firm.id == firm_id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return db.session.execute(query).all()


def _entries(rows, filters: RegisterFilters) -> list[FirmEntry]:
    """FirmEntry objects for (firm, people, first completion) rows, with their courses and certificates (2 queries)."""
    entries = {
        firm.id: FirmEntry(orgnr=firm.orgnr, name=firm.name, municipality_code=firm.municipality_code,
                           industry_section=firm.industry_section, size_band=firm.size_band, verified=firm.verified,
                           people=people_cell(people), first_completed_at=first)
        for firm, people, first in rows
    }
    if not entries:
        return []
    lines = (select(Completion.firm_id, Course.id, Course.slug, CourseVersion.title, CourseVersion.stage,
                    Provider.name, func.count(Completion.id), func.min(Completion.completed_at))
             .join(Course, Course.id == Completion.course_id)
             .join(Provider, Provider.id == Course.provider_id)
             .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
             .where(Completion.firm_id.in_(list(entries)))
             .group_by(Completion.firm_id, Course.id, Course.slug, CourseVersion.title, CourseVersion.stage,
                       Provider.name))
    if filters.course:
        lines = lines.where(Course.slug == filters.course)
    certificates = {
        (firm_id, course_id): (code, revoked_at)
        for firm_id, course_id, code, revoked_at in db.session.execute(
            select(FirmCertificate.firm_id, FirmCertificate.course_id, FirmCertificate.code,
                   FirmCertificate.revoked_at).where(FirmCertificate.firm_id.in_(list(entries))))
    }
    for firm_id, course_id, slug, title, stage, provider, count, first in db.session.execute(lines):
        code, revoked_at = certificates.get((firm_id, course_id), (None, None))
        entries[firm_id].courses.append(CourseLine(
            slug=slug, title=title or slug, stage=stage or 1, provider=provider, first_completed_at=first,
            people=people_cell(count), certificate_code=format_code(code) if code else None,
            certificate_revoked=revoked_at is not None))
    for entry in entries.values():
        entry.courses.sort(key=lambda line: (line.stage, line.title.casefold(), line.slug))
    return list(entries.values())


# --- Use cases --------------------------------------------------------------------------------------------------

def list_register(actor, filters: RegisterFilters | None = None, *, page: int = 1, per_page: int = 20) -> RegisterPage:
    """One page of the firms whose people completed a course, by name, narrowed by the filters (4 queries)."""
    require_funder(actor)
    filters = filters or RegisterFilters()
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(_("Ask for between 1 and %(most)d firms per page.", most=MAX_PER_PAGE), field="per_page")
    total_query = _filtered(select(func.count(func.distinct(Firm.id)))
                            .select_from(Firm).join(Completion, Completion.firm_id == Firm.id), filters)
    total = db.session.execute(total_query).scalar_one()
    rows = _firm_rows(filters, limit=per_page, offset=(page - 1) * per_page) if total else []
    return RegisterPage(items=_entries(rows, filters), page=page, per_page=per_page, total=total)


def look_up_firm(actor, orgnr: str | None) -> FirmEntry:
    """The register entry of one firm by its orgnr as typed; InvalidInput for a mistyped number, NotFound when no
    firm in Courseware has it. A firm whose people completed nothing yet has an entry without courses."""
    require_funder(actor)
    number = parse_orgnr(orgnr)
    firm = db.session.execute(select(Firm).where(Firm.orgnr == number)).scalar_one_or_none()
    if firm is None:
        raise NotFound(_("No firm with organisation number %(orgnr)s takes part in the programme.",
                         orgnr=format_orgnr(number)), reason="unknown_firm")
    entries = _entries(_firm_rows(RegisterFilters(), firm_id=firm.id), RegisterFilters())
    if entries:
        return entries[0]
    return FirmEntry(orgnr=firm.orgnr, name=firm.name, municipality_code=firm.municipality_code,
                     industry_section=firm.industry_section, size_band=firm.size_band, verified=firm.verified,
                     people=people_cell(0), first_completed_at=None)


def filter_choices(actor) -> dict:
    """The choices of the register's filters: courses, the municipalities of firms with completions, industries."""
    require_funder(actor)
    courses = db.session.execute(
        select(Course.slug, CourseVersion.title).outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .order_by(CourseVersion.title, Course.slug)).all()
    codes = db.session.execute(
        select(Firm.municipality_code).distinct().join(Completion, Completion.firm_id == Firm.id)
        .where(Firm.municipality_code.is_not(None))).scalars().all()
    municipalities = sorted(((code, municipality_name(code)) for code in codes), key=lambda m: m[1].casefold())
    return {"courses": [(slug, title or slug) for slug, title in courses], "municipalities": municipalities,
            "industries": [(s.letter, s.name) for s in list_industry_sections()]}


def register_table(entries: list[FirmEntry]) -> tuple[list[str], list[list]]:
    """The register as a flat table, one line per firm and course (a firm without courses gets one line)."""
    header = [_("Organisation number"), _("Firm"), _("Municipality"), _("Industry"), _("Size band"),
              _("Verified"), _("Employees who completed"), _("Course"), _("Stage"), _("Provider"),
              _("First completed"), _("People who completed the course"), _("Firm certificate")]
    lines = []
    for entry in entries:
        firm = [entry.orgnr_display, entry.name, entry.municipality, entry.industry, entry.size_band_label,
                _("Yes") if entry.verified else _("No"), str(entry.people)]
        for line in entry.courses or [None]:
            if line is None:
                lines.append(firm + ["", "", "", "", "", ""])
                continue
            certificate = line.certificate_code or ""
            if certificate and line.certificate_revoked:
                certificate = _("%(code)s (revoked)", code=certificate)
            lines.append(firm + [line.title, line.stage, line.provider, line.first_completed_on.isoformat(),
                                 str(line.people), certificate])
    return header, lines


def register_csv(actor, filters: RegisterFilters | None = None) -> str:
    """Every firm the filters select (not only one page) as CSV for Excel, with the numbers the pages show."""
    require_funder(actor)
    filters = filters or RegisterFilters()
    header, lines = register_table(_entries(_firm_rows(filters), filters))
    return csv_for_excel(header, lines)
