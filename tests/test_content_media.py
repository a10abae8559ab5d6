"""Course format 1.1, media (issue 12): code highlighting, image attributes and math, through the renderer and the
checker, with the XSS corpora in each new syntax."""
import re
from pathlib import Path

import nh3
import pytest
from flask_babel import force_locale
from pygments.token import STANDARD_TYPES

from courseware.content import code, math, render
from courseware.content.checker import check_package
from courseware.content.render import render_module

from .test_content_xss import PAYLOADS, assert_inert

ASSETS = {"bilde.png", "figur.svg"}
STATIC = Path(render.__file__).resolve().parents[1] / "static"


def rendered(text: str, language: str = "en"):
    return render_module(text, module_links={"01-intro.md": "intro"}, asset_paths=ASSETS, language=language)


def html_of(text: str, language: str = "en") -> str:
    return rendered(text, language).html


# --- Code -------------------------------------------------------------------------------------------------------

def test_code_is_highlighted_with_pygments_classes_and_labelled():
    html = html_of("```python\nimport os  # comment <b>\nprint('x')\n```\n")
    assert html.startswith('<div class="code-block"><div class="code-label">Python</div><div class="highlight">')
    assert '<span class="kn">import</span>' in html and '<span class="c1"># comment &lt;b&gt;</span>' in html
    assert 'style=' not in html  # classes, never inline styles


def test_plain_and_unknown_languages_are_escaped_text_with_a_label_only_when_named():
    plain = html_of("```\nx < y\n```\n")
    assert plain == ('<div class="code-block"><div class="highlight"><pre tabindex="0"><code>x &lt; y</code></pre>'
                     "</div></div>")
    unknown = html_of("```nosuchlanguage\nx < y\n```\n")
    assert '<div class="code-label">nosuchlanguage</div>' in unknown and "<span" not in unknown


@pytest.mark.parametrize("kind, label_en, label_nb", [("output", "Output", "Utdata"), ("error", "Error", "Feil")])
def test_output_and_error_blocks_are_not_highlighted_and_have_their_label(kind, label_en, label_nb):
    for language, label in (("en", label_en), ("nb", label_nb)):
        html = html_of(f"```{kind}\nTraceback <x> 'a'\n```\n", language)
        assert html == (f'<div class="code-block code-{kind}"><div class="code-label">{label}</div>'
                        '<pre tabindex="0"><code>Traceback &lt;x&gt; \'a\'</code></pre></div>')


def test_language_label_keeps_only_safe_characters():
    assert code.language_label("c++") == "c++" and code.language_label("c#") == "c#"
    assert code.language_label('py"><script>alert(1)</script>') == "pyscriptalert1script"
    assert code.language_label("ÆØÅ-x y") == "-xy"


def test_fence_options_and_attributes_are_ignored():
    html = html_of('```{.python .evil #main onclick="alert(1)" style="x"}\na = 1\n```\n')
    assert "Python" in html and "onclick" not in html and "evil" not in html and 'id="main"' not in html
    assert "style" not in html


@pytest.mark.parametrize("template", [
    "```{p}\ncode\n```", "``` {p}\ncode\n```", "```python {p}\ncode\n```", "```{{.python {p}}}\ncode\n```",
    "```python\n{p}\n```", "```output\n{p}\n```", "```error\n{p}\n```",
])
def test_xss_corpora_in_code_info_strings_and_bodies(template):
    for payload in PAYLOADS:
        assert_inert(html_of(template.format(p=payload)))


def test_token_class_allow_list_is_exactly_pygments_short_names():
    assert code.TOKEN_CLASSES == {name for name in STANDARD_TYPES.values() if name}
    assert all(re.fullmatch(r"[a-z][a-z0-9]{0,3}", name) for name in code.TOKEN_CLASSES)
    assert render.SANITISER["span_classes"] == code.TOKEN_CLASSES


def test_token_classes_only_survive_on_spans_inside_code():
    html = html_of('<div class="k s2"><span class="k s2 evil">x</span><p class="c1">y</p></div>\n\n'
                   'A <span class="nb highlight">word</span>.\n\n<pre><span class="k evil">raw</span></pre>')
    assert "<div><span>x</span><p>y</p></div>" in html
    assert '<span class="highlight">word</span>' in html
    assert '<pre tabindex="0"><span class="k">raw</span></pre>' in html
    highlighted = html_of("Before <span class=\"k\">x</span>\n\n```python\nimport os\n```\n")
    assert '<span class="kn">import</span>' in highlighted and '<span>x</span>' in highlighted


def test_css_holds_the_generated_light_and_dark_pygments_themes():
    css = (STATIC / "css" / "app.css").read_text("utf-8")
    assert code.stylesheet() in css
    assert "@media (prefers-color-scheme: dark)" in code.stylesheet()
    assert ".prose .code-block pre, .prose .highlight pre { margin: 0;" in css and "overflow-x: auto" in css


def test_module_page_loads_the_copy_script_only_with_code(client, import_course, login_as):
    script = (STATIC / "js" / "code-copy.js").read_text("utf-8")
    assert "navigator.clipboard" in script and "aria-live" in script and "innerHTML" not in script
    course = import_course("minimal")
    login_as("learner")
    page = client.get(f"/courses/{course.slug}/intro")
    assert page.status_code == 200 and "code-copy.js" not in page.get_data(as_text=True)
    # a module with code gets it: test_content_svg.py, test_a_clean_svg_is_imported_as_checked_and_served_sandboxed


# --- Images -----------------------------------------------------------------------------------------------------

def test_image_attributes_give_alt_width_and_height():
    result = rendered('![](../assets/bilde.png){alt="A barn, seen from the road" width=600 height=400} and text')
    expected = '<img alt="A barn, seen from the road" height="400" src="assets/bilde.png" width="600" loading="lazy">'
    assert expected in result.html
    assert "} and text" not in result.html and " and text" in result.html
    assert result.notes == [] and result.links[0].alt == "A barn, seen from the road"


def test_single_quotes_as_in_the_issue():
    assert 'alt="Fjøset"' in html_of("![](../assets/bilde.png){alt='Fjøset'}")


def test_other_attributes_are_dropped_with_a_warning_each():
    result = rendered('![x](../assets/bilde.png){.wide #main style="color:red" onerror=alert(1) alt="ok"}')
    assert '<img alt="ok" src="assets/bilde.png" loading="lazy">' in result.html
    assert sorted((n.code, n.params["name"]) for n in result.notes) == [
        ("W180", "class"), ("W180", "id"), ("W180", "onerror"), ("W180", "style")]


@pytest.mark.parametrize("value", ["0", "-5", "4001", "50%", "12.5", "abc", "99999"])
def test_bad_sizes_are_dropped_with_a_warning(value):
    result = rendered(f"![x](../assets/bilde.png){{width={value}}}")
    assert "width=" not in result.html and [n.code for n in result.notes] == ["W181"]


def test_braces_not_right_after_an_image_stay_text():
    assert "{alt=x}" in html_of("![x](../assets/bilde.png) {alt=x}") and "{not an attribute list" in html_of(
        "![x](../assets/bilde.png){not an attribute list")


def test_xss_corpora_in_image_attributes():
    for payload in PAYLOADS:
        for template in ('![x](../assets/bilde.png){{alt="{p}"}}', "![x](../assets/bilde.png){{alt='{p}' width={p}}}",
                         "![x](../assets/bilde.png){{{p}}}", '![x](../assets/bilde.png){{onerror="{p}"}}'):
            assert_inert(html_of(template.format(p=payload)))


# --- Math -------------------------------------------------------------------------------------------------------

def test_inline_and_display_math_become_mathml():
    html = html_of("Area $\\pi r^2$ and \\(x_1\\).\n\n$$\n\\frac{a}{b}\n$$\n\n\\[\n\\sqrt{2}\n\\]\n")
    assert html.count('<math display="inline">') == 2 and html.count('<math display="block" tabindex="0">') == 2
    assert "<msup><mi>r</mi><mn>2</mn></msup>" in html and "<mfrac>" in html and "<msqrt>" in html
    assert html.startswith('<p>Area <math display="inline"><mrow><mi>π</mi><msup><mi>r</mi><mn>2</mn></msup></mrow>')


def test_math_in_headings_gives_a_readable_table_of_contents():
    assert rendered("## Area $\\pi r^2$ here").toc == [{"level": 2, "id": "area-πr2-here", "title": "Area πr2 here"}]


@pytest.mark.parametrize("text", [
    "It costs kr 50$ here.", "It costs $5 and $10 there.", "Pay $5, or $ 6$ later.", "A \\$ sign, and $x $ not.",
    "Prices: $20 - $30.", "US$ 40 and 30 US$", "`$x$` in code",
])
def test_money_and_code_stay_text(text):
    html = html_of(text)
    assert "<math" not in html


def test_escaped_dollars_and_code_blocks():
    assert html_of("Costs \\$5 and \\$6.") == "<p>Costs $5 and $6.</p>"
    assert "<math" not in html_of("```\n$x$ and $$y$$\n```\n") and "<math" not in html_of("    $x$ indented\n")
    assert html_of("See \\[1\\] in the list.") == "<p>See [1] in the list.</p>"


def test_text_around_math_is_byte_identical():
    marker = "MATHHERE"
    for text in ("A *b* $x^2$ c_d **e** [link](https://example.com) & < > \"q\" 'a'",
                 "Tall: 1 000 kr; $a_1 * b_2$ _kursiv_ og `kode`", "- liste $\\alpha$ punkt\n- to"):
        with_math = html_of(text)
        without = html_of(re.sub(r"\$[^$]+\$", marker, text))
        assert re.sub(r'<math display="inline">.*?</math>', marker, with_math) == without


@pytest.mark.parametrize("latex, code_", [
    ("\\frac{1", "E184"), ("\\foo{x}", "E184"), ("a_", "E184"), ("\\left( x", "E184"), ("x}", "E184"),
    ("\\text{<script>alert(1)</script>}", "E184"), ("x" * 2001, "E185"), ("{" * 41 + "x" + "}" * 41, "E185"),
])
def test_bad_latex_is_an_error_and_left_as_written(latex, code_):
    result = rendered(f"Before ${latex}$ after")
    assert [n.code for n in result.notes] == [code_]
    assert "<math" not in result.html and "<script" not in result.html


def test_href_and_handlers_never_survive_in_math():
    html = html_of("$\\href{javascript:alert(1)}{x}$ and <math><mi onclick=x href=y>z</mi><maction>a</maction></math>")
    assert "href=" not in html and "onclick" not in html and "maction" not in html and "<mi>z</mi>" in html


@pytest.mark.parametrize("template", ["${p}$", "$$\n{p}\n$$", "\\({p}\\)", "\\[\n{p}\n\\]", "$\\text{{{p}}}$"])
def test_xss_corpora_inside_math(template):
    for payload in PAYLOADS:
        assert_inert(html_of(template.format(p=payload)))


def test_mutation_xss_through_mathml_stays_inert_and_stable():
    for payload in ('<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext>'
                    "</math>",
                    '<math><mi><style><!--</style><img src=x onerror=alert(1)>--></style></mi></math>',
                    '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml></math>',
                    '<math><semantics><annotation encoding="text/html"><img src=x onerror=alert(1)></annotation>'
                    "</semantics></math>"):
        html = html_of(payload)
        assert_inert(html)
        cleaner = render._cleaner()
        assert_inert(nh3.clean(html))  # parsed again as a browser would
        assert "annotation-xml" not in html and "onerror" not in cleaner.clean(html)


def test_math_allow_list_is_presentation_mathml_only():
    from .test_sanitiser_allowlist import ACTIVE_TAGS, MATHML_PRESENTATION

    assert math.MATH_TAGS == MATHML_PRESENTATION
    assert not (math.MATH_TAGS & ACTIVE_TAGS)
    assert not [a for a in math.MATH_ATTRIBUTES if a.startswith("on") or a in ("href", "style", "xlink:href", "src")]
    for tag in math.MATH_TAGS:
        assert render.SANITISER["attributes"][tag] == math.MATH_ATTRIBUTES


def test_long_formula_is_cheap_to_refuse():
    import time

    start = time.process_time()
    result = rendered("$" + "\\frac{" * 30 + "x" + "}{y}" * 30 + "$ " * 1 + "\n\n" + "$x^2$ " * 500)
    assert time.process_time() - start < 5
    assert result.html.count("<math") >= 500


# --- Through the checker ----------------------------------------------------------------------------------------

MODULE = "modules/02-sensorer.md"


def test_checker_reports_math_and_image_problems_at_their_lines(app, copy_course):
    pkg = copy_course("minimal")
    path = pkg / MODULE
    lines = path.read_text("utf-8").split("\n")
    extra = ["", "Fine $x^2$ here.", "", "Broken $\\frac{1$ here.", "",
             '![](../assets/fjos-sensor.png){alt="Sensor" class=big width=0}', ""]
    path.write_text("\n".join(lines + extra), "utf-8")
    with force_locale("en"):
        data, problems = check_package(pkg)
    found = {(p.code, p.line) for p in problems if p.path.endswith(MODULE)}
    base = len(lines)
    assert ("E184", base + 4) in found and ("W180", base + 6) in found and ("W181", base + 6) in found
    assert not any(p.code == "W141" for p in problems if p.line == base + 6)  # alt given in braces counts
    message = next(p.message for p in problems if p.code == "E184")
    assert "\\frac{1" in message and "not valid LaTeX" in message


def test_missing_alt_is_still_warned_and_alt_in_braces_satisfies_it(app, copy_course):
    pkg = copy_course("minimal")
    path = pkg / MODULE
    path.write_text(path.read_text("utf-8") + "\n\n![](../assets/fjos-sensor.png)\n\n"
                    "![](../assets/fjos-sensor.png){alt='Sensor'}\n", "utf-8")
    data, problems = check_package(pkg)
    assert data is not None
    total = len(path.read_text("utf-8").split("\n"))
    assert [p.line for p in problems if p.code == "W141"] == [total - 3]


def test_a_paragraph_full_of_formulas_is_refused_before_rendering():
    from courseware.content import precheck

    text = "$x$ " * 32768  # 128 KiB in one paragraph: each formula rebuilds the paragraph's text
    refusal = precheck.check_markdown(text)
    assert refusal is not None and refusal.kind == precheck.INLINE_WORK
    with pytest.raises(render.Refused):
        rendered(text)
    assert precheck.check_markdown("It costs $5 and $10, or $x^2$.\n\n" * 2000) is None  # ordinary text passes
