"""Digital maturity at the same moment, on PostgreSQL: threads with their own sessions (requests on several app
servers) start the firm's assessment together, enrol two colleagues in a new stage together, save the same
question together and finish together. One open assessment, one request mail, one answer row, one set of scores."""
import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import DmaAnswer, DmaAssessment, DmaScore, OutboxMessage, User
from courseware.services import dma, enrolment
from courseware.services.catalogue import get_course

from .learning_factory import make_course, make_firm
from .test_concurrency import run_together
from .test_dma_scoring import hand_answers

pytestmark = pytest.mark.postgres_only  # skipped on SQLite (tests/groups.py)


@pytest.fixture
def ids(make_user):
    firm = make_firm()
    contact = make_user("learner", firm_id=firm.id, is_firm_contact=True)
    others = [make_user("learner", firm_id=firm.id) for _ in range(2)]
    make_course("trinn-1")
    return {"firm": firm.id, "contact": contact.id, "others": [u.id for u in others]}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_two_starts_make_one_assessment(app, ids):
    start = lambda: dma.start(db.session.get(User, ids["contact"])).id  # noqa: E731
    results, errors = run_together(app, [start, start, start])
    assert not errors and len(set(results)) == 1
    assert count(DmaAssessment) == 1


def test_two_first_enrolments_ask_once(app, ids):
    def enrol(user_id):
        return lambda: enrolment.enrol(db.session.get(User, user_id), get_course("trinn-1")).change
    results, errors = run_together(app, [enrol(i) for i in ids["others"]])
    assert not errors and results == ["created", "created"]
    assert count(DmaAssessment) == 1  # two "first" enrolments at once ask once
    mails = db.session.scalars(select(OutboxMessage.kind)).all()
    assert mails.count("dma_triggers.send_assessment_request") == count(DmaAssessment)


def test_saving_and_finishing_together(app, ids):
    contact = db.session.get(User, ids["contact"])
    assessment_id = dma.start(contact).id
    db.session.commit()

    def save(value):
        def job():
            user = db.session.get(User, ids["contact"])
            dma.save_answer(user, dma.get_assessment(user, assessment_id), "q2_readiness", value)
        return job

    _results, errors = run_together(app, [save(["needs"]), save(["risk"]), save([])])
    assert not errors
    assert count(DmaAnswer) == 1
    for key, value in hand_answers().items():
        dma.save_answer(contact, db.session.get(DmaAssessment, assessment_id), key, value)
    db.session.commit()

    def finish():
        user = db.session.get(User, ids["contact"])
        return dma.finish(user, dma.get_assessment(user, assessment_id)).overall

    results, errors = run_together(app, [finish, finish])
    assert results == [49.5] and len(errors) == 1
    assert count(DmaScore) == 6
