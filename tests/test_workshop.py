"""The maker space (folkeverksted): a library's machines and courses, the staff sign-off that issues the certificate,
withdrawal, the desk look-up's answers and query count, access between two libraries, reports, privacy."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from courseware.errors import InvalidInput, NotFound, PermissionDenied
from courseware.extensions import db
from courseware.models import Certificate, MachinePermission, Provider
from courseware.services import enrolment, learning, privacy, workshop, workshop_desk
from courseware.services.certificate_codes import format_code

from .conftest import TEST_PASSWORD
from .learning_factory import make_course

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
MODULES = [{"key": "sikkerhet", "title": "Sikkerhet", "tasks": ["Finn nødstoppen"]}]
CERTIFICATE = {"enabled": True, "signer_name": "Bibliotekaren", "valid_years": 0}


def library(slug, name):
    provider = Provider(slug=slug, name=name, kind="library", municipality_code="5001")
    db.session.add(provider)
    db.session.commit()
    return provider


@pytest.fixture
def place(app, make_user):
    """Two libraries, each with a laser cutter and staff; library A's laser course; a resident who completed it."""
    a, b = library("bibliotek-a", "Bibliotek A"), library("bibliotek-b", "Bibliotek B")
    staff_a = make_user("author", name="Ansatt A", provider_id=a.id)
    staff_b = make_user("author", name="Ansatt B", provider_id=b.id)
    course = make_course("laser-a", modules=MODULES, audience="public", provider_slug="bibliotek-a",
                         certificate=CERTIFICATE)
    laser = workshop.add_machine(staff_a, name="Laserkutter", kind="laser_cutter", room="Verkstedet")
    printer = workshop.add_machine(staff_a, name="3D-skriver", kind="3d_printer")
    workshop.add_machine(staff_b, name="Laserkutter B", kind="laser_cutter")
    workshop.set_course_grants(staff_a, "laser-a", machine_ids=[laser.id], min_age="12", consent_under_age="18",
                               valid_months="12")
    db.session.commit()
    resident = make_user("learner", name="Ola Innbygger", email="ola@example.no")
    complete(resident, course)
    return dict(a=a, b=b, staff_a=staff_a, staff_b=staff_b, course=course, laser=laser, printer=printer,
                resident=resident)


def complete(user, course):
    from .learning_factory import get_module, load

    enrolment.enrol(user, load(course))
    module = get_module(course, "sikkerhet")
    learning.mark_read(user, module, now=NOW - timedelta(days=1))
    learning.set_task(user, module, 0, True, now=NOW - timedelta(days=1))
    db.session.commit()


def certificates_of(user):
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def test_completion_waits_for_the_sign_off_then_issues_the_certificate(place):
    resident, staff = place["resident"], place["staff_a"]
    assert certificates_of(resident) == []  # completed, but waiting for staff
    made = workshop.sign_off(staff, resident, "laser-a", machine_ids=[place["laser"].id], birth_year="1990",
                             note="Kuttet en testplate", now=NOW)
    db.session.commit()
    (permission,) = made
    assert permission.signed_off_by_id == staff.id and permission.granted_at == NOW
    assert permission.expires_at == datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
    assert permission.note == "Kuttet en testplate" and permission.age_band == "20_39"
    (certificate,) = certificates_of(resident)
    assert permission.certificate_id == certificate.id
    # a second sign-off (another machine later) reuses the certificate
    from courseware.services.certificates import backfill
    assert backfill().issued == 0


def test_backfill_does_not_issue_a_waiting_certificate(place):
    from courseware.services.certificates import backfill

    assert backfill().issued == 0 and certificates_of(place["resident"]) == []


@pytest.mark.parametrize("year, guardian, field", [
    ("2016", "", "birth_year"),  # 10 this year: under the minimum age of 12
    ("2012", "", "guardian_name"),  # 14: needs a guardian's consent
    ("", "", "birth_year"),  # an age rule needs the year of birth
])
def test_age_and_consent_rules_refuse_a_sign_off(place, year, guardian, field):
    with pytest.raises(InvalidInput) as problem:
        workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                          birth_year=year, guardian_name=guardian, now=NOW)
    assert problem.value.details["field"] == field


def test_guardian_consent_is_recorded_with_who_and_when(place):
    (permission,) = workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                                      birth_year="2012", guardian_name="Kari Forelder", now=NOW)
    assert (permission.guardian_name, permission.guardian_recorded_by_id, permission.guardian_recorded_at) == (
        "Kari Forelder", place["staff_a"].id, NOW)


def test_only_staff_of_that_library_sign_off(place, make_user):
    with pytest.raises(NotFound):
        workshop.sign_off(place["staff_b"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                          birth_year="1990", now=NOW)
    other = make_user("author", provider_id=make_course("annet", provider_slug="naeringshage").provider_id)
    admin = make_user("admin")
    for outsider in (other, admin, place["resident"]):
        with pytest.raises(PermissionDenied):
            workshop.sign_off(outsider, place["resident"], "laser-a", machine_ids=[place["laser"].id], now=NOW)
    with pytest.raises(InvalidInput):  # not a machine id at all
        workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=["x"], now=NOW)
    with pytest.raises(InvalidInput):  # a machine the course does not grant
        workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["printer"].id],
                          birth_year="1990", now=NOW)


def test_sign_off_needs_the_completed_course(place, make_user):
    from .learning_factory import load

    newcomer = make_user("learner")
    enrolment.enrol(newcomer, load(place["course"]))
    with pytest.raises(InvalidInput):
        workshop.sign_off(place["staff_a"], newcomer, "laser-a", machine_ids=[place["laser"].id],
                          birth_year="1990", now=NOW)


def states(results):
    return {(r.user.name, a.machine.name): a.answer.state for r in results for a in r.answers}


def test_desk_answers_each_state_by_every_kind_of_query(place, count_queries):
    staff, resident, laser = place["staff_a"], place["resident"], place["laser"]
    before = workshop_desk.lookup(staff, "Ola", now=NOW)
    assert states(before) == {("Ola Innbygger", "3D-skriver"): "not_signed_off",
                              ("Ola Innbygger", "Laserkutter"): "not_signed_off"}
    (permission,) = workshop.sign_off(staff, resident, "laser-a", machine_ids=[laser.id], birth_year="1990", now=NOW)
    db.session.commit()
    code = workshop.find_pass(resident.id).code
    certificate = certificates_of(resident)[0]
    queries = [code, code.lower(), f"http://localhost/studio/workshop/desk?q={code}", "OLA@example.no",
               format_code(certificate.code), "innbygger ola"]
    for query in queries:
        result = workshop_desk.lookup(staff, query, now=NOW + timedelta(days=1))
        assert [r.user.id for r in result] == [resident.id], query
        assert result[0].answers[1].machine.id == laser.id and result[0].answers[1].answer.state == "allowed"
    expired = workshop_desk.lookup(staff, code, now=datetime(2027, 6, 16, tzinfo=UTC))[0].answers[1].answer
    assert expired.state == "expired" and expired.since == datetime(2027, 6, 15, 12, tzinfo=UTC)
    workshop.withdraw(staff, permission.id, "Lot maskinen gå uten tilsyn", now=NOW + timedelta(days=2))
    db.session.commit()
    assert workshop_desk.lookup(staff, code, now=NOW + timedelta(days=3))[0].answers[1].answer.state == "withdrawn"
    assert certificates_of(resident)[0].revoked_reason == "withdrawn_by_provider"
    with count_queries() as counted:
        workshop_desk.lookup(staff, code, now=NOW)
    assert counted.count <= 4, counted


def test_staff_of_another_library_see_nothing(place):
    workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                      birth_year="1990", now=NOW)
    db.session.commit()
    code = workshop.find_pass(place["resident"].id).code
    assert workshop_desk.lookup(place["staff_b"], code, now=NOW) == []
    assert workshop_desk.lookup(place["staff_b"], "Ola", now=NOW) == []
    with pytest.raises(NotFound):
        workshop.get_resident_for(place["staff_b"], place["resident"].id)
    permission = db.session.scalars(select(MachinePermission)).one()
    with pytest.raises(NotFound):
        workshop.withdraw(place["staff_b"], permission.id, "feil", now=NOW)
    with pytest.raises(NotFound):
        workshop.get_course_grants(place["staff_b"], "laser-a")
    with pytest.raises(InvalidInput):
        workshop.set_course_grants(place["staff_a"], "laser-a", machine_ids=[
            workshop.list_machines(place["staff_b"])[0].id])


def test_withdraw_needs_a_reason(place):
    (permission,) = workshop.sign_off(place["staff_a"], place["resident"], "laser-a",
                                      machine_ids=[place["laser"].id], birth_year="1990", now=NOW)
    with pytest.raises(InvalidInput):
        workshop.withdraw(place["staff_a"], permission.id, "  ", now=NOW)


def test_report_suppresses_small_numbers(place, make_user, app):
    workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                      birth_year="1990", now=NOW)
    db.session.commit()
    report = workshop_desk.library_report(place["staff_a"])
    assert str(report.residents_trained) == "<5"
    assert [(l, m, [str(c) for c in cells]) for l, m, cells, _t in report.machines] == [
        ("Bibliotek A", "Laserkutter", ["<5"])]
    assert [p.slug for p in workshop_desk.library_report(place["staff_b"]).libraries] == ["bibliotek-b"]
    with pytest.raises(PermissionDenied):
        workshop_desk.library_report(place["resident"])
    app.config["WORKSHOP_COUNTY_LIBRARY"] = "bibliotek-b"
    assert {p.slug for p in workshop_desk.library_report(place["staff_b"]).libraries} == {"bibliotek-a",
                                                                                          "bibliotek-b"}


def test_report_tables_download_as_csv_with_the_cells_the_page_shows(place, make_user, client, login, app):
    # Five residents on the laser cutter in June, one in July: July is "<5", and June is hidden too, else the total
    # (6) less June would give July away (services/suppression.protect_column).
    for n in range(5):
        resident = place["resident"] if n == 0 else make_user("learner", name=f"Innbygger {n}")
        if n:
            complete(resident, place["course"])
        workshop.sign_off(place["staff_a"], resident, "laser-a", machine_ids=[place["laser"].id],
                          birth_year=str(1950 + n), now=NOW)
    late = make_user("learner", name="=HYPERLINK(\"x\")")
    complete(late, place["course"])
    workshop.sign_off(place["staff_a"], late, "laser-a", machine_ids=[place["laser"].id], birth_year="2000",
                      now=NOW + timedelta(days=30))
    db.session.commit()
    login(place["staff_a"])
    page = client.get("/studio/workshop/report")
    assert b"/studio/workshop/report/machines.csv" in page.data and b'id="f-library"' not in page.data
    machines = client.get("/studio/workshop/report/machines.csv")
    assert machines.status_code == 200 and machines.mimetype == "text/csv"
    assert "attachment" in machines.headers["Content-Disposition"]
    lines = machines.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1:] == ["Bibliotek A;Laserkutter;<5;<5;6"]
    assert lines[0].split(";")[2:4] == ["2026-06", "2026-07"]
    bands = client.get("/studio/workshop/report/age-bands.csv").get_data(as_text=True).splitlines()
    # 67 and older: 5, 20–39: 1 (hidden, and so is the 5 beside it); then the total
    assert [line.split(";")[1] for line in bands[1:]] == ["0", "0", "<5", "0", "<5", "0", "6"]
    assert "HYPERLINK" not in machines.get_data(as_text=True) + "".join(bands)  # counts only, never names
    login(place["staff_b"])  # another library: its own (empty) report, never library A's counts
    other = client.get("/studio/workshop/report/machines.csv").get_data(as_text=True)
    assert "Laserkutter" not in other and other.lstrip("\ufeff").count("\r\n") == 1
    app.config["WORKSHOP_COUNTY_LIBRARY"] = "bibliotek-b"  # the county library chooses among all libraries
    assert b'id="f-library"' in client.get("/studio/workshop/report").data
    chosen = client.get("/studio/workshop/report/machines.csv?library=bibliotek-a").get_data(as_text=True)
    assert chosen.lstrip("\ufeff").splitlines()[1:] == ["Bibliotek A;Laserkutter;<5;<5;6"]
    login(place["resident"])
    assert client.get("/studio/workshop/report/machines.csv").status_code == 403
    assert client.get("/studio/workshop/report/people.csv").status_code == 404


def test_privacy_export_and_deletion_keep_only_anonymous_counts(place):
    resident = place["resident"]
    workshop.sign_off(place["staff_a"], resident, "laser-a", machine_ids=[place["laser"].id], birth_year="2012",
                      guardian_name="Kari Forelder", note="Flink", now=NOW)
    db.session.commit()
    data = privacy.export_user_data(resident)
    assert data["workshop_pass"]["birth_year"] == 2012 and data["workshop_pass"]["code"].startswith("VP")
    (line,) = data["machine_permissions"]
    assert line["machine"] == "Laserkutter" and line["library"] == "Bibliotek A"
    assert line["guardian_name"] == "Kari Forelder" and line["signed_off_by"] == "Ansatt A"
    privacy.delete_account(resident, TEST_PASSWORD)
    db.session.commit()
    (row,) = db.session.scalars(select(MachinePermission)).all()
    assert (row.user_id, row.note, row.guardian_name, row.withdrawn_reason) == (None, "", "", "")
    assert row.age_band == "under_16"
    assert str(workshop_desk.library_report(place["staff_a"]).residents_trained) == "<5"
    assert db.session.execute(select(func.count()).select_from(MachinePermission)).scalar() == 1


# --- Pages ---------------------------------------------------------------------------------------------------------

def test_staff_pages_and_the_sign_off_form(place, client, login):
    login(place["staff_a"])
    assert client.get("/studio/workshop/").status_code == 200
    page = client.get("/studio/workshop/courses/laser-a")
    assert page.status_code == 200 and b"Laserkutter" in page.data
    resident = place["resident"]
    assert b"Ola Innbygger" in client.get("/studio/workshop/").data  # waiting for a sign-off
    response = client.post(f"/studio/workshop/residents/{resident.id}/sign-off",
                           data={"course": "laser-a", "machines": [str(place["laser"].id)], "birth_year": "1990"})
    assert response.status_code == 302
    assert db.session.scalars(select(MachinePermission)).one().user_id == resident.id
    code = workshop.find_pass(resident.id).code
    desk = client.get("/studio/workshop/desk", query_string={"q": f"http://localhost/studio/workshop/desk?q={code}"})
    assert b'data-state="allowed"' in desk.data
    field = re.search(r'<input[^>]*id="q"[^>]*>', desk.get_data(as_text=True)).group(0)
    assert "autofocus" in field and 'value=""' in field  # ready for the next scan, which never lands beside this one
    assert code in desk.get_data(as_text=True).split('id="desk-query"')[1]  # what was looked up is shown
    assert client.get("/studio/workshop/report").status_code == 200
    bad = client.post(f"/studio/workshop/residents/{resident.id}/sign-off",
                      data={"course": "laser-a", "machines": ["x"], "birth_year": "abc"})
    assert bad.status_code == 302  # refused with a message, never a 500


def test_other_library_and_learners_are_refused(place, client, login):
    login(place["staff_b"])
    assert client.get(f"/studio/workshop/residents/{place['resident'].id}").status_code == 404
    assert client.get("/studio/workshop/courses/laser-a").status_code == 404
    login(place["resident"])
    assert client.get("/studio/workshop/desk?q=Ola").status_code == 403


def test_my_workshop_pass(place, client, login):
    assert workshop_desk.my_pass(place["resident"]).waiting == [("Kurs laser-a", "Bibliotek A")]
    workshop.sign_off(place["staff_a"], place["resident"], "laser-a", machine_ids=[place["laser"].id],
                      birth_year="1990", now=datetime.now(UTC))
    db.session.commit()
    login(place["resident"])
    page = client.get("/me/workshop-pass")
    assert page.status_code == 200
    code = workshop.find_pass(place["resident"].id).code
    assert code.encode() in page.data and b"<svg" in page.data and b'data-state="allowed"' in page.data
    assert client.post("/me/workshop-pass", data={"birth_year": "20x"}).status_code == 200  # the field's message
    assert client.post("/me/workshop-pass", data={"birth_year": "1991"}).status_code == 302
    assert workshop.find_pass(place["resident"].id).birth_year == 1991


def test_a_refresher_course_renews_an_expired_permission(place, make_user):
    staff, resident, laser = place["staff_a"], place["resident"], place["laser"]
    refresher = make_course("laser-a-oppfrisking", modules=MODULES, audience="public", provider_slug="bibliotek-a",
                            certificate=CERTIFICATE)
    workshop.set_course_grants(staff, "laser-a", machine_ids=[laser.id], valid_months="1",
                               refresher_slug="laser-a-oppfrisking")
    workshop.sign_off(staff, resident, "laser-a", machine_ids=[laser.id], now=NOW)
    db.session.commit()
    later = NOW + timedelta(days=60)
    code = workshop.find_pass(resident.id).code
    assert workshop_desk.lookup(staff, code, now=later)[0].answers[1].answer.state == "expired"
    newcomer = make_user("learner")
    complete(newcomer, refresher)  # never signed off for the laser: the refresher grants them nothing
    assert workshop.sign_off_choices(staff, newcomer) == []
    complete(resident, refresher)
    assert certificates_of(resident)[-1].course_id != refresher.id  # the refresher's certificate waits too
    (choice,) = workshop.sign_off_choices(staff, resident)[1:]
    assert choice.course.slug == "laser-a-oppfrisking" and [g.machine_id for g in choice.grants] == [laser.id]
    workshop.sign_off(staff, resident, "laser-a-oppfrisking", machine_ids=[laser.id], now=later)
    db.session.commit()
    answer = workshop_desk.lookup(staff, code, now=later + timedelta(days=1))[0].answers[1].answer
    assert answer.state == "allowed" and answer.until == datetime(2026, 9, 14, 12, 0, tzinfo=UTC)  # a month on
