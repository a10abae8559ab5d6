"""People administration: find accounts, change a role, link an author to the provider they work for."""
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..errors import Conflict, InvalidInput, PermissionDenied
from ..extensions import db
from ..models import ROLES, Firm, Provider, User
from . import audit
from .validation import search_term


def require_admin(actor) -> None:
    """PermissionDenied unless `actor` is an administrator."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied(_("Only an administrator can do this."))


def overview_counts(actor) -> dict[str, int]:
    """How many accounts, firms and providers there are, for the admin start page."""
    require_admin(actor)
    return {
        "users": db.session.scalar(select(func.count(User.id))),
        "firms": db.session.scalar(select(func.count(Firm.id))),
        "providers": db.session.scalar(select(func.count(Provider.id))),
    }


def list_users(actor, *, search: str = "", role: str | None = None, page: int = 1, per_page: int = 20):
    """One page of accounts by name, with provider and firm loaded, filtered by name or e-mail; admins only."""
    require_admin(actor)
    query = select(User).options(joinedload(User.provider), joinedload(User.firm)).order_by(User.name, User.id)
    search = search_term(search).lower()
    if search:
        query = query.where(
            or_(
                func.lower(User.name).contains(search, autoescape=True),
                func.lower(User.email).contains(search, autoescape=True),
            )
        )
    if role in ROLES:
        query = query.where(User.role == role)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def change_role(actor, user: User, role: str, *, provider_id: int | None = None) -> User:
    """Give `user` a role; an author is linked to `provider_id` at the same time, which an author must have.
    Admins only.

    The last administrator cannot lose the role, so the instance never ends up without one.
    """
    require_admin(actor)
    if role not in ROLES:
        raise InvalidInput(_("Unknown role: %(role)s", role=role), field="role")
    if role == "author":
        _provider(provider_id)  # before anything changes
    if user.role == "admin" and role != "admin" and admin_count() <= 1:
        raise Conflict(_("%(name)s is the only administrator and must keep the role.", name=user.name))
    before = {"role": user.role, "provider_id": user.provider_id}
    user.role = role
    user.provider_id = None
    db.session.flush()
    if role == "author":
        link_author(actor, user, provider_id)
    audit.record(actor, "role.change", "user", user.id,
                 {"from": before, "to": {"role": user.role, "provider_id": user.provider_id}, "email": user.email})
    return user


def link_author(actor, user: User, provider_id: int | None) -> User:
    """Link an author to the provider whose courses they manage; admins only. An author without a provider is
    refused: to take someone off a provider, give them another role."""
    require_admin(actor)
    if user.role != "author":
        raise InvalidInput(_("Only authors can be linked to a provider."), field="provider_id")
    user.provider_id = _provider(provider_id).id
    db.session.flush()
    return user


def _provider(provider_id: int | None) -> Provider:
    provider = db.session.get(Provider, provider_id) if provider_id is not None else None
    if provider is None:
        raise InvalidInput(_("An author works for a provider: choose the provider from the list."),
                           field="provider_id")
    return provider


def admin_count() -> int:
    """How many active administrators there are."""
    return db.session.execute(select(func.count(User.id)).where(User.role == "admin", User.active)).scalar_one()
