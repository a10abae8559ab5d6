"""Browser journey (issue 9): a learner completes a demo course in chromium, downloads the certificate PDF from "Mine
kurs", and the QR code on the rendered page (pdftoppm) is read by a real decoder (zbarimg); that URL, opened in the
browser, says the certificate is valid; an administrator revokes it, and the same URL says so at once."""
import shutil
import subprocess
import uuid
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Certificate, User
from courseware.services.certificate_codes import format_code

from ..learning_factory import VALID_ORGNRS, make_firm
from .test_foundation_journey import VIEWPORTS, assert_accessible
from .test_learning_journey import PASSWORD, answer_quiz, modules_of, submit_main_form

SLUG = "digital-drift-reiseliv-trinn-1"  # the shortest demo course (5 modules)


def make_learner(app, email: str) -> None:
    """A confirmed learner in a firm (the demo courses are for firms' employees)."""
    from courseware.services.accounts import create_user

    with app.app_context():
        firm = make_firm(VALID_ORGNRS[5], "Sjøbua Overnatting AS")
        user = create_user(email=email, name="Åse Ødegård Bjørnæs", password=PASSWORD, role="learner",
                           verified=True)
        user.firm_id = firm.id
        db.session.commit()
        db.session.remove()


def certificate_of(app, email: str) -> str:
    """The code of the certificate completing the course issued (in the same transaction as the completion)."""
    with app.app_context():
        user = db.session.execute(select(User).filter_by(email=email)).scalar_one()
        code = db.session.execute(select(Certificate.code).filter_by(user_id=user.id)).scalar_one()
        db.session.remove()
    return code


def revoke(app, code: str) -> None:
    """An administrator revokes the certificate (the studio's form does the same; tested on its own)."""
    from courseware.services import certificate_admin
    from courseware.services.accounts import create_user

    with app.app_context():
        admin = create_user(email=f"admin-{code.lower()}@example.no", name="Ada Admin", password=PASSWORD, role="admin")
        certificate = db.session.execute(select(Certificate).filter_by(code=code)).scalar_one()
        certificate_admin.revoke(admin, certificate, "issued_in_error", "test")
        db.session.commit()
        db.session.remove()


def test_complete_download_the_certificate_and_decode_its_qr_code(browser, live_server, tmp_path):
    assert shutil.which("pdftoppm") and shutil.which("zbarimg"), "apt-get install poppler-utils zbar-tools"
    base, app = live_server
    app.config["BASE_URL"] = base  # the QR code then points at this live server
    email = f"ase-{uuid.uuid4().hex[:6]}@example.no"
    make_learner(app, email)
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)
    page = context.new_page()

    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit_main_form(page)
    page.goto(base + f"/courses/{SLUG}")
    page.locator(".course-status form button[type=submit]").first.click()
    page.wait_for_load_state()
    for module in modules_of(SLUG):
        page.goto(base + f"/courses/{SLUG}/{module['key']}")
        page.locator("#activity form[action$='/read'] button").click()
        page.wait_for_load_state()
        for index in range(len(module.get("tasks", []))):
            page.locator(f"#activity form[action$='/tasks/{index}'] button").click()
            page.wait_for_load_state()
        if module.get("quiz"):
            answer_quiz(page, module["quiz"], right=True)
    page.goto(base + f"/courses/{SLUG}")
    assert "Fullført" in page.content()

    code = certificate_of(app, email)
    page.goto(base + "/me/courses")
    with page.expect_download() as download:
        page.locator(f"a[href$='/me/certificates/{format_code(code)}.pdf']").click()
    pdf = download.value.path().read_bytes()
    assert "Åse Ødegård Bjørnæs" in PdfReader(BytesIO(pdf)).pages[0].extract_text()

    (tmp_path / "kursbevis.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", tmp_path / "kursbevis.pdf", tmp_path / "side"],
                   check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", tmp_path / "side.png"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert decoded == f"{base}/verify/{format_code(code)}"

    visitor = browser.new_context(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)
    check = visitor.new_page()  # anyone, not logged in, from the QR code on paper
    check.goto(decoded)
    assert check.locator(".cert-status.valid").count() == 1 and "Åse Ødegård Bjørnæs" in check.content()
    assert_accessible(check, "verification page")
    revoke(app, code)
    check.reload()
    assert check.locator(".cert-status.revoked").count() == 1 and check.locator(".cert-status.valid").count() == 0
    visitor.close()
    context.close()
