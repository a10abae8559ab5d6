"""Invitations for a provider's staff: an administrator e-mails a one-time link that makes the person an author.

Only the sha256 of a link's token is stored (services/invitations.token_hash), so a database leak does not leak
working links. A link works once, until it expires (STAFF_INVITATION_DAYS) or an administrator revokes it. Opened
by someone without an account, it creates one (role author, the provider, the address counted as confirmed: the
link reached it); opened by the owner of an existing account, logged in, it makes a learner an author of the
provider. An author of another provider is refused (an administrator moves them), and an administrator stays one.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Provider, StaffInvitation, User, utcnow
from . import outbox
from .accounts import create_user, find_user_by_email, normalise_email, validated_email
from .certificates import issue_waiting
from .invitations import token_hash
from .mail import absolute_url, send_mail
from .roles import require_admin
from .validation import validate_name


def invitation_days() -> int:
    return int(current_app.config["STAFF_INVITATION_DAYS"])


def expires_at(invitation: StaffInvitation) -> datetime:
    """When the invitation's link stops working."""
    return invitation.created_at + timedelta(days=invitation_days())


def is_expired(invitation: StaffInvitation, now: datetime | None = None) -> bool:
    return expires_at(invitation) < (now or utcnow())


def invitation_url(token: str) -> str:
    """The absolute link the invited person opens: BASE_URL/auth/staff-invitation/<token>."""
    return absolute_url("auth.staff_invitation", token=token)


# --- the administrator's side -----------------------------------------------------------------------------------

def list_pending(actor, provider: Provider) -> list[StaffInvitation]:
    """The provider's invitations that are neither used nor revoked (expired ones too, marked by the page)."""
    require_admin(actor)
    return list(db.session.execute(
        select(StaffInvitation)
        .where(StaffInvitation.provider_id == provider.id, StaffInvitation.accepted_at.is_(None),
               StaffInvitation.revoked_at.is_(None))
        .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
    ).scalars())


def invite_staff(actor, provider: Provider, *, name: str, email: str, now: datetime | None = None) -> StaffInvitation:
    """Invite someone to write the provider's courses and e-mail them the link (after the commit); admins only.
    Inviting an address again gives its pending invitation a fresh link (the old one stops working)."""
    require_admin(actor)
    now = now or utcnow()
    errors = {}
    try:
        name = validate_name(name)
    except InvalidInput as error:
        errors["name"] = error.message
    try:
        email = validated_email(email)
    except InvalidInput as error:
        errors["email"] = error.message
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field, errors=errors)
    existing = find_user_by_email(email)
    if existing is not None and existing.role == "author" and existing.provider_id == provider.id:
        raise Conflict(_("%(email)s is already an author for %(provider)s.", email=email, provider=provider.name),
                       field="email")
    invitation = db.session.execute(
        select(StaffInvitation).where(StaffInvitation.provider_id == provider.id, StaffInvitation.email == email,
                                      StaffInvitation.accepted_at.is_(None), StaffInvitation.revoked_at.is_(None))
    ).scalars().first()
    if invitation is None:
        invitation = StaffInvitation(provider_id=provider.id, email=email)
        db.session.add(invitation)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.name, invitation.created_at, invitation.invited_by_id = name, now, actor.id
    db.session.flush()
    # Sent once the transaction commits (never for a rolled-back one), with plain values captured now.
    outbox.queue(send_staff_invitation, email, name=name, provider_name=provider.name, inviter_name=actor.name,
                 url=invitation_url(token), days=invitation_days())
    return invitation


def send_staff_invitation(address: str, *, provider_name: str, **context) -> bool:
    """E-mail one staff invitation (plain text and HTML)."""
    subject = _l("Write courses for %(provider)s on Courseware", provider=provider_name)
    return send_mail(address, subject, "staff_invitation", provider_name=provider_name, **context)


def revoke_invitation(actor, provider: Provider, invitation_id: int, *, now: datetime | None = None) -> StaffInvitation:
    """Make a pending invitation's link stop working; admins only. NotFound when it is not pending."""
    require_admin(actor)
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.provider_id != provider.id:
        raise NotFound(_("The invitation does not exist."))
    revoked = db.session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, StaffInvitation.accepted_at.is_(None),
               StaffInvitation.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if revoked != 1:
        raise Conflict(_("The invitation has already been used or revoked."))
    db.session.refresh(invitation)
    return invitation


# --- the invited person's side ----------------------------------------------------------------------------------

def find_invitation(token: str) -> StaffInvitation | None:
    """The invitation a link's token belongs to (with its provider), used or not, or None."""
    return db.session.execute(
        select(StaffInvitation).options(joinedload(StaffInvitation.provider))
        .where(StaffInvitation.token_hash == token_hash(token))
    ).scalar_one_or_none()


def get_invitation(token: str, *, now: datetime | None = None) -> StaffInvitation:
    """The usable invitation for a link token; NotFound (unknown, revoked, expired) or Conflict (used) say why not."""
    invitation = find_invitation(token)
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(_("This invitation link is not valid. Ask the administrator who invited you for a new one."))
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been used. Log in to open the studio."),
                       accepted_by_id=invitation.accepted_by_id)
    if is_expired(invitation, now):
        raise NotFound(_("This invitation has expired. Ask the administrator who invited you for a new one."))
    return invitation


def is_addressed_to(user, invitation: StaffInvitation) -> bool:
    """Whether the invitation was sent to this account's address (only that account may use it)."""
    return normalise_email(user.email) == normalise_email(invitation.email)


def refusal(user, invitation: StaffInvitation) -> str | None:
    """Why this account (with the invited address) cannot accept, or None when it can."""
    if user.role == "author" and user.provider_id and user.provider_id != invitation.provider_id:
        return _("You are already an author for another provider. An administrator must move you to "
                 "%(provider)s.", provider=invitation.provider.name)
    if user.role == "funder":
        return _("Your account has the funder role. Ask an administrator to make you an author for "
                 "%(provider)s.", provider=invitation.provider.name)
    return None


def account_for(invitation: StaffInvitation) -> User | None:
    """The account that has the invited address, if there is one."""
    return find_user_by_email(invitation.email)


def _claim(invitation: StaffInvitation, user_id: int | None, now: datetime) -> None:
    # One conditional UPDATE: two tabs or a double click cannot both use the link.
    claimed = db.session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, StaffInvitation.accepted_at.is_(None),
               StaffInvitation.revoked_at.is_(None))
        .values(accepted_at=now, accepted_by_id=user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("This invitation has already been used. Log in to open the studio."))
    invitation.accepted_at, invitation.accepted_by_id = now, user_id


def accept_with_new_account(token: str, *, name: str, password: str, now: datetime | None = None) -> User:
    """Create the invited person's account: an author of the provider, the address confirmed (the link reached
    it). Conflict when an account has the address already (its owner logs in and accepts) or the link was used."""
    now = now or utcnow()
    invitation = get_invitation(token, now=now)
    if account_for(invitation) is not None:
        raise Conflict(_("There is already an account with %(email)s. Log in with it to accept the invitation.",
                         email=invitation.email))
    _claim(invitation, None, now)
    user = create_user(email=invitation.email, name=name, password=password, role="author",
                       provider=invitation.provider, verified=True, now=now)
    invitation.accepted_by_id = user.id
    db.session.flush()
    return user


@dataclass
class Acceptance:
    invitation: StaffInvitation
    changed: bool  # False for an administrator, or an author of the provider already


def accept_invitation(user, token: str, *, now: datetime | None = None) -> Acceptance:
    """Use an invitation with the logged-in account it was sent to: a learner (or an author without a provider)
    becomes an author of the provider; an administrator stays one. The link works once."""
    now = now or utcnow()
    invitation = get_invitation(token, now=now)
    if not is_addressed_to(user, invitation):
        raise PermissionDenied(_("This invitation was sent to %(email)s. Log in as %(email)s to accept it.",
                                 email=invitation.email))
    reason = refusal(user, invitation)
    if reason:
        raise PermissionDenied(reason)
    _claim(invitation, user.id, now)
    if user.email_verified_at is None:  # the link reached the address, so the address is theirs
        user.email_verified_at = now
        db.session.flush()
        issue_waiting(user)
    changed = not user.is_admin and (user.role, user.provider_id) != ("author", invitation.provider_id)
    if changed:
        user.role, user.provider_id = "author", invitation.provider_id
    db.session.flush()
    return Acceptance(invitation, changed)
