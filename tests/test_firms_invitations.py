"""Invitations: the contact person e-mails colleagues a one-time link that expires; the link joins the firm."""
import hashlib
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import FirmInvitation, utcnow

from .firms_support import ORGNR_A, ORGNR_B, make_firm


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.config, "BASE_URL": "https://kurs.example.no", "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def contact(make_user, login):
    user = login(make_user(name="Kari Kontakt"))
    make_firm(ORGNR_A, "Kystbedriften AS", contact=user)
    return user


@pytest.fixture
def invite(monkeypatch):
    """invite(firm, inviter, email) -> the raw token of the link that was e-mailed."""
    from courseware.services import invitations as service

    tokens, original = [], service.invitation_url
    monkeypatch.setattr(service, "invitation_url", lambda token: tokens.append(token) or original(token))

    def _invite(firm, inviter, email):
        service.invite_colleagues(inviter, firm, email)
        db.session.commit()
        return tokens[-1]

    return _invite


def invitations():
    return db.session.execute(select(FirmInvitation).order_by(FirmInvitation.id)).scalars().all()


def link_in(smtp_server, message) -> str:
    return re.search(r"https://kurs\.example\.no/firm/join/\S+", smtp_server.text(message)).group(0)


def test_invitation_email_has_an_absolute_one_time_link(client, contact, smtp_server):
    page = client.post("/firm/invite", data={"emails": "Ola@Example.no\n\nkari.nordmann@example.no, ola@example.no"})
    assert page.status_code == 302
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["kari.nordmann@example.no", "ola@example.no"]
    message = smtp_server.to("ola@example.no")[0]
    assert "Kystbedriften AS" in message["Subject"]
    link = link_in(smtp_server, message)
    assert link in smtp_server.html(message)
    assert "Kari Kontakt" in smtp_server.text(message)
    token = link.rsplit("/", 1)[1]
    stored = {inv.email: inv for inv in invitations()}
    assert set(stored) == {"ola@example.no", "kari.nordmann@example.no"}
    assert stored["ola@example.no"].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {inv.token_hash for inv in stored.values()}  # only the hash is stored


def test_inviting_again_refreshes_the_link_instead_of_duplicating(client, contact, smtp_server):
    client.post("/firm/invite", data={"emails": "ola@example.no"})
    old_link = link_in(smtp_server, smtp_server.wait_for(1)[0])
    client.post("/firm/invite", data={"emails": "OLA@example.no"})
    new_link = link_in(smtp_server, smtp_server.wait_for(2)[1])
    assert len(invitations()) == 1 and old_link != new_link
    assert client.get(old_link.replace("https://kurs.example.no", "")).status_code == 404
    assert client.get(new_link.replace("https://kurs.example.no", "")).status_code == 200


def test_invalid_addresses_are_listed_and_nothing_is_sent(client, contact, smtp_server):
    html = client.post("/firm/invite", data={"emails": "ola@example.no\nikke-en-adresse\nper@"}).get_data(as_text=True)
    assert 'id="emails-error"' in html and "ikke-en-adresse" in html and "per@" in html
    assert invitations() == [] and smtp_server.messages == []


def test_existing_members_are_not_invited(client, contact, make_user, smtp_server):
    make_user(email="kollega@example.no", firm_id=contact.firm_id)
    client.post("/firm/invite", data={"emails": "kollega@example.no"})
    assert invitations() == [] and smtp_server.messages == []


def test_anonymous_visitor_is_offered_register_with_the_address_or_log_in(client, make_user, invite):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    html = client.get(f"/firm/join/{token}").get_data(as_text=True)
    assert "Kystbedriften AS" in html and "942 110 464" in html
    hrefs = [urlsplit(unescape(href)) for href in re.findall(r'href="([^"]+)"', html)]
    links = {href.path: parse_qs(href.query) for href in hrefs if href.query}
    assert links["/auth/register"] == {"email": ["ny@example.no"], "next": [f"/firm/join/{token}"]}
    assert links["/auth/login"] == {"next": [f"/firm/join/{token}"]}
    register = client.get("/auth/register", query_string=links["/auth/register"]).get_data(as_text=True)
    assert 'value="ny@example.no"' in register  # the invited address is filled in


def test_logged_in_colleague_joins_once(client, make_user, login, invite):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    colleague = login(make_user(email="ny@example.no"))
    assert "Join Kystbedriften AS" in client.get(f"/firm/join/{token}").get_data(as_text=True)
    assert client.post(f"/firm/join/{token}").status_code == 302
    db.session.refresh(colleague)
    assert colleague.firm_id == firm.id and not colleague.is_firm_contact
    assert invitations()[0].accepted_at is not None
    again = client.post(f"/firm/join/{token}")
    assert again.status_code == 409 and "already been used" in again.get_data(as_text=True)


def test_expired_invitation_is_refused(client, make_user, login, invite):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    invitation = invitations()[0]
    invitation.created_at = utcnow() - timedelta(seconds=client.application.config["INVITATION_MAX_AGE"] + 60)
    db.session.commit()
    user = login(make_user())
    page = client.post(f"/firm/join/{token}")
    assert page.status_code == 404 and "expired" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.firm_id is None


def test_member_of_another_firm_cannot_use_the_link(client, make_user, login, invite):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    other = make_firm(ORGNR_B, "Annen AS")
    user = login(make_user(email="ny@example.no", firm_id=other.id))
    assert "registered with another firm" in client.get(f"/firm/join/{token}").get_data(as_text=True)
    assert client.post(f"/firm/join/{token}").status_code == 409
    db.session.refresh(user)
    assert user.firm_id == other.id and invitations()[0].accepted_at is None


def test_unknown_token_is_a_friendly_404(client):
    page = client.get("/firm/join/not-a-real-token")
    assert page.status_code == 404 and "not valid" in page.get_data(as_text=True)


def test_a_providers_course_invitation_also_enrols(client, make_user, login):
    """Bulk enrolment by a provider stores invitations with a course; accepting one joins the firm and the course."""
    from courseware.models import Enrolment
    from courseware.services.invitations import token_hash

    from .firms_support import make_course

    course = make_course("Digital drift")
    author = make_user("author")
    firm = make_firm(ORGNR_A, "Kystbedriften AS")
    db.session.add(FirmInvitation(firm_id=firm.id, email="ny@example.no", token_hash=token_hash("kurs-token"),
                                  course_id=course.id, invited_by_id=author.id))
    db.session.commit()
    user = login(make_user(email="ny@example.no"))
    page = client.post("/firm/join/kurs-token")
    assert page.status_code == 302 and page.headers["Location"].endswith("/me/courses")
    db.session.refresh(user)
    assert user.firm_id == firm.id
    enrolment = db.session.execute(select(Enrolment).filter_by(user_id=user.id)).scalar_one()
    assert (enrolment.course_id, enrolment.enrolled_by_id) == (course.id, author.id)


def test_the_link_works_only_for_the_invited_address(client, make_user, login, invite):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    someone = login(make_user(email="annen@example.no"))
    page = client.get(f"/firm/join/{token}").get_data(as_text=True)
    assert "This invitation was sent to ny@example.no, but you are logged in as annen@example.no" in page
    assert f'action="/firm/join/{token}"' not in page
    refused = client.post(f"/firm/join/{token}")
    assert refused.status_code == 403 and "sent to ny@example.no" in refused.get_data(as_text=True)
    db.session.refresh(someone)
    assert someone.firm_id is None and invitations()[0].accepted_at is None


def test_accepting_proves_the_address_and_the_contact_is_trusted(client, make_user, login, invite):
    from courseware.services import firms

    contact = make_user()
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=contact)
    token = invite(firm, contact, "ny@example.no")
    user = login(make_user(email="ny@example.no", email_verified_at=None))
    assert client.post(f"/firm/join/{token}").status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert user.firm_id == firm.id and user.firm_invited_by_id == contact.id
    db.session.refresh(contact)
    assert not firm.verified and firms.may_see_member(contact, firm, user)


def test_a_providers_invitation_enrols_a_member_of_another_firm_without_moving_them(client, make_user, login):
    from courseware.models import Enrolment
    from courseware.services.invitations import token_hash

    from .firms_support import make_course

    course = make_course("Digital drift")
    firm, own = make_firm(ORGNR_A, "Kystbedriften AS"), make_firm(ORGNR_B, "Eget AS")
    db.session.add(FirmInvitation(firm_id=firm.id, email="ny@example.no", token_hash=token_hash("kurs-token"),
                                  course_id=course.id, invited_by_id=make_user("author").id))
    db.session.commit()
    user = login(make_user(email="ny@example.no", firm_id=own.id))
    page = client.get("/firm/join/kurs-token").get_data(as_text=True)
    assert "You stay registered with your own firm and are enrolled in the course." in page
    response = client.post("/firm/join/kurs-token", follow_redirects=True)
    assert "You are enrolled in the course." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.firm_id == own.id
    assert db.session.execute(select(Enrolment.course_id).filter_by(user_id=user.id)).scalar_one() == course.id
