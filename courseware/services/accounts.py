"""Accounts: create users, check passwords, look them up."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import ROLES, User

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    return generate_password_hash(password, method=method)


def validate_password(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH))


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == normalise_email(email))).scalar_one_or_none()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("The user does not exist."))
    return user


def create_user(*, email: str, name: str, password: str, role: str = "learner", provider=None) -> User:
    """Create an account; raises Conflict when the e-mail address is taken."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidInput(_("Unknown role: %(role)s", role=role))
    if not email or "@" not in email:
        raise InvalidInput(_("Enter a valid e-mail address."))
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise Conflict(_("There is already an account with this e-mail address."))
    user = User(email=email, name=(name or "").strip() or email, password_hash=hash_password(password), role=role)
    if provider is not None:
        user.provider_id = provider.id
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = find_user_by_email(email)
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        return None
    return user
