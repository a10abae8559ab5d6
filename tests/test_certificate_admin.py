"""Revoking and restoring certificates (who may: admins and the issuing provider's staff, never another provider's),
the audit log, the studio's and the admin's certificate pages, and where holders and firms find their certificates."""
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from courseware.errors import Conflict, InvalidInput, PermissionDenied
from courseware.extensions import db
from courseware.models import Certificate, CertificateEvent, FirmCertificate
from courseware.services import certificate_admin
from courseware.services.certificate_codes import format_code

from .certificates_support import certified_course, complete, firm_certificate, graduate, verified_firm
from .learning_factory import make_course


@pytest.fixture
def setup(make_user):
    """Provider A's course with a graduate of a verified firm (so a firm certificate too); provider B's course."""
    course = certified_course("kurs")
    other = make_course("annet", provider_slug="annen-hage")
    firm = verified_firm("942110464", "Fjordbruk AS")
    contact = make_user("learner", name="Kari Kontakt", firm_id=firm.id, is_firm_contact=True)
    cert = graduate(make_user, course, name="Åse Fullført", firm_id=firm.id)
    people = {
        "holder": db.session.get(type(contact), cert.user_id),
        "contact": contact,
        "colleague": make_user("learner", firm_id=firm.id),
        "author_own": make_user("author", provider_id=course.provider_id, name="Anne Forfatter"),
        "author_other": make_user("author", provider_id=other.provider_id),
        "funder": make_user("funder"),
        "admin": make_user("admin", name="Ada Admin"),
    }
    return cert, firm_certificate(firm, course), people


REVOKERS = {"author_own": True, "admin": True, "author_other": False, "holder": False, "contact": False,
            "funder": False}


@pytest.mark.parametrize("role, allowed", REVOKERS.items())
def test_who_may_revoke_in_the_service(setup, role, allowed):
    cert, firm_cert, people = setup
    for certificate in (cert, firm_cert):
        if allowed:
            event = certificate_admin.revoke(people[role], certificate, "issued_in_error", "Feil kurs")
            assert (event.action, event.reason, event.actor_name) == ("revoked", "issued_in_error", people[role].name)
        else:
            with pytest.raises(PermissionDenied):
                certificate_admin.revoke(people[role], certificate, "issued_in_error")
    db.session.commit()
    assert (cert.revoked_at is not None) is allowed and (firm_cert.revoked_at is not None) is allowed


STUDIO_PAGES = ["/studio/certificates/{c}", "/studio/firm-certificates/{f}"]
STATUS = {"author_own": 200, "admin": 200, "author_other": 403, "holder": 403, "contact": 403, "funder": 403}


@pytest.mark.parametrize("role, status", STATUS.items())
def test_studio_certificate_pages_per_role(client, login, setup, role, status):
    cert, firm_cert, people = setup
    login(people[role])
    for page in STUDIO_PAGES:
        url = page.format(c=cert.id, f=firm_cert.id)
        assert client.get(url).status_code == status, url
        response = client.post(url + "/revoke", data={"reason": "misconduct", "note": "x"})
        assert response.status_code == (302 if status == 200 else status), url
    db.session.expire_all()
    revoked = db.session.get(Certificate, cert.id).revoked_at is not None
    assert revoked is (status == 200)
    assert db.session.get(FirmCertificate, firm_cert.id).revoked_at is not None if status == 200 else True


def test_anonymous_is_sent_to_log_in(client, setup):
    cert, _firm_cert, _people = setup
    response = client.post(f"/studio/certificates/{cert.id}/revoke", data={"reason": "misconduct"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/admin/certificates").status_code == 302
    assert db.session.get(Certificate, cert.id).revoked_at is None


def test_unknown_certificate_is_404(client, login, setup):
    login(setup[2]["admin"])
    assert client.get("/studio/certificates/999999").status_code == 404
    assert client.post("/studio/firm-certificates/999999/restore").status_code == 404


def test_revoke_and_restore_through_the_studio_with_the_audit_log(client, login, setup):
    cert, _firm_cert, people = setup
    login(people["author_own"])
    page = client.get(f"/studio/certificates/{cert.id}").get_data(as_text=True)
    assert "Åse Fullført" in page and "Revoke the certificate" in page and "Kari Nordmann" in page  # the signer
    response = client.post(f"/studio/certificates/{cert.id}/revoke",
                           data={"reason": "withdrawn_by_provider", "note": "Tok kurset for en annen"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The certificate is revoked" in html and "Withdrawn by the course provider" in html
    assert "Tok kurset for en annen" in html and "Anne Forfatter" in html and "Restore the certificate" in html

    again = client.post(f"/studio/certificates/{cert.id}/revoke", data={"reason": "other"}, follow_redirects=True)
    assert "revoked already" in again.get_data(as_text=True)
    restored = client.post(f"/studio/certificates/{cert.id}/restore", data={"note": "Feil person"},
                           follow_redirects=True)
    assert "The certificate is valid again." in restored.get_data(as_text=True)
    events = db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == cert.id)
                                .order_by(CertificateEvent.id)).all()
    assert [(e.action, e.reason, e.note, e.actor_id) for e in events] == [
        ("revoked", "withdrawn_by_provider", "Tok kurset for en annen", people["author_own"].id),
        ("restored", None, "Feil person", people["author_own"].id)]
    assert all(e.created_at is not None for e in events)


def test_bad_input_is_refused_and_nothing_is_written(client, login, setup):
    cert, _firm_cert, people = setup
    login(people["admin"])
    for data in ({"reason": "account_deleted"}, {"reason": "nonsense"}, {"reason": "other", "note": "x" * 2001}, {}):
        response = client.post(f"/studio/certificates/{cert.id}/revoke", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert 'class="flash flash-error"' in response.get_data(as_text=True), data
    assert client.post(f"/studio/certificates/{cert.id}/restore", follow_redirects=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).revoked_at is None
    assert db.session.scalar(select(CertificateEvent.id)) is None
    with pytest.raises(InvalidInput):
        certificate_admin.revoke(people["admin"], cert, "account_deleted")
    with pytest.raises(Conflict):
        certificate_admin.restore(people["admin"], cert)


def test_a_certificate_withdrawn_by_account_deletion_cannot_be_restored(setup):
    cert, _firm_cert, people = setup
    certificate_admin.mark_revoked(None, cert, "account_deleted")
    with pytest.raises(Conflict):
        certificate_admin.restore(people["admin"], cert)


def test_the_studio_learner_list_links_each_certificate(client, login, setup):
    cert, firm_cert, people = setup
    login(people["author_own"])
    html = client.get("/studio/courses/kurs").get_data(as_text=True)
    assert f'href="/studio/certificates/{cert.id}"' in html and format_code(cert.code) in html
    assert f'href="/studio/firm-certificates/{firm_cert.id}"' in html and "Fjordbruk AS" in html


def test_admin_searches_by_code_as_typed_and_by_name(client, login, setup):
    cert, firm_cert, people = setup
    login(people["admin"])
    typed = format_code(cert.code).lower().replace("-", " ")
    html = client.get("/admin/certificates", query_string={"q": typed}).get_data(as_text=True)
    assert f'href="/studio/certificates/{cert.id}"' in html and "No firm certificates found." in html
    html = client.get("/admin/certificates", query_string={"q": firm_cert.code}).get_data(as_text=True)
    assert f'href="/studio/firm-certificates/{firm_cert.id}"' in html
    wrong = cert.code[:2] + ("0" if cert.code[2] != "0" else "1") + cert.code[3:]
    html = client.get("/admin/certificates", query_string={"q": wrong}).get_data(as_text=True)
    assert "mistyped" in html and 'aria-invalid="true"' in html
    html = client.get("/admin/certificates", query_string={"q": "fullført"}).get_data(as_text=True)
    assert f'href="/studio/certificates/{cert.id}"' in html
    newest = client.get("/admin/certificates").get_data(as_text=True)
    assert format_code(cert.code) in newest and format_code(firm_cert.code) in newest
    login(people["author_own"])
    assert client.get("/admin/certificates").status_code == 403


# --- Where holders and firms find them -----------------------------------------------------------------------------

def test_my_courses_and_the_course_page_show_the_certificate(client, login, setup):
    cert, _firm_cert, people = setup
    login(people["holder"])
    for url in ("/me/courses", "/courses/kurs"):
        html = client.get(url).get_data(as_text=True)
        assert format_code(cert.code) in html, url
        assert f'href="/verify/{format_code(cert.code)}"' in html, url


def test_an_unconfirmed_learner_is_told_how_to_get_the_certificate(client, login, make_user):
    course = certified_course("kurs-2")
    user = make_user("learner", email_verified_at=None)
    complete(user, course)  # enrolled before addresses had to be confirmed
    login(user)
    for url in ("/me/courses", "/courses/kurs-2"):
        assert "Confirm your e-mail address to get the certificate" in client.get(url).get_data(as_text=True), url


def test_the_firm_page_lists_the_firm_certificates_for_the_contact_person_only(client, login, setup):
    _cert, firm_cert, people = setup
    login(people["contact"])
    html = client.get("/firm/").get_data(as_text=True)
    assert "The firm's certificates" in html and format_code(firm_cert.code) in html
    login(people["colleague"])
    assert format_code(firm_cert.code) not in client.get("/firm/").get_data(as_text=True)


def test_the_profile_sets_the_consent_to_be_named(client, login, setup):
    _cert, _firm_cert, people = setup
    holder = login(people["holder"])
    assert holder.name_on_firm_certificates is False
    client.post("/me/profile", data={"name": holder.name, "locale": "nb", "name_on_firm_certificates": "y"})
    db.session.expire_all()
    assert db.session.get(type(holder), holder.id).name_on_firm_certificates is True
    client.post("/me/profile", data={"name": holder.name, "locale": "nb"})
    db.session.expire_all()
    assert db.session.get(type(holder), holder.id).name_on_firm_certificates is False


def test_the_privacy_export_includes_the_certificates(client, login, setup):
    cert, _firm_cert, people = setup
    certificate_admin.revoke(people["admin"], cert, "other", "Sjekkes", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
    db.session.commit()
    login(people["holder"])
    data = json.loads(client.get("/me/export").get_data(as_text=True))
    [exported] = data["certificates"]
    assert exported["code"] == format_code(cert.code) and exported["url"].endswith(f"/verify/{exported['code']}")
    assert exported["learner_name"] == "Åse Fullført" and exported["course_title"] == "Kurs kurs"
    assert exported["revoked_reason"] == "other"
    assert [(e["action"], e["note"], e["actor_name"]) for e in exported["events"]] == [("revoked", "Sjekkes",
                                                                                       "Ada Admin")]
    assert data["account"]["name_on_firm_certificates"] is False
