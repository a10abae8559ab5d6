"""The link in a staff invitation (services/staff_invitations.py): create an author account, or accept with one."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SubmitField

from ...errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ...extensions import db
from ...services import staff_invitations
from ...web.login import log_in
from . import bp
from .forms import _name_field, new_password_fields
from .views import _rate_limited


class StaffAccountForm(FlaskForm):
    """The account an invitation creates: the address is the invited one, so only a name and a password."""

    name = _name_field()
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Create account"))


@bp.route("/staff-invitation/<token>", methods=["GET", "POST"])
@_rate_limited
def staff_invitation(token):
    """Someone without an account creates one here; the owner of the invited address, logged in, accepts."""
    try:
        invitation = staff_invitations.get_invitation(token)
    except Conflict as error:  # used: by this very person (a second tab), or by someone
        if current_user.is_authenticated and error.details.get("accepted_by_id") == current_user.id:
            return redirect(url_for("studio.index"))
        return _link_invalid(error)
    except NotFound as error:
        return _link_invalid(error)
    if not current_user.is_authenticated:
        if staff_invitations.account_for(invitation) is None:
            return _new_account(token, invitation)
        return _page(invitation, "log_in")
    if not staff_invitations.is_addressed_to(current_user, invitation):
        return _page(invitation, "wrong_account", status=403)
    refusal = staff_invitations.refusal(current_user, invitation)
    if refusal:
        return _page(invitation, "refused", message=refusal, status=403)
    form = FlaskForm()
    if form.validate_on_submit():
        return _accept(token, invitation)
    return _page(invitation, "accept", form=form)


def _new_account(token, invitation):
    form = StaffAccountForm(data=None if request.method == "POST" else {"name": invitation.name})
    if form.validate_on_submit():
        provider_name = invitation.provider.name  # the commit expires the invitation and its provider
        try:
            user = staff_invitations.accept_with_new_account(token, name=form.name.data, password=form.password.data)
            db.session.commit()
        except InvalidInput as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        except (Conflict, NotFound, IntegrityError) as error:  # used, or the address got an account meanwhile
            db.session.rollback()
            return _link_invalid(error if not isinstance(error, IntegrityError) else Conflict(
                _("There is already an account with %(email)s. Log in with it to accept the invitation.",
                  email=invitation.email)))
        else:
            log_in(user)
            flash(_("Welcome, %(name)s. Your account is ready: you are an author for %(provider)s.",
                    name=user.name, provider=provider_name), "success")
            return redirect(url_for("studio.index"))
    return _page(invitation, "new_account", form=form)


def _accept(token, invitation):
    provider_name = invitation.provider.name
    try:
        accepted = staff_invitations.accept_invitation(current_user, token)
        db.session.commit()
    except (Conflict, NotFound, PermissionDenied) as error:  # used or revoked in another tab meanwhile
        db.session.rollback()
        return _link_invalid(error)
    if accepted.changed:
        flash(_("You are now an author for %(provider)s.", provider=provider_name), "success")
    else:
        flash(_("You accepted the invitation from %(provider)s. Your role has not changed.",
                provider=provider_name), "info")
    return redirect(url_for("studio.index"))


def _page(invitation, state, *, form=None, message=None, status=200):
    return render_template("auth/staff_invitation.html", invitation=invitation, state=state, form=form,
                           message=message, days=staff_invitations.invitation_days()), status


def _link_invalid(error):
    return render_template("auth/link_invalid.html", message=error.message, offer_reset=False), error.status
