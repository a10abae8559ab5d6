"""Asking to join an existing firm: the verified contact person (or an admin) approves or declines, both sides are
told by e-mail, and a double click, two tabs or a withdrawn request never decide anything twice."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from courseware.errors import Conflict, PermissionDenied
from courseware.extensions import db
from courseware.models import FirmInvitation, FirmJoinRequest, User, utcnow
from courseware.services import membership, outbox

from .firms_support import ORGNR_A, ORGNR_B, WHEN, make_firm


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def world(make_user):
    """Firm A with a verified contact person, firm B with an unverified one, and a learner who wants to join."""
    people = {
        "contact": make_user(name="Kari Kontakt", email="kari@example.no"),
        "unverified": make_user(name="Ulf Uverifisert", email="ulf@example.no"),
        "asker": make_user(name="Ola Søker", email="ola@example.no"),
        "admin": make_user("admin", name="Ada Admin"),
    }
    firm_a = make_firm(ORGNR_A, "Verifisert AS", contact=people["contact"])
    firm_a.verified_via, firm_a.verified_at = "admin", WHEN
    firm_b = make_firm(ORGNR_B, "Uverifisert AS", contact=people["unverified"])
    db.session.commit()
    return people, firm_a, firm_b


def mails(caplog, subject: str) -> list[str]:
    """The logged e-mails (no SMTP server in these tests) whose text contains `subject`."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("E-mail") and subject in r.getMessage()]


def requests_in_db():
    return db.session.execute(select(FirmJoinRequest).order_by(FirmJoinRequest.id)).scalars().all()


def ask(client, login, user, orgnr=ORGNR_A):
    login(user)
    return client.post(f"/firm/register/{orgnr}", data={})


def test_the_verified_contact_is_mailed_and_approves(client, login, world, caplog):
    people, firm_a, _b = world
    ask(client, login, people["asker"])
    [mail] = mails(caplog, "Ola Søker asks to join Verifisert AS")
    assert "kari@example.no" in mail and "ola@example.no" in mail and "http://localhost/firm/requests" in mail
    login(people["contact"])
    assert "1 request to join" in client.get("/firm/").get_data(as_text=True)
    page = client.get("/firm/requests").get_data(as_text=True)
    assert "Ola Søker" in page and "ola@example.no" in page
    request = requests_in_db()[0]
    response = client.post(f"/firm/requests/{request.id}/approve", follow_redirects=True)
    assert "Ola Søker is now a member of Verifisert AS." in response.get_data(as_text=True)
    asker = db.session.get(User, people["asker"].id)
    db.session.refresh(asker)
    assert asker.firm_id == firm_a.id and not asker.is_firm_contact
    db.session.refresh(request)
    assert (request.status, request.decided_by_id) == ("approved", people["contact"].id)
    [decision] = mails(caplog, "You are now registered with Verifisert AS")
    assert "ola@example.no" in decision
    assert "0 requests to join" in client.get("/firm/").get_data(as_text=True)


def test_declined_and_told_and_not_asking_again_at_once(app, world, caplog):
    people, firm_a, _b = world
    asker = people["asker"]
    request = membership.request_to_join(asker, firm_a, now=WHEN)
    membership.decide_request(people["contact"], request.id, False, now=WHEN + timedelta(hours=1))
    db.session.commit()
    outbox.deliver()
    assert asker.firm_id is None and request.status == "declined"
    [mail] = mails(caplog, "Your request to join Verifisert AS was declined")
    assert "ola@example.no" in mail
    with pytest.raises(Conflict, match="declined recently"):
        membership.request_to_join(asker, firm_a, now=WHEN + timedelta(days=2))
    again = membership.request_to_join(asker, firm_a, now=WHEN + timedelta(days=8))
    assert again.id != request.id and again.pending


def test_a_double_click_is_one_request_and_one_mail(client, login, world, caplog):
    people, _a, _b = world
    first, second = ask(client, login, people["asker"]), ask(client, login, people["asker"])
    assert first.status_code == second.status_code == 302
    assert len(requests_in_db()) == 1
    assert len(mails(caplog, "asks to join")) == 1


def test_a_request_answered_in_another_tab_is_not_answered_again(client, login, world, caplog):
    people, firm_a, _b = world
    request = membership.request_to_join(people["asker"], firm_a)
    db.session.commit()
    login(people["contact"])
    client.post(f"/firm/requests/{request.id}/approve")
    late = client.post(f"/firm/requests/{request.id}/decline", follow_redirects=True)
    assert "This request has already been answered or withdrawn." in late.get_data(as_text=True)
    db.session.refresh(request)
    assert request.status == "approved"
    assert len(mails(caplog, "You are now registered with")) == 1 and not mails(caplog, "was declined")


def test_an_unverified_contact_cannot_answer_and_the_asker_is_told(client, login, world, caplog):
    people, _a, firm_b = world
    response = ask(client, login, people["asker"], ORGNR_B)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The firm's contact person is not verified yet" in html
    assert not mails(caplog, "asks to join")  # nobody unverified learns who asked
    request = requests_in_db()[0]
    login(people["unverified"])
    assert "1 request to join" in client.get("/firm/").get_data(as_text=True)
    page = client.get("/firm/requests").get_data(as_text=True)
    assert "1 person has asked to join the firm." in page
    assert "Ola Søker" not in page and "ola@example.no" not in page
    assert client.post(f"/firm/requests/{request.id}/approve").status_code == 403
    db.session.refresh(request)
    assert request.pending and people["asker"].firm_id is None


def test_the_request_waits_until_an_admin_verifies_the_contact(client, login, world, caplog):
    people, _a, firm_b = world
    request = membership.request_to_join(people["asker"], firm_b)
    db.session.commit()
    login(people["admin"])
    client.post(f"/admin/firms/{firm_b.id}/verify")
    [mail] = mails(caplog, "You are verified as the contact person of Uverifisert AS")
    assert "1 request to join waits for your answer" in mail
    login(people["unverified"])
    assert "Ola Søker" in client.get("/firm/requests").get_data(as_text=True)
    client.post(f"/firm/requests/{request.id}/approve")
    db.session.refresh(request)
    assert request.status == "approved"


def test_an_admin_answers_for_any_firm(client, login, world):
    people, _a, firm_b = world
    request = membership.request_to_join(people["asker"], firm_b)
    db.session.commit()
    login(people["admin"])
    assert "Ola Søker" in client.get(f"/firm/{firm_b.id}/requests").get_data(as_text=True)
    response = client.post(f"/firm/requests/{request.id}/approve")
    assert response.headers["Location"].endswith(f"/firm/{firm_b.id}/requests")
    db.session.refresh(people["asker"])
    assert people["asker"].firm_id == firm_b.id


def test_another_firms_contact_and_the_asker_cannot_answer(client, login, world, make_user):
    people, firm_a, _b = world
    request = membership.request_to_join(people["asker"], firm_a)
    db.session.commit()
    for outsider in (people["unverified"], people["asker"], make_user()):
        login(outsider)
        assert client.post(f"/firm/requests/{request.id}/approve").status_code == 404
        assert client.get(f"/firm/{firm_a.id}/requests").status_code == 403
    db.session.refresh(request)
    assert request.pending


def test_the_asker_withdraws_and_it_cannot_be_approved_afterwards(client, login, world):
    people, firm_a, _b = world
    request = membership.request_to_join(people["asker"], firm_a)
    db.session.commit()
    login(people["contact"])  # another person cannot withdraw it
    assert client.post(f"/firm/requests/{request.id}/withdraw").status_code == 404
    login(people["asker"])
    response = client.post(f"/firm/requests/{request.id}/withdraw", follow_redirects=True)
    assert "Your request to join Verifisert AS is withdrawn." in response.get_data(as_text=True)
    assert "Register my firm" in response.get_data(as_text=True)
    with pytest.raises(Conflict):
        membership.decide_request(people["contact"], request.id, True)
    db.session.rollback()
    db.session.refresh(request)
    assert request.status == "withdrawn" and people["asker"].firm_id is None


def test_one_firm_at_a_time(client, login, world):
    people, firm_a, firm_b = world
    membership.request_to_join(people["asker"], firm_a)
    db.session.commit()
    with pytest.raises(Conflict, match="already asked to join Verifisert AS"):
        membership.request_to_join(people["asker"], firm_b)
    db.session.rollback()
    login(people["asker"])
    page = client.get(f"/firm/register/{ORGNR_B}").get_data(as_text=True)
    assert "You have already asked to join Verifisert AS. Withdraw that request first." in page
    assert "Ask to join Uverifisert AS</button>" not in page


def test_approved_after_joining_elsewhere_changes_nothing(app, world):
    people, firm_a, firm_b = world
    asker = people["asker"]
    request = membership.request_to_join(asker, firm_a)
    db.session.commit()
    # Another request (another server) put the person in firm B a moment ago, past membership.join.
    db.session.execute(update(User).where(User.id == asker.id).values(firm_id=firm_b.id))
    db.session.commit()
    with pytest.raises(Conflict, match="Ola Søker has joined another firm in the meantime"):
        membership.decide_request(people["contact"], request.id, True)
    db.session.rollback()
    db.session.refresh(request)
    db.session.refresh(asker)
    assert request.pending and asker.firm_id == firm_b.id


def test_accepting_an_invitation_withdraws_a_pending_request(client, login, world):
    from courseware.services.invitations import token_hash

    people, firm_a, firm_b = world
    request = membership.request_to_join(people["asker"], firm_a)
    db.session.add(FirmInvitation(firm_id=firm_b.id, email="ola@example.no", token_hash=token_hash("tok"),
                                  invited_by_id=people["unverified"].id))
    db.session.commit()
    login(people["asker"])
    assert client.post("/firm/join/tok").status_code == 302
    db.session.refresh(request)
    db.session.refresh(people["asker"])
    assert request.status == "withdrawn" and people["asker"].firm_id == firm_b.id


def test_members_non_learners_and_unconfirmed_addresses_cannot_ask(app, world, make_user):
    people, firm_a, firm_b = world
    with pytest.raises(Conflict):
        membership.request_to_join(people["contact"], firm_b)  # in a firm already
    with pytest.raises(PermissionDenied):
        membership.request_to_join(make_user("author"), firm_a)
    with pytest.raises(PermissionDenied, match="Confirm your e-mail address"):
        membership.request_to_join(make_user(email_verified_at=None), firm_a)
    assert db.session.scalar(select(func.count(FirmJoinRequest.id))) == 0


def test_requests_page_query_count_does_not_grow(client, login, world, make_user, count_queries):
    people, firm_a, _b = world
    login(people["contact"])
    counts = []
    for n in (2, 8):
        while db.session.scalar(select(func.count(FirmJoinRequest.id))) < n:
            membership.request_to_join(make_user(), firm_a, now=utcnow())
            db.session.commit()
        client.get("/firm/requests")
        db.session.expunge_all()
        with count_queries() as counter:
            html = client.get("/firm/requests").get_data(as_text=True)
        assert html.count('class="card"') == n
        counts.append(counter.count)
    assert counts[0] == counts[1] and counts[0] <= 4, counts  # user, firm, requests with their people


class TestMail:
    """The messages themselves, through a real SMTP server: plain text and HTML, with working links."""

    @pytest.fixture
    def app_config(self, smtp_server):
        return {**smtp_server.config, "BASE_URL": "https://kurs.example.no", "BABEL_DEFAULT_LOCALE": "en"}

    def test_request_and_answer_mails(self, client, login, world, smtp_server):
        people, _a, _b = world
        ask(client, login, people["asker"])
        [to_contact] = smtp_server.wait_for(1)
        assert to_contact["To"].addresses[0].addr_spec == "kari@example.no"
        assert to_contact["Subject"] == "Ola Søker asks to join Verifisert AS"
        assert "https://kurs.example.no/firm/requests" in smtp_server.text(to_contact)
        assert 'href="https://kurs.example.no/firm/requests"' in smtp_server.html(to_contact)
        login(people["contact"])
        client.post(f"/firm/requests/{requests_in_db()[0].id}/decline")
        to_asker = smtp_server.wait_for(2)[1]
        assert to_asker["To"].addresses[0].addr_spec == "ola@example.no"
        assert "was declined by the firm's contact person" in smtp_server.text(to_asker)
        assert "Your request to join Verifisert AS was declined" in smtp_server.html(to_asker)
