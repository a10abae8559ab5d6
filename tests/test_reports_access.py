"""/reports/ is for funders and admins; everyone else is refused, and the menu shows it only to them."""
import pytest


@pytest.mark.parametrize("role,status", [("funder", 200), ("admin", 200), ("learner", 403), ("author", 403)])
def test_reports_by_role(client, login_as, role, status):
    login_as(role)
    response = client.get("/reports/")
    assert response.status_code == status
    menu_link = 'href="/reports/"' in client.get("/me/profile").get_data(as_text=True)
    assert menu_link == (status == 200)


def test_reports_need_login(client):
    response = client.get("/reports/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_people_cell_suppresses_small_counts(app):
    from courseware.services.suppression import firm_cell, people_cell

    assert [str(people_cell(n)) for n in (0, 1, 4, 5, 17)] == ["0", "<5", "<5", "5", "17"]
    assert people_cell(3).as_json() == "<5" and people_cell(6).as_json() == 6
    assert str(people_cell(3, minimum=3)) == "3"
    assert str(firm_cell(2)) == "2"
