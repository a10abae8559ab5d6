"""The course-package checker: everything COURSE_FORMAT.md refuses, reported as `path:line: CODE message`.

`courseware check` and every import run it. Errors (E...) stop a package from being imported; warnings (W...)
do not. Codes are stable: authors and tests rely on them. The same table is in courses/CHECKER_CODES.md.

| code | meaning |
|------|---------|
| E100 | the package folder does not exist |
| E101 | course.toml is missing |
| E102 | course.toml is not valid TOML (the line of the syntax error is given) |
| E103 | a text file (course.toml, README.md, a module) is not UTF-8 |
| E104 | the folder name is not a valid slug (`^[a-z0-9][a-z0-9-]{1,63}$`) |
| E105 | `slug` in course.toml differs from the folder name |
| E106 | a file of a type a package may not hold (html, js, py, ...) |
| E107 | a symbolic link (also a package folder that is one) |
| E108 | a file larger than its size cap: MAX_ASSET_MB for assets, MAX_MODULE_KB for a module, 64 KiB for course.toml |
| E109 | a file or folder in the wrong place (images outside assets/, other folders, subfolders of modules/, folders more than 8 deep), or a very long name or one with control characters or bytes that are not UTF-8 |
| E110 | an asset whose content is not what its name says (e.g. a web page named .jpg) |
| E111 | `format` is missing or unknown |
| E112 | the course has no title |
| E113 | `provider` is missing or not a valid slug |
| E114 | a course.toml setting has the wrong type or value (stage, language, audience, provider_kind, industry, pass_mark, show_answers, attempts_per_day, ...) |
| E115 | a partner without a name |
| E116 | the course slug already belongs to another provider (import only) |
| E120 | the package has no modules |
| E121 | a module listed in `modules` does not exist |
| E122 | a module file is not listed in `modules` (when `modules` is given) |
| E123 | a module is listed twice in `modules` |
| E124 | a module's front matter is not valid YAML/TOML or is never closed |
| E125 | a module's front matter is not a set of `name: value` settings |
| E126 | a module has no title (neither `title:` nor a `# heading`) |
| E127 | a module key has characters other than a-z, 0-9 and `-` (or is the reserved word `assets`) |
| E128 | two modules have the same key |
| E129 | a module setting has the wrong type or value (minutes, objectives, tasks; at most 20 objectives and 20 tasks) |
| E130 | a quiz has no questions, is not a set of settings, or has a bad pass_mark |
| E131 | a quiz question without both `correct` and `wrong` answers |
| E132 | a quiz question without a prompt, or not written as prompt/correct/wrong |
| E133 | quiz answers that are not texts, or an answer both correct and wrong |
| E134 | a quiz's `show_answers` or `attempts_per_day` has a wrong value (in course.toml: E114) |
| E135 | a quiz's `draw` is not a whole number from 1 to the number of its questions |
| E140 | a link or image that leaves the package (`..` past its root) |
| E141 | an absolute path (`/x`) or a link scheme other than https, http and mailto (`file:`, `javascript:`, ...) |
| E142 | a link or image to a file that does not exist in assets/ |
| E143 | a link to a module or file that does not exist |
| E144 | an image outside assets/ (including images on other websites) |
| E145 | an image that is not a png, jpg, jpeg, gif, webp or svg file |
| E146 | `@[video](URL)` with a URL that is not YouTube or Vimeo |
| E180 | an svg asset that is not an SVG image that can be read |
| E181 | an svg asset with a DOCTYPE or entities |
| E182 | an svg asset with a script, event handler, foreignObject, link or animation |
| E183 | an svg asset referring outside itself (href, url(), @import, xml-stylesheet, an unverifiable <image>) |
| E184 | a formula that is not valid LaTeX or uses a command that cannot be shown |
| E185 | a formula over 2000 characters or with braces nested over 40 deep |
| E151 | `requires` names a course that does not exist |
| E152 | `requires` makes a loop (a course that requires itself, directly or through others) |
| E160 | a file that cannot be read: a pipe, device or socket, no read permission, or another read error |
| E161 | course.toml or front matter nested more than 16 levels deep (lists or tables inside each other) |
| E162 | YAML anchors (`&name`) or aliases (`*name`) in front matter |
| E163 | Markdown nested too deep: quotes, lists and indented blocks more than 16 levels, or block HTML elements more than 32 |
| E164 | Markdown too costly to render: unclosed brackets or tags, a long paragraph full of markup, more than 3 `[TOC]` or 100 abbreviations, or over the CPU budget (MODULE_RENDER_SECONDS) |
| E165 | a quiz with more than 100 questions |
| E166 | a quiz question with more than 10 answers |
| E167 | a package with more than 1000 files, more than 512 MiB of assets or more than 100 modules |
| E170 | a misspelt front matter fence (`--`, `----`, `—`, `---yaml`, ...) on the first line or as the closing fence |
| E171 | settings (`title:`, `quiz:`, ...) or a `---` line before the first heading of a module that does not start with `---` |
| E172 | settings after the front matter's closing fence or after the module's text (a quiz anywhere in the text) |
| E174 | a fenced block (`:::`) that is never closed |
| E190 | an unexpected error while checking or importing (a bug: please report it) |
| E191 | a file with more than 50 problems: the rest are not shown (W191 when those are warnings) |
| W111 | an unknown setting in course.toml (ignored) |
| W121 | an unknown setting in a module's front matter (ignored) |
| W122 | a module without objectives |
| W123 | a module longer than LONG_MODULE_WORDS words |
| W141 | an image without alt text |
| W170 | a fenced block (`:::`) with a name the platform does not know (shown as a plain callout) |
| W171 | a `:::` line that closes no fenced block (left out) |
| W180 | an image attribute other than alt, width and height (ignored) |
| W181 | an image width or height that is not a whole number from 1 to 4000 (ignored) |
| W182 | parts of an svg asset that are not shown (unknown elements or attributes, left out) |
| W191 | a file with more than 50 problems, the rest of them warnings, which are not shown |
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _

from . import fences
from . import render as r
from .fields import LANGUAGES, check_manifest, check_module_meta, line_of
from .files import MAX_PACKAGE_FILES, PackageFile, PackageTooLarge, list_files
from .files_check import check_files, content_type, read_text, svg_data, unexpected
from .nesting import MAX_SETTINGS_DEPTH
from .package import (
    ASSETS_DIR, KEY_RE, MANIFEST, MAX_MANIFEST_BYTES, MODULES_DIR, SLUG_RE, AssetData, ModuleData, PackageData,
    ParseError, default_module_key, package_paths, parse_toml, read_manifest, split_front_matter,
)
from .problems import Problem, Reporter, config, short
from .render_check import render_modules
from .requires import RequiresContext, check_requires, read_requires, requires_context

__all__ = [
    "COURSE_LANGUAGE", "Problem", "messages_in", "RequiresContext", "check_package", "check_packages", "check_requires", "read_requires", "requires_context",
]

log = logging.getLogger(__name__)
_HEADING = re.compile(r"^#[ \t]+(\S.*)$", re.M)  # its closing #s are cut in Python: `(.+?)\s*#*\s*$` backtracks
RESERVED_KEYS = frozenset({"assets"})
MAX_MODULES = 100  # modules in one package: courses have 3-10


def check_packages(paths: list[Path], lang: str | None = None) -> list[Problem]:
    """Check several packages together (so `requires` can point at each other); returns all problems.

    `lang`: the language of the messages, as `messages_in` takes it (None: the current locale)."""
    paths = package_paths(paths)
    context = requires_context(paths)
    problems: list[Problem] = []
    for path in paths:
        with messages_in(path, lang):
            problems.extend(check_package(path, known_slugs=context.known, requires_graph=context.graph)[1])
    return problems


COURSE_LANGUAGE = "course"  # for `lang`: each package's own `language`


def package_language(path: Path) -> str:
    """The `language` a package's course.toml sets (nb when it sets none, or cannot be read)."""
    try:
        value = parse_toml(read_manifest(path)).get("language")
    except (OSError, ValueError):  # ParseError and TextError are ValueErrors: the checker reports them
        return LANGUAGES[0]
    return value if value in LANGUAGES else LANGUAGES[0]


@contextmanager
def messages_in(path: Path, lang: str | None):
    """Problems made inside are worded in `lang` (nb, nn, en), in the package's own language for COURSE_LANGUAGE,
    or in the current locale for None."""
    if lang is None:
        yield
        return
    with force_locale(package_language(path) if lang == COURSE_LANGUAGE else lang):
        yield


def check_package(
    path: Path,
    known_slugs: set[str] | None = None,
    requires_graph: dict[str, list[str]] | None = None,
    reuse: Callable[[str], r.RenderedModule | None] | None = None,
) -> tuple[PackageData | None, list[Problem]]:
    """Check one package; returns its data when it has no errors (else None) and every problem found.

    `reuse(render_hash)` may return an earlier rendering of a module, which then is not rendered (or link-checked)
    again: an identical render hash means identical source, links and assets, which passed before.
    """
    path = Path(path)
    report = Reporter(path)
    if known_slugs is None or requires_graph is None:
        context = requires_context([path])
        known_slugs = context.known if known_slugs is None else known_slugs
        requires_graph = context.graph if requires_graph is None else requires_graph
    try:
        data = _check(path, report, RequiresContext(set(known_slugs), dict(requires_graph)), reuse)
    except Exception as error:  # noqa: BLE001 (whatever one package does must not stop the others)
        unexpected(report, None, error, path)
        data = None
    return (None if report.has_errors else data), report.problems


def _parse_problem(report: Reporter, relpath: str, error: ParseError, code: str, message: str) -> None:
    """A manifest or front matter that does not parse: E161/E162 for what is refused before parsing, else code."""
    if error.code == "E161":
        message = _("the settings are nested more than %(limit)d levels deep (lists or tables inside each other)",
                    limit=MAX_SETTINGS_DEPTH)
    elif error.code == "E162":
        message = _("YAML anchors (&name) and aliases (*name) are not allowed: write each value out in full")
    elif error.kind is not None:
        message = fence_message(error.kind, short(error.detail))
    report.error(relpath, error.line, error.code or code, message)


def fence_message(kind: str, line: str) -> str:
    """The message for settings that would be shown as text (E170-E172, see fences.py): what to do about it."""
    if kind == fences.MISSPELT_OPENING:
        return _("'%(line)s' is not a front matter fence: start the module with a line of exactly --- (YAML "
                 "settings) or +++ (TOML settings), and end the settings with the same line", line=line)
    if kind == fences.MISSPELT_CLOSING:
        return _("'%(line)s' looks like the end of the front matter, but it is not exactly --- (or +++ for TOML): "
                 "write the fence exactly, or the settings are shown as text", line=line)
    if kind == fences.STRAY_FENCE:
        return _("the module does not start with --- but has a '%(line)s' line before its first heading: if the "
                 "lines above it are settings, put --- on line 1 too; for a horizontal rule, put it after the heading",
                 line=line)
    if kind == fences.LATE_OPENING:
        return _("the front matter must start on the very first line of the file: remove the blank lines above "
                 "'%(line)s'", line=line)
    if kind == fences.AFTER_CLOSING:
        return _("'%(line)s' is a setting after the front matter's closing fence: move the closing --- below the "
                 "last setting", line=line)
    if kind == fences.AFTER_TEXT:
        return _("'%(line)s' starts settings after the module's text: settings belong at the very top, between --- "
                 "lines, or learners would see them (quiz answers too) as text", line=line)
    return _("'%(line)s' looks like a front matter setting, but the module does not start with ---: put a line of "
             "exactly --- on line 1 and another after the settings, so they are read as settings and never shown "
             "as text", line=line)


def _check(path: Path, report: Reporter, context: RequiresContext, reuse) -> PackageData | None:
    if path.is_symlink():
        report.error(None, 1, "E107", _("the package folder is a symbolic link: put the course's own folder here"))
        return None
    if not path.is_dir():
        report.error(None, 1, "E100", _("there is no package folder here"))
        return None
    slug = path.name
    if not SLUG_RE.match(slug):
        report.error(None, 1, "E104", _("the folder name '%(name)s' is not a valid course slug: use 2-64 lower-case "
                                        "letters a-z, digits and dashes, starting with a letter or digit",
                                        name=short(slug)))
    try:
        files = list_files(path)
    except PackageTooLarge:
        report.error(None, 1, "E167", _("the package holds more than %(limit)d files: a course needs far fewer; "
                                        "remove what the modules do not use", limit=MAX_PACKAGE_FILES))
        return None
    manifest_file, module_files, asset_files = check_files(files, report)
    if manifest_file is None:
        if not any(item.relpath == MANIFEST for item in files):  # else a link or pipe by that name was reported
            report.error(MANIFEST, 1, "E101", _("course.toml is missing: every package needs one (see COURSE_FORMAT.md)"))
        return None
    text = read_text(manifest_file, MAX_MANIFEST_BYTES, report)
    if text is None:
        return None
    try:
        manifest_data = parse_toml(text)
    except ParseError as error:
        _parse_problem(report, MANIFEST, error, "E102",
                       _("course.toml is not valid TOML: %(detail)s", detail=short(error.detail, 300)))
        return None
    manifest = check_manifest(manifest_data, text, slug, report)
    lines = text.split("\n")
    check_requires(slug, manifest["requires"], context, report, line_of(lines, "requires"))
    modules = _check_modules(manifest, line_of(lines, "modules"), module_files, report)
    asset_paths = {a.relpath[len(ASSETS_DIR) + 1:] for a in asset_files}
    render_modules(modules, asset_paths, manifest["language"], report, reuse)
    if report.has_errors:
        return None
    minutes = [m.minutes for m in modules]
    estimated = manifest["estimated_minutes"]
    if estimated is None and minutes and None not in minutes:
        estimated = sum(minutes)
    return PackageData(
        path=path, slug=slug, title=manifest["title"], summary=manifest["summary"], provider=manifest["provider"],
        provider_name=manifest["provider_name"], provider_kind=manifest["provider_kind"], industry=manifest["industry"], stage=manifest["stage"],
        language=manifest["language"], audience=manifest["audience"], estimated_minutes=estimated,
        requires=manifest["requires"], pass_mark=float(manifest["pass_mark"]), certificate=manifest["certificate"],
        partners=manifest["partners"], modules=modules, show_answers=manifest["show_answers"],
        attempts_per_day=manifest["attempts_per_day"], dma_dimensions=manifest["dma_dimensions"],
        assets=[AssetData(a.relpath[len(ASSETS_DIR) + 1:], a.path, a.size, content_type(a), svg_data(a))
                for a in asset_files],
    )


def _check_modules(manifest: dict, line: int, module_files: dict[str, PackageFile], report: Reporter) -> list[ModuleData]:
    listed = manifest["modules"]
    if listed is None:
        names = sorted(module_files)
    else:
        names, seen = [], set()
        for entry in listed:
            name = entry.removeprefix(f"{MODULES_DIR}/")
            if name in seen:
                report.error(MANIFEST, line, "E123", _("'%(name)s' is listed twice in modules", name=name))
                continue
            seen.add(name)
            if name in module_files:
                names.append(name)
            else:
                report.error(MANIFEST, line, "E121", _("modules lists '%(name)s', but modules/%(name)s does not exist",
                                                    name=name))
        for name in sorted(set(module_files) - seen):
            report.error(f"{MODULES_DIR}/{name}", 1, "E122", _("this module is not listed in the modules list of "
                                                               "course.toml: add it there, or remove the file"))
    if not module_files:
        report.error(MODULES_DIR, 1, "E120", _("the package has no modules: add at least one modules/01-<key>.md"))
    modules: list[ModuleData] = []
    keys: dict[str, str] = {}
    if len(names) > MAX_MODULES:
        report.error(MODULES_DIR, 1, "E167", _("the package has %(n)d modules; a course may have at most %(limit)d: "
                                               "split it into several courses", n=len(names), limit=MAX_MODULES))
        return []
    for name in names:
        try:
            module = _check_module(name, module_files[name], report)
        except Exception as error:  # noqa: BLE001 (one module's failure is that module's error)
            unexpected(report, f"{MODULES_DIR}/{name}", error)
            continue
        if module is None:
            continue
        if module.key in keys:
            report.error(f"{MODULES_DIR}/{name}", 1, "E128", _("the key '%(key)s' is also used by modules/%(other)s: "
                                                               "every module needs its own key", key=module.key,
                                                               other=keys[module.key]))
            continue
        keys[module.key] = name
        module.position = len(modules) + 1
        modules.append(module)
    return modules


def _check_module(name: str, item: PackageFile, report: Reporter) -> ModuleData | None:
    relpath = f"{MODULES_DIR}/{name}"
    text = read_text(item, int(config("MAX_MODULE_KB", 128)) * 1024, report)
    if text is None:
        return None
    try:
        front = split_front_matter(text)
    except ParseError as error:
        _parse_problem(report, relpath, error, "E124",
                       _("the front matter is not valid: %(detail)s", detail=short(error.detail, 300)))
        return None
    if not isinstance(front.meta, dict):
        report.error(relpath, 2, "E125", _("the front matter must be settings like 'title: ...', one per line"))
        return None
    lines = text.split("\n")
    meta = check_module_meta(front.meta, relpath, lines, report)
    key = meta["key"]
    if key is None:
        key = default_module_key(name)
        if not KEY_RE.match(key):
            report.error(relpath, 1, "E127", _("the file name gives the key '%(key)s', which may only hold lower-case "
                                               "letters a-z, digits and dashes: rename the file or add 'key: ...'",
                                               key=key))
    elif key in RESERVED_KEYS:
        report.error(relpath, line_of(lines, "key"), "E127", _("'%(key)s' is reserved: choose another key", key=key))
    title = meta["title"]
    if not title:
        match = _HEADING.search(front.body)
        title = match.group(1).rstrip().rstrip("#").rstrip()[:300] if match else None
    if not title:
        report.error(relpath, 1, "E126", _("the module has no title: add 'title: ...' to the front matter"))
    if not meta["objectives"]:
        report.warning(relpath, 1, "W122", _("the module has no objectives: add 'objectives:' so learners know what "
                                             "they will learn"))
    if not key or not title:
        return None
    return ModuleData(
        filename=name, key=key, position=0, title=title, minutes=meta["minutes"], objectives=meta["objectives"],
        tasks=meta["tasks"], quiz=meta["quiz"], source=text, body=front.body, body_line=front.body_line,
    )
