"""A module with highlighted code, output and error blocks, math, an image with attributes, an SVG figure and fenced
blocks (issue 12), on a phone and a desktop: nothing wider than the page, the copy button copies and says so, axe finds no serious
violation, and a screenshot of each is kept in the test's temporary folder."""
import logging
import shutil
import uuid

import pytest
from tests.live_server import serving

from courseware import create_app
from courseware.extensions import db

from .test_foundation_journey import assert_accessible

from ..test_content_svg import CLEAN

VIEWPORTS = {"phone": {"width": 320, "height": 640}, "desktop": {"width": 1366, "height": 900}}
PASSWORD = "media-password-1"
MODULE = """

## Kode

```python
def snitt(malinger: list[float]) -> float:
    return round(sum(malinger) / len(malinger), 1)  # a comment long enough to need a sideways scroll on a phone screen

print(snitt([3.5, 4.0, 4.25]))
```

```output
3.9
```

```error
Traceback (most recent call last):
  File "fjos.py", line 1, in <module>
ZeroDivisionError: division by zero
```

## Formler

Arealet er $\\pi r^2$, og snittet er \\(\\bar{t} = \\frac{1}{n}\\sum_{i=1}^{n} t_i\\). Prisen er kr 50$, eller $5 og $10.

$$
Q = U \\cdot A \\cdot \\Delta T + \\frac{a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8}{b_1 + b_2 + b_3 + b_4 + b_5 + b_6}
$$

## Figurer

![](../assets/fjos-sensor.png){alt="Temperaturlogger på fjøsveggen" width=640 height=480}

![Et fjøs med sensor, tegnet](../assets/figur.svg)

## Blokker

::: challenge
Regn ut snittet for dine egne målinger.

:::: solution
Legg sammen målingene og del på hvor mange de er.
::::
:::

::: tip
Start med én maskin.
:::

::: instructor
Spør deltakerne om de har en logger fra før.
:::
"""


@pytest.fixture(scope="module")
def media_server(database_url, tmp_path_factory):
    from tests.conftest import FIXTURE_COURSES, _empty_all_tables, _test_config

    root = tmp_path_factory.mktemp("media")
    package = root / "courses" / "minimal"
    shutil.copytree(FIXTURE_COURSES / "minimal", package)
    (package / "assets" / "figur.svg").write_text(CLEAN, "utf-8")
    module = package / "modules" / "01-intro.md"
    module.write_text(module.read_text("utf-8") + MODULE, "utf-8")
    app = create_app(_test_config(database_url, root, COURSES_DIR=str(root / "courses"), WTF_CSRF_ENABLED=True))
    with app.app_context():
        from courseware.content.importer import import_packages
        from courseware.services.accounts import create_user

        report = import_packages(None)
        assert not report.refused, report.refused
        email = f"media-{uuid.uuid4().hex[:6]}@example.no"
        create_user(email=email, name="Åse Media", password=PASSWORD, verified=True)
        db.session.commit()
        db.session.remove()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        with serving(app, threads=4) as server:
            yield f"http://127.0.0.1:{server.effective_port}", email
    finally:
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_code_math_and_figures_on_a_phone_and_a_desktop(browser, media_server, viewport, tmp_path):
    base, email = media_server
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nb-NO", is_mobile=viewport == "phone",
                                  has_touch=viewport == "phone")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(base + "/auth/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        page.goto(base + "/courses/minimal/intro")
        assert page.locator(".code-block").count() == 3
        labels = [text.split("\n")[0] for text in page.locator(".code-label").all_inner_texts()]
        assert labels == ["Python", "Utdata", "Feil"]
        assert page.locator("math").count() == 3 and page.locator('math[display="block"]').count() == 1
        assert "kr 50$, eller $5 og $10" in page.locator("article.prose").inner_text()
        # the fenced blocks: an exercise with its solution folded away, a tip, and no instructor note for learners
        assert page.locator(".admonition.exercise").count() == 1 and page.locator(".admonition.tip").count() >= 1
        solution = page.locator("details", has_text="Legg sammen målingene")
        assert solution.count() == 1 and solution.get_attribute("open") is None
        assert not page.get_by_text("Legg sammen målingene").is_visible()
        assert "har en logger fra før" not in page.content()
        svg = page.locator('img[src="assets/figur.svg"]')
        svg.scroll_into_view_if_needed()  # images load lazily
        svg.evaluate("img => img.decode()")
        assert svg.evaluate("img => img.naturalWidth > 0")
        page.screenshot(path=str(tmp_path / f"media-{viewport}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        pre = page.locator(".code-block pre").first
        if viewport == "phone":  # the long line scrolls inside its block
            assert pre.evaluate("el => el.scrollWidth > el.clientWidth")
        assert pre.get_attribute("tabindex") == "0"
        buttons = page.locator("button.code-copy")
        assert buttons.count() == 3
        buttons.first.click()
        status = page.locator(".code-status").first
        status.wait_for(state="visible")
        assert status.inner_text() == "Kopiert" or status.inner_text() == "Copied"
        assert status.get_attribute("aria-live") == "polite"
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("def snitt(") and copied.endswith("print(snitt([3.5, 4.0, 4.25]))")
        assert_accessible(page, f"module with code and math ({viewport})")
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
