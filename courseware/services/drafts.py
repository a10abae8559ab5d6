"""Course drafts in the studio: the working copy of a course package that its provider's authors edit.

A draft holds the package's files (`course.toml`, `modules/NN-key.md`, `assets/...`) in the database. Checking and
publishing write the draft into a temporary folder and run exactly the code of `courseware check` and
`courseware import` on it, so a course made in the browser and one kept in git are the same thing. Learners only
ever see published versions.

Every function takes the acting user and checks access itself (services/studio.py: an author touches only their own
provider's courses; an admin every course). Functions flush; the caller commits. Conflicts: each file carries a
revision, and a save made from an older revision than the stored one raises Conflict instead of overwriting what
another author (or another tab) saved in between.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..content.importer import import_packages, store_asset_data
from ..content.package import MANIFEST, SLUG_RE, default_module_key, split_front_matter
from ..content.render import RenderedModule, render_module
from ..content.checker import check_package
from ..content.requires import requires_context
from ..errors import Conflict, ContentError, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import (Asset, Course, CourseDraft, CourseVersion, DraftFile, Module, Provider, StudioEvent, User,
                      utcnow)
from ..storage import media_store
from .studio import can_manage_course, require_staff


# --- access -----------------------------------------------------------------------------------------------------

def can_edit_draft(user, draft: CourseDraft) -> bool:
    """Admins edit every draft; an author only the drafts of their own provider."""
    return bool(user.is_admin or (user.role == "author" and user.provider_id
                                  and user.provider_id == draft.provider_id))


def get_draft_for(user, slug: str) -> CourseDraft:
    """The draft of `slug` that `user` may edit; NotFound or PermissionDenied otherwise (no draft: NotFound)."""
    require_staff(user)
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == slug)).scalar_one_or_none()
    if draft is None:
        raise NotFound(_("We could not find that course."))
    if not can_edit_draft(user, draft):
        raise PermissionDenied(_("This course belongs to another provider."))
    return draft


def open_draft(user, slug: str) -> CourseDraft:
    """The draft of a course `user` manages, started from its current published version when there is none yet."""
    require_staff(user)
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == slug)).scalar_one_or_none()
    if draft is not None:
        if not can_edit_draft(user, draft):
            raise PermissionDenied(_("This course belongs to another provider."))
        return draft
    course = db.session.execute(select(Course).where(Course.slug == slug)).scalar_one_or_none()
    if course is None:
        raise NotFound(_("We could not find that course."))
    if not can_manage_course(user, course):
        raise PermissionDenied(_("This course belongs to another provider."))
    version = db.session.get(CourseVersion, course.current_version_id) if course.current_version_id else None
    draft = CourseDraft(slug=slug, provider_id=course.provider_id, course_id=course.id,
                        base_version_id=version.id if version else None, updated_by_id=user.id)
    db.session.add(draft)
    db.session.flush()
    if version is not None:
        _copy_version_files(draft, version, user)
    return draft


def provider_of(user, provider_id: int | None = None) -> Provider:
    """The provider a new course of `user` belongs to: an author's own; an admin names one."""
    require_staff(user)
    if not user.is_admin:
        provider_id = user.provider_id
    provider = db.session.get(Provider, provider_id) if provider_id else None
    if provider is None:
        raise InvalidInput(_("Choose the provider the course belongs to."))
    return provider


# --- files ------------------------------------------------------------------------------------------------------

def draft_files(draft: CourseDraft) -> list[DraftFile]:
    """The draft's files, by path (one query)."""
    return list(db.session.execute(
        select(DraftFile).where(DraftFile.draft_id == draft.id).order_by(DraftFile.path)).scalars())


def get_file(draft: CourseDraft, path: str) -> DraftFile:
    found = db.session.execute(select(DraftFile).where(
        DraftFile.draft_id == draft.id, DraftFile.path == path)).scalar_one_or_none()
    if found is None:
        raise NotFound(_("We could not find that file in the draft."))
    return found


def add_text_file(user, draft: CourseDraft, path: str, kind: str, text: str) -> DraftFile:
    """A new manifest or module file in the draft."""
    item = DraftFile(draft_id=draft.id, path=path, kind=kind, text=text, size=len(text.encode()),
                     updated_by_id=user.id, updated_at=utcnow())
    db.session.add(item)
    touch(user, draft)
    db.session.flush()
    return item


def add_asset_file(user, draft: CourseDraft, path: str, data: bytes, content_type: str,
                   alt: str | None = None) -> DraftFile:
    """A new asset in the draft (or new bytes for an existing path); the bytes go to the media store."""
    sha256 = store_bytes(data, content_type)
    item = db.session.execute(select(DraftFile).where(
        DraftFile.draft_id == draft.id, DraftFile.path == path)).scalar_one_or_none()
    if item is None:
        item = DraftFile(draft_id=draft.id, path=path, kind="asset", revision=1)
        db.session.add(item)
    else:
        item.revision += 1
    item.sha256, item.size, item.content_type, item.alt = sha256, len(data), content_type, alt
    item.updated_by_id, item.updated_at = user.id, utcnow()
    touch(user, draft)
    db.session.flush()
    return item


def save_text(user, draft: CourseDraft, path: str, text: str, base_revision: int) -> DraftFile:
    """Store new text for a file saved from `base_revision`.

    The same text saved twice (a double click, a retried autosave) is a no-op. Text saved from an older revision
    than the stored one raises Conflict: someone else saved in between, and nothing is overwritten. The check is a
    conditional UPDATE, so two saves at the same moment cannot both win.
    """
    item = get_file(draft, path)
    if item.text == text:
        return item
    if base_revision != item.revision:
        raise Conflict(_("Someone else saved this file while you were editing it. Your text is kept in the editor: "
                         "copy it, reload the page to see their version, and merge the two."),
                       revision=item.revision)
    changed = db.session.execute(
        update(DraftFile).where(DraftFile.id == item.id, DraftFile.revision == base_revision)
        .values(text=text, size=len(text.encode()), revision=base_revision + 1, updated_by_id=user.id,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(_("Someone else saved this file at the same moment. Reload the page to see their version."))
    db.session.refresh(item)
    touch(user, draft)
    return item


def remove_file(user, draft: CourseDraft, path: str) -> None:
    db.session.delete(get_file(draft, path))
    touch(user, draft)
    db.session.flush()


def touch(user, draft: CourseDraft) -> None:
    """Mark the draft changed: a new draft revision, by `user`, now."""
    draft.revision = (draft.revision or 0) + 1
    draft.updated_at, draft.updated_by_id = utcnow(), user.id


def store_bytes(data: bytes, content_type: str | None = None) -> str:
    """Put bytes in the content-addressed media store (skipped when there; see storage/); returns their sha256."""
    sha256 = hashlib.sha256(data).hexdigest()
    store_asset_data(data, sha256, content_type)
    return sha256


def replace_files(user, draft: CourseDraft, files: list[DraftFile]) -> None:
    """Make `files` (new, unsaved DraftFile objects) the whole content of the draft (restore, zip upload)."""
    for item in draft_files(draft):
        db.session.delete(item)
    db.session.flush()
    for item in files:
        item.draft_id, item.updated_by_id, item.updated_at = draft.id, user.id, utcnow()
        db.session.add(item)
    touch(user, draft)
    db.session.flush()


def version_files(version: CourseVersion) -> list[DraftFile]:
    """A published version's package as (unsaved) draft files: its manifest, module sources and assets.

    InvalidInput when the version was imported before sources were kept (it cannot be rebuilt exactly)."""
    modules = list(db.session.execute(
        select(Module.filename, Module.source).where(Module.version_id == version.id).order_by(Module.position)))
    if version.manifest_source is None or any(source is None for _name, source in modules):
        raise InvalidInput(_("Version %(number)d was imported before the platform kept course sources, so it cannot "
                             "be opened in the studio. Import the package again to make a new version.",
                             number=version.number))
    files = [DraftFile(path=MANIFEST, kind="manifest", text=version.manifest_source,
                       size=len(version.manifest_source.encode()))]
    files += [DraftFile(path=f"modules/{name}", kind="module", text=source, size=len(source.encode()))
              for name, source in modules]
    files += [DraftFile(path=f"assets/{a.path}", kind="asset", sha256=a.sha256, size=a.size,
                        content_type=a.content_type)
              for a in db.session.execute(select(Asset).where(Asset.version_id == version.id)
                                          .order_by(Asset.path)).scalars()]
    return files


def _copy_version_files(draft: CourseDraft, version: CourseVersion, user) -> None:
    for item in version_files(version):
        item.draft_id, item.updated_by_id = draft.id, user.id
        db.session.add(item)
    db.session.flush()


# --- the package on disk ----------------------------------------------------------------------------------------

@contextlib.contextmanager
def materialised(draft: CourseDraft):
    """The draft written out as a package folder `<tmp>/<slug>/` (removed afterwards); yields its path."""
    with tempfile.TemporaryDirectory(prefix="courseware-draft-") as tmp:
        root = Path(tmp) / draft.slug
        root.mkdir()
        for item in draft_files(draft):
            target = root / item.path
            if not target.resolve().is_relative_to(root.resolve()):  # paths are checked on the way in; twice is cheap
                raise InvalidInput(_("The draft holds a file outside its folder."))
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.kind == "asset":
                media_store().copy_to(item.sha256, target)
            else:
                target.write_text(item.text or "", encoding="utf-8")
        yield root


@dataclass
class CheckedProblem:
    """A checker problem with its path inside the package (course.toml, modules/01-x.md, ...)."""

    path: str
    line: int
    code: str
    message: str
    severity: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def _relative(problem_path: str, slug: str) -> str:
    """The checker's `courses/<slug>/modules/x.md` (or `/tmp/.../<slug>/...`) as `modules/x.md`."""
    marker = f"{slug}/"
    index = problem_path.find(marker)
    return problem_path[index + len(marker):] if index >= 0 else ""


def checked_problems(problems, slug: str) -> list[CheckedProblem]:
    """The checker's problems of the package `slug`, with paths inside the package."""
    return [CheckedProblem(_relative(p.path, slug), p.line, p.code, p.message, p.severity) for p in problems]


def check(user, draft: CourseDraft) -> list[CheckedProblem]:
    """Run `courseware check` on the draft; store and return the problems (path relative to the package)."""
    if not can_edit_draft(user, draft):
        raise PermissionDenied(_("This course belongs to another provider."))
    with materialised(draft) as root:
        context = requires_context([root])
        _data, problems = check_package(root, context.known, context.graph)
        found = checked_problems(problems, draft.slug)
    draft.check_problems = [vars(p) for p in found]
    draft.checked_revision, draft.checked_at = draft.revision, utcnow()
    db.session.flush()
    return found


def publish(user, draft: CourseDraft) -> CourseVersion:
    """Import the draft as a new published version; ContentError (with the problems) while errors remain.

    Progress is kept by module key, exactly as with `courseware import`. Publishing an unchanged draft makes no new
    version and returns the current one."""
    if not can_edit_draft(user, draft):
        raise PermissionDenied(_("This course belongs to another provider."))
    current = _current_version(draft)
    if current is not None and same_files(draft_files(draft), current):
        return current
    with materialised(draft) as root:
        report = import_packages([root], published_by_id=user.id)
    if report.refused:
        problems = checked_problems(report.refused[0].problems, draft.slug)
        draft.check_problems = [vars(p) for p in problems]
        draft.checked_revision, draft.checked_at = draft.revision, utcnow()
        raise ContentError(_("The course has errors and was not published. Fix them and try again."), problems)
    course = db.session.execute(select(Course).where(Course.slug == draft.slug)).scalar_one()
    version = db.session.get(CourseVersion, course.current_version_id)
    item = (report.new or report.updated or report.unchanged)[0]
    draft.course_id, draft.base_version_id = course.id, version.id
    if item in report.unchanged:
        return version
    record(user, draft, "published", version_number=version.number)
    return version


def _current_version(draft: CourseDraft) -> CourseVersion | None:
    return db.session.execute(select(CourseVersion).join(Course, Course.current_version_id == CourseVersion.id)
                              .where(Course.slug == draft.slug)).scalar_one_or_none()


def _fingerprint(files) -> set[tuple]:
    return {(f.path, f.text if f.kind != "asset" else f.sha256) for f in files}


def same_files(files: list[DraftFile], version: CourseVersion) -> bool:
    """Whether `files` are exactly the package of `version` (a README or ignored folders aside)."""
    try:
        return _fingerprint(files) == _fingerprint(version_files(version))
    except InvalidInput:  # a version from before sources were kept: publishing makes one that has them
        return False


# --- history ----------------------------------------------------------------------------------------------------

def record(user, draft: CourseDraft, action: str, path: str | None = None, detail: str = "",
           version_number: int | None = None) -> StudioEvent:
    """Write one line of the course's history."""
    event = StudioEvent(slug=draft.slug, provider_id=draft.provider_id, user_id=user.id, action=action, path=path,
                        detail=detail, version_number=version_number)
    db.session.add(event)
    return event


def history(user, draft: CourseDraft, limit: int = 100) -> list[tuple[StudioEvent, str | None]]:
    """The course's latest history lines with the name of who did each (one query)."""
    if not can_edit_draft(user, draft):
        raise PermissionDenied(_("This course belongs to another provider."))
    return list(db.session.execute(
        select(StudioEvent, User.name).outerjoin(User, User.id == StudioEvent.user_id)
        .where(StudioEvent.slug == draft.slug).order_by(StudioEvent.at.desc(), StudioEvent.id.desc()).limit(limit)
    ).all())


def valid_slug(slug: str) -> bool:
    return bool(SLUG_RE.fullmatch(slug or ""))


# --- rendering a draft as learners would see it ------------------------------------------------------------------

@dataclass
class DraftContext:
    """What rendering a module of the draft needs: module file name -> key, asset paths, the course language."""

    module_links: dict[str, str]
    asset_paths: set[str]
    language: str


def draft_context(draft: CourseDraft, files: list[DraftFile] | None = None) -> DraftContext:
    files = draft_files(draft) if files is None else files
    links, assets, language = {}, set(), "nb"
    for item in files:
        if item.kind == "module":
            name = item.path.split("/", 1)[1]
            links[name] = _module_key(name, item.text or "")
        elif item.kind == "asset":
            assets.add(item.path.split("/", 1)[1])
        elif item.kind == "manifest":
            try:
                value = tomllib.loads(item.text or "").get("language")
            except tomllib.TOMLDecodeError:
                value = None
            language = value if value in ("nb", "nn", "en") else "nb"
    return DraftContext(links, assets, language)


def _module_key(filename: str, text: str) -> str:
    try:
        meta = split_front_matter(text).meta
    except ValueError:
        meta = {}
    key = meta.get("key") if isinstance(meta, dict) else None
    return key if isinstance(key, str) and key else default_module_key(filename)


def render_body(draft: CourseDraft, body: str, base: str, context: DraftContext | None = None,
                audience: str = "learner") -> RenderedModule:
    """A module body rendered by exactly the renderer learners get, for previews in the studio.

    Rendered pages link to other modules and assets relatively (`sensorer`, `assets/x.png`), as the learner's module
    page expects; `base` (the preview's URL folder, ending in `/`) makes those links absolute, so the same HTML works
    inside the editor. `audience` "staff" shows instructor notes (learners' pages never hold them). Raises
    render.Refused for Markdown over the renderer's limits."""
    context = context or draft_context(draft)
    rendered = render_module(body, module_links=context.module_links, asset_paths=context.asset_paths,
                             language=context.language, audience=audience)
    rendered.html = _ABSOLUTE_LINKS.sub(lambda m: f'{m.group(1)}="{base}{m.group(2)}', rendered.html)
    return rendered


# A relative href/src as the renderer writes them: a module key or assets/...; never a scheme, '/', '#' or '?'.
_ABSOLUTE_LINKS = re.compile(r'\b(href|src)="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\?)([^"]*)')
