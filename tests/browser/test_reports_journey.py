"""Browser journey (issue 10): a funder opens the dashboard on a phone, filters by municipality with the form (the
filter lands in the URL), sees the tables with small counts hidden, downloads a table as CSV; a provider's author
sees the studio's reports of their own courses. axe-core checks the pages."""
import uuid

from .test_foundation_journey import VIEWPORTS, assert_accessible

SLUG = "digitalisering-landbruket-trinn-1"
PASSWORD = "Sterkt-passord-2026"


def _people(app, suffix):
    """Six learners of two firms in two municipalities who enrolled in a demo course (three completed it), a
    funder, and the course provider's author."""
    from courseware.extensions import db
    from courseware.models import Firm
    from courseware.services import catalogue, enrolment, learning
    from courseware.services.accounts import create_user

    with app.app_context():
        course = catalogue.get_course(SLUG)
        places = (("974760673", "5001"), ("912660680", "5006"))
        firms = [Firm(orgnr=orgnr, name=f"Firma {orgnr} {suffix}", municipality_code=code, industry_section="A",
                      size_band="0-9", source="brreg") for orgnr, code in places]
        db.session.add_all(firms)
        db.session.flush()
        for n in range(6):
            learner = create_user(email=f"l{n}-{suffix}@example.no", name=f"Lærer {n}", password=PASSWORD,
                                  verified=True)
            learner.firm_id = firms[n % 2].id
            enrolment.enrol(learner, course)
            if n < 3:
                learning.complete_course(learner, course, course.current_version)
        emails = {role: f"{role}-{suffix}@example.no" for role in ("funder", "author")}
        create_user(email=emails["funder"], name="Frida Finansierer", password=PASSWORD, role="funder",
                    verified=True)
        create_user(email=emails["author"], name="Anne Forfatter", password=PASSWORD, role="author",
                    provider=course.provider, verified=True)
        db.session.commit()
        db.session.remove()
    return emails


def _log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_funder_filters_by_municipality_and_downloads(browser, live_server):
    base, app = live_server
    emails = _people(app, uuid.uuid4().hex[:6])
    phone = dict(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)
    funder = browser.new_context(**phone, accept_downloads=True).new_page()
    _log_in(funder, base, emails["funder"])
    funder.goto(base + "/reports/")
    assert funder.locator("#table-municipality tbody tr").count() == 2
    assert_accessible(funder, "reports, phone")
    funder.select_option("#f-municipality", "5001")
    funder.locator("form.report-filters button[type=submit]").click()
    funder.wait_for_url("**/reports/?*municipality=5001*")
    assert funder.locator("#table-municipality tbody tr").count() == 1
    enrolled = funder.locator('.report-totals dd[data-key="enrolments"]').inner_text()
    assert enrolled == "<5"  # three people in Trondheim: hidden
    assert_accessible(funder, "reports filtered, phone")
    with funder.expect_download() as download:
        funder.locator("#t-month ~ .export a, .report-section:has(#t-month) .export a").first.click()
    assert download.value.suggested_filename == "report-month.csv"

    author = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO").new_page()
    _log_in(author, base, emails["author"])
    author.goto(base + "/studio/reports")
    assert author.locator('.report-totals dd[data-key="enrolments"]').inner_text() != "0"
    assert_accessible(author, "studio reports, desktop")
    assert author.goto(base + "/reports/").status == 403
