"""SVG images in assets/ (issue 12, item 4): checked and re-written at import, refused with a message saying what to
change, stored as checked, served with a sandboxing Content-Security-Policy."""
import base64
import shutil
from pathlib import Path

import pytest
from flask_babel import force_locale

from courseware.content import package, svg
from courseware.content.checker import check_package
from courseware.content.svg import sanitise_svg
from courseware.extensions import db
from courseware.models import Asset

from .test_content_xss import PAYLOADS

FIXTURES = Path(__file__).parent / "fixtures" / "courses"
PNG = (FIXTURES / "minimal" / "assets" / "fjos-sensor.png").read_bytes()
HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">'
CLEAN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"\n'
    '     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 100 100" inkscape:version="1.3">\n'
    "  <title>Fjøs</title><desc>Et fjøs med sensor</desc>\n"
    "  <metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></metadata>\n"
    '  <defs><linearGradient id="g"><stop offset="0" stop-color="#0b5a8a"/></linearGradient>\n'
    '    <clipPath id="c"><rect width="50" height="50"/></clipPath></defs>\n'
    "  <style>.wall { fill: url(#g); stroke: #333 }</style>\n"
    '  <g clip-path="url(#c)" transform="translate(1 2)"><rect class="wall" x="10" y="10" width="80" height="60"/>\n'
    '    <path d="M10 10 L90 10 Z" style="stroke-width: 2; fill: url(\'#g\')"/><circle cx="5" cy="5" r="3"/></g>\n'
    '  <use xlink:href="#c"/><use href="#g"/>\n'
    '  <text x="10" y="90" font-family="sans-serif">Sensor &amp; fjøs &lt;1&gt;</text>\n'
    f'  <image width="4" height="4" href="data:image/png;base64,{base64.b64encode(PNG).decode()}"/>\n'
    "</svg>\n"
)


def _svg(body: str) -> bytes:
    return f"{HEAD}\n{body}\n</svg>".encode()


def test_a_clean_svg_is_kept_and_rewritten_without_editor_data():
    result = sanitise_svg(CLEAN.encode())
    assert not result.refused and [p.code for p in result.problems] == []
    out = result.data.decode()
    assert "inkscape" not in out and "metadata" not in out and "rdf" not in out
    for kept in ("<title>Fjøs</title>", 'clip-path="url(#c)"', 'xlink:href="#c"', "Sensor &amp; fjøs &lt;1&gt;",
                 ".wall { fill: url(#g)", "data:image/png;base64,"):
        assert kept in out, kept
    assert sanitise_svg(result.data).data == result.data  # stable: checking the output again changes nothing


@pytest.mark.parametrize("source, code, detail", [
    ('<!DOCTYPE svg [<!ENTITY x "y">]>' + HEAD + "&x;</svg>", "E181", ""),
    ('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + HEAD
     + "</svg>", "E181", ""),
    ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + HEAD + "&b;</svg>", "E181",
     ""),
    ('<!DOCTYPE svg [<!ENTITY x "y">]>'.encode("utf-16") + (HEAD + "&x;</svg>").encode("utf-16")[2:], "E181", ""),
    (_svg("<script>alert(1)</script>"), "E182", "script"),
    (_svg('<script xlink:href="https://evil.example/x.js"/>'), "E182", "script"),
    (_svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'), "E182",
     "foreignObject"),
    (_svg('<rect onclick="alert(1)"/>'), "E182", "onclick"),
    (HEAD.replace("<svg ", '<svg onload="alert(1)" ') + "</svg>", "E182", "onload"),
    (_svg('<a href="https://example.com"><text>x</text></a>'), "E182", "a"),
    (_svg('<animate attributeName="href" values="javascript:alert(1)"/>'), "E182", "animate"),
    (_svg('<set attributeName="onmouseover" to="alert(1)"/>'), "E182", "set"),
    (_svg('<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>'), "E182", "script"),
    (_svg('<use href="other.svg#a"/>'), "E183", "other.svg#a"),
    (_svg('<use xlink:href="https://evil.example/sprite.svg#a"/>'), "E183", "https://evil.example/sprite.svg#a"),
    (_svg('<use xlink:href="javascript:alert(1)"/>'), "E183", "javascript:alert(1)"),
    (_svg('<rect style="fill: url(https://evil.example/x)"/>'), "E183", "https://evil.example/x"),
    (_svg('<rect fill="url(other.svg#g)"/>'), "E183", "other.svg#g"),
    (_svg("<style>@import url(https://evil.example/x.css);</style>"), "E183", "@import"),
    (_svg("<style>rect { background: url(//evil.example/x) }</style>"), "E183", "//evil.example/x"),
    (_svg("<style>rect { background: u\\72l(//evil.example/x) }</style>"), "E183", "\\"),
    (_svg('<image href="https://evil.example/x.png"/>'), "E183", "https://evil.example/x.png"),
    (_svg('<image href="photo.jpg"/>'), "E183", "photo.jpg"),
    (_svg('<image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="/>'), "E183", "data:image/svg+xml"),
    (_svg('<image href="data:image/png;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/>'), "E183", "data:image/png"),
    ('<?xml-stylesheet href="https://evil.example/x.css"?>' + HEAD + "</svg>", "E183", ""),
    ("<html><body>not svg</body></html>", "E180", ""),
    (HEAD + "<rect", "E180", ""),
    (PNG, "E180", ""),
])
def test_refused_constructs(source, code, detail):
    result = sanitise_svg(source if isinstance(source, bytes) else source.encode())
    assert result.refused
    assert any(p.code == code and detail in p.detail for p in result.problems), result.problems


def test_unknown_parts_are_dropped_with_a_warning():
    result = sanitise_svg(_svg('<rect width="1" data-x="1" foo="2"/><font><glyph/></font>'))
    assert not result.refused and [p.code for p in result.problems] == ["W182"]
    assert "data-x" not in result.data.decode() and "font" not in result.data.decode()
    assert "<font>" in result.problems[0].detail and "foo" in result.problems[0].detail


def test_entities_are_never_expanded_and_no_network_is_touched(monkeypatch):
    import socket

    monkeypatch.setattr(socket, "socket", lambda *a, **k: pytest.fail("the SVG parser went to the network"))
    source = ('<?xml version="1.0"?><!DOCTYPE svg SYSTEM "http://evil.example/x.dtd">' + HEAD +
              '<text>&xxe;</text></svg>')
    assert sanitise_svg(source.encode()).refused


def test_xss_corpora_in_svg_files():
    for payload in PAYLOADS:
        for source in (_svg(payload), _svg(f"<text>{payload}</text>"), _svg(f'<rect class="{payload}"/>'),
                       _svg(f"<style>{payload}</style>"), (HEAD.replace("<svg ", f"<svg {payload} ") + "</svg>")):
            result = sanitise_svg(source.encode() if isinstance(source, str) else source)
            if result.data is None:
                assert any(p.code.startswith("E") for p in result.problems)
                continue
            elements, attributes = _parts(result.data)
            assert elements <= svg.ELEMENTS, elements
            for name, value in attributes:
                assert not name.startswith("on") and "javascript:" not in value.lower(), (name, value)
                assert name not in ("href", "src") or value.startswith(("#", "data:image/")), (name, value)


def _parts(data: bytes) -> tuple[set[str], list[tuple[str, str]]]:
    """The element names and (attribute name, value) pairs of an SVG file (text content is inert)."""
    from lxml import etree

    root = etree.fromstring(data)
    elements = {etree.QName(element).localname for element in root.iter() if isinstance(element.tag, str)}
    attributes = [(etree.QName(name).localname.lower(), value) for element in root.iter()
                  for name, value in element.attrib.items()]
    return elements, attributes


def test_sniffing_never_makes_another_file_an_svg():
    assert package.sniff_type(b"<svg xmlns='http") is None and package.sniff_type(b"<?xml version=") is None
    assert package.ASSET_TYPES["svg"] == "image/svg+xml"


def test_svg_content_named_png_is_refused(app, copy_course):
    pkg = copy_course("minimal")
    (pkg / "assets" / "fjos-sensor.png").write_bytes(CLEAN.encode())
    data, problems = check_package(pkg)
    assert data is None and [p.code for p in problems if p.path.endswith("fjos-sensor.png")] == ["E110"]


def _package_with_svg(tmp_path: Path, svg_bytes: bytes, body: str = "") -> Path:
    source = tmp_path / "src"
    shutil.copytree(FIXTURES / "minimal", source / "minimal")
    (source / "minimal" / "assets" / "figur.svg").write_bytes(svg_bytes)
    module = source / "minimal" / "modules" / "01-intro.md"
    module.write_text(module.read_text("utf-8") + "\n\n![Figur](../assets/figur.svg)\n" + body, "utf-8")
    return source


def test_checker_messages_say_what_to_change(app, copy_course, tmp_path):
    source = _package_with_svg(tmp_path, _svg('<rect onclick="alert(1)"/>'))
    with force_locale("en"):
        data, problems = check_package(copy_course("minimal", source=source))
    assert data is None
    (problem,) = [p for p in problems if p.path.endswith("assets/figur.svg")]
    assert problem.code == "E182" and problem.line == 2 and "onclick" in problem.message
    assert "remove it" in problem.message


def test_a_clean_svg_is_imported_as_checked_and_served_sandboxed(client, import_course, login_as, tmp_path):
    original = CLEAN.replace("<title>", "<!-- a comment --><title>").encode()
    source = _package_with_svg(tmp_path, original, "\n```python\nprint(1)\n```\n")
    course = import_course("minimal", source=source)
    asset = db.session.execute(db.select(Asset).filter_by(version_id=course.current_version.id, path="figur.svg")
                               ).scalar_one()
    expected = svg.sanitise_svg(original).data
    assert asset.content_type == "image/svg+xml" and asset.size == len(expected)
    page = client.get("/courses/minimal/assets/figur.svg")
    assert page.status_code == 200 and page.data == expected and b"a comment" not in page.data
    assert page.headers["Content-Type"].startswith("image/svg+xml")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in page.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy and "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "attachment" not in page.headers.get("Content-Disposition", "")
    png = client.get("/courses/minimal/assets/fjos-sensor.png")
    assert "sandbox" not in png.headers["Content-Security-Policy"]
    login_as("learner")
    module = client.get("/courses/minimal/intro").get_data(as_text=True)
    assert 'src="assets/figur.svg"' in module and "code-copy.js" in module and 'data-text-copied="' in module
