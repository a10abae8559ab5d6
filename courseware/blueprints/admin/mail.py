"""/admin/mail: the outbox's failed e-mails (retries exhausted) and the most recent ones; an administrator can send
a failed one again (services/outbox.py)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...errors import DomainError
from ...extensions import db
from ...services import outbox
from . import bp
from .forms import ConfirmForm

STATUS_LABELS = {"pending": _l("Waiting"), "sending": _l("Sending"), "sent": _l("Sent"), "failed": _l("Failed")}


@bp.route("/mail")
def mail():
    failed, recent = outbox.list_messages(current_user)
    return render_template("admin/mail.html", failed=failed, recent=recent, form=ConfirmForm(),
                           status_labels=STATUS_LABELS)


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
def retry_mail(message_id):
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for(".mail"))
    try:
        outbox.retry(current_user, message_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The e-mail will be sent again."), "success")
    return redirect(url_for(".mail"))
