"""The `folder` media store: MEDIA_DIR/ab/abcdef... on this machine's disk, written atomically."""
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .base import CHUNK, SHA256, MediaMissing, MediaStore, check_key


class FolderStore(MediaStore):
    """Media in a folder. A write fills a temporary file beside the target (`.incoming-*`) that then takes its
    place (os.replace), so a reader sees the whole file or none; the temporaries are never listed."""

    name = "folder"

    def __init__(self, root, cache_control: str = ""):
        self.root = Path(root)
        self.cache_control = cache_control

    def path(self, sha256: str) -> Path:
        check_key(sha256)
        return self.root / sha256[:2] / sha256

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, sha256: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, CHUNK)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError as error:
            raise MediaMissing(sha256) from error

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir() or folder.is_symlink():
                continue
            for file in sorted(folder.iterdir()):
                if (SHA256.fullmatch(file.name) and file.name[:2] == folder.name and file.is_file()
                        and not file.is_symlink()):
                    yield file.name

    def copy_to(self, sha256: str, target: Path) -> None:
        try:
            shutil.copyfile(self.path(sha256), target)
        except FileNotFoundError as error:
            raise MediaMissing(sha256) from error

    def local_path(self, sha256: str) -> Path | None:
        path = self.path(sha256)
        return path if path.is_file() else None
