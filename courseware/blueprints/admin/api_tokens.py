"""/admin/api-tokens: administrators create API tokens for funders' programs (the secret is shown once), see when
each was last used, and revoke them."""
from datetime import datetime, time, timezone

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import DomainError
from ...extensions import db
from ...models import utcnow
from ...services import api_tokens
from . import bp
from .forms import ApiTokenForm, ConfirmForm


def _expiry(day) -> datetime | None:
    """The end of the chosen day (UTC), or None for a token that lasts until revoked."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc) if day else None


@bp.route("/api-tokens")
def api_token_list():
    return render_template("admin/api_tokens.html", tokens=api_tokens.list_tokens(current_user),
                           form=ApiTokenForm(), scopes=api_tokens.SCOPES, now=utcnow())


@bp.route("/api-tokens", methods=["POST"])
def create_api_token():
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_token(current_user, name=form.name.data, scopes=form.scopes.data,
                                                    expires_at=_expiry(form.expires_on.data))
        except DomainError as error:
            db.session.rollback()
            form.errors_from(error)
        else:
            db.session.commit()
            # The secret is in this response only: never in a flash message (the session cookie) or a cache.
            return render_template("admin/api_token_created.html", token=token, secret=secret), 200, {
                "Cache-Control": "no-store"}
    return render_template("admin/api_tokens.html", tokens=api_tokens.list_tokens(current_user), form=form,
                           scopes=api_tokens.SCOPES, now=utcnow()), 400


@bp.route("/api-tokens/<int:token_id>/revoke")
def confirm_revoke_api_token(token_id):
    return render_template("admin/api_token_revoke.html", token=api_tokens.get_token(token_id), form=ConfirmForm())


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id):
    token = api_tokens.get_token(token_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for(".confirm_revoke_api_token", token_id=token_id))
    try:
        api_tokens.revoke_token(current_user, token)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(_("The token %(name)s is revoked. Programs using it are refused from now on.", name=token.name),
              "success")
    return redirect(url_for(".api_token_list"))
