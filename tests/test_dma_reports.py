"""Digital maturity in the reports: average change per dimension by breakdown, small groups suppressed, in the
dashboard, its exports and the API; pairs across questionnaire versions left out; a provider sees its own."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from courseware.extensions import db
from courseware.models import Completion, DmaAssessment, DmaScore, Firm
from courseware.models.dma import DMA_DIMENSIONS
from courseware.services import api_tokens, dma_reports
from courseware.services.reports import ReportFilters, ReportScope

from .firms_support import make_course, make_provider

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
VALID = ["942110464", "817920632", "986399445", "974760673", "971526920", "983887457", "991825827", "974774097",
         "971032081", "974761076", "938801363", "974760843", "985399077", "974789930", "889640782"]


def assessment(firm_id, kind, when, scores, *, stage=1, version=1):
    a = DmaAssessment(firm_id=firm_id, kind=kind, version=version, stage=stage, created_at=when, completed_at=when,
                      overall=round(sum(scores.values()) / len(scores), 1))
    db.session.add(a)
    db.session.flush()
    db.session.add_all(DmaScore(assessment_id=a.id, dimension=d, score=v) for d, v in scores.items())
    return a


def firm_with_pair(n, municipality, course, *, human_gain=20.0, version_after=1, industry="C", size="0-9"):
    firm = Firm(orgnr=VALID[n], name=f"Firma {n} AS", municipality_code=municipality, industry_section=industry,
                size_band=size)
    db.session.add(firm)
    db.session.flush()
    before = {d: 30.0 for d in DMA_DIMENSIONS}
    after = {**before, "human": 30.0 + human_gain}
    assessment(firm.id, "T0", T, before)
    db.session.add(Completion(user_id=None, course_id=course.id, firm_id=firm.id, completed_at=T + timedelta(days=20),
                              version_id=course.current_version_id))
    assessment(firm.id, "T1", T + timedelta(days=30), after, version=version_after)
    return firm


@pytest.fixture
def programme(app):
    park = make_provider("park", "Parken Næringshage")
    other = make_provider("annen", "Annen Hage")
    course = make_course("Digital drift", slug="digital-drift", provider=park)
    other_course = make_course("Grønt kurs", slug="gront", provider=other)
    n = 0
    for _ in range(5):  # Trondheim: +20 in human
        firm_with_pair(n, "5001", course)
        n += 1
    for _ in range(6):  # Steinkjer: +10
        firm_with_pair(n, "5006", other_course, human_gain=10.0)
        n += 1
    for _ in range(2):  # Verdal: too few to show
        firm_with_pair(n, "5038", course, human_gain=40.0)
        n += 1
    firm_with_pair(n, "5001", course, human_gain=90.0, version_after=2)  # other version: left out
    db.session.commit()
    return {"park": park, "course": course, "other_course": other_course}


def test_averages_and_suppression(app, programme):
    report = dma_reports.maturity_report(ReportScope(), ReportFilters(), "en")
    assert report.pairs == 13
    municipality = report.table("municipality")
    rows = {row.key: row for row in municipality.rows}
    assert str(rows["5038"].firms) == "<5" and rows["5038"].averages["human"] is None
    # One hidden group could be worked out from the total, so the next smallest (Trondheim, 5) is hidden too.
    assert str(rows["5001"].firms) == "<5" and rows["5001"].averages["human"] is None
    assert rows["5006"].firms.value == 6 and rows["5006"].averages["human"] == 10.0
    assert rows["5006"].averages["strategy"] == 0.0
    assert municipality.total.firms.value == 13
    assert municipality.total.averages["human"] == round((5 * 20 + 6 * 10 + 2 * 40) / 13, 1)
    assert municipality.total.averages["overall"] == round((5 * 20 + 6 * 10 + 2 * 40) / 6 / 13, 1)
    provider = {row.key: row for row in report.table("provider").rows}
    assert provider["park"].firms.value == 7 and provider["park"].averages["human"] == round((100 + 80) / 7, 1)
    assert provider["annen"].firms.value == 6
    assert {row.key for row in report.table("stage").rows} == {"1"}


def test_filters_narrow_the_pairs(app, programme):
    only_park = dma_reports.maturity_report(ReportScope(), ReportFilters(provider="park"))
    assert only_park.pairs == 7
    one_municipality = dma_reports.maturity_report(ReportScope(), ReportFilters(municipality="5006"))
    assert one_municipality.pairs == 6
    before = dma_reports.maturity_report(ReportScope(), ReportFilters(end="2026-03"))
    assert before.pairs == 0  # the follow-ups were finished in April
    scoped = dma_reports.maturity_report(ReportScope(programme["park"].id, "Parken"), ReportFilters())
    assert scoped.pairs == 7 and {r.key for r in scoped.table("provider").rows} == {"park"}


def test_dashboard_export_and_api(client, login, make_user, programme):
    login(make_user("funder"))
    page = client.get("/reports/").get_data(as_text=True)
    assert "Digital maturity: average change" in page and "Change by municipality" in page
    assert "+10.0" in page
    response = client.get("/reports/export/maturity-municipality.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Municipality", "Firms", "Digital business strategy"]
    assert any(r[1] == "<5" and r[4] == "" for r in rows[1:])
    assert client.get("/reports/export/maturity-municipality.xlsx").status_code == 200
    assert client.get("/reports/export/maturity-nope.csv").status_code == 404
    _token, secret = api_tokens.create_token(make_user("admin"), name="BI", scopes=["reports:read"])
    db.session.commit()
    api = client.get("/api/v1/reports/maturity?municipality=5006", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and "no-store" in api.headers["Cache-Control"]
    body = api.json
    assert body["pairs"] == 6 and body["minimum_count"] == 5
    assert body["tables"]["municipality"]["rows"][0]["averages"]["human"] == 10.0
    assert [d["key"] for d in body["dimensions"]] == [*DMA_DIMENSIONS, "overall"]
    assert client.get("/api/v1/reports/maturity?stage=x",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 400


def test_no_pairs_says_so(client, login, make_user):
    login(make_user("funder"))
    page = client.get("/reports/").get_data(as_text=True)
    assert "No firm has finished a follow-up assessment in this selection yet." in page


def test_learners_never_see_it(client, login, make_user, programme):
    login(make_user("learner"))
    assert client.get("/reports/export/maturity-municipality.csv").status_code == 403


def test_the_report_costs_a_fixed_number_of_queries(app, programme, count_queries):
    with count_queries() as few:
        dma_reports.maturity_report(ReportScope(), ReportFilters())
    firm_with_pair(14, "5006", programme["other_course"])  # one firm more
    db.session.commit()
    with count_queries() as more:
        report = dma_reports.maturity_report(ReportScope(), ReportFilters())
    assert report.pairs > 13
    assert more.count == few.count <= 5, more


def test_a_provider_sees_its_own_courses_pairs(client, login, make_user, programme):
    login(make_user("author", provider_id=programme["park"].id))
    page = client.get("/studio/reports").get_data(as_text=True)
    assert "Digital maturity: average change" in page
    assert "Grønt kurs" not in page.split("maturity-heading")[1]  # the other provider's course
    response = client.get("/studio/reports/export/maturity-course.csv")
    assert response.status_code == 200 and "Digital drift" in response.data.decode("utf-8-sig")
