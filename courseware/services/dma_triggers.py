"""When the platform asks a firm for a digital maturity assessment, and the reminder two weeks later.

T0 (baseline): when a member of the firm enrols in a course of a stage the firm has not enrolled in before.
T1 (follow-up): when a member of the firm completes the firm's first course of a stage.
Either creates the firm's open assessment, with the stage and `requested_at`, and mails the contact person (and the
delegated colleague, if any). A firm has at most one open assessment, so a request while one is open asks nothing
more: the open one is the one to finish. The worker's job `dma.remind` mails a reminder once, REMIND_AFTER after
the request, while the assessment is still unfinished.
"""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import Completion, Course, CourseVersion, DmaAssessment, Enrolment, Firm, User, utcnow
from . import dma, outbox
from .mail import absolute_url, send_mail

REMIND_AFTER = timedelta(days=14)


def on_enrolment(enrolment: Enrolment, version: CourseVersion, *, now: datetime | None = None):
    """Ask for a baseline (T0) when this is the firm's first enrolment in a course of this stage."""
    if enrolment.firm_id is None:
        return None
    earlier = db.session.execute(
        select(Enrolment.id).join(Course, Course.id == Enrolment.course_id)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Enrolment.firm_id == enrolment.firm_id, Enrolment.id != enrolment.id,
               CourseVersion.stage == version.stage).limit(1)
    ).first()
    return None if earlier else _request(enrolment.firm_id, "T0", version.stage, now)


def on_completion(completion: Completion, version: CourseVersion, *, now: datetime | None = None):
    """Ask for a follow-up (T1) when this is the firm's first completed course of this stage."""
    if completion.firm_id is None:
        return None
    earlier = db.session.execute(
        select(Completion.id).join(CourseVersion, CourseVersion.id == Completion.version_id)
        .where(Completion.firm_id == completion.firm_id, Completion.id != completion.id,
               CourseVersion.stage == version.stage).limit(1)
    ).first()
    return None if earlier else _request(completion.firm_id, "T1", version.stage, now)


def _request(firm_id: int, kind: str, stage: int, now: datetime | None):
    assessment = dma.open_assessment(firm_id, kind, stage=stage, requested=True, now=now)
    if assessment is not None and _recipients(firm_id):  # a firm without a contact person gets no mail
        outbox.queue(send_assessment_request, assessment.id)
    return assessment


def send_reminders(now: datetime | None = None) -> int:
    """Remind the firms whose requested assessment is still open two weeks on (once each); the worker's job."""
    now = now or utcnow()
    due = list(db.session.execute(
        select(DmaAssessment.id).where(DmaAssessment.completed_at.is_(None), DmaAssessment.reminded_at.is_(None),
                                       DmaAssessment.requested_at <= now - REMIND_AFTER)
    ).scalars())
    sent = 0
    for assessment_id in due:
        claimed = db.session.execute(
            update(DmaAssessment).where(DmaAssessment.id == assessment_id, DmaAssessment.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            outbox.queue(send_assessment_reminder, assessment_id)
            sent += 1
    db.session.flush()
    return sent


# --- E-mail ------------------------------------------------------------------------------------------------------

def _recipients(firm_id: int) -> list[User]:
    people = list(db.session.execute(
        select(User).where(User.firm_id == firm_id, User.is_firm_contact, User.active.is_(True))).scalars())
    delegate = dma.find_delegate(firm_id)
    if delegate is not None and delegate not in people:
        people.append(delegate)
    return people


def _mail(assessment_id: int, subject, template: str) -> bool:
    assessment = db.session.get(DmaAssessment, assessment_id)
    if assessment is None or assessment.completed_at is not None:
        return False
    firm = db.session.get(Firm, assessment.firm_id)
    sent = False
    for person in _recipients(firm.id):
        sent = send_mail(person, subject, template, user=person, firm_name=firm.name, kind=assessment.kind,
                         stage=assessment.stage, url=absolute_url("firm.maturity_resume",
                                                                  assessment_id=assessment.id)) or sent
    return sent


def send_assessment_request(assessment_id: int) -> bool:
    """Ask the firm's contact person (and delegate) to fill in the assessment the platform asked for."""
    assessment = db.session.get(DmaAssessment, assessment_id)
    if assessment is not None and assessment.kind == "T1":
        subject = _l("How far has your firm come? A follow-up of its digital maturity")
    else:
        subject = _l("Where does your firm stand digitally? A short self-assessment")
    return _mail(assessment_id, subject, "dma_request")


def send_assessment_reminder(assessment_id: int) -> bool:
    """Remind them two weeks later, when the assessment is still unfinished."""
    return _mail(assessment_id, _l("Reminder: your firm's digital maturity assessment"), "dma_reminder")
