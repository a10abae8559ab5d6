"""Browser journey (issue 2): register, log out, log in, open a course and a module, on a phone and a desktop,
with axe-core finding no serious or critical accessibility violation on any of these pages."""
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import MAIL

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SLUG = "digitalisering-landbruket-trinn-1"
axe = Axe()


def assert_accessible(page, what):
    results = axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{what}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad)


def register(page, base, name, email, password, *, check_accessible=False, next_path=None):
    """Register, then open the confirmation link from the e-mail (taken from the log), which logs the new
    account in and leads to `next_path` (or the front page)."""
    page.goto(base + "/auth/register" + (f"?next={next_path}" if next_path else ""))
    if check_accessible:
        assert_accessible(page, "register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_url("**/auth/register/check-inbox")
    if check_accessible:
        assert_accessible(page, "check your inbox")
    page.goto(base + MAIL.link(email, "/auth/confirm/"))
    page.wait_for_load_state()


@pytest.fixture(params=list(VIEWPORTS))
def device_page(request, browser, live_server):
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="nb-NO",
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_register_login_course_and_module(device_page, live_server):
    base, _app = live_server
    page = device_page
    email = f"ase-{uuid.uuid4().hex[:8]}@example.no"

    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page, "catalogue")

    register(page, base, "Åse Ødegård Bjørnæs", email, "Sterkt-passord-2026", check_accessible=True)
    assert "/auth/register" not in page.url

    # log out, then log in again
    page.goto(base + "/")
    logout = page.locator("form[action$='/auth/logout'] button")
    if not logout.is_visible():
        pytest.fail("the log-out button must be reachable on every viewport")
    logout.click()
    page.goto(base + "/auth/login")
    assert_accessible(page, "login")
    page.fill("#email", email)
    page.fill("#password", "Sterkt-passord-2026")
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url

    page.goto(base + "/")
    page.get_by_role("link", name="Digitalisering i landbruket – Trinn 1").first.click()
    page.wait_for_url(f"**/courses/{SLUG}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Digitalisering i landbruket")
    assert_accessible(page, "course page")

    first_module = page.locator(".module-list a").first
    title = first_module.inner_text()
    first_module.click()
    page.wait_for_load_state()
    assert title in page.content()
    assert page.locator("article.prose").is_visible()
    # module images load from the package's assets
    images = page.locator("article.prose img")
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page, "module page")
    # no horizontal scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_language_switch_in_browser(device_page, live_server):
    base, _app = live_server
    page = device_page
    page.goto(base + "/")
    page.select_option("#lang-select", "en")
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.select_option("#lang-select", "nb")
    page.locator(".language-form button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "nb"


def test_catalogue_filters_fold_on_a_phone_and_show_on_a_desktop(device_page, live_server):
    base, _app = live_server
    page = device_page
    page.goto(base + "/")
    provider = page.locator("#provider")
    phone = page.viewport_size["width"] < 600
    assert page.locator("#q").is_visible()
    if phone:
        assert not provider.is_visible()  # folded under "Flere filtre", so the courses start on the first screen
        page.get_by_text("Flere filtre").click()
    assert provider.is_visible()
    page.select_option("#stage", "1")
    page.get_by_role("button", name="Vis kurs").click()
    page.wait_for_load_state()
    assert "stage=1" in page.url
    assert page.locator("#stage").is_visible()  # a chosen filter keeps the fold open
    assert page.locator("details.more-filters").get_attribute("open") is not None
    assert_accessible(page, "catalogue with a filter")


def test_change_password_from_the_profile(device_page, live_server):
    base, _app = live_server
    page = device_page
    email = f"passord-{uuid.uuid4().hex[:8]}@example.no"
    register(page, base, "Per Passord", email, "Gammelt-passord-2026")

    page.goto(base + "/me/profile")
    assert_accessible(page, "profile")
    page.get_by_role("link", name="Endre passord").click()
    page.wait_for_url("**/me/password")
    assert_accessible(page, "change password")
    page.fill("#current", "feil-passord-123")
    page.fill("#password", "Nytt-passord-2026")
    page.fill("#confirm", "Nytt-passord-2026")
    page.get_by_role("button", name="Lagre det nye passordet").click()
    page.wait_for_load_state()
    assert "Passordet du har nå, er ikke riktig." in page.content()
    assert_accessible(page, "change password with an error")
    page.fill("#current", "Gammelt-passord-2026")
    page.fill("#password", "Nytt-passord-2026")
    page.fill("#confirm", "Nytt-passord-2026")
    page.get_by_role("button", name="Lagre det nye passordet").click()
    page.wait_for_url("**/me/profile")
    assert "Det nye passordet er lagret" in page.content()


def test_register_from_a_course_confirm_later_and_enrol(device_page, live_server):
    """Registering from a course page, logging in before confirming: the notice with "send the link again" where
    the enrol button would be; the new link confirms and leads back to the course, on to the next step."""
    base, _app = live_server
    page = device_page
    email = f"sen-{uuid.uuid4().hex[:8]}@example.no"
    page.goto(base + f"/courses/{SLUG}")
    page.locator(".course-status a[href*='/auth/register']").click()
    page.wait_for_url(lambda url: "/auth/register?next=" in url)
    page.fill("#name", "Siri Sen")
    page.fill("#email", email)
    page.fill("#password", "Sterkt-passord-2026")
    page.fill("#confirm", "Sterkt-passord-2026")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/auth/register/check-inbox")
    MAIL.link(email, "/auth/confirm/")  # the first link arrived; she logs in instead of opening it

    page.goto(base + f"/auth/login?next=/courses/{SLUG}")
    page.fill("#email", email)
    page.fill("#password", "Sterkt-passord-2026")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(f"**/courses/{SLUG}")
    notice = page.locator(".confirm-notice")
    assert notice.is_visible() and notice.locator("button[type=submit]").is_visible()
    assert_accessible(page, "course page with the confirmation notice")
    MAIL.wait_for(email, 1)
    notice.locator("button[type=submit]").click()
    page.wait_for_url(f"**/courses/{SLUG}")
    assert page.locator(".flash").count() >= 1

    MAIL.wait_for(email, 2)  # the new link
    link = MAIL.link(email, "/auth/confirm/")
    page.goto(base + link)
    page.wait_for_url(f"**/courses/{SLUG}")
    assert page.locator(".confirm-notice").count() == 0
    # the demo courses are for firms' employees: the next step is the firm (the learning journey enrols)
    assert page.locator(".course-status a[href$='/firm/register']").is_visible()
