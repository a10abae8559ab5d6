"""Readiness: may this app server take traffic? The database answers, its schema is at the migrations' head, and
(when required) a background worker was seen recently. Liveness (/healthz) needs none of this."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import JobRun, utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or why not
    reason: str = ""  # the first failing check's explanation; "" when ready

    @property
    def ready(self) -> bool:
        return not self.reason

    def fail(self, name: str, why: str) -> None:
        self.checks[name] = why
        self.reason = self.reason or f"{name}: {why}"


@cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) of courseware/migrations (read once per process: they change only with a deploy)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def check_readiness(*, requires_worker: bool = False, worker_max_age: int = 120,
                    now: datetime | None = None) -> Readiness:
    """Check the database, the schema revision and (if `requires_worker`) the worker's heartbeat."""
    result = Readiness()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # any driver error means "not ready", never a 500
        result.fail("database", f"unreachable ({type(error).__name__})")
        result.checks["migrations"] = "unknown"
    else:
        result.checks["database"] = "ok"
        heads = migration_heads()
        if current == heads:
            result.checks["migrations"] = "ok"
        else:
            found = ", ".join(sorted(current)) or "none"
            result.fail("migrations", f"database at {found}, code expects {', '.join(sorted(heads))}")
    if not requires_worker:
        result.checks["worker"] = "not required"
    else:
        seen = worker_last_seen()
        if seen is None:
            result.fail("worker", "never seen")
        elif (now or utcnow()) - seen > timedelta(seconds=worker_max_age):
            result.fail("worker", f"last seen {seen.isoformat()}")
        else:
            result.checks["worker"] = "ok"
    return result


def worker_last_seen() -> datetime | None:
    """When a background worker last reported that it is alive (timezone-aware UTC), or None.

    Every worker poll runs the periodic jobs, and one of them ("worker.heartbeat", services/jobs.py) takes a slot
    each minute; its latest `job_runs` row is the heartbeat.
    """
    from .jobs import HEARTBEAT  # jobs imports the outbox and mail; health is imported by the app factory
    return db.session.scalar(select(func.max(JobRun.started_at)).where(JobRun.name == HEARTBEAT))
