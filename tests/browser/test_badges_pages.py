"""The issuer profile page a person sees at a certificate's issuer URL: on a narrow phone and a desktop, in
Norwegian, without horizontal scrolling (the keys are long), with axe-core finding no serious violation."""
import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Provider

from .test_foundation_journey import assert_accessible


@pytest.mark.parametrize("viewport", [{"width": 320, "height": 640}, {"width": 1366, "height": 900}],
                         ids=["phone", "desktop"])
def test_the_issuer_page_on_a_phone_and_a_desktop(browser, live_server, viewport):
    base, app = live_server
    with app.app_context():
        slug, name = db.session.execute(select(Provider.slug, Provider.name).order_by(Provider.id)).first()
        db.session.remove()
    context = browser.new_context(viewport=viewport, locale="nb-NO")
    page = context.new_page()
    try:
        page.goto(f"{base}/issuers/{slug}")
        assert page.get_by_role("heading", level=1).inner_text() == name
        assert page.locator('meta[property="og:title"]').get_attribute("content") == name
        page.locator("details summary").click()
        assert page.locator("ul.keys code").first.inner_text().startswith("z6Mk")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(page, "issuer profile")
    finally:
        context.close()
