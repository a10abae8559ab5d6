"""Digital maturity T0/T1: the baseline asked for at a firm's first enrolment in a stage, the follow-up at its first
completion of a stage, the e-mails, and the reminder two weeks later (fixed clocks)."""
from datetime import datetime, timedelta, timezone

import pytest

from courseware.extensions import db
from courseware.models import DmaAssessment, JobRun, OutboxMessage
from courseware.services import dma, dma_triggers, enrolment, jobs, learning, outbox

from courseware.services.catalogue import get_course

from .learning_factory import load, make_course, make_firm
from .test_dma import fill_in

T = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def firm_people(make_user):
    firm = make_firm()
    contact = make_user("learner", firm_id=firm.id, is_firm_contact=True, name="Kontakt Person")
    worker = make_user("learner", firm_id=firm.id, name="Ansatt Person")
    return firm, contact, worker


def queued(kind):
    return [m for m in db.session.execute(db.select(OutboxMessage)).scalars() if m.kind == kind]


def test_first_enrolment_in_a_stage_asks_for_a_baseline(firm_people, make_user):
    firm, contact, worker = firm_people
    make_course("trinn-1b")
    enrolment.enrol(worker, load(make_course("trinn-1")), now=T)
    db.session.commit()
    assessment = dma.find_open(firm.id)
    assert (assessment.kind, assessment.stage, assessment.requested_at) == ("T0", 1, T)
    assert len(queued("dma_triggers.send_assessment_request")) == 1
    # A second enrolment in the same stage (another course, another person) asks nothing more.
    enrolment.enrol(contact, get_course("trinn-1b"), now=T)
    enrolment.enrol(worker, get_course("trinn-1b"), now=T)
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(DmaAssessment.id))).scalar() == 1
    assert len(queued("dma_triggers.send_assessment_request")) == 1
    # A learner without a firm asks for nothing.
    loner = make_user("learner")
    make_course("offentlig", audience="public")
    public = get_course("offentlig")
    enrolment.enrol(loner, public, now=T)
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(DmaAssessment.id))).scalar() == 1


def test_the_request_mail_goes_to_the_contact_person(app, firm_people, caplog):
    firm, contact, worker = firm_people
    enrolment.enrol(worker, load(make_course("trinn-1")), now=T)
    db.session.commit()
    assessment = dma.find_open(firm.id)
    with caplog.at_level("INFO", logger="courseware.mail"):
        outbox.deliver()
    text = caplog.text
    assert "Where does your firm stand digitally?" in text and "Kontakt Person" in text
    assert f"/firm/maturity/{assessment.id}" in text
    assert text.count("Where does your firm stand digitally?") == 1  # the contact person's, not the employee's


def test_completing_a_stage_asks_for_a_follow_up(firm_people):
    firm, contact, worker = firm_people
    course = load(make_course("trinn-1"))
    enrolment.enrol(worker, course, now=T)
    db.session.commit()
    baseline = dma.find_open(firm.id)
    fill_in(contact, baseline)
    dma.finish(contact, baseline, now=T + timedelta(days=1))
    db.session.commit()
    course = get_course("trinn-1")
    learning.complete_course(worker, course, course.current_version, now=T + timedelta(days=30))
    db.session.commit()
    follow_up = dma.find_open(firm.id)
    assert (follow_up.kind, follow_up.stage) == ("T1", 1)
    assert follow_up.requested_at == T + timedelta(days=30)
    assert [m.payload["args"] for m in queued("dma_triggers.send_assessment_request")] == [[baseline.id],
                                                                                           [follow_up.id]]
    # A second completion in the stage asks nothing more.
    make_course("trinn-1c")
    other = get_course("trinn-1c")
    learning.complete_course(contact, other, other.current_version, now=T + timedelta(days=31))
    db.session.commit()
    assert len(queued("dma_triggers.send_assessment_request")) == 2


def test_reminder_two_weeks_later_once(app, firm_people, caplog):
    firm, contact, worker = firm_people
    enrolment.enrol(worker, load(make_course("trinn-1")), now=T)
    db.session.commit()
    assert dma_triggers.send_reminders(now=T + timedelta(days=13, hours=23)) == 0
    ran = jobs.run_due_jobs(now=T + timedelta(days=14), jobs=tuple(j for j in jobs.JOBS if j.name == "dma.remind"))
    assert ran == ["dma.remind"]
    assert dma.find_open(firm.id).reminded_at == T + timedelta(days=14)
    assert len(queued("dma_triggers.send_assessment_reminder")) == 1
    assert dma_triggers.send_reminders(now=T + timedelta(days=20)) == 0  # once
    with caplog.at_level("INFO", logger="courseware.mail"):
        outbox.drain()
    assert "Reminder: your firm's digital maturity assessment" in caplog.text
    assert db.session.execute(db.select(JobRun).filter_by(name="dma.remind")).scalar_one().error is None


def test_no_reminder_for_a_finished_or_self_started_assessment(firm_people):
    firm, contact, worker = firm_people
    enrolment.enrol(worker, load(make_course("trinn-1")), now=T)
    db.session.commit()
    assessment = dma.find_open(firm.id)
    fill_in(contact, assessment)
    dma.finish(contact, assessment, now=T + timedelta(days=2))
    own = dma.start(contact, now=T + timedelta(days=3))
    db.session.commit()
    assert own.kind == "later" and own.requested_at is None
    assert dma_triggers.send_reminders(now=T + timedelta(days=60)) == 0
