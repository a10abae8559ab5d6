"""API tokens: administrators create them for funders' programs; the API authenticates requests with them.

A token is "cw_" and 43 random URL-safe characters. The database keeps its SHA-256 only, so the secret is shown
once (create_token returns it) and never again. A token acts as a funder (TokenPrincipal): it reads what a funder
may read, and nothing it has no scope for.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthorized
from ..extensions import db
from ..models import ApiToken, set_loaded, utcnow
from .validation import validate_name

PREFIX = "cw_"
# The scopes a token may carry, with what they allow (shown on the admin page).
SCOPES = {"reports:read": _l("Read the programme's reports (completion register)")}
# last_used_at is written at most this often per token.
LAST_USE_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenPrincipal:
    """Who a request with a valid token acts as: a funder (see services/reports_access.py), never a person."""

    token_id: int
    name: str
    scopes: tuple[str, ...]
    role: str = "funder"
    is_authenticated: bool = True
    is_admin: bool = False
    id = None  # not a user: services that record "who" must not take a token for a person


def hash_token(secret: str) -> str:
    """The stored form of a token: its SHA-256 in hex (the secret is random and long, so no salt or slow hash)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_admin):
        raise PermissionDenied(_("Only administrators can manage API tokens."))


def create_token(actor, *, name: str, scopes, expires_at: datetime | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret, which the caller shows once; administrators only."""
    _require_admin(actor)
    now = now or utcnow()
    name = validate_name(name)
    scopes = sorted(set(scopes or ()))
    if not scopes:
        raise InvalidInput(_("Choose at least one permission for the token."), field="scopes")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(_("Unknown permission: %(scope)s.", scope=", ".join(unknown)), field="scopes")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(_("The expiry date must be in the future."), field="expires_on")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, scopes=" ".join(scopes), token_hash=hash_token(secret), created_by_id=actor.id,
                     created_at=now, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token, secret


def list_tokens(actor) -> list[ApiToken]:
    """Every token, newest first (revoked ones too, for the record); administrators only."""
    _require_admin(actor)
    return list(db.session.execute(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
                .scalars())


def get_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("The API token does not exist."))
    return token


def revoke_token(actor, token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Revoke a token at once (its next request is refused); Conflict when it is revoked already."""
    _require_admin(actor)
    now = now or utcnow()
    done = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount
    if not done:
        raise Conflict(_("The token %(name)s is revoked already.", name=token.name))
    set_loaded(token, revoked_at=now)
    return token


def _bearer(header: str | None) -> str:
    scheme, _sep, credentials = (header or "").strip().partition(" ")
    if not header or scheme.lower() != "bearer":
        raise Unauthorized(_("Send an API token as \"Authorization: Bearer <token>\"."), reason="missing_token")
    credentials = credentials.strip()
    if not credentials.startswith(PREFIX) or len(credentials) > 200:
        raise Unauthorized(_("The API token is not valid."), reason="invalid_token")
    return credentials


def authenticate(header: str | None, *, scope: str, now: datetime | None = None) -> TokenPrincipal:
    """The principal of a request's `Authorization: Bearer` header.

    Unauthorized (401) when the token is missing, unknown, revoked or expired; PermissionDenied (403, reason
    "insufficient_scope") when it lacks `scope`. Records the use (at most once a minute per token).
    """
    now = now or utcnow()
    secret = _bearer(header)
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).scalar_one_or_none()
    if token is None:
        raise Unauthorized(_("The API token is not valid."), reason="invalid_token")
    if token.revoked_at is not None:
        raise Unauthorized(_("The API token has been revoked."), reason="invalid_token")
    if token.expired(now):
        raise Unauthorized(_("The API token has expired."), reason="invalid_token")
    if scope not in token.scope_list:
        raise PermissionDenied(_("The API token does not allow this (it needs \"%(scope)s\").", scope=scope),
                               reason="insufficient_scope", scope=scope)
    record_use(token, now)
    return TokenPrincipal(token_id=token.id, name=token.name, scopes=tuple(token.scope_list))


def record_use(token: ApiToken, now: datetime) -> bool:
    """Set last_used_at unless it was set less than a minute ago (one conditional UPDATE; the caller commits)."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_PRECISION:
        return False
    done = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id, or_(ApiToken.last_used_at.is_(None),
                                                            ApiToken.last_used_at < now - LAST_USE_PRECISION))
        .values(last_used_at=now)
    ).rowcount
    if done:
        set_loaded(token, last_used_at=now)
    return bool(done)
