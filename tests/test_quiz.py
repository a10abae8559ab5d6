"""Quizzes: grading (one and several right answers), pass marks, shuffling, no answers in the page before
submission, attempts kept and numbered, one-time tokens, and result pages for their owner only."""
import random
import re

import pytest

from courseware.errors import InvalidInput
from courseware.extensions import db
from courseware.models import ModuleProgress, QuizAttempt
from courseware.services import enrolment, learning, module_page, quiz

from .learning_factory import QUIZ, choice_ids, get_module, load, make_course, make_firm, quiz_form


@pytest.fixture
def course(app):
    return make_course("kurs")


@pytest.fixture
def learner(make_user, login, course):
    user = make_user("learner", firm_id=make_firm().id)
    enrolment.enrol(user, load(course))
    db.session.commit()
    return login(user)


def _ids(module, index, *texts):
    return [quiz.choice_id(module.key, index, t) for t in texts]


@pytest.mark.parametrize("first, second, right, passed", [
    (["Temperatur over tid"], ["Fuktmåler", "Bevegelsessensor"], 2, True),
    (["Temperatur over tid"], ["Fuktmåler"], 1, False),                            # only one of two right answers
    (["Temperatur over tid"], ["Fuktmåler", "Bevegelsessensor", "Regneark"], 1, False),  # one too many
    (["Temperatur over tid", "Melkemengde"], ["Fuktmåler", "Bevegelsessensor"], 1, False),  # two on a radio question
    ([], [], 0, False),
])
def test_grading_needs_exactly_the_right_set(course, first, second, right, passed):
    module = get_module(course, "sensorer")
    grade = quiz.grade_quiz(module, {0: _ids(module, 0, *first), 1: _ids(module, 1, *second)})
    assert (grade.correct_count, grade.question_count, grade.passed) == (right, 2, passed)
    assert grade.score == right / 2


def test_unknown_choice_ids_are_simply_wrong(course):
    module = get_module(course, "sensorer")
    grade = quiz.grade_quiz(module, {0: ["not-an-id"], 7: ["x"]})
    assert grade.correct_count == 0


def test_pass_mark_comes_from_the_module_else_the_course(app):
    own = dict(QUIZ, pass_mark=0.5)
    course = make_course("kurs", pass_mark=0.9, modules=[
        {"key": "egen", "title": "Egen grense", "quiz": own}, {"key": "kursets", "title": "Kursets", "quiz": QUIZ}])
    half = lambda m: {0: _ids(m, 0, "Temperatur over tid")}  # noqa: E731
    egen, kursets = get_module(course, "egen"), get_module(course, "kursets")
    assert quiz.pass_mark(egen) == 0.5 and quiz.grade_quiz(egen, half(egen)).passed
    assert quiz.pass_mark(kursets) == 0.9 and not quiz.grade_quiz(kursets, half(kursets)).passed


def test_choices_are_shuffled_on_every_display(course):
    module = get_module(course, "sensorer")
    orders = {tuple(c.text for c in quiz.show_quiz(module, random.Random(seed))[0].choices) for seed in range(30)}
    assert len(orders) == 6  # all orders of three choices turn up
    shown = quiz.show_quiz(module)
    assert [q.multiple for q in shown] == [False, True]


def test_quiz_page_holds_no_hint_of_the_right_answers(client, learner, course):
    html = client.get("/courses/kurs/sensorer").get_data(as_text=True)
    form = html[html.index('id="quiz"'):]
    form = form[:form.index("</form>")]
    assert "correct" not in form.lower() and "right-answer" not in form and "explain" not in form
    assert "Loggeren lagrer temperaturen." not in html  # explanations come after submission
    # Radio buttons for one right answer, checkboxes for several; every choice carries an opaque id only.
    assert re.findall(r'type="(radio|checkbox)" name="q(\d)"', form) == [("radio", "0")] * 3 + [("checkbox", "1")] * 3
    first = choice_ids(html, "q0")
    assert set(first) == {"Temperatur over tid", "Melkemengde", "Fôrforbruk"}
    assert all(re.fullmatch(r"[0-9a-f]{12}", v) for v in first.values())
    # The order changes between page views (30 views of 3 choices all in one order: 1 in 3^29 by chance).
    orders = {tuple(choice_ids(client.get("/courses/kurs/sensorer").get_data(as_text=True), "q0")) for _ in range(30)}
    assert len(orders) > 1


def test_retries_are_kept_and_numbered_and_the_best_score_counts(client, learner, course):
    module = get_module(course, "sensorer")
    for right in (False, True, False):
        client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=right))
    attempts = db.session.execute(db.select(QuizAttempt).order_by(QuizAttempt.id)).scalars().all()
    assert [(a.number, a.passed) for a in attempts] == [(1, False), (2, True), (3, False)]
    state = module_page.module_state(learner, get_module(course, "sensorer"))
    assert state.quiz_passed and state.best_score == 1.0  # a later failed retry does not undo a pass


def test_same_token_twice_counts_once_and_shows_the_first_result(client, learner, course):
    module = get_module(course, "sensorer")
    form = quiz_form(module, right=True)
    first = client.post("/me/courses/kurs/sensorer/quiz", data=form)
    again = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=False, token=form["token"]))
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.query(QuizAttempt).count() == 1


def test_a_missing_or_odd_token_is_refused(learner, course):
    module = get_module(course, "sensorer")
    for token in ("", "abc", "Z" * 32, "<script>"):
        with pytest.raises(InvalidInput):
            learning.submit_quiz(learner, module, {}, token)
    assert db.session.query(QuizAttempt).count() == 0


def test_result_page_shows_right_answers_and_explanations_once_passed(client, learner, course):
    module = get_module(course, "sensorer")
    failed = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=False)).headers["Location"]
    html = client.get(failed).get_data(as_text=True)
    assert "0 of 2 right (0 %)" in html and "Not passed" in html
    assert html.count("your answer") == 2 and "choice-note answer-right" not in html and "choice-correct" not in html
    assert "Loggeren lagrer temperaturen." not in html and "Et regneark måler ingenting." not in html
    assert "Try again" in html
    client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module, right=True))
    html = client.get(failed).get_data(as_text=True)  # the same failed attempt, now that the quiz is passed
    assert html.count("your answer") == 2 and html.count("choice-note answer-right") == 3
    assert "Loggeren lagrer temperaturen." in html and "Et regneark måler ingenting." in html


def test_only_the_owner_sees_a_result(client, learner, course, make_user, login):
    module = get_module(course, "sensorer")
    url = client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(module)).headers["Location"]
    assert client.get(url).status_code == 200
    login(make_user("learner", firm_id=learner.firm_id))
    assert client.get(url).status_code == 404
    assert client.get(url.replace("/sensorer/", "/intro/")).status_code == 404


def test_a_module_without_quiz_has_no_quiz_route(client, learner):
    assert client.post("/me/courses/kurs/intro/quiz", data={"token": quiz.new_token()}).status_code == 404


def test_another_users_token_is_not_reused(client, learner, course, make_user, login):
    module = get_module(course, "sensorer")
    form = quiz_form(module)
    client.post("/me/courses/kurs/sensorer/quiz", data=form)
    other = make_user("learner", firm_id=learner.firm_id)
    enrolment.enrol(other, load(course))
    db.session.commit()
    login(other)
    response = client.post("/me/courses/kurs/sensorer/quiz", data=form)
    assert response.status_code == 409
    assert db.session.query(QuizAttempt).count() == 1


def test_the_progress_row_is_saved_as_the_submission_judged_it(client, learner, course):
    """The quiz columns are written with one UPDATE of their own (services/learning.py): what is in the database
    after each submission is what the session believed, and a later failed retry keeps the pass and the best."""
    saved = []
    for right in (False, True, False):
        client.post("/me/courses/kurs/sensorer/quiz", data=quiz_form(get_module(course, "sensorer"), right=right))
        saved.append(db.session.execute(db.select(
            ModuleProgress.best_score, ModuleProgress.quiz_passed_at, ModuleProgress.updated_at)).one())
    (best1, passed1, at1), (best2, passed2, at2), (best3, passed3, at3) = saved
    assert best1 < 1.0 and passed1 is None
    assert best2 == 1.0 and passed2 is not None and at2 >= at1
    assert best3 == 1.0 and passed3 == passed2 and at3 >= at2
