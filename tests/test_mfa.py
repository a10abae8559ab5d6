"""Two-step login (TOTP and recovery codes) for staff accounts, and the audit log."""
from datetime import timedelta

import pyotp
import pytest
from flask import g
from sqlalchemy import select

from courseware.errors import Conflict
from courseware.extensions import db
from courseware.models import AuditEvent, RecoveryCode, TotpCredential, User, utcnow
from courseware.services import certificate_admin, mfa, roles

from .conftest import TEST_PASSWORD


def _enrol(user) -> tuple[str, list[str]]:
    """Turn two-step login on for `user` in the service (secret, recovery codes); the code used is spent."""
    enrolment = mfa.start_enrolment(user)
    codes = mfa.confirm_enrolment(user, pyotp.TOTP(enrolment.secret).now())
    db.session.commit()
    return enrolment.secret, codes


def _next_code(secret: str) -> str:
    """A code of the next time step (accepted: one step either side), not the one enrolment spent."""
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))


def _password_step(client, user, **extra):
    return client.post("/auth/login", data={"email": user.email, "password": TEST_PASSWORD, **extra})


def _logged_in_as(client) -> int | None:
    with client.session_transaction() as sess:
        value = sess.get("_user_id")
    return int(value.split(":")[0]) if value else None


def test_enrolment_on_the_page_shows_a_qr_code_and_ten_recovery_codes_once(client, login, make_user):
    admin = login(make_user("admin", locale="en"))
    page = client.get("/me/security")
    assert page.status_code == 200 and b"<svg" not in page.data
    assert client.post("/me/security/start").status_code == 302
    page = client.get("/me/security")
    assert b"<svg" in page.data and page.headers["Cache-Control"] == "no-store"
    secret = mfa.pending_enrolment(db.session.get(User, admin.id)).secret
    assert secret.encode() in page.data  # to type in by hand
    assert client.post("/me/security/confirm", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                                     else "111111"}).status_code == 200
    assert not mfa.is_enabled(admin)
    done = client.post("/me/security/confirm", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert mfa.is_enabled(db.session.get(User, admin.id))
    hashes = db.session.execute(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)).scalars().all()
    assert len(hashes) == 10
    assert done.data.count(b"<li><code>") == 10
    # Shown once: the page afterwards does not list them, and the database holds only hashes.
    assert b"<li><code>" not in client.get("/me/security").data
    assert _logged_in_as(client) == admin.id  # still logged in after the session stamp changed


def test_learners_cannot_enrol(client, login_as):
    login_as("learner", locale="en")
    assert client.post("/me/security/start").status_code == 302
    assert db.session.execute(select(TotpCredential)).first() is None


def test_the_secret_is_not_stored_in_clear(app, make_user):
    user = make_user("funder")
    secret, _codes = _enrol(user)
    stored = db.session.get(TotpCredential, user.id).secret_encrypted
    assert secret not in stored
    app.config["SECRET_KEY"] = "another-key"  # the key derives from SECRET_KEY: nothing to read without it
    with pytest.raises(Conflict):
        mfa.verify(user, _next_code(secret))


def test_login_asks_for_the_code_after_the_password(client, make_user):
    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    response = _password_step(client, user, next="/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login/code")
    assert _logged_in_as(client) is None
    assert client.get("/admin/").status_code == 302  # not in before the code
    assert client.get("/auth/login/code").status_code == 200
    response = client.post("/auth/login/code", data={"code": _next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert _logged_in_as(client) == user.id
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_log_in_and_counts_against_the_limit(app, client, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    _password_step(client, user)
    good = _next_code(secret)
    wrong = "123456" if good != "123456" else "654321"
    for _i in range(3):
        response = client.post("/auth/login/code", data={"code": wrong})
        assert response.status_code == 200 and _logged_in_as(client) is None
    assert client.post("/auth/login/code", data={"code": good}).status_code == 429
    assert _logged_in_as(client) is None


def test_a_used_code_cannot_be_used_again(client, make_user):
    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    code = _next_code(secret)
    _password_step(client, user)
    client.post("/auth/login/code", data={"code": code})
    assert _logged_in_as(client) == user.id
    client.post("/auth/logout")
    _password_step(client, user)
    response = client.post("/auth/login/code", data={"code": code})
    assert response.status_code == 200 and _logged_in_as(client) is None
    # and an older step than the last one used is refused too
    assert not mfa.verify(user, pyotp.TOTP(secret).now())


def test_a_recovery_code_logs_in_once(client, make_user):
    user = make_user("author", locale="en")
    _secret, codes = _enrol(user)
    _password_step(client, user)
    client.post("/auth/login/code", data={"code": codes[0].upper().replace("-", " ")})  # as typed off paper
    assert _logged_in_as(client) == user.id
    assert mfa.count_recovery_codes(user) == 9
    client.post("/auth/logout")
    _password_step(client, user)
    client.post("/auth/login/code", data={"code": codes[0]})
    assert _logged_in_as(client) is None


def test_the_code_step_needs_the_password_step_first(client, make_user):
    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    response = client.post("/auth/login/code", data={"code": _next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert _logged_in_as(client) is None


def test_a_password_reset_link_does_not_skip_the_code(client, make_user):
    from courseware.services.accounts import make_reset_token

    user = make_user("admin", locale="en")
    _enrol(user)
    response = client.post(f"/auth/reset/{make_reset_token(user)}",
                           data={"password": "a-new-password-1", "confirm": "a-new-password-1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login/code")
    assert _logged_in_as(client) is None


def test_a_required_role_without_totp_is_sent_to_enrolment(app, client, login, make_user):
    app.config["MFA_REQUIRED_ROLES"] = "admin,funder"
    admin = login(make_user("admin", locale="en"))
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/security")
    assert client.get("/me/security").status_code == 200
    secret, _codes = _enrol(db.session.get(User, admin.id))
    # Enrolling ended the other logins (this test's session was one): log in again, now with the code.
    client.post("/auth/logout")
    _password_step(client, admin)
    client.post("/auth/login/code", data={"code": _next_code(secret)})
    assert client.get("/admin/").status_code == 200
    # an author is not required here
    author = login(make_user("author", locale="en"))
    assert author and client.get("/me/profile").status_code == 200


def test_disabling_needs_the_password_and_a_code(client, make_user):
    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    _password_step(client, user)
    client.post("/auth/login/code", data={"code": _next_code(secret)})
    assert client.post("/me/security/disable", data={"password": "wrong-password", "code": _codes[1]}).status_code == 200
    assert client.post("/me/security/disable", data={"password": TEST_PASSWORD, "code": "000000"}).status_code == 200
    assert mfa.is_enabled(db.session.get(User, user.id))
    assert mfa.count_recovery_codes(user) == 10  # the wrong password spent nothing
    user_id = user.id
    response = client.post("/me/security/disable", data={"password": TEST_PASSWORD, "code": _codes[1]})
    assert response.status_code == 302
    assert db.session.get(TotpCredential, user_id) is None
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).first() is None


def test_regenerating_recovery_codes_replaces_the_old_ones(client, make_user):
    user = make_user("admin", locale="en")
    secret, codes = _enrol(user)
    _password_step(client, user)
    client.post("/auth/login/code", data={"code": codes[0]})
    response = client.post("/me/security/recovery-codes", data={"code": _next_code(secret)})
    assert response.status_code == 200 and response.data.count(b"<li><code>") == 10
    assert not mfa.verify(db.session.get(User, user.id), codes[1])


def test_a_role_change_is_audited(client, login, make_user):
    admin = login(make_user("admin", locale="en"))
    learner = make_user("learner")
    response = client.post(f"/admin/users/{learner.id}/role", data={"role": "funder"},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.actor_id, event.action, event.target_type, event.target_id) == (admin.id, "role.change", "user",
                                                                                  learner.id)
    assert event.detail["from"]["role"] == "learner" and event.detail["to"]["role"] == "funder"
    assert event.ip == "10.1.2.3"
    page = client.get("/admin/audit?action=role.change")
    assert page.status_code == 200 and b"role.change" in page.data
    assert b"<code>role.change</code>" not in client.get("/admin/audit?action=certificate.revoke").data


def test_a_refused_role_change_writes_nothing(make_user):
    admin = make_user("admin")
    with pytest.raises(Conflict):
        roles.change_role(admin, admin, "learner")  # the only admin
    db.session.rollback()
    assert db.session.execute(select(AuditEvent)).first() is None


def test_a_certificate_revocation_and_restore_are_audited(app, make_user):
    from .world import build_world

    world = build_world(make_user)
    admin = world.users["admin"]
    certificate = certificate_admin.get_certificate_for(admin, world.certificate_id)
    certificate_admin.revoke(admin, certificate, "issued_in_error", "wrong person")
    certificate_admin.restore(admin, certificate)
    db.session.commit()
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.target_type, e.target_id, e.actor_id) for e in events][-2:] == [
        ("certificate.revoke", "certificate", world.certificate_id, admin.id),
        ("certificate.restore", "certificate", world.certificate_id, admin.id),
    ]
    assert events[-2].detail == {"reason": "issued_in_error", "note": "wrong person"}


@pytest.mark.parametrize("role,status", [("admin", 200), ("funder", 403), ("author", 403), ("learner", 403)])
def test_only_admins_open_the_audit_log(client, login_as, role, status):
    login_as(role, locale="en")
    assert client.get("/admin/audit").status_code == status


def test_anonymous_visitors_are_sent_to_log_in_from_the_audit_log(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_firm_verification_is_audited(client, login, make_user):
    from .learning_factory import make_firm

    admin = login(make_user("admin", locale="en"))
    firm = make_firm()
    assert client.post(f"/admin/firms/{firm.id}/verify").status_code == 302
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.target_type, event.target_id, event.actor_id) == ("firm.verify", "firm", firm.id,
                                                                                  admin.id)


def test_the_audit_page_runs_a_fixed_number_of_queries(client, login, make_user, count_queries):
    from courseware.services import audit

    admin = login(make_user("admin", locale="en"))
    audit.record(admin, "role.change", "user", admin.id, {"n": 0})
    db.session.commit()
    with count_queries() as few:
        client.get("/admin/audit")
    for n in range(10):
        audit.record(make_user("admin"), "role.change", "user", admin.id, {"n": n})
    db.session.commit()
    with count_queries() as many:
        page = client.get("/admin/audit")
    assert page.status_code == 200 and page.data.count(b"<code>role.change</code>") == 11
    assert many.count == few.count, many


def test_turning_two_step_login_on_ends_the_other_logins(client, app, login, make_user):
    user = make_user("admin", locale="en")
    other = app.test_client()
    login(user, other)
    login(user)
    assert other.get("/me/security").status_code == 200
    client.post("/me/security/start")
    secret = mfa.pending_enrolment(db.session.get(User, user.id)).secret
    assert client.post("/me/security/confirm", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/me/security").status_code == 200  # this browser stays logged in
    g.pop("_login_user", None)  # the test clients share the fixture's app context (see conftest's login)
    assert other.get("/me/security").status_code == 302  # the other one is sent to log in


def test_a_new_password_ends_a_waiting_code_step(client, make_user):
    from courseware.services import accounts

    user = make_user("admin", locale="en")
    secret, _codes = _enrol(user)
    _password_step(client, user)
    accounts.set_password(db.session.get(User, user.id), "another-password-2")
    db.session.commit()
    response = client.post("/auth/login/code", data={"code": _next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert _logged_in_as(client) is None


def test_an_account_that_lost_its_staff_role_can_still_turn_it_off(client, login, make_user):
    user = make_user("author", locale="en")
    _secret, codes = _enrol(user)
    user.role = "learner"
    db.session.commit()
    login(user)
    assert b"security/disable" in client.get("/me/security").data


def test_deleting_an_account_removes_its_second_factor_and_keeps_its_administrative_audit_events(make_user):
    from courseware.services import privacy

    admin, other = make_user("admin"), make_user("admin")
    _enrol(admin)
    roles.change_role(admin, make_user("learner"), "funder")
    db.session.commit()
    admin_id, email = admin.id, admin.email
    privacy.delete_account(admin, TEST_PASSWORD)
    db.session.commit()
    assert db.session.get(TotpCredential, admin_id) is None
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.user_id == admin_id)).first() is None
    events = db.session.execute(select(AuditEvent).where(AuditEvent.actor_email == email)).scalars().all()
    assert {event.action for event in events} == {"role.change"}  # its own two-step-login events went with it
    assert all(event.actor_id is None for event in events) and other.id
