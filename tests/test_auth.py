"""Web tests for logging in and out and registering (auth blueprint)."""
import pytest
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from courseware.extensions import db
from courseware.models import User
from courseware.services import accounts

from .conftest import TEST_PASSWORD

NEW_PASSWORD = "Fire-tusen-fjorder-77"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


def _register(client, **overrides):
    data = {"name": "Åse Ødegård", "email": "Aase@Example.no", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    data.update(overrides)
    return client.post("/auth/register" + data.pop("query", ""), data=data)


def _users():
    return db.session.execute(select(User)).scalars().all()


def _logged_in_id(client):
    with client.session_transaction() as sess:
        return sess.get("_user_id")


# --- Log in ------------------------------------------------------------------------------------------------------


def test_login_page(client):
    response = client.get("/auth/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="form-card' in page
    assert 'autocomplete="email"' in page and 'autocomplete="current-password"' in page
    assert 'name="remember"' in page


def test_login_success_updates_last_login_and_redirects_home(client, make_user):
    user = make_user("learner", email="ola@example.no")
    assert user.last_login_at is None

    response = client.post("/auth/login", data={"email": " OLA@example.no ", "password": TEST_PASSWORD})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _logged_in_id(client).startswith(f"{user.id}:")
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


@pytest.mark.parametrize("email,password", [("ola@example.no", "Feil-passord-123"), ("ingen@example.no", TEST_PASSWORD)])
def test_wrong_password_and_unknown_email_look_the_same(client, make_user, email, password):
    make_user("learner", email="ola@example.no")
    response = client.post("/auth/login", data={"email": email, "password": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The e-mail address or the password is wrong." in page
    assert 'role="alert"' in page
    assert _logged_in_id(client) is None


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("learner", email="borte@example.no", active=False)
    response = client.post("/auth/login", data={"email": "borte@example.no", "password": TEST_PASSWORD})
    assert "The e-mail address or the password is wrong." in response.get_data(as_text=True)
    assert _logged_in_id(client) is None


def test_login_invalid_post_shows_field_errors(client):
    response = client.post("/auth/login", data={"email": "ikke-en-adresse", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in page and "Enter a valid e-mail address" in page
    assert 'id="password-error"' in page and "Enter your password." in page


def test_login_follows_a_local_next(client, make_user):
    make_user("learner", email="ola@example.no")
    page = client.get("/auth/login?next=/courses/abc?tab=2").get_data(as_text=True)
    assert 'value="/courses/abc?tab=2"' in page  # carried through the form
    response = client.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD,
                                                "next": "/courses/abc?tab=2"})
    assert response.headers["Location"] == "/courses/abc?tab=2"


@pytest.mark.parametrize("evil", ["https://evil.example", "//evil.example", "/\\evil.example", "http:/evil.example",
                                  "javascript:alert(1)", "/\t/evil.example", "evil.example"])
def test_login_refuses_an_open_redirect(client, make_user, evil):
    make_user("learner", email="ola@example.no")
    response = client.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD, "next": evil})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_remember_me_sets_a_remember_cookie(client, make_user):
    make_user("learner", email="ola@example.no")
    response = client.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_without_remember_me_there_is_no_remember_cookie(client, make_user):
    make_user("learner", email="ola@example.no")
    response = client.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD})
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_logged_in_users_are_sent_home(client, login_as, path):
    login_as("learner")
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get(path + "?next=//evil.example").headers["Location"] == "/"


def test_login_required_redirects_to_login_with_message(app, client):
    from flask_login import login_required

    @login_required
    def protected():
        return "secret"

    app.add_url_rule("/only-members", "only_members", protected)
    response = client.get("/only-members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("info", "Log in to see this page.")]


def test_user_loader_uses_one_query_for_the_user_and_the_login(app, make_user, count_queries):
    from courseware.services.logins import start_login

    user = make_user("learner")
    start_login(user)
    db.session.commit()
    session_id, user_id = user.get_id(), user.id
    db.session.expunge_all()
    with count_queries() as counter:
        loaded = app.login_manager._user_callback(session_id)
    assert loaded.id == user_id and loaded.get_id() == session_id and counter.count == 1
    assert app.login_manager._user_callback("not-a-number") is None
    # ids from before per-login records (no login id) and ids of logins that do not exist end the session
    assert app.login_manager._user_callback(str(user_id)) is None
    assert app.login_manager._user_callback(f"{user_id}:") is None
    assert app.login_manager._user_callback(session_id + "9") is None


# --- Log out -----------------------------------------------------------------------------------------------------


def test_logout_is_post_only(client, login_as):
    login_as("learner")
    assert client.get("/auth/logout").status_code == 405
    assert _logged_in_id(client) is not None
    response = client.post("/auth/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _logged_in_id(client) is None


# --- Register ----------------------------------------------------------------------------------------------------


def test_register_page(client):
    response = client.get("/auth/register")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="form-card' in page
    for autocomplete in ("name", "email", "new-password"):
        assert f'autocomplete="{autocomplete}"' in page


def test_register_creates_an_unconfirmed_learner_and_mails_the_link_without_logging_in(client, smtp_server):
    response = _register(client)

    assert response.status_code == 302 and response.headers["Location"] == "/auth/register/check-inbox"
    [user] = _users()
    assert (user.email, user.name, user.role) == ("aase@example.no", "Åse Ødegård", "learner")
    assert user.password_hash != NEW_PASSWORD and check_password_hash(user.password_hash, NEW_PASSWORD)
    assert user.email_verified_at is None and user.last_login_at is None
    assert _logged_in_id(client) is None  # logged in by the link in the e-mail (see test_accounts_confirm.py)
    [message] = smtp_server.wait_for(1)
    assert message["To"].addresses[0].addr_spec == "aase@example.no"
    assert message["Subject"] == "Welcome to Courseware: confirm your e-mail address"
    text = smtp_server.text(message)
    assert "http://localhost/auth/confirm/" in text and "http://localhost/auth/reset" in text  # absolute links
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your inbox to confirm your address" in page


def test_registering_a_taken_address_answers_the_same_and_mails_the_owner(client, make_user, smtp_server):
    owner = make_user("learner", email="aase@example.no", name="Åse Eier")
    new = _register(client, email="ny@example.no")
    taken = _register(client, email="AASE@example.no", name="Noen Andre")

    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"] == "/auth/register/check-inbox"
    assert len(_users()) == 2 and _logged_in_id(client) is None
    smtp_server.wait_for(2)
    [warning] = smtp_server.to("aase@example.no")
    assert warning["Subject"] == "Someone tried to register with your e-mail address"
    text = smtp_server.text(warning)
    assert "Åse Eier" in text and "http://localhost/auth/login" in text and "http://localhost/auth/reset" in text
    assert "/auth/confirm/" not in text  # the owner's address is confirmed already
    db.session.expire_all()
    assert db.session.get(User, owner.id).name == "Åse Eier"  # nothing changed in the account


def test_register_keeps_a_local_next_for_after_the_link_and_refuses_others(client, smtp_server):
    from courseware.services.verification import confirm_email

    _register(client, next="/courses/sikkerhet")
    _register(client, email="b@example.no", next="https://evil.example")
    first, second = smtp_server.wait_for(2)
    tokens = [smtp_server.text(m).split("/auth/confirm/")[1].split()[0] for m in (first, second)]
    assert confirm_email(tokens[0]).next_url == "/courses/sikkerhet"
    assert confirm_email(tokens[1]).next_url is None


@pytest.mark.parametrize("field,overrides,message", [
    ("name", {"name": "  "}, "Enter your name."),
    ("email", {"email": "ola@"}, "Enter a valid e-mail address"),
    ("password", {"password": "kort", "confirm": "kort"}, "at least 10 characters"),
    ("confirm", {"confirm": "Noe-helt-annet-99"}, "The two passwords are not the same."),
])
def test_register_invalid_post_shows_field_error(client, smtp_server, field, overrides, message):
    response = _register(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page and message in page
    assert _users() == [] and smtp_server.messages == []


def test_register_survives_a_race_on_the_unique_email(client, make_user, smtp_server, monkeypatch):
    """Two sign-ups at once: both pass the lookup, the database refuses the second. The same answer, no 500."""
    from courseware.services import verification

    make_user("learner", email="aase@example.no")
    real_find = accounts.find_user_by_email
    lookups = []

    def find_nothing_the_first_times(email):
        lookups.append(email)
        return None if len(lookups) <= 2 else real_find(email)  # register's and create_user's lookups miss

    monkeypatch.setattr(verification, "find_user_by_email", find_nothing_the_first_times)
    monkeypatch.setattr(accounts, "find_user_by_email", find_nothing_the_first_times)
    response = _register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/register/check-inbox"
    assert len(_users()) == 1 and _logged_in_id(client) is None
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Someone tried to register with your e-mail address"


def test_registration_then_the_link_then_log_in_again(client, smtp_server):
    _register(client)
    link = smtp_server.text(smtp_server.wait_for(1)[0]).split("http://localhost")[1].split()[0]
    assert client.get(link).status_code == 302
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": "aase@example.no", "password": NEW_PASSWORD})
    assert response.status_code == 302
    with client:
        client.get("/")
        assert current_user.is_authenticated and current_user.email == "aase@example.no"
