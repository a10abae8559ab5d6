"""The published catalogue: courses, their current versions and modules, as learners see them."""
from dataclasses import dataclass
from types import MappingProxyType

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager

from ..errors import NotFound
from ..extensions import db
from ..web.fragment_cache import LRU
from ..models import Asset, Course, CourseVersion, Module, Provider
from .validation import search_term

SECTIONS = "ABCDEFGHIJKLMNOPQRSTU"


@dataclass
class CatalogueFilters:
    provider: str | None = None
    industry: str | None = None
    stage: int | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args) -> "CatalogueFilters":
        """Read filters from query arguments, ignoring values that cannot be right (no errors for odd URLs)."""
        stage = args.get("stage", "")
        industry = (args.get("industry") or "").upper()
        return cls(
            provider=(args.get("provider") or "").strip() or None,
            industry=industry if len(industry) == 1 and industry in SECTIONS else None,
            stage=int(stage) if stage.isascii() and stage.isdigit() and 0 < int(stage) < 100 else None,
            q=search_term(args.get("q")) or None,
        )

    def as_args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v}


def _published():
    """Courses joined to their current version and provider."""
    return (
        select(Course)
        .join(CourseVersion, Course.current_version_id == CourseVersion.id)
        .join(Provider, Course.provider_id == Provider.id)
        .options(contains_eager(Course.current_version), contains_eager(Course.provider))
    )


def list_courses(filters: CatalogueFilters, page: int = 1, per_page: int = 20):
    """One page of published courses matching the filters, ordered by stage and title (retired courses left out)."""
    stmt = _published().where(Course.retired_at.is_(None))
    if filters.provider:
        stmt = stmt.where(Provider.slug == filters.provider)
    if filters.industry:
        stmt = stmt.where(CourseVersion.industry == filters.industry)
    if filters.stage:
        stmt = stmt.where(CourseVersion.stage == filters.stage)
    if filters.q:
        like = "%" + filters.q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(func.lower(CourseVersion.title).like(like) | func.lower(CourseVersion.summary).like(like))
    stmt = stmt.order_by(CourseVersion.stage, CourseVersion.title)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def list_filter_options() -> dict:
    """Providers, industries and stages that published courses (not retired) have, for the catalogue's filters."""
    rows = db.session.execute(
        select(Provider.slug, Provider.name, CourseVersion.industry, CourseVersion.stage)
        .join(Course, Course.provider_id == Provider.id)
        .join(CourseVersion, Course.current_version_id == CourseVersion.id)
        .where(Course.retired_at.is_(None))
    ).all()
    return {
        "providers": sorted({(r.slug, r.name) for r in rows}, key=lambda p: p[1].lower()),
        "industries": sorted({r.industry for r in rows if r.industry}),
        "stages": sorted({r.stage for r in rows}),
    }


def get_course(slug: str) -> Course:
    """The published course with its current version and provider loaded; NotFound otherwise.

    A retired course is found too: its enrolled learners keep opening it (enrolment refuses newcomers)."""
    course = db.session.execute(_published().where(Course.slug == slug)).unique().scalar_one_or_none()
    if course is None:
        raise NotFound(_("We could not find that course."))
    return course


def list_modules(version: CourseVersion) -> list[Module]:
    """The modules of a version in order (for the course page, which shows objectives)."""
    return list(db.session.execute(select(Module).where(Module.version_id == version.id).order_by(Module.position)).scalars())


# A module of a published course by :slug and :key, with its version and course loaded. Built once: the module
# page runs it on every view (module_page.module_page adds the learner's state to it), and building (and cache-keying)
# a select with joins and a contains_eager chain costs more than running it. The provider is not loaded: no user of
# a module needs it, and its relationship raises if one ever does.
PUBLISHED_MODULE = (
    select(Module)
    .join(CourseVersion, Module.version_id == CourseVersion.id)
    .join(Course, Course.current_version_id == CourseVersion.id)
    .where(Course.slug == bindparam("slug"), Module.key == bindparam("key"))
    .options(contains_eager(Module.version).contains_eager(CourseVersion.course))
)


@dataclass(frozen=True, slots=True)
class CourseRef:
    id: int
    slug: str


@dataclass(frozen=True, slots=True)
class VersionView:
    """What a module page shows of the module's course version (a copy: versions never change after import)."""

    id: int
    source_hash: str
    title: str
    outline: tuple
    language: str
    audience: str
    pass_mark: float
    course: CourseRef
    show_answers: str = "after-pass"
    attempts_per_day: int = 0


@dataclass(frozen=True, slots=True)
class ModuleView:
    """An immutable copy of a published module for the module page, with its version and neighbours.

    It has the attributes of a Module that pages, the quiz and the progress code read, so it can stand in for one.
    """

    id: int
    key: str
    position: int
    title: str
    minutes: int | None
    objectives: tuple
    tasks: tuple
    quiz: MappingProxyType
    html: str
    render_hash: str
    version: VersionView
    previous: dict | None
    following: dict | None
    parsed_questions: tuple = ()  # the quiz's questions, parsed once (quiz.questions_of)
    toc: tuple = ()  # the module's headings ({"level", "id", "title"}), for the page's "On this page" list

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz and self.quiz.get("questions"))


def module_view(module_id: int, render_hash: str, version_id: int, source_hash: str, course_id: int,
                slug: str) -> ModuleView:
    """The module view for a row of a published module (from the cache, or one query on the first view).

    The cache is per app and process, keyed by everything the row says about the module. Module and version rows
    are only ever inserted (a re-import makes a new version with new rows), so an entry never goes stale; the
    hashes, the course and the slug in the key guard against SQLite reusing the id of a deleted row.
    """
    key = (module_id, render_hash, version_id, source_hash, course_id, slug)
    views = current_app.extensions.get("courseware_module_views")
    if views is None:
        views = current_app.extensions.setdefault("courseware_module_views", LRU(2048))
    view = views.get(key)
    if view is None:
        module = db.session.execute(
            select(Module).where(Module.id == module_id).options(
                contains_eager(Module.version).contains_eager(CourseVersion.course))
            .join(CourseVersion, Module.version_id == CourseVersion.id)
            .join(Course, Course.id == CourseVersion.course_id)
        ).scalar_one()
        view = _make_view(module)
        views.put(key, view)
    return view


def _make_view(module: Module) -> ModuleView:
    v = module.version
    outline = tuple(MappingProxyType(dict(entry)) for entry in v.outline or [])
    version = VersionView(v.id, v.source_hash, v.title, outline, v.language, v.audience, float(v.pass_mark),
                          CourseRef(v.course.id, v.course.slug), v.show_answers, v.attempts_per_day)
    previous, following = neighbours(v, module.key)
    from .quiz import questions_of

    return ModuleView(
        module.id, module.key, module.position, module.title, module.minutes, tuple(module.objectives or ()),
        tuple(module.tasks or ()), MappingProxyType(dict(module.quiz or {})), module.html, module.render_hash, version,
        previous, following, questions_of(module), tuple(MappingProxyType(dict(h)) for h in module.toc or ()),
    )


def get_module(slug: str, key: str) -> Module:
    """The module of a published course by key, with its version and course loaded, in one query."""
    # Many-to-one joins only, so every row is a distinct module and no unique() pass is needed.
    module = db.session.execute(PUBLISHED_MODULE, {"slug": slug, "key": key}).scalar_one_or_none()
    if module is None:
        raise module_not_found()
    return module


def module_not_found() -> NotFound:
    return NotFound(_("We could not find that module."))


def find_asset(slug: str, path: str) -> Asset | None:
    """An asset of a published course's current version, by its path inside assets/."""
    stmt = (
        select(Asset)
        .join(Course, Course.current_version_id == Asset.version_id)
        .where(Course.slug == slug, Asset.path == path)
    )
    return db.session.execute(stmt).scalar_one_or_none()


def neighbours(version: CourseVersion, key: str) -> tuple[dict | None, dict | None]:
    """The previous and next entries of the version's outline around a module key."""
    outline = version.outline or []
    keys = [entry["key"] for entry in outline]
    if key not in keys:
        return None, None
    i = keys.index(key)
    return (outline[i - 1] if i > 0 else None), (outline[i + 1] if i + 1 < len(outline) else None)


def list_required_courses(version: CourseVersion) -> list[Course]:
    """The published courses a version lists in `requires`, in the manifest's order."""
    slugs = list(version.requires or [])
    if not slugs:
        return []
    found = {c.slug: c for c in db.session.execute(_published().where(Course.slug.in_(slugs))).unique().scalars()}
    return [found[s] for s in slugs if s in found]
