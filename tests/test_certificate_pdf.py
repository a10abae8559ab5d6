"""The printed certificates: one A4 landscape page with the right text, in the certificate's language, Norwegian
letters intact, a REVOKED stamp when revoked, a QR code a real decoder reads, and a renderer that fetches nothing
but the app's own static files."""
import http.server
import shutil
import subprocess
import threading
from datetime import datetime, timezone
from io import BytesIO

import pytest
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from courseware.services import certificate_pdf
from courseware.services.certificate_codes import format_code, verify_url
from courseware.services.certificate_pdf import (RefusedURL, StaticFilesOnly, hours_text, render_certificate_pdf,
                                                 render_firm_certificate_pdf)

from .certificate_factory import make_certificate, make_firm_certificate
from .learning_factory import VALID_ORGNRS, make_course, make_firm

A4_LANDSCAPE = (841.89, 595.28)  # points: 297 x 210 mm
NORWEGIAN_NAME = "Åse Ødegård Bjørnæs"
NORWEGIAN_TITLE = "Data på gården – «fra fjøs til sky»"


def pdf_pages(pdf: bytes):
    return PdfReader(BytesIO(pdf)).pages


def pdf_text(pdf: bytes) -> str:
    (page,) = pdf_pages(pdf)
    return page.extract_text()


def assert_one_a4_landscape_page(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf)
    assert len(pages) == 1
    box = pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_LANDSCAPE, abs=0.5)


@pytest.fixture
def course(app):
    return make_course("digital-gard", title=NORWEGIAN_TITLE)


@pytest.fixture
def learner(make_user):
    return make_user("learner", name=NORWEGIAN_NAME)


def test_certificate_is_one_a4_landscape_page_with_name_title_code_and_url(learner, course):
    cert = make_certificate(learner, course, stage=2, signer_name="Kari Løvås", signer_title="Daglig leder")
    pdf = render_certificate_pdf(cert)
    assert_one_a4_landscape_page(pdf)
    text = pdf_text(pdf)
    for expected in (NORWEGIAN_NAME, NORWEGIAN_TITLE, "Stage 2", "Test Næringshage", "Kari Løvås", "Daglig leder",
                     "3 hours", "Dec 3, 2026", format_code(cert.code), verify_url(cert.code)):
        assert expected in text, expected
    assert verify_url(cert.code) == f"http://localhost/verify/{format_code(cert.code)}"
    assert "REVOKED" not in text


def test_norwegian_letters_and_punctuation_survive(learner, course):
    cert = make_certificate(learner, course, learner_name="Æsa Øvre-Åsen Lærkesløyfe",
                            course_title="Drift – «fra fjøs til sky» · æøå ÆØÅ", provider_name="Nærings­hage Sør")
    text = pdf_text(render_certificate_pdf(cert))
    assert "Æsa Øvre-Åsen Lærkesløyfe" in text
    assert "Drift – «fra fjøs til sky» · æøå ÆØÅ" in text


@pytest.mark.parametrize("language, provider_label, stage, date", [
    ("nb", "KURSTILBYDER", "Trinn 2", "3. des. 2026"),
    ("nn", "KURSTILBYDAR", "Trinn 2", "3. des. 2026"),
    ("en", "PROVIDER", "Stage 2", "Dec 3, 2026"),
])
def test_each_language_renders_its_own_labels(learner, course, language, provider_label, stage, date):
    cert = make_certificate(learner, course, stage=2, language=language)
    text = pdf_text(render_certificate_pdf(cert))
    assert provider_label in text and stage in text and date in text
    with force_locale(language):  # the new labels, as the catalogues give them (English until translated)
        labels = [gettext("This is to certify that"), gettext("has completed the course")]
    assert all(label in text for label in labels)


def test_an_unknown_language_renders_in_the_default(learner, course):
    cert = make_certificate(learner, course, language="de")
    assert "Dec 3, 2026" in pdf_text(render_certificate_pdf(cert))  # the tests' default locale is English


def test_valid_until_is_shown_when_the_certificate_expires(learner, course):
    cert = make_certificate(learner, course, valid_until=datetime(2029, 12, 3, tzinfo=timezone.utc))
    text = pdf_text(render_certificate_pdf(cert))
    assert "VALID UNTIL" in text and "Dec 3, 2029" in text  # labels are set in capitals


def test_revoked_certificate_is_stamped(learner, course):
    cert = make_certificate(learner, course, revoked_at=datetime(2027, 1, 5, 9, tzinfo=timezone.utc),
                            revoked_reason="issued_in_error")
    pdf = render_certificate_pdf(cert)
    assert_one_a4_landscape_page(pdf)
    text = pdf_text(pdf)
    assert "REVOKED" in text
    assert "revoked on Jan 5, 2027 and is no longer valid" in text


def test_very_long_names_still_fit_on_one_page(learner, course):
    cert = make_certificate(learner, course, learner_name="Å" * 20 + " Ødegård" * 20, course_title="Lang " * 60,
                            signer_title="Styreleder og daglig leder " * 5)
    assert_one_a4_landscape_page(render_certificate_pdf(cert))


def test_firm_certificate_says_which_firm_completed_which_course(course):
    firm = make_firm(VALID_ORGNRS[1], "Bjørnæs Gårdsdrift AS")
    fc = make_firm_certificate(firm, course, stage=3)
    pdf = render_firm_certificate_pdf(fc, "en")
    assert_one_a4_landscape_page(pdf)
    text = " ".join(pdf_text(pdf).split())
    assert (f"Bjørnæs Gårdsdrift AS has completed the course {NORWEGIAN_TITLE} (Stage 3) with Test Næringshage"
            in text)
    assert "986 399 445" in text and format_code(fc.code) in text and verify_url(fc.code) in text
    assert "KURSTILBYDER" in pdf_text(render_firm_certificate_pdf(fc, "nb"))


def test_revoked_firm_certificate_is_stamped(course):
    fc = make_firm_certificate(make_firm(), course, revoked_at=datetime(2027, 1, 5, tzinfo=timezone.utc))
    assert "REVOKED" in pdf_text(render_firm_certificate_pdf(fc))


@pytest.mark.parametrize("minutes, text", [(0, ""), (None, ""), (10, "0.5 hours"), (60, "1 hour"), (90, "1.5 hours"),
                                           (100, "1.5 hours"), (180, "3 hours"), (195, "3.5 hours")])
def test_hours_round_to_the_nearest_half_hour(app, minutes, text):
    with force_locale("en"):
        assert hours_text(minutes) == text


def test_qr_code_decodes_to_the_verify_url(learner, course, tmp_path):
    """A real decoder (zbarimg) reads the QR code off the rendered page (pdftoppm), as a phone would off paper."""
    assert shutil.which("pdftoppm") and shutil.which("zbarimg"), "apt-get install poppler-utils zbar-tools"
    cert = make_certificate(learner, course)
    (tmp_path / "c.pdf").write_bytes(render_certificate_pdf(cert))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", tmp_path / "c.png"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert decoded == verify_url(cert.code)


# --- The renderer fetches nothing but the app's static files ---------------------------------------------------------

def test_fetcher_serves_static_files_and_refuses_everything_else(app):
    root = certificate_pdf.static_root()
    fetcher = StaticFilesOnly(root)
    stylesheet = (root / "css" / "certificate.css").as_uri()
    assert fetcher.fetch(stylesheet).read().startswith(b"/*")
    for url in ("https://example.com/logo.png", "http://127.0.0.1:5000/static/css/app.css", "ftp://example.com/x",
                "data:image/png;base64,iVBORw0KGgo=", "file:///etc/passwd", f"{root.as_uri()}/../../pyproject.toml",
                f"{root.as_uri()}/css/../../__init__.py", "file://example.com/etc/passwd", "//example.com/x.png"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_rendering_never_fetches_a_remote_url(app):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _CountingHandler.hits = []
    try:
        html = (f'<html><head><link rel="stylesheet" href="{base}/x.css"><style>@import url("{base}/i.css");'
                f'body {{ background: url("{base}/bg.png") }}</style></head><body><img src="{base}/a.png">'
                f'<img src="file:///etc/hostname"><link rel="stylesheet" href="css/certificate.css"></body></html>')
        pdf = certificate_pdf.html_to_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
    assert _CountingHandler.hits == []
    box = pdf_pages(pdf)[0].mediabox  # the static stylesheet was loaded: its @page makes the page landscape
    assert float(box.width) > float(box.height)
