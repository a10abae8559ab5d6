"""The verify blueprint: anyone checks a certificate by its code, without logging in (/verify, /verify/<code>).

It also gives every template the certificate helpers: the `certificate_code` filter (K7QM-4XPT-9), and
`certificate_state(cert)` and `revocation_reason(reason)` for the words next to a certificate.
"""
from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address

from ...extensions import limiter
from ...services.certificate_codes import format_code
from ...services.certificate_status import certificate_state, reason_label

bp = Blueprint("verify", __name__)

# Look-ups of certificates by code, on the page and in the API, count against one limit per client address
# (CERTIFICATE_LOOKUP_RATE_LIMIT): codes are random, and this keeps anyone from trying many.
lookup_limit = limiter.shared_limit(lambda: current_app.config["CERTIFICATE_LOOKUP_RATE_LIMIT"],
                                    scope="certificate-lookup", key_func=get_remote_address)


bp.add_app_template_filter(format_code, "certificate_code")
bp.add_app_template_global(certificate_state)
bp.add_app_template_global(reason_label, "revocation_reason")

from . import views  # noqa: E402,F401
