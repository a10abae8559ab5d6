"""Providers (business parks, incubators, libraries) as administrators manage them: create, edit, logo, authors.

A provider's slug is what course packages name in `course.toml` (`provider = "..."`), so it cannot change once the
provider has courses or drafts: the next import or publish would otherwise create a second provider. The logo's
bytes live in the content-addressed media store; the Provider keeps their sha256 and content type. The type is
read from the bytes, never from the file name.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from ..content.package import SLUG_RE, sniff_type
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import PROVIDER_KINDS, Course, CourseDraft, Provider, User
from .drafts import store_bytes
from .orgs import get_provider_by_slug, list_municipalities
from .roles import require_admin
from .validation import search_term, validate_name

# Words the admin pages use in place of a slug (/admin/providers/new).
RESERVED_SLUGS = frozenset({"new"})
# The logo types a browser shows everywhere, by what sniff_type finds in the bytes.
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


# --- reading ----------------------------------------------------------------------------------------------------

def list_providers(actor, *, search: str = "", page: int = 1, per_page: int = 20):
    """One page of providers by name, filtered by name, with `course_counts` and `author_counts`; admins only."""
    require_admin(actor)
    query = select(Provider).order_by(Provider.name, Provider.id)
    search = search_term(search).lower()
    if search:
        query = query.where(func.lower(Provider.name).contains(search, autoescape=True))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    ids = [provider.id for provider in pagination.items]
    pagination.course_counts, pagination.author_counts = {}, {}
    if ids:
        pagination.course_counts = dict(db.session.execute(
            select(Course.provider_id, func.count(Course.id)).where(Course.provider_id.in_(ids))
            .group_by(Course.provider_id)
        ).all())
        pagination.author_counts = dict(db.session.execute(
            select(User.provider_id, func.count(User.id)).where(User.provider_id.in_(ids), User.role == "author")
            .group_by(User.provider_id)
        ).all())
    return pagination


def get_provider(actor, slug: str) -> Provider:
    """The provider with this slug, for an administrator; NotFound otherwise."""
    require_admin(actor)
    return get_provider_by_slug(slug)


def has_content(provider: Provider) -> bool:
    """Whether any course or draft belongs to the provider (its slug is then fixed)."""
    if provider.id is None:
        return False
    return bool(db.session.scalar(select(
        exists().where(Course.provider_id == provider.id) | exists().where(CourseDraft.provider_id == provider.id)
    )))


def count_courses(provider: Provider) -> int:
    """How many courses the provider has (published or retired)."""
    return db.session.scalar(select(func.count(Course.id)).where(Course.provider_id == provider.id))


def list_authors(actor, provider: Provider) -> list[User]:
    """The provider's authors by name (with their last login); admins only."""
    require_admin(actor)
    return list(db.session.execute(
        select(User).where(User.provider_id == provider.id, User.role == "author").order_by(User.name, User.id)
    ).scalars())


@dataclass(frozen=True)
class Logo:
    sha256: str
    content_type: str


def find_logo(slug: str) -> Logo | None:
    """A provider's logo by slug (public: it is shown beside the provider's courses), or None."""
    row = db.session.execute(
        select(Provider.logo_sha256, Provider.logo_content_type).where(Provider.slug == slug)
    ).first()
    if row is None or not row.logo_sha256 or not row.logo_content_type:
        return None
    return Logo(row.logo_sha256, row.logo_content_type)


# --- validation -------------------------------------------------------------------------------------------------

def validate_slug(slug: str | None) -> str:
    """A provider slug: 2-64 lower-case letters, digits and hyphens, starting with a letter or digit."""
    slug = (slug or "").strip()
    if not slug:
        raise InvalidInput(_("Enter a short name for addresses, like trondheim-naeringshage."), field="slug")
    if not SLUG_RE.fullmatch(slug):
        raise InvalidInput(_("The short name can only hold lower-case letters a-z, digits and hyphens (2 to 64 "
                             "characters), and must start with a letter or digit."), field="slug")
    return slug


def validate_kind(kind: str | None) -> str:
    if kind not in PROVIDER_KINDS:
        raise InvalidInput(_("Choose a kind of provider."), field="kind")
    return kind


def validate_municipality(code: str | None) -> str | None:
    """One of the municipalities in the list (municipalities.json), or None for none."""
    code = (code or "").strip()
    if not code:
        return None
    if code not in {m.number for m in list_municipalities()}:
        raise InvalidInput(_("Choose the municipality from the list."), field="municipality")
    return code


def validate_logo(data: bytes) -> str:
    """The content type of a logo (png, jpg or webp, read from its bytes, at most 2 MiB); InvalidInput otherwise."""
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(_("The logo can be at most 2 MB."), field="logo")
    kind = sniff_type(data[:16])
    if kind not in LOGO_TYPES:
        raise InvalidInput(_("The logo must be a PNG, JPEG or WebP image."), field="logo")
    return LOGO_TYPES[kind]


def _slug_taken(slug: str, provider: Provider | None = None) -> bool:
    query = select(exists().where(Provider.slug == slug))
    if provider is not None and provider.id is not None:
        query = select(exists().where(Provider.slug == slug, Provider.id != provider.id))
    return bool(db.session.scalar(query))


def _apply(provider: Provider, *, name, slug, kind, municipality_code, logo, remove_logo) -> None:
    """Check every field (all problems at once, each for its field) and set them on the provider."""
    errors, values = {}, {}
    checks = {"name": lambda: validate_name(name), "slug": lambda: validate_slug(slug),
              "kind": lambda: validate_kind(kind), "municipality": lambda: validate_municipality(municipality_code),
              "logo": lambda: validate_logo(logo) if logo else None}
    for field, check in checks.items():
        try:
            values[field] = check()
        except InvalidInput as error:
            errors[field] = error.message
    if "slug" not in errors and values["slug"] != provider.slug:
        if values["slug"] in RESERVED_SLUGS:
            errors["slug"] = _("The short name %(slug)s is reserved. Choose another.", slug=values["slug"])
        elif provider.slug and has_content(provider):
            errors["slug"] = _("The short name cannot change: the provider has courses, and their packages name "
                               "it.")
        elif _slug_taken(values["slug"], provider):
            errors["slug"] = _("Another provider already has the short name %(slug)s.", slug=values["slug"])
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field, errors=errors)
    provider.name, provider.slug, provider.kind = values["name"], values["slug"], values["kind"]
    provider.municipality_code = values["municipality"]
    if logo:
        provider.logo_sha256, provider.logo_content_type = store_bytes(logo, values["logo"]), values["logo"]
    elif remove_logo:
        provider.logo_sha256 = provider.logo_content_type = None


# --- changing ---------------------------------------------------------------------------------------------------

def create_provider(actor, *, name: str, slug: str, kind: str, municipality_code: str | None = None,
                    logo: bytes | None = None) -> Provider:
    """A new provider; admins only. InvalidInput names the field (and `errors` every field) that is wrong."""
    require_admin(actor)
    provider = Provider()
    _apply(provider, name=name, slug=slug, kind=kind, municipality_code=municipality_code, logo=logo,
           remove_logo=False)
    db.session.add(provider)
    _flush_unique(provider.slug)
    return provider


_KEEP = object()


def update_provider(actor, provider: Provider, *, name: str, kind: str, slug: str | None = None,
                    municipality_code=_KEEP, logo: bytes | None = None, remove_logo: bool = False) -> Provider:
    """Change a provider's details, and replace or remove its logo; admins only. Without `slug` or
    `municipality_code` those stay as they are. The slug cannot change once the provider has courses or drafts."""
    require_admin(actor)
    municipality_code = provider.municipality_code if municipality_code is _KEEP else municipality_code
    _apply(provider, name=name, slug=provider.slug if slug is None else slug, kind=kind,
           municipality_code=municipality_code, logo=logo, remove_logo=remove_logo)
    _flush_unique(provider.slug)
    return provider


def _flush_unique(slug: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another admin took the slug a moment ago
        raise Conflict(_("Another provider already has the short name %(slug)s.", slug=slug), field="slug") \
            from error


def remove_author(actor, provider: Provider, user_id: int) -> User:
    """Take an author off the provider: they become a learner again; the courses stay with the provider."""
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None or user.role != "author" or user.provider_id != provider.id:
        raise NotFound(_("That person is not an author for %(provider)s.", provider=provider.name))
    user.role, user.provider_id = "learner", None
    db.session.flush()
    return user
