"""Admin pages: providers (create, edit, logo) and their staff (authors, invitations). The rules live in
services/providers.py and services/staff_invitations.py; the blueprint's before_request admits admins only."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ...errors import Conflict, InvalidInput, NotFound
from ...extensions import db
from ...services import providers as service
from ...services import staff_invitations
from ...web.inputs import page_number
from . import bp
from .forms import ProviderForm, StaffInviteForm


@bp.route("/providers")
def providers():
    search = request.args.get("q", "")
    page = service.list_providers(current_user, search=search, page=page_number())
    return render_template("admin/providers.html", page=page, search=search)


@bp.route("/providers/new", methods=["GET", "POST"])
def new_provider():
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = service.create_provider(current_user, **_details(form, new=True))
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            form.errors_from(error)
        else:
            db.session.commit()
            flash(_("%(name)s is created. Now invite its staff.", name=provider.name), "success")
            return redirect(url_for(".provider", slug=provider.slug))
    return render_template("admin/provider_new.html", form=form)


@bp.route("/providers/<slug>", methods=["GET", "POST"])
def provider(slug):
    provider = service.get_provider(current_user, slug)
    form = ProviderForm(data=None if request.method == "POST" else _form_data(provider))
    if form.validate_on_submit():
        try:
            service.update_provider(current_user, provider, **_details(form))
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            form.errors_from(error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=provider.name), "success")
            return redirect(url_for(".provider", slug=provider.slug))
    return _provider_page(provider, form=form)


@bp.route("/providers/<slug>/invite", methods=["POST"])
def invite_staff(slug):
    provider = service.get_provider(current_user, slug)
    invite_form = StaffInviteForm()
    if invite_form.validate_on_submit():
        try:
            invitation = staff_invitations.invite_staff(current_user, provider, name=invite_form.name.data,
                                                        email=invite_form.email.data)
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            invite_form.errors_from(error)
        else:
            db.session.commit()
            flash(_("An invitation is sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for(".provider", slug=slug))
    return _provider_page(provider, invite_form=invite_form)


@bp.route("/providers/<slug>/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_staff_invitation(slug, invitation_id):
    provider = service.get_provider(current_user, slug)
    if FlaskForm().validate_on_submit():
        try:
            invitation = staff_invitations.revoke_invitation(current_user, provider, invitation_id)
        except Conflict as error:  # used or revoked meanwhile (another tab, another admin)
            db.session.rollback()
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(_("The invitation to %(email)s is revoked: its link no longer works.", email=invitation.email),
                  "success")
    return redirect(url_for(".provider", slug=slug))


@bp.route("/providers/<slug>/authors/<int:user_id>/remove", methods=["POST"])
def remove_author(slug, user_id):
    provider = service.get_provider(current_user, slug)
    if FlaskForm().validate_on_submit():
        try:
            user = service.remove_author(current_user, provider, user_id)
        except NotFound as error:  # removed meanwhile
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(_("%(name)s is no longer an author for %(provider)s. The courses stay with the provider.",
                    name=user.name, provider=provider.name), "success")
    return redirect(url_for(".provider", slug=slug))


def _details(form: ProviderForm, new: bool = False) -> dict:
    details = form.details(service.MAX_LOGO_BYTES)
    if new:
        details.pop("remove_logo")
    return details


def _form_data(provider) -> dict:
    return {"name": provider.name, "slug": provider.slug, "kind": provider.kind,
            "municipality": provider.municipality_code or ""}


def _provider_page(provider, *, form=None, invite_form=None):
    """The provider's page: its details form, logo, authors and pending invitations, and the invitation form."""
    form = form or ProviderForm(data=_form_data(provider))
    invite_form = invite_form or StaffInviteForm(formdata=None)
    return render_template(
        "admin/provider.html", provider=provider, form=form, invite_form=invite_form,
        slug_locked=service.has_content(provider), courses=service.count_courses(provider),
        authors=service.list_authors(current_user, provider),
        invitations=staff_invitations.list_pending(current_user, provider),
        expires_at=staff_invitations.expires_at, is_expired=staff_invitations.is_expired,
    )
