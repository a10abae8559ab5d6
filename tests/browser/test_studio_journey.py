"""Browser journey (issue 11): an admin creates a provider and invites an author by e-mail; the author accepts (the
invitation creates the account), creates a course with two modules and a quiz in the studio, sees a check error
next to its module and line, fixes it, previews the module with its quiz as a learner would, and publishes; a
learner then finds the course in the catalogue and completes it. axe-core checks the studio's pages on the way, on a
tablet-sized screen, and no script breaks the Content-Security-Policy."""
import re
import uuid

from .conftest import MAIL
from .test_foundation_journey import VIEWPORTS, assert_accessible
from .test_foundation_journey import register as register_account
from .test_learning_journey import PASSWORD, make_admin

TABLET = {"width": 1024, "height": 1366}


def log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url


def click_and_wait(page, locator):
    locator.click()
    page.wait_for_load_state()


def save_module(page):
    """Save the module editor's form (the button posts it; autosave may have saved it already)."""
    click_and_wait(page, page.locator("#editor button[data-save]"))
    assert page.locator("#editor").count() == 1


def test_admin_invites_an_author_who_writes_and_publishes_a_course_that_a_learner_completes(browser, live_server):
    base, app = live_server
    suffix = uuid.uuid4().hex[:6]
    slug, provider_slug = f"kurs-{suffix}", f"hage-{suffix}"
    admin_email, author_email = f"admin-{suffix}@example.no", f"forfatter-{suffix}@example.no"
    make_admin(app, admin_email)
    errors = []
    admin_ctx = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO")
    author_ctx = browser.new_context(viewport=TABLET, locale="nb-NO", has_touch=True)
    learner_ctx = browser.new_context(viewport=VIEWPORTS["phone"], locale="nb-NO", is_mobile=True, has_touch=True)
    admin, author, learner = admin_ctx.new_page(), author_ctx.new_page(), learner_ctx.new_page()
    for page in (admin, author, learner):
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The admin creates the provider and invites its author.
    log_in(admin, base, admin_email)
    admin.goto(base + "/admin/providers/new")
    assert_accessible(admin, "new provider")
    admin.fill("#name", f"Fosen Næringshage {suffix}")
    admin.fill("#slug", provider_slug)
    admin.select_option("#kind", "business_park")
    admin.select_option("#municipality", "5054")  # Indre Fosen
    click_and_wait(admin, admin.locator("main form button[type=submit]").first)
    assert admin.url.endswith(f"/admin/providers/{provider_slug}")
    admin.fill("#invite-name", "Frida Forfatter")
    admin.fill("#invite-email", author_email)
    click_and_wait(admin, admin.locator("#invite-form button[type=submit]"))
    assert author_email in admin.locator("#invitations").inner_text()
    assert_accessible(admin, "provider with a pending invitation")

    # The author accepts: the invitation makes the account, bound to the provider, and opens the studio.
    author.goto(base + MAIL.link(author_email, "/auth/staff-invitation/"))
    assert_accessible(author, "staff invitation")
    author.fill("#name", "Frida Forfatter")
    author.fill("#password", PASSWORD)
    author.fill("#confirm", PASSWORD)
    click_and_wait(author, author.locator("main form button[type=submit]").last)
    assert author.url.rstrip("/").endswith("/studio")
    assert_accessible(author, "studio, no courses yet")

    # A new course, open to the public, with a first module made with it.
    click_and_wait(author, author.locator(f"main a[href$='/studio/new']"))
    assert_accessible(author, "new course")
    author.fill("#slug", slug)
    author.fill("#title", "Trygg bruk av skytjenester")
    author.fill("#summary", "Hvordan en liten bedrift tar vare på dataene sine i skyen.")
    author.select_option("#audience", "public")
    click_and_wait(author, author.get_by_role("button", name="Opprett kurset"))
    assert author.url.endswith(f"/studio/courses/{slug}/edit")
    assert_accessible(author, "the draft's home")

    # The first module: text typed in the editor, with the live preview following.
    click_and_wait(author, author.locator("#modules h3 a").first)
    author.fill("#title", "Hva er skyen?")
    author.fill("#body", "# Hva er skyen?\n\nSkyen er **andres datamaskiner** som du leier plass på.\n")
    author.locator("#preview strong").filter(has_text="andres datamaskiner").wait_for()
    save_module(author)
    assert_accessible(author, "module editor")

    # The second module, with a quiz whose question lacks wrong answers: an error the check shows at its line.
    author.goto(base + f"/studio/courses/{slug}/edit")
    author.fill("#new-title", "Sikkerhetskopi")
    click_and_wait(author, author.get_by_role("button", name="Legg til en modul"))  # opens the new module's editor
    assert author.url.endswith("/modules/02-sikkerhetskopi.md/edit")
    second = author.url
    author.fill("#body", "# Sikkerhetskopi\n\nTa kopi etter 3-2-1-regelen: tre kopier, to medier, én utenfor huset.\n")
    click_and_wait(author, author.get_by_role("button", name="Legg til et spørsmål"))
    author.fill("#questions-0-prompt", "Hvor mange kopier sier 3-2-1-regelen?")
    author.fill("#questions-0-correct", "Tre")
    save_module(author)

    author.goto(base + f"/studio/courses/{slug}/check")
    click_and_wait(author, author.get_by_role("button", name=re.compile("Sjekk")).first)
    problem = author.locator(".problem-file", has_text="Sikkerhetskopi").locator(".problem-error").first
    assert problem.is_visible()
    line = int(problem.get_attribute("data-line"))
    source = open_file_line(app, slug, "modules/02-sikkerhetskopi.md", line)
    assert "Hvor mange kopier" in source or "correct" in source or "wrong" in source, source
    assert_accessible(author, "check with an error")
    click_and_wait(author, author.get_by_role("button", name="Publiser"))
    assert version_count(app, slug) == 0  # refused while the error remains

    # The author fixes it, and the check is clean.
    author.goto(second)
    author.fill("#questions-0-wrong", "To\nFem")
    save_module(author)
    author.goto(base + f"/studio/courses/{slug}/check")
    click_and_wait(author, author.get_by_role("button", name=re.compile("Sjekk")).first)
    assert author.locator(".problem-error").count() == 0

    # Preview as a learner, quiz included: a right answer passes, and nothing is stored.
    author.goto(base + f"/studio/courses/{slug}/preview/sikkerhetskopi")
    assert author.locator("#preview-banner").is_visible()
    assert "3-2-1-regelen" in author.content()
    author.locator("#quiz label", has_text="Tre").locator("input").check()
    click_and_wait(author, author.locator("#quiz button[type=submit]"))
    assert_accessible(author, "preview with the quiz result")

    # Publish: version 1, in the catalogue (the modules have no objectives: warnings, read and accepted with a tick).
    author.goto(base + f"/studio/courses/{slug}/check")
    assert author.locator(".problem-warning").count() >= 1
    author.locator("#accept_warnings").check()
    click_and_wait(author, author.get_by_role("button", name="Publiser"))
    assert version_count(app, slug) == 1
    assert_accessible(author, "published")

    # A learner (no firm: the course is public) finds it and completes it on a phone.
    register_account(learner, base, "Lise Lærevillig", f"lise-{suffix}@example.no", PASSWORD)
    learner.goto(base + "/?q=skytjenester")
    click_and_wait(learner, learner.get_by_role("link", name="Trygg bruk av skytjenester").first)
    click_and_wait(learner, learner.locator(".course-status form button[type=submit]").first)
    learner.goto(base + f"/courses/{slug}/intro")
    click_and_wait(learner, learner.locator("#activity form[action$='/read'] button"))
    learner.goto(base + f"/courses/{slug}/sikkerhetskopi")
    click_and_wait(learner, learner.locator("#activity form[action$='/read'] button"))
    learner.locator("#quiz label.check", has_text="Tre").first.locator("input").check()
    click_and_wait(learner, learner.locator("#quiz button[type=submit]"))
    learner.goto(base + f"/courses/{slug}")
    assert "Fullført" in learner.content()
    assert learner.locator(".progress[aria-valuenow='100']").count() >= 1

    for context in (admin_ctx, author_ctx, learner_ctx):
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def open_file_line(app, slug, path, line) -> str:
    """The draft file's text at `line` (1-based), to see that the check points at the right place."""
    from courseware.extensions import db
    from courseware.models import CourseDraft, DraftFile

    with app.app_context():
        text = db.session.execute(db.select(DraftFile.text).join(CourseDraft).where(
            CourseDraft.slug == slug, DraftFile.path == path)).scalar_one()
        db.session.remove()
    return text.split("\n")[line - 1]


def version_count(app, slug) -> int:
    from courseware.extensions import db
    from courseware.models import Course, CourseVersion

    with app.app_context():
        count = db.session.execute(db.select(db.func.count()).select_from(CourseVersion).join(
            Course, Course.id == CourseVersion.course_id).where(Course.slug == slug)).scalar_one()
        db.session.remove()
    return count
