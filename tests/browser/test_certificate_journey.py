"""Browser journey (issue 9): a learner completes a demo course in chromium, downloads the certificate PDF with the
browser's own session, and the QR code on the rendered page (pdftoppm) is read by a real decoder (zbarimg) into
the public verification URL.

Two steps belong to the issuing engineer's branch and stand in here until it is merged (marked TODO(lead)): issuing
(their completion issues the certificate in the same transaction) and the verification page that says "valid".
"""
import shutil
import subprocess
import uuid
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Completion, Course, User
from courseware.services.certificate_links import format_code

from ..certificate_factory import make_certificate
from ..learning_factory import VALID_ORGNRS, make_firm
from .test_foundation_journey import VIEWPORTS
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


def stand_in_for_issuing(app, email: str) -> str:
    """The certificate issuing would have made on completion; its code. TODO(lead): remove once issuing is merged."""
    with app.app_context():
        user = db.session.execute(select(User).filter_by(email=email)).scalar_one()
        course = db.session.execute(select(Course).filter_by(slug=SLUG)).scalar_one()
        completion = db.session.execute(select(Completion).filter_by(user_id=user.id, course_id=course.id)).scalar_one()
        code = make_certificate(user, course, completion_id=completion.id, language="nb",
                                provider_name="Demo Næringshage").code
        db.session.remove()
    return code


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

    code = stand_in_for_issuing(app, email)
    # TODO(lead): with issuing and its "Mine kurs" slot merged, take the link the learner sees instead:
    # page.goto(base + "/me/courses")
    # with page.expect_download() as download:
    #     page.locator(f"a[href$='/me/certificates/{format_code(code)}.pdf']").click()
    # pdf = download.value.path().read_bytes()
    response = page.request.get(base + f"/me/certificates/{format_code(code)}.pdf")  # the browser's session
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert "Åse Ødegård Bjørnæs" in PdfReader(BytesIO(pdf)).pages[0].extract_text()

    (tmp_path / "kursbevis.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", tmp_path / "kursbevis.pdf", tmp_path / "side"],
                   check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", tmp_path / "side.png"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert decoded == f"{base}/verify/{format_code(code)}"

    # TODO(lead): with the verification page (verify.certificate) merged, open what the QR code says and see "valid":
    # page.goto(decoded)
    # assert page.locator("main").get_by_text("Gyldig").count() >= 1  # "Valid" in bokmål
    # assert_accessible(page, "verification page")  # from .test_foundation_journey import assert_accessible
    context.close()
