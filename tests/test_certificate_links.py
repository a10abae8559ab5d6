"""A certificate's links: the verification URL (the QR code's), LinkedIn's add-to-profile link, the code as people
write it, and the links macro the pages that show certificates call."""
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string

from courseware.extensions import db
from courseware.services.certificate_codes import format_code, verify_url
from courseware.services.certificate_links import linkedin_add_url

from .certificate_factory import make_certificate, make_firm_certificate
from .learning_factory import make_course, make_firm


@pytest.fixture
def cert(app, make_user):
    course = make_course("digital-gard", title="Data på gården – «fra fjøs til sky» & mer")
    return make_certificate(make_user("learner"), course, code="K7QM4XPAJ", stage=2,
                            provider_name="Trøndelag Næringshage & Co",
                            issued_at=datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))  # 1 January in Oslo


def test_verification_url_is_the_public_page_of_the_grouped_code(cert):
    assert verify_url(cert.code) == "http://localhost/verify/K7QM-4XPA-J"


def test_linkedin_link_carries_name_issuer_date_code_and_url(cert):
    url = linkedin_add_url(cert)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert " " not in url and "«" not in url and "&mer" not in url  # everything is percent-encoded
    assert parse_qs(parts.query, strict_parsing=True) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Data på gården – «fra fjøs til sky» & mer (Stage 2)"],
        "organizationName": ["Trøndelag Næringshage & Co"],
        "issueYear": ["2027"], "issueMonth": ["1"],  # the date in Norway, not in UTC
        "certUrl": ["http://localhost/verify/K7QM-4XPA-J"],
        "certId": ["K7QM-4XPA-J"],
    }


def test_linkedin_link_has_an_expiry_only_when_the_certificate_expires(cert):
    cert.valid_until = datetime(2029, 6, 15, tzinfo=timezone.utc)
    query = parse_qs(urlsplit(linkedin_add_url(cert)).query)
    assert query["expirationYear"] == ["2029"] and query["expirationMonth"] == ["6"]


LINKS = '{% from "certificates/_links.html" import certificate_links, firm_certificate_links, staff_certificate_link %}'


def test_links_macro_offers_pdf_badge_and_linkedin(app, cert):
    with app.test_request_context("/me/courses"):
        html = render_template_string(LINKS + "{{ certificate_links(cert) }}", cert=cert)
    assert 'href="/me/certificates/K7QM-4XPA-J.pdf"' in html
    assert 'href="/me/certificates/K7QM-4XPA-J/badge.png"' in html
    assert 'href="https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=' in html
    assert "/verify/" not in html.split("linkedin.com")[0]  # the public page is the summary's (_summary.html)


def test_links_macro_offers_nothing_for_a_revoked_certificate(app, cert):
    cert.revoked_at = datetime(2027, 1, 5, tzinfo=timezone.utc)
    db.session.commit()
    with app.test_request_context("/me/courses"):
        html = render_template_string(LINKS + "{{ certificate_links(cert) }}", cert=cert)
    assert ".pdf" not in html and "linkedin" not in html and "/verify/" not in html


def test_firm_and_staff_links(app, cert):
    fc = make_firm_certificate(make_firm(), make_course("annet-kurs"), code="F7QM4XPAG")
    with app.test_request_context("/firm/"):
        html = render_template_string(LINKS + "{{ firm_certificate_links(fc) }}{{ staff_certificate_link(cert) }}",
                                      fc=fc, cert=cert)
    assert 'href="/firm/certificates/F7QM-4XPA-G.pdf"' in html
    assert 'href="/studio/certificates/K7QM-4XPA-J.pdf"' in html
