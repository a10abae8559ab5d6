"""Log in and out, register, reset a forgotten password, and create the first admin."""
from functools import wraps

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, DomainError, InvalidInput
from ...extensions import db, limiter
from ...services import accounts
from . import bp
from .forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, SetupForm
from ...web.next_url import safe_next


def _rate_limited(view):
    """POSTs to this view count against LOGIN_RATE_LIMIT per client address (guessing passwords, mail bombing)."""
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
@_rate_limited
def login():
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for an unknown address and a wrong password, so the form does not reveal who has an account.
            form.form_errors.append(_("The e-mail address or the password is wrong."))
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            db.session.commit()
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
@_anonymous_only
@_rate_limited
def register():
    form = RegisterForm(next=request.args.get("next"), email=request.args.get("email"))
    if form.validate_on_submit():
        try:
            user = accounts.create_user(email=form.email.data, name=form.name.data, password=form.password.data)
            accounts.record_login(user)
            db.session.commit()
        except (Conflict, IntegrityError):  # IntegrityError: someone registered the address a moment ago
            db.session.rollback()
            form.email.errors.append(_email_taken())
        except InvalidInput as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            login_user(user)
            accounts.send_welcome(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/register.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@_rate_limited
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.send_password_reset(form.email.data)
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
        accounts.set_password(user, form.password.data)
        accounts.record_login(user)
        db.session.commit()
        login_user(user)
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
            accounts.record_login(user)
            db.session.commit()
        except (DomainError, IntegrityError) as error:
            db.session.rollback()
            return _setup_failed(token, form, error)
        login_user(user)
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
