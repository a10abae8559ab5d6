"""Invitations to join a firm: the contact person e-mails colleagues a one-time link that expires.

Only the sha256 of a link's token is stored, so a database leak does not leak working links.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Firm, FirmInvitation, User, utcnow
from . import outbox
from .accounts import normalise_email
from .certificates import issue_waiting
from .enrolment import enrol_from_invitation
from .firms import can_manage_firm
from .mail import absolute_url, send_mail
from .membership import join, require_can_join

MAX_ADDRESSES = 50
_SEPARATORS = re.compile(r"[\s,;]+")


def token_hash(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256((token or "").encode()).hexdigest()


def invitation_url(token: str) -> str:
    """The absolute link an invited colleague opens: BASE_URL/firm/join/<token>."""
    return absolute_url("firm.join", token=token)


def parse_addresses(text: str) -> list[str]:
    """Normalised, unique e-mail addresses from one-per-line (or comma-separated) text; InvalidInput lists bad ones."""
    addresses, invalid = [], []
    for raw in _SEPARATORS.split(text or ""):
        if not raw:
            continue
        try:
            address = normalise_email(validate_email(raw, check_deliverability=False).normalized)
        except EmailNotValidError:
            invalid.append(raw)
            continue
        if address not in addresses:
            addresses.append(address)
    if invalid:
        raise InvalidInput(
            _("These addresses are not valid: %(addresses)s", addresses=", ".join(invalid)), field="emails"
        )
    if not addresses:
        raise InvalidInput(_("Enter at least one e-mail address."), field="emails")
    if len(addresses) > MAX_ADDRESSES:
        raise InvalidInput(_("You can invite at most %(n)d people at a time.", n=MAX_ADDRESSES), field="emails")
    return addresses


@dataclass
class InviteResult:
    invited: list[str] = field(default_factory=list)
    already_members: list[str] = field(default_factory=list)


def invite_colleagues(actor, firm: Firm, text: str, *, now: datetime | None = None) -> InviteResult:
    """Invite the addresses in `text` to the firm and e-mail each a link; one invited before gets a fresh link."""
    if not can_manage_firm(actor, firm):
        raise PermissionDenied(_("Only the firm's contact person can invite colleagues."))
    addresses = parse_addresses(text)
    now = now or utcnow()
    members = set(
        db.session.execute(
            select(User.email).where(User.firm_id == firm.id, User.email.in_(addresses))
        ).scalars()
    )
    pending = {
        invitation.email: invitation
        for invitation in db.session.execute(
            select(FirmInvitation).where(
                FirmInvitation.firm_id == firm.id,
                FirmInvitation.email.in_(addresses),
                FirmInvitation.accepted_at.is_(None),
                FirmInvitation.course_id.is_(None),
            )
        ).scalars()
    }
    result = InviteResult()
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    for address in addresses:
        if address in members:
            result.already_members.append(address)
            continue
        invitation = pending.get(address)
        if invitation is None:
            invitation = FirmInvitation(firm_id=firm.id, email=address)
            db.session.add(invitation)
        token = secrets.token_urlsafe(32)
        invitation.token_hash = token_hash(token)  # a fresh link; the old one stops working
        invitation.created_at = now
        invitation.invited_by_id = actor.id
        # Sent once the transaction commits (never for a rolled-back one), with plain values captured now.
        outbox.queue(send_invitation, address, firm_name=firm.name, inviter_name=actor.name,
                     url=invitation_url(token), days=days)
        result.invited.append(address)
    db.session.flush()
    return result


def send_invitation(address: str, *, firm_name: str, **context) -> bool:
    """E-mail one invitation to join a firm (plain text and HTML)."""
    subject = _l("Invitation to join %(firm)s on Courseware", firm=firm_name)
    return send_mail(address, subject, "invitation", firm_name=firm_name, **context)


def is_expired(invitation: FirmInvitation, now: datetime | None = None) -> bool:
    """Whether the invitation's link is older than INVITATION_MAX_AGE."""
    max_age = timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])
    return invitation.created_at + max_age < (now or utcnow())


def get_invitation(token: str, *, now: datetime | None = None) -> FirmInvitation:
    """The usable invitation for a link token (with its firm loaded); NotFound/Conflict say why it cannot be used."""
    invitation = db.session.execute(
        select(FirmInvitation)
        .options(joinedload(FirmInvitation.firm))
        .where(FirmInvitation.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Ask your contact person to send a new one."))
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been used."))
    if is_expired(invitation, now):
        raise NotFound(_("This invitation has expired. Ask your contact person to send a new one."))
    return invitation


def is_addressed_to(user, invitation: FirmInvitation) -> bool:
    """Whether the invitation was sent to this account's address (only that account may use it)."""
    return normalise_email(user.email) == normalise_email(invitation.email)


@dataclass
class Acceptance:
    invitation: FirmInvitation
    joined: bool  # False when the person was in the firm already, or stays in another firm (a course invitation)
    enrolled: bool


def accept_invitation(user, token: str, *, now: datetime | None = None) -> Acceptance:
    """Use an invitation: join its firm (and its course, for a provider's invitation); the link works once.

    Only the account with the invited address may use it, and using it proves that address. A provider's course
    invitation enrols a member of another firm without moving them; a firm's own invitation needs them to leave
    their firm first. A conditional UPDATE claims the invitation, so two tabs or a double click cannot both use it.
    """
    now = now or utcnow()
    invitation = get_invitation(token, now=now)
    if not is_addressed_to(user, invitation):
        raise PermissionDenied(_("This invitation was sent to %(email)s. Log in with that address to use it.",
                                 email=invitation.email))
    if user.email_verified_at is None:  # the link reached the address, so the address is theirs
        user.email_verified_at = now
        db.session.flush()
        issue_waiting(user)
    firm, joined = invitation.firm, False
    if user.firm_id is None or invitation.course_id is None:
        require_can_join(user, firm)
        if user.firm_id is None:
            join(user, firm, invited_by_id=invitation.invited_by_id, now=now)
            joined = True
    claimed = db.session.execute(
        update(FirmInvitation)
        .where(FirmInvitation.id == invitation.id, FirmInvitation.accepted_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("This invitation has already been used."))
    invitation.accepted_at = now
    db.session.flush()
    return Acceptance(invitation, joined, enrol_from_invitation(user, invitation) is not None)
