"""Logins: one UserLogin row per logged-in browser, so a login can be ended on the server.

Flask-Login keeps "<user id>:<session stamp>:<login id>" in the session and in the "remember me" cookie
(User.get_id). blueprints.auth.load_user accepts that id only while the row exists, is younger than
REMEMBER_COOKIE_DURATION and the stamp is current. Logging out deletes the browser's row, so a copy of its session
or remember cookie stops working, while the person's other browsers (other rows) stay logged in. A new password
and "log out on other devices" delete every other row (and renew the stamp).
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import User, UserLogin, utcnow


def login_max_age() -> timedelta:
    """How long one login lasts at most: as long as a "remember me" cookie (REMEMBER_COOKIE_DURATION)."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def login_is_current(created_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a login that started at `created_at` has not yet outlived login_max_age()."""
    return created_at is not None and created_at > (now or utcnow()) - login_max_age()


def start_login(user: User, now: datetime | None = None) -> UserLogin:
    """Record a new login of the user (this browser) and remember it on `user` (its login_id); also the user's
    last login time. The user's expired logins are removed on the way."""
    now = now or utcnow()
    db.session.execute(
        delete(UserLogin).where(UserLogin.user_id == user.id, UserLogin.created_at < now - login_max_age()),
        execution_options={"synchronize_session": False},
    )
    login = UserLogin(user_id=user.id, created_at=now)
    db.session.add(login)
    user.last_login_at = now
    db.session.flush()
    user.login_id = login.id
    return login


def end_login(user: User) -> None:
    """End the login of the current browser (logging out): its session and remember cookie stop working."""
    if user.login_id is not None:
        db.session.execute(
            delete(UserLogin).where(UserLogin.id == user.login_id, UserLogin.user_id == user.id),
            execution_options={"synchronize_session": False},
        )
    user.login_id = None


def end_other_logins(user: User) -> None:
    """End every login of the user but the current browser's (none when the user is not logged in here)."""
    stmt = delete(UserLogin).where(UserLogin.user_id == user.id)
    if user.login_id is not None:
        stmt = stmt.where(UserLogin.id != user.login_id)
    db.session.execute(stmt, execution_options={"synchronize_session": False})
