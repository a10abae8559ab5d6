"""The forms of the admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import PROVIDER_KINDS, ROLES
from ...services.orgs import PROVIDER_KIND_LABELS
from ...web.inputs import optional_id, valid_name

ROLE_LABELS = {"learner": _l("Learner"), "author": _l("Author"), "funder": _l("Funder"), "admin": _l("Administrator")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProviderForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), valid_name],
                       filters=[_strip])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, PROVIDER_KIND_LABELS[k]) for k in PROVIDER_KINDS])
    submit = SubmitField(_l("Save"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    provider_id = SelectField(_l("Provider (for authors)"), coerce=optional_id, validate_choice=False)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.provider_id.choices = [SelectChoice("", _l("No provider"))] + [
            SelectChoice(str(p.id), p.name) for p in providers
        ]


class AppointForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Make contact person"))


class ApiTokenForm(FlaskForm):
    """A new API token: what it is for, what it may do, and optionally when it stops working."""

    name = StringField(_l("What the token is for"), validators=[DataRequired(_l("Enter a name.")), Length(max=200),
                                                               valid_name], filters=[_strip])
    scopes = MultiCheckboxField(_l("Permissions"), validators=[DataRequired(_l("Choose at least one permission."))])
    expires_on = DateField(_l("Expires (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Create token"))

    def __init__(self, *args, **kwargs):
        from ...services.api_tokens import SCOPES

        super().__init__(*args, **kwargs)
        self.scopes.choices = [SelectChoice(scope, label) for scope, label in SCOPES.items()]

    def errors_from(self, error) -> None:
        """Show a service's InvalidInput next to its field."""
        field = {"scopes": self.scopes, "expires_on": self.expires_on}.get(error.details.get("field"), self.name)
        field.errors = [*field.errors, error.message]


class ConfirmForm(FlaskForm):
    """A form with only its CSRF token, for a confirmed action."""

    submit = SubmitField(_l("Confirm"))
