"""Helpers for the studio's package and asset tests: zips made in memory, and a snapshot of everything an upload
could change (database rows of drafts, files, courses, versions and history; the media and courses folders)."""
import io
import os
import stat
import zipfile
from pathlib import Path

from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Asset, Course, CourseDraft, CourseVersion, DraftFile, Module, Provider, StudioEvent

from .conftest import FIXTURE_COURSES

PNG = (FIXTURE_COURSES / "minimal" / "assets" / "fjos-sensor.png").read_bytes()
PDF = (FIXTURE_COURSES / "minimal" / "assets" / "sjekkliste.pdf").read_bytes()


def package_files(name: str = "minimal", changes: dict[str, bytes | None] | None = None) -> dict[str, bytes]:
    """A fixture package's files by relative path (README.md left out), with `changes` applied (None removes)."""
    root = FIXTURE_COURSES / name
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and p.name != "README.md"}
    for path, data in (changes or {}).items():
        if data is None:
            files.pop(path, None)
        else:
            files[path] = data
    return files


def make_zip(files: dict[str, bytes], prefix: str = "", *, links: dict[str, str] | None = None,
             encrypted: tuple[str, ...] = ()) -> bytes:
    """A zip of `files` under `prefix` (e.g. "kurs/"); `links` adds symbolic-link entries (name -> target)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(prefix + path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(prefix + name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    data = out.getvalue()
    return _mark_encrypted(data, {prefix + name for name in encrypted}) if encrypted else data


def _mark_encrypted(data: bytes, names: set[str]) -> bytes:
    """Set the "encrypted" flag of these entries in their local and central headers (zipfile cannot write it)."""
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        for info in archive.infolist():
            if info.filename in names:
                data[info.header_offset + 6] |= 0x1
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length].decode() in names:
            data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 46)
    return bytes(data)


def unpack(data: bytes, folder: Path) -> None:
    """Unpack a zip the platform made (trusted) into folder."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)


def listing(folder: str | Path) -> list[tuple[str, int]]:
    """Every file under folder with its size (empty when the folder does not exist)."""
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted((os.path.relpath(os.path.join(d, f), folder), os.path.getsize(os.path.join(d, f)))
                  for d, _dirs, names in os.walk(folder) for f in names)


def snapshot(app) -> dict:
    """Everything a refused upload must leave as it was."""
    rows = lambda stmt: [tuple(r) for r in db.session.execute(stmt).all()]  # noqa: E731
    return {
        "drafts": rows(select(CourseDraft.id, CourseDraft.slug, CourseDraft.provider_id, CourseDraft.revision,
                              CourseDraft.updated_at).order_by(CourseDraft.id)),
        "files": rows(select(DraftFile.id, DraftFile.draft_id, DraftFile.path, DraftFile.text, DraftFile.sha256,
                             DraftFile.alt, DraftFile.revision).order_by(DraftFile.id)),
        "courses": rows(select(Course.id, Course.slug, Course.provider_id, Course.current_version_id)
                        .order_by(Course.id)),
        "versions": rows(select(CourseVersion.id, CourseVersion.course_id, CourseVersion.number)
                         .order_by(CourseVersion.id)),
        "modules": rows(select(Module.id).order_by(Module.id)),
        "assets": rows(select(Asset.id, Asset.sha256).order_by(Asset.id)),
        "providers": rows(select(Provider.id, Provider.slug).order_by(Provider.id)),
        "events": rows(select(StudioEvent.id, StudioEvent.action).order_by(StudioEvent.id)),
        "media": listing(app.config["MEDIA_DIR"]),
        "courses_dir": listing(app.config["COURSES_DIR"]),
    }
