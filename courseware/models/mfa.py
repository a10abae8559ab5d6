"""A second factor for staff accounts: one TOTP credential per user and its one-time recovery codes."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class TotpCredential(db.Model):
    """The user's TOTP secret, Fernet-encrypted with a key derived from SECRET_KEY (services/mfa.py). Unconfirmed
    (confirmed_at None) while the person is enrolling; only a confirmed credential asks for a code at login."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second time step whose code was accepted: a code (and any older one) works once.
    last_used_step: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class RecoveryCode(db.Model):
    """One recovery code (SHA-256 of its normal form); used_at is set when it is spent."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
