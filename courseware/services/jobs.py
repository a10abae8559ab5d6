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

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import JobRun, utcnow
from . import outbox

log = logging.getLogger("courseware.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable  # run(now=...) -> anything; flushes, the worker commits

    def slot(self, now: datetime) -> int:
        return int(now.timestamp() // self.interval.total_seconds())


JOBS: tuple[Job, ...] = (
    Job("outbox.purge_sent", timedelta(days=1), outbox.purge_sent),
)


def run_due_jobs(now: datetime | None = None, jobs: tuple[Job, ...] | None = None) -> list[str]:
    """Run each job whose current slot no worker has taken yet; returns the names of those this call ran."""
    now = now or utcnow()
    ran = []
    for job in JOBS if jobs is None else jobs:
        run = _take_slot(job, now)
        if run is None:
            continue
        try:
            job.run(now=now)
        except Exception as error:  # one broken job must not stop the others or the mail
            db.session.rollback()
            log.exception("Periodic job %s failed", job.name)
            run = db.session.get(JobRun, run.id)
            run.error = f"{type(error).__name__}: {error}"[:1000]
        run.finished_at = utcnow()
        db.session.commit()
        ran.append(job.name)
    return ran


def _take_slot(job: Job, now: datetime) -> JobRun | None:
    run = JobRun(name=job.name, slot=job.slot(now), started_at=now)
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:  # another worker has this slot
        db.session.rollback()
        return None
    return run
