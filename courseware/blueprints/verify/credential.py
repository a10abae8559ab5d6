"""The certificate's address (/verify/<code>) answers a client that asks for `application/vc+ld+json` (or JSON-LD)
with the signed Open Badges 3.0 credential instead of the page; a firm certificate has none (406)."""
from flask import abort, request

from ...services import badges
from ..badges.views import credential_response as _credential_response


def wants_credential() -> bool:
    """Whether the client prefers the credential to the page (a browser, and `Accept: */*`, get the page)."""
    return badges.wants_credential(request.headers.get("Accept"))


def credential_response(found):
    """The signed credential of a personal certificate, in the media type asked for; 406 for a firm certificate."""
    if found.kind != "personal":
        abort(406)
    return _credential_response(found.certificate, request.headers.get("Accept"))
