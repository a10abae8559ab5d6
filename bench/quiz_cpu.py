"""CPU and statements of one quiz submission, in-process (issue 13 item 7): the Flask test client POSTs the quiz of
`--learners` learners one after another against PostgreSQL, as quiz_burst.py's learners do over HTTP.

    .venv/bin/python bench/quiz_cpu.py [--learners 200] [--baseline PATH] [--profile] [--rounds 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench_quizcpu]

Prints, for the middle module's quiz and for the last one's (which completes the course), the process CPU time
per submission, the wall time and the SQL statements per submission (SAVEPOINT and RELEASE included: each is a
round trip). `--baseline PATH` measures another checkout's code (e.g. `git archive <commit> | tar -x -C PATH`) in the
same run, alternating with this one; `--profile` prints cProfile's top functions for this checkout (CPU time, by cumulative and by own time).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))


def measure(env: dict, group: int, learners: int, which: str, profile: bool) -> dict:
    """In a subprocess whose sys.path starts with the code to measure: log in, load the page, POST the quiz."""
    import quiz_burst as qb

    from courseware import create_app
    from courseware.extensions import db
    from sqlalchemy import event

    import courseware

    assert Path(courseware.__file__).resolve().parent.parent == Path(os.environ["QUIZ_CPU_CODE"]).resolve()
    key, answers = qb.module_and_answers(env, which)
    app = create_app()
    clients = []
    for i in range(learners):
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
        response = client.post("/auth/login", data={"csrf_token": csrf, "email": f"burst{group}-{i}@example.no",
                                                    "password": qb.PASSWORD})
        assert response.status_code == 302, response.status_code
        page = client.get(f"/courses/{qb.COURSE}/{key}").get_data(as_text=True)
        form = {n: re.search(rf'name="{n}" value="([^"]*)"', page).group(1) for n in ("csrf_token", "token")}
        clients.append((client, {**form, **answers}))
    path = f"/me/courses/{qb.COURSE}/{key}/quiz"
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def run():
        for client, form in clients:
            response = client.post(path, data=form)
            assert response.status_code == 302 and "/quiz/" in response.headers["Location"], response.status_code

    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)  # CPU time: a wait for PostgreSQL is not the app's work
        profiler.runcall(run)
        if os.environ.get("QUIZ_CPU_PSTATS"):  # a file for pstats' own browser (python -m pstats FILE)
            profiler.dump_stats(f"{os.environ['QUIZ_CPU_PSTATS']}.{which}")
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(40)
    else:
        run()
    return {"cpu": (time.process_time() - cpu) / learners, "wall": (time.perf_counter() - wall) / learners,
            "statements": len(statements) / learners}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", help="another checkout to measure beside this one")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench_quizcpu")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: group,learners,which,profile
    args = parser.parse_args()
    if args.measure:
        group, learners, which, profile = args.measure.split(",")
        import quiz_burst  # noqa: F401  (it puts this checkout on sys.path: the code measured must come first)

        sys.path.insert(0, os.environ["QUIZ_CPU_CODE"])
        print(json.dumps(measure(dict(os.environ), int(group), int(learners), which, profile == "1")))
        return

    import quiz_burst as qb

    codes = [("this checkout", REPO)] + ([("baseline", Path(args.baseline).resolve())] if args.baseline else [])
    created = qb.prepare_database(args.database_url, force=False)
    tmp = Path(tempfile.mkdtemp(prefix="quiz-cpu-"))
    courses = tmp / "courses"
    shutil.copytree(REPO / "courses" / qb.COURSE, courses / qb.COURSE)
    toml = courses / qb.COURSE / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('audience = "firms"', 'audience = "public"'),
                    encoding="utf-8")
    env = {**os.environ, "COURSEWARE_DATABASE_URL": args.database_url, "COURSEWARE_INSTANCE_PATH": str(tmp / "instance"),
           "COURSEWARE_COURSES_DIR": str(courses), "COURSEWARE_SECRET_KEY": "quiz-cpu-bench-secret-key-0123456789",
           "COURSEWARE_BASE_URL": "http://127.0.0.1:5000"}
    env.pop("COURSEWARE_REDIS_URL", None)
    try:
        subprocess.run([sys.executable, "-c", "from courseware.cli import main; main()", "init"], cwd=REPO, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs = [(which, name, code) for _round in range(args.rounds) for which in ("middle", "last")
                for name, code in codes]
        for which in ("middle", "last"):
            groups = [g for g, run in enumerate(runs) if run[0] == which]
            qb.make_learners(env, groups, args.learners, which)
        print(f"{args.learners} submissions per measurement, in-process (Flask test client), PostgreSQL; "
              f"load {os.getloadavg()[0]:.2f}\n")
        print(f"{'quiz':<8} {'code':<15} {'CPU/submission':>15} {'wall':>9} {'statements':>11}")
        for group, (which, name, code) in enumerate(runs):
            profile = "1" if args.profile and code == REPO and group < 2 * len(codes) else "0"
            out = subprocess.run(
                [sys.executable, __file__, "--measure", f"{group},{args.learners},{which},{profile}"],
                env={**env, "QUIZ_CPU_CODE": str(code), "PYTHONPATH": str(code)}, cwd=code, check=True,
                stdout=subprocess.PIPE, stderr=None if profile == "1" else subprocess.DEVNULL, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{which:<8} {name:<15} {1000 * r['cpu']:>12.2f} ms {1000 * r['wall']:>6.2f} ms "
                  f"{r['statements']:>11.1f}", flush=True)
        print(f"\nload {os.getloadavg()[0]:.2f} at the end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            qb.drop_database(args.database_url)


if __name__ == "__main__":
    main()
