"""The auth blueprint: log in and out, register, reset a password, create the first admin.

Registering it also sets up Flask-Login for the app (see `_setup_login`), so create_app needs no auth code.
"""
from typing import NamedTuple

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ...extensions import db, login_manager
from ...models import User, UserLogin
from ...services.accounts import take_prefetched_user
from ...services.logins import login_is_current

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
# Lazy, and made a plain string in the request's language when Flask-Login flashes it (a flashed message is
# stored in the session cookie, which cannot hold a lazy string).
login_manager.login_message = _l("Log in to see this page.")
login_manager.localize_callback = str
login_manager.login_message_category = "info"
# "basic" marks a session from a new browser fingerprint as not fresh; "strong" would log the user out,
# which breaks "remember me" for people whose mobile IP address changes all day.
login_manager.session_protection = "basic"


# Built once: every logged-in request loads its user (with its login row), and building a select costs more than
# running it.
_USER_BY_LOGIN = (
    select(User, UserLogin.created_at)
    .join(UserLogin, UserLogin.user_id == User.id)
    .where(User.id == bindparam("id"), UserLogin.id == bindparam("login_id"))
)


class SessionId(NamedTuple):
    user_id: int | None
    stamp: str
    login_id: int | None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user for the id in a session or "remember me" cookie (User.get_id), if the account is active, the
    session stamp is current (a changed password ends older sessions) and the login has not ended (logged out,
    logged out from another device, expired). Ids from before per-login records have no login id: the person
    logs in again."""
    parsed = parse_session_id(session_id)
    if parsed.user_id is None or parsed.login_id is None:
        return None
    user = take_prefetched_user(parsed.user_id, parsed.login_id)
    if user is None:
        row = db.session.execute(_USER_BY_LOGIN, {"id": parsed.user_id, "login_id": parsed.login_id}).first()
        if row is None or not login_is_current(row[1]):
            return None
        user = row[0]
        user.login_id = parsed.login_id
    if not user.active or (user.session_stamp or "") != parsed.stamp:
        return None
    return user


def parse_session_id(session_id) -> SessionId:
    """(user id, session stamp, login id) from "<id>:<stamp>:<login id>"; Nones for anything else (an older
    "<id>" or "<id>:<stamp>" gives no login id)."""
    user_part, _sep, rest = str(session_id or "").partition(":")
    stamp, _sep, login_part = rest.partition(":")
    return SessionId(_int(user_part), stamp, _int(login_part))


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


@bp.record_once
def _setup_login(state) -> None:
    if getattr(state.app, "login_manager", None) is None:
        login_manager.init_app(state.app)


from . import staff, views  # noqa: E402,F401
