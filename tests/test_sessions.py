"""Sessions end when they should: logging out ends the session and the "remember me" cookie on the server (a copy
of either no longer works) while the person's other devices stay logged in; logins expire; the CSRF token changes
at login; the remember cookie is Secure whenever the session cookie is."""
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from courseware import create_app, secure_cookies
from courseware.extensions import db
from courseware.models import User, UserLogin, utcnow
from courseware.services import logins

from .conftest import TEST_PASSWORD, _test_config
from .learning_factory import make_course


def _logged_in(the_client, path="/me/profile") -> bool:
    g.pop("_login_user", None)  # the tests' requests share one app context
    return the_client.get(path).status_code == 200


def _log_in(the_client, email, remember=False):
    data = {"email": email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    g.pop("_login_user", None)
    response = the_client.post("/auth/login", data=data)
    assert response.status_code == 302
    return response


def _copy_session(source, target) -> None:
    """Replay the source browser's session cookie in another browser (someone who copied it)."""
    target.set_cookie("session", source.get_cookie("session").value)


def _logins(user_id) -> int:
    return db.session.scalar(select(func.count()).select_from(UserLogin).where(UserLogin.user_id == user_id))


@pytest.mark.parametrize("path", ["/me/profile", "/courses/kurs/intro"])  # the module page reads the login itself
def test_a_copied_session_cookie_stops_working_at_logout(app, client, make_user, path):
    make_course("kurs", audience="public")
    user = make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no")
    thief = app.test_client()
    _copy_session(client, thief)
    assert _logged_in(thief, path)

    client.post("/auth/logout")

    assert not _logged_in(client, path) and not _logged_in(thief, path)
    assert _logins(user.id) == 0


def test_a_copied_remember_cookie_stops_working_at_logout(app, client, make_user):
    make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no", remember=True)
    remember = client.get_cookie("remember_token").value
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert _logged_in(replay)  # the cookie logs a fresh browser in, until...

    client.post("/auth/logout")
    again = app.test_client()
    again.set_cookie("remember_token", remember)

    assert not _logged_in(again)
    assert client.get_cookie("remember_token") is None  # and the browser that logged out dropped it


def test_logging_out_on_one_device_keeps_the_others_logged_in(app, client, make_user):
    user = make_user("learner", email="ola@example.no")
    phone, laptop = app.test_client(), client
    _log_in(phone, "ola@example.no")
    _log_in(laptop, "ola@example.no")
    assert _logins(user.id) == 2

    laptop.post("/auth/logout")

    assert _logged_in(phone) and not _logged_in(laptop)
    assert _logins(user.id) == 1


def test_log_out_on_other_devices_ends_their_logins_and_keeps_this_one(app, client, make_user):
    user = make_user("learner", email="ola@example.no")
    phone = app.test_client()
    _log_in(phone, "ola@example.no")
    _log_in(client, "ola@example.no")
    g.pop("_login_user", None)
    assert client.post("/me/sessions/end").status_code == 302
    assert _logged_in(client) and not _logged_in(phone)
    assert _logins(user.id) == 1


def test_a_reset_password_ends_every_login_and_starts_one(app, client, make_user):
    from courseware.services import accounts

    user = make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no")
    browser = app.test_client()
    token = accounts.make_reset_token(user)
    g.pop("_login_user", None)
    browser.post(f"/auth/reset/{token}", data={"password": "Nytt-passord-2026", "confirm": "Nytt-passord-2026"})
    assert _logged_in(browser) and not _logged_in(client)
    assert _logins(user.id) == 1


def test_a_login_older_than_the_remember_duration_has_ended(app, client, make_user):
    user = make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no")
    assert _logged_in(client)
    db.session.execute(db.update(UserLogin).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert not _logged_in(client)
    # The next login clears the user's expired rows.
    _log_in(client, "ola@example.no")
    assert _logins(user.id) == 1


def test_login_is_current_follows_the_remember_duration(app):
    now = utcnow()
    assert logins.login_is_current(now - timedelta(days=29), now)
    assert not logins.login_is_current(now - timedelta(days=30, seconds=1), now)
    assert not logins.login_is_current(None, now)


def test_an_expired_login_on_the_module_page_asks_to_log_in(client, make_user):
    make_course("kurs", audience="public")
    make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no")
    db.session.execute(db.update(UserLogin).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    g.pop("_login_user", None)
    response = client.get("/courses/kurs/intro")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_csrf_token_changes_at_login_and_logout(app, make_user):
    make_user("learner", email="ola@example.no")
    client = app.test_client()

    def raw_token():
        with client.session_transaction() as sess:
            return sess.get("csrf_token")

    client.get("/auth/login")
    g.pop("csrf_token", None)
    before = raw_token()
    assert before
    _log_in(client, "ola@example.no")
    g.pop("csrf_token", None)
    client.get("/me/profile")  # a page with forms makes a new token
    during = raw_token()
    assert during and during != before
    g.pop("_login_user", None)
    client.post("/auth/logout")
    assert raw_token() != during


def test_deleting_the_account_ends_its_logins(client, make_user):
    user = make_user("learner", email="ola@example.no")
    _log_in(client, "ola@example.no")
    g.pop("_login_user", None)
    assert client.post("/me/delete", data={"confirmation": TEST_PASSWORD}).status_code == 302
    assert _logins(user.id) == 0 and db.session.get(User, user.id) is None


@pytest.mark.parametrize("secure", [False, True])
def test_the_remember_cookie_is_secure_whenever_the_session_cookie_is(database_url, tmp_path, secure):
    app = create_app(_test_config(database_url, tmp_path, SESSION_COOKIE_SECURE=secure))
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    with app.app_context():
        from courseware.services.accounts import create_user

        create_user(email="ola@example.no", name="Ola", password=TEST_PASSWORD)
        db.session.commit()
        try:
            response = app.test_client().post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD,
                                                                   "remember": "y"})
            cookies = {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}
            assert ("; Secure" in cookies["remember_token"]) is secure
            assert ("; Secure" in cookies["session"]) is secure
            assert ("; Secure" in cookies["courseware_device"]) is secure
        finally:
            db.session.rollback()
            db.session.execute(db.delete(UserLogin))
            db.session.execute(db.delete(User))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()  # this app's own connection pool


def test_run_production_makes_both_cookies_secure_at_run_time(app):
    """`courseware run --production` behind https turns SESSION_COOKIE_SECURE on after the app was built."""
    assert not app.config["SESSION_COOKIE_SECURE"] and not app.config["REMEMBER_COOKIE_SECURE"]
    secure_cookies(app, True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_run_production_uses_secure_cookies(app, monkeypatch):
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda the_app, **kw: served.update(kw))
    app.config["BASE_URL"] = "https://kurs.example.no"
    result = app.test_cli_runner().invoke(args=["run", "--production", "--skip-init"])
    assert result.exit_code == 0, result.output
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
