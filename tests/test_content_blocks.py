"""Fenced blocks (`:::`): every kind renders as the platform's callouts, nesting follows the colons, instructor notes
never reach learners, and the checker reports unknown names (W170), unclosed blocks (E174) and stray fences (W171)."""
import html as html_lib
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from courseware.content import blocks, precheck, render
from courseware.content.checker import check_package

from .test_content_render import Tags
from .test_content_xss import PAYLOADS, assert_inert
from .test_sanitiser_allowlist import dangers

MODULE = "modules/02-sensorer.md"
HEAD = "---\ntitle: Sensorer\nobjectives: [a]\n---\n\n# Sensorer\n\n"  # text after HEAD starts on line 8


def html(text, **kwargs):
    return render.render_module(text, module_links={"01-intro.md": "intro"}, asset_paths={"bilde.png"},
                                **kwargs).html


CALLOUT_CLASSES = {"note": "note", "tip": "tip", "important": "important", "warning": "warning", "caution": "caution",
                   "example": "example", "discussion": "discussion", "callout": "callout", "prereq": "prereq",
                   "objectives": "block-objectives", "keypoints": "keypoints", "questions": "questions"}


@pytest.mark.parametrize("name, css", sorted(CALLOUT_CLASSES.items()))
def test_callouts_render_as_admonitions_with_their_title(name, css):
    out = html(f"::: {name}\nInnhold *her*.\n:::\n", language="en")
    title = blocks.TITLES["en"][name]
    assert out == (f'<div class="admonition {css}">\n<p class="admonition-title">{title}</p>\n'
                   "<p>Innhold <em>her</em>.</p>\n</div>")


@pytest.mark.parametrize("name", ["challenge", "exercise"])
def test_exercises_render_as_an_exercise_box(name):
    out = html(f"::: {name}\nLag en liste.\n:::\n")
    assert out.startswith('<div class="admonition exercise">\n<p class="admonition-title">Oppgave</p>')


@pytest.mark.parametrize("name, summary", [("solution", "Løsning"), ("hint", "Hint"), ("spoiler", "Vis")])
def test_solutions_hints_and_spoilers_are_collapsed(name, summary):
    out = html(f"::: {name}\nSvaret er 42.\n:::\n")
    assert out == f'<details class="{name}">\n<summary>{summary}</summary>\n<p>Svaret er 42.</p>\n</details>'
    assert "open" not in Tags(out).find("details")[0]


@pytest.mark.parametrize("opening, css, title", [
    ("::: tip", "tip", "Tips"),
    (":::tip", "tip", "Tips"),
    ("::: TIP", "tip", "Tips"),
    ("::: tip Eget tips", "tip", "Eget tips"),
    ('::: tip title="Eget tips"', "tip", "Eget tips"),
    ("::: tip title='Eget tips'", "tip", "Eget tips"),
    ("::: {tip}", "tip", "Tips"),
    ("::: {tip} Eget tips", "tip", "Eget tips"),  # MyST
    (":::{note} MyST-tittel", "note", "MyST-tittel"),
    ("::: {.tip}", "tip", "Tips"),  # Pandoc
    ('::: {.warning title="Pass på"}', "warning", "Pass på"),
    ("::: {.callout-tip}", "tip", "Tips"),  # Quarto
    (":::tip[Docusaurus-tittel]", "tip", "Docusaurus-tittel"),
    (":::info", "note", "Merk"),
    (":::danger", "warning", "Advarsel"),
    ("::: tip :::", "tip", "Tips"),  # Pandoc's optional closing colons
    (":::: tip", "tip", "Tips"),
])
def test_opening_fence_forms(opening, css, title):
    closing = ":" * (len(opening) - len(opening.lstrip(":")))
    out = html(f"{opening}\nTekst.\n{closing}\n")
    assert out.startswith(f'<div class="admonition {css}">\n<p class="admonition-title">{title}</p>'), out


def test_markdown_inside_blocks_renders():
    out = html("::: challenge\n## Del A\n\n- en\n- to\n\n```python\nprint(':::')\n```\n\n"
               "![Et bilde](../assets/bilde.png)\n\n| a |\n|---|\n| 1 |\n\n:::\n")
    assert '<h2 id="del-a">Del A</h2>' in out
    assert "<ul>\n<li>en</li>\n<li>to</li>\n</ul>" in out
    assert 'class="highlight"' in out  # the code block inside, highlighted: its text intact and not a fence
    assert "print(':::')" in html_lib.unescape(re.sub(r"<[^>]+>", "", out))
    assert '<img alt="Et bilde" src="assets/bilde.png" loading="lazy">' in out
    assert "<table>" in out and out.endswith("</div>")
    result = render.render_module("::: note\n## Inni\n:::\n", module_links={}, asset_paths=set())
    assert result.toc == [{"level": 2, "id": "inni", "title": "Inni"}]


def test_video_embeds_work_inside_blocks():
    out = html("::: example\nSe videoen:\n\n@[video](https://www.youtube.com/watch?v=M7lc1UVf-VE)\n:::\n")
    assert '<div class="video-embed"><iframe src="https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"' in out
    assert out.endswith("</iframe></div>\n</div>")


def test_nesting_by_colon_count():
    out = html("::: challenge\nOppgave.\n\n:::: solution\nLøsning.\n\n::::: hint\nHint.\n:::::\n::::\n:::\n\nEtter.\n")
    assert re.sub(r"\s+", "", out) == re.sub(r"\s+", "", """
        <div class="admonition exercise"><p class="admonition-title">Oppgave</p><p>Oppgave.</p>
        <details class="solution"><summary>Løsning</summary><p>Løsning.</p>
        <details class="hint"><summary>Hint</summary><p>Hint.</p></details></details></div><p>Etter.</p>""")


def test_same_colon_count_nests_when_the_inner_block_has_a_name():
    """Pandoc's rule: a fence with a name opens, a bare fence closes the innermost block with its colon count."""
    out = html("::: challenge\nA\n::: solution\nB\n:::\nC\n:::\nD\n")
    assert re.sub(r"\s+", "", out) == re.sub(r"\s+", "", """
        <div class="admonition exercise"><p class="admonition-title">Oppgave</p><p>A</p>
        <details class="solution"><summary>Løsning</summary><p>B</p></details><p>C</p></div><p>D</p>""")


def test_blocks_inside_list_items_stay_in_the_list():
    out = html("1. Første steg\n\n    ::: tip\n    Et tips.\n    :::\n\n2. Andre steg\n")
    assert re.sub(r"\s+", "", out) == re.sub(r"\s+", "", """<ol><li><p>Første steg</p>
        <div class="admonition tip"><p class="admonition-title">Tips</p><p>Et tips.</p></div></li>
        <li><p>Andre steg</p></li></ol>""")


def test_colons_inside_code_are_not_blocks():
    out = html("```\n::: tip\n:::\n```\n\n~~~~\n::: instructor\nsynlig kode\n~~~~\n")
    assert "admonition" not in out and "::: tip" in out and "synlig kode" in out
    assert blocks.notices("```\n::: tip\n```\n") == []


def test_instructor_notes_never_reach_learners():
    text = ("# Økt\n\n::: instructor\n## Hemmelig overskrift\nBruk 10 minutter på HEMMELIG1.\n\n:::: tip\nHEMMELIG2\n"
            "::::\n:::\n\n::: teacher Merknad\nHEMMELIG3\n:::\n\n!!! instructor \"Gammel form\"\n    HEMMELIG4\n\n"
            "??? teacher\n    HEMMELIG5\n\nSynlig.\n")
    result = render.render_module(text, module_links={}, asset_paths=set())
    assert "HEMMELIG" not in result.html and "Hemmelig" not in result.html and "nstruk" not in result.html
    assert [h["title"] for h in result.toc] == ["Økt"]
    assert "<p>Synlig.</p>" in result.html
    staff = render.render_module(text, module_links={}, asset_paths=set(), audience="staff").html
    for secret in ("HEMMELIG1", "HEMMELIG2", "HEMMELIG3", "HEMMELIG4", "HEMMELIG5", "Hemmelig overskrift"):
        assert secret in staff
    asides = Tags(staff).find("aside")
    assert asides == [{"class": "instructor-note"}] * 4
    assert staff.count('<p class="admonition-title">Instruktørnotat – deltakerne ser ikke dette') == 4
    assert "Instruktørnotat – deltakerne ser ikke dette: Merknad" in staff


def test_older_instructor_admonitions_inside_blocks_are_hidden_but_not_in_code():
    text = ("::: note\nSynlig.\n\n!!! teacher\n    HEMMELIG\n\nOgså synlig.\n:::\n\n"
            "```markdown\n!!! instructor\n    eksempel i kode\n```\n")
    out = html(text)
    assert "HEMMELIG" not in out and "<p>Også synlig.</p>" in out and "eksempel i kode" in out
    assert "HEMMELIG" in html(text, audience="staff")


def test_instructor_label_in_english():
    staff = html("::: instructor\nx\n:::\n", language="en", audience="staff")
    assert staff.startswith('<aside class="instructor-note">\n<p class="admonition-title">Instructor note — learners '
                            "do not see this</p>")


def test_unknown_audience_is_refused():
    with pytest.raises(ValueError):
        html("x", audience="public")


def test_render_body_passes_the_audience_through():
    from courseware.services.drafts import DraftContext, render_body

    context = DraftContext({}, set(), "nb")
    assert "HEMMELIG" not in render_body(None, "::: instructor\nHEMMELIG\n:::\n", "/p/", context).html
    assert "HEMMELIG" in render_body(None, "::: instructor\nHEMMELIG\n:::\n", "/p/", context, audience="staff").html


def test_unknown_name_is_a_plain_callout_titled_with_its_name():
    out = html("::: sjekkliste\nPunkt.\n:::\n")
    assert out.startswith('<div class="admonition callout">\n<p class="admonition-title">sjekkliste</p>')
    assert html("::: {.evil .tip}\nx\n:::\n").startswith('<div class="admonition callout">')


def test_unclosed_blocks_render_to_the_end():
    out = html("::: tip\nTekst.\n\nMer.\n")
    assert out.startswith('<div class="admonition tip">') and out.endswith("<p>Mer.</p>\n</div>")


def test_notices():
    text = "::: tip\nA\n:::\n\n::: ukjent\nB\n:::\n\n:::\n\n:::: challenge\n::: solution\nx\n::::\n\n::: note\nopen\n"
    assert [(n.line, n.kind, n.name) for n in blocks.notices(text)] == [
        (5, blocks.UNKNOWN, "ukjent"), (9, blocks.STRAY, ""), (12, blocks.UNCLOSED, "solution"),
        (16, blocks.UNCLOSED, "note"),
    ]


@pytest.fixture
def pkg(copy_course):
    return copy_course("minimal")


def test_the_checker_reports_blocks_at_their_file_lines(app, pkg):
    (pkg / MODULE).write_text(HEAD + "::: ukjent\nx\n:::\n\n:::\n\n::: challenge\nOppgave\n\n:::: solution\nSvar\n",
                              "utf-8")
    with force_locale("en"):
        problems = [p for p in check_package(pkg)[1] if p.path.endswith(MODULE)]
    assert [(p.code, p.line, p.severity) for p in problems] == [
        ("W170", 8, "warning"), ("W171", 12, "warning"), ("E174", 14, "error"), ("E174", 17, "error"),
    ]
    assert problems[2].message == ("the block 'challenge' opened here is never closed: end it with a line of as many "
                                   "colons as it starts with (:::)")
    assert problems[0].message.startswith("'ukjent' is not a block name the platform knows")


def test_a_package_with_good_blocks_passes(app, pkg):
    (pkg / MODULE).write_text(HEAD + "::: challenge\nOppgave\n\n:::: solution\nSvar\n::::\n:::\n\n"
                              "::: instructor\n[lenke](01-intro.md)\n:::\n", "utf-8")
    data, problems = check_package(pkg)
    assert data is not None and [p for p in problems if p.path.endswith(MODULE)] == []
    module = next(m for m in data.modules if m.key == "sensorer")
    assert '<details class="solution">' in module.rendered.html and "lenke" not in module.rendered.html


def test_links_in_instructor_notes_are_checked(app, pkg):
    (pkg / MODULE).write_text(HEAD + "::: instructor\nSe [notatet](../assets/mangler.pdf).\n:::\n\n"
                              "!!! teacher\n    ![](../assets/fjos-sensor.png)\n", "utf-8")
    problems = [(p.code, p.line) for p in check_package(pkg)[1] if p.path.endswith(MODULE)]
    assert problems == [("E142", 9), ("W141", 13)]


def test_nested_blocks_count_toward_the_nesting_limit():
    deep = "".join(f"{':' * (3 + i)} note\n" for i in range(precheck.MAX_BLOCK_NESTING + 1)) + "x\n"
    with pytest.raises(render.Refused) as caught:
        html(deep)
    assert caught.value.refusal.kind == precheck.BLOCK_NESTING
    assert caught.value.refusal.line == precheck.MAX_BLOCK_NESTING + 1
    html("".join(f"{':' * (3 + i)} note\n" for i in range(precheck.MAX_BLOCK_NESTING - 1)) + "x\n")
    # blocks and lists together
    mixed = "".join(f"{':' * (3 + i)} note\n" for i in range(10)) + "> " * 7 + "x\n"
    with pytest.raises(render.Refused):
        html(mixed)


def test_thousands_of_unclosed_blocks_are_refused_quickly(app, pkg):
    (pkg / MODULE).write_text(HEAD + "::: note\n" * 5000, "utf-8")
    problems = [p for p in check_package(pkg)[1] if p.path.endswith(MODULE)]
    assert ("E163", 8 + precheck.MAX_BLOCK_NESTING) in [(p.code, p.line) for p in problems]


def test_stray_fences_with_many_open_blocks_stay_linear():
    import time

    text = "::: a\n" * 7000 + "::::\n" * 7000
    start = time.process_time()
    assert precheck.check_markdown(text).kind == precheck.BLOCK_NESTING
    assert len(blocks.notices(text)) == 14000 + 7000
    assert time.process_time() - start < 2


def test_the_sanitiser_allows_exactly_the_block_classes():
    assert blocks.CLASSES <= render.SANITISER["classes"]
    assert html('<div class="exercise bogus">x</div>') == '<div class="exercise">x</div>'
    emitted = set()
    for name in [*blocks.CALLOUTS, *blocks.EXERCISES, *blocks.COLLAPSED, *blocks.INSTRUCTOR, "ukjent"]:
        out = html(f"::: {name}\nx\n:::\n", audience="staff")
        emitted |= {c for attrs in (a for _, a in Tags(out).tags) for c in (attrs.get("class") or "").split()}
    assert emitted - {"admonition", "admonition-title"} == blocks.CLASSES


XSS_CONTEXTS = {
    "body": "::: note\n{p}\n:::",
    "nested-body": "::: challenge\n:::: solution\n{p}\n::::\n:::",
    "title-text": "::: note {p}\nx\n:::",
    "title-attribute": '::: {{.note title="{p}"}}\nx\n:::',
    "myst-title": ":::{{tip}} {p}\nx\n:::",
    "docusaurus-title": ":::tip[{p}]\nx\n:::",
    "solution-summary": "::: solution {p}\nx\n:::",
    "name": "::: {p}\nx\n:::",
    "instructor": "::: instructor {p}\n{p}\n:::",
}


@pytest.mark.parametrize("context", sorted(XSS_CONTEXTS))
@pytest.mark.parametrize("audience", ["learner", "staff"])
def test_xss_corpora_inside_blocks_and_titles_render_inert(context, audience):
    for payload in PAYLOADS:
        out = html(XSS_CONTEXTS[context].format(p=payload), audience=audience)
        assert_inert(out)
        assert dangers(out) == [], (payload, out)


def test_xss_corpora_through_the_checker_give_problems_not_crashes(app, pkg):
    body = "\n\n".join(XSS_CONTEXTS[c].format(p=p) for p in PAYLOADS[:40] for c in sorted(XSS_CONTEXTS))
    (pkg / MODULE).write_text(HEAD + body, "utf-8")
    problems = check_package(pkg)[1]
    assert not any(p.code == "E190" for p in problems), [str(p) for p in problems if p.code == "E190"]


def test_old_admonitions_and_collapsible_blocks_stay_valid():
    out = html('!!! note "Merk"\n    Tekst.\n\n??? tip "Mer"\n    Skjult.\n\n???+ warning "Åpen"\n    Synlig.\n')
    assert '<div class="admonition note">' in out and '<details class="tip">\n<summary>Mer</summary>' in out
    assert '<details class="warning" open="">' in out


def test_demo_course_uses_blocks(app):
    demo = Path(__file__).resolve().parents[1] / "courses"
    texts = "\n".join(p.read_text("utf-8") for p in demo.glob("*/modules/*.md"))
    assert "::: challenge" in texts and ":::: solution" in texts and "::: instructor" in texts and "::: tip" in texts
