"""Browser journey (issue 10): a funder opens the dashboard on a phone, filters by municipality with the form (the
filter lands in the URL), sees each chart draw exactly its table's numbers (small counts hidden), downloads a table as XLSX; a provider's author
sees the studio's reports of their own courses. axe-core checks the pages."""
import io
import uuid

import openpyxl

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


CHARTS_AND_TABLES = """() => Array.from(document.querySelectorAll("figure.report-chart")).map(figure => {
  const table = Array.from(document.querySelectorAll("table.report-table"))
    .find(t => figure.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
  const chart = Chart.getChart(figure.querySelector("canvas"));
  const rows = Array.from(table.querySelectorAll("tbody tr"));
  const value = row => { const v = row.querySelector("td[data-value]").dataset.value; return v === "" ? null : Number(v); };
  return {table: table.id, labels: chart.data.labels.map(String), data: chart.data.datasets[0].data,
          rowLabels: rows.map(r => r.querySelector("th").textContent.trim()), rowValues: rows.map(value)};
})"""


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
    charts = funder.evaluate(CHARTS_AND_TABLES)
    assert {chart["table"] for chart in charts} >= {"table-municipality", "table-industry"}
    for chart in charts:  # each chart draws exactly its table's numbers (a hidden "<5" as no bar: null)
        assert chart["labels"] == chart["rowLabels"] and chart["data"] == chart["rowValues"], chart
    with funder.expect_download() as download:
        funder.locator("#t-month ~ .export a, .report-section:has(#t-month) .export a").first.click()
    assert download.value.suggested_filename == "report-month.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    month_rows = funder.locator("#table-month tbody tr th").all_inner_texts()
    assert [str(row[0]) for row in rows[1:len(month_rows) + 1]] == [label.strip() for label in month_rows]

    author = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO").new_page()
    _log_in(author, base, emails["author"])
    author.goto(base + "/studio/reports")
    assert author.locator('.report-totals dd[data-key="enrolments"]').inner_text() != "0"
    assert_accessible(author, "studio reports, desktop")
    assert author.goto(base + "/reports/").status == 403
