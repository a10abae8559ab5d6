"""Browser journey (issues 3 and 7): a contact person registers (confirming the address by the e-mailed link) and
registers the firm by orgnr, unverified; an administrator verifies them; a colleague asks to join and the contact
person approves; the colleague shares their progress, enrols, reads, ticks tasks, fails a quiz, passes it, finishes
every module and sees 100 % and "Fullført", while the contact person sees the steps done along the way and then the
completion. axe-core checks the firm, admin firm, requests, module, quiz result and "Mine kurs" pages."""
import uuid
from pathlib import Path

import pytest
import yaml

from .test_foundation_journey import VIEWPORTS, assert_accessible
from .test_foundation_journey import register as register_account

REPO = Path(__file__).resolve().parents[2]
SLUG = "digital-drift-reiseliv-trinn-1"
ORGNR = "123456785"
PASSWORD = "Sterkt-passord-2026"


def modules_of(slug):
    """Front matter of the demo course's modules, in file order (the browser needs to know the right answers)."""
    found = []
    for path in sorted((REPO / "courses" / slug / "modules").glob("*.md")):
        front = path.read_text("utf-8").split("---")[1]
        found.append(yaml.safe_load(front))
    return found


def register(page, base, name, email):
    """Register and open the confirmation link from the e-mail, which logs the new account in."""
    register_account(page, base, name, email, PASSWORD)
    assert "/auth/" not in page.url


def colleague_progress(contact, base, name):
    """The percentage the contact person's firm page shows for a colleague's course (None: no progress bar)."""
    contact.goto(base + "/firm/")
    member = contact.locator(".member", has_text=name)
    bar = member.locator(".progress[role=progressbar]")
    return int(bar.first.get_attribute("aria-valuenow")) if bar.count() else None


def make_admin(app, email):
    from courseware.extensions import db
    from courseware.services.accounts import create_user

    with app.app_context():
        create_user(email=email, name="Ada Admin", password=PASSWORD, role="admin")
        db.session.commit()
        db.session.remove()


def submit_main_form(page):
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_load_state()


def answer_quiz(page, quiz, right: bool):
    for question in quiz["questions"]:
        choices = question["correct"] if right else question["wrong"][:1]
        for text in choices:
            page.locator("#quiz label.check", has_text=str(text)).first.locator("input").check()
    page.locator("#quiz button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", ["phone"])
def test_firm_learning_journey(browser, live_server, viewport):
    base, app = live_server
    suffix = uuid.uuid4().hex[:6]
    contact_ctx = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO")
    learner_ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="nb-NO", is_mobile=True, has_touch=True)
    admin_ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="nb-NO", is_mobile=True, has_touch=True)
    contact, learner, admin = contact_ctx.new_page(), learner_ctx.new_page(), admin_ctx.new_page()

    # the contact person registers the firm by orgnr
    register(contact, base, "Kari Kontakt", f"kari-{suffix}@example.no")
    contact.goto(base + "/firm/register")
    contact.fill("#orgnr", "123 456 789")  # wrong check digit: a clear message, nothing saved
    submit_main_form(contact)
    assert contact.locator(".error").count() >= 1
    contact.fill("#orgnr", ORGNR[:3] + " " + ORGNR[3:6] + " " + ORGNR[6:])
    submit_main_form(contact)
    contact.fill("#name", "Fjellstua Overnatting AS (DEMO)")
    contact.select_option("#municipality", "5025")
    contact.select_option("#industry_section", "I")
    contact.select_option("#size_band", "0-9")
    submit_main_form(contact)
    assert "123 456 785" in contact.content() and contact.locator("h1 .tag-warn").count() == 1  # not verified
    assert_accessible(contact, "firm page")

    # an administrator verifies the contact person
    make_admin(app, f"ada-{suffix}@example.no")
    admin.goto(base + "/auth/login")
    admin.fill("#email", f"ada-{suffix}@example.no")
    admin.fill("#password", PASSWORD)
    submit_main_form(admin)
    admin.goto(base + "/admin/firms?unverified=1")
    admin.get_by_role("link", name="Fjellstua Overnatting AS (DEMO)").click()
    admin.wait_for_load_state()
    assert_accessible(admin, "admin firm page")
    admin.locator("main form[action$='/verify'] button").click()
    admin.wait_for_load_state()
    assert admin.locator("h1 .tag-warn").count() == 0

    # a colleague asks to join the same firm by its orgnr, and the contact person approves
    register(learner, base, "Ola Nordmann", f"ola-{suffix}@example.no")
    learner.goto(base + "/firm/register")
    learner.fill("#orgnr", ORGNR)
    submit_main_form(learner)
    assert "Fjellstua Overnatting AS (DEMO)" in learner.content()
    submit_main_form(learner)
    assert_accessible(learner, "firm page with a pending request")
    contact.goto(base + "/firm/requests")
    assert "Ola Nordmann" in contact.content()
    assert_accessible(contact, "requests to join")
    contact.locator("main form[action$='/approve'] button").click()
    contact.wait_for_load_state()

    # the colleague lets the contact person see their detailed progress, and enrols
    learner.goto(base + "/me/profile")
    learner.locator("#share_progress").check()
    learner.locator("form:has(#share_progress) button[type=submit]").click()
    learner.wait_for_load_state()
    learner.goto(base + f"/courses/{SLUG}")
    learner.locator(".course-status form button[type=submit]").first.click()
    learner.wait_for_load_state()

    modules = modules_of(SLUG)
    for number, module in enumerate(modules):
        learner.goto(base + f"/courses/{SLUG}/{module['key']}")
        learner.locator("#activity form[action$='/read'] button").click()
        learner.wait_for_load_state()
        for index in range(len(module.get("tasks", []))):
            learner.locator(f"#activity form[action$='/tasks/{index}'] button").click()
            learner.wait_for_load_state()
        if number == 0:
            assert 0 < colleague_progress(contact, base, "Ola Nordmann") < 100  # read and ticked, quiz not passed
            answer_quiz(learner, module["quiz"], right=False)
            assert learner.locator(".quiz-result, main").first.is_visible()
            assert_accessible(learner, "quiz result (failed)")
            learner.goto(base + f"/courses/{SLUG}/{module['key']}")
            assert_accessible(learner, "module page with activity")
        answer_quiz(learner, module["quiz"], right=True)

    learner.goto(base + f"/courses/{SLUG}")
    assert "Fullført" in learner.content()
    assert learner.locator(".progress[aria-valuenow='100']").count() >= 1
    learner.goto(base + "/me/courses")
    assert "Fullført" in learner.content()
    assert_accessible(learner, "Mine kurs")

    # the contact person sees the colleague's completion
    contact.goto(base + "/firm/")
    row = contact.locator("main", has_text="Ola Nordmann")
    assert row.count() >= 1
    assert "Digital drift i reiselivsbedrifter" in contact.content()
    assert_accessible(contact, "firm page with completion")
    contact.locator("main a[href*='/members/'][href$='/remove']").first.click()
    contact.wait_for_load_state()
    assert_accessible(contact, "remove a member")
    contact.goto(base + "/firm/contact")
    assert "Ola Nordmann" in contact.content()
    assert_accessible(contact, "hand over the contact role")
    contact_ctx.close()
    learner_ctx.close()
    admin_ctx.close()
