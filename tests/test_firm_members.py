"""Who the contact person sees, removing a member (their records stay theirs) and handing over the contact role."""
import pytest
from sqlalchemy import select

from courseware.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from courseware.extensions import db
from courseware.models import Completion, Enrolment, User
from courseware.services import firms, membership

from .firms_support import ORGNR_A, ORGNR_B, WHEN, complete, enrol, make_course, make_firm


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def world(make_user):
    """An unverified firm: its contact, a colleague who accepted the contact's invitation, one who came otherwise."""
    contact = make_user(name="Kari Kontakt", email="kari@example.no")
    invited = make_user(name="Ivar Invitert", email="ivar@example.no")
    stranger = make_user(name="Sara Fremmed", email="sara@example.no")
    firm = make_firm(ORGNR_A, "Fjellgården AS", invited, stranger, contact=contact)
    invited.firm_invited_by_id = contact.id
    db.session.commit()
    course = make_course("Hemmelig kurs")
    for person in (invited, stranger):
        enrol(person, course)
    complete(stranger, course)
    return firm, {"contact": contact, "invited": invited, "stranger": stranger}


def mails(caplog, subject):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("E-mail") and subject in r.getMessage()]


def verify(firm):
    firm.verified_via, firm.verified_at = "admin", WHEN
    db.session.commit()


# --- Who sees whom ------------------------------------------------------------------------------------------------

def test_an_unverified_contact_sees_only_colleagues_who_accepted_their_invitation(client, login, world):
    firm, people = world
    login(people["contact"])
    html = client.get("/firm/").get_data(as_text=True)
    assert "Ivar Invitert" in html and "ivar@example.no" in html
    assert "Sara Fremmed" not in html and "sara@example.no" not in html
    assert "1 more member joined without your invitation" in html
    assert client.get(f"/firm/members/{people['stranger'].id}/remove").status_code == 404


def test_a_verified_contact_sees_everyone(client, login, world):
    firm, people = world
    verify(firm)
    login(people["contact"])
    html = client.get("/firm/").get_data(as_text=True)
    assert "Sara Fremmed" in html and "sara@example.no" in html and "Hemmelig kurs" in html
    assert "without your invitation" not in html


def test_members_and_admins(client, login, world, make_user):
    firm, people = world
    login(people["stranger"])  # an ordinary member sees the firm and its contact, nobody's courses
    html = client.get("/firm/").get_data(as_text=True)
    assert "Kari Kontakt" in html and "Not verified" in html and "Ivar Invitert" not in html
    login(make_user("admin"))
    html = client.get(f"/firm/{firm.id}").get_data(as_text=True)
    assert "Ivar Invitert" in html and "Sara Fremmed" in html


def test_an_unverified_contact_enrols_only_colleagues_they_may_see(client, login, world):
    firm, people = world
    make_course("Kurs B", slug="kurs-b")
    login(people["contact"])
    page = client.get("/me/firm-enrol").get_data(as_text=True)
    assert "Ivar Invitert" in page and "Sara Fremmed" not in page
    response = client.post("/me/firm-enrol", data={"course": "kurs-b", "users": [people["stranger"].id]})
    assert response.status_code == 403


def test_invitations_sent_by_others_are_hidden_from_an_unverified_contact(app, world, make_user):
    from courseware.models import FirmInvitation

    firm, people = world
    author = make_user("author")
    db.session.add_all([
        FirmInvitation(firm_id=firm.id, email="fra-kontakt@example.no", token_hash="a" * 64,
                       invited_by_id=people["contact"].id),
        FirmInvitation(firm_id=firm.id, email="fra-kursholder@example.no", token_hash="b" * 64,
                       invited_by_id=author.id),
    ])
    db.session.commit()
    shown = [i.email for i in firms.firm_overview(people["contact"]).pending_invitations]
    assert shown == ["fra-kontakt@example.no"]
    verify(firm)
    shown = [i.email for i in firms.firm_overview(people["contact"]).pending_invitations]
    assert shown == ["fra-kontakt@example.no", "fra-kursholder@example.no"]


def test_the_firm_page_shows_steps_and_tells_enrolled_from_completed(client, login, make_user):
    from courseware.services import enrolment, learning

    from .learning_factory import get_module, load
    from .learning_factory import make_course as make_full_course
    from .learning_factory import make_firm as make_plain_firm

    course = make_full_course("kurs", title="Kurs A")  # 3 modules: 2 + 4 + 1 steps
    done = make_full_course("ferdig", title="Ferdig kurs", modules=[{"key": "en", "title": "En"}])
    contact = login(make_user(name="Kari Kontakt"))
    firm = make_plain_firm()
    member = make_user(name="Halvveis Hansen", firm_id=firm.id, share_progress=True, firm_invited_by_id=contact.id)
    contact.firm_id, contact.is_firm_contact = firm.id, True
    enrolment.enrol(member, load(course))
    learning.mark_read(member, get_module(course, "sensorer"))  # halfway through a module: no module done
    learning.set_task(member, get_module(course, "sensorer"), 0, True)
    enrolment.enrol(member, load(done))
    learning.mark_read(member, get_module(done, "en"))
    db.session.commit()
    html = client.get("/firm/").get_data(as_text=True)
    assert "2 of 7 steps (28 %)" in html and 'aria-valuenow="28"' in html
    assert '<span class="status status-enrolled"><span aria-hidden="true">○ </span>Not completed yet</span>' in html
    assert '<span class="status status-completed"><span aria-hidden="true">✓ </span>Completed' in html


# --- Removing a member ----------------------------------------------------------------------------------------------

def test_the_contact_removes_a_member_who_keeps_their_records(client, login, world, caplog):
    firm, people = world
    verify(firm)
    stranger = people["stranger"]
    login(people["contact"])
    page = client.get(f"/firm/members/{stranger.id}/remove").get_data(as_text=True)
    assert "Remove Sara Fremmed from Fjellgården AS?" in page and "keep their account" in page
    response = client.post(f"/firm/members/{stranger.id}/remove", follow_redirects=True)
    assert "Sara Fremmed is no longer a member of Fjellgården AS." in response.get_data(as_text=True)
    db.session.refresh(stranger)
    assert stranger.firm_id is None and stranger.firm_invited_by_id is None
    assert db.session.execute(select(Enrolment).filter_by(user_id=stranger.id)).scalar_one() is not None
    completion = db.session.execute(select(Completion).filter_by(user_id=stranger.id)).scalar_one()
    assert completion.firm_id == firm.id  # where they completed it stays on the record
    [mail] = mails(caplog, "You are no longer registered with Fjellgården AS")
    assert "sara@example.no" in mail and "The contact person of Fjellgården AS has removed you" in mail


def test_an_unverified_contact_removes_only_whom_they_may_see(app, world):
    firm, people = world
    with pytest.raises(NotFound):
        membership.remove_member(people["contact"], firm, people["stranger"].id)
    membership.remove_member(people["contact"], firm, people["invited"].id)
    assert people["invited"].firm_id is None and people["stranger"].firm_id == firm.id


def test_an_admin_removes_anyone(client, login, world, make_user, caplog):
    firm, people = world
    login(make_user("admin"))
    assert "Remove" in client.get(f"/admin/firms/{firm.id}").get_data(as_text=True)
    response = client.post(f"/firm/{firm.id}/members/{people['stranger'].id}/remove")
    assert response.headers["Location"].endswith(f"/firm/{firm.id}")
    db.session.refresh(people["stranger"])
    assert people["stranger"].firm_id is None
    assert "An administrator has removed you" in mails(caplog, "You are no longer registered")[0]


def test_who_cannot_remove(client, login, world, make_user):
    firm, people = world
    other_contact = make_user()
    make_firm(ORGNR_B, "Annen AS", contact=other_contact)
    for person in (people["stranger"], other_contact, make_user(), make_user("author")):
        login(person)
        response = client.post(f"/firm/{firm.id}/members/{people['invited'].id}/remove")
        assert response.status_code in (403, 404)
    with pytest.raises(Conflict, match="cannot remove yourself"):
        membership.remove_member(people["contact"], firm, people["contact"].id)
    db.session.rollback()
    db.session.refresh(people["invited"])
    assert people["invited"].firm_id == firm.id


def test_removing_twice_is_harmless(app, world):
    firm, people = world
    membership.remove_member(people["contact"], firm, people["invited"].id)
    db.session.commit()
    with pytest.raises(NotFound):
        membership.remove_member(people["contact"], firm, people["invited"].id)


# --- Handing over the contact role ---------------------------------------------------------------------------------

def test_the_contact_hands_over_and_both_are_told(client, login, world, caplog):
    firm, people = world
    verify(firm)
    login(people["contact"])
    page = client.get("/firm/contact").get_data(as_text=True)
    assert "Ivar Invitert" in page and "Sara Fremmed" in page and "Kari Kontakt</option>" not in page
    response = client.post("/firm/contact", data={"user_id": str(people["stranger"].id)})
    assert response.status_code == 302
    for person in people.values():
        db.session.refresh(person)
    assert people["stranger"].is_firm_contact and not people["contact"].is_firm_contact
    assert people["contact"].firm_id == firm.id
    db.session.refresh(firm)
    assert firm.verified  # a verified contact passes the verification on
    [to_new] = mails(caplog, "You are now the contact person of Fjellgården AS")
    [to_old] = mails(caplog, "Sara Fremmed is now the contact person of Fjellgården AS")
    assert "sara@example.no" in to_new and "kari@example.no" in to_old
    assert client.get("/firm/contact").status_code == 403  # an ordinary member now


def test_an_unverified_firm_stays_unverified_after_a_hand_over(app, world):
    firm, people = world
    with pytest.raises(InvalidInput):  # the colleague who never accepted this contact is not offered
        membership.hand_over_contact(people["contact"], firm, people["stranger"].id)
    assert [u.name for u in membership.list_possible_contacts(people["contact"], firm)] == ["Ivar Invitert"]
    membership.hand_over_contact(people["contact"], firm, people["invited"].id)
    db.session.commit()
    assert people["invited"].is_firm_contact and not firm.verified


def test_an_admin_appoints_and_both_are_told(client, login, world, make_user, caplog):
    firm, people = world
    verify(firm)
    login(make_user("admin", name="Ada Admin"))
    client.post(f"/admin/firms/{firm.id}/contact", data={"user_id": str(people["invited"].id)})
    db.session.refresh(people["invited"])
    assert people["invited"].is_firm_contact
    assert "Ada Admin has made you the contact person" in mails(caplog, "You are now the contact person")[0]
    assert "kari@example.no" in mails(caplog, "Ivar Invitert is now the contact person")[0]
    db.session.refresh(firm)
    assert firm.verified


def test_who_cannot_hand_over(client, login, world, make_user):
    firm, people = world
    outsider = make_user(firm_id=make_firm(ORGNR_B, "Annen AS").id)
    with pytest.raises(PermissionDenied):
        membership.hand_over_contact(people["invited"], firm, people["stranger"].id)
    with pytest.raises(InvalidInput):
        membership.hand_over_contact(people["contact"], firm, outsider.id)
    login(people["invited"])
    assert client.post("/firm/contact", data={"user_id": str(people["invited"].id)}).status_code == 403
    login(people["contact"])
    html = client.post("/firm/contact", data={"user_id": str(outsider.id)}).get_data(as_text=True)
    assert "Only a member of the firm can be its contact person." in html
    db.session.refresh(people["contact"])
    assert people["contact"].is_firm_contact


def test_leaving_clears_who_invited_the_member(app, world):
    firm, people = world
    membership.leave_firm(people["invited"])
    db.session.commit()
    invited = db.session.get(User, people["invited"].id)
    assert invited.firm_id is None and invited.firm_invited_by_id is None
    with pytest.raises(Conflict):
        membership.leave_firm(invited)
