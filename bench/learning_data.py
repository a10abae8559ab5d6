"""Data for bench/learning_scale.py: the bench database, generated course packages, and the bulk rows.

Firms, learners, enrolments, module progress, task checks and completions are generated in PostgreSQL with
INSERT ... SELECT generate_series(...) in one transaction (foreign-key triggers off: the rows are consistent by
construction), in random order so one learner's rows are spread over the table as after months of use.
"""
import logging
import os
import shutil
import time
from pathlib import Path

from import_and_serve import make_packages

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench"
MUNICIPALITIES = ["5001", "5006", "5007", "5014", "5021", "5025", "5028", "5031", "5035", "5037", "5038", "5053",
                  "5054", "5056", "5057", "5059", "5060"]
SECTIONS = "ACFGHIJLMNQRS"
PASSWORD = "bench-password-1"


# --- Course packages, app and database ---------------------------------------------------------------------------

def make_courses(root: Path, count: int) -> None:
    """`count` packages bench-kurs-NNN of 5-10 modules (via make_packages); a practical task on every third module."""
    gen = root.parent / "generated"
    root.mkdir(parents=True)
    for c in range(count):
        modules = 5 + (c * 7) % 6
        make_packages(gen / str(c), 1, modules)
        pkg = root / f"bench-kurs-{c:03d}"
        shutil.move(gen / str(c) / "bench-kurs-000", pkg)
        _edit(pkg / "course.toml", "Benchmarkkurs 0", f"Benchmarkkurs {c}")
        for m in range(modules):
            if m % 3:
                _edit(pkg / "modules" / f"{m + 1:02d}-modul-{m}.md", f"tasks:\n  - Gjør oppgave {m}\n", "")
    shutil.rmtree(gen)


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def build_app(cfg: dict):
    os.environ["COURSEWARE_INSTANCE_PATH"] = cfg["instance"]
    from courseware import create_app

    app = create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": cfg["url"], "COURSES_DIR": cfg["courses"],
        "MEDIA_DIR": cfg["media"], "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_SERVER": None,
    })
    logging.getLogger("courseware.mail").setLevel(logging.WARNING)  # completion mails go to the log otherwise
    return app


def libpq_url(url: str, dbname: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    if dbname:
        u = u.set(database=dbname)
    return u.render_as_string(hide_password=False)


def ensure_database(url: str) -> bool:
    """Create the database when missing; True when this run created it."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(make_url(url).database)))


# --- Data generation ---------------------------------------------------------------------------------------------

LOAD = [
    ("course map", """
        CREATE TEMP TABLE b_modules AS
        SELECT c.id AS course_id, c.current_version_id AS version_id, m.key,
               (row_number() OVER (PARTITION BY c.id ORDER BY m.position) - 1)::int AS pos,
               json_array_length(m.tasks) AS tasks, count(*) OVER (PARTITION BY c.id)::int AS n
        FROM courses c JOIN modules m ON m.version_id = c.current_version_id;
        CREATE TEMP TABLE b_courses AS
        SELECT course_id, version_id, n, (row_number() OVER (ORDER BY course_id) - 1)::int AS idx
        FROM (SELECT DISTINCT course_id, version_id, n FROM b_modules) s"""),
    ("firms", """
        INSERT INTO firms (orgnr, name, municipality_code, industry_section, size_band, source, created_at)
        SELECT (800000000 + i)::text, 'Benchfirma ' || i || ' AS',
               CASE WHEN random() < 0.4 THEN '5001' ELSE (%(munis)s::text[])[1 + mod(i, cardinality(%(munis)s::text[]))] END,
               substr(%(sections)s, 1 + mod(i * 7, length(%(sections)s)), 1),
               CASE WHEN mod(i, 10) < 7 THEN '0-9' WHEN mod(i, 10) < 9 THEN '10-49' ELSE '50-249' END,
               'manual', now() - mod(i, 1000) * interval '1 day'
        FROM generate_series(1, %(firms)s) i"""),
    # Each firm's first learner is its contact person; the rest are spread with a mild skew (some bigger firms).
    ("learners", """
        INSERT INTO users (email, name, password_hash, role, firm_id, is_firm_contact, share_progress, active, created_at)
        SELECT 'learner' || i || '@bench.example', 'Bench Learner ' || i, %(hash)s, 'learner',
               f.lo + CASE WHEN i <= f.n THEN i - 1 ELSE floor(f.n * power(random(), 1.2))::int END,
               i <= f.n, random() < 0.3, true, now() - (31 + random() * 365) * interval '1 day'
        FROM generate_series(1, %(learners)s) i, (SELECT min(id) AS lo, count(*)::int AS n FROM firms) f"""),
    # 3 distinct courses per learner, popular courses more often; 25 %% completed, the rest 1..n modules in
    # (the last one read only), 3 %% of those withdrawn.
    ("enrolment plan", """
        CREATE TEMP TABLE b_enrol AS
        SELECT user_id, firm_id, course_id, version_id, n, enrolled_at, done,
               CASE WHEN done THEN n ELSE 1 + floor(random() * n)::int END AS k,
               NOT done AND random() < 0.03 AS withdrawn
        FROM (SELECT u.id AS user_id, u.firm_id, c.course_id, c.version_id, c.n,
                     u.created_at + random() * interval '30 days' AS enrolled_at, random() < 0.25 AS done
              FROM (SELECT id, firm_id, created_at, floor(power(random(), 1.5) * %(courses)s)::int AS base,
                           1 + floor(random() * (%(courses)s / 2 - 1))::int AS a,
                           %(courses)s / 2 + floor(random() * (%(courses)s - %(courses)s / 2))::int AS b
                    FROM users WHERE role = 'learner') u
              CROSS JOIN LATERAL (VALUES (0), (u.a), (u.b)) o(off)
              JOIN b_courses c ON c.idx = mod(u.base + o.off, %(courses)s)) s"""),
    ("exact progress count", None),  # see adjust_progress
    # Rows go in in random order, as they would arrive over months, so one learner's rows are spread over the heap.
    ("enrolments", """
        INSERT INTO enrolments (user_id, course_id, enrolled_at, withdrawn_at, last_module_key, last_activity_at)
        SELECT e.user_id, e.course_id, e.enrolled_at,
               CASE WHEN e.withdrawn THEN e.enrolled_at + (e.k + 1) * interval '2 days' END,
               m.key, e.enrolled_at + e.k * interval '2 days'
        FROM b_enrol e JOIN b_modules m ON m.course_id = e.course_id AND m.pos = e.k - 1
        ORDER BY random()"""),
    ("module progress", """
        INSERT INTO module_progress (user_id, course_id, module_key, read_at, quiz_passed_at, best_score, updated_at)
        SELECT e.user_id, e.course_id, m.key, e.enrolled_at + m.pos * interval '2 days' + interval '1 hour',
               CASE WHEN e.done OR m.pos < e.k - 1 THEN e.enrolled_at + m.pos * interval '2 days' + interval '2 hours' END,
               CASE WHEN e.done OR m.pos < e.k - 1 THEN 1.0 END,
               e.enrolled_at + m.pos * interval '2 days' + interval '2 hours'
        FROM b_enrol e JOIN b_modules m ON m.course_id = e.course_id AND m.pos < e.k
        ORDER BY random()"""),
    ("task checks", """
        INSERT INTO task_checks (user_id, course_id, module_key, task_index, checked_at)
        SELECT e.user_id, e.course_id, m.key, t.i, e.enrolled_at + m.pos * interval '2 days' + interval '90 minutes'
        FROM b_enrol e JOIN b_modules m ON m.course_id = e.course_id AND (e.done OR m.pos < e.k - 1)
        CROSS JOIN LATERAL generate_series(0, m.tasks - 1) t(i)
        ORDER BY random()"""),
    ("completions", """
        INSERT INTO completions (user_id, course_id, version_id, firm_id, completed_at)
        SELECT user_id, course_id, version_id, firm_id, enrolled_at + n * interval '2 days'
        FROM b_enrol WHERE done ORDER BY random()"""),
    # A learner with one enrolment and one progress row, for the baseline.
    ("baseline learner", """
        INSERT INTO users (email, name, password_hash, role, firm_id, is_firm_contact, share_progress, active, created_at)
        SELECT 'baseline@bench.example', 'Baseline Learner', %(hash)s, 'learner', min(id), false, false, true, now()
        FROM firms;
        INSERT INTO enrolments (user_id, course_id, enrolled_at, last_module_key, last_activity_at)
        SELECT u.id, m.course_id, now(), m.key, now() FROM users u, b_modules m
        WHERE u.email = 'baseline@bench.example' AND m.pos = 0 AND m.course_id = (SELECT min(course_id) FROM b_modules);
        INSERT INTO module_progress (user_id, course_id, module_key, read_at, updated_at)
        SELECT e.user_id, e.course_id, e.last_module_key, now(), now() FROM enrolments e
        JOIN users u ON u.id = e.user_id WHERE u.email = 'baseline@bench.example'"""),
]
TABLES = ["firms", "users", "enrolments", "module_progress", "task_checks", "completions"]


def adjust_progress(conn, target: int) -> None:
    """Nudge in-progress enrolments by one module until the plan holds exactly `target` progress rows."""
    while True:
        diff = target - conn.execute("SELECT sum(k) FROM b_enrol").fetchone()[0]
        if diff == 0:
            return
        step, cond = ("k + 1", "k < n") if diff > 0 else ("k - 1", "k > 1")
        changed = conn.execute(
            f"UPDATE b_enrol SET k = {step} WHERE ctid IN (SELECT ctid FROM b_enrol WHERE NOT done AND {cond} "
            "ORDER BY random() LIMIT %s)", (abs(diff),)).rowcount
        if changed == 0:
            return


def generate(conn, args, password_hash: str) -> dict[str, float]:
    """Fill the tables in one transaction (foreign-key triggers off: rows are consistent by construction)."""
    params = {"munis": MUNICIPALITIES, "sections": SECTIONS, "hash": password_hash, "courses": args.courses,
              "firms": int(args.firms * args.scale), "learners": int(args.learners * args.scale)}
    timings = {}
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET work_mem = '256MB'")
    conn.execute("SELECT setseed(0.42)")
    for label, statements in LOAD:
        t0 = time.perf_counter()
        if statements is None:
            adjust_progress(conn, int(args.progress * args.scale))
        else:
            for statement in statements.split(";\n"):
                conn.execute(statement, params if "%(" in statement else None)
        timings[label] = time.perf_counter() - t0
        print(f"  {label:<22}{timings[label]:7.1f} s", flush=True)
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    t0 = time.perf_counter()
    conn.autocommit = True
    for table in TABLES + ["courses", "course_versions", "modules"]:
        conn.execute(f"VACUUM (ANALYZE) {table}")
    conn.autocommit = False
    timings["vacuum analyze"] = time.perf_counter() - t0
    print(f"  {'vacuum analyze':<22}{timings['vacuum analyze']:7.1f} s", flush=True)
    return timings
