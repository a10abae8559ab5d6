"""A learner's data rights: the profile (consent), the JSON export, and deleting the account."""
import json

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import (
    BulkUpload,
    Completion,
    Enrolment,
    Firm,
    FirmInvitation,
    ModuleProgress,
    QuizAttempt,
    TaskCheck,
    User,
    UserLogin,
    utcnow,
)
from courseware.services import privacy

from .conftest import TEST_PASSWORD
from .firms_support import ORGNR_A, complete, enrol, make_course, make_firm


@pytest.fixture
def app_config():
    """English, the msgids: these tests check wording that translators may change (bokmål is tested in test_i18n)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def learner_with_history(make_user, login):
    """A learner in a firm with an enrolment, progress, a ticked task, a quiz attempt and a completion."""
    user = login(make_user(name="Lise Lærevillig", email="lise@example.no"))
    other = make_user(name="Annen Person")
    firm = make_firm(ORGNR_A, "Fjordbruket AS", other, contact=user)
    course, done = make_course("Digital drift"), make_course("Datasikkerhet")
    enrol(user, course)
    enrol(user, done)
    enrol(other, course)
    complete(user, done)
    complete(other, done)
    now = utcnow()
    db.session.add_all([
        ModuleProgress(user_id=user.id, course_id=course.id, module_key="intro", read_at=now),
        TaskCheck(user_id=user.id, course_id=course.id, module_key="intro", task_index=0),
        QuizAttempt(token="t1", user_id=user.id, course_id=course.id, module_key="intro", answers={"q1": [2]},
                    correct_count=1, question_count=2, score=0.5, passed=False),
        FirmInvitation(firm_id=firm.id, email="lise@example.no", token_hash="a" * 64, accepted_at=now),
        FirmInvitation(firm_id=firm.id, email="ny@example.no", token_hash="b" * 64, invited_by_id=user.id),
    ])
    enrolment = db.session.execute(select(Enrolment).filter_by(user_id=other.id)).scalar_one()
    enrolment.enrolled_by_id = user.id  # she enrolled a colleague
    db.session.commit()
    return user, other, firm, course, done


def test_profile_saves_name_language_and_consent(client, make_user, login):
    user = login(make_user(name="Gammelt Navn"))
    html = client.get("/me/profile").get_data(as_text=True)
    assert "Share detailed progress with the firm" in html
    assert 'name="share_progress"' in html and "checked" not in html.split('name="share_progress"')[1][:40]
    page = client.post("/me/profile", data={"name": " Nytt  Navn ", "locale": "nn", "share_progress": "y"})
    assert page.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale, user.share_progress) == ("Nytt Navn", "nn", True)
    client.post("/me/profile", data={"name": "Nytt Navn", "locale": "en"})  # unticked box: consent withdrawn
    db.session.refresh(user)
    assert user.share_progress is False and user.locale == "en"


def test_profile_refuses_an_unknown_language(client, make_user, login):
    user = login(make_user())
    html = client.post("/me/profile", data={"name": "X", "locale": "xx"}).get_data(as_text=True)
    assert 'id="locale-error"' in html
    db.session.refresh(user)
    assert user.locale is None


def test_export_downloads_everything_about_the_user(client, learner_with_history):
    user, other, firm, course, done = learner_with_history
    page = client.get("/me/export")
    assert page.status_code == 200 and page.mimetype == "application/json"
    assert page.headers["Content-Disposition"].startswith("attachment;")
    assert page.headers["Content-Disposition"].endswith('.json"')
    data = json.loads(page.get_data(as_text=True))
    assert data["account"]["email"] == "lise@example.no" and data["account"]["name"] == "Lise Lærevillig"
    assert "password_hash" not in data["account"] and "session_stamp" not in data["account"]
    assert data["firm"] == {"orgnr": "942 110 464", "name": "Fjordbruket AS", "municipality": "Trondheim - Tråante",
                            "industry": "Industri", "industry_code": "25.620", "size_band": "0-9",
                            "is_contact_person": True}
    assert sorted(e["course_title"] for e in data["enrolments"]) == ["Datasikkerhet", "Digital drift"]
    assert data["module_progress"][0]["module_key"] == "intro" and data["module_progress"][0]["course"] == course.slug
    assert data["task_checks"][0]["task_index"] == 0
    assert data["quiz_attempts"][0]["answers"] == {"q1": [2]} and data["quiz_attempts"][0]["score"] == 0.5
    assert [c["course_title"] for c in data["completions"]] == ["Datasikkerhet"]
    assert [i["firm"] for i in data["invitations_received"]] == ["Fjordbruket AS"]
    assert "Annen Person" not in page.get_data(as_text=True)  # nothing about other people


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("confirmation", ["feil passord", "lise@example.no", " LISE@example.no ", ""])
def test_deletion_needs_the_password(client, learner_with_history, confirmation):
    """A session alone (a borrowed phone, a stolen cookie) cannot delete the account: the e-mail address is no proof."""
    user = learner_with_history[0]
    html = client.post("/me/delete", data={"confirmation": confirmation}).get_data(as_text=True)
    assert 'id="confirmation-error"' in html
    assert db.session.get(User, user.id) is not None


def test_deleting_the_account_keeps_only_anonymous_completions(client, learner_with_history):
    user, other, firm, course, done = learner_with_history
    uid = user.id
    page = client.post("/me/delete", data={"confirmation": TEST_PASSWORD})
    assert page.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, uid) is None
    for model in (Enrolment, ModuleProgress, TaskCheck, QuizAttempt, UserLogin):
        assert count(model, model.user_id == uid) == 0, model
    assert count(FirmInvitation, FirmInvitation.email == "lise@example.no") == 0
    # The completion stays, anonymous, still counted for the course and the firm.
    assert count(Completion, Completion.course_id == done.id) == 2
    assert count(Completion, Completion.user_id.is_(None), Completion.firm_id == firm.id) == 1
    # Other people's data is untouched; the invitation she sent stays with the firm, without her.
    assert count(Enrolment, Enrolment.user_id == other.id) == 1
    assert db.session.execute(select(Enrolment.enrolled_by_id).filter_by(user_id=other.id)).scalar_one() is None
    sent = db.session.execute(select(FirmInvitation).filter_by(email="ny@example.no")).scalar_one()
    assert sent.invited_by_id is None
    # The firm stays although she was its only contact person.
    assert db.session.get(Firm, firm.id) is not None
    # She is logged out.
    assert client.get("/me/profile").status_code == 302


def test_deletion_sets_completions_anonymous_even_without_foreign_key_actions(app, make_user):
    """The service nulls completions itself, so it works whatever the database does with ON DELETE."""
    user = make_user()
    course = make_course()
    complete(user, course)
    uid = user.id
    privacy.delete_account(user, TEST_PASSWORD)
    db.session.commit()
    rows = db.session.execute(select(Completion.user_id, Completion.course_id)).all()
    assert rows == [(None, course.id)]
    assert db.session.get(User, uid) is None


def test_privacy_page_says_what_why_who_and_rights(client):
    html = client.get("/privacy").get_data(as_text=True)
    for phrase in ("What we store", "Why we store it", "Who sees what", "How long we keep it", "Your rights",
                   "Contact", "detailed progress only if you allow it", "totals only", "Datatilsynet"):
        assert phrase in html, phrase


def test_the_only_administrator_cannot_delete_the_account(client, make_user, login):
    admin = login(make_user("admin"))
    page = client.post("/me/delete", data={"confirmation": TEST_PASSWORD})
    assert page.status_code == 409 and "only administrator" in page.get_data(as_text=True)
    assert db.session.get(User, admin.id) is not None
    make_user("admin")
    assert client.post("/me/delete", data={"confirmation": TEST_PASSWORD}).status_code == 302
    assert db.session.get(User, admin.id) is None


def test_requests_to_join_are_exported_and_deleted_with_the_account(app, make_user):
    """What the person asked is theirs; what they answered, verified or invited stays, without them."""
    from courseware.models import FirmJoinRequest
    from courseware.services import membership

    from .firms_support import ORGNR_B

    admin = make_user("admin", name="Ada Admin")
    contact, asker, invited = make_user(name="Kari Kontakt"), make_user(name="Ola Søker"), make_user(name="Ivar")
    firm = make_firm(ORGNR_A, "Fjordbruket AS", contact=contact)
    other = make_firm(ORGNR_B, "Annen AS")
    firm.verified_via, firm.verified_at, firm.verified_by_id = "admin", utcnow(), admin.id
    invited.firm_id, invited.firm_invited_by_id = firm.id, contact.id
    answered = membership.request_to_join(asker, firm)
    membership.decide_request(contact, answered.id, False)
    db.session.commit()
    membership.leave_firm(contact)  # so that the contact can ask too
    membership.request_to_join(contact, other)
    db.session.commit()
    exported = privacy.export_user_data(asker)
    assert exported["requests_to_join_firms"][0]["firm"] == "Fjordbruket AS"
    assert exported["requests_to_join_firms"][0]["status"] == "declined"
    assert "firm_invited_by_id" not in exported["account"]
    json.dumps(exported)

    privacy.delete_account(contact, TEST_PASSWORD)
    db.session.commit()
    request = db.session.get(FirmJoinRequest, answered.id)
    assert request.decided_by_id is None and request.status == "declined"
    assert db.session.scalar(select(func.count(FirmJoinRequest.id)).where(FirmJoinRequest.firm_id == other.id)) == 0
    assert db.session.get(User, invited.id).firm_invited_by_id is None
    make_user("admin")  # Ada is not the only administrator any more
    privacy.delete_account(db.session.get(User, admin.id), TEST_PASSWORD)
    db.session.commit()
    refreshed = db.session.get(Firm, firm.id)
    assert refreshed.verified and refreshed.verified_by_id is None


# --- Kept bulk-enrolment files ------------------------------------------------------------------------------------

UPLOAD = ("Navn;E-post;Orgnr\r\n"
          "Lise Lærevillig;LISE@example.no;942110464\r\n"
          "Annen Person;annen@example.no;942110464\r\n")


def _upload(course, author, content, filename="deltakere.csv") -> BulkUpload:
    upload = BulkUpload(course_id=course.id, uploaded_by_id=author.id, filename=filename, content=content)
    db.session.add(upload)
    db.session.commit()
    return upload


def test_deletion_takes_the_person_out_of_kept_bulk_uploads(client, learner_with_history, make_user):
    user, other, firm, course, done = learner_with_history
    author = make_user("author", name="Aud Author", provider_id=course.provider_id)
    shared = _upload(course, author, UPLOAD)
    alone = _upload(course, author, "Lise;lise@example.no;942110464\n")
    similar = _upload(course, author, "Kola;kolalise@example.no;942110464\n")  # holds the address as a substring
    ids = shared.id, alone.id, similar.id
    assert client.post("/me/delete", data={"confirmation": TEST_PASSWORD}).status_code == 302
    db.session.expire_all()
    shared, alone, similar = (db.session.get(BulkUpload, i) for i in ids)
    assert shared.content == "Navn;E-post;Orgnr\r\nAnnen Person;annen@example.no;942110464\r\n"
    assert alone is None  # nobody else was in it
    assert similar.content == "Kola;kolalise@example.no;942110464\n"


def test_deleting_an_author_keeps_their_uploads_without_them(app, make_user):
    course = make_course()
    author = make_user("author", provider_id=course.provider_id)
    upload_id = _upload(course, author, UPLOAD).id
    privacy.delete_account(author, TEST_PASSWORD)
    db.session.commit()
    kept = db.session.get(BulkUpload, upload_id)
    assert kept.uploaded_by_id is None and kept.content == UPLOAD


def test_export_says_who_enrolled_the_person_and_shows_the_uploads_naming_them(client, learner_with_history,
                                                                                make_user):
    user, other, firm, course, done = learner_with_history
    author = make_user("author", name="Aud Author", provider_id=course.provider_id)
    mine = db.session.execute(select(Enrolment).filter_by(user_id=user.id, course_id=course.id)).scalar_one()
    mine.enrolled_by_id = author.id
    db.session.commit()
    _upload(course, author, UPLOAD, filename="var-liste.csv")
    page = client.get("/me/export")
    data = json.loads(page.get_data(as_text=True))
    provider = "Nasjonalparken Næringshage"
    by_course = {e["course"]: e for e in data["enrolments"]}
    assert by_course[course.slug]["enrolled_by"] == {"name": "Aud Author", "provider": provider}
    assert by_course[done.slug]["enrolled_by"] is None  # she enrolled herself
    assert "enrolled_by_id" not in by_course[course.slug]
    [row] = data["bulk_uploads"]
    assert row["course"] == course.slug and row["provider"] == provider and row["file"] == "var-liste.csv"
    assert (row["line"], row["name"], row["email"], row["orgnr"]) == (2, "Lise Lærevillig", "LISE@example.no",
                                                                      "942110464")
    assert row["uploaded_by"] == {"name": "Aud Author", "provider": provider} and row["confirmed_at"] is None
    assert "Annen Person" not in page.get_data(as_text=True) and "annen@example.no" not in page.get_data(as_text=True)


# --- Retention: kept bulk-enrolment files -------------------------------------------------------------------------

def test_purge_deletes_bulk_uploads_past_their_retention_and_keeps_newer_ones(app, make_user):
    from datetime import timedelta

    from courseware.services.bulk import UPLOAD_RETENTION_DAYS

    course = make_course()
    author = make_user("author", provider_id=course.provider_id)
    old = _upload(course, author, UPLOAD)
    old.created_at = utcnow() - timedelta(days=UPLOAD_RETENTION_DAYS, minutes=1)
    db.session.commit()
    fresh_id, old_id = _upload(course, author, UPLOAD).id, old.id

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0 and "Deleted 1 bulk-enrolment file(s)" in result.output
    db.session.expire_all()
    assert db.session.get(BulkUpload, old_id) is None and db.session.get(BulkUpload, fresh_id) is not None


def test_privacy_page_tells_how_long_uploads_are_kept_and_who_verifies_contacts(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "kept for 30 days and then deleted" in html
    assert "sees only the colleagues who accepted their invitation" in html


def test_the_audit_log_forgets_the_deleted_person_but_keeps_the_actions(app, make_user):
    """Events about the person lose their address; their own two-step-login events go; what they did as an
    administrator stays under the address they had."""
    from courseware.models import AuditEvent
    from courseware.services import audit, membership, roles

    admin = make_user("admin", email="ada@example.no")
    make_user("admin")  # so that the first administrator may delete their account
    person, contact = make_user(email="ola@example.no"), make_user(email="kari@example.no")
    firm = make_firm(ORGNR_A, "Fjordbruket AS", contact=contact)
    person.firm_id = firm.id
    db.session.flush()
    membership.remove_member(admin, firm, person.id)
    roles.change_role(admin, person, "funder")
    audit.record(person, "mfa.enable", "user", person.id)
    audit.record(admin, "firm.verify", "firm", firm.id, {"name": firm.name})
    db.session.commit()

    privacy.delete_account(person, TEST_PASSWORD)
    privacy.delete_account(admin, TEST_PASSWORD)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert "mfa.enable" not in [e.action for e in events]
    change = next(e for e in events if e.action == "role.change")
    assert change.target_id is None and "email" not in change.detail and change.detail["deleted_account"]
    assert change.actor_id is None and change.actor_email == "ada@example.no"
    assert not any("ola@example.no" in json.dumps(e.detail) for e in events)
    assert any(e.action == "firm.verify" and e.actor_email == "ada@example.no" for e in events)
    removal = next(e for e in events if e.action == "firm.remove_member")
    assert removal.target_id == firm.id and removal.detail == {"deleted_account": True}
