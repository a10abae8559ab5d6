"""The hook for Open Badges 3.0: the certificate's address (/verify/<code>) answers a client that asks for
`application/vc+ld+json` with the signed credential instead of the page.

The credential comes from `courseware.services.badges.credential_document(certificate)`, which the Open Badges
work provides: it takes a personal Certificate and returns the signed credential as a JSON-ready dict (or None when
there is none to give). Until that module exists, or for a firm certificate, such a client gets 406 Not Acceptable.
"""
import importlib
import importlib.util
import json

from flask import Response, abort, request

CREDENTIAL_MEDIA_TYPE = "application/vc+ld+json"
_OFFERED = ("text/html", CREDENTIAL_MEDIA_TYPE, "application/ld+json")


def wants_credential() -> bool:
    """Whether the client prefers the credential to the page (a browser, and `Accept: */*`, get the page)."""
    return request.accept_mimetypes.best_match(_OFFERED, default="text/html") != "text/html"


def _badges():
    """services.badges when it is installed, else None (a failure inside it is not hidden)."""
    if importlib.util.find_spec("courseware.services.badges") is None:
        return None
    return importlib.import_module("courseware.services.badges")


def credential_response(found):
    """The signed credential of a personal certificate as `application/vc+ld+json`; 406 when there is none."""
    badges = _badges()
    document = badges.credential_document(found.certificate) if badges and found.kind == "personal" else None
    if document is None:
        abort(406)
    return Response(json.dumps(document, ensure_ascii=False), mimetype=CREDENTIAL_MEDIA_TYPE)
