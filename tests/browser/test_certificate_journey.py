"""Browser journey (issue 9): a learner's and a firm's certificates for a demo course, checked by anyone on a phone
(typed from paper in small letters without dashes; a mistyped code), found under "Mine kurs", revoked by the
provider's author in the studio and shown revoked at once; axe-core checks every one of these pages and the
admin's certificate search."""
import uuid

from .test_foundation_journey import VIEWPORTS, assert_accessible

SLUG = "digitalisering-landbruket-trinn-1"
PASSWORD = "Sterkt-passord-2026"


def _people(app, suffix):
    """A verified firm whose employee completed the demo course (and agreed to be named), the course provider's
    author and an administrator; returns their e-mail addresses and the two certificate codes."""
    from courseware.extensions import db
    from courseware.models import Firm, utcnow
    from courseware.services import catalogue, certificates, enrolment, learning
    from courseware.services.accounts import create_user
    from courseware.services.certificate_codes import format_code

    with app.app_context():
        course = catalogue.get_course(SLUG)
        firm = Firm(orgnr="923609016", name=f"Seterbruket AS {suffix}", verified_via="admin", verified_at=utcnow())
        db.session.add(firm)
        db.session.flush()
        emails = {role: f"{role}-{suffix}@example.no" for role in ("learner", "author", "admin")}
        learner = create_user(email=emails["learner"], name="Marit Seter", password=PASSWORD, verified=True)
        learner.firm_id, learner.name_on_firm_certificates = firm.id, True
        create_user(email=emails["author"], name="Anne Forfatter", password=PASSWORD, role="author",
                    provider=course.provider, verified=True)
        create_user(email=emails["admin"], name="Ada Admin", password=PASSWORD, role="admin", verified=True)
        enrolment.enrol(learner, course)
        completion = learning.complete_course(learner, course, course.current_version)
        personal = certificates.find_certificate_for_completion(completion.id)
        firm_certificate = certificates.find_firm_certificate(firm.id, course.id)
        codes = personal.code, format_code(firm_certificate.code)
        db.session.commit()
        db.session.remove()
    return emails, codes


def _log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_certificates_checked_found_and_revoked(browser, live_server):
    base, app = live_server
    emails, (code, firm_code) = _people(app, uuid.uuid4().hex[:6])
    shown = f"{code[:4]}-{code[4:8]}-{code[8]}"
    phone = dict(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)
    anyone = browser.new_context(**phone).new_page()
    learner = browser.new_context(**phone).new_page()
    author = browser.new_context(**phone).new_page()
    admin = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO").new_page()

    # anyone checks the code from paper: small letters, no dashes
    anyone.goto(base + "/verify")
    assert_accessible(anyone, "verification form")
    anyone.fill("#code", code.lower())
    anyone.locator("main form button[type=submit]").click()
    anyone.wait_for_url(f"**/verify/{shown}")
    assert "Marit Seter" in anyone.content() and anyone.locator(".cert-status.valid").count() == 1
    assert_accessible(anyone, "valid certificate")

    # a mistyped symbol is caught before anything is looked up
    wrong = code[:5] + ("0" if code[5] != "0" else "1") + code[6:]
    anyone.goto(base + "/verify")
    anyone.fill("#code", wrong)
    anyone.locator("main form button[type=submit]").click()
    anyone.wait_for_load_state()
    assert anyone.locator("#code[aria-invalid=true]").count() == 1 and anyone.locator("#code-error").count() == 1
    assert_accessible(anyone, "mistyped code")

    # the firm's certificate names the employee who agreed
    anyone.goto(base + f"/verify/{firm_code}")
    assert "Seterbruket AS" in anyone.content() and "923 609 016" in anyone.content()
    assert "Marit Seter" in anyone.content()
    assert_accessible(anyone, "firm certificate")

    # the learner finds it under "Mine kurs"
    _log_in(learner, base, emails["learner"])
    learner.goto(base + "/me/courses")
    assert shown in learner.content()
    assert_accessible(learner, "my courses with a certificate")
    learner.goto(base + f"/courses/{SLUG}")
    assert shown in learner.content()

    # the provider's author revokes it from the studio's learner list
    _log_in(author, base, emails["author"])
    author.goto(base + f"/studio/courses/{SLUG}")
    author.locator(f"a:has-text('{shown}')").first.click()
    author.wait_for_load_state()
    assert_accessible(author, "studio certificate")
    author.select_option("#reason", "issued_in_error")
    author.fill("#note", "Registrert på feil person")
    author.locator("main form.revoke-form button[type=submit]").click()
    author.wait_for_load_state()
    assert "Anne Forfatter" in author.content() and author.locator("main form.revoke-form").count() == 1  # restore
    assert_accessible(author, "studio certificate, revoked")

    anyone.goto(base + f"/verify/{shown}")
    assert anyone.locator(".cert-status.revoked").count() == 1 and "Registrert på feil" not in anyone.content()
    assert_accessible(anyone, "revoked certificate")

    # the administrator finds it by its code
    _log_in(admin, base, emails["admin"])
    admin.goto(base + "/admin/certificates")
    admin.fill("#q", shown.lower())
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_load_state()
    assert admin.locator(f"a:has-text('{shown}')").count() == 1
    assert_accessible(admin, "admin certificate search")
