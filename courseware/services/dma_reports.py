"""Digital maturity for funders and providers: the average change per dimension, from a firm's assessment before
to its follow-up after, by provider, course, stage, municipality, industry and size band.

A pair is a completed follow-up (T1) and the firm's completed assessment just before it on the same questionnaire
version (pairs across versions are not comparable and are left out). The pair belongs to the T1's stage, and to the
courses of that stage the firm's people completed before the T1 (and so to those courses' providers); municipality,
industry and size band are the firm's. The period filter (start, end) applies to the month the T1 was finished;
the other filters are the reports' own (services/reports.py ReportFilters), and a provider's staff see only the
pairs tied to their own courses.

Small numbers: an average over fewer than REPORTS_MIN_COUNT firms would describe one or two firms' answers, so the
group's count of firms shows as "<5" and its averages are hidden; `protect_column` also hides a second group where
one hidden group could be worked out from the total. Four queries, whatever the data.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Completion, Course, CourseVersion, DmaAssessment, DmaScore, Firm, Provider
from ..models.dma import DMA_DIMENSIONS
from . import dma_questionnaire
from .orgs import SIZE_BAND_LABELS, industry_section_name, municipality_name
from .reports import ReportFilters, ReportScope, list_report_courses
from .suppression import Cell, protect_column, threshold

BREAKDOWNS = ("provider", "course", "stage", "municipality", "industry", "size")


@dataclass
class Pair:
    firm_id: int
    stage: int | None
    month: str
    municipality: str | None
    industry: str | None
    size: str | None
    change: dict  # dimension (and "overall") -> after - before
    course_ids: set = field(default_factory=set)


@dataclass
class MaturityRow:
    key: str
    label: str
    firms: Cell
    averages: dict  # dimension or "overall" -> average change (one decimal), None when hidden

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, "firms": self.firms.as_json(), "averages": self.averages}


@dataclass
class MaturityTable:
    key: str
    title: str
    label_header: str
    rows: list[MaturityRow]
    total: MaturityRow

    def csv(self, dimension_titles: dict) -> tuple[list[str], list[list]]:
        """Header and rows (the total last) as the page shows them: "<5" firms, empty hidden averages."""
        keys = [*DMA_DIMENSIONS, "overall"]
        header = [self.label_header, _("Firms"), *[dimension_titles[k] for k in keys]]
        return header, [[row.label, str(row.firms), *["" if row.averages[k] is None else row.averages[k]
                                                        for k in keys]]
                        for row in [*self.rows, self.total]]

    def as_json(self) -> dict:
        return {"title": self.title, "rows": [r.as_json() for r in self.rows], "total": self.total.as_json()}


@dataclass
class MaturityReport:
    filters: ReportFilters
    dimensions: dict  # key -> title, in order, "overall" last
    tables: list[MaturityTable]
    pairs: int

    def table(self, key: str) -> MaturityTable | None:
        return next((t for t in self.tables if t.key == key), None)

    def as_json(self) -> dict:
        return {"filters": self.filters.to_args(), "minimum_count": threshold(),
                "dimensions": [{"key": key, "title": title} for key, title in self.dimensions.items()],
                "pairs": self.tables[0].total.firms.as_json() if self.tables else 0,
                "tables": {t.key: t.as_json() for t in self.tables}}


def _pairs(filters: ReportFilters, scope: ReportScope, courses: dict) -> list[Pair]:
    """The before/after pairs in scope and filters (three queries)."""
    rows = db.session.execute(
        select(DmaAssessment.id, DmaAssessment.firm_id, DmaAssessment.kind, DmaAssessment.stage,
               DmaAssessment.version, DmaAssessment.completed_at, Firm.municipality_code, Firm.industry_section,
               Firm.size_band)
        .join(Firm, Firm.id == DmaAssessment.firm_id)
        .where(DmaAssessment.completed_at.is_not(None))
        .order_by(DmaAssessment.firm_id, DmaAssessment.completed_at, DmaAssessment.id)
    ).all()
    candidates = []  # (t1 row, previous row)
    previous_of_firm = {}
    for row in rows:
        before = previous_of_firm.get(row.firm_id)
        if row.kind == "T1" and before is not None and before.version == row.version:
            candidates.append((row, before))
        previous_of_firm[row.firm_id] = row
    if not candidates:
        return []
    ids = {a.id for pair in candidates for a in pair}
    scores = defaultdict(dict)
    for assessment_id, dimension, value in db.session.execute(
        select(DmaScore.assessment_id, DmaScore.dimension, DmaScore.score).where(DmaScore.assessment_id.in_(ids))
    ):
        scores[assessment_id][dimension] = value
    overall = {row.id: None for row in rows}
    overall.update(dict(db.session.execute(
        select(DmaAssessment.id, DmaAssessment.overall).where(DmaAssessment.id.in_(ids))).all()))
    completions = defaultdict(list)  # firm -> [(course_id, stage, completed_at)]
    for firm_id, course_id, stage, completed_at in db.session.execute(
        select(Completion.firm_id, Completion.course_id, CourseVersion.stage, Completion.completed_at)
        .join(CourseVersion, CourseVersion.id == Completion.version_id)
        .where(Completion.firm_id.in_({after.firm_id for after, _before in candidates}))
    ):
        completions[firm_id].append((course_id, stage, completed_at))
    pairs = []
    for after, before in candidates:
        change = {d: round(scores[after.id].get(d, 0.0) - scores[before.id].get(d, 0.0), 1) for d in DMA_DIMENSIONS}
        change["overall"] = round((overall[after.id] or 0.0) - (overall[before.id] or 0.0), 1)
        linked = {course_id for course_id, stage, at in completions[after.firm_id]
                  if stage == after.stage and at <= after.completed_at and course_id in courses}
        pair = Pair(after.firm_id, after.stage, f"{after.completed_at:%Y-%m}", after.municipality_code,
                    after.industry_section, after.size_band, change, linked)
        if _kept(pair, filters, scope, courses):
            pairs.append(pair)
    return pairs


def _kept(pair: Pair, filters: ReportFilters, scope: ReportScope, courses: dict) -> bool:
    if filters.start and pair.month < filters.start or filters.end and pair.month > filters.end:
        return False
    if filters.municipality and pair.municipality != filters.municipality:
        return False
    if filters.industry and pair.industry != filters.industry:
        return False
    if filters.stage is not None and pair.stage != filters.stage:
        return False
    narrowed = scope.provider_id is not None or filters.provider or filters.course
    if narrowed:
        pair.course_ids = {c for c in pair.course_ids
                           if (not filters.provider or courses[c].provider_slug == filters.provider)
                           and (not filters.course or courses[c].slug == filters.course)}
        return bool(pair.course_ids)
    return True


def _average(pairs: list[Pair]) -> dict:
    keys = [*DMA_DIMENSIONS, "overall"]
    return {k: round(sum(p.change[k] for p in pairs) / len(pairs), 1) if pairs else None for k in keys}


def _table(key: str, title: str, header: str, groups: dict, labels: dict, everyone: list[Pair],
           order: list) -> MaturityTable:
    keys = [k for k in order if k in groups]
    cells, total_cell = protect_column([len(groups[k]) for k in keys], len(everyone))
    hidden = dict.fromkeys([*DMA_DIMENSIONS, "overall"])
    rows = [MaturityRow(str(k), labels.get(k, str(k)), cell,
                        hidden if cell.suppressed or not groups[k] else _average(groups[k]))
            for k, cell in zip(keys, cells)]
    total = MaturityRow("total", _("All"), total_cell,
                        hidden if total_cell.suppressed or not everyone else _average(everyone))
    return MaturityTable(key, title, header, rows, total)


def maturity_report(scope: ReportScope, filters: ReportFilters, lang: str = "nb",
                    course_list: list | None = None) -> MaturityReport:
    """The average change per dimension by each breakdown, small groups hidden (four queries; three when the
    dashboard passes the courses in scope it has read already)."""
    course_list = list_report_courses(scope) if course_list is None else course_list
    courses = {c.id: c for c in course_list}
    pairs = _pairs(filters, scope, courses)
    groups = {name: defaultdict(list) for name in BREAKDOWNS}
    for pair in pairs:
        for course_id in pair.course_ids:
            groups["course"][courses[course_id].slug].append(pair)
        for provider in {courses[c].provider_slug for c in pair.course_ids}:
            groups["provider"][provider].append(pair)
        groups["stage"][pair.stage or 0].append(pair)
        groups["municipality"][pair.municipality or ""].append(pair)
        groups["industry"][pair.industry or ""].append(pair)
        groups["size"][pair.size or ""].append(pair)
    unknown = _("Unknown")
    labels = {
        "provider": {c.provider_slug: c.provider_name for c in course_list},
        "course": {c.slug: c.title for c in course_list},
        "stage": {s: _("Stage %(number)s", number=s) for s in groups["stage"]},
        "municipality": {m: municipality_name(m) or m or unknown for m in groups["municipality"]},
        "industry": {i: f"{i} – {industry_section_name(i)}" if i else unknown for i in groups["industry"]},
        "size": {s: SIZE_BAND_LABELS.get(s, s) or unknown for s in groups["size"]},
    }
    titles = {
        "provider": (_("Change by provider"), _("Provider")), "course": (_("Change by course"), _("Course")),
        "stage": (_("Change by stage"), _("Stage")), "municipality": (_("Change by municipality"),
                                                                      _("Municipality")),
        "industry": (_("Change by industry"), _("Industry")), "size": (_("Change by size"), _("Employees")),
    }
    tables = []
    for name in BREAKDOWNS:
        order = sorted(groups[name], key=lambda k, n=name: (str(labels[n].get(k, k)).casefold()
                                                            if n != "stage" else k))
        title, header = titles[name]
        tables.append(_table(name, title, header, groups[name], labels[name], pairs, order))
    questionnaire = dma_questionnaire.load(dma_questionnaire.current_version())
    dimensions = {d.key: d.title.get(lang) for d in questionnaire.dimensions}
    dimensions["overall"] = _("Overall")
    return MaturityReport(filters, dimensions, tables, len(pairs))
