"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC-DI-EdDSA §3.3): sign and verify.

hashData = SHA-256(canonical proof configuration) || SHA-256(canonical document without proof), both RDFC-1.0
N-Quads; the proof configuration is the proof without `proofValue`, under the document's `@context`; the
signature is Ed25519 over hashData, and `proofValue` is its multibase base58btc encoding.
"""
import hashlib
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .jsonld import canonicalize
from .multibase import from_multibase_b58, multibase_b58

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PURPOSE = "assertionMethod"


class ProofError(ValueError):
    """A proof that is missing, malformed or does not match the document."""


def format_datetime(moment: datetime) -> str:
    """An XML Schema dateTime in UTC to the second ("2026-05-01T08:30:00Z"), as credentials carry them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_configuration(verification_method: str, created: datetime) -> dict:
    """A proof without its value: what the signature covers besides the document."""
    return {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": format_datetime(created),
            "verificationMethod": verification_method, "proofPurpose": PURPOSE}


def hash_data(unsecured: dict, configuration: dict) -> bytes:
    """The 64 bytes an eddsa-rdfc-2022 signature covers."""
    config = {"@context": unsecured.get("@context"), **configuration}
    return (hashlib.sha256(canonicalize(config).encode("utf-8")).digest()
            + hashlib.sha256(canonicalize(unsecured).encode("utf-8")).digest())


def add_proof(unsecured: dict, key, verification_method: str, created: datetime) -> dict:
    """The document with an embedded proof made with `key` (a keys.SigningKey)."""
    if "proof" in unsecured:
        raise ProofError("the document has a proof already")
    configuration = proof_configuration(verification_method, created)
    signature = key.sign(hash_data(unsecured, configuration))
    return {**unsecured, "proof": {**configuration, "proofValue": multibase_b58(signature)}}


def check_proof(secured: dict, public_key: bytes) -> None:
    """ProofError unless the document's single eddsa-rdfc-2022 proof is a valid signature by `public_key`."""
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("no single embedded proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"not a {PROOF_TYPE} with {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PURPOSE:
        raise ProofError(f"the proof's purpose is not {PURPOSE}")
    if "@context" in proof and proof["@context"] != secured.get("@context"):
        raise ProofError("the proof has a @context of its own")
    try:
        signature = from_multibase_b58(proof.get("proofValue"))
    except ValueError as error:
        raise ProofError(f"proofValue: {error}") from error
    unsecured = {name: value for name, value in secured.items() if name != "proof"}
    configuration = {name: value for name, value in proof.items() if name not in ("proofValue", "@context")}
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, hash_data(unsecured, configuration))
    except InvalidSignature as error:
        raise ProofError("the signature does not match the document") from error
