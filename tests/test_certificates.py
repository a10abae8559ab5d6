"""Issuing certificates: with the completion, frozen, once; for people who confirm their address later; from the
backfill; and the firm's certificate with its first member's."""
import hashlib
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import Certificate, Completion, FirmCertificate, utcnow
from courseware.services import accounts, certificates, firms, invitations, outbox, verification
from courseware.services.certificates import STATUS_LIST_MIN_LENGTH, status_list_length

from .certificates_support import WHEN, certified_course, complete, firm_certificate, graduate, verified_firm
from .firms_support import complete as record_completion
from .learning_factory import make_course, make_firm, publish


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_completion_issues_a_frozen_certificate(make_user):
    course = certified_course(valid_years=3)
    user = make_user("learner", name="Kari Nordmann", email="Kari@Example.no", locale="nn")
    completion = complete(user, course)
    cert = certificates.find_certificate_for_completion(completion.id)
    assert cert.learner_name == "Kari Nordmann" and cert.user_id == user.id and cert.course_id == course.id
    assert (cert.course_slug, cert.course_title, cert.stage, cert.version_number) == ("kurs", "Kurs kurs", 1, 1)
    assert (cert.provider_slug, cert.provider_name) == ("test-naeringshage", "Test Naeringshage")
    assert (cert.signer_name, cert.signer_title) == ("Kari Nordmann", "Daglig leder, Test Næringshage")
    assert cert.minutes == 30  # three modules of 10 minutes in the outline
    assert cert.language == "nn"
    assert cert.issued_at == WHEN and cert.valid_until == datetime(2029, 12, 3, 10, 0, tzinfo=timezone.utc)
    assert re.fullmatch(r"[0-9a-f]{32}", cert.recipient_salt)
    expected = hashlib.sha256(("kari@example.no" + cert.recipient_salt).encode()).hexdigest()
    assert cert.recipient_hash == "sha256$" + expected
    assert 0 <= cert.status_index < STATUS_LIST_MIN_LENGTH
    assert cert.revoked_at is None

    user.name = "Kari Nordmann-Hansen"  # renaming the person, course or provider later changes nothing issued
    publish(course, [{"key": "ny", "title": "Ny"}], title="Nytt navn")
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).learner_name == "Kari Nordmann"
    assert db.session.get(Certificate, cert.id).course_title == "Kurs kurs"


def test_one_certificate_per_completion_even_when_asked_twice(make_user):
    course = certified_course()
    user = make_user("learner")
    first = complete(user, course)
    assert complete(user, course) is None  # already recorded
    assert certificates.issue_waiting(user) == 0
    assert certificates.backfill().issued == 0
    assert _count(Certificate) == 1 and certificates.find_certificate_for_completion(first.id) is not None


def test_a_course_without_certificates_gives_none(make_user):
    course = certified_course(enabled=False)
    complete(make_user("learner"), course)
    plain = make_course("annet")  # no [certificate] at all
    complete(make_user("learner"), plain)
    assert _count(Certificate) == 0
    assert certificates.backfill().issued == 0


def test_leap_day_certificates_expire_on_the_28th(make_user):
    course = certified_course(valid_years=1)
    cert = graduate(make_user, course, when=datetime(2028, 2, 29, 12, 0, tzinfo=timezone.utc))
    assert cert.valid_until == datetime(2029, 2, 28, 12, 0, tzinfo=timezone.utc)


def test_codes_and_status_entries_are_distinct(make_user):
    course = certified_course()
    certs = [graduate(make_user, course) for _ in range(12)]
    assert len({c.code for c in certs}) == 12 and len({c.status_index for c in certs}) == 12
    # Random places, not counting up: the list does not tell the order of issue.
    assert sorted(c.status_index for c in certs) != list(range(min(c.status_index for c in certs),
                                                              min(c.status_index for c in certs) + 12))


def test_the_status_list_doubles_when_half_full(make_user):
    assert status_list_length() == STATUS_LIST_MIN_LENGTH
    cert = graduate(make_user, certified_course())
    # Pretend the list is half full and an entry beyond it was given out: it doubles, and doubles again to cover it.
    cert.status_index = STATUS_LIST_MIN_LENGTH * 2 + 5
    db.session.commit()
    assert status_list_length() == STATUS_LIST_MIN_LENGTH * 4


def test_a_collision_draws_again(make_user, monkeypatch):
    course = certified_course()
    first = graduate(make_user, course)
    draws = iter([first.status_index, first.status_index, 77])
    monkeypatch.setattr(certificates.secrets, "randbelow", lambda _n: next(draws))
    second = graduate(make_user, course)
    assert second.status_index == 77


def test_the_completion_mail_carries_the_certificate(make_user, smtp_server):
    course = certified_course()
    cert = graduate(make_user, course, email="ola@example.no")
    outbox.deliver()
    [message] = smtp_server.wait_for(1)
    code = f"{cert.code[:4]}-{cert.code[4:8]}-{cert.code[8]}"
    text, html = smtp_server.text(message), smtp_server.html(message)
    assert message["Subject"] == "Course completed: Kurs kurs"
    assert f"Your certificate has the code {code}" in text and f"http://localhost/verify/{code}" in text
    assert f'href="http://localhost/verify/{code}"' in html


# --- Unconfirmed addresses -----------------------------------------------------------------------------------------

def test_an_unconfirmed_address_gets_the_certificate_when_confirmed(make_user, smtp_server):
    course = certified_course()
    user = make_user("learner", email="sen@example.no", email_verified_at=None)
    completion = complete(user, course)
    assert certificates.find_certificate_for_completion(completion.id) is None
    outbox.deliver()
    smtp_server.messages.clear()

    verification.confirm_email(verification.make_confirm_token(user))
    db.session.commit()
    outbox.deliver()
    cert = certificates.find_certificate_for_completion(completion.id)
    assert cert is not None and cert.issued_at == WHEN  # dated when the course was completed
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Your certificate for Kurs kurs"
    assert "/verify/" in smtp_server.text(message)


def test_a_password_reset_or_an_invitation_confirms_and_issues(make_user):
    course = certified_course()
    reset = make_user("learner", email_verified_at=None)
    complete(reset, course)
    accounts.complete_password_reset(reset, "Et-helt-nytt-passord-1")
    invited = make_user("learner", email="invitert@example.no", email_verified_at=None)
    complete(invited, course)
    firm = make_firm()
    token = "et-token-for-invitasjonen"
    from courseware.models import FirmInvitation
    db.session.add(FirmInvitation(firm_id=firm.id, email=invited.email, token_hash=invitations.token_hash(token)))
    db.session.flush()
    invitations.accept_invitation(invited, token)
    db.session.commit()
    assert {c.user_id for c in db.session.scalars(select(Certificate))} == {reset.id, invited.id}


# --- Backfill -------------------------------------------------------------------------------------------------------

def test_backfill_issues_for_earlier_completions_once(make_user, smtp_server):
    course = certified_course()
    firm = verified_firm()
    people = [make_user("learner", firm_id=firm.id) for _ in range(3)]
    waiting = make_user("learner", email_verified_at=None)
    for person in people + [waiting]:
        record_completion(person, course)  # recorded before certificates existed
    assert _count(Certificate) == 0

    first = certificates.backfill()
    db.session.commit()
    assert (first.issued, first.firm_issued, first.unconfirmed) == (3, 1, 1)
    second = certificates.backfill()
    assert (second.issued, second.firm_issued, second.unconfirmed) == (0, 0, 1)
    assert _count(Certificate) == 3 and _count(FirmCertificate) == 1
    outbox.deliver()
    subjects = [m["Subject"] for m in smtp_server.wait_for(3)]
    assert subjects == ["Your certificate for Kurs kurs"] * 3  # the firm has no contact person to tell


def test_backfill_costs_two_queries_when_there_is_nothing_to_do(make_user, count_queries):
    course = certified_course()
    graduate(make_user, course)
    with count_queries() as counter:
        certificates.backfill()
    assert counter.count <= 3, counter  # waiting completions, waiting firm certificates, unconfirmed count


def test_the_backfill_command_prints_counts(app, make_user):
    course = certified_course()
    record_completion(make_user("learner"), course)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "backfill"])
    assert result.exit_code == 0, result.output
    assert "Certificates: 1 issued, 0 firm certificate(s) issued, 0 completion(s) wait" in result.output
    again = runner.invoke(args=["certificates", "backfill"])
    assert "Certificates: 0 issued" in again.output
    assert _count(Certificate) == 1


# --- Firm certificates -----------------------------------------------------------------------------------------------

def test_the_first_member_to_complete_earns_the_firm_certificate(make_user, smtp_server):
    course = certified_course()
    firm = make_firm("942110464", "Fjordbruk AS")
    contact = make_user("learner", email="kontakt@example.no", firm_id=firm.id, is_firm_contact=True)
    firm.verified_at = utcnow()
    db.session.commit()
    first = graduate(make_user, course, firm_id=firm.id)
    outbox.deliver()
    issued = firm_certificate(firm, course)
    assert issued is not None and (issued.firm_name, issued.orgnr) == ("Fjordbruk AS", "942110464")
    assert (issued.course_title, issued.stage, issued.provider_name) == ("Kurs kurs", 1, "Test Naeringshage")
    assert issued.issued_at == first.issued_at and issued.code != first.code
    graduate(make_user, course, firm_id=firm.id)
    assert _count(FirmCertificate) == 1
    outbox.deliver()
    mails = smtp_server.wait_for(4)
    # two completion e-mails, and two to the contact person: the certificate and the digital maturity follow-up
    assert len(mails) == 4
    assert sum("digital maturity" in m["Subject"] for m in mails) == 1
    [to_contact] = [m for m in mails if m["Subject"] == "Fjordbruk AS has a certificate for Kurs kurs"]
    assert contact.email in to_contact["To"] and "/verify/" in smtp_server.text(to_contact)


def test_an_unverified_firm_gets_its_certificate_when_verified(make_user):
    course = certified_course()
    firm = make_firm()
    graduate(make_user, course, firm_id=firm.id)
    assert firm_certificate(firm, course) is None
    admin = make_user("admin")
    firms.verify_firm(admin, firm)
    db.session.commit()
    assert firm_certificate(firm, course) is not None


def test_no_firm_certificate_for_a_course_without_certificates(make_user):
    firm = verified_firm()
    course = certified_course(enabled=False)
    complete(make_user("learner", firm_id=firm.id), course)
    assert certificates.backfill().firm_issued == 0 and _count(FirmCertificate) == 0
    assert db.session.scalar(select(func.count(Completion.id))) == 1


def test_init_backfills_after_an_upgrade(tmp_path):
    """`courseware init` on an instance with completions from before certificates: they get theirs, once."""
    import shutil

    from courseware import create_app
    from courseware.models import Course, User

    from .conftest import FIXTURE_COURSES, _test_config

    (tmp_path / "courses").mkdir()
    shutil.copytree(FIXTURE_COURSES / "minimal", tmp_path / "courses" / "minimal")  # its [certificate] is on
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'init.db'}", tmp_path))
    with app.app_context():
        runner = app.test_cli_runner()
        first = runner.invoke(args=["init"])
        assert first.exit_code == 0, first.output
        assert "Certificates:" not in first.output  # nothing to issue, nothing said
        course = db.session.execute(select(Course)).scalar_one()
        user = User(email="tidlig@example.no", name="Tidlig Ute", password_hash="x", email_verified_at=utcnow())
        db.session.add(user)
        db.session.flush()
        db.session.add(Completion(user_id=user.id, course_id=course.id, version_id=course.current_version_id,
                                  completed_at=WHEN))
        db.session.commit()
        second = runner.invoke(args=["init"])
        assert "Certificates: 1 issued, 0 firm certificate(s) issued" in second.output, second.output
        third = runner.invoke(args=["init"])
        assert "Certificates:" not in third.output
        cert = db.session.execute(select(Certificate)).scalar_one()
        assert (cert.course_title, cert.signer_name) == ("Minimalkurs – Trinn 1", "Kari Nordmann")
        db.session.remove()
        db.engine.dispose()
