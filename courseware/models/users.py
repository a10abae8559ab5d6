"""Accounts: one User per person, with one role."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

ROLES = ("learner", "author", "funder", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    # Authors belong to the provider whose courses they may manage.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"), index=True)
    # Learners belong to at most one firm; the firm's contact person manages it.
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="SET NULL"), index=True)
    is_firm_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who invited the person into their current firm, when they came by an invitation they accepted. A contact
    # person whose invitation they accepted sees their data even before the contact is verified (services/firms.py).
    firm_invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Detailed progress is shared with the firm's contact person only when the learner agrees.
    share_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    # A separate consent: the person's name may appear on their firm's public course certificates (anyone with the
    # code sees them), where without it they are only counted.
    name_on_firm_certificates: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person proved the address is theirs (a verification or invitation link, a reset link, or an
    # operator creating the account). Unverified accounts may log in but not enrol, join a firm or get a certificate.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id Flask-Login keeps in sessions and "remember me" cookies: a new stamp (a changed or reset
    # password, "log out everywhere") ends every session that carries the old one. Empty until first changed.
    session_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")

    provider = relationship("Provider", lazy="raise")
    firm = relationship("Firm", lazy="raise", back_populates="members", foreign_keys=[firm_id])

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    # The UserLogin id (int) of this request's browser: not a column, set when logging in and by load_user.
    login_id = None

    def get_id(self) -> str:
        """Flask-Login's id in the session and "remember me" cookie: "<id>:<session stamp>:<login id>".

        blueprints.auth.load_user accepts it only while the stamp is current and the UserLogin row exists, so
        logging out (the row is deleted) ends this browser's session and remember cookie on the server.
        """
        return f"{self.id}:{self.session_stamp or ''}:{self.login_id or ''}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserLogin(db.Model):
    """One logged-in browser: created at login, deleted at logout (and by "log out on other devices" or a new
    password). Its id is part of Flask-Login's id (User.get_id), so a replayed session or remember cookie of an
    ended login no longer works while the person's other devices stay logged in."""

    __tablename__ = "user_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SetupToken(db.Model):
    """The one-time link printed on a fresh instance that creates the first admin."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
