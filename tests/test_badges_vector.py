"""The Open Badges 3.0 specification's eddsa-rdfc-2022 test vector (ob_v3p0/impl/linked-data-proof-ob.html),
reproduced byte for byte by our canonicalisation and signing, and the offline JSON-LD loader's rules."""
import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from courseware.services.badges import jsonld, multibase, proofs
from courseware.services.badges.keys import SigningKey

from .openbadges_verifier import OpenBadgesVerifier, Refused

VECTOR = Path(__file__).parent / "fixtures" / "openbadges"
PACKAGE_CONTEXTS = Path(jsonld.__file__).resolve().parents[2] / "data" / "jsonld"
# Published with the specification for tests: the 32-byte seed followed by the public key.
TEST_KEY = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
                         "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
PUBLIC_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
METHOD = f"https://example.edu/issuers/565049#{PUBLIC_MULTIKEY}"
CREATED = datetime(2010, 1, 1, 19, 23, 24, tzinfo=timezone.utc)
PROOF_VALUE = "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"


def _json(name):
    return json.loads((VECTOR / name).read_text(encoding="utf-8"))


def _test_key() -> SigningKey:
    private = Ed25519PrivateKey.from_private_bytes(TEST_KEY[:32])
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public == TEST_KEY[32:]
    return SigningKey(1, CREATED, private, public, multibase.ed25519_multikey(public))


def test_the_public_key_encodes_as_the_published_multikey():
    assert _test_key().multikey == PUBLIC_MULTIKEY == _json("vector-keydoc.json")["publicKeyMultibase"]
    assert multibase.ed25519_from_multikey(PUBLIC_MULTIKEY) == TEST_KEY[32:]


def test_canonical_document_and_proof_configuration_equal_the_published_n_quads():
    document = _json("vector-unsigned.json")
    config = {"@context": document["@context"], **proofs.proof_configuration(METHOD, CREATED)}
    assert jsonld.canonicalize(document) == (VECTOR / "vector-document-canon.txt").read_text(encoding="utf-8")
    assert jsonld.canonicalize(config) == (VECTOR / "vector-proof-canon.txt").read_text(encoding="utf-8")


def test_signing_reproduces_the_published_proof_value_byte_for_byte():
    signed = proofs.add_proof(_json("vector-unsigned.json"), _test_key(), METHOD, CREATED)
    assert signed["proof"]["proofValue"] == PROOF_VALUE
    assert signed == _json("vector-signed.json")


def test_the_published_signed_credential_verifies_and_a_changed_one_does_not():
    proofs.check_proof(_json("vector-signed.json"), TEST_KEY[32:])
    changed = _json("vector-signed.json")
    changed["name"] = "Teamwork Badge (gold)"
    with pytest.raises(proofs.ProofError, match="does not match"):
        proofs.check_proof(changed, TEST_KEY[32:])


def test_the_independent_verifier_computes_the_same_n_quads():
    verifier = OpenBadgesVerifier(fetch=None)
    document = _json("vector-unsigned.json")
    assert verifier.canonical_nquads(document) == jsonld.canonicalize(document)
    assert hashlib.sha256(verifier.canonical_nquads(document).encode()).hexdigest().startswith("87f65a76")


@pytest.mark.parametrize("data", [b"", b"\0", b"\0\0\x01", bytes(range(40)), b"\xff" * 33, TEST_KEY])
def test_base58btc_round_trips_with_leading_zeros(data):
    encoded = multibase.multibase_b58(data)
    assert multibase.from_multibase_b58(encoded) == data
    assert encoded.startswith("z" + "1" * (len(data) - len(data.lstrip(b"\0"))))


def test_base58btc_refuses_other_alphabets_and_bases():
    for bad in ("z0OIl", "f00", "", "zab+"):
        with pytest.raises(ValueError):
            multibase.from_multibase_b58(bad)
    with pytest.raises(ValueError):
        multibase.ed25519_from_multikey(multibase.multibase_b58(b"\x12\x20" + bytes(32)))  # sha2-256, not a key


def test_the_loader_serves_only_vendored_contexts(monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the JSON-LD loader tried the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    document = {**_json("vector-unsigned.json"), "@context": ["https://www.w3.org/ns/credentials/v2",
                                                                "https://example.com/my-context.json"]}
    with pytest.raises(jsonld.CanonicalisationError, match="never fetched"):
        jsonld.canonicalize(document)


def test_safe_mode_refuses_undefined_terms_and_relative_types():
    document = _json("vector-unsigned.json")
    with pytest.raises(jsonld.CanonicalisationError, match="no context defines"):
        jsonld.canonicalize({**document, "favouriteColour": "blue"})
    # The type 1EdTech's examples give credentialSchema: defined by no context, so a signature would not cover it.
    schema = {"id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
              "type": "1EdTechJsonSchemaValidator2019"}
    with pytest.raises(jsonld.CanonicalisationError, match="relative IRI"):
        jsonld.canonicalize({**document, "credentialSchema": [schema]})
    jsonld.canonicalize({**document, "credentialSchema": [{**schema, "type": "JsonSchema"}]})


def test_the_independent_verifier_refuses_the_same_in_safe_mode():
    verifier = OpenBadgesVerifier(fetch=None)
    document = _json("vector-unsigned.json")
    with pytest.raises(Refused, match="safe mode"):
        verifier.canonical_nquads({**document, "credentialSchema": [{"id": "https://example.com/s.json",
                                                                     "type": "1EdTechJsonSchemaValidator2019"}]})


def test_vendored_contexts_are_the_published_ones():
    """Each file still has the digest its README names, and the tests' copies are the same files."""
    readme = (PACKAGE_CONTEXTS / "README.md").read_text(encoding="utf-8")
    digests = dict(re.findall(r"\| ([\w.-]+\.jsonl?d?|[\w.-]+\.json) \| [^|]+ \| ([0-9a-f]{64})", readme))
    assert set(digests) == set(jsonld.CONTEXT_FILES.values())
    for name, digest in digests.items():
        data = (PACKAGE_CONTEXTS / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        copy = VECTOR / "contexts" / name
        assert not copy.exists() or copy.read_bytes() == data, name
