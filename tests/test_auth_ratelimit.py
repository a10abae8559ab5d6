"""Rate limits (Flask-Limiter's storage): failed logins per account, POSTs per client address to the other auth
forms, shared between servers through Redis. tests/test_login_limits.py has the device cookies and per-address
limits of logging in."""
import json
import os
import subprocess
import sys
import uuid

import pytest
from flask_babel import gettext as _

from .conftest import REPO


def _post_login(client, ip="198.51.100.7", **data):
    return client.post("/auth/login", data={"email": "x@example.no", "password": "feil-passord", **data},
                       environ_base={"REMOTE_ADDR": ip})


def test_eleventh_failed_login_at_an_account_in_a_minute_gets_a_friendly_429(app, client):
    for attempt in range(10):
        assert _post_login(client).status_code == 200, f"attempt {attempt + 1} was limited too early"

    response = _post_login(client)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed attempts to log in to this account." in page
    assert 'id="email"' in page  # the login page with the message, not a dead end
    assert int(response.headers["Retry-After"]) > 0


def test_the_account_limit_holds_for_every_address_and_get_is_not_limited(client):
    for attempt in range(10):
        _post_login(client, ip=f"198.51.100.{attempt + 10}")  # guesses spread over ten addresses
    assert _post_login(client, ip="198.51.100.99").status_code == 429
    assert _post_login(client, ip="198.51.100.8", email="kollega@example.no").status_code == 200  # another account
    assert client.get("/auth/login", environ_base={"REMOTE_ADDR": "198.51.100.99"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_limit_comes_from_config_and_also_covers_reset_requests(client):
    for _attempt in range(3):
        assert client.post("/auth/reset", data={"email": "a@example.no"}).status_code == 302
    assert client.post("/auth/reset", data={"email": "a@example.no"}).status_code == 429


# A second app instance in its own process, as a second server (or worker) would be in production.
OTHER_SERVER = """
import json, sys
from courseware import create_app
from courseware.extensions import db
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    db.create_all()
client = app.test_client()
codes = [client.post("/auth/login", data={"email": sys.argv[2] + "@example.no", "password": "feil-passord"},
                     environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code
         for _ in range(int(sys.argv[3]))]
print(json.dumps(codes))
"""


@pytest.mark.redis  # skipped without Redis, but failed under CI (tests/groups.py)
@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}])
def test_two_app_instances_share_the_count_through_redis(app, client, tmp_path):
    import redis

    account = f"konto-{uuid.uuid4().hex[:12]}"  # this run's own account
    config = {"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"], "WTF_CSRF_ENABLED": False,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}", "COURSES_DIR": str(tmp_path),
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    try:
        done = subprocess.run([sys.executable, "-c", OTHER_SERVER, json.dumps(config), account, "6"], cwd=REPO,
                              env={**os.environ, "COURSEWARE_INSTANCE_PATH": str(tmp_path)},
                              capture_output=True, text=True, timeout=60, check=True)
        assert json.loads(done.stdout.strip().splitlines()[-1]) == [200] * 6

        # the same account from another address, on this server
        codes = [_post_login(client, email=f"{account}@example.no").status_code for _attempt in range(5)]

        assert codes == [200, 200, 200, 200, 429]  # 6 there + 4 here = 10; the 11th is refused
    finally:
        from courseware.blueprints.auth.throttle import account_key

        store = redis.Redis(host="127.0.0.1", port=6379, db=15)
        for key in store.scan_iter(match=f"*{account_key(account + '@example.no')}*"):
            store.delete(key)


def test_no_app_wide_limit_check_unless_configured(database_url, tmp_path):
    """Views declare their limits; the app-wide before_request check is only there when app-wide limits are set."""
    from courseware import create_app
    from courseware.extensions import limiter

    def has_hook(config):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                          "COURSES_DIR": str(tmp_path), **config})
        return limiter._check_request_limit in app.before_request_funcs.get(None, [])

    assert not has_hook({})
    assert has_hook({"RATELIMIT_DEFAULT": "1000 per hour"})


def test_the_app_starts_with_rate_limits_switched_off(tmp_path, monkeypatch):
    """RATELIMIT_ENABLED = False (Flask-Limiter then registers no hook) must not break create_app."""
    from courseware import create_app
    from courseware.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", limiter.enabled)  # the one Limiter remembers it for later apps

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.db'}"})
    assert app.test_client().get("/auth/login").status_code == 200
