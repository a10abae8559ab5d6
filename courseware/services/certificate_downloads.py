"""Who may download which certificate file, and the files themselves (PDF, baked badge) with their file names.

- A learner's certificate: the learner it was issued to (at /me/...); the staff of its provider (authors linked
  to it) and admins (at /studio/...).
- A firm's certificate: the firm's contact person; admins.
Anyone else is told the certificate does not exist (NotFound), as is anyone asking with a malformed code, so these
pages never say whose a code is. A member of the firm who is not its contact person is told who may download it.
"""
import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Certificate, FirmCertificate
from . import badge_image
from .badges import credential_for as signed_credential
from .certificate_admin import can_manage_certificate
from .certificate_codes import format_code, parse_code
from .certificate_pdf import certificate_language, render_certificate_pdf, render_firm_certificate_pdf


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes, type and the name it is saved under."""

    data: bytes
    mimetype: str
    filename: str


# --- Who may have which certificate ----------------------------------------------------------------------------------

def _find(model, code: str):
    try:
        canonical = parse_code(code)
    except InvalidInput:  # not a code, or mistyped: nothing to download
        return None
    return db.session.execute(select(model).where(model.code == canonical)).scalar_one_or_none()


def get_certificate_for(actor, code: str, *, as_staff: bool = False) -> Certificate:
    """The certificate with this code if it is `actor`'s own (or, as_staff, one of their provider's), else NotFound."""
    cert = _find(Certificate, code)
    allowed = cert is not None and (
        can_manage_certificate(actor, cert) if as_staff else cert.user_id is not None and cert.user_id == actor.id)
    if not allowed:
        raise NotFound(_("We could not find that certificate."))
    return cert


def can_download_firm_certificate(actor, fc: FirmCertificate) -> bool:
    """The firm's contact person and admins."""
    return bool(actor.is_admin or (
        fc.firm_id is not None and actor.firm_id == fc.firm_id and actor.is_firm_contact))


def get_firm_certificate_for(actor, code: str) -> FirmCertificate:
    """The firm certificate with this code if `actor` may download it; PermissionDenied for a member who is not
    the contact person, NotFound for anyone else."""
    fc = _find(FirmCertificate, code)
    if fc is not None and can_download_firm_certificate(actor, fc):
        return fc
    if fc is not None and fc.firm_id is not None and actor.firm_id == fc.firm_id:
        raise PermissionDenied(_("Only the firm's contact person can download the firm's certificate."))
    raise NotFound(_("We could not find that certificate."))


# --- The files ---------------------------------------------------------------------------------------------------------

def _file_name(*parts: str, extension: str) -> str:
    """An ASCII-safe file name from the parts: "kursbevis-digital-gard-K7QM-4XPT-9.pdf"."""
    words = [re.sub(r"[^A-Za-z0-9-]+", "-", part).strip("-") for part in parts]
    return "-".join(word for word in words if word) + "." + extension


def certificate_pdf(actor, code: str, *, as_staff: bool = False) -> Download:
    """A learner's certificate as a PDF file named in its language (a revoked one carries a REVOKED stamp)."""
    cert = get_certificate_for(actor, code, as_staff=as_staff)
    with force_locale(certificate_language(cert.language)):
        # Translators: the start of a certificate's file name, lower case without spaces ("kursbevis").
        name = _file_name(_("certificate"), cert.course_slug, format_code(cert.code), extension="pdf")
    return Download(render_certificate_pdf(cert), "application/pdf", name)


def firm_certificate_pdf(actor, code: str, language: str | None = None) -> Download:
    """A firm's certificate as a PDF file, in `language` (the reader's)."""
    fc = get_firm_certificate_for(actor, code)
    with force_locale(certificate_language(language)):
        name = _file_name(_("certificate"), fc.orgnr, fc.course_slug, format_code(fc.code), extension="pdf")
    return Download(render_firm_certificate_pdf(fc, language), "application/pdf", name)


def certificate_badge(actor, code: str) -> Download:
    """The learner's own badge picture with the signed credential baked in; not for a revoked certificate."""
    cert = get_certificate_for(actor, code)
    if cert.revoked_at is not None:
        raise Conflict(_("This certificate has been revoked, so it has no badge."))
    with force_locale(certificate_language(cert.language)):
        # Translators: the start of a badge's file name, lower case without spaces ("merke").
        name = _file_name(_("badge"), cert.course_slug, format_code(cert.code), extension="png")
    return Download(badge_image.baked_badge(cert, signed_credential(cert)), "image/png", name)
