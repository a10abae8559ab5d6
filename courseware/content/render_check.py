"""Rendering each module of a package once, at check time, and reporting its links and the limits it goes over."""
from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import unquote, urlsplit

from flask_babel import gettext as _

from . import blocks, precheck
from . import render as r
from .media_check import report_notes
from .package import ASSETS_DIR, MODULES_DIR, ModuleData
from .problems import Reporter, config, short

log = logging.getLogger(__name__)


def render_modules(modules: list[ModuleData], asset_paths: set[str], language: str, report: Reporter, reuse) -> None:
    """Render each module once (or reuse an identical earlier rendering) and report its links and limits."""
    module_links = {m.filename: m.key for m in modules}
    limit = int(config("LONG_MODULE_WORDS", 4000))
    budget = float(config("MODULE_RENDER_SECONDS", r.RENDER_SECONDS))
    for module in modules:
        module.render_hash = r.render_hash(module.source, module_links, asset_paths, language)
        rendered = reuse(module.render_hash) if reuse else None
        if rendered is not None:  # it passed before: its blocks too
            module.rendered = rendered
            continue
        relpath = f"{MODULES_DIR}/{module.filename}"
        try:
            module.rendered = r.render_module(module.body, module_links=module_links, asset_paths=asset_paths,
                                              language=language, budget=budget)
        except r.Refused as refused:
            code, message = refusal_message(refused.refusal)
            report.error(relpath, module.body_line + refused.refusal.line - 1, code, message)
            _report_blocks(module, relpath, report)
            continue
        except Exception as error:  # noqa: BLE001 (one module's failure is that module's error)
            log.exception("Rendering %s failed", relpath)
            report.error(relpath, 1, "E190", _("unexpected error while rendering this module (%(error)s); please "
                                               "report it", error=short(f"{type(error).__name__}: {error}", 200)))
            continue
        _report_blocks(module, relpath, report)
        _report_links(module, relpath, report, _staff_links(module, module_links, asset_paths, language, budget))
        report_notes(module, relpath, report)
        if module.rendered.word_count > limit:
            report.warning(relpath, 1, "W123", _("the module has %(words)d words; over %(limit)d words is hard to read "
                                                 "on a phone, so consider splitting it",
                                                 words=module.rendered.word_count, limit=limit))


def refusal_message(refusal: precheck.Refusal) -> tuple[str, str]:
    """The code and message for Markdown the renderer refused (precheck.py's limits and the CPU budget)."""
    limit, kind = refusal.limit, refusal.kind
    if kind == precheck.BLOCK_NESTING:
        return "E163", _("quotes (>), lists and indented blocks are nested more than %(limit)d levels deep here: "
                         "flatten the structure", limit=limit)
    if kind == precheck.HTML_NESTING:
        return "E163", _("HTML elements (div, ul, section, ...) are nested more than %(limit)d deep here, or opened "
                         "and never closed: close them, or use Markdown instead", limit=limit)
    if kind == precheck.TOC_MARKERS:
        return "E164", _("more than %(limit)d [TOC] markers: one table of contents per module is enough", limit=limit)
    if kind == precheck.ABBREVIATIONS:
        return "E164", _("more than %(limit)d abbreviations (*[ABC]: ...) in one module", limit=limit)
    if kind == precheck.SCAN:
        return "E164", _("too many brackets, parentheses, HTML tags or backticks ([ ( < `) are left open from here "
                         "on: close them, or write \\[ and &lt; for the characters themselves")
    if kind == precheck.FRONT_MATTER:
        return "E171", _("the module's text begins with settings (title:, quiz: ...) that were not read as front "
                         "matter: put them between --- lines at the very top of the file")
    if kind == precheck.INLINE_WORK:
        return "E164", _("this paragraph is too long and too full of markup to show: split it into shorter "
                         "paragraphs with blank lines between them")
    return "E164", _("the module took too long to render (over %(seconds)d seconds): look for unusually deep or "
                     "unclosed Markdown, or split the module", seconds=limit)


def _report_blocks(module: ModuleData, relpath: str, report: Reporter) -> None:
    """Fenced blocks (`:::`) never closed (errors), with an unknown name, or closing nothing (warnings)."""
    for notice in blocks.notices(module.body):
        line = module.body_line + notice.line - 1
        if notice.kind == blocks.UNCLOSED:
            report.error(relpath, line, "E174", _("the block '%(name)s' opened here is never closed: end it with a "
                                                  "line of as many colons as it starts with (:::)",
                                                  name=short(notice.name)))
        elif notice.kind == blocks.UNKNOWN:
            report.warning(relpath, line, "W170", _("'%(name)s' is not a block name the platform knows, so it is shown "
                                                    "as a plain box: use note, tip, important, warning, caution, "
                                                    "example, challenge, solution, hint, discussion or instructor",
                                                    name=short(notice.name)))
        else:
            report.warning(relpath, line, "W171", _("this ::: line closes no block and is left out: remove it, or "
                                                    "check that the block above starts with as many colons"))


def _staff_links(module: ModuleData, module_links, asset_paths, language: str, budget: float) -> list[r.LinkRef]:
    """The links of a module with instructor notes as staff see it (learners' pages leave the notes out, but the
    notes' links must work too); the learners' links otherwise."""
    if not blocks.has_instructor_notes(module.body):
        return module.rendered.links
    try:
        return r.render_module(module.body, module_links=module_links, asset_paths=asset_paths, language=language,
                               budget=budget, audience=blocks.STAFF).links
    except r.Refused:
        return module.rendered.links


def _report_links(module: ModuleData, relpath: str, report: Reporter, links: list[r.LinkRef]) -> None:
    """Errors for links that do not resolve and warnings for images without alt text, at their lines."""
    lines = module.source.split("\n")
    seen: dict[str, int] = {}
    for link in links:
        missing_alt = link.tag == "img" and link.alt is not None and not link.alt.strip()
        if link.status in r.OK_STATUSES and not missing_alt:
            continue
        if not report.accepts(relpath, "error" if link.status not in r.OK_STATUSES else "warning"):
            continue  # finding the line costs a pass over the file: only for problems that are shown
        line = _link_line(lines, link.url, max(module.body_line - 1, seen.get(link.url, 0)))
        seen[link.url] = line or seen.get(link.url, 0)
        line = line or module.body_line
        if link.status not in r.OK_STATUSES:
            code, message = _link_message(link)
            report.error(relpath, line, code, message)
        else:
            report.warning(relpath, line, "W141", _("the image '%(url)s' has no alt text: describe it between the "
                                                    "brackets, like ![A sensor on the barn wall](...)",
                                                    url=short(link.url, 200)))


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
    url, image = short(link.url, 200), link.tag == "img"
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
            return "E142", _("the image '%(name)s' does not exist in assets/", name=short(_asset_name(link.url), 200))
        return "E142", _("the file '%(name)s' does not exist in assets/", name=short(_asset_name(link.url), 200))
    if link.status == r.MISSING_MODULE:
        return "E143", _("'%(url)s' points to a module that does not exist (modules/%(name)s)", url=url,
                         name=short(_asset_name(link.url.split("#")[0]), 200))
    if link.status == r.MISSING:
        return "E143", _("'%(url)s' points to a file that is not in the package", url=url)
    if link.status == r.IMAGE_EXTERNAL:
        return "E144", _("the image '%(url)s' is on another website: save it in assets/ and link to it there "
                         "(pages may only show the course's own images)", url=url)
    if link.status == r.IMAGE_NOT_ASSET:
        return "E144", _("the image '%(url)s' must be a file inside assets/", url=url)
    if link.status == r.IMAGE_TYPE:
        return "E145", _("'%(url)s' is not an image (png, jpg, jpeg, gif, webp or svg): link to it with [text](...) "
                         "instead of ![text](...)", url=url)
    if link.status == r.BAD_VIDEO:
        return "E146", _("'%(url)s' is not a YouTube or Vimeo address: @[video](...) embeds only YouTube and Vimeo "
                         "videos", url=url)
    return "E143", _("'%(url)s' cannot be used here", url=url)
