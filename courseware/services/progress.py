"""Learner progress as pages show it: module states, course percent, "continue where you left off", "Mine kurs"
and summaries for the firm's and the provider's lists. The actions that change progress live in learning.py, the
module page's learner part in module_page.py.

Progress is keyed by (user, course, module key) and always judged against the course's *current* outline: a
module added by a re-import is required from then on, a removed one stops counting, and a learner who already
completed keeps their Completion row (on the version they completed).
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Certificate, Completion, Course, CourseVersion, Enrolment, ModuleProgress, Provider, TaskCheck


# --- States ------------------------------------------------------------------------------------------------------

@dataclass
class ModuleState:
    """Where a learner stands in one module of the current outline."""

    key: str
    title: str = ""
    read: bool = False
    tasks_done: set[int] = field(default_factory=set)
    task_count: int = 0
    has_quiz: bool = False
    quiz_passed: bool = False
    best_score: float | None = None

    @property
    def tasks_complete(self) -> bool:
        return len(self.tasks_done) >= self.task_count

    @property
    def done(self) -> bool:
        return self.read and self.tasks_complete and (self.quiz_passed or not self.has_quiz)

    @property
    def started(self) -> bool:
        return self.read or bool(self.tasks_done) or self.best_score is not None

    @property
    def steps(self) -> int:
        """What there is to do in the module: reading it, each task, and its quiz."""
        return 1 + self.task_count + (1 if self.has_quiz else 0)

    @property
    def steps_done(self) -> int:
        return int(self.read) + len(self.tasks_done) + (1 if self.has_quiz and self.quiz_passed else 0)

    @property
    def css(self) -> str:
        return "done" if self.done else "started" if self.started else "todo"

    @property
    def label(self) -> str:
        return _("Completed") if self.done else _("Started") if self.started else _("Not started")


@dataclass
class Summary:
    """One learner's progress in one course, for lists (firm view, provider view, "Mine kurs").

    `percent` counts whole modules; the steps count read modules, ticked tasks and passed quizzes, so the firm's
    and the provider's lists show a learner halfway through a module as under way.
    """

    percent: int
    completed_modules: int
    total_modules: int
    completed: bool = False
    completed_at: datetime | None = None
    steps_done: int = 0
    steps_total: int = 0

    @property
    def step_percent(self) -> int:
        if self.completed:
            return 100
        return self.steps_done * 100 // self.steps_total if self.steps_total else 0


@dataclass
class CourseState:
    """The learner's enrolment and progress in a course, for the course page and "Mine kurs"."""

    enrolment: Enrolment
    module_states: dict[str, ModuleState]
    summary: Summary
    continue_key: str | None
    completed_at: datetime | None = None
    completed_version: int | None = None
    certificate: Certificate | None = None  # the certificate the completion earned

    @property
    def active(self) -> bool:
        return self.enrolment.withdrawn_at is None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def percent(self) -> int:
        return self.summary.percent


def evaluate(outline: list[dict], rows: dict[str, object], tasks: dict[str, set[int]]) -> dict[str, ModuleState]:
    """Module states for an outline from progress rows (by key) and ticked task numbers (by key)."""
    states = {}
    for entry in outline or []:
        key, row = entry["key"], rows.get(entry["key"])
        count = int(entry.get("tasks") or 0)
        states[key] = ModuleState(
            key=key, title=entry.get("title", key), task_count=count, has_quiz=bool(entry.get("quiz")),
            read=bool(row is not None and row.read_at),  # a datetime, or a flag (course_progress_rows)
            tasks_done={i for i in tasks.get(key, ()) if i < count},
            quiz_passed=bool(row is not None and row.quiz_passed_at),
            best_score=row.best_score if row is not None else None,
        )
    return states


def summarise(states: dict[str, ModuleState], completed_at: datetime | None = None) -> Summary:
    """Percent, module and step counts; a completed course is 100 % (every step) whatever was added to it later."""
    total = len(states)
    done = sum(1 for s in states.values() if s.done)
    percent = 100 if completed_at else (done * 100 // total if total else 0)
    steps_total = sum(s.steps for s in states.values())
    steps_done = steps_total if completed_at else sum(s.steps_done for s in states.values())
    return Summary(percent, done, total, completed_at is not None, completed_at, steps_done, steps_total)


def continue_key(outline: list[dict], states: dict[str, ModuleState], last_key: str | None) -> str | None:
    """Where to pick up: the last module touched if unfinished, else the next unfinished one, else the first."""
    keys = [entry["key"] for entry in outline or []]
    if not keys:
        return None
    if last_key in states and not states[last_key].done:
        return last_key
    start = keys.index(last_key) + 1 if last_key in keys else 0
    for key in keys[start:] + keys[:start]:
        if not states[key].done:
            return key
    return keys[0]


# --- Reading states ----------------------------------------------------------------------------------------------

def completion_join():
    """The join condition from Enrolment to the learner's Completion of the same course."""
    return and_(Completion.user_id == Enrolment.user_id, Completion.course_id == Enrolment.course_id)


def course_page_state(user, course) -> CourseState | None:
    """The user's enrolment and progress in a course, for the course page; None when never enrolled (2 queries)."""
    return course_progress(user, course)


def course_progress(user, course) -> CourseState | None:
    """Progress in one course against its current outline; None when the user never enrolled."""
    done_version = aliased(CourseVersion)
    rows = db.session.execute(
        select(Enrolment, Completion.completed_at, done_version.number, ModuleProgress, Certificate)
        .outerjoin(Completion, completion_join())
        .outerjoin(done_version, done_version.id == Completion.version_id)
        .outerjoin(Certificate, Certificate.completion_id == Completion.id)
        .outerjoin(ModuleProgress, and_(ModuleProgress.user_id == Enrolment.user_id,
                                        ModuleProgress.course_id == Enrolment.course_id))
        .where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    ).all()
    if not rows:
        return None
    enrolment, completed_at, version_number = rows[0][0], rows[0][1], rows[0][2]
    progress = {row[3].module_key: row[3] for row in rows if row[3] is not None}
    outline = course.current_version.outline or []
    tasks = ticked_tasks(user.id, course.id) if any(e.get("tasks") for e in outline) else {}
    states = evaluate(outline, progress, tasks)
    return CourseState(
        enrolment=enrolment, module_states=states, summary=summarise(states, completed_at),
        continue_key=continue_key(outline, states, enrolment.last_module_key),
        completed_at=completed_at, completed_version=version_number, certificate=rows[0][4],
    )


def ticked_tasks(user_id: int, course_id: int, module_key: str | None = None) -> dict[str, set[int]]:
    stmt = select(TaskCheck.module_key, TaskCheck.task_index).where(
        TaskCheck.user_id == user_id, TaskCheck.course_id == course_id
    )
    if module_key is not None:
        stmt = stmt.where(TaskCheck.module_key == module_key)
    tasks: dict[str, set[int]] = {}
    for key, index in db.session.execute(stmt):
        tasks.setdefault(key, set()).add(index)
    return tasks


def progress_summaries(user_ids, course_ids=None) -> dict[tuple[int, int], Summary]:
    """{(user_id, course_id): Summary} for every enrolment of these users (optionally only these courses).

    Three queries whatever the number of users and courses: enrolments with outlines and completions,
    progress rows, ticked tasks.
    """
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    stmt = (
        select(Enrolment.user_id, Enrolment.course_id, CourseVersion.outline, Completion.completed_at)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .outerjoin(Completion, completion_join())
        .where(Enrolment.user_id.in_(user_ids))
    )
    if course_ids is not None:
        stmt = stmt.where(Enrolment.course_id.in_(list(course_ids)))
    enrolments = db.session.execute(stmt).all()
    if not enrolments:
        return {}
    rows, tasks = progress_of(user_ids, course_ids)
    summaries = {}
    for user_id, course_id, outline, completed_at in enrolments:
        states = evaluate(outline or [], rows.get((user_id, course_id), {}), tasks.get((user_id, course_id), {}))
        summaries[(user_id, course_id)] = summarise(states, completed_at)
    return summaries


def course_progress_rows(course_id: int):
    """Every learner's progress rows {user: {key: row}} and ticked tasks {user: {key: {index}}} in one course.

    Two plain queries (tuples, not ORM objects) for exports of whole courses; a row's read_at and quiz_passed_at
    are flags here, not dates (evaluate needs no more, and parsing dates was most of the time).
    """
    rows: dict[int, dict] = {}
    for row in db.session.execute(
        select(ModuleProgress.user_id, ModuleProgress.module_key,
               ModuleProgress.read_at.is_not(None).label("read_at"),
               ModuleProgress.quiz_passed_at.is_not(None).label("quiz_passed_at"),
               ModuleProgress.best_score).where(ModuleProgress.course_id == course_id)
    ):
        rows.setdefault(row.user_id, {})[row.module_key] = row
    tasks: dict[int, dict] = {}
    for user_id, key, index in db.session.execute(
        select(TaskCheck.user_id, TaskCheck.module_key, TaskCheck.task_index).where(TaskCheck.course_id == course_id)
    ):
        tasks.setdefault(user_id, {}).setdefault(key, set()).add(index)
    return rows, tasks


# progress_of's statements, built once (building them costs more than a cached compile): with and without the
# course filter; each list is one expanding parameter.
_IN_USERS, _IN_COURSES = bindparam("user_ids", expanding=True), bindparam("course_ids", expanding=True)
_MP_OF = select(ModuleProgress).where(ModuleProgress.user_id.in_(_IN_USERS))
_TC_OF = select(TaskCheck.user_id, TaskCheck.course_id, TaskCheck.module_key, TaskCheck.task_index).where(
    TaskCheck.user_id.in_(_IN_USERS))
_MP_OF_COURSES = _MP_OF.where(ModuleProgress.course_id.in_(_IN_COURSES))
_TC_OF_COURSES = _TC_OF.where(TaskCheck.course_id.in_(_IN_COURSES))


def progress_of(user_ids, course_ids=None):
    """Progress rows {(user, course): {key: row}} and ticked tasks {(user, course): {key: {index}}} (2 queries)."""
    params = {"user_ids": list(user_ids)}
    if course_ids is None:
        mp_stmt, tc_stmt = _MP_OF, _TC_OF
    else:
        mp_stmt, tc_stmt = _MP_OF_COURSES, _TC_OF_COURSES
        params["course_ids"] = list(course_ids)
    rows: dict[tuple[int, int], dict] = {}
    for row in db.session.execute(mp_stmt, params).scalars():
        rows.setdefault((row.user_id, row.course_id), {})[row.module_key] = row
    tasks: dict[tuple[int, int], dict] = {}
    for user_id, course_id, key, index in db.session.connection().execute(tc_stmt, params):  # plain values: no ORM
        tasks.setdefault((user_id, course_id), {}).setdefault(key, set()).add(index)
    return rows, tasks


@dataclass
class CourseCard:
    """One course on "Mine kurs"."""

    slug: str
    title: str
    provider: str
    enrolment: Enrolment
    summary: Summary
    continue_key: str | None
    continue_title: str = ""
    completed_version: int | None = None
    completed_title: str = ""
    certificate: Certificate | None = None  # the certificate the completion earned
    gives_certificate: bool = False  # whether the version completed gives one


@dataclass
class MyCourses:
    in_progress: list[CourseCard]
    completed: list[CourseCard]
    withdrawn: list[CourseCard]

    @property
    def empty(self) -> bool:
        return not (self.in_progress or self.completed or self.withdrawn)


def my_courses(user) -> MyCourses:
    """ "Mine kurs": courses in progress (most recent first), completed ones and left ones; 3 queries in all."""
    done_version = aliased(CourseVersion)
    result = db.session.execute(
        select(Enrolment, Course.slug, CourseVersion.title, CourseVersion.outline, Provider.name,
               Completion.completed_at, done_version.number, done_version.title, done_version.certificate,
               Certificate)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Provider, Provider.id == Course.provider_id)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .outerjoin(Completion, completion_join())
        .outerjoin(done_version, done_version.id == Completion.version_id)
        .outerjoin(Certificate, Certificate.completion_id == Completion.id)
        .where(Enrolment.user_id == user.id)
        .order_by(func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at).desc(), Enrolment.id.desc())
    ).all()
    mine = MyCourses([], [], [])
    if not result:
        return mine
    rows, tasks = progress_of([user.id])
    for (enrolment, slug, title, outline, provider, completed_at, done_number, done_title, settings,
         certificate) in result:
        outline = outline or []
        key = (user.id, enrolment.course_id)
        states = evaluate(outline, rows.get(key, {}), tasks.get(key, {}))
        resume = continue_key(outline, states, enrolment.last_module_key)
        card = CourseCard(
            slug=slug, title=title or done_title or slug, provider=provider, enrolment=enrolment,
            summary=summarise(states, completed_at), continue_key=resume,
            continue_title=states[resume].title if resume else "",
            completed_version=done_number, completed_title=done_title or "", certificate=certificate,
            gives_certificate=isinstance(settings, dict) and settings.get("enabled") is True,
        )
        if completed_at:
            mine.completed.append(card)
        elif enrolment.withdrawn_at is None:
            mine.in_progress.append(card)
        else:
            mine.withdrawn.append(card)
    mine.completed.sort(key=lambda c: c.summary.completed_at, reverse=True)
    return mine
