"""Revocation through W3C Bitstring Status Lists: one signed `BitstringStatusListCredential` per provider and
block of 131,072 status indexes, with the bits of that provider's revoked certificates set.

A certificate's bit is its `status_index` (unique across all certificates): list number `status_index // LIST_BITS`,
`statusListIndex` the rest (equal to `status_index` for the first 131,072 certificates). The list belongs to the
provider so that its issuer is the credential's issuer, which verifiers check. Bits are numbered from the most
significant bit of the first byte; `encodedList` is multibase base64url of the GZIP-compressed bits.
"""
import copy
import gzip
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, select

from ...errors import NotFound
from ...extensions import db
from ...models import Certificate, Provider, utcnow
from .jsonld import VC_CONTEXT
from .keys import SigningKey, keyring
from .multibase import multibase_b64url
from .proofs import add_proof
from .urls import issuer_url, status_list_url, verification_method

# 16 KiB: the specification's minimum, so one list hides each certificate among many ("herd privacy").
LIST_BITS = 131_072
PURPOSE = "revocation"
MAX_INDEX = 2**31 - 1  # status_index is an INTEGER column


def status_entry(provider_slug: str, status_index: int) -> dict:
    """A credential's `credentialStatus`: its bit in its provider's revocation list."""
    number, index = divmod(status_index, LIST_BITS)
    url = status_list_url(provider_slug, number)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": PURPOSE,
            "statusListIndex": str(index), "statusListCredential": url}


def encode_bits(indexes, length: int = LIST_BITS) -> str:
    """`encodedList` for a list of `length` bits with these bits set."""
    bits = bytearray(length // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always compress to the same bytes.
    return multibase_b64url(gzip.compress(bytes(bits), mtime=0))


def revoked_indexes(provider_slug: str, number: int) -> tuple:
    """The set bits of a provider's list (offsets in the list), sorted; NotFound for no such provider or list."""
    low = number * LIST_BITS
    if low > MAX_INDEX:
        raise NotFound(_("There is no such status list."))
    in_list = and_(Certificate.provider_id == Provider.id, Certificate.revoked_at.is_not(None),
                   Certificate.status_index >= low, Certificate.status_index < low + LIST_BITS)
    rows = db.session.execute(
        select(Provider.id, Certificate.status_index).outerjoin(Certificate, in_list)
        .where(Provider.slug == provider_slug)
    ).all()
    if not rows:
        raise NotFound(_("There is no such status list."))
    return tuple(sorted(row.status_index - low for row in rows if row.status_index is not None))


def status_list_credential(provider_slug: str, number: int) -> dict:
    """The provider's signed BitstringStatusListCredential number `number`, as it stands now."""
    key = keyring().current
    revoked = revoked_indexes(provider_slug, number)
    signed = _signed_list(provider_slug, number, revoked, key, current_app.config["STATUS_LIST_MAX_AGE"],
                          issuer_url(provider_slug), verification_method(provider_slug, key))
    return copy.deepcopy(signed)  # the cached document stays as signed, whatever a caller does with its copy


@lru_cache(maxsize=256)
def _signed_list(provider_slug: str, number: int, revoked: tuple, key: SigningKey, max_age: int, issuer: str,
                 method: str) -> dict:
    # Signed once per state of the list (and key) in each process; the proof's `created` says when. No validFrom:
    # the list says how things stand whenever it is fetched, and HTTP caching (max_age, `ttl`) bounds its age.
    now: datetime = utcnow().replace(microsecond=0)
    url = status_list_url(provider_slug, number)
    unsigned = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": PURPOSE,
                              "encodedList": encode_bits(revoked), "ttl": max_age * 1000},
    }
    return add_proof(unsigned, key, method, now)
