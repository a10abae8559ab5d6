"""The whole learning journey through the web client: enrol, read, tick, fail the quiz, pass it, finish every
module, see 100 % and "Completed" on the course page and "Mine kurs", and receive the e-mails by SMTP."""
import re

import pytest

from courseware.extensions import db
from courseware.models import Completion, Enrolment, ModuleProgress, QuizAttempt, TaskCheck

from .learning_factory import choice_ids, get_module, make_course, make_firm


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


def _answer(client, html, module, *, right):
    """Submit the quiz as a browser would: pick choices by their text from the rendered form."""
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)
    form = {"token": token}
    for index, question in enumerate(module.quiz["questions"]):
        ids = choice_ids(html, f"q{index}")
        assert set(ids) == set(question["correct"]) | set(question["wrong"])
        texts = question["correct"] if right else question["wrong"][:1]
        form[f"q{index}"] = [ids[t] for t in texts]
    return client.post(f"/me/courses/kurs/{module.key}/quiz", data=form)


def test_whole_journey(client, login, make_user, smtp_server):
    course = make_course("kurs")
    firm = make_firm()
    learner = login(make_user("learner", email="kari@example.no", name="Kari Nordmann", firm_id=firm.id))

    page = client.get("/courses/kurs").get_data(as_text=True)
    assert "/me/courses/kurs/enrol" in page

    response = client.post("/me/courses/kurs/enrol")
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/kurs")
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert "Start the course" in page and 'aria-valuenow="0"' in page
    enrolment_mail = smtp_server.wait_for(1)[0]
    assert enrolment_mail["To"].addresses[0].addr_spec == "kari@example.no"
    assert "Kurs kurs" in smtp_server.text(enrolment_mail)
    assert "http://localhost/courses/kurs/intro" in smtp_server.text(enrolment_mail)
    assert "<html" in smtp_server.html(enrolment_mail)

    # Module 1: read and tick its task.
    assert client.post("/me/courses/kurs/intro/read").status_code == 302
    assert client.post("/me/courses/kurs/intro/tasks/0", data={"done": "1"}).status_code == 302
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert 'aria-valuenow="33"' in page and "Continue where you left off" in page

    # Module 2: read, tick both tasks, fail the quiz, then pass it.
    sensorer = get_module(course, "sensorer")
    client.post("/me/courses/kurs/sensorer/read")
    for index in (0, 1):
        client.post(f"/me/courses/kurs/sensorer/tasks/{index}", data={"done": "1"})
    html = client.get("/courses/kurs/sensorer").get_data(as_text=True)
    failed = _answer(client, html, sensorer, right=False)
    result = client.get(failed.headers["Location"]).get_data(as_text=True)
    # After a failed attempt: which questions were wrong, not what is right (show_answers = after-pass).
    assert "Not passed" in result and "Et regneark måler ingenting." not in result and "choice-note answer-right" not in result
    html = client.get("/courses/kurs/sensorer").get_data(as_text=True)
    assert "Your best score so far is 0 %" in html
    passed = _answer(client, html, sensorer, right=True)
    result = client.get(passed.headers["Location"]).get_data(as_text=True)
    assert "Passed" in result and "2 of 2 right (100 %)" in result and "Et regneark måler ingenting." in result
    assert db.session.query(QuizAttempt).count() == 2

    # Module 3 has no tasks and no quiz: reading it completes the course.
    response = client.post("/me/courses/kurs/veien-videre/read")
    assert response.headers["Location"].endswith("/courses/kurs")
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert "Congratulations" in page and "Completed" in page and 'aria-valuenow="100"' in page

    mine = client.get("/me/courses").get_data(as_text=True)
    assert "Kurs kurs" in mine and "version 1" in mine and "badge-completed" in mine

    completion = db.session.execute(db.select(Completion)).scalar_one()
    assert (completion.user_id, completion.firm_id) == (learner.id, firm.id)
    assert completion.version_id == course.current_version_id
    messages = smtp_server.wait_for(2)
    completion_mail = messages[1]
    assert "Kurs kurs" in completion_mail["Subject"]
    assert "Congratulations" in smtp_server.text(completion_mail)
    assert len(smtp_server.to("kari@example.no")) == 2


def test_withdraw_and_enrol_again_keeps_progress(client, login, make_user, smtp_server):
    make_course("kurs")
    login(make_user("learner", firm_id=make_firm().id))
    client.post("/me/courses/kurs/enrol")
    client.post("/me/courses/kurs/intro/read")
    client.post("/me/courses/kurs/intro/tasks/0")
    client.post("/me/courses/kurs/withdraw")
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    assert enrolment.withdrawn_at is not None
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert "Enrol again" in page and "your progress is kept" in page

    # A withdrawn learner's actions are refused (with a message, not a 500) and change nothing.
    response = client.post("/me/courses/kurs/sensorer/read", follow_redirects=True)
    assert response.status_code == 200 and "Enrol in the course" in response.get_data(as_text=True)
    assert db.session.query(ModuleProgress).count() == 1

    client.post("/me/courses/kurs/enrol")
    db.session.expire_all()
    assert db.session.execute(db.select(Enrolment)).scalar_one().withdrawn_at is None
    page = client.get("/courses/kurs").get_data(as_text=True)
    assert 'aria-valuenow="33"' in page
    assert db.session.query(TaskCheck).count() == 1
    smtp_server.wait_for(2)  # the first enrolment and the return both confirm by e-mail


def test_untick_a_task(client, login, make_user):
    make_course("kurs")
    login(make_user("learner", firm_id=make_firm().id))
    client.post("/me/courses/kurs/enrol")
    client.post("/me/courses/kurs/intro/tasks/0", data={"done": "1"})
    html = client.get("/courses/kurs/intro").get_data(as_text=True)
    assert 'aria-pressed="true"' in html and "1 of 1 tasks done" in html
    client.post("/me/courses/kurs/intro/tasks/0", data={"done": "0"})
    html = client.get("/courses/kurs/intro").get_data(as_text=True)
    assert 'aria-pressed="false"' in html and "0 of 1 tasks done" in html
    assert client.post("/me/courses/kurs/intro/tasks/7").status_code == 404
