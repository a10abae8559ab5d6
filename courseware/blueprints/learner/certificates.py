"""The learner's own certificate files: the PDF to print and the badge picture with the signed credential baked in.

Who may have which file is decided in services/certificate_downloads.py; the links are in
templates/certificates/_links.html.
"""
from flask_login import current_user, login_required

from ...services import certificate_downloads
from ...services.certificate_links import linkedin_add_url
from ...web.downloads import send_download
from . import bp


@bp.record_once
def _template_helpers(state) -> None:
    # The links macro (templates/certificates/_links.html) is used on learner, course, firm and studio pages.
    app = state.app
    app.add_template_global(linkedin_add_url)


@bp.route("/certificates/<code>.pdf")
@login_required
def certificate_pdf(code):
    return send_download(certificate_downloads.certificate_pdf(current_user, code))


@bp.route("/certificates/<code>/badge.png")
@login_required
def certificate_badge(code):
    return send_download(certificate_downloads.certificate_badge(current_user, code))
