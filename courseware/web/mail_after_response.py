"""Send the e-mails a request's committed transactions queued (services/outbox.py) after its response is sent.

The delivery runs when the WSGI server closes the response (after the last byte went out), in an app context of
its own and in the request's language, so a page never waits for an SMTP server and answers in the same time
whether or not it sends mail.
"""
from flask import Flask, current_app
from flask_babel import get_locale

from ..extensions import db
from ..services import outbox
from .request_id import carried, current_request_id


def init_app(app: Flask) -> None:
    @app.after_request
    def send_mail_after_response(response):
        if not db.session.registry.has():  # a request that never opened a database session committed nothing
            return response
        ready = outbox.take_ready()
        if ready:
            response.call_on_close(_deliverer(current_app._get_current_object(), ready, str(get_locale() or ""),
                                              current_request_id()))
        return response


def _deliverer(app: Flask, ready: list, locale: str, request_id: str):
    def deliver() -> None:
        with app.app_context(), carried(request_id):  # its log lines name the request that queued the mail
            outbox.deliver(ready, locale)

    return deliver
