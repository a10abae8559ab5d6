"""What a verifier dereferences over HTTP (issuer profiles, keys, revocation lists, credential downloads), and an
independent verifier (tests/openbadges_verifier.py) that accepts our credentials and refuses changed, foreign-key
and revoked ones."""
import gzip
import json
from datetime import timedelta

import pytest
from flask import Flask

from courseware.extensions import db
from courseware.services import badges
from courseware.services.badges import jsonld, multibase

from .badges_support import EMAIL, ISSUED, make_certificate, old_key, verifier
from .learning_factory import make_course, provider

LD = {"Accept": "application/ld+json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# --- Issuer profiles: the keys' controller documents ----------------------------------------------------------

@pytest.mark.parametrize("headers", [LD, {"Accept": "application/json"}, {}])
def test_the_issuer_profile_is_json_ld_for_json_clients_and_requests_without_accept(app, client, headers):
    make_certificate()
    key = badges.keyring().current
    response = client.get("/issuers/test-naeringshage", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == (headers.get("Accept") or "application/ld+json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in response.headers["Vary"]
    profile = response.get_json(force=True)
    issuer = "http://localhost/issuers/test-naeringshage"
    assert profile["id"] == issuer and profile["type"] == ["Profile"] and profile["name"] == "Test Naeringshage"
    assert profile["verificationMethod"] == [{"id": f"{issuer}#{key.multikey}", "type": "Multikey",
                                              "controller": issuer, "publicKeyMultibase": key.multikey}]
    assert profile["assertionMethod"] == [f"{issuer}#{key.multikey}"]


def test_every_term_of_the_issuer_profile_is_defined_by_its_contexts(app):
    provider("test-naeringshage", "Test Næringshage")
    profile = badges.issuer_profile(badges.get_issuer("test-naeringshage"))
    assert "https://w3id.org/security#publicKeyMultibase" in jsonld.canonicalize(profile)


def test_the_issuer_profile_is_a_page_with_open_graph_for_browsers(client, app):
    provider("test-naeringshage", "Test Næringshage")
    response = client.get("/issuers/test-naeringshage", headers=BROWSER)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert '<meta property="og:title" content="Test Næringshage">' in html
    assert 'property="og:url" content="http://localhost/issuers/test-naeringshage"' in html
    assert badges.keyring().current.multikey in html
    assert client.get("/issuers/test-naeringshage", headers={"Accept": "*/*"}).mimetype == "text/html"


@pytest.mark.parametrize("headers", [LD, BROWSER])
def test_an_unknown_issuer_is_not_found(client, app, headers):
    assert client.get("/issuers/nobody", headers=headers).status_code == 404


# --- Revocation lists ------------------------------------------------------------------------------------------

def _bits(status_list) -> bytes:
    encoded = status_list["credentialSubject"]["encodedList"]
    return gzip.decompress(multibase.from_multibase_b64url(encoded))


def test_the_status_list_is_a_signed_credential_with_short_caching(client, app, count_queries):
    cert = make_certificate(status_index=7)
    with count_queries() as queries:
        response = client.get("/status/test-naeringshage/0", headers=LD)
    assert queries.count == 1, queries
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    status_list = response.get_json(force=True)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["issuer"] == "http://localhost/issuers/test-naeringshage"
    subject = status_list["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"], subject["ttl"]) == ("BitstringStatusList", "revocation",
                                                                          60_000)
    assert len(_bits(status_list)) * 8 == 131_072 and not any(_bits(status_list))
    assert status_list["proof"]["verificationMethod"].startswith(status_list["issuer"] + "#z6Mk")
    assert badges.credential_for(cert)["credentialStatus"]["statusListCredential"] == status_list["id"]


def test_revoking_sets_the_certificates_bit_most_significant_first(client, app):
    course = make_course("digital-drift")
    make_certificate(course, code="AAAA1111", status_index=9)
    revoked = make_certificate(course, code="BBBB2222", status_index=10)
    revoked.revoked_at, revoked.revoked_reason = ISSUED + timedelta(days=3), "misconduct"
    db.session.commit()
    bits = _bits(client.get("/status/test-naeringshage/0").get_json(force=True))
    assert bits[1] == 0b0010_0000  # bit 10: the third bit of the second byte
    assert sum(bin(byte).count("1") for byte in bits) == 1


def test_lists_belong_to_their_provider(client, app):
    ours = make_certificate(status_index=3)
    other = make_certificate(make_course("annet", provider_slug="annen-hage"), code="CCCC3333", status_index=4)
    for cert in (ours, other):
        cert.revoked_at = ISSUED
    db.session.commit()
    bits = _bits(client.get("/status/test-naeringshage/0").get_json(force=True))
    assert bits[0] == 0b0001_0000  # bit 3 only: bit 4 is in annen-hage's list
    assert _bits(client.get("/status/annen-hage/0").get_json(force=True))[0] == 0b0000_1000


@pytest.mark.parametrize("path", ["/status/nobody/0", "/status/test-naeringshage/16384",
                                  "/status/test-naeringshage/99999"])
def test_an_unknown_list_is_not_found(client, app, path):
    make_certificate()
    assert client.get(path, headers=LD).status_code == 404


# --- Credentials at the verification URL ------------------------------------------------------------------------

def test_the_credential_downloads_as_a_file(client, app):
    cert = make_certificate()
    response = client.get("/verify/7K3MQ9XAG.json")
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="7K3MQ9XAG.json"'
    assert json.loads(response.get_data(as_text=True)) == badges.credential_for(cert)
    assert client.get("/verify/7k3m-q9xa-g.json").status_code == 200  # as people type codes


@pytest.mark.parametrize("code", ["NOPE0000", "x" * 200, "7K3MQ9XAH", "ÆØÅ", "7K3MQ9XAG%00"])
def test_an_unknown_code_is_not_found(client, app, code):
    make_certificate()
    assert client.get(f"/verify/{code}.json").status_code in (404, 400)


@pytest.mark.parametrize("accept, wanted", [
    ("application/vc+ld+json", True), ("application/ld+json", True), ("application/vc", True),
    ("application/ld+json;q=0.9, text/html;q=0.5", True), ("application/json", False), ("*/*", False),
    (BROWSER["Accept"], False), ("", False), (None, False), ("text/html", False), ("garbage;;q=x", False),
])
def test_wants_credential_is_true_only_for_clients_that_prefer_the_credential(accept, wanted):
    assert badges.wants_credential(accept) is wanted


def test_the_verification_page_hook_answers_in_the_type_asked_for(app):
    """What the verification page does with `wants_credential` (core engineer's view): a minimal stand-in."""
    from courseware.blueprints.badges import credential_response

    cert = make_certificate()
    with app.test_request_context("/verify/7K3MQ9XAG", headers={"Accept": "application/ld+json"}):
        response = credential_response(cert, "application/ld+json")
    assert response.mimetype == "application/ld+json" and "Accept" in response.headers["Vary"]
    assert "Content-Disposition" not in response.headers
    assert json.loads(response.get_data(as_text=True))["id"] == "http://localhost/verify/7K3M-Q9XA-G"


def test_credential_ids_follow_the_verification_endpoint_when_it_exists(app):
    cert = make_certificate()
    assert badges.certificate_url(cert.code) == "http://localhost/verify/7K3M-Q9XA-G"
    other = Flask("other")
    other.config.update(BASE_URL="https://kurs.example.no/app", SERVER_NAME=None)
    other.add_url_rule("/bevis/<code>", "verify.certificate", lambda code: code)
    with other.app_context():
        assert badges.certificate_url("7K3MQ9XAG") == "https://kurs.example.no/app/bevis/7K3M-Q9XA-G"


# --- The independent verifier ------------------------------------------------------------------------------------

def test_an_independent_verifier_accepts_our_credential(client, app):
    credential = badges.credential_for(make_certificate())
    outcome = verifier(client).verify(credential, email=EMAIL)
    assert outcome.accepted, outcome.reason
    assert not verifier(client).verify(credential, email="ola@example.no").accepted


def _set(path, value):
    def change(credential):
        *parents, last = path
        node = credential
        for name in parents:
            node = node[name]
        node[last] = value
    return change


@pytest.mark.parametrize("change", [
    _set(["name"], "Avansert drift – Trinn 3"),
    _set(["validFrom"], "2020-01-01T00:00:00Z"),
    _set(["validUntil"], "2099-01-01T00:00:00Z"),
    _set(["credentialSubject", "identifier", 0, "identityHash"], "sha256$" + "ab" * 32),
    _set(["credentialSubject", "identifier", 1, "identityHash"], "Ola Nordmann"),
    _set(["credentialSubject", "achievement", "name"], "Noe annet"),
    _set(["credentialSubject", "achievement", "id"], "http://localhost/courses/annet"),
    _set(["credentialSubject", "achievement", "achievementType"], "Degree"),
    _set(["issuer", "name"], "Falsk Næringshage"),
    _set(["issuer", "id"], "http://localhost/issuers/annen-hage"),
    _set(["credentialStatus", "statusListIndex"], "99"),
    _set(["proof", "created"], "2030-01-01T00:00:00Z"),
    _set(["proof", "verificationMethod"], "http://localhost/issuers/annen-hage#KEY"),
    _set(["surprise"], "a property no context defines"),
], ids=["name", "validFrom", "validUntil", "recipient-hash", "recipient-name", "achievement-name",
        "achievement-id", "achievement-type", "issuer-name", "issuer-id", "status-index", "proof-created",
        "other-issuers-key", "undefined-term"])
def test_an_independent_verifier_refuses_a_changed_credential(client, app, change, request):
    provider("annen-hage", "Annen Hage")  # its profile lists the same platform keys, under its own id
    credential = badges.credential_for(make_certificate())
    key = badges.keyring().current.multikey
    change(credential)
    if credential["proof"]["verificationMethod"].endswith("#KEY"):
        credential["proof"]["verificationMethod"] = credential["proof"]["verificationMethod"][:-3] + key
        credential["issuer"]["id"] = "http://localhost/issuers/annen-hage"
    outcome = verifier(client).verify(credential)
    assert not outcome.accepted
    expected = {"issuer-id": "the key's controller is not the issuer", "undefined-term": "safe mode: undefined terms"}
    assert outcome.reason.startswith(expected.get(request.node.callspec.id, "the signature does not verify"))


def test_an_independent_verifier_refuses_a_credential_signed_with_another_key(client, app, tmp_path):
    from courseware.services.badges.keys import ensure_keys
    from courseware.services.badges.proofs import add_proof

    credential = badges.credential_for(make_certificate())
    stranger = ensure_keys(tmp_path / "stranger").current  # same form, not published by the issuer
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    forged = add_proof(unsigned, stranger, credential["proof"]["verificationMethod"], ISSUED)
    assert "not verify" in verifier(client).verify(forged).reason
    method = credential["issuer"]["id"] + "#" + stranger.multikey
    assert "does not contain" in verifier(client).verify(add_proof(unsigned, stranger, method, ISSUED)).reason


def test_an_independent_verifier_refuses_a_revoked_credential_through_the_status_list(client, app):
    cert = make_certificate()
    credential = badges.credential_for(cert)
    assert verifier(client).verify(credential).accepted
    cert.revoked_at, cert.revoked_reason = ISSUED + timedelta(days=30), "withdrawn_by_provider"
    db.session.commit()
    assert verifier(client).verify(credential).reason == "status: revocation"
    cert.revoked_at = cert.revoked_reason = None  # restored
    db.session.commit()
    assert verifier(client).verify(credential).accepted


def test_an_independent_verifier_refuses_an_expired_credential(client, app):
    from datetime import datetime, timezone

    cert = make_certificate(valid_until=datetime(2028, 5, 4, tzinfo=timezone.utc))
    credential = badges.credential_for(cert)
    assert verifier(client, now=datetime(2027, 1, 1, tzinfo=timezone.utc)).verify(credential).accepted
    assert verifier(client, now=datetime(2028, 6, 1, tzinfo=timezone.utc)).verify(credential).reason == "expired"


def test_credentials_signed_before_a_rotation_still_verify(client, app):
    from pathlib import Path

    old = old_key(app)
    cert = make_certificate()
    before = badges.credential_for(cert)
    new = badges.rotate_key(Path(app.config["SIGNING_KEYS_DIR"]))
    after = badges.credential_for(cert)
    assert before["proof"]["verificationMethod"].endswith(old.multikey)
    assert after["proof"]["verificationMethod"].endswith(new.multikey)
    profile = client.get("/issuers/test-naeringshage", headers=LD).get_json(force=True)
    assert [m["publicKeyMultibase"] for m in profile["verificationMethod"]] == [old.multikey, new.multikey]
    status_list = client.get("/status/test-naeringshage/0", headers=LD).get_json(force=True)
    assert status_list["proof"]["verificationMethod"].endswith(new.multikey)
    for credential in (before, after):
        assert verifier(client).verify(credential).accepted


def test_every_url_a_verifier_follows_is_served_under_base_url(client, app):
    credential = badges.credential_for(make_certificate())
    urls = [credential["issuer"]["id"], credential["proof"]["verificationMethod"].partition("#")[0],
            credential["credentialStatus"]["statusListCredential"], credential["credentialSubject"]["achievement"]["id"]]
    for url in urls:
        assert url.startswith("http://localhost/")
        assert client.get(url.removeprefix("http://localhost"), headers=LD).status_code == 200, url
