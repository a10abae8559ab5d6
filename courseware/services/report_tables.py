"""The dashboard's tables: sums from services/reports.py turned into rows of protected cells, the same for the page,
the CSV export and the API (so an export always shows exactly what the page shows)."""
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .orgs import list_industry_sections, list_municipalities, municipality_name
from .rollups import MEASURES
from .suppression import Cell, firm_cell, protect_column, threshold

PEOPLE = ("participants", "enrolments", "completions", "certificates")


class Counts:
    """The summed measures of one row (enrolments, withdrawn, completions, certificates, completed_minutes)."""

    MEASURES = MEASURES

    def __init__(self):
        self.values = dict.fromkeys(MEASURES, 0)

    def add(self, numbers) -> None:
        for name, number in zip(MEASURES, numbers):
            self.values[name] += int(number or 0)

    def people(self, column: str) -> int:
        if column == "participants":
            return self.values["enrolments"] - self.values["withdrawn"]
        return self.values[column]

    @property
    def hours(self) -> int:
        return (self.values["completed_minutes"] + 30) // 60


@dataclass
class Column:
    key: str  # "firms", one of PEOPLE, or "hours"
    header: str


@dataclass
class Row:
    key: str  # the code (month, municipality number, course slug, ...), for CSV and the API
    label: str
    cells: dict[str, Cell]

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, **{k: c.as_json() for k, c in self.cells.items()}}


@dataclass
class Table:
    key: str  # "month", "provider", "course", "stage", "municipality", "industry", "size", "status"
    title: str
    label_header: str
    columns: list[Column]
    rows: list[Row]
    total: Row
    chart: str | None = None  # "line" or "bar": the chart helper draws this table
    note: str = ""

    def csv(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows (the total last) as the page shows them, "<5" included."""
        keys = [c.key for c in self.columns]
        return ([self.label_header, *[c.header for c in self.columns]],
                [[row.label, *[str(row.cells[k]) for k in keys]] for row in [*self.rows, self.total]])


@dataclass
class Dashboard:
    scope: object
    filters: object
    totals: Row
    tables: list[Table]
    courses: list = field(default_factory=list)  # CourseInfo in scope, for the filter form
    empty: bool = True

    @property
    def headers(self) -> dict[str, str]:
        """{column key: header} of the totals (every column, firms included)."""
        return {c.key: c.header for c in _columns(True)}

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def as_json(self) -> dict:
        """The dashboard as JSON-ready data (for the API): totals and every table's rows and total."""
        return {"filters": self.filters.to_args(), "minimum_count": threshold(),
                "totals": self.totals.as_json(),
                "tables": {t.key: {"title": t.title, "rows": [r.as_json() for r in t.rows],
                                   "total": t.total.as_json()} for t in self.tables}}


def _columns(with_firms: bool) -> list[Column]:
    headers = {"firms": _("Firms"), "participants": _("Participants"), "enrolments": _("Enrolments"),
               "completions": _("Completions"), "certificates": _("Certificates"), "hours": _("Completed hours")}
    keys = (["firms"] if with_firms else []) + list(PEOPLE) + ["hours"]
    return [Column(k, headers[k]) for k in keys]


def _protected_rows(labels: list[tuple[str, str]], counts: list[Counts], total: Counts,
                    firms: dict[str, int] | None, total_firms: int) -> tuple[list[Row], Row]:
    """Rows of cells with primary, row-wise and secondary suppression (see suppression.protect_column)."""
    minimum = threshold()

    def withdrawals_small(c: Counts) -> bool:  # participants = enrolments - withdrawn would give them away
        return 0 < c.values["withdrawn"] < minimum

    columns: dict[str, tuple[list[Cell], Cell]] = {}
    for key in PEOPLE:
        hidden = [i for i, c in enumerate(counts) if key == "participants" and withdrawals_small(c)]
        cells, total_cell = protect_column([c.people(key) for c in counts], total.people(key), minimum=minimum,
                                           hidden=hidden)
        if key == "participants" and withdrawals_small(total):
            total_cell = Cell(None, minimum)
        columns[key] = (cells, total_cell)

    def row(key, label, index, c: Counts, firm_count) -> Row:
        cells = {} if firms is None else {"firms": firm_cell(firm_count)}
        for k in PEOPLE:
            cells[k] = columns[k][0][index] if index is not None else columns[k][1]
        cells["hours"] = Cell(None if cells["completions"].suppressed else c.hours, minimum)
        return Row(key, label, cells)

    rows = [row(key, label, i, c, (firms or {}).get(key, 0)) for i, ((key, label), c) in enumerate(zip(labels, counts))]
    return rows, row("", _("Total"), None, total, total_firms)


def _table(key, title, label_header, grouped: dict[str, Counts], labels: dict[str, str], total: Counts,
           firms: dict[str, int] | None, total_firms: int, chart=None, note="", order=None) -> Table:
    keys = order if order is not None else sorted(grouped, key=lambda k: (labels.get(k, k) == _("Unknown"),
                                                                          labels.get(k, k)))
    rows, total_row = _protected_rows([(k, labels.get(k, k)) for k in keys],
                                      [grouped.get(k) or Counts() for k in keys], total, firms, total_firms)
    return Table(key, title, label_header, _columns(firms is not None), rows, total_row, chart, note)


def _months(found) -> list[str]:
    """Every month from the first to the last with figures, so a line chart shows quiet months as zero."""
    if not found:
        return []
    first, last = min(found), max(found)
    months, (year, month) = [], map(int, first.split("-"))
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def build_dashboard(scope, filters, courses, sums: dict, firms: dict) -> Dashboard:
    """Turn the query results of services.reports.dashboard into the protected tables."""
    by_id = {c.id: c for c in courses}
    total = Counts()
    grouped = {k: defaultdict(Counts) for k in ("month", "provider", "course", "stage", "status",
                                                 "municipality", "industry", "size")}
    for course_id, month, status, *numbers in sums.get("course", []):
        course = by_id.get(course_id)
        if course is None:
            continue
        total.add(numbers)
        for key, value in (("month", month), ("provider", course.provider_slug), ("course", course.slug),
                           ("stage", str(course.stage)), ("status", status)):
            grouped[key][value].add(numbers)
    for key in ("municipality", "industry", "size"):
        for code, *numbers in sums.get(key, []):
            grouped[key][code].add(numbers)
    firm_counts = {k: defaultdict(int) for k in ("municipality", "industry", "size", "status")}
    total_firms = 0
    for municipality, industry, size, status, n in firms.get("profile", []):
        total_firms += n
        for key, value in (("municipality", municipality), ("industry", industry), ("size", size),
                           ("status", status)):
            firm_counts[key][value] += n

    unknown = _("Unknown")
    names = {
        "provider": {c.provider_slug: c.provider_name for c in courses},
        "course": {c.slug: c.title for c in courses},
        "stage": {str(c.stage): _("Stage %(number)s", number=c.stage) for c in courses},
        "municipality": {"": unknown, **{m.number: m.name for m in list_municipalities()},
                         **{code: municipality_name(code) for code in grouped["municipality"]
                            if code and code not in {m.number for m in list_municipalities()}}},
        "industry": {"": unknown, **{s.letter: f"{s.letter} – {s.name}" for s in list_industry_sections()}},
        "size": {"": unknown, **{b: _("%(band)s employees", band=b) for b in ("0-9", "10-49", "50-249", "250+")}},
        "status": {"verified": _("Verified in the register"), "unverified": _("Unverified (typed in by hand)"),
                   "none": _("No firm")},
    }
    tables = [
        _table("month", _("Completions over time"), _("Month"), grouped["month"], {}, total, None, total_firms,
               chart="line", order=_months(grouped["month"])),
        _table("provider", _("By provider"), _("Provider"), grouped["provider"], names["provider"], total, None,
               total_firms),
        _table("course", _("By course"), _("Course"), grouped["course"], names["course"], total, None, total_firms),
        _table("stage", _("By stage"), _("Stage"), grouped["stage"], names["stage"], total, None, total_firms,
               order=sorted(grouped["stage"], key=int)),
        _table("municipality", _("By municipality"), _("Municipality"), grouped["municipality"],
               names["municipality"], total, firm_counts["municipality"], total_firms, chart="bar"),
        _table("industry", _("By industry (SN2007 section)"), _("Industry"), grouped["industry"], names["industry"],
               total, firm_counts["industry"], total_firms, chart="bar",
               order=sorted(grouped["industry"], key=lambda k: (k == "", k))),
        _table("size", _("By firm size"), _("Size band"), grouped["size"], names["size"], total, firm_counts["size"],
               total_firms, order=[b for b in ("0-9", "10-49", "50-249", "250+", "") if b in grouped["size"]]),
        _table("status", _("Unverified firms, shown separately"), _("Firm"), grouped["status"], names["status"],
               total, firm_counts["status"], total_firms,
               order=[s for s in ("verified", "unverified", "none") if s in grouped["status"]],
               note=_("Unverified firms were typed in by hand and not found in Brønnøysund's register.")),
    ]
    _same_totals(tables)
    totals = Row("", _("Total"), {"firms": firm_cell(total_firms), **tables[2].total.cells})
    return Dashboard(scope, filters, totals, tables, courses, empty=not total.values["enrolments"]
                     and not total.values["completions"] and not total.values["certificates"])


def _same_totals(tables: list[Table]) -> None:
    """A total suppressed in one table is suppressed in all, so no table gives away what another hides."""
    for key in (*PEOPLE, "hours"):
        if any(t.total.cells[key].suppressed for t in tables):
            for t in tables:
                t.total.cells[key] = Cell(None, t.total.cells[key].threshold)
