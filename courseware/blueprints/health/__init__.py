"""Operations endpoints at the root: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus).

Not for people: plain text and JSON, no login, no cookies needed; /metrics only for the addresses in METRICS_ALLOW
or a request with `Authorization: Bearer <METRICS_TOKEN>`.
"""
import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from ...services import health, metrics
from ...web.proxies import address_in, parse_networks

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches no database, so a database outage does not restart the servers."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", **NO_STORE}


@bp.get("/readyz")
def readyz():
    config = current_app.config
    readiness = health.check_readiness(requires_worker=bool(config["READY_REQUIRES_WORKER"]),
                                       worker_max_age=int(config["WORKER_HEARTBEAT_MAX_AGE"]))
    body = {"status": "ok" if readiness.ready else "unavailable", "checks": readiness.checks}
    if not readiness.ready:
        body["reason"] = readiness.reason
    return jsonify(body), 200 if readiness.ready else 503, NO_STORE


@bp.get("/metrics")
def prometheus_metrics():
    if not metrics_allowed(request.remote_addr, request.headers.get("Authorization", "")):
        abort(403)
    data, content_type = metrics.render_latest()
    return data, 200, {"Content-Type": content_type, **NO_STORE}


def metrics_allowed(address: str | None, authorization: str) -> bool:
    """From an address in METRICS_ALLOW (networks, comma-separated), or with the bearer token METRICS_TOKEN."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    scheme, _, given = authorization.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode()):
        return True
    return address_in(address, parse_networks(config.get("METRICS_ALLOW") or "", "METRICS_ALLOW"))
