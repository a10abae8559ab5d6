"""Browser journey: a funder on a phone looks a firm up in the completion register (a mistyped orgnr first, then the
VAT form from an invoice), and an administrator creates and revokes an API token; axe-core checks every page and
no page scrolls sideways."""
import uuid

from .test_foundation_journey import VIEWPORTS, assert_accessible

SLUG = "digitalisering-landbruket-trinn-1"
PASSWORD = "Sterkt-passord-2026"
ORGNR = "942110464"


def _people(app, suffix):
    """A firm whose employee completed the demo course, a funder and an administrator; their e-mail addresses."""
    from courseware.extensions import db
    from courseware.models import Firm, utcnow
    from courseware.services import catalogue, enrolment, learning
    from courseware.services.accounts import create_user

    with app.app_context():
        course = catalogue.get_course(SLUG)
        firm = Firm(orgnr=ORGNR, name=f"Fjellgården AS {suffix}", municipality_code="5001", industry_section="A",
                    size_band="0-9", verified_via="admin", verified_at=utcnow())
        db.session.add(firm)
        db.session.flush()
        emails = {role: f"{role}-{suffix}@example.no" for role in ("learner", "funder", "admin")}
        learner = create_user(email=emails["learner"], name="Kari Fjell", password=PASSWORD, verified=True)
        learner.firm_id = firm.id
        create_user(email=emails["funder"], name="Frida Funder", password=PASSWORD, role="funder", verified=True)
        create_user(email=emails["admin"], name="Ada Admin", password=PASSWORD, role="admin", verified=True)
        enrolment.enrol(learner, course)
        learning.complete_course(learner, course, course.current_version)
        db.session.commit()
        db.session.remove()
    return emails


def _log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def _fits(page, what):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), what
    assert_accessible(page, what)


def test_register_look_up_and_api_tokens_on_a_phone(browser, live_server):
    base, app = live_server
    emails = _people(app, uuid.uuid4().hex[:6])
    phone = dict(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)

    funder = browser.new_context(**phone).new_page()
    _log_in(funder, base, emails["funder"])
    funder.goto(base + "/reports/register")
    assert "Fjellgården AS" in funder.locator("main").inner_text()
    _fits(funder, "completion register")
    funder.fill("#orgnr", "942 110 465")
    funder.locator(".lookup-form button[type=submit]").click()
    funder.wait_for_load_state()
    assert funder.locator("#orgnr-error").is_visible()
    _fits(funder, "register with a mistyped orgnr")
    funder.fill("#orgnr", "NO 942 110 464 MVA")
    funder.locator(".lookup-form button[type=submit]").click()
    funder.wait_for_url(f"**/reports/register/{ORGNR}")
    assert "942 110 464" in funder.locator("main").inner_text()
    _fits(funder, "a firm in the register")

    admin = browser.new_context(**phone).new_page()
    _log_in(admin, base, emails["admin"])
    admin.goto(base + "/admin/api-tokens")
    _fits(admin, "API tokens")
    admin.fill("#name", "Innovasjon Norge BI")
    admin.locator("main form[method=post] button[type=submit]").click()
    admin.wait_for_load_state()
    secret = admin.locator("#secret").input_value()
    assert secret.startswith("cw_")
    _fits(admin, "API token created")
    answer = admin.request.get(base + "/api/v1/reports/register", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["items"][0]["orgnr"] == ORGNR
    admin.goto(base + "/admin/api-tokens")
    assert secret not in admin.content()
    admin.locator("main table a").first.click()  # "Revoke", the only link in the table
    admin.wait_for_load_state()
    _fits(admin, "revoke API token")
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url("**/admin/api-tokens")
    refused = admin.request.get(base + "/api/v1/reports/register", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
