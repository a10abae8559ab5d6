"""Course packages on disk: finding them, listing their files, and parsing manifests and front matter.

Nothing here decides what is allowed; content/checker.py does, and turns the errors raised here
(`ParseError`, `TextError`) into problems with codes and line numbers.
"""
from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .render import RenderedModule

MANIFEST = "course.toml"
README = "README.md"
MODULES_DIR = "modules"
ASSETS_DIR = "assets"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Asset file types a package may hold, by lower-case extension, with the content type they are served as.
ASSET_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
    "pdf": "application/pdf", "mp3": "audio/mpeg", "mp4": "video/mp4",
}
# Bump when the meaning of a package changes for the same bytes (a new field, a renderer change):
# every course is then imported again as a new version.
PACKAGE_FORMAT_REVISION = "2"


def discover_packages(courses_dir: Path) -> list[Path]:
    """Every package folder in courses_dir, sorted; folders starting with `_` or `.` are drafts and skipped."""
    courses_dir = Path(courses_dir)
    if not courses_dir.is_dir():
        return []
    return sorted(p for p in courses_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def package_paths(paths: list[Path]) -> list[Path]:
    """Package folders from command-line paths: `x/course.toml` means x; other files (`courses/*` globs
    README.md and CHECKER_CODES.md too) are not packages and are left out."""
    out = []
    for path in map(Path, paths):
        if path.name == MANIFEST and path.is_file():
            path = path.parent
        elif path.is_file():
            continue
        if path not in out:
            out.append(path)
    return out


@dataclass(frozen=True)
class PackageFile:
    """One entry of a package folder (symlinks are listed, never followed)."""

    relpath: str  # posix path inside the package, e.g. "assets/docs/x.pdf"
    path: Path
    size: int
    is_symlink: bool = False

    @property
    def extension(self) -> str:
        name = self.relpath.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# Files that operating systems and zip tools leave behind; never part of a course, so silently skipped.
OS_LEFTOVERS = {".DS_Store", "Thumbs.db", "desktop.ini", ".directory"}


def _ignored(entry: os.DirEntry) -> bool:
    """Folders starting with _ or . (drafts, .git, __MACOSX) and operating-system leftovers are not read."""
    if entry.name in OS_LEFTOVERS or entry.name.startswith("._"):
        return True
    return entry.name.startswith(("_", ".")) and entry.is_dir(follow_symlinks=False)


def list_files(root: Path) -> list[PackageFile]:
    """All files and symlinks below root, sorted by relative path, without following symlinks."""
    found: list[PackageFile] = []

    def walk(folder: Path, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                relpath = prefix + entry.name
                if _ignored(entry):
                    continue
                if entry.is_symlink():
                    found.append(PackageFile(relpath, Path(entry.path), 0, is_symlink=True))
                elif entry.is_dir(follow_symlinks=False):
                    walk(Path(entry.path), relpath + "/")
                elif entry.is_file(follow_symlinks=False):
                    found.append(PackageFile(relpath, Path(entry.path), entry.stat(follow_symlinks=False).st_size))

    walk(Path(root), "")
    return found


def package_hash(root: Path, files: list[PackageFile] | None = None) -> str:
    """sha256 over the sorted relative paths and bytes of every file: equal hashes mean an unchanged package."""
    digest = hashlib.sha256(f"courseware-package-v{PACKAGE_FORMAT_REVISION}\0".encode())
    for item in files if files is not None else list_files(root):
        digest.update(item.relpath.encode("utf-8", "surrogateescape") + b"\0")
        if item.is_symlink:
            digest.update(b"symlink\0" + os.fsencode(os.readlink(item.path)) + b"\0")
            continue
        file_digest = hashlib.sha256()
        with open(item.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                file_digest.update(chunk)
        digest.update(file_digest.digest())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 of one file, read in chunks (assets can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ParseError(Exception):
    """A manifest or front matter that does not parse; `line` is 1-based within the file."""

    def __init__(self, line: int, detail: str):
        super().__init__(detail)
        self.line = line
        self.detail = detail


class TextError(Exception):
    """A file that is not UTF-8 text; `line` is where the first bad byte is."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def decode_text(data: bytes) -> str:
    """UTF-8 text with a byte-order mark dropped and line endings normalised to \\n."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TextError(data[: error.start].count(b"\n") + 1) from None
    if "\x00" in text:
        raise TextError(text[: text.index("\x00")].count("\n") + 1)
    return text.replace("\r\n", "\n").replace("\r", "\n")


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$|\s*\(at end of document\)\s*$")


def parse_toml(text: str, first_line: int = 1) -> dict:
    """Parse TOML; a syntax error becomes ParseError with the file line (first_line is the text's first line)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line = text.count("\n") + 1
        if match and match.group(1):
            line = int(match.group(1))
        detail = _TOML_POSITION.sub("", message) if match else message
        raise ParseError(first_line - 1 + line, detail) from None


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: faster, and it limits nesting
    """YAML's safe loader, but only true/false are booleans: `Nei`, `No`, `on` stay text in quizzes."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def parse_yaml(text: str, first_line: int = 1):
    """Parse YAML safely; a syntax error becomes ParseError with the file line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        raise ParseError(line, " ".join(filter(None, [error.context, error.problem]))) from None
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        raise ParseError(first_line, str(error).splitlines()[0] if str(error) else type(error).__name__) from None


@dataclass
class FrontMatter:
    """A module file split into its settings and its Markdown."""

    meta: object  # what the front matter parsed to; the checker requires a mapping
    body: str
    body_line: int  # file line where the Markdown body starts
    kind: str | None  # "yaml", "toml" or None (no front matter)


def split_front_matter(text: str) -> FrontMatter:
    """Split a module into front matter (YAML between `---`, or TOML between `+++`) and Markdown body."""
    lines = text.split("\n")
    fence = lines[0].rstrip() if lines else ""
    if fence not in ("---", "+++"):
        return FrontMatter({}, text, 1, None)
    closers = ("---", "...") if fence == "---" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            break
    else:
        raise ParseError(1, f"front matter starts with {fence} on line 1 but is never closed with {fence}")
    source = "\n".join(lines[1:index])
    meta = parse_yaml(source, 2) if fence == "---" else parse_toml(source, 2)
    return FrontMatter({} if meta is None else meta, "\n".join(lines[index + 1:]), index + 2, "yaml" if fence == "---" else "toml")


def default_module_key(filename: str) -> str:
    """The key a module gets without `key:`: its file name without `.md` and the leading number."""
    stem = filename[:-3] if filename.lower().endswith(".md") else filename
    return re.sub(r"^\d+[-_. ]*", "", stem) or stem


def sniff_type(head: bytes) -> str | None:
    """The asset type the first bytes of a file show (an extension of ASSET_TYPES), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


# Extensions whose content looks alike (a .jpeg is a jpg; .mp3 may hold other MPEG audio).
SAME_TYPE = {"jpeg": "jpg"}


@dataclass
class ModuleData:
    """One module, validated: what the importer stores."""

    filename: str
    key: str
    position: int
    title: str
    minutes: int | None
    objectives: list[str]
    tasks: list[str]
    quiz: dict
    source: str  # the whole file, for the render hash
    body: str
    body_line: int
    render_hash: str = ""
    rendered: RenderedModule | None = None


@dataclass
class AssetData:
    """One file of assets/, with the content type it is served as."""

    path: str  # inside assets/, e.g. "docs/sjekkliste.pdf"
    file: Path
    size: int
    content_type: str


@dataclass
class PackageData:
    """A package that passed the checker, ready to import."""

    path: Path
    slug: str
    title: str
    summary: str
    provider: str
    provider_name: str | None
    industry: str | None
    stage: int
    language: str
    audience: str
    estimated_minutes: int | None
    requires: list[str]
    pass_mark: float
    certificate: dict
    partners: list[dict]
    modules: list[ModuleData] = field(default_factory=list)
    assets: list[AssetData] = field(default_factory=list)
    show_answers: str = "after-pass"
    attempts_per_day: int = 0

    @property
    def outline(self) -> list[dict]:
        """The modules in order, as CourseVersion.outline stores them."""
        return [
            {"key": m.key, "title": m.title, "minutes": m.minutes, "tasks": len(m.tasks),
             "quiz": bool(m.quiz.get("questions"))}
            for m in self.modules
        ]
