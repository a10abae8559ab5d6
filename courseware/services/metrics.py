"""Prometheus metrics: what is counted, the hooks other code calls, and the text a scrape gets.

Request counts and latencies are observed by web/request_metrics.py; completions are counted here when the
transaction that recorded them commits; mail code calls `count_mail_failure()`; the queue depth is read at scrape
time from `queue_depth()`.

Several processes on one host (e.g. a process manager that forks workers) need prometheus_client's multiprocess
mode: set PROMETHEUS_MULTIPROC_DIR to an empty folder, writable by the app, *before* the processes start (the
library reads it at import) and empty it on every start; each scrape then adds up the files of all processes.
"""
import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session

from ..extensions import db
from ..models import Completion, OutboxMessage

log = logging.getLogger("courseware.metrics")

REQUESTS = Counter("courseware_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("courseware_http_request_duration_seconds",
                    "Time from the start of a request to its response, by endpoint, method and status.",
                    ["endpoint", "method", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
COMPLETIONS = Counter("courseware_completions_total", "Course completions recorded (counted when committed).")
MAIL_FAILURES = Counter("courseware_mail_failures_total", "E-mails that could not be sent.")

_PENDING_COMPLETIONS = "metrics.completions"


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    labels = (endpoint, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def count_mail_failure() -> None:
    """Hook for mail delivery: one e-mail could not be sent (this attempt)."""
    MAIL_FAILURES.inc()


def queue_depth() -> int | None:
    """E-mails waiting in the outbox (pending, or claimed and not yet sent; failed ones wait for nobody), or None
    when the database does not answer (a scrape must still report the other metrics)."""
    try:
        return db.session.scalar(select(func.count(OutboxMessage.id))
                                 .where(OutboxMessage.status.in_(("pending", "sending"))))
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("Could not read the outbox's queue depth for /metrics", exc_info=True)
        return None


class _QueueDepth:
    """Reads the queue depth at scrape time (a callback gauge that works in multiprocess mode too)."""

    def collect(self):
        depth = queue_depth()
        if depth is not None:
            yield GaugeMetricFamily("courseware_queue_depth", "E-mails waiting in the outbox.", value=depth)


def render_latest() -> tuple[bytes, str]:
    """The exposition text for a scrape and its content type (all processes' values in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    at_scrape = CollectorRegistry(auto_describe=False)
    at_scrape.register(_QueueDepth())
    return generate_latest(registry) + generate_latest(at_scrape), CONTENT_TYPE_LATEST


# Completions are counted on commit, not on insert, so a rolled-back completion is never counted.
@event.listens_for(Completion, "after_insert")
def _completion_inserted(_mapper, _connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_PENDING_COMPLETIONS] = session.info.get(_PENDING_COMPLETIONS, 0) + 1


@event.listens_for(Session, "after_commit")
def _commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    count = session.info.pop(_PENDING_COMPLETIONS, 0)
    if count:
        COMPLETIONS.inc(count)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_COMPLETIONS, None)
