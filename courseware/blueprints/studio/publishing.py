"""Studio pages: check before publish, publish, versions (view, compare, restore), history, retire and reinstate,
and the preview of a draft module as a learner.

The rules are in services/publishing.py and services/versions.py; these views read a form, call one service,
commit and redirect or render; the preview in services/preview.py.
"""
import functools
import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired

from ...errors import InvalidInput
from ...extensions import db
from ...services import preview as previews
from ...services import publishing
from ...services import versions as version_service
from ...web.media import media_response
from . import bp


class CheckForm(FlaskForm):
    submit = SubmitField(_l("Check the course"))


class PublishForm(FlaskForm):
    revision = HiddenField()  # the draft revision whose warnings the author saw
    accept_warnings = BooleanField(_l("Publish despite the warnings"))
    submit = SubmitField(_l("Publish"))


class RestoreForm(FlaskForm):
    submit = SubmitField(_l("Restore into the draft"))


class RetireForm(FlaskForm):
    confirm = BooleanField(_l("I understand: the course leaves the catalogue and takes no new enrolments"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Retire the course"))


class ReinstateForm(FlaskForm):
    submit = SubmitField(_l("Put the course back in the catalogue"))


def _refusals_flashed(view):
    """InvalidInput from the service (e.g. a course imported before sources were kept, which cannot be opened as a
    draft) becomes a message on the check page instead of an error page; nothing of the request is kept."""
    @functools.wraps(view)
    def wrapped(slug, **values):
        try:
            return view(slug, **values)
        except InvalidInput as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(url_for(".check_result", slug=slug))
    return wrapped


@bp.route("/courses/<slug>/check", methods=["POST"])
@_refusals_flashed
def check(slug):
    problems = publishing.run_check(current_user, slug)
    db.session.commit()
    errors = sum(p.is_error for p in problems)
    if errors:
        flash(ngettext("The check found %(num)d error. Publishing waits until it is fixed.",
                       "The check found %(num)d errors. Publishing waits until they are fixed.", errors), "error")
    elif problems:
        flash(ngettext("No errors. The check found %(num)d warning.", "No errors. The check found %(num)d warnings.",
                       len(problems)), "warning")
    else:
        flash(_("No problems found."), "success")
    return redirect(url_for(".check_result", slug=slug))


@bp.route("/courses/<slug>/check")
def check_result(slug):
    target = publishing.get_target(current_user, slug)
    report = publishing.check_report(current_user, slug)
    form = PublishForm(revision=report.revision)
    return render_template("studio/check.html", target=target, report=report, form=form, check_form=CheckForm())


@bp.route("/courses/<slug>/publish", methods=["POST"])
@_refusals_flashed
def publish(slug):
    form = PublishForm()
    seen = int(form.revision.data) if (form.revision.data or "").isdigit() else None
    outcome = publishing.publish(current_user, slug, accept_warnings=bool(form.accept_warnings.data),
                                 seen_revision=seen)
    db.session.commit()
    if outcome.status == "published":
        flash(_("Published as version %(number)d. Learners see it now; their progress is kept.",
                number=outcome.version.number), "success")
        return redirect(url_for(".versions", slug=slug))
    if outcome.status == "unchanged":
        flash(_("Nothing to publish: version %(number)d already has exactly this content.",
                number=outcome.version.number), "success")
        return redirect(url_for(".versions", slug=slug))
    if outcome.status == "refused":
        flash(ngettext("Not published: the course has %(num)d error. Fix it and publish again.",
                       "Not published: the course has %(num)d errors. Fix them and publish again.", outcome.errors),
              "error")
    else:
        flash(ngettext("Not published yet: the check found %(num)d warning. Read it, tick the box to publish "
                       "despite it, and publish.",
                       "Not published yet: the check found %(num)d warnings. Read them, tick the box to publish "
                       "despite them, and publish.", outcome.warnings), "warning")
    return redirect(url_for(".check_result", slug=slug, _anchor="publish"))


@bp.route("/courses/<slug>/versions")
def versions(slug):
    target, rows = version_service.list_versions(current_user, slug)
    return render_template("studio/versions.html", target=target, rows=rows, restore_form=RestoreForm(),
                           retire_form=RetireForm(), reinstate_form=ReinstateForm())


@bp.route("/courses/<slug>/versions/<int:number>/<key>")
def version_module(slug, number, key):
    target, module = version_service.get_version_module(current_user, slug, number, key)
    return render_template("studio/version_module.html", target=target, module=module, version=module.version)


@bp.route("/courses/<slug>/versions/<int:number>/assets/<path:path>")
def version_asset(slug, number, path):
    """An asset of one version, so a version's module shows its own images (its relative links resolve here)."""
    found = version_service.find_version_asset(current_user, slug, number, path)
    if found is None:
        abort(404)
    return media_response(found.sha256, found.content_type, cache_control="private, no-cache",
                          filename=path.rsplit("/", 1)[-1])


@bp.route("/courses/<slug>/compare")
def compare(slug):
    old, new = request.args.get("from", ""), request.args.get("to", "draft")
    if not old:  # no version chosen: choose on the versions page (after the access check)
        publishing.get_target(current_user, slug)
        return redirect(url_for(".versions", slug=slug))
    if not old.isascii() or not old.isdigit() or not (new == "draft" or (new.isascii() and new.isdigit())):
        abort(404)
    comparison = version_service.compare(current_user, slug, int(old[:9]), new if new == "draft" else int(new[:9]))
    return render_template("studio/compare.html", target=comparison.target, comparison=comparison)


@bp.route("/courses/<slug>/versions/<int:number>/restore", methods=["POST"])
@_refusals_flashed
def restore(slug, number):
    version = version_service.restore(current_user, slug, number)
    db.session.commit()
    flash(_("The draft now holds version %(number)d. Check it and publish to make it live.",
            number=version.number), "success")
    return redirect(url_for(".check_result", slug=slug))


@bp.route("/courses/<slug>/history")
def history(slug):
    target = publishing.get_target(current_user, slug)
    limit = current_app.config.get("STUDIO_HISTORY_LIMIT", publishing.HISTORY_LIMIT)
    return render_template("studio/history.html", target=target, limit=limit,
                           events=publishing.course_history(current_user, slug, limit=limit))


@bp.route("/courses/<slug>/retire", methods=["POST"])
def retire(slug):
    form = RetireForm()
    if not form.validate_on_submit():
        publishing.get_target(current_user, slug)  # access first: a stranger learns nothing from the message
        flash(_("Tick the box to confirm that the course should be retired."), "error")
        return redirect(url_for(".versions", slug=slug, _anchor="retire"))
    if publishing.retire(current_user, slug):
        db.session.commit()
        flash(_("The course is retired: it is gone from the catalogue and takes no new enrolments. Enrolled "
                "learners keep it, with their progress and certificates."), "success")
    return redirect(url_for(".versions", slug=slug, _anchor="retire"))


@bp.route("/courses/<slug>/reinstate", methods=["POST"])
def reinstate(slug):
    if publishing.reinstate(current_user, slug):
        db.session.commit()
        flash(_("The course is back in the catalogue and open for enrolment."), "success")
    return redirect(url_for(".versions", slug=slug, _anchor="retire"))


# --- preview as a learner ---------------------------------------------------------------------------------------

_ANSWER_FIELD = re.compile(r"^q(\d{1,3})$")


@bp.route("/courses/<slug>/preview/<key>", methods=["GET", "POST"])
@_refusals_flashed
def preview(slug, key):
    """A draft module as learners will see it; a submitted quiz is graded in memory and nothing is stored."""
    base = url_for(".preview", slug=slug, key="x")[:-1]  # the preview's folder: relative links resolve under it
    found = previews.preview_module(current_user, slug, key, base)
    result = None
    if request.method == "POST" and found.module is not None and found.module.has_quiz:
        answers = {int(m.group(1)): request.form.getlist(name)
                   for name in request.form if (m := _ANSWER_FIELD.match(name))}
        drawn = request.form.get("drawn", "")
        numbers = [int(n) for n in drawn.split(".") if n.isascii() and n.isdigit() and len(n) < 4] if drawn else None
        result = previews.grade_preview(found.module, answers, numbers)
    return render_template("studio/preview.html", preview=found, module=found.module, result=result)
