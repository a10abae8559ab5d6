"""Digital maturity assessments (DMA): a firm's self-assessments, their answers and cached scores, delegation."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# T0: the baseline asked for when a firm first enrols in a stage; T1: the follow-up when it completes the stage;
# later: any assessment the firm starts itself.
DMA_KINDS = ("T0", "T1", "later")
# The six dimensions of the DMA for SMEs, in the questionnaire's order; course.toml's `dma_dimensions` names these.
DMA_DIMENSIONS = ("strategy", "readiness", "human", "data", "automation", "green")


class DmaAssessment(db.Model):
    """One self-assessment of a firm on one questionnaire version; open until completed_at is set."""

    __tablename__ = "dma_assessments"
    # At most one open assessment per firm: two triggers at once (two colleagues enrolling) ask once.
    __table_args__ = (
        Index("uq_dma_assessments_open_firm", "firm_id", unique=True,
              sqlite_where=text("completed_at IS NULL"), postgresql_where=text("completed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(5))
    # The course stage whose start (T0) or completion (T1) asked for it; None for one the firm started itself.
    stage: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the platform asked for it (and mailed the contact person); the reminder goes two weeks later.
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The overall score, cached when completed (the dimensions' scores are in dma_scores).
    overall: Mapped[float | None] = mapped_column(Float)

    firm = relationship("Firm", lazy="raise")

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


class DmaAnswer(db.Model):
    """One question's answer, saved as the person goes (autosave), keyed by the questionnaire's question key."""

    __tablename__ = "dma_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("dma_assessments.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(64))
    # checklist: [item keys ticked]; scale: {item key: level value}
    value: Mapped[object] = mapped_column(JSON)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DmaScore(db.Model):
    """A completed assessment's score in one dimension, cached so reports can average with GROUP BY."""

    __tablename__ = "dma_scores"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("dma_assessments.id", ondelete="CASCADE"),
                                               primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class DmaDelegation(db.Model):
    """The firm's contact person lets one colleague fill in the firm's assessments (one at a time per firm)."""

    __tablename__ = "dma_delegations"
    __table_args__ = (UniqueConstraint("firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delegated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
