"""Log in and out, register, reset a forgotten password, and create the first admin."""
import time
from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, DomainError, InvalidInput
from ...extensions import db, limiter
from ...models import User
from ...services import accounts, mfa, verification
from ...web.login import log_in, log_out
from ...web.next_url import safe_next, safe_next_url
from . import bp
from .forms import ForgotPasswordForm, LoginCodeForm, LoginForm, RegisterForm, ResetPasswordForm, SetupForm
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
        elif mfa.is_enabled(user):  # the password was right; the device cookie waits for the code too
            return _ask_for_code(user, form.email.data, form.remember.data, form.next.data)
        else:
            gate.succeeded()
            log_in(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


# --- The second step of a login with two-step login on -------------------------------------------------------------

PENDING_KEY = "courseware_mfa_pending"
PENDING_SECONDS = 300  # how long the code step waits after the password


def _ask_for_code(user: User, email: str, remember: bool, next_url: str | None):
    """Remember (in the signed session) whose password was right, with its session stamp, and ask for the code."""
    session[PENDING_KEY] = {"uid": user.id, "stamp": user.session_stamp or "", "email": email,
                            "remember": bool(remember), "next": next_url or "", "until": time.time() + PENDING_SECONDS}
    return redirect(url_for(".login_code"))


def _pending() -> tuple[User | None, dict]:
    """The user waiting for the code step and the saved login, or (None, {}) when there is none, it expired, or
    the account changed meanwhile (a new password, deactivated)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int) \
            or float(pending.get("until") or 0) < time.time():
        return None, {}
    user = db.session.get(User, pending["uid"])
    if user is None or not user.active or (user.session_stamp or "") != pending.get("stamp"):
        return None, {}
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@_anonymous_only
def login_code():
    """Log in, step two: a code from the authenticator app or a recovery code, limited like the password."""
    user, pending = _pending()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Log in with your e-mail address and password first."), "info")
        return redirect(url_for(".login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        gate = LoginGate(pending["email"])
        wait = gate.retry_after()
        if wait is not None:
            form.form_errors.append(_("Too many failed attempts to log in to this account. Wait a few minutes and "
                                      "try again."))
            return render_template("auth/login_code.html", form=form), 429, {"Retry-After": str(wait)}
        if mfa.verify(user, form.code.data):
            session.pop(PENDING_KEY, None)
            gate.succeeded()
            log_in(user, remember=pending["remember"])  # commits the spent code with the login
            return redirect(safe_next(pending["next"] or None))
        db.session.rollback()
        gate.failed()
        form.form_errors.append(_("The code is not right, or it has been used already."))
    return render_template("auth/login_code.html", form=form)


@bp.before_app_request
def _second_factor_first():
    """Where the instance requires a second factor of a role (MFA_REQUIRED_ROLES), such a user without one sets
    it up before anything else. The client address is kept for the audit log (services/audit.py)."""
    g.client_address = request.remote_addr
    if not current_app.config.get("MFA_REQUIRED_ROLES") or request.endpoint in _OPEN_WITHOUT_SECOND_FACTOR:
        return None
    if current_user.is_authenticated and mfa.is_required(current_user) and not mfa.is_enabled(current_user):
        if request.blueprint == "api":
            return None  # bearer tokens, not sessions
        return redirect(url_for("learner.security"))
    return None


_OPEN_WITHOUT_SECOND_FACTOR = {
    None, "static", "auth.logout", "learner.security", "learner.security_start", "learner.security_confirm",
    "public.asset",
}


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
        if mfa.is_enabled(user):  # a reset link is no second factor
            db.session.commit()
            flash(_("Your new password is saved. Enter a code to log in."), "success")
            return _ask_for_code(user, user.email, False, None)
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
