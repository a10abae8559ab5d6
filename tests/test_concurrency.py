"""Exactly once on PostgreSQL: threads with their own sessions (like requests on several app servers) complete
the last requirements, double-submit a quiz, tick the same task and enrol at the same moment. There must be
exactly one Completion / attempt / enrolment each time, and no progress row may be lost."""
import threading

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import Completion, Enrolment, ModuleProgress, QuizAttempt, TaskCheck, User, utcnow
from courseware.services import catalogue, enrolment, learning, quiz

from .learning_factory import answers_for, load, make_course, make_firm

FOUR = [{"key": f"m{i}", "title": f"Modul {i}"} for i in range(4)]


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrency tests need PostgreSQL (COURSEWARE_TEST_DATABASE_URL)")


def run_together(app, jobs):
    """Run each job (a function of no arguments) in its own thread and app context, all released at once.

    Each job runs in its own session and commits; returns (results, errors).
    """
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def worker(job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                result = job()
                db.session.commit()
                with lock:
                    results.append(result)
            except Exception as error:  # collected and asserted on below
                db.session.rollback()
                with lock:
                    errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results, errors


def _learners(course, n, firm_id=None):
    firm_id = firm_id or make_firm().id
    ids = []
    for i in range(n):
        user = User(email=f"l{i}@example.no", name=f"Learner {i}", password_hash="x", firm_id=firm_id,
                    email_verified_at=utcnow())
        db.session.add(user)
        db.session.flush()
        enrolment.enrol(user, load(course))
        ids.append(user.id)
    db.session.commit()
    return ids


def _read(user_id, slug, key):
    def job():
        user = db.session.get(User, user_id)
        return learning.mark_read(user, catalogue.get_module(slug, key)).completion is not None
    return job


def _count(model, **where):
    return db.session.execute(select(func.count()).select_from(model).filter_by(**where)).scalar_one()


def test_simultaneous_last_requirements_complete_exactly_once(app):
    make_course("kurs", modules=FOUR)
    firm_id = make_firm().id
    for _round in range(3):
        db.session.execute(db.delete(ModuleProgress))
        db.session.execute(db.delete(Completion))
        db.session.execute(db.delete(Enrolment))
        db.session.execute(db.delete(User))
        db.session.commit()
        users = _learners(catalogue.get_course("kurs"), 2, firm_id)
        jobs = [_read(uid, "kurs", m["key"]) for uid in users for m in FOUR]
        results, errors = run_together(app, jobs)
        assert errors == []
        assert results.count(True) == 2  # one completing action per learner
        for uid in users:
            assert _count(Completion, user_id=uid) == 1
            assert _count(ModuleProgress, user_id=uid) == 4  # no lost write
        db.session.remove()


def test_the_same_module_read_in_many_tabs_keeps_one_row(app):
    course = make_course("kurs", modules=FOUR)
    [uid] = _learners(course, 1)
    results, errors = run_together(app, [_read(uid, "kurs", "m0") for _ in range(8)])
    assert errors == [] and len(results) == 8
    assert _count(ModuleProgress, user_id=uid) == 1


def test_the_same_quiz_token_submitted_at_once_counts_once(app):
    course = make_course("kurs")
    [uid] = _learners(course, 1)
    module = catalogue.get_module("kurs", "sensorer")
    answers, token = answers_for(module), quiz.new_token()

    def submit():
        user = db.session.get(User, uid)
        return learning.submit_quiz(user, catalogue.get_module("kurs", "sensorer"), answers, token).attempt.id

    results, errors = run_together(app, [submit for _ in range(6)])
    assert errors == []
    assert len(set(results)) == 1
    assert _count(QuizAttempt, user_id=uid) == 1


def test_different_quiz_submissions_at_once_are_all_kept_and_numbered(app):
    course = make_course("kurs")
    [uid] = _learners(course, 1)
    answers = answers_for(catalogue.get_module("kurs", "sensorer"), right=False)

    def submit():
        user = db.session.get(User, uid)
        return learning.submit_quiz(user, catalogue.get_module("kurs", "sensorer"), answers, quiz.new_token())

    _results, errors = run_together(app, [submit for _ in range(5)])
    assert errors == []
    numbers = db.session.execute(select(QuizAttempt.number).where(QuizAttempt.user_id == uid)).scalars().all()
    assert sorted(numbers) == [1, 2, 3, 4, 5]


def test_many_tabs_at_the_days_limit_save_only_the_allowed_attempts(app):
    from datetime import datetime, timezone

    from courseware.errors import PermissionDenied

    course = make_course("kurs", attempts_per_day=2)
    [uid] = _learners(course, 1)
    answers = answers_for(catalogue.get_module("kurs", "sensorer"), right=False)
    now = datetime(2027, 1, 15, 11, 0, tzinfo=timezone.utc)

    def submit():
        user = db.session.get(User, uid)
        module = catalogue.get_module("kurs", "sensorer")
        return learning.submit_quiz(user, module, answers, quiz.new_token(), now=now).attempt.id

    results, errors = run_together(app, [submit for _ in range(6)])
    assert len(results) == 2 and len(errors) == 4, errors
    assert all(isinstance(error, PermissionDenied) for error in errors), errors
    assert _count(QuizAttempt, user_id=uid) == 2


def test_the_same_task_ticked_at_once_keeps_one_tick(app):
    course = make_course("kurs")
    [uid] = _learners(course, 1)

    def tick():
        user = db.session.get(User, uid)
        return learning.set_task(user, catalogue.get_module("kurs", "sensorer"), 1, True)

    _results, errors = run_together(app, [tick for _ in range(6)])
    assert errors == []
    assert _count(TaskCheck, user_id=uid) == 1


def test_enrolling_at_once_makes_one_enrolment_and_one_mail(app):
    make_course("kurs")
    firm = make_firm()
    user = User(email="en@example.no", name="En", password_hash="x", firm_id=firm.id, email_verified_at=utcnow())
    db.session.add(user)
    db.session.commit()
    uid = user.id

    def enrol():
        return enrolment.enrol(db.session.get(User, uid), catalogue.get_course("kurs")).change

    results, errors = run_together(app, [enrol for _ in range(6)])
    assert errors == []
    assert results.count("created") == 1 and results.count(None) == 5
    assert _count(Enrolment, user_id=uid) == 1
