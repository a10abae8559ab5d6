"""Public verification: a form to type a code, and the certificate's page at /verify/<code>, its identity.

The same address gives the signed Open Badges credential to clients that ask for it (credential.py).
"""
from flask import redirect, render_template, request, url_for

from ...errors import InvalidInput, NotFound
from ...services import certificate_codes, certificate_status
from . import bp, lookup_limit
from .credential import credential_response, wants_credential


@bp.route("")
def form():
    code = request.args.get("code")
    if code is None:
        return render_template("verify/form.html", code="", problem=None)
    try:
        canonical = certificate_codes.parse_code(code)
    except InvalidInput as problem:
        return render_template("verify/form.html", code=code, problem=problem), 400
    return redirect(url_for(".certificate", code=certificate_codes.format_code(canonical)))


@bp.route("/<code>")
@lookup_limit
def certificate(code):
    try:
        found = certificate_status.look_up(code)
    except (InvalidInput, NotFound) as problem:
        return render_template("verify/form.html", code=code, problem=problem), problem.status
    if code != found.code:  # typed in lower case, without dashes, with O for 0: one address per certificate
        return redirect(url_for(".certificate", code=found.code), 301)
    if wants_credential():
        return credential_response(found)
    return render_template("verify/certificate.html", found=found)


@bp.after_request
def _fresh_answers(response):
    """A revocation shows at once (no cache keeps an old answer), and /verify/<code> depends on Accept."""
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept")
    return response
