"""Browser (issue 7, a quiz proves something): on a 320 px phone, a quiz with a daily limit and questions drawn from
a pool, whose title, prompts and answers hold words longer than the screen is wide. Nothing crosses its box, a
failed attempt offers "try again" first and says how many attempts are left, the used-up day says when to come
back, and axe-core finds no serious or critical violation on these pages."""
import uuid

from courseware.extensions import db

from ..learning_factory import make_course
from .test_foundation_journey import assert_accessible, register

LONG = "Produksjonsplanleggingssystemintegrasjonsmulighetsvurderingsdokumentasjon"
ADDRESS = "https://www.example.no/veiledning/produksjonsplanlegging/integrasjon/uten-mellomrom-i-adressen"
POOL = {
    "draw": 2,
    "questions": [{"prompt": f"Spørsmål {i}: hva betyr {LONG} ({ADDRESS})?", "correct": [f"Riktig {i} {LONG}"],
                   "wrong": [f"Galt {i} {LONG}", f"Også galt {i}"], "explain": f"Forklaring {i}."} for i in range(4)],
}

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const crossing = [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
    .map(e => e.tagName.toLowerCase() + '.' + e.className);
  const boxes = [...document.querySelectorAll('main fieldset, main .card')];
  const outside = boxes.flatMap(box => {
    const b = box.getBoundingClientRect();
    return [...box.querySelectorAll('*')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width && (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1);
    }).map(e => e.tagName.toLowerCase() + ' outside ' + box.tagName.toLowerCase());
  });
  return {scroll: document.documentElement.scrollWidth, width, crossing: crossing.concat(outside).slice(0, 5)};
}"""


def assert_fits(page, what):
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["crossing"], (what, found)


def fail_quiz(page):
    for fieldset in page.locator("#quiz fieldset").all():
        fieldset.locator("label.check", has_text="Galt").first.locator("input").check()
    page.locator("#quiz button[type=submit]").click()
    page.wait_for_load_state()


def test_a_limited_quiz_with_long_words_on_a_narrow_phone(browser, live_server):
    base, app = live_server
    with app.app_context():
        make_course("lange-ord", audience="public", attempts_per_day=2, title=f"Kurs om {LONG}",
                    modules=[{"key": "lang", "title": f"{LONG} i praksis", "quiz": POOL}])
        db.session.remove()
    context = browser.new_context(viewport={"width": 320, "height": 700}, locale="nb-NO", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    register(page, base, "Per Prøvesen", f"per-{uuid.uuid4().hex[:6]}@example.no", "Sterkt-passord-2026")
    page.goto(base + "/courses/lange-ord")
    page.locator(".course-status form button[type=submit]").first.click()
    page.wait_for_load_state()

    page.goto(base + "/courses/lange-ord/lang")
    assert page.locator("#quiz fieldset").count() == 2  # drawn from the pool of four
    assert page.locator("#quiz .attempts-left").count() == 1
    assert_fits(page, "module page")
    assert_accessible(page, "module page with a daily limit")

    fail_quiz(page)
    assert "/quiz/" in page.url
    assert_fits(page, "failed result")
    assert_accessible(page, "failed quiz result")
    primary = page.locator(".module-nav a.button:not(.secondary)")
    assert primary.count() == 1 and primary.get_attribute("href").endswith("/courses/lange-ord/lang#quiz")
    assert page.locator(".result .attempts-left").count() == 1
    assert page.locator(".choice-correct").count() == 0 and "Forklaring" not in page.content()

    page.goto(base + "/courses/lange-ord/lang")
    fail_quiz(page)
    assert page.locator(".module-nav a[href$='#quiz']").count() == 0  # nothing to try again today
    page.goto(base + "/courses/lange-ord/lang")
    assert page.locator("#quiz form").count() == 0 and page.locator("#quiz .state-locked").count() == 1
    assert_fits(page, "module page, attempts used up")
    assert_accessible(page, "module page, attempts used up")
    context.close()
