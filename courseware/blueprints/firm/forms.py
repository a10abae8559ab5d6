"""The forms of the firm pages. The services do the real checks; the forms parse and show field errors."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from ...errors import InvalidInput
from ...models import SIZE_BANDS
from ...services.orgs import SIZE_BAND_LABELS, list_industry_sections, list_municipalities
from ...web.inputs import valid_name

OTHER_MUNICIPALITY = "other"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def show_error(form, error: InvalidInput, fields: dict[str, str] | None = None) -> None:
    """Put a service's InvalidInput next to the field it names (`fields` maps service names to form fields).

    An error that carries `errors` {field: message} (several fields wrong at once) shows each next to its field.
    """
    problems = error.details.get("errors") or {error.details.get("field"): error.message}
    for service_name, message in problems.items():
        name = (fields or {}).get(service_name, service_name)
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            if message not in field.errors:
                field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class OrgnrForm(FlaskForm):
    next = HiddenField()
    orgnr = StringField(
        _l("Organisation number"),
        validators=[DataRequired(_l("Enter the organisation number (9 digits)."))],
        filters=[_strip],
        description=_l("9 digits, for example 123 456 785. You find it in Brønnøysundregistrene."),
    )
    submit = SubmitField(_l("Continue"))


class FirmDetailsForm(FlaskForm):
    # No field validators: services.firms.validate_firm_details checks every field at once, so a person sees all
    # their mistakes together rather than one per submit.
    name = StringField(_l("Firm name"), filters=[_strip])
    municipality = SelectField(_l("Municipality"), validate_choice=False)
    other_municipality = StringField(
        _l("Other municipality (municipality number)"),
        filters=[_strip],
        description=_l("Only if the municipality is not in the list: 4 digits, for example 0301 for Oslo."),
    )
    industry_section = SelectField(_l("Industry"), validate_choice=False)
    industry_code = StringField(
        _l("Industry code (optional)"),
        filters=[_strip],
        description=_l("5 digits written as NN.NNN, from Brønnøysundregistrene. Leave it empty if you do not know it."),
    )
    size_band = SelectField(_l("Number of employees"), validate_choice=False)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality.choices = (
            [SelectChoice("", _l("Choose a municipality"))]
            + [SelectChoice(m.number, m.name) for m in list_municipalities()]
            + [SelectChoice(OTHER_MUNICIPALITY, _l("Another municipality (type its number below)"))]
        )
        self.industry_section.choices = [SelectChoice("", _l("Choose an industry"))] + [
            SelectChoice(s.letter, f"{s.letter} – {s.name}") for s in list_industry_sections()
        ]
        self.size_band.choices = [SelectChoice("", _l("Choose the number of employees"))] + [
            SelectChoice(band, SIZE_BAND_LABELS[band]) for band in SIZE_BANDS
        ]

    @property
    def municipality_code(self) -> str:
        """The chosen municipality number: from the list, or the typed number for another municipality."""
        if self.municipality.data == OTHER_MUNICIPALITY:
            return self.other_municipality.data or ""
        return self.municipality.data or ""

    def details(self) -> dict:
        """The keyword arguments for services.firms.validate_firm_details."""
        return {
            "name": self.name.data,
            "municipality_code": self.municipality_code,
            "industry_section": self.industry_section.data,
            "industry_code": self.industry_code.data,
            "size_band": self.size_band.data,
        }

    def fill(self, *, name=None, municipality_code=None, industry_section=None, industry_code=None, size_band=None):
        """Prefill the form (GET) from a firm or from register facts."""
        listed = {m.number for m in list_municipalities()}
        self.name.data = name or ""
        if municipality_code in listed:
            self.municipality.data = municipality_code
        elif municipality_code:
            self.municipality.data = OTHER_MUNICIPALITY
            self.other_municipality.data = municipality_code
        self.industry_section.data = industry_section or ""
        self.industry_code.data = industry_code or ""
        self.size_band.data = size_band or ""

    def error_fields(self) -> dict[str, str]:
        """Which form field shows a service error about a given detail."""
        municipality = "other_municipality" if self.municipality.data == OTHER_MUNICIPALITY else "municipality"
        return {"municipality": municipality}


class InviteForm(FlaskForm):
    emails = TextAreaField(
        _l("E-mail addresses"),
        validators=[DataRequired(_l("Enter at least one e-mail address."))],
        description=_l("One address per line. Each person gets an e-mail with a link to join the firm."),
        render_kw={"rows": 6, "autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Send invitations"))


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (join, leave, answer a request, remove a member)."""

    submit = SubmitField(_l("Confirm"))


def optional_int(value):
    """A select's value as an int, or None when empty or not a number (the service then says what is wrong)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class HandOverForm(FlaskForm):
    user_id = SelectField(_l("New contact person"), coerce=optional_int, validate_choice=False,
                          validators=[DataRequired(_l("Choose a colleague."))])
    submit = SubmitField(_l("Hand over the role"))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice("", _l("Choose a colleague"))] + [
            SelectChoice(str(user.id), user.name) for user in candidates
        ]


class DelegateForm(FlaskForm):
    """The contact person chooses the colleague who may fill in the digital maturity assessment (or nobody)."""

    user_id = SelectField(_l("Colleague who may fill in the assessment"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Save"))
