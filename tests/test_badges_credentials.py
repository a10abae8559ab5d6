"""A certificate as an Open Badges 3.0 OpenBadgeCredential: what it says, that it never carries the e-mail
address, that it is the same document every time, and that our own verifier (services/badges/verify.py) accepts it
and says why it refuses a changed one."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from courseware.extensions import db
from courseware.services import badges
from courseware.services.badges import credentials as credentials_module

from .badges_support import EMAIL, ISSUED, make_certificate, old_key


def test_the_credential_carries_what_the_certificate_froze(app):
    old_key(app)
    cert = make_certificate()
    credential = badges.credential_for(cert)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["id"] == "http://localhost/verify/7K3M-Q9XA-G"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": "http://localhost/issuers/test-naeringshage", "type": ["Profile"],
                                    "name": "Test Naeringshage"}
    assert credential["validFrom"] == "2026-05-04T10:30:00Z"
    assert "validUntil" not in credential
    assert credential["name"] == "Digital drift – Trinn 1"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
         "identityHash": cert.recipient_hash, "salt": "d9a1c0ffee"},
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Kari Nordmann"},
    ]
    achievement = subject["achievement"]
    assert achievement["id"] == "http://localhost/courses/digital-drift"
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert (achievement["name"], achievement["inLanguage"], achievement["version"]) == (
        "Digital drift – Trinn 1", "nb", "1")
    assert "90 minutter" in achievement["description"] and achievement["criteria"]["narrative"]
    assert credential["credentialSchema"] == [{
        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        "type": "JsonSchema"}]
    index = cert.status_index
    assert credential["credentialStatus"] == {
        "id": f"http://localhost/status/test-naeringshage/0#{index}", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": str(index),
        "statusListCredential": "http://localhost/status/test-naeringshage/0"}
    proof = credential["proof"]
    key = badges.keyring().current
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"http://localhost/issuers/test-naeringshage#{key.multikey}"
    assert proof["created"] == "2026-05-04T10:30:00Z"  # the issue time, as the key is older
    assert proof["proofValue"].startswith("z")


def test_the_e_mail_address_is_never_in_the_credential(app):
    cert = make_certificate()
    text = badges.credential_json(cert)
    assert EMAIL not in text and "kari.nordmann@" not in text
    assert json.loads(text)["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")


def test_expiry_and_a_status_index_past_the_first_list(app):
    cert = make_certificate(valid_until=datetime(2029, 5, 4, tzinfo=timezone.utc), status_index=131_072 * 2 + 5)
    credential = badges.credential_for(cert)
    assert credential["validUntil"] == "2029-05-04T00:00:00Z"
    assert credential["credentialStatus"]["statusListIndex"] == "5"
    assert credential["credentialStatus"]["statusListCredential"].endswith("/status/test-naeringshage/2")


def test_the_same_certificate_and_key_give_the_same_bytes_cached_or_not(app):
    cert = make_certificate()
    first = badges.credential_json(cert)
    assert badges.credential_json(cert) == first
    credentials_module._proof.cache_clear()
    assert badges.credential_json(cert) == first


def test_a_changed_certificate_gets_a_new_signature_not_a_cached_one(app):
    cert = make_certificate()
    before = badges.credential_for(cert)
    cert.learner_name = "Anonym"
    db.session.commit()
    after = badges.credential_for(cert)
    assert after["proof"]["proofValue"] != before["proof"]["proofValue"]
    assert badges.verify_credential(after, badges.local_resolver()).ok


def test_a_key_newer_than_the_certificate_dates_the_proof_at_its_own_creation(app):
    cert = make_certificate(issued_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    key = badges.keyring().current
    assert badges.credential_for(cert)["proof"]["created"] == key.created.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_our_verifier_accepts_the_credential_and_checks_the_recipient(app):
    cert = make_certificate()
    credential = badges.credential_for(cert)
    result = badges.verify_credential(credential, badges.local_resolver(), email=EMAIL)
    assert result.ok, result.failed
    assert [check.name for check in result.checks] == ["format", "proof", "status", "validity", "recipient"]
    wrong = badges.verify_credential(credential, badges.local_resolver(), email="ola@example.no")
    assert [check.name for check in wrong.failed] == ["recipient"]


@pytest.mark.parametrize("change, failing", [
    (lambda c: c.update(name="Noe annet"), "proof"),
    (lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="sha256$" + "0" * 64), "proof"),
    (lambda c: c["credentialSubject"]["achievement"].update(name="Avansert"), "proof"),
    (lambda c: c.update(validFrom="2020-01-01T00:00:00Z"), "proof"),
    (lambda c: c["issuer"].update(id="http://localhost/issuers/other"), "proof"),
    (lambda c: c.update(surprise="not defined by any context"), "proof"),
    (lambda c: c.pop("proof"), "proof"),
    (lambda c: c.update(type=["VerifiableCredential"]), "format"),
    (lambda c: c["credentialSubject"].pop("identifier"), "format"),
])
def test_our_verifier_refuses_a_changed_credential(app, change, failing):
    credential = badges.credential_for(make_certificate())
    change(credential)
    result = badges.verify_credential(credential, badges.local_resolver())
    assert not result.ok
    assert result.failed[0].name == failing


def test_our_verifier_reports_revocation_expiry_and_foreign_urls(app):
    cert = make_certificate(valid_until=ISSUED + timedelta(days=365))
    credential = badges.credential_for(cert)
    later = ISSUED + timedelta(days=400)
    expired = badges.verify_credential(credential, badges.local_resolver(), now=later)
    assert [(c.name, c.message) for c in expired.failed] == [("validity", "expired")]
    cert.revoked_at, cert.revoked_reason = ISSUED + timedelta(days=1), "issued_in_error"
    db.session.commit()
    revoked = badges.verify_credential(credential, badges.local_resolver(), now=ISSUED + timedelta(days=2))
    assert revoked.revoked and [c.name for c in revoked.failed] == ["status"]
    foreign = json.loads(json.dumps(credential).replace("http://localhost/", "https://elsewhere.example/"))
    result = badges.verify_credential(foreign, badges.local_resolver())
    assert "not a document of this platform" in result.failed[0].message


def test_the_certificate_language_chooses_the_texts(app):
    cert = make_certificate(language="en")
    credential = badges.credential_for(cert)
    assert credential["description"] == (
        "Certificate of completion of the course Digital drift – Trinn 1 from Test Naeringshage.")
