"""Organisations: providers (business parks, incubators, libraries) that own courses, and firms that learn."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

PROVIDER_KINDS = ("business_park", "incubator", "library", "other")
SIZE_BANDS = ("0-9", "10-49", "50-249", "250+")


class Provider(db.Model):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="business_park")
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

    members = relationship("User", back_populates="firm", lazy="raise")

    @property
    def orgnr_display(self) -> str:
        return f"{self.orgnr[:3]} {self.orgnr[3:6]} {self.orgnr[6:]}"


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
