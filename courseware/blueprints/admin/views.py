"""Admin pages: people (role, provider of an author), firms (verification, contact person), certificates (search by
code; each opens on its studio page). Providers and their staff: providers.py."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import DomainError, PermissionDenied
from ...extensions import db, login_manager
from ...models import ROLES
from ...services import accounts, audit, certificate_admin, firms, membership, orgs, roles
from ...web.inputs import optional_id, page_number
from ...web.next_url import safe_next_url
from . import bp
from .forms import ROLE_LABELS, AppointForm, RoleForm


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        raise PermissionDenied(_("Only administrators can open this page."))
    return None


@bp.context_processor
def _labels():
    return {"role_labels": ROLE_LABELS, "provider_kind_labels": orgs.PROVIDER_KIND_LABELS}


def _page() -> int:
    return page_number()


def _form_failed(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.route("/")
def index():
    return render_template("admin/index.html", counts=roles.overview_counts(current_user))


@bp.route("/users")
def users():
    search, role = request.args.get("q", ""), request.args.get("role", "")
    page = roles.list_users(current_user, search=search, role=role, page=_page())
    return render_template("admin/users.html", page=page, search=search, role=role, roles=ROLES,
                           providers=orgs.list_providers())


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id):
    user = accounts.get_user(user_id)
    form = RoleForm(providers=orgs.list_providers())
    if not form.validate_on_submit():
        _form_failed(form)
    else:
        try:
            roles.change_role(current_user, user, form.role.data, provider_id=form.provider_id.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=user.name), "success")
    return redirect(safe_next_url(request.form.get("back")) or url_for(".users"))


@bp.route("/certificates")
def certificates():
    found = certificate_admin.search(current_user, request.args.get("q", ""))
    return render_template("admin/certificates.html", found=found)


@bp.route("/firms")
def firm_list():
    search, unverified = request.args.get("q", ""), bool(request.args.get("unverified"))
    page = firms.list_firms(current_user, search=search, unverified=unverified, page=_page())
    return render_template("admin/firms.html", page=page, search=search, unverified=unverified)


@bp.route("/firms/<int:firm_id>")
def firm(firm_id):
    the_firm = firms.get_firm(firm_id)
    return render_template("admin/firm.html", firm=the_firm, members=firms.list_members(current_user, the_firm),
                           verifier=firms.find_verifier(the_firm), pending=firms.count_pending_requests(the_firm),
                           form=AppointForm())


@bp.route("/firms/<int:firm_id>/verify", methods=["POST"])
def verify_firm(firm_id):
    the_firm = firms.get_firm(firm_id)
    try:
        firms.verify_firm(current_user, the_firm)
    except DomainError as error:  # verified meanwhile (another admin, another tab)
        db.session.rollback()
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(_("%(firm)s is verified. Its contact person can now answer requests to join.", firm=the_firm.name),
              "success")
    return redirect(url_for(".firm", firm_id=firm_id))


@bp.route("/firms/<int:firm_id>/contact", methods=["POST"])
def appoint_contact(firm_id):
    the_firm = firms.get_firm(firm_id)
    form = AppointForm()
    if not form.validate_on_submit():
        _form_failed(form)
        return redirect(url_for(".firm", firm_id=firm_id))
    try:
        user = membership.hand_over_contact(current_user, the_firm, optional_id(form.user_id.data) or 0)  # 0: nobody
    except DomainError as error:
        flash(getattr(error, "message", "") or _("Choose a member of the firm."), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now the contact person of %(firm)s.", name=user.name, firm=the_firm.name), "success")
    return redirect(url_for(".firm", firm_id=firm_id))



@bp.route("/audit")
def audit_log():
    """The audit log: changes of roles, firms and certificates, and two-step login, newest first."""
    action = request.args.get("action", "")
    page = audit.list_events(current_user, action=action, page=_page())
    return render_template("admin/audit.html", page=page, action=action, actions=audit.ACTIONS)
