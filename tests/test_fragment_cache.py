"""The `{% cache %}` tag and what the module page and the layout keep in it: content shared by every learner, per
module, language and kind of account, while everything that belongs to one learner or one request stays fresh."""
import re

import pytest
from flask import render_template_string

from courseware.extensions import db
from courseware.web.fragment_cache import LRU
from courseware.web.i18n import template_gettext
from courseware.services import enrolment

from .learning_factory import load, make_course, make_firm, publish


def _html(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lru_forgets_the_least_recently_used_entry():
    lru = LRU(size=2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recently used
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
    assert len(lru) == 2


def test_cache_tag_renders_a_block_once_per_key(app):
    calls = []

    def expensive(value):
        calls.append(value)
        return f"<b>{value}</b>"

    template = '{% cache "t", key %}{{ expensive(key) }}|{{ other }}{% endcache %}'
    with app.test_request_context("/"):
        first = render_template_string(template, key="a", other="<i>", expensive=expensive)
        again = render_template_string(template, key="a", other="changed", expensive=expensive)
        other = render_template_string(template, key="b", other="x", expensive=expensive)
    assert calls == ["a", "b"]
    assert first == again == "&lt;b&gt;a&lt;/b&gt;|&lt;i&gt;"  # autoescaped once, not twice
    assert other.startswith("&lt;b&gt;b")


def test_cache_key_holds_the_mount_point(app):
    template = '{% cache "links" %}{{ url_for("public.privacy") }}{% endcache %}'
    with app.test_request_context("/"):
        plain = render_template_string(template)
    with app.test_request_context("/", base_url="http://localhost/kurs"):
        mounted = render_template_string(template)
    assert (plain, mounted) == ("/privacy", "/kurs/privacy")


@pytest.fixture
def course(app):
    return make_course("kurs")


def test_module_content_is_shared_but_activity_is_each_learners_own(client, course, make_user, login):
    firm = make_firm()
    enrolled = make_user("learner", firm_id=firm.id)
    enrolment.enrol(enrolled, load(course))
    db.session.commit()
    outsider = make_user("learner")

    login(outsider)
    outsider_page = _html(client.get("/courses/kurs/sensorer"))
    login(enrolled)
    first = _html(client.get("/courses/kurs/sensorer"))
    second = _html(client.get("/courses/kurs/sensorer"))

    assert "Sensorer i fjøset" in outsider_page and "Sensorer i fjøset" in first
    assert "Register your firm" in outsider_page and 'name="token"' not in outsider_page
    assert "Mark as read" in first and "Register your firm" not in first
    # The quiz is drawn anew on every view: a new one-time token each time, never a cached copy.
    tokens = [re.search(r'name="token" value="([0-9a-f]+)"', page).group(1) for page in (first, second)]
    assert tokens[0] != tokens[1]
    assert len(client.application.jinja_env.fragment_cache) > 0


def test_progress_shows_at_once_on_the_cached_page(client, course, make_user, login):
    learner = login(make_user("learner", firm_id=make_firm().id))
    enrolment.enrol(learner, load(course))
    db.session.commit()
    assert "Mark as read" in _html(client.get("/courses/kurs/intro"))
    client.post("/me/courses/kurs/intro/read")
    assert "You have read this module." in _html(client.get("/courses/kurs/intro"))


def test_a_new_version_shows_new_content(client, course, login_as):
    login_as("learner")
    assert "Sensorer i fjøset →" in _html(client.get("/courses/kurs/intro"))  # the "next" link
    publish(course, [{"key": "intro", "title": "Ny innledning"}, {"key": "slutt", "title": "Avslutning"}])
    page = _html(client.get("/courses/kurs/intro"))
    assert "Ny innledning" in page and "Avslutning →" in page and "Sensorer i fjøset" not in page


def test_module_page_follows_the_language(client, course, login_as):
    # Test requests share the fixture's app context, where Flask-Babel caches the locale: refresh between them.
    from flask_babel import refresh

    login_as("learner")
    client.post("/language", data={"lang": "en"})
    refresh()
    english = _html(client.get("/courses/kurs/intro"))
    client.post("/language", data={"lang": "nb"})
    refresh()
    bokmal = _html(client.get("/courses/kurs/intro"))
    assert 'aria-label="Breadcrumb"' in english and 'aria-label="Breadcrumb"' not in bokmal
    assert '<html lang="nb">' in bokmal and 'option value="nb" lang="nb" selected' in bokmal


MENUS = [  # (role, in a firm, shown, hidden); all on one app, so one cache, in an order that would expose a mix-up
    (None, False, ["Log in", "Register"], ["Log out", "Profile"]),
    ("learner", False, ["My firm", "Log out"], ["Studio", "Admin", "Log in"]),
    ("author", False, ["Studio", "Log out"], ["My firm", "Admin"]),
    ("admin", False, ["Studio", "Admin"], ["My firm"]),
    ("funder", False, ["Profile"], ["Studio", "My firm", "Admin"]),
    ("funder", True, ["My firm"], ["Studio", "Admin"]),
    (None, False, ["Log in", "Register"], ["Log out", "Profile"]),
]


def test_layout_menu_per_kind_of_account(app, make_user, login):
    from flask import g

    firm = make_firm()
    for role, in_firm, shown, hidden in MENUS:
        client = app.test_client()
        g.pop("_login_user", None)  # test requests share the app context where Flask-Login caches the user
        if role:
            login(make_user(role, firm_id=firm.id if in_firm else None), client)
        for _ in range(2):  # the second page comes from the cache
            html = _html(client.get("/privacy"))
            nav = html[html.index('<ul class="nav">'):html.index("</ul>")]
            assert all(f">{label}<" in nav for label in shown), (role, nav)
            assert not any(f">{label}<" in nav for label in hidden), (role, nav)


def test_template_gettext_keeps_jinja_newstyle_semantics(app):
    from flask_babel import get_translations

    with app.test_request_context("/"):
        gettext, ngettext = template_gettext(get_translations())
        html = render_template_string(
            '{{ _("Hello %(name)s", name=name) }}|{{ _("100%% sure") }}|{{ ngettext("%(num)d day", "%(num)d days", 3) }}',
            name="<script>", _=gettext, ngettext=ngettext,
        )
    assert html == "Hello &lt;script&gt;|100% sure|3 days"
