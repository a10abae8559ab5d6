"""Open Badges 3.0: every personal certificate is also a signed `OpenBadgeCredential` that anyone can verify.

- `credential_for(cert) -> dict`: the signed credential (eddsa-rdfc-2022 Data Integrity proof); `credential_json`.
- `verify_credential(doc, resolve) -> VerificationResult`, with `local_resolver()` for this platform's URLs.
- `wants_credential(accept_header) -> bool`: whether a request to a verification page asks for the credential.
- `issuer_profile`, `status_list_credential`: the documents a verifier dereferences (blueprints/badges).
- Keys: `keyring()`, `rotate_key`, `read_keys` (keys.py). URLs: urls.py.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ...errors import InvalidInput, NotFound
from ...extensions import db
from ...models import Certificate
from .credentials import MEDIA_TYPE, credential_for, credential_json, unsigned_credential
from .keys import KeyStoreError, keyring, read_keys, rotate_key
from .profiles import get_issuer, issuer_description, issuer_profile
from .status import LIST_BITS, status_list_credential
from .urls import certificate_url, issuer_url, status_list_url
from .verify import VerificationResult, local_resolver, verify_credential

__all__ = [
    "KeyStoreError", "LIST_BITS", "MEDIA_TYPE", "VerificationResult", "certificate_url", "credential_for",
    "credential_json", "credential_media_type", "get_certificate_by_code", "get_issuer", "issuer_description",
    "issuer_profile",
    "issuer_url", "keyring", "local_resolver", "read_keys", "rotate_key", "status_list_credential",
    "status_list_url", "unsigned_credential", "verify_credential", "wants_credential",
]

# What a client may ask for to get the credential rather than the page: VC 2.0's registered type, the type the
# Open Badges specification names, and JSON-LD.
CREDENTIAL_TYPES = ("application/vc+ld+json", "application/vc", "application/ld+json")


def wants_credential(accept_header: str | None) -> bool:
    """Whether an Accept header prefers the credential to the HTML page (browsers and */* get the page)."""
    accept = parse_accept_header(accept_header or "", MIMEAccept)
    return accept.best_match(("text/html",) + CREDENTIAL_TYPES, default=None) in CREDENTIAL_TYPES


def credential_media_type(accept_header: str | None) -> str:
    """The Content-Type to send a credential as: the one the client asked for, else application/vc+ld+json."""
    accept = parse_accept_header(accept_header or "", MIMEAccept)
    return accept.best_match(CREDENTIAL_TYPES + ("application/json",), default=MEDIA_TYPE)


def get_certificate_by_code(code: str) -> Certificate:
    """The personal certificate with this code as people type it (any case, dashes); NotFound for none."""
    from ..certificate_codes import parse_code

    try:
        normal = parse_code(code)
    except InvalidInput:
        normal = None
    cert = db.session.execute(select(Certificate).filter_by(code=normal)).scalar_one_or_none() if normal else None
    if cert is None:
        raise NotFound(_("There is no certificate with this code."))
    return cert
