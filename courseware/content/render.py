"""Markdown -> HTML -> sanitiser: the one place where course text becomes HTML.

It runs at import time only; requests never run Markdown. The output is deterministic for the same input,
so a module whose source, link map and asset list are unchanged is never rendered again (see `render_hash`).

Security model: Python-Markdown renders (raw HTML passes through it), then nh3 keeps only the tags,
attributes, classes and URL schemes in `SANITISER`. Links and images are resolved by one function
(`resolve_url`) both in Markdown's tree and, through nh3's attribute filter, in the author's raw HTML.
Video embeds are inserted *after* sanitising, from a validated id only, in place of a random placeholder.

Cost model: precheck.py refuses, at its line, Markdown that Python-Markdown or the sanitiser would take long over,
and a CPU-time budget per module (`budget`) stops whatever it misses; either way `Refused` is raised.
"""
from __future__ import annotations

import contextvars
import hashlib
import html
import json
import posixpath
import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

from . import blocks, code, fences, lists, math, notes, precheck, typography
from .images import ImageAttributesExtension
from .precheck import RENDER_SECONDS, OverBudget, Refused, cpu_budget
from .video import video_embed_url

# Bump when the renderer's output changes for the same input: every module is then rendered again.
RENDER_VERSION = "4"

IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg"})

# The sanitiser's allow-list: everything that may reach a page. Nothing else (script, style, iframe, form,
# svg, object, embed, meta, link, base, on* handlers, style attributes, data:/javascript: URLs) survives.
SANITISER = {
    "tags": frozenset({
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "del", "s", "ins",
        "sub", "sup", "mark", "small", "kbd", "q", "cite", "code", "pre", "blockquote", "ul", "ol", "li", "dl",
        "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "img", "div", "span",
        "details", "summary", "abbr", "input", "aside",
    }) | math.MATH_TAGS,
    "clean_content_tags": frozenset({"script", "style"}),
    "attributes": {
        "a": {"href", "title", "class"},
        "img": {"src", "alt", "title", "width", "height"},
        "th": {"align", "colspan", "rowspan"},
        "td": {"align", "colspan", "rowspan"},
        "abbr": {"title"},
        "ol": {"start"},
        "input": {"checked"},
        "details": {"class", "open"},
        "li": {"id", "class"},
        **{tag: {"id"} for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "sup")},
        **{tag: {"class"} for tag in ("div", "span", "code", "pre", "p", "ul", "summary", "aside")},
        **{tag: set(math.MATH_ATTRIBUTES) for tag in math.MATH_TAGS},
    },
    # Attributes always set (task-list boxes are for show: never a text field, never editable).
    "set_attributes": {"img": {"loading": "lazy"}, "input": {"type": "checkbox", "disabled": "disabled"}},
    "url_schemes": frozenset({"http", "https", "mailto"}),
    # Class names the page styles; any other class an author writes is dropped.
    "classes": frozenset({
        "admonition", "admonition-title", "note", "tip", "hint", "important", "warning", "caution", "attention",
        "danger", "error", "info", "example", "quote", "abstract", "success", "question", "failure", "bug",
        "footnote", "footnote-ref", "footnote-backref", "task-list", "task-list-item", "highlight", "toc",
    }) | blocks.CLASSES | code.BLOCK_CLASSES,
    "span_classes": code.TOKEN_CLASSES,  # Pygments' token classes: on <span> in <pre> only (code.py)
    "class_prefixes": ("language-",),
}

# Ids a heading must not take, because the page around the module uses them (templates base.html,
# public/module.html and learner/_module_activity.html; tests/test_content_ids.py keeps this list complete), and
# the names of the page's form fields. Such a heading gets `-section` added; links to it in the module follow.
RESERVED_IDS = frozenset({
    "main", "content", "lang-select", "toc", "quiz", "tasks", "objectives", "objectives-title", "activity",
    "activity-title", "csrf_token", "next", "lang", "done", "token", "drawn",
})
RESERVED_SUFFIX = "-section"

# Link statuses. The first group is fine; the checker turns every other one into an error.
MODULE, ASSET, ANCHOR, EXTERNAL, MAILTO, VIDEO = "module", "asset", "anchor", "external", "mailto", "video"
OK_STATUSES = frozenset({MODULE, ASSET, ANCHOR, EXTERNAL, MAILTO, VIDEO})
OUTSIDE, ABSOLUTE, SCHEME = "outside", "absolute", "scheme"
MISSING, MISSING_MODULE, MISSING_ASSET = "missing", "missing-module", "missing-asset"
IMAGE_EXTERNAL, IMAGE_NOT_ASSET, IMAGE_TYPE, BAD_VIDEO = "image-external", "image-not-asset", "image-type", "bad-video"

_VIDEO_LINE = re.compile(r"^(?P<indent>[ \t]*)@\[video\]\(\s*<?(?P<url>[^()<>\s]*)>?\s*\)[ \t]*$")
_STASH = re.compile("\u0002[^\u0003]*\u0003")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_BACKLINK_TITLES = {
    "nb": "Tilbake til fotnote %d i teksten",
    "nn": "Tilbake til fotnote %d i teksten",
    "en": "Jump back to footnote %d in the text",
}
_EMBED = (
    '<div class="video-embed"><iframe src="{src}" title="Video" loading="lazy" '
    'allow="fullscreen; picture-in-picture" referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
)


@dataclass(frozen=True)
class LinkRef:
    """One link, image or video in a module, with how it resolved (`status`)."""

    tag: str  # "a", "img" or "video"
    url: str  # as the author wrote it (entities decoded)
    status: str
    alt: str | None = None  # images from Markdown only
    raw_html: bool = False


@dataclass
class RenderedModule:
    """A module's sanitised HTML, its headings for the table of contents, and what its links resolved to."""

    html: str
    toc: list[dict]  # [{"level": 2, "id": "...", "title": "..."}]
    word_count: int
    links: list[LinkRef] = field(default_factory=list)
    notes: list[notes.Note] = field(default_factory=list)  # math, image attributes: see media_check.py

    @property
    def link_problems(self) -> list[LinkRef]:
        return [link for link in self.links if link.status not in OK_STATUSES]


@dataclass
class _State:
    module_links: dict[str, str]
    asset_paths: set[str]
    token: str
    videos: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # token -> (embed src, original line)
    approved: set[tuple[str, str]] = field(default_factory=set)  # (tag, URL) pairs the tree processor made
    ids: set[str] = field(default_factory=set)
    links: list[LinkRef] = field(default_factory=list)
    words: int = 0
    slugs: set[str] = field(default_factory=set)  # heading ids given out so far
    slug_counts: dict[str, int] = field(default_factory=dict)  # last number added to each repeated heading id
    audience: str = blocks.LEARNER  # "staff" keeps instructor notes (blocks.py); never stored


_STATE: contextvars.ContextVar[_State] = contextvars.ContextVar("courseware_render_state")


def render_hash(source: str | bytes, module_links: dict[str, str], asset_paths: set[str], language: str = "nb") -> str:
    """Hash of everything a module's HTML depends on, so an unchanged module is never rendered twice."""
    digest = hashlib.sha256(f"render-v{RENDER_VERSION}\0{language}\0".encode())
    digest.update(json.dumps([sorted(module_links.items()), sorted(asset_paths)], ensure_ascii=False).encode())
    digest.update(b"\0")
    digest.update(source.encode() if isinstance(source, str) else source)
    return digest.hexdigest()


def render_module(
    markdown_text: str, *, module_links: dict[str, str], asset_paths: set[str], language: str = "nb",
    budget: float | None = RENDER_SECONDS, audience: str = blocks.LEARNER,
) -> RenderedModule:
    """Render a module body to sanitised HTML with its table of contents, word count and resolved links.

    `module_links` maps module file names to keys (`"02-sensorer.md" -> "sensorer"`); `asset_paths` holds
    paths inside assets/ (`"fjos-sensor.jpg"`). Raises Refused for Markdown over the limits of precheck.py or
    over `budget` CPU seconds, and for a body that begins with settings (front matter that was not read as such).
    `audience` "staff" keeps instructor notes, which learners' pages (the default, and all that is stored) leave out.
    """
    if audience not in blocks.AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    refusal = precheck.check_markdown(markdown_text)
    if refusal is None and (settings := fences.leading_settings(markdown_text)) is not None:
        refusal = precheck.Refusal(settings.line, precheck.FRONT_MATTER, 0)
    if refusal is not None:
        raise Refused(refusal)
    state = _State(module_links=module_links, asset_paths=set(asset_paths), token=f"cwvideo{secrets.token_hex(8)}",
                   audience=audience)
    reset = _STATE.set(state)
    try:
        with cpu_budget(budget), notes.collect() as found:
            md = _markdown(language)
            raw = md.reset().convert(markdown_text)
            toc = _flatten_toc(getattr(md, "toc_tokens", []))
            # The sanitiser is quadratic in deeply nested block elements; the pre-check counted those in the
            # source, leaving out code spans, which this count of the HTML itself does not need to guess.
            if precheck.html_nesting(raw.split("\n")) is not None:
                raise Refused(precheck.html_nesting(markdown_text.split("\n"))
                              or precheck.Refusal(1, precheck.HTML_NESTING, precheck.MAX_HTML_NESTING))
            clean = _cleaner().clean(raw)
    except OverBudget:
        _local.__dict__.get("instances", {}).pop(language, None)  # stopped mid-render: the next one starts afresh
        raise Refused(precheck.Refusal(1, precheck.BUDGET, budget)) from None
    finally:
        _STATE.reset(reset)
    clean = _wrap_tables(_insert_videos(clean, state), language)
    clean = math.focusable_display(code.after_sanitising(clean))
    return RenderedModule(html=clean, toc=toc, word_count=state.words, links=state.links, notes=found)


def resolve_url(url: str, *, image: bool, module_links: dict[str, str], asset_paths: set[str]) -> tuple[str | None, str]:
    """Where a link or image in modules/ points: (URL for the page or None to drop it, status)."""
    url = url.strip()
    if not url:
        return None, MISSING
    if url.startswith("#"):
        return (None, IMAGE_NOT_ASSET) if image else (url, ANCHOR)
    try:
        parts = urlsplit(url.replace("\\", "/"))
    except ValueError:
        return None, MISSING
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if image:
            return None, IMAGE_EXTERNAL
        return (url, EXTERNAL) if parts.netloc else (None, SCHEME)
    if scheme == "mailto" and not image:
        return url, MAILTO
    if scheme:
        return None, SCHEME
    if parts.netloc or parts.path.startswith("/"):
        return None, ABSOLUTE
    path = unquote(parts.path)
    if not path:
        return None, MISSING
    target = posixpath.normpath(posixpath.join("modules", path))
    if target == ".." or target.startswith("../"):
        return None, OUTSIDE
    if target.startswith("modules/assets/"):  # `assets/x.jpg` written as if from the package root
        target = target[len("modules/"):]
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if target.startswith("assets/"):
        inside = target[len("assets/"):]
        if inside not in asset_paths:
            return None, MISSING_ASSET
        if image and inside.rsplit(".", 1)[-1].lower() not in IMAGE_EXTENSIONS:
            return None, IMAGE_TYPE
        return "assets/" + quote(inside) + ("" if image else fragment), ASSET
    if image:
        return None, IMAGE_NOT_ASSET
    name = target[len("modules/"):] if target.startswith("modules/") else None
    if name and "/" not in name and name.lower().endswith(".md"):
        if name in module_links:
            return quote(module_links[name]) + fragment, MODULE
        return None, MISSING_MODULE
    return None, MISSING


def _decode(value: str) -> str:
    """An attribute value as a browser reads it (Markdown keeps e-mail links entity-encoded)."""
    return html.unescape(value.replace(AMP_SUBSTITUTE, "&"))


class _VideoPreprocessor(Preprocessor):
    """`@[video](URL)` on its own line becomes a placeholder paragraph, replaced after sanitising."""

    def run(self, lines: list[str]) -> list[str]:
        state = _STATE.get()
        out: list[str] = []
        for line in lines:
            match = _VIDEO_LINE.match(line)
            if not match:
                out.append(line)
                continue
            url = match.group("url")
            src = video_embed_url(url)
            state.links.append(LinkRef("video", url, VIDEO if src else BAD_VIDEO))
            token = f"{state.token}n{len(state.videos)}"
            state.videos[token] = (src, line.strip())
            out.extend(["", match.group("indent") + token, ""])
        return out


class _LinkTreeprocessor(Treeprocessor):
    """Resolves every link and image Markdown made, and records ids and the word count."""

    def run(self, root) -> None:
        state = _STATE.get()
        state.ids.update(el.get("id") for el in root.iter() if el.get("id"))  # before links: they may point ahead
        for el in root.iter():
            if el.tag in ("a", "img"):
                attr = "href" if el.tag == "a" else "src"
                value = el.get(attr)
                if value is not None:
                    original = _decode(value)
                    new, status = resolve_url(
                        original, image=el.tag == "img", module_links=state.module_links, asset_paths=state.asset_paths
                    )
                    alt = el.get("alt", "") if el.tag == "img" else None
                    state.links.append(LinkRef(el.tag, original, status, alt))
                    if new is None:
                        del el.attrib[attr]
                    else:
                        new = _own_heading(new, status, state)
                        el.set(attr, new)
                        state.approved.add((el.tag, new))
        text = _STASH.sub(" ", " ".join(root.itertext()))
        state.words = len(_WORD.findall(text))


def _own_heading(url: str, status: str, state: _State) -> str:
    """`#activity` in a module with a heading "Activity" means that heading, whose id got RESERVED_SUFFIX."""
    if status == ANCHOR and url[1:] in RESERVED_IDS and url[1:] + RESERVED_SUFFIX in state.ids:
        return url + RESERVED_SUFFIX
    return url


class _CoursewareExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_VideoPreprocessor(md), "courseware_video", 22)
        md.treeprocessors.register(_LinkTreeprocessor(md), "courseware_links", -1)


def _slugify(value: str, separator: str) -> str:
    """A heading's id: never one the page uses, and unique in the module as Python-Markdown's toc makes it
    (`kost-nytte`, `kost-nytte_1`, ...), but counted here, so that thousands of equal headings stay linear."""
    state = _STATE.get()
    slug = slugify_unicode(value, separator) or "section"
    if slug in RESERVED_IDS:
        slug += RESERVED_SUFFIX
    candidate = slug
    while candidate in state.slugs:  # each repeated id's number only grows: linear over the module
        state.slug_counts[slug] = state.slug_counts.get(slug, 0) + 1
        candidate = f"{slug}_{state.slug_counts[slug]}"
    state.slugs.add(candidate)
    return candidate


_local = threading.local()


def _markdown(language: str) -> markdown.Markdown:
    """One Markdown instance per thread and language, reused with reset() (building one is slow)."""
    cache = _local.__dict__.setdefault("instances", {})
    if language not in cache:
        cache[language] = markdown.Markdown(
            extensions=[
                # Python-Markdown's "extra" minus attr_list and md_in_html, which let authors set attributes
                # (ids, classes, href) on elements; fenced code comes from superfences.
                "abbr", "def_list", "footnotes", "tables",
                "admonition", "toc", "sane_lists", "pymdownx.highlight", "pymdownx.superfences",
                "pymdownx.details", "pymdownx.tilde", "pymdownx.tasklist", _CoursewareExtension(),
                blocks.BlocksExtension(language, lambda: _STATE.get().audience), lists.ListCodeExtension(), "smarty",
                math.MathExtension(), ImageAttributesExtension(),
            ],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "footnotes": {"BACKLINK_TITLE": _BACKLINK_TITLES.get(language, _BACKLINK_TITLES["en"])},
                "toc": {"permalink": False, "slugify": _slugify},
                "pymdownx.highlight": {"use_pygments": True, "css_class": "highlight", "guess_lang": False},
                "pymdownx.superfences": {"custom_fences": code.custom_fences()},
                "smarty": typography.smarty_config(language),
            },
            output_format="html",
        )
        cache[language].courseware_language = language  # the labels of output and error blocks
    return cache[language]


def _flatten_toc(tokens: list[dict]) -> list[dict]:
    out: list[dict] = []
    for token in tokens:
        out.append({"level": int(token["level"]), "id": token["id"], "title": html.unescape(token["name"])})
        out.extend(_flatten_toc(token.get("children", [])))
    return out


def _filter_classes(value: str, tag: str = "") -> str | None:
    tokens = [t for t in value.split() if t in SANITISER["classes"] or t.startswith(SANITISER["class_prefixes"])
              or tag == "span" and t in SANITISER["span_classes"]]
    tokens = [t for t in tokens if re.fullmatch(r"[A-Za-z0-9_+#-]+", t)]
    return " ".join(tokens) or None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute: ids Markdown made, known classes, resolved links only."""
    state = _STATE.get(None)
    if state is None:
        return None
    if attribute == "id":
        return value if value in state.ids else None
    if attribute == "class":
        return _filter_classes(value, tag)
    if (tag, attribute) in (("a", "href"), ("img", "src")):
        if (tag, value) in state.approved:
            return value
        new, status = resolve_url(
            value, image=tag == "img", module_links=state.module_links, asset_paths=state.asset_paths
        )
        state.links.append(LinkRef(tag, value, status, raw_html=True))
        return new if new is None else _own_heading(new, status, state)
    return value


def _cleaner() -> nh3.Cleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = nh3.Cleaner(
            tags=set(SANITISER["tags"]),
            clean_content_tags=set(SANITISER["clean_content_tags"]),
            attributes={tag: set(names) for tag, names in SANITISER["attributes"].items()},
            attribute_filter=_attribute_filter,
            set_tag_attribute_values=SANITISER["set_attributes"],
            url_schemes=set(SANITISER["url_schemes"]),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    return cleaner


TABLE_LABELS = {"nb": "Tabell", "nn": "Tabell", "en": "Table"}


def _wrap_tables(clean: str, language: str) -> str:
    """Put each table in a focusable, labelled region, so a wide table scrolls sideways on a phone by keyboard too."""
    label = TABLE_LABELS.get(language, TABLE_LABELS["nb"])
    opening = f'<div class="table-wrap" role="region" tabindex="0" aria-label="{label}"><table>'
    return clean.replace("<table>", opening).replace("</table>", "</table></div>")


def _insert_videos(clean: str, state: _State) -> str:
    """Swap each placeholder paragraph for the embed built from the validated URL; anything else stays text."""
    if not state.videos:
        return clean

    def swap(match: re.Match) -> str:
        src, original = state.videos.get(match.group(2), (None, match.group(2)))
        if src and match.group(1):
            return _EMBED.format(src=html.escape(src))
        return f"<p>{html.escape(original)}</p>" if match.group(1) else html.escape(original)

    return re.sub(f"(<p>)?({re.escape(state.token)}n\\d+)(?(1)</p>)", swap, clean)
