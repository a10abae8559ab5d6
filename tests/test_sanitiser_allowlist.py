"""The sanitiser's allow-list stays safe: no event-handler or style attribute, no URL scheme but http, https and
mailto, and no active tag, checked on the configuration nh3 actually gets and on the public XSS corpora rendered
through it. A change that widens the allow-list fails here, whatever tests/test_content_xss.py's contexts cover."""
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from courseware.content import render

HERE = Path(__file__).parent
CORPORA = [HERE / "fixtures" / "xss", HERE.resolve().parents[1] / "shared" / "testdata" / "xss"]
SAFE_SCHEMES = {"http", "https", "mailto"}
ACTIVE_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "svg", "form", "meta",
               "link", "base", "template", "button", "textarea", "select", "video", "audio", "source", "applet",
               # MathML elements that link, act, embed HTML or load: never allowed (math itself is, see below)
               "maction", "annotation-xml", "mglyph", "malignmark", "mlabeledtr", "mprescripts", "none"}
# The MathML presentation elements math.py writes: exactly these may be allowed, and only with these attributes.
MATHML_PRESENTATION = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot",
    "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose",
    "semantics", "annotation",
}
RISKY_ATTRIBUTES = {"style", "srcdoc", "formaction", "action", "xmlns", "background", "dynsrc", "lowsrc"}
DANGEROUS_URL_PREFIXES = ("javascript:", "data:", "vbscript:", "livescript:", "mocha:")


def _payloads() -> list[str]:
    lines = {}
    for folder in CORPORA:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    lines[line] = None
    return list(lines)


PAYLOADS = _payloads()


def _risky_attribute(name: str) -> bool:
    return name.lower().startswith("on") or name.lower() in RISKY_ATTRIBUTES


class _CapturedCleaner:
    """Stands in for nh3.Cleaner to see exactly what render.py configures."""

    kwargs: dict = {}

    def __init__(self, **kwargs):
        type(self).kwargs = kwargs


def _cleaner_configuration(monkeypatch) -> dict:
    monkeypatch.setattr(render.nh3, "Cleaner", _CapturedCleaner)
    result = {}

    def build():  # render keeps one cleaner per thread: a new thread builds a new one
        render._cleaner()
        result.update(_CapturedCleaner.kwargs)

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    return result


def test_the_cleaner_nh3_gets_allows_no_handler_style_or_foreign_scheme(monkeypatch):
    config = _cleaner_configuration(monkeypatch)
    assert config["tags"] and not (set(config["tags"]) & ACTIVE_TAGS)
    assert {"script", "style"} <= set(config["clean_content_tags"])
    attributes = {(tag, name) for tag, names in config["attributes"].items() for name in names}
    attributes |= {("*", name) for name in config.get("generic_attributes") or ()}
    attributes |= {(tag, name) for tag, values in (config.get("set_tag_attribute_values") or {}).items()
                   for name in values}
    attributes |= {(tag, name) for tag, values in (config.get("tag_attribute_values") or {}).items() for name in values}
    assert not [pair for pair in attributes if _risky_attribute(pair[1])]
    assert not [prefix for prefix in config.get("generic_attribute_prefixes") or () if _risky_attribute(prefix + "x")]
    assert set(config["url_schemes"]) <= SAFE_SCHEMES
    assert config.get("strip_comments", True) is True
    # Nothing configured beyond the options read above, which an added option would slip past.
    assert set(config) <= {"tags", "clean_content_tags", "attributes", "attribute_filter", "set_tag_attribute_values",
                           "url_schemes", "link_rel", "strip_comments", "generic_attributes",
                           "generic_attribute_prefixes", "tag_attribute_values"}, set(config)


def test_the_declared_allow_list_agrees():
    """SANITISER, the table a reader (and a reviewer) sees, says the same."""
    names = {name for names in render.SANITISER["attributes"].values() for name in names}
    names |= {name for values in render.SANITISER["set_attributes"].values() for name in values}
    assert not [name for name in names if _risky_attribute(name)]
    assert set(render.SANITISER["url_schemes"]) <= SAFE_SCHEMES
    assert not (set(render.SANITISER["tags"]) & ACTIVE_TAGS)


class _Attributes(HTMLParser):
    """Every (tag, attribute, value) in an HTML fragment, entities decoded as a browser would."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend((tag, name, value or "") for name, value in attrs)

    handle_startendtag = handle_starttag


def dangers(html: str) -> list[str]:
    """Event handlers, style attributes and javascript:/data: URLs that survived, in any attribute."""
    parser = _Attributes()
    parser.feed(html)
    parser.close()
    found = []
    for tag, name, value in parser.found:
        if _risky_attribute(name):
            found.append(f"<{tag} {name}=…>")
        squashed = "".join(c for c in value if c > " ").lower()
        if squashed.startswith(DANGEROUS_URL_PREFIXES):
            found.append(f"<{tag} {name}={value!r}>")
    return found


def _render(text: str) -> str:
    return render.render_module(text, module_links={"01-intro.md": "intro"}, asset_paths={"bilde.png"}).html


def test_the_corpora_are_there():
    assert len(PAYLOADS) >= 80 and any("onerror" in p.lower() for p in PAYLOADS)


@pytest.mark.parametrize("context", ["{p}", "<div>\n{p}\n</div>", "[x]({p})", "![x]({p})", "<{p}>"])
def test_no_handler_or_script_url_survives_the_corpora(context):
    for payload in PAYLOADS:
        html = _render(context.format(p=payload))
        assert dangers(html) == [], (payload, html)


def test_the_check_sees_a_widened_allow_list(monkeypatch):
    """If someone allowed onerror on images, the corpus check above would fail: it is not blind."""
    widened = {**render.SANITISER["attributes"], "img": render.SANITISER["attributes"]["img"] | {"onerror"}}
    monkeypatch.setitem(render.SANITISER, "attributes", widened)
    monkeypatch.setattr(render._local, "cleaner", None, raising=False)
    try:
        html = _render('<img src="../assets/bilde.png" onerror="alert(1)">')
        assert dangers(html) == ["<img onerror=…>"]
    finally:
        render._local.cleaner = None
