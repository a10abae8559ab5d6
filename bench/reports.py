"""Benchmark for the funder dashboard (issue 10), on PostgreSQL.

Builds the learning data set of bench/learning_data.py (30 courses; 10,000 firms, 100,000 learners, 300,000
enrolments, 1.5 million progress rows at --scale 1) twice in one run, first at a tenth of --scale and then at
--scale, fills the reports' counts with `rebuild` (timed), and measures GET /reports/ as a funder through the test
client (the server's whole work: filters, queries, suppression, the template) for the unfiltered view and three
filtered ones. Prints the median and p95 of each view at both sizes and their ratio.

    .venv/bin/python bench/reports.py [--database-url URL] [--scale 1.0] [--requests 30] [--keep]

Targets (issue 10): each view under 150 ms, and the full data within 1.5x of the tenth.
The database named in the URL is created when missing and its schema dropped and recreated (the name must contain
"bench" unless --force); it is dropped at the end unless --keep.
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learning_data import (  # noqa: E402
    PASSWORD, build_app, drop_database, ensure_database, generate, libpq_url, make_courses,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench_reports"
VIEWS = [
    ("unfiltered", {}),
    ("municipality 5001", {"municipality": "5001"}),
    ("industry C, first half", {"industry": "C", "start": "{first}", "end": "{middle}"}),
    ("one course, 5001, G", {"course": "bench-kurs-003", "municipality": "5001", "industry": "G"}),
]
# After the generator: 60 % of firms found in the register (the rest typed in by hand: unverified), every
# enrolment counted for its learner's firm (the generator predates Enrolment.firm_id).
PREPARE = [
    "UPDATE firms SET source = 'brreg' WHERE mod(id, 5) < 3",
    "UPDATE enrolments e SET firm_id = u.firm_id FROM users u WHERE u.id = e.user_id",
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def build(app, cfg, args, scale: float) -> dict:
    """Fresh schema, the 30 courses and the generated rows at `scale`; then the counts rebuilt. Timings and sizes."""
    import psycopg
    from werkzeug.security import generate_password_hash

    from courseware.content.importer import import_packages
    from courseware.extensions import db
    from courseware.services.rollups import rebuild

    with app.app_context():
        db.drop_all()
        db.create_all()
        import_packages(None)
        db.session.commit()
    gen_args = argparse.Namespace(firms=args.firms, learners=args.learners, progress=args.progress,
                                  courses=args.courses, scale=scale)
    with psycopg.connect(libpq_url(args.database_url)) as conn:
        t0 = time.perf_counter()
        generate(conn, gen_args, generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
        for statement in PREPARE:
            conn.execute(statement)
        conn.commit()
        generated = time.perf_counter() - t0
    with app.app_context():
        t0 = time.perf_counter()
        rows = rebuild()
        db.session.commit()
        rebuilt = time.perf_counter() - t0
    with psycopg.connect(libpq_url(args.database_url), autocommit=True) as conn:
        for table in ("report_rollups", "report_cubes", "enrolments", "firms", "courses", "course_versions"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        sizes = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("firms", "users", "enrolments", "module_progress", "completions", "report_rollups",
                           "report_cubes")}
        months = conn.execute("SELECT min(month), max(month) FROM report_rollups").fetchone()
    return {"generated": generated, "rebuilt": rebuilt, "rollups": rows, "sizes": sizes, "months": months}


def measure(app, args, months) -> dict:
    """Median and p95 seconds per view, and the figures (to show both sizes answered)."""
    from courseware.extensions import db
    from courseware.services.accounts import create_user
    from courseware.services.logins import start_login

    first, last = months
    index = lambda m: int(m[:4]) * 12 + int(m[5:]) - 1  # noqa: E731
    half = (index(first) + index(last)) // 2
    middle = f"{half // 12:04d}-{half % 12 + 1:02d}"
    client = app.test_client()
    with app.app_context():
        funder = create_user(email="funder@bench.example", name="Funder", password=PASSWORD, role="funder")
        start_login(funder)
        db.session.commit()
        user_id = funder.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
    results = {}
    for name, view in VIEWS:
        query = {k: v.format(first=first, middle=middle) for k, v in view.items()}
        for _ in range(3):  # warm-up
            response = client.get("/reports/", query_string=query)
            if response.status_code != 200:
                raise SystemExit(f"/reports/ {query} answered {response.status_code}")
        times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get("/reports/", query_string=query)
            times.append(time.perf_counter() - t0)
        html = response.get_data(as_text=True)
        enrolments = html.split('data-key="enrolments" data-value="', 1)[1].split('"', 1)[0]
        results[name] = {"median": statistics.median(times), "p95": pct(times, 95), "enrolments": enrolments}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    parser.add_argument("--scale", type=float, default=1.0, help="the full size; the small one is a tenth of it")
    parser.add_argument("--courses", type=int, default=30)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--progress", type=int, default=1_500_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    from sqlalchemy.engine import make_url

    if "bench" not in (make_url(args.database_url).database or "") and not args.force:
        parser.error("the database name must contain 'bench' (its schema is dropped); use --force to override")
    created = ensure_database(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="cw-reports-"))
    cfg = {"url": args.database_url, "instance": str(tmp / "instance"), "courses": str(tmp / "courses"),
           "media": str(tmp / "media")}
    app = build_app(cfg)
    started = time.perf_counter()
    runs = {}
    try:
        make_courses(Path(cfg["courses"]), args.courses)
        for label, scale in (("tenth", args.scale / 10), ("full", args.scale)):
            print(f"building the {label} data set (scale {scale:g}) ...", flush=True)
            data = build(app, cfg, args, scale)
            runs[label] = (data, measure(app, args, data["months"]))
        report(runs, args)
        print(f"\ntotal run time {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            from courseware.extensions import db

            with app.app_context():
                db.engine.dispose()
                if created:
                    drop_database(args.database_url)
                else:
                    db.drop_all()


def report(runs: dict, args) -> None:
    tenth, full = runs["tenth"], runs["full"]
    print("\nData                      tenth        full")
    for table in tenth[0]["sizes"]:
        print(f"  {table:<20}{tenth[0]['sizes'][table]:>11,}{full[0]['sizes'][table]:>12,}")
    print(f"  {'generate (s)':<20}{tenth[0]['generated']:>11.1f}{full[0]['generated']:>12.1f}")
    print(f"  {'rebuild counts (s)':<20}{tenth[0]['rebuilt']:>11.1f}{full[0]['rebuilt']:>12.1f}")
    print(f"\nGET /reports/ as a funder, {args.requests} requests each: median (p95)"
          "          target: < 150 ms, ratio <= 1.5")
    print(f"  {'view':<22}{'tenth':>20}{'full':>20}{'ratio':>8}   enrolments shown (tenth / full)")
    for name, _ in VIEWS:
        a, b = tenth[1][name], full[1][name]
        print(f"  {name:<22}{a['median'] * 1000:>9.1f} ms ({a['p95'] * 1000:5.1f}){b['median'] * 1000:>9.1f} ms "
              f"({b['p95'] * 1000:5.1f}){b['median'] / a['median']:>8.2f}   {a['enrolments']} / {b['enrolments']}")


if __name__ == "__main__":
    sys.exit(main())
