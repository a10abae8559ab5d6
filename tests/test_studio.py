"""The provider's studio: own courses only, enrolment figures, the learner list with progress, and the CSV export."""
import csv
import io

import pytest

from courseware.extensions import db
from courseware.services import enrolment, learning

from .learning_factory import VALID_ORGNRS, get_module, load, make_course, make_firm, provider


@pytest.fixture
def setup(make_user):
    """Provider A owns "kurs" (with two learners, one completed); provider B owns "annet"."""
    course = make_course("kurs", title="Kurs A")
    other = make_course("annet", title="Kurs B", provider_slug="annen-hage",
                        modules=[{"key": "en", "title": "En"}])
    firm = make_firm(name="Gården AS")
    people = {
        "learner": make_user("learner", name="Åse Ødegård", firm_id=firm.id),
        "learner_other_firm": make_user("learner", name="=HYPERLINK(1)", firm_id=make_firm(VALID_ORGNRS[1]).id),
        "learner_no_firm": make_user("learner"),
        "author_own": make_user("author", provider_id=course.provider_id),
        "author_other": make_user("author", provider_id=other.provider_id),
        "author_unlinked": make_user("author"),
        "funder": make_user("funder"),
        "admin": make_user("admin"),
    }
    enrolment.enrol(people["learner"], load(course))
    enrolment.enrol(people["learner_other_firm"], load(course))
    learning.mark_read(people["learner"], get_module(course, "intro"))
    learning.set_task(people["learner"], get_module(course, "intro"), 0, True)
    enrolment.enrol(people["learner_other_firm"], load(other))
    learning.mark_read(people["learner_other_firm"], get_module(other, "en"))
    db.session.commit()
    return course, other, people


PAGES = ["/studio/", "/studio/courses/kurs", "/studio/courses/kurs/learners.csv", "/studio/courses/annet"]
EXPECTED = {
    "learner": [403, 403, 403, 403],
    "learner_other_firm": [403, 403, 403, 403],
    "learner_no_firm": [403, 403, 403, 403],
    "author_own": [200, 200, 200, 403],
    "author_other": [200, 403, 403, 200],
    "author_unlinked": [403, 403, 403, 403],
    "funder": [403, 403, 403, 403],
    "admin": [200, 200, 200, 200],
}


@pytest.mark.parametrize("role", ["anonymous", *EXPECTED])
def test_access_matrix(client, login, setup, role):
    _course, _other, people = setup
    if role == "anonymous":
        for url in PAGES + ["/studio/courses/kurs/bulk"]:
            response = client.get(url) if not url.endswith("bulk") else client.post(url)
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
        return
    login(people[role])
    assert [client.get(url).status_code for url in PAGES] == EXPECTED[role]
    upload = client.post("/studio/courses/kurs/bulk", data={})
    assert upload.status_code == (302 if EXPECTED[role][1] == 200 else 403)


def test_unknown_course_is_404_for_staff(client, login, setup):
    login(setup[2]["author_own"])
    assert client.get("/studio/courses/finnes-ikke").status_code == 404


def test_index_shows_own_courses_with_figures(client, login, setup):
    course, _other, people = setup
    login(people["author_own"])
    html = client.get("/studio/").get_data(as_text=True)
    assert "Kurs A" in html and "Kurs B" not in html
    assert '<td class="num">2</td>' in html  # two enrolled
    login(people["admin"])
    html = client.get("/studio/").get_data(as_text=True)
    assert "Kurs A" in html and "Kurs B" in html
    assert '<td class="num">1</td>' in html  # Kurs B: one enrolled, one completed


def test_course_page_lists_learners_with_firm_and_progress(client, login, setup, app):
    _course, _other, people = setup
    login(people["author_own"])
    html = client.get("/studio/courses/kurs").get_data(as_text=True)
    # Read one module and ticked its task: 2 of the course's 7 steps (read, tasks, quiz), not 0 of 3 modules.
    assert "Åse Ødegård" in html and "Gården AS" in html and "2 of 7 steps (28 %)" in html
    assert '<span class="tag tag-warn">Not verified</span>' in html  # the firm's contact is not verified
    assert "Not completed yet" in html
    app.config["STUDIO_PAGE_SIZE"] = 1
    first = client.get("/studio/courses/kurs").get_data(as_text=True)
    second = client.get("/studio/courses/kurs?page=2").get_data(as_text=True)
    assert ("Åse Ødegård" in first) != ("Åse Ødegård" in second)
    assert "?page=2" in first


def test_learner_list_runs_a_fixed_number_of_queries(client, login, setup, count_queries, make_user):
    course, _other, people = setup
    firm_id = people["learner"].firm_id
    for _ in range(6):
        enrolment.enrol(make_user("learner", firm_id=firm_id), load(course))
    db.session.commit()
    login(people["author_own"])
    client.get("/studio/courses/kurs")
    with count_queries() as counter:
        assert client.get("/studio/courses/kurs").status_code == 200
    # course, count, page of enrolments with users and firms, 3 for the progress summaries, the page's
    # certificates, the course's firm certificates (+ user load)
    assert counter.count <= 9, counter


def test_csv_export_for_excel(client, login, setup):
    _course, _other, people = setup
    login(people["author_own"])
    response = client.get("/studio/courses/kurs/learners.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Name", "E-mail", "Firm"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Åse Ødegård", "'=HYPERLINK(1)"}  # a formula is neutralised
    ase = by_name["Åse Ødegård"]
    assert ase[2] == "Gården AS" and ase[3] == "817 920 632" and ase[6] == "28" and ase[9] == ""
    assert rows[0][10:] == ["Status", "Steps done", "Steps", "Firm verified"]
    assert ase[10:] == ["Not completed yet", "2", "7", "No"]


def test_an_admin_sees_completed_learners_in_the_export(client, login, setup):
    _course, _other, people = setup
    login(people["admin"])
    rows = list(csv.reader(io.StringIO(
        client.get("/studio/courses/annet/learners.csv").get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[1][6] == "100" and rows[1][9] != "" and rows[1][10:13] == ["Completed", "1", "1"]


def test_is_staff_rules(setup):
    from courseware.services import studio

    _course, _other, people = setup
    assert [studio.is_staff(people[r]) for r in ("author_own", "author_unlinked", "admin", "funder", "learner")] == [
        True, False, True, False, False]
    assert provider("annen-hage").id == _other.provider_id


def test_csv_export_agrees_with_the_learner_list_in_a_fixed_number_of_queries(client, login, setup, make_user,
                                                                               count_queries):
    """Varied progress (read, tasks, nothing, withdrawn): the export's figures are the learner list's, and the
    export runs the same queries for 3 or 12 more learners."""
    from courseware.services import studio

    course, _other, people = setup
    firm_id = people["learner"].firm_id
    counts = []
    for batch in range(2):
        for n in range(3 if batch == 0 else 9):
            user = make_user("learner", firm_id=firm_id, name=f"Lærling {batch}-{n}")
            enrolment.enrol(user, load(course))
            if n % 3 >= 1:
                learning.mark_read(user, get_module(course, "intro"))
            if n % 3 == 2:
                learning.set_task(user, get_module(course, "intro"), 0, True)
                learning.mark_read(user, get_module(course, "veien-videre"))
            if n == 4:
                enrolment.withdraw(user, load(course))
        db.session.commit()
        login(people["author_own"])
        client.get("/studio/courses/kurs/learners.csv")
        with count_queries() as counter:
            body = client.get("/studio/courses/kurs/learners.csv").get_data().decode("utf-8-sig")
        counts.append(counter.count)
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))[1:]
    listed = studio.list_learners(people["author_own"], load(course), per_page=100)
    expected = {r.user.name: str(r.summary.step_percent if r.summary else 0) for r in listed.rows}
    assert {row[0].lstrip("'"): row[6] for row in rows} == {k.lstrip("'"): v for k, v in expected.items()}
    assert {row[6] for row in rows} >= {"0", "14", "42"}
    assert {row[10] for row in rows} == {"Not completed yet", "Left the course"}
    assert counts[0] == counts[1], counts
