"""What the programme achieved: the funder dashboard (/reports/) and the provider's (/studio/reports), read from the
maintained counts (models/reports.py, kept by services/rollups.py), never from progress rows.

The figures, for the courses in scope and the filters chosen:
- firms: distinct firms with an enrolment, completion or certificate in scope (counts of firms, never suppressed);
- enrolments: enrolments made in the period (a person counts once per course, also when they withdrew later);
- participants: those enrolments that are not withdrawn (people taking part, counted once per course);
- completions, certificates (personal certificates issued) and completed hours (the completed versions' minutes).
Counts of people go through services/suppression.py: below REPORTS_MIN_COUNT they show as "<5", with secondary
suppression in every table (report_tables.py). A dashboard costs a fixed number of queries, whatever the data.
"""
import re
from dataclasses import dataclass, fields

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..models import Course, CourseVersion, Provider
from ..models.reports import ReportCube, ReportFirm, ReportRollup
from .orgs import list_industry_sections, list_municipalities
from .report_tables import Counts, Dashboard, build_dashboard
from .rollups import ACTIVITY, period_mask
from .reports_access import is_funder
from .studio import is_staff

MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class ReportFilters:
    """The filters of a report view, as they travel in the URL (GET arguments of the same names)."""

    start: str | None = None  # first month, "YYYY-MM"
    end: str | None = None  # last month, "YYYY-MM"
    provider: str | None = None  # provider slug
    course: str | None = None  # course slug
    stage: int | None = None
    municipality: str | None = None  # 4-digit municipality number
    industry: str | None = None  # SN2007 section letter

    @classmethod
    def from_args(cls, args) -> "ReportFilters":
        """Parse request arguments; InvalidInput (400) naming the field for a value that cannot be right."""
        def value(name: str) -> str | None:
            raw = (args.get(name) or "").strip()
            return raw or None

        start, end = value("start"), value("end")
        for name, month in (("start", start), ("end", end)):
            if month is not None and not MONTH.match(month):
                raise InvalidInput(_("Write the month as YYYY-MM, for example 2026-03."), field=name)
        if start and end and start > end:
            raise InvalidInput(_("The period ends before it starts."), field="end")
        provider, course = value("provider"), value("course")
        if provider is not None and not SLUG.match(provider):
            raise InvalidInput(_("There is no such provider."), field="provider")
        if course is not None and not SLUG.match(course):
            raise InvalidInput(_("There is no such course."), field="course")
        stage = value("stage")
        if stage is not None:
            if not re.fullmatch(r"[1-9]", stage):
                raise InvalidInput(_("A stage is a number from 1 to 9."), field="stage")
            stage = int(stage)
        municipality = value("municipality")
        if municipality is not None and municipality not in {m.number for m in list_municipalities()}:
            if not re.fullmatch(r"[0-9]{4}", municipality):
                raise InvalidInput(_("A municipality number has 4 digits, for example 5001 or 0301."),
                                   field="municipality")
        industry = value("industry")
        if industry is not None:
            industry = industry.upper()
            if industry not in {s.letter for s in list_industry_sections()}:
                raise InvalidInput(_("An industry is an SN2007 section letter from A to U."), field="industry")
        return cls(start, end, provider, course, stage, municipality, industry)

    def to_args(self) -> dict[str, str]:
        """The filters that are set, as URL arguments (for links, bookmarks and exports)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def active(self) -> bool:
        return bool(self.to_args())


@dataclass
class ReportScope:
    """Whose courses a report covers: the whole programme (provider_id None) or one provider's."""

    provider_id: int | None = None
    provider_name: str | None = None


def funder_scope(user) -> ReportScope:
    """The programme-wide scope, for funders and admins; PermissionDenied for anyone else."""
    if not is_funder(user):
        raise PermissionDenied(_("Only funders and administrators can see the programme's reports."))
    return ReportScope()


def provider_scope(user) -> ReportScope:
    """The studio's scope: an author sees their own provider's courses, an admin the whole programme."""
    if not is_staff(user):
        raise PermissionDenied(_("Only the course provider's staff can see these reports."))
    if user.is_admin:
        return ReportScope()
    provider = db.session.get(Provider, user.provider_id)
    return ReportScope(provider.id, provider.name)


# --- Queries -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseInfo:
    id: int
    slug: str
    title: str
    stage: int
    provider_id: int
    provider_slug: str
    provider_name: str


def list_report_courses(scope: ReportScope) -> list[CourseInfo]:
    """Every course in scope with its current title, stage and provider (one query)."""
    query = (select(Course.id, Course.slug, CourseVersion.title, CourseVersion.stage, Provider.id, Provider.slug,
                    Provider.name)
             .join(Provider, Provider.id == Course.provider_id)
             .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
             .order_by(Provider.name, CourseVersion.stage, CourseVersion.title, Course.slug))
    if scope.provider_id is not None:
        query = query.where(Course.provider_id == scope.provider_id)
    else:
        query = query.where(Provider.kind != "library")  # residents' maker-space courses are the library's own
    return [CourseInfo(cid, slug, title or slug, stage or 1, pid, pslug, pname)
            for cid, slug, title, stage, pid, pslug, pname in db.session.execute(query)]


def _chosen_courses(courses: list[CourseInfo], filters: ReportFilters) -> list[CourseInfo]:
    if filters.provider and not any(c.provider_slug == filters.provider for c in courses):
        raise InvalidInput(_("There is no provider %(slug)s among the courses you can see.", slug=filters.provider),
                           field="provider")
    if filters.course and not any(c.slug == filters.course for c in courses):
        raise InvalidInput(_("There is no course %(slug)s among the courses you can see.", slug=filters.course),
                           field="course")
    return [c for c in courses if (not filters.provider or c.provider_slug == filters.provider)
            and (not filters.course or c.slug == filters.course)
            and (filters.stage is None or c.stage == filters.stage)]


def _where(model, filters: ReportFilters, course_ids: list[int] | None) -> list:
    conditions = []
    if course_ids is not None:
        conditions.append(model.course_id.in_(course_ids))
    if filters.start:
        conditions.append(model.month >= filters.start)
    if filters.end:
        conditions.append(model.month <= filters.end)
    if filters.municipality:
        conditions.append(model.municipality_code == filters.municipality)
    if filters.industry:
        conditions.append(model.industry_section == filters.industry)
    return conditions


def _grouping(filters: ReportFilters, extra: str = "") -> str:
    kept = set(extra) | ({"m"} if filters.municipality else set()) | ({"i"} if filters.industry else set())
    return "".join(letter for letter in "mis" if letter in kept)


# The courses of libraries (provider kind "library"): their residents' maker-space courses are not the firm
# programme's, so the programme's reports leave them out (the library sees them in its own; issue 15).
LIBRARY_COURSES = select(Course.id).join(Provider, Provider.id == Course.provider_id).where(Provider.kind == "library")


def _cube(filters, course_ids, extra: str, *columns) -> list:
    """Sums from the smallest report_cubes grouping that keeps the filtered dimensions and `extra`; without a list
    of courses (the whole programme), every course but the libraries'."""
    conditions = _where(ReportCube, filters, course_ids)
    if course_ids is None:
        conditions.append(ReportCube.course_id.not_in(LIBRARY_COURSES))
    query = (select(*columns, *[func.sum(getattr(ReportCube, m)) for m in Counts.MEASURES])
             .where(ReportCube.grouping == _grouping(filters, extra), *conditions)
             .group_by(*columns))
    return list(db.session.execute(query))


def _firms(filters, course_ids) -> list:
    """Distinct firms with something counted in scope, per (municipality, industry, size band, status).

    Without a course filter from report_firms (one row per firm, a bit per active month); with one, from the
    courses' report_rollups rows (found through the course_id index)."""
    F, R = ReportFirm, ReportRollup
    if course_ids is None:
        profile = (F.municipality_code, F.industry_section, F.size_band, F.firm_status)
        conditions = [F.months.op("&")(period_mask(filters.start, filters.end)) != 0]
        if filters.municipality:
            conditions.append(F.municipality_code == filters.municipality)
        if filters.industry:
            conditions.append(F.industry_section == filters.industry)
        query = select(*profile, func.count()).where(*conditions).group_by(*profile)
    else:
        profile = (R.municipality_code, R.industry_section, R.size_band, R.firm_status)
        active = or_(*[getattr(R, m) > 0 for m in ACTIVITY])
        query = (select(*profile, func.count(R.firm_id.distinct()))
                 .where(R.firm_id != 0, active, *_where(R, filters, course_ids)).group_by(*profile))
    return list(db.session.execute(query))


def dashboard(scope: ReportScope, filters: ReportFilters) -> Dashboard:
    """The dashboard for `scope` and `filters`: totals and one table per breakdown, small counts protected.

    Six queries, whatever the amount of data: the courses, four sums from report_cubes and the count of firms."""
    courses = list_report_courses(scope)
    chosen = _chosen_courses(courses, filters)
    narrowed = scope.provider_id is not None or bool(filters.provider or filters.course or filters.stage)
    course_ids = [c.id for c in chosen] if narrowed else None
    if course_ids == []:
        return build_dashboard(scope, filters, courses, {}, {})
    C = ReportCube
    sums = {
        "course": _cube(filters, course_ids, "", C.course_id, C.month, C.firm_status),
        "municipality": _cube(filters, course_ids, "m", C.municipality_code),
        "industry": _cube(filters, course_ids, "i", C.industry_section),
        "size": _cube(filters, course_ids, "s", C.size_band),
    }
    return build_dashboard(scope, filters, courses, sums, {"profile": _firms(filters, course_ids)})


@dataclass
class FilterOptions:
    """The choices of the filter form: (value, label) pairs."""

    providers: list[tuple[str, str]]
    courses: list[tuple[str, str]]
    stages: list[int]
    municipalities: list[tuple[str, str]]
    industries: list[tuple[str, str]]


def filter_options(scope: ReportScope, courses: list[CourseInfo] | None = None) -> FilterOptions:
    """What the filter form offers for `scope` (one query unless the dashboard's courses are passed)."""
    courses = list_report_courses(scope) if courses is None else courses
    providers = sorted({(c.provider_slug, c.provider_name) for c in courses}, key=lambda p: p[1])
    return FilterOptions(
        providers=providers,
        courses=sorted({(c.slug, c.title) for c in courses}, key=lambda c: c[1]),
        stages=sorted({c.stage for c in courses}),
        municipalities=sorted(((m.number, m.name) for m in list_municipalities()), key=lambda m: m[1]),
        industries=[(s.letter, f"{s.letter} – {s.name}") for s in list_industry_sections()],
    )
