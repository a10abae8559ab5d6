"""Public verification: the page and the API for anyone, without logging in; revocation shows at once; typos are
told apart from unknown codes; look-ups are rate-limited; a firm certificate names only employees who agreed."""
from datetime import datetime, timezone

import pytest

from courseware.extensions import db
from courseware.services import certificate_admin, privacy
from courseware.services.certificate_codes import check_symbol, format_code

from .certificates_support import certified_course, firm_certificate, graduate, verified_firm
from .conftest import TEST_PASSWORD


def _url(cert) -> str:
    return f"/verify/{format_code(cert.code)}"


def _unknown_code() -> str:
    body = "ZZZZZZZZ"  # never drawn by these tests' few random codes, and valid
    return format_code(body + check_symbol(body))


def _mistyped(cert) -> str:
    code = cert.code
    wrong = "0" if code[3] != "0" else "1"
    return format_code(code[:3] + wrong + code[4:])


@pytest.fixture
def cert(make_user):
    return graduate(make_user, certified_course(), name="Kari Nordmann")


def test_the_page_shows_a_valid_certificate_to_anyone(client, cert):
    response = client.get(_url(cert))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Valid certificate" in html
    assert "Kari Nordmann has completed the course Kurs kurs (stage 1) with Test Naeringshage." in html
    assert format_code(cert.code) in html and "Dec 3, 2026" in html
    assert response.headers["Cache-Control"] == "no-cache" and "Accept" in response.headers["Vary"]
    # Only the public facts: not the signer, the e-mail address or its hash.
    assert "@example.no" not in html and cert.recipient_hash not in html and "Daglig leder" not in html


def test_the_api_gives_the_same_as_json(client, cert):
    response = client.get(f"/api/v1/certificates/{format_code(cert.code)}")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json == {
        "code": format_code(cert.code), "url": f"http://localhost{_url(cert)}", "kind": "personal",
        "status": "valid", "name": "Kari Nordmann", "course": "Kurs kurs", "stage": 1,
        "provider": "Test Naeringshage", "issued_on": "2026-12-03", "valid_until": None, "revoked_on": None,
        "revocation_reason": None,
    }


def test_revocation_shows_at_once_on_the_page_and_in_the_api(client, cert, make_user):
    assert client.get(_url(cert)).status_code == 200
    admin = make_user("admin")
    certificate_admin.revoke(admin, cert, "misconduct", "Fusket på quizen",
                             now=datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc))
    db.session.commit()
    html = client.get(_url(cert)).get_data(as_text=True)
    assert "Revoked certificate" in html and "revoked on Dec 10, 2026" in html
    assert "Reason: Breach of the course rules" in html and "Fusket" not in html  # the note is not public
    data = client.get(f"/api/v1/certificates/{cert.code}").json
    assert (data["status"], data["revoked_on"], data["revocation_reason"]) == ("revoked", "2026-12-10", "misconduct")

    certificate_admin.restore(admin, cert)
    db.session.commit()
    assert "Valid certificate" in client.get(_url(cert)).get_data(as_text=True)


def test_an_expired_certificate_says_so(client, make_user):
    cert = graduate(make_user, certified_course(valid_years=1), when=datetime(2020, 5, 1, tzinfo=timezone.utc))
    html = client.get(_url(cert)).get_data(as_text=True)
    assert "Expired certificate" in html and "valid only until May 1, 2021" in html
    assert client.get(f"/api/v1/certificates/{cert.code}").json["status"] == "expired"


@pytest.mark.parametrize("spelling", ["lower", "no dashes", "o for zero"])
def test_other_spellings_lead_to_the_one_address(client, cert, spelling):
    typed = {"lower": format_code(cert.code).lower(), "no dashes": cert.code,
             "o for zero": format_code(cert.code).replace("0", "O")}[spelling]
    response = client.get(f"/verify/{typed}")
    if typed == format_code(cert.code):
        assert response.status_code == 200
    else:
        assert response.status_code == 301 and response.headers["Location"] == _url(cert)


def test_the_form_takes_a_typed_code(client, cert):
    assert 'name="code"' in client.get("/verify").get_data(as_text=True)
    response = client.get("/verify", query_string={"code": " " + cert.code.lower() + " "})
    assert response.status_code == 302 and response.headers["Location"] == _url(cert)


def test_a_mistyped_code_says_check_the_code_and_an_unknown_one_not_found(client, cert):
    mistyped = client.get(f"/verify/{_mistyped(cert)}")
    assert mistyped.status_code == 400
    assert "a character is probably mistyped" in mistyped.get_data(as_text=True)
    assert 'aria-invalid="true"' in mistyped.get_data(as_text=True)
    unknown = client.get(f"/verify/{_unknown_code()}")
    assert unknown.status_code == 404
    assert "No certificate has the code" in unknown.get_data(as_text=True)
    typed = client.get("/verify", query_string={"code": _mistyped(cert)})
    assert typed.status_code == 400 and "mistyped" in typed.get_data(as_text=True)
    nonsense = client.get("/verify/hallo")
    assert nonsense.status_code == 400 and "nine characters" in nonsense.get_data(as_text=True)


def test_api_errors_are_json_with_a_reason(client, cert):
    mistyped = client.get(f"/api/v1/certificates/{_mistyped(cert)}")
    assert mistyped.status_code == 400 and mistyped.json["reason"] == "mistyped"
    unknown = client.get(f"/api/v1/certificates/{_unknown_code()}")
    assert unknown.status_code == 404 and unknown.json["reason"] == "unknown"
    assert client.get("/api/v1/certificates/x").json["reason"] == "malformed"


@pytest.mark.parametrize("app_config", [{"CERTIFICATE_LOOKUP_RATE_LIMIT": "3 per minute"}])
def test_lookups_are_rate_limited_per_address_across_page_and_api(client, cert):
    me, other = {"REMOTE_ADDR": "198.51.100.7"}, {"REMOTE_ADDR": "198.51.100.8"}
    assert client.get(_url(cert), environ_base=me).status_code == 200
    assert client.get(f"/verify/{_unknown_code()}", environ_base=me).status_code == 404
    assert client.get(f"/api/v1/certificates/{cert.code}", environ_base=me).status_code == 200
    limited = client.get(f"/api/v1/certificates/{format_code(cert.code)}", environ_base=me)
    assert limited.status_code == 429 and limited.json["error"] == "Too many attempts"
    assert client.get(_url(cert), environ_base=me).status_code == 429
    assert client.get(_url(cert), environ_base=other).status_code == 200  # another address has its own count
    assert client.get("/verify", environ_base=me).status_code == 200  # the empty form is no look-up


def test_the_page_runs_a_fixed_small_number_of_queries(client, cert, make_user, count_queries):
    firm = verified_firm()
    course = certified_course("kurs-2")
    graduate(make_user, course, firm_id=firm.id, name_on_firm_certificates=True)
    personal_url, firm_url = _url(cert), _url(firm_certificate(firm, course))
    with count_queries() as personal:
        assert client.get(personal_url).status_code == 200
    assert personal.count == 1, personal
    with count_queries() as few:
        assert client.get(firm_url).status_code == 200
    for _ in range(5):
        graduate(make_user, course, firm_id=firm.id, name_on_firm_certificates=True)
    with count_queries() as many:
        assert client.get(firm_url).status_code == 200
    assert few.count == many.count == 3, many  # personal (none), firm, its employees' completions


# --- Firm certificates ------------------------------------------------------------------------------------------

def test_a_firm_certificate_names_only_employees_who_agreed(client, make_user):
    course = certified_course()
    firm = verified_firm("942110464", "Fjordbruk AS")
    graduate(make_user, course, firm_id=firm.id, name="Åse Samtykke", name_on_firm_certificates=True)
    graduate(make_user, course, firm_id=firm.id, name="Per Privat", share_progress=True)  # shares with the contact only
    graduate(make_user, course, firm_id=firm.id, name="Bjørn Samtykke", name_on_firm_certificates=True)
    issued = firm_certificate(firm, course)

    html = client.get(_url(issued)).get_data(as_text=True)
    assert "Fjordbruk AS has completed the course Kurs kurs (stage 1) with Test Naeringshage." in html
    assert "942 110 464" in html
    assert "3 employees of the firm have completed the course so far." in html
    assert "Åse Samtykke" in html and "Bjørn Samtykke" in html and "Per Privat" not in html
    data = client.get(f"/api/v1/certificates/{issued.code}").json
    assert data["kind"] == "firm" and data["name"] == "Fjordbruk AS" and data["orgnr"] == "942110464"
    assert data["completed_by"] == 3 and data["employees"] == ["Bjørn Samtykke", "Åse Samtykke"]


def test_a_revoked_member_is_neither_counted_nor_named(client, make_user):
    course = certified_course()
    firm = verified_firm()
    kept = graduate(make_user, course, firm_id=firm.id, name="Beholdt", name_on_firm_certificates=True)
    revoked = graduate(make_user, course, firm_id=firm.id, name="Trukket", name_on_firm_certificates=True)
    certificate_admin.revoke(make_user("admin"), revoked, "issued_in_error")
    db.session.commit()
    data = client.get(f"/api/v1/certificates/{firm_certificate(firm, course).code}").json
    assert data["completed_by"] == 1 and data["employees"] == [kept.learner_name]


# --- The holder deletes the account ------------------------------------------------------------------------------

def test_account_deletion_withdraws_and_anonymises_the_certificate(client, make_user):
    course = certified_course()
    firm = verified_firm()
    cert = graduate(make_user, course, firm_id=firm.id, name="Slettes Snart", name_on_firm_certificates=True)
    user_id, code, firm_code = cert.user_id, cert.code, firm_certificate(firm, course).code
    from courseware.models import User
    privacy.delete_account(db.session.get(User, user_id), TEST_PASSWORD)
    db.session.commit()

    html = client.get(f"/verify/{format_code(code)}").get_data(as_text=True)
    assert "Withdrawn certificate" in html and "holder deleted their account" in html
    assert "Slettes Snart" not in html
    data = client.get(f"/api/v1/certificates/{code}").json
    assert data["status"] == "revoked" and data["name"] is None and data["revocation_reason"] == "account_deleted"
    db.session.expire_all()
    from courseware.models import Certificate
    stored = db.session.execute(db.select(Certificate).filter_by(code=code)).scalar_one()
    assert stored.user_id is None and stored.learner_name == "" and stored.revoked_at is not None
    # The firm certificate stays, and counts the completion without the name.
    firm_data = client.get(f"/api/v1/certificates/{firm_code}").json
    assert firm_data["status"] == "valid" and firm_data["completed_by"] == 1 and firm_data["employees"] == []


# --- The Open Badges hook -----------------------------------------------------------------------------------------

def test_a_client_asking_for_the_credential_gets_the_signed_credential(client, cert):
    response = client.get(_url(cert), headers={"Accept": "application/vc+ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    credential = response.json
    assert "OpenBadgeCredential" in credential["type"] and credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["id"] == "http://localhost" + _url(cert)
    # A browser, and a client that takes anything, get the page.
    assert client.get(_url(cert), headers={"Accept": "text/html,*/*;q=0.8"}).mimetype == "text/html"
    assert client.get(_url(cert), headers={"Accept": "*/*"}).mimetype == "text/html"


def test_a_firm_certificate_has_no_credential(client, make_user):
    firm, course = verified_firm(), certified_course("kurs-2")
    graduate(make_user, course, firm_id=firm.id)
    path = _url(firm_certificate(firm, course))
    assert client.get(path, headers={"Accept": "application/vc+ld+json"}).status_code == 406
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("body", ["00000010", "00000011", "00000012", "00000013", "00000014"])
def test_codes_whose_check_symbol_is_punctuation_work_in_addresses(client, cert, body):
    cert.code = body + check_symbol(body)  # *, ~, $, = and U
    db.session.commit()
    from courseware.services.certificate_codes import verify_url

    url = verify_url(cert.code)
    path = url.removeprefix("http://localhost")
    assert client.get(path).status_code == 200, path
    assert client.get(f"/api/v1/certificates/{cert.code}").json["url"] == url
    typed = client.get("/verify", query_string={"code": cert.code.lower()})
    assert typed.status_code == 302 and client.get(typed.headers["Location"]).status_code == 200


def test_an_empty_form_asks_for_the_code(client):
    response = client.get("/verify", query_string={"code": ""})
    assert response.status_code == 400 and "nine characters" in response.get_data(as_text=True)
