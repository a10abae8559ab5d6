"""The learner's account: profile and consent, download of all their data, deletion of the account."""
import json

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from ...errors import InvalidInput
from ...extensions import db
from ...models import utcnow
from ...services import privacy
from ..firm.forms import show_error
from . import bp


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    locale = SelectField(_l("Language"), validate_choice=False)
    share_progress = BooleanField(_l("Share detailed progress with the firm's contact person"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [SelectChoice(code, label) for code, label in current_app.config["LANGUAGES"].items()]


class DeleteAccountForm(FlaskForm):
    confirmation = PasswordField(
        _l("Your password or e-mail address"),
        validators=[DataRequired(_l("Type your password or your e-mail address to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            privacy.update_profile(current_user, name=form.name.data, locale=form.locale.data,
                                   share_progress=form.share_progress.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for(".profile"))
    return render_template("learner/profile.html", form=form)


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
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            privacy.delete_account(current_user, form.confirmation.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account and your personal data are deleted."), "success")
            return redirect(url_for("public.index"))
    return render_template("learner/account_delete.html", form=form)
