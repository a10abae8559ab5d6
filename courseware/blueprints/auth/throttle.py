"""Login attempts, limited per account as well as per client address, with device cookies (OWASP's design).

A successful login gives the browser a signed device cookie for that account. An attempt for an account that
carries a valid device cookie for it is limited only per device cookie (LOGIN_DEVICE_RATE_LIMIT, failed
attempts): someone guessing the password from elsewhere cannot lock the owner out of their own browsers. Other
attempts are limited per account (LOGIN_RATE_LIMIT, failed attempts from any address, so spreading guesses over
many addresses does not help) and per client address (LOGIN_ADDRESS_RATE_LIMIT, failed attempts, generous, so
colleagues behind one NAT address are not locked out by one person's typos at their own account).

Accounts are keyed by an HMAC of the normalised address, the same whether or not it has an account, so the limits
tell nobody which addresses are registered. Counts live in Flask-Limiter's storage (memory, or Redis with
COURSEWARE_REDIS_URL, shared between servers).
"""
import hashlib
import hmac
import secrets
import time

from flask import after_this_request, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from ...extensions import limiter
from ...services.accounts import normalise_email

DEVICE_COOKIE = "courseware_device"
DEVICE_SALT = "courseware.login-device"
MAX_DEVICE_ACCOUNTS = 5  # accounts remembered per browser (a shared computer)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def account_key(email: str) -> str:
    """The key an address's attempts are counted under (not reversible without the secret key)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"login-account:" + normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def _devices() -> list[list[str]]:
    """[[account key, nonce], ...] from this browser's device cookie; [] when missing, tampered with or too old."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw, max_age=current_app.config["LOGIN_DEVICE_COOKIE_DURATION"])
    except BadSignature:  # also SignatureExpired
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e)]


class LoginGate:
    """The limits for one login attempt: check `allowed()` before the password, then `failed()` or `succeeded()`."""

    def __init__(self, email: str):
        self.account = account_key(email)
        self.device = next((nonce for key, nonce in _devices() if key == self.account), None)

    def _counters(self) -> list[tuple]:
        """(limit item, namespace, identifier) for every limit this attempt counts against."""
        config = current_app.config
        if self.device is not None:
            return [(item, "login-device", self.device) for item in parse_many(config["LOGIN_DEVICE_RATE_LIMIT"])]
        return (
            [(item, "login-account", self.account) for item in parse_many(config["LOGIN_RATE_LIMIT"])]
            + [(item, "login-address", get_remote_address()) for item in parse_many(config["LOGIN_ADDRESS_RATE_LIMIT"])]
        )

    def retry_after(self) -> int | None:
        """None when the attempt may go ahead; otherwise in how many seconds the exhausted limits reset."""
        strategy = limiter.limiter
        waits = []
        for item, *identifiers in self._counters():
            if not strategy.test(item, *identifiers):
                reset_at = strategy.get_window_stats(item, *identifiers).reset_time
                waits.append(max(1, int(reset_at - time.time())))
        return max(waits) if waits else None

    def failed(self) -> None:
        """Count a failed attempt (a wrong password or an unknown address)."""
        strategy = limiter.limiter
        for item, *identifiers in self._counters():
            strategy.hit(item, *identifiers)

    def succeeded(self) -> None:
        """Give this browser a new device cookie for the account (with the response)."""
        entries = [[self.account, secrets.token_urlsafe(16)]]
        entries += [entry for entry in _devices() if entry[0] != self.account][: MAX_DEVICE_ACCOUNTS - 1]
        value = _serializer().dumps(entries)
        config = current_app.config

        @after_this_request
        def set_device_cookie(response):
            response.set_cookie(
                DEVICE_COOKIE, value, max_age=config["LOGIN_DEVICE_COOKIE_DURATION"], path="/auth/",
                secure=bool(config.get("SESSION_COOKIE_SECURE")), httponly=True, samesite="Lax",
            )
            return response
