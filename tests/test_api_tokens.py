"""API tokens (services/api_tokens.py, /admin/api-tokens) and the token-protected reports API (/api/v1/reports/...):
refusals for missing, wrong, revoked, expired and out-of-scope tokens, last use, hashed storage, the admin pages
with CSRF, and the register's JSON with pagination."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from courseware.errors import Conflict, InvalidInput, PermissionDenied, Unauthorized
from courseware.extensions import db
from courseware.models import ApiToken, utcnow
from courseware.services import api_tokens

from .firms_support import ORGNR_A
from .register_support import build_register

REGISTER = "/api/v1/reports/register"


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Åse Admin")


@pytest.fixture
def token(admin):
    """A reports:read token's secret."""
    _token, secret = api_tokens.create_token(admin, name="Innovasjon Norge BI", scopes=["reports:read"])
    db.session.commit()
    return secret


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def _refused(response, status, error=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and set(response.json) >= {"error", "message"}
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="courseware"')
    if error:
        assert f'error="{error}"' in challenge
    else:
        assert "error=" not in challenge


def test_a_valid_token_reads_the_register(app, client, token, make_user):
    world = build_register(make_user)
    response = client.get(REGISTER, headers=_bearer(token))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    data = response.json
    assert (data["total"], data["page"], data["per_page"], data["next"], data["previous"]) == (2, 1, 50, None, None)
    alfa, beta = data["items"]
    assert (alfa["orgnr"], alfa["people"], alfa["verified"], beta["people"]) == (ORGNR_A, 6, True, "<5")
    assert [(c["title"], c["stage"], c["people"]) for c in alfa["courses"]] == [("Digital drift", 1, 6),
                                                                               ("Eksport", 2, "<5")]
    assert alfa["courses"][0]["firm_certificate"] == {"code": world.certificate_code, "revoked": False}
    assert alfa["courses"][1]["firm_certificate"] is None
    one = client.get(f"{REGISTER}/NO%20942%20110%20464%20MVA", headers=_bearer(token))
    assert one.status_code == 200 and one.json == alfa


def test_register_api_pages_and_links(app, client, token, make_user):
    build_register(make_user)
    first = client.get(f"{REGISTER}?per_page=1&municipality=5001", headers=_bearer(token)).json
    assert first["total"] == 1 and first["pages"] == 1 and first["next"] is None
    first = client.get(f"{REGISTER}?per_page=1", headers=_bearer(token)).json
    assert [f["name"] for f in first["items"]] == ["Alfa AS"] and first["pages"] == 2 and first["previous"] is None
    link = urlsplit(first["next"])
    second = client.get(f"{link.path}?{link.query}", headers=_bearer(token)).json
    assert [f["name"] for f in second["items"]] == ["Beta AS"] and second["next"] is None and second["previous"]
    assert client.get(f"{REGISTER}?page=9", headers=_bearer(token)).json["items"] == []


@pytest.mark.parametrize("query", ["per_page=0", "per_page=201", "page=0", "page=x", "per_page=%D9%A3",
                                   "municipality=50", "industry=Z"])
def test_register_api_refuses_bad_parameters_with_json(app, client, token, query):
    response = client.get(f"{REGISTER}?{query}", headers=_bearer(token))
    assert response.status_code == 400 and response.is_json and response.json["message"]


def test_orgnr_errors_are_json(app, client, token, make_user):
    build_register(make_user)
    typo = client.get(f"{REGISTER}/942110465", headers=_bearer(token))
    assert typo.status_code == 400 and "check digit" in typo.json["message"]
    unknown = client.get(f"{REGISTER}/923609016", headers=_bearer(token))
    assert unknown.status_code == 404 and unknown.json["reason"] == "unknown_firm"


@pytest.mark.parametrize("url", [REGISTER, f"{REGISTER}/{ORGNR_A}"])
def test_missing_and_wrong_tokens_are_refused(app, client, token, url):
    _refused(client.get(url), 401)
    _refused(client.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    _refused(client.get(url, headers=_bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))), 401, "invalid_token")
    _refused(client.get(url, headers=_bearer("cw_" + "x" * 500)), 401, "invalid_token")
    _refused(client.get(url, headers=_bearer("ø")), 401, "invalid_token")


def test_revoked_token_is_refused(app, client, admin, token):
    assert client.get(REGISTER, headers=_bearer(token)).status_code == 200
    row = db.session.execute(select(ApiToken)).scalar_one()
    api_tokens.revoke_token(admin, row)
    db.session.commit()
    _refused(client.get(REGISTER, headers=_bearer(token)), 401, "invalid_token")
    with pytest.raises(Conflict):
        api_tokens.revoke_token(admin, row)


def test_expired_token_is_refused(app, client, admin):
    now = utcnow()
    _token, secret = api_tokens.create_token(admin, name="Kort", scopes=["reports:read"],
                                             expires_at=now + timedelta(seconds=30), now=now)
    db.session.commit()
    assert client.get(REGISTER, headers=_bearer(secret)).status_code == 200
    with pytest.raises(Unauthorized):
        api_tokens.authenticate(f"Bearer {secret}", scope="reports:read", now=now + timedelta(minutes=1))
    _token.expires_at = now - timedelta(seconds=1)
    db.session.commit()
    _refused(client.get(REGISTER, headers=_bearer(secret)), 401, "invalid_token")


def test_out_of_scope_token_is_refused(app, client, admin, monkeypatch):
    monkeypatch.setitem(api_tokens.SCOPES, "certificates:read", "Another permission")
    _token, secret = api_tokens.create_token(admin, name="Annet", scopes=["certificates:read"])
    db.session.commit()
    response = client.get(REGISTER, headers=_bearer(secret))
    _refused(response, 403, "insufficient_scope")
    assert response.json["reason"] == "insufficient_scope" and 'scope="reports:read"' in \
        response.headers["WWW-Authenticate"]


def test_last_use_is_recorded_at_most_once_a_minute(app, client, token):
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.last_used_at is None
    client.get(REGISTER, headers=_bearer(token))
    db.session.refresh(row)
    first = row.last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    api_tokens.authenticate(f"Bearer {token}", scope="reports:read", now=first + timedelta(seconds=30))
    db.session.commit()
    db.session.refresh(row)
    assert row.last_used_at == first
    later = first + timedelta(seconds=61)
    api_tokens.authenticate(f"Bearer {token}", scope="reports:read", now=later)
    db.session.commit()
    db.session.refresh(row)
    assert row.last_used_at == later


def test_the_plain_token_is_stored_nowhere(app, client, token):
    client.get(REGISTER, headers=_bearer(token))
    secret_part = token[len(api_tokens.PREFIX):]
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                assert not any(secret_part in str(value) for value in row), table.name
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.token_hash == api_tokens.hash_token(token) and len(row.token_hash) == 64


def test_only_admins_create_tokens(app, make_user):
    for role in ("learner", "author", "funder"):
        with pytest.raises(PermissionDenied):
            api_tokens.create_token(make_user(role), name="X", scopes=["reports:read"])


@pytest.mark.parametrize("kwargs", [{"name": "", "scopes": ["reports:read"]}, {"name": "X", "scopes": []},
                                    {"name": "X", "scopes": ["everything"]},
                                    {"name": "X", "scopes": ["reports:read"], "expires_at": utcnow()}])
def test_bad_token_input_is_refused(app, admin, kwargs):
    with pytest.raises(InvalidInput):
        api_tokens.create_token(admin, **kwargs)


@pytest.mark.parametrize("role", ["learner", "author", "funder"])
def test_admin_token_pages_refuse_others(app, client, login_as, role):
    login_as(role)
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "X", "scopes": "reports:read"}).status_code == 403


def test_api_refuses_browser_sessions(app, client, login_as):
    """A logged-in funder's cookie is not a token: the API needs the bearer header."""
    login_as("funder")
    _refused(client.get(REGISTER), 401)


class TestAdminPagesWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def _csrf(html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def test_create_show_once_and_revoke(self, client, login, admin):
        login(admin)
        page = client.get("/admin/api-tokens").get_data(as_text=True)
        assert "No API tokens yet" in page and page.count('method="post"') == page.count('name="csrf_token"')
        assert client.post("/admin/api-tokens", data={"name": "BI", "scopes": "reports:read"}).status_code == 400
        assert db.session.execute(select(ApiToken)).scalar_one_or_none() is None
        created = client.post("/admin/api-tokens", data={"name": "Innovasjon Norge BI", "scopes": "reports:read",
                                                         "expires_on": "", "csrf_token": self._csrf(page)})
        assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
        secret = re.search(r'value="(cw_[^"]+)"', created.get_data(as_text=True)).group(1)
        listing = client.get("/admin/api-tokens").get_data(as_text=True)
        assert "Innovasjon Norge BI" in listing and secret not in listing and "Never" in listing
        assert client.get(REGISTER, headers=_bearer(secret)).status_code == 200

        row = db.session.execute(select(ApiToken)).scalar_one()
        url = f"/admin/api-tokens/{row.id}/revoke"
        confirm = client.get(url).get_data(as_text=True)
        assert "Revoke the token" in confirm
        assert client.post(url).status_code in (302, 400)
        db.session.refresh(row)
        assert row.revoked_at is None
        done = client.post(url, data={"csrf_token": self._csrf(confirm)})
        assert done.status_code == 302
        db.session.refresh(row)
        assert row.revoked_at is not None
        assert client.get(REGISTER, headers=_bearer(secret)).status_code == 401

    def test_form_problems_show_next_to_the_fields(self, client, login, admin):
        login(admin)
        page = client.get("/admin/api-tokens").get_data(as_text=True)
        response = client.post("/admin/api-tokens", data={"name": "", "expires_on": "2001-01-01",
                                                          "csrf_token": self._csrf(page)})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "Enter a name." in html and "Choose at least one permission" in html
        response = client.post("/admin/api-tokens", data={"name": "Gammel", "scopes": "reports:read",
                                                          "expires_on": "2001-01-01", "csrf_token": self._csrf(page)})
        assert response.status_code == 400 and "must be in the future" in response.get_data(as_text=True)
        assert db.session.execute(select(ApiToken)).scalar_one_or_none() is None


def test_report_summary_is_the_dashboard_as_json(app, client, token):
    api_token_header = _bearer(token)
    from courseware.services import reports

    response = client.get("/api/v1/reports/summary", headers=api_token_header)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    expected = reports.dashboard(reports.ReportScope(), reports.ReportFilters.from_args({})).as_json()
    assert response.json == expected
    assert set(response.json["tables"]) >= {"month", "municipality", "industry", "size", "status"}
    assert client.get("/api/v1/reports/summary").status_code == 401
    bad = client.get("/api/v1/reports/summary", query_string={"start": "mars"}, headers=api_token_header)
    assert bad.status_code == 400 and bad.is_json
