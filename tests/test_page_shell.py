"""The module page as a page shell (page_shell.py): rendered once per module, language and menu, with the learner's
activity, the CSRF token and flashed messages filled in on every request."""
import re

import pytest
from flask import g, template_rendered
from flask_babel import refresh
from sqlalchemy import update

from courseware.extensions import db
from courseware.models import Course, Enrolment, User
from courseware.services import enrolment

from .learning_factory import load, make_course, make_firm


@pytest.fixture
def renders(app):
    """Names of the templates rendered, in order."""
    names = []

    def record(_sender, template, context, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def _get(client, url):
    # The tests' requests share one app context: forget the user and token it cached, as a new request would.
    db.session.expunge_all()
    for name in ("_login_user", "csrf_token"):
        g.pop(name, None)
    refresh()  # Flask-Babel's cached locale
    return client.get(url, follow_redirects=False)


def test_shell_and_activity_are_rendered_once_per_state(client, login, make_user, renders):
    course_id = make_course("kurs").id
    user = make_user("learner", firm_id=make_firm().id)
    user_id = user.id
    login(user)
    for _ in range(3):
        page = _get(client, "/courses/kurs/intro")
        assert page.status_code == 200
    assert renders.count("public/module.html") == 1
    assert renders.count("learner/_module_activity.html") == 1
    enrolment.enrol(db.session.get(User, user_id), load(db.session.get(Course, course_id)))
    db.session.commit()
    for _ in range(2):
        enrolled = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert "Mark as read" in enrolled
    assert renders.count("public/module.html") == 1  # the layout and content did not change
    assert renders.count("learner/_module_activity.html") == 2
    html = page.get_data(as_text=True)
    assert "cw-hole-" not in html
    assert "Enrol in the course" in html and 'id="activity"' in html
    assert html.index("Hvorfor digitalisere?") < html.index('id="activity"') < html.index('class="module-nav"')


def test_each_learner_sees_their_own_activity_in_the_shared_shell(client, login, make_user, renders):
    course = make_course("kurs")
    enrolled = make_user("learner", firm_id=make_firm().id)
    enrolment.enrol(enrolled, load(course))
    db.session.commit()
    other = make_user("learner", firm_id=enrolled.firm_id)
    enrolled_id, other_id = enrolled.id, other.id

    login(enrolled)
    mine = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    login(db.session.get(User, other_id))
    theirs = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert renders.count("public/module.html") == 1  # same module, language and menu
    assert "Mark as read" in mine and "Enrol in the course" not in mine
    assert "Enrol in the course" in theirs and "Mark as read" not in theirs


def test_the_menu_follows_the_role(client, login_as, renders):
    make_course("kurs")
    login_as("author")
    author_page = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    login_as("learner")
    learner_page = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert renders.count("public/module.html") == 2
    assert ">Studio<" in author_page and ">Studio<" not in learner_page


def test_the_language_follows_the_user(client, login, make_user):
    make_course("kurs")
    user = make_user("learner", firm_id=make_firm().id)
    login(user)
    english = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    db.session.execute(update(User).where(User.id == user.id).values(locale="nb"))
    db.session.commit()
    bokmaal = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert "Log out" in english and "Logg ut" in bokmaal
    assert '<html lang="nb">' in bokmaal


def test_flashed_messages_show_once(client, login, make_user):
    course = make_course("kurs")
    user = make_user("learner", firm_id=make_firm().id)
    enrolment.enrol(user, load(course))
    db.session.commit()
    login(user)
    _get(client, "/courses/kurs/intro")
    response = client.post("/me/courses/kurs/intro/read")
    assert response.status_code == 302
    after = _get(client, response.headers["Location"]).get_data(as_text=True)
    assert "Marked as read." in after and 'class="flashes"' in after
    again = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert "Marked as read." not in again and 'class="flashes"' not in again


def test_a_query_string_renders_without_a_shell(client, login_as, renders):
    make_course("kurs")
    login_as("learner")
    html = _get(client, "/courses/kurs/intro?utm_source=nyhetsbrev").get_data(as_text=True)
    assert "cw-hole-" not in html and 'id="activity"' in html
    assert 'name="next" value="/courses/kurs/intro?utm_source=nyhetsbrev"' in html
    _get(client, "/courses/kurs/intro?utm_source=nyhetsbrev")
    assert renders.count("public/module.html") == 2  # not cached per query string


def test_course_text_that_looks_like_a_hole_is_printed_as_it_is(client, login_as):
    make_course("kurs", modules=[{"key": "intro", "title": "cw-hole-0123456789abcdef01234567-csrf"}])
    login_as("learner")
    html = _get(client, "/courses/kurs/intro").get_data(as_text=True)
    assert "cw-hole-0123456789abcdef01234567-csrf" in html


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_form_has_this_sessions_token_and_it_works(self, client, login, make_user):
        course_id = make_course("kurs").id
        user = make_user("learner", firm_id=make_firm().id)
        user_id = user.id
        login(user)
        html = _get(client, "/courses/kurs/intro").get_data(as_text=True)
        tokens = re.findall(r'name="csrf_token" value="([^"]+)"', html)
        assert len(tokens) == 3  # log out, enrol, language
        assert len(set(tokens)) == 1 and "cw-hole-" not in tokens[0]
        response = client.post("/me/courses/kurs/enrol", data={"csrf_token": tokens[0]})
        assert response.status_code == 302
        assert db.session.query(Enrolment).filter_by(user_id=user_id, course_id=course_id).count() == 1


def _normalised(html: str) -> str:
    """A module page without what differs on every view (the quiz's token and shuffled choices) or with the URL."""
    html = re.sub(r'name="token" value="[0-9a-f]+"', 'name="token" value="…"', html)
    html = re.sub(r"<fieldset>.*?</fieldset>", lambda m: "<fieldset>" + "".join(sorted(
        re.findall(r"<label.*?</label>", m.group(0), re.S))) + re.search(r"<legend>.*?</legend>", m.group(0)).group(0)
        + "</fieldset>", html, flags=re.S)
    html = re.sub(r'name="next" value="[^"]*"', 'name="next" value="…"', html)
    return re.sub(r"\s+", " ", html)  # the empty flashes macro prints a few blank lines, its hole none


def test_cached_pages_equal_freshly_rendered_ones_in_every_state(client, login, make_user):
    """For each learner state the page from shells and fragments equals a full render of the same state (a query
    string makes the page render without them), so the fragment key holds everything the template shows."""
    from courseware.services import learning, quiz as quiz_service

    from .learning_factory import answers_for, get_module

    make_course("kurs")
    make_course("open", audience="public")
    firm_id = make_firm().id
    steps = [
        ("not enrolled, firm course, no firm", None, lambda u, c: None),
        ("not enrolled, in a firm", firm_id, lambda u, c: None),
        ("enrolled", firm_id, lambda u, c: enrolment.enrol(u, c)),
        ("read", firm_id, lambda u, c: learning.mark_read(u, get_module(c, "sensorer"))),
        ("one task", firm_id, lambda u, c: learning.set_task(u, get_module(c, "sensorer"), 1, True)),
        ("quiz failed", firm_id, lambda u, c: learning.submit_quiz(
            u, get_module(c, "sensorer"), answers_for(get_module(c, "sensorer"), right=False), quiz_service.new_token())),
        ("all tasks", firm_id, lambda u, c: learning.set_task(u, get_module(c, "sensorer"), 0, True)),
        ("quiz passed", firm_id, lambda u, c: learning.submit_quiz(
            u, get_module(c, "sensorer"), answers_for(get_module(c, "sensorer")), quiz_service.new_token())),
        ("withdrawn", firm_id, lambda u, c: enrolment.withdraw(u, c)),
    ]
    seen = set()
    for slug in ("kurs", "open"):
        for firm in (None, firm_id):
            user_id = make_user("learner", firm_id=firm).id
            for label, _firm, step in steps:
                if (_firm is None) != (firm is None):
                    continue
                user = db.session.get(User, user_id)
                step(user, load(db.session.execute(db.select(Course).filter_by(slug=slug)).scalar_one()))
                db.session.commit()
                login(db.session.get(User, user_id))
                for key in ("intro", "sensorer"):
                    cached = _get(client, f"/courses/{slug}/{key}")
                    fresh = _get(client, f"/courses/{slug}/{key}?fresh=1")
                    assert cached.status_code == fresh.status_code == 200, (slug, label, key)
                    a, b = cached.get_data(as_text=True), fresh.get_data(as_text=True)
                    assert _normalised(a) == _normalised(b), (slug, label, key)
                    seen.add(re.search(r'<section id="activity".*?</section>', a, re.S).group(0))
    assert len(seen) >= 12  # the states above really give different activity sections


def test_cached_pages_equal_fresh_ones_under_a_daily_limit_and_with_drawn_questions(client, login, make_user,
                                                                                     monkeypatch):
    """The quiz policy's states (attempts left today, used up until a given day, a new day, passed; questions drawn
    from a pool) give the same page from shells as from a full render, and each state shows differently."""
    from datetime import datetime, timezone

    from courseware.services import attempts, learning, quiz as quiz_service

    from .learning_factory import QUIZ, answers_for, get_module

    pool = {"draw": 2, "questions": [{"prompt": f"Spørsmål {i}", "correct": [f"Riktig {i}"], "wrong": [f"Galt {i}"]}
                                     for i in range(4)]}
    make_course("kurs", attempts_per_day=2, modules=[
        {"key": "intro", "title": "Intro"}, {"key": "sensorer", "title": "Sensorer", "quiz": QUIZ},
        {"key": "pool", "title": "Spørsmålsbank", "quiz": pool}])
    clock = {"now": datetime(2027, 1, 15, 11, 0, tzinfo=timezone.utc)}
    for service in (attempts, learning):
        monkeypatch.setattr(service, "utcnow", lambda: clock["now"])

    def submit(key, right):
        def step(user, course):
            module = get_module(course, key)
            learning.submit_quiz(user, module, answers_for(module, right=right), quiz_service.new_token())
        return step

    def submit_drawn(right):
        def step(user, course):
            module = get_module(course, "pool")
            token = quiz_service.new_token()
            drawn = quiz_service.sign_draw(module, user.id, token, quiz_service.show_quiz(module))
            learning.submit_quiz(user, module, answers_for(module, right=right), token, drawn=drawn)
        return step

    def fail_once(user, course):
        submit("sensorer", False)(user, course)
        submit_drawn(False)(user, course)

    def pass_both(user, course):  # on a third day
        clock["now"] = datetime(2027, 1, 16, 23, 0, tzinfo=timezone.utc)
        submit("sensorer", True)(user, course)
        submit_drawn(True)(user, course)

    def next_day(user, course):
        clock["now"] = datetime(2027, 1, 15, 23, 0, tzinfo=timezone.utc)  # midnight in Oslo

    steps = [
        ("enrolled: two attempts left", lambda u, c: enrolment.enrol(u, c)),
        ("one failed: one left", fail_once),
        ("two failed: used up until 16 January", fail_once),
        ("a new day: two left", next_day),
        ("one failed", fail_once),
        ("two failed: used up until 17 January", fail_once),
        ("passed on a third day", pass_both),
    ]
    firm_id = make_firm().id
    user_id = make_user("learner", firm_id=firm_id).id
    seen = {}
    for label, step in steps:
        step(db.session.get(User, user_id), load(db.session.execute(db.select(Course).filter_by(slug="kurs")).scalar_one()))
        db.session.commit()
        login(db.session.get(User, user_id))
        for key in ("sensorer", "pool"):
            cached = _get(client, f"/courses/kurs/{key}")
            fresh = _get(client, f"/courses/kurs/{key}?fresh=1")
            assert cached.status_code == fresh.status_code == 200, (label, key)
            a, b = (_without_questions(r.get_data(as_text=True)) for r in (cached, fresh))
            assert a == b, (label, key)
            seen[(label, key)] = re.search(r'<div class="card step quiz".*?</section>', a, re.S).group(0)
    for key in ("sensorer", "pool"):
        quiz_cards = [seen[(label, key)] for label, _step in steps]
        assert seen[("one failed", key)] == seen[("one failed: one left", key)]  # the same state on two days
        assert len(set(quiz_cards)) == len(steps) - 1, key  # and every other state shows differently
    new_day = seen[("a new day: two left", "pool")]
    assert "2 attempts left today." in new_day and 'name="drawn"' in new_day
    used_up = seen[("two failed: used up until 17 January", "sensorer")]
    assert "Submit answers" not in used_up and "Jan 17, 2027" in used_up


def _without_questions(html: str) -> str:
    """A module page without what differs per view, also which questions were drawn from a pool."""
    html = re.sub(r"<fieldset>.*?</fieldset>", "[a question]", html, flags=re.S)
    html = re.sub(r'name="drawn" value="[^"]*"', 'name="drawn" value="…"', html)
    return _normalised(html)
