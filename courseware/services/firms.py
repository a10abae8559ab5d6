"""Firms: looking them up, who may see what, their details, the contact person's view of the employees, admin tools.

Who may see what is decided here: a firm's members see the firm; its contact person (or an admin) manages it.
A member's own data (e-mail, enrolments, progress, completions) is shown to the contact person only when the
contact is verified (Brønnøysund's roles data or an administrator) or the member accepted that contact's
invitation; nobody sees another firm. Joining, leaving and the contact role live in membership.py.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, true, update

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import (Completion, Course, CourseVersion, Enrolment, Firm, FirmInvitation, FirmJoinRequest, User,
                      set_loaded, utcnow)
from . import audit, outbox
from .certificate_admin import firm_certificates
from .certificates import issue_firm_certificates
from .mail import absolute_url, send_mail
from .orgs import validate_industry, validate_municipality, validate_size_band
from .validation import search_term, validate_name

try:  # written by another engineer; until it exists the firm page shows enrolments and completions only
    from .progress import progress_summaries
except ImportError:  # pragma: no cover - depends on the build order
    progress_summaries = None


# --- Looking firms up and who may do what ----------------------------------------------------------------------

def find_firm_by_orgnr(orgnr: str) -> Firm | None:
    """The firm with this (already validated) orgnr, or None."""
    return db.session.execute(select(Firm).filter_by(orgnr=orgnr)).scalar_one_or_none()


def get_firm(firm_id: int) -> Firm:
    """The firm with this id, or NotFound."""
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise NotFound(_("The firm does not exist."))
    return firm


def can_view_firm(actor, firm: Firm) -> bool:
    """Members of the firm and admins see the firm's details."""
    return bool(actor.is_admin or (actor.firm_id is not None and actor.firm_id == firm.id))


def is_contact_of(actor, firm: Firm) -> bool:
    """Whether `actor` is the contact person of `firm` (verified or not)."""
    return bool(actor.firm_id == firm.id and actor.is_firm_contact)


def can_manage_firm(actor, firm: Firm) -> bool:
    """The firm's contact person and admins see the employees (see may_see_member), edit the details and invite."""
    return bool(actor.is_admin or is_contact_of(actor, firm))


def can_decide_requests(actor, firm: Firm) -> bool:
    """Admins, and the firm's contact person once verified, approve and decline requests to join."""
    return bool(actor.is_admin or (is_contact_of(actor, firm) and firm.verified))


def may_see_member(actor, firm: Firm, member: User) -> bool:
    """Whether `actor` may see a member's e-mail, enrolments, progress and completions (and remove them).

    Themselves and admins always; the firm's contact person when verified, or when the member accepted that
    contact person's invitation (they chose to trust them).
    """
    if actor.is_admin or actor.id == member.id:
        return True
    if member.firm_id != firm.id or not is_contact_of(actor, firm):
        return False
    return firm.verified or member.firm_invited_by_id == actor.id


def visible_members_clause(actor, firm: Firm):
    """may_see_member as a condition on User, for queries over a firm's members."""
    if actor.is_admin or (is_contact_of(actor, firm) and firm.verified):
        return true()
    if not is_contact_of(actor, firm):
        return User.id == actor.id
    return or_(User.id == actor.id, User.firm_invited_by_id == actor.id)


def get_firm_for(actor, firm_id: int | None, *, manage: bool = False) -> Firm:
    """The firm `actor` asks for (their own when firm_id is None), or PermissionDenied/NotFound."""
    if firm_id is None:
        if actor.firm_id is None:
            raise NotFound(_("You are not registered with a firm yet."))
        firm_id = actor.firm_id
    firm = get_firm(firm_id)
    allowed = can_manage_firm(actor, firm) if manage else can_view_firm(actor, firm)
    if not allowed:
        if manage and can_view_firm(actor, firm):
            raise PermissionDenied(_("Only the firm's contact person can do this."))
        raise PermissionDenied(_("You do not have access to this firm."))
    return firm


def get_visible_member(actor, firm: Firm, user_id: int) -> User:
    """A member of `firm` whose data `actor` may see (may_see_member); NotFound for anyone else."""
    member = db.session.get(User, user_id)
    if member is None or member.firm_id != firm.id or not may_see_member(actor, firm, member):
        raise NotFound(_("This person is not a member of the firm."))
    return member


# --- The firm's details -----------------------------------------------------------------------------------------

@dataclass
class FirmDetails:
    """Validated details a contact person gives (or the register suggests) for a firm."""

    name: str
    municipality_code: str
    industry_section: str
    industry_code: str | None
    size_band: str


def validate_firm_details(
    *, name: str, municipality_code: str, industry_section: str, industry_code: str | None, size_band: str
) -> FirmDetails:
    """Check every field of a firm's details at once; InvalidInput carries `errors` {field: message} for all."""
    errors: dict[str, str] = {}
    values: dict = {}

    def check(key, validate):
        try:
            values[key] = validate()
        except InvalidInput as error:
            errors.setdefault(error.details.get("field", key), error.message)

    check("name", lambda: validate_name(name, missing=_("Enter the firm's name.")))
    check("municipality", lambda: validate_municipality(municipality_code))
    check("industry", lambda: validate_industry(industry_section, industry_code))
    check("size_band", lambda: validate_size_band(size_band))
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(first[1], field=first[0], errors=errors)
    section, code = values["industry"]
    return FirmDetails(name=values["name"], municipality_code=values["municipality"], industry_section=section,
                       industry_code=code, size_band=values["size_band"])



def update_firm(actor, firm: Firm, details: FirmDetails) -> Firm:
    """Change a firm's details (not its orgnr); the contact person or an admin only."""
    if not can_manage_firm(actor, firm):
        raise PermissionDenied(_("Only the firm's contact person can change the firm's details."))
    for key, value in details.__dict__.items():
        setattr(firm, key, value)
    db.session.flush()
    return firm


# --- The firm page ------------------------------------------------------------------------------------------------

@dataclass
class CourseRow:
    course_id: int
    title: str
    enrolled_at: datetime | None = None
    withdrawn_at: datetime | None = None
    completed_at: datetime | None = None
    # Only for employees who share their detailed progress (None otherwise): read modules, ticked tasks and
    # passed quizzes ("steps"), so work halfway through a module shows.
    percent: int | None = None
    steps_done: int | None = None
    steps_total: int | None = None

    @property
    def status(self) -> str:
        """"completed", "withdrawn" or "enrolled": the page shows each with its own words and mark."""
        return "completed" if self.completed_at else "withdrawn" if self.withdrawn_at else "enrolled"


@dataclass
class MemberRow:
    user: User
    courses: list[CourseRow] = field(default_factory=list)


@dataclass
class FirmOverview:
    firm: Firm
    can_manage: bool
    contacts: list[User]
    members: list[MemberRow]
    pending_invitations: list[FirmInvitation]
    progress_available: bool
    # Members whose data the contact person may not see yet (an unverified contact they did not accept).
    hidden_members: int = 0
    pending_requests: int = 0
    is_contact: bool = False
    certificates: list = field(default_factory=list)  # the firm's certificates (FirmCertificate), for managers


def firm_overview(actor, firm_id: int | None = None) -> FirmOverview:
    """What the firm page shows `actor`: details for members; employees and their courses for the contact person.

    The contact person sees the members may_see_member allows, and how many others there are. A fixed number of
    queries however many employees and enrolments there are.
    """
    firm = get_firm_for(actor, firm_id)
    manage = can_manage_firm(actor, firm)
    users = list(
        db.session.execute(select(User).where(User.firm_id == firm.id).order_by(User.name, User.id)).scalars()
    )
    contacts = [u for u in users if u.is_firm_contact]
    if not manage:
        return FirmOverview(firm, False, contacts, [], [], progress_summaries is not None)
    visible = [u for u in users if may_see_member(actor, firm, u)]
    invitations = select(FirmInvitation).where(FirmInvitation.firm_id == firm.id, FirmInvitation.accepted_at.is_(None))
    if not (actor.is_admin or firm.verified):  # others' invitations name people who never chose this contact
        invitations = invitations.where(FirmInvitation.invited_by_id == actor.id)
    return FirmOverview(
        firm=firm,
        can_manage=True,
        contacts=contacts,
        members=_member_rows(visible),
        pending_invitations=list(db.session.execute(invitations.order_by(FirmInvitation.email)).scalars()),
        progress_available=progress_summaries is not None,
        hidden_members=len(users) - len(visible),
        pending_requests=count_pending_requests(firm),
        is_contact=is_contact_of(actor, firm),
        certificates=firm_certificates(firm),
    )


def count_pending_requests(firm: Firm) -> int:
    """How many requests to join the firm wait for an answer."""
    return db.session.scalar(
        select(func.count(FirmJoinRequest.id)).where(FirmJoinRequest.firm_id == firm.id,
                                                     FirmJoinRequest.status == "pending")
    )


def _member_rows(users: list[User]) -> list[MemberRow]:
    ids = [u.id for u in users]
    if not ids:
        return []
    rows: dict[tuple[int, int], CourseRow] = {}
    enrolments = db.session.execute(
        select(Enrolment.user_id, Enrolment.course_id, Enrolment.enrolled_at, Enrolment.withdrawn_at).where(
            Enrolment.user_id.in_(ids)
        )
    ).all()
    for user_id, course_id, enrolled_at, withdrawn_at in enrolments:
        rows[(user_id, course_id)] = CourseRow(course_id, "", enrolled_at=enrolled_at, withdrawn_at=withdrawn_at)
    completions = db.session.execute(
        select(Completion.user_id, Completion.course_id, Completion.completed_at).where(Completion.user_id.in_(ids))
    ).all()
    for user_id, course_id, completed_at in completions:
        rows.setdefault((user_id, course_id), CourseRow(course_id, "")).completed_at = completed_at
    titles = _course_titles({course_id for _user, course_id in rows})
    sharing = [u.id for u in users if u.share_progress]
    summaries = progress_summaries(sharing) if (progress_summaries and sharing and rows) else {}
    members = {u.id: MemberRow(u) for u in users}
    for (user_id, course_id), row in rows.items():
        row.title = titles.get(course_id, "")
        summary = summaries.get((user_id, course_id))
        if summary is not None:
            row.percent = summary.step_percent
            row.steps_done = summary.steps_done
            row.steps_total = summary.steps_total
        members[user_id].courses.append(row)
    for member in members.values():
        member.courses.sort(key=lambda r: r.title.casefold())
    return list(members.values())


def _course_titles(course_ids: set[int]) -> dict[int, str]:
    if not course_ids:
        return {}
    result = db.session.execute(
        select(Course.id, Course.slug, CourseVersion.title)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.id.in_(course_ids))
    ).all()
    return {course_id: title or slug for course_id, slug, title in result}


# --- Admin: firms, their members and verification -----------------------------------------------------------------

def _require_admin(actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can do this."))


def list_firms(actor, *, search: str = "", unverified: bool = False, page: int = 1, per_page: int = 20):
    """One page of firms by name, filtered by name or orgnr (and to unverified ones), with `member_counts`; admins."""
    _require_admin(actor)
    query = select(Firm).order_by(Firm.name, Firm.id)
    search = search_term(search)
    if search:
        conditions = [func.lower(Firm.name).contains(search.lower(), autoescape=True)]
        digits = search.replace(" ", "")
        if digits.isdigit():
            conditions.append(Firm.orgnr.startswith(digits))
        query = query.where(or_(*conditions))
    if unverified:
        query = query.where(Firm.verified_at.is_(None))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    ids = [firm.id for firm in pagination.items]
    counts = db.session.execute(
        select(User.firm_id, func.count(User.id)).where(User.firm_id.in_(ids)).group_by(User.firm_id)
    ).all() if ids else []
    pagination.member_counts = dict(counts)
    return pagination


def list_members(actor, firm: Firm) -> list[User]:
    """The members of a firm by name; for admins."""
    _require_admin(actor)
    return list(db.session.execute(select(User).where(User.firm_id == firm.id).order_by(User.name)).scalars())


def find_verifier(firm: Firm) -> User | None:
    """The administrator who verified the firm's contact person, if an administrator did (and still exists)."""
    return db.session.get(User, firm.verified_by_id) if firm.verified_by_id else None


def verify_firm(actor, firm: Firm, *, now: datetime | None = None) -> Firm:
    """An administrator has checked the firm's contact person: record who and when, and tell the contact.

    Conflict when the firm is verified already (two admins, or two tabs, at once).
    """
    _require_admin(actor)
    now = now or utcnow()
    claimed = db.session.execute(
        update(Firm).where(Firm.id == firm.id, Firm.verified_at.is_(None))
        .values(verified_via="admin", verified_at=now, verified_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("%(firm)s is verified already.", firm=firm.name))
    set_loaded(firm, verified_via="admin", verified_at=now, verified_by_id=actor.id)
    audit.record(actor, "firm.verify", "firm", firm.id, {"name": firm.name, "orgnr": firm.orgnr}, now=now)
    outbox.queue(send_firm_verified_mail, firm.id)
    issue_firm_certificates(firm)  # courses its people completed while the contact person was unverified
    return firm


def send_firm_verified_mail(firm_id: int) -> bool:
    """Tell the firm's contact person that they are verified, and how many requests to join wait for them."""
    firm = db.session.get(Firm, firm_id)
    if firm is None:
        return False
    return mail_contacts(firm, _l("You are verified as the contact person of %(firm)s", firm=firm.name),
                         "firm_verified", firm_name=firm.name, waiting=count_pending_requests(firm),
                         firm_url=absolute_url("firm.index"), requests_url=absolute_url("firm.requests"))


def mail_contacts(firm: Firm, subject, template: str, **context) -> bool:
    """E-mail each contact person of the firm (as `user`, in their own language); True when any mail went."""
    sent = False
    for contact in db.session.execute(select(User).where(User.firm_id == firm.id, User.is_firm_contact)).scalars():
        sent = send_mail(contact, subject, template, user=contact, **context) or sent
    return sent
