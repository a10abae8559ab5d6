"""Forms of the library's maker space pages (studio/workshop.py)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

MACHINE_KIND_LABELS = {
    "laser_cutter": _l("Laser cutter"), "3d_printer": _l("3D printer"), "vinyl_cutter": _l("Vinyl cutter"),
    "sewing_machine": _l("Sewing machine"), "cnc_mill": _l("CNC mill"), "other": _l("Other"),
}


class MachineChoices(SelectMultipleField):
    """Machines as checkboxes (choices set per request)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the service checks the machines are the library's
        pass


class MachineForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the machine's name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in MACHINE_KIND_LABELS.items()])
    room = StringField(_l("Room (optional)"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Add the machine"))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


class GrantsForm(FlaskForm):
    machines = MachineChoices(_l("Machines the course grants after a staff sign-off"), coerce=int)
    min_age = StringField(_l("Minimum age (optional)"), validators=[Optional(), Length(max=3)])
    consent_under_age = StringField(_l("A parent or guardian consents under this age (optional)"),
                                    validators=[Optional(), Length(max=3)])
    valid_months = StringField(_l("Valid for this many months (optional; empty: no expiry)"),
                               validators=[Optional(), Length(max=3)])
    refresher = SelectField(_l("Refresher course (optional)"), validate_choice=False)
    submit = SubmitField(_l("Save"))


class DeskForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: nothing changes

    # Focused on every load, and empty after a look-up (the query is shown above the answers): a hand scanner types
    # the next pass straight into it, never beside the previous one.
    q = StringField(_l("Name, e-mail, certificate code or workshop pass (scan it here)"),
                    validators=[Length(max=300)], render_kw={"autofocus": True, "enterkeyhint": "search"})


class SignOffForm(FlaskForm):
    course = StringField(validators=[DataRequired()])
    machines = MachineChoices(_l("Machines"), coerce=int)
    birth_year = StringField(_l("Year of birth"), validators=[Optional(), Length(max=4)])
    guardian_name = StringField(_l("Parent or guardian who consents"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Sign off"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Say why the sign-off is withdrawn.")),
                                                     Length(max=1000)])
    submit = SubmitField(_l("Withdraw the sign-off"))


class BirthYearForm(FlaskForm):
    birth_year = StringField(_l("Year of birth"), validators=[DataRequired(_l("Enter your year of birth.")),
                                                             Length(max=4)])
    submit = SubmitField(_l("Save"))
