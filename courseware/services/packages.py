"""Course packages in and out of the studio: any published version or the draft as a zip, and a zip as a draft.

A zip holds one package in exactly the COURSE_FORMAT.md layout inside a folder named after the slug
(`<slug>/course.toml`, `<slug>/modules/...`, `<slug>/assets/...`), so `courseware check` and `courseware import`
take it as it is. Downloads are deterministic: the same files give the same bytes.

An uploaded zip is untrusted. It is refused, with nothing changed in the database or on disk, when it is not a
zip, when an entry could escape its folder (absolute, `..`, backslashes, drive letters, NUL, symlinks), is
encrypted, or when it holds too many entries or unpacks past STUDIO_ZIP_MAX_MB (counted while reading, never from
the headers), a file past MAX_ASSET_MB, or anything the checker refuses. Only a zip that passes every check becomes
the draft's content. Every function checks the acting user's access itself.
"""
from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..content.checker import check_package
from ..content.files import OS_LEFTOVERS
from ..content.package import ASSETS_DIR, MANIFEST, MODULES_DIR, SLUG_RE, PackageData, read_manifest
from ..content.requires import requires_context
from ..errors import ContentError, InvalidInput, NotFound, PermissionDenied
from ..extensions import db
from ..models import Course, CourseDraft, CourseVersion, DraftFile, Provider
from ..storage import media_store
from . import drafts
from .studio import can_manage_course, get_course_for, require_staff

# Zip entries carry no real time: a fixed one (the earliest a zip can hold) makes the same files the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20
# A download is built in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")


# --- out ------------------------------------------------------------------------------------------------------

@dataclass
class PackageZip:
    """A built zip: a file object at its start (the caller closes it), its size and the name to save it as."""

    file: IO[bytes]
    size: int
    filename: str


def version_zip(user, slug: str, number: int) -> PackageZip:
    """Version `number` of a course the user manages, as a package zip (InvalidInput for a version without sources)."""
    course = get_course_for(user, slug)
    version = db.session.execute(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.number == number)).scalar_one_or_none()
    if version is None:
        raise NotFound(_("This course has no version %(number)d.", number=number))
    return build_zip(slug, drafts.version_files(version), f"{slug}-v{number}.zip")


def draft_zip(user, slug: str) -> PackageZip:
    """The current draft of a course the user may edit, as a package zip."""
    draft = drafts.get_draft_for(user, slug)
    return build_zip(slug, drafts.draft_files(draft), f"{slug}-draft.zip")


def build_zip(slug: str, files: list[DraftFile], filename: str) -> PackageZip:
    """Write `files` under `<slug>/` into a zip: sorted, with fixed times and modes; assets copied in chunks."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        with zipfile.ZipFile(out, "w") as archive:
            for item in sorted(files, key=lambda f: f.path):
                info = zipfile.ZipInfo(f"{slug}/{item.path}", date_time=ZIP_TIME)
                info.create_system = 3  # Unix, whatever system builds it: the modes below mean the same everywhere
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                if item.kind == "asset":
                    info.compress_type = zipfile.ZIP_STORED  # images, PDFs and media are compressed already
                    info.file_size = item.size
                    with media_store().open(item.sha256) as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target, CHUNK)
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, (item.text or "").encode("utf-8"), compresslevel=6)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return PackageZip(out, size, filename)


# --- in -------------------------------------------------------------------------------------------------------

def upload_target(user, slug: str | None = None) -> tuple[CourseDraft | None, Course | None]:
    """The draft and course a zip for `slug` would replace ((None, None) for a new course); NotFound or
    PermissionDenied unless the user may upload it."""
    require_staff(user)
    if slug is None:
        return None, None
    draft, course = _existing(slug)
    if draft is None and course is None:
        raise NotFound(_("We could not find that course."))
    if (draft is not None and not drafts.can_edit_draft(user, draft)) or (
            course is not None and not can_manage_course(user, course)):
        raise PermissionDenied(_("This course belongs to another provider."))
    return draft, course


def _existing(slug: str) -> tuple[CourseDraft | None, Course | None]:
    if not SLUG_RE.fullmatch(slug or ""):
        return None, None
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == slug)).scalar_one_or_none()
    course = db.session.execute(select(Course).where(Course.slug == slug)).scalar_one_or_none()
    return draft, course


def upload_package(user, stream: IO[bytes], *, slug: str | None = None, replace: str | None = None,
                   filename: str = "") -> CourseDraft:
    """Make an uploaded zip a course draft: a new course's, or (`replace`: its slug) an existing course's.

    `slug` names the course when the zip holds the package's files at its top rather than in a folder. Raises
    InvalidInput (with the reason) or ContentError (with the checker's problems) and changes nothing unless
    every check passes; then the draft holds exactly the package's files and its history says so. Flushes."""
    require_staff(user)
    if replace:
        upload_target(user, replace)
    with tempfile.TemporaryDirectory(prefix="courseware-upload-") as tmp:
        root = unpack(stream, Path(tmp), replace or (slug or "").strip() or None)
        if replace and root.name != replace:
            raise InvalidInput(_("This zip holds the course '%(found)s', not '%(slug)s'. Upload it on that course's "
                                 "page, or rename its folder.", found=root.name, slug=replace))
        data = check_unpacked(root)
        provider = _provider_for(user, data.provider)
        draft, course = _existing(root.name)
        _check_owner(root.name, provider, draft, course, replacing=bool(replace))
        files = _package_files(root, data)  # the media store is written only now, when everything passed
    if draft is None and course is None:
        draft = CourseDraft(slug=root.name, provider_id=provider.id, updated_by_id=user.id)
        db.session.add(draft)
        db.session.flush()
    else:
        draft = drafts.open_draft(user, root.name)
    drafts.replace_files(user, draft, files)
    drafts.record(user, draft, "uploaded", detail=(filename or "")[:200])
    db.session.flush()
    return draft


def _refuse(message: str):
    raise InvalidInput(message)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's path, refused when it could land outside the folder it is unpacked into."""
    raw = info.orig_filename
    name = info.filename
    shown = raw.replace("\x00", "\\0")[:200]
    if "\x00" in raw or "\x00" in name:
        _refuse(_("The zip holds an entry whose name has a NUL character (%(name)s). Nothing was changed.",
                  name=shown))
    if "\\" in raw or "\\" in name:
        _refuse(_("The zip holds an entry with a backslash in its name (%(name)s): zips made on Windows by some "
                  "tools do this. Make the zip again with the system's own \"compress\" command. Nothing was changed.",
                  name=shown))
    if name.startswith("/") or _DRIVE.match(name):
        _refuse(_("The zip holds an entry with an absolute path (%(name)s). A course zip holds only paths inside "
                  "its folder. Nothing was changed.", name=shown))
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        _refuse(_("The zip holds an entry whose path leaves its folder or is empty (%(name)s). Nothing was changed.",
                  name=shown))
    return name


def _check_entry(info: zipfile.ZipInfo) -> str:
    name = _entry_name(info)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        _refuse(_("The zip holds a symbolic link (%(name)s); a course may only hold real files. Nothing was changed.",
                  name=name[:200]))
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        _refuse(_("The zip holds an entry that is not a file or a folder (%(name)s). Nothing was changed.",
                  name=name[:200]))
    if info.flag_bits & 0x1:
        _refuse(_("The zip is protected with a password (%(name)s). Upload a zip without a password. "
                  "Nothing was changed.", name=name[:200]))
    return name


def _ignored(name: str) -> bool:
    """What the checker skips in a folder: folders starting with _ or . (__MACOSX, .git) and system leftovers."""
    parts = name.split("/")
    if any(part.startswith(("_", ".")) for part in parts[:-1]):
        return True
    return parts[-1] in OS_LEFTOVERS or parts[-1].startswith("._")


def _entries_in_directory(stream: IO[bytes]) -> int | None:
    """The entry count the zip's end record states, read before the central directory is (None: not stated)."""
    try:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(max(0, size - 65557))
        tail = stream.read()
        stream.seek(0)
    except (OSError, ValueError):
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 12:
        return None
    count = int.from_bytes(tail[at + 10:at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: the real count is in a zip64 record


def unpack(stream: IO[bytes], folder: Path, slug: str | None) -> Path:
    """Unpack a zip safely into `folder/<slug>/` and return that path; InvalidInput on the first reason to refuse.

    `slug` names the folder when the zip holds `course.toml` at its top; else the zip's single top folder does."""
    config = current_app.config
    max_entries = int(config.get("STUDIO_ZIP_MAX_ENTRIES", 2000))
    max_total = int(config.get("STUDIO_ZIP_MAX_MB", 200) * 1024 * 1024)
    max_file = int(config.get("MAX_ASSET_MB", 20) * 1024 * 1024)
    too_many = _("The zip holds more than %(limit)d files and folders; a course needs far fewer. Nothing was changed.",
                 limit=max_entries)
    stated = _entries_in_directory(stream)
    if stated is not None and stated > max_entries:
        _refuse(too_many)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        _refuse(_("This file is not a zip file, or it is damaged. Upload the course folder compressed as a .zip "
                  "file. Nothing was changed."))
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            _refuse(too_many)
        entries = []
        for info in infos:
            name = _check_entry(info)
            if not info.is_dir() and not _ignored(name):
                entries.append((name, info))
        names = {name for name, _info in entries}
        if MANIFEST in names:
            if not slug:
                _refuse(_("The zip holds the course files at its top, without a folder: give the course's slug "
                          "(its short name for web addresses) in the form. Nothing was changed."))
            prefix = ""
        else:
            tops = {name.split("/", 1)[0] for name in names}
            if len(tops) != 1 or f"{next(iter(tops))}/{MANIFEST}" not in names:
                _refuse(_("The zip holds no course.toml, neither at its top nor inside one folder. Compress the "
                          "course's folder (the one that holds course.toml). Nothing was changed."))
            slug = next(iter(tops))
            prefix = f"{slug}/"
        if not SLUG_RE.fullmatch(slug):
            _refuse(_("'%(slug)s' is not a valid course slug: use 2-64 lower-case letters a-z, digits and dashes, "
                      "starting with a letter or digit. Nothing was changed.", slug=slug[:80]))
        root = folder / slug
        root.mkdir()
        total = 0
        for name, info in sorted(entries):
            relpath = name[len(prefix):]
            target = root / relpath
            if not target.resolve().is_relative_to(root.resolve()):  # the names were checked; twice is cheap
                _refuse(_("The zip holds an entry that leaves its folder. Nothing was changed."))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with archive.open(info) as source, open(target, "xb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > max_file:
                            _refuse(_("%(name)s is larger than %(cap)s MiB unpacked; a file in a course may be at "
                                      "most that. Nothing was changed.", name=relpath[:200],
                                      cap=config.get("MAX_ASSET_MB", 20)))
                        if total > max_total:
                            _refuse(_("The zip unpacks to more than %(cap)d MiB; a course zip may hold at most that. "
                                      "Nothing was changed.", cap=config.get("STUDIO_ZIP_MAX_MB", 200)))
                        out.write(chunk)
            except FileExistsError:
                _refuse(_("The zip holds %(name)s twice (or as a file and a folder). Nothing was changed.",
                          name=relpath[:200]))
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
                _refuse(_("The zip is damaged or uses a kind of compression the platform cannot read (%(name)s). "
                          "Make it again with the system's own \"compress\" command. Nothing was changed.",
                          name=relpath[:200]))
    return root


def check_unpacked(root: Path) -> PackageData:
    """Run the checker on an unpacked package; ContentError with its problems (path inside the package) if any
    is an error."""
    context = requires_context([root])
    data, problems = check_package(root, context.known, context.graph)
    if data is None:
        found = drafts.checked_problems(problems, root.name)
        raise ContentError(_("The course in the zip has errors, so nothing was changed. Fix them and upload it "
                             "again."), found)
    return data


def _provider_for(user, provider_slug: str) -> Provider:
    provider = db.session.execute(select(Provider).where(Provider.slug == provider_slug)).scalar_one_or_none()
    if user.is_admin:
        if provider is None:
            _refuse(_("course.toml names the provider '%(slug)s', which does not exist. Create the provider first, "
                      "or correct provider in course.toml. Nothing was changed.", slug=provider_slug))
        return provider
    if provider is None or provider.id != user.provider_id:
        own = db.session.get(Provider, user.provider_id)
        _refuse(_("course.toml names the provider '%(slug)s', but your courses belong to '%(own)s'. Write "
                  "provider = \"%(own)s\" in course.toml. Nothing was changed.", slug=provider_slug, own=own.slug))
    return provider


def _check_owner(slug: str, provider: Provider, draft: CourseDraft | None, course: Course | None,
                 replacing: bool) -> None:
    if (course is not None and course.provider_id != provider.id) or (
            draft is not None and draft.provider_id != provider.id):
        _refuse(_("The slug '%(slug)s' belongs to another provider's course. Choose another slug. Nothing was "
                  "changed.", slug=slug))
    if not replacing and (course is not None or draft is not None):
        _refuse(_("There is a course with the slug '%(slug)s' already. To replace its draft, upload the zip from "
                  "that course's page; for a new course, choose another slug. Nothing was changed.", slug=slug))


_IMAGE_ALT = re.compile(r"!\[([^\]\n]{1,500})\]\((?:\.\./)?assets/([^)\s]+)")


def image_alts(texts) -> dict[str, str]:
    """The alt text each image in assets/ first has in these module texts, by its path inside assets/."""
    alts: dict[str, str] = {}
    for text in texts:
        for alt, path in _IMAGE_ALT.findall(text or ""):
            if alt.strip():
                alts.setdefault(path, alt.strip())
    return alts


def _package_files(root: Path, data: PackageData) -> list[DraftFile]:
    """The checked package as new draft files; asset bytes go to the media store (alt text from the modules)."""
    manifest = read_manifest(root)
    files = [DraftFile(path=MANIFEST, kind="manifest", text=manifest, size=len(manifest.encode()))]
    alts = image_alts(module.source for module in data.modules)
    for module in data.modules:
        files.append(DraftFile(path=f"{MODULES_DIR}/{module.filename}", kind="module", text=module.source,
                               size=len(module.source.encode())))
    for asset in data.assets:
        # An SVG is kept as svg.py re-wrote it (what the checker passed), never as uploaded
        content = asset.data if asset.data is not None else asset.file.read_bytes()
        sha256 = drafts.store_bytes(content, asset.content_type)
        is_image = asset.path.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS
        files.append(DraftFile(path=f"{ASSETS_DIR}/{asset.path}", kind="asset", sha256=sha256, size=len(content),
                               content_type=asset.content_type, alt=alts.get(asset.path) if is_image else None))
    return files
