"""Registering and confirming e-mail addresses: a new account proves its address with an e-mailed link.

The link is signed and expiring (EMAIL_CONFIRM_MAX_AGE) and bound to the user and the address. It confirms the
address once: opening it again finds the address confirmed and changes nothing. Registering an address that
already has an account creates nothing and mails that account instead, so the registration page answers the
same for a new and a taken address (no account enumeration).
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import User, utcnow
from . import certificates, outbox
from .accounts import (create_user, find_user_by_email, hash_password, load_link_user, validate_password,
                       validated_email)
from .mail import absolute_url, send_mail

CONFIRM_SALT = "courseware.confirm-email"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def make_confirm_token(user: User, next_url: str | None = None) -> str:
    """A signed, expiring token for the confirmation link, bound to the user and the address; `next_url` is where
    the person goes after confirming (e.g. the course page they registered from)."""
    payload = {"uid": user.id, "email": user.email}
    if next_url:
        payload["next"] = next_url
    return _serializer().dumps(payload)


@dataclass
class Confirmation:
    user: User
    newly: bool  # False when the address had been confirmed before (the link was opened again)
    next_url: str | None


def confirm_email(token: str, now: datetime | None = None, max_age: int | None = None) -> Confirmation:
    """Confirm the address a link was sent to; InvalidInput when the link is expired, tampered with, or its
    account or address is gone."""
    max_age = max_age if max_age is not None else current_app.config["EMAIL_CONFIRM_MAX_AGE"]
    user, payload = load_link_user(_serializer(), token, max_age,
                                   expired=_("The link has expired. Log in and ask for a new one."),
                                   invalid=_("The link is not valid. Log in and ask for a new one."))
    if user is None or not user.active or user.email != payload.get("email"):
        raise InvalidInput(_("The link is not valid. Log in and ask for a new one."))
    newly = user.email_verified_at is None
    if newly:
        user.email_verified_at = now or utcnow()
        db.session.flush()
        certificates.issue_waiting(user)  # courses completed before the address was confirmed
    return Confirmation(user, newly, payload.get("next"))


def register(*, email: str, name: str, password: str, next_url: str | None = None) -> None:
    """Register a learner, or tell the owner of a taken address by e-mail; either way one e-mail is queued, and the
    caller shows the same page. InvalidInput for an invalid address or password (whoever owns the address)."""
    email = validated_email(email)
    validate_password(password)
    existing = find_user_by_email(email)
    if existing is None:
        try:
            with db.session.begin_nested():
                user = create_user(email=email, name=name, password=password)
        except (Conflict, IntegrityError):  # someone registered the address a moment ago
            existing = find_user_by_email(email)
        else:
            outbox.queue(send_welcome, user.id, next_url)
            return
    hash_password(password)  # the work a new account costs, so the answer takes as long
    if existing is not None and existing.active:
        outbox.queue(send_account_exists, existing.id)


def resend_confirmation(user: User, next_url: str | None = None) -> bool:
    """Queue a new confirmation link for a user whose address is not confirmed; False when it already is."""
    if user.email_verified_at is not None:
        return False
    outbox.queue(send_confirmation, user.id, next_url)
    return True


def _confirm_context(user: User, next_url: str | None) -> dict:
    return {
        "user": user, "confirm_url": absolute_url("auth.confirm_email", token=make_confirm_token(user, next_url)),
        "days": max(1, current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 86400),
        "reset_url": absolute_url("auth.forgot_password"), "courses_url": absolute_url("public.index"),
    }


def _unconfirmed(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.active and user.email_verified_at is None else None


def send_welcome(user_id: int, next_url: str | None = None) -> bool:
    """A new account's e-mail: welcome, and the link that confirms the address (sent after the commit)."""
    user = _unconfirmed(user_id)
    if user is None:
        return False
    return send_mail(user, _l("Welcome to Courseware: confirm your e-mail address"), "welcome",
                     **_confirm_context(user, next_url))


def send_confirmation(user_id: int, next_url: str | None = None) -> bool:
    """A new confirmation link, asked for by a logged-in user whose address is not confirmed yet."""
    user = _unconfirmed(user_id)
    if user is None:
        return False
    return send_mail(user, _l("Confirm your e-mail address"), "confirm_email", **_confirm_context(user, next_url))


def send_account_exists(user_id: int) -> bool:
    """Tell an account's owner that someone tried to register with their address (sent after the commit)."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    context = _confirm_context(user, None) if user.email_verified_at is None else {"user": user, "confirm_url": None}
    context.setdefault("reset_url", absolute_url("auth.forgot_password"))
    return send_mail(user, _l("Someone tried to register with your e-mail address"), "account_exists",
                     login_url=absolute_url("auth.login"), **context)
