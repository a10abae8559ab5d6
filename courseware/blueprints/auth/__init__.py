"""The auth blueprint: log in and out, register, reset a password, create the first admin.

Registering it also sets up Flask-Login for the app (see `_setup_login`), so create_app needs no auth code.
"""
from flask import Blueprint
from flask_babel import gettext
from sqlalchemy import bindparam, select

from ...extensions import db, login_manager
from ...models import User
from ...services.accounts import take_prefetched_user

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see this page."  # msgid; translated per request by localize_callback
login_manager.localize_callback = gettext
login_manager.login_message_category = "info"
# "basic" marks a session from a new browser fingerprint as not fresh; "strong" would log the user out,
# which breaks "remember me" for people whose mobile IP address changes all day.
login_manager.session_protection = "basic"


# Built once: every logged-in request loads its user, and Session.get builds and cache-keys a new select each time.
_USER_BY_ID = select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
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
