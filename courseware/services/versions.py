"""A course's published versions in the studio: the list, one version's module, comparing two versions (or a version
and the draft) module by module, and restoring an old version into the draft.

Versions never change after import; each keeps its manifest and module sources (CourseVersion.manifest_source,
Module.source), so any two can be compared and any one restored exactly. Modules are matched by key, as learners'
progress is, so a renamed file is the same module. Access: services/publishing.get_target.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..content.package import MANIFEST
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import Asset, CourseVersion, DraftFile, Module, User
from . import drafts
from .publishing import Target, module_title, get_target

CONTEXT_LINES = 3  # unchanged lines shown around each change
MAX_DIFF_LINES = 2000  # per file: a whole rewrite of a long module is summarised beyond this


@dataclass
class VersionRow:
    version: CourseVersion
    published_by: str | None  # None: imported from the command line
    modules: int
    current: bool


def list_versions(user, slug: str) -> tuple[Target, list[VersionRow]]:
    """The course's versions, newest first, with who published each and its module count (one query)."""
    target = get_target(user, slug)
    if target.course is None:
        return target, []
    modules = (select(func.count(Module.id)).where(Module.version_id == CourseVersion.id)
               .correlate(CourseVersion).scalar_subquery())
    rows = db.session.execute(
        select(CourseVersion, User.name, modules).outerjoin(User, User.id == CourseVersion.published_by_id)
        .where(CourseVersion.course_id == target.course.id).order_by(CourseVersion.number.desc())
    ).all()
    current = target.course.current_version_id
    return target, [VersionRow(v, name, count, v.id == current) for v, name, count in rows]


def get_version(user, slug: str, number: int) -> tuple[Target, CourseVersion]:
    target = get_target(user, slug)
    version = None
    if target.course is not None:
        version = db.session.execute(select(CourseVersion).where(
            CourseVersion.course_id == target.course.id, CourseVersion.number == number)).scalar_one_or_none()
    if version is None:
        raise NotFound(_("The course has no version %(number)d.", number=number))
    return target, version


def get_version_module(user, slug: str, number: int, key: str) -> tuple[Target, Module]:
    """A module of one version, with its version loaded, for viewing its stored HTML."""
    target, version = get_version(user, slug, number)
    module = db.session.execute(
        select(Module).join(CourseVersion, CourseVersion.id == Module.version_id)
        .options(contains_eager(Module.version)).where(Module.version_id == version.id, Module.key == key)
    ).scalar_one_or_none()
    if module is None:
        raise NotFound(_("We could not find that module."))
    return target, module


def find_version_asset(user, slug: str, number: int, path: str) -> Asset | None:
    """An asset of one version (for the images of a version's module page)."""
    _target, version = get_version(user, slug, number)
    return db.session.execute(select(Asset).where(Asset.version_id == version.id, Asset.path == path)
                              ).scalar_one_or_none()


# --- comparing --------------------------------------------------------------------------------------------------

@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed" or "gap" (unchanged lines left out)
    old: int | None  # line number in the older text
    new: int | None  # line number in the newer text
    text: str


@dataclass
class FileChange:
    """One module (matched by key), the manifest, or an asset, from one side to the other."""

    status: str  # "added", "removed", "changed" or "unchanged"
    key: str | None
    title: str | None
    old_path: str | None
    new_path: str | None
    lines: list[DiffLine] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    truncated: bool = False


@dataclass
class Comparison:
    target: Target
    old_label: int  # the older version's number
    new_label: int | None  # the newer version's number; None for the draft
    manifest: FileChange
    modules: list[FileChange]
    assets: list[FileChange]

    @property
    def changed(self) -> bool:
        return any(c.status != "unchanged" for c in [self.manifest, *self.modules, *self.assets])


def compare(user, slug: str, old_number: int, new: int | str) -> Comparison:
    """What changed from version `old_number` to version `new` (a number) or to the draft ("draft")."""
    target, old_version = get_version(user, slug, old_number)
    old_files = _files_of(old_version)
    if new == "draft":
        if target.draft is None:
            raise NotFound(_("Nobody has started a draft of this course yet."))
        new_files, new_label = drafts.draft_files(target.draft), None
    else:
        _target, new_version = get_version(user, slug, int(new))
        new_files, new_label = _files_of(new_version), new_version.number
    old_by_path = {f.path: f for f in old_files}
    new_by_path = {f.path: f for f in new_files}
    manifest = _change(None, None, old_by_path.get(MANIFEST), new_by_path.get(MANIFEST))
    return Comparison(target, old_version.number, new_label, manifest, _module_changes(target, old_files, new_files),
                      _asset_changes(old_files, new_files))


def _files_of(version: CourseVersion) -> list[DraftFile]:
    try:
        return drafts.version_files(version)
    except InvalidInput:
        raise InvalidInput(_("Version %(number)d was imported before the platform kept course sources, so it cannot "
                             "be compared.", number=version.number)) from None


def _module_changes(target: Target, old_files, new_files) -> list[FileChange]:
    old = _modules_by_key(target, old_files)
    new = _modules_by_key(target, new_files)
    changes = []
    for key in list(new) + [k for k in old if k not in new]:  # the newer order, then what was removed
        before, after = old.get(key), new.get(key)
        title = module_title((after or before).text) or key
        changes.append(_change(key, title, before, after))
    return changes


def _modules_by_key(target: Target, files) -> dict[str, DraftFile]:
    modules = [f for f in files if f.kind == "module"]
    links = drafts.draft_context(target.draft, modules).module_links  # file name -> key, as the renderer reads it
    return {links[f.path.split("/", 1)[1]]: f for f in modules}


def _asset_changes(old_files, new_files) -> list[FileChange]:
    old = {f.path: f for f in old_files if f.kind == "asset"}
    new = {f.path: f for f in new_files if f.kind == "asset"}
    changes = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        status = ("added" if before is None else "removed" if after is None
                  else "unchanged" if before.sha256 == after.sha256 else "changed")
        if status != "unchanged":
            changes.append(FileChange(status, None, None, before and before.path, after and after.path))
    return changes


def _change(key, title, before: DraftFile | None, after: DraftFile | None) -> FileChange:
    old_text = before.text or "" if before is not None else ""
    new_text = after.text or "" if after is not None else ""
    status = ("added" if before is None else "removed" if after is None
              else "unchanged" if old_text == new_text else "changed")
    change = FileChange(status, key, title, before and before.path, after and after.path)
    if status != "unchanged":
        change.lines, change.truncated = diff_lines(old_text, new_text)
        change.added = sum(line.kind == "added" for line in change.lines)
        change.removed = sum(line.kind == "removed" for line in change.lines)
    return change


def diff_lines(old_text: str, new_text: str, context: int = CONTEXT_LINES) -> tuple[list[DiffLine], bool]:
    """A line diff of two texts with `context` unchanged lines around each change and a "gap" line for what is left
    out between; (lines, whether it was cut at MAX_DIFF_LINES)."""
    old, new = old_text.splitlines(), new_text.splitlines()
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        first = group[0]
        if number or first[1] > 0 or first[3] > 0:
            out.append(DiffLine("gap", first[1] + 1, first[3] + 1, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [DiffLine("same", i + 1, j1 + (i - i1) + 1, old[i]) for i in range(i1, i2)]
                continue
            out += [DiffLine("removed", i + 1, None, old[i]) for i in range(i1, i2)]
            out += [DiffLine("added", None, j + 1, new[j]) for j in range(j1, j2)]
    if len(out) > MAX_DIFF_LINES:
        return out[:MAX_DIFF_LINES], True
    return out, False


# --- restoring --------------------------------------------------------------------------------------------------

def restore(user, slug: str, number: int) -> CourseVersion:
    """Make version `number`'s files the draft's files (a history line says so); publishing makes it live again."""
    target, version = get_version(user, slug, number)
    draft = target.draft or drafts.open_draft(user, slug)
    drafts.replace_files(user, draft, drafts.version_files(version))
    drafts.record(user, draft, "restored", version_number=version.number)
    db.session.flush()
    return version
