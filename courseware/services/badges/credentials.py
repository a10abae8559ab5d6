"""A personal certificate as an Open Badges 3.0 `OpenBadgeCredential`, signed with the platform's current key.

Its data comes from what the certificate froze when it was issued (and the language of the course version, a row
that never changes); its three sentences are translated into the certificate's language. The proof's `created` is
the issue time (or the signing key's creation, if that came later), so one certificate and one key give the same
bytes every time: a credential downloaded twice, baked into a badge image or fetched by a verifier is one document
(until the translations of those sentences change).
"""
import json
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ...extensions import db
from ...models import Certificate, CourseVersion
from .jsonld import OB_CONTEXT, VC_CONTEXT
from .keys import SigningKey, keyring
from .proofs import add_proof, format_datetime
from .status import status_entry
from .urls import achievement_url, certificate_url, issuer_url, verification_method

# The JSON Schema of an AchievementCredential. Its type is VC 2.0's `JsonSchema`, which the VC 2.0 context
# defines: 1EdTech's examples use `1EdTechJsonSchemaValidator2019`, which no context defines, so a signature would
# not cover it (pyld signs it as http://example.org/base/1EdTechJsonSchemaValidator2019; safe-mode verifiers
# refuse it).
CREDENTIAL_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "JsonSchema",
}
MEDIA_TYPE = "application/vc+ld+json"


def unsigned_credential(cert: Certificate) -> dict:
    """The credential without its proof."""
    issuer = issuer_url(cert.provider_slug)
    identifiers = [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                    "identityHash": cert.recipient_hash, "salt": cert.recipient_salt}]
    if cert.learner_name:
        identifiers.append({"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": cert.learner_name})
    with force_locale(cert.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        texts = _texts(cert)
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": certificate_url(cert.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": cert.provider_name},
        "validFrom": format_datetime(cert.issued_at),
        "name": cert.course_title,
        "description": texts["credential"],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": {
                "id": achievement_url(cert.course_slug),
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": cert.course_title,
                "description": texts["achievement"],
                "criteria": {"narrative": texts["criteria"]},
                "inLanguage": _course_language(cert),
                "version": str(cert.version_number),
            },
        },
        "credentialSchema": [CREDENTIAL_SCHEMA],
        "credentialStatus": status_entry(cert.provider_slug, cert.status_index),
    }
    if cert.valid_until is not None:
        credential["validUntil"] = format_datetime(cert.valid_until)
    return credential


def _texts(cert: Certificate) -> dict:
    if cert.minutes:
        achievement = _("The course %(title)s from %(provider)s: %(minutes)s minutes of modules, practical tasks "
                        "and quizzes.", title=cert.course_title, provider=cert.provider_name, minutes=cert.minutes)
    else:
        achievement = _("The course %(title)s from %(provider)s: modules, practical tasks and quizzes.",
                        title=cert.course_title, provider=cert.provider_name)
    return {
        "credential": _("Certificate of completion of the course %(title)s from %(provider)s.",
                        title=cert.course_title, provider=cert.provider_name),
        "achievement": achievement,
        "criteria": _("Read every module of the course, did its practical tasks and passed its quizzes."),
    }


def _course_language(cert: Certificate) -> str:
    version = db.session.get(CourseVersion, cert.version_id) if cert.version_id is not None else None
    return version.language if version is not None else (cert.language or "nb")


def credential_for(cert: Certificate) -> dict:
    """The certificate's OpenBadgeCredential with a Data Integrity proof (eddsa-rdfc-2022) by the current key."""
    key = keyring().current
    created = max(cert.issued_at, key.created)
    unsigned = unsigned_credential(cert)
    text = json.dumps(unsigned, sort_keys=True, ensure_ascii=False)
    proof = _proof(text, key, verification_method(cert.provider_slug, key), created)
    return {**unsigned, "proof": dict(proof)}


@lru_cache(maxsize=1024)
def _proof(text: str, key: SigningKey, method: str, created: datetime) -> tuple:
    # Keyed by the whole document, so a cached proof always belongs to its document, whatever changed in the
    # certificate (an anonymised name, a new key). Signing is deterministic: the cache changes only the time taken,
    # which canonicalisation dominates (bench/credentials.py).
    return tuple(add_proof(json.loads(text), key, method, created)["proof"].items())


def credential_json(cert: Certificate) -> str:
    """The signed credential as a JSON file (UTF-8 text, indented for people who open it)."""
    return json.dumps(credential_for(cert), ensure_ascii=False, indent=2) + "\n"
