"""Digital maturity self-assessments: who may fill in and see them, starting, autosaving answers, finishing.

Who may do what (decided here, so the web and any API share it):
- fill in and see the firm's assessments and results: the firm's contact person, and the one colleague they
  delegated to (while that colleague is still a member of the firm);
- the firm's other members see nothing of it (the results describe the business, and the contact person decides
  whom to share them with); nobody outside the firm sees a firm's assessments. Funders and providers see only
  averages with small-number suppression (dma_reports.py).
A firm has at most one open assessment (a unique partial index); answers are saved one question at a time, so a
closed tab loses nothing, and the person resumes at the first dimension with an unanswered question.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import DmaAnswer, DmaAssessment, DmaDelegation, DmaScore, Firm, User, set_loaded, utcnow
from . import dma_questionnaire
from .dma_scoring import is_complete, score, validate_answer

# --- Who may fill in -------------------------------------------------------------------------------------------


def find_delegate(firm_id: int) -> User | None:
    """The colleague the firm's contact person delegated the assessment to, while they are still in the firm."""
    return db.session.execute(
        select(User).join(DmaDelegation, DmaDelegation.user_id == User.id)
        .where(DmaDelegation.firm_id == firm_id, User.firm_id == firm_id)
    ).scalar_one_or_none()


def may_assess(user, firm_id: int | None = None) -> bool:
    """Whether `user` may fill in and see their firm's assessments: its contact person or the delegated colleague."""
    if not getattr(user, "is_authenticated", False) or user.firm_id is None:
        return False
    if firm_id is not None and firm_id != user.firm_id:
        return False
    if user.is_firm_contact:
        return True
    delegate = find_delegate(user.firm_id)
    return delegate is not None and delegate.id == user.id


def require_assessor(user) -> Firm:
    """The user's firm when they may assess it; PermissionDenied (or NotFound without a firm) otherwise."""
    if user.firm_id is None:
        raise NotFound(_("You are not registered with a firm yet."))
    if not may_assess(user):
        raise PermissionDenied(_("Only the firm's contact person, or the colleague they chose, can fill in and see "
                                 "the firm's digital maturity assessment."))
    return db.session.get(Firm, user.firm_id)


def delegate(actor, user_id: int | None, *, now: datetime | None = None) -> User | None:
    """The contact person lets a colleague (a member of the firm) fill in the assessments; None takes it back."""
    if not (actor.firm_id and actor.is_firm_contact):
        raise PermissionDenied(_("Only the firm's contact person can choose who fills in the assessment."))
    db.session.execute(delete(DmaDelegation).where(DmaDelegation.firm_id == actor.firm_id))
    if user_id is None:
        db.session.flush()
        return None
    colleague = db.session.get(User, user_id)
    if colleague is None or colleague.firm_id != actor.firm_id or not colleague.active or colleague.id == actor.id:
        raise InvalidInput(_("Choose a colleague who is a member of the firm."), field="user_id")
    db.session.add(DmaDelegation(firm_id=actor.firm_id, user_id=colleague.id, delegated_by_id=actor.id,
                                 created_at=now or utcnow()))
    db.session.flush()
    return colleague


def list_colleagues(actor) -> list[User]:
    """The firm's other active members, whom the contact person may delegate to."""
    return list(db.session.execute(
        select(User).where(User.firm_id == actor.firm_id, User.id != actor.id, User.active.is_(True))
        .order_by(User.name, User.id)
    ).scalars())


# --- Assessments -------------------------------------------------------------------------------------------------

def find_open(firm_id: int) -> DmaAssessment | None:
    """The firm's open (unfinished) assessment, if any."""
    return db.session.execute(
        select(DmaAssessment).where(DmaAssessment.firm_id == firm_id, DmaAssessment.completed_at.is_(None))
    ).scalar_one_or_none()


def list_completed(firm_id: int) -> list[DmaAssessment]:
    """The firm's completed assessments, oldest first."""
    return list(db.session.execute(
        select(DmaAssessment).where(DmaAssessment.firm_id == firm_id, DmaAssessment.completed_at.is_not(None))
        .order_by(DmaAssessment.completed_at, DmaAssessment.id)
    ).scalars())


def open_assessment(firm_id: int, kind: str, *, stage: int | None = None, started_by_id: int | None = None,
                    requested: bool = False, now: datetime | None = None) -> DmaAssessment | None:
    """Create the firm's open assessment on the current questionnaire; None when one is open already (the partial
    unique index decides between simultaneous callers)."""
    now = now or utcnow()
    assessment = DmaAssessment(firm_id=firm_id, version=dma_questionnaire.current_version(), kind=kind, stage=stage,
                               created_at=now, requested_at=now if requested else None, started_by_id=started_by_id)
    try:
        with db.session.begin_nested():
            db.session.add(assessment)
    except IntegrityError:
        return None
    return assessment


def start(actor, *, now: datetime | None = None) -> DmaAssessment:
    """The assessment `actor` fills in now: the firm's open one, or a new one (T0 for a firm's first, else later)."""
    firm = require_assessor(actor)
    existing = find_open(firm.id)
    if existing is not None:
        return existing
    kind = "later" if list_completed(firm.id) else "T0"
    created = open_assessment(firm.id, kind, started_by_id=actor.id, now=now)
    if created is None:  # a colleague started one a moment ago
        created = find_open(firm.id)
    return created


def get_assessment(actor, assessment_id: int) -> DmaAssessment:
    """One of the actor's firm's assessments; NotFound for anyone else's (no hint that it exists)."""
    assessment = db.session.get(DmaAssessment, assessment_id)
    if assessment is None or not may_assess(actor, assessment.firm_id):
        raise NotFound(_("We could not find that assessment."))
    return assessment


def questionnaire_of(assessment: DmaAssessment) -> dma_questionnaire.Questionnaire:
    """The questionnaire version the assessment was started on."""
    return dma_questionnaire.load(assessment.version)


def answers_of(assessment_id: int) -> dict:
    """{question key: stored value} of an assessment."""
    return dict(db.session.execute(
        select(DmaAnswer.question_key, DmaAnswer.value).where(DmaAnswer.assessment_id == assessment_id)
    ).all())


def _require_open(assessment: DmaAssessment) -> None:
    if assessment.completed_at is not None:
        raise Conflict(_("This assessment is finished and can no longer be changed. Start a new one to see how "
                         "the firm has moved on."))


def save_answer(actor, assessment: DmaAssessment, question_key: str, value, *,
                now: datetime | None = None) -> None:
    """Save one question's answer (insert or replace); InvalidInput when it does not fit the question."""
    if not may_assess(actor, assessment.firm_id):
        raise NotFound(_("We could not find that assessment."))
    _require_open(assessment)
    questionnaire = questionnaire_of(assessment)
    question = questionnaire.question(question_key) if isinstance(question_key, str) else None
    if question is None:
        raise InvalidInput(_("That question is not part of this assessment."), field="question")
    levels = questionnaire.scales.get(question.scale, ()) if question.scale else ()
    stored = validate_answer(question, value, levels)
    if stored is None:
        raise InvalidInput(_("That answer does not fit the question."), field=question_key)
    now = now or utcnow()
    changed = db.session.execute(
        update(DmaAnswer).where(DmaAnswer.assessment_id == assessment.id, DmaAnswer.question_key == question_key)
        .values(value=stored, answered_by_id=actor.id, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(DmaAnswer(assessment_id=assessment.id, question_key=question_key, value=stored,
                                         answered_by_id=actor.id, updated_at=now))
        except IntegrityError:  # two saves of the same question at once: the later one wins
            db.session.execute(
                update(DmaAnswer).where(DmaAnswer.assessment_id == assessment.id,
                                        DmaAnswer.question_key == question_key)
                .values(value=stored, answered_by_id=actor.id, updated_at=now)
            )
    db.session.execute(update(DmaAssessment).where(DmaAssessment.id == assessment.id)
                       .values(updated_at=now, started_by_id=assessment.started_by_id or actor.id)
                       .execution_options(synchronize_session=False))
    set_loaded(assessment, updated_at=now, started_by_id=assessment.started_by_id or actor.id)


def save_dimension(actor, assessment: DmaAssessment, dimension_key: str, answers: dict, *,
                   now: datetime | None = None) -> None:
    """Save every answer given for a dimension's questions (the page without JavaScript); all or nothing."""
    questionnaire = questionnaire_of(assessment)
    dimension = find_dimension(questionnaire, dimension_key)
    with db.session.begin_nested():  # a bad answer rolls back the dimension's other answers too
        for question in dimension.questions:
            if question.key in answers:
                save_answer(actor, assessment, question.key, answers[question.key], now=now)


def find_dimension(questionnaire, key: str):
    """The questionnaire's dimension with this key; NotFound for any other."""
    for dimension in questionnaire.dimensions:
        if dimension.key == key:
            return dimension
    raise NotFound(_("We could not find that part of the assessment."))


@dataclass
class Progress:
    answered: int
    total: int
    resume_at: str | None  # the first dimension with an unanswered question; None when all are answered
    missing: list  # [(dimension, [questions not (fully) answered])]


def progress(assessment: DmaAssessment, answers: dict | None = None) -> Progress:
    """How far the assessment has come, and where to resume."""
    questionnaire = questionnaire_of(assessment)
    answers = answers_of(assessment.id) if answers is None else answers
    missing = []
    answered = total = 0
    for dimension in questionnaire.dimensions:
        open_questions = [q for q in dimension.questions if not is_complete(q, answers.get(q.key))]
        total += len(dimension.questions)
        answered += len(dimension.questions) - len(open_questions)
        if open_questions:
            missing.append((dimension, open_questions))
    return Progress(answered, total, missing[0][0].key if missing else None, missing)


def finish(actor, assessment: DmaAssessment, *, now: datetime | None = None) -> DmaAssessment:
    """Finish the assessment once every question is answered: compute and cache its scores (once)."""
    if not may_assess(actor, assessment.firm_id):
        raise NotFound(_("We could not find that assessment."))
    _require_open(assessment)
    answers = answers_of(assessment.id)
    state = progress(assessment, answers)
    if state.missing:
        raise InvalidInput(_("Answer every question before you finish: %(count)s question(s) are still open.",
                             count=state.total - state.answered))
    now = now or utcnow()
    result = score(questionnaire_of(assessment), answers)
    claimed = db.session.execute(
        update(DmaAssessment).where(DmaAssessment.id == assessment.id, DmaAssessment.completed_at.is_(None))
        .values(completed_at=now, completed_by_id=actor.id, overall=result.overall, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("This assessment is finished already."))
    set_loaded(assessment, completed_at=now, completed_by_id=actor.id, overall=result.overall, updated_at=now)
    db.session.add_all(DmaScore(assessment_id=assessment.id, dimension=key, score=value)
                       for key, value in result.dimensions.items())
    db.session.flush()
    return assessment


def scores_of(assessment_ids: list[int]) -> dict:
    """{assessment id: {dimension: score}} of completed assessments (one query)."""
    out: dict = {}
    if not assessment_ids:
        return out
    for assessment_id, dimension, value in db.session.execute(
        select(DmaScore.assessment_id, DmaScore.dimension, DmaScore.score)
        .where(DmaScore.assessment_id.in_(assessment_ids))
    ):
        out.setdefault(assessment_id, {})[dimension] = value
    return out
