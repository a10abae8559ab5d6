"""The provider's studio: their courses with enrolment figures, each course's learners, CSV export and bulk enrolment.

Who may see which course is decided in services/studio.py; these views only ask and render.
"""
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ...errors import InvalidInput
from ...extensions import db
from ...services import bulk, certificate_downloads, studio, workshop
from ...services import reports as report_services
from ...web.downloads import CSV_MIMETYPE, download_response, send_download
from ...web.inputs import page_number
from ...web.report_pages import export_table, render_dashboard
from . import bp


class BulkUploadForm(FlaskForm):
    file = FileField(_l("CSV file (name, e-mail, organisation number)"),
                     validators=[FileRequired(_l("Choose a CSV file."))])


@bp.before_request
@login_required
def require_login():
    """Every studio page needs a logged-in user; the services decide what they may see."""


@bp.route("/")
def index():
    return render_template("studio/index.html", courses=studio.list_courses(current_user),
                           library=workshop.library_of(current_user))


@bp.route("/courses/<slug>")
def course(slug):
    course = studio.get_course_for(current_user, slug)
    page = studio.list_learners(current_user, course, page=page_number(),
                                per_page=current_app.config.get("STUDIO_PAGE_SIZE", 50))
    return render_template("studio/course.html", course=course, page=page, form=BulkUploadForm(),
                           firm_certificates=studio.list_firm_certificates(current_user, course))


@bp.route("/courses/<slug>/learners.csv")
def export(slug):
    course = studio.get_course_for(current_user, slug)
    body = studio.export_learners_csv(current_user, course)
    return download_response(body, filename=f"{course.slug}-learners.csv", mimetype=CSV_MIMETYPE)


@bp.route("/courses/<slug>/bulk", methods=["POST"])
def bulk_upload(slug):
    course = studio.get_course_for(current_user, slug)
    form = BulkUploadForm()
    if not form.validate_on_submit():
        for message in form.file.errors:
            flash(message, "error")
        return redirect(url_for(".course", slug=slug, _anchor="bulk"))
    try:
        preview = bulk.upload(current_user, course, form.file.data.filename, form.file.data.read())
    except InvalidInput as problem:
        flash(problem.message, "error")
        return redirect(url_for(".course", slug=slug, _anchor="bulk"))
    db.session.commit()
    return redirect(url_for(".bulk_preview", slug=slug, upload_id=preview.upload.id))


@bp.route("/courses/<slug>/bulk/<int:upload_id>")
def bulk_preview(slug, upload_id):
    course = studio.get_course_for(current_user, slug)
    return render_template("studio/bulk_preview.html", course=course,
                           preview=bulk.preview(current_user, course, upload_id), statuses=bulk)


@bp.route("/courses/<slug>/bulk/<int:upload_id>/confirm", methods=["POST"])
def bulk_confirm(slug, upload_id):
    course = studio.get_course_for(current_user, slug)
    outcome = bulk.confirm(current_user, course, upload_id)
    db.session.commit()
    flash(_("Invitations sent: %(invited)d. Not sent again (invited or enrolled already): %(skipped)d. "
            "Rows with errors: %(errors)d.", invited=outcome.invited, skipped=outcome.skipped, errors=outcome.errors),
          "success")
    return redirect(url_for(".course", slug=slug))


@bp.route("/certificates/<code>.pdf")
def certificate_pdf(code):
    """A certificate of one of the provider's courses, for its staff (services/certificate_downloads.py)."""
    return send_download(certificate_downloads.certificate_pdf(current_user, code, as_staff=True))


@bp.route("/reports")
def reports():
    """The provider's dashboard: their own courses (an admin's: every course)."""
    return render_dashboard(report_services.provider_scope(current_user), "studio.reports", "studio.report_export",
                            _("Reports for your courses"))


@bp.route("/reports/export/<table>.<any(csv, xlsx):kind>")
def report_export(table, kind):
    return export_table(report_services.provider_scope(current_user), table, kind)
