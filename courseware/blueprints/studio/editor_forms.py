"""The studio editor's forms: course settings (every course.toml field), a module's front matter and body, and the
small forms of the module list. Each converts to and from the plain values services/course_text.py reads."""
import math
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.fields import FloatField, SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...content.fields import MAX_ATTEMPTS_PER_DAY
from ...content.package import KEY_RE, SLUG_RE
from ...data import load
from ...services.course_text import lines_of, normalise

PARTNER_ROWS = 2  # empty partner rows below the filled ones
MAX_PARTNER_ROWS = 30
MAX_QUESTION_ROWS = 100
SHOW_ANSWERS_CHOICES = [SelectChoice("after-pass", _l("After the learner passes")),
                        SelectChoice("always", _l("Always, after each attempt")), SelectChoice("never", _l("Never"))]


def _fraction(form, field) -> None:
    if field.data is not None and not (math.isfinite(field.data) and 0 < field.data <= 1):
        raise ValidationError(_l("Write a number above 0 and at most 1, such as 0.8 for 80 %."))


def _web_address(form, field) -> None:
    value = (field.data or "").strip()
    if value:
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(_l("Write the whole address, starting with https://"))


def _one_line(form, field) -> None:
    if field.data and ("\n" in field.data or "\r" in field.data):
        raise ValidationError(_l("Write this on one line."))


class PartnerForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=200), _one_line])
    role = StringField(_l("Role"), validators=[Length(max=200), _one_line])
    url = StringField(_l("Web address"), validators=[Length(max=500), _web_address])

    def validate_name(self, field):
        if not (field.data or "").strip() and ((self.role.data or "").strip() or (self.url.data or "").strip()):
            raise ValidationError(_l("A partner needs a name."))


class CheckboxList(SelectMultipleField):
    """Several choices as checkboxes (easier on a touch screen than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(FlaskForm):
    """Every course.toml field (provider and provider_name come from the course's provider)."""

    slug = StringField(_l("Address (slug)"), validators=[
        DataRequired(_l("Choose the course's address.")),
        Regexp(SLUG_RE, message=_l("Use 2 to 64 lower-case letters a-z, digits and dashes."))])
    provider_id = SelectField(_l("Provider"), coerce=str, validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the course a title.")), Length(max=300),
                                                 _one_line])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)])
    industry = SelectField(_l("Industry (SN2007 section)"))
    stage = IntegerField(_l("Stage"), default=1, validators=[DataRequired(_l("Write a whole number, 1 or more.")),
                                                             NumberRange(min=1, max=99)])
    language = SelectField(_l("Language"), choices=[SelectChoice("nb", "Bokmål"), SelectChoice("nn", "Nynorsk"),
                                                    SelectChoice("en", "English")])
    audience = SelectField(_l("Audience"), choices=[SelectChoice("firms", _l("Employees of enrolled firms")),
                                                     SelectChoice("public", _l("Anyone (e.g. a library course)"))])
    estimated_minutes = IntegerField(_l("Estimated time (minutes)"), validators=[Optional(),
                                                                               NumberRange(min=0, max=100000)])
    requires = CheckboxList(_l("Courses to complete first"))
    pass_mark = FloatField(_l("Pass mark"), default=0.8, validators=[DataRequired(_l("Write a number such as 0.8.")),
                                                                     _fraction])
    show_answers = SelectField(_l("Show the right answers"), choices=SHOW_ANSWERS_CHOICES)
    attempts_per_day = IntegerField(_l("Quiz attempts per day (0 = no limit)"), default=0, validators=[
        Optional(), NumberRange(min=0, max=MAX_ATTEMPTS_PER_DAY)])
    certificate_enabled = BooleanField(_l("Learners who complete the course get a certificate"), default=True)
    signer_name = StringField(_l("Signed by (name)"), validators=[Length(max=200), _one_line])
    signer_title = StringField(_l("Signer's title"), validators=[Length(max=200), _one_line])
    valid_years = IntegerField(_l("Valid for (years, 0 = never expires)"), default=0,
                               validators=[Optional(), NumberRange(min=0, max=100)])
    partners = FieldList(FormField(PartnerForm), min_entries=PARTNER_ROWS, max_entries=MAX_PARTNER_ROWS)
    base_revision = HiddenField()

    def setup(self, requires: list[tuple[str, str]], providers=None, *, new: bool):
        """Fill the choices: industries, the published courses to require (and any the file already names), and
        for an admin making a course, the providers."""
        self.industry.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(s["letter"], f"{s['letter']} – {s['name']}") for s in load("industries")["sections"]]
        known = dict(requires)
        for slug in self.requires.data or []:
            known.setdefault(slug, slug)
        self.requires.choices = [SelectChoice(slug, slug) for slug in known]  # other providers' courses: by slug
        if providers is not None:
            self.provider_id.choices = [SelectChoice(str(p.id), p.name) for p in providers]
        if not new and "slug" in self:
            del self.slug
        if (providers is None or len(providers) < 2) and "provider_id" in self:
            del self.provider_id
        return self

    def validate_requires(self, field):
        if any(not SLUG_RE.fullmatch(slug or "") for slug in field.data or []):
            raise ValidationError(_l("Choose among the courses listed."))

    def values(self) -> dict:
        """The settings as services/course_text.py reads them."""
        return {
            "slug": (self.slug.data or "").strip() if "slug" in self else "",
            "title": self.title.data or "", "summary": normalise(self.summary.data or ""),
            "industry": self.industry.data or "", "stage": self.stage.data, "language": self.language.data,
            "audience": self.audience.data, "estimated_minutes": self.estimated_minutes.data,
            "requires": list(self.requires.data or []), "pass_mark": self.pass_mark.data,
            "show_answers": self.show_answers.data, "attempts_per_day": self.attempts_per_day.data or 0,
            "certificate_enabled": bool(self.certificate_enabled.data), "signer_name": self.signer_name.data or "",
            "signer_title": self.signer_title.data or "", "valid_years": self.valid_years.data or 0,
            "partners": [{"name": p.form.name.data or "", "role": p.form.role.data or "", "url": p.form.url.data or ""}
                         for p in self.partners],
        }

    @staticmethod
    def data_from(settings: dict, base_revision: int | None = None, extra_rows: int = PARTNER_ROWS) -> dict:
        """Form data (for `data=`) from settings read out of course.toml."""
        partners = list(settings.get("partners") or [])
        partners += [{"name": "", "role": "", "url": ""}] * extra_rows
        return {**settings, "partners": partners[:MAX_PARTNER_ROWS], "base_revision": base_revision}


class SourceForm(FlaskForm):
    """The whole file as text (the advanced editor)."""

    source = TextAreaField(_l("The whole file"))
    base_revision = HiddenField()


class QuestionForm(Form):
    prompt = StringField(_l("Question"), validators=[Length(max=1000), _one_line])
    correct = TextAreaField(_l("Right answers (one per line)"), validators=[Length(max=5000)], render_kw={"rows": 3})
    wrong = TextAreaField(_l("Wrong answers (one per line)"), validators=[Length(max=5000)], render_kw={"rows": 3})
    explain = TextAreaField(_l("Explanation shown after answering (optional)"), validators=[Length(max=5000)])


class ModuleForm(FlaskForm):
    """A module's front matter as fields, and its Markdown body."""

    title = StringField(_l("Title"), validators=[Length(max=300), _one_line])
    key = StringField(_l("Key"), validators=[Optional(), Regexp(KEY_RE, message=_l(
        "A key may only hold lower-case letters a-z, digits and dashes (at most 64)."))])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(min=0, max=10000)])
    objectives = TextAreaField(_l("Objectives (one per line)"), validators=[Length(max=20000)], render_kw={"rows": 4})
    tasks = TextAreaField(_l("Tasks the learner ticks off (one per line)"), validators=[Length(max=20000)],
                          render_kw={"rows": 4})
    pass_mark = FloatField(_l("Quiz pass mark (empty: the course's)"), validators=[Optional(), _fraction])
    questions = FieldList(FormField(QuestionForm), min_entries=0, max_entries=MAX_QUESTION_ROWS)
    body = TextAreaField(_l("Text (Markdown)"))
    base_revision = HiddenField()

    def values(self) -> dict:
        return {
            "title": self.title.data or "", "key": (self.key.data or "").strip(), "minutes": self.minutes.data,
            "objectives": lines_of(self.objectives.data), "tasks": lines_of(self.tasks.data),
            "pass_mark": self.pass_mark.data,
            "questions": [{"prompt": q.form.prompt.data or "", "correct": lines_of(q.form.correct.data),
                           "wrong": lines_of(q.form.wrong.data), "explain": q.form.explain.data or ""}
                          for q in self.questions],
            "body": normalise(self.body.data or ""),
        }

    @staticmethod
    def data_from(values: dict, base_revision: int | None = None) -> dict:
        """Form data (for `data=`) from a module's values (services/course_text.module_fields)."""
        return {
            **values, "objectives": "\n".join(values.get("objectives") or []),
            "tasks": "\n".join(values.get("tasks") or []),
            "questions": [{"prompt": q.get("prompt", ""), "correct": "\n".join(q.get("correct") or []),
                           "wrong": "\n".join(q.get("wrong") or []), "explain": q.get("explain", "")}
                          for q in values.get("questions") or []],
            "base_revision": base_revision,
        }


class AddModuleForm(FlaskForm):
    title = StringField(_l("Title of the new module"), validators=[DataRequired(_l("Give the module a title.")),
                                                                    Length(max=300)])


class RenameModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the module a title.")), Length(max=300),
                                                 _one_line])
    key = StringField(_l("Key"), validators=[Optional(), Regexp(KEY_RE, message=_l(
        "A key may only hold lower-case letters a-z, digits and dashes (at most 64)."))])


class ActionForm(FlaskForm):
    """A button that posts (move, remove): only the CSRF token."""

    direction = HiddenField()
