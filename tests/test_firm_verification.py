"""A firm's contact person is verified by Brønnøysund's roles data (a name match at registration) or by an admin;
until then the firm is marked "Not verified" wherever it is shown. No test touches the network: the register is
the fake one in registry_support.py."""
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Firm
from courseware.services import firms, register_roles

from .firms_support import ORGNR_A, ORGNR_B, make_firm
from .registry_support import ROLES, FakeRegister, enable_api, fake_register  # noqa: F401 (fixtures)

DETAILS = {"name": "Trondheim Demo AS", "municipality": "5001", "other_municipality": "", "industry_section": "O",
           "industry_code": "", "size_band": "250+"}
WHEN = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)


# --- Matching names -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, holder", [
    ("Kari Anne Nordmann", "Kari Anne Nordmann"),
    ("Kari Nordmann", "Kari Anne Nordmann"),             # the middle name left out
    ("  kari   NORDMANN ", "KARI ANNE NORDMANN"),        # case and extra spaces
    ("Per Hansen", "Per Olav Hansen"),                   # a second given name left out
    ("Anne-Lise Berg", "Anne Lise Berg"),                # a hyphen or a space
    ("Åse Ødegård", "ÅSE ØDEGÅRD"),
])
def test_names_that_match(typed, holder):
    assert register_roles.names_match(typed, register_roles.name_tokens(holder))


@pytest.mark.parametrize("typed, holder", [
    ("Ola Nordmann", "Kari Anne Nordmann"),              # another first name
    ("Kari Nordmannsen", "Kari Anne Nordmann"),          # another last name
    ("Kari", "Kari Anne Nordmann"),                      # one word is not enough
    ("Nordmann Kari", "Kari Anne Nordmann"),             # the order matters
    ("Kari Berit Nordmann", "Kari Anne Nordmann"),       # a middle name the register does not have
    ("Anne Nordmann", "Kari Anne Nordmann"),
    ("", "Kari Anne Nordmann"),
])
def test_names_that_do_not_match(typed, holder):
    assert not register_roles.names_match(typed, register_roles.name_tokens(holder))


def test_only_current_living_leaders_count():
    """Board members, resigned and dead people, and roles held by another firm (the auditor) are left out."""
    assert register_roles.leading_role_holders(ROLES["942110464"]) == [["kari", "anne", "nordmann"],
                                                                       ["per", "olav", "hansen"]]
    assert register_roles.leading_role_holders(ROLES["123456785"]) == [["ola", "nordmann"]]


@pytest.mark.parametrize("payload", [None, {}, {"rollegrupper": "x"}, {"rollegrupper": [{"roller": [None, 3]}]},
                                     {"rollegrupper": [{"roller": [{"type": {"kode": "DAGL"}, "person": "x"}]}]}])
def test_odd_answers_give_no_holders(payload):
    assert register_roles.leading_role_holders(payload) == []


# --- Asking the register --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("orgnr, name, expected", [
    ("942110464", "Kari Nordmann", True),     # daglig leder
    ("942110464", "per olav hansen", True),   # styrets leder
    ("942110464", "Siri Lund", False),        # an ordinary board member
    ("942110464", "Gammel Leder", False),     # resigned
    ("123456785", "Ola Nordmann", True),      # innehaver
    ("123456785", "Avdød Leder", False),      # dead
    ("817920632", "Kari Nordmann", False),    # the register has no roles for it (404)
])
def test_holds_leading_role_asks_the_roles_endpoint(app, enable_api, orgnr, name, expected):
    assert register_roles.holds_leading_role(orgnr, name) is expected
    assert FakeRegister.requests[-1] == (f"/enhetsregisteret/api/enheter/{orgnr}/roller", "application/json")


@pytest.mark.parametrize("orgnr", ["991825827", "923609016", "988077917"], ids=["500", "not JSON", "timeout"])
def test_a_register_that_cannot_answer_is_no_match(app, enable_api, orgnr, caplog):
    assert register_roles.holds_leading_role(orgnr, "Kari Nordmann") is False


def test_an_unreachable_register_is_no_match_and_logged(app, caplog):
    app.config.update(BRREG_ENABLED=True, BRREG_URL="http://127.0.0.1:9", BRREG_TIMEOUT=0.5)
    assert register_roles.holds_leading_role(ORGNR_A, "Kari Nordmann") is False
    assert f"lookup of {ORGNR_A} failed" in caplog.text


def test_the_register_is_not_asked_when_disabled(app, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert register_roles.holds_leading_role(ORGNR_A, "Kari Nordmann") is False


# --- Registering verifies a leader ------------------------------------------------------------------------------

def _register(client, orgnr=ORGNR_A):
    return client.post(f"/firm/register/{orgnr}", data=DETAILS)


def test_a_leader_who_registers_the_firm_is_verified_at_once(client, make_user, login, enable_api):
    user = login(make_user(name="Kari Nordmann"))
    assert _register(client).status_code == 302
    firm = db.session.execute(select(Firm)).scalar_one()
    assert (firm.verified_via, firm.verified_by_id) == ("register", None) and firm.verified_at is not None
    db.session.refresh(user)
    assert user.is_firm_contact
    html = client.get("/firm/").get_data(as_text=True)
    assert "Not verified" not in html and "not verified yet" not in html


def test_someone_else_registers_an_unverified_firm_and_is_told_what_happens(client, make_user, login, enable_api):
    login(make_user(name="Siri Lund"))
    _register(client)
    firm = db.session.execute(select(Firm)).scalar_one()
    assert firm.verified_at is None and firm.verified_via is None
    html = client.get("/firm/").get_data(as_text=True)
    assert "Not verified" in html
    assert "An administrator checks that you may represent" in html
    assert "requests to join the firm wait for you" in html


def test_no_role_data_is_stored(client, make_user, login, enable_api):
    """The register's names and birth dates are compared in memory only: no table holds them afterwards."""
    login(make_user(name="Kari Nordmann"))
    _register(client)
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            text = repr(tuple(row))
            for personal in ("Anne", "ANNE", "1970-01-01", "Hansen", "Lund"):
                assert personal not in text, (table.name, text)


# --- An admin verifies ----------------------------------------------------------------------------------------------

@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin", name="Ada Admin"))


def test_admin_verifies_and_who_and_when_are_recorded(client, admin, make_user, caplog):
    contact = make_user(name="Kari Kontakt")
    firm = make_firm(ORGNR_A, "Fjellgården AS", contact=contact)
    page = client.get(f"/admin/firms/{firm.id}").get_data(as_text=True)
    assert "Not verified" in page and "Verify the contact person" in page
    response = client.post(f"/admin/firms/{firm.id}/verify", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Fjellgården AS is verified" in html and "by Ada Admin" in html
    db.session.refresh(firm)
    assert (firm.verified_via, firm.verified_by_id) == ("admin", admin.id) and firm.verified_at is not None
    mail = [r.getMessage() for r in caplog.records if "You are verified as the contact person" in r.getMessage()]
    assert len(mail) == 1 and contact.email in mail[0]


def test_verifying_twice_changes_nothing(client, admin, make_user):
    firm = make_firm(ORGNR_A, "Fjellgården AS", contact=make_user())
    firms.verify_firm(admin, firm, now=WHEN)
    db.session.commit()
    html = client.post(f"/admin/firms/{firm.id}/verify", follow_redirects=True).get_data(as_text=True)
    assert "is verified already" in html
    db.session.refresh(firm)
    assert firm.verified_at == WHEN


def test_only_admins_verify(app, make_user):
    from courseware.errors import PermissionDenied

    contact = make_user()
    firm = make_firm(ORGNR_A, "A AS", contact=contact)
    with pytest.raises(PermissionDenied):
        firms.verify_firm(contact, firm)
    assert firm.verified_at is None


def test_admin_firm_list_marks_and_filters_unverified_firms(client, admin, make_user):
    verified = make_firm(ORGNR_A, "Verifisert AS", contact=make_user())
    firms.verify_firm(admin, verified, now=WHEN)
    make_firm(ORGNR_B, "Uverifisert AS", contact=make_user())
    db.session.commit()
    everyone = client.get("/admin/firms").get_data(as_text=True)
    assert "Verifisert AS" in everyone and "Uverifisert AS" in everyone
    assert everyone.count("Not verified") == 1
    only = client.get("/admin/firms?unverified=1").get_data(as_text=True)
    assert "Uverifisert AS" in only and "Verifisert AS</a>" not in only
    assert 'name="unverified" value="1" checked' in only


def test_register_match_is_shown_on_the_admin_page(client, admin, make_user):
    firm = make_firm(ORGNR_A, "A AS", contact=make_user())
    firm.verified_via, firm.verified_at = "register", WHEN
    db.session.commit()
    html = client.get(f"/admin/firms/{firm.id}").get_data(as_text=True)
    assert "matched a leader of the firm in Brønnøysundregistrene" in html
    assert "Verify the contact person" not in html
