"""An Open Badges 3.0 verifier written from the specifications, not from courseware's code, for the tests: if our
credentials pass here, an outside verifier that follows the same texts accepts them too. It imports nothing from
`courseware`; it dereferences every URL through `fetch(url) -> dict` (the tests pass the Flask test client), and
reads the JSON-LD contexts from tests/fixtures/openbadges/contexts/ (copies of the published ones).

What it follows, in order:

1. Open Badges 3.0 §"OpenBadgeCredential Verification" (ob_v3p0/verification.md), step 1: the required
   properties of the data model (ob_v3p0/common_credentials.lines: AchievementCredential, Profile,
   AchievementSubject with `id` or `identifier`, Achievement). The JSON Schema step is left out (the schema is not
   vendored).
2. Step 2, the embedded proof: W3C VC Data Integrity 1.0 §4.4 "Verify Proof" with VC-DI-EdDSA 1.0 §3.3
   (eddsa-rdfc-2022): proofConfig = the proof without `proofValue`, with the document's `@context`; both
   canonicalised with RDFC-1.0; hashData = SHA-256(proofConfig) || SHA-256(document); Ed25519 verification with
   the key from the verification method. JSON-LD "safe mode": a dropped term or a relative IRI is an error.
   The key: W3C Controlled Identifiers 1.0 §3.3 "Retrieve Verification Method" (the controller document's `id` is
   its URL, the method's `id` and `controller` match, the method is listed under `assertionMethod`) and §2.2.2
   Multikey (multibase base58btc, multicodec header 0xed 0x01 for Ed25519). As VC implementations do, the key's
   controller must be the credential's issuer.
3. Step 4, status: W3C Bitstring Status List 1.0 §3.2 "Validate Algorithm" (the list credential verified like any
   credential, same issuer, purpose, at least 131,072 entries, `encodedList` = multibase base64url of GZIP, bit 0
   the most significant bit of the first byte); the validity period of VCDM 2.0 §4.9.
4. Step 5, the recipient: §"Verify the Recipient Using an Identifier" (`sha256$` + hex SHA-256 of address + salt).
"""
import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld
from pyld.context_resolver import ContextResolver

CONTEXTS = Path(__file__).parent / "fixtures" / "openbadges" / "contexts"
CONTEXT_URLS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
}
# A base no real document uses: any IRI resolved against it was relative, which safe mode refuses.
SENTINEL_BASE = "https://relative-iri.invalid/"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MIN_STATUS_ENTRIES = 131_072


class Refused(Exception):
    """The credential is not accepted; the message says which rule it broke."""


@dataclass
class Outcome:
    accepted: bool
    reason: str = ""


class OpenBadgesVerifier:
    def __init__(self, fetch, now: datetime | None = None):
        self.fetch = fetch
        self.now = now or datetime.now(timezone.utc)
        self._contexts = {}  # this verifier's own cache of resolved contexts (pyld's default one is global)

    # --- The whole check --------------------------------------------------------------------------------------

    def verify(self, credential: dict, email: str | None = None) -> Outcome:
        try:
            self.check_data_model(credential)
            self.check_proof(credential, credential_issuer(credential))
            self.check_status(credential)
            self.check_validity(credential)
            if email is not None:
                self.check_recipient(credential, email)
        except Refused as refusal:
            return Outcome(False, str(refusal))
        return Outcome(True)

    # --- 1. Data model ----------------------------------------------------------------------------------------

    def check_data_model(self, credential: dict) -> None:
        context = credential.get("@context")
        if not isinstance(context, list) or context[:1] != ["https://www.w3.org/ns/credentials/v2"]:
            raise Refused("@context must begin with the VC 2.0 context")
        if not str(context[1]).startswith("https://purl.imsglobal.org/spec/ob/v3p0/context"):
            raise Refused("the second @context must be an Open Badges 3.0 context")
        kinds = credential.get("type") or []
        if "VerifiableCredential" not in kinds or not ({"OpenBadgeCredential", "AchievementCredential"} & set(kinds)):
            raise Refused("not an OpenBadgeCredential")
        issuer = credential.get("issuer")
        if not (isinstance(issuer, dict) and issuer.get("id") and "Profile" in issuer.get("type", [])):
            raise Refused("the issuer must be a Profile with an id")
        for required in ("id", "validFrom", "credentialSubject"):
            if not credential.get(required):
                raise Refused(f"{required} is required")
        subject = credential["credentialSubject"]
        if "AchievementSubject" not in subject.get("type", []):
            raise Refused("credentialSubject must be an AchievementSubject")
        if not subject.get("id") and not subject.get("identifier"):
            raise Refused("credentialSubject needs an id or an identifier")
        achievement = subject.get("achievement") or {}
        if "Achievement" not in achievement.get("type", []):
            raise Refused("achievement must be an Achievement")
        for required in ("id", "name", "description", "criteria"):
            if not achievement.get(required):
                raise Refused(f"achievement.{required} is required")

    # --- 2. Proof -------------------------------------------------------------------------------------------

    def check_proof(self, document: dict, expected_controller: str) -> None:
        proof = document.get("proof")
        if not isinstance(proof, dict):
            raise Refused("one embedded proof is required")
        if (proof.get("type"), proof.get("cryptosuite")) != ("DataIntegrityProof", "eddsa-rdfc-2022"):
            raise Refused("unsupported proof type or cryptosuite")
        if proof.get("proofPurpose") != "assertionMethod":
            raise Refused("the proof's purpose must be assertionMethod")
        public_key = self.retrieve_key(proof.get("verificationMethod", ""), "assertionMethod", expected_controller)
        signature = base58btc_multibase_decode(proof.get("proofValue", ""))
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = unsecured["@context"]
        hash_data = (hashlib.sha256(self.canonical_nquads(config).encode()).digest()
                     + hashlib.sha256(self.canonical_nquads(unsecured).encode()).digest())
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, hash_data)
        except InvalidSignature:
            raise Refused("the signature does not verify") from None

    def retrieve_key(self, method_id: str, relationship: str, expected_controller: str) -> bytes:
        controller_url, hash_sign, fragment = method_id.partition("#")
        if not controller_url.startswith(("https://", "http://")) or not hash_sign:
            raise Refused("the verification method is not an HTTP URL with a fragment")
        if controller_url != expected_controller:
            raise Refused("the key's controller is not the issuer")
        document = self.fetch(controller_url)
        if document.get("id") != controller_url:
            raise Refused("the controller document's id is not its URL")
        methods = document.get("verificationMethod") or []
        method = next((m for m in methods if isinstance(m, dict) and m.get("id") == method_id), None)
        if method is None:
            raise Refused("the controller document does not contain the verification method")
        if method.get("controller") != controller_url or method.get("type") != "Multikey":
            raise Refused("the verification method is not a Multikey controlled by the document")
        listed = [entry if isinstance(entry, str) else entry.get("id") for entry in document.get(relationship, [])]
        if method_id not in listed:
            raise Refused(f"the key is not authorised for {relationship}")
        raw = base58btc_multibase_decode(method.get("publicKeyMultibase", ""))
        if raw[:2] != b"\xed\x01" or len(raw) != 34:
            raise Refused("not an Ed25519 Multikey")
        return raw[2:]

    def canonical_nquads(self, document: dict) -> str:
        dropped = []
        processor = jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
        options = {"algorithm": "URDNA2015", "format": "application/n-quads", "base": SENTINEL_BASE,
                   "documentLoader": self.load_context,
                   "contextResolver": ContextResolver(self._contexts, self.load_context)}
        try:
            nquads = processor.normalize(document, options)
        except jsonld.JsonLdError as error:
            raise Refused(f"JSON-LD error: {error}") from None
        if dropped or SENTINEL_BASE in nquads:
            raise Refused("safe mode: undefined terms or relative IRIs")
        return nquads

    @staticmethod
    def load_context(url, options=None):
        if url not in CONTEXT_URLS:
            raise Refused(f"unknown context {url}")
        document = json.loads((CONTEXTS / CONTEXT_URLS[url]).read_text(encoding="utf-8"))
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document,
                "tag": "static"}

    # --- 3. Status and validity -----------------------------------------------------------------------------

    def check_status(self, credential: dict) -> None:
        entry = credential.get("credentialStatus")
        if entry is None:
            return
        if entry.get("type") != "BitstringStatusListEntry":
            raise Refused("unsupported credentialStatus type")
        status_list = self.fetch(entry["statusListCredential"])
        if "BitstringStatusListCredential" not in status_list.get("type", []):
            raise Refused("the status list is not a BitstringStatusListCredential")
        if credential_issuer(status_list) != credential_issuer(credential):
            raise Refused("the status list's issuer is not the credential's")
        self.check_proof(status_list, credential_issuer(status_list))
        self.check_validity(status_list)
        subject = status_list["credentialSubject"]
        if subject.get("statusPurpose") != entry.get("statusPurpose"):
            raise Refused("the status purposes differ")
        encoded = subject.get("encodedList", "")
        if not encoded.startswith("u"):
            raise Refused("encodedList is not multibase base64url")
        bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
        if len(bits) * 8 < MIN_STATUS_ENTRIES:
            raise Refused("the status list is shorter than 131,072 entries")
        position = int(entry["statusListIndex"])
        if position >= len(bits) * 8:
            raise Refused("statusListIndex is outside the list")
        if (bits[position // 8] >> (7 - position % 8)) & 1:
            raise Refused(f"status: {entry['statusPurpose']}")

    def check_validity(self, document: dict) -> None:
        def moment(name):
            value = document.get(name)
            return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))

        valid_from, valid_until = moment("validFrom"), moment("validUntil")
        if valid_from is not None and self.now < valid_from:
            raise Refused("not yet valid")
        if valid_until is not None and self.now > valid_until:
            raise Refused("expired")

    # --- 4. Recipient --------------------------------------------------------------------------------------

    @staticmethod
    def check_recipient(credential: dict, email: str) -> None:
        for identifier in credential["credentialSubject"].get("identifier", []):
            if identifier.get("identityType") != "emailAddress":
                continue
            known = email
            if identifier.get("hashed"):
                known = "sha256$" + hashlib.sha256((email + identifier.get("salt", "")).encode()).hexdigest()
            if known == identifier.get("identityHash"):
                return
        raise Refused("the recipient does not match")


def credential_issuer(document: dict) -> str:
    issuer = document.get("issuer")
    return issuer["id"] if isinstance(issuer, dict) else issuer


def base58btc_multibase_decode(value: str) -> bytes:
    if not value.startswith("z"):
        raise Refused("not multibase base58btc")
    number = 0
    for char in value[1:]:
        if char not in BASE58:
            raise Refused("bad base58 character")
        number = number * 58 + BASE58.index(char)
    leading = len(value[1:]) - len(value[1:].lstrip("1"))
    return bytes(leading) + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")


def test_client_fetch(client, base_url: str = "http://localhost"):
    """`fetch` through a Flask test client: what an HTTP client gets for a URL under the app's BASE_URL."""
    def fetch(url: str) -> dict:
        if not url.startswith(base_url + "/"):
            raise Refused(f"cannot dereference {url}")
        response = client.get(url[len(base_url):], headers={"Accept": "application/ld+json"})
        if response.status_code != 200:
            raise Refused(f"{url}: HTTP {response.status_code}")
        return json.loads(response.get_data(as_text=True))

    return fetch
