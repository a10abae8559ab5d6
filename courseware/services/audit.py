"""The audit log: services that change roles, firms and certificates record who did what (AuditEvent)."""
from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from ..errors import PermissionDenied
from ..extensions import db
from ..models import AuditEvent, utcnow

# Every action written, in one place, with its name on the admin page (which filters by these).
ACTIONS = {
    "role.change": _l("Role changed"),
    "firm.verify": _l("Firm verified"),
    "firm.appoint_contact": _l("New contact person"),
    "firm.remove_member": _l("Member removed from a firm"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.restore": _l("Certificate restored"),
    "mfa.enable": _l("Two-step login turned on"),
    "mfa.disable": _l("Two-step login turned off"),
    "mfa.recovery_codes": _l("New recovery codes"),
    "workshop.machine_add": _l("Maker space machine added"),
    "workshop.course_grants": _l("Course linked to maker space machines"),
    "workshop.sign_off": _l("Maker space sign-off"),
    "workshop.withdraw": _l("Maker space sign-off withdrawn"),
}
# The actions a person takes on their own account: deleted with the account (they are theirs, not administration).
OWN_ACTIONS = ("mfa.enable", "mfa.disable", "mfa.recovery_codes")


def record(actor, action: str, target_type: str, target_id: int | None, detail: dict | None = None,
           now=None) -> AuditEvent:
    """Add an audit event for `actor` (a User, or None for the system). The client address comes from
    `g.client_address`, which the web layer sets per request (services do not read the request)."""
    ip = g.get("client_address") if has_app_context() else None
    event = AuditEvent(actor_id=getattr(actor, "id", None), actor_email=getattr(actor, "email", "") or "",
                       action=action, target_type=target_type, target_id=target_id, detail=detail or {},
                       at=now or utcnow(), ip=ip)
    db.session.add(event)
    db.session.flush()
    return event


def list_events(actor, *, action: str = "", page: int = 1, per_page: int = 50):
    """One page of audit events, newest first, optionally of one action; admins only."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied(_("Only an administrator can do this."))
    query = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at.desc(),
                                                                             AuditEvent.id.desc())
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def forget_person(uid: int) -> None:
    """For account deletion (services/privacy.py): drop the person's own-account events, and the person's address
    and id from the events that administrators took about them. The actions stay (who changed a role, removed a
    member), and so do the actions the person took as an administrator, under the address they had then: an
    administrator's actions are the service's record, not the administrator's data."""
    db.session.execute(delete(AuditEvent).where(AuditEvent.action.in_(OWN_ACTIONS), AuditEvent.target_type == "user",
                                                AuditEvent.target_id == uid), execution_options={"synchronize_session": False})
    about = db.session.scalars(select(AuditEvent).where(or_(
        (AuditEvent.target_type == "user") & (AuditEvent.target_id == uid),
        AuditEvent.action.in_(("firm.appoint_contact", "firm.remove_member")))))
    for event in about:
        if event.target_type == "user" or (event.detail or {}).get("user_id") == uid:
            detail = {k: v for k, v in (event.detail or {}).items() if k not in ("email", "user_id")}
            event.detail = {**detail, "deleted_account": True}
            if event.target_type == "user":
                event.target_id = None
    db.session.flush()
