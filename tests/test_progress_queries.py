"""Query counts: the module page, the course page and "Mine kurs" run a fixed number of queries however many
enrolments and progress rows a learner has."""
import pytest
from flask import g

from courseware.extensions import db
from courseware.services import enrolment, learning

from .learning_factory import get_module, load, make_course, make_firm


@pytest.fixture
def busy_learner(make_user, login):
    """A learner in a firm with some progress in five courses."""
    user = make_user("learner", firm_id=make_firm().id)
    for n in range(5):
        course = make_course(f"kurs-{n}")
        enrolment.enrol(user, load(course))
        learning.mark_read(user, get_module(course, "intro"))
        learning.set_task(user, get_module(course, "sensorer"), 0, True)
    db.session.commit()
    login(user)
    return user


def _count(client, count_queries, url):
    client.get(url)  # warm up (first-request work is not what we measure)
    # Like a new request in production: nothing in the session, no user cached in the (shared) app context.
    db.session.expunge_all()
    g.pop("_login_user", None)
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter, response.get_data(as_text=True)


@pytest.mark.parametrize("key", ["intro", "sensorer", "veien-videre"])
def test_module_page_runs_one_query(client, count_queries, busy_learner, key):
    counter, html = _count(client, count_queries, f"/courses/kurs-2/{key}")
    # One query reads which module is published, the enrolment, completion, progress and ticked tasks, and the
    # user's row for Flask-Login; the module itself comes from the per-process module views (warmed up above).
    assert counter.count == 1, counter
    assert 'id="activity"' in html


def test_course_page_runs_a_fixed_number_of_queries(client, count_queries, busy_learner):
    counter, html = _count(client, count_queries, "/courses/kurs-3")
    # user, course, modules, enrolment with progress, ticked tasks
    assert counter.count <= 5, counter
    assert 'aria-valuenow="0"' in html and "state-started" in html


def test_my_courses_runs_the_same_queries_for_one_or_five_courses(client, count_queries, make_user, login):
    user = make_user("learner", firm_id=make_firm().id)
    login(user)
    counts = []
    for n in range(5):
        course = make_course(f"kurs-{n}")
        enrolment.enrol(user, load(course))
        learning.mark_read(user, get_module(course, "veien-videre"))
        learning.set_task(user, get_module(course, "intro"), 0, True)
        db.session.commit()
        if n in (0, 4):
            counter, html = _count(client, count_queries, "/me/courses")
            counts.append(counter.count)
            assert html.count("Continue where you left off") == n + 1
            assert html.count('aria-valuenow="33"') == n + 1
    # user, enrolments with courses and completions, progress rows, ticked tasks
    assert counts == [4, 4], counter


def test_my_courses_empty_state_links_to_the_catalogue(client, login_as):
    login_as("learner")
    html = client.get("/me/courses").get_data(as_text=True)
    assert "You are not enrolled in any course yet." in html
    assert 'href="/"' in html


def test_my_courses_lists_in_progress_completed_and_left(client, make_user, login):
    user = make_user("learner", firm_id=make_firm().id)
    short = make_course("kort", modules=[{"key": "en", "title": "Eneste modul"}], title="Kort kurs")
    long = make_course("lang", title="Langt kurs")
    left = make_course("forlatt", title="Forlatt kurs")
    for course in (short, long, left):
        enrolment.enrol(user, load(course))
    learning.mark_read(user, get_module(short, "en"))
    learning.mark_read(user, get_module(long, "sensorer"))
    enrolment.withdraw(user, load(left))
    db.session.commit()
    login(user)
    html = client.get("/me/courses").get_data(as_text=True)
    in_progress, rest = html.split('id="completed-title"')
    completed, withdrawn = rest.split('id="withdrawn-title"')
    assert "Langt kurs" in in_progress and "Kort kurs" not in in_progress
    assert 'href="/courses/lang/sensorer"' in in_progress  # the last module touched, unfinished
    assert "Kort kurs" in completed and "version 1" in completed
    assert "Forlatt kurs" in withdrawn
