"""The module page's learner part: one query for the published module and the learner's state in it, and the
state the page shows (read, tasks, a freshly shuffled quiz form with its one-time token, today's attempts).

The hottest page of the platform (README "How the module page stays fast"): everything the learner's part shows of
the state is in ModulePageState.fragment_key, which keys its cached rendering (web/page_shell.py).
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import String, and_, bindparam, cast, func, literal_column, select

from ..extensions import db
from ..models import Completion, Course, CourseVersion, Enrolment, Module, ModuleProgress, TaskCheck, User, UserLogin
from ..models.fastquery import FastSelect
from . import accounts, attempts, catalogue, logins, quiz
from .progress import ModuleState, completion_join, evaluate


@dataclass
class ModulePageState:
    """The learner's state in one module plus a freshly shuffled quiz form (with its one-time token and, when
    the quiz draws from a pool, the signed set of questions drawn for it)."""

    withdrawn: bool
    module: ModuleState
    course_completed: bool
    questions: list = field(default_factory=list)
    quiz_token: str = ""
    quiz_drawn: str = ""
    pass_mark: float = 0.0
    daily_limit: int = 0  # the quiz's attempts_per_day (0: no limit)
    draw: int = 0  # questions drawn per attempt from a pool of pool_size (0: every question)
    pool_size: int = 0
    attempts_left: int | None = None  # today's, while a daily limit applies (not yet passed); else None
    retry_on: date | None = None  # when today's attempts are used up: the day the next ones start (no form today)

    @property
    def active(self) -> bool:
        return not self.withdrawn

    def fragment_key(self) -> tuple:
        """Everything learner/_module_activity.html shows of this state but the quiz's holes (see page_shell.py)."""
        ms = self.module
        return (self.withdrawn, self.course_completed, ms.read, tuple(sorted(ms.tasks_done)), ms.task_count,
                ms.has_quiz, ms.quiz_passed, ms.best_score, self.pass_mark, self.daily_limit, self.draw, self.pool_size,
                self.attempts_left, self.retry_on)


def module_state(user, module) -> ModuleState | None:
    """The user's state in one module (2 queries); None when not enrolled (or withdrawn)."""
    state = module_page_state(user, module, with_quiz=False)
    return state.module if state is not None and state.active else None


# Built once, as the module page runs them on every view: building (and cache-keying) a select costs more than
# running it. The enrolment, its completion and one module's progress row; the same joined to the published module
# (the module page's one query); and one module's ticked tasks.
_MODULE_ROW = (
    select(Enrolment, Completion.id, ModuleProgress)
    .outerjoin(Completion, completion_join())
    .outerjoin(ModuleProgress, and_(ModuleProgress.user_id == Enrolment.user_id,
                                    ModuleProgress.course_id == Enrolment.course_id,
                                    ModuleProgress.module_key == bindparam("key")))
    .where(Enrolment.user_id == bindparam("user_id"), Enrolment.course_id == bindparam("course_id"))
)
# The module page's one query: which module row is published under (slug, key), and the learner's enrolment,
# completion, progress and ticked tasks in it. Plain columns, no ORM entities: the module itself comes from
# catalogue.module_view's cache, and with SQLite fewer fetched columns also means fewer GIL releases per request.
_TICKED = (
    # The separator as SQL text, not a bound parameter, so the statement needs no post-compile step (FastSelect).
    select(func.aggregate_strings(cast(TaskCheck.task_index, String), literal_column("','")))
    .where(TaskCheck.user_id == bindparam("user_id"), TaskCheck.course_id == Course.id,
           TaskCheck.module_key == Module.key)
    .scalar_subquery()
)
_MODULE_PAGE = (
    select(Module.id, Module.render_hash, CourseVersion.id, CourseVersion.source_hash, Course.id, Course.slug,
           Enrolment.id,
           Enrolment.withdrawn_at, Completion.id, ModuleProgress.read_at, ModuleProgress.quiz_passed_at,
           ModuleProgress.best_score, _TICKED)
    .select_from(Course)
    .join(CourseVersion, CourseVersion.id == Course.current_version_id)
    .join(Module, and_(Module.version_id == CourseVersion.id, Module.key == bindparam("key")))
    .outerjoin(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("user_id")))
    .outerjoin(Completion, completion_join())
    .outerjoin(ModuleProgress, and_(ModuleProgress.user_id == Enrolment.user_id,
                                    ModuleProgress.course_id == Enrolment.course_id,
                                    ModuleProgress.module_key == Module.key))
    .where(Course.slug == bindparam("slug"))
)
# The same with the logged-in user's row and the start of the session's login (None when it has ended), so the
# page needs no separate query for Flask-Login (see module_page).
_USER_ATTRS = [(attr.key, attr.columns[0]) for attr in User.__mapper__.column_attrs]
_MODULE_PAGE_AND_USER = (
    _MODULE_PAGE.add_columns(UserLogin.created_at, *[column.label(f"user_{key}") for key, column in _USER_ATTRS])
    .outerjoin(User, User.id == bindparam("user_id"))
    .outerjoin(UserLogin, and_(UserLogin.id == bindparam("login_id"), UserLogin.user_id == User.id))
)
_LOGIN_AT = len(_MODULE_PAGE.selected_columns)
_USER_FROM = _LOGIN_AT + 1
_FAST_MODULE_PAGE = FastSelect(_MODULE_PAGE)
_FAST_MODULE_PAGE_AND_USER = FastSelect(_MODULE_PAGE_AND_USER)
_MODULE_TASKS = select(TaskCheck.task_index).where(
    TaskCheck.user_id == bindparam("user_id"), TaskCheck.course_id == bindparam("course_id"),
    TaskCheck.module_key == bindparam("key"),
)


def module_page(user_id: int, slug: str, key: str, *, login_id: int | None = None, now: datetime | None = None):
    """The published module (a catalogue.ModuleView) and the learner's state in it, for the module page.

    One query (plus one the first time this process shows the module, and one that counts today's attempts while
    a quiz with a daily limit is not passed); the state is None when the learner never enrolled. NotFound when
    there is no such published module. With the session's login_id, the same query reads the user's row and
    login and, while that login is current, hands the User to Flask-Login (accounts.prefetch_user), which then
    needs no query of its own.
    """
    if login_id is None:
        row = _FAST_MODULE_PAGE.first(slug=slug, key=key, user_id=user_id)
    else:
        row = _FAST_MODULE_PAGE_AND_USER.first(slug=slug, key=key, user_id=user_id, login_id=login_id)
    if row is None:
        raise catalogue.module_not_found()
    if login_id is not None and row[_USER_FROM] is not None and logins.login_is_current(row[_LOGIN_AT]):
        accounts.prefetch_user({key: value for (key, _), value in zip(_USER_ATTRS, row[_USER_FROM:])}, login_id)
    (module_id, render_hash, version_id, source_hash, course_id, course_slug, enrolment_id, withdrawn_at,
     completion_id, read_at, quiz_passed_at, best_score, ticked) = row[:_LOGIN_AT]
    module = catalogue.module_view(module_id, render_hash, version_id, source_hash, course_id, course_slug)
    if enrolment_id is None:
        return module, None
    progress = _ProgressRow(read_at, quiz_passed_at, best_score) if read_at or quiz_passed_at or best_score is not None else None
    tasks = {int(i) for i in ticked.split(",")} if ticked else set()
    return module, _page_state(module, user_id, withdrawn_at, completion_id, progress, tasks, with_quiz=True,
                               now=now, in_transaction=False)


def module_page_state(user, module, *, with_quiz: bool = True, now: datetime | None = None) -> ModulePageState | None:
    """The module page's state: read, tasks, quiz (shuffled, with a new token); None when never enrolled.

    At most 3 queries: the enrolment with its completion and this module's progress row, then the module's
    ticked tasks (skipped when it has none), then today's attempts (only with_quiz, as in module_page).
    """
    params = {"user_id": user.id, "course_id": module.version.course.id, "key": module.key}
    row = db.session.execute(_MODULE_ROW, params).first()
    if row is None:
        return None
    enrolment, completion_id, progress = row
    tasks = set(db.session.execute(_MODULE_TASKS, params).scalars()) if module.tasks else set()
    return _page_state(module, user.id, enrolment.withdrawn_at, completion_id, progress, tasks, with_quiz=with_quiz,
                       now=now, in_transaction=True)


class _ProgressRow(NamedTuple):
    read_at: datetime | None
    quiz_passed_at: datetime | None
    best_score: float | None


def _page_state(module, user_id: int, withdrawn_at, completion_id, progress, tasks: set[int], *, with_quiz: bool,
                now: datetime | None, in_transaction: bool) -> ModulePageState:
    entry = {"key": module.key, "title": module.title, "tasks": len(module.tasks or []), "quiz": module.has_quiz}
    state = evaluate([entry], {module.key: progress} if progress else {}, {module.key: tasks})[module.key]
    page = ModulePageState(withdrawn=withdrawn_at is not None, module=state, course_completed=completion_id is not None)
    if with_quiz and module.has_quiz and page.active:
        page.pass_mark = quiz.pass_mark(module)
        page.daily_limit = quiz.policy(module).attempts_per_day
        page.draw, page.pool_size = quiz.draw_count(module), len(quiz.questions_of(module))
        if page.daily_limit and not state.quiz_passed:
            today = attempts.allowance(user_id, module.version.course.id, module.key, page.daily_limit, now,
                                       in_transaction=in_transaction)
            page.attempts_left = today.left
            if today.used_up:
                page.retry_on = today.next_day
                return page  # no form until then
        page.questions = quiz.show_quiz(module)
        page.quiz_token = quiz.new_token()
        if page.draw:
            page.quiz_drawn = quiz.sign_draw(module, user_id, page.quiz_token, page.questions)
    return page
