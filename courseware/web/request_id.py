"""Request ids and structured logs.

Every request gets an id: the `X-Request-ID` header's when it is trusted (set by our own proxy: trusted when
TRUST_REQUEST_ID is on, by default whenever the request came through a trusted proxy, see proxies.py) and
well-formed, else a new one. It is returned in the `X-Request-ID` response header, printed on error pages as
"Error reference: <id>", and added to every log record as `request_id` by `RequestIdFilter` (also for the mail a
request sends after its response; "-" outside a request). LOG_FORMAT = "json" writes one JSON object per line.
"""
import json
import logging
import re
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, has_request_context, request
from flask.logging import wsgi_errors_stream

from .proxies import VIA_PROXY

HEADER = "X-Request-ID"
ENVIRON_KEY = "courseware.request_id"
# What a proxy's id may look like (nginx's $request_id is 32 hex digits); anything else is replaced.
VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The id of the request whose work runs outside its request context (mail sent after the response).
_carried: ContextVar[str | None] = ContextVar("courseware_request_id", default=None)
TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def current_request_id() -> str:
    """This request's id (made on first use, so a request refused by an early hook has one too)."""
    # Kept in the WSGI environ, not in `g`: test clients share one app context (and so one `g`) across requests.
    value = request.environ.get(ENVIRON_KEY)
    if value is None:
        value = request.environ[ENVIRON_KEY] = _from_header() or uuid.uuid4().hex
    return value


@contextmanager
def carried(request_id: str):
    """Log with `request_id` while doing a request's work after it (e.g. sending its mail on close)."""
    token = _carried.set(request_id)
    try:
        yield
    finally:
        _carried.reset(token)


def _from_header() -> str | None:
    trusted = current_app.config.get("TRUST_REQUEST_ID")
    if trusted is None:  # by default: when the request came through a trusted proxy (web/proxies.py)
        trusted = bool(request.environ.get(VIA_PROXY))
    given = request.headers.get(HEADER, "") if trusted else ""
    return given if VALID.fullmatch(given) else None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the current request's, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() if has_request_context() else (_carried.get() or "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    _configure_logging(app)

    @app.after_request
    def add_request_id_header(response):
        response.headers[HEADER] = current_request_id()
        return response


def _configure_logging(app: Flask) -> None:
    """One handler on the "courseware" logger (the app's and every courseware.* logger's records), with the
    request id filter and the configured format. Replaces Flask's default handler; idempotent per process, so
    building the app again (tests) changes the format and adds no second handler."""
    logger = logging.getLogger(app.name)
    handler = next((h for h in logger.handlers if getattr(h, "courseware", False)), None)
    if handler is None:
        handler = logging.StreamHandler(wsgi_errors_stream)
        handler.courseware = True
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    json_format = str(app.config.get("LOG_FORMAT") or "text").lower() == "json"
    handler.setFormatter(JsonFormatter() if json_format else logging.Formatter(TEXT_FORMAT))
