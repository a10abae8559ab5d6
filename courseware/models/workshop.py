"""The libraries' maker spaces (folkeverksted): machines, the courses that grant permission to use them, each
resident's workshop pass and the staff sign-offs that give (and withdraw) a permission for one machine.

A permission row is one sign-off for one machine; a refresher makes a new row, and the newest row of a person and
machine decides what the desk look-up answers (services/workshop_rules.py).
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

MACHINE_KINDS = ("laser_cutter", "3d_printer", "vinyl_cutter", "sewing_machine", "cnc_mill", "other")
# The age bands of the library reports; a sign-off keeps its band, so the counts outlive a deleted account.
AGE_BANDS = ("under_16", "16_19", "20_39", "40_66", "67_plus", "unknown")


class Machine(db.Model):
    """A machine in a library's maker space."""

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    room: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MachineGrant(db.Model):
    """A published course grants permission for a machine (after a staff sign-off), with the rules for it."""

    __tablename__ = "machine_grants"
    __table_args__ = (UniqueConstraint("course_id", "machine_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"), index=True)
    min_age: Mapped[int | None] = mapped_column(Integer)  # None: any age
    consent_under_age: Mapped[int | None] = mapped_column(Integer)  # a guardian consents below this age
    valid_months: Mapped[int | None] = mapped_column(Integer)  # None: never expires
    # The shorter course that renews an expired permission (None: the same course again).
    refresher_course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))

    machine = relationship("Machine", lazy="raise")


class WorkshopPass(db.Model):
    """A resident's workshop pass: the code its QR carries, and the year of birth when a course needed an age."""

    __tablename__ = "workshop_passes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MachinePermission(db.Model):
    """One staff sign-off of one person for one machine: who, when, the note, the guardian's consent, and its
    withdrawal. A deleted account leaves the row without a person (user_id NULL, no note): an anonymous count."""

    __tablename__ = "machine_permissions"
    __table_args__ = (Index("ix_machine_permissions_user_machine", "user_id", "machine_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_off_by_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    age_band: Mapped[str] = mapped_column(String(10), default="unknown")
    guardian_name: Mapped[str] = mapped_column(String(200), default="")
    guardian_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guardian_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    machine = relationship("Machine", lazy="raise")
