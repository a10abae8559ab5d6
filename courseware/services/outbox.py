"""Durable mail: a transactional outbox (models/outbox.py) that a worker delivers, with retries and back-off.

A service calls `queue(fn, *args)` where it would send an e-mail (enrolment confirmed, course completed, a reset
link, an invitation). fn must be a registered mail function (MAIL_FUNCTIONS, or `register(fn)`) that takes ids and
strings (and lazy_gettext texts), not ORM objects: queue() stores its name and arguments as an `outbox_messages`
row in the current transaction, so a commit makes the mail durable and a rollback drops it.

Delivery, at least once: `drain()` (the worker, `courseware worker`, or the thread `courseware run` starts; see
services/worker.py) claims due rows (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one conditional UPDATE),
calls the function, and marks the row sent. A failure waits OUTBOX_RETRY_SECONDS * 2**(attempts-1), and after
OUTBOX_MAX_ATTEMPTS the row is "failed" and shows on /admin/mail, where an administrator can retry it. A claim is a
lease of OUTBOX_LEASE_SECONDS: a worker that dies mid-send leaves its rows to be claimed again when it runs out, so
such a mail may go out twice, never zero times. So that a laptop or a single server does not wait for the worker's
next poll, a request's committed rows are also tried right after its response has been sent (`take_ready()`,
`deliver(ready)`, web/mail_after_response.py); CLI commands and tests call `deliver()` after they commit.
"""
import importlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from flask_babel import get_locale, gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, delete, event, inspect, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from ..models import OutboxMessage, utcnow
from . import metrics

log = logging.getLogger("courseware.mail")

_PENDING = "outbox.pending"  # messages added in the session's current transaction
_READY = "outbox.ready"  # ids of messages whose transaction has committed (for the after-response attempt)

# The functions a stored message may name ("module.function" under courseware.services): a row never imports
# or calls anything else.
MAIL_FUNCTIONS = frozenset({
    "accounts.send_password_changed", "accounts.send_password_reset", "bulk.send_invitation",
    "certificates.send_certificate_mail", "certificates.send_firm_certificate_mail",
    "dma_triggers.send_assessment_reminder", "dma_triggers.send_assessment_request", "enrolment.send_enrolment_mail",
    "firms.send_firm_verified_mail", "invitations.send_invitation", "learning.send_completion_mail",
    "membership.send_decision_mail", "membership.send_join_request_mail", "membership.send_member_mail",
    "staff_invitations.send_staff_invitation", "verification.send_account_exists", "verification.send_confirmation",
    "verification.send_welcome",
})
_registered: dict[str, Callable] = {}


def kind_of(fn: Callable) -> str:
    """The name a message stores for fn: "module.function" for courseware.services, else the full dotted name."""
    return f"{fn.__module__.removeprefix('courseware.services.')}.{fn.__qualname__}"


def register(fn: Callable) -> Callable:
    """Allow queue(fn) for a mail function outside MAIL_FUNCTIONS (a plugin's); usable as a decorator."""
    _registered[kind_of(fn)] = fn
    return fn


def mail_function(kind: str) -> Callable:
    """The registered function a message names; KeyError for any other name."""
    if kind in _registered:
        return _registered[kind]
    if kind not in MAIL_FUNCTIONS:
        raise KeyError(kind)
    module, name = kind.rsplit(".", 1)
    return getattr(importlib.import_module(f"courseware.services.{module}"), name)


def queue(fn: Callable, *args, **kwargs) -> OutboxMessage:
    """Store a call of fn(*args, **kwargs) in the current transaction, to be sent once it has committed."""
    kind = kind_of(fn)
    if kind not in MAIL_FUNCTIONS and kind not in _registered:
        raise ValueError(f"{kind} is not a registered mail function (services/outbox.py)")
    payload = {"args": [_encode(a) for a in args], "kwargs": {k: _encode(v) for k, v in kwargs.items()}}
    if has_request_context():  # recipients without a saved language get the language of the request
        payload["locale"] = str(get_locale() or "")
    now = utcnow()
    message = OutboxMessage(kind=kind, payload=payload, status="pending", attempts=0, next_attempt_at=now,
                            created_at=now)
    session = db.session()
    session.add(message)
    session.info.setdefault(_PENDING, []).append(message)
    return message


def _encode(value):
    if isinstance(value, LazyString):  # translated when sent, in the recipient's language
        if value._func is not gettext or len(value._args) != 1:
            raise TypeError("only lazy_gettext(text, **params) can be queued")
        return {"lazy_gettext": value._args[0], "params": {k: _encode(v) for k, v in value._kwargs.items()}}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a queued mail takes ids and strings, not {type(value).__name__}")


def _decode(value):
    if isinstance(value, dict) and "lazy_gettext" in value:
        return lazy_gettext(value["lazy_gettext"], **value["params"])
    return value


def take_ready() -> list[int]:
    """Take the ids of the messages whose transaction has committed, to try at once with deliver(ready)."""
    return db.session().info.pop(_READY, [])


def deliver(ready: list[int] | None = None, locale: str | None = None, now: datetime | None = None) -> int:
    """Try the messages of take_ready() now (default: those ready in this session); returns how many were tried.

    Those another worker has claimed already are skipped. Commits the session. `locale` is not used any more (each
    message stores its request's language); it stays for callers written before the outbox table.
    """
    ready = take_ready() if ready is None else ready
    now = now or utcnow()
    return _send_all(claim(now, ids=ready), now) if ready else 0


def drain(now: datetime | None = None, batch: int = 50) -> int:
    """Send every message that is due (what the worker does on each poll); returns how many were tried."""
    now = now or utcnow()
    tried: set[int] = set()
    while claimed := [i for i in claim(now, limit=batch) if i not in tried]:
        tried.update(claimed)
        _send_all(claimed, now)
    return len(tried)


def claim(now: datetime, ids: list[int] | None = None, limit: int = 50) -> list[int]:
    """Claim up to `limit` due messages (pending and due, or sending with an expired lease) and commit the claim."""
    lease_end = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    due = and_(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.next_attempt_at <= now)
    candidates = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    if ids is not None:
        candidates = candidates.where(OutboxMessage.id.in_(ids))
    candidates = candidates.limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":  # several workers take different rows without waiting
        candidates = candidates.with_for_update(skip_locked=True)
    # One statement (not SELECT then UPDATE): the condition is checked again as the row is written, and SQLite's
    # first statement is a write, so two workers queue on the write lock instead of failing to upgrade a read.
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(candidates.scalar_subquery()), due)
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=lease_end)
        .returning(OutboxMessage.id).execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return sorted(claimed)


def _send_all(ids: list[int], now: datetime) -> int:
    for message_id in ids:
        _send(message_id, now)
    return len(ids)


def _send(message_id: int, now: datetime) -> None:
    message = db.session.get(OutboxMessage, message_id)
    kind, payload, attempts = message.kind, message.payload, message.attempts
    saved = g.get("courseware_mail_locale"), g.get("courseware_mail_raise")
    g.courseware_mail_locale = payload.get("locale") or None  # see mail.send_mail
    g.courseware_mail_raise = True  # an SMTP failure raises here, so the message is retried
    try:
        fn = mail_function(kind)
        fn(*[_decode(a) for a in payload["args"]], **{k: _decode(v) for k, v in payload["kwargs"].items()})
    except Exception as error:  # a mail function's failure must not stop the others
        db.session.rollback()
        log.exception("Could not send a queued e-mail (%s)", kind.rpartition(".")[2])
        metrics.count_mail_failure()
        _record_failure(message_id, attempts, f"{type(error).__name__}: {error}", now)
    else:
        # End the function's read transaction first: on SQLite a read snapshot cannot always become a write
        # (another worker wrote since), while a transaction that begins with the write waits for its turn.
        db.session.rollback()
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(status="sent", sent_at=utcnow(), last_error=None)
                           .execution_options(synchronize_session=False))
        db.session.commit()
    finally:
        g.courseware_mail_locale, g.courseware_mail_raise = saved


def _record_failure(message_id: int, attempts: int, error: str, now: datetime) -> None:
    # The delay counts from the poll's `now` (not the clock after a slow SMTP timeout), so tests can step time.
    cfg = current_app.config
    values = {"last_error": error[:2000]}
    if attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]:
        values["status"] = "failed"
    else:
        delay = min(cfg["OUTBOX_RETRY_SECONDS"] * 2 ** (attempts - 1), cfg["OUTBOX_RETRY_MAX_SECONDS"])
        values.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_admin):
        raise PermissionDenied(gettext("Only administrators can see the outgoing e-mail."))


def list_messages(actor, limit: int = 50) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
    """The failed messages (oldest first) and the `limit` most recent ones; administrators only."""
    _require_admin(actor)
    failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")
                                .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(500)).all()
    recent = db.session.scalars(select(OutboxMessage)
                                .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)).all()
    return list(failed), list(recent)


def retry(actor, message_id: int) -> OutboxMessage:
    """Send a failed message again, with a fresh count of attempts; it is tried after the commit."""
    _require_admin(actor)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(gettext("No such e-mail."))
    if message.status != "failed":
        raise Conflict(gettext("Only an e-mail that failed can be sent again."))
    message.status, message.attempts, message.next_attempt_at = "pending", 0, utcnow()
    db.session.flush()
    db.session().info.setdefault(_PENDING, []).append(message)
    return message


def purge_sent(now: datetime | None = None) -> int:
    """Delete sent messages older than OUTBOX_KEEP_DAYS (a periodic job, services/jobs.py)."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    result = db.session.execute(delete(OutboxMessage).where(OutboxMessage.status == "sent",
                                                            OutboxMessage.sent_at < cutoff))
    return result.rowcount


@event.listens_for(Session, "after_commit")
def _commit(session: Session) -> None:
    # Savepoint commits fire this too; only the outermost commit makes queued mail ready.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        # identity (no SQL): None for a message whose savepoint rolled back
        ids = [key[0] for key in (inspect(m).identity for m in pending) if key]
        session.info.setdefault(_READY, []).extend(ids)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction) -> None:
    # Whatever is still pending when the outermost transaction ends was rolled back.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
