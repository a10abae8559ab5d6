"""Quiz policy (COURSE_FORMAT.md "Quiz policy"): when right answers reach the browser (show_answers), how many
attempts a learner has per calendar day in Oslo (attempts_per_day, with a fixed clock), and questions drawn from a
pool per attempt (draw), with the drawn set fixed by the form's signature."""
import json
import random
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import g

from courseware.errors import InvalidInput, PermissionDenied
from courseware.extensions import db
from courseware.models import ModuleProgress, QuizAttempt, User
from courseware.services import attempts, enrolment, learning, module_page, quiz

from .learning_factory import QUIZ, answers_for, get_module, load, make_course, make_firm, quiz_form

OSLO = ZoneInfo("Europe/Oslo")
POOL = {
    "pass_mark": None, "draw": 2,
    "questions": [{"prompt": f"Spørsmål {i}", "correct": [f"Riktig {i}"], "wrong": [f"Galt {i}"],
                   "explain": f"Forklaring {i}."} for i in range(5)],
}


def oslo(*args) -> datetime:
    """A moment given in Norwegian time, as the UTC timestamp the services take."""
    return datetime(*args, tzinfo=OSLO).astimezone(timezone.utc)


def course_with(slug="kurs", quiz_settings=None, **version_policy):
    """The default test course, its "sensorer" quiz with extra settings, the version with `version_policy`."""
    modules = [{"key": "intro", "title": "Hvorfor digitalisere?"},
               {"key": "sensorer", "title": "Sensorer i fjøset", "quiz": {**QUIZ, **(quiz_settings or {})}}]
    return make_course(slug, modules=modules, **version_policy)


@pytest.fixture
def learner(app, make_user, login):
    return login(make_user("learner", firm_id=make_firm().id))


def enrol(user, course):
    enrolment.enrol(user, load(course))
    db.session.commit()


@pytest.fixture
def clock(monkeypatch):
    """A fixed clock for the web tests: set `clock.now`; services that take `now=None` read it."""

    class Clock:
        now = oslo(2027, 1, 15, 12, 0)

    for module in (attempts, learning):
        monkeypatch.setattr(module, "utcnow", lambda: Clock.now)
    return Clock


def _attempts() -> int:
    """Attempts saved (each test has one learner)."""
    return db.session.query(QuizAttempt).count()


def _page(client, url="/courses/kurs/sensorer") -> str:
    db.session.expunge_all()
    g.pop("_login_user", None)
    return client.get(url).get_data(as_text=True)


# --- Which policy applies --------------------------------------------------------------------------------------------

def test_a_module_overrides_each_setting_of_the_course(app):
    course = course_with(quiz_settings={"show_answers": "always", "attempts_per_day": 0}, show_answers="never",
                         attempts_per_day=3)
    assert quiz.policy(get_module(course, "sensorer")) == quiz.Policy("always", 0)  # 0 = no limit, not "unset"
    plain = course_with("annet", show_answers="never", attempts_per_day=3)
    assert quiz.policy(get_module(plain, "sensorer")) == quiz.Policy("never", 3)


def test_quizzes_imported_before_the_policy_have_the_defaults(app):
    course = make_course("kurs")  # a quiz without show_answers, attempts_per_day and draw keys
    module = get_module(course, "sensorer")
    assert "show_answers" not in module.quiz
    assert quiz.policy(module) == quiz.Policy("after-pass", 0) and quiz.draw_count(module) == 0


@pytest.mark.parametrize("show, passed, reveals", [
    ("after-pass", False, False), ("after-pass", True, True), ("always", False, True), ("always", True, True),
    ("never", False, False), ("never", True, False),
])
def test_policy_reveals(show, passed, reveals):
    assert quiz.Policy(show, 0).reveals(passed) is reveals


# --- show_answers in the HTML the browser receives -------------------------------------------------------------------

@pytest.mark.parametrize("show, right, revealed", [
    ("after-pass", False, False), ("after-pass", True, True), ("always", False, True), ("always", True, True),
    ("never", False, False), ("never", True, False),
])
def test_the_result_page_holds_right_answers_only_as_the_policy_says(client, learner, show, right, revealed):
    course = course_with(show_answers=show)
    enrol(learner, course)
    url = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer"), right=right))
    html = client.get(url.headers["Location"]).get_data(as_text=True)
    # Which questions were right or wrong, and the learner's own choices, always show.
    marker = "✓ Right" if right else "✗ Not right"
    assert html.count(marker) == 2 and html.count("your answer") == (3 if right else 2)
    secrets = ["choice-correct", "choice-note answer-right", "Loggeren lagrer temperaturen.", "Et regneark måler"]
    assert all((s in html) is revealed for s in secrets), [(s, s in html) for s in secrets]
    if show == "never":
        assert "This quiz does not show the right answers." in html
    elif not revealed:
        assert "The right answers and explanations are shown once you have passed." in html


def test_never_keeps_the_answers_hidden_on_every_earlier_attempt(client, learner):
    course = course_with(show_answers="never")
    enrol(learner, course)
    module = get_module(course, "sensorer")
    urls = [client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=r)).headers["Location"]
            for r in (False, True)]
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert "choice-correct" not in html and "Loggeren lagrer" not in html


def test_the_data_export_holds_the_learners_choices_but_not_the_right_ones(client, learner):
    course = course_with(show_answers="always")
    enrol(learner, course)
    client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer"), right=False))
    export = json.loads(client.get("/me/export").get_data(as_text=True))
    [question, _second] = export["quiz_attempts"][0]["answers"]["questions"]
    assert question["right"] is False and "explain" not in question
    assert {c["text"]: c["chosen"] for c in question["choices"]} == {
        "Fôrforbruk": False, "Melkemengde": True, "Temperatur over tid": False}
    assert all(set(c) == {"text", "chosen"} for c in question["choices"])


# --- Attempts per day: the service, with a fixed clock ---------------------------------------------------------------

def _submit(user, course, now, *, right=False, token=None):
    module = get_module(course, "sensorer")
    result = learning.submit_quiz(user, module, answers_for(module, right=right), token or quiz.new_token(), now=now)
    db.session.commit()
    return result


def test_a_submission_beyond_the_days_limit_is_refused_and_saves_nothing(learner):
    course = course_with(attempts_per_day=2)
    enrol(learner, course)
    _submit(learner, course, oslo(2027, 1, 15, 8, 0))
    _submit(learner, course, oslo(2027, 1, 15, 9, 0))
    before = db.session.execute(db.select(ModuleProgress.best_score, ModuleProgress.updated_at)).one()
    with pytest.raises(PermissionDenied) as refusal:
        _submit(learner, course, oslo(2027, 1, 15, 23, 59), right=True)
    db.session.rollback()  # as the view does
    assert "You can try again on Jan 16, 2027." in refusal.value.message
    assert _attempts() == 2
    assert db.session.execute(db.select(ModuleProgress.best_score, ModuleProgress.updated_at)).one() == before


@pytest.mark.parametrize("last_of_day, first_of_next", [
    (datetime(2027, 1, 15, 22, 59, 59, tzinfo=timezone.utc), datetime(2027, 1, 15, 23, 0, tzinfo=timezone.utc)),  # CET
    (datetime(2027, 6, 15, 21, 59, 59, tzinfo=timezone.utc), datetime(2027, 6, 15, 22, 0, tzinfo=timezone.utc)),  # CEST
])
def test_a_new_day_starts_at_midnight_in_oslo_summer_and_winter(learner, last_of_day, first_of_next):
    course = course_with(attempts_per_day=1)
    enrol(learner, course)
    _submit(learner, course, last_of_day.replace(hour=10, minute=0, second=0))  # noon in Oslo, same UTC date
    with pytest.raises(PermissionDenied):
        _submit(learner, course, last_of_day)  # 23:59:59 in Oslo, a UTC hour or two before the UTC date ends
    db.session.rollback()
    _submit(learner, course, first_of_next)  # 00:00 in Oslo: a new day, though the UTC date is still the same
    with pytest.raises(PermissionDenied):
        _submit(learner, course, first_of_next.replace(hour=23, minute=59))  # still that Oslo day in UTC terms
    db.session.rollback()
    assert _attempts() == 2


def test_local_day_and_allowance(app, learner):
    today, start, end = attempts.local_day(datetime(2027, 3, 28, 0, 30, tzinfo=timezone.utc))  # the spring switch
    assert (today.isoformat(), start.isoformat(), end.isoformat()) == (
        "2027-03-28", "2027-03-27T23:00:00+00:00", "2027-03-28T22:00:00+00:00")  # a 23-hour day
    course = course_with(attempts_per_day=3)
    enrol(learner, course)
    _submit(learner, course, oslo(2027, 3, 28, 12, 0))
    for in_transaction in (True, False):
        allowance = attempts.allowance(learner.id, course.id, "sensorer", 3, oslo(2027, 3, 28, 23, 0),
                                       in_transaction=in_transaction)
        assert (allowance.used, allowance.left, allowance.next_day.isoformat()) == (1, 2, "2027-03-29")
    assert attempts.allowance(learner.id, course.id, "sensorer", 3, oslo(2027, 3, 29, 0, 0)).used == 0


def test_the_limit_ends_with_a_pass(learner):
    course = course_with(attempts_per_day=2)
    enrol(learner, course)
    _submit(learner, course, oslo(2027, 1, 15, 8, 0))
    _submit(learner, course, oslo(2027, 1, 15, 9, 0), right=True)
    for hour in (10, 11, 12):  # taking a passed quiz again changes nothing that counts
        _submit(learner, course, oslo(2027, 1, 15, hour, 0))
    assert _attempts() == 5


def test_the_same_form_sent_twice_at_the_limit_returns_its_attempt(learner):
    course = course_with(attempts_per_day=1)
    enrol(learner, course)
    token = quiz.new_token()
    first = _submit(learner, course, oslo(2027, 1, 15, 8, 0), token=token)
    again = _submit(learner, course, oslo(2027, 1, 15, 8, 0), token=token)  # a double click is not a new attempt
    assert again.repeated and again.attempt.id == first.attempt.id and _attempts() == 1


# --- Attempts per day: the module page and the result page -----------------------------------------------------------

def _form_parts(html):
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    return token.group(1) if token else None


def test_the_module_page_counts_down_and_then_says_when_to_come_back(client, learner, clock):
    course = course_with(attempts_per_day=2)
    enrol(learner, course)
    module = get_module(course, "sensorer")
    html = _page(client)
    assert "You can try 2 times a day." in html and "2 attempts left today." in html and _form_parts(html)
    client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=False))
    html = _page(client)
    assert "1 attempt left today." in html and "Try again!" in html
    result = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer"), right=False))
    result_html = client.get(result.headers["Location"]).get_data(as_text=True)
    assert "You can try again on Jan 16, 2027." in result_html and ">Try again<" not in result_html
    html = _page(client)
    quiz_part = html[html.index('id="quiz"'):html.index("</section>")]
    assert _form_parts(html) is None and "<fieldset>" not in quiz_part and "Submit answers" not in quiz_part
    assert "You can try again on Jan 16, 2027." in quiz_part and "state-locked" in quiz_part
    assert "Your best score so far is 0 %. You need 80 % to pass." in quiz_part

    clock.now = oslo(2027, 1, 16, 0, 0)
    html = _page(client)
    assert "2 attempts left today." in html and _form_parts(html)


def test_a_web_submission_beyond_the_limit_is_refused_with_the_message(client, learner, clock):
    course = course_with(attempts_per_day=1)
    enrol(learner, course)
    module = get_module(course, "sensorer")
    first, second = quiz_form(module, right=False), quiz_form(module, right=True)  # two tabs, two forms
    assert client.post("/me/courses/kurs/sensorer/quiz", data=first).status_code == 302
    response = client.post("/me/courses/kurs/sensorer/quiz", data=second)
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/kurs/sensorer#activity")
    html = _page(client, response.headers["Location"])
    # The flash and the quiz card.
    assert html.count("attempts at this quiz. You can try again on Jan 16, 2027.") == 2
    assert _attempts() == 1
    assert db.session.execute(db.select(ModuleProgress.quiz_passed_at)).scalar_one() is None


def test_the_result_page_shows_attempts_left_and_try_again_first(client, learner, clock):
    course = course_with(attempts_per_day=3)
    enrol(learner, course)
    response = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer"), right=False))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 attempts left today." in html
    nav = html[html.index('class="module-nav"'):]
    assert re.search(r'<a class="button" href="[^"]*/courses/kurs/sensorer#quiz">Try again</a>', nav)
    assert nav.index(">Try again<") < nav.index("Back to the course")
    assert 'class="button secondary" href="/courses/kurs">Back to the course' in nav


def test_without_a_limit_the_pages_say_nothing_of_attempts(client, learner):
    course = course_with()
    enrol(learner, course)
    form = quiz_form(get_module(course, "sensorer"), right=False)
    html = _page(client)
    assert "You can try as many times as you like." in html and "left today" not in html
    response = client.post("/me/courses/kurs/sensorer/quiz", data=form)
    assert "left today" not in client.get(response.headers["Location"]).get_data(as_text=True)


def _queries(client, count_queries, url="/courses/kurs/sensorer"):
    db.session.expunge_all()
    for name in ("_login_user", "csrf_token"):
        g.pop(name, None)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_module_page_counts_attempts_only_while_a_limited_quiz_is_not_passed(client, learner, count_queries):
    limited, free = course_with(attempts_per_day=2), course_with("fri")
    learner_id = learner.id
    enrol(learner, limited)
    enrol(learner, free)
    for url in ("/courses/kurs/sensorer", "/courses/fri/sensorer", "/courses/kurs/intro"):
        client.get(url)  # the first view of a module in this process also reads the module
    assert _queries(client, count_queries, "/courses/fri/sensorer") == 1  # no limit: the one query
    assert _queries(client, count_queries, "/courses/kurs/intro") == 1  # no quiz
    assert _queries(client, count_queries) == 2  # a limit, not passed: one small count
    learner = db.session.get(User, learner_id)  # _queries left the session empty
    learning.submit_quiz(learner, get_module(limited, "sensorer"), answers_for(get_module(limited, "sensorer")),
                         quiz.new_token())
    db.session.commit()
    assert _queries(client, count_queries) == 1  # passed: no limit any more


# --- Draw: questions from a pool -------------------------------------------------------------------------------------

@pytest.fixture
def pool_course(app):
    return make_course("kurs", modules=[{"key": "pool", "title": "Spørsmålsbank", "quiz": POOL}])


def test_each_form_draws_the_set_number_of_different_questions(pool_course):
    module = get_module(pool_course, "pool")
    draws = [quiz.show_quiz(module, random.Random(seed)) for seed in range(40)]
    assert all(len(d) == 2 and len({q.index for q in d}) == 2 for d in draws)
    assert {q.index for d in draws for q in d} == set(range(5))  # every question of the pool comes up
    assert [q.index for q in quiz.show_quiz(module, pool=True)] == [0, 1, 2, 3, 4]


def test_a_signed_draw_holds_only_for_its_form_module_and_learner(pool_course, make_user):
    module = get_module(pool_course, "pool")
    token, shown = quiz.new_token(), quiz.show_quiz(module, random.Random(1))
    value = quiz.sign_draw(module, 7, token, shown)
    assert quiz.check_draw(module, 7, token, value) == [q.index for q in shown]
    numbers, mac = value.rsplit(".", 1)
    others = [i for i in range(5) if str(i) not in numbers.split(".")]
    refused = [
        f"{others[0]}.{others[1]}.{mac}",  # other questions, the same signature
        f"{numbers}.{'0' * 32}", numbers, "", None, "1.2.3." + mac,
        quiz.sign_draw(module, 7, quiz.new_token(), shown),  # another form's
        quiz.sign_draw(module, 8, token, shown),  # another learner's
    ]
    for bad in refused:
        assert quiz.check_draw(module, 7, token, bad) is None, bad
    # A signature is not enough: the set must fit the pool (as after a re-import that shrank it).
    twice = [shown[0], shown[0]]
    assert quiz.check_draw(module, 7, token, quiz.sign_draw(module, 7, token, twice)) is None
    three = quiz.show_quiz(module, pool=True)[:3]
    assert quiz.check_draw(module, 7, token, quiz.sign_draw(module, 7, token, three)) is None


def test_the_score_counts_only_the_drawn_questions(pool_course):
    module = get_module(pool_course, "pool")
    answers = answers_for(module, right=False)
    answers[3] = [quiz.choice_id("pool", 3, "Riktig 3")]
    grade = quiz.grade_quiz(module, answers, drawn=[3, 1])
    assert (grade.correct_count, grade.question_count, grade.score, grade.passed) == (1, 2, 0.5, False)
    assert [q["index"] for q in grade.snapshot["questions"]] == [3, 1]
    assert quiz.grade_quiz(module, answers_for(module), drawn=[4, 0]).passed


def _pool_form(html, *, right=True):
    form = {"token": _form_parts(html), "drawn": re.search(r'name="drawn" value="([^"]+)"', html).group(1)}
    for index in range(5):  # answer the whole pool, as a learner who edited the form might
        form[f"q{index}"] = [quiz.choice_id("pool", index, f"{'Riktig' if right else 'Galt'} {index}")]
    return form


def test_the_module_page_asks_the_drawn_questions_and_grades_them(client, learner, pool_course):
    enrol(learner, pool_course)
    html = _page(client, "/courses/kurs/pool")
    assert "Each attempt asks 2 questions drawn at random from 5." in html
    shown = [int(i) for i in dict.fromkeys(re.findall(r'name="q(\d+)"', html))]
    assert len(shown) == 2 and html.count("<fieldset>") == 2
    form = _pool_form(html)
    assert form["drawn"].split(".")[:2] == [str(i) for i in shown]
    response = client.post("/me/courses/kurs/pool/quiz", data=form)
    attempt = db.session.execute(db.select(QuizAttempt)).scalar_one()
    assert (attempt.correct_count, attempt.question_count, attempt.passed) == (2, 2, True)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert result.count('class="result-question"') == 2
    assert all(f"Spørsmål {i}" in result for i in shown)


@pytest.mark.parametrize("tamper", ["other questions", "missing", "another form"])
def test_a_changed_draw_is_refused_and_saves_nothing(client, learner, pool_course, tamper):
    enrol(learner, pool_course)
    html = _page(client, "/courses/kurs/pool")
    form = _pool_form(html)
    numbers, mac = form["drawn"].rsplit(".", 1)
    if tamper == "other questions":  # the learner picks the questions they know
        form["drawn"] = ".".join(str(i) for i in range(5) if str(i) not in numbers.split("."))[:3] + "." + mac
    elif tamper == "missing":
        del form["drawn"]
    else:
        form["token"] = quiz.new_token()
    response = client.post("/me/courses/kurs/pool/quiz", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/kurs/pool#activity")
    assert "This quiz form was changed or is out of date" in _page(client, response.headers["Location"])
    assert db.session.query(QuizAttempt).count() == 0
    assert db.session.query(ModuleProgress).count() == 0


def test_a_draw_is_refused_by_the_service_before_anything_is_written(learner, pool_course):
    enrol(learner, pool_course)
    module = get_module(pool_course, "pool")
    with pytest.raises(InvalidInput):
        learning.submit_quiz(learner, module, answers_for(module), quiz.new_token(), drawn="0.1." + "a" * 32)
    assert not db.session.dirty and not db.session.new
    assert module_page.module_state(learner, module).best_score is None
