"""A library's maker space in the studio: machines, the courses that grant them, the desk look-up, the staff
sign-off and its withdrawal, and the library report. services/workshop*.py decide who may do what."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import DomainError
from ...extensions import db
from ...services import workshop
from ...services import workshop_desk as desk
from ...web.downloads import csv_download
from . import bp
from .workshop_forms import (MACHINE_KIND_LABELS, DeskForm, GrantsForm, MachineForm, RemoveForm, SignOffForm,
                             WithdrawForm)


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


def _run(action) -> bool:
    """Run a service call and commit; flash its problem and roll back instead. Whether it worked."""
    try:
        action()
    except DomainError as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return False
    db.session.commit()
    return True


@bp.route("/workshop/")
def workshop_index():
    machines = workshop.list_machines(current_user)
    return render_template("studio/workshop/index.html", machines=machines, kinds=MACHINE_KIND_LABELS,
                           courses=workshop.list_library_courses(current_user), form=MachineForm(),
                           remove_form=RemoveForm(), waiting=desk.waiting_for_sign_off(current_user),
                           desk_form=DeskForm())


@bp.route("/workshop/machines", methods=["POST"])
def workshop_add_machine():
    workshop.require_library(current_user)
    form = MachineForm()
    if not form.validate_on_submit():
        _flash_errors(form)
    elif _run(lambda: workshop.add_machine(current_user, name=form.name.data, kind=form.kind.data,
                                           room=form.room.data)):
        flash(_("The machine is added."), "success")
    return redirect(url_for(".workshop_index"))


@bp.route("/workshop/machines/<int:machine_id>/remove", methods=["POST"])
def workshop_remove_machine(machine_id):
    workshop.get_machine_for(current_user, machine_id)
    if RemoveForm().validate_on_submit() and _run(lambda: workshop.remove_machine(current_user, machine_id)):
        flash(_("The machine is removed."), "success")
    return redirect(url_for(".workshop_index"))


@bp.route("/workshop/courses/<slug>", methods=["GET", "POST"])
def workshop_course(slug):
    grants = workshop.get_course_grants(current_user, slug)
    form = GrantsForm()
    form.machines.choices = [(m.id, f"{m.name} ({m.room})" if m.room else m.name)
                             for m in workshop.list_machines(current_user)]
    form.refresher.choices = [("", _("None: the same course again"))] + [
        (c.slug, title) for c, title in workshop.list_library_courses(current_user) if c.id != grants.course.id]
    if form.validate_on_submit():
        if _run(lambda: workshop.set_course_grants(
                current_user, slug, machine_ids=form.machines.data, min_age=form.min_age.data,
                consent_under_age=form.consent_under_age.data, valid_months=form.valid_months.data,
                refresher_slug=form.refresher.data or None)):
            flash(_("Saved: the course grants these machines after a staff sign-off."), "success")
            return redirect(url_for(".workshop_course", slug=slug))
    elif request.method == "GET":
        form.machines.data = sorted(grants.machine_ids)
        form.min_age.data = grants.rules.min_age or ""
        form.consent_under_age.data = grants.rules.consent_under_age or ""
        form.valid_months.data = grants.rules.valid_months or ""
        form.refresher.data = next((c.slug for c, _t in workshop.list_library_courses(current_user)
                                    if c.id == grants.refresher_course_id), "")
    else:
        _flash_errors(form)
    return render_template("studio/workshop/course.html", grants=grants, form=form)


@bp.route("/workshop/desk")
def workshop_desk():
    workshop.require_library(current_user)
    form = DeskForm(request.args)
    query = (form.q.data or "").strip()
    results = desk.lookup(current_user, query) if query else []
    form.q.data = ""  # ready for the next scan (workshop_forms.DeskForm)
    return render_template("studio/workshop/desk.html", form=form, query=query, results=results)


@bp.route("/workshop/residents/<int:user_id>")
def workshop_resident(user_id):
    resident = workshop.get_resident_for(current_user, user_id)
    return _resident_page(resident, SignOffForm(formdata=None))


def _resident_page(resident, sign_off_form):
    choices = workshop.sign_off_choices(current_user, resident)
    found = workshop.find_pass(resident.id)
    return render_template("studio/workshop/resident.html", resident=resident,
                           answers=desk.resident_answers(current_user, resident), choices=choices,
                           form=sign_off_form, birth_year=found.birth_year if found else None,
                           withdraw_form=WithdrawForm(formdata=None))


@bp.route("/workshop/residents/<int:user_id>/sign-off", methods=["POST"])
def workshop_sign_off(user_id):
    resident = workshop.get_resident_for(current_user, user_id)
    form = SignOffForm()
    form.machines.choices = [(int(v), v) for v in request.form.getlist("machines") if v.isdigit()]
    if not form.validate_on_submit():
        _flash_errors(form)
    elif _run(lambda: workshop.sign_off(current_user, resident, form.course.data, machine_ids=form.machines.data,
                                        birth_year=form.birth_year.data, guardian_name=form.guardian_name.data,
                                        note=form.note.data)):
        flash(_("Signed off: the resident may use the machines, and the certificate is issued."), "success")
    return redirect(url_for(".workshop_resident", user_id=user_id))


@bp.route("/workshop/sign-offs/<int:permission_id>/withdraw", methods=["POST"])
def workshop_withdraw(permission_id):
    workshop.require_library(current_user)
    form = WithdrawForm()
    user_id = request.form.get("resident", type=int)
    if not form.validate_on_submit():
        _flash_errors(form)
    elif _run(lambda: workshop.withdraw(current_user, permission_id, form.reason.data)):
        flash(_("The sign-off is withdrawn."), "success")
    if user_id:
        return redirect(url_for(".workshop_resident", user_id=user_id))
    return redirect(url_for(".workshop_index"))


def _chosen_library() -> str | None:
    return request.args.get("library", "")[:64] or None


@bp.route("/workshop/report")
def workshop_report():
    report = desk.library_report(current_user, _chosen_library())
    return render_template("studio/workshop/report.html", report=report, age_labels=desk.AGE_BAND_LABELS,
                           chosen=_chosen_library())


@bp.route("/workshop/report/<any(machines, 'age-bands'):table>.csv")
def workshop_report_export(table):
    header, rows = desk.library_report_table(current_user, table, _chosen_library())
    return csv_download(header, rows, filename=f"maker-space-{table}.csv")
