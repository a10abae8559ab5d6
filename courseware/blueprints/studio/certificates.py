"""The studio's certificate pages: a personal or firm certificate with its audit log, and revoking or restoring it.

Admins, and the staff of the provider that issued the certificate; services/certificate_admin.py decides.
"""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length

from ...errors import DomainError
from ...extensions import db
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


# kind -> (the service that finds it for the actor, the endpoint of its page, that endpoint's argument)
_KINDS = {
    "personal": (certificate_admin.get_certificate_for, ".certificate", "certificate_id"),
    "firm": (certificate_admin.get_firm_certificate_for, ".firm_certificate", "firm_certificate_id"),
}


def _page(kind: str, certificate_id: int):
    get = _KINDS[kind][0]
    certificate = get(current_user, certificate_id)
    return render_template("studio/certificate.html", kind=kind, cert=certificate,
                           events=certificate_admin.list_events(certificate), revoke_form=RevokeForm(),
                           restore_form=RestoreForm(), note_help=_NOTE_HELP)


def _act(kind: str, certificate_id: int, form_class, action, done: str):
    get, endpoint, argument = _KINDS[kind]
    certificate = get(current_user, certificate_id)
    form = form_class()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    else:
        try:
            action(certificate, form)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for(endpoint, **{argument: certificate_id}))


def _revoke(certificate, form):
    certificate_admin.revoke(current_user, certificate, form.reason.data, form.note.data)


def _restore(certificate, form):
    certificate_admin.restore(current_user, certificate, form.note.data)


@bp.route("/certificates/<int:certificate_id>")
def certificate(certificate_id):
    return _page("personal", certificate_id)


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
def revoke_certificate(certificate_id):
    return _act("personal", certificate_id, RevokeForm, _revoke,
                _("The certificate is revoked. Its public page says so now."))


@bp.route("/certificates/<int:certificate_id>/restore", methods=["POST"])
def restore_certificate(certificate_id):
    return _act("personal", certificate_id, RestoreForm, _restore, _("The certificate is valid again."))


@bp.route("/firm-certificates/<int:firm_certificate_id>")
def firm_certificate(firm_certificate_id):
    return _page("firm", firm_certificate_id)


@bp.route("/firm-certificates/<int:firm_certificate_id>/revoke", methods=["POST"])
def revoke_firm_certificate(firm_certificate_id):
    return _act("firm", firm_certificate_id, RevokeForm, _revoke,
                _("The certificate is revoked. Its public page says so now."))


@bp.route("/firm-certificates/<int:firm_certificate_id>/restore", methods=["POST"])
def restore_firm_certificate(firm_certificate_id):
    return _act("firm", firm_certificate_id, RestoreForm, _restore, _("The certificate is valid again."))
