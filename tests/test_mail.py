"""services.mail: real SMTP delivery to a local server, the log fallback, and failures that must not break actions."""
import logging
import socket

import pytest

from courseware.services.mail import absolute_url, send_mail


class Person:
    def __init__(self, email, name, locale=None):
        self.email, self.name, self.locale = email, name, locale


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "MAIL_FROM": "Courseware <noreply@kurs.example.no>"}


def test_message_is_multipart_utf8_with_headers(app, smtp_server):
    user = Person("aase@example.no", "Åse Ødegård Bjørnæs")

    assert send_mail(user, "Velkommen – æøå", "welcome", user=user, courses_url="http://localhost/", reset_url="http://x/r")

    message = smtp_server.wait_for(1)[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())
    assert message["Subject"] == "Velkommen – æøå"
    assert message["To"].addresses[0].display_name == "Åse Ødegård Bjørnæs"
    assert message["To"].addresses[0].addr_spec == "aase@example.no"
    assert message["From"].addresses[0].addr_spec == "noreply@kurs.example.no"
    assert message["Message-ID"].endswith("@kurs.example.no>")
    assert message["Date"].datetime.tzinfo is not None
    assert smtp_server.envelopes[0][1] == ["aase@example.no"]
    text, html = smtp_server.text(message), smtp_server.html(message)
    assert "Åse Ødegård Bjørnæs" in text and "http://x/r" in text
    assert html.lstrip().lower().startswith("<!doctype html>")  # extends mail/base.html
    assert "Åse Ødegård Bjørnæs" in html and 'href="http://x/r"' in html


def test_html_body_escapes_user_input(app, smtp_server):
    user = Person("x@example.no", "<script>alert(1)</script>")
    send_mail(user.email, "Hei", "welcome", user=user, courses_url="http://localhost/", reset_url="http://x/r")
    message = smtp_server.wait_for(1)[0]
    assert "<script>" not in smtp_server.html(message)
    assert "&lt;script&gt;" in smtp_server.html(message)


def test_plain_address_and_user_without_name(app, smtp_server):
    user = Person("solo@example.no", "solo@example.no")
    send_mail(user, "Hei", "welcome", user=user, courses_url="u", reset_url="r")
    assert smtp_server.wait_for(1)[0]["To"] == "solo@example.no"


def test_unreachable_server_returns_false_and_logs(app, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    user = Person("a@example.no", "A")

    with caplog.at_level(logging.ERROR, logger="courseware.mail"):
        assert send_mail(user, "Hei", "welcome", user=user, courses_url="u", reset_url="r") is False

    assert any("Could not send e-mail" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": None}])
def test_without_server_the_message_goes_to_the_log(app, caplog):
    user = Person("logg@example.no", "Logg Leser")
    with caplog.at_level(logging.INFO, logger="courseware.mail"):
        assert send_mail(user, "Ny konto", "welcome", user=user, courses_url="http://c/", reset_url="http://r/")
    record = next(r for r in caplog.records if r.name == "courseware.mail")
    assert record.levelno == logging.INFO
    logged = record.getMessage()
    assert "Subject: Ny konto" in logged and "logg@example.no" in logged and "http://r/" in logged
    assert "Logg Leser" in logged  # the body, not just the headers


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://kurs.example.no/trondelag/"}])
def test_absolute_url_uses_base_url_outside_a_request(app):
    assert absolute_url("auth.reset_password", token="abc") == "https://kurs.example.no/trondelag/auth/reset/abc"
    assert absolute_url("public.index") == "https://kurs.example.no/trondelag/"


def test_mail_can_be_sent_from_a_cli_command_without_request(app, smtp_server):
    # No request context here: the locale falls back to the default and links come from BASE_URL.
    user = Person("cli@example.no", "Cli")
    assert send_mail(user, "Hei", "welcome", user=user, courses_url=absolute_url("public.index"), reset_url="r")
    assert "http://localhost/" in smtp_server.text(smtp_server.wait_for(1)[0])
