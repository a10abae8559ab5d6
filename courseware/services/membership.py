"""Who belongs to which firm: registering a firm, asking to join one, the contact person's answer, leaving,
removing a member and handing over the contact role.

Joining an existing firm is a request that the firm's verified contact person (or an admin) approves, unless the
person comes through an invitation (invitations.py). Every change is a conditional UPDATE, so a double click, two
tabs or two servers change a membership or decide a request once. Mails go out after the commit (outbox).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import DmaDelegation, Firm, FirmJoinRequest, User, set_loaded, utcnow
from . import audit, outbox
from .accounts import require_verified_email
from .firms import (FirmDetails, can_decide_requests, can_manage_firm, count_pending_requests, find_firm_by_orgnr,
                    get_visible_member, is_contact_of, mail_contacts, may_see_member)
from .mail import absolute_url, send_mail
from .orgs import validate_orgnr
from .register_roles import holds_leading_role
from .upsert import conflict_insert

# After a declined request, the same person may ask the same firm again only after this long (no mail flood).
ASK_AGAIN_AFTER = timedelta(days=7)


def require_can_join(user, firm: Firm | None = None) -> None:
    """Who may register, join or ask to join a firm: learners with a confirmed address, not in another firm."""
    if not user.has_role("learner"):
        raise PermissionDenied(_("Only learners can be registered with a firm."))
    if user.firm_id is not None and (firm is None or user.firm_id != firm.id):
        raise Conflict(_("You are already registered with a firm. Leave it first to join another one."))
    require_verified_email(user)


def join(user, firm: Firm, *, invited_by_id: int | None = None, now: datetime | None = None) -> None:
    """Make `user` an ordinary member of `firm` (a conditional UPDATE); their pending request, if any, is withdrawn.

    `invited_by_id` is whoever sent the invitation the person accepted. Conflict when they are in a firm already.
    """
    joined = db.session.execute(
        update(User).where(User.id == user.id, User.firm_id.is_(None))
        .values(firm_id=firm.id, is_firm_contact=False, firm_invited_by_id=invited_by_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if joined != 1:
        raise Conflict(_("You are already registered with a firm. Leave it first to join another one."))
    set_loaded(user, firm_id=firm.id, is_firm_contact=False, firm_invited_by_id=invited_by_id)
    db.session.execute(
        update(FirmJoinRequest).where(FirmJoinRequest.user_id == user.id, FirmJoinRequest.status == "pending")
        .values(status="withdrawn", decided_at=now or utcnow(), decided_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


# --- Registering a firm --------------------------------------------------------------------------------------------

@dataclass
class Registration:
    firm: Firm
    created: bool
    # When the orgnr was registered already: the request to join it that was sent instead.
    request: FirmJoinRequest | None = None


def register_firm(user, orgnr: str, details: FirmDetails, *, source: str = "manual",
                  now: datetime | None = None) -> Registration:
    """Create the firm with `user` as its contact person, or ask to join it when the orgnr is registered already.

    The contact person is verified at once when their name matches a leading role holder in Brønnøysund's roles
    data (register_roles.py); otherwise an administrator verifies them later. Two people registering the same
    orgnr at once (or one double click) create one firm: the insert is "on conflict do nothing" on the unique
    orgnr, and whoever loses asks to join the winner's firm.
    """
    now = now or utcnow()
    orgnr = validate_orgnr(orgnr)
    require_can_join(user)
    existing = find_firm_by_orgnr(orgnr)
    if existing is not None:
        return Registration(existing, False, request_to_join(user, existing, now=now))
    values = {"orgnr": orgnr, "source": source, **details.__dict__}
    if holds_leading_role(orgnr, user.name):  # asked before anything is written
        values.update(verified_via="register", verified_at=now)
    firm_id = _insert_firm(values)
    if firm_id is None:  # someone else registered it a moment ago
        firm = find_firm_by_orgnr(orgnr)
        if firm is None:  # the other registration was rolled back after all
            raise Conflict(_("The firm could not be registered just now. Please try again."))
        return Registration(firm, False, request_to_join(user, firm, now=now))
    firm = db.session.get(Firm, firm_id)
    join(user, firm, now=now)
    user.is_firm_contact = True
    db.session.flush()
    return Registration(firm, True)


def _insert_firm(values: dict) -> int | None:
    """Insert a firm unless its orgnr exists; the new id, or None when another transaction won."""
    statement = conflict_insert(Firm)
    if statement is not None:
        statement = statement.values(**values).on_conflict_do_nothing(index_elements=["orgnr"]).returning(Firm.id)
        return db.session.execute(statement).scalar_one_or_none()
    try:
        with db.session.begin_nested():
            firm = Firm(**values)
            db.session.add(firm)
        return firm.id
    except IntegrityError:
        return None


# --- Asking to join, and the answer ----------------------------------------------------------------------------------

def find_pending_request(user) -> FirmJoinRequest | None:
    """The person's request to join a firm that waits for an answer (with its firm), or None."""
    return db.session.execute(
        select(FirmJoinRequest).options(joinedload(FirmJoinRequest.firm))
        .where(FirmJoinRequest.user_id == user.id, FirmJoinRequest.status == "pending")
    ).scalar_one_or_none()


def request_to_join(user, firm: Firm, *, now: datetime | None = None) -> FirmJoinRequest:
    """Ask to join an existing firm; the contact person is e-mailed when verified (else the request waits).

    Asking twice (a double click, two tabs) gives the one pending request. A person asks one firm at a time, and
    after a refusal may ask the same firm again only after ASK_AGAIN_AFTER.
    """
    now = now or utcnow()
    require_can_join(user, firm)
    if user.firm_id == firm.id:
        raise Conflict(_("You are already registered with %(firm)s.", firm=firm.name))
    pending = _pending_for(user, firm)
    if pending is not None:
        return pending
    declined_at = db.session.scalar(
        select(FirmJoinRequest.decided_at).where(FirmJoinRequest.user_id == user.id,
                                                 FirmJoinRequest.firm_id == firm.id,
                                                 FirmJoinRequest.status == "declined")
        .order_by(FirmJoinRequest.decided_at.desc()).limit(1)
    )
    if declined_at is not None and declined_at + ASK_AGAIN_AFTER > now:
        raise Conflict(_("Your request to join %(firm)s was declined recently. Talk to the firm's contact person "
                         "before you ask again.", firm=firm.name))
    try:
        with db.session.begin_nested():
            request = FirmJoinRequest(firm_id=firm.id, user_id=user.id, created_at=now)
            db.session.add(request)
    except IntegrityError:  # the same person's other click won
        pending = _pending_for(user, firm)
        if pending is None:
            raise Conflict(_("Your request could not be sent just now. Please try again.")) from None
        return pending
    outbox.queue(send_join_request_mail, request.id)
    return request


def _pending_for(user, firm: Firm) -> FirmJoinRequest | None:
    """The person's pending request when it is for `firm`; Conflict when it is for another firm."""
    pending = find_pending_request(user)
    if pending is not None and pending.firm_id != firm.id:
        raise Conflict(_("You have already asked to join %(firm)s. Withdraw that request first.",
                         firm=pending.firm.name))
    return pending


def withdraw_request(user, request_id: int, *, now: datetime | None = None) -> FirmJoinRequest:
    """The person takes back their own pending request (returned with its firm); Conflict when it was answered."""
    request = db.session.execute(
        select(FirmJoinRequest).options(joinedload(FirmJoinRequest.firm)).where(FirmJoinRequest.id == request_id)
    ).scalar_one_or_none()
    if request is None or request.user_id != user.id:
        raise NotFound(_("We could not find that request."))
    _claim(request, "withdrawn", user, now or utcnow())
    return request


def get_request(actor, request_id: int) -> FirmJoinRequest:
    """A request to join a firm with its firm and person, for whoever manages that firm; NotFound otherwise."""
    request = db.session.execute(
        select(FirmJoinRequest).options(joinedload(FirmJoinRequest.firm), joinedload(FirmJoinRequest.user))
        .where(FirmJoinRequest.id == request_id)
    ).scalar_one_or_none()
    if request is None or not can_manage_firm(actor, request.firm):
        raise NotFound(_("We could not find that request."))
    return request


def decide_request(actor, request_id: int, approve: bool, *, now: datetime | None = None) -> FirmJoinRequest:
    """Approve (the person joins the firm) or decline a pending request, and tell the person by e-mail.

    The verified contact person or an admin decides; an unverified contact cannot (the request waits). A request
    answered already (two tabs, two contact persons) is a Conflict and changes nothing.
    """
    now = now or utcnow()
    request = get_request(actor, request_id)
    if not can_decide_requests(actor, request.firm):
        raise PermissionDenied(_("You can answer requests to join once an administrator has verified you as the "
                                 "firm's contact person."))
    # The person's row first, then the request, in the order join() takes them: a decision racing an invitation
    # the person accepts at the same moment waits for it instead of deadlocking.
    db.session.execute(select(User.id).where(User.id == request.user_id).with_for_update())
    _claim(request, "approved" if approve else "declined", actor, now)
    if approve:
        try:
            join(request.user, request.firm, now=now)
        except Conflict:
            raise Conflict(_("%(name)s has joined another firm in the meantime.", name=request.user.name)) from None
    outbox.queue(send_decision_mail, request.id)
    return request


def _claim(request: FirmJoinRequest, status: str, actor, now: datetime) -> None:
    """Move a pending request to `status` with one conditional UPDATE; Conflict when it is not pending any more."""
    claimed = db.session.execute(
        update(FirmJoinRequest).where(FirmJoinRequest.id == request.id, FirmJoinRequest.status == "pending")
        .values(status=status, decided_at=now, decided_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("This request has already been answered or withdrawn."))
    set_loaded(request, status=status, decided_at=now, decided_by_id=actor.id)


@dataclass
class RequestList:
    firm: Firm
    count: int
    # The people asking (with their users loaded), only for those who may decide: an unverified contact sees a count.
    requests: list[FirmJoinRequest]
    can_decide: bool


def list_requests(actor, firm: Firm) -> RequestList:
    """The pending requests to join `firm`, oldest first, for its contact person and admins (2 queries at most)."""
    if not can_manage_firm(actor, firm):
        raise PermissionDenied(_("Only the firm's contact person can see requests to join."))
    pending = (select(FirmJoinRequest).where(FirmJoinRequest.firm_id == firm.id, FirmJoinRequest.status == "pending")
               .order_by(FirmJoinRequest.created_at, FirmJoinRequest.id))
    if not can_decide_requests(actor, firm):
        return RequestList(firm, count_pending_requests(firm), [], False)
    requests = list(db.session.execute(pending.options(joinedload(FirmJoinRequest.user))).scalars())
    return RequestList(firm, len(requests), requests, True)


# --- Leaving, removing, the contact role ------------------------------------------------------------------------

def _leave(user_id: int, firm_id: int) -> bool:
    """Take a member out of a firm with one conditional UPDATE; False when they were not a member any more.

    A delegation to fill in the firm's digital maturity assessments ends with the membership (services/dma.py)."""
    left = db.session.execute(
        update(User).where(User.id == user_id, User.firm_id == firm_id)
        .values(firm_id=None, is_firm_contact=False, firm_invited_by_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if left:
        db.session.execute(delete(DmaDelegation).where(DmaDelegation.firm_id == firm_id,
                                                       DmaDelegation.user_id == user_id),
                           execution_options={"synchronize_session": False})
    return left


def leave_firm(user) -> None:
    """Take `user` out of their firm; the firm and its other members stay, and so do the user's own records."""
    if user.firm_id is None or not _leave(user.id, user.firm_id):
        raise Conflict(_("You are not registered with a firm."))
    set_loaded(user, firm_id=None, is_firm_contact=False, firm_invited_by_id=None)


def remove_member(actor, firm: Firm, member_id: int) -> User:
    """The contact person or an admin takes a member out of the firm, and the member is told by e-mail.

    Only the membership ends: the person's account, enrolments, progress and completions stay theirs. The contact
    person removes only members whose data they may see (may_see_member); to leave, they use leave_firm.
    """
    if not can_manage_firm(actor, firm):
        raise PermissionDenied(_("Only the firm's contact person can remove members."))
    member = get_visible_member(actor, firm, member_id)
    if member.id == actor.id:
        raise Conflict(_("You cannot remove yourself. Use “Leave the firm” instead."))
    if not _leave(member.id, firm.id):
        raise Conflict(_("%(name)s is no longer a member of the firm.", name=member.name))
    set_loaded(member, firm_id=None, is_firm_contact=False, firm_invited_by_id=None)
    audit.record(actor, "firm.remove_member", "firm", firm.id, {"user_id": member.id, "email": member.email})
    outbox.queue(send_member_mail, member.id, _l("You are no longer registered with %(firm)s", firm=firm.name),
                 "member_removed", firm_name=firm.name, by_admin=not is_contact_of(actor, firm),
                 my_courses_url=absolute_url("learner.my_courses"), firm_url=absolute_url("firm.index"))
    return member


def list_possible_contacts(actor, firm: Firm) -> list[User]:
    """The members `actor` may hand the contact role to: active learners they may see, other than the contact."""
    if not (actor.is_admin or is_contact_of(actor, firm)):
        raise PermissionDenied(_("Only the firm's contact person can hand over the role."))
    members = db.session.execute(
        select(User).where(User.firm_id == firm.id, User.active.is_(True), User.is_firm_contact.is_(False))
        .order_by(User.name, User.id)
    ).scalars()
    return [member for member in members if may_see_member(actor, firm, member)]


def hand_over_contact(actor, firm: Firm, user_id: int) -> User:
    """Make a member the firm's contact person (the previous one becomes an ordinary member); both are e-mailed.

    The contact person or an admin does it. The firm's verification stays as it is: a verified contact or an admin
    passes it on, and an unverified contact's firm was not verified to begin with.
    """
    candidates = {member.id: member for member in list_possible_contacts(actor, firm)}
    new = candidates.get(user_id)
    if new is None:
        raise InvalidInput(_("Only a member of the firm can be its contact person."), field="user_id")
    previous = list(db.session.execute(
        select(User).where(User.firm_id == firm.id, User.is_firm_contact.is_(True))).scalars())
    db.session.execute(update(User).where(User.firm_id == firm.id, User.id != new.id).values(is_firm_contact=False))
    new.is_firm_contact = True
    db.session.flush()
    audit.record(actor, "firm.appoint_contact", "firm", firm.id,
                 {"user_id": new.id, "email": new.email, "previous": [old.id for old in previous]})
    context = {"firm_name": firm.name, "new_name": new.name, "by_name": actor.name,
               "firm_url": absolute_url("firm.index")}
    outbox.queue(send_member_mail, new.id, _l("You are now the contact person of %(firm)s", firm=firm.name),
                 "contact_handover", new_contact=True, **context)
    for old in previous:
        outbox.queue(send_member_mail, old.id, _l("%(name)s is now the contact person of %(firm)s", name=new.name,
                                                  firm=firm.name), "contact_handover", new_contact=False, **context)
    return new


# --- E-mail --------------------------------------------------------------------------------------------------------

def send_member_mail(user_id: int, subject, template: str, **context) -> bool:
    """E-mail a person about their membership (in their own language); sent after the commit."""
    user = db.session.get(User, user_id)
    return send_mail(user, subject, template, user=user, **context) if user is not None else False


def send_join_request_mail(request_id: int) -> bool:
    """Tell the firm's verified contact person(s) that someone asks to join (nobody is told while unverified)."""
    request = db.session.execute(
        select(FirmJoinRequest).options(joinedload(FirmJoinRequest.firm), joinedload(FirmJoinRequest.user))
        .where(FirmJoinRequest.id == request_id)
    ).scalar_one_or_none()
    if request is None or not request.pending or not request.firm.verified:
        return False
    firm, person = request.firm, request.user
    return mail_contacts(firm, _l("%(name)s asks to join %(firm)s", name=person.name, firm=firm.name),
                         "join_request", firm_name=firm.name, person_name=person.name, person_email=person.email,
                         requests_url=absolute_url("firm.requests"))


def send_decision_mail(request_id: int) -> bool:
    """Tell the person who asked to join whether they were let in."""
    request = db.session.execute(
        select(FirmJoinRequest).options(joinedload(FirmJoinRequest.firm), joinedload(FirmJoinRequest.user))
        .where(FirmJoinRequest.id == request_id)
    ).scalar_one_or_none()
    if request is None or request.status not in ("approved", "declined"):
        return False
    approved, firm = request.status == "approved", request.firm
    subject = (_l("You are now registered with %(firm)s", firm=firm.name) if approved
               else _l("Your request to join %(firm)s was declined", firm=firm.name))
    return send_mail(request.user, subject, "join_request_decided", user=request.user, firm_name=firm.name,
                     approved=approved, firm_url=absolute_url("firm.index"), courses_url=absolute_url("public.index"))
