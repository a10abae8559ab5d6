"""/reports/register: the completion register for funders and admins (services/register.py checks who may see it)."""
from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...errors import InvalidInput
from ...services import register
from ...web.inputs import page_number
from . import bp


@bp.route("/register")
@login_required
def register_list():
    filters = register.RegisterFilters.from_args(request.args)
    page = register.list_register(current_user, filters, page=page_number())
    orgnr, lookup_error = request.args.get("orgnr"), None
    if orgnr is not None:
        try:
            return redirect(url_for(".register_firm", orgnr=register.parse_orgnr(orgnr)))
        except InvalidInput as error:
            lookup_error = error.message
    return render_template("reports/register.html", page=page, filters=filters, orgnr=orgnr or "",
                           lookup_error=lookup_error, choices=register.filter_choices(current_user),
                           ), 400 if lookup_error else 200


@bp.route("/register/<orgnr>")
@login_required
def register_firm(orgnr):
    entry = register.look_up_firm(current_user, orgnr)
    return render_template("reports/register_firm.html", entry=entry)


@bp.route("/register.csv")
@login_required
def register_export():
    body = register.register_csv(current_user, register.RegisterFilters.from_args(request.args))
    return Response(body, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="completion-register.csv"',
        "Cache-Control": "no-store",
    })
