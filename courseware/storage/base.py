"""What every media store backend offers (storage/folder.py, storage/s3.py)."""
import re
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20


class MediaMissing(FileNotFoundError):
    """The store holds nothing under this sha256."""


def check_key(sha256: str) -> str:
    """The key itself when it is a sha256 hex digest; ValueError otherwise (a key never comes from a user as is)."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


def relative_name(sha256: str) -> str:
    """Where a key lives inside the store (and in a backup's media/ folder): ab/abcdef..."""
    return f"{sha256[:2]}/{sha256}"


class MediaStore(ABC):
    """Bytes by their sha256. Writes are idempotent (same key, same bytes); readers never see half an object."""

    name = "?"

    def prepare(self) -> None:
        """Make sure the store can be used (create the folder; reach the bucket), or raise with the reason."""

    @abstractmethod
    def put(self, sha256: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        """Store bytes (or a binary file read to its end) under their sha256; nothing happens when it is there."""

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """Whether the store holds this key."""

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A binary file object reading the stored bytes (close it); MediaMissing when there is none."""

    @abstractmethod
    def size(self, sha256: str) -> int | None:
        """The stored object's size in bytes, or None when there is none."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove the object (nothing happens when there is none)."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every stored key, sorted (anything in the store that is not a complete media object is left out)."""

    def open_sized(self, sha256: str) -> tuple[BinaryIO, int]:
        """open() and the object's size together (one request where the backend can)."""
        size = self.size(sha256)
        if size is None:
            raise MediaMissing(sha256)
        return self.open(sha256), size

    def listing(self) -> Iterator[tuple[str, int]]:
        """(key, size) of every stored object, sorted by key."""
        for sha256 in self.keys():
            size = self.size(sha256)
            if size is not None:  # removed since it was listed
                yield sha256, size

    def read(self, sha256: str) -> bytes:
        """The stored bytes, all at once (small objects: logos, checks)."""
        with self.open(sha256) as source:
            return source.read()

    def copy_to(self, sha256: str, target: Path) -> None:
        """Write the stored bytes to a new file at `target`."""
        with self.open(sha256) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)

    def local_path(self, sha256: str) -> Path | None:
        """A file on this machine holding the bytes (the app serves it with sendfile), or None."""
        return None

    def download_url(self, sha256: str, *, content_type: str, cache_control: str, disposition: str | None,
                     expires: int) -> str | None:
        """A URL valid for `expires` seconds that serves the bytes with these headers, or None (folder)."""
        return None

    def redirect_origin(self) -> str | None:
        """The scheme://host[:port] download URLs point to (for the pages' Content-Security-Policy), or None."""
        return None
