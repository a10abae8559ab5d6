"""Organisations: providers (business parks, incubators, libraries) that own courses, and firms that learn."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

PROVIDER_KINDS = ("business_park", "incubator", "library", "other")
SIZE_BANDS = ("0-9", "10-49", "50-249", "250+")
# How a firm's contact person was verified: their name matched a role holder in Brønnøysund's roles data, or an
# administrator checked them.
VERIFIED_VIA = ("register", "admin")
# A request to join a firm is pending until the contact person (or an admin) approves or declines it, or the
# person withdraws it (joining another firm withdraws it too).
JOIN_REQUEST_STATUSES = ("pending", "approved", "declined", "withdrawn")


class Provider(db.Model):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="business_park")
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    # The logo's bytes live in the media store under this sha256 (png, jpg or webp).
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    courses = relationship("Course", back_populates="provider", lazy="raise")


class Firm(db.Model):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    orgnr: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality_code: Mapped[str | None] = mapped_column(String(4), index=True)
    industry_section: Mapped[str | None] = mapped_column(String(1), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(6))
    size_band: Mapped[str | None] = mapped_column(String(8), index=True)
    # "manual" (typed in by the contact person) or "brreg" (from Enhetsregisteret).
    source: Mapped[str] = mapped_column(String(10), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while the contact person is unverified; then one of VERIFIED_VIA, with when (and which admin).
    # Funders' reports show firms with an unverified contact separately.
    verified_via: Mapped[str | None] = mapped_column(String(10))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # use_alter: users.firm_id points the other way, and the cycle must not stop create_all/drop_all.
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, ondelete="SET NULL"), index=True
    )

    members = relationship("User", back_populates="firm", lazy="raise", foreign_keys="User.firm_id")

    @property
    def orgnr_display(self) -> str:
        return f"{self.orgnr[:3]} {self.orgnr[3:6]} {self.orgnr[6:]}"

    @property
    def verified(self) -> bool:
        """Whether the firm's contact person has been verified (by the register's roles or an administrator)."""
        return self.verified_at is not None


class FirmInvitation(db.Model):
    """An e-mailed invitation to join a firm (and, for new people, to create an account)."""

    __tablename__ = "firm_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Set when the invitation also enrols the person in a course (bulk enrolment by a provider).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    firm = relationship("Firm", lazy="raise")


class FirmJoinRequest(db.Model):
    """A learner asks to join an existing firm; the firm's verified contact person (or an admin) decides."""

    __tablename__ = "firm_join_requests"
    # One pending request per person at a time: a double click or two tabs make one request.
    __table_args__ = (
        Index("uq_firm_join_requests_pending_user", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    firm = relationship("Firm", lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class RegistryEntry(db.Model):
    """A local snapshot of one Enhetsregisteret entity, so firm lookups work offline and without the API."""

    __tablename__ = "registry_entries"

    orgnr: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    org_form: Mapped[str | None] = mapped_column(String(10))
    municipality_code: Mapped[str | None] = mapped_column(String(4), index=True)
    # The register's raw code (e.g. "25.620"); the section letter is derived from it when needed.
    industry_code: Mapped[str | None] = mapped_column(String(10))
    # None when the register withholds the headcount (fewer than 5 employees, or unknown).
    employees: Mapped[int | None] = mapped_column(Integer)
    # "bulk" (from `courseware registry-import`) or "api" (remembered from a live lookup).
    source: Mapped[str] = mapped_column(String(10), default="bulk")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
