"""Mail that goes out only after the transaction that caused it has committed.

A service calls `queue(fn, *args)` where it would send an e-mail (enrolment confirmed, course completed). The
message is held on the database session; the commit makes it ready, a rollback drops it, and `deliver()` (run
after every request, and by CLI commands and tests after they commit) sends what is ready. So a rolled-back
completion never mails anyone, and no row lock is held while an SMTP server answers.
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger("courseware.mail")

_PENDING = "outbox.pending"
_READY = "outbox.ready"


def queue(fn, *args, **kwargs) -> None:
    """Call fn(*args, **kwargs) once the current transaction has committed (never if it rolls back)."""
    db.session().info.setdefault(_PENDING, []).append((fn, args, kwargs))


def deliver() -> int:
    """Send every message whose transaction has committed; returns how many were attempted."""
    session = db.session()
    ready = session.info.pop(_READY, [])
    for fn, args, kwargs in ready:
        try:
            fn(*args, **kwargs)
        except Exception:  # a mail must never break the page that caused it
            log.exception("Could not send a queued e-mail (%s)", getattr(fn, "__name__", fn))
    return len(ready)


@event.listens_for(Session, "after_commit")
def _commit(session: Session) -> None:
    # Savepoint commits fire this too; only the outermost commit makes queued mail ready.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction) -> None:
    # Whatever is still pending when the outermost transaction ends was rolled back.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
