"""The firm pages: register a firm or ask to join one, the firm's page, edit, invite colleagues, join by link, leave.

A `next` address (the course page a learner came from) travels through registration, so they get a way back.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import InvalidInput
from ...extensions import db
from ...services import firms, invitations, membership
from ...services.orgs import format_orgnr, validate_orgnr
from ...services.registry import lookup_firm
from ...web.next_url import safe_next_url
from . import bp, firm_url
from .forms import ConfirmForm, FirmDetailsForm, InviteForm, OrgnrForm, show_error


def _back() -> str | None:
    """The page to offer a way back to (a safe local path from ?next= or the form), or None."""
    return safe_next_url(request.values.get("next"))


@bp.route("/", defaults={"firm_id": None})
@bp.route("/<int:firm_id>")
@login_required
def index(firm_id):
    if firm_id is None and current_user.firm_id is None:
        return render_template("firm/none.html", pending=membership.find_pending_request(current_user),
                               back=_back())
    return render_template("firm/index.html", overview=firms.firm_overview(current_user, firm_id), back=_back())


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    if current_user.firm_id is not None:
        flash(_("You are already registered with a firm."), "info")
        return redirect(url_for(".index"))
    membership.require_can_join(current_user)
    form = OrgnrForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            orgnr = validate_orgnr(form.orgnr.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            return redirect(url_for(".register_details", orgnr=orgnr, next=_back()))
    return render_template("firm/register.html", form=form)


@bp.route("/register/<orgnr>", methods=["GET", "POST"])
@login_required
def register_details(orgnr):
    """Ask to join the firm with this orgnr when it exists (after a confirmation), otherwise describe and create it."""
    orgnr = validate_orgnr(orgnr)
    existing = firms.find_firm_by_orgnr(orgnr)
    membership.require_can_join(current_user, existing)
    if existing is not None:
        return _ask_to_join(existing)
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
            result = membership.register_firm(current_user, orgnr, details, source="brreg" if facts else "manual")
        except InvalidInput as error:
            show_error(form, error, form.error_fields())
        else:
            db.session.commit()
            if result.created:
                flash(_("%(firm)s is registered, and you are its contact person.", firm=result.firm.name), "success")
            else:
                _flash_request_sent(result.firm)
            return redirect(url_for(".index", next=_back()))
    return render_template("firm/register_details.html", form=form, orgnr=orgnr, facts=facts, back=_back())


def _ask_to_join(firm):
    if current_user.firm_id == firm.id:  # a second click after the firm was registered or joined
        flash(_("You are already registered with %(firm)s.", firm=firm.name), "info")
        return redirect(url_for(".index", next=_back()))
    form = ConfirmForm()
    if form.validate_on_submit():
        membership.request_to_join(current_user, firm)
        db.session.commit()
        _flash_request_sent(firm)
        return redirect(url_for(".index", next=_back()))
    return render_template("firm/join_existing.html", firm=firm, form=form, back=_back(),
                           pending=membership.find_pending_request(current_user))


def _flash_request_sent(firm) -> None:
    if firm.verified:
        flash(_("Your request to join %(firm)s is sent. You get an e-mail when the firm's contact person has "
                "answered.", firm=firm.name), "success")
    else:
        flash(_("Your request to join %(firm)s is sent. The firm's contact person is not verified yet, so the "
                "request waits until an administrator has verified them.", firm=firm.name), "success")


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
            return redirect(firm_url(".index", firm))
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
            return redirect(firm_url(".index", firm))
    return render_template("firm/invite.html", form=form, firm=firm)


def _flash_invite_result(result) -> None:
    if result.invited:
        flash(_("Invitation sent to %(addresses)s.", addresses=", ".join(result.invited)), "success")
    if result.already_members:
        flash(_("Already members of the firm: %(addresses)s.", addresses=", ".join(result.already_members)), "info")


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token):
    """The link in an invitation: join the firm when logged in with the invited address, else register or log in."""
    invitation = invitations.get_invitation(token)
    form = ConfirmForm()
    if current_user.is_authenticated and form.validate_on_submit():
        accepted = invitations.accept_invitation(current_user, token)
        firm_name = invitation.firm.name
        db.session.commit()
        if accepted.enrolled:
            if accepted.joined:
                flash(_("You have joined %(firm)s and are enrolled in the course.", firm=firm_name), "success")
            else:
                flash(_("You are enrolled in the course."), "success")
            return redirect(url_for("learner.my_courses"))
        flash(_("You have joined %(firm)s.", firm=firm_name), "success")
        return redirect(url_for(".index"))
    addressed = current_user.is_authenticated and invitations.is_addressed_to(current_user, invitation)
    return render_template("firm/join.html", invitation=invitation, form=form, token=token, addressed=addressed,
                           orgnr=format_orgnr(invitation.firm.orgnr))


@bp.route("/leave", methods=["GET", "POST"])
@login_required
def leave():
    firm = firms.get_firm_for(current_user, None)
    form = ConfirmForm()
    if form.validate_on_submit():
        membership.leave_firm(current_user)
        db.session.commit()
        flash(_("You are no longer registered with %(firm)s.", firm=firm.name), "success")
        return redirect(url_for(".index"))
    return render_template("firm/leave.html", firm=firm, form=form)
