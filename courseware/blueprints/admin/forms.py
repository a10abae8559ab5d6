"""The forms of the admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, EmailField, HiddenField, SelectField, SelectMultipleField, StringField,
                     SubmitField)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import PROVIDER_KINDS, ROLES
from ...services.orgs import PROVIDER_KIND_LABELS, list_municipalities
from ...web.inputs import optional_id, valid_name

ROLE_LABELS = {"learner": _l("Learner"), "author": _l("Author"), "funder": _l("Funder"), "admin": _l("Administrator")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def show_errors(form, error, default) -> None:
    """Put a service's error next to the field(s) it names (`details["errors"]` {field: message}, or `field`);
    on `default` when it names none of the form's fields."""
    problems = error.details.get("errors") or {error.details.get("field"): error.message}
    for name, message in problems.items():
        field = getattr(form, name, None) if name else None
        field = field if hasattr(field, "errors") else default
        field.errors = [*field.errors, message]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProviderForm(FlaskForm):
    """A provider's details and logo. The service checks every field (services/providers.py) and the view puts its
    errors next to the fields; the form only parses."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), valid_name],
                       filters=[_strip])
    slug = StringField(_l("Short name for addresses"), filters=[_strip],
                       description=_l("Lower-case letters a-z, digits and hyphens, like trondheim-naeringshage. "
                                      "Course packages name the provider by it, so it cannot change once the "
                                      "provider has courses."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, PROVIDER_KIND_LABELS[k]) for k in PROVIDER_KINDS],
                       validate_choice=False)
    municipality = SelectField(_l("Municipality"), validate_choice=False)
    logo = FileField(_l("Logo (optional)"), render_kw={"accept": "image/png,image/jpeg,image/webp"},
                     description=_l("A PNG, JPEG or WebP image of at most 2 MB. It is shown beside the provider's "
                                    "courses."))
    remove_logo = BooleanField(_l("Remove the logo"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality.choices = [SelectChoice("", _l("Not set"))] + [
            SelectChoice(m.number, m.name) for m in list_municipalities()
        ]

    def details(self, logo_limit: int) -> dict:
        """The fields as the services take them; the logo's bytes read up to `logo_limit` + 1 (more is refused)."""
        upload = self.logo.data
        logo = upload.read(logo_limit + 1) if upload else None
        return {"name": self.name.data, "slug": self.slug.data, "kind": self.kind.data,
                "municipality_code": self.municipality.data or None, "logo": logo or None,
                "remove_logo": bool(self.remove_logo.data)}

    def errors_from(self, error) -> None:
        """Show a service's InvalidInput (or Conflict) next to the fields it names."""
        show_errors(self, error, self.name)


class StaffInviteForm(FlaskForm):
    """Invite someone to write a provider's courses. Its own ids: it shares the page with the provider's form."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), valid_name],
                       filters=[_strip], id="invite-name")
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address.")),
                                                        Length(max=254)], filters=[_strip], id="invite-email")
    submit = SubmitField(_l("Send the invitation"))

    def errors_from(self, error) -> None:
        """Show a service's InvalidInput (or Conflict) next to the fields it names."""
        show_errors(self, error, self.email)


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
