"""Periodic jobs, declared in one place (JOBS), run by the worker (services/worker.py).

Each job runs once per schedule slot (floor(time / interval)) however many workers poll: a worker first inserts a
`job_runs` row unique on (name, slot) and commits it, and only the worker whose insert succeeded runs the job. A job
that fails is logged and recorded on its row and is not run again in that slot (at most once per slot; it runs
again in the next one), so a job must be safe to run late or to skip once.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import JobRun, utcnow
from . import dma_triggers, outbox

log = logging.getLogger("courseware.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable  # run(now=...) -> anything; flushes, the worker commits

    def slot(self, now: datetime) -> int:
        return int(now.timestamp() // self.interval.total_seconds())


HEARTBEAT = "worker.heartbeat"


def heartbeat(now: datetime) -> None:
    """The job's row is the heartbeat /readyz reads (services/health.worker_last_seen); keep the last hour's."""
    db.session.execute(delete(JobRun).where(JobRun.name == HEARTBEAT, JobRun.started_at < now - timedelta(hours=1)))


JOBS: tuple[Job, ...] = (
    Job("outbox.purge_sent", timedelta(days=1), outbox.purge_sent),
    Job(HEARTBEAT, timedelta(minutes=1), heartbeat),
    Job("dma.remind", timedelta(hours=1), dma_triggers.send_reminders),  # digital maturity reminders, 2 weeks on
)


def run_due_jobs(now: datetime | None = None, jobs: tuple[Job, ...] | None = None) -> list[str]:
    """Run each job whose current slot no worker has taken yet; returns the names of those this call ran."""
    now = now or utcnow()
    ran = []
    for job in JOBS if jobs is None else jobs:
        run_id = _take_slot(job, now)
        if run_id is None:
            continue
        error = None
        try:
            job.run(now=now)
            db.session.commit()
        except Exception as exc:  # one broken job must not stop the others or the mail
            db.session.rollback()
            log.exception("Periodic job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"[:1000]
        db.session.execute(update(JobRun).where(JobRun.id == run_id).values(finished_at=utcnow(), error=error))
        db.session.commit()
        ran.append(job.name)
    return ran


def _take_slot(job: Job, now: datetime) -> int | None:
    """Insert and commit the (name, slot) row; its id, or None when another worker has the slot.

    ON CONFLICT DO NOTHING rather than catching the unique violation: workers poll every few seconds, and
    PostgreSQL would log each violation as an error.
    """
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    run_id = db.session.execute(insert(JobRun).values(name=job.name, slot=job.slot(now), started_at=now)
                                .on_conflict_do_nothing(index_elements=["name", "slot"])
                                .returning(JobRun.id)).scalar_one_or_none()
    db.session.commit()
    return run_id
