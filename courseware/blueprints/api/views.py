"""/api/v1/certificates/<code>: what the verification page shows, as JSON, for anyone (no login, rate-limited)."""
from flask import jsonify

from ...services import certificate_status
from ..verify import lookup_limit
from . import bp


@bp.route("/certificates/<code>")
@lookup_limit
def certificate(code):
    return jsonify(certificate_status.look_up(code).as_json())


@bp.after_request
def _public_and_fresh(response):
    """Public facts any site may read from a browser; a revocation shows at once (no cache keeps an old answer).
    Token-protected answers set their own stricter Cache-Control (private, no-store), which is kept."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
