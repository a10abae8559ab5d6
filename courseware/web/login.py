"""Logging a browser in and out: a login record on the server (services/logins.py), Flask-Login's session and
"remember me" cookie, and a new CSRF token at each change of who is logged in."""
from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..services import logins


def log_in(user, *, remember: bool = False) -> None:
    """Start a login for this browser (committed) and log it in."""
    logins.start_login(user)
    db.session.commit()
    _new_csrf_token()
    login_user(user, remember=remember)


def stay_logged_in() -> None:
    """Log this browser in again, in the same login, after the user's session stamp changed (a new password,
    "log out on other devices"); a remember cookie it had is renewed."""
    remember = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
    login_user(current_user._get_current_object(), remember=remember)


def log_out() -> None:
    """End this browser's login on the server (its session and remember cookie stop working), then log it out."""
    if current_user.is_authenticated:
        logins.end_login(current_user._get_current_object())
        db.session.commit()
    logout_user()
    _new_csrf_token()


def _new_csrf_token() -> None:
    # Flask-WTF keeps the raw token in the session and the signed one in g; both are made anew on the next form.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
