"""Courses and their immutable published versions (one per import that changed something)."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Course(db.Model):
    """A course slug, owned by one provider, pointing at its published version."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A retired course is gone from the catalogue and takes no new enrolments; enrolled learners keep their
    # progress and certificates.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider", back_populates="courses", lazy="raise")
    current_version = relationship("CourseVersion", foreign_keys=[current_version_id], lazy="raise", post_update=True)


class CourseVersion(db.Model):
    """Everything a course.toml said at one import, plus the package hash it came from."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    industry: Mapped[str | None] = mapped_column(String(1), index=True)
    stage: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(2), default="nb")
    audience: Mapped[str] = mapped_column(String(10), default="firms")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    pass_mark: Mapped[float] = mapped_column(Float, default=0.8)
    # The quiz policy of [completion] (a module's quiz: may override each): when a result shows the right answers
    # ("after-pass", "always" or "never") and how many attempts a learner has per day (0 = no limit).
    show_answers: Mapped[str] = mapped_column(String(10), default="after-pass")
    attempts_per_day: Mapped[int] = mapped_column(Integer, default=0)
    requires: Mapped[list] = mapped_column(JSON, default=list)
    certificate: Mapped[dict] = mapped_column(JSON, default=dict)
    partners: Mapped[list] = mapped_column(JSON, default=list)
    # The digital maturity dimensions the course addresses (course.toml `dma_dimensions`; services/dma.py).
    dma_dimensions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # The modules in order, [{"key", "title", "minutes", "tasks": n, "quiz": bool}], so pages that list
    # modules or compute progress need no extra query.
    outline: Mapped[list] = mapped_column(JSON, default=list)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The course.toml as imported, so any version can be exported as a package again (None: imported before
    # sources were kept).
    manifest_source: Mapped[str | None] = mapped_column(Text)
    # Who published it from the studio (None: imported from the command line).
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course = relationship("Course", foreign_keys=[course_id], lazy="raise")
    modules = relationship(
        "Module", back_populates="version", order_by="Module.position", lazy="raise", cascade="all, delete-orphan"
    )


class Module(db.Model):
    """One module of one course version, with its HTML rendered and sanitised at import."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int | None] = mapped_column(Integer)
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    tasks: Mapped[list] = mapped_column(JSON, default=list)
    # {"pass_mark": float | None, "show_answers": str | None, "attempts_per_day": int | None, "draw": int | None,
    #  "questions": [{"prompt", "correct": [...], "wrong": [...], "explain"}]} or {}; None means the course's value
    # (draw: every question). Rows imported before the policy existed lack those keys, which means the same.
    quiz: Mapped[dict] = mapped_column(JSON, default=dict)
    html: Mapped[str] = mapped_column(Text)
    # The module file as imported (front matter and Markdown), for export, comparing versions and restoring.
    source: Mapped[str | None] = mapped_column(Text)
    toc: Mapped[list] = mapped_column(JSON, default=list)
    # Hash of everything the HTML depends on, so an unchanged module is never rendered twice.
    render_hash: Mapped[str] = mapped_column(String(64), index=True)

    version = relationship("CourseVersion", back_populates="modules", lazy="raise")

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz and self.quiz.get("questions"))


class Asset(db.Model):
    """A file from a package's assets/ folder; the bytes live in the media store under their sha256."""

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
