"""Durable mail (services/outbox.py): stored in the transaction that asks for it, delivered by the worker with
retries and back-off, at least once; periodic jobs once per slot (services/jobs.py); /admin/mail."""
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import JobRun, OutboxMessage, utcnow
from courseware.services import accounts, enrolment, jobs, learning, outbox

from .learning_factory import load, make_course


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 30, "OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_LEASE_SECONDS": 300}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _messages(**filters) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)))


def test_smtp_down_during_a_completion_then_up_delivers_the_mail_exactly_once(app, make_user, smtp_server):
    course = make_course("kurs", audience="public")
    learner = make_user("learner", email="ola@example.no")
    enrolment.enrol(learner, load(course))
    db.session.commit()
    outbox.deliver()
    assert smtp_server.wait_for(1)[0]["Subject"].startswith("You are enrolled in")

    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()  # the mail server is down
    course = load(course)
    learning.complete_course(learner, course, course.current_version)
    db.session.commit()
    assert outbox.deliver() == 1  # tried at once, failed, kept
    [message] = _messages(kind="learning.send_completion_mail")
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=25)  # back-off

    app.config["MAIL_PORT"] = port  # up again
    assert outbox.drain() == 0  # not due yet
    later = utcnow() + timedelta(seconds=31)
    assert outbox.drain(now=later) == 1
    assert outbox.drain(now=later + timedelta(days=1)) == 0
    messages = smtp_server.wait_for(2)
    assert [m["Subject"] for m in messages][1].startswith("Course completed")
    assert len(smtp_server.messages) == 2
    [message] = _messages(kind="learning.send_completion_mail")
    assert message.status == "sent" and message.sent_at is not None and message.last_error is None


def test_retries_are_spaced_exponentially_and_end_as_failed(app, make_user, smtp_server):
    user = make_user("learner")
    app.config["MAIL_PORT"] = _closed_port()
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    now = utcnow()
    delays = []
    for _attempt in range(3):
        assert outbox.drain(now=now) == 1
        [message] = _messages()
        delays.append(round((message.next_attempt_at - now).total_seconds()))
        now = message.next_attempt_at
    assert delays[:2] == [30, 60]
    [message] = _messages()
    assert (message.status, message.attempts) == ("failed", 3)
    assert outbox.drain(now=now + timedelta(days=1)) == 0  # a failed message waits for an administrator
    assert smtp_server.messages == []


def test_a_worker_that_dies_after_claiming_leaves_the_message_to_another_after_the_lease(app, make_user,
                                                                                          smtp_server):
    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()  # no attempt after the commit: the worker has it
    now = utcnow()
    assert len(outbox.claim(now)) == 1  # ... and dies before sending
    assert outbox.drain(now=now + timedelta(seconds=299)) == 0  # the lease still holds
    assert smtp_server.messages == []
    assert outbox.drain(now=now + timedelta(seconds=301)) == 1  # re-claimed: at least once, never lost
    assert smtp_server.wait_for(1)[0]["Subject"] == "Your password was changed"
    [message] = _messages()
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_rolled_back_transaction_sends_nothing(app, make_user, smtp_server):
    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.rollback()
    assert outbox.deliver() == 0 and outbox.drain() == 0
    assert _messages() == [] and smtp_server.messages == []


def test_a_rolled_back_savepoint_drops_its_mail_and_keeps_the_rest(app, make_user, smtp_server):
    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    with db.session.begin_nested() as savepoint:
        outbox.queue(accounts.send_password_reset, user.email)
        savepoint.rollback()
    db.session.commit()
    assert outbox.deliver() == 1
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Your password was changed"]


def test_only_registered_functions_with_plain_arguments_can_be_queued(app, make_user):
    user = make_user("learner")
    with pytest.raises(ValueError):
        outbox.queue(print, "hello")
    with pytest.raises(TypeError):
        outbox.queue(accounts.send_password_changed, user)  # an ORM object, not its id


def test_two_workers_draining_at_once_send_each_message_once(app, make_user, smtp_server):
    user = make_user("learner")
    for _ in range(6):
        outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()
    counts = _race(app, lambda: outbox.drain(batch=2))
    assert sum(counts) == 6
    assert len(smtp_server.wait_for(6)) == 6
    assert {m.status for m in _messages()} == {"sent"}


def _race(app, work, workers=2) -> list:
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as error:  # reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def test_a_periodic_job_runs_once_per_slot_with_two_workers_racing(app):
    runs = []

    def slow_job(now):
        runs.append(now)
        threading.Event().wait(0.2)  # long enough for the other worker to reach the slot

    job = jobs.Job("test.slow", timedelta(hours=1), slow_job)
    now = datetime(2026, 12, 4, 2, 59, tzinfo=UTC)  # a fixed clock: "one minute later" is the slot's last minute
    ran = _race(app, lambda: jobs.run_due_jobs(now=now, jobs=(job,)))
    assert sorted(ran) == [[], ["test.slow"]]
    assert len(runs) == 1
    assert jobs.run_due_jobs(now=now + timedelta(seconds=59), jobs=(job,)) == []  # the same slot
    assert jobs.run_due_jobs(now=now + timedelta(hours=1), jobs=(job,)) == ["test.slow"]  # the next one
    assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.name == "test.slow")) == 2


def test_a_failing_job_is_recorded_and_the_next_job_still_runs(app):
    def broken(now):
        raise RuntimeError("boom")

    ran = jobs.run_due_jobs(jobs=(jobs.Job("test.broken", timedelta(hours=1), broken),
                                  jobs.Job("test.fine", timedelta(hours=1), lambda now: None)))
    assert ran == ["test.broken", "test.fine"]
    run = db.session.scalar(select(JobRun).where(JobRun.name == "test.broken"))
    assert "boom" in run.error and run.finished_at is not None


def test_sent_mail_is_purged_after_the_keep_days_by_the_declared_job(app, make_user):
    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.deliver()
    assert "outbox.purge_sent" in [job.name for job in jobs.JOBS]
    assert "outbox.purge_sent" in jobs.run_due_jobs(now=utcnow() + timedelta(days=31))
    assert _messages() == []


@pytest.mark.parametrize("role, status", [(None, 302), ("learner", 403), ("author", 403), ("funder", 403),
                                          ("admin", 200)])
def test_only_administrators_open_the_mail_page(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/admin/mail").status_code == status
    assert client.post("/admin/mail/1/retry").status_code == (302 if role == "admin" else status)  # admin: no such


def test_an_administrator_sees_a_failed_mail_and_sends_it_again(app, client, login_as, make_user, smtp_server):
    user = make_user("learner", email="kari@example.no")
    app.config["MAIL_PORT"] = _closed_port()
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()
    now = utcnow()
    for attempt in range(3):
        outbox.drain(now=now + timedelta(days=attempt))
    [message] = _messages()
    assert message.status == "failed"

    login_as("admin", locale="en")
    page = client.get("/admin/mail")
    assert page.status_code == 200
    assert f"/admin/mail/{message.id}/retry".encode() in page.data
    assert b"ConnectionRefusedError" in page.data

    app.config["MAIL_PORT"] = smtp_server.config["MAIL_PORT"]
    assert client.post(f"/admin/mail/{message.id}/retry").status_code == 302  # sent after the response
    assert smtp_server.wait_for(1)[0]["To"].addresses[0].addr_spec == "kari@example.no"
    [message] = _messages()
    assert (message.status, message.attempts) == ("sent", 1)
    assert client.post(f"/admin/mail/{message.id}/retry").status_code == 302  # not failed: refused, nothing sent
    assert len(smtp_server.messages) == 1


def test_the_in_process_worker_sends_what_is_due(app, make_user, smtp_server):
    from courseware.services.worker import start_worker_thread

    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()  # left to the worker, as when the process died right after the commit
    thread, stop = start_worker_thread(app, poll_seconds=0.05)
    try:
        assert smtp_server.wait_for(1)[0]["Subject"] == "Your password was changed"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert [m.status for m in _messages()] == ["sent"]


def test_the_worker_command_once_sends_and_runs_jobs(app, make_user, smtp_server):
    user = make_user("learner")
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    outbox.take_ready()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 e-mail(s) tried" in result.output and "outbox.purge_sent" in result.output
    assert len(smtp_server.wait_for(1)) == 1


def test_a_lazy_subject_is_stored_as_its_text_and_translated_for_the_recipient(app, make_user, smtp_server):
    from flask_babel import force_locale, gettext
    from flask_babel import lazy_gettext as _l

    from courseware.services import membership

    user = make_user("learner", email="ola@example.no", locale="nb")
    outbox.queue(membership.send_member_mail, user.id, _l("You are no longer registered with %(firm)s", firm="Fisk AS"),
                 "member_removed", firm_name="Fisk AS", by_admin=True, my_courses_url="http://localhost/me/courses",
                 firm_url="http://localhost/firm")
    db.session.commit()
    [message] = _messages()
    assert message.payload["args"][1] == {"lazy_gettext": "You are no longer registered with %(firm)s",
                                          "params": {"firm": "Fisk AS"}}
    assert outbox.deliver() == 1
    with app.test_request_context(), force_locale("nb"):
        expected = gettext("You are no longer registered with %(firm)s", firm="Fisk AS")
    assert expected != "You are no longer registered with Fisk AS"
    assert smtp_server.wait_for(1)[0]["Subject"] == expected
