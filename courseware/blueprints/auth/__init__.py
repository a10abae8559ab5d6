"""The auth blueprint: log in and out, register, reset a password, create the first admin.

Registering it also sets up Flask-Login for the app (see `_setup_login`), so create_app needs no auth code.
"""
from flask import Blueprint
from flask_babel import gettext

from ...extensions import db, login_manager
from ...models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see this page."  # msgid; translated per request by localize_callback
login_manager.localize_callback = gettext
login_manager.login_message_category = "info"
# "basic" marks a session from a new browser fingerprint as not fresh; "strong" would log the user out,
# which breaks "remember me" for people whose mobile IP address changes all day.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


@bp.record_once
def _setup_login(state) -> None:
    if getattr(state.app, "login_manager", None) is None:
        login_manager.init_app(state.app)


from . import views  # noqa: E402,F401
