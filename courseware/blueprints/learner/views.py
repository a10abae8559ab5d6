"""The learner's own pages: "Mine kurs", enrolment and progress actions (POST, then redirect), quiz results,
and the firm contact person's page for enrolling colleagues."""
import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import InvalidInput, PermissionDenied
from ...extensions import db
from ...services import catalogue, enrolment, learning, progress
from ...web.inputs import parse_id
from ...web.next_url import safe_next_url
from . import bp

_ANSWER_FIELD = re.compile(r"^q(\d{1,3})$")


@bp.route("/courses")
@login_required
def my_courses():
    return render_template("learner/my_courses.html", mine=progress.my_courses(current_user))


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@login_required
def enrol(slug):
    course = catalogue.get_course(slug)
    back = safe_next_url(request.form.get("next")) or url_for("public.course", slug=slug)
    title = course.current_version.title
    try:
        result = enrolment.enrol(current_user, course)
    except PermissionDenied as refusal:
        flash(refusal.message, "error")
        return redirect(back)
    db.session.commit()
    if result.change == "resumed":
        flash(_("Welcome back! Your progress in %(title)s is kept.", title=title), "success")
    elif result.change:
        flash(_("You are enrolled in %(title)s. Good luck!", title=title), "success")
    return redirect(back)


@bp.route("/courses/<slug>/withdraw", methods=["POST"])
@login_required
def withdraw(slug):
    course = catalogue.get_course(slug)
    if enrolment.withdraw(current_user, course):
        db.session.commit()
        flash(_("You have left the course. Your progress is kept if you enrol again."), "success")
    return redirect(url_for("public.course", slug=slug))


def _act(module, action, then=None):
    """Run a progress action and commit; (result, where to go next). A refusal is flashed and result is None.
    `then(result)`, when given, says where to go next, read before the commit expires the rows it needs."""
    slug, key = module.version.course.slug, module.key  # read before the commit expires them
    back = url_for("public.module", slug=slug, key=key, _anchor="activity")
    try:
        result = action()
    except (PermissionDenied, InvalidInput) as refusal:
        db.session.rollback()  # nothing of a refused action is kept
        flash(refusal.message, "error")
        return None, back
    following = then(result) if then is not None else None
    db.session.commit()
    if result.completion is not None:
        flash(_("Congratulations! You have completed the course."), "success")
        return result, following or url_for("public.course", slug=slug)
    return result, following or back


@bp.route("/courses/<slug>/<key>/read", methods=["POST"])
@login_required
def mark_read(slug, key):
    module = catalogue.get_module(slug, key)
    result, target = _act(module, lambda: learning.mark_read(current_user, module))
    if result is not None and result.completion is None:
        flash(_("Marked as read."), "success")
    return redirect(target)


@bp.route("/courses/<slug>/<key>/tasks/<int:index>", methods=["POST"])
@login_required
def set_task(slug, key, index):
    module = catalogue.get_module(slug, key)
    done = request.form.get("done", "1") != "0"
    _result, target = _act(module, lambda: learning.set_task(current_user, module, index, done))
    return redirect(target)


@bp.route("/courses/<slug>/<key>/quiz", methods=["POST"])
@login_required
def submit_quiz(slug, key):
    module = catalogue.get_module(slug, key)
    answers = {}
    for name in request.form:
        match = _ANSWER_FIELD.match(name)
        if match:
            answers[int(match.group(1))] = request.form.getlist(name)
    token, drawn = request.form.get("token", ""), request.form.get("drawn")
    _result, target = _act(module, lambda: learning.submit_quiz(current_user, module, answers, token, drawn=drawn),
                           then=lambda r: url_for(".quiz_result", slug=slug, key=key, attempt_id=r.attempt.id))
    return redirect(target)


@bp.route("/courses/<slug>/<key>/quiz/<int:attempt_id>")
@login_required
def quiz_result(slug, key, attempt_id):
    module = catalogue.get_module(slug, key)
    result = learning.attempt_result(current_user, module, attempt_id)
    following = catalogue.neighbours(module.version, key)[1]
    return render_template("learner/quiz_result.html", module=module, course=module.version.course,
                           version=module.version, result=result, attempt=result.attempt, following=following)


@bp.route("/firm-enrol", methods=["GET", "POST"])
@login_required
def firm_enrol():
    colleagues = enrolment.list_colleagues(current_user)
    if request.method == "POST":
        course = catalogue.get_course(request.form.get("course", ""))
        try:
            outcome = enrolment.enrol_colleagues(current_user, course, request.form.getlist("users", type=parse_id))
        except InvalidInput as problem:
            flash(problem.message, "error")
            return redirect(url_for(".firm_enrol"))
        db.session.commit()
        if outcome.enrolled:
            flash(_("Enrolled: %(names)s.", names=", ".join(outcome.enrolled)), "success")
        if outcome.already:
            flash(_("Already enrolled: %(names)s.", names=", ".join(outcome.already)), "info")
        for name, reason in outcome.refused:
            flash(_("%(name)s was not enrolled: %(reason)s", name=name, reason=reason), "error")
        return redirect(url_for(".firm_enrol"))
    courses = catalogue.list_courses(catalogue.CatalogueFilters(), page=1, per_page=500).items
    enrolled = enrolment.colleague_enrolments(current_user, [c.id for c in colleagues])
    return render_template("learner/firm_enrol.html", colleagues=colleagues, courses=courses, enrolled=enrolled)
