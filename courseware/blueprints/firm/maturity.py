"""The firm's digital maturity self-assessment: overview and results, the questions one dimension per page (saved as
the person goes by static/js/dma-autosave.js, and by "save and continue" without JavaScript), finishing, CSV,
and the contact person's choice of a colleague who fills it in."""
import json

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import DomainError, InvalidInput
from ...extensions import db
from ...services import dma, dma_results
from ...web.downloads import csv_download, download_response
from . import bp
from .forms import ConfirmForm, DelegateForm


def _lang() -> str:
    """The page's language, for the questionnaire's texts (nb, nn or en)."""
    return str(get_locale() or "nb")


@bp.route("/maturity")
@login_required
def maturity():
    overview = dma_results.firm_overview(current_user, _lang())
    form = DelegateForm()
    form.user_id.choices = [("", _("Nobody (only the contact person)"))] + [
        (str(u.id), u.name) for u in overview.colleagues]
    form.user_id.data = str(overview.delegate.id) if overview.delegate else ""
    return render_template("firm/maturity.html", overview=overview, form=form, start_form=ConfirmForm(),
                           label=dma_results.label, lang=_lang())


@bp.route("/maturity/start", methods=["POST"])
@login_required
def maturity_start():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for(".maturity"))
    assessment = dma.start(current_user)
    db.session.commit()
    return redirect(url_for(".maturity_resume", assessment_id=assessment.id))


@bp.route("/maturity/<int:assessment_id>")
@login_required
def maturity_resume(assessment_id):
    """A finished assessment's result; an open one continues at its first unanswered dimension."""
    assessment = dma.get_assessment(current_user, assessment_id)
    if assessment.completed_at is not None:
        comparison = dma_results.assessment_result(current_user, assessment_id, _lang())
        return render_template("firm/maturity_result.html", comparison=comparison, label=dma_results.label)
    state = dma.progress(assessment)
    if state.resume_at is None:
        return redirect(url_for(".maturity_finish", assessment_id=assessment.id))
    return redirect(url_for(".maturity_part", assessment_id=assessment.id, dimension=state.resume_at))


def _answers_from_form(dimension, form) -> dict:
    """The answers the page without JavaScript sends: a checklist's ticked keys; a scale's "<question>.<item>"."""
    answers = {}
    for question in dimension.questions:
        if question.type == "checklist":
            answers[question.key] = form.getlist(question.key)
            continue
        given = {}
        for item in question.items:
            raw = form.get(f"{question.key}.{item.key}", "")
            if raw.strip():
                if not raw.strip().isdigit() or len(raw.strip()) > 3:
                    raise InvalidInput(_("That answer does not fit the question."), field=question.key)
                given[item.key] = int(raw.strip())
        if given:
            answers[question.key] = given
    return answers


@bp.route("/maturity/<int:assessment_id>/<dimension>", methods=["GET", "POST"])
@login_required
def maturity_part(assessment_id, dimension):
    assessment = dma.get_assessment(current_user, assessment_id)
    if assessment.completed_at is not None:
        return redirect(url_for(".maturity_resume", assessment_id=assessment.id))
    questionnaire = dma.questionnaire_of(assessment)
    part = dma.find_dimension(questionnaire, dimension)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            dma.save_dimension(current_user, assessment, part.key, _answers_from_form(part, request.form))
        except InvalidInput as problem:
            db.session.rollback()
            error = problem.message
        else:
            db.session.commit()
            keys = [d.key for d in questionnaire.dimensions]
            following = keys[keys.index(part.key) + 1:]
            if request.form.get("go") == "back" and keys.index(part.key) > 0:
                return redirect(url_for(".maturity_part", assessment_id=assessment.id,
                                        dimension=keys[keys.index(part.key) - 1]))
            if following:
                return redirect(url_for(".maturity_part", assessment_id=assessment.id, dimension=following[0]))
            return redirect(url_for(".maturity_finish", assessment_id=assessment.id))
    answers = dma.answers_of(assessment.id)
    keys = [d.key for d in questionnaire.dimensions]
    return render_template("firm/maturity_part.html", assessment=assessment, questionnaire=questionnaire,
                           part=part, number=keys.index(part.key) + 1, answers=answers, form=form, error=error,
                           state=dma.progress(assessment, answers), lang=_lang()), 400 if error else 200


@bp.route("/maturity/<int:assessment_id>/autosave", methods=["POST"])
@login_required
def maturity_autosave(assessment_id):
    """Save one question's answer from the page's script: JSON {"question": key, "value": ...} (or the same two
    as form fields, the value as JSON text)."""
    payload = request.get_json(silent=True) if request.is_json else _form_payload(request.form)
    if not isinstance(payload, dict):
        return jsonify(error=_("Send the answer as JSON.")), 400
    try:
        assessment = dma.get_assessment(current_user, assessment_id)
        dma.save_answer(current_user, assessment, payload.get("question"), payload.get("value"))
        state = dma.progress(assessment)
    except DomainError as problem:
        db.session.rollback()
        return jsonify(error=problem.message), problem.status
    db.session.commit()
    return jsonify(saved=True, answered=state.answered, total=state.total)


def _form_payload(form) -> dict | None:
    try:
        return {"question": form.get("question"), "value": json.loads(form.get("value", ""))}
    except ValueError:
        return None


@bp.route("/maturity/<int:assessment_id>/finish", methods=["GET", "POST"])
@login_required
def maturity_finish(assessment_id):
    assessment = dma.get_assessment(current_user, assessment_id)
    if assessment.completed_at is not None:
        return redirect(url_for(".maturity_resume", assessment_id=assessment.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            dma.finish(current_user, assessment)
        except InvalidInput as problem:  # questions still open: the page lists them
            db.session.rollback()
            flash(problem.message, "error")
            return redirect(url_for(".maturity_finish", assessment_id=assessment.id))
        db.session.commit()
        flash(_("The assessment is finished. Here is the result."), "success")
        return redirect(url_for(".maturity_resume", assessment_id=assessment.id))
    return render_template("firm/maturity_finish.html", assessment=assessment, state=dma.progress(assessment),
                           form=form, lang=_lang())


@bp.route("/maturity/<int:assessment_id>.pdf")
@login_required
def maturity_pdf(assessment_id):
    filename, pdf = dma_results.assessment_pdf(current_user, assessment_id, _lang())
    return download_response(pdf, filename=filename, mimetype="application/pdf")


@bp.route("/maturity/assessments.csv")
@login_required
def maturity_csv():
    header, rows = dma_results.firm_csv(current_user)
    return csv_download(header, rows, filename="digital-maturity.csv")


@bp.route("/maturity/delegate", methods=["POST"])
@login_required
def maturity_delegate():
    form = DelegateForm()
    form.user_id.choices = [("", "")] + [(str(u.id), u.name) for u in dma.list_colleagues(current_user)]
    if form.validate_on_submit():
        chosen = dma.delegate(current_user, int(form.user_id.data) if form.user_id.data else None)
        db.session.commit()
        if chosen is None:
            flash(_("Only the contact person fills in the assessment now."), "success")
        else:
            flash(_("%(name)s can now fill in and see the firm's assessment.", name=chosen.name), "success")
    else:
        flash(_("Choose a colleague who is a member of the firm."), "error")
    return redirect(url_for(".maturity"))
