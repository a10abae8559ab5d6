"""Digital maturity self-assessment: access per role, autosave and resume, the page without JavaScript, finishing,
results with the earlier assessment beside the latest, version changes, CSV download and delegation."""
import csv
import io
from dataclasses import replace

import pytest

from courseware.extensions import db
from courseware.models import DmaAnswer, DmaAssessment, DmaScore
from courseware.services import dma, dma_questionnaire, dma_results

from .firms_support import ORGNR_A, ORGNR_B, make_firm
from .test_dma_scoring import hand_answers


@pytest.fixture
def people(make_user):
    contact, member, delegate_, outsider = (make_user("learner") for _ in range(4))
    firm = make_firm(ORGNR_A, "Testbedrift AS", member, delegate_, contact=contact)
    other = make_firm(ORGNR_B, "Annen AS", contact=outsider)
    return {"contact": contact, "member": member, "delegate": delegate_, "outsider": outsider,
            "admin": make_user("admin"), "funder": make_user("funder"), "firm": firm, "other": other}


def fill_in(user, assessment, answers=None):
    for key, value in (answers or hand_answers()).items():
        dma.save_answer(user, assessment, key, value)
    db.session.commit()


def finished(user, answers=None):
    assessment = dma.start(user)
    fill_in(user, assessment, answers)
    dma.finish(user, assessment)
    db.session.commit()
    return assessment


def test_contact_starts_autosaves_resumes_and_finishes(client, login, people):
    contact = login(people["contact"])
    assert client.get("/firm/").status_code == 200
    assert b"/firm/maturity" in client.get("/firm/").data
    page = client.get("/firm/maturity")
    assert page.status_code == 200 and b"Start the assessment" in page.data
    response = client.post("/firm/maturity/start")
    assessment = db.session.execute(db.select(DmaAssessment)).scalar_one()
    assert assessment.kind == "T0" and assessment.version == 1 and assessment.started_by_id == contact.id
    assert response.headers["Location"].endswith(f"/firm/maturity/{assessment.id}")
    # Resume goes to the first dimension with an unanswered question.
    assert client.get(f"/firm/maturity/{assessment.id}").headers["Location"].endswith("/strategy")
    saved = client.post(f"/firm/maturity/{assessment.id}/autosave",
                        json={"question": "q2_readiness", "value": ["needs", "risk"]})
    assert saved.status_code == 200 and saved.json == {"saved": True, "answered": 1, "total": 11}
    # Saving again replaces the answer (one row).
    client.post(f"/firm/maturity/{assessment.id}/autosave", json={"question": "q2_readiness", "value": ["risk"]})
    assert dma.answers_of(assessment.id) == {"q2_readiness": ["risk"]}
    # A half answered scale question is kept but still open; the strategy page shows the saved answers.
    client.post(f"/firm/maturity/{assessment.id}/autosave", json={"question": "q1_investment",
                                                                   "value": {"design": 2}})
    page = client.get(f"/firm/maturity/{assessment.id}/strategy").get_data(as_text=True)
    assert 'name="q2_readiness" value="risk" checked' in page
    assert 'name="q1_investment.design" value="2" checked' in page
    assert 'data-autosave="/firm/maturity/' in page and "dma-autosave.js" in page
    assert client.get(f"/firm/maturity/{assessment.id}").headers["Location"].endswith("/strategy")
    # Finishing too early says what is missing.
    finish_page = client.get(f"/firm/maturity/{assessment.id}/finish").get_data(as_text=True)
    assert "Some questions are still open" in finish_page
    refused = client.post(f"/firm/maturity/{assessment.id}/finish", follow_redirects=True)
    assert b"Answer every question before you finish" in refused.data
    assert db.session.get(DmaAssessment, assessment.id).completed_at is None
    for key, value in hand_answers().items():
        assert client.post(f"/firm/maturity/{assessment.id}/autosave",
                           json={"question": key, "value": value}).status_code == 200
    assert client.get(f"/firm/maturity/{assessment.id}").headers["Location"].endswith("/finish")
    done = client.post(f"/firm/maturity/{assessment.id}/finish", follow_redirects=True)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "Overall score: 49.5 of 100" in text and "Human-centric digitalisation" in text
    scores = dict(db.session.execute(db.select(DmaScore.dimension, DmaScore.score)).all())
    assert scores["human"] == 25.0 and scores["data"] == 57.1
    # A finished assessment is read-only.
    late = client.post(f"/firm/maturity/{assessment.id}/autosave", json={"question": "q5_skills", "value": []})
    assert late.status_code == 409


def test_the_page_works_without_javascript(client, login, people):
    login(people["contact"])
    client.post("/firm/maturity/start")
    assessment = db.session.execute(db.select(DmaAssessment)).scalar_one()
    response = client.post(f"/firm/maturity/{assessment.id}/automation", data={
        "q9_ai.nlp": "5", "q9_ai.vision": "0", "q9_ai.speech": "3", "q9_ai.robotics": "1", "q9_ai.bi": "1",
        "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/green")
    # A checklist with nothing ticked is an answer too.
    response = client.post(f"/firm/maturity/{assessment.id}/human", data={"q6_engagement": ["awareness"]})
    assert response.headers["Location"].endswith("/data")
    assert dma.answers_of(assessment.id) == {"q9_ai": {"nlp": 5, "vision": 0, "speech": 3, "robotics": 1, "bi": 1},
                                             "q5_skills": [], "q6_engagement": ["awareness"]}
    back = client.post(f"/firm/maturity/{assessment.id}/data", data={"go": "back"})
    assert back.headers["Location"].endswith("/human")


@pytest.mark.parametrize("payload", [
    {"question": "q9_ai", "value": {"nlp": 6}},
    {"question": "q9_ai", "value": {"nlp": "5"}},
    {"question": "q2_readiness", "value": ["nope"]},
    {"question": "q99", "value": []},
    {"question": ["q2_readiness"], "value": []},
    {"value": []},
])
def test_bad_answers_are_refused_clearly(client, login, people, payload):
    login(people["contact"])
    client.post("/firm/maturity/start")
    assessment = db.session.execute(db.select(DmaAssessment)).scalar_one()
    response = client.post(f"/firm/maturity/{assessment.id}/autosave", json=payload)
    assert response.status_code == 400 and response.json["error"]
    assert client.post(f"/firm/maturity/{assessment.id}/autosave", data="not json").status_code == 400
    bad_form = client.post(f"/firm/maturity/{assessment.id}/automation",
                           data={"q9_ai.nlp": "9", "q9_ai.bi": "x"})
    assert bad_form.status_code == 400 and b"does not fit" in bad_form.data
    assert db.session.execute(db.select(DmaAnswer)).first() is None  # nothing half-written


@pytest.mark.parametrize("role,own,overview", [
    ("contact", 200, 200), ("member", 404, 403), ("outsider", 404, 200), ("admin", 404, 404), ("funder", 404, 404)])
def test_who_may_see_a_firms_assessment(client, login, people, role, own, overview):
    """The contact person sees the firm's assessment; nobody else does (the outsider sees only their own firm's)."""
    assessment = finished(people["contact"])
    login(people[role])
    assert client.get(f"/firm/maturity/{assessment.id}").status_code == own
    assert client.post(f"/firm/maturity/{assessment.id}/autosave",
                       json={"question": "q5_skills", "value": []}).status_code == (409 if own == 200 else 404)
    assert client.post(f"/firm/maturity/{assessment.id}/finish").status_code in ({302} if own == 200 else {404})
    assert client.get("/firm/maturity").status_code == overview
    csv_response = client.get("/firm/maturity/assessments.csv")
    assert csv_response.status_code == overview
    if role == "outsider":
        assert str(assessment.id).encode() + b";T0" not in csv_response.data  # their own firm's, which has none
        assert csv_response.data.decode("utf-8-sig").count("\n") == 1


def test_delegation(client, login, people):
    contact, colleague = people["contact"], people["delegate"]
    login(colleague)
    assert client.get("/firm/maturity").status_code == 403
    login(contact)
    page = client.get("/firm/maturity").get_data(as_text=True)
    assert "Who fills in the assessment" in page
    assert client.post("/firm/maturity/delegate", data={"user_id": str(people["outsider"].id)}).status_code == 302
    assert dma.find_delegate(people["firm"].id) is None  # not a member: refused
    client.post("/firm/maturity/delegate", data={"user_id": str(colleague.id)})
    assert dma.find_delegate(people["firm"].id).id == colleague.id
    login(colleague)
    assert client.get("/firm/maturity").status_code == 200
    assert client.post("/firm/maturity/start").status_code == 302
    assert client.post("/firm/maturity/delegate", data={"user_id": ""}).status_code == 403
    # Another member still sees nothing; taking the delegation back ends the colleague's access.
    login(people["member"])
    assert client.get("/firm/maturity").status_code == 403
    login(contact)
    client.post("/firm/maturity/delegate", data={"user_id": ""})
    login(colleague)
    assert client.get("/firm/maturity").status_code == 403


def test_a_delegate_who_leaves_the_firm_loses_access(people):
    dma.delegate(people["contact"], people["delegate"].id)
    db.session.commit()
    assert dma.may_assess(people["delegate"])
    people["delegate"].firm_id = None
    db.session.commit()
    assert not dma.may_assess(people["delegate"])
    assert dma.find_delegate(people["firm"].id) is None


def test_leaving_the_firm_ends_the_delegation_so_rejoining_does_not_bring_it_back(people):
    from courseware.models import DmaDelegation
    from courseware.services import membership

    delegate, firm = people["delegate"], people["firm"]
    dma.delegate(people["contact"], delegate.id)
    db.session.commit()
    membership.leave_firm(delegate)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(DmaDelegation.id))) == 0
    delegate.firm_id = firm.id  # back in the same firm, e.g. invited again
    db.session.commit()
    assert not dma.may_assess(delegate)


def test_result_shows_the_earlier_assessment_beside_the_latest(client, login, people):
    contact = people["contact"]
    first = finished(contact, {**hand_answers(), "q5_skills": []})
    second = finished(contact, {**hand_answers(), "q5_skills": ["audit", "plan", "short", "peer", "internships",
                                                                "external", "subsidised"]})
    assert (first.kind, second.kind) == ("T0", "later")
    login(contact)
    page = client.get("/firm/maturity").get_data(as_text=True)
    assert 'data-series="before"' in page and 'data-series="after"' in page
    assert "+50.0" in page  # human: 25 -> 75
    assert "dma-chart.js" in page and "chart.umd.min.js" in page
    assert "different versions" not in page
    first_page = client.get(f"/firm/maturity/{first.id}").get_data(as_text=True)
    assert 'data-series="before"' not in first_page


def test_versions_that_differ_are_flagged(client, login, people, monkeypatch):
    contact = people["contact"]
    finished(contact)
    v1 = dma_questionnaire.load(1)
    v2 = replace(v1, version=2)
    monkeypatch.setattr(dma_questionnaire, "current_version", lambda: 2)
    real_load = dma_questionnaire.load
    monkeypatch.setattr(dma_questionnaire, "load", lambda version: v2 if version == 2 else real_load(version))
    latest = finished(contact)
    assert latest.version == 2
    login(contact)
    page = client.get("/firm/maturity").get_data(as_text=True)
    assert "different versions of the questionnaire" in page


def test_csv_download(client, login, people):
    assessment = finished(people["contact"])
    login(people["contact"])
    response = client.get("/firm/maturity/assessments.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "no-store" in response.headers["Cache-Control"]
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
    assert rows[0][:3] == ["assessment", "kind", "stage"]
    assert [str(assessment.id), "T0", "", "1"] == rows[1][:4]
    assert any(r[6] == "overall" and r[7].replace(",", ".") == "49.5" for r in rows[1:])
    assert any(r[8] == "q7_data" for r in rows[1:])


def test_pdf_download_of_an_assessment_beside_the_one_before(client, login, people):
    from io import BytesIO

    from pypdf import PdfReader

    contact = people["contact"]
    first = finished(contact, {**hand_answers(), "q5_skills": []})
    second = finished(contact, {**hand_answers(), "q5_skills": ["audit", "plan", "short", "peer", "internships",
                                                                "external", "subsidised"]})
    login(contact)
    assert f"/firm/maturity/{second.id}.pdf" in client.get(f"/firm/maturity/{second.id}").get_data(as_text=True)
    response = client.get(f"/firm/maturity/{second.id}.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    assert "attachment" in response.headers["Content-Disposition"] and "digital-maturity-later-" in \
        response.headers["Content-Disposition"]
    pages = PdfReader(BytesIO(response.data)).pages
    assert len(pages) <= 2 and round(float(pages[0].mediabox.width)) == 595  # A4 portrait
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Testbedrift AS" in text
    assert "25.0" in text and "75.0" in text and "+50.0" in text  # human: the first beside the second
    shown = dma_results.assessment_result(contact, second.id, "en")  # what the result page shows
    assert f"{shown.overall_before} {shown.overall_after}" in text  # both overall scores, side by side
    for row in shown.rows:  # each dimension, with its advice
        assert " ".join(row.title.split()) in text and " ".join(row.advice.split()[:6]) in text
    # The first assessment has nothing before it; another firm's contact and a funder get no PDF.
    assert client.get(f"/firm/maturity/{first.id}.pdf").status_code == 200
    for role in ("outsider", "funder", "member"):
        login(people[role])
        assert client.get(f"/firm/maturity/{second.id}.pdf").status_code == 404
    open_one = dma.start(contact)
    db.session.commit()
    login(contact)
    assert client.get(f"/firm/maturity/{open_one.id}.pdf").status_code == 404  # not finished: nothing to print


def test_one_open_assessment_per_firm(people):
    first = dma.open_assessment(people["firm"].id, "T0")
    second = dma.open_assessment(people["firm"].id, "T1")
    db.session.commit()
    assert first is not None and second is None
    assert dma.start(people["contact"]).id == first.id


def test_privacy_export_and_deletion(people, make_user):
    from courseware.models import DmaDelegation, User
    from courseware.services import privacy

    from .conftest import TEST_PASSWORD

    contact, colleague = people["contact"], people["delegate"]
    dma.delegate(contact, colleague.id)
    db.session.commit()
    assessment = finished(colleague)
    exported = privacy.export_user_data(contact)["digital_maturity"]
    assert {row["dimension"] for row in exported if row["dimension"]} >= {"human", "overall"}
    assert any(row["question"] == "q7_data" for row in exported)
    assert privacy.export_user_data(people["member"])["digital_maturity"] == []
    # Deleting the colleague's account keeps the firm's assessment, without them.
    privacy.delete_account(db.session.get(User, colleague.id), TEST_PASSWORD)
    db.session.commit()
    kept = db.session.get(DmaAssessment, assessment.id)
    assert kept is not None and kept.completed_by_id is None and kept.started_by_id is None
    assert db.session.execute(db.select(DmaAnswer.answered_by_id).distinct()).scalars().all() == [None]
    assert db.session.execute(db.select(DmaDelegation)).first() is None
    privacy.delete_account(db.session.get(User, contact.id), TEST_PASSWORD)
    db.session.commit()
    assert db.session.get(DmaAssessment, assessment.id).overall == 49.5


def test_courses_for_the_weakest_dimension(client, login, people):
    from courseware.models import CourseVersion

    from .firms_support import make_course

    course = make_course("Opplæringsplan i praksis", slug="opplaering")
    make_course("Grønn drift", slug="gronn")
    for version in db.session.execute(db.select(CourseVersion)).scalars():
        version.dma_dimensions = ["human"] if version.course_id == course.id else ["green"]
    db.session.commit()
    finished(people["contact"])  # human (25) is the weakest
    login(people["contact"])
    page = client.get("/firm/maturity").get_data(as_text=True)
    assert "Courses for your weakest dimension: Human-centric digitalisation" in page
    assert "/courses/opplaering" in page and "/courses/gronn" not in page
