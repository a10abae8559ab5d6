"""Try the e-mails a request's committed transactions stored in the outbox (services/outbox.py) right after its
response is sent.

The attempt runs when the WSGI server closes the response (after the last byte went out), in an app context of
its own, so a page never waits for an SMTP server and answers in the same time whether or not it sends mail. It
is only a head start: the rows are already committed, and what fails here (or never runs, if the process dies)
the worker sends later with its retries.
"""
import logging

from flask import Flask, current_app, has_app_context

from ..extensions import db
from ..services import outbox
from .request_id import carried, current_request_id

log = logging.getLogger("courseware.mail")


def init_app(app: Flask) -> None:
    @app.after_request
    def send_mail_after_response(response):
        if not db.session.registry.has():  # a request that never opened a database session committed nothing
            return response
        ready = outbox.take_ready()
        if ready:
            response.call_on_close(_deliverer(current_app._get_current_object(), ready, current_request_id()))
        return response


def _deliverer(app: Flask, ready: list[int], request_id: str):
    def deliver() -> None:
        # A server closes the response after the request's app context has gone. Flask's test client shares the
        # test's app context (and database session) with the request: end that session's transaction (without
        # expiring the test's objects), or the session below would wait on the SQLite write lock it holds.
        if has_app_context() and current_app._get_current_object() is app and db.session.registry.has():
            _end_transaction_keeping_objects(db.session())
        with app.app_context(), carried(request_id):  # its log lines name the request that queued the mail
            try:
                outbox.deliver(ready)
            except Exception:  # the database went away, say: the worker sends them later
                db.session.rollback()
                log.exception("Could not try the e-mails of a request after its response")

    return deliver


def _end_transaction_keeping_objects(session) -> None:
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
