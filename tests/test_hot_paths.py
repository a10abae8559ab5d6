"""The module page's fast path and what it relies on: one query for the module, the learner's state and the user;
the per-process module views; CSRF tokens signed once per session; and SQLite transactions that GET requests
begin only when they write."""
import re

import pytest
from flask import g
from sqlalchemy import func, select, text

from courseware.extensions import db
from courseware.models import Enrolment, Firm, TaskCheck, User
from courseware.services import catalogue, enrolment, learning

from .learning_factory import get_module, load, make_course, make_firm


@pytest.fixture
def learner(make_user, login):
    user = make_user("learner", firm_id=make_firm().id)
    login(user)
    return user


def _new_request():
    """Like a new request in production: the tests' requests share one app context, so forget what it cached."""
    db.session.expunge_all()
    for name in ("_login_user", "csrf_token"):
        g.pop(name, None)


def _fresh_request_queries(client, count_queries, url):
    """The statements of one request as production runs it: nothing cached in the session or the app context."""
    _new_request()
    with count_queries() as counter:
        response = client.get(url)
    return counter, response


def test_module_page_is_one_query_with_ticked_tasks_and_the_user(client, count_queries, learner):
    course = make_course("kurs")
    enrolment.enrol(learner, load(course))
    learning.mark_read(learner, get_module(course, "sensorer"))
    learning.set_task(learner, get_module(course, "sensorer"), 1, True)
    db.session.commit()

    client.get("/courses/kurs/sensorer")  # the first view of a module in this process also reads the module
    counter, response = _fresh_request_queries(client, count_queries, "/courses/kurs/sensorer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert counter.count == 1, counter  # not a separate query for Flask-Login's user
    assert "1 of 2 tasks done" in html
    assert html.count('aria-pressed="true"') == 1 and "You have read this module." in html
    assert "My firm" in html  # the layout knows the user, who is in a firm


def test_module_page_cold_module_view_costs_one_more_query(app, client, count_queries, learner):
    make_course("kurs")
    app.extensions.pop("courseware_module_views", None)
    counter, response = _fresh_request_queries(client, count_queries, "/courses/kurs/intro")
    assert response.status_code == 200
    assert counter.count == 2, counter


def test_module_page_user_state_is_the_logged_in_users(client, make_user, login, learner):
    """Two learners in turn on one client: each sees their own state, never the other's."""
    course = make_course("kurs")
    enrolment.enrol(learner, load(course))
    learning.set_task(learner, get_module(course, "intro"), 0, True)
    db.session.commit()
    assert "1 of 1 tasks done" in client.get("/courses/kurs/intro").get_data(as_text=True)

    other = make_user("learner", firm_id=make_firm(orgnr="986399445").id)
    login(other)
    html = client.get("/courses/kurs/intro").get_data(as_text=True)
    assert "Enrol in the course" in html and "tasks done" not in html


def test_module_page_asks_to_log_in_without_a_user(client, learner):
    make_course("kurs")
    with client.session_transaction() as session:  # logged out
        session.clear()
    for url in ("/courses/kurs/intro", "/courses/kurs/no-such-module", "/courses/no-such-course/intro"):
        _new_request()
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_module_page_for_a_deleted_user_asks_to_log_in(client, learner):
    make_course("kurs")
    assert client.get("/courses/kurs/intro").status_code == 200
    db.session.execute(db.delete(User).where(User.id == learner.id))
    db.session.commit()
    _new_request()
    response = client.get("/courses/kurs/intro")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_module_page_not_found_for_a_logged_in_user(client, learner):
    make_course("kurs")
    assert client.get("/courses/kurs/no-such-module").status_code == 404
    assert client.get("/courses/no-such-course/intro").status_code == 404


def test_module_page_after_a_reimport_shows_the_new_version(client, login_as, import_course, courses_dir):
    import_course("minimal")
    login_as("learner")
    before = client.get("/courses/minimal/intro").get_data(as_text=True)
    path = courses_dir / "minimal" / "modules" / "01-intro.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nEtt nytt avsnitt om melkeroboter.\n", encoding="utf-8")
    from courseware.content.importer import import_packages

    assert import_packages([courses_dir / "minimal"]).updated
    db.session.commit()
    after = client.get("/courses/minimal/intro").get_data(as_text=True)
    assert "melkeroboter" not in before and "melkeroboter" in after


def test_module_view_is_immutable_and_keeps_the_outline(client, learner):
    make_course("kurs")
    view = catalogue.module_view(*_row_for("kurs", "sensorer"))
    assert view.key == "sensorer" and view.version.course.slug == "kurs"
    assert view.previous["key"] == "intro" and view.following["key"] == "veien-videre"
    assert view.has_quiz and len(view.tasks) == 2
    with pytest.raises(AttributeError):
        view.title = "Noe annet"
    assert catalogue.module_view(*_row_for("kurs", "sensorer")) is view


def _row_for(slug, key):
    from courseware.models import Course, CourseVersion, Module

    return db.session.execute(
        select(Module.id, Module.render_hash, CourseVersion.id, CourseVersion.source_hash, Course.id, Course.slug)
        .join(CourseVersion, Module.version_id == CourseVersion.id)
        .join(Course, Course.current_version_id == CourseVersion.id)
        .where(Course.slug == slug, Module.key == key)
    ).one()


# --- CSRF tokens ---------------------------------------------------------------------------------------------------

def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


class TestCsrfTokens:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_one_signed_token_per_session_that_forms_accept(self, app, client, learner):
        make_course("kurs")
        first = _tokens(client.get("/courses/kurs/intro").get_data(as_text=True))
        _new_request()
        second = _tokens(client.get("/courses/kurs").get_data(as_text=True))
        assert len(first) == 1 and first == second
        token = first.pop()
        assert client.post("/me/courses/kurs/enrol", data={"csrf_token": token}).status_code == 302
        assert db.session.query(Enrolment).count() == 1

    def test_sessions_get_different_tokens(self, app, learner, make_user, login):
        make_course("kurs")
        a, b = app.test_client(), app.test_client()
        login(learner, a)
        login(make_user("learner", firm_id=make_firm(orgnr="986399445").id), b)
        token_a = _tokens(a.get("/courses/kurs/intro").get_data(as_text=True))
        _new_request()
        token_b = _tokens(b.get("/courses/kurs/intro").get_data(as_text=True))
        assert token_a and token_b and token_a.isdisjoint(token_b)
        # A token from another session is refused.
        assert b.post("/me/courses/kurs/enrol", data={"csrf_token": token_a.pop()}).status_code == 400

    def test_with_a_time_limit_a_signed_token_is_reused_for_a_short_while_only(self, app, client, learner,
                                                                               monkeypatch):
        import courseware.web.security as security

        app.config["WTF_CSRF_TIME_LIMIT"] = 3600
        now = [1000.0]
        monkeypatch.setattr(security.time, "monotonic", lambda: now[0])
        signed = []
        real = security.generate_csrf
        monkeypatch.setattr(security, "generate_csrf", lambda: signed.append(1) or real())
        make_course("kurs")
        for _ in range(2):
            _new_request()
            client.get("/courses/kurs/intro")
        assert len(signed) == 1
        now[0] += 61
        _new_request()
        client.get("/courses/kurs/intro")
        assert len(signed) == 2


# --- SQLite transactions -------------------------------------------------------------------------------------------

@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's transaction handling")


def _in_transaction() -> bool:
    return db.session.connection().connection.driver_connection.in_transaction


def test_get_request_reads_without_a_transaction(app, sqlite_only):
    with app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT 1")).scalar()
        assert not _in_transaction()
        db.session.remove()


def test_get_request_that_writes_begins_a_transaction_first(app, sqlite_only):
    with app.test_request_context("/", method="GET"):
        assert db.session.execute(select(func.count(Firm.id))).scalar() == 0
        assert not _in_transaction()
        db.session.add(Firm(orgnr="817920632", name="Skrivefeil AS", municipality_code="5001"))
        db.session.flush()
        assert _in_transaction()
        db.session.rollback()  # atomic: nothing of it is left
        assert db.session.execute(select(func.count(Firm.id))).scalar() == 0
        db.session.remove()


def test_get_request_savepoint_is_inside_a_transaction(app, sqlite_only):
    with app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT 1"))
        with db.session.begin_nested():
            db.session.add(Firm(orgnr="817920632", name="Lagret AS", municipality_code="5001"))
        assert _in_transaction()  # the savepoint's release did not commit on its own
        db.session.rollback()
        assert db.session.execute(select(func.count(Firm.id))).scalar() == 0
        db.session.remove()


def test_post_request_takes_the_write_lock_at_once(app, sqlite_only):
    with app.test_request_context("/", method="POST"):
        db.session.execute(text("SELECT 1"))
        assert _in_transaction()
        db.session.remove()


def test_get_then_post_on_the_same_pooled_connection(app, sqlite_only):
    """The lazy-begin flag lives on the pooled connection: a POST after a GET still begins at once."""
    for method, expected in (("GET", False), ("POST", True), ("GET", False)):
        with app.test_request_context("/", method=method):
            db.session.execute(text("SELECT 1"))
            assert _in_transaction() is expected, method
            db.session.remove()


def test_ticked_tasks_aggregate_on_this_database(client, learner):
    """The page query aggregates ticked task numbers in SQL (group_concat / string_agg)."""
    course = make_course("kurs")
    enrolment.enrol(learner, load(course))
    for index in (0, 1):
        learning.set_task(learner, get_module(course, "sensorer"), index, True)
    db.session.commit()
    assert db.session.query(TaskCheck).count() == 2
    assert "2 of 2 tasks done" in client.get("/courses/kurs/sensorer").get_data(as_text=True)


def test_prefetched_user_is_a_clean_loaded_user(app, make_user):
    from sqlalchemy import inspect

    from courseware.services.accounts import prefetch_user, take_prefetched_user

    user = make_user("author", name="Ola Forfatter")
    values = {attr.key: getattr(user, attr.key) for attr in User.__mapper__.column_attrs}
    with app.test_request_context("/"):
        fetched = prefetch_user(values, 7)
        state = inspect(fetched)
        assert state.detached and not state.modified and not state.expired_attributes
        assert (fetched.id, fetched.name, fetched.role, fetched.email) == (user.id, "Ola Forfatter", "author", user.email)
        assert fetched.get_id() == f"{user.id}:{user.session_stamp}:7"
        assert take_prefetched_user(user.id + 1, 7) is None  # another user: not handed out (and gone)
        prefetch_user(values, 7)
        assert take_prefetched_user(user.id, 8) is None  # another login of the same user: not handed out
        prefetch_user(values, 7)
        assert take_prefetched_user(user.id, 7) is not None and take_prefetched_user(user.id, 7) is None
