"""The studio editor's use cases: create a course, edit its settings and modules, save (and autosave) a file, and
render a live preview.

Every function takes the acting user and finds the draft through services/drafts.py, which checks that the user
may edit it. Files are written through `drafts.save_text`, so a save made from a stale revision is a Conflict and
never overwrites another author's work. Module keys never change unless the author renames one on purpose: learners'
progress is kept by key. Functions flush; the caller commits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..content.checker import MAX_MODULES
from ..content.package import KEY_RE, MANIFEST, MAX_MANIFEST_BYTES
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import Course, CourseDraft, CourseVersion, DraftFile, Provider, StudioEvent, utcnow
from . import drafts
from .course_text import (compose_module, manifest_module_list, manifest_settings, manifest_text, module_key,
                          module_text, module_title, normalise, parse_manifest, slugify, split_module,
                          with_module_list)

MODULES = "modules/"
_NUMBER = re.compile(r"^\d+[-_. ]*")
SAVE_EVENT_WINDOW = timedelta(minutes=10)  # saves of one file by one author within this make one history line


def preview_base(slug: str, root: str = "") -> str:
    """The folder the live preview's relative links resolve in: the draft preview (studio.preview) of the course."""
    return f"{root}/studio/courses/{slug}/preview/"


def _module_path(filename: str) -> str:
    return MODULES + filename


def _check_text(text: str, limit: int) -> str:
    """Text a file may hold: no NUL or unpaired surrogates (PostgreSQL refuses both), within the size cap."""
    if "\x00" in text:
        raise InvalidInput(_("The text contains a character that is not allowed."))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput(_("The text contains a character that is not allowed.")) from None
    if size > limit:
        raise InvalidInput(_("The text is too long: a file may be at most %(kb)d KiB. Split the module in two.",
                             kb=limit // 1024))
    return text


def _module_limit() -> int:
    return int(current_app.config.get("MAX_MODULE_KB", 128)) * 1024


# --- courses ----------------------------------------------------------------------------------------------------

def requires_choices(exclude: str | None = None) -> list[tuple[str, str]]:
    """(slug, title) of the published courses a course may require, by title (one query)."""
    rows = db.session.execute(
        select(Course.slug, CourseVersion.title).join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.retired_at.is_(None)).order_by(CourseVersion.title, Course.slug)).all()
    return [(slug, title) for slug, title in rows if slug != exclude]


def list_providers(user) -> list[Provider]:
    """The providers a new course of `user` may belong to: an admin's choice of all, an author's own."""
    if user.is_admin:
        return list(db.session.execute(select(Provider).order_by(Provider.name)).scalars())
    return [drafts.provider_of(user)]


def slug_taken(slug: str) -> bool:
    return bool(db.session.execute(select(Course.id).where(Course.slug == slug)).first()
                or db.session.execute(select(CourseDraft.id).where(CourseDraft.slug == slug)).first())


def _check_requires(slug: str, settings: dict) -> None:
    if slug in (settings.get("requires") or []):
        raise InvalidInput(_("A course cannot require itself."), field="requires")


def create_course(user, settings: dict, provider_id: int | None = None) -> CourseDraft:
    """A new course draft from the settings form: its course.toml and a first module, `modules/01-intro.md`."""
    provider = drafts.provider_of(user, provider_id)
    slug = (settings.get("slug") or "").strip()
    if not drafts.valid_slug(slug):
        raise InvalidInput(_("Use 2 to 64 lower-case letters a-z, digits and dashes, starting with a letter or "
                             "digit."), field="slug")
    if slug_taken(slug):
        raise InvalidInput(_("This address is taken by another course. Choose another one."), field="slug")
    _check_requires(slug, settings)
    draft = CourseDraft(slug=slug, provider_id=provider.id, updated_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(draft)
    except IntegrityError:  # another author took the slug a moment ago
        raise InvalidInput(_("This address is taken by another course. Choose another one."), field="slug") from None
    drafts.add_text_file(user, draft, MANIFEST, "manifest", manifest_text(settings, provider.slug, provider.name))
    title = _("Introduction")
    drafts.add_text_file(user, draft, _module_path("01-intro.md"), "module",
                         module_text({"title": title, "body": f"\n# {title}\n\n"}))
    drafts.record(user, draft, "created", detail=settings.get("title", ""))
    return draft


@dataclass
class ModuleEntry:
    """A module of the draft as the draft home lists it."""

    file: DraftFile
    filename: str
    key: str
    title: str
    problems: int = 0


@dataclass
class DraftHome:
    """What the draft's home page shows: its settings (None when the form cannot show course.toml) and modules."""

    draft: CourseDraft
    provider: Provider
    manifest: DraftFile | None
    settings: dict | None
    modules: list[ModuleEntry]
    requires: list[tuple[str, str]] = field(default_factory=list)
    started: bool = False  # the draft was started from the published version just now

    @property
    def manifest_problems(self) -> list[dict]:
        """The last check's problems in course.toml (line, code, message, severity), by line."""
        return sorted((p for p in self.draft.check_problems or [] if p.get("path") == MANIFEST),
                      key=lambda p: (p.get("line") or 0, p.get("code") or ""))

    @property
    def problems_stale(self) -> bool:
        return self.draft.checked_revision is not None and self.draft.checked_revision != self.draft.revision


def _ordered(files: list[DraftFile], manifest: DraftFile | None) -> list[DraftFile]:
    """The draft's modules in course order: the manifest's `modules` list when it has one, else by file name."""
    modules = [f for f in files if f.kind == "module"]
    names = manifest_module_list(manifest.text or "") if manifest is not None else None
    if not names:
        return sorted(modules, key=lambda f: f.path)
    by_name = {f.path[len(MODULES):]: f for f in modules}
    listed = [by_name.pop(name) for name in dict.fromkeys(names) if name in by_name]
    return listed + sorted(by_name.values(), key=lambda f: f.path)


def _manifest(files: list[DraftFile]) -> DraftFile | None:
    return next((f for f in files if f.path == MANIFEST), None)


def course_home(user, slug: str) -> DraftHome:
    """The draft of `slug` (started from the published version when there is none) with its settings and modules."""
    try:
        draft, started = drafts.get_draft_for(user, slug), False
    except NotFound:
        draft, started = drafts.open_draft(user, slug), True
    provider = db.session.get(Provider, draft.provider_id)
    files = drafts.draft_files(draft)
    manifest = _manifest(files)
    counts: dict[str, int] = {}
    for problem in draft.check_problems or []:
        counts[problem.get("path", "")] = counts.get(problem.get("path", ""), 0) + 1
    modules = [ModuleEntry(f, f.path[len(MODULES):], module_key(f.path[len(MODULES):], f.text or ""),
                           module_title(f.path[len(MODULES):], f.text or ""), counts.get(f.path, 0))
               for f in _ordered(files, manifest)]
    settings = manifest_settings(manifest.text or "") if manifest is not None else None
    return DraftHome(draft, provider, manifest, settings, modules, requires_choices(exclude=slug), started)


def save_settings(user, slug: str, settings: dict, base_revision: int) -> DraftFile:
    """Write the settings form into course.toml (keeping what the form does not show); Conflict when stale."""
    draft = drafts.get_draft_for(user, slug)
    _check_requires(slug, settings)
    provider = db.session.get(Provider, draft.provider_id)
    stored = drafts.get_file(draft, MANIFEST)
    if manifest_settings(stored.text or "") is None and stored.revision == base_revision:
        raise InvalidInput(_("course.toml holds settings this form cannot show: edit the whole file instead."))
    text = _check_text(manifest_text(settings, provider.slug, provider.name, stored.text), MAX_MANIFEST_BYTES)
    return _save(user, draft, MANIFEST, text, base_revision)


def save_manifest_source(user, slug: str, text: str, base_revision: int) -> DraftFile:
    """Save course.toml as typed (the advanced editor); the provider stays the draft's own."""
    draft = drafts.get_draft_for(user, slug)
    provider = db.session.get(Provider, draft.provider_id)
    text = _check_text(normalise(text), MAX_MANIFEST_BYTES)
    named = _named_provider(text)
    if named is not None and named != provider.slug:
        raise InvalidInput(_("provider must stay \"%(slug)s\": a course belongs to the provider that made it.",
                             slug=provider.slug), field="source")
    try:
        drafts.get_file(draft, MANIFEST)
    except NotFound:  # a draft without a manifest (an upload that lacked one): this one becomes it
        item = drafts.add_text_file(user, draft, MANIFEST, "manifest", text)
        _record_saved(user, draft, MANIFEST)
        return item
    return _save(user, draft, MANIFEST, text, base_revision)


def _named_provider(text: str) -> str | None:
    """The provider course.toml names (read as TOML, or from its `provider = "..."` line when it does not parse)."""
    data = parse_manifest(text)
    if data is not None:
        return data.get("provider")
    found = re.findall(r'^provider[ \t]*=[ \t]*"([^"]*)"', text, re.M)
    return found[0] if found else None


def _save(user, draft: CourseDraft, path: str, text: str, base_revision: int) -> DraftFile:
    before = drafts.get_file(draft, path).revision
    item = drafts.save_text(user, draft, path, text, base_revision)
    if item.revision != before:
        _record_saved(user, draft, path)
    return item


def _record_saved(user, draft: CourseDraft, path: str) -> None:
    """One history line per author and file for a run of saves (autosave saves every few seconds)."""
    last = db.session.execute(select(StudioEvent).where(StudioEvent.slug == draft.slug)
                              .order_by(StudioEvent.at.desc(), StudioEvent.id.desc()).limit(1)).scalar_one_or_none()
    now = utcnow()
    if (last is not None and last.action == "saved" and last.path == path and last.user_id == user.id
            and now - last.at < SAVE_EVENT_WINDOW):
        last.at = now
        return
    drafts.record(user, draft, "saved", path=path)


# --- the module list --------------------------------------------------------------------------------------------

def _context(user, slug: str):
    draft = drafts.get_draft_for(user, slug)
    files = drafts.draft_files(draft)
    manifest = _manifest(files)
    return draft, files, manifest, _ordered(files, manifest)


def _set_text(user, draft: CourseDraft, item: DraftFile, text: str) -> None:
    """Rewrite a file the editor itself changed (a manifest list, links after a rename): a new revision."""
    if item.text != text:
        item.text, item.size, item.revision = text, len(text.encode()), item.revision + 1
        item.updated_by_id, item.updated_at = user.id, utcnow()
        drafts.touch(user, draft)


def add_module(user, slug: str, title: str) -> DraftFile:
    """A new module `NN-<key>.md` at the end, its key made from the title (and unique in the course)."""
    title = normalise(title).strip()
    if not title or "\n" in title or len(title) > 300:
        raise InvalidInput(_("Give the module a title (at most 300 characters)."), field="title")
    draft, files, manifest, ordered = _context(user, slug)
    if len(ordered) >= MAX_MODULES:
        raise InvalidInput(_("A course may have at most %(n)d modules.", n=MAX_MODULES), field="title")
    keys = {module_key(f.path[len(MODULES):], f.text or "") for f in ordered}
    base = slugify(title)
    key, n = base, 1
    while key in keys or key == "assets":
        n += 1
        key = f"{base}-{n}"
    numbers = [int(m.group()) for f in ordered if (m := re.match(r"\d+", f.path[len(MODULES):]))]
    name = f"{max(numbers, default=0) + 1:02d}-{key}.md"
    item = drafts.add_text_file(user, draft, _module_path(name), "module",
                                module_text({"title": title, "body": f"\n# {title}\n\n"}))
    names = manifest_module_list(manifest.text or "") if manifest is not None else None
    if names is not None:
        _set_text(user, draft, manifest, with_module_list(manifest.text, [*names, name]))
    drafts.record(user, draft, "module_added", path=item.path, detail=title)
    db.session.flush()
    return item


def move_module(user, slug: str, filename: str, direction: str) -> None:
    """Move a module up or down: files are renamed to keep the `NN-` order (keys stay), links to them and the
    manifest's `modules` list follow."""
    draft, files, manifest, ordered = _context(user, slug)
    names = [f.path[len(MODULES):] for f in ordered]
    if filename not in names:
        raise NotFound(_("We could not find that module in the draft."))
    index = names.index(filename)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(user, draft, files, manifest, ordered)
    drafts.record(user, draft, "modules_reordered", path=_module_path(filename),
                  detail=" → ".join(f.path[len(MODULES):] for f in ordered))
    db.session.flush()


def _renumber(user, draft, files, manifest, ordered: list[DraftFile]) -> None:
    width = 2 if len(ordered) < 100 else 3
    renames = {}
    for position, item in enumerate(ordered, 1):
        name = item.path[len(MODULES):]
        new = f"{position:0{width}d}-{_NUMBER.sub('', name) or name}"
        if new != name and module_key(new, item.text or "") == module_key(name, item.text or ""):
            renames[name] = new
    _rename(user, draft, files, manifest, ordered, renames)


def _rename(user, draft, files, manifest, ordered, renames: dict[str, str]) -> None:
    """Rename module files (old name -> new name), then point links and the manifest's list at the new names."""
    after = [renames.get(f.path[len(MODULES):], f.path[len(MODULES):]) for f in ordered]
    taken = {f.path for f in files if f.kind != "module"}
    if len(set(after)) != len(after) or any(_module_path(name) in taken for name in after):
        raise InvalidInput(_("Two modules would get the same file name. Give them different keys first."))
    moving = [f for f in ordered if f.path[len(MODULES):] in renames]
    try:
        with db.session.begin_nested():
            for item in moving:  # through temporary names: (draft, path) is unique at every step
                item.path = f"{MODULES}.renaming-{item.id}"
            db.session.flush()
            for item in moving:
                item.path = _module_path(after[ordered.index(item)])
                item.updated_by_id, item.updated_at = user.id, utcnow()
    except IntegrityError:  # another author changed the module list at the same moment
        raise Conflict(_("Someone else changed the modules at the same moment. Reload the page and try again."))
    if renames:
        pattern = re.compile(r"(\]\(\s*<?|^\s*\[[^\]\n]+\]:[ \t]*<?)(\./)?("
                             + "|".join(re.escape(n) for n in sorted(renames, key=len, reverse=True))
                             + r")(?=[)#>\s]|$)", re.M)
        for item in ordered:
            text = pattern.sub(lambda m: m.group(1) + (m.group(2) or "") + renames[m.group(3)], item.text or "")
            _set_text(user, draft, item, text)
    if manifest is not None and manifest_module_list(manifest.text or "") is not None:
        _set_text(user, draft, manifest, with_module_list(manifest.text, after))
    drafts.touch(user, draft)
    db.session.flush()


def rename_module(user, slug: str, filename: str, title: str, key: str = "") -> DraftFile:
    """Give a module a new title and, when asked, a new key (the file name follows; learners start it afresh)."""
    title, key = normalise(title).strip(), (key or "").strip()
    if not title or "\n" in title or len(title) > 300:
        raise InvalidInput(_("Give the module a title (at most 300 characters)."), field="title")
    draft, files, manifest, ordered = _context(user, slug)
    item = drafts.get_file(draft, _module_path(filename))
    parts = split_module(item.text or "")
    if parts is None:
        raise InvalidInput(_("The module's settings at the top of the file have an error: fix it in the editor first."))
    meta, body, kind = parts
    old_key, old_title = module_key(filename, item.text or ""), module_title(filename, item.text or "")
    meta = {**meta, "title": title} if "title" in meta else {"title": title, **meta}
    new_name = filename
    if key and key != old_key:
        others = {module_key(f.path[len(MODULES):], f.text or "") for f in ordered if f is not item}
        if not KEY_RE.fullmatch(key) or key == "assets":
            raise InvalidInput(_("A key may only hold lower-case letters a-z, digits and dashes (at most 64)."),
                               field="key")
        if key in others:
            raise InvalidInput(_("Another module has this key."), field="key")
        prefix = _NUMBER.match(filename)
        new_name = f"{prefix.group() if prefix else ''}{key}.md"
        if "key" in meta or module_key(new_name, "") != key:
            meta["key"] = key
    _set_text(user, draft, item, compose_module(meta, body, kind))
    if new_name != filename:
        _rename(user, draft, files, manifest, ordered, {filename: new_name})
    detail = title if title == old_title else f"{old_title} → {title}"
    if new_name != filename:
        detail += f" ({old_key} → {key})"
    drafts.record(user, draft, "module_renamed", path=item.path, detail=detail)
    db.session.flush()
    return item


def remove_module(user, slug: str, filename: str) -> str | None:
    """Remove a module from the draft (and from the manifest's list); published versions keep it. Returns its title,
    or None when it was removed already (a double click)."""
    draft, _files, manifest, _ordered_files = _context(user, slug)
    try:
        item = drafts.get_file(draft, _module_path(filename))
    except NotFound:
        return None
    title = module_title(filename, item.text or "")
    drafts.remove_file(user, draft, item.path)
    names = manifest_module_list(manifest.text or "") if manifest is not None else None
    if names is not None and filename in names:
        _set_text(user, draft, manifest, with_module_list(manifest.text, [n for n in names if n != filename]))
    drafts.record(user, draft, "module_removed", path=item.path, detail=title)
    db.session.flush()
    return title
