"""Changing the password from the profile: the current one is checked, the new one must be good, the user is told
by e-mail, old reset links stop working, and guessing the current password is rate-limited."""
import pytest
from werkzeug.security import check_password_hash

from courseware.errors import InvalidInput
from courseware.extensions import db
from courseware.models import User
from courseware.services import accounts

from .conftest import TEST_PASSWORD

NEW_PASSWORD = "Nytt-og-langt-passord-2026"


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "LOGIN_RATE_LIMIT": "5 per minute"}


def _password_hash(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).password_hash


def _post(client, **data):
    form = {"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    form.update(data)
    return client.post("/me/password", data=form)


def test_page_is_linked_from_the_profile_and_asks_to_log_in(client, login_as):
    assert client.get("/me/password").status_code == 302
    login_as("learner")
    assert 'href="/me/password"' in client.get("/me/profile").get_data(as_text=True)
    page = client.get("/me/password").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page and page.count('autocomplete="new-password"') == 2


def test_change_saves_the_new_password_and_mails_the_user(client, login, make_user, smtp_server):
    user = make_user("learner", email="kari@example.no")
    login(user)
    response = _post(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/profile")
    assert check_password_hash(_password_hash(user.id), NEW_PASSWORD)
    assert accounts.authenticate("kari@example.no", NEW_PASSWORD) is not None
    assert accounts.authenticate("kari@example.no", TEST_PASSWORD) is None
    message = smtp_server.wait_for(1)[-1]
    assert message["To"].endswith("kari@example.no>") or "kari@example.no" in message["To"]
    assert "was just changed" in smtp_server.text(message) and "/auth/reset" in smtp_server.text(message)
    assert "Your new password is saved" in client.get("/me/profile").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"current": "feil-passord-123"}, "Your current password is not right."),
    ({"current": ""}, "Enter the password you have now."),
    ({"password": "kort", "confirm": "kort"}, "at least"),
    ({"confirm": "noe-annet-helt-anna"}, "The two passwords are not the same."),
    ({"password": TEST_PASSWORD, "confirm": TEST_PASSWORD}, "different from the one you have now"),
])
def test_bad_input_is_explained_and_changes_nothing(client, login, make_user, smtp_server, data, message):
    user = make_user("learner")
    login(user)
    before = _password_hash(user.id)
    response = _post(client, **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _password_hash(user.id) == before
    assert smtp_server.messages == []


def test_old_reset_links_stop_working(app, make_user):
    user = make_user("learner")
    token = accounts.make_reset_token(user)
    accounts.change_password(user, TEST_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    with pytest.raises(InvalidInput):
        accounts.verify_reset_token(token)


def test_guessing_the_current_password_is_rate_limited(client, login, make_user):
    login(make_user("learner"))
    statuses = [_post(client, current=f"gjetning-{n}-passord").status_code for n in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429


def _logged_in(the_client) -> bool:
    from flask import g

    g.pop("_login_user", None)  # the tests' requests share one app context
    return the_client.get("/me/profile").status_code == 200


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, client, login, make_user):
    user = make_user("learner")
    other_browser = app.test_client()
    login(user)
    login(user, other_browser)
    assert _logged_in(client) and _logged_in(other_browser)
    assert _post(client).status_code == 302
    assert _logged_in(client)
    assert not _logged_in(other_browser)


def test_a_password_reset_ends_every_session(app, client, login, make_user):
    user = make_user("learner")
    login(user)
    assert _logged_in(client)
    token = accounts.make_reset_token(user)
    reset_browser = app.test_client()
    response = reset_browser.post(f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _logged_in(reset_browser)  # logged in by the reset
    assert not _logged_in(client)


def test_log_out_on_other_devices(app, client, login, make_user):
    user = make_user("learner")
    other_browser = app.test_client()
    login(user)
    login(user, other_browser)
    response = client.post("/me/sessions/end")
    assert response.status_code == 302
    assert "logged out on every other device" in client.get("/me/profile").get_data(as_text=True)
    assert _logged_in(client) and not _logged_in(other_browser)
    assert db.session.get(User, user.id).session_stamp


def test_remember_me_cookies_from_before_stop_working(app, make_user):
    """A "remember me" cookie carries the session stamp too: after a new stamp it logs nobody in."""
    from flask_login import decode_cookie

    user = make_user("learner", email="ola@example.no")
    browser = app.test_client()
    browser.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD, "remember": "y"})
    remember = browser.get_cookie("remember_token")
    assert remember is not None and decode_cookie(remember.value).startswith(f"{user.id}:")
    accounts.renew_session_stamp(db.session.get(User, user.id))
    db.session.commit()
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert not _logged_in(fresh)


@pytest.mark.parametrize("page", ["/me/profile", "/courses/kurs/intro"])
def test_sessions_from_before_the_upgrade_end_gracefully(client, make_user, page):
    """Sessions from before per-login records hold "<id>" or "<id>:<stamp>": the person is asked to log in again."""
    from .learning_factory import make_course

    make_course("kurs")
    user = make_user("learner")
    for old_id in (str(user.id), f"{user.id}:", f"{user.id}:{user.session_stamp}", "nonsense", f"{user.id}::x"):
        with client.session_transaction() as sess:
            sess["_user_id"] = old_id
        from flask import g

        g.pop("_login_user", None)
        response = client.get(page)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], old_id


def test_module_page_fast_path_checks_the_stamp(client, login, make_user):
    from .learning_factory import make_course

    make_course("kurs")
    user = make_user("learner")
    login(user)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:gammelt-stempel"
    from flask import g

    g.pop("_login_user", None)
    response = client.get("/courses/kurs/intro")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_deactivated_account_is_logged_out(client, login, make_user):
    user = make_user("learner")
    login(user)
    assert _logged_in(client)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert not _logged_in(client)
