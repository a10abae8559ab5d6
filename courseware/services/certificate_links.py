"""Where a certificate can be checked and shown: its code as people read it, its public verification URL (which the
QR code on the PDF carries) and LinkedIn's "add to profile" link.

The code formatting and the verification page belong to services/certificate_codes.py and the verify blueprint;
until those exist on this branch, the fallbacks below give the same results (grouped code, /verify/<code>).
"""
import re
from urllib.parse import quote, urlencode

from flask import current_app
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from werkzeug.routing import BuildError

from .mail import absolute_url

try:  # the issuing engineer's module; the fallback below groups the same way ("K7QM-4XPT-9")
    from .certificate_codes import format_code
except ImportError:  # pragma: no cover - depends on the merge order
    def format_code(code: str) -> str:
        """A canonical code (no dashes) in groups of four for people to read: "K7QM4XPT9" -> "K7QM-4XPT-9"."""
        return "-".join(code[i:i + 4] for i in range(0, len(code), 4))

# What a code may look like in a URL: Crockford base32 letters and digits, with or without the dashes.
_CODE = re.compile(r"[0-9A-Za-z]{1,16}")
LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"


def canonical_code(text: str) -> str | None:
    """The canonical form (upper case, no dashes or spaces) of a code typed or linked, or None if it cannot be one."""
    compact = (text or "").replace("-", "").replace(" ", "")
    return compact.upper() if _CODE.fullmatch(compact) else None


def verification_url(code: str) -> str:
    """The public page that says whether the certificate with this code is valid (what the QR code points to)."""
    grouped = format_code(code)
    try:
        return absolute_url("verify.certificate", code=grouped)
    except BuildError:  # the verification page is not on this branch yet: the address it will have
        return current_app.config["BASE_URL"].rstrip("/") + "/verify/" + quote(grouped)


def linkedin_add_url(cert) -> str:
    """LinkedIn's "add licence or certification to profile" link, filled in with the certificate's details."""
    issued = to_user_timezone(cert.issued_at)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate_name(cert),
        "organizationName": cert.provider_name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if cert.valid_until is not None:
        expires = to_user_timezone(cert.valid_until)
        params.update(expirationYear=expires.year, expirationMonth=expires.month)
    params.update(certUrl=verification_url(cert.code), certId=format_code(cert.code))
    return f"{LINKEDIN_ADD_URL}?{urlencode(params, quote_via=quote)}"


def certificate_name(cert) -> str:
    """The certificate's name as a profile shows it: the course title and its stage."""
    return f"{cert.course_title} ({_('Stage %(n)s', n=cert.stage)})"
