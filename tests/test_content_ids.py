"""Course content never takes an id (or form field name) the module page itself uses, and links to the module's own
headings (the table of contents, `[see](#activity)`) still lead to them."""
import re
from collections import Counter
from html.parser import HTMLParser

from courseware.content.render import RESERVED_IDS, RESERVED_SUFFIX
from courseware.extensions import db
from courseware.models import Course
from courseware.services import enrolment

from .conftest import FIXTURE_COURSES, REPO
from .learning_factory import make_firm

TEMPLATES = REPO / "courseware" / "templates"
# Every template the module page is built from (tests/test_page_shell.py renders them all).
MODULE_PAGE = ["base.html", "public/module.html", "learner/_module_activity.html", "learner/_quiz_questions.html",
               "learner/_enrol.html"]


class _Ids(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.hrefs.append(attrs["href"][1:])


def test_every_id_and_field_name_of_the_module_page_is_reserved():
    used = set()
    for name in MODULE_PAGE:
        source = (TEMPLATES / name).read_text("utf-8")
        used |= set(re.findall(r'\b(?:id|name)="([^"{}]+)"', source))
        assert not re.findall(r'\bid="[^"]*\{\{', source), f"{name}: an id made at run time may collide with content"
    used -= {"viewport"}  # <meta name="viewport">
    assert used <= RESERVED_IDS, used - RESERVED_IDS


def test_the_module_page_has_no_id_twice(client, import_course, make_user, login):
    course = import_course("page-ids", source=FIXTURE_COURSES / "hostile")
    user = make_user("learner", firm_id=make_firm().id)
    enrolment.enrol(user, db.session.get(Course, course.id))
    db.session.commit()
    login(user)
    html = client.get("/courses/page-ids/start").get_data(as_text=True)
    page = _Ids(html)
    assert {"main", "activity", "activity-title", "objectives-title", "quiz", "lang-select"} <= set(page.ids)
    assert [i for i, n in Counter(page.ids).items() if n > 1] == []
    assert {"activity" + RESERVED_SUFFIX, "main" + RESERVED_SUFFIX, "main" + RESERVED_SUFFIX + "_1",
            "quiz" + RESERVED_SUFFIX} <= set(page.ids)
    assert set(page.hrefs) <= set(page.ids) | {"fn:1"}, set(page.hrefs) - set(page.ids)  # every in-page link lands
    assert 'href="neste#quiz"' in html  # the next module's quiz section is the page's own


def test_links_to_a_renamed_heading_follow_it_and_others_stay():
    from courseware.content.render import render_module

    html = render_module("# Quiz\n\n[opp](#quiz) [ned](#activity)\n", module_links={}, asset_paths=set()).html
    assert '<h1 id="quiz-section">' in html
    assert 'href="#quiz-section"' in html and 'href="#activity"' in html


def test_equal_headings_get_numbered_ids_that_stay_unique():
    from courseware.content.render import render_module

    rendered = render_module("## Del\n\n" * 5 + "## Del_1\n\n", module_links={}, asset_paths=set())
    ids = [entry["id"] for entry in rendered.toc]
    assert ids == ["del", "del_1", "del_2", "del_3", "del_4", "del_1_1"]
    assert _Ids(rendered.html).ids == ids


def test_raw_html_cannot_set_a_page_id():
    from courseware.content.render import render_module

    html = render_module('<div id="activity">x</div>\n\n<h2 id="main" name="csrf_token">y</h2>\n',
                         module_links={}, asset_paths=set()).html
    assert "id=" not in html and "name=" not in html
