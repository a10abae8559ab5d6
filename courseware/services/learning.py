"""Learner actions: mark a module read, tick a task, submit a quiz, and complete the course when the last
requirement is met (once, with its e-mail after the commit).

Exactly once: every action first claims the learner's enrolment row with one UPDATE (it also records the
last module touched). That row lock serialises one learner's actions in a course on PostgreSQL (and SQLite
takes its write lock there), so "is everything done now?" is never answered by two transactions that cannot
see each other's writes. Unique constraints plus savepoints catch whatever still races.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Completion, Course, CourseVersion, Enrolment, Firm, ModuleProgress, Provider, QuizAttempt, TaskCheck, User, utcnow
from . import attempts, certificates, dma_triggers, module_page, outbox, progress, quiz, rollups
from .certificate_codes import format_code, verify_url
from .mail import absolute_url, send_mail
from .progress import ModuleState
from .upsert import conflict_insert


# --- Actions -----------------------------------------------------------------------------------------------------

@dataclass
class ActionResult:
    """What an action changed: `completion` is set only when this very action completed the course."""

    state: ModuleState
    completion: Completion | None = None
    attempt: QuizAttempt | None = None
    repeated: bool = False


# Built once on the table (the statement costs more to build than to run from SQLAlchemy's compiled cache) and run
# on the session's connection, in its transaction: the ORM has nothing to do with an UPDATE whose rows it does not
# hold (an Enrolment it holds is not refreshed, as with synchronize_session=False before).
_ENROLMENTS = Enrolment.__table__
_CLAIM = (
    update(_ENROLMENTS)
    .where(_ENROLMENTS.c.user_id == bindparam("claim_user"), _ENROLMENTS.c.course_id == bindparam("claim_course"),
           _ENROLMENTS.c.withdrawn_at.is_(None))
    .values(last_module_key=bindparam("claim_key"), last_activity_at=bindparam("claim_at"))
)


def _claim(user, course, key: str, now: datetime) -> None:
    """Lock the learner's active enrolment (and note the module touched); PermissionDenied when not enrolled."""
    claimed = db.session.connection().execute(
        _CLAIM, {"claim_user": user.id, "claim_course": course.id, "claim_key": key, "claim_at": now}).rowcount
    if claimed != 1:
        raise PermissionDenied(_("Enrol in the course to save your progress."))


_PROGRESS_ROW = select(ModuleProgress).where(
    ModuleProgress.user_id == bindparam("user_id"), ModuleProgress.course_id == bindparam("course_id"),
    ModuleProgress.module_key == bindparam("key"))


def _progress_row(user, course, key: str, loaded: "_Loaded | None" = None) -> ModuleProgress:
    """The learner's progress row for a module, created when missing (race-safe); taken from `loaded` when given."""
    params = {"user_id": user.id, "course_id": course.id, "key": key}
    row = loaded.rows.get(key) if loaded is not None else db.session.execute(_PROGRESS_ROW, params).scalar_one_or_none()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = ModuleProgress(user_id=user.id, course_id=course.id, module_key=key)
            db.session.add(row)
    except IntegrityError:
        row = db.session.execute(_PROGRESS_ROW, params).scalar_one()
    if loaded is not None:
        loaded.rows[key] = row
    return row


@dataclass
class _Loaded:
    """The learner's progress rows (by module key) and ticked tasks in one course, read once under the enrolment
    lock by an action that then changes its rows in place, so that _finish judges the course without reading them
    again."""

    rows: dict[str, ModuleProgress]
    tasks: dict[str, set[int]]


def _load(user, course) -> _Loaded:
    rows, tasks = progress.progress_of([user.id], [course.id])
    key = (user.id, course.id)
    return _Loaded(rows.get(key, {}), tasks.get(key, {}))


def mark_read(user, module, now: datetime | None = None) -> ActionResult:
    """Mark a module read (a second time changes nothing) and complete the course if that was the last step."""
    now = now or utcnow()
    course = module.version.course
    _claim(user, course, module.key, now)
    loaded = _load(user, course)
    row = _progress_row(user, course, module.key, loaded)
    if row.read_at is None:
        row.read_at = now
        row.updated_at = now
    db.session.flush()
    return _finish(user, module, now, loaded=loaded)


def set_task(user, module, index: int, done: bool, now: datetime | None = None) -> ActionResult:
    """Tick (or untick) practical task number `index` of a module; ticking twice keeps one tick."""
    now = now or utcnow()
    if not 0 <= index < len(module.tasks or []):
        raise NotFound(_("The module has no such task."))
    course = module.version.course
    _claim(user, course, module.key, now)
    where = (TaskCheck.user_id == user.id, TaskCheck.course_id == course.id,
             TaskCheck.module_key == module.key, TaskCheck.task_index == index)
    if not done:
        db.session.execute(delete(TaskCheck).where(*where).execution_options(synchronize_session=False))
        return _finish(user, module, now, check_completion=False)
    if db.session.execute(select(TaskCheck.id).where(*where)).first() is None:
        try:
            with db.session.begin_nested():
                db.session.add(TaskCheck(user_id=user.id, course_id=course.id, module_key=module.key,
                                         task_index=index, checked_at=now))
        except IntegrityError:
            pass  # ticked by a simultaneous request: one tick is what we want
    return _finish(user, module, now)


def submit_quiz(user, module, answers: dict[int, list[str]], token: str, now: datetime | None = None,
                drawn: str | None = None) -> ActionResult:
    """Grade and keep a quiz attempt; the same form token submitted again returns the first attempt.

    `drawn` is the form's signed set of questions when the quiz draws from a pool (a changed set is refused). An
    attempt beyond the day's limit is refused (PermissionDenied), counted under the enrolment lock so that two
    tabs cannot both take the last one.
    """
    now = now or utcnow()
    if not module.has_quiz:
        raise NotFound(_("The module has no quiz."))
    if not quiz.is_token(token):
        raise InvalidInput(_("The quiz form had expired. Reload the page and answer again."))
    questions = None
    if quiz.draw_count(module):
        questions = quiz.check_draw(module, user.id, token, drawn)
        if questions is None:
            raise InvalidInput(_("This quiz form was changed or is out of date, so it was not graded. Answer the "
                                 "questions on the module page again."))
    course = module.version.course
    _claim(user, course, module.key, now)
    # Whether this form was submitted before, today's attempts and the next attempt's number: one query.
    tally = attempts.tally(user.id, course.id, module.key, token, now)
    if tally.token_taken:  # the same form again: its first attempt (Conflict when the token is someone else's)
        return _repeated(token, user, module)
    loaded = _load(user, course)
    row = _progress_row(user, course, module.key, loaded)
    limit = quiz.policy(module).attempts_per_day
    counted, number = tally.allowance(limit if row.quiz_passed_at is None else 0), tally.number
    if counted is not None and counted.used_up:
        raise PermissionDenied(used_up_message(counted))
    grade = quiz.grade_quiz(module, answers, questions)
    values = dict(
        token=token, user_id=user.id, course_id=course.id, module_key=module.key, number=number,
        version_id=module.version_id, answers=grade.snapshot, correct_count=grade.correct_count,
        question_count=grade.question_count, score=grade.score, pass_mark=grade.pass_mark, passed=grade.passed,
        created_at=now,
    )
    # One INSERT .. ON CONFLICT DO NOTHING RETURNING id (no savepoint, no flush): nothing comes back when the same
    # form (its token) or a simultaneous attempt (its number) was saved first.
    attempt_id = db.session.connection().execute(_insert_attempt(), values).scalar()
    if attempt_id is None:
        return _repeated(token, user, module)
    attempt = QuizAttempt(id=attempt_id, **values)
    make_transient_to_detached(attempt)  # the row as saved, in the session without another query
    db.session.add(attempt)
    best = grade.score if row.best_score is None or grade.score > row.best_score else row.best_score
    _save_quiz_progress(row, best, now if grade.passed and row.quiz_passed_at is None else row.quiz_passed_at, now)
    db.session.flush()
    result = _finish(user, module, now, check_completion=grade.passed, loaded=loaded)
    result.attempt = attempt
    return result


_PROGRESS = ModuleProgress.__table__
_SAVE_QUIZ_PROGRESS = (
    update(_PROGRESS).where(_PROGRESS.c.id == bindparam("row_id"))
    .values(best_score=bindparam("best"), quiz_passed_at=bindparam("passed_at"), updated_at=bindparam("at"))
)


def _save_quiz_progress(row: ModuleProgress, best: float, passed_at: datetime | None, now: datetime) -> None:
    """Write the progress row's quiz columns with one UPDATE built once (no unit-of-work flush for one row), and
    give the row in the session the same values as its saved state, so that nothing is left for a flush to write."""
    db.session.connection().execute(_SAVE_QUIZ_PROGRESS, {"row_id": row.id, "best": best, "passed_at": passed_at,
                                                          "at": now})
    for name, value in (("best_score", best), ("quiz_passed_at", passed_at), ("updated_at", now)):
        set_committed_value(row, name, value)


_INSERT_ATTEMPT: dict[str, object] = {}


def _insert_attempt():
    """The attempt's INSERT .. ON CONFLICT DO NOTHING RETURNING id, built once per dialect."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERT_ATTEMPT:
        _INSERT_ATTEMPT[dialect] = (conflict_insert(QuizAttempt.__table__).on_conflict_do_nothing()
                                    .returning(QuizAttempt.__table__.c.id))
    return _INSERT_ATTEMPT[dialect]


def _allowance(user, module, row: ModuleProgress | None, now: datetime | None) -> attempts.Allowance | None:
    """Today's attempts at the module's quiz; None when it has no daily limit or the learner has passed it."""
    limit = quiz.policy(module).attempts_per_day
    if not limit or (row is not None and row.quiz_passed_at is not None):
        return None
    return attempts.allowance(user.id, module.version.course.id, module.key, limit, now, in_transaction=True)


def used_up_message(today: attempts.Allowance) -> str:
    """What a learner who has used today's attempts is told (the module page says the same)."""
    return _("You have used today's attempts at this quiz. You can try again on %(date)s.",
             date=format_date(today.next_day, "medium"))  # as templating.date_text writes dates


def _repeated(token: str, user, module) -> ActionResult:
    """The result of a form submitted again: the attempt saved with its token first. Conflict when there is none (a
    simultaneous attempt took the number) or it is someone else's."""
    earlier = _attempt_by_token(token, user)
    if earlier is None:
        raise Conflict(_("Your answers could not be saved just now. Please submit them again."))
    return ActionResult(state=module_page.module_state(user, module), attempt=earlier, repeated=True)


_ATTEMPT_BY_TOKEN = select(QuizAttempt).where(QuizAttempt.token == bindparam("token"))


def _attempt_by_token(token: str, user) -> QuizAttempt | None:
    attempt = db.session.execute(_ATTEMPT_BY_TOKEN, {"token": token}).scalar_one_or_none()
    if attempt is not None and attempt.user_id != user.id:
        raise Conflict(_("The quiz form had expired. Reload the page and answer again."))
    return attempt


def get_attempt(user, module, attempt_id: int) -> QuizAttempt:
    """One of the user's own attempts at this module's quiz; NotFound for anyone else's (no hint it exists)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if (attempt is None or attempt.user_id != user.id or attempt.module_key != module.key
            or attempt.course_id != module.version.course_id):
        raise NotFound(_("We could not find that quiz result."))
    return attempt


@dataclass
class AttemptResult:
    """A quiz result as its page shows it: the questions without the right answers unless the policy reveals
    them, and today's attempts when the quiz has a daily limit the learner is still under."""

    attempt: QuizAttempt
    questions: list[dict]
    reveal: bool
    show_answers: str
    quiz_passed: bool  # by this attempt or any other
    today: attempts.Allowance | None


def attempt_result(user, module, attempt_id: int, now: datetime | None = None) -> AttemptResult:
    """One of the user's own results at this module's quiz, as the policy lets them see it (at most 3 queries)."""
    attempt = get_attempt(user, module, attempt_id)
    row = db.session.execute(select(ModuleProgress).where(
        ModuleProgress.user_id == user.id, ModuleProgress.course_id == attempt.course_id,
        ModuleProgress.module_key == module.key)).scalar_one_or_none()
    policy = quiz.policy(module)
    passed = attempt.passed or (row is not None and row.quiz_passed_at is not None)
    reveal = policy.reveals(passed)
    return AttemptResult(attempt, quiz.shown_result(attempt.answers, reveal), reveal, policy.show_answers, passed,
                         _allowance(user, module, row, now))


def _finish(user, module, now: datetime, check_completion: bool = True, loaded: _Loaded | None = None) -> ActionResult:
    """The module's state after an action, completing the course when every module of the outline is done.
    `loaded`: the rows the action read (with _load, under the enrolment lock) and changed."""
    version = module.version
    course = version.course
    loaded = loaded or _load(user, course)
    states = progress.evaluate(version.outline or [], loaded.rows, loaded.tasks)
    state = states.get(module.key) or module_page.module_state(user, module)
    result = ActionResult(state=state)
    if check_completion and states and all(s.done for s in states.values()):
        result.completion = complete_course(user, course, version, now)
    return result


_COMPLETION_OF = select(Completion.id).where(Completion.user_id == bindparam("user_id"),
                                             Completion.course_id == bindparam("course_id"))


def complete_course(user, course, version, now: datetime | None = None) -> Completion | None:
    """Record that `user` completed `course` on `version`, exactly once, with the certificates it earns (in this
    transaction); None when it was already recorded."""
    exists = db.session.connection().execute(_COMPLETION_OF, {"user_id": user.id, "course_id": course.id}).first()
    if exists is not None:
        return None
    completion = Completion(user_id=user.id, course_id=course.id, version_id=version.id, firm_id=user.firm_id,
                            completed_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return None  # a simultaneous request recorded it first
    # The learner's firm, held for the rest of this function: the report counts and both certificates read it, and
    # the session's identity map keeps only objects something refers to (else each of them would query it again).
    firm = db.session.get(Firm, user.firm_id) if user.firm_id else None
    certificate = certificates.issue_at_completion(completion, user, course, version, count=False)
    dma_triggers.on_completion(completion, version, now=completion.completed_at)  # a follow-up for the stage
    outbox.queue(send_completion_mail, user.id, course.id)  # announces the certificate too
    # The report counts last, completion and certificate in one change: their rows are the ones every completion
    # of the course in the month writes, locked from here to the commit, so simultaneous completions wait for each
    # other only this long.
    rollups.record_completion(completion, version, certificates=1 if certificate is not None else 0)
    del firm
    return completion


# --- E-mail ------------------------------------------------------------------------------------------------------

def send_completion_mail(user_id: int, course_id: int) -> bool:
    """Congratulate a learner on a completed course, with the certificate it earned (plain text and HTML); sent
    after the commit."""
    user = db.session.get(User, user_id)
    row = db.session.execute(
        select(Course.slug, CourseVersion.title, Provider.name, Completion.completed_at, Completion.id)
        .join(Completion, Completion.course_id == Course.id)
        .join(CourseVersion, CourseVersion.id == func.coalesce(Completion.version_id, Course.current_version_id))
        .join(Provider, Provider.id == Course.provider_id)
        .where(Course.id == course_id, Completion.user_id == user_id)
    ).first()
    if user is None or row is None:
        return False
    slug, title, provider, completed_at, completion_id = row
    certificate = certificates.find_certificate_for_completion(completion_id)
    if certificate is not None and certificate.revoked_at is not None:
        certificate = None
    return send_mail(
        user, _l("Course completed: %(title)s", title=title), "completion", user=user, title=title,
        provider=provider, completed_at=completed_at, course_url=absolute_url("public.course", slug=slug),
        my_courses_url=absolute_url("learner.my_courses"),
        code=format_code(certificate.code) if certificate else None,
        verify_url=verify_url(certificate.code) if certificate else None,
    )
