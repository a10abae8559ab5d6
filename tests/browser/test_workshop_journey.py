"""Browser journey (issue 15): a resident takes the library's laser-cutter course on a phone; a staff member signs
them off on a tablet; the desk look-up by the pass code (as a hand scanner types the pass's QR text) says "allowed"
until the permission expires, then "expired". axe-core checks the pass, the sign-off page, the desk look-up and the report."""
import uuid
from datetime import timedelta

from .test_certificate_journey import PASSWORD, _log_in
from .test_foundation_journey import VIEWPORTS, assert_accessible
from .test_learning_journey import answer_quiz, modules_of

SLUG = "laserkutter-sikkerhet"
TABLET = {"width": 820, "height": 1180}


def _setup(app, suffix):
    """The demo course's provider (a library, as its course.toml says), with a laser cutter the course grants for 12 months, a staff
    member, and a resident; their e-mail addresses."""
    from courseware.extensions import db
    from courseware.services import catalogue, workshop
    from courseware.services.accounts import create_user

    with app.app_context():
        course = catalogue.get_course(SLUG)
        assert course.provider.kind == "library"
        emails = {role: f"{role}-{suffix}@example.no" for role in ("resident", "staff")}
        staff = create_user(email=emails["staff"], name="Siri Bibliotekar", password=PASSWORD, role="author",
                            provider=course.provider, verified=True)
        create_user(email=emails["resident"], name=f"Rune Innbygger {suffix}", password=PASSWORD, verified=True)
        db.session.flush()
        laser = workshop.add_machine(staff, name="Laserkutter", kind="laser_cutter", room="Verkstedet")
        workshop.set_course_grants(staff, SLUG, machine_ids=[laser.id], min_age="12", consent_under_age="18",
                                   valid_months="12")
        db.session.commit()
        db.session.remove()
    return emails


def _expire(app, email):
    """Move the permission's expiry into the past, as time passing would."""
    from sqlalchemy import select, update

    from courseware.extensions import db
    from courseware.models import MachinePermission, User, utcnow

    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        db.session.execute(update(MachinePermission).where(MachinePermission.user_id == user_id)
                           .values(expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        db.session.remove()


def test_resident_course_staff_sign_off_and_desk_look_up(browser, live_server):
    base, app = live_server
    suffix = uuid.uuid4().hex[:6]
    emails = _setup(app, suffix)
    resident = browser.new_context(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True,
                                   has_touch=True).new_page()
    staff = browser.new_context(viewport=TABLET, locale="nb-NO", is_mobile=True, has_touch=True).new_page()

    # the resident takes the course on a phone: no firm needed
    _log_in(resident, base, emails["resident"])
    resident.goto(base + f"/courses/{SLUG}")
    resident.locator(".course-status form button[type=submit]").first.click()
    resident.wait_for_load_state()
    for module in modules_of(SLUG):
        resident.goto(base + f"/courses/{SLUG}/{module['key']}")
        resident.locator("#activity form[action$='/read'] button").click()
        resident.wait_for_load_state()
        for index in range(len(module.get("tasks", []))):
            resident.locator(f"#activity form[action$='/tasks/{index}'] button").click()
            resident.wait_for_load_state()
        if module.get("quiz"):
            answer_quiz(resident, module["quiz"], right=True)
    resident.goto(base + "/me/workshop-pass")
    assert resident.locator("#pass-permissions").count() == 0  # completed, not signed off yet
    assert resident.locator("#waiting").count() == 1  # told to come to the maker space
    code = resident.locator("#pass-code").inner_text().strip()
    assert code.startswith("VP") and resident.locator(".pass-qr svg").count() == 1
    assert_accessible(resident, "workshop pass before the sign-off")

    # a staff member signs them off on a tablet, from the desk look-up by name
    _log_in(staff, base, emails["staff"])
    staff.goto(base + "/studio/workshop/")
    staff.get_by_role("link", name=f"Rune Innbygger {suffix}").first.click()
    staff.wait_for_load_state()
    form = staff.locator(f"form#sign-off-{SLUG}")
    form.locator("input[name=birth_year]").fill("1990")
    form.locator("textarea[name=note]").fill("Kuttet testfigur, fulgte med hele tiden")
    assert_accessible(staff, "sign-off page")
    form.locator("button[type=submit]").click()
    staff.wait_for_load_state()
    assert staff.locator("#answers [data-state=allowed]").count() == 1

    # the desk scans the pass: the scanner types the QR's URL into the field
    staff.goto(base + "/studio/workshop/desk")
    staff.fill("#q", f"{base}/studio/workshop/desk?q={code}")
    staff.locator("main form.desk-form button[type=submit]").click()
    staff.wait_for_load_state()
    assert staff.locator("#desk-results [data-state=allowed]").count() == 1
    assert_accessible(staff, "desk look-up: allowed")
    resident.goto(base + "/me/workshop-pass")
    assert resident.locator("#pass-permissions [data-state=allowed]").count() == 1

    # a year later the permission has run out: the bare code now says "expired"
    _expire(app, emails["resident"])
    staff.goto(base + "/studio/workshop/desk")
    staff.fill("#q", code.lower())
    staff.locator("main form.desk-form button[type=submit]").click()
    staff.wait_for_load_state()
    assert staff.locator("#desk-results [data-state=expired]").count() == 1
    assert staff.locator("#desk-results [data-state=allowed]").count() == 0
    assert_accessible(staff, "desk look-up: expired")

    # the library's report on the tablet: the sign-off counted ("<5"), each table downloadable as CSV
    staff.goto(base + "/studio/workshop/report")
    assert "<5" in staff.locator("#trained").inner_text()
    with staff.expect_download() as download:
        staff.locator("a[href*='/studio/workshop/report/machines.csv']").click()
    assert download.value.suggested_filename == "maker-space-machines.csv"
    assert_accessible(staff, "maker space report")
