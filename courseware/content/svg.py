"""SVG images in assets/: checked and re-written at import, so what is served is what was checked.

The file is parsed by lxml with entities never resolved, no DTD loaded and no network; a DOCTYPE or entity is
refused before parsing. Then every element and attribute must be on the allow-lists below: shapes, paths, text,
gradients, patterns, markers, clip paths, masks, simple filters, `<style>`. Refused (errors, with what to change):
scripts, `foreignObject`, animation (it can rewrite links), links, any `on*` attribute, an `href` that is not a
`#fragment` of the same file, `url(...)` other than `url(#id)` and `@import` in styles, `<image>` other than an
embedded PNG, JPEG, GIF or WebP whose bytes are checked. Editors' own data (Inkscape, Sodipodi, metadata) is
dropped quietly; other unknown attributes and elements of other namespaces are dropped with a warning.

`sanitise_svg` returns the re-serialised file and the problems; svg assets are served as image/svg+xml with
`Content-Security-Policy: sandbox` (blueprints/public), so even a mistake here could not run script.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Editors' namespaces: their elements and attributes are dropped without a word.
EDITOR_NAMESPACES = frozenset({
    "http://www.inkscape.org/namespaces/inkscape", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://purl.org/dc/elements/1.1/", "http://creativecommons.org/ns#",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/SaveForWeb/1.0/", "http://ns.adobe.com/Extensibility/1.0/",
    "http://www.bohemiancoding.com/sketch/ns",
})

ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "clipPath", "mask",
    "pattern", "marker", "style", "image", "switch", "filter", "feGaussianBlur", "feOffset", "feBlend",
    "feColorMatrix", "feComposite", "feFlood", "feMerge", "feMergeNode", "feMorphology", "feDropShadow",
})
QUIETLY_DROPPED = frozenset({"metadata"})
# Elements refused outright: they run or load something, or rewrite attributes (animation).
REFUSED = frozenset({
    "script", "foreignObject", "a", "animate", "animateMotion", "animateTransform", "set", "discard", "iframe",
    "handler", "listener", "feImage", "cursor", "font-face-uri", "video", "audio", "object", "embed",
})
ATTRIBUTES = frozenset({
    "id", "class", "style", "transform", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "width", "height", "points", "viewBox", "preserveAspectRatio", "version", "fill", "fill-opacity", "fill-rule",
    "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset",
    "stroke-miterlimit", "stroke-opacity", "opacity", "font-family", "font-size", "font-weight", "font-style",
    "font-variant", "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "text-decoration", "writing-mode", "direction", "dx", "dy", "rotate", "textLength",
    "lengthAdjust", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
    "fx", "fy", "fr", "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits", "maskContentUnits",
    "patternUnits", "patternContentUnits", "patternTransform", "marker-start", "marker-mid", "marker-end",
    "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient", "visibility", "display", "color",
    "filter", "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "values", "type",
    "operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "radius", "vector-effect", "paint-order",
    "shape-rendering", "text-rendering", "image-rendering", "color-interpolation-filters", "overflow", "role",
    "aria-label", "aria-hidden", "aria-labelledby", "aria-describedby", "focusable", "lang", "href", "media",
    "startOffset", "method", "spacing", "side", "path", "pathLength", "systemLanguage", "requiredFeatures",
    "isolation", "mix-blend-mode", "enable-background", "xml:space", "xml:lang", "baseProfile", "font-stretch",
    "clip", "zoomAndPan", "kerning", "unicode-bidi",
})
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}

# Problems: (code, kind). media_check.py has a message for each kind.
NOT_SVG, DOCTYPE, FORBIDDEN_ELEMENT, EVENT_HANDLER, EXTERNAL, BAD_IMAGE, STYLESHEET_PI, DROPPED = (
    "not-svg", "doctype", "forbidden-element", "event-handler", "external", "bad-image", "stylesheet-pi", "dropped",
)
CODES = {NOT_SVG: "E180", DOCTYPE: "E181", FORBIDDEN_ELEMENT: "E182", EVENT_HANDLER: "E182", EXTERNAL: "E183",
         BAD_IMAGE: "E183", STYLESHEET_PI: "E183", DROPPED: "W182"}

_URL = re.compile(r"url\s*\(\s*(['\"]?)\s*(.*?)\s*\1\s*\)", re.I | re.S)
_FRAGMENT_URL = re.compile(r"#[A-Za-z_][\w.:-]*")
# A backslash is refused too: CSS escapes could spell `url(` or `@import` past the checks.
_CSS_DANGER = re.compile(r"@import|expression\s*\(|-moz-binding|behavior\s*:|javascript:|\\", re.I)
_DATA_IMAGE = re.compile(r"data:(image/[a-z]+);base64,([A-Za-z0-9+/=\s]+)", re.S)


@dataclass
class SvgProblem:
    """One problem of an SVG file: line, checker code, kind and what it is about (an element, attribute, URL)."""

    line: int
    code: str
    kind: str
    detail: str = ""


@dataclass
class SvgResult:
    data: bytes | None  # the re-serialised file, or None when it is refused
    problems: list[SvgProblem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.data is None


def sanitise_svg(data: bytes) -> SvgResult:
    """Check an SVG file and re-write it with only allowed elements and attributes; refused on any error."""
    problems: list[SvgProblem] = []
    for marker in (b"<!doctype", b"<!entity"):
        position = data.lower().find(marker)
        if position >= 0:
            problems.append(SvgProblem(data.count(b"\n", 0, position) + 1, CODES[DOCTYPE], DOCTYPE))
            return SvgResult(None, problems)
    if b"<?xml-stylesheet" in data.lower():
        position = data.lower().find(b"<?xml-stylesheet")
        problems.append(SvgProblem(data.count(b"\n", 0, position) + 1, CODES[STYLESHEET_PI], STYLESHEET_PI))
        return SvgResult(None, problems)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = error.position[0] if getattr(error, "position", None) else 1
        problems.append(SvgProblem(line or 1, CODES[NOT_SVG], NOT_SVG, str(error.msg or "")[:200]))
        return SvgResult(None, problems)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # in an encoding the byte search above cannot read
        problems.append(SvgProblem(1, CODES[DOCTYPE], DOCTYPE))
        return SvgResult(None, problems)
    if root.tag != f"{{{SVG_NS}}}svg":
        problems.append(SvgProblem(root.sourceline or 1, CODES[NOT_SVG], NOT_SVG, "the root element is not <svg>"))
        return SvgResult(None, problems)
    _clean(root, problems)
    etree.cleanup_namespaces(root)
    if any(p.code.startswith("E") for p in problems):
        return SvgResult(None, problems)
    return SvgResult(etree.tostring(root, encoding="utf-8", xml_declaration=True), problems)


def _clean(root, problems: list[SvgProblem]) -> None:
    dropped: set[str] = set()
    _clean_element(root, problems, dropped)
    if dropped:
        problems.append(SvgProblem(1, CODES[DROPPED], DROPPED, ", ".join(sorted(dropped)[:10])))


def _clean_element(element, problems: list[SvgProblem], dropped: set[str]) -> None:
    """Check one kept element's attributes, then each child: kept, dropped or refused (depth is at most libxml2's
    256 levels, so the recursion is bounded)."""
    name = _split(element.tag)[1]
    line = element.sourceline or 1
    for attribute, value in list(element.attrib.items()):
        _check_attribute(element, name, attribute, value, line, problems, dropped)
    if name == "style":
        _check_css(element.text or "", line, problems)
    for child in list(element):
        line = child.sourceline or line
        if not isinstance(child.tag, str):  # an entity reference, comment or processing instruction
            if isinstance(child, etree._Entity):
                problems.append(SvgProblem(line, CODES[DOCTYPE], DOCTYPE))
            _remove(child)
            continue
        namespace, child_name = _split(child.tag)
        if namespace in EDITOR_NAMESPACES or (namespace == SVG_NS and child_name in QUIETLY_DROPPED):
            _remove(child)
        elif child_name in REFUSED or namespace == XHTML_NS or (name == "style" and namespace == SVG_NS):
            problems.append(SvgProblem(line, CODES[FORBIDDEN_ELEMENT], FORBIDDEN_ELEMENT, child_name))
            _remove(child)
        elif namespace != SVG_NS or child_name not in ELEMENTS:
            dropped.add(f"<{child_name}>")
            _remove(child)
        else:
            _clean_element(child, problems, dropped)


def _check_attribute(element, name: str, attribute: str, value: str, line: int, problems, dropped) -> None:
    namespace, local = _split(attribute)
    if local.lower().startswith("on"):
        problems.append(SvgProblem(line, CODES[EVENT_HANDLER], EVENT_HANDLER, local))
        return
    if namespace in EDITOR_NAMESPACES:
        del element.attrib[attribute]
        return
    qualified = local if namespace is None else ("xml:" + local if namespace == XML_NS else None)
    if local == "href" and namespace in (None, XLINK_NS):
        if name == "image":
            _check_image(value, line, problems)
        elif not _FRAGMENT_URL.fullmatch(value.strip()):
            problems.append(SvgProblem(line, CODES[EXTERNAL], EXTERNAL, value[:100]))
        return
    if qualified is None or qualified not in ATTRIBUTES:
        dropped.add(local)
        del element.attrib[attribute]
        return
    if attribute == "style":
        _check_css(value, line, problems)
    elif "url" in value.lower() or "javascript:" in value.lower():
        _check_urls(value, line, problems)


def _check_urls(value: str, line: int, problems) -> None:
    for match in _URL.finditer(value):
        if not _FRAGMENT_URL.fullmatch(match.group(2)):
            problems.append(SvgProblem(line, CODES[EXTERNAL], EXTERNAL, match.group(2)[:100]))
    if "javascript:" in value.lower():
        problems.append(SvgProblem(line, CODES[EXTERNAL], EXTERNAL, value[:100]))


def _check_css(css: str, line: int, problems) -> None:
    danger = _CSS_DANGER.search(css)
    if danger:
        problems.append(SvgProblem(line, CODES[EXTERNAL], EXTERNAL, danger.group(0)))
    _check_urls(css, line, problems)


def _check_image(value: str, line: int, problems) -> None:
    from .package import sniff_type

    match = _DATA_IMAGE.fullmatch(value.strip())
    if match and match.group(1) in IMAGE_TYPES:
        try:
            raw = base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if sniff_type(raw[:16]) == IMAGE_TYPES[match.group(1)]:
            return
    problems.append(SvgProblem(line, CODES[BAD_IMAGE], BAD_IMAGE, value[:60]))


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def _remove(element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:  # keep the text after a removed element where it was
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
