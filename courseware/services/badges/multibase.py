"""Multibase and Multikey encodings for Data Integrity proofs, Ed25519 keys and Bitstring Status Lists.

Base58btc is written out here rather than taken from the `base58` package: it is ten lines of integer arithmetic,
the package's last release is from 2021, and the specification's test vector (tests/test_badges_vector.py) checks
both the key encoding and a proof value byte for byte.
"""
import base64

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# The multicodec prefix of an Ed25519 public key (varint 0xed), as Multikey's publicKeyMultibase carries it.
ED25519_PUB_PREFIX = b"\xed\x01"


def b58encode(data: bytes) -> str:
    """Base58 with Bitcoin's alphabet; each leading zero byte becomes a '1'."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(B58_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """The bytes of a base58btc string; ValueError for a character outside the alphabet."""
    number = 0
    for char in text:
        index = B58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not base58btc: {char!r}")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_b58(data: bytes) -> str:
    """Multibase base58btc ('z' prefix): proof values and Multikeys."""
    return "z" + b58encode(data)


def from_multibase_b58(text: str) -> bytes:
    """The bytes of a multibase base58btc value; ValueError for another base."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not multibase base58btc (no 'z' prefix)")
    return b58decode(text[1:])


def multibase_b64url(data: bytes) -> str:
    """Multibase base64url without padding ('u' prefix): a status list's encodedList."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_multibase_b64url(text: str) -> bytes:
    """The bytes of a multibase base64url value; ValueError for another base or bad characters."""
    if not isinstance(text, str) or not text.startswith("u"):
        raise ValueError("not multibase base64url (no 'u' prefix)")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64url") from error


def ed25519_multikey(public_key: bytes) -> str:
    """The publicKeyMultibase of a raw 32-byte Ed25519 public key ("z6Mk...")."""
    return multibase_b58(ED25519_PUB_PREFIX + public_key)


def ed25519_from_multikey(text: str) -> bytes:
    """The raw Ed25519 public key in a publicKeyMultibase; ValueError for anything else."""
    data = from_multibase_b58(text)
    if not data.startswith(ED25519_PUB_PREFIX) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return data[2:]
