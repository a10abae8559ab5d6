"""A package's folder on disk: listing its entries and reading its files, safely whatever the folder holds.

A hostile folder may hold symlinks out of the package, pipes that block a reader forever, devices, files of
terabytes, folders nested thousands deep or millions of files. The listing follows no link and opens nothing;
reading opens regular files only (never through a link, never blocking) and reads no more than a cap.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

# Limits of a package's folder tree (far above real courses: a handful of modules and a few dozen assets).
MAX_PACKAGE_FILES = 1000
MAX_FOLDER_DEPTH = 8  # folders inside the package folder, e.g. assets/a/b/c is 3
MAX_PACKAGE_BYTES = 512 * 1024 * 1024  # all files together: each is hashed and copied at every changed import
# Bump when the meaning of a package changes for the same bytes (a new field, a renderer change):
# every course is then imported again as a new version.
PACKAGE_FORMAT_REVISION = "3"
FILE, SYMLINK, SPECIAL, DEEP_FOLDER = "file", "symlink", "special", "deep-folder"

@dataclass(frozen=True)
class PackageFile:
    """One entry of a package folder. Only regular files are ever opened; symlinks are listed, never followed."""

    relpath: str  # posix path inside the package, e.g. "assets/docs/x.pdf"
    path: Path
    size: int
    kind: str = FILE  # FILE, SYMLINK, SPECIAL (a pipe, socket or device) or DEEP_FOLDER (not descended into)

    @property
    def is_symlink(self) -> bool:
        return self.kind == SYMLINK

    @property
    def extension(self) -> str:
        name = self.relpath.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[-1].lower() if "." in name else ""


class PackageTooLarge(Exception):
    """A package folder holds more than MAX_PACKAGE_FILES entries (the listing stops there: `size` is None), or
    its files more than MAX_PACKAGE_BYTES together (`size`: the bytes seen when hashing stopped)."""

    def __init__(self, size: int | None = None):
        super().__init__(size)
        self.size = size


class FileTooLarge(ValueError):
    """A file is larger than the cap it is read with; `size` is at least what was seen."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


class NotRegularFile(OSError):
    """A path that is a pipe, socket, device, folder or symbolic link where a file is read."""

    def __init__(self, path):
        super().__init__(errno.EINVAL, "not a regular file", str(path))


# Files that operating systems and zip tools leave behind; never part of a course, so silently skipped.
OS_LEFTOVERS = {".DS_Store", "Thumbs.db", "desktop.ini", ".directory"}


def _ignored(entry: os.DirEntry) -> bool:
    """Folders starting with _ or . (drafts, .git, __MACOSX) and operating-system leftovers are not read."""
    if entry.name in OS_LEFTOVERS or entry.name.startswith("._"):
        return True
    return entry.name.startswith(("_", ".")) and entry.is_dir(follow_symlinks=False)


def list_files(root: Path) -> list[PackageFile]:
    """Every entry below root but folders, sorted by relative path: never following a symlink, never opening a
    file, at most MAX_FOLDER_DEPTH folders deep (deeper folders are listed as DEEP_FOLDER) and raising
    PackageTooLarge past MAX_PACKAGE_FILES entries. A package folder that is itself a symlink is NotRegularFile."""
    root = Path(root)
    if root.is_symlink():
        raise NotRegularFile(root)
    found: list[PackageFile] = []
    folders = [(root, "", 0)]
    while folders:
        folder, prefix, depth = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if _ignored(entry):
                    continue
                if len(found) >= MAX_PACKAGE_FILES:
                    raise PackageTooLarge()
                relpath = prefix + entry.name
                if entry.is_symlink():
                    found.append(PackageFile(relpath, Path(entry.path), 0, SYMLINK))
                elif entry.is_dir(follow_symlinks=False):
                    if depth >= MAX_FOLDER_DEPTH:
                        found.append(PackageFile(relpath, Path(entry.path), 0, DEEP_FOLDER))
                    else:
                        folders.append((Path(entry.path), relpath + "/", depth + 1))
                elif entry.is_file(follow_symlinks=False):
                    found.append(PackageFile(relpath, Path(entry.path), entry.stat(follow_symlinks=False).st_size))
                else:
                    found.append(PackageFile(relpath, Path(entry.path), 0, SPECIAL))
    return sorted(found, key=lambda item: item.relpath)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: Path):
    """Open a regular file for binary reading, without following a symlink or blocking on a pipe (NotRegularFile)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path, cap: int) -> bytes:
    """A regular file's bytes; FileTooLarge when it has more than cap, found by its size or after cap+1 bytes."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > cap:
            raise FileTooLarge(size)
        data = fh.read(cap + 1)
    if len(data) > cap:  # it grew since, or its size lied
        raise FileTooLarge(len(data))
    return data


def _chunks(path: Path, limit: int | None = None):
    """A regular file's bytes in chunks, at most limit of them."""
    with open_regular(path) as fh:
        remaining = limit
        while remaining is None or remaining > 0:
            chunk = fh.read(1 << 20 if remaining is None else min(1 << 20, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def package_hash(root: Path, files: list[PackageFile] | None = None, limit: int | None = None) -> str:
    """sha256 over the sorted relative paths, sizes and bytes of every file: equal hashes mean an unchanged package.

    Files larger than limit add only their first limit bytes, and past MAX_PACKAGE_BYTES in all it stops with
    PackageTooLarge: the checker refuses such packages anyway.
    """
    digest = hashlib.sha256(f"courseware-package-v{PACKAGE_FORMAT_REVISION}\0".encode())
    hashed = 0
    for item in files if files is not None else list_files(root):
        digest.update(item.relpath.encode("utf-8", "surrogateescape") + b"\0")
        if item.kind == SYMLINK:
            digest.update(b"symlink\0" + os.fsencode(os.readlink(item.path)) + b"\0")
            continue
        if item.kind != FILE:
            digest.update(item.kind.encode() + b"\0")
            continue
        file_digest = hashlib.sha256()
        for chunk in _chunks(item.path, limit):
            file_digest.update(chunk)
            hashed += len(chunk)
            if hashed > MAX_PACKAGE_BYTES:
                raise PackageTooLarge(hashed)
        digest.update(f"{item.size}\0".encode() + file_digest.digest())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 of one file, read in chunks (assets can be large)."""
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()
