"""The studio's certificate pages: a personal or firm certificate with its audit log, and revoking or restoring it.

Admins, and the staff of the provider that issued the certificate; services/certificate_admin.py decides.
"""
from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length

from ...errors import DomainError
from ...extensions import db
from ...models import Certificate
from ...services import certificate_admin
from ...services.certificate_status import REASON_LABELS
from . import bp

_NOTE_HELP = _l("For the audit log only: the learner and the public do not see it.")


class RevokeForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=[SelectChoice(r, REASON_LABELS[r])
                                                for r in certificate_admin.STAFF_REASONS])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=certificate_admin.MAX_NOTE_LENGTH)])
    submit = SubmitField(_l("Revoke the certificate"))


class RestoreForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=certificate_admin.MAX_NOTE_LENGTH)])
    submit = SubmitField(_l("Restore the certificate"))


REVOKED = _l("The certificate is revoked. Its public page says so now.")
RESTORED = _l("The certificate is valid again.")


def _page(get, certificate_id: int):
    certificate = get(current_user, certificate_id)
    kind = "personal" if isinstance(certificate, Certificate) else "firm"
    return render_template("studio/certificate.html", kind=kind, cert=certificate,
                           events=certificate_admin.list_events(certificate), revoke_form=RevokeForm(),
                           restore_form=RestoreForm(), note_help=_NOTE_HELP)


def _act(get, certificate_id: int, form, action, done) -> None:
    """Validate the form and run the action on the certificate; one flashed message either way."""
    certificate = get(current_user, certificate_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return
    try:
        action(certificate, form)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(str(done), "success")


def _revoke(certificate, form):
    certificate_admin.revoke(current_user, certificate, form.reason.data, form.note.data)


def _restore(certificate, form):
    certificate_admin.restore(current_user, certificate, form.note.data)


def _routes(get, prefix: str, argument: str, name: str) -> None:
    """A kind of certificate's page (/studio/<prefix>/<id>) and its revoke and restore forms (POST)."""
    def page(**values):
        return _page(get, values[argument])

    def act(form_class, action, done):
        def view(**values):
            _act(get, values[argument], form_class(), action, done)
            return redirect(url_for(f".{name}", **values))
        return view

    rule = f"/{prefix}/<int:{argument}>"
    bp.add_url_rule(rule, name, page)
    bp.add_url_rule(rule + "/revoke", f"revoke_{name}", act(RevokeForm, _revoke, REVOKED), methods=["POST"])
    bp.add_url_rule(rule + "/restore", f"restore_{name}", act(RestoreForm, _restore, RESTORED), methods=["POST"])


_routes(certificate_admin.get_certificate_for, "certificates", "certificate_id", "certificate")
_routes(certificate_admin.get_firm_certificate_for, "firm-certificates", "firm_certificate_id", "firm_certificate")
