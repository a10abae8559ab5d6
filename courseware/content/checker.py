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
| E106 | a file of a type a package may not hold (svg, html, js, py, ...) |
| E107 | a symbolic link |
| E108 | a file larger than the size cap (MAX_ASSET_MB) |
| E109 | a file or folder in the wrong place (images outside assets/, other folders, subfolders of modules/), or a very long file name |
| E110 | an asset whose content is not what its name says (e.g. a web page named .jpg) |
| E111 | `format` is missing or unknown |
| E112 | the course has no title |
| E113 | `provider` is missing or not a valid slug |
| E114 | a course.toml setting has the wrong type or value (stage, language, audience, industry, pass_mark, show_answers, attempts_per_day, ...) |
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
| E129 | a module setting has the wrong type or value (minutes, objectives, tasks) |
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
| E145 | an image that is not a png, jpg, jpeg, gif or webp file |
| E146 | `@[video](URL)` with a URL that is not YouTube or Vimeo |
| E151 | `requires` names a course that does not exist |
| E152 | `requires` makes a loop (a course that requires itself, directly or through others) |
| E190 | an unexpected error while checking or importing (a bug: please report it) |
| W111 | an unknown setting in course.toml (ignored) |
| W121 | an unknown setting in a module's front matter (ignored) |
| W122 | a module without objectives |
| W123 | a module longer than LONG_MODULE_WORDS words |
| W141 | an image without alt text |
"""
from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask_babel import gettext as _

from . import render as r
from .fields import check_manifest, check_module_meta, line_of
from .package import (
    ASSET_TYPES, ASSETS_DIR, KEY_RE, MANIFEST, MODULES_DIR, README, SAME_TYPE, SLUG_RE, AssetData, ModuleData,
    PackageData, PackageFile, ParseError, TextError, decode_text, default_module_key, list_files, package_paths,
    parse_toml, sniff_type, split_front_matter,
)
from .problems import Problem, Reporter, config
from .requires import RequiresContext, check_requires, read_requires, requires_context

__all__ = [
    "Problem", "RequiresContext", "check_package", "check_packages", "check_requires", "read_requires", "requires_context",
]

log = logging.getLogger(__name__)
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)
RESERVED_KEYS = frozenset({"assets"})


def check_packages(paths: list[Path]) -> list[Problem]:
    """Check several packages together (so `requires` can point at each other); returns all problems."""
    paths = package_paths(paths)
    context = requires_context(paths)
    problems: list[Problem] = []
    for path in paths:
        problems.extend(check_package(path, known_slugs=context.known, requires_graph=context.graph)[1])
    return problems


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
    except Exception as error:  # a bug must not crash `check` or an import of other packages
        log.exception("Checking %s failed", path)
        report.error(None, 1, "E190", _("unexpected error while checking this package (%(error)s); please report it",
                                        error=f"{type(error).__name__}: {error}"))
        data = None
    return (None if report.has_errors else data), report.problems


def _check(path: Path, report: Reporter, context: RequiresContext, reuse) -> PackageData | None:
    if not path.is_dir():
        report.error(None, 1, "E100", _("there is no package folder here"))
        return None
    slug = path.name
    if not SLUG_RE.match(slug):
        report.error(None, 1, "E104", _("the folder name '%(name)s' is not a valid course slug: use 2-64 lower-case "
                                        "letters a-z, digits and dashes, starting with a letter or digit", name=slug))
    manifest_file, module_files, asset_files = _check_files(list_files(path), report)
    if manifest_file is None:
        report.error(MANIFEST, 1, "E101", _("course.toml is missing: every package needs one (see COURSE_FORMAT.md)"))
        return None
    try:
        text = decode_text(manifest_file.path.read_bytes())
        manifest_data = parse_toml(text)
    except TextError as error:
        report.error(MANIFEST, error.line, "E103", _("the file is not UTF-8 text: save it as UTF-8"))
        return None
    except ParseError as error:
        report.error(MANIFEST, error.line, "E102", _("course.toml is not valid TOML: %(detail)s", detail=error.detail))
        return None
    manifest = check_manifest(manifest_data, text, slug, report)
    lines = text.split("\n")
    check_requires(slug, manifest["requires"], context, report, line_of(lines, "requires"))
    modules = _check_modules(manifest, line_of(lines, "modules"), module_files, report)
    asset_paths = {a.relpath[len(ASSETS_DIR) + 1:] for a in asset_files}
    _render_modules(modules, asset_paths, manifest["language"], report, reuse)
    if report.has_errors:
        return None
    minutes = [m.minutes for m in modules]
    estimated = manifest["estimated_minutes"]
    if estimated is None and minutes and None not in minutes:
        estimated = sum(minutes)
    return PackageData(
        path=path, slug=slug, title=manifest["title"], summary=manifest["summary"], provider=manifest["provider"],
        provider_name=manifest["provider_name"], industry=manifest["industry"], stage=manifest["stage"],
        language=manifest["language"], audience=manifest["audience"], estimated_minutes=estimated,
        requires=manifest["requires"], pass_mark=float(manifest["pass_mark"]), certificate=manifest["certificate"],
        partners=manifest["partners"], modules=modules, show_answers=manifest["show_answers"],
        attempts_per_day=manifest["attempts_per_day"],
        assets=[AssetData(a.relpath[len(ASSETS_DIR) + 1:], a.path, a.size, _content_type(a)) for a in asset_files],
    )


def _check_files(files: list[PackageFile], report: Reporter):
    """Sort a package's files into manifest, modules and assets; report everything else."""
    cap = int(config("MAX_ASSET_MB", 20) * 1024 * 1024)
    manifest, modules, assets = None, {}, []
    reported_folders: set[str] = set()
    for item in files:
        parts = item.relpath.split("/")
        if item.is_symlink:
            report.error(item.relpath, 1, "E107", _("this is a symbolic link; a package may only hold real files"))
            continue
        if len(item.relpath) > 250:
            report.error(item.relpath, 1, "E109", _("the file name is too long: keep names under 200 characters"))
            continue
        if item.size > cap:
            report.error(item.relpath, 1, "E108", _("the file is %(size).1f MiB; files may be at most %(cap)s MiB",
                                                    size=item.size / 1048576, cap=config("MAX_ASSET_MB", 20)))
        if len(parts) == 1 and parts[0] == MANIFEST:
            manifest = item
        elif len(parts) == 1 and parts[0] == README:
            _check_utf8(item, report)
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
    return manifest, modules, assets


def _forbidden(item: PackageFile) -> str:
    return _("files of this type are not allowed in a package: only course.toml, README.md, modules/*.md and assets "
             "of type %(types)s", types=", ".join(sorted(ASSET_TYPES)))


def _check_utf8(item: PackageFile, report: Reporter) -> None:
    try:
        decode_text(item.path.read_bytes())
    except TextError as error:
        report.error(item.relpath, error.line, "E103", _("the file is not UTF-8 text: save it as UTF-8"))


def _sniffed(item: PackageFile) -> str | None:
    with open(item.path, "rb") as fh:
        return sniff_type(fh.read(16))


def _check_content(item: PackageFile, report: Reporter) -> None:
    if _sniffed(item) is None:
        report.error(item.relpath, 1, "E110", _("the content of this file is not a %(type)s file, although its name "
                                                "says so; export it again in that format", type=item.extension.upper()))


def _content_type(item: PackageFile) -> str:
    """Served by what the bytes are (a PNG renamed .jpg is still a PNG), else by the extension."""
    return ASSET_TYPES.get(_sniffed(item) or "", ASSET_TYPES[SAME_TYPE.get(item.extension, item.extension)])


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
    for name in names:
        module = _check_module(name, module_files[name], report)
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
    try:
        text = decode_text(item.path.read_bytes())
    except TextError as error:
        report.error(relpath, error.line, "E103", _("the file is not UTF-8 text: save it as UTF-8"))
        return None
    try:
        front = split_front_matter(text)
    except ParseError as error:
        report.error(relpath, error.line, "E124", _("the front matter is not valid: %(detail)s", detail=error.detail))
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
        title = match.group(1).strip()[:300] if match else None
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


def _render_modules(modules: list[ModuleData], asset_paths: set[str], language: str, report: Reporter, reuse) -> None:
    """Render each module once (or reuse an identical earlier rendering) and report its links."""
    module_links = {m.filename: m.key for m in modules}
    limit = int(config("LONG_MODULE_WORDS", 4000))
    for module in modules:
        module.render_hash = r.render_hash(module.source, module_links, asset_paths, language)
        rendered = reuse(module.render_hash) if reuse else None
        if rendered is not None:
            module.rendered = rendered
            continue
        module.rendered = r.render_module(module.body, module_links=module_links, asset_paths=asset_paths,
                                          language=language)
        relpath = f"{MODULES_DIR}/{module.filename}"
        lines = module.source.split("\n")
        seen: dict[str, int] = {}
        for link in module.rendered.links:
            line = _link_line(lines, link.url, max(module.body_line - 1, seen.get(link.url, 0)))
            seen[link.url] = line or seen.get(link.url, 0)
            line = line or module.body_line
            if link.status not in r.OK_STATUSES:
                code, message = _link_message(link)
                report.error(relpath, line, code, message)
            elif link.tag == "img" and link.alt is not None and not link.alt.strip():
                report.warning(relpath, line, "W141", _("the image '%(url)s' has no alt text: describe it between the "
                                                        "brackets, like ![A sensor on the barn wall](...)", url=link.url))
        if module.rendered.word_count > limit:
            report.warning(relpath, 1, "W123", _("the module has %(words)d words; over %(limit)d words is hard to read "
                                                 "on a phone, so consider splitting it",
                                                 words=module.rendered.word_count, limit=limit))


def _link_line(lines: list[str], url: str, start: int) -> int:
    """The line where a link's URL is written (0 if not found), searching from index start onwards."""
    if not url:
        return 0
    pattern = re.compile(re.escape(url) + r"""(?=[)\s>"']|$)""")
    for index in range(start, len(lines)):
        if pattern.search(lines[index]):
            return index + 1
    return 0 if start == 0 else _link_line(lines, url, 0)


def _asset_name(url: str) -> str:
    try:
        path = unquote(urlsplit(url.replace("\\", "/")).path)
    except ValueError:
        return url
    target = posixpath.normpath(posixpath.join(MODULES_DIR, path)).removeprefix(f"{MODULES_DIR}/")
    return target.removeprefix(f"{ASSETS_DIR}/")


def _link_message(link: r.LinkRef) -> tuple[str, str]:
    url, image = link.url, link.tag == "img"
    if link.status == r.OUTSIDE:
        return "E140", _("'%(url)s' points outside the package: link only to modules and to files in assets/", url=url)
    if link.status == r.ABSOLUTE:
        return "E141", _("'%(url)s' is an absolute path: write it relative to the module, like ../assets/file.pdf",
                         url=url)
    if link.status == r.SCHEME:
        return "E141", _("'%(url)s' is not allowed: links must start with https://, http:// or mailto:, or point to "
                         "a module or a file in assets/", url=url)
    if link.status == r.MISSING_ASSET:
        if image:
            return "E142", _("the image '%(name)s' does not exist in assets/", name=_asset_name(url))
        return "E142", _("the file '%(name)s' does not exist in assets/", name=_asset_name(url))
    if link.status == r.MISSING_MODULE:
        return "E143", _("'%(url)s' points to a module that does not exist (modules/%(name)s)", url=url,
                         name=_asset_name(url.split("#")[0]))
    if link.status == r.MISSING:
        return "E143", _("'%(url)s' points to a file that is not in the package", url=url)
    if link.status == r.IMAGE_EXTERNAL:
        return "E144", _("the image '%(url)s' is on another website: save it in assets/ and link to it there "
                         "(pages may only show the course's own images)", url=url)
    if link.status == r.IMAGE_NOT_ASSET:
        return "E144", _("the image '%(url)s' must be a file inside assets/", url=url)
    if link.status == r.IMAGE_TYPE:
        return "E145", _("'%(url)s' is not an image (png, jpg, jpeg, gif or webp): link to it with [text](...) "
                         "instead of ![text](...)", url=url)
    if link.status == r.BAD_VIDEO:
        return "E146", _("'%(url)s' is not a YouTube or Vimeo address: @[video](...) embeds only YouTube and Vimeo "
                         "videos", url=url)
    return "E143", _("'%(url)s' cannot be used here", url=url)
