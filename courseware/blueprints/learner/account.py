"""The learner's account: profile and consent, password, download of all their data, deletion of the account."""
import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from ...errors import InvalidInput
from ...extensions import db, limiter
from ...models import utcnow
from ...services import accounts, privacy
from ...web.inputs import valid_name
from ..auth.forms import MAX_PASSWORD_LENGTH, new_password_fields
from ..firm.forms import show_error
from ...web.login import stay_logged_in
from . import bp


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"),
                       validators=[DataRequired(_l("Enter your name.")), Length(max=200), valid_name])
    locale = SelectField(_l("Language"), validate_choice=False)
    share_progress = BooleanField(_l("Share detailed progress with the firm's contact person"))
    name_on_firm_certificates = BooleanField(_l("Show my name on my firm's course certificates"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [SelectChoice(code, label) for code, label in current_app.config["LANGUAGES"].items()]


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Your current password"), validators=[
        DataRequired(_l("Enter the password you have now.")), Length(max=MAX_PASSWORD_LENGTH)])
    password, confirm = new_password_fields(_l("New password"), _l("Repeat the new password"))
    submit = SubmitField(_l("Change password"))


class DeleteAccountForm(FlaskForm):
    confirmation = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Type your password to confirm.")), Length(max=MAX_PASSWORD_LENGTH)],
    )
    submit = SubmitField(_l("Delete my account"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            privacy.update_profile(current_user, name=form.name.data, locale=form.locale.data,
                                   share_progress=form.share_progress.data,
                                   name_on_firm_certificates=form.name_on_firm_certificates.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for(".profile"))
    return render_template("learner/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=get_remote_address)
def change_password():
    """Change the password, knowing the current one (a forgotten one is reset by e-mail instead)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            stay_logged_in()
            flash(_("Your new password is saved, and you are logged out on your other devices. We have sent you an "
                    "e-mail about the change."), "success")
            return redirect(url_for(".profile"))
    return render_template("learner/change_password.html", form=form, min_password_length=accounts.MIN_PASSWORD_LENGTH)


@bp.route("/sessions/end", methods=["POST"])
@login_required
def end_other_sessions():
    """Log out everywhere else (a lost phone, a shared computer), staying logged in here."""
    form = FlaskForm()
    if form.validate_on_submit():
        accounts.renew_session_stamp(current_user)
        db.session.commit()
        stay_logged_in()
        flash(_("You are logged out on every other device and browser."), "success")
    return redirect(url_for(".profile"))


@bp.route("/export")
@login_required
def export():
    """All the user's data as a JSON file download."""
    data = privacy.export_user_data(current_user)
    filename = f"courseware-{current_user.id}-{utcnow():%Y-%m-%d}.json"
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=get_remote_address)
def delete():
    """Delete the account and its personal data, with the password (a session alone is not enough)."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            privacy.delete_account(current_user, form.confirmation.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            logout_user()  # the account and its logins are gone
            flash(_("Your account and your personal data are deleted."), "success")
            return redirect(url_for("public.index"))
    return render_template("learner/account_delete.html", form=form)
