"""Public pages: the catalogue, course pages, module pages, course assets, language and privacy."""
from flask import abort, current_app, redirect, render_template, request, send_file, session
from flask_login import current_user, login_required

from ...extensions import db
from ...services import catalogue, progress
from ..auth.next_url import safe_next
from . import bp


@bp.route("/")
def index():
    filters = catalogue.CatalogueFilters.from_args(request.args)
    page = catalogue.list_courses(filters, page=request.args.get("page", 1, type=int) or 1,
                                  per_page=current_app.config["PAGE_SIZE"])
    return render_template("public/index.html", page=page, filters=filters,
                           options=catalogue.list_filter_options())


@bp.route("/courses/<slug>")
def course(slug):
    course = catalogue.get_course(slug)
    version = course.current_version
    return render_template(
        "public/course.html", course=course, version=version,
        modules=catalogue.list_modules(version),
        required=catalogue.list_required_courses(version),
        state=progress.course_page_state(current_user, course) if current_user.is_authenticated else None,
    )


@bp.route("/courses/<slug>/<key>")
@login_required
def module(slug, key):
    module, state = progress.module_page(current_user, slug, key)
    version = module.version
    return render_template(
        "public/module.html", module=module, version=version, course=version.course,
        previous=module.previous, following=module.following, state=state,
    )


@bp.route("/courses/<slug>/assets/<path:path>")
def asset(slug, path):
    from ...content.importer import asset_file_path

    found = catalogue.find_asset(slug, path)
    if found is None:
        abort(404)
    response = send_file(
        asset_file_path(found.sha256), mimetype=found.content_type, conditional=True, etag=found.sha256,
        max_age=current_app.config["ASSET_MAX_AGE"], download_name=path.rsplit("/", 1)[-1],
        as_attachment=not found.content_type.startswith(("image/", "audio/", "video/", "application/pdf")),
    )
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['ASSET_MAX_AGE']}, immutable"
    return response


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))
