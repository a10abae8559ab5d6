"""The browser studio: course drafts that authors edit, what happened to them, and invitations for provider staff.

A draft is a course package kept in the database, file by file, in exactly the COURSE_FORMAT.md layout
(`course.toml`, `modules/NN-key.md`, `assets/...`), so that checking and publishing it is the same code path as
`courseware check` and `courseware import`: the draft is written to a temporary folder and imported. Learners
never see a draft; they see the course's current published version. Asset bytes live in the media store under
their sha256, like published assets.
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

DRAFT_FILE_KINDS = ("manifest", "module", "asset")


class CourseDraft(db.Model):
    """The working copy of one course (by slug) for its provider's authors; at most one per slug."""

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    # None until the draft is first published (a new course).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    # The version the draft was started from (or last published as); None for a new course.
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id", ondelete="SET NULL"))
    # Bumped by every change to any file of the draft: a page saved from an older revision is a conflict.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The last check: [{"path", "line", "code", "message", "severity"}] and the revision it was run on.
    check_problems: Mapped[list | None] = mapped_column(JSON)
    checked_revision: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider", lazy="raise")
    course = relationship("Course", lazy="raise")
    files = relationship("DraftFile", back_populates="draft", lazy="raise", cascade="all, delete-orphan",
                         order_by="DraftFile.path")


class DraftFile(db.Model):
    """One file of a draft: the manifest or a module (text), or an asset (bytes in the media store)."""

    __tablename__ = "draft_files"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_drafts.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(300))  # inside the package: course.toml, modules/01-x.md, assets/y.png
    kind: Mapped[str] = mapped_column(String(10))  # one of DRAFT_FILE_KINDS
    text: Mapped[str | None] = mapped_column(Text)  # manifest and modules
    sha256: Mapped[str | None] = mapped_column(String(64))  # assets
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str | None] = mapped_column(String(100))
    alt: Mapped[str | None] = mapped_column(String(500))  # an image's alt text, asked for at upload
    # Bumped by each change to this file: an editor saved from an older revision is a conflict.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    draft = relationship("CourseDraft", back_populates="files", lazy="raise")


class StudioEvent(db.Model):
    """Who did what to a course in the studio, and when: the course's history."""

    __tablename__ = "studio_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # e.g. created, saved, module_added, module_renamed, module_removed, modules_reordered, asset_added,
    # asset_removed, uploaded, published, restored, retired, reinstated
    action: Mapped[str] = mapped_column(String(30))
    path: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    version_number: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User", lazy="raise")


class StaffInvitation(db.Model):
    """An e-mailed invitation to become an author for one provider (creating the account when needed)."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider", lazy="raise")
