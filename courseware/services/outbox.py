"""Mail that goes out only after the transaction that caused it has committed, and after the response.

A service calls `queue(fn, *args)` where it would send an e-mail (enrolment confirmed, course completed, a reset
link, an invitation); fn takes ids and strings, not ORM objects, as it runs in an app context of its own. The
message is held on the database session; the commit makes it ready, a rollback drops it. In a request,
courseware/web/mail_after_response.py takes what is ready and sends it once the response has been sent
(`deliver(ready, locale)`), so no page waits for an SMTP server, and a page answers in the same time whether or not
it mails anyone (a password reset for an address without an account). CLI commands and tests call `deliver()`
after they commit. So a rolled-back completion never mails anyone, and no row lock is held while SMTP answers.
"""
import logging

from flask import g
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from . import metrics

log = logging.getLogger("courseware.mail")

_PENDING = "outbox.pending"
_READY = "outbox.ready"


def queue(fn, *args, **kwargs) -> None:
    """Call fn(*args, **kwargs) once the current transaction has committed (never if it rolls back)."""
    db.session().info.setdefault(_PENDING, []).append((fn, args, kwargs))


def take_ready() -> list:
    """Take the messages whose transaction has committed, to send later with deliver(ready)."""
    return db.session().info.pop(_READY, [])


def deliver(ready: list | None = None, locale: str | None = None) -> int:
    """Send the messages of take_ready() (default: those ready now); returns how many were attempted.

    `locale` is the language of the request that queued them, for recipients without a saved language.
    """
    if ready is None:
        ready = take_ready()
    if locale:
        g.courseware_mail_locale = locale  # see mail.send_mail
    for fn, args, kwargs in ready:
        try:
            fn(*args, **kwargs)
        except Exception:  # a mail must never break the page that caused it
            log.exception("Could not send a queued e-mail (%s)", getattr(fn, "__name__", fn))
            metrics.count_mail_failure()
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
