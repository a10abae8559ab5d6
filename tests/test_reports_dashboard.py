"""The funder dashboard's figures equal a small hand-computed programme (tests/reports_support.py), at any filter;
the provider sees only their own courses; the page, the CSV export and the query count."""
import io
import re
from html import unescape

import openpyxl
import pytest

from courseware.services import reports
from courseware.services.reports import ReportFilters, ReportScope
from courseware.services.spreadsheet import XLSX_MIMETYPE

from .reports_support import build_programme

COLUMNS = ("firms", "participants", "enrolments", "completions", "certificates", "hours")


@pytest.fixture
def app_config():
    return {"REPORTS_MIN_COUNT": 1}  # the hand-computed figures, unsuppressed (suppression: test_reports_suppression)


@pytest.fixture
def programme(app, make_user):
    return build_programme(make_user)


def figures(row) -> tuple:
    return tuple(row.cells[k].value if k in row.cells else None for k in COLUMNS)


def table(board, key) -> dict:
    return {row.key: figures(row) for row in board.table(key).rows}


def board_for(scope=None, **args):
    return reports.dashboard(scope or ReportScope(), ReportFilters.from_args(args))


def test_totals_and_every_breakdown_equal_the_hand_count(programme):
    board = board_for()
    # firms, participants, enrolments, completions, certificates, hours (4 × 30 minutes)
    assert figures(board.totals) == (3, 6, 7, 4, 3, 2)
    assert table(board, "provider") == {"park-a": (None, 4, 5, 3, 2, 2), "park-b": (None, 2, 2, 1, 1, 1)}
    assert table(board, "course") == {"a1": (None, 2, 3, 2, 2, 1), "a2": (None, 2, 2, 1, 0, 1),
                                      "b1": (None, 2, 2, 1, 1, 1)}
    assert table(board, "stage") == {"1": (None, 4, 5, 3, 3, 2), "2": (None, 2, 2, 1, 0, 1)}
    assert table(board, "month") == {"2026-01": (None, 2, 3, 0, 0, 0), "2026-02": (None, 2, 2, 1, 1, 1),
                                     "2026-03": (None, 2, 2, 3, 2, 2)}
    assert table(board, "municipality") == {"5001": (2, 4, 5, 2, 1, 1), "5006": (1, 2, 2, 2, 2, 1)}
    assert table(board, "industry") == {"A": (1, 2, 2, 2, 2, 1), "C": (1, 2, 3, 1, 1, 1), "G": (1, 2, 2, 1, 0, 1)}
    assert table(board, "size") == {"0-9": (1, 2, 3, 1, 1, 1), "10-49": (1, 2, 2, 2, 2, 1),
                                    "50-249": (1, 2, 2, 1, 0, 1)}
    assert table(board, "status") == {"verified": (2, 4, 5, 3, 3, 2), "unverified": (1, 2, 2, 1, 0, 1)}
    for t in board.tables:  # every table's total is the dashboard's total
        assert figures(t.total)[1:] == figures(board.totals)[1:]


@pytest.mark.parametrize("args,expected", [
    ({"municipality": "5001"}, (2, 4, 5, 2, 1, 1)),
    ({"industry": "A", "start": "2026-03", "end": "2026-03"}, (1, 1, 1, 2, 2, 1)),
    ({"provider": "park-b"}, (2, 2, 2, 1, 1, 1)),
    ({"stage": "2"}, (2, 2, 2, 1, 0, 1)),
    ({"course": "a1", "end": "2026-01"}, (1, 1, 2, 0, 0, 0)),
    ({"municipality": "5001", "industry": "G"}, (1, 2, 2, 1, 0, 1)),
    ({"start": "2027-01"}, (0, 0, 0, 0, 0, 0)),
])
def test_filters(programme, args, expected):
    board = board_for(**args)
    assert figures(board.totals) == expected
    size = {k: v for k, v in table(board, "size").items()}
    assert sum(v[2] for v in size.values()) == expected[2]  # the size table honours the filters too


def test_a_municipality_filter_keeps_the_other_breakdowns_consistent(programme):
    board = board_for(municipality="5001")
    assert table(board, "industry") == {"C": (1, 2, 3, 1, 1, 1), "G": (1, 2, 2, 1, 0, 1)}
    assert table(board, "municipality") == {"5001": (2, 4, 5, 2, 1, 1)}


@pytest.mark.parametrize("args,field", [
    ({"start": "2026-13"}, "start"), ({"start": "mars"}, "start"), ({"start": "2026-05", "end": "2026-04"}, "end"),
    ({"stage": "x"}, "stage"), ({"stage": "0"}, "stage"), ({"industry": "Z"}, "industry"),
    ({"municipality": "50a1"}, "municipality"), ({"provider": "../x"}, "provider"), ({"provider": "nope"}, "provider"),
    ({"course": "nope"}, "course"),
])
def test_bad_filters_answer_400_with_the_field(programme, client, login_as, args, field):
    login_as("funder")
    response = client.get("/reports/", query_string=args)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert re.search(rf'id="f-{field}" name="{field}"[^>]*aria-invalid="true"', html)


def test_filters_round_trip_through_the_url(app):
    filters = ReportFilters.from_args({"start": "2026-01", "industry": "c", "stage": "2", "course": ""})
    assert filters.to_args() == {"start": "2026-01", "stage": "2", "industry": "C"}
    assert ReportFilters.from_args(filters.to_args()) == filters


def test_the_provider_sees_only_their_own_courses(programme, client, login_as):
    from .learning_factory import provider

    author = login_as("author", provider_id=provider("park-b").id)
    board = reports.dashboard(reports.provider_scope(author), ReportFilters())
    assert figures(board.totals) == (2, 2, 2, 1, 1, 1)
    assert set(table(board, "course")) == {"b1"}
    html = client.get("/studio/reports").get_data(as_text=True)
    assert "Kurs B1" in html and "Kurs A1" not in html and "Kurs A2" not in html
    assert client.get("/studio/reports", query_string={"provider": "park-a"}).status_code == 400
    assert client.get("/studio/reports", query_string={"course": "a1"}).status_code == 400
    csv = client.get("/studio/reports/export/course.csv").get_data(as_text=True)
    assert "Kurs B1" in csv and "Kurs A1" not in csv


@pytest.mark.parametrize("role,path,status", [
    ("learner", "/studio/reports", 403), ("funder", "/studio/reports", 403), ("admin", "/studio/reports", 200),
    ("learner", "/reports/export/course.csv", 403), ("author", "/reports/export/course.csv", 403),
    ("funder", "/reports/export/course.csv", 200), ("funder", "/reports/export/nope.csv", 404),
])
def test_access(programme, client, login_as, role, path, status):
    from .learning_factory import provider

    login_as(role, **({"provider_id": provider("park-a").id} if role == "author" else {}))
    assert client.get(path).status_code == status


def page_table(html: str, key: str) -> list[list[str]]:
    """The rows (header, body, total) of one report table as text, as a person reads them."""
    body = re.search(rf'<table[^>]*id="table-{key}".*?</table>', html, re.S).group(0)
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(cells, tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize("app_config", [{"REPORTS_MIN_COUNT": 5}])
@pytest.mark.parametrize("key", ["month", "course", "municipality", "industry", "status"])
def test_export_equals_page(programme, client, login_as, key):
    login_as("funder")
    args = {"start": "2026-01"}
    html = client.get("/reports/", query_string=args).get_data(as_text=True)
    response = client.get(f"/reports/export/{key}.csv", query_string=args)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = [line.split(";") for line in response.get_data(as_text=True).lstrip("\ufeff").strip().split("\r\n")]
    assert rows == page_table(html, key)
    assert any("<5" in row for row in rows)
    xlsx = client.get(f"/reports/export/{key}.xlsx", query_string=args)
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX_MIMETYPE
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    assert [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)] == rows


def test_page_marks_tables_for_the_charts(programme, client, login_as):
    login_as("funder")
    html = client.get("/reports/").get_data(as_text=True)
    assert re.search(r'<table class="data report-table" id="table-month" data-chart="line" data-chart-title="[^"]+"',
                     html)
    assert 'id="table-municipality" data-chart="bar"' in html and 'id="table-industry" data-chart="bar"' in html
    assert '<th scope="row">2026-01</th>' in html and '<td class="num" data-value="3">3</td>' in html


def test_suppressed_cells_carry_an_empty_value(programme, client, login_as, app):
    app.config["REPORTS_MIN_COUNT"] = 5
    login_as("funder")
    html = client.get("/reports/").get_data(as_text=True)
    assert '<td class="num" data-value="">&lt;5</td>' in html


def test_empty_programme_has_a_helpful_page(app, client, login_as):
    login_as("funder")
    html = client.get("/reports/").get_data(as_text=True)
    assert "No enrolments or completions match these filters yet" in html


@pytest.mark.parametrize("args", [{"municipality": "5001"}, {"provider": "park-a", "start": "2026-02"}])
def test_query_count_does_not_grow_with_the_data(app, make_user, count_queries, args):
    from .reports_support import enrol, make_firm

    build_programme(make_user)
    with count_queries() as small:
        board_for(**args)
    c = reports.list_report_courses(ReportScope())[0]
    from courseware.models import Course

    course = app.extensions["sqlalchemy"].session.get(Course, c.id)
    for n in range(12):
        firm = make_firm(f"9{n:02d}000000"[:9], f"Firma {n}", "5001", "C", "0-9", "brreg")
        enrol(make_user("learner", firm_id=firm.id), course, 1 + n % 3)
    with count_queries() as large:
        board = board_for(**args)
    assert figures(board.totals)[2] == (17 if "municipality" in args else 11)
    assert small.count == large.count == 6, large


@pytest.mark.parametrize("app_config", [{"REPORTS_MIN_COUNT": 5}])
def test_as_json_shows_what_the_page_shows(programme):
    data = board_for(start="2026-01").as_json()
    assert data["filters"] == {"start": "2026-01"} and data["minimum_count"] == 5
    assert data["totals"]["enrolments"] == 7 and data["totals"]["completions"] == "<5"
    assert data["totals"]["firms"] == 3
    month = data["tables"]["month"]
    assert [row["key"] for row in month["rows"]] == ["2026-01", "2026-02", "2026-03"]
    assert month["total"]["enrolments"] == 7 and set(data["tables"]) == {
        "month", "provider", "course", "stage", "municipality", "industry", "size", "status"}


def test_a_librarys_maker_space_course_stays_out_of_the_programmes_report(programme, make_user):
    """Residents taking a library's course are not the firm programme's (issue 15): the funders' dashboard leaves
    the course out, whatever the filters; the library sees it in its own report."""
    from courseware.extensions import db
    from courseware.models import CourseVersion, Provider

    from .reports_support import complete, course, enrol

    before = figures(board_for().totals)
    library_course = course("laser", "bibliotek", 1, True)
    library = db.session.get(Provider, library_course.provider_id)
    library.kind = "library"
    db.session.get(CourseVersion, library_course.current_version_id).audience = "public"
    db.session.commit()
    resident = make_user("learner")
    enrol(resident, library_course, 3)
    complete(resident, library_course, 3)
    assert figures(board_for().totals) == before
    assert "laser" not in table(board_for(), "course")
    assert "bibliotek" not in table(board_for(), "provider")
    own = board_for(ReportScope(library.id, library.name))
    assert figures(own.totals)[1:4] == (1, 1, 1)  # participants, enrolments, completions
