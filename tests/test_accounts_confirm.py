"""Confirming e-mail addresses: the link from registration (or "send the link again"), the gate on enrolling, and
the notice unconfirmed people see where they would enrol."""
import re
from datetime import timedelta

import pytest
from flask import g

from courseware.errors import InvalidInput, PermissionDenied
from courseware.extensions import db
from courseware.models import Enrolment, User, utcnow
from courseware.services import accounts, enrolment, verification

from .conftest import TEST_PASSWORD
from .learning_factory import load, make_course, make_firm

NEW_PASSWORD = "Fire-tusen-fjorder-77"


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "CONFIRM_RESEND_RATE_LIMIT": "2 per minute"}


def _link(smtp_server, message) -> str:
    return re.search(r"http://localhost(/auth/confirm/\S+)", smtp_server.text(message)).group(1)


def _session_id(client):
    with client.session_transaction() as sess:
        return sess.get("_user_id")


def _user(email) -> User:
    db.session.expire_all()
    return accounts.find_user_by_email(email)


def _register(client, email="ny@example.no", query=""):
    return client.post("/auth/register" + query, data={"name": "Nora Ny", "email": email, "password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})


# --- The link ----------------------------------------------------------------------------------------------------


def test_the_link_confirms_logs_the_new_account_in_and_goes_back_where_it_started(client, smtp_server):
    make_course("kurs", audience="public")
    _register(client, query="?next=/courses/kurs")
    link = _link(smtp_server, smtp_server.wait_for(1)[0])

    response = client.get(link)

    assert response.status_code == 302 and response.headers["Location"] == "/courses/kurs"
    user = _user("ny@example.no")
    assert user.email_verified_at is not None and user.last_login_at is not None
    assert _session_id(client).startswith(f"{user.id}:")
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert "Your e-mail address ny@example.no is confirmed." in page
    assert "Enrol in the course</button>" in page and "Send the link again" not in page


def test_the_link_logs_in_once_only(app, client, smtp_server):
    _register(client)
    link = _link(smtp_server, smtp_server.wait_for(1)[0])
    client.get(link)
    other_browser = app.test_client()
    g.pop("_login_user", None)  # the tests' requests share one app context

    response = other_browser.get(link)  # opened again, e.g. a forwarded e-mail

    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert _session_id(other_browser) is None
    assert "is confirmed" in other_browser.get(response.headers["Location"]).get_data(as_text=True)


def test_the_link_confirms_an_existing_account_without_logging_anyone_in(app, client, make_user):
    user = make_user("learner", email="gammel@example.no", email_verified_at=None, last_login_at=utcnow())
    token = verification.make_confirm_token(user, "/me/courses")

    response = client.get(f"/auth/confirm/{token}")

    assert response.status_code == 302 and response.headers["Location"] == "/auth/login?next=/me/courses"
    assert _session_id(client) is None
    assert _user("gammel@example.no").email_verified_at is not None


def test_the_link_confirms_while_logged_in_as_that_user(client, login, make_user):
    user = login(make_user("learner", email_verified_at=None))
    token = verification.make_confirm_token(user)
    response = client.get(f"/auth/confirm/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _user(user.email).email_verified_at is not None


def test_a_logged_in_person_opening_someone_elses_link_stays_who_they_are(client, login, make_user):
    me = login(make_user("learner"))
    other = make_user("learner", email_verified_at=None)
    my_session = _session_id(client)
    client.get(f"/auth/confirm/{verification.make_confirm_token(other)}")
    assert _user(other.email).email_verified_at is not None
    assert _session_id(client) == my_session and me.id != other.id


def _tampered(user):
    token = verification.make_confirm_token(user)
    return token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")


@pytest.mark.parametrize("make_token,message", [
    (_tampered, "The link is not valid."),
    (lambda user: accounts.make_reset_token(user), "The link is not valid."),  # another kind of link
])
def test_a_bad_link_shows_a_friendly_page_and_confirms_nothing(client, make_user, make_token, message):
    user = make_user("learner", email_verified_at=None)
    response = client.get(f"/auth/confirm/{make_token(user)}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _user(user.email).email_verified_at is None


def test_an_expired_link_is_refused(app, make_user):
    user = make_user("learner", email_verified_at=None)
    token = verification.make_confirm_token(user)
    with pytest.raises(InvalidInput, match="expired"):
        verification.confirm_email(token, max_age=-1)


def test_the_link_is_bound_to_the_address(app, make_user):
    user = make_user("learner", email="forst@example.no", email_verified_at=None)
    token = verification.make_confirm_token(user)
    user.email = "etterpaa@example.no"  # the address changed since the link was sent
    db.session.commit()
    with pytest.raises(InvalidInput, match="not valid"):
        verification.confirm_email(token)
    assert _user("etterpaa@example.no").email_verified_at is None


def test_a_deactivated_account_cannot_be_confirmed(app, make_user):
    user = make_user("learner", email_verified_at=None, active=False)
    with pytest.raises(InvalidInput):
        verification.confirm_email(verification.make_confirm_token(user))


def test_a_completed_password_reset_confirms_the_address(client, make_user):
    user = make_user("learner", email_verified_at=None)
    token = accounts.make_reset_token(user)
    client.post(f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert _user(user.email).email_verified_at is not None


# --- Send the link again -----------------------------------------------------------------------------------------


def test_send_the_link_again_mails_a_new_link_and_is_rate_limited(client, login, make_user, smtp_server):
    user = login(make_user("learner", email="treg@example.no", email_verified_at=None))

    response = client.post("/auth/confirm", data={"next": "/courses/kurs"})

    assert response.status_code == 302 and response.headers["Location"] == "/courses/kurs"
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Confirm your e-mail address"
    client.get(_link(smtp_server, message))
    assert _user("treg@example.no").email_verified_at is not None
    assert user.id == _user("treg@example.no").id
    statuses = [client.post("/auth/confirm").status_code for _attempt in range(2)]
    assert statuses == [302, 429]  # 2 per minute in this test's settings


def test_send_the_link_again_needs_a_login_and_does_nothing_for_a_confirmed_address(client, login, make_user,
                                                                                       smtp_server):
    response = client.post("/auth/confirm")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(make_user("learner"))
    assert client.post("/auth/confirm", data={"next": "https://evil.example"}).headers["Location"] == "/me/profile"
    assert smtp_server.messages == []


# --- The gate: enrolling -----------------------------------------------------------------------------------------


def test_an_unconfirmed_person_cannot_enrol_and_is_told_why(client, login, make_user):
    course = make_course("kurs", audience="public")
    user = login(make_user("learner", email_verified_at=None))

    with pytest.raises(PermissionDenied, match="Confirm your e-mail address first"):
        enrolment.enrol(user, load(course))
    response = client.post("/me/courses/kurs/enrol", follow_redirects=True)

    assert "Confirm your e-mail address first" in response.get_data(as_text=True)
    assert db.session.query(Enrolment).count() == 0


def test_a_contact_person_cannot_enrol_an_unconfirmed_colleague(client, login, make_user):
    course = make_course("kurs")
    firm = make_firm()
    contact = login(make_user("learner", firm_id=firm.id, is_firm_contact=True))
    waiting = make_user("learner", name="Uten Bekreftelse", firm_id=firm.id, email_verified_at=None)

    result = enrolment.enrol_colleagues(contact, load(course), [waiting.id])

    assert result.enrolled == [] and result.refused[0][0] == "Uten Bekreftelse"
    assert "Confirm your e-mail address first" in result.refused[0][1]
    db.session.rollback()


@pytest.mark.parametrize("path", ["/courses/kurs", "/courses/kurs/intro", "/me/courses", "/me/profile"])
def test_unconfirmed_people_see_the_notice_where_they_would_enrol(client, login, make_user, path):
    make_course("kurs", audience="public")
    login(make_user("learner", email="venter@example.no", email_verified_at=None))
    page = client.get(path).get_data(as_text=True)
    assert "Confirm your e-mail address to enrol" in page
    assert 'action="/auth/confirm"' in page and "Send the link again" in page
    assert "Enrol in the course</button>" not in page


@pytest.mark.parametrize("path", ["/me/courses", "/me/profile"])
def test_the_notice_on_personal_pages_names_the_address(client, login, make_user, path):
    login(make_user("learner", email="venter@example.no", email_verified_at=None))
    assert "We have sent a link to venter@example.no." in client.get(path).get_data(as_text=True)


def test_the_cached_module_page_shows_nobody_elses_address(client, login, make_user):
    make_course("kurs", audience="public")
    login(make_user("learner", email="forste@example.no", email_verified_at=None))
    assert "Send the link again" in client.get("/courses/kurs/intro").get_data(as_text=True)
    login(make_user("learner", email="andre@example.no", email_verified_at=None))
    page = client.get("/courses/kurs/intro").get_data(as_text=True)
    assert "Send the link again" in page and "forste@example.no" not in page


@pytest.mark.parametrize("path", ["/courses/kurs", "/courses/kurs/intro", "/me/courses", "/me/profile"])
def test_confirmed_people_see_no_notice(client, login, make_user, path):
    make_course("kurs", audience="public")
    login(make_user("learner"))
    assert "Send the link again" not in client.get(path).get_data(as_text=True)


def test_the_module_page_shows_the_enrol_button_once_the_address_is_confirmed(client, login, make_user):
    """The learner's part of the module page is cached per state: the confirmation is part of it."""
    make_course("kurs", audience="public")
    user = login(make_user("learner", email_verified_at=None))
    assert "Send the link again" in client.get("/courses/kurs/intro").get_data(as_text=True)
    db.session.get(User, user.id).email_verified_at = utcnow()
    db.session.commit()
    g.pop("_login_user", None)
    page = client.get("/courses/kurs/intro").get_data(as_text=True)
    assert "Send the link again" not in page and "Enrol in the course</button>" in page


def test_existing_accounts_stay_unconfirmed_after_the_upgrade_and_confirm_when_they_enrol(client, make_user,
                                                                                            smtp_server):
    """The migration leaves email_verified_at empty: an old account logs in as before and confirms to enrol."""
    make_course("kurs", audience="public")
    make_user("learner", email="gammel@example.no", email_verified_at=None, last_login_at=utcnow() - timedelta(days=9))
    client.post("/auth/login", data={"email": "gammel@example.no", "password": TEST_PASSWORD})
    assert "Send the link again" in client.get("/courses/kurs").get_data(as_text=True)
    client.post("/auth/confirm", data={"next": "/courses/kurs"})
    response = client.get(_link(smtp_server, smtp_server.wait_for(1)[0]))
    assert response.headers["Location"] == "/courses/kurs"
    client.post("/me/courses/kurs/enrol")
    assert db.session.query(Enrolment).count() == 1


@pytest.mark.parametrize("role", ["learner", "author", "funder", "admin"])
def test_every_role_can_ask_for_a_new_link_from_the_profile(client, login, make_user, smtp_server, role):
    login(make_user(role, email=f"{role}@example.no", email_verified_at=None))
    assert "Send the link again" in client.get("/me/profile").get_data(as_text=True)
    assert client.post("/auth/confirm", data={"next": "/me/profile"}).headers["Location"] == "/me/profile"
    assert smtp_server.wait_for(1)[0]["To"].addresses[0].addr_spec == f"{role}@example.no"


def test_the_check_inbox_page_is_the_same_for_everyone(client):
    page = client.get("/auth/register/check-inbox")
    assert page.status_code == 200 and "Check your inbox to confirm your address" in page.get_data(as_text=True)
