"""The maintained counts equal a count of the raw rows after random sequences of enrolments, withdrawals, returns,
completions (with certificates), firm changes and account deletions; a rebuild changes nothing; the migration
fills them from existing rows."""
import random

import pytest
from sqlalchemy import select, text

from courseware.extensions import db
from courseware.models import ReportCube, ReportFirm, ReportRollup
from courseware.services import enrolment, privacy, rollups

from .conftest import TEST_PASSWORD
from .learning_factory import make_course
from .reports_support import at, complete, course, enrol, make_firm

ORGNRS = ["817920632", "986399445", "942110464", "974760673"]


def snapshot(model) -> dict:
    """The table's non-zero rows as {key: measures}."""
    if model is ReportFirm:
        return {f.firm_id: (f.municipality_code, f.firm_status, f.months)
                for f in db.session.execute(select(ReportFirm)).scalars() if f.months}
    key = ("course_id", "firm_id", "month") if model is ReportRollup else rollups.CUBE_KEY
    rows = {}
    for row in db.session.execute(select(model)).scalars():
        measures = tuple(getattr(row, m) for m in rollups.MEASURES)
        if any(measures):
            rows[tuple(getattr(row, k) for k in key)] = measures
    return rows


def raw_sql(sql: str) -> dict:
    return {tuple(r[:-1]) if len(r) > 2 else r[0]: r[-1] for r in db.session.execute(text(sql)).all()}


def summed(by: str, measure: str) -> dict:
    return {k: v for k, v in raw_sql(f"SELECT {by}, SUM({measure}) FROM report_rollups GROUP BY {by}").items() if v}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_the_raw_rows_after_random_events(app, make_user, seed):
    rng = random.Random(seed)
    courses = [course("k1", "park-a", 1, True), course("k2", "park-a", 2, False), course("k3", "park-b", 1, True)]
    public = make_course("open", provider_slug="park-b", audience="public")
    firms = [make_firm(orgnr, f"Firma {i}", rng.choice(["5001", "5006", None]), rng.choice("ACG"),
                       rng.choice(["0-9", "10-49", None]), rng.choice(["brreg", "manual"]))
             for i, orgnr in enumerate(ORGNRS)]
    people = [make_user("learner", firm_id=firm.id if firm else None)
              for firm in (rng.choice(firms + [None]) for _ in range(12))]
    enrolled: set[tuple[int, int]] = set()
    for _step in range(120):
        if not people:
            break
        user = rng.choice(people)
        month = rng.randint(1, 6)
        action = rng.random()
        c = rng.choice(courses + [public]) if user.firm_id else public
        if action < 0.45:
            enrol(user, c, month)
            enrolled.add((user.id, c.id))
        elif action < 0.6:
            enrolment.withdraw(user, c, now=at(month))
            db.session.commit()
        elif action < 0.85 and (user.id, c.id) in enrolled:
            complete(user, c, month)
        elif action < 0.92:  # a move to another firm: earlier enrolments stay with the firm they were made in
            user.firm_id = rng.choice(firms).id
            db.session.commit()
        else:
            privacy.delete_account(user, TEST_PASSWORD)
            db.session.commit()
            people.remove(user)
    # The rollups against plain SQL over the raw rows.
    assert summed("course_id", "enrolments") == raw_sql("SELECT course_id, COUNT(*) FROM enrolments GROUP BY course_id")
    assert summed("course_id", "withdrawn") == {k: v for k, v in raw_sql(
        "SELECT course_id, COUNT(*) FROM enrolments WHERE withdrawn_at IS NOT NULL GROUP BY course_id").items()}
    assert summed("firm_id", "enrolments") == raw_sql(
        "SELECT COALESCE(firm_id, 0), COUNT(*) FROM enrolments GROUP BY COALESCE(firm_id, 0)")
    assert summed("course_id", "completions") == raw_sql(
        "SELECT course_id, COUNT(*) FROM completions GROUP BY course_id")
    assert summed("firm_id", "completions") == raw_sql(
        "SELECT COALESCE(firm_id, 0), COUNT(*) FROM completions GROUP BY COALESCE(firm_id, 0)")
    assert summed("course_id", "certificates") == raw_sql(
        "SELECT course_id, COUNT(*) FROM certificates GROUP BY course_id")
    assert summed("course_id", "completed_minutes") == {k: 30 * v for k, v in raw_sql(
        "SELECT course_id, COUNT(*) FROM completions GROUP BY course_id").items()}
    # ... per course, firm and month, and the cubes, against a rebuild from the raw rows.
    # report_firms: a firm's months are the months of its enrolments (even if withdrawn), completions, certificates
    active = {}
    for sql in ("SELECT firm_id, enrolled_at FROM enrolments", "SELECT firm_id, completed_at FROM completions",
                "SELECT firm_id, issued_at FROM certificates"):
        for firm_id, moment in db.session.execute(text(sql)):
            if firm_id:
                month = moment if isinstance(moment, str) else moment.strftime("%Y-%m")
                active[firm_id] = active.get(firm_id, 0) | rollups.month_bit(month[:7])
    assert {k: v[2] for k, v in snapshot(ReportFirm).items()} == active
    rows, cube, firms = snapshot(ReportRollup), snapshot(ReportCube), snapshot(ReportFirm)
    assert rows == {k: tuple(v[m] for m in rollups.MEASURES) for k, v in rollups.raw_counts().items()
                    if any(v.values())}
    rollups.rebuild()
    db.session.commit()
    assert snapshot(ReportRollup) == rows and snapshot(ReportCube) == cube and snapshot(ReportFirm) == firms
    rollups.rebuild()  # idempotent
    assert snapshot(ReportCube) == cube
    # every grouping of the cube adds up to the same totals
    totals = raw_sql("SELECT grouping, SUM(enrolments) FROM report_cubes GROUP BY grouping")
    assert len(set(totals.values())) == 1 and set(totals) == set(rollups.GROUPINGS)


def test_the_cli_rebuilds(app, make_user):
    from .reports_support import build_programme

    build_programme(make_user)
    before = snapshot(ReportCube)
    db.session.execute(text("DELETE FROM report_cubes"))
    db.session.execute(text("UPDATE report_rollups SET enrolments = 99"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    db.session.expire_all()
    assert snapshot(ReportCube) == before


def test_the_migration_fills_the_counts_from_existing_rows(tmp_path):
    from flask_migrate import upgrade

    from courseware import create_app

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="d81e5b3c7a40_wp_certs")
        rows = [
            "INSERT INTO providers (id, slug, name, kind, created_at)"
            " VALUES (1, 'p', 'P', 'other', '2026-01-01 00:00:00')",
            "INSERT INTO courses (id, slug, provider_id, created_at) VALUES (1, 'k', 1, '2026-01-01 00:00:00')",
            "INSERT INTO course_versions (id, course_id, number, source_hash, title, summary, stage, language,"
            " audience, pass_mark, show_answers, attempts_per_day, requires, certificate, partners, outline, imported_at) VALUES"
            " (1, 1, 1, 'h', 'K', '', 1, 'nb', 'firms', 0.8, 'after-pass', 0, '[]', '{}', '[]',"
            " '[{\"key\": \"a\", \"minutes\": 20}, {\"key\": \"b\", \"minutes\": 25}]', '2026-01-01 00:00:00')",
            "UPDATE courses SET current_version_id = 1",
            "INSERT INTO firms (id, orgnr, name, municipality_code, industry_section, size_band, source, created_at)"
            " VALUES (1, '942110464', 'A AS', '5001', 'C', '0-9', 'brreg', '2026-01-01 00:00:00')",
            "INSERT INTO users (id, email, name, password_hash, role, firm_id, is_firm_contact, share_progress, active,"
            " created_at, session_stamp, name_on_firm_certificates) VALUES"
            " (1, 'a@example.no', 'A', 'x', 'learner', 1, 0, 0, 1, '2026-01-01 00:00:00', '', 0),"
            " (2, 'b@example.no', 'B', 'x', 'learner', NULL, 0, 0, 1, '2026-01-01 00:00:00', '', 0)",
            "INSERT INTO enrolments (user_id, course_id, enrolled_at, withdrawn_at) VALUES"
            " (1, 1, '2026-02-03 10:00:00.000000', NULL), (2, 1, '2026-03-03 10:00:00.000000', '2026-03-05 10:00:00')",
            "INSERT INTO completions (user_id, course_id, version_id, firm_id, completed_at) VALUES"
            " (1, 1, 1, 1, '2026-04-01 10:00:00.000000')",
        ]
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            firm_ids = conn.execute(text("SELECT user_id, firm_id FROM enrolments ORDER BY user_id")).all()
            counts = conn.execute(text(
                "SELECT course_id, firm_id, month, municipality_code, firm_status, enrolments, withdrawn, completions,"
                " completed_minutes FROM report_rollups ORDER BY month")).all()
            cube = conn.execute(text("SELECT grouping, SUM(enrolments), SUM(completions) FROM report_cubes"
                                     " GROUP BY grouping ORDER BY grouping")).all()
        db.engine.dispose()
    assert firm_ids == [(1, 1), (2, None)]
    assert counts == [(1, 1, "2026-02", "5001", "verified", 1, 0, 0, 0), (1, 0, "2026-03", "", "none", 1, 1, 0, 0),
                      (1, 1, "2026-04", "5001", "verified", 0, 0, 1, 45)]
    assert cube == [(g, 2, 1) for g in sorted(rollups.GROUPINGS)]
