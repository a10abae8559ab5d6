"""One place that turns errors into friendly pages (never a bare 500 for a user's mistake)."""
from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import DomainError
from ..web.request_id import current_request_id

# Lazy, so the titles are extracted for translation and shown in the language of the page that fails.
TITLES = {
    400: _l("Something was wrong with the request"),
    401: _l("You do not have access to this page"),  # the API without a valid token (the message says why)
    403: _l("You do not have access to this page"),
    404: _l("We could not find the page"),
    405: _l("That is not possible here"),
    406: _l("That is not possible here"),  # a format the client asked for that the page does not have
    409: _l("That has already been done"),
    413: _l("The file is too large"),
    422: _l("The content could not be used"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}


FALLBACK_500 = "Noe gikk galt hos oss. Prøv igjen om litt. / Something went wrong on our side. Please try again."


def render_error(status: int, message: str | None = None, reason: str | None = None):
    title = str(TITLES.get(status, TITLES[500]))
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        body = {"error": title, "message": message or ""}
        if isinstance(reason, str):  # a word a program can act on, e.g. "mistyped" or "unknown" for a certificate
            body["reason"] = reason
        return body, status
    return render_template("errors/error.html", status=status, title=title, message=message,
                           request_id=current_request_id()), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render_error(error.status, error.message or None, error.details.get("reason"))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form had expired. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            return render_error(429, _("Wait a minute and try again."))
        if error.code == 413:
            return render_error(413, _("A file can be at most 1 MB. Split a larger file into smaller ones, "
                                       "or shorten what you wrote."))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:  # RFC 9110: a 405 says what is allowed
            return (*render_error(405), {"Allow": ", ".join(error.valid_methods)})
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        try:
            from ..extensions import db

            db.session.rollback()
            return render_error(500)
        except Exception:  # the error page itself failed (e.g. the database is down): plain text
            app.logger.exception("The error page failed too")
            text = f"{FALLBACK_500}\nError reference: {current_request_id()}\n"
            return text, 500, {"Content-Type": "text/plain; charset=utf-8"}
