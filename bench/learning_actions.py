"""Learner actions for bench/learning_scale.py: complete modules as requests would, in one process or in
several writer processes, and check afterwards that every reported write is in the database exactly once."""
import hashlib
import multiprocessing as mp
import random
import time
from dataclasses import dataclass, field

from learning_data import build_app


def login(client, user_id: int) -> None:
    """Log the test client in as `user_id` through Flask-Login's session keys, on a fresh session.

    Clearing matters: the bench does not follow the redirects that would show (and pop) the flashed messages, so
    they would otherwise pile up in the session cookie and make every later request slower.
    """
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True


@dataclass
class Record:
    """What one writer's actions reported, to be checked against the database afterwards."""

    reads: list = field(default_factory=list)        # (user, course, key)
    ticks: list = field(default_factory=list)        # (user, course, key, index)
    attempts: list = field(default_factory=list)     # (attempt id, passed, user, course, key)
    completions: list = field(default_factory=list)  # (user, course): this action completed the course
    timings: dict = field(default_factory=dict)      # action -> [seconds]
    modules: list = field(default_factory=list)      # seconds per completed module
    errors: list = field(default_factory=list)

    def merge(self, other: "Record") -> None:
        for name in ("reads", "ticks", "attempts", "completions", "modules", "errors"):
            getattr(self, name).extend(getattr(other, name))
        for kind, values in other.timings.items():
            self.timings.setdefault(kind, []).extend(values)


def answers(module, right: bool) -> dict[int, list[str]]:
    from courseware.services.quiz import choice_id

    return {i: [choice_id(module.key, i, t) for t in (q["correct"] if right else q["wrong"][:1])]
            for i, q in enumerate(module.quiz["questions"])}


def run_action(app, user_id: int, slug: str, key: str, kind: str, action, rec: Record) -> dict:
    """One action as a request runs it: fresh session, load user and module, call the service, commit, mail."""
    from courseware.extensions import db
    from courseware.models import User
    from courseware.services import catalogue, outbox

    t0 = time.perf_counter()
    with app.app_context():
        user = db.session.get(User, user_id)
        module = catalogue.get_module(slug, key)
        course_id = module.version.course_id
        result = action(user, module)
        attempt = (result.attempt.id, result.attempt.passed) if result.attempt is not None else None
        completed = result.completion is not None
        db.session.commit()
        outbox.deliver()
    rec.timings.setdefault(kind, []).append(time.perf_counter() - t0)
    if completed:
        rec.completions.append((user_id, course_id))
    return {"course_id": course_id, "attempt": attempt}


def complete_module(app, user_id, slug, key, tasks, rec: Record, token: str | None = None, fail_first=False):
    """Read, tick every task and pass the quiz of one module (one commit per action); False on an error."""
    from courseware.services import learning, quiz

    t0 = time.perf_counter()
    try:
        course_id = run_action(app, user_id, slug, key, "mark_read", learning.mark_read, rec)["course_id"]
        rec.reads.append((user_id, course_id, key))
        for i in range(tasks):
            run_action(app, user_id, slug, key, "set_task", lambda u, m, i=i: learning.set_task(u, m, i, True), rec)
            rec.ticks.append((user_id, course_id, key, i))
        tries = [False, True] if fail_first else [True]
        for right in tries:
            submit = lambda u, m, r=right: learning.submit_quiz(  # noqa: E731
                u, m, answers(m, r), token if r and token else quiz.new_token())
            attempt = run_action(app, user_id, slug, key, "submit_quiz", submit, rec)["attempt"]
            rec.attempts.append((attempt[0], attempt[1], user_id, course_id, key))
    except Exception as error:  # every failure is counted and shown, none stops the run
        rec.errors.append(f"{type(error).__name__}: {error}"[:300])
        return False
    rec.modules.append(time.perf_counter() - t0)
    return True


def complete_via_routes(client, user_id, slug, key, tasks, right: dict, rec: Record) -> None:
    """The same through the real routes: POST read, each task, and the quiz, each answered by a redirect."""
    from courseware.services import quiz

    login(client, user_id)
    base = f"/me/courses/{slug}/{key}"
    steps = [("read", f"{base}/read", {})] + [("task", f"{base}/tasks/{i}", {"done": "1"}) for i in range(tasks)]
    steps.append(("quiz", f"{base}/quiz", {**{f"q{i}": ids for i, ids in right.items()}, "token": quiz.new_token()}))
    t0 = time.perf_counter()
    for kind, path, data in steps:
        t1 = time.perf_counter()
        response = client.post(path, data=data)
        rec.timings.setdefault(f"POST {kind}", []).append(time.perf_counter() - t1)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or (kind == "quiz" and "/quiz/" not in location):
            rec.errors.append(f"POST {path}: {response.status_code} -> {location}")
            return
    rec.modules.append(time.perf_counter() - t0)


def writer(index, cfg, work, mode, seconds, go, start_at, results):
    """One writer process: complete modules from `work` until the time is up (repeating it when shared)."""
    app = build_app(cfg)
    from sqlalchemy import text

    from courseware.extensions import db

    with app.app_context():
        db.session.execute(text("SELECT 1"))
    results.put(("ready", index, None))
    go.wait()
    deadline = start_at.value + seconds
    rng = random.Random(index)
    rec = Record()
    while time.time() < deadline:
        order = work if mode == "own" else rng.sample(work, len(work))
        for user_id, slug, key, tasks in order:
            if time.time() >= deadline:
                break
            # "same token": every writer submits the module's one form (a double submit across servers).
            token = hashlib.md5(f"{user_id}/{slug}/{key}".encode()).hexdigest() if mode == "same token" else None
            complete_module(app, user_id, slug, key, tasks, rec, token=token,
                            fail_first=mode == "own" and rng.random() < 0.2)
        if mode == "own":
            break
    rec.timings = {}
    results.put(("done", index, rec))


def run_writers(cfg, lists, mode: str, seconds: float) -> tuple[Record, float]:
    """Start one writer process per work list, release them together, and merge what they report."""
    ctx = mp.get_context("spawn")
    results, go, start_at = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=writer, args=(i, cfg, work, mode, seconds, go, start_at, results))
             for i, work in enumerate(lists)]
    for p in procs:
        p.start()
    for _ in procs:
        results.get(timeout=120)
    start_at.value = time.time()
    go.set()
    total = Record()
    for _ in procs:
        total.merge(results.get(timeout=seconds + 300)[2])
    elapsed = time.time() - start_at.value
    for p in procs:
        p.join()
    return total, elapsed


def verify(conn, rec: Record, before: dict) -> dict:
    """Count reported writes missing from the database, and rows nobody reported (exactly once)."""
    def count(sql, *params):
        return conn.execute(sql, params).fetchone()[0]

    u, c, k = (list(x) for x in zip(*rec.reads)) if rec.reads else ([], [], [])
    out = {"reads": count("""SELECT count(*) FROM unnest(%s::int[], %s::int[], %s::text[]) t(u, c, k) WHERE NOT EXISTS (
        SELECT 1 FROM module_progress p WHERE p.user_id = t.u AND p.course_id = t.c AND p.module_key = t.k
        AND p.read_at IS NOT NULL)""", u, c, k)}
    u, c, k, i = (list(x) for x in zip(*rec.ticks)) if rec.ticks else ([], [], [], [])
    out["ticks"] = count("""SELECT count(*) FROM unnest(%s::int[], %s::int[], %s::text[], %s::int[]) t(u, c, k, i)
        WHERE NOT EXISTS (SELECT 1 FROM task_checks x WHERE x.user_id = t.u AND x.course_id = t.c
        AND x.module_key = t.k AND x.task_index = t.i)""", u, c, k, i)
    ids = sorted({a[0] for a in rec.attempts})
    out["attempts"] = count("SELECT count(*) FROM unnest(%s::int[]) t(id) WHERE NOT EXISTS "
                            "(SELECT 1 FROM quiz_attempts q WHERE q.id = t.id)", ids)
    passed = [a for a in rec.attempts if a[1]]
    out["passes"] = count("""SELECT count(*) FROM unnest(%s::int[], %s::int[], %s::text[]) t(u, c, k) WHERE NOT EXISTS (
        SELECT 1 FROM module_progress p WHERE p.user_id = t.u AND p.course_id = t.c AND p.module_key = t.k
        AND p.quiz_passed_at IS NOT NULL)""", [a[2] for a in passed], [a[3] for a in passed], [a[4] for a in passed])
    new_attempts = count("SELECT count(*) FROM quiz_attempts WHERE id > %s", before["quiz_attempts"])
    rows = {tuple(r) for r in conn.execute("SELECT user_id, course_id FROM completions WHERE id > %s",
                                           (before["completions"],))}
    reported = set(rec.completions)
    out["completions"] = len(reported - rows)
    # A course whose every current module is done (read, tasks ticked, quiz passed) must have its completion.
    touched = sorted({(r[0], r[1]) for r in rec.reads})
    out["missing completions"] = count("""
        WITH t AS (SELECT * FROM unnest(%s::int[], %s::int[]) t(u, c)),
        o AS (SELECT c.id AS course_id, m.key, json_array_length(m.tasks) AS tasks,
                     coalesce(json_array_length(m.quiz -> 'questions'), 0) > 0 AS has_quiz
              FROM courses c JOIN modules m ON m.version_id = c.current_version_id)
        SELECT count(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM completions x WHERE x.user_id = t.u AND x.course_id = t.c)
        AND NOT EXISTS (SELECT 1 FROM o WHERE o.course_id = t.c AND NOT (
            EXISTS (SELECT 1 FROM module_progress p WHERE p.user_id = t.u AND p.course_id = t.c AND p.module_key = o.key
                    AND p.read_at IS NOT NULL AND (p.quiz_passed_at IS NOT NULL OR NOT o.has_quiz))
            AND (SELECT count(*) FROM task_checks x WHERE x.user_id = t.u AND x.course_id = t.c
                 AND x.module_key = o.key AND x.task_index < o.tasks) >= o.tasks))""",
        [t[0] for t in touched], [t[1] for t in touched])
    lost = sum(out.values())
    # Exactly once: no attempt row and no completion row that no action reported, no completion reported twice.
    unreported = count("SELECT count(*) FROM quiz_attempts WHERE id > %s AND id <> ALL(%s::int[])",
                       before["quiz_attempts"], ids)
    extra = unreported + len(rows - reported) + (len(rec.completions) - len(reported))
    return {"lost": lost, "detail": out, "extra": extra, "new_attempts": new_attempts, "new_completions": len(rows)}


def high_water(conn) -> dict:
    return {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in ("quiz_attempts", "completions")}
