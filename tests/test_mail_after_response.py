"""E-mail goes out after the response has been sent (web/mail_after_response.py), in the request's language, and
a password reset request does the same work whether or not the address has an account. No timings here:
bench/reset_timing.py compares the two."""
import pytest
from flask_babel import force_locale, gettext

from courseware.extensions import db
from courseware.services import accounts, outbox


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


def test_the_reset_mail_is_sent_only_once_the_response_is_complete(client, make_user, smtp_server):
    make_user("learner", email="ola@example.no")

    response = client.post("/auth/reset", data={"email": "ola@example.no"}, buffered=False)

    assert response.status_code == 302
    assert smtp_server.messages == []  # the response is ready, the mail waits for the server to finish sending it
    response.close()  # what the WSGI server does after the last byte
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Choose a new password"


def test_enrolment_mail_waits_for_the_response_too(client, login, make_user, smtp_server):
    from .learning_factory import make_course

    make_course("kurs", audience="public")
    login(make_user("learner"))
    response = client.post("/me/courses/kurs/enrol", buffered=False)
    assert response.status_code == 302 and smtp_server.messages == []
    response.close()
    assert smtp_server.wait_for(1)[0]["Subject"].startswith("You are enrolled in")


def _reset_work(app, client, email, count_queries, monkeypatch):
    queued = []
    real_queue = outbox.queue
    monkeypatch.setattr(outbox, "queue", lambda fn, *args, **kw: (queued.append((fn, args)), real_queue(fn, *args)))
    with count_queries() as counter:
        response = client.post("/auth/reset", data={"email": email}, buffered=False)
    monkeypatch.setattr(outbox, "queue", real_queue)
    return response, queued, counter.statements


def test_a_reset_request_does_the_same_work_for_an_unknown_address(app, client, make_user, smtp_server,
                                                                     count_queries, monkeypatch):
    make_user("learner", email="ola@example.no")

    known, known_queued, known_sql = _reset_work(app, client, "ola@example.no", count_queries, monkeypatch)
    unknown, unknown_queued, unknown_sql = _reset_work(app, client, "ingen@example.no", count_queries, monkeypatch)

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known_sql == unknown_sql  # the same statements (none looks the address up before the response)
    assert [fn for fn, _args in known_queued] == [fn for fn, _args in unknown_queued] == [accounts.send_password_reset]
    known.close()
    unknown.close()
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.wait_for(1)] == ["ola@example.no"]


def test_mail_after_the_response_is_in_the_language_of_the_request(app, client, make_user, smtp_server):
    make_user("learner", email="ola@example.no", locale=None)
    with app.test_request_context(), force_locale("nb"):
        norwegian = gettext("Choose a new password")
    assert norwegian != "Choose a new password"
    with client.session_transaction() as sess:
        sess["lang"] = "nb"

    client.post("/auth/reset", data={"email": "ola@example.no"})

    assert smtp_server.wait_for(1)[0]["Subject"] == norwegian


def test_mail_of_a_rolled_back_request_is_never_sent(app, client, make_user, smtp_server):
    user = make_user("learner")

    @app.route("/test-rollback", methods=["POST"])
    def queue_then_roll_back():
        outbox.queue(accounts.send_password_changed, user.id)
        db.session.rollback()
        return "ok"

    client.post("/test-rollback")
    outbox.deliver()
    assert smtp_server.messages == []


def test_a_failing_mail_after_the_response_is_logged_and_the_next_one_still_goes(client, make_user, smtp_server,
                                                                                  monkeypatch, caplog):
    user = make_user("learner", email="ola@example.no")

    def broken(_user_id):
        raise RuntimeError("template missing")

    monkeypatch.setattr(outbox, "_registered", {})
    outbox.register(broken)  # only registered mail functions can be queued
    outbox.queue(broken, user.id)
    outbox.queue(accounts.send_password_changed, user.id)
    db.session.commit()
    assert outbox.deliver() == 2
    assert "Could not send a queued e-mail (broken)" in caplog.text
    assert smtp_server.wait_for(1)[0]["Subject"] == "Your password was changed"
