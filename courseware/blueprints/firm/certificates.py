"""The firm's certificate as a PDF, for its contact person (and admins); the rule is in
services/certificate_downloads.py."""
from flask_babel import get_locale
from flask_login import current_user, login_required

from ...services import certificate_downloads
from ...web.downloads import send_download
from . import bp


@bp.route("/certificates/<code>.pdf")
@login_required
def certificate_pdf(code):
    language = str(get_locale() or "")  # a firm's certificate has no language of its own: the reader's
    return send_download(certificate_downloads.firm_certificate_pdf(current_user, code, language))
