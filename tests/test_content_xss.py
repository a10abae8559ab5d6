"""Nothing an author writes can run in a learner's browser: public XSS corpora through every Markdown context."""
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from courseware.content.checker import check_package
from courseware.content.fields import check_module_meta
from courseware.content.problems import Reporter
from courseware.content.render import render_module

HERE = Path(__file__).parent
CORPUS_DIRS = [HERE / "fixtures" / "xss", Path(__file__).resolve().parents[2] / "shared" / "testdata" / "xss"]


def _corpus(name: str) -> list[str]:
    for folder in CORPUS_DIRS:
        if (folder / name).exists():
            return [line for line in (folder / name).read_text("utf-8").splitlines() if line.strip()]
    raise FileNotFoundError(name)


PAYLOADS = _corpus("rsnake.txt") + _corpus("polyglots.txt")

CONTEXTS = {
    "raw": "{p}",
    "raw-block": "<div>\n{p}\n</div>",
    "link": "[x]({p})",
    "link-angle": "[x](<{p}>)",
    "link-text": "[{p}](https://example.com)",
    "image": "![x]({p})",
    "image-alt": "![{p}](../assets/bilde.png)",
    "reference": "[x][ref]\n\n[ref]: {p}",
    "reference-image": "![x][ref]\n\n[ref]: {p} \"{p}\"",
    "autolink": "<{p}>",
    "admonition-title": "!!! note \"{p}\"\n    tekst",
    "details-title": "??? tip \"{p}\"\n    tekst",
    "video": "@[video]({p})",
    "heading": "## {p}",
    "table": "| a |\n|---|\n| {p} |",
    "footnote": "x[^1]\n\n[^1]: {p}",
    "abbr": "*[XSS]: {p}\nXSS",
    "code": "`{p}`\n\n```\n{p}\n```",
    "list": "- [ ] {p}\n- {p}",
}

# <math> is allowed (content/math.py): its elements and attributes are held to the same audit as the rest.
FORBIDDEN_TAGS = {
    "script", "style", "svg", "object", "embed", "form", "meta", "link", "base", "iframe", "frame",
    "frameset", "applet", "textarea", "button", "select", "option", "xml", "xss", "marquee", "bgsound", "layer",
    "ilayer", "isindex", "plaintext", "xmp", "body", "html", "head", "title", "video", "audio", "source",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "data", "xlink:href", "srcset",
                  "lowsrc", "dynsrc", "cite", "longdesc", "usemap", "codebase", "srcdoc"}
OUR_EMBED = re.compile(
    r'<div class="video-embed"><iframe src="https://(www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{11}|'
    r'player\.vimeo\.com/video/\d+\?(h=[0-9a-f]+&amp;)?dnt=1)" title="Video" loading="lazy" '
    r'allow="fullscreen; picture-in-picture" referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
)


class Audit(HTMLParser):
    """Collects everything in an HTML fragment that could run script or load something foreign."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.findings.append(f"tag <{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.findings.append(f"attribute {name}= on <{tag}>")
            if name in URL_ATTRIBUTES:
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                if re.match(r"(javascript|vbscript|data|livescript|mocha):", squashed):
                    self.findings.append(f"dangerous URL {value!r} on <{tag}>")
                scheme = re.match(r"([a-z][a-z0-9+.-]*):", squashed)
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.findings.append(f"scheme {scheme.group(1)} on <{tag}>")
            if tag == "img" and name == "src" and not value.startswith("assets/"):
                self.findings.append(f"foreign image {value!r}")
            if tag == "input" and name == "type" and value != "checkbox":
                self.findings.append(f"input type {value!r}")


def assert_inert(html: str) -> None:
    without_embeds = OUR_EMBED.sub("", html)
    audit = Audit()
    audit.feed(without_embeds)
    audit.close()
    lowered = without_embeds.lower()
    for marker in ("<script", "<style", "<iframe", "<svg", "<object", "<embed", "<form", "<meta", "<link", "<base"):
        if marker in lowered:
            audit.findings.append(f"raw {marker}")
    assert not audit.findings, (audit.findings, html)


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_corpus_renders_inert_in_every_context(context):
    for payload in PAYLOADS:
        text = CONTEXTS[context].format(p=payload)
        result = render_module(text, module_links={"01-intro.md": "intro"}, asset_paths={"bilde.png"})
        assert_inert(result.html)


def test_whole_corpus_in_one_module_renders_inert():
    text = "\n\n".join(CONTEXTS[c].format(p=p) for p in PAYLOADS for c in ("raw", "link", "image", "video"))
    assert_inert(render_module(text, module_links={}, asset_paths=set()).html)


def test_corpus_is_loaded():
    assert len(PAYLOADS) >= 80 and any("<SCRIPT" in p for p in PAYLOADS)


def test_audit_catches_what_it_should():
    for bad in ('<img src="x" onerror="alert(1)">', '<a href=" javascript:alert(1)">', "<script>x</script>",
                '<iframe src="https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"></iframe>', '<a href="data:text/html,x">'):
        with pytest.raises(AssertionError):
            assert_inert(bad)


def test_objectives_and_tasks_stay_plain_text(app):
    payload = PAYLOADS[0]
    lines = ["---", f"objectives: [{payload!r}]", "---"]
    meta = check_module_meta({"objectives": [payload], "tasks": [payload]}, "modules/01.md", lines, Reporter(Path("x")))
    assert meta["objectives"] == [payload] and meta["tasks"] == [payload]  # stored as text; templates escape it


def test_corpus_through_the_checker_gives_problems_not_crashes(app, tmp_path):
    package = tmp_path / "courses" / "xss-kurs"
    shutil.copytree(HERE / "fixtures" / "courses" / "minimal", package)
    body = "\n\n".join(CONTEXTS[c].format(p=p) for p in PAYLOADS for c in ("raw", "link", "image", "video", "reference"))
    (package / "modules" / "01-intro.md").write_text("---\ntitle: XSS\nobjectives: [x]\n---\n" + body, "utf-8")
    data, problems = check_package(package)
    assert data is None and problems
    assert not any(p.code == "E190" for p in problems), [str(p) for p in problems if p.code == "E190"]
