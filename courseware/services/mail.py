"""Outgoing e-mail: render a text and an HTML template, then send by SMTP or, without a server, write to the log.

Mail must never break the action that caused it: `send_mail` logs a failure and returns False (when the outbox
worker sends, it raises instead, so the message is retried).
"""
import logging
import smtplib
import ssl
from contextlib import nullcontext
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale

from ..models import utcnow
from . import metrics
from .validation import has_control_characters

log = logging.getLogger("courseware.mail")
if log.level == logging.NOTSET:
    # Without a mail server the message goes to the log, so an admin can copy a reset link from the console.
    log.setLevel(logging.INFO)

SMTP_TIMEOUT = 10


def absolute_url(endpoint: str, **values) -> str:
    """A full URL for an endpoint under BASE_URL; works in CLI commands too, where there is no request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def send_mail(to, subject, template: str, **context) -> bool:
    """Render mail/<template>.txt and .html and send them to `to` (an address, or a user with email/name).

    Pass the subject as a lazy_gettext string: when `to` is a user with a saved language, both the subject and
    the body are rendered in that language. Returns False (and logs why) when the message could not be sent.
    """
    locale = getattr(to, "locale", None)
    if not locale and not has_request_context():
        # Sent after the response (outbox): the language of the request that queued it; CLI: the default.
        locale = g.get("courseware_mail_locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale) if locale else nullcontext():
        context.setdefault("absolute_url", absolute_url)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", subject=str(subject), **context)
        message = build_message(_recipient(to), str(subject), text, html)
    if not current_app.config.get("MAIL_SERVER"):
        _log_message(message, text)
        return True
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException):  # SMTPException is an OSError; both listed for the reader
        log.disabled = False  # see _log_message
        log.exception("Could not send e-mail %r to %s", message["Subject"], message["To"])
        if g.get("courseware_mail_raise"):  # the outbox worker retries it and counts the failure
            raise
        metrics.count_mail_failure()
        return False
    log.info("Sent e-mail %r to %s", message["Subject"], message["To"])
    return True


def build_message(to: str | Address, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative UTF-8 message with the headers mail servers and spam filters expect."""
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())  # a firm's or course's name never breaks the header
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _recipient(to) -> str | Address:
    if isinstance(to, str):
        return to
    name = (getattr(to, "name", "") or "").strip()
    if name and name != to.email and not has_control_characters(name):  # a name saved before names were checked
        username, _, domain = to.email.rpartition("@")
        return Address(display_name=name, username=username, domain=domain)
    return to.email


def _domain(sender: str) -> str:
    # make_msgid() would otherwise ask the resolver for this host's FQDN, which can take seconds.
    return parseaddr(sender)[1].rpartition("@")[2] or "courseware.local"


def _deliver(message: EmailMessage) -> None:
    cfg = current_app.config
    host, port = cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25)
    if cfg.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if cfg.get("MAIL_USE_STARTTLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def _log_message(message: EmailMessage, text: str) -> None:
    current_app.logger  # noqa: B018 -- makes Flask attach its log handler to the "courseware" parent logger
    # Alembic's env.py runs logging.config.fileConfig(), which disables every logger existing at that moment
    # (`courseware run` migrates, then serves). Without SMTP this log is how reset links reach anyone: keep it on.
    log.disabled = False
    headers = "\n".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date", "Message-ID"))
    log.info("E-mail (not sent: MAIL_SERVER is not set)\n%s\n\n%s", headers, text)
