"""Firms: registration by orgnr, membership, the contact person's view of the employees, admin tools.

Who may see what is decided here: a firm's members see the firm, its contact person (or an admin) sees the
employees and edits; nobody sees another firm.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Completion, Course, CourseVersion, Enrolment, Firm, FirmInvitation, User
from .orgs import validate_industry, validate_municipality, validate_orgnr, validate_size_band
from .upsert import conflict_insert
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


def can_manage_firm(actor, firm: Firm) -> bool:
    """The firm's contact person and admins see the employees, edit the details and invite."""
    return bool(actor.is_admin or (actor.firm_id == firm.id and actor.is_firm_contact))


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


# --- Registering, joining, leaving --------------------------------------------------------------------------------

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
    """Check every field of a firm's details; InvalidInput names the field that is wrong."""
    name = validate_name(name, missing=_("Enter the firm's name."))
    section, code = validate_industry(industry_section, industry_code)
    return FirmDetails(
        name=name,
        municipality_code=validate_municipality(municipality_code),
        industry_section=section,
        industry_code=code,
        size_band=validate_size_band(size_band),
    )


def require_can_join(user, firm: Firm | None = None) -> None:
    """PermissionDenied for non-learners, Conflict for members of another firm: who may register or join."""
    if not user.has_role("learner"):
        raise PermissionDenied(_("Only learners can be registered with a firm."))
    if user.firm_id is not None and (firm is None or user.firm_id != firm.id):
        raise Conflict(_("You are already registered with a firm. Leave it first to join another one."))


def join_firm(user, firm: Firm) -> Firm:
    """Make `user` an ordinary member of `firm` (nothing changes when they already are one)."""
    require_can_join(user, firm)
    if user.firm_id != firm.id:
        user.firm_id = firm.id
        user.is_firm_contact = False
        db.session.flush()
    return firm


def register_firm(user, orgnr: str, details: FirmDetails, *, source: str = "manual") -> tuple[Firm, bool]:
    """Create the firm with `user` as its contact person, or join it when it exists; returns (firm, created).

    Two people registering the same orgnr at once (or one double click) create one firm: the insert is
    "on conflict do nothing" on the unique orgnr, and whoever loses joins the winner's firm.
    """
    orgnr = validate_orgnr(orgnr)
    require_can_join(user)
    existing = find_firm_by_orgnr(orgnr)
    if existing is not None:
        return join_firm(user, existing), False
    values = {"orgnr": orgnr, "source": source, **details.__dict__}
    firm_id = _insert_firm(values)
    if firm_id is None:  # someone else registered it a moment ago
        return join_firm(user, _existing_firm(orgnr)), False
    firm = db.session.get(Firm, firm_id)
    user.firm_id = firm.id
    user.is_firm_contact = True
    db.session.flush()
    return firm, True


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


def _existing_firm(orgnr: str) -> Firm:
    firm = find_firm_by_orgnr(orgnr)
    if firm is None:  # the other registration was rolled back after all
        raise Conflict(_("The firm could not be registered just now. Please try again."))
    return firm


def leave_firm(user) -> None:
    """Take `user` out of their firm; the firm and its other members stay."""
    if user.firm_id is None:
        raise Conflict(_("You are not registered with a firm."))
    user.firm_id = None
    user.is_firm_contact = False
    db.session.flush()


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
    # Only for employees who share their detailed progress (None otherwise).
    percent: int | None = None
    completed_modules: int | None = None
    total_modules: int | None = None


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


def firm_overview(actor, firm_id: int | None = None) -> FirmOverview:
    """What the firm page shows `actor`: details for members; employees and their courses for the contact person.

    A fixed number of queries however many employees and enrolments there are.
    """
    firm = get_firm_for(actor, firm_id)
    manage = can_manage_firm(actor, firm)
    users = list(
        db.session.execute(select(User).where(User.firm_id == firm.id).order_by(User.name, User.id)).scalars()
    )
    contacts = [u for u in users if u.is_firm_contact]
    if not manage:
        return FirmOverview(firm, False, contacts, [], [], progress_summaries is not None)
    return FirmOverview(
        firm=firm,
        can_manage=True,
        contacts=contacts,
        members=_member_rows(users),
        pending_invitations=list(
            db.session.execute(
                select(FirmInvitation)
                .where(FirmInvitation.firm_id == firm.id, FirmInvitation.accepted_at.is_(None))
                .order_by(FirmInvitation.email)
            ).scalars()
        ),
        progress_available=progress_summaries is not None,
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
            row.percent = summary.percent
            row.completed_modules = summary.completed_modules
            row.total_modules = summary.total_modules
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


# --- Admin: firms and their contact person ------------------------------------------------------------------------

def _require_admin(actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can do this."))


def list_firms(actor, *, search: str = "", page: int = 1, per_page: int = 20):
    """One page of firms by name, filtered by name or orgnr, with `member_counts` {firm_id: n}; admins only."""
    _require_admin(actor)
    query = select(Firm).order_by(Firm.name, Firm.id)
    search = search_term(search)
    if search:
        conditions = [func.lower(Firm.name).contains(search.lower(), autoescape=True)]
        digits = search.replace(" ", "")
        if digits.isdigit():
            conditions.append(Firm.orgnr.startswith(digits))
        query = query.where(or_(*conditions))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    ids = [firm.id for firm in pagination.items]
    counts = db.session.execute(
        select(User.firm_id, func.count(User.id)).where(User.firm_id.in_(ids)).group_by(User.firm_id)
    ).all() if ids else []
    pagination.member_counts = dict(counts)
    return pagination


def list_members(actor, firm: Firm) -> list[User]:
    """The members of a firm by name; for the firm's contact person and admins."""
    if not can_manage_firm(actor, firm):
        raise PermissionDenied(_("Only the firm's contact person can see the employees."))
    return list(db.session.execute(select(User).where(User.firm_id == firm.id).order_by(User.name)).scalars())


def appoint_contact(actor, firm: Firm, user_id: int) -> User:
    """Make a member the firm's contact person (the previous one becomes an ordinary member); admins only."""
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None or user.firm_id != firm.id:
        raise InvalidInput(_("Only a member of the firm can be its contact person."))
    db.session.execute(
        update(User).where(User.firm_id == firm.id, User.id != user.id).values(is_firm_contact=False)
    )
    user.is_firm_contact = True
    db.session.flush()
    return user
