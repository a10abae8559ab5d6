"""Studio pages for packages and assets: a version or the draft as a zip, a zip as a draft, and the draft's assets.

The rules live in services/packages.py (zips) and services/draft_assets.py (assets); these views parse forms, call
one service, commit once and redirect or render.
"""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...errors import ContentError, InvalidInput
from ...extensions import db
from ...services import draft_assets, drafts, packages
from ...web.downloads import download_response
from ...web.media import media_response
from ..errors import render_error
from . import bp


class PackageUploadForm(FlaskForm):
    file = FileField(_l("Zip file"), validators=[FileRequired(_l("Choose a zip file."))])
    slug = StringField(_l("Course slug"), validators=[Optional(), Length(max=64)])


class AssetForm(FlaskForm):
    file = FileField(_l("File"))
    name = StringField(_l("File name in the course (optional)"), validators=[Optional(), Length(max=100)])
    alt = StringField(_l("Alt text (required for images)"), validators=[Length(max=draft_assets.MAX_ALT)])
    replace = HiddenField()


class RemoveAssetForm(FlaskForm):
    name = HiddenField(validators=[DataRequired()])


ALT_HELP = _l("Describe what the image shows, in a sentence. Learners who cannot see it hear this text read aloud, "
              "and everyone sees it if the image does not load.")


# --- request size: zips and assets are larger than the app-wide MAX_CONTENT_LENGTH ------------------------------

def _upload_limit_mb(endpoint: str | None) -> float | None:
    config = current_app.config
    if endpoint == "studio.upload_package":
        return config["STUDIO_ZIP_MAX_MB"]
    if endpoint == "studio.assets":
        return config["MAX_ASSET_MB"]
    return None


def _allow_uploads() -> None:
    """Raise the request size limit for the two upload pages, before any hook reads the form."""
    limit = _upload_limit_mb(request.endpoint)
    if limit is not None:
        request.max_content_length = int(limit * 1024 * 1024) + 256 * 1024  # the form around the file


@bp.record_once
def _install_upload_limit(state) -> None:
    # First of all hooks: web/inputs.py's NUL check (and CSRF) read the form, and the limit applies when it is read.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)


@bp.errorhandler(413)
def _too_large(_error):
    limit = _upload_limit_mb(request.endpoint)
    if limit is None:
        return render_error(413, _("A file can be at most 1 MB. Split a larger file into smaller ones, or shorten "
                                   "what you wrote."))
    return render_error(413, _("The file is too large: it may be at most %(mb)s MiB.", mb=limit))


# --- zips out -------------------------------------------------------------------------------------------------

def _send_zip(built: packages.PackageZip):
    def chunks():
        try:
            while chunk := built.file.read(packages.CHUNK):
                yield chunk
        finally:
            built.file.close()

    response = download_response(chunks(), filename=built.filename, mimetype="application/zip",
                                 cache_control="private, no-cache")
    response.content_length = built.size
    return response


@bp.route("/courses/<slug>/versions/<int:number>.zip")
def version_zip(slug, number):
    return _send_zip(packages.version_zip(current_user, slug, number))


@bp.route("/courses/<slug>/draft.zip")
def draft_zip(slug):
    return _send_zip(packages.draft_zip(current_user, slug))


# --- a zip in -------------------------------------------------------------------------------------------------

@bp.route("/upload", methods=["GET", "POST"])
def upload_package():
    replace = request.args.get("slug") or None
    draft, course = packages.upload_target(current_user, replace)
    form = PackageUploadForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            draft = packages.upload_package(current_user, upload.stream, slug=form.slug.data, replace=replace,
                                            filename=upload.filename or "")
        except ContentError as error:
            db.session.rollback()
            problems = error.problems
            form.file.errors.append(error.message)
        except InvalidInput as error:
            db.session.rollback()
            form.file.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The zip was uploaded: the draft of %(slug)s now holds its files. Learners see the change "
                    "once you publish it.", slug=draft.slug), "success")
            # The draft's own page (studio.edit_course) is built in another part of issue 11.
            return redirect(url_for(".assets", slug=draft.slug))
    return render_template("studio/upload.html", form=form, replace=replace, draft=draft, course=course,
                           problems=problems, max_mb=current_app.config["STUDIO_ZIP_MAX_MB"],
                           max_entries=current_app.config["STUDIO_ZIP_MAX_ENTRIES"],
                           max_asset_mb=current_app.config["MAX_ASSET_MB"])


# --- the draft's assets ---------------------------------------------------------------------------------------

@bp.route("/courses/<slug>/assets", methods=["GET", "POST"])
def assets(slug):
    draft = drafts.open_draft(current_user, slug)
    db.session.commit()  # a draft opened on first visit stays, whatever this request does next
    replace = request.values.get("replace") or None
    form = AssetForm()
    if request.method == "POST" and request.form.get("action") == "remove":
        return _remove(draft)
    if form.validate_on_submit() and _save_asset(draft, form):
        return redirect(url_for(".assets", slug=slug))
    page = draft_assets.list_assets(current_user, draft)
    replacing = next((row for row in page.assets if row.name == replace), None) if replace else None
    if replacing is not None:
        form.replace.data = replacing.name
        if request.method == "GET":
            form.alt.data = replacing.alt
    return render_template("studio/assets.html", page=page, form=form, replacing=replacing,
                           alt_help=ALT_HELP, max_mb=current_app.config["MAX_ASSET_MB"],
                           types=", ".join(sorted(draft_assets.ASSET_TYPES)))


def _save_asset(draft, form: AssetForm) -> bool:
    """Upload, replace, or (a replacement without a file) change the alt text; False with errors on the form."""
    upload = form.file.data
    has_file = bool(upload and upload.filename)
    try:
        if form.replace.data and not has_file:
            draft_assets.set_alt(current_user, draft, form.replace.data, form.alt.data)
        elif not has_file:
            raise InvalidInput(_("Choose a file to upload."), field="file")
        else:
            draft_assets.add_asset(current_user, draft, upload.filename, upload.read(), alt=form.alt.data,
                                   name=form.name.data, replace=form.replace.data or None)
    except InvalidInput as error:
        db.session.rollback()
        getattr(form, error.details.get("field") or "file").errors.append(error.message)
        return False
    db.session.commit()
    flash(_("The file is saved in the draft."), "success")
    return True


def _remove(draft):
    form = RemoveAssetForm()
    if form.validate_on_submit():
        try:
            draft_assets.remove_asset(current_user, draft, form.name.data)
        except InvalidInput as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is removed from the draft.", name=form.name.data), "success")
    return redirect(url_for(".assets", slug=draft.slug))


@bp.route("/courses/<slug>/preview/assets/<path:path>")
def draft_asset(slug, path):
    item = draft_assets.get_draft_asset(current_user, slug, path)
    return media_response(item.sha256, item.content_type, cache_control="private, no-cache",
                          filename=path.rsplit("/", 1)[-1], attachment=not item.content_type.startswith("image/"),
                          max_age=0)
