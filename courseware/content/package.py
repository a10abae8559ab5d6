"""Course packages on disk: finding them and parsing manifests and front matter (files.py lists and reads them).

Nothing here decides what is allowed; content/checker.py does, and turns the errors raised here
(`ParseError`, `TextError`) into problems with codes and line numbers.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .fences import FENCES, MISSPELT_CLOSING, MISSPELT_OPENING, Finding, is_misspelt_fence, stray_settings
from .files import read_capped
from .nesting import ALIAS, MAX_SETTINGS_DEPTH, too_deep, toml_refusal, yaml_refusal
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
    "svg": "image/svg+xml",  # only as svg.py re-wrote it: sniff_type never says "svg", so no other name serves it
}
SVG = "svg"
MAX_MANIFEST_BYTES = 64 * 1024  # course.toml: real ones are 1-2 kB


def discover_packages(courses_dir: Path) -> list[Path]:
    """Every package folder in courses_dir, sorted; folders starting with `_` or `.` are drafts and skipped."""
    courses_dir = Path(courses_dir)
    try:
        return sorted(p for p in courses_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    except OSError:  # not a folder, or one that may not be read
        return []


def read_manifest(folder: Path) -> str:
    """The text of a package's course.toml, read within its cap (OSError or ValueError when it cannot be)."""
    return decode_text(read_capped(Path(folder) / MANIFEST, MAX_MANIFEST_BYTES))


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


class ParseError(ValueError):
    """A manifest or front matter that does not parse; `line` is 1-based within the file.

    `code` is set when the checker has its own message for the reason: E161 (nested too deep), E162 (YAML aliases),
    E170-E172 (front matter fences, see fences.py).
    """

    def __init__(self, line: int, detail: str, code: str | None = None, kind: str | None = None):
        super().__init__(detail)
        self.line = line
        self.detail = detail
        self.code = code
        self.kind = kind  # for E170-E172: the kind of fences.Finding (detail is then the line as written)


def _nesting_error(line: int, kind: str = "") -> ParseError:
    if kind == ALIAS:
        return ParseError(line, "YAML anchors and aliases are not allowed", "E162")
    return ParseError(line, f"nested more than {MAX_SETTINGS_DEPTH} levels deep", "E161")


class TextError(ValueError):
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


_LONG_NUMBER = re.compile(r"\d{4000}")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$|\s*\(at end of document\)\s*$")


def parse_toml(text: str, first_line: int = 1) -> dict:
    """Parse TOML; a syntax error becomes ParseError with the file line (first_line is the text's first line)."""
    refusal = toml_refusal(text)
    if refusal is not None:
        raise _nesting_error(first_line + refusal.line)
    try:
        data = tomllib.loads(text)
    except RecursionError:  # the bracket count above keeps this from happening; a last resort
        raise _nesting_error(first_line) from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line = text.count("\n") + 1
        if match and match.group(1):
            line = int(match.group(1))
        detail = _TOML_POSITION.sub("", message) if match else message
        raise ParseError(first_line - 1 + line, detail) from None
    except ValueError as error:  # an integer with more digits than Python converts (4300)
        match = _LONG_NUMBER.search(text)
        line = first_line + text.count("\n", 0, match.start()) if match else first_line
        raise ParseError(line, str(error).split(":")[0]) from None
    if too_deep(data):  # dotted keys (a.b.c = 1) nest tables without brackets: find the top-level key's line
        deep = next((key for key, value in data.items() if too_deep(value, MAX_SETTINGS_DEPTH - 1)), "")
        match = re.compile(rf"^[ \t\[]*[\"']?{re.escape(deep)}[\"']?[ \t]*[.=\]]", re.M).search(text)
        raise _nesting_error(first_line + text.count("\n", 0, match.start()) if match else first_line)
    return data


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: faster, and it limits nesting
    """YAML's safe loader, but only true/false are booleans: `Nei`, `No`, `on` stay text in quizzes."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def parse_yaml(text: str, first_line: int = 1):
    """Parse YAML safely, refusing anchors, aliases and deep nesting; a syntax error becomes ParseError."""
    try:
        refusal = yaml_refusal(text, _Loader)
        if refusal is not None:
            raise _nesting_error(first_line + refusal.line, refusal.kind)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader subclass)
    except ParseError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        if "nesting depth" in (error.problem or ""):  # libyaml's own limit (1000 levels) came before ours
            raise _nesting_error(line) from None
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
    """Split a module into front matter (YAML between `---`, or TOML between `+++`) and Markdown body.

    Settings that would reach the page as text (a misspelt or missing fence, settings after the text) raise
    ParseError with the code of fences.py's finding (E170-E172)."""
    lines = text.split("\n")
    fence = lines[0].rstrip() if lines else ""
    if fence not in FENCES:
        if is_misspelt_fence(lines[0]):
            raise _fence_error(Finding(1, MISSPELT_OPENING, lines[0].strip()))
        finding = stray_settings(lines)
        if finding is not None:
            raise _fence_error(finding)
        return FrontMatter({}, text, 1, None)
    closers = ("---", "...") if fence == "---" else ("+++",)
    misspelt = None  # the first line inside that looks like a misspelt closing fence
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            break
        if misspelt is None and is_misspelt_fence(lines[index]):
            misspelt = Finding(index + 1, MISSPELT_CLOSING, lines[index].strip())
    else:
        if misspelt is not None:
            raise _fence_error(misspelt)
        raise ParseError(1, f"front matter starts with {fence} on line 1 but is never closed with {fence}")
    source = "\n".join(lines[1:index])
    try:
        meta = parse_yaml(source, 2) if fence == "---" else parse_toml(source, 2)
    except ParseError as error:
        if misspelt is not None and error.code is None:  # the body was read as settings past a misspelt fence
            raise _fence_error(misspelt) from None
        raise
    finding = stray_settings(lines, index + 1, fenced=True)
    if finding is not None:
        raise _fence_error(finding)
    return FrontMatter({} if meta is None else meta, "\n".join(lines[index + 1:]), index + 2, "yaml" if fence == "---" else "toml")


def _fence_error(finding: Finding) -> ParseError:
    return ParseError(finding.line, finding.text, finding.code, finding.kind)


def default_module_key(filename: str) -> str:
    """The key a module gets without `key:`: its file name without `.md` and the leading number."""
    stem = filename[:-3] if filename.lower().endswith(".md") else filename
    return re.sub(r"^\d+[-_. ]*", "", stem) or stem


def sniff_type(head: bytes) -> str | None:
    """The asset type the first bytes of a file show (an extension of ASSET_TYPES), or None.

    Never "svg": an SVG is only taken as one when its name says so and svg.py has checked and re-written it.
    """
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
    data: bytes | None = None  # what is stored instead of the file (an SVG as svg.py re-wrote it)


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
    dma_dimensions: list[str] = field(default_factory=list)  # the digital maturity dimensions it addresses
    provider_kind: str = "business_park"  # the kind a provider this import creates gets (an admin may change it)

    @property
    def outline(self) -> list[dict]:
        """The modules in order, as CourseVersion.outline stores them."""
        return [
            {"key": m.key, "title": m.title, "minutes": m.minutes, "tasks": len(m.tasks),
             "quiz": bool(m.quiz.get("questions"))}
            for m in self.modules
        ]
