"""A draft's assets in the studio: the images and files its modules link to, with the format's type and size rules.

An upload must have an allowed extension (COURSE_FORMAT.md: png, jpg/jpeg, gif, webp, pdf, mp3, mp4), content that
is what the extension says (sniffed as the checker does), at most MAX_ASSET_MB, and a safe name (lower-case
`[a-z0-9._-]`, no folders). Images need alt text: screen readers read it aloud, and it shows where an image cannot
load. An asset a module still links to is not removed. Every function checks the acting user's access itself.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..content.package import ASSET_TYPES, ASSETS_DIR, SAME_TYPE, SVG, sniff_type
from ..content.svg import sanitise_svg
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Course, CourseDraft, CourseVersion, DraftFile
from . import drafts
from .packages import IMAGE_EXTENSIONS, image_alts

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_ALT = 500
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ß": "ss"})


@dataclass
class AssetRow:
    """One asset of the draft as the assets page lists it."""

    file: DraftFile
    name: str  # its path inside assets/, e.g. "fjos-sensor.png" (or "docs/x.pdf" in an imported package)
    linked_from: list[str]  # module files that link to it
    alt: str = ""  # the image's alt text: as stored, else as the modules give it (a draft opened from a version)

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""

    @property
    def is_image(self) -> bool:
        return self.extension in IMAGE_EXTENSIONS

    @property
    def markdown(self) -> str:
        """What to paste into a module (modules/ is beside assets/)."""
        if self.is_image:
            return f"![{_escape(self.alt)}](../{ASSETS_DIR}/{self.name})"
        return f"[{_escape(self.name)}](../{ASSETS_DIR}/{self.name})"


@dataclass
class AssetsPage:
    draft: CourseDraft
    assets: list[AssetRow]
    version_number: int | None  # the course's published version, when it has one


def _escape(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def _require(user, draft: CourseDraft) -> None:
    if not drafts.can_edit_draft(user, draft):
        raise PermissionDenied(_("This course belongs to another provider."))


def _links(name: str) -> re.Pattern:
    return re.compile(rf"{ASSETS_DIR}/{re.escape(name)}(?![A-Za-z0-9._/-])")


def list_assets(user, draft: CourseDraft) -> AssetsPage:
    """The draft's assets by name, each with the modules that link to it, and the published version (2 queries)."""
    _require(user, draft)
    files = drafts.draft_files(draft)
    modules = [f for f in files if f.kind == "module"]
    alts = image_alts(m.text for m in modules)
    rows = []
    for item in files:
        if item.kind != "asset":
            continue
        name = item.path.split("/", 1)[1]
        pattern = _links(name)
        rows.append(AssetRow(item, name, [m.path for m in modules if pattern.search(m.text or "")],
                             item.alt or alts.get(name, "")))
    number = db.session.execute(select(CourseVersion.number).join(
        Course, Course.current_version_id == CourseVersion.id).where(Course.slug == draft.slug)).scalar_one_or_none()
    return AssetsPage(draft, rows, number)


def safe_name(filename: str) -> str:
    """A file name as an asset name: lower case, æøå spelt out, spaces as dashes, only a-z 0-9 . _ - and no folder."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].lower().translate(_LETTERS)
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9._-]+", "-", name)
    name = re.sub(r"-{2,}", "-", name).strip("-.")
    return re.sub(r"\.{2,}", ".", name)


def _checked_name(name: str) -> str:
    if not NAME_RE.fullmatch(name) or ".." in name or "." not in name:
        raise InvalidInput(_("Give the file a name of lower-case letters a-z, digits, dots, dashes and underscores, "
                             "ending in its type, e.g. sensor-i-fjoset.jpg."), field="name")
    extension = name.rsplit(".", 1)[1]
    if extension not in ASSET_TYPES:
        raise InvalidInput(_("Files of type .%(type)s cannot be used in a course. Allowed: %(types)s.",
                             type=extension[:10], types=", ".join(sorted(ASSET_TYPES))), field="file")
    return name


def _safe_svg(data: bytes) -> bytes:
    """An SVG as svg.py re-writes it (what the checker accepts and learners get); InvalidInput when it cannot be
    made safe, saying what to change."""
    result = sanitise_svg(data)
    if result.refused:
        problem = result.problems[0] if result.problems else None
        raise InvalidInput(_("This SVG cannot be used as it is (%(code)s%(detail)s): it holds scripts, links to other "
                             "files or parts a browser would run. Export it again as plain SVG, or as PNG.",
                             code=problem.code if problem else "E180",
                             detail=f": {problem.detail}" if problem and problem.detail else ""), field="file")
    return result.data


def _clean_alt(alt: str | None) -> str:
    alt = " ".join((alt or "").split())
    if len(alt) > MAX_ALT:
        raise InvalidInput(_("The alt text may be at most %(n)d characters.", n=MAX_ALT), field="alt")
    return alt


def add_asset(user, draft: CourseDraft, filename: str, data: bytes, alt: str | None = None,
              name: str | None = None, replace: str | None = None) -> DraftFile:
    """Upload a new asset (named `name`, else after `filename`), or new bytes for the asset `replace`.

    InvalidInput (with the field it concerns) for a forbidden type, content that is not what the name says, a file
    over MAX_ASSET_MB, an image without alt text or a name already taken."""
    _require(user, draft)
    if replace:
        existing = _asset(draft, replace)
        name = replace
    else:
        name = _checked_name(safe_name(name or "") or safe_name(filename))
        existing = _find(draft, name)
        if existing is not None:
            raise InvalidInput(_("There is a file named %(name)s already. To change it, use \"Replace\" on its row; "
                                 "or choose another name.", name=name), field="name")
    extension = name.rsplit(".", 1)[-1].lower()
    cap_mb = current_app.config.get("MAX_ASSET_MB", 20)
    if not data:
        raise InvalidInput(_("The file is empty."), field="file")
    if len(data) > cap_mb * 1024 * 1024:
        raise InvalidInput(_("The file is %(size).1f MiB; a file may be at most %(cap)s MiB. Make it smaller (a "
                             "lower resolution, or a video on YouTube or Vimeo).", size=len(data) / 1048576,
                             cap=cap_mb), field="file")
    if extension == SVG:
        data = _safe_svg(data)
    sniffed = SVG if extension == SVG else sniff_type(data[:16])
    expected = SAME_TYPE.get(extension, extension)
    if sniffed is None:
        raise InvalidInput(_("The content of this file is not a %(type)s file, although its name says so. Save or "
                             "export it again in that format.", type=extension.upper()), field="file")
    if sniffed != expected:
        raise InvalidInput(_("This is a %(found)s file, but its name ends in .%(ext)s. Upload it with a name ending "
                             "in .%(found_ext)s.", found=sniffed.upper(), ext=extension, found_ext=sniffed),
                           field="file")
    alt = _clean_alt(alt if alt is not None or existing is None else existing.alt)
    if extension in IMAGE_EXTENSIONS and not alt:
        raise InvalidInput(_("Describe the image in a few words. Learners who cannot see it hear this text read "
                             "aloud, and everyone sees it if the image does not load."), field="alt")
    item = drafts.add_asset_file(user, draft, f"{ASSETS_DIR}/{name}", data, ASSET_TYPES[extension],
                                 alt=alt if extension in IMAGE_EXTENSIONS else None)
    drafts.record(user, draft, "asset_replaced" if existing is not None else "asset_added", path=item.path)
    return item


def set_alt(user, draft: CourseDraft, name: str, alt: str) -> DraftFile:
    """Change an image's alt text (required: an image without it is refused)."""
    _require(user, draft)
    item = _asset(draft, name)
    alt = _clean_alt(alt)
    if not alt:
        raise InvalidInput(_("Describe the image in a few words. Learners who cannot see it hear this text read "
                             "aloud, and everyone sees it if the image does not load."), field="alt")
    if item.alt != alt:
        item.alt = alt
        item.revision += 1
        drafts.touch(user, draft)
        drafts.record(user, draft, "asset_alt_changed", path=item.path)
        db.session.flush()
    return item


def remove_asset(user, draft: CourseDraft, name: str) -> None:
    """Remove an asset; refused while a module of the draft links to it (the link would break)."""
    _require(user, draft)
    item = _asset(draft, name)
    pattern = _links(name)
    linked = [f.path for f in drafts.draft_files(draft) if f.kind == "module" and pattern.search(f.text or "")]
    if linked:
        raise InvalidInput(_("%(name)s is still used in %(modules)s. Remove it from the text there first, then "
                             "remove the file.", name=name, modules=", ".join(linked)))
    drafts.remove_file(user, draft, item.path)
    drafts.record(user, draft, "asset_removed", path=item.path)


def get_draft_asset(user, slug: str, name: str) -> DraftFile:
    """An asset of the draft of `slug`, for its provider's staff (NotFound, PermissionDenied)."""
    draft = drafts.get_draft_for(user, slug)
    return _asset(draft, name)


def _find(draft: CourseDraft, name: str) -> DraftFile | None:
    return db.session.execute(select(DraftFile).where(
        DraftFile.draft_id == draft.id, DraftFile.path == f"{ASSETS_DIR}/{name}",
        DraftFile.kind == "asset")).scalar_one_or_none()


def _asset(draft: CourseDraft, name: str) -> DraftFile:
    found = _find(draft, name or "")
    if found is None:
        raise NotFound(_("There is no file named %(name)s in this course.", name=(name or "")[:200]))
    return found
