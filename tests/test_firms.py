"""Registering, joining, editing and leaving a firm; the contact person's view of the employees."""
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import Firm, RegistryEntry, User
from courseware.services import firms

from .firms_support import ORGNR_A, ORGNR_B, complete, enrol, make_course, make_firm

DETAILS = {"name": "Verdal Mekaniske AS", "municipality": "5038", "other_municipality": "", "industry_section": "C",
           "industry_code": "25.620", "size_band": "10-49"}


@pytest.fixture
def app_config():
    """English, the msgids: these tests check wording that translators may change (bokmål is tested in test_i18n)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


def firm_count() -> int:
    return db.session.scalar(select(func.count(Firm.id)))


def test_register_a_new_firm_makes_the_learner_its_contact_person(client, login_as):
    user = login_as("learner")
    page = client.post("/firm/register", data={"orgnr": "942 110 464"})
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/firm/register/{ORGNR_A}")
    form = client.get(f"/firm/register/{ORGNR_A}").get_data(as_text=True)
    assert "942 110 464" in form and "Trondheim - Tråante" in form
    page = client.post(f"/firm/register/{ORGNR_A}", data=DETAILS)
    assert page.status_code == 302 and page.headers["Location"].endswith("/firm/")
    firm = db.session.execute(select(Firm)).scalar_one()
    assert (firm.orgnr, firm.name, firm.municipality_code, firm.industry_section, firm.industry_code,
            firm.size_band, firm.source) == (ORGNR_A, "Verdal Mekaniske AS", "5038", "C", "25.620", "10-49", "manual")
    db.session.refresh(user)
    assert user.firm_id == firm.id and user.is_firm_contact
    html = client.get("/firm/").get_data(as_text=True)
    assert "942 110 464" in html and "Verdal" in html and "10–49" in html and "Industri" in html


@pytest.mark.parametrize(
    "orgnr, message",
    [
        ("123456789", "123 456 789 is not valid"),
        ("12345678", "must have 9 digits"),
        ("12345678a", "only contain digits"),
    ],
)
def test_wrong_orgnr_is_explained_next_to_the_field_and_nothing_is_saved(client, login_as, orgnr, message):
    login_as("learner")
    page = client.post("/firm/register", data={"orgnr": orgnr})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="orgnr-error"' in html and message in html and 'orgnr-error"' in html.split('id="orgnr"')[1][:300]
    assert firm_count() == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"municipality": ""}, "municipality", "Choose the municipality"),
        ({"municipality": "other", "other_municipality": "9901"}, "other_municipality", "no municipality"),
        ({"industry_code": "01.110"}, "industry_code", "does not belong"),
        ({"size_band": "lots"}, "size_band", "number of employees"),
        ({"name": "  "}, "name", "name"),
    ],
)
def test_wrong_details_are_shown_next_to_their_field(client, login_as, changes, field, message):
    login_as("learner")
    html = client.post(f"/firm/register/{ORGNR_A}", data={**DETAILS, **changes}).get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert firm_count() == 0


def test_another_norwegian_municipality_is_accepted_by_number(client, login_as):
    login_as("learner")
    client.post(f"/firm/register/{ORGNR_A}", data={**DETAILS, "municipality": "other", "other_municipality": "0301"})
    assert db.session.execute(select(Firm.municipality_code)).scalar_one() == "0301"


def test_an_existing_firm_is_joined_after_confirmation_as_an_ordinary_member(client, make_user, login):
    firm = make_firm(ORGNR_A, "Kystbedriften AS", contact=make_user())
    user = login(make_user())
    page = client.post("/firm/register", data={"orgnr": ORGNR_A})
    confirm = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Kystbedriften AS" in confirm and "Yes, join" in confirm
    db.session.refresh(user)
    assert user.firm_id is None  # nothing happens before the confirmation
    client.post(f"/firm/register/{ORGNR_A}", data={})
    db.session.refresh(user)
    assert user.firm_id == firm.id and not user.is_firm_contact
    assert firm_count() == 1


def test_double_submit_creates_one_firm(client, login_as):
    user = login_as("learner")
    first = client.post(f"/firm/register/{ORGNR_A}", data=DETAILS)
    second = client.post(f"/firm/register/{ORGNR_A}", data=DETAILS)
    assert first.status_code == second.status_code == 302
    assert firm_count() == 1
    db.session.refresh(user)
    assert user.is_firm_contact


def test_losing_the_race_joins_the_winners_firm(app, make_user, monkeypatch):
    """The firm appears between our lookup and our insert: the unique orgnr decides, nobody gets a 500."""
    winner, loser = make_user(), make_user()
    details = firms.validate_firm_details(name="A", municipality_code="5001", industry_section="C", industry_code="",
                                          size_band="0-9")
    firms.register_firm(winner, ORGNR_A, details)
    db.session.commit()
    real, calls = firms.find_firm_by_orgnr, []

    def stale_then_real(orgnr):  # the first lookup ran before the winner committed
        calls.append(orgnr)
        return None if len(calls) == 1 else real(orgnr)

    monkeypatch.setattr(firms, "find_firm_by_orgnr", stale_then_real)
    firm, created = firms.register_firm(loser, ORGNR_A, details)
    db.session.commit()
    assert not created and loser.firm_id == firm.id and not loser.is_firm_contact
    assert firm_count() == 1


def test_two_people_registering_at_once_make_one_firm(app, make_user):
    users = [make_user().id, make_user().id]
    barrier, results, errors = threading.Barrier(2), {}, []

    def register(user_id):
        try:
            # Like two POST requests on two server threads (on SQLite a POST takes the write lock at BEGIN).
            with app.app_context(), app.test_request_context("/firm/register", method="POST"):
                details = firms.validate_firm_details(name=f"Firm {user_id}", municipality_code="5001",
                                                      industry_section="C", industry_code="", size_band="0-9")
                barrier.wait(timeout=10)
                user = db.session.get(User, user_id)
                results[user_id] = firms.register_firm(user, ORGNR_B, details)[1]
                db.session.commit()
                db.session.remove()
        except Exception as error:  # reported below; a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=register, args=(uid,)) for uid in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(results.values()) == [False, True]
    db.session.rollback()  # end this thread's read transaction, so it sees what the two others committed
    assert firm_count() == 1
    members = db.session.execute(select(User).where(User.id.in_(users))).scalars().all()
    assert len({u.firm_id for u in members}) == 1 and sum(u.is_firm_contact for u in members) == 1


def test_registry_snapshot_prefills_the_form(client, login_as):
    db.session.add(RegistryEntry(orgnr=ORGNR_A, name="EKSEMPEL VERKSTED AS (DEMO)", org_form="AS",
                                 municipality_code="5038", industry_code="25.620", employees=None))
    db.session.commit()
    login_as("learner")
    html = client.get(f"/firm/register/{ORGNR_A}").get_data(as_text=True)
    assert 'value="EKSEMPEL VERKSTED AS (DEMO)"' in html
    assert '<option selected value="5038">' in html and '<option selected value="C">' in html
    assert 'value="25.620"' in html
    assert "does not say how many people work there" in html  # headcount withheld: the user chooses
    client.post(f"/firm/register/{ORGNR_A}", data={**DETAILS, "name": "EKSEMPEL VERKSTED AS (DEMO)"})
    assert db.session.execute(select(Firm.source)).scalar_one() == "brreg"


def test_registry_headcount_gives_the_size_band(client, login_as):
    db.session.add(RegistryEntry(orgnr=ORGNR_A, name="X AS", municipality_code="0301", industry_code="62.010",
                                 employees=60))
    db.session.commit()
    login_as("learner")
    html = client.get(f"/firm/register/{ORGNR_A}").get_data(as_text=True)
    assert '<option selected value="50-249">' in html and '<option selected value="other">' in html
    assert 'value="0301"' in html and '<option selected value="J">' in html


def test_contact_person_edits_the_firm(client, make_user, login):
    contact = login(make_user())
    firm = make_firm(ORGNR_A, "Gammelt navn AS", contact=contact)
    form = client.get("/firm/edit").get_data(as_text=True)
    assert 'value="Gammelt navn AS"' in form
    page = client.post("/firm/edit", data={**DETAILS, "name": "Nytt navn AS", "size_band": "0-9"})
    assert page.status_code == 302
    db.session.refresh(firm)
    assert (firm.name, firm.size_band, firm.orgnr) == ("Nytt navn AS", "0-9", ORGNR_A)


def test_member_leaves_and_the_firm_stays(client, make_user, login):
    contact = make_user()
    firm = make_firm(ORGNR_A, "Blir AS", contact=contact)
    member = login(make_user(firm_id=firm.id))
    assert "Blir AS" in client.get("/firm/leave").get_data(as_text=True)
    client.post("/firm/leave")
    db.session.refresh(member)
    assert member.firm_id is None and firm_count() == 1
    assert "not registered with a firm" in client.get("/firm/").get_data(as_text=True)


def test_contact_person_sees_enrolments_completions_and_only_consented_progress(client, make_user, login, monkeypatch):
    course_a, course_b = make_course("Digital drift"), make_course("Industri 4.0")
    contact = login(make_user(name="Kari Kontakt"))
    sharer = make_user(name="Sigrid Deler", share_progress=True)
    private = make_user(name="Per Privat", share_progress=False)
    make_firm(ORGNR_A, "Firma AS", sharer, private, contact=contact)
    for user in (sharer, private):
        enrol(user, course_a)
        complete(user, course_b)
    asked = []

    def fake_summaries(user_ids):
        asked.append(sorted(user_ids))
        return {(uid, course_a.id): SimpleNamespace(percent=40, completed_modules=2, total_modules=5)
                for uid in user_ids}

    monkeypatch.setattr(firms, "progress_summaries", fake_summaries)
    html = client.get("/firm/").get_data(as_text=True)
    assert asked == [[sharer.id]]  # the private employee's progress is never even computed
    assert "Sigrid Deler" in html and "Per Privat" in html
    assert "Digital drift" in html and "Industri 4.0" in html
    assert html.count("Mar 14, 2026") == 4  # two enrolments, two completions
    assert html.count("40 %") == 1 and "2 of 5 modules" in html


def test_firm_page_shows_no_employees_to_an_ordinary_member(client, make_user, login):
    course = make_course("Hemmelig kurs")
    colleague = make_user(name="Kollega Kollegasen")
    member = login(make_user())
    make_firm(ORGNR_A, "Firma AS", colleague, member, contact=make_user(name="Kari Kontakt"))
    enrol(colleague, course)
    html = client.get("/firm/").get_data(as_text=True)
    assert "Firma AS" in html and "Kari Kontakt" in html  # the member sees who the contact person is
    assert "Kollega Kollegasen" not in html and "Hemmelig kurs" not in html
    assert "Invite colleagues" not in html


def test_firm_page_query_count_does_not_grow_with_employees(client, make_user, login, count_queries):
    courses = [make_course(f"Kurs {n}") for n in range(3)]
    contact = login(make_user())
    firm = make_firm(ORGNR_A, "Firma AS", contact=contact)

    def add_employees(n):
        for _ in range(n):
            user = make_user(firm_id=firm.id, share_progress=True)
            for course in courses:
                enrol(user, course)
            complete(user, courses[0])

    add_employees(2)
    with count_queries() as few:
        assert client.get("/firm/").status_code == 200
    add_employees(8)
    with count_queries() as many:
        assert client.get("/firm/").status_code == 200
    assert many.count == few.count, many
    assert few.count <= 12, few  # user, firm, members, enrolments, completions, titles, progress (3), invitations


class TestBokmal:
    """The default language: the firm pages and their messages reach the learner in Norwegian."""

    @pytest.fixture
    def app_config(self):
        return {"BABEL_DEFAULT_LOCALE": "nb"}

    def test_orgnr_error_and_dates_are_norwegian(self, client, make_user, login):
        login(make_user())
        html = client.post("/firm/register", data={"orgnr": "123456789"}).get_data(as_text=True)
        assert "123 456 789" in html and "is not valid" not in html and "Organisasjonsnummer" in html
        course = make_course("Digital drift")
        contact = make_user()
        make_firm(ORGNR_A, "Firma AS", contact=contact)
        enrol(contact, course)
        login(contact)
        assert "14. mars 2026" in client.get("/firm/").get_data(as_text=True)
