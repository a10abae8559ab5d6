"""Certificates: a learner's personal certificate for a completed course, a firm's certificate for a course its
people completed, and the audit log of what was done to them (revocation, restoring).

Everything a certificate shows is frozen when it is issued (names, titles, the signer, the hours), so renaming a
course, a provider or a person later never changes a certificate someone has printed. The code is the public
handle: random, Crockford base32, stored without dashes in upper case (services/certificate_codes.py).
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# Why a certificate was revoked; the reason category is public (verification page, API), the note is not.
# "account_deleted": the holder deleted their account (services.privacy); staff cannot choose or undo it.
REVOCATION_REASONS = ("issued_in_error", "misconduct", "withdrawn_by_provider", "other", "account_deleted")


class Certificate(db.Model):
    """A learner's certificate for one completed course (one per completion, issued in the same transaction)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completions.id", ondelete="SET NULL"), unique=True)
    # SET NULL: a deleted account's certificates are revoked and anonymised by services.privacy, never left behind.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id", ondelete="SET NULL"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="SET NULL"), index=True)
    # Frozen at issue time.
    learner_name: Mapped[str] = mapped_column(String(200))
    course_slug: Mapped[str] = mapped_column(String(64))
    course_title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[int] = mapped_column(Integer, default=1)
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    provider_slug: Mapped[str] = mapped_column(String(64))
    provider_name: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int] = mapped_column(Integer, default=0)  # the course's modules' minutes, summed
    language: Mapped[str] = mapped_column(String(2), default="nb")  # the learner's language when issued
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never expires
    # Open Badges 3.0: the recipient is a salted SHA-256 of the e-mail address ("sha256$<hex>"), never the address.
    recipient_salt: Mapped[str] = mapped_column(String(32))
    recipient_hash: Mapped[str] = mapped_column(String(80))
    # This certificate's bit in the Bitstring Status List (revocation), unique across all personal certificates.
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(30))  # one of REVOCATION_REASONS


class FirmCertificate(db.Model):
    """A firm's certificate for a course, issued when the firm's first employee completes it."""

    __tablename__ = "firm_certificates"
    __table_args__ = (UniqueConstraint("firm_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    # Frozen at issue time.
    firm_name: Mapped[str] = mapped_column(String(200))
    orgnr: Mapped[str] = mapped_column(String(9))
    course_slug: Mapped[str] = mapped_column(String(64))
    course_title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[int] = mapped_column(Integer, default=1)
    provider_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(30))


class CertificateEvent(db.Model):
    """The audit log: who revoked (or restored) which certificate, when and why. Never edited or deleted."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    firm_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("firm_certificates.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # "revoked" | "restored"
    reason: Mapped[str | None] = mapped_column(String(30))  # one of REVOCATION_REASONS
    note: Mapped[str] = mapped_column(Text, default="")  # for the audit log only, never shown publicly
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(200), default="")  # kept when the actor's account is deleted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
