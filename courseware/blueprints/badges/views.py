"""What a verifier dereferences: `/issuers/<slug>` (JSON-LD or HTML), `/status/<slug>/<n>` (the signed revocation
list) and `/verify/<code>.json` (a certificate's signed credential, as a download)."""
import json

from flask import Response, current_app, render_template, request

from ...services import badges
from . import bp

JSON_LD = "application/ld+json"


def _json(document: dict, media_type: str, max_age: int | None = None) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=2) + "\n",
                        content_type=f"{media_type}; charset=utf-8")
    # Verifiers that run in a browser (web wallets, validators) fetch these from other origins; they are public.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if max_age is not None:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def credential_response(cert, accept_header: str | None = None, download: bool = False) -> Response:
    """A certificate's signed credential as a response: in the media type asked for, or as a file to save."""
    media_type = badges.MEDIA_TYPE if download else badges.credential_media_type(accept_header)
    response = _json(badges.credential_for(cert), media_type)
    response.vary.add("Accept")  # the same URL also serves the verification page
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{cert.code}.json"'
    return response


@bp.route("/issuers/<provider_slug>")
def issuer(provider_slug):
    provider = badges.get_issuer(provider_slug)
    max_age = current_app.config["STATUS_LIST_MAX_AGE"]  # a rotated key shows as soon as a revocation would
    # Open Badges' implementation guide: JSON-LD for JSON clients and for requests without Accept, HTML otherwise.
    accept = request.accept_mimetypes
    if not request.headers.get("Accept") or accept.best_match(("text/html", JSON_LD, "application/json")) != "text/html":
        media_type = accept.best_match((JSON_LD, "application/json"), default=JSON_LD)
        response = _json(badges.issuer_profile(provider), media_type, max_age)
    else:
        response = Response(render_template("badges/issuer.html", provider=provider,
                                            profile=badges.issuer_profile(provider),
                                            description=badges.issuer_description(provider)))
    response.vary.add("Accept")
    return response


@bp.route("/status/<provider_slug>/<int:number>")
def status_list(provider_slug, number):
    document = badges.status_list_credential(provider_slug, number)
    return _json(document, badges.credential_media_type(request.headers.get("Accept")),
                 current_app.config["STATUS_LIST_MAX_AGE"])


@bp.route("/verify/<code>.json")
def credential_download(code):
    return credential_response(badges.get_certificate_by_code(code), download=True)
