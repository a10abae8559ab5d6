"""The forms of the auth pages. Labels and messages are lazy, so they follow each request's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ...services.accounts import MIN_PASSWORD_LENGTH
from ...web.inputs import valid_name

MAX_PASSWORD_LENGTH = 200


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254),
            Email(_l("Enter a valid e-mail address, like ola@firma.no.")),
        ],
        filters=[lambda value: value.strip() if value else value],
    )


def _name_field():
    return StringField(_l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200), valid_name],
                       filters=[lambda value: value.strip() if value else value])


def new_password_fields(label=None, confirm_label=None):
    """A new password and its repetition (registering, resetting, changing)."""
    password = PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        confirm_label or _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )
    return password, confirm


class LoginForm(FlaskForm):
    next = HiddenField()
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                        Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    next = HiddenField()
    name = _name_field()
    email = _email_field()
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Create account"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Save the new password"))


class SetupForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Create the administrator"))


class LoginCodeForm(FlaskForm):
    """The second step of a login with two-step login on: a code from the app, or a recovery code."""
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
                       filters=[lambda value: value.strip() if value else value])
    submit = SubmitField(_l("Log in"))
