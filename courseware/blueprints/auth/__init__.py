"""The auth blueprint: log in and out, register, reset a password, create the first admin.

Registering it also sets up Flask-Login for the app (see `_setup_login`), so create_app needs no auth code.
"""
from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ...extensions import db, login_manager
from ...models import User
from ...services.accounts import take_prefetched_user

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


# Built once: every logged-in request loads its user, and Session.get builds and cache-keys a new select each time.
_USER_BY_ID = select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user for the id in a session or "remember me" cookie (User.get_id), if the account is active and the
    session stamp is current (a changed password ends older sessions)."""
    user_id, stamp = parse_session_id(session_id)
    if user_id is None:
        return None
    user = _find_user(user_id)
    if user is None or not user.active or (user.session_stamp or "") != stamp:
        return None
    return user


def parse_session_id(session_id) -> tuple[int | None, str]:
    """(user id, session stamp) from "<id>" or "<id>:<stamp>"; (None, "") for anything else."""
    user_part, _sep, stamp = str(session_id or "").partition(":")
    try:
        return int(user_part), stamp
    except ValueError:
        return None, ""


def _find_user(user_id: int) -> User | None:
    # The module page reads the user's row with its own query (accounts.prefetch_user).
    found = take_prefetched_user(user_id)
    if found is not None:
        return found
    # Like Session.get: an instance this session already holds is returned without a query.
    found = db.session.identity_map.get(db.session.identity_key(User, user_id))
    if found is not None:
        return found
    return db.session.execute(_USER_BY_ID, {"id": user_id}).scalar_one_or_none()


@bp.record_once
def _setup_login(state) -> None:
    if getattr(state.app, "login_manager", None) is None:
        login_manager.init_app(state.app)


from . import views  # noqa: E402,F401
