"""Login rate limiting (Flask-Limiter): per client address, POST only, shared between servers through Redis."""
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


def test_eleventh_login_post_in_a_minute_gets_friendly_429(app, client):
    for attempt in range(10):
        assert _post_login(client).status_code == 200, f"attempt {attempt + 1} was limited too early"

    response = _post_login(client)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    with app.test_request_context():
        assert _("Too many attempts") in page and _("Wait a minute and try again.") in page
    assert 'class="error-page"' in page  # the site's own error page, not Flask-Limiter's plain text
    assert "Retry-After" in response.headers


def test_limit_is_per_address_and_get_is_not_limited(client):
    for _attempt in range(11):
        _post_login(client, ip="198.51.100.8")
    assert _post_login(client, ip="198.51.100.8").status_code == 429
    assert _post_login(client, ip="198.51.100.9").status_code == 200  # a colleague at another address
    assert client.get("/auth/login", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_limit_comes_from_config_and_also_covers_reset_requests(client):
    for _attempt in range(3):
        assert client.post("/auth/reset", data={"email": "a@example.no"}).status_code == 302
    assert client.post("/auth/reset", data={"email": "a@example.no"}).status_code == 429


# A second app instance in its own process, as a second server (or worker) would be in production.
OTHER_SERVER = """
import json, sys
from courseware import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
codes = [client.post("/auth/login", data={}, environ_base={"REMOTE_ADDR": sys.argv[2]}).status_code
         for _ in range(int(sys.argv[3]))]
print(json.dumps(codes))
"""


@pytest.mark.redis  # skipped without Redis, but failed under CI (tests/groups.py)
@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}])
def test_two_app_instances_share_the_count_through_redis(app, client, tmp_path):
    import redis

    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"  # this run's own key
    config = {"TESTING": True, "SECRET_KEY": "other", "WTF_CSRF_ENABLED": False,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}", "COURSES_DIR": str(tmp_path),
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    try:
        done = subprocess.run([sys.executable, "-c", OTHER_SERVER, json.dumps(config), ip, "6"], cwd=REPO,
                              env={**os.environ, "COURSEWARE_INSTANCE_PATH": str(tmp_path)},
                              capture_output=True, text=True, timeout=60, check=True)
        assert json.loads(done.stdout.strip().splitlines()[-1]) == [200] * 6

        codes = [_post_login(client, ip=ip).status_code for _attempt in range(5)]

        assert codes == [200, 200, 200, 200, 429]  # 6 there + 4 here = 10; the 11th is refused
    finally:
        store = redis.Redis(host="127.0.0.1", port=6379, db=15)
        for key in store.scan_iter(match=f"*{ip}*"):
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
