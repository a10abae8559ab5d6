"""Request ids: in the X-Request-ID response header, on every log line of the request, and on error pages."""
import json
import logging
import re

import pytest

from courseware.errors import NotFound
from courseware.web.request_id import JsonFormatter, RequestIdFilter

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_every_response_has_a_new_request_id(client):
    first, second = client.get("/healthz"), client.get("/no/such/page")
    assert GENERATED.fullmatch(first.headers["X-Request-ID"])
    assert GENERATED.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(client):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-the-client"})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.parametrize("setting", [{"TRUST_REQUEST_ID": True}, {"PROXIES": 1}])
def test_the_proxys_request_id_is_kept_when_trusted(app, setting):
    app.config.update(setting)
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "0f3a9c-proxy.1"}).headers["X-Request-ID"] == "0f3a9c-proxy.1"
    for bad in ("has space", "x" * 129, "line\\nbreak", "ø"):
        assert GENERATED.fullmatch(client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"])


def test_an_untrusted_header_is_ignored_when_trust_is_off_behind_a_proxy(app):
    app.config.update(PROXIES=1, TRUST_REQUEST_ID=False)
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "from-outside"})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def _add_failing_routes(app):
    def boom():
        raise RuntimeError("an unexpected bug")

    def missing():
        raise NotFound("No such thing.")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/test-missing", "test_missing", missing)


def test_the_500_page_shows_the_request_id_that_the_log_has(app, client, caplog):
    _add_failing_routes(app)
    with caplog.at_level(logging.ERROR, logger="courseware"):
        response = client.get("/test-boom")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert f"Error reference: {request_id}" in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.getMessage().startswith("Unhandled error on /test-boom")]
    assert [r.request_id for r in logged] == [request_id]


def test_domain_error_and_not_found_pages_show_the_request_id(app, client):
    _add_failing_routes(app)
    for path, status in (("/test-missing", 404), ("/no/such/page", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert f"Error reference: {response.headers['X-Request-ID']}" in response.get_data(as_text=True)


def test_the_plain_text_500_when_the_error_page_fails_shows_it_too(app, client, monkeypatch):
    _add_failing_routes(app)
    from courseware.blueprints import errors

    def broken(*args, **kwargs):
        raise RuntimeError("the error page failed")

    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/test-boom")
    assert response.status_code == 500 and response.mimetype == "text/plain"
    assert f"Error reference: {response.headers['X-Request-ID']}" in response.get_data(as_text=True)


def test_every_courseware_log_line_of_a_request_carries_its_id(app, client, caplog, make_user):
    """Child loggers' records get the id from the handler on the "courseware" logger: a line logged in the view,
    and the mail log, written after the response when the request's mail is sent."""
    def view():
        logging.getLogger("courseware.somewhere").warning("inside the view")
        return "done"

    app.add_url_rule("/test-logs", "test_logs", view)
    user = make_user("learner", locale="en")
    with caplog.at_level(logging.INFO, logger="courseware"):
        logged = client.get("/test-logs")
        mailed = client.post("/auth/reset", data={"email": user.email})
    assert mailed.status_code in (200, 302)
    inside = [r for r in caplog.records if r.name == "courseware.somewhere"]
    assert [r.request_id for r in inside] == [logged.headers["X-Request-ID"]]
    mails = [r for r in caplog.records if r.name == "courseware.mail"]
    assert mails and {r.request_id for r in mails} == {mailed.headers["X-Request-ID"]}


def test_json_log_format(app):
    record = logging.LogRecord("courseware.test", logging.WARNING, __file__, 1, "Hello %s", ("verden",), None)
    with app.test_request_context("/", headers={"X-Request-ID": "abc"}):
        RequestIdFilter().filter(record)
        request_id = record.request_id
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Hello verden" and entry["level"] == "WARNING" and entry["logger"] == "courseware.test"
    assert entry["request_id"] == request_id and GENERATED.fullmatch(request_id)
    assert entry["time"].endswith("Z")
    outside = logging.LogRecord("courseware.test", logging.INFO, __file__, 1, "no request", (), None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"


def test_log_format_setting_chooses_the_formatter(tmp_path):
    from courseware import create_app

    from .conftest import _test_config

    (tmp_path / "courses").mkdir()
    app = create_app(_test_config("sqlite://", tmp_path, LOG_FORMAT="json"))
    handlers = [h for h in logging.getLogger(app.name).handlers if getattr(h, "courseware", False)]
    assert len(handlers) == 1 and isinstance(handlers[0].formatter, JsonFormatter)
    create_app(_test_config("sqlite://", tmp_path))  # back to text; still one handler
    handlers = [h for h in logging.getLogger(app.name).handlers if getattr(h, "courseware", False)]
    assert len(handlers) == 1 and not isinstance(handlers[0].formatter, JsonFormatter)
