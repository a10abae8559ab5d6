"""Query counts of a quiz submission (issue 13: the webinar's burst of submissions): a fixed, small number of
statements, whether or not the learner has done much of the course, and nothing read again after the commit."""
import re

import pytest
from flask import g
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import Certificate, Completion, OutboxMessage, QuizAttempt
from courseware.services import enrolment, learning, outbox

from .learning_factory import QUIZ, get_module, load, make_course, make_firm, quiz_form

CERTIFICATE = {"enabled": True, "signer_name": "Kari Nordmann", "signer_title": "Daglig leder", "valid_years": 0}


@pytest.fixture
def learner(make_user, login):
    user = make_user("learner", firm_id=make_firm().id)
    login(user)
    return user


def _submit(client, count_queries, url, form):
    # Like a new request in production: nothing in the session, no user cached in the (shared) app context.
    db.session.expunge_all()
    g.pop("_login_user", None)
    with count_queries() as counter:
        response = client.post(url, data=form)
    assert response.status_code == 302
    return counter, response.headers["Location"]


def _statements(counter) -> list[str]:
    """Each statement's first words and table, to read in a failure."""
    return "\n".join(re.sub(r"\s+", " ", s)[:90] for s in counter.statements)


@pytest.mark.parametrize("done_before, expected", [(0, 9), (2, 8)])
def test_a_quiz_submission_runs_eight_statements(client, count_queries, learner, done_before, expected):
    courses = [make_course(f"kurs-{n}") for n in range(3)]
    for course in courses:  # progress elsewhere must not add statements
        enrolment.enrol(learner, load(course))
    course = courses[0]
    if done_before:
        learning.mark_read(learner, get_module(course, "intro"))
        learning.set_task(learner, get_module(course, "intro"), 0, True)
        learning.mark_read(learner, get_module(course, "sensorer"))
    db.session.commit()
    outbox.deliver()  # the enrolment mails, so that the request's own statements are what is counted
    module = get_module(course, "sensorer")
    counter, location = _submit(client, count_queries, "/me/courses/kurs-0/sensorer/quiz", quiz_form(module))
    # user, module, claim the enrolment, whether the form's token was used with today's attempts and the next
    # number (one query), progress rows, ticked tasks, the attempt, its progress row (created first when the learner
    # had not opened the module): no statement after the commit (the redirect's attempt id is read before it).
    assert counter.count == expected, _statements(counter)
    [attempt] = db.session.scalars(select(QuizAttempt)).all()
    assert attempt.passed and location.endswith(f"/me/courses/kurs-0/sensorer/quiz/{attempt.id}")


def test_a_submission_that_completes_the_course_issues_everything_in_a_fixed_number(client, count_queries, learner,
                                                                                    monkeypatch):
    course = make_course("kurs", modules=[{"key": "sensorer", "title": "Sensorer", "quiz": QUIZ}],
                         certificate=CERTIFICATE)
    enrolment.enrol(learner, load(course))
    learning.mark_read(learner, get_module(course, "sensorer"))
    db.session.commit()
    outbox.deliver()
    monkeypatch.setattr(outbox, "take_ready", lambda: [])  # the completion mail waits: only the request is counted
    module = get_module(course, "sensorer")
    counter, location = _submit(client, count_queries, "/me/courses/kurs/sensorer/quiz", quiz_form(module))
    # The eight of a submission; the completion (is there one, insert, the firm); the certificate (provider, is there
    # one, the status list's length, a free code, insert); the firm's first completion of the stage asks for a
    # digital maturity follow-up (is it the first, insert the request; services/dma_triggers.py); the mails in the
    # outbox; and last the report counts of both in one change (3 upserts: the rows every completion of the month
    # writes, so locked as briefly as can be).
    assert counter.count == 22, _statements(counter)
    assert all("report_" in sql for sql in counter.statements[-3:]), _statements(counter)
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 1
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert "/quiz/" in location
    pending = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.status == "pending")).all()
    assert pending == ["learning.send_completion_mail"]
