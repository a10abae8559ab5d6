"""Who may open which firm, admin and account page: every role against every page and action.

"no_firm" is a learner outside every firm who has asked to join firm A; "contact" is firm A's contact person, who
is unverified in MATRIX and verified in MATRIX_VERIFIED; "member" joined firm A without the contact's invitation.
"""
import pytest
from sqlalchemy import update

from courseware.extensions import db
from courseware.models import Firm, FirmJoinRequest, utcnow

from .firms_support import ORGNR_A, ORGNR_B, ORGNR_C, make_firm, make_provider

LOGIN = "login"  # expected: redirect to the login page
ROLES = ("anonymous", "no_firm", "member", "contact", "other_contact", "author", "funder", "admin")
DETAILS = {"name": "Ny AS", "municipality": "5001", "industry_section": "C", "industry_code": "", "size_band": "0-9"}

# (method, url, form data, expected status per role in ROLES order)
MATRIX = [
    ("GET", "/firm/", None, (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/firm/{firm_a}", None, (LOGIN, 403, 200, 200, 403, 403, 403, 200)),
    ("GET", "/firm/{firm_a}/edit", None, (LOGIN, 403, 403, 200, 403, 403, 403, 200)),
    ("POST", "/firm/{firm_a}/edit", DETAILS, (LOGIN, 403, 403, 302, 403, 403, 403, 302)),
    ("GET", "/firm/{firm_a}/invite", None, (LOGIN, 403, 403, 200, 403, 403, 403, 200)),
    ("POST", "/firm/{firm_a}/invite", {"emails": "ny@example.no"}, (LOGIN, 403, 403, 302, 403, 403, 403, 302)),
    ("GET", "/firm/edit", None, (LOGIN, 404, 403, 200, 200, 404, 404, 404)),
    ("GET", "/firm/invite", None, (LOGIN, 404, 403, 200, 200, 404, 404, 404)),
    ("GET", "/firm/register", None, (LOGIN, 200, 302, 302, 302, 403, 403, 403)),
    ("POST", "/firm/register/" + ORGNR_C, DETAILS, (LOGIN, 302, 409, 409, 409, 403, 403, 403)),
    ("GET", "/firm/register/" + ORGNR_A, None, (LOGIN, 200, 302, 302, 409, 403, 403, 403)),
    ("GET", "/firm/leave", None, (LOGIN, 404, 200, 200, 200, 404, 404, 404)),
    ("POST", "/firm/leave", {}, (LOGIN, 404, 302, 302, 302, 404, 404, 404)),
    ("GET", "/admin/", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("GET", "/admin/providers", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("POST", "/admin/providers/{provider}", {"name": "Ny", "kind": "library", "slug": "{provider}"},
     (LOGIN, 403, 403, 403, 403, 403, 403, 302)),
    ("GET", "/admin/users", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("POST", "/admin/users/{member}/role", {"role": "funder"}, (LOGIN, 403, 403, 403, 403, 403, 403, 302)),
    ("GET", "/admin/firms", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("GET", "/admin/firms/{firm_a}", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("POST", "/admin/firms/{firm_a}/contact", {"user_id": "{member}"}, (LOGIN, 403, 403, 403, 403, 403, 403, 302)),
    ("GET", "/firm/requests", None, (LOGIN, 404, 403, 200, 200, 404, 404, 404)),
    ("GET", "/firm/{firm_a}/requests", None, (LOGIN, 403, 403, 200, 403, 403, 403, 200)),
    ("POST", "/firm/requests/{request}/approve", {}, (LOGIN, 404, 404, 403, 404, 404, 404, 302)),
    ("POST", "/firm/requests/{request}/decline", {}, (LOGIN, 404, 404, 403, 404, 404, 404, 302)),
    ("POST", "/firm/requests/{request}/withdraw", {}, (LOGIN, 302, 404, 404, 404, 404, 404, 404)),
    ("GET", "/firm/members/{member}/remove", None, (LOGIN, 404, 403, 404, 404, 404, 404, 404)),
    ("GET", "/firm/{firm_a}/members/{member}/remove", None, (LOGIN, 403, 403, 404, 403, 403, 403, 200)),
    ("POST", "/firm/{firm_a}/members/{member}/remove", {}, (LOGIN, 403, 403, 404, 403, 403, 403, 302)),
    ("GET", "/firm/contact", None, (LOGIN, 404, 403, 200, 200, 404, 404, 404)),
    ("GET", "/firm/{firm_a}/contact", None, (LOGIN, 403, 403, 200, 403, 403, 403, 200)),
    ("POST", "/firm/{firm_a}/contact", {"user_id": "{member}"}, (LOGIN, 403, 403, 200, 403, 403, 403, 302)),
    ("POST", "/admin/firms/{firm_a}/verify", {}, (LOGIN, 403, 403, 403, 403, 403, 403, 302)),
    ("GET", "/admin/firms?unverified=1", None, (LOGIN, 403, 403, 403, 403, 403, 403, 200)),
    ("GET", "/me/firm-enrol", None, (LOGIN, 403, 403, 200, 200, 403, 403, 403)),
    ("GET", "/me/profile", None, (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/me/export", None, (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/me/delete", None, (LOGIN, 200, 200, 200, 200, 200, 200, 200)),
]
# Firm A's contact person verified: the same person may now answer requests, and sees and removes every member.
MATRIX_VERIFIED = [
    ("GET", "/firm/requests", None, 200),
    ("POST", "/firm/requests/{request}/approve", {}, 302),
    ("POST", "/firm/requests/{request}/decline", {}, 302),
    ("GET", "/firm/members/{member}/remove", None, 200),
    ("POST", "/firm/members/{member}/remove", {}, 302),
    ("POST", "/firm/contact", {"user_id": "{member}"}, 302),
    ("POST", "/firm/{firm_a}/members/{member}/remove", {}, 302),
]
CASES = [
    pytest.param(method, url, data, role, expected[i], False, id=f"{method} {url} as {role}")
    for method, url, data, expected in MATRIX
    for i, role in enumerate(ROLES)
] + [
    pytest.param(method, url, data, "contact", expected, True, id=f"{method} {url} as verified contact")
    for method, url, data, expected in MATRIX_VERIFIED
]


@pytest.fixture
def app_config():
    """English, the msgids: these tests check wording that translators may change (bokmål is tested in test_i18n)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def world(make_user):
    """Firm A with a contact person and a member, firm B with its own contact person, and one user per role."""
    users = {
        "no_firm": make_user("learner"),
        "member": make_user("learner", name="Medlem Av A"),
        "contact": make_user("learner"),
        "other_contact": make_user("learner"),
        "author": make_user("author"),
        "funder": make_user("funder"),
        "admin": make_user("admin"),
    }
    firm_a = make_firm(ORGNR_A, "Firma A AS", users["member"], contact=users["contact"])
    make_firm(ORGNR_B, "Firma B AS", contact=users["other_contact"])
    request = FirmJoinRequest(firm_id=firm_a.id, user_id=users["no_firm"].id)
    db.session.add(request)
    db.session.commit()
    ids = {"firm_a": firm_a.id, "provider": make_provider().slug, "member": users["member"].id, "request": request.id}
    return users, ids


@pytest.mark.parametrize("method, url, data, role, expected, verified", CASES)
def test_access(client, login, world, method, url, data, role, expected, verified):
    users, ids = world
    if verified:
        db.session.execute(update(Firm).where(Firm.id == ids["firm_a"]).values(verified_at=utcnow(), verified_via="admin"))
        db.session.commit()
    if role != "anonymous":
        login(users[role])
    url = url.format(**ids)
    data = {key: value.format(**ids) for key, value in (data or {}).items()}
    response = client.open(url, method=method, data=data)
    if expected == LOGIN:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        return
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    if response.status_code == 403:
        body = response.get_data(as_text=True)
        assert "Firma A AS" not in body and "Medlem Av A" not in body


def test_a_learner_of_firm_b_never_sees_firm_a(client, login, world):
    users, ids = world
    login(users["other_contact"])
    own = client.get("/firm/").get_data(as_text=True)
    assert "Firma B AS" in own and "Firma A AS" not in own and "Medlem Av A" not in own
    for url in (f"/firm/{ids['firm_a']}", f"/firm/{ids['firm_a']}/edit", f"/firm/{ids['firm_a']}/invite"):
        page = client.get(url)
        assert page.status_code == 403 and "Firma A AS" not in page.get_data(as_text=True)
    assert client.post(f"/firm/{ids['firm_a']}/edit", data={**DETAILS, "name": "Kapret AS"}).status_code == 403
    assert db.session.execute(db.select(db.text("name")).select_from(db.text("firms"))).scalars().all().count(
        "Kapret AS") == 0
