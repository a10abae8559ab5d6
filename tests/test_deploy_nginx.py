"""The production setup, tried: Debian's nginx with deploy/nginx/courseware.conf (rendered by deploy/render_site.py
for test ports, with a self-signed certificate) in front of TWO app server processes (`courseware run --production
--skip-init --no-worker`, as deploy/systemd runs them), on one PostgreSQL database and one Redis; then the same
tests in front of one gunicorn with two worker processes (`gunicorn ... wsgi:app`, as deploy/README.md serves sites
with webinar peaks), whose "two servers" are its two workers behind one port.

Each server has its own instance folder, as servers on two machines would: they share only what deploy/README.md
says they must (the secret key, by COURSEWARE_SECRET_KEY; the media and signing keys folders; the database and
Redis). Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3, ...), so nginx sees different
clients on one machine, and the app must see them too.
"""
import io
import os
import re
import shutil
import uuid
import zipfile

import pytest
from sqlalchemy.engine import make_url

from .conftest import FIXTURE_COURSES, TEST_PASSWORD
from .deploy_support import (NGINX, REPO, Processes, client_from, empty_postgres_database, free_port, run_courseware,
                             self_signed_certificate, start_app_server, start_gunicorn, start_nginx)

pytestmark = [pytest.mark.postgres_only, pytest.mark.redis]

REDIS_DB = 5
ADDRESS_LIMIT = 4  # failed logins per client address and hour, in the servers' instance/config.py
ADMIN = "admin@example.no"
SLUG = "minimal"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
INSTANCE_CONFIG = """\
LOGIN_ADDRESS_RATE_LIMIT = "{limit} per hour"
LOGIN_RATE_LIMIT = "100 per hour"
RATELIMIT_STORAGE_OPTIONS = {{"key_prefix": "{prefix}"}}
MEDIA_DIR = "{shared}/media"
SIGNING_KEYS_DIR = "{shared}/keys"
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
BABEL_DEFAULT_LOCALE = "en"
"""


def _deploy_database_url() -> str:
    """A database of its own beside the test database (<name>_deploy), emptied: the servers migrate it themselves."""
    url = make_url(os.environ["COURSEWARE_TEST_DATABASE_URL"])
    return empty_postgres_database(url.set(database=f"{url.database}_deploy").render_as_string(hide_password=False))


class Deployment:
    """Two app servers behind nginx; `direct(i)` is app server i's own address."""

    def __init__(self, nginx, app_ports, cert, redis_store, redis_prefix):
        self.nginx, self.app_ports, self.cert = nginx, app_ports, cert
        self.redis_store, self.redis_prefix = redis_store, redis_prefix

    def url(self, path: str = "/") -> str:
        return self.nginx.url(path)

    def direct(self, index: int, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.app_ports[index]}{path}"

    def client(self, source: str | None = None):
        return client_from(source, str(self.cert))


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def deployment(request, tmp_path_factory):
    if not NGINX.exists():
        pytest.skip(f"needs Debian's nginx at {NGINX} (apt-get install nginx; .ci/run installs it)")
    import redis

    folder = tmp_path_factory.mktemp("deploy")
    prefix = f"cw-deploy-{uuid.uuid4().hex[:12]}"
    processes = Processes()
    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        shared = folder / "shared"
        courses = folder / "courses"
        shutil.copytree(FIXTURE_COURSES / SLUG, courses / SLUG)
        cert, key = self_signed_certificate(folder)
        https_port = free_port()  # nginx's, given to the site below; known now for COURSEWARE_BASE_URL
        base_env = {key_: value for key_, value in os.environ.items() if not key_.startswith("COURSEWARE_")}
        base_env.update({
            "COURSEWARE_DATABASE_URL": _deploy_database_url(),
            "COURSEWARE_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "COURSEWARE_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,  # the one secret every server needs
            "COURSEWARE_COURSES_DIR": str(courses),
            "COURSEWARE_BASE_URL": f"https://127.0.0.1:{https_port}",
        })
        envs = []
        for number in (1, 2):
            instance = folder / f"instance{number}"
            instance.mkdir()
            (instance / "config.py").write_text(INSTANCE_CONFIG.format(limit=ADDRESS_LIMIT, prefix=prefix,
                                                                       shared=shared))
            envs.append({**base_env, "COURSEWARE_INSTANCE_PATH": str(instance)})
        run_courseware(["init"], envs[0])  # migrations and the course, once per release (deploy/README.md)
        run_courseware(["create-user", "--email", ADMIN, "--role", "admin", "--password", TEST_PASSWORD], envs[0])
        if request.param == "waitress":
            app_ports = upstreams = [free_port(), free_port()]
            for number, (port, env) in enumerate(zip(app_ports, envs), start=1):
                start_app_server(processes, f"app{number}", port, env, folder)
        else:  # wsgi:app with the first server's settings; Prometheus's shared folder for its worker processes
            upstreams = [free_port()]
            app_ports = upstreams * 2
            metrics = folder / "prometheus"
            metrics.mkdir()
            start_gunicorn(processes, "gunicorn", upstreams[0], {**envs[0], "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
                           folder)
        nginx = start_nginx(processes, folder, upstreams, cert, key, https_port=https_port)
        yield Deployment(nginx, app_ports, cert, store, prefix)
    finally:
        processes.stop_all()
        for key_ in store.scan_iter(match=f"{prefix}:*"):
            store.delete(key_)
        store.close()


def _csrf(response) -> str:
    match = CSRF.search(response.text)
    assert match, f"no CSRF token in {response.url} ({response.status_code})"
    return match.group(1)


def _post_form(client, url: str, form_url: str, data: dict, **kwargs):
    """GET the form, POST it with its CSRF token (and the Referer a browser sends over HTTPS)."""
    token = _csrf(client.get(form_url))
    return client.post(url, data={"csrf_token": token, **data}, headers={"Referer": form_url},
                       allow_redirects=False, **kwargs)


def _log_in(deployment, client, email=ADMIN, password=TEST_PASSWORD):
    page = deployment.url("/auth/login")
    return _post_form(client, page, page, {"email": email, "password": password})


# --- HTTPS, static files, request ids ------------------------------------------------------------------------------

def test_plain_http_is_sent_to_https(deployment):
    response = deployment.client().get(f"http://127.0.0.1:{deployment.nginx.http_port}/courses/minimal?x=1",
                                       allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/courses/minimal?x=1"


def test_static_files_are_served_by_nginx_with_its_caching_headers(deployment):
    response = deployment.client().get(deployment.url("/static/css/app.css"))
    assert response.status_code == 200
    assert response.content == (REPO / "courseware" / "static" / "css" / "app.css").read_bytes()
    headers = response.headers
    assert headers["Server"] == "nginx" and "X-Request-ID" not in headers  # the app adds that to every response
    assert "Content-Security-Policy" not in headers
    assert headers["Cache-Control"] == "max-age=3600" and "Expires" in headers
    assert headers["ETag"] and headers["Last-Modified"]
    assert headers["Content-Type"].startswith("text/css")
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers["X-Content-Type-Options"] == "nosniff"
    again = deployment.client().get(deployment.url("/static/css/app.css"), headers={"If-None-Match": headers["ETag"]})
    assert again.status_code == 304


def test_pages_come_from_the_app_with_nginx_request_id_and_one_set_of_headers(deployment):
    response = deployment.client().get(deployment.url("/"), headers={"X-Request-ID": "chosen-by-the-client"})
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert any(f" {request_id} 200 " in line for line in deployment.nginx.access_log(f" {request_id} "))  # nginx's
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"  # once, not the app's and nginx's
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert deployment.client().get(deployment.url("/metrics")).status_code == 404  # never through nginx


# --- cookies and sessions --------------------------------------------------------------------------------------------

def test_login_cookies_are_secure_httponly_and_samesite(deployment):
    client = deployment.client("127.0.0.5")
    response = _log_in(deployment, client)
    assert response.status_code == 302, response.text[:500]
    cookies = response.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") for c in cookies)
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
        assert "samesite=lax" in cookie.lower()


def test_a_login_through_one_server_holds_on_every_server(deployment):
    client = deployment.client("127.0.0.6")
    assert _log_in(deployment, client).status_code == 302
    probe = uuid.uuid4().hex
    for n in range(4):  # nginx takes turns between the two servers
        response = client.get(deployment.url(f"/me/courses?probe={probe}{n}"), allow_redirects=False)
        assert response.status_code == 200, response.headers.get("Location")
    lines = [line for line in deployment.nginx.access_log(wait_for=f"probe={probe}3") if f"probe={probe}" in line]
    assert {line.split()[-1] for line in lines} == {f"127.0.0.1:{port}" for port in deployment.app_ports}
    for index in (0, 1):  # and each server on its own, with the cookies the browser holds
        response = client.get(deployment.direct(index, "/me/courses"), allow_redirects=False)
        assert response.status_code == 200, f"server {index + 1}: {response.headers.get('Location')}"


def test_a_form_from_one_server_is_accepted_by_the_other(deployment):
    client = deployment.client("127.0.0.8")
    token = _csrf(client.get(deployment.direct(0, "/auth/login")))  # the form (and its session) from server 1
    response = client.post(deployment.direct(1, "/auth/login"), allow_redirects=False,
                           data={"csrf_token": token, "email": ADMIN, "password": TEST_PASSWORD})
    assert response.status_code == 302  # logged in by server 2
    assert client.get(deployment.direct(0, "/me/courses"), allow_redirects=False).status_code == 200


# --- client addresses and rate limits --------------------------------------------------------------------------------

def _failed_login(deployment, client, url=None, **headers):
    """One failed login (a new address each time, so only the per-client limit counts); its status code."""
    page = url or deployment.url("/auth/login")
    token = _csrf(client.get(page, headers=headers))
    headers = {"Referer": page, **headers}
    return client.post(page, data={"csrf_token": token, "email": f"{uuid.uuid4().hex[:10]}@example.no",
                                   "password": "feil-passord"}, headers=headers, allow_redirects=False).status_code


def test_each_client_behind_nginx_has_its_own_login_limit_shared_by_both_servers(deployment):
    rusher, colleague = deployment.client("127.0.0.2"), deployment.client("127.0.0.3")
    codes = [_failed_login(deployment, rusher) for _ in range(ADDRESS_LIMIT)]
    assert codes == [200] * ADDRESS_LIMIT  # wrong password, shown on the form; attempts went to both servers
    assert _failed_login(deployment, rusher) == 429
    # Naming another client in X-Forwarded-For does not help: nginx appends the real peer, and the app takes that.
    assert _failed_login(deployment, rusher, **{"X-Forwarded-For": "127.0.0.3"}) == 429
    # Another client (another address) still logs in as usual, through either server.
    assert [_failed_login(deployment, colleague) for _ in range(2)] == [200, 200]


def test_the_count_is_shared_between_servers_and_only_a_trusted_proxy_names_the_client(deployment):
    # nginx runs on 127.0.0.1, the trusted proxy; from there X-Forwarded-For names the client.
    client = deployment.client()
    forwarded = {"X-Forwarded-For": "198.51.100.23"}
    codes = [_failed_login(deployment, client, deployment.direct(i % 2, "/auth/login"), **forwarded)
             for i in range(ADDRESS_LIMIT)]
    assert codes == [200] * ADDRESS_LIMIT
    assert _failed_login(deployment, client, deployment.direct(0, "/auth/login"), **forwarded) == 429
    assert _failed_login(deployment, client, deployment.direct(1, "/auth/login"), **forwarded) == 429
    assert any(deployment.redis_store.scan_iter(match=f"{deployment.redis_prefix}:*198.51.100.23*"))  # in Redis
    # From any other peer the header is dropped: the attempt counts for the peer's own address.
    stranger = deployment.client("127.0.0.4")
    assert _failed_login(deployment, stranger, deployment.direct(1, "/auth/login"), **forwarded) == 200


# --- publishing on one server, served by the other -------------------------------------------------------------------

def _package_zip(text_to_add: str) -> bytes:
    """The fixture course as the studio downloads it (one folder named after the slug), its first module changed."""
    buffer = io.BytesIO()
    source = FIXTURE_COURSES / SLUG
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name == "01-intro.md":
                    data += f"\n{text_to_add}\n".encode()
                archive.writestr(f"{SLUG}/{path.relative_to(source).as_posix()}", data)
    return buffer.getvalue()


def _publish(deployment, client, index: int, text_to_add: str) -> None:
    """Upload a changed zip into the course's draft and publish it, all on app server `index`."""
    upload = deployment.direct(index, f"/studio/upload?slug={SLUG}")
    token = _csrf(client.get(upload))
    response = client.post(upload, data={"csrf_token": token}, allow_redirects=False,
                           files={"file": (f"{SLUG}.zip", _package_zip(text_to_add), "application/zip")})
    assert response.status_code == 302, response.text[:2000]
    page = client.get(deployment.direct(index, f"/studio/courses/{SLUG}/check"))
    revision = re.search(r'name="revision"[^>]*value="(\d*)"', page.text)
    data = {"csrf_token": _csrf(page), "accept_warnings": "y", "revision": revision.group(1) if revision else ""}
    response = client.post(deployment.direct(index, f"/studio/courses/{SLUG}/publish"), data=data,
                           allow_redirects=False)
    assert response.status_code == 302 and "/versions" in response.headers["Location"], response.headers


def test_a_course_published_on_one_server_is_served_by_the_other_at_once(deployment):
    client = deployment.client("127.0.0.7")
    assert _log_in(deployment, client).status_code == 302
    course = client.get(deployment.direct(1, f"/courses/{SLUG}"))
    key = re.search(rf'href="/courses/{SLUG}/([a-z0-9-]+)"', course.text).group(1)
    module = deployment.direct(1, f"/courses/{SLUG}/{key}")
    for _ in range(2):  # server 2 has rendered (and cached) the module as it is now
        assert client.get(module).status_code == 200

    for round_ in (1, 2):
        marker = f"Publisert på server 1, runde {round_}: {uuid.uuid4().hex[:8]}"
        _publish(deployment, client, 0, marker)
        page = client.get(module)
        assert page.status_code == 200 and marker in page.text, f"server 2 showed an old version (round {round_})"
        for _ in range(2):  # through nginx, whichever server answers
            assert marker in client.get(deployment.url(f"/courses/{SLUG}/{key}")).text
    # The module's picture, stored by server 1 at publishing, from server 2 (the shared media folder).
    picture = client.get(deployment.direct(1, f"/courses/{SLUG}/assets/fjos-sensor.png"))
    assert picture.status_code == 200
    assert picture.content == (FIXTURE_COURSES / SLUG / "assets" / "fjos-sensor.png").read_bytes()
