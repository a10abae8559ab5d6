"""The client's address behind reverse proxies (web/proxies.py): X-Forwarded-* read once, from trusted proxies only,
whatever the WSGI server; `courseware run --production` passes them through waitress. tests/test_deploy_nginx.py
tries the same with nginx and two real app servers."""
import logging

import pytest
import requests
from flask import jsonify, request

from courseware import create_app
from courseware.web.request_id import current_request_id
from tests.live_server import serving

SHOW = "/test-client"


def _add_show_route(app):
    def show():
        return jsonify(address=request.remote_addr, scheme=request.scheme, host=request.host,
                       root=request.script_root, request_id=current_request_id())

    app.add_url_rule(SHOW, "test_client_view", show)


def _seen(app, peer="127.0.0.1", **headers) -> dict:
    return app.test_client().get(SHOW, headers=headers, environ_base={"REMOTE_ADDR": peer}).get_json()


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "kurs.example.no",
             "X-Forwarded-Prefix": "/kurs", "X-Request-ID": "nginx-1234"}


def test_a_trusted_proxy_names_the_client_scheme_and_host(app):
    _add_show_route(app)
    app.config["PROXIES"] = 1
    seen = _seen(app, **FORWARDED)
    assert seen == {"address": "203.0.113.9", "scheme": "https", "host": "kurs.example.no", "root": "/kurs",
                    "request_id": "nginx-1234"}


def test_headers_from_any_other_peer_are_dropped(app):
    _add_show_route(app)
    app.config["PROXIES"] = 1
    seen = _seen(app, peer="198.51.100.4", **FORWARDED)  # someone who reached the app server's port directly
    assert seen["address"] == "198.51.100.4" and seen["scheme"] == "http" and seen["root"] == ""
    assert seen["host"] == "localhost" and seen["request_id"] != "nginx-1234"


def test_without_proxies_the_headers_mean_nothing(app):
    _add_show_route(app)
    assert app.config["PROXIES"] is None  # the default: 0, or 1 with `courseware run --production`
    seen = _seen(app, **FORWARDED)
    assert seen["address"] == "127.0.0.1" and seen["scheme"] == "http" and seen["request_id"] != "nginx-1234"


def test_the_trusted_proxy_setting_and_the_number_of_hops(app):
    _add_show_route(app)
    app.config.update(PROXIES=2, TRUSTED_PROXY="10.0.0.0/8, not-an-address")
    chain = {"X-Forwarded-For": "192.0.2.77, 203.0.113.5, 10.0.0.9"}  # client, load balancer, spoofed first entry
    assert _seen(app, peer="10.1.2.3", **chain)["address"] == "203.0.113.5"
    assert _seen(app, peer="::ffff:10.1.2.3", **chain)["address"] == "203.0.113.5"
    assert _seen(app, peer="127.0.0.1", **chain)["address"] == "127.0.0.1"  # loopback is no longer trusted


@pytest.mark.parametrize("app_config", [{"PROXIES": 1, "LOGIN_ADDRESS_RATE_LIMIT": "2 per minute"}])
def test_behind_a_proxy_each_client_has_its_own_login_limit(app, client):
    """Issue 13: behind a proxy every user shared one login and registration bucket (the proxy's address)."""
    def attempt(client_address, n):
        return client.post("/auth/login", data={"email": f"nobody{n}@example.no", "password": "feil-passord"},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [attempt("203.0.113.1", n) for n in range(3)] == [200, 200, 429]
    assert attempt("203.0.113.2", 9) == 200


def _serve_kwargs(app, monkeypatch, *args) -> dict:
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app_, **kw: served.update(kw))
    result = app.test_cli_runner().invoke(args=["run", "--skip-init", "--no-worker", *args])
    assert result.exit_code == 0, result.output
    return served


def test_run_production_trusts_one_proxy_and_has_waitress_pass_the_headers(app, monkeypatch):
    served = _serve_kwargs(app, monkeypatch, "--production")
    assert served["clear_untrusted_proxy_headers"] is False
    assert app.config["PROXIES"] == 1


def test_run_keeps_a_configured_number_of_proxies(app, monkeypatch):
    app.config["PROXIES"] = 0
    _serve_kwargs(app, monkeypatch, "--production")
    assert app.config["PROXIES"] == 0
    app.config["PROXIES"] = None
    _serve_kwargs(app, monkeypatch)  # without --production: no proxy assumed
    assert app.config["PROXIES"] is None


def test_waitress_as_run_starts_it_hands_the_headers_to_the_app(app, monkeypatch):
    """Waitress drops X-Forwarded-* by default (clear_untrusted_proxy_headers); the run command's options keep them."""
    _add_show_route(app)
    options = _serve_kwargs(app, monkeypatch, "--production")
    options.update(host="127.0.0.1", port=0)
    with serving(app, **options) as server, requests.Session() as session:
        session.trust_env = False
        host, port = server.effective_host, server.effective_port
        seen = session.get(f"http://{host}:{port}{SHOW}", headers=FORWARDED, timeout=10).json()
    assert seen["address"] == "203.0.113.9" and seen["scheme"] == "https"


def test_postgresql_connections_give_up_after_the_connect_timeout(tmp_path):
    def options(url, **config):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "COURSES_DIR": str(tmp_path), **config})
        return app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})

    assert options("postgresql+psycopg://cw@db/cw")["connect_timeout"] == 5
    assert "connect_timeout" not in options("postgresql+psycopg://cw@db/cw?connect_timeout=2")
    assert "connect_timeout" not in options("postgresql+psycopg://cw@db/cw", DATABASE_CONNECT_TIMEOUT=None)


@pytest.mark.sqlite_only
def test_migrating_adds_no_root_log_handler(tmp_path):
    """Alembic's fileConfig gave the root logger a handler, and every courseware line was printed twice after it."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "x",
                      "COURSES_DIR": str(tmp_path)})
    before = list(logging.getLogger().handlers)
    with app.app_context():
        upgrade()
    assert logging.getLogger().handlers == before
