"""Bearer-token authentication for the API's protected endpoints (RFC 6750).

To protect a new endpoint, decorate its view with `@token_required("reports:read")` (the scope it needs) and read
the principal from `g.api_principal` (a services.api_tokens.TokenPrincipal, acting as a funder) to pass to services.
Refusals are JSON with a WWW-Authenticate challenge: 401 for a missing, unknown, revoked or expired token, 403 for
a token without the scope.
"""
from functools import wraps

from flask import g, request

from ...errors import PermissionDenied, Unauthorized
from ...extensions import db
from ...services import api_tokens
from ..errors import render_error

REALM = "courseware"


def _challenge(error, scope: str) -> str:
    reason = error.details.get("reason")
    if reason == "missing_token":  # RFC 6750 §3.1: no error code when the request carried no credentials
        return f'Bearer realm="{REALM}", scope="{scope}"'
    code = "insufficient_scope" if isinstance(error, PermissionDenied) else "invalid_token"
    return f'Bearer realm="{REALM}", scope="{scope}", error="{code}"'


def token_required(scope: str):
    """Let the view run only for a request with a valid token that has `scope`; g.api_principal is who it acts as."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.api_principal = api_tokens.authenticate(request.headers.get("Authorization"), scope=scope)
            except (Unauthorized, PermissionDenied) as error:
                db.session.rollback()
                body, status = render_error(error.status, error.message, error.details.get("reason"))
                return body, status, {"WWW-Authenticate": _challenge(error, scope), "Cache-Control": "no-store"}
            db.session.commit()  # the token's last use, when it was recorded
            return view(*args, **kwargs)

        wrapper.required_scope = scope
        return wrapper

    return decorator
