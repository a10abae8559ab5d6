"""Browser journey (issue 14) on a phone: a firm's contact person is asked for a baseline when the firm enrols in a
stage, fills it in (answers saved as they go: a reload keeps them), finishes it; a colleague completes the stage,
the contact person fills in the follow-up and sees both in the chart and its table. axe-core checks the question,
finish and result pages."""
import re

import pytest
from playwright.sync_api import expect

from .test_foundation_journey import VIEWPORTS, assert_accessible

PASSWORD = "Sterkt-passord-2026"
SLUG = "digitalisering-landbruket-trinn-1"
ORGNR = "986399445"


def setup_firm(app):
    """A firm with its contact person and a colleague (made server-side: this journey is about the assessment)."""
    from courseware.extensions import db
    from courseware.models import Firm, utcnow
    from courseware.services.accounts import create_user

    with app.app_context():
        firm = Firm(orgnr=ORGNR, name="Modenhet AS", municipality_code="5001", industry_section="A",
                    size_band="0-9")
        db.session.add(firm)
        db.session.flush()
        contact = create_user(email="kontakt-dma@example.no", name="Kari Kontakt", password=PASSWORD,
                              role="learner")
        colleague = create_user(email="kollega-dma@example.no", name="Ola Kollega", password=PASSWORD,
                                role="learner")
        for person in (contact, colleague):
            person.firm_id, person.email_verified_at = firm.id, utcnow()
        contact.is_firm_contact = True
        firm.verified_via, firm.verified_at = "admin", utcnow()
        db.session.commit()
        ids = (firm.id, contact.id, colleague.id)
        db.session.remove()
    return ids


def as_server(app, action):
    from courseware.extensions import db

    with app.app_context():
        result = action()
        db.session.commit()
        db.session.remove()
    return result


def enrol_colleague(app, colleague_id):
    from courseware.extensions import db
    from courseware.models import User
    from courseware.services import enrolment
    from courseware.services.catalogue import get_course

    as_server(app, lambda: enrolment.enrol(db.session.get(User, colleague_id), get_course(SLUG)))


def complete_stage(app, colleague_id):
    from courseware.extensions import db
    from courseware.models import User
    from courseware.services import learning
    from courseware.services.catalogue import get_course

    def complete():
        course = get_course(SLUG)
        learning.complete_course(db.session.get(User, colleague_id), course, course.current_version)

    as_server(app, complete)


def log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def fill_part(page, level: int, tick: int):
    """Answer the part on screen: every scale item at `level` (or its highest), the first `tick` boxes of each list."""
    for fieldset in page.locator("fieldset.dma-question").all():
        if fieldset.get_attribute("data-type") == "checklist":
            boxes = fieldset.locator("input[type=checkbox]").all()
            for box in boxes[:tick]:
                box.check()
        else:
            for item in fieldset.locator("fieldset.dma-item").all():
                radios = item.locator("input[type=radio]").all()
                radios[min(level, len(radios) - 1)].check()


def fill_all(page, level: int, tick: int, check_first=False):
    while "/finish" not in page.url:
        fill_part(page, level, tick)
        if check_first:
            assert_accessible(page, "assessment part")
            check_first = False
        page.locator("button[name=go][value=next]").click()
        page.wait_for_load_state()


@pytest.mark.parametrize("viewport", ["phone"])
def test_baseline_and_follow_up_on_a_phone(browser, live_server, viewport):
    base, app = live_server
    _firm_id, _contact_id, colleague_id = setup_firm(app)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nb-NO", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    enrol_colleague(app, colleague_id)  # the firm's first enrolment in stage 1 asks for a baseline
    log_in(page, base, "kontakt-dma@example.no")
    page.goto(base + "/firm/")
    page.locator("a[href='/firm/maturity']").click()
    page.wait_for_load_state()
    page.locator("main a[href^='/firm/maturity/']").first.click()  # continue the requested assessment
    page.wait_for_load_state()
    assert page.url.endswith("/strategy")

    # Autosave: a ticked box is saved without pressing anything, and is still there after a reload.
    first_box = page.locator("input[name=q2_readiness][value=needs]")
    with page.expect_response(re.compile(r"/autosave$")) as saved:
        first_box.check()
    assert saved.value.status == 200
    page.locator(".dma-status").filter(has_text=re.compile(".+")).wait_for()
    page.reload()
    assert page.locator("input[name=q2_readiness][value=needs]").is_checked()

    # A lost connection loses nothing: the answer waits, the status says it is not saved, and it is sent as soon as
    # the phone is back online.
    texts = page.locator("form[data-autosave]")
    status = page.locator(".dma-status")
    context.set_offline(True)
    page.locator("input[name=q2_readiness][value=financing]").check()
    expect(status).to_have_text(texts.get_attribute("data-text-failed"))
    with page.expect_response(re.compile(r"/autosave$")) as saved:
        context.set_offline(False)
    assert saved.value.status == 200
    expect(status).to_have_text(texts.get_attribute("data-text-saved"))
    page.reload()
    assert page.locator("input[name=q2_readiness][value=financing]").is_checked()

    fill_all(page, level=1, tick=3, check_first=True)
    assert_accessible(page, "finish")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("table.dma-table tbody tr").count() == 6
    assert page.locator("th[data-series=before]").count() == 0

    complete_stage(app, colleague_id)  # completing the stage asks for a follow-up
    page.goto(base + "/firm/maturity")
    page.locator("main a[href^='/firm/maturity/']").first.click()
    page.wait_for_load_state()
    fill_all(page, level=4, tick=6)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # Both in the chart and its table: the baseline beside the follow-up.
    assert page.locator("th[data-series=before]").count() == 1
    assert page.locator("th[data-series=after]").count() == 1
    page.locator("figure.report-chart canvas").wait_for()
    label = page.locator("figure.report-chart canvas").get_attribute("aria-label")
    assert label and "0" in label
    changes = page.locator("table.dma-table tbody tr td:nth-child(4)").all_text_contents()
    assert len(changes) == 6 and all(text.startswith("+") for text in changes)
    assert_accessible(page, "result")
    page.goto(base + "/firm/maturity")
    assert page.locator("th[data-series=before]").count() == 1
    assert_accessible(page, "maturity overview")
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    # A funder sees the firm's change only as a group too small to show.
    from courseware.services.accounts import create_user

    as_server(app, lambda: create_user(email="funder-dma@example.no", name="Finn Funder", password=PASSWORD,
                                       role="funder"))
    funder_ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="nb-NO", is_mobile=True, has_touch=True)
    funder = funder_ctx.new_page()
    log_in(funder, base, "funder-dma@example.no")
    funder.goto(base + "/reports/")
    section = funder.locator("section.dma-report")
    assert section.locator("table").count() == 6
    assert "<5" in section.locator("table").first.locator("tfoot").inner_text()
    assert_accessible(funder, "reports with digital maturity")
    funder_ctx.close()
