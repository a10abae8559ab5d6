"""Mail throughput of the outbox (issue 13): e-mails delivered per second by one worker against a local SMTP server,
beside the same e-mails sent directly, without the outbox, in the same run.

    .venv/bin/python bench/mail_throughput.py [--mails 2000] [--database-url URL] [--workers 1,2]

Every case sends `--mails` password-changed e-mails (`accounts.send_password_changed`: a user read, two templates
rendered, one SMTP connection per mail, as production sends them) to a local aiosmtpd server in a process of its
own, which counts what arrives:

- direct: `send_password_changed(user_id)` called in a loop, no outbox (what a request did before issue 13);
- drain: the mails queued in one transaction, then `outbox.drain()` in this process (one worker's poll: claim 50,
  send, mark each sent);
- worker ×n: the mails queued, then n `courseware worker` processes started together; the rate is taken from the
  first to the last `sent_at`, so process start-up does not count.

The database is SQLite in a temporary folder unless --database-url names a PostgreSQL database (created if missing,
its name must contain "bench"; dropped at the end if this run created it).
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SINK = r"""
import asyncio, signal, sys, threading
from aiosmtpd.controller import Controller

class Counter:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"

controller = Controller(Counter(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
print("ready", flush=True)
while not done.wait(0.2):
    pass
controller.stop()
print(Counter.count, flush=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """The local SMTP server, in a process of its own; `stop()` returns how many messages it received."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", SINK, str(self.port)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        out, _err = self.proc.communicate(timeout=30)
        return int(out.strip().splitlines()[-1])


def run_case(name: str, env: dict, mails: int, workers: int = 0) -> dict:
    """One case against a fresh SMTP server; the outbox emptied first."""
    from sqlalchemy import delete, func, select

    from courseware import create_app
    from courseware.extensions import db
    from courseware.models import OutboxMessage, User
    from courseware.services import accounts, outbox

    sink = Sink()
    os.environ.update(env, COURSEWARE_SMTP_HOST="127.0.0.1", COURSEWARE_SMTP_PORT=str(sink.port))
    app = create_app()
    received = 0
    try:
        with app.app_context():
            db.session.execute(delete(OutboxMessage))
            db.session.commit()
            ids = db.session.scalars(select(User.id).order_by(User.id)).all()
            recipients = [ids[n % len(ids)] for n in range(mails)]
            if name == "direct":
                t0 = time.perf_counter()
                cpu0 = time.process_time()
                for user_id in recipients:
                    accounts.send_password_changed(user_id)
                    db.session.rollback()  # as a request ends its transaction
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            else:
                for user_id in recipients:
                    outbox.queue(accounts.send_password_changed, user_id)
                db.session.commit()
                outbox.take_ready()  # not tried after the commit: the worker sends them
                if name == "drain":
                    t0 = time.perf_counter()
                    cpu0 = time.process_time()
                    outbox.drain(batch=50)
                    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                else:
                    db.session.remove()
                    procs = [subprocess.Popen([sys.executable, "-c", "from courseware.cli import main; main()",
                                               "worker"], cwd=REPO, env={**os.environ}, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL) for _ in range(workers)]
                    try:
                        deadline = time.time() + 600
                        while time.time() < deadline:
                            left = db.session.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
                            db.session.rollback()
                            if not left:
                                break
                            time.sleep(0.5)
                    finally:
                        for proc in procs:
                            proc.send_signal(signal.SIGTERM)
                        for proc in procs:
                            proc.wait(60)
                    first, last = db.session.execute(select(func.min(OutboxMessage.sent_at),
                                                            func.max(OutboxMessage.sent_at))).one()
                    elapsed, cpu = (last - first).total_seconds() * mails / max(mails - 1, 1), None
            sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) \
                if name != "direct" else mails
            db.session.remove()
    finally:
        received = sink.stop()
    return {"name": name, "elapsed": elapsed, "cpu": cpu, "sent": sent, "received": received}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--database-url", help="PostgreSQL (its name must contain 'bench'); default SQLite")
    parser.add_argument("--workers", default="1,2", help="comma-separated numbers of worker processes to try")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="mail-bench-"))
    created = False
    if args.database_url:
        from quiz_burst import prepare_database

        created = prepare_database(args.database_url, force=False)
        url = args.database_url
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    (tmp / "courses").mkdir()
    env = {"COURSEWARE_DATABASE_URL": url, "COURSEWARE_INSTANCE_PATH": str(tmp / "instance"),
           "COURSEWARE_COURSES_DIR": str(tmp / "courses"), "COURSEWARE_SECRET_KEY": "mail-bench-secret-key-0123456789",
           "PYTHONPATH": str(REPO)}
    os.environ.update(env)
    os.environ.pop("COURSEWARE_REDIS_URL", None)
    import logging

    logging.getLogger("courseware.mail").setLevel(logging.WARNING)
    try:
        from flask_migrate import upgrade
        from sqlalchemy import insert
        from werkzeug.security import generate_password_hash

        from courseware import create_app
        from courseware.extensions import db
        from courseware.models import User, utcnow

        app = create_app()
        with app.app_context():
            logging.disable(logging.INFO)  # Alembic's lines
            upgrade()
            logging.disable(logging.NOTSET)
            hashed = generate_password_hash("bench-password-1", method="pbkdf2:sha256:1000")
            db.session.execute(insert(User), [
                {"email": f"mail{i}@example.no", "name": f"Mottaker {i}", "password_hash": hashed, "role": "learner",
                 "email_verified_at": utcnow(), "locale": "nb"} for i in range(args.users)])
            db.session.commit()
            db.session.remove()
        cases = [("direct", 0), ("drain", 0)] + [(f"worker ×{n}", int(n)) for n in args.workers.split(",") if n]
        print(f"{args.mails} e-mails to a local SMTP server (aiosmtpd, own process), "
              f"{'PostgreSQL' if args.database_url else 'SQLite'}; load {os.getloadavg()[0]:.2f}, "
              f"{os.cpu_count()} cores\n")
        print(f"{'case':<36} {'seconds':>8} {'mails/s':>8} {'CPU/mail':>9} {'sent':>6} {'received':>9}")
        failed = False
        for name, workers in cases:
            r = run_case(name if not workers else "worker", env, args.mails, workers)
            label = {"direct": "direct send_mail, no outbox", "drain": "outbox.drain() in this process"}.get(
                name, f"outbox, `courseware worker` {name.split()[-1]}")
            cpu = f"{1000 * r['cpu'] / args.mails:.2f} ms" if r["cpu"] is not None else "-"
            print(f"{label:<36} {r['elapsed']:>8.2f} {args.mails / r['elapsed']:>8.0f} {cpu:>9} {r['sent']:>6} "
                  f"{r['received']:>9}", flush=True)
            failed |= r["sent"] != args.mails or r["received"] < args.mails
        print(f"\nload {os.getloadavg()[0]:.2f} at the end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            from quiz_burst import drop_database

            drop_database(args.database_url)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
