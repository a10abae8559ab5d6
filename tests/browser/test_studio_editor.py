"""Browser (issue 11, the studio editor): an author opens a module of their course, types in its text, sees the live
preview follow, waits for the autosave, reloads and finds the text saved; axe-core finds no serious or critical
violation on the new-course form, the draft's home and the module editor, and no script breaks the
Content-Security-Policy. When another author saves the module meanwhile, the next autosave is refused with a
visible warning and the text stays; a copy kept in the browser by a failed save is offered and restored on the
next visit."""
import uuid

from playwright.sync_api import expect

from .test_foundation_journey import VIEWPORTS, assert_accessible

SLUG = "industri-4-0-verksted-trinn-1"
PASSWORD = "Sterkt-passord-2026"


# What studio-editor.js keeps in localStorage when a save fails: the form's fields, here with `arguments[0]` added
# to the text.
KEEP_A_COPY = """(extra) => {
  const form = document.getElementById('editor');
  const pairs = [];
  new FormData(form).forEach((value, name) => {
    if (name !== 'csrf_token' && name !== 'base_revision') {
      pairs.push([name, name === 'body' ? value + extra : value]);
    }
  });
  localStorage.setItem(form.dataset.storageKey, JSON.stringify({
    path: form.dataset.path, base_revision: parseInt(form.querySelector('[name=base_revision]').value, 10),
    fields: pairs, saved_at: Date.now() + 60000}));
}"""


def _author(app, suffix) -> str:
    """An author of the course's provider; their e-mail address."""
    from courseware.extensions import db
    from courseware.services import catalogue
    from courseware.services.accounts import create_user

    with app.app_context():
        course = catalogue.get_course(SLUG)
        email = f"forfatter-{suffix}@example.no"
        create_user(email=email, name="Frida Forfatter", password=PASSWORD, role="author", provider=course.provider,
                    verified=True)
        db.session.commit()
        db.session.remove()
    return email


def _save_elsewhere(app, path):
    """Another author's save of the module (a new revision on the server)."""
    from courseware.extensions import db
    from courseware.services import drafts
    from courseware.services.accounts import create_user

    with app.app_context():
        draft = db.session.execute(db.select(drafts.CourseDraft).where(drafts.CourseDraft.slug == SLUG)).scalar_one()
        other = create_user(email=f"annen-{uuid.uuid4().hex[:6]}@example.no", name="Annen Forfatter",
                            password=PASSWORD, role="author", verified=True)
        other.provider_id = draft.provider_id
        item = drafts.get_file(draft, path)
        drafts.save_text(other, draft, path, item.text + "\nEn annen forfatter skrev dette.\n", item.revision)
        db.session.commit()
        db.session.remove()


def test_an_author_edits_a_module_with_live_preview_and_autosave(browser, live_server):
    base, app = live_server
    email = _author(app, uuid.uuid4().hex[:6])
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nb-NO")
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()

    page.goto(base + "/studio/new")
    assert_accessible(page, "new course")
    page.goto(base + f"/studio/courses/{SLUG}/edit")  # starts the draft from the published version
    assert_accessible(page, "draft home")
    page.locator(".module-edit-list h3 a").first.click()
    page.wait_for_url("**/modules/*/edit")
    body = page.locator("#body")
    expect(page.locator("#preview h1, #preview h2").first).to_be_visible()  # the first preview, on load
    assert page.locator(".md-toolbar").is_visible()
    assert_accessible(page, "module editor")

    sentence = f"Skrevet i nettleseren {uuid.uuid4().hex[:6]}"
    body.click()
    page.keyboard.press("Control+End")
    with page.expect_response(lambda r: "/autosave" in r.url and r.status == 200, timeout=15_000) as saved:
        page.keyboard.type(f"\n\n## {sentence}\n\nMed **fet** tekst.")
        expect(page.locator("#preview h2", has_text=sentence)).to_be_visible(timeout=10_000)
        expect(page.locator("#preview strong", has_text="fet")).to_be_visible()
    revision = saved.value.json()["revision"]
    assert page.locator("input[name=base_revision]").input_value() == str(revision)

    page.reload()
    assert f"## {sentence}" in page.locator("#body").input_value()
    expect(page.locator("#preview h2", has_text=sentence)).to_be_visible(timeout=10_000)
    assert not page.locator("#restore-banner").is_visible()  # nothing left unsaved in the browser
    assert_accessible(page, "module editor after a reload")

    # a copy kept in the browser (a save that failed before the tab was closed) is offered, and restored
    page.evaluate(KEEP_A_COPY, "\n\nFra en tidligere økt.")
    page.reload()
    expect(page.locator("#restore-banner")).to_be_visible()
    with page.expect_response(lambda r: "/autosave" in r.url and r.status == 200, timeout=15_000):
        page.locator("#restore-local").click()
    assert page.locator("#body").input_value().endswith("Fra en tidligere økt.")
    assert not page.locator("#restore-banner").is_visible()

    # another author saves the module meanwhile: the next autosave is refused, said so, and the text stays
    path = page.locator("#editor").get_attribute("data-path")
    _save_elsewhere(app, path)
    with page.expect_response(lambda r: "/autosave" in r.url and r.status == 409, timeout=15_000):
        page.locator("#body").click()
        page.keyboard.press("Control+End")
        page.keyboard.type("\n\nMin egen endring.")
    expect(page.locator("#autosave-conflict")).to_be_visible()
    assert page.locator("#body").input_value().endswith("Min egen endring.")
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
