"""Cross-cutting security checks: headers, cookies, password storage, CSRF on every POST route, template rules."""
import re
from pathlib import Path

import pytest
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash

from courseware.extensions import db
from courseware.models import User

from .conftest import TEST_PASSWORD
from .world import build_world, log_in, persona_for

TEMPLATES = Path(__file__).resolve().parent.parent / "courseware" / "templates"


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


# --- Headers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/auth/reset", "/no-such-page"])
def test_security_headers_on_pages(client, path):
    response = client.get(path)
    csp = _csp(response)
    assert "'self'" in csp["script-src"].split()
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "unsafe-inline" not in csp.get("default-src", "")
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_in_rendered_auth_pages(client):
    for path in ("/auth/login", "/auth/register", "/auth/reset"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert not re.search(r"\son[a-z]+\s*=", page, re.I), path  # no onclick= etc.
        assert " style=" not in page, path


# --- Cookies -----------------------------------------------------------------------------------------------------


def _login_cookies(client, make_user, remember=False):
    make_user("learner", email="cookie@example.no")
    data = {"email": "cookie@example.no", "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_session_cookie_is_httponly_and_lax(client, make_user):
    cookies = _login_cookies(client, make_user, remember=True)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}])
def test_cookies_are_secure_when_configured(client, make_user):
    cookies = _login_cookies(client, make_user, remember=True)
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name]


def test_passwords_are_stored_hashed(client):
    password = "Mitt-hemmelige-passord-9"
    client.post("/auth/register", data={"name": "H", "email": "hash@example.no", "password": password,
                                        "confirm": password})
    user = db.session.execute(select(User)).scalar_one()
    assert password not in user.password_hash
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))
    assert check_password_hash(user.password_hash, password)
    assert not check_password_hash(user.password_hash, password + "x")


def test_production_hash_method_is_scrypt(app):
    from courseware.services.accounts import hash_password

    app.config.pop("PASSWORD_HASH_METHOD")
    assert hash_password("Et-langt-passord-1").startswith("scrypt:")


# --- CSRF on every POST route ------------------------------------------------------------------------------------


def _post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]


def _token(client) -> str:
    """The CSRF token of the client's session, from the language form every page has."""
    page = client.get("/privacy").get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])


@CSRF_ON
def test_every_post_route_refuses_a_post_without_csrf_token(app, client, make_user):
    """Each POST route, with path arguments that exist and a user who may use it, answers 400 to a post without a
    token; and the same post with the token reaches the view, so the 400 came from the CSRF check and nothing else.
    Routes come from the URL map: a new route is covered (or fails here, asking tests/world.py for its arguments)."""
    world = build_world(make_user)
    rules = _post_rules(app)
    assert {"auth.login", "auth.logout", "auth.register", "studio.bulk_upload", "admin.change_role"} <= {
        rule.endpoint for rule in rules}
    with app.test_request_context():
        friendly = _("The form had expired. Go back, reload the page and try again.")
    for rule in rules:
        url = world.url(rule)
        log_in(client, world.new_user(persona_for(rule.endpoint)))
        response = client.post(url, data={"email": "a@example.no", "password": TEST_PASSWORD, "name": "Ola",
                                          **world.form_data(rule.endpoint)})
        where = f"{rule.endpoint} {url} as {persona_for(rule.endpoint)}: {response.status_code}"
        assert response.status_code == 400, where
        assert friendly in response.get_data(as_text=True), where
    for rule in rules:
        url = world.url(rule)
        log_in(client, world.new_user(persona_for(rule.endpoint)))
        response = client.post(url, data={"csrf_token": _token(client), **world.form_data(rule.endpoint)})
        where = f"{rule.endpoint} {url} as {persona_for(rule.endpoint)} with a token: {response.status_code}"
        assert response.status_code not in (400, 403, 404, 405) and response.status_code < 500, where


def test_the_default_configuration_keeps_csrf_on(monkeypatch, tmp_path):
    """create_app as production runs it (no test overrides): CSRF on for every POST, no view or blueprint exempt,
    and no environment variable that could turn it off."""
    from courseware import create_app
    from courseware.config import ENVIRONMENT

    monkeypatch.setenv("COURSEWARE_INSTANCE_PATH", str(tmp_path))
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True
    assert "POST" in app.config.get("WTF_CSRF_METHODS", {"POST"})
    csrf = app.extensions["csrf"]
    assert csrf._exempt_views == set() and csrf._exempt_blueprints == set()
    assert not [key for key, _kind in ENVIRONMENT.values() if key.startswith("WTF_CSRF")]
    assert app.config["MAX_CONTENT_LENGTH"] >= 1024 * 1024 + 64 * 1024  # the 1 MB CSV and its form fit


@CSRF_ON
def test_post_with_the_token_works(app, client, make_user):
    make_user("learner", email="csrf@example.no")
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": "csrf@example.no", "password": TEST_PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302


# --- Templates ---------------------------------------------------------------------------------------------------


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_every_post_form_in_templates_has_a_csrf_token():
    forms = 0
    for path in _templates():
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*\bmethod=[\"']?post\b", source, re.I):
            forms += 1
            end = source.find("</form>", match.end())
            body = source[match.start(): end if end != -1 else len(source)]
            assert "csrf_token()" in body or "hidden_tag()" in body, f"{path.relative_to(TEMPLATES)}: {body[:120]}"
    assert forms >= 6  # log out, language, and the auth pages at least


def test_only_macros_html_marks_html_safe():
    offenders = [
        str(path.relative_to(TEMPLATES)) for path in _templates()
        if path.name != "macros.html" and re.search(r"\|\s*safe\b|\{%\s*autoescape\s+false", path.read_text("utf-8"))
    ]
    assert offenders == []
