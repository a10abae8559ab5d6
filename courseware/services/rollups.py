"""The reports' maintained counts (models/reports.py): bumped in the same transaction as each enrolment, withdrawal,
completion, certificate and account deletion, and rebuilt from the raw rows by `courseware reports rebuild`.

What is counted, per course, firm and month (UTC):
- enrolments: enrolments made that month (a person counts once per course, as they enrol once); `withdrawn` says how
  many of them are withdrawn now (enrolling again takes one back). A deleted account's enrolments are gone.
- completions and completed_minutes (the completed version's modules' minutes): by the month of completion, for the
  firm recorded on the completion. They survive account deletion (the completion stays, anonymous).
- certificates: personal certificates issued, in the month of the completion they certify (revocation does not
  take one back: it was issued).
An enrolment counts for the firm the learner belonged to when they enrolled (Enrolment.firm_id).

On PostgreSQL every change is one INSERT .. ON CONFLICT DO UPDATE SET n = n + excluded.n, rows in one fixed order,
so simultaneous transactions add up and cannot deadlock on each other's rows.
"""
from collections import defaultdict
from datetime import datetime, timezone
from itertools import combinations

from sqlalchemy import String, case, delete, func, insert, literal, literal_column, or_, select, text, update

from ..extensions import db
from ..models import Certificate, Completion, Course, CourseVersion, Enrolment, Firm
from ..models.reports import ALL, MONTH_EPOCH, UNKNOWN, ReportCube, ReportFirm, ReportRollup
from .upsert import conflict_insert

MEASURES = ("enrolments", "withdrawn", "completions", "certificates", "completed_minutes")
DIMENSIONS = (("m", "municipality_code"), ("i", "industry_section"), ("s", "size_band"))
CUBE_KEY = ("grouping", "course_id", "month", "municipality_code", "industry_section", "size_band", "firm_status")
# Every subset of the firm dimensions, smallest first: "", "m", "i", "s", "mi", "ms", "is", "mis".
GROUPINGS = tuple("".join(c) for n in range(4) for c in combinations("mis", n))


def month_of(moment: datetime) -> str:
    """The report month ("YYYY-MM", UTC) of a timestamp."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m")


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_bit(month: str) -> int:
    """The bit of `month` in ReportFirm.months (clamped to the 63-month window from MONTH_EPOCH)."""
    return 1 << min(62, max(0, _month_index(month) - _month_index(MONTH_EPOCH)))


def period_mask(start: str | None, end: str | None) -> int:
    """The ReportFirm.months bits of the months from `start` to `end` (either open)."""
    low = month_bit(start).bit_length() - 1 if start else 0
    high = month_bit(end).bit_length() - 1 if end else 62
    return sum(1 << n for n in range(low, high + 1))


ACTIVITY = ("enrolments", "completions", "certificates")  # a firm with any of these counts as a firm in the reports


def firm_profile(firm) -> dict:
    """The dimensions a firm is counted under: municipality, industry section, size band and status."""
    if firm is None:
        return {"municipality_code": UNKNOWN, "industry_section": UNKNOWN, "size_band": UNKNOWN,
                "firm_status": "none"}
    return {"municipality_code": firm.municipality_code or UNKNOWN,
            "industry_section": firm.industry_section or UNKNOWN, "size_band": firm.size_band or UNKNOWN,
            "firm_status": "verified" if firm.source == "brreg" else "unverified"}


def _cube_keys(profile: dict) -> list[dict]:
    """The report_cubes rows (without measures) one event at `profile` adds to, one per grouping."""
    rows = []
    for grouping in GROUPINGS:
        row = {"grouping": grouping, "firm_status": profile["firm_status"]}
        for letter, column in DIMENSIONS:
            row[column] = profile[column] if letter in grouping else ALL
        rows.append(row)
    return rows


_UPSERTS: dict[tuple[str, str], object] = {}


def _upsert_statement(model, key: tuple[str, ...]):
    """INSERT .. ON CONFLICT (key) DO UPDATE SET n = n + excluded.n for every measure, built once per table and
    dialect and run with its rows as parameters, so SQLAlchemy compiles it once (a statement built with its values
    is compiled anew on every call: most of a completion's CPU time went there)."""
    dialect = db.session.get_bind().dialect.name
    statement = _UPSERTS.get((model.__tablename__, dialect))
    if statement is None:
        insert_ = conflict_insert(model.__table__)
        if insert_ is None:  # pragma: no cover - the app runs on SQLite and PostgreSQL only
            raise RuntimeError("report rollups need SQLite or PostgreSQL")
        table = model.__table__
        statement = _UPSERTS[(model.__tablename__, dialect)] = insert_.on_conflict_do_update(
            index_elements=list(key), set_={m: table.c[m] + insert_.excluded[m] for m in MEASURES})
    return statement


def _upsert(model, rows: list[dict], key: tuple[str, ...]) -> None:
    # Rows in key order, so simultaneous transactions lock them in the same order (no deadlock); the Table, not the
    # model, so that the ORM's bulk-insert machinery stays out of it.
    db.session.execute(_upsert_statement(model, key), sorted(rows, key=lambda r: tuple(r[k] for k in key)))


def bump(course_id: int, firm_id: int | None, moment: datetime, **deltas: int) -> None:
    """Add `deltas` (MEASURES) to the counts of (course, firm, month of `moment`), in this transaction."""
    firm = db.session.get(Firm, firm_id) if firm_id else None
    profile = firm_profile(firm)
    month = month_of(moment)
    measures = {m: int(deltas.get(m, 0)) for m in MEASURES}
    _upsert(ReportRollup, [{"course_id": course_id, "firm_id": firm.id if firm else 0, "month": month, **profile,
                            **measures}], ("course_id", "firm_id", "month"))
    _upsert(ReportCube, [{**key, "course_id": course_id, "month": month, **measures} for key in _cube_keys(profile)],
            CUBE_KEY)
    if firm is None:
        return
    if any(measures[m] < 0 for m in ACTIVITY):
        _refresh_firm(firm.id)
    elif any(measures[m] > 0 for m in ACTIVITY):
        statement = conflict_insert(ReportFirm).values(firm_id=firm.id, months=month_bit(month), **profile)
        months = ReportFirm.__table__.c.months.op("|")(statement.excluded.months)
        db.session.execute(statement.on_conflict_do_update(index_elements=["firm_id"], set_={"months": months}))


def _refresh_firm(firm_id: int) -> None:
    """Recompute a firm's months from its rollups, after counts went down (a deleted account's enrolments)."""
    active = or_(*[getattr(ReportRollup, m) > 0 for m in ACTIVITY])
    months = db.session.execute(select(ReportRollup.month).distinct().where(
        ReportRollup.firm_id == firm_id, active)).scalars()
    mask = 0
    for month in months:
        mask |= month_bit(month)
    db.session.execute(update(ReportFirm).where(ReportFirm.firm_id == firm_id).values(months=mask))


# --- The events ----------------------------------------------------------------------------------------------------

def record_enrolment(enrolment: Enrolment) -> None:
    """A new enrolment."""
    bump(enrolment.course_id, enrolment.firm_id, enrolment.enrolled_at, enrolments=1)


def record_withdrawal(enrolment: Enrolment, *, undo: bool = False) -> None:
    """An enrolment withdrawn (or, with undo, resumed)."""
    bump(enrolment.course_id, enrolment.firm_id, enrolment.enrolled_at, withdrawn=-1 if undo else 1)


def record_completion(completion: Completion, version: CourseVersion, certificates: int = 0) -> None:
    """A completed course, with the minutes of the version completed; `certificates`: the personal certificate it
    earned in the same transaction (counted in the completion's month, as record_certificate would), in one change."""
    bump(completion.course_id, completion.firm_id, completion.completed_at, completions=1,
         completed_minutes=outline_minutes(version.outline), certificates=certificates)


def record_certificate(certificate: Certificate) -> None:
    """A personal certificate issued."""
    bump(certificate.course_id, certificate.firm_id, certificate.issued_at, certificates=1)


def forget_enrolments(user_id: int) -> None:
    """Take a person's enrolments out of the counts, before their account (and enrolments) are deleted."""
    rows = db.session.execute(select(Enrolment.course_id, Enrolment.firm_id, Enrolment.enrolled_at,
                                     Enrolment.withdrawn_at).where(Enrolment.user_id == user_id)).all()
    for course_id, firm_id, enrolled_at, withdrawn_at in rows:
        bump(course_id, firm_id, enrolled_at, enrolments=-1, withdrawn=-1 if withdrawn_at is not None else 0)


def outline_minutes(outline) -> int:
    """A version's minutes: its modules' minutes summed."""
    return sum(int(entry.get("minutes") or 0) for entry in outline or [])


# --- Rebuild -------------------------------------------------------------------------------------------------------

NONE = literal_column("0")  # a literal, not a parameter, so the same expression can be selected and grouped by


def _month_expr(session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM'"))
    # SQLite keeps UTC timestamps as text, "YYYY-MM-DD HH:MM:SS".
    return func.substr(column, literal_column("1"), literal_column("7"))


def raw_counts(session=None) -> dict[tuple[int, int, str], dict[str, int]]:
    """The counts per (course, firm or 0, month) computed from the raw rows (what the rollups must equal)."""
    session = session or db.session
    counts: dict[tuple[int, int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    month = _month_expr(session, Enrolment.enrolled_at)
    for course_id, firm_id, m, n, withdrawn in session.execute(
            select(Enrolment.course_id, func.coalesce(Enrolment.firm_id, NONE), month, func.count(),
                   func.sum(case((Enrolment.withdrawn_at.is_not(None), 1), else_=0)))
            .group_by(Enrolment.course_id, func.coalesce(Enrolment.firm_id, NONE), month)):
        counts[(course_id, firm_id, m)].update(enrolments=int(n), withdrawn=int(withdrawn or 0))
    minutes = {vid: outline_minutes(outline)
               for vid, outline in session.execute(select(CourseVersion.id, CourseVersion.outline))}
    version_id = func.coalesce(Completion.version_id, Course.current_version_id)
    month = _month_expr(session, Completion.completed_at)
    for course_id, firm_id, m, vid, n in session.execute(
            select(Completion.course_id, func.coalesce(Completion.firm_id, NONE), month, version_id, func.count())
            .join(Course, Course.id == Completion.course_id)
            .group_by(Completion.course_id, func.coalesce(Completion.firm_id, NONE), month, version_id)):
        row = counts[(course_id, firm_id, m)]
        row["completions"] += int(n)
        row["completed_minutes"] += int(n) * minutes.get(vid, 0)
    month = _month_expr(session, Certificate.issued_at)
    for course_id, firm_id, m, n in session.execute(
            select(Certificate.course_id, func.coalesce(Certificate.firm_id, NONE), month, func.count())
            .group_by(Certificate.course_id, func.coalesce(Certificate.firm_id, NONE), month)):
        counts[(course_id, firm_id, m)]["certificates"] += int(n)
    return dict(counts)


def rebuild(session=None) -> int:
    """Recompute both tables from the raw rows (idempotent); the number of report_rollups rows written.

    On PostgreSQL the tables are locked first, so an event committed meanwhile is counted exactly once: either it
    committed before the lock (its raw row is read here) or its increment waits for this transaction. `session`
    defaults to the app's; the migration passes one on its own connection."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE report_rollups, report_cubes, report_firms IN EXCLUSIVE MODE"))
    counts = raw_counts(session)
    firm_ids = {firm_id for (_, firm_id, _) in counts if firm_id}
    firms = {f.id: f for f in session.execute(select(Firm.id, Firm.municipality_code, Firm.industry_section,
                                                     Firm.size_band, Firm.source)) if f.id in firm_ids}
    for model in (ReportCube, ReportRollup, ReportFirm):
        session.execute(delete(model))
    rollups, months = [], defaultdict(int)
    for (course_id, firm_id, month), measures in sorted(counts.items()):
        rollups.append({"course_id": course_id, "firm_id": firm_id, "month": month,
                        **firm_profile(firms.get(firm_id)), **measures})
        if firm_id in firms and any(measures[m] > 0 for m in ACTIVITY):
            months[firm_id] |= month_bit(month)
    _insert_many(session, ReportRollup, rollups)
    _insert_many(session, ReportFirm, [{"firm_id": firm_id, "months": mask, **firm_profile(firms[firm_id])}
                                       for firm_id, mask in sorted(months.items())])
    for grouping in GROUPINGS:
        session.execute(insert(ReportCube).from_select(CUBE_KEY + MEASURES, _cube_select(grouping)))
    session.flush()
    return len(rollups)


def _cube_select(grouping: str):
    """The report_cubes rows of one grouping, summed from report_rollups."""
    R = ReportRollup
    kept = [R.course_id, R.month] + [getattr(R, column) for letter, column in DIMENSIONS if letter in grouping]
    dims = [getattr(R, column) if letter in grouping else literal(ALL, String).label(column)
            for letter, column in DIMENSIONS]
    return (select(literal(grouping, String).label("grouping"), R.course_id, R.month, *dims, R.firm_status,
                   *[func.sum(getattr(R, m)).label(m) for m in MEASURES])
            .group_by(*kept, R.firm_status))


def _insert_many(session, model, rows: list[dict], batch: int = 5000) -> None:
    """Core executemany on the session's connection (the ORM's bulk path compiles far slower)."""
    connection = session.connection()
    for start in range(0, len(rows), batch):
        connection.execute(model.__table__.insert(), rows[start:start + batch])
