"""Forgotten password: the request form, the signed expiring link, and setting a new password through it."""
import re
import time

import pytest
from itsdangerous import TimestampSigner
from werkzeug.security import check_password_hash

from courseware.errors import InvalidInput
from courseware.extensions import db
from courseware.models import User
from courseware.services import accounts

NEW_PASSWORD = "Nytt-og-langt-passord-2025"
SAME_MESSAGE = "we have sent a link for choosing a new password"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


def _link_from(smtp_server) -> str:
    text = smtp_server.text(smtp_server.wait_for(1)[-1])
    return re.search(r"http://localhost(/auth/reset/\S+)", text).group(1)


def _session_user(client):
    """The user id in the session (Flask-Login keeps "<id>:<session stamp>" once the password has changed)."""
    with client.session_transaction() as sess:
        value = sess.get("_user_id")
    return value.partition(":")[0] if value else value


def test_forgot_password_page(client):
    response = client.get("/auth/reset")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="form-card' in page and 'autocomplete="email"' in page


def test_request_for_existing_account_sends_link(client, make_user, smtp_server):
    user = make_user("learner", email="kari@example.no", name="Kari Nordmann")
    response = client.post("/auth/reset", data={"email": "Kari@Example.no"}, follow_redirects=True)
    assert SAME_MESSAGE in response.get_data(as_text=True)
    [message] = smtp_server.wait_for(1)
    assert message["To"].addresses[0].addr_spec == user.email
    assert "Kari Nordmann" in smtp_server.text(message)
    assert _link_from(smtp_server).startswith("/auth/reset/")
    assert re.search(r'href="http://localhost/auth/reset/[^"]+"', smtp_server.html(message))


def test_request_for_unknown_or_inactive_account_says_the_same_and_sends_nothing(client, make_user, smtp_server):
    make_user("learner", email="borte@example.no", active=False)
    for address in ("ingen@example.no", "borte@example.no"):
        response = client.post("/auth/reset", data={"email": address}, follow_redirects=True)
        assert SAME_MESSAGE in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_request_invalid_post_shows_field_error(client):
    page = client.post("/auth/reset", data={"email": "ikke gyldig"}).get_data(as_text=True)
    assert 'id="email-error"' in page and "Enter a valid e-mail address" in page


def test_valid_link_sets_password_logs_in_and_works_once(client, make_user, smtp_server):
    user = make_user("learner", email="kari@example.no")
    client.post("/auth/reset", data={"email": user.email})
    link = _link_from(smtp_server)

    page = client.get(link)
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.get_data(as_text=True)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert _session_user(client) == str(user.id)
    db.session.expire_all()
    refreshed = db.session.get(User, user.id)
    assert check_password_hash(refreshed.password_hash, NEW_PASSWORD)
    assert refreshed.last_login_at is not None
    # Used once: the password changed, so the same link is dead now.
    client.post("/auth/logout")
    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert client.post(link, data={"password": "Enda-et-nytt-passord-1", "confirm": "Enda-et-nytt-passord-1"}
                       ).status_code == 400
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, user.id).password_hash, NEW_PASSWORD)


def test_reset_invalid_post_shows_field_error_and_keeps_password(client, make_user):
    user = make_user("learner")
    link = f"/auth/reset/{accounts.make_reset_token(user)}"
    old_hash = user.password_hash
    page = client.post(link, data={"password": "kort", "confirm": "annet"}).get_data(as_text=True)
    assert 'id="password-error"' in page and 'id="confirm-error"' in page
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


@pytest.mark.parametrize("app_config", [{"RESET_TOKEN_MAX_AGE": 60}])
def test_expired_link_shows_friendly_page(client, make_user, monkeypatch):
    user = make_user("learner")
    link = f"/auth/reset/{accounts.make_reset_token(user)}"
    assert client.get(link).status_code == 200
    later = int(time.time()) + 61
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)

    response = client.get(link)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The link has expired" in page and 'href="/auth/reset"' in page


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "x" + t,                                              # payload changed
    lambda t: "ikke-en-token",
])
def test_tampered_link_shows_friendly_page(client, make_user, mangle):
    user = make_user("learner")
    response = client.get(f"/auth/reset/{mangle(accounts.make_reset_token(user))}")
    assert response.status_code == 400
    assert "The link is not valid" in response.get_data(as_text=True)


def test_token_from_another_secret_key_is_refused(app, make_user):
    user = make_user("learner")
    token = accounts.make_reset_token(user)
    app.config["SECRET_KEY"] = "a-different-deployment"
    with pytest.raises(InvalidInput):
        accounts.verify_reset_token(token)


def test_link_of_deactivated_user_is_refused(client, make_user):
    user = make_user("learner")
    token = accounts.make_reset_token(user)
    user.active = False
    db.session.commit()
    assert client.get(f"/auth/reset/{token}").status_code == 400


def test_newer_password_change_kills_older_links(app, make_user):
    user = make_user("learner")
    token = accounts.make_reset_token(user)
    accounts.set_password(user, NEW_PASSWORD)
    with pytest.raises(InvalidInput):
        accounts.verify_reset_token(token)
