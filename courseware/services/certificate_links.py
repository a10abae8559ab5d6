"""LinkedIn's "add to profile" link for a certificate, and the certificate's name as profiles show it.

The code as people read it and the public verification URL (which the QR code carries) come from
services/certificate_codes.py.
"""
from urllib.parse import quote, urlencode

from flask_babel import gettext as _
from flask_babel import to_user_timezone

from .certificate_codes import format_code, verify_url

LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"


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
    params.update(certUrl=verify_url(cert.code), certId=format_code(cert.code))
    return f"{LINKEDIN_ADD_URL}?{urlencode(params, quote_via=quote)}"


def certificate_name(cert) -> str:
    """The certificate's name as a profile shows it: the course title and its stage."""
    return f"{cert.course_title} ({_('Stage %(n)s', n=cert.stage)})"
