"""A webinar's quiz burst (issue 13 item 7): N learners submit a quiz at the same moment against a real server.

    .venv/bin/python bench/quiz_burst.py [--learners 500] [--servers waitress,gunicorn:2x4,gunicorn:4x2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench_burst] [--follow] [--keep]

The script prepares a PostgreSQL database (created if missing; its name must contain "bench") with the demo course
"Industri 4.0 for små verksteder" made public, and one group of N learners per server set-up, each with an
account of its own, enrolled, done with the modules before the quiz's module and with everything in it but the
quiz. `--quiz middle` (the default) is the quiz of the fourth of six modules, as a webinar takes the learners
through a course; `--quiz last` is the last module's, so a right answer completes the course (the completion, the
certificate, the report counts and the completion e-mail: the heaviest submission there is).

Then, per set-up, in the same run: it starts the servers as separate processes on this machine, logs every
learner in over HTTP and loads the module page (each holds its session cookie, the CSRF token and the quiz form's
one-time token), and then all N learners POST their answers at once, each on a new connection, as N browsers
would. It prints p50/p95/max latency from the common start to each response (`--follow` adds the result page the
browser is redirected to), submissions per second, errors, the server processes' CPU per submission, and checks
in the database that every submission left its attempt and completion.

Set-ups: `waitress` is `courseware run --no-worker --skip-init` (one process, 8 threads, as today on PostgreSQL);
`gunicorn:WxT` is gunicorn with W gthread workers of T threads each (`wsgi:app`). Each set-up also has one
`courseware worker` process for the outbox, as production runs it.

The load generator is this one process: asyncio with raw HTTP/1.1 on plain sockets (no client library), a few tens
of microseconds of CPU per request; its own CPU time is printed beside the servers'. On a 2-core machine it still
takes a share of the cores from the servers while the burst runs.
"""
import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
COURSE = "industri-4-0-verksted-trinn-1"
PASSWORD = "bench-password-1"
# Logging in is set-up, not what is measured: the learners share one cheap hash so that 1,500 logins take seconds.
CHEAP_HASH_METHOD = "pbkdf2:sha256:1000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- A small HTTP/1.1 client on asyncio streams ------------------------------------------------------------------

class Browser:
    """One learner's browser: a cookie jar and, for set-up, a keep-alive connection."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    def _request_bytes(self, method: str, path: str, body: bytes = b"") -> bytes:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Language: en",
                "Connection: keep-alive"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def request(self, method: str, path: str, form: dict | None = None, fresh: bool = False):
        """(status, headers, body); `fresh` opens a new connection (closing any kept one)."""
        if fresh:
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = "&".join(f"{quote(k)}={quote(v)}" for k, values in (form or {}).items()
                        for v in (values if isinstance(values, list) else [values])).encode()
        self.writer.write(self._request_bytes(method, path, body))
        status, headers, content = await read_response(self.reader)
        for name, value in headers:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val in ("", '""') or "max-age=0" in value.lower() or "1970" in value:
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val
            elif name == "connection" and value.lower() == "close":
                await self.close()
        return status, dict(headers), content


async def read_response(reader) -> tuple[int, list[tuple[str, str]], bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split()[1])
    headers = []
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    lookup = dict(headers)
    if lookup.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while (size := int((await reader.readline()).split(b";")[0], 16)):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return status, headers, b"".join(parts)
    return status, headers, await reader.readexactly(int(lookup.get("content-length", 0)))


def field(html: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


# --- Servers --------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, procs, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"a server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


def split_setup(setup: str) -> tuple[str, Path]:
    """("waitress" or "gunicorn:WxT", the checkout whose code it serves: this one unless "@PATH" follows)."""
    kind, _, code = setup.partition("@")
    return kind, Path(code).resolve() if code else REPO


def start_setup(setup: str, env: dict, port: int, log) -> list[subprocess.Popen]:
    """The processes of one set-up: the app server(s) and one outbox worker."""
    setup, code = split_setup(setup)
    env = {**env, "PYTHONPATH": str(code)}
    courseware = [sys.executable, "-c", "from courseware.cli import main; main()"]
    if setup == "waitress":
        server = [*courseware, "run", "--skip-init", "--no-worker", "--port", str(port), "--threads", "8"]
    else:
        workers, threads = (int(n) for n in setup.split(":", 1)[1].split("x"))
        server = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                  "--threads", str(threads), "--worker-class", "gthread", "--backlog", "2048", "wsgi:app"]
    procs = [subprocess.Popen(server, cwd=code, env=env, stdout=log, stderr=log, start_new_session=True),
             subprocess.Popen([*courseware, "worker"], cwd=code, env=env, stdout=log, stderr=log,
                              start_new_session=True)]
    wait_for_port(port, procs)
    return procs


def stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_pids(procs) -> list[int]:
    """The app server and its children (gunicorn's workers), not the outbox worker."""
    pids = [procs[0].pid]
    children = Path(f"/proc/{procs[0].pid}/task/{procs[0].pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def database_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the bench's database (the server runs on this machine)."""
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    with psycopg.connect(parts.geturl(), autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]


def cpu_of(pids) -> dict[int, float]:
    """User + system CPU seconds of each process, from /proc (those gone are left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, PermissionError):
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- The database ---------------------------------------------------------------------------------------------------

def prepare_database(url: str, force: bool) -> bool:
    """Create the database if missing (True when this run created it); refuse names without "bench"."""
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    name = parts.path.lstrip("/")
    if "bench" not in name and not force:
        raise SystemExit(f"refusing to use database {name!r}: its name must contain 'bench' (--force overrides)")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            created = False
        else:
            created = True
        conn.execute(f'CREATE DATABASE "{name}"')
    return created


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def quiz_position(outline: list, which: str) -> int:
    return len(outline) - 1 if which == "last" else len(outline) // 2


def make_learners(env: dict, groups, per_group: int, which: str) -> None:
    """groups × per_group learners, enrolled in the course, done with everything before the quiz (see --quiz)."""
    os.environ.update(env)
    from sqlalchemy import insert, or_, select, update
    from werkzeug.security import generate_password_hash

    from courseware import create_app
    from courseware.extensions import db
    from courseware.models import ModuleProgress, OutboxMessage, TaskCheck, User, utcnow
    from courseware.services import catalogue, enrolment

    app = create_app()
    with app.app_context():
        now = utcnow()
        hashed = generate_password_hash(PASSWORD, method=CHEAP_HASH_METHOD)
        db.session.execute(insert(User), [
            {"email": f"burst{g}-{i}@example.no", "name": f"Deltaker {g}-{i}", "password_hash": hashed,
             "role": "learner", "email_verified_at": now, "locale": "en"}
            for g in groups for i in range(per_group)])
        db.session.commit()
        users = db.session.scalars(select(User).where(
            or_(*(User.email.like(f"burst{g}-%") for g in groups)))).all()
        course = catalogue.get_course(COURSE)
        outline = course.current_version.outline
        for user in users:  # through the service, so the report counts are what the app keeps
            enrolment.enrol(user, course, now=now)
        db.session.flush()
        progress, ticks = [], []
        position = quiz_position(outline, which)
        for user in users:
            for n, entry in enumerate(outline[:position + 1]):
                here = n == position
                progress.append({"user_id": user.id, "course_id": course.id, "module_key": entry["key"],
                                 "read_at": now, "quiz_passed_at": None if here else now,
                                 "best_score": None if here else 1.0, "updated_at": now})
                ticks += [{"user_id": user.id, "course_id": course.id, "module_key": entry["key"],
                           "task_index": t, "checked_at": now} for t in range(int(entry.get("tasks") or 0))]
        db.session.execute(insert(ModuleProgress), progress)
        db.session.execute(insert(TaskCheck), ticks)
        db.session.execute(update(OutboxMessage).values(status="sent", sent_at=now))  # the enrolment mails
        db.session.commit()


def module_and_answers(env: dict, which: str) -> tuple[str, dict]:
    """The quiz's module key and its right answers as the form names them."""
    os.environ.update(env)
    from courseware import create_app
    from courseware.services import catalogue
    from courseware.services.quiz import choice_id

    app = create_app()
    with app.app_context():
        outline = catalogue.get_course(COURSE).current_version.outline
        module = catalogue.get_module(COURSE, outline[quiz_position(outline, which)]["key"])
        answers = {f"q{i}": [choice_id(module.key, i, text) for text in q["correct"]]
                   for i, q in enumerate(module.quiz["questions"])}
        return module.key, answers


def count_results(env: dict, group: int) -> tuple[int, int, int]:
    """(attempts, passed attempts, completions) of one group's learners."""
    os.environ.update(env)
    from sqlalchemy import func, select

    from courseware import create_app
    from courseware.extensions import db
    from courseware.models import Completion, QuizAttempt, User

    app = create_app()
    with app.app_context():
        ids = select(User.id).where(User.email.like(f"burst{group}-%"))
        attempts = db.session.scalar(select(func.count()).where(QuizAttempt.user_id.in_(ids)))
        passed = db.session.scalar(select(func.count()).where(QuizAttempt.user_id.in_(ids), QuizAttempt.passed))
        done = db.session.scalar(select(func.count()).where(Completion.user_id.in_(ids)))
        return attempts, passed, done


# --- The burst ------------------------------------------------------------------------------------------------------

async def prepare_browsers(port: int, group: int, n: int, key: str, parallel: int) -> list[tuple[Browser, dict]]:
    """Log every learner in and load the module page; (browser, the quiz form's fields) per learner."""
    module_path = f"/courses/{COURSE}/{key}"
    limit = asyncio.Semaphore(parallel)

    async def one(i: int):
        async with limit:
            browser = Browser("127.0.0.1", port)
            status, _h, body = await browser.request("GET", "/auth/login")
            csrf = field(body.decode(), "csrf_token")
            status, headers, _b = await browser.request("POST", "/auth/login", {
                "csrf_token": csrf, "email": f"burst{group}-{i}@example.no", "password": PASSWORD})
            if status != 302:
                raise SystemExit(f"login failed for learner {group}-{i}: {status}")
            status, _h, body = await browser.request("GET", module_path)
            html = body.decode()
            form = {"csrf_token": field(html, "csrf_token"), "token": field(html, "token")}
            if not all(form.values()):
                raise SystemExit(f"no quiz form for learner {group}-{i} ({status})")
            await browser.close()
            return browser, form

    return await asyncio.gather(*(one(i) for i in range(n)))


async def burst(browsers, key: str, answers: dict, follow: bool, timeout: float):
    """Every learner submits at the same moment; (latencies of the successes, errors, seconds to the last one)."""
    path = f"/me/courses/{COURSE}/{key}/quiz"
    start = asyncio.Event()
    t0 = 0.0

    async def one(browser: Browser, form: dict):
        await start.wait()
        try:
            status, headers, _b = await asyncio.wait_for(
                browser.request("POST", path, {**form, **answers}, fresh=True), timeout)
            location = headers.get("location", "")
            if status != 302 or "/quiz/" not in location:
                return None, f"{status} -> {location or '(no redirect)'}"
            if follow:
                status, _h, _b = await asyncio.wait_for(browser.request("GET", urlsplit(location).path), timeout)
                if status != 200:
                    return None, f"result page {status}"
            return time.perf_counter() - t0, None
        except (OSError, asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError) as error:
            return None, type(error).__name__
        finally:
            await browser.close()

    tasks = [asyncio.create_task(one(b, f)) for b, f in browsers]
    await asyncio.sleep(0.2)  # every task is waiting on the event
    t0 = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    return [r for r, e in results if e is None], [e for r, e in results if e is not None], elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run_setup(setup: str, group: int, args, env: dict, key: str, answers: dict, log) -> dict:
    port = free_port()
    procs = start_setup(setup, env, port, log)
    try:
        browsers = asyncio.run(prepare_browsers(port, group, args.learners, key, parallel=8))
        time.sleep(1)  # let the set-up's after-response work settle
        load = os.getloadavg()[0]
        servers0, database0 = cpu_of(server_pids(procs)), cpu_of(database_pids(args.database_url))
        client0 = time.process_time()
        ok, errors, elapsed = asyncio.run(burst(browsers, key, answers, args.follow, args.timeout))
        time.sleep(0.5)  # mail after the last responses
        server_cpu = cpu_used(servers0, cpu_of(server_pids(procs)))
        database_cpu = cpu_used(database0, cpu_of(database_pids(args.database_url)))
        client = time.process_time() - client0
    finally:
        stop(procs)
    attempts, passed, done = count_results(env, group)
    return {"setup": setup, "ok": len(ok), "errors": errors, "elapsed": elapsed, "latencies": ok,
            "server_cpu": server_cpu, "database_cpu": database_cpu, "client_cpu": client, "load": load,
            "attempts": attempts, "passed": passed, "completions": done}


def describe(setup: str) -> str:
    kind, code = split_setup(setup)
    other = "" if code == REPO else f" ({code.name})"
    if kind == "waitress":
        return f"waitress 1×8{other}"
    workers, threads = kind.split(":", 1)[1].split("x")
    return f"gunicorn {workers}×{threads}{other}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--servers", default="waitress,gunicorn:2x4,gunicorn:4x2",
                        help="comma-separated set-ups: waitress, gunicorn:WORKERSxTHREADS; @PATH after one serves "
                             "the code of another checkout (a baseline)")
    parser.add_argument("--rounds", type=int, default=1, help="run every set-up this many times, alternating")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench_burst")
    parser.add_argument("--quiz", choices=("middle", "last"), default="middle",
                        help="the quiz of a module in the middle, or of the last module (completes the course)")
    parser.add_argument("--follow", action="store_true", help="include the result page the POST redirects to")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a submission counts as failed")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary folder")
    parser.add_argument("--force", action="store_true", help="allow a database name without 'bench'")
    args = parser.parse_args()
    setups = [s.strip() for s in args.servers.split(",") if s.strip()]
    for setup in setups:
        kind, code = split_setup(setup)
        if kind != "waitress" and not re.fullmatch(r"gunicorn:\d+x\d+", kind):
            raise SystemExit(f"unknown set-up {setup!r}")
        if not (code / "wsgi.py").exists():
            raise SystemExit(f"no checkout of Courseware at {code}")
    runs = [setup for _round in range(args.rounds) for setup in setups]

    created = prepare_database(args.database_url, args.force)
    tmp = Path(tempfile.mkdtemp(prefix="quiz-burst-"))
    courses = tmp / "courses"
    shutil.copytree(REPO / "courses" / COURSE, courses / COURSE)
    toml = courses / COURSE / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('audience = "firms"', 'audience = "public"'),
                    encoding="utf-8")
    env = {**os.environ, "COURSEWARE_DATABASE_URL": args.database_url, "COURSEWARE_INSTANCE_PATH": str(tmp / "instance"),
           "COURSEWARE_COURSES_DIR": str(courses), "COURSEWARE_SECRET_KEY": "quiz-burst-bench-secret-key-0123456789",
           "COURSEWARE_BASE_URL": "http://127.0.0.1:5000", "PYTHONPATH": str(REPO)}
    for name in ("COURSEWARE_SMTP_HOST", "COURSEWARE_REDIS_URL"):
        env.pop(name, None)  # mail goes to the log; each process keeps its own (login) rate limits
    log_path = tmp / "servers.log"
    try:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from courseware.cli import main; main()", "init"], cwd=REPO, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        make_learners(env, range(len(runs)), args.learners, args.quiz)
        key, answers = module_and_answers(env, args.quiz)
        print(f"Prepared {len(runs)} × {args.learners} learners in {time.perf_counter() - t:.1f} s "
              f"(course {COURSE}, quiz of module {key!r}, {len(answers)} questions"
              + ("; a right answer completes the course)" if args.quiz == "last" else ")"))
        print(f"Load {os.getloadavg()[0]:.2f} before the runs; {os.cpu_count()} cores")
        results = []
        with open(log_path, "ab") as log:
            for group, setup in enumerate(runs):
                results.append(run_setup(setup, group, args, env, key, answers, log))
                r = results[-1]
                print(f"  {describe(setup)}: {r['ok']} ok, {len(r['errors'])} errors in {r['elapsed']:.2f} s "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
        print_table(results, args)
    finally:
        if args.keep:
            print(f"Kept the database and {tmp} (server log: {log_path})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if created:
                drop_database(args.database_url)
    expected = args.learners if args.quiz == "last" else 0
    if any(r["errors"] or r["passed"] != args.learners or r["completions"] != expected for r in results):
        sys.exit(1)


def print_table(results: list[dict], args) -> None:
    what = "POST and the result page" if args.follow else "the POST"
    print(f"\n{args.learners} learners submit the {args.quiz} module's quiz at once (latency: {what}, from the common start)\n")
    head = ["", *(describe(r["setup"]) for r in results)]
    rows = [
        ("p50", [f"{statistics.median(r['latencies']):.2f} s" if r["latencies"] else "-" for r in results]),
        ("p95", [f"{percentile(r['latencies'], 95):.2f} s" if r["latencies"] else "-" for r in results]),
        ("max", [f"{max(r['latencies']):.2f} s" if r["latencies"] else "-" for r in results]),
        ("submissions/s", [f"{r['ok'] / r['elapsed']:.0f}" for r in results]),
        ("errors", [str(len(r["errors"])) for r in results]),
        ("app CPU per submission", [f"{1000 * r['server_cpu'] / max(r['ok'], 1):.1f} ms" for r in results]),
        ("database CPU per submission", [f"{1000 * r['database_cpu'] / max(r['ok'], 1):.1f} ms" for r in results]),
        ("load average before", [f"{r['load']:.2f}" for r in results]),
        ("load generator CPU", [f"{r['client_cpu']:.2f} s" for r in results]),
        ("attempts / passed / completions", [f"{r['attempts']} / {r['passed']} / {r['completions']}"
                                             for r in results]),
    ]
    widths = [max(len(x) for x in [head[0]] + [row[0] for row in rows])]
    widths += [max(len(head[i + 1]), *(len(row[1][i]) for row in rows)) for i in range(len(results))]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for label, cells in rows:
        print("  ".join([label.ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells, widths[1:])]))
    for r in results:
        if r["errors"]:
            kinds = {}
            for e in r["errors"]:
                kinds[e] = kinds.get(e, 0) + 1
            print(f"errors with {describe(r['setup'])}: {kinds}")


if __name__ == "__main__":
    main()
