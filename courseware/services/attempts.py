"""The daily attempt limit of a quiz (`attempts_per_day`, see services/quiz.py Policy).

A day is a calendar day where the learners live: the app's time zone, BABEL_DEFAULT_TIMEZONE (Europe/Oslo), so a
new day's attempts start at midnight Norwegian time, summer and winter. The limit holds while the quiz is not yet
passed: once it is, taking the quiz again cannot change whether the module is complete, and is not limited.

Attempts are counted from their rows, never kept in a counter: learning.submit_quiz counts them under the
enrolment row lock before it saves one, and the module page counts them with one small query of its own (only for
a module with a limit whose quiz the learner has not passed).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, bindparam, case, exists, func, select

from ..extensions import db
from ..models import QuizAttempt, utcnow
from ..models.fastquery import FastSelect


@dataclass(frozen=True)
class Allowance:
    """A learner's attempts at one quiz today: `limit` a day, `used` so far, a new day on `next_day`."""

    limit: int
    used: int
    next_day: date  # the local date when the next day's attempts start

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def used_up(self) -> bool:
        return self.left == 0


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(now: datetime) -> tuple[date, datetime, datetime]:
    """The app's calendar day at `now`: its date and its first and next day's first moments in UTC."""
    zone = _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = now.astimezone(zone).date()
    start, end = (datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc)
                  for day in (today, today + timedelta(days=1)))
    return today, start, end


_WHERE = (QuizAttempt.user_id == bindparam("user_id"), QuizAttempt.course_id == bindparam("course_id"),
          QuizAttempt.module_key == bindparam("key"), QuizAttempt.created_at >= bindparam("start"),
          QuizAttempt.created_at < bindparam("end"))
_COUNT = select(func.count(QuizAttempt.id)).where(*_WHERE)
_FAST_COUNT = FastSelect(_COUNT)


def allowance(user_id: int, course_id: int, key: str, limit: int, now: datetime | None = None, *,
              in_transaction: bool = False) -> Allowance:
    """Today's attempts at a quiz with a daily `limit` (one query). In the transaction that is about to save an
    attempt (under the enrolment lock) with in_transaction; otherwise on a pooled connection, as the module page
    runs its queries (models/fastquery.py)."""
    today, start, end = local_day(now or utcnow())
    params = {"user_id": user_id, "course_id": course_id, "key": key, "start": start, "end": end}
    if in_transaction:
        used = db.session.execute(_COUNT, params).scalar_one()
    else:
        # FastSelect hands parameters to the driver as they are: timestamps as the column stores them.
        bind = QuizAttempt.__table__.c.created_at.type.bind_processor(db.engine.dialect)
        if bind is not None:
            params["start"], params["end"] = bind(start), bind(end)
        used = _FAST_COUNT.first(**params)[0]
    return Allowance(limit, int(used), today + timedelta(days=1))


_SAME_TOKEN = QuizAttempt.__table__.alias("same_token")  # not correlated with the attempts counted
_TALLY = select(
    func.count(case((and_(QuizAttempt.created_at >= bindparam("start"), QuizAttempt.created_at < bindparam("end")),
                      QuizAttempt.id))),
    func.coalesce(func.max(QuizAttempt.number), 0),
    exists(select(_SAME_TOKEN.c.id).where(_SAME_TOKEN.c.token == bindparam("token"))),
).where(*_WHERE[:3])


@dataclass(frozen=True)
class Tally:
    """What the transaction about to save an attempt reads first, under the enrolment lock (one query)."""

    token_taken: bool  # an attempt was saved with this form's token (by anyone: tokens are unique)
    used_today: int  # the learner's attempts at the quiz today
    number: int  # the number the new attempt gets
    next_day: date

    def allowance(self, limit: int) -> Allowance | None:
        """Today's attempts under a daily `limit`; None when there is none (0)."""
        return Allowance(limit, self.used_today, self.next_day) if limit else None


def tally(user_id: int, course_id: int, key: str, token: str, now: datetime | None = None) -> Tally:
    """Whether the form's token was used already, today's attempts and the next attempt's number, in one query."""
    today, start, end = local_day(now or utcnow())
    # On the session's connection, in its transaction: plain values, nothing for the ORM to do.
    used, last, taken = db.session.connection().execute(_TALLY, {
        "user_id": user_id, "course_id": course_id, "key": key, "start": start, "end": end, "token": token}).one()
    return Tally(bool(taken), int(used), int(last) + 1, today + timedelta(days=1))
