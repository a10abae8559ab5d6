"""The firm pages: register or join a firm, the firm's page, edit, invite colleagues, join by link, leave."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import InvalidInput
from ...extensions import db
from ...services import firms, invitations
from ...services.orgs import format_orgnr, validate_orgnr
from ...services.registry import lookup_firm
from . import bp
from .forms import ConfirmForm, FirmDetailsForm, InviteForm, OrgnrForm, show_error


def _firm_url(firm):
    """The firm's page: /firm/ for one's own firm, /firm/<id> for an admin looking at another."""
    return url_for(".index") if current_user.firm_id == firm.id else url_for(".show", firm_id=firm.id)


@bp.route("/")
@login_required
def index():
    if current_user.firm_id is None:
        return render_template("firm/none.html")
    return render_template("firm/index.html", overview=firms.firm_overview(current_user))


@bp.route("/<int:firm_id>")
@login_required
def show(firm_id):
    overview = firms.firm_overview(current_user, firm_id)
    return render_template("firm/index.html", overview=overview)


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    if current_user.firm_id is not None:
        flash(_("You are already registered with a firm."), "info")
        return redirect(url_for(".index"))
    firms.require_can_join(current_user)
    form = OrgnrForm()
    if form.validate_on_submit():
        try:
            return redirect(url_for(".register_details", orgnr=validate_orgnr(form.orgnr.data)))
        except InvalidInput as error:
            show_error(form, error)
    return render_template("firm/register.html", form=form)


@bp.route("/register/<orgnr>", methods=["GET", "POST"])
@login_required
def register_details(orgnr):
    """Join the firm with this orgnr when it exists (after a confirmation), otherwise describe and create it."""
    orgnr = validate_orgnr(orgnr)
    existing = firms.find_firm_by_orgnr(orgnr)
    firms.require_can_join(current_user, existing)
    if existing is not None:
        return _join_existing(existing)
    facts = lookup_firm(orgnr)
    form = FirmDetailsForm()
    if request.method == "GET":
        db.session.commit()  # keeps a live register answer in the local snapshot for the POST that follows
        if facts is not None:
            form.fill(name=facts.name, municipality_code=facts.municipality_code, size_band=facts.size_band,
                      industry_section=facts.industry_section, industry_code=facts.industry_code)
    if form.validate_on_submit():
        try:
            details = firms.validate_firm_details(**form.details())
            firm, created = firms.register_firm(current_user, orgnr, details, source="brreg" if facts else "manual")
        except InvalidInput as error:
            show_error(form, error, form.error_fields())
        else:
            db.session.commit()
            if created:
                flash(_("%(firm)s is registered, and you are its contact person.", firm=firm.name), "success")
            else:
                flash(_("You have joined %(firm)s.", firm=firm.name), "success")
            return redirect(url_for(".index"))
    return render_template("firm/register_details.html", form=form, orgnr=orgnr, facts=facts)


def _join_existing(firm):
    form = ConfirmForm()
    if form.validate_on_submit():
        firms.join_firm(current_user, firm)
        db.session.commit()
        flash(_("You have joined %(firm)s.", firm=firm.name), "success")
        return redirect(url_for(".index"))
    return render_template("firm/join_existing.html", firm=firm, form=form)


@bp.route("/edit", methods=["GET", "POST"], defaults={"firm_id": None})
@bp.route("/<int:firm_id>/edit", methods=["GET", "POST"])
@login_required
def edit(firm_id):
    firm = firms.get_firm_for(current_user, firm_id, manage=True)
    form = FirmDetailsForm()
    if request.method == "GET":
        form.fill(name=firm.name, municipality_code=firm.municipality_code, industry_section=firm.industry_section,
                  industry_code=firm.industry_code, size_band=firm.size_band)
    if form.validate_on_submit():
        try:
            firms.update_firm(current_user, firm, firms.validate_firm_details(**form.details()))
        except InvalidInput as error:
            show_error(form, error, form.error_fields())
        else:
            db.session.commit()
            flash(_("The firm's details are saved."), "success")
            return redirect(_firm_url(firm))
    return render_template("firm/edit.html", form=form, firm=firm)


@bp.route("/invite", methods=["GET", "POST"], defaults={"firm_id": None})
@bp.route("/<int:firm_id>/invite", methods=["GET", "POST"])
@login_required
def invite(firm_id):
    firm = firms.get_firm_for(current_user, firm_id, manage=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            result = invitations.invite_colleagues(current_user, firm, form.emails.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            _flash_invite_result(result)
            return redirect(_firm_url(firm))
    return render_template("firm/invite.html", form=form, firm=firm)


def _flash_invite_result(result) -> None:
    if result.invited:
        flash(_("Invitation sent to %(addresses)s.", addresses=", ".join(result.invited)), "success")
    if result.already_members:
        flash(_("Already members of the firm: %(addresses)s.", addresses=", ".join(result.already_members)), "info")


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token):
    """The link in an invitation: join the firm when logged in, otherwise register or log in first."""
    invitation = invitations.get_invitation(token)
    form = ConfirmForm()
    if current_user.is_authenticated and form.validate_on_submit():
        invitations.accept_invitation(current_user, token)
        firm_name, with_course = invitation.firm.name, invitation.course_id is not None
        db.session.commit()
        if with_course:
            flash(_("You have joined %(firm)s and are enrolled in the course.", firm=firm_name), "success")
            return redirect(url_for("learner.my_courses"))
        flash(_("You have joined %(firm)s.", firm=firm_name), "success")
        return redirect(url_for(".index"))
    return render_template("firm/join.html", invitation=invitation, form=form, token=token,
                           orgnr=format_orgnr(invitation.firm.orgnr))


@bp.route("/leave", methods=["GET", "POST"])
@login_required
def leave():
    firm = firms.get_firm_for(current_user, None)
    form = ConfirmForm()
    if form.validate_on_submit():
        firms.leave_firm(current_user)
        db.session.commit()
        flash(_("You are no longer registered with %(firm)s.", firm=firm.name), "success")
        return redirect(url_for(".index"))
    return render_template("firm/leave.html", firm=firm, form=form)
