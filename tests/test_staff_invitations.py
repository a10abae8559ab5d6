"""Staff invitations: an admin invites someone by e-mail to be an author for a provider; the link creates the account
(or binds an existing learner) once, until it expires or is revoked."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from courseware.errors import Conflict, PermissionDenied
from courseware.extensions import db
from courseware.models import StaffInvitation, User, utcnow
from courseware.services import staff_invitations

from .conftest import TEST_PASSWORD
from .firms_support import make_course, make_provider

BASE = "https://kurs.example.no"
NEW_PASSWORD = "Et-langt-passord-123"


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "BASE_URL": BASE}


@pytest.fixture
def provider(app):
    return make_provider("orkdal", "Orkdal Næringshage")


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Åse Admin", locale="en")


@pytest.fixture
def invite(client, login, admin, provider, smtp_server):
    """invite(email, name) -> the path of the link that was e-mailed (the admin invites through the page)."""

    def _invite(email="nina@example.no", name="Nina Næringshage", the_provider=None):
        the_provider = the_provider or provider
        sent = len(smtp_server.messages)
        login(admin)
        response = client.post(f"/admin/providers/{the_provider.slug}/invite", data={"name": name, "email": email})
        assert response.status_code == 302, response.get_data(as_text=True)
        message = smtp_server.wait_for(sent + 1)[-1]
        client.post("/auth/logout")
        return link_in(smtp_server, message).removeprefix(BASE)

    return _invite


def link_in(smtp_server, message) -> str:
    return re.search(rf"{re.escape(BASE)}/auth/staff-invitation/\S+", smtp_server.text(message)).group(0)


def invitations():
    return db.session.execute(select(StaffInvitation).order_by(StaffInvitation.id)).scalars().all()


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def as_other_browser(client):
    """`client` for a request from another browser: Flask-Login's user cached in `g` belongs to the last request
    (test-client requests share the fixture's app context)."""
    from flask import g

    g.pop("_login_user", None)
    return client


def logged_in_user_id(client):
    with client.session_transaction() as session:
        return int(session["_user_id"].split(":")[0]) if session.get("_user_id") else None


# --- sending ------------------------------------------------------------------------------------------------------

def test_the_invitation_email_names_the_provider_and_the_studio(client, login, admin, provider, smtp_server):
    login(admin)
    response = client.post("/admin/providers/orkdal/invite", data={"name": "Nina Næringshage",
                                                                   "email": " Nina@Example.no "})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/providers/orkdal"
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "nina@example.no" and "Orkdal Næringshage" in message["Subject"]
    text = smtp_server.text(message)
    assert "Orkdal Næringshage" in text and "studio" in text and "Åse Admin" in text and "14 days" in text
    link = link_in(smtp_server, message)
    assert link in smtp_server.html(message)
    token = link.rsplit("/", 1)[1]
    [stored] = invitations()
    assert (stored.email, stored.name, stored.provider_id, stored.invited_by_id) == \
        ("nina@example.no", "Nina Næringshage", provider.id, admin.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
    page = client.get("/admin/providers/orkdal").get_data(as_text=True)
    assert re.search(r'id="invitations".*nina@example\.no.*Revoke', page, re.S)


def test_inviting_again_gives_a_new_link_and_the_old_one_stops(client, invite):
    old = invite()
    new = invite(email="NINA@example.no")
    assert old != new and len(invitations()) == 1
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("data, field", [({"name": "Nina", "email": "ikke-en-adresse"}, "invite-email"),
                                         ({"name": "", "email": "nina@example.no"}, "invite-name"),
                                         ({"name": "Ni\nna", "email": "nina@example.no"}, "invite-name")])
def test_a_bad_invitation_is_shown_next_to_the_field_and_nothing_is_sent(client, login, admin, provider,
                                                                          smtp_server, data, field):
    login(admin)
    response = client.post("/admin/providers/orkdal/invite", data=data)
    assert response.status_code == 200 and f'id="{field}-error"' in response.get_data(as_text=True)
    assert invitations() == [] and smtp_server.messages == []


def test_an_author_of_the_provider_is_not_invited_again(client, login, admin, provider, make_user, smtp_server):
    make_user("author", email="nina@example.no", provider_id=provider.id)
    login(admin)
    response = client.post("/admin/providers/orkdal/invite", data={"name": "Nina", "email": "nina@example.no"})
    assert response.status_code == 200 and "already an author" in response.get_data(as_text=True)
    assert invitations() == [] and smtp_server.messages == []


# --- a new account ------------------------------------------------------------------------------------------------

def test_a_new_person_creates_an_author_account_and_lands_in_the_studio(client, invite, provider):
    link = invite()
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="new_account"' in html
    assert "nina@example.no" in html and 'value="Nina Næringshage"' in html and "studio" in html
    response = client.post(link, data={"name": "Nina N", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/studio/"
    user = db.session.execute(select(User).filter_by(email="nina@example.no")).scalar_one()
    assert (user.role, user.provider_id, user.name) == ("author", provider.id, "Nina N")
    assert user.email_verified_at is not None  # the link reached the address
    assert logged_in_user_id(client) == user.id
    assert client.get("/studio/").status_code == 200
    [invitation] = invitations()
    assert invitation.accepted_at is not None and invitation.accepted_by_id == user.id
    # Used: the same person opening it again goes to the studio, anyone else learns it is used.
    assert client.get(link).headers["Location"] == "/studio/"
    other = client.application.test_client()
    used = as_other_browser(other).get(link)
    assert used.status_code == 409 and "already been used" in used.get_data(as_text=True)


@pytest.mark.parametrize("data", [
    {"name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
    {"name": "Nina", "password": "kort", "confirm": "kort"},
    {"name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
])
def test_the_password_rules_of_registration_apply(client, invite, data):
    link = invite()
    users = user_count()
    response = client.post(link, data=data)
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert user_count() == users and invitations()[0].accepted_at is None and logged_in_user_id(client) is None


def test_a_double_submit_creates_one_account(client, app, invite):
    link = invite()
    users = user_count()
    data = {"name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    other_tab = app.test_client()
    assert client.post(link, data=data).status_code == 302
    second = as_other_browser(other_tab).post(link, data=data)  # a second browser, not logged in
    assert second.status_code == 409
    assert user_count() == users + 1 and logged_in_user_id(other_tab) is None


# --- an existing account ------------------------------------------------------------------------------------------

def test_an_existing_learner_logs_in_and_becomes_an_author(client, invite, provider, make_user):
    learner = make_user("learner", email="nina@example.no", name="Nina", email_verified_at=None)
    link = invite()
    html = client.get(link).get_data(as_text=True)
    assert 'data-state="log_in"' in html and "Log in as nina@example.no" in html
    login_url = re.search(r'href="(/auth/login\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.post(login_url, data={"email": "nina@example.no", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == link  # back to the invitation
    page = client.get(link).get_data(as_text=True)
    assert 'data-state="accept"' in page and "Accept the invitation" in page
    assert client.post(link).headers["Location"] == "/studio/"
    db.session.refresh(learner)
    assert (learner.role, learner.provider_id) == ("author", provider.id) and learner.email_verified_at is not None
    [invitation] = invitations()
    assert invitation.accepted_by_id == learner.id
    assert user_count() == 2  # the admin and Nina: no new account


def test_someone_logged_in_with_another_address_is_told_whom_to_log_in_as(client, invite, login, make_user):
    link = invite()
    other = login(make_user("learner", email="per@example.no"))
    response = client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and 'id="wrong-account"' in html
    assert "nina@example.no" in html and "per@example.no" in html
    assert client.post(link).status_code == 403
    db.session.refresh(other)
    assert other.role == "learner" and invitations()[0].accepted_at is None
    with pytest.raises(PermissionDenied):
        staff_invitations.accept_invitation(other, link.rsplit("/", 1)[1])


def test_an_author_of_another_provider_is_refused(client, invite, login, make_user, provider):
    elsewhere = make_provider("annen", "Annen hage")
    author = make_user("author", email="nina@example.no", provider_id=elsewhere.id)
    link = invite()
    login(author)
    response = client.get(link)
    assert response.status_code == 403 and "An administrator must move you" in response.get_data(as_text=True)
    assert client.post(link).status_code == 403
    db.session.refresh(author)
    assert (author.role, author.provider_id) == ("author", elsewhere.id) and invitations()[0].accepted_at is None


def test_an_admin_stays_an_admin(client, invite, login, make_user, provider):
    other_admin = make_user("admin", email="nina@example.no")
    link = invite()
    login(other_admin)
    assert "changes nothing for you" in client.get(link).get_data(as_text=True)
    assert client.post(link).headers["Location"] == "/studio/"
    db.session.refresh(other_admin)
    assert (other_admin.role, other_admin.provider_id) == ("admin", None)
    assert invitations()[0].accepted_at is not None


def test_an_author_without_a_provider_gets_one(app, admin, provider, make_user):
    author = make_user("author", email="nina@example.no")
    staff_invitations.invite_staff(admin, provider, name="Nina", email="nina@example.no")
    invitation = invitations()[0]
    token = "known-token"
    invitation.token_hash = hashlib.sha256(token.encode()).hexdigest()
    db.session.commit()
    accepted = staff_invitations.accept_invitation(author, token)
    assert accepted.changed and (author.role, author.provider_id) == ("author", provider.id)


def test_two_tabs_accept_once(client, app, invite, login, make_user, provider):
    learner = make_user("learner", email="nina@example.no")
    link = invite()
    login(learner)
    other_tab = app.test_client()
    login(learner, other_tab)
    assert client.get(link).status_code == 200 and other_tab.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert other_tab.post(link).headers["Location"] == "/studio/"  # used, by this very person
    [invitation] = invitations()
    assert invitation.accepted_by_id == learner.id


def test_the_claim_is_a_conditional_update(app, admin, provider, make_user, monkeypatch):
    """Two requests that both found the invitation unused: only the first UPDATE claims it."""
    learner = make_user("learner", email="nina@example.no")
    staff_invitations.invite_staff(admin, provider, name="Nina", email="nina@example.no")
    db.session.commit()
    stale = invitations()[0]
    monkeypatch.setattr(staff_invitations, "get_invitation", lambda token, now=None: stale)
    db.session.execute(update(StaffInvitation).values(accepted_at=utcnow()))  # the other request won
    with pytest.raises(Conflict):
        staff_invitations.accept_invitation(learner, "any")
    with pytest.raises(Conflict):
        staff_invitations.accept_with_new_account("any", name="X", password=NEW_PASSWORD)
    assert learner.role == "learner"


# --- links that no longer work ------------------------------------------------------------------------------------

def test_unknown_revoked_expired_and_used_links_get_a_clear_page(client, app, invite, login, admin, make_user):
    assert client.get("/auth/staff-invitation/not-a-token").status_code == 404
    assert "not valid" in client.get("/auth/staff-invitation/not-a-token").get_data(as_text=True)
    assert client.post("/auth/staff-invitation/not-a-token", data={"name": "X", "password": NEW_PASSWORD,
                                                                  "confirm": NEW_PASSWORD}).status_code == 404

    revoked = invite(email="revoked@example.no")
    login(admin)
    invitation = next(i for i in invitations() if i.email == "revoked@example.no")
    assert client.post(f"/admin/providers/orkdal/invitations/{invitation.id}/revoke").status_code == 302
    page = client.get("/admin/providers/orkdal").get_data(as_text=True)
    assert 'id="invitations"' not in page and "No invitations are waiting" in page
    client.post("/auth/logout")
    response = client.get(revoked)
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    assert client.post(revoked, data={"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code \
        == 404

    expired = invite(email="expired@example.no")
    old = utcnow() - timedelta(days=app.config["STAFF_INVITATION_DAYS"], minutes=1)
    db.session.execute(update(StaffInvitation).where(StaffInvitation.email == "expired@example.no")
                       .values(created_at=old))
    db.session.commit()
    response = client.get(expired)
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)
    assert client.post(expired, data={"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code \
        == 404

    used = invite(email="used@example.no")
    assert client.post(used, data={"name": "U", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code \
        == 302
    stranger = app.test_client()
    assert as_other_browser(stranger).get(used).status_code == 409
    emails = {u.email for u in db.session.execute(select(User)).scalars()}
    assert "revoked@example.no" not in emails and "expired@example.no" not in emails


def test_an_expired_invitation_is_marked_on_the_provider_page(client, app, login, admin, provider):
    staff_invitations.invite_staff(admin, provider, name="Gammel", email="gammel@example.no",
                                   now=utcnow() - timedelta(days=15))
    db.session.commit()
    login(admin)
    page = client.get("/admin/providers/orkdal").get_data(as_text=True)
    assert re.search(r"gammel@example\.no.*Expired", page, re.S)


def test_a_revoked_or_used_invitation_cannot_be_revoked_again(app, admin, provider):
    staff_invitations.invite_staff(admin, provider, name="A", email="a@example.no")
    invitation = invitations()[0]
    staff_invitations.revoke_invitation(admin, provider, invitation.id)
    with pytest.raises(Conflict):
        staff_invitations.revoke_invitation(admin, provider, invitation.id)
    assert staff_invitations.list_pending(admin, provider) == []


def test_an_invitation_of_another_provider_cannot_be_revoked_from_this_one(client, login, admin, provider):
    other = make_provider("annen", "Annen")
    staff_invitations.invite_staff(admin, other, name="A", email="a@example.no")
    db.session.commit()
    invitation = invitations()[0]
    login(admin)
    assert client.post(f"/admin/providers/orkdal/invitations/{invitation.id}/revoke").status_code == 404
    db.session.refresh(invitation)
    assert invitation.revoked_at is None


def test_the_new_authors_courses_are_the_providers(client, invite, provider):
    course = make_course("Kurs", provider=provider)
    link = invite()
    client.post(link, data={"name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(f"/studio/courses/{course.slug}").status_code == 200


# --- who may open the link ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, expected", [("anonymous", 200), ("learner", 403), ("funder", 403), ("author", 403),
                                            ("admin", 403)])
def test_the_link_for_an_address_without_account_by_role(client, invite, login, make_user, role, expected):
    """Nobody has the invited address: only a browser nobody is logged in to can create the account."""
    link = invite()
    if role != "anonymous":
        login(make_user(role, provider_id=make_provider("annen", "Annen").id if role == "author" else None))
    response = client.get(link)
    assert response.status_code == expected
    assert ('data-state="new_account"' if role == "anonymous" else 'id="wrong-account"') in \
        response.get_data(as_text=True)
    users = user_count()
    client.post(link, data={"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert user_count() == users + (1 if role == "anonymous" else 0)


@pytest.mark.parametrize("role, own_provider, expected, becomes", [
    ("learner", False, 200, ("author", True)),
    ("funder", False, 403, ("funder", False)),
    ("author", False, 403, ("author", False)),  # an author of another provider
    ("author", True, 200, ("author", True)),  # already an author here: accepting changes nothing
    ("admin", False, 200, ("admin", False)),
])
def test_the_link_for_the_owner_of_the_address_by_role(client, invite, login, make_user, provider, role,
                                                       own_provider, expected, becomes):
    elsewhere = make_provider("annen", "Annen")
    provider_id = (provider.id if own_provider else elsewhere.id) if role == "author" else None
    if own_provider:  # the admin cannot invite an author of the provider, so the invitation comes first
        link = invite()
        user = make_user(role, email="nina@example.no", provider_id=provider_id)
    else:
        user = make_user(role, email="nina@example.no", provider_id=provider_id)
        link = invite()
    login(user)
    assert client.get(link).status_code == expected
    response = client.post(link)
    assert response.status_code == (302 if expected == 200 else 403)
    db.session.refresh(user)
    assert (user.role, user.provider_id == provider.id) == becomes
    assert (invitations()[0].accepted_at is not None) == (expected == 200)
