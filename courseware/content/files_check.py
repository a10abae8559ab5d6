"""Checking a package's files: which files may be there, what they hold, and reading them within their caps."""
from __future__ import annotations

import logging
from pathlib import Path

from flask_babel import gettext as _

from .files import (
    DEEP_FOLDER, MAX_FOLDER_DEPTH, MAX_PACKAGE_BYTES, SPECIAL, SYMLINK, FileTooLarge, NotRegularFile, PackageFile,
    open_regular, read_capped,
)
from .media_check import report_svg
from .package import (
    ASSET_TYPES, ASSETS_DIR, MANIFEST, MODULES_DIR, README, SAME_TYPE, SVG, TextError, decode_text, sniff_type,
)
from .problems import Reporter, config, short
from .svg import sanitise_svg

log = logging.getLogger(__name__)


def unexpected(report: Reporter, relpath: str | None, error: Exception, root: Path | None = None) -> None:
    """Report an exception as an error of the package: E160 for a file that cannot be read, else E190 (a bug)."""
    if isinstance(error, OSError):
        if relpath is None and root is not None and error.filename:
            try:
                relpath = Path(error.filename).relative_to(root).as_posix()
            except ValueError:
                pass
        report.error(relpath, 1, "E160", _unreadable_message(error))
        return
    log.exception("Checking %s failed", report.path(relpath))
    report.error(relpath, 1, "E190", _("unexpected error while checking this package (%(error)s); please report it",
                                       error=short(f"{type(error).__name__}: {error}", 200)))


def _unreadable_message(error: OSError) -> str:
    if isinstance(error, NotRegularFile):
        return _("this is not a regular file (but a pipe, device, socket or link): a package holds only files")
    if isinstance(error, PermissionError):
        return _("the file cannot be read: the platform has no permission to read it")
    return _("the file cannot be read (%(error)s)", error=short(error.strerror or type(error).__name__, 100))


def _size(size: int) -> str:
    return f"{size / 1048576:.1f} MiB" if size >= 1048576 else f"{-(-size // 1024)} KiB"


def read_text(item: PackageFile, cap: int, report: Reporter) -> str | None:
    """A text file of the package read as UTF-8, at most cap bytes; None after reporting why it cannot be."""
    try:
        if item.size > cap:
            raise FileTooLarge(item.size)
        return decode_text(read_capped(item.path, cap))
    except FileTooLarge as error:
        if item.relpath.startswith(f"{MODULES_DIR}/"):
            message = _("the module is %(size)s; a module may be at most %(cap)s: split it into two or more modules",
                        size=_size(error.size), cap=_size(cap))
        else:
            message = _("the file is %(size)s; it may be at most %(cap)s", size=_size(error.size), cap=_size(cap))
        report.error(item.relpath, 1, "E108", message)
    except TextError as error:
        report.error(item.relpath, error.line, "E103", _("the file is not UTF-8 text: save it as UTF-8"))
    except OSError as error:
        report.error(item.relpath, 1, "E160", _unreadable_message(error))
    return None


def check_files(files: list[PackageFile], report: Reporter):
    """Sort a package's files into manifest, modules and assets; report everything else."""
    cap = int(config("MAX_ASSET_MB", 20) * 1024 * 1024)
    manifest, modules, assets = None, {}, []
    reported_folders: set[str] = set()
    for item in files:
        parts = item.relpath.split("/")
        if item.kind == SYMLINK:
            report.error(item.relpath, 1, "E107", _("this is a symbolic link; a package may only hold real files"))
            continue
        if item.kind == SPECIAL:
            report.error(item.relpath, 1, "E160", _unreadable_message(NotRegularFile(item.path)))
            continue
        if item.kind == DEEP_FOLDER:
            report.error(item.relpath, 1, "E109", _("folders may be at most %(limit)d levels deep: move these files "
                                                    "up", limit=MAX_FOLDER_DEPTH))
            continue
        if len(item.relpath) > 250:
            report.error(item.relpath, 1, "E109", _("the file name is too long: keep names under 200 characters"))
            continue
        if not item.relpath.isprintable():
            report.error(item.relpath, 1, "E109", _("the name holds control characters or bytes that are not UTF-8: "
                                                    "rename it with letters, digits and dashes"))
            continue
        checked_on_reading = parts[0] == MODULES_DIR and item.extension == "md" or item.relpath == MANIFEST
        if item.size > cap and not checked_on_reading:  # modules and course.toml have smaller caps of their own
            report.error(item.relpath, 1, "E108", _("the file is %(size).1f MiB; files may be at most %(cap)s MiB",
                                                    size=item.size / 1048576, cap=config("MAX_ASSET_MB", 20)))
            continue
        if len(parts) == 1 and parts[0] == MANIFEST:
            manifest = item
        elif len(parts) == 1 and parts[0] == README:
            read_text(item, cap, report)
        elif parts[0] == MODULES_DIR and len(parts) == 2 and item.extension == "md":
            modules[parts[1]] = item
        elif parts[0] == ASSETS_DIR and len(parts) > 1:
            if item.extension in ASSET_TYPES:
                assets.append(item)
                _check_content(item, report)
            else:
                report.error(item.relpath, 1, "E106", _forbidden(item))
        elif len(parts) > 1 and parts[0] not in (MODULES_DIR, ASSETS_DIR):
            if parts[0] not in reported_folders:
                reported_folders.add(parts[0])
                report.error(parts[0], 1, "E109", _("the folder '%(name)s' is not allowed: a package holds only "
                                                    "course.toml, README.md, modules/ and assets/", name=parts[0]))
        elif item.extension in ASSET_TYPES:
            report.error(item.relpath, 1, "E109", _("images and downloads must be inside assets/; move this file there"))
        elif item.extension == "md" and parts[0] != MODULES_DIR:
            report.error(item.relpath, 1, "E109", _("module files belong in modules/ (only README.md may sit beside "
                                                    "course.toml)"))
        elif item.extension == "md":
            report.error(item.relpath, 1, "E109", _("modules/ may not have subfolders; move this file into modules/"))
        else:
            report.error(item.relpath, 1, "E106", _forbidden(item))
    total = sum(item.size for item in assets)
    if total > MAX_PACKAGE_BYTES:  # each asset is hashed and copied at every import that changes the package
        report.error(None, 1, "E167", _("the files in assets/ are %(size)d MiB together; a package may hold at most "
                                        "%(limit)d MiB: remove what the modules do not use, and link to long videos "
                                        "on YouTube or Vimeo", size=total // 1048576,
                                        limit=MAX_PACKAGE_BYTES // 1048576))
    return manifest, modules, assets


# Forbidden file types by what an author should do with them instead (E106 says why and what to do).
WEB_AND_CODE = frozenset({"html", "htm", "xhtml", "js", "mjs", "css", "php", "py", "sh", "bat", "exe", "jar", "wasm",
                          "swf"})
OFFICE = frozenset({"doc", "docx", "odt", "rtf", "ppt", "pptx", "odp", "xls", "xlsx", "ods", "pages", "key",
                    "numbers"})
IMAGES = frozenset({"svgz", "bmp", "tif", "tiff", "heic", "heif", "avif", "ico", "psd", "ai", "eps", "raw"})
MEDIA = frozenset({"mov", "avi", "mkv", "webm", "wmv", "m4v", "wav", "m4a", "ogg", "oga", "flac", "aac"})
ARCHIVES = frozenset({"zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz"})
TEXT = frozenset({"txt", "csv", "json", "xml", "yaml", "yml", "toml", "tex"})


def _forbidden(item: PackageFile) -> str:
    """Why a file may not be in a package, and what to do with it instead."""
    kind = item.extension
    name = item.relpath.rsplit("/", 1)[-1]
    types = ", ".join(sorted(ASSET_TYPES))
    if name.startswith("."):
        return _("hidden files (like .DS_Store or .env) are not part of a course: delete this file")
    if kind in WEB_AND_CODE:
        return _("%(type)s files are not allowed: a course holds no web pages or program code, which could run in "
                 "learners' browsers; put the text in a module (modules/*.md)", type=kind.upper())
    if kind in OFFICE:
        return _("%(type)s files are not allowed: not every learner can open them on a phone; save the document as "
                 "PDF and link to the PDF", type=kind.upper())
    if kind in IMAGES:
        return _("%(type)s images are not allowed: browsers cannot show every image type safely; convert the image "
                 "to PNG or JPEG", type=kind.upper())
    if kind in MEDIA:
        return _("%(type)s files are not allowed: convert video to MP4 and sound to MP3, or put long videos on "
                 "YouTube or Vimeo and embed them with @[video](...)", type=kind.upper())
    if kind in ARCHIVES:
        return _("%(type)s archives are not allowed: the platform does not unpack them; unpack it and put each file "
                 "where it belongs (images and downloads in assets/)", type=kind.upper())
    if kind in TEXT:
        return _("%(type)s files are not allowed: put the text in a module (modules/*.md), or save it as PDF",
                 type=kind.upper())
    return _("files of this type are not allowed in a package: only course.toml, README.md, modules/*.md and assets "
             "of type %(types)s", types=types)


def _sniffed(item: PackageFile) -> str | None:
    with open_regular(item.path) as fh:
        return sniff_type(fh.read(16))


def _check_content(item: PackageFile, report: Reporter) -> None:
    if item.extension == SVG:
        try:
            report_svg(item.relpath, sanitise_svg(_read_svg(item)), report)
        except OSError as error:
            report.error(item.relpath, 1, "E160", _unreadable_message(error))
        return
    try:
        sniffed = _sniffed(item)
    except OSError as error:
        report.error(item.relpath, 1, "E160", _unreadable_message(error))
        return
    if sniffed is None:
        report.error(item.relpath, 1, "E110", _("the content of this file is not a %(type)s file, although its name "
                                                "says so; export it again in that format", type=item.extension.upper()))


def _read_svg(item: PackageFile) -> bytes:
    return read_capped(item.path, int(config("MAX_ASSET_MB", 20) * 1024 * 1024))


def svg_data(item: PackageFile) -> bytes | None:
    """An SVG asset as svg.py re-wrote it, to be stored and served instead of the file; None for other assets."""
    return sanitise_svg(_read_svg(item)).data if item.extension == SVG else None


def content_type(item: PackageFile) -> str:
    """Served by what the bytes are (a PNG renamed .jpg is still a PNG), else by the extension."""
    return ASSET_TYPES.get(_sniffed(item) or "", ASSET_TYPES[SAME_TYPE.get(item.extension, item.extension)])
