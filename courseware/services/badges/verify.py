"""Verifying an OpenBadgeCredential as Open Badges 3.0 §"Verification" describes: conformance, the embedded proof
(with the key dereferenced from its controller document, which must be the issuer), the Bitstring Status List, the
validity period and, optionally, the recipient's e-mail address.

`resolve(url) -> dict` dereferences documents (issuer profiles, status lists). `local_resolver()` answers for this
platform's own URLs without a network, for the CLI (`courseware certificates verify FILE`) and the tests.
"""
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from ...errors import DomainError
from .jsonld import CanonicalisationError, VC_CONTEXT
from .multibase import ed25519_from_multikey, from_multibase_b64url
from .proofs import ProofError, check_proof
from .status import LIST_BITS

OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
# A status list's bits may be large, but not unboundedly: gzip can expand a small download a thousandfold.
MAX_LIST_BYTES = 16 * 1024 * 1024


class VerificationError(ValueError):
    """One check failed; the message says why."""


@dataclass
class Check:
    name: str  # "format", "proof", "status", "validity", "recipient"
    ok: bool
    message: str


@dataclass
class VerificationResult:
    checks: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list:
        return [check for check in self.checks if not check.ok]

    @property
    def revoked(self) -> bool:
        return any(check.name == "status" and not check.ok and check.message == "revoked" for check in self.checks)


def verify_credential(doc, resolve, now: datetime | None = None, email: str | None = None) -> VerificationResult:
    """Check a credential (a parsed JSON document) in the specification's order; every check is reported."""
    now = now or datetime.now(timezone.utc)
    result = VerificationResult()
    steps = [("format", lambda: _check_format(doc)), ("proof", lambda: _check_signed_by_issuer(doc, resolve)),
             ("status", lambda: _check_status(doc, resolve, now)), ("validity", lambda: _check_validity(doc, now))]
    if email is not None:
        steps.append(("recipient", lambda: _check_recipient(doc, email)))
    for name, step in steps:
        try:
            message = step()
        except (VerificationError, ProofError, CanonicalisationError, LookupError, ValueError, TypeError,
                AttributeError) as error:
            result.checks.append(Check(name, False, str(error) or type(error).__name__))
        else:
            result.checks.append(Check(name, True, message))
        if name == "format" and not result.checks[-1].ok:
            break  # nothing else can be read from a document of another shape
    return result


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_format(doc) -> str:
    if not isinstance(doc, dict):
        raise VerificationError("not a JSON object")
    contexts = _list(doc.get("@context"))
    if len(contexts) < 2 or contexts[0] != VC_CONTEXT or not str(contexts[1]).startswith(OB_CONTEXT_PREFIX):
        raise VerificationError("@context must start with the VC 2.0 and Open Badges 3.0 contexts")
    types = _list(doc.get("type"))
    if "VerifiableCredential" not in types or not {"OpenBadgeCredential", "AchievementCredential"} & set(types):
        raise VerificationError("type must contain VerifiableCredential and OpenBadgeCredential")
    if not _issuer_id(doc) or not doc.get("validFrom") or not doc.get("id"):
        raise VerificationError("id, issuer and validFrom are required")
    subject = doc.get("credentialSubject")
    if not isinstance(subject, dict) or not (subject.get("id") or subject.get("identifier")):
        raise VerificationError("credentialSubject must have an id or an identifier")
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict) or not all(achievement.get(k) for k in ("id", "name", "description",
                                                                                    "criteria")):
        raise VerificationError("credentialSubject.achievement needs id, name, description and criteria")
    return "an OpenBadgeCredential"


def _issuer_id(doc) -> str | None:
    issuer = doc.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None


def _check_signed_by_issuer(doc, resolve) -> str:
    """The proof is valid and made with a key that the issuer's own document lists for assertions."""
    proof = doc.get("proof")
    if not isinstance(proof, dict):
        raise VerificationError("no single embedded proof")
    method_id = str(proof.get("verificationMethod") or "")
    controller_url = method_id.partition("#")[0]
    if controller_url != _issuer_id(doc):
        raise VerificationError("the signing key is not the issuer's")
    controller = resolve(controller_url)
    if not isinstance(controller, dict) or controller.get("id") != controller_url:
        raise VerificationError("the key's controller document does not describe the issuer")
    method = next((m for m in _list(controller.get("verificationMethod"))
                   if isinstance(m, dict) and m.get("id") == method_id), None)
    if method is None or method.get("type") != "Multikey" or method.get("controller") != controller_url:
        raise VerificationError("the issuer does not publish the signing key")
    if method_id not in [m if isinstance(m, str) else m.get("id") for m in _list(controller.get("assertionMethod"))
                         if isinstance(m, (str, dict))]:
        raise VerificationError("the issuer does not use the key for assertions")
    check_proof(doc, ed25519_from_multikey(method.get("publicKeyMultibase")))
    return f"signed by {method_id}"


def _check_status(doc, resolve, now: datetime) -> str:
    entry = doc.get("credentialStatus")
    if entry is None:
        return "no status list"
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
            or entry.get("statusPurpose") != "revocation":
        raise VerificationError("unsupported credentialStatus")
    status_list = resolve(entry.get("statusListCredential"))
    if not isinstance(status_list, dict) or status_list.get("id") != entry.get("statusListCredential"):
        raise VerificationError("the status list is not the one named")
    if "BitstringStatusListCredential" not in _list(status_list.get("type")):
        raise VerificationError("not a BitstringStatusListCredential")
    if _issuer_id(status_list) != _issuer_id(doc):
        raise VerificationError("the status list has another issuer")
    _check_signed_by_issuer(status_list, resolve)
    _check_validity(status_list, now)
    subject = status_list.get("credentialSubject") or {}
    if subject.get("statusPurpose") != "revocation":
        raise VerificationError("the status list is not for revocation")
    bits = _decompress(from_multibase_b64url(subject.get("encodedList")))
    index = int(entry.get("statusListIndex"))
    if len(bits) * 8 < LIST_BITS or not 0 <= index < len(bits) * 8:
        raise VerificationError("the status list is too short")
    if bits[index // 8] & (0x80 >> (index % 8)):
        raise VerificationError("revoked")
    return "not revoked"


def _decompress(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)  # gzip
    bits = inflater.decompress(data, MAX_LIST_BYTES)
    if inflater.unconsumed_tail:
        raise VerificationError("the status list is too large")
    return bits


def _check_validity(doc, now: datetime) -> str:
    valid_from, valid_until = _datetime(doc.get("validFrom")), _datetime(doc.get("validUntil"))
    if valid_from is not None and now < valid_from:
        raise VerificationError("not valid yet")
    if valid_until is not None and now > valid_until:
        raise VerificationError("expired")
    return "valid" if valid_until is None else f"valid until {doc['validUntil']}"


def _datetime(value) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise VerificationError(f"a date without a time zone: {value}")
    return moment


def _check_recipient(doc, email: str) -> str:
    """Open Badges §"Verify the Recipient Using an Identifier": hash the known address with each salt."""
    for identifier in _list(doc["credentialSubject"].get("identifier")):
        if not isinstance(identifier, dict) or identifier.get("identityType") != "emailAddress":
            continue
        if identifier.get("hashed"):
            digest = hashlib.sha256((email + (identifier.get("salt") or "")).encode("utf-8")).hexdigest()
            if identifier.get("identityHash") == f"sha256${digest}":
                return "the e-mail address matches"
        elif identifier.get("identityHash") == email:
            return "the e-mail address matches"
    raise VerificationError("the e-mail address does not match")


def local_resolver():
    """A `resolve` that answers for this platform's issuer profiles and status lists, and refuses other URLs."""
    from .profiles import get_issuer, issuer_profile
    from .status import status_list_credential

    base = urlsplit(current_app.config["BASE_URL"])
    prefix = base.path.rstrip("/")
    adapter = current_app.url_map.bind(base.netloc, script_name=prefix or "/", url_scheme=base.scheme or "https")

    def resolve(url):
        parts = urlsplit(str(url or ""))
        if ((parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query or parts.fragment
                or not parts.path.startswith(prefix + "/")):
            raise LookupError(f"not a document of this platform: {url}")
        try:
            endpoint, args = adapter.match(parts.path[len(prefix):], method="GET")
            if endpoint == "badges.issuer":
                return issuer_profile(get_issuer(args["provider_slug"]))
            if endpoint == "badges.status_list":
                return status_list_credential(args["provider_slug"], args["number"])
        except (HTTPException, DomainError) as error:
            raise LookupError(f"cannot dereference {url}") from error
        raise LookupError(f"not a document of this platform: {url}")

    return resolve
