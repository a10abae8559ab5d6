"""The completion register (services/register.py, /reports/register): numbers on a hand-computed fixture, small
counts shown as "<5", filters, the orgnr look-up and its messages, access by role, the CSV equal to the page."""
import csv
import io
from html.parser import HTMLParser

import pytest

from courseware.extensions import db
from courseware.models import Course
from courseware.errors import InvalidInput, NotFound, PermissionDenied
from courseware.services import register
from courseware.services.register import RegisterFilters

from .firms_support import ORGNR_A, ORGNR_B, ORGNR_C, make_firm
from .register_support import complete_at, build_register

UNKNOWN_ORGNR = "923609016"  # MOD11-valid, not a firm of the fixture


@pytest.fixture
def world(app, make_user):
    return build_register(make_user)


@pytest.fixture
def funder(make_user):
    return make_user("funder")


def _facts(entry):
    return (entry.orgnr, entry.name, entry.municipality, entry.industry_section, entry.size_band_label,
            entry.verified, str(entry.people), entry.first_completed_on.isoformat())


def _lines(entry):
    return [(line.title, line.stage, line.provider, line.first_completed_on.isoformat(), str(line.people),
             line.certificate_code) for line in entry.courses]


def test_register_numbers_equal_the_hand_computed_fixture(world, funder):
    page = register.list_register(funder)
    assert page.total == 2 and [e.name for e in page.items] == ["Alfa AS", "Beta AS"]
    alfa, beta = page.items
    assert _facts(alfa) == (ORGNR_A, "Alfa AS", "Trondheim - Tråante", "C", "10–49", True, "6", "2026-03-14")
    assert _lines(alfa) == [
        ("Digital drift", 1, "Nasjonalparken Næringshage", "2026-03-14", "6", world.certificate_code),
        ("Eksport", 2, "Nasjonalparken Næringshage", "2026-04-02", "<5", None),  # 23:30 UTC is the next day here
    ]
    # Three people (one account deleted since) is below the threshold: suppressed, firm total too.
    assert _facts(beta)[5:] == (False, "<5", "2026-03-16") and _lines(beta)[0][4] == "<5"
    assert beta.people.value is None and beta.people.as_json() == "<5" and alfa.people.as_json() == 6


@pytest.mark.parametrize("app_config", [{"REPORTS_MIN_COUNT": 3}])
def test_the_threshold_is_a_setting(world, funder):
    beta = register.list_register(funder).items[1]
    assert str(beta.people) == "3" and str(beta.courses[0].people) == "3"
    assert str(register.list_register(funder).items[0].courses[1].people) == "<3"


@pytest.mark.parametrize("filters,names", [
    ({"municipality": "5001"}, ["Alfa AS"]),
    ({"industry": "g"}, ["Beta AS"]),
    ({"course": "eksport"}, ["Alfa AS"]),
    ({"course": "no-such-course"}, []),
    ({"q": "BETA"}, ["Beta AS"]),
    ({"q": "817 920"}, ["Beta AS"]),
    ({"q": "NO 942110464 MVA"}, ["Alfa AS"]),
    ({"q": "%"}, []),
])
def test_filters(world, funder, filters, names):
    page = register.list_register(funder, RegisterFilters.from_args(filters))
    assert [e.name for e in page.items] == names and page.total == len(names)


def test_a_course_filter_counts_only_that_course(world, funder):
    (alfa,) = register.list_register(funder, RegisterFilters(course="eksport")).items
    assert [line.title for line in alfa.courses] == ["Eksport"]
    assert str(alfa.people) == "<5"  # the two who completed Eksport, not the six of the firm


@pytest.mark.parametrize("args", [{"municipality": "50"}, {"municipality": "abcd"}, {"industry": "Z"}])
def test_malformed_filters_are_refused(app, args):
    with pytest.raises(InvalidInput):
        RegisterFilters.from_args(args)


def test_look_up_by_orgnr_as_people_type_it(world, funder):
    for typed in (ORGNR_A, "942 110 464", "NO 942 110 464 MVA", "no942110464mva", " 942.110.464 "):
        assert register.look_up_firm(funder, typed).name == "Alfa AS", typed
    gamma = register.look_up_firm(funder, ORGNR_C)
    assert gamma.courses == [] and str(gamma.people) == "0" and gamma.first_completed_on is None
    with pytest.raises(NotFound):
        register.look_up_firm(funder, UNKNOWN_ORGNR)


@pytest.mark.parametrize("typed,message", [
    ("942110465", "the check digit does not match"),
    ("94211046", "must have 9 digits; you wrote 8"),
    ("NO 94211O464", "can only contain digits"),
    ("", "Enter the organisation number"),
])
def test_orgnr_typos_get_a_clear_message(world, funder, typed, message):
    with pytest.raises(InvalidInput) as refused:
        register.look_up_firm(funder, typed)
    assert message in refused.value.message


@pytest.mark.parametrize("role", ["learner", "author"])
def test_services_refuse_learners_and_authors(world, make_user, role):
    user = make_user(role)
    for call in (lambda: register.list_register(user), lambda: register.look_up_firm(user, ORGNR_A),
                 lambda: register.register_csv(user), lambda: register.filter_choices(user)):
        with pytest.raises(PermissionDenied):
            call()


# --- Pages ------------------------------------------------------------------------------------------------------

PAGES = ["/reports/register", f"/reports/register/{ORGNR_A}", "/reports/register.csv"]


@pytest.mark.parametrize("role,status", [("funder", 200), ("admin", 200), ("learner", 403), ("author", 403)])
def test_pages_by_role(world, client, login_as, role, status):
    login_as(role)
    for url in PAGES:
        assert client.get(url).status_code == status, url


def test_pages_need_login(world, client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


def test_register_page_shows_firms_not_people(world, client, login, funder, make_user):
    login(funder)
    html = client.get("/reports/register").get_data(as_text=True)
    assert "Alfa AS" in html and "Beta AS" in html and "Gamma AS" not in html
    assert "&lt;5" in html and world.certificate_code in html and "2 firms" in html
    assert "Test Learner" not in html  # nobody's name


def test_orgnr_look_up_on_the_page(world, client, login, funder):
    login(funder)
    found = client.get("/reports/register?orgnr=NO+942+110+464+MVA")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/reports/register/{ORGNR_A}")
    html = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "Alfa AS" in html and "942 110 464" in html and "Eksport" in html
    typo = client.get("/reports/register?orgnr=942110465")
    assert typo.status_code == 400
    text = typo.get_data(as_text=True)
    assert "the check digit does not match" in text and 'aria-invalid="true"' in text
    assert client.get(f"/reports/register/{UNKNOWN_ORGNR}").status_code == 404
    assert client.get("/reports/register/942110465").status_code == 400
    assert "Nobody at this firm has completed a course yet." in client.get(
        f"/reports/register/{ORGNR_C}").get_data(as_text=True)


def test_empty_states(app, client, login, funder):
    login(funder)
    assert "No firm has completed a course yet" in client.get("/reports/register").get_data(as_text=True)
    assert "No firm matches" in client.get("/reports/register?q=zzz").get_data(as_text=True)
    assert client.get("/reports/register?municipality=xx").status_code == 400


class _Cards(HTMLParser):
    """The register page's cells, per firm: its facts (dd) and its course table's cells (td)."""

    def __init__(self):
        super().__init__()
        self.firms, self._in, self._text = [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "section" and "register-entry" in (dict(attrs).get("class") or ""):
            self.firms.append({"name": None, "facts": [], "rows": []})
        elif tag == "tr" and self.firms:
            self.firms[-1]["rows"].append([])
        if tag in ("dd", "td", "h2") and self.firms:
            self._in, self._text = tag, []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == self._in:
            text = " ".join("".join(self._text).split())
            firm = self.firms[-1]
            if tag == "dd":
                firm["facts"].append(text)
            elif tag == "td":
                firm["rows"][-1].append(text)
            else:
                firm["name"] = text
            self._in = None


def _page_lines(html):
    parser = _Cards()
    parser.feed(html)
    lines = []
    for firm in parser.firms:
        orgnr, municipality, industry, size, verified, people = firm["facts"]
        rows = [row for row in firm["rows"] if row] or [[""] * 6]
        lines += [[orgnr, firm["name"], municipality, industry, size, verified, people, *row] for row in rows]
    return lines


@pytest.mark.parametrize("query", ["", "?municipality=5001", "?course=eksport", "?q=beta"])
def test_csv_equals_the_page(world, client, login, funder, query):
    login(funder)
    html = client.get(f"/reports/register{query}").get_data(as_text=True)
    response = client.get(f"/reports/register.csv{query}")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header, lines = rows[0], rows[1:]
    assert header[0] == "Organisation number" and len(header) == 13
    # The page writes the industry as its name; the CSV too. Every cell of the CSV is on the page, in order.
    assert _page_lines(html) == lines and lines


def test_register_page_query_count_does_not_grow(world, client, login, funder, make_user, count_queries):
    login(funder)
    client.get("/reports/register")
    with count_queries() as few:
        client.get("/reports/register")
    course = db.session.execute(db.select(Course)).scalars().first()
    for n in range(8):
        firm = make_firm(_valid_orgnr(n), f"Firma {n} AS")
        complete_at(make_user(firm_id=firm.id).id, course, firm, world.alfa.created_at)
    db.session.commit()
    client.get("/reports/register")  # the logged-in user, expired by the commit, is loaded again once
    with count_queries() as many:
        html = client.get("/reports/register").get_data(as_text=True)
    assert "Firma 7 AS" in html
    assert many.count == few.count, many


def _valid_orgnr(n: int) -> str:
    """A MOD11-valid orgnr starting with 8 and the digit n (for fixtures)."""
    from courseware.services.orgs import orgnr_check_digit

    for tail in range(1000):
        first = f"8{n}{tail:06d}"
        digit = orgnr_check_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError
