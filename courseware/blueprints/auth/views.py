"""Log in and out, register, reset a forgotten password, and create the first admin."""
from functools import wraps

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, DomainError, InvalidInput
from ...extensions import db, limiter
from ...services import accounts, verification
from ...web.login import log_in, log_out
from ...web.next_url import safe_next, safe_next_url
from . import bp
from .forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, SetupForm
from .throttle import LoginGate


def _rate_limited(view):
    """POSTs to this view count against LOGIN_RATE_LIMIT per client address (mail bombing, hashing work)."""
    return limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=get_remote_address
    )(view)


def _anonymous_only(view):
    """Someone already logged in has no use for the login or register page: send them on."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return view(*args, **kwargs)

    return wrapper


@bp.context_processor
def _password_rules():
    return {"min_password_length": accounts.MIN_PASSWORD_LENGTH}


def _email_taken() -> str:
    return _("There is already an account with this e-mail address. Log in, or ask for a new password.")


@bp.route("/login", methods=["GET", "POST"])
@_anonymous_only
def login():
    """Log in. Attempts are limited per account and per client address, or per device cookie (see throttle)."""
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        gate = LoginGate(form.email.data)
        wait = gate.retry_after()
        if wait is not None:
            form.form_errors.append(_("Too many failed attempts to log in to this account. Wait a few minutes and "
                                      "try again, or choose a new password."))
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            gate.failed()
            # One message for an unknown address and a wrong password, so the form does not reveal who has an account.
            form.form_errors.append(_("The e-mail address or the password is wrong."))
        else:
            gate.succeeded()
            log_in(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    log_out()
    flash(_("You are logged out."), "success")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
@_anonymous_only
@_rate_limited
def register():
    """Register. A new address gets an account and a confirmation link, a taken one an e-mail to its owner; the
    page answers the same either way ("check your inbox"), so it tells nobody which addresses have accounts.

    Nobody is logged in here (that would tell a new address from a taken one): the new account is logged in when
    its owner opens the confirmation link, which also takes them to `next` (e.g. the course page they came from).
    """
    form = RegisterForm(next=request.args.get("next"), email=request.args.get("email"))
    if form.validate_on_submit():
        try:
            verification.register(email=form.email.data, name=form.name.data, password=form.password.data,
                                  next_url=safe_next_url(form.next.data))
        except InvalidInput as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            return redirect(url_for(".check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/check-inbox")
def check_inbox():
    return render_template("auth/check_inbox.html")


@bp.route("/confirm/<token>")
def confirm_email(token):
    """Open the link from a confirmation e-mail: the address is confirmed, logged in or not. A new account that has
    never logged in is logged in by it (the first time only); then on to where the person started."""
    try:
        confirmed = verification.confirm_email(token)
    except InvalidInput as error:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=error.message, offer_login=True), 400
    db.session.commit()
    user, target = confirmed.user, safe_next_url(confirmed.next_url)
    if not current_user.is_authenticated and confirmed.newly and user.last_login_at is None:
        log_in(user)
    flash(_("Your e-mail address %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(target or url_for("public.index"))
    return redirect(url_for(".login", next=target))


@bp.route("/confirm", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["CONFIRM_RESEND_RATE_LIMIT"], key_func=lambda: f"user:{current_user.id}")
def resend_confirmation():
    """Send the confirmation link again (the notice where an unconfirmed person would enrol)."""
    back = safe_next_url(request.form.get("next"))
    if FlaskForm().validate_on_submit() and verification.resend_confirmation(current_user, back):
        db.session.commit()
        flash(_("We have sent a new link to %(email)s. Open it to confirm your address; check the spam folder "
                "too.", email=current_user.email), "info")
    return redirect(back or url_for("learner.profile"))


@bp.route("/reset", methods=["GET", "POST"])
@_rate_limited
def forgot_password():
    """Ask for a reset link: the same work and the same answer whether or not the address has an account (the
    lookup and the e-mail happen after the response; see accounts.request_password_reset)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If %(email)s has an account, we have sent a link for choosing a new password to it. "
                "Check your inbox, and the spam folder.", email=form.email.data), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = accounts.verify_reset_token(token)
    except InvalidInput as error:
        return render_template("auth/link_invalid.html", message=error.message, offer_reset=True), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.complete_password_reset(user, form.password.data)
        log_in(user)
        flash(_("Your new password is saved, and you are logged in."), "success")
        return redirect(url_for("public.index"))
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    if accounts.admin_exists():
        return render_template("auth/setup_done.html")
    if accounts.find_setup_token(token) is None:
        message = _("The setup link is not valid or has already been used.")
        return render_template("auth/link_invalid.html", message=message, offer_reset=False), 404
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_first_admin(
                token, email=form.email.data, name=form.name.data, password=form.password.data
            )
            db.session.commit()
        except (DomainError, IntegrityError) as error:
            db.session.rollback()
            return _setup_failed(token, form, error)
        log_in(user)
        flash(_("The administrator account is ready, and you are logged in."), "success")
        return redirect(url_for("admin.index"))
    return render_template("auth/setup.html", form=form, token=token)


def _setup_failed(token, form, error):
    """Someone else finished setup meanwhile, or the address is taken: show which, never a 500."""
    if accounts.admin_exists():
        return render_template("auth/setup_done.html")
    if isinstance(error, (Conflict, IntegrityError)):
        form.email.errors.append(_email_taken())
    else:
        form.form_errors.append(getattr(error, "message", "") or _("The account could not be created."))
    return render_template("auth/setup.html", form=form, token=token)
