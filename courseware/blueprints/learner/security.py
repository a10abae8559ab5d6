"""/me/security: two-step login (TOTP) for admin, funder and author accounts: set up, turn off, new recovery
codes. The rules live in services/mfa.py."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ...errors import DomainError, InvalidInput
from ...extensions import db, limiter
from ...services import mfa
from ...web.login import stay_logged_in
from ..auth.forms import MAX_PASSWORD_LENGTH
from ..firm.forms import show_error
from . import bp


def _code_field():
    return StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
                       filters=[lambda value: value.strip() if value else value])


class CodeForm(FlaskForm):
    code = _code_field()
    submit = SubmitField(_l("Confirm"))


class DisableForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Type your password to confirm.")), Length(max=MAX_PASSWORD_LENGTH)])
    code = _code_field()
    submit = SubmitField(_l("Turn off two-step login"))


def _limited(view):
    """Code and password checks are limited like logins, per client address."""
    return limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                         key_func=get_remote_address)(view)


def _page(**forms):
    context = {"enabled": mfa.is_enabled(current_user), "may_use": mfa.may_use(current_user),
               "required": mfa.is_required(current_user), "enrolment": None, "left": 0,
               "confirm_form": forms.get("confirm_form") or CodeForm(),
               "disable_form": forms.get("disable_form") or DisableForm(),
               "regenerate_form": forms.get("regenerate_form") or CodeForm()}
    if context["enabled"]:
        context["left"] = mfa.count_recovery_codes(current_user)
    elif context["may_use"]:
        context["enrolment"] = mfa.pending_enrolment(current_user)
    return render_template("learner/security.html", **context), 200, {"Cache-Control": "no-store"}


def _codes_page(codes):
    return render_template("learner/recovery_codes.html", codes=codes), 200, {"Cache-Control": "no-store"}


@bp.route("/security")
@login_required
def security():
    """Two-step login: its state, and the forms to set it up or turn it off."""
    return _page()


@bp.route("/security/start", methods=["POST"])
@login_required
def security_start():
    """Begin setting up: a new secret to scan (not in force until confirmed with a code)."""
    if FlaskForm().validate_on_submit():
        try:
            mfa.start_enrolment(current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
    return redirect(url_for(".security"))


@bp.route("/security/confirm", methods=["POST"])
@login_required
@_limited
def security_confirm():
    """Confirm the scanned secret with a code; the recovery codes are shown once, on this response."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(current_user, form.code.data)
        except InvalidInput as error:
            db.session.rollback()
            show_error(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for(".security"))
        else:
            db.session.commit()
            stay_logged_in()  # the session stamp changed: other browsers are logged out
            return _codes_page(codes)
    return _page(confirm_form=form)


@bp.route("/security/disable", methods=["POST"])
@login_required
@_limited
def security_disable():
    """Turn two-step login off, with the password and a code."""
    form = DisableForm()
    if form.validate_on_submit():
        try:
            mfa.disable(current_user, form.password.data, form.code.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            stay_logged_in()
            flash(_("Two-step login is off."), "success")
            return redirect(url_for(".security"))
    return _page(disable_form=form)


@bp.route("/security/recovery-codes", methods=["POST"])
@login_required
@_limited
def security_recovery_codes():
    """New recovery codes (the old ones stop working), with a current code."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.regenerate_recovery_codes(current_user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            return _codes_page(codes)
    return _page(regenerate_form=form)
