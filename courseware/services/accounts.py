"""Accounts: create users, check passwords, look them up, reset passwords, and set up the first admin."""
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import ROLES, SetupToken, User, utcnow
from . import outbox
from .logins import end_other_logins
from .mail import absolute_url, send_mail
from .validation import validate_name

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively, without surrounding spaces, in email_validator's
    normal form (Unicode NFC, an internationalised domain in Unicode)."""
    email = (email or "").strip()
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        pass  # compared as typed; create_user refuses it
    return email.lower()


def validated_email(email: str) -> str:
    """The address in its normal form (see normalise_email); InvalidInput when it is not a valid address."""
    try:
        validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(_("Enter a valid e-mail address, like ola@firma.no."), field="email") from error
    return normalise_email(email)


def hash_password(password: str) -> str:
    """A salted hash of the password (scrypt; tests configure a faster method)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    return generate_password_hash(password, method=method)


def validate_password(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH))


def find_user_by_email(email: str) -> User | None:
    """The account with this e-mail address (any case), or None."""
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def get_user(user_id: int) -> User:
    """The account with this id; NotFound otherwise."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("The user does not exist."))
    return user


def prefetch_user(values: dict, login_id: int) -> User:
    """Hand Flask-Login this request's user from a row another query read (attribute name -> value), with the
    login (services.logins) that query found current.

    For the hottest page, whose one query also reads the logged-in user's row and login: the User is built as if
    loaded (all columns set, no pending changes) but not added to the database session, and
    blueprints.auth.load_user returns it instead of querying, when Flask-Login asks for that user and login in this
    request. Only for pages that do not change the user: the instance is detached, so nothing done to it is saved.
    """
    user = User.__mapper__.class_manager.new_instance()
    # As the ORM loads a row: straight into the instance's dict, so the values are committed state, no history.
    instance_dict(user).update(values)
    make_transient_to_detached(user)  # with its identity, as if it had been loaded and the session closed
    user.login_id = login_id
    g.courseware_prefetched_user = user
    return user


def take_prefetched_user(user_id: int, login_id: int) -> User | None:
    """The user prefetch_user left for this request, if it is this user and login (once)."""
    user = g.pop("courseware_prefetched_user", None)
    return user if user is not None and user.id == user_id and user.login_id == login_id else None


def require_verified_email(user) -> None:
    """PermissionDenied until the user has confirmed that the e-mail address is theirs (enrol, join, certificates)."""
    if user.email_verified_at is None:
        raise PermissionDenied(_("Confirm your e-mail address first: open the link we sent to %(email)s.",
                                 email=user.email), reason="unverified")


def create_user(*, email: str, name: str, password: str, role: str = "learner", provider=None,
                verified: bool = False, now: datetime | None = None) -> User:
    """Create an account; raises Conflict when the e-mail address is taken. `verified`: someone vouches for the
    address (an operator at the command line, the first admin's setup link), so it needs no confirmation."""
    if role not in ROLES:
        raise InvalidInput(_("Unknown role: %(role)s", role=role))
    email = validated_email(email)
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise Conflict(_("There is already an account with this e-mail address."))
    name = validate_name(name) if (name or "").strip() else email[:200]  # no line breaks for the mailer to refuse
    user = User(email=email, name=name, password_hash=hash_password(password), role=role,
                email_verified_at=(now or utcnow()) if verified else None)
    if provider is not None:
        user.provider_id = provider.id
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = find_user_by_email(email)
    # Hash even when there is no such user, so the response time does not tell which addresses have accounts.
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not user.active or not password_ok:
        return None
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[method]


def set_password(user: User, password: str) -> None:
    """Give the user a new password. Every reset link sent before stops working, and so does every session and
    "remember me" cookie (the caller logs the current browser in again)."""
    validate_password(password)
    user.password_hash = hash_password(password)
    renew_session_stamp(user)


def renew_session_stamp(user: User) -> None:
    """End every session of the user but this browser's login (see User.get_id and services.logins), which the
    caller logs in again with the new stamp."""
    user.session_stamp = secrets.token_hex(8)
    end_other_logins(user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Change a logged-in user's password after checking the one they have now; e-mails them that it changed.

    InvalidInput when the current password is wrong, the new one is too short, or it is the same as the current one.
    Older reset links stop working (see _password_fingerprint).
    """
    if not check_password_hash(user.password_hash, current or ""):
        raise InvalidInput(_("Your current password is not right."), field="current")
    if new == current:
        raise InvalidInput(_("Choose a new password that is different from the one you have now."), field="password")
    set_password(user, new)
    outbox.queue(send_password_changed, user.id)


def send_password_changed(user_id: int) -> bool:
    """Tell the user their password was changed, with the way back in if it was not them (sent after the commit)."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    return send_mail(user, _l("Your password was changed"), "password_changed", user=user,
                     reset_url=absolute_url("auth.forgot_password"))


# --- Password reset links -------------------------------------------------------------------------------------

RESET_SALT = "courseware.password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the signed link: once the password changes (e.g. the link was used), every older link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def make_reset_token(user: User) -> str:
    """A signed, expiring token for a password reset link, bound to the user's current password."""
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def load_link_user(serializer: URLSafeTimedSerializer, token: str, max_age: int, *, expired: str,
                   invalid: str) -> tuple[User | None, dict]:
    """(user, payload) of a signed e-mailed link ({"uid": ...}); InvalidInput with `expired` or `invalid` when the
    signature is too old or wrong. The user is None when the account is gone."""
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise InvalidInput(expired) from error
    except BadSignature as error:
        raise InvalidInput(invalid) from error
    if not isinstance(payload, dict):
        raise InvalidInput(invalid)
    return db.session.get(User, payload.get("uid")), payload


def verify_reset_token(token: str, max_age: int | None = None) -> User:
    """The user a reset token belongs to; InvalidInput when it is expired, tampered with or already used."""
    max_age = max_age if max_age is not None else current_app.config["RESET_TOKEN_MAX_AGE"]
    user, payload = load_link_user(_reset_serializer(), token, max_age,
                                   expired=_("The link has expired. Ask for a new one below."),
                                   invalid=_("The link is not valid. Ask for a new one below."))
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(str(payload.get("fp", "")), _password_fingerprint(user))
    ):
        raise InvalidInput(_("The link has already been used. Ask for a new one below."))
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link for the address. The same work whether or not it has an account: the lookup happens
    after the response (send_password_reset), so neither the answer nor its timing tells who has an account."""
    outbox.queue(send_password_reset, normalise_email(email))


def send_password_reset(email: str) -> bool:
    """E-mail a reset link if an active account has this address (run after the response; see outbox)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return False
    url = absolute_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["RESET_TOKEN_MAX_AGE"] // 60
    return send_mail(user, _l("Choose a new password"), "reset_password", user=user, reset_url=url, minutes=minutes)


def complete_password_reset(user: User, password: str, now: datetime | None = None) -> None:
    """Set the password chosen from an e-mailed reset link. The link reached the address, so it is confirmed too;
    and every login of the user ends (the caller logs this browser in anew)."""
    user.login_id = None  # not one of the user's logins, even if someone is logged in here
    set_password(user, password)
    if user.email_verified_at is None:
        from .certificates import issue_waiting  # certificates reads addresses with this module

        user.email_verified_at = now or utcnow()
        db.session.flush()
        issue_waiting(user)
    db.session.flush()


# --- First administrator --------------------------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def admin_exists() -> bool:
    """Whether any administrator account exists (a fresh instance has none and offers a setup link)."""
    return db.session.execute(select(exists().where(User.role == "admin"))).scalar()


def create_setup_token() -> str:
    """A new one-time link token for creating the first admin; older unused tokens stop working. Returns it raw."""
    db.session.execute(delete(SetupToken).where(SetupToken.used_at.is_(None)))
    raw = secrets.token_urlsafe(32)
    db.session.add(SetupToken(token_hash=_token_hash(raw)))
    db.session.flush()
    return raw


def find_setup_token(raw: str) -> SetupToken | None:
    """The unused setup token with this raw value, or None."""
    return db.session.execute(
        select(SetupToken).where(SetupToken.token_hash == _token_hash(raw or ""), SetupToken.used_at.is_(None))
    ).scalar_one_or_none()


def create_first_admin(raw_token: str, *, email: str, name: str, password: str, now: datetime | None = None) -> User:
    """Create the first admin with a setup token; Conflict once an admin exists, NotFound for a bad token."""
    if admin_exists():
        raise Conflict(_("Courseware has already been set up. Log in with the administrator account."))
    token = find_setup_token(raw_token)
    if token is None:
        raise NotFound(_("The setup link is not valid or has already been used."))
    # Claim the token with one conditional UPDATE, so two simultaneous submits cannot both create an admin.
    claimed = db.session.execute(
        update(SetupToken)
        .where(SetupToken.id == token.id, SetupToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotFound(_("The setup link is not valid or has already been used."))
    return create_user(email=email, name=name, password=password, role="admin", verified=True, now=now)
