"""Enrolment: who may enrol where (audience, requires), idempotent enrol and withdraw, the firm contact person
enrolling colleagues, invitations that enrol, and every role's access to the learner pages."""
import pytest
from flask import g

from courseware.errors import PermissionDenied
from courseware.extensions import db
from courseware.models import Completion, Enrolment, FirmInvitation, utcnow
from courseware.services import enrolment, outbox

from .learning_factory import VALID_ORGNRS, get_module, load, make_course, make_firm


@pytest.fixture
def course(app):
    return make_course("kurs", title="Digitalisering – Trinn 1")


def _enrolled(user_id, course_id=None):
    stmt = db.select(Enrolment).where(Enrolment.user_id == user_id)
    if course_id:
        stmt = stmt.where(Enrolment.course_id == course_id)
    return db.session.execute(stmt).scalars().all()


def test_firms_course_needs_a_firm_with_a_link_to_register_it(client, login_as, course):
    user = login_as("learner")
    page = client.get("/courses/kurs").get_data(as_text=True)
    # The way to register a firm brings the learner back to this course afterwards.
    assert 'href="/firm/register?next=/courses/kurs"' in page and "/me/courses/kurs/enrol" not in page
    response = client.post("/me/courses/kurs/enrol", follow_redirects=True)
    assert response.status_code == 200
    assert "This course is for employees of firms" in response.get_data(as_text=True)
    assert _enrolled(user.id) == []


def test_public_course_needs_only_an_account(client, login_as):
    make_course("for-alle", audience="public")
    user = login_as("learner")
    assert "/me/courses/for-alle/enrol" in client.get("/courses/for-alle").get_data(as_text=True)
    client.post("/me/courses/for-alle/enrol")
    assert len(_enrolled(user.id)) == 1


def test_requires_names_the_course_to_finish_first(client, login, make_user, course):
    make_course("trinn-2", requires=["kurs"], title="Trinn 2")
    user = login(make_user("learner", firm_id=make_firm().id))
    response = client.post("/me/courses/trinn-2/enrol", follow_redirects=True)
    assert "Complete Digitalisering – Trinn 1 first" in response.get_data(as_text=True)
    assert _enrolled(user.id) == []
    db.session.add(Completion(user_id=user.id, course_id=course.id, version_id=course.current_version_id))
    db.session.commit()
    client.post("/me/courses/trinn-2/enrol")
    assert len(_enrolled(user.id)) == 1


def test_enrolling_twice_leaves_one_row_and_one_mail(client, login, make_user, course, caplog):
    user = login(make_user("learner", firm_id=make_firm().id))
    for _ in range(3):
        assert client.post("/me/courses/kurs/enrol").status_code == 302
    assert len(_enrolled(user.id)) == 1
    assert sum("You are enrolled in" in r.getMessage() for r in caplog.records) == 1


def test_withdraw_twice_and_withdraw_without_enrolment_are_harmless(client, login, make_user, course):
    user = login(make_user("learner", firm_id=make_firm().id))
    assert client.post("/me/courses/kurs/withdraw").status_code == 302
    client.post("/me/courses/kurs/enrol")
    client.post("/me/courses/kurs/withdraw")
    assert client.post("/me/courses/kurs/withdraw").status_code == 302
    assert _enrolled(user.id)[0].withdrawn_at is not None


def test_double_post_of_mark_read_makes_no_duplicate(client, login, make_user, course):
    from courseware.models import ModuleProgress

    login(make_user("learner", firm_id=make_firm().id))
    client.post("/me/courses/kurs/enrol")
    responses = [client.post("/me/courses/kurs/intro/read") for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302]
    assert db.session.query(ModuleProgress).count() == 1


# --- The contact person enrols colleagues -----------------------------------------------------------------------

@pytest.fixture
def firm_people(make_user):
    firm, other = make_firm(), make_firm(VALID_ORGNRS[1], "Annen AS")
    firm.verified_at = utcnow()  # a verified contact person sees (and enrols) every colleague
    contact = make_user("learner", name="Kontakt Person", firm_id=firm.id, is_firm_contact=True)
    colleague = make_user("learner", name="Ola Kollega", firm_id=firm.id)
    outsider = make_user("learner", name="Ute Andre", firm_id=other.id)
    return contact, colleague, outsider


def test_contact_person_enrols_colleagues(client, login, course, firm_people, caplog):
    contact, colleague, _outsider = firm_people
    login(contact)
    page = client.get("/me/firm-enrol").get_data(as_text=True)
    assert "Ola Kollega" in page and "Ute Andre" not in page
    response = client.post("/me/firm-enrol", data={"course": "kurs", "users": [colleague.id]}, follow_redirects=True)
    assert "Enrolled: Ola Kollega." in response.get_data(as_text=True)
    row = _enrolled(colleague.id)[0]
    assert row.enrolled_by_id == contact.id
    mail = [r.getMessage() for r in caplog.records if "You are enrolled in" in r.getMessage()][0]
    assert "Kontakt Person has enrolled you" in mail
    again = client.post("/me/firm-enrol", data={"course": "kurs", "users": [colleague.id]}, follow_redirects=True)
    assert "Already enrolled: Ola Kollega." in again.get_data(as_text=True)


def test_contact_person_cannot_enrol_another_firms_people(client, login, course, firm_people):
    contact, _colleague, outsider = firm_people
    login(contact)
    response = client.post("/me/firm-enrol", data={"course": "kurs", "users": [outsider.id]})
    assert response.status_code == 403
    assert _enrolled(outsider.id) == []


def test_colleague_refusals_are_reported_per_person(client, login, course, firm_people):
    contact, colleague, _outsider = firm_people
    make_course("trinn-2", requires=["kurs"])
    login(contact)
    response = client.post("/me/firm-enrol", data={"course": "trinn-2", "users": [colleague.id]},
                           follow_redirects=True)
    assert "Ola Kollega was not enrolled" in response.get_data(as_text=True)
    assert client.post("/me/firm-enrol", data={"course": "kurs"}, follow_redirects=True).status_code == 200


# --- Invitations that enrol -------------------------------------------------------------------------------------

def test_enrol_from_invitation(make_user, course):
    firm = make_firm()
    author = make_user("author", provider_id=course.provider_id)
    user = make_user("learner", firm_id=firm.id)
    trinn2 = make_course("trinn-2", requires=["kurs"])
    invitation = FirmInvitation(firm_id=firm.id, email=user.email, token_hash="x" * 64, invited_by_id=author.id)
    assert enrolment.enrol_from_invitation(user, invitation) is None  # an invitation to the firm only
    invitation.course_id = trinn2.id
    result = enrolment.enrol_from_invitation(user, invitation)  # the provider chose them: requires is not checked
    db.session.commit()
    assert result.change == "created" and result.enrolment.enrolled_by_id == author.id
    assert outbox.deliver() == 1
    assert [e.course_id for e in _enrolled(user.id)] == [trinn2.id]
    assert enrolment.enrol_from_invitation(user, invitation).change is None  # accepting twice changes nothing


def test_service_refusal_carries_the_reason(make_user, course):
    with pytest.raises(PermissionDenied) as refusal:
        enrolment.enrol(make_user("learner"), load(course))
    assert refusal.value.details["reason"] == "no_firm"


# --- Access matrix for the learner pages ------------------------------------------------------------------------

ROLES = ["anonymous", "learner_no_firm", "learner", "learner_other_firm", "author_own", "author_other", "funder",
         "admin"]


@pytest.fixture
def people(make_user, course):
    firm, other = make_firm(), make_firm(VALID_ORGNRS[1], "Annen AS")
    own = course.provider_id
    from .learning_factory import provider

    other_provider = provider("annen-hage", "Annen Hage").id
    db.session.commit()
    return {
        "anonymous": None,
        "learner_no_firm": make_user("learner"),
        "learner": make_user("learner", firm_id=firm.id, is_firm_contact=True),
        "learner_other_firm": make_user("learner", firm_id=other.id),
        "author_own": make_user("author", provider_id=own),
        "author_other": make_user("author", provider_id=other_provider),
        "funder": make_user("funder"),
        "admin": make_user("admin"),
    }


@pytest.fixture
def attempt_url(people, course, client, login):
    """A quiz result that belongs to "learner"."""
    from .learning_factory import quiz_form

    owner = people["learner"]
    enrolment.enrol(owner, load(course))
    db.session.commit()
    login(owner)
    url = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer")))
    with client.session_transaction() as sess:
        sess.clear()
    g.pop("_login_user", None)  # log out: test-client requests share the app context and its `g`
    return url.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_access_to_learner_pages(client, login, people, attempt_url, role):
    user = people[role]
    if user is not None:
        login(user)
    my_courses = client.get("/me/courses")
    result = client.get(attempt_url)
    firm_enrol = client.get("/me/firm-enrol")
    enrol = client.post("/me/courses/kurs/enrol")
    if user is None:
        for response in (my_courses, result, firm_enrol, enrol):
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        return
    assert my_courses.status_code == 200
    assert result.status_code == (200 if role == "learner" else 404)
    assert firm_enrol.status_code == (200 if role == "learner" else 403)
    assert enrol.status_code == 302
    enrolled = bool(_enrolled(user.id))
    assert enrolled is (role in ("learner", "learner_other_firm"))  # a "firms" course needs a firm
