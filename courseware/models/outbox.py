"""The transactional outbox: an e-mail a committed transaction asked to send, stored in that transaction.

A worker (services/outbox.py, `courseware worker`) claims due rows, sends and marks them sent; a failure waits
with exponential back-off, and after OUTBOX_MAX_ATTEMPTS the row is "failed" and shows on /admin/mail. While a
row is "sending", next_attempt_at is the end of the worker's lease: a worker that died mid-send leaves a row that
another claims once the lease has run out (delivery is at least once, never lost).
"""
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(200))  # the registered mail function, e.g. "accounts.send_password_reset"
    payload: Mapped[dict] = mapped_column(JSON)  # {"args": [...], "kwargs": {...}, "locale": "nb"}: ids and strings
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # due, or end of the lease
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
