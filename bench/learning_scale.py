"""Benchmark for learning at scale (issue 3), on PostgreSQL.

Imports 30 generated course packages (5-10 modules each) through the real importer, then generates 10,000 firms,
100,000 learners, 300,000 enrolments and 1.5 million module-progress rows (plus task checks and completions) in
SQL, and prints in one run:
  1. "Mine kurs" (GET /me/courses through the test client): median and p95 for a learner with 3 enrolments and
     progress, for 200 different such learners, and for a learner with one enrolment (baseline);
  2. completing a module (read, tick its tasks, pass its quiz; one commit per action, as the views do), through
     the services and through the real routes, over distinct learner x module pairs;
  3. module completions/s with 8 concurrent writer processes on their own learners, then on shared learners
     (two tabs, and the same form submitted twice), with errors and lost writes counted against the database.

    .venv/bin/python bench/learning_scale.py [--database-url URL] [--keep] [--scale 1.0] [--explain]

The database named in the URL is created when missing; its schema is dropped and recreated (db.drop_all(),
db.create_all()), and at the end the database is dropped (when this run created it) or its schema (otherwise),
unless --keep. Without --force the database name must contain "bench".
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learning_actions import (  # noqa: E402
    Record, answers, complete_module, complete_via_routes, high_water, login, run_writers, verify,
)
from learning_data import (  # noqa: E402
    DEFAULT_URL, PASSWORD, TABLES, build_app, drop_database, ensure_database, generate, libpq_url, make_courses,
)

BIG_TABLES = set(TABLES) | {"quiz_attempts"}  # a sequential scan on these is a finding (courses has 30 rows)


# --- Measuring ---------------------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def ms(values: list[float]) -> str:
    if not values:
        return f"{'-':>9}{'-':>10}"
    return f"{statistics.median(values) * 1000:7.1f} ms {pct(values, 95) * 1000:6.1f} ms"


class QueryLog:
    """Statements the app sends to the database while active (for query counts and EXPLAIN)."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._before)


def time_my_courses(client, user_ids: list[int], repeat: int) -> list[float]:
    """Seconds per GET /me/courses: `repeat` times for each learner (a learner logged in once)."""
    times = []
    for user_id in user_ids:
        login(client, user_id)
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get("/me/courses")
            times.append(time.perf_counter() - t0)
            if response.status_code != 200 or b"course-card" not in response.data:
                raise SystemExit(f"/me/courses for user {user_id} answered {response.status_code}")
    return times


# --- EXPLAIN -----------------------------------------------------------------------------------------------------

def explain(conn, statements, verbose: bool) -> list[str]:
    """EXPLAIN ANALYZE each captured statement (writes inside a rolled-back transaction; inserts not executed)."""
    lines = []
    for statement, params in statements:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "INSERT", "DELETE", "WITH"):
            continue
        options = "ANALYZE, BUFFERS" if verb != "INSERT" else "COSTS"
        with conn.transaction(force_rollback=True):
            plan = [r[0] for r in conn.execute(f"EXPLAIN ({options}) {statement}", params or None)]
        first = " ".join(statement.split())[:110]
        seq = sorted({p.split("Seq Scan on ")[1].split()[0] for p in plan if "Seq Scan on " in p} & BIG_TABLES)
        timing = next((p for p in plan if p.startswith("Execution Time")), "not executed")
        lines.append(f"  {timing:<28} {'SEQ SCAN on ' + ','.join(seq) if seq else 'no big seq scan':<20} {first}")
        if verbose:
            lines.append("    " + statement.strip().replace("\n", "\n    "))
            lines.extend("      " + p for p in plan)
    return lines


# --- Main --------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="leave the database and its data in place")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply firms, learners and progress rows")
    parser.add_argument("--courses", type=int, default=30)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--progress", type=int, default=1_500_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=25, help="the run of writers on their own learners")
    parser.add_argument("--contention-seconds", type=float, default=10, help="each run on shared learners")
    parser.add_argument("--explain", action="store_true", help="print the full EXPLAIN ANALYZE plans")
    args = parser.parse_args()

    import psycopg
    from sqlalchemy.engine import make_url
    from werkzeug.security import generate_password_hash

    if "bench" not in (make_url(args.database_url).database or "") and not args.force:
        parser.error("the database name must contain 'bench' (its schema is dropped); use --force to override")
    created = ensure_database(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="cw-learning-"))
    cfg = {"url": args.database_url, "instance": str(tmp / "instance"), "courses": str(tmp / "courses"),
           "media": str(tmp / "media")}
    app = build_app(cfg)
    from courseware.content.importer import import_packages
    from courseware.extensions import db

    conn = None
    started = time.perf_counter()
    try:
        make_courses(Path(cfg["courses"]), args.courses)
        with app.app_context():
            db.drop_all()
            db.create_all()
            t0 = time.perf_counter()
            report = import_packages(None)
            db.session.commit()
            import_s = time.perf_counter() - t0
        print(f"imported {len(report.new)} courses ({len(report.refused)} refused) in {import_s:.1f} s; generating:")
        conn = psycopg.connect(libpq_url(args.database_url))
        t0 = time.perf_counter()
        generate(conn, args, generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
        gen_s = time.perf_counter() - t0
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        status = run(app, cfg, conn, args, counts, import_s, gen_s)
        print(f"\ntotal run time {time.perf_counter() - started:.0f} s" + ("" if status == 0 else "; FAILED (see above)"))
        return status
    finally:
        if conn is not None:
            conn.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            with app.app_context():
                if created:
                    db.engine.dispose()
                    drop_database(args.database_url)
                else:
                    db.drop_all()
                    db.engine.dispose()


def run(app, cfg, conn, args, counts, import_s, gen_s) -> int:
    """Measure the three things and print the table; 1 when anything failed, was lost or was written twice."""
    from courseware.extensions import db

    subjects = pick_subjects(conn, args)
    with app.app_context():
        engine = db.engine
    mine = measure_my_courses(app, conn, engine, args, subjects)
    done = measure_completion(app, conn, engine, args, subjects)
    runs = measure_writers(cfg, conn, args, subjects)
    print_data(args, counts, import_s, gen_s)
    print_my_courses(mine)
    print_completion(done)
    print_writers(runs)
    print_plans(mine, done)
    failed = (done["service"].errors or done["routes"].errors or done["check"]["lost"]
              or any(rec.errors or check["lost"] or check["extra"] for _, rec, _, check in runs))
    return 1 if failed else 0


def pick_subjects(conn, args) -> dict:
    """Who is measured: the heaviest learner still in progress, random learners, the baseline learner, the
    learner x module pairs to complete one by one, each writer's own learners, and two shared pools."""
    def rows(sql, *params):
        return conn.execute(sql, params).fetchall()

    heavy = rows("""SELECT user_id FROM b_enrol GROUP BY user_id HAVING bool_or(NOT done AND NOT withdrawn)
                    ORDER BY sum(k) DESC, user_id LIMIT 1""")[0][0]
    many = [r[0] for r in rows("SELECT user_id FROM b_enrol GROUP BY user_id HAVING bool_or(NOT withdrawn) "
                               "ORDER BY random() LIMIT %s", args.requests)]
    baseline = rows("SELECT id FROM users WHERE email = 'baseline@bench.example'")[0][0]
    # Each pair is the module the learner picks up next ("continue where you left off"), one pair per learner.
    pairs = [tuple(p) for p in rows(
        """SELECT e.user_id, c.slug, m.key, m.tasks FROM (
               SELECT DISTINCT ON (user_id) * FROM b_enrol WHERE NOT done AND NOT withdrawn AND user_id <> ALL(%s)
               ORDER BY user_id, random()) e
           JOIN b_modules m ON m.course_id = e.course_id AND m.pos = e.k - 1
           JOIN courses c ON c.id = e.course_id ORDER BY random() LIMIT %s""", [heavy, *many], 2 * args.pairs + 1)]
    used = [heavy, *many, *(p[0] for p in pairs)]
    # Writers on their own learners go through each enrolment's remaining modules in order.
    own = rows("""SELECT e.user_id, c.slug, m.key, m.tasks FROM (
                      SELECT * FROM b_enrol WHERE NOT done AND NOT withdrawn AND user_id <> ALL(%s)
                      ORDER BY random() LIMIT %s) e
                  JOIN b_modules m ON m.course_id = e.course_id AND m.pos >= e.k - 1
                  JOIN courses c ON c.id = e.course_id ORDER BY e.user_id, e.course_id, m.pos""",
               used, int(max(args.seconds, 1) * 240))
    lists = [[tuple(p) for p in own if p[0] % args.writers == w] for w in range(args.writers)]
    used += [p[0] for p in own]
    # Two pools of 24 enrolments (about 100 modules), one per contention run; every writer works on all of it.
    shared = rows("""SELECT e.user_id, c.slug, m.key, m.tasks, e.pool FROM (
                         SELECT *, row_number() OVER (ORDER BY random()) <= 24 AS pool FROM (
                             SELECT * FROM b_enrol WHERE NOT done AND NOT withdrawn AND user_id <> ALL(%s)
                             ORDER BY random() LIMIT 48) s) e
                     JOIN b_modules m ON m.course_id = e.course_id AND m.pos >= e.k - 1
                     JOIN courses c ON c.id = e.course_id""", used)
    pools = [[tuple(p[:4]) for p in shared if p[4] == first] for first in (True, False)]
    conn.commit()
    return {"heavy": heavy, "many": many, "baseline": baseline, "pairs": pairs, "lists": lists, "pools": pools}


def measure_my_courses(app, conn, engine, args, subjects) -> dict:
    """1. GET /me/courses: the heavy learner and the baseline `requests` times each, then many learners once."""
    client = app.test_client()
    heavy, baseline = subjects["heavy"], subjects["baseline"]
    time_my_courses(client, [heavy, baseline], 10)  # warm-up
    out = {"heavy": time_my_courses(client, [heavy], args.requests),
           "many": time_my_courses(client, subjects["many"], 1),
           "baseline": time_my_courses(client, [baseline], args.requests)}
    for name, user_id in (("heavy", heavy), ("baseline", baseline)):
        login(client, user_id)
        with QueryLog(engine) as log:
            client.get("/me/courses")
        out[f"{name} queries"] = len(log.statements)
        if name == "heavy":
            out["explain"] = explain(conn, log.statements, args.explain)
    out["heavy rows"] = conn.execute(
        "SELECT (SELECT count(*) FROM enrolments WHERE user_id = %s), (SELECT count(*) FROM module_progress "
        "WHERE user_id = %s), (SELECT count(*) FROM task_checks WHERE user_id = %s)", (heavy,) * 3).fetchone()
    conn.commit()
    return out


def measure_completion(app, conn, engine, args, subjects) -> dict:
    """2. Complete one module per learner: through the services, then through the routes; EXPLAIN one more."""
    from courseware.services import catalogue

    pairs, n = subjects["pairs"], args.pairs
    before = high_water(conn)
    conn.commit()
    service, routes = Record(), Record()
    for user_id, slug, key, tasks in pairs[:n]:
        complete_module(app, user_id, slug, key, tasks, service)
    with app.app_context():
        right = {(s, k): answers(catalogue.get_module(s, k), True) for _, s, k, _ in pairs[n:2 * n]}
    client = app.test_client()
    for user_id, slug, key, tasks in pairs[n:2 * n]:
        complete_via_routes(client, user_id, slug, key, tasks, right[(slug, key)], routes)
    check = verify(conn, service, before)
    with QueryLog(engine) as log:
        complete_module(app, *pairs[-1], Record())
    plans = explain(conn, log.statements, args.explain)
    conn.commit()
    return {"service": service, "routes": routes, "check": check, "explain": plans}


def measure_writers(cfg, conn, args, subjects) -> list:
    """3. Writer processes on their own learners, then on a shared pool (own tokens, then one token per form)."""
    runs = []
    w = args.writers
    for label, mode, seconds, work in (
        (f"{w} writers, own learners", "own", args.seconds, subjects["lists"]),
        (f"{w} writers, shared learners, two tabs", "tabs", args.contention_seconds, [subjects["pools"][0]] * w),
        (f"{w} writers, shared, same form twice", "same token", args.contention_seconds, [subjects["pools"][1]] * w),
    ):
        before = high_water(conn)
        conn.commit()
        rec, elapsed = run_writers(cfg, work, mode, seconds)
        check = verify(conn, rec, before)
        conn.commit()
        runs.append((label, rec, elapsed, check))
        print(f"  {label}: {len(rec.modules) / elapsed:.1f} modules/s, {len(rec.errors)} errors, "
              f"{check['lost']} lost", flush=True)
    return runs


def print_data(args, counts, import_s, gen_s) -> None:
    print("\nData (PostgreSQL)")
    for table, n in counts.items():
        print(f"  {table:<22}{n:>11,}")
    print(f"  course import         {import_s:9.1f} s   ({args.courses} packages through import_packages)")
    print(f"  data generation       {gen_s:9.1f} s")


def print_my_courses(mine) -> None:
    enrolments, progress_rows, ticks = mine["heavy rows"]
    print("\n\"Mine kurs\" (GET /me/courses)                          median       p95   queries")
    print(f"  one learner: {enrolments} enrolments, {progress_rows} progress rows, {ticks} ticks".ljust(56)
          + f"{ms(mine['heavy'])}  {mine['heavy queries']:>4}   ({len(mine['heavy'])} requests)")
    print(f"  {len(mine['many'])} different learners, 3 enrolments each".ljust(56) + ms(mine["many"])
          + "         (1 request each)")
    print("  baseline: one learner, 1 enrolment, 1 progress row".ljust(56)
          + f"{ms(mine['baseline'])}  {mine['baseline queries']:>4}   ({len(mine['baseline'])} requests)")


def print_completion(done) -> None:
    service, routes = done["service"], done["routes"]
    print("\nCompleting a module (read, tasks, quiz; one commit each)   median       p95")
    for label, rec in ((f"services, {len(service.modules)} learner x module pairs", service),
                       (f"routes (POST via test client), {len(routes.modules)} pairs", routes)):
        print(f"  {label}".ljust(56) + ms(rec.modules))
        for kind, values in rec.timings.items():
            print(f"    {kind} ({len(values)})".ljust(56) + ms(values))
    print(f"  errors: {len(service.errors) + len(routes.errors)}, lost writes (services): {done['check']['lost']}, "
          f"courses completed (services): {len(service.completions)}")
    for error in (service.errors + routes.errors)[:3]:
        print(f"    {error}")


def print_writers(runs) -> None:
    print("\nConcurrent writers (processes)             secs  modules  modules/s  attempts  courses  errors  lost  extra")
    for label, rec, elapsed, check in runs:
        print(f"  {label:<40}{elapsed:5.1f} {len(rec.modules):8} {len(rec.modules) / elapsed:10.1f} "
              f"{check['new_attempts']:9} {check['new_completions']:8} {len(rec.errors):7} {check['lost']:5} "
              f"{check['extra']:6}")
    for label, rec, _elapsed, check in runs:
        if rec.errors or check["lost"] or check["extra"]:
            print(f"  {label}: {check['detail']}; first errors: {rec.errors[:3]}")


def print_plans(mine, done) -> None:
    print("\nEXPLAIN ANALYZE, \"Mine kurs\" for the heaviest learner")
    print("\n".join(mine["explain"]))
    print("\nEXPLAIN ANALYZE, completing one module (writes rolled back; INSERTs planned only)")
    print("\n".join(done["explain"]))


if __name__ == "__main__":
    sys.exit(main())
