"""A real `courseware worker` killed (SIGKILL) in the middle of sending: every queued e-mail still arrives, and only
the one in flight may arrive twice (the outbox's documented at-least-once, services/outbox.py)."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import OutboxMessage
from courseware.services import accounts, outbox

from .conftest import REPO

LEASE_SECONDS = 3


class StallingSMTP:
    """An SMTP handler that has each message once its DATA arrived, and holds its answer to the first one until
    released, as a mail server that hangs would: that mail is delivered, and its sender never hears so."""

    def __init__(self):
        self.received: list[str] = []  # the recipients of the accepted messages, in order
        self.in_data = threading.Event()
        self.release = threading.Event()
        self.stalled = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            stall, self.stalled = not self.stalled, True
            self.received.extend(envelope.rcpt_tos)
        if stall:
            self.in_data.set()
            while not self.release.is_set():  # aiosmtpd cancels this when the client's connection goes
                await asyncio.sleep(0.02)
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} e-mails within {timeout} s, got {self.received}")


@pytest.fixture
def stalling_smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = StallingSMTP()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        handler.release.set()
        controller.stop()


@pytest.fixture
def workers(app, tmp_path, stalling_smtp):
    """Start `courseware worker` processes on the test's database, mailing to the stalling server."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        f"OUTBOX_LEASE_SECONDS = {LEASE_SECONDS}\nWORKER_POLL_SECONDS = 0.2\nMAIL_USE_STARTTLS = False\n"
        "MAIL_USE_SSL = False\nBABEL_DEFAULT_LOCALE = 'en'\n", encoding="utf-8")
    env = {**os.environ, "COURSEWARE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "COURSEWARE_INSTANCE_PATH": str(instance), "COURSEWARE_SECRET_KEY": app.config["SECRET_KEY"],
           "COURSEWARE_COURSES_DIR": app.config["COURSES_DIR"], "COURSEWARE_SIGNING_KEYS_DIR": str(tmp_path / "keys"),
           "COURSEWARE_SMTP_HOST": "127.0.0.1", "COURSEWARE_SMTP_PORT": str(stalling_smtp.port),
           "PYTHONPATH": str(REPO)}
    for name in ("COURSEWARE_REDIS_URL", "COURSEWARE_SMTP_USER", "COURSEWARE_SMTP_PASSWORD"):
        env.pop(name, None)
    started: list[subprocess.Popen] = []
    log = open(tmp_path / "workers.log", "ab")  # read it when the test fails

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", "from courseware.cli import main; main()", "worker"],
                                cwd=REPO, env=env, stdout=log, stderr=log)
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:  # none may outlive the test: the app fixture empties the tables next
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)
        log.close()


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    db.session.commit()  # end the read transaction: the workers write these rows
    return rows


def test_a_worker_killed_mid_send_loses_nothing_and_duplicates_only_the_mail_in_flight(
        app, make_user, stalling_smtp, workers):
    users = [make_user("learner", email=f"person{n}@example.no") for n in range(5)]
    for user in users:
        outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()  # the workers send them, not this test

    first = workers()
    assert stalling_smtp.in_data.wait(60), "the first worker never reached DATA"
    first.send_signal(signal.SIGKILL)  # mid-send: the mail server has the message, the worker never hears back
    assert first.wait(30) == -signal.SIGKILL
    stalling_smtp.release.set()

    rows = _rows()
    # The killed worker had claimed the whole batch: every row waits for its lease, none was marked sent.
    assert [r.status for r in rows] == ["sending"] * 5
    lease_end = min(r.next_attempt_at for r in rows)
    assert stalling_smtp.received == ["person0@example.no"]  # the one in flight reached the mail server

    workers()  # another worker, started at once: it must wait for the lease, then send everything
    received = stalling_smtp.wait_for(6, timeout=60)
    rows = _rows()
    assert all(r.status == "sent" for r in rows), [(r.id, r.status, r.last_error) for r in rows]
    assert all(r.sent_at >= lease_end - timedelta(milliseconds=50) for r in rows)  # not before the lease ran out
    assert [r.attempts for r in rows] == [2] * 5  # the lost claim counts as an attempt
    assert sorted(received) == sorted([f"person{n}@example.no" for n in range(5)] + ["person0@example.no"])
    time.sleep(1)  # a few more polls: nothing more is sent
    assert len(stalling_smtp.received) == 6
