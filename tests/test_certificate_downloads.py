"""Downloading certificate files, per role: a learner gets only their own PDF and badge, a firm's contact person only
their firm's certificate, a provider's staff only their own courses' certificates; everyone else a 404 (or a 403 for
a firm member who is not the contact person), and a malformed code never a 500."""
import re
from datetime import datetime, timezone
from io import BytesIO

import pytest
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from courseware.services.badge_image import unbake_png
from courseware.services import certificate_downloads
from courseware.services.certificate_links import format_code

from .certificate_factory import make_certificate, make_firm_certificate
from .learning_factory import VALID_ORGNRS, make_course, make_firm, provider

STUB_CREDENTIAL = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Stub – «test»"}


@pytest.fixture
def course(app):
    return make_course("digital-gard", title="Digital gård")


@pytest.fixture
def firm(app):
    return make_firm(VALID_ORGNRS[0], "Bjørnæs Gårdsdrift AS")


@pytest.fixture
def owner(make_user, firm):
    return make_user("learner", name="Åse Ødegård", firm_id=firm.id)


@pytest.fixture
def cert(owner, course):
    return make_certificate(owner, course, language="nb")


@pytest.fixture
def firm_cert(firm, course):
    return make_firm_certificate(firm, course)


def pdf_text(response) -> str:
    return PdfReader(BytesIO(response.data)).pages[0].extract_text()


def in_file_name(code: str) -> str:
    """A code as file names show it: ASCII letters, digits and dashes only, so a check symbol * ~ $ or = (4 codes in
    37) is left out: `K7QM-4XPT-$` gives `K7QM-4XPT`."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", format_code(code)).strip("-")


# --- The learner's own certificate -----------------------------------------------------------------------------------

def test_learner_downloads_their_own_pdf(client, login, owner, cert):
    login(owner)
    response = client.get(f"/me/certificates/{format_code(cert.code)}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    with force_locale("nb"):  # the file is named in the certificate's language: "kursbevis-..." once translated
        prefix = gettext("certificate")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{prefix}-digital-gard-{in_file_name(cert.code)}.pdf"')
    assert "private" in response.headers["Cache-Control"]
    assert "Åse Ødegård" in pdf_text(response) and "Trinn 1" in pdf_text(response)  # in the certificate's language


@pytest.mark.parametrize("spelling", [str.lower, lambda code: code, format_code, lambda c: format_code(c).lower()])
def test_the_code_may_be_written_with_or_without_dashes_in_any_case(client, login, owner, cert, spelling):
    login(owner)
    assert client.get(f"/me/certificates/{spelling(cert.code)}.pdf").status_code == 200


@pytest.mark.parametrize("who", ["other learner", "author", "admin", "contact"])
def test_nobody_else_gets_a_learners_pdf_from_their_own_pages(client, login, make_user, firm, cert, who):
    role = {"other learner": "learner", "contact": "learner"}.get(who, who)
    extra = {"provider_id": cert.provider_id} if who == "author" else {}
    if who == "contact":
        extra = {"firm_id": firm.id, "is_firm_contact": True}
    login(make_user(role, **extra))
    assert client.get(f"/me/certificates/{format_code(cert.code)}.pdf").status_code == 404
    assert client.get(f"/me/certificates/{format_code(cert.code)}/badge.png").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, cert):
    response = client.get(f"/me/certificates/{format_code(cert.code)}.pdf")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("code", ["NOPE", "x" * 40, "K7QM-4XPT-9", "%F0%9F%99%82", "a%00b", "..%2F..%2Fetc"])
def test_unknown_or_malformed_codes_are_404_never_500(client, login, owner, cert, code):
    login(owner)
    assert client.get(f"/me/certificates/{code}.pdf").status_code in (400, 404)


def test_revoked_certificate_pdf_says_revoked_and_has_no_badge(client, login, monkeypatch, owner, cert):
    from courseware.extensions import db

    cert.revoked_at, cert.revoked_reason = datetime(2027, 1, 5, tzinfo=timezone.utc), "issued_in_error"
    db.session.commit()
    monkeypatch.setattr(certificate_downloads, "signed_credential", lambda c: STUB_CREDENTIAL)
    login(owner)
    response = client.get(f"/me/certificates/{format_code(cert.code)}.pdf")
    with force_locale("nb"):
        stamp = gettext("Revoked").upper()
    assert response.status_code == 200 and stamp in " ".join(pdf_text(response).upper().split())
    assert client.get(f"/me/certificates/{format_code(cert.code)}/badge.png").status_code == 409


# --- The baked badge ----------------------------------------------------------------------------------------------------

def test_badge_carries_the_signed_credential(client, login, monkeypatch, owner, cert):
    seen = []
    monkeypatch.setattr(certificate_downloads, "signed_credential", lambda c: seen.append(c.code) or STUB_CREDENTIAL)
    login(owner)
    response = client.get(f"/me/certificates/{format_code(cert.code)}/badge.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with force_locale("nb"):
        prefix = gettext("badge")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{prefix}-digital-gard-{in_file_name(cert.code)}.png"')
    assert seen == [cert.code]
    assert unbake_png(response.data) == '{"type":["VerifiableCredential","OpenBadgeCredential"],"name":"Stub – «test»"}'



# --- The firm's certificate -------------------------------------------------------------------------------------------

def test_contact_person_downloads_the_firms_certificate(client, login, make_user, firm, firm_cert):
    login(make_user("learner", firm_id=firm.id, is_firm_contact=True))
    response = client.get(f"/firm/certificates/{format_code(firm_cert.code)}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{firm.orgnr}-digital-gard-{in_file_name(firm_cert.code)}.pdf"')
    assert "private" in response.headers["Cache-Control"]
    assert "Bjørnæs Gårdsdrift AS has completed the course" in pdf_text(response)


def test_admin_downloads_any_firms_certificate(client, login_as, firm_cert):
    login_as("admin")
    assert client.get(f"/firm/certificates/{format_code(firm_cert.code)}.pdf").status_code == 200


def test_a_member_who_is_not_the_contact_person_is_told_who_may(client, login, owner, firm_cert):
    login(owner)
    response = client.get(f"/firm/certificates/{format_code(firm_cert.code)}.pdf")
    assert response.status_code == 403
    assert "contact person" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["other firm's contact", "author", "funder", "no firm"])
def test_other_firms_and_roles_get_404_for_a_firms_certificate(client, login, make_user, firm_cert, course, who):
    if who == "other firm's contact":
        user = make_user("learner", firm_id=make_firm(VALID_ORGNRS[1], "Annen AS").id, is_firm_contact=True)
    elif who == "author":
        user = make_user("author", provider_id=course.provider_id)
    else:
        user = make_user("funder" if who == "funder" else "learner")
    login(user)
    assert client.get(f"/firm/certificates/{format_code(firm_cert.code)}.pdf").status_code == 404


# --- The provider's staff -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("own author", 200), ("admin", 200), ("other author", 404),
                                         ("owner", 404), ("funder", 404)])
def test_staff_download_certificates_of_their_own_courses(client, login, make_user, owner, cert, who, status):
    if who == "own author":
        user = make_user("author", provider_id=cert.provider_id)
    elif who == "other author":
        user = make_user("author", provider_id=provider("annen-hage", "Annen Næringshage").id)
    elif who == "owner":
        user = owner
    else:
        user = make_user(who)
    login(user)
    response = client.get(f"/studio/certificates/{format_code(cert.code)}.pdf")
    assert response.status_code == status
    if status == 200:
        assert "Åse Ødegård" in pdf_text(response)
