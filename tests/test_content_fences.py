"""Front matter never reaches a page: every damaged, missing or misplaced fence is an error at its line (E170-E172),
and the renderer refuses a body that still begins with settings."""
import pytest
from flask_babel import force_locale

from courseware.content import fences, precheck, render
from courseware.content.checker import check_package
from courseware.content.package import ParseError, split_front_matter

MODULE = "modules/02-sensorer.md"
QUIZ = """quiz:
  questions:
    - prompt: Hva måler en temperaturlogger?
      correct: [HEMMELIG-SVAR]
      wrong: [Melkemengde]
"""


@pytest.fixture
def pkg(copy_course):
    return copy_course("minimal")


def write_module(pkg, text):
    (pkg / MODULE).write_text(text, "utf-8")


CASES = [
    # id, module text, code, line
    ("two dashes", "--\ntitle: Sensorer\n" + QUIZ + "--\n\n# Sensorer\n", "E170", 1),
    ("four dashes", "----\ntitle: Sensorer\n" + QUIZ + "----\n\n# Sensorer\n", "E170", 1),
    ("em dash", "—\ntitle: Sensorer\n" + QUIZ + "—\n\n# Sensorer\n", "E170", 1),
    ("en dash and dash", "–-\ntitle: Sensorer\n---\n\n# Sensorer\n", "E170", 1),
    ("spaced dashes", "- - -\ntitle: Sensorer\n- - -\n\n# Sensorer\n", "E170", 1),
    ("fence with language", "---yaml\ntitle: Sensorer\n---\n\n# Sensorer\n", "E170", 1),
    ("fence with language and space", "--- yaml\ntitle: Sensorer\n---\n\n# Sensorer\n", "E170", 1),
    ("indented fence", " ---\ntitle: Sensorer\n---\n\n# Sensorer\n", "E170", 1),
    ("plus fence with language", "+++toml\ntitle = 'Sensorer'\n+++\n\n# Sensorer\n", "E170", 1),
    ("two pluses", "++\ntitle = 'Sensorer'\n++\n\n# Sensorer\n", "E170", 1),
    ("misspelt closing fence", "---\ntitle: Sensorer\n" + QUIZ + "--\n\n# Sensorer\n\nTekst.\n", "E170", 8),
    ("misspelt closing before a rule", "---\ntitle: Sensorer\n----\n\n# Sensorer\n\nTekst:\nmer\n\n---\n\nSlutt.\n",
     "E170", 3),
    ("no opening fence", "title: Sensorer\n" + QUIZ + "---\n\n# Sensorer\n", "E171", 1),
    ("no fences at all", "title: Sensorer\nminutes: 20\n\n# Sensorer\n", "E171", 1),
    ("quiz before heading", "Litt tekst.\n\n" + QUIZ + "\n# Sensorer\n", "E171", 3),
    ("key line before heading", "\nkey: sensorer\n\n# Sensorer\n", "E171", 2),
    ("toml settings without fence", 'title = "Sensorer"\n\n# Sensorer\n', "E171", 1),
    ("blank line before the fence", "\n---\ntitle: Sensorer\n---\n\n# Sensorer\n", "E171", 2),
    ("text before the fence", "Innledning\n---\ntitle: Sensorer\n---\n\n# Sensorer\n", "E171", 2),
    ("closing fence only", "Sensorer i fjøset\n\n---\n\n# Sensorer\n", "E171", 3),
    ("never closed", "---\ntitle: Sensorer\n" + QUIZ + "\n# Sensorer\n\nTekst.\n", "E124", 1),
    ("closed too early", "---\ntitle: Sensorer\n---\n" + QUIZ + "\n# Sensorer\n", "E172", 4),
    ("front matter after text", "# Sensorer\n\nTekst.\n\n---\ntitle: Sensorer\n" + QUIZ + "---\n", "E172", 5),
    ("toml after text", "# Sensorer\n\nTekst.\n\n+++\ntitle = 'Sensorer'\n+++\n", "E172", 5),
    ("quiz after text", "---\ntitle: Sensorer\n---\n\n# Sensorer\n\nTekst.\n\n" + QUIZ, "E172", 9),
    ("toml quiz after text", "---\ntitle: Sensorer\n---\n\n# Sensorer\n\n[[quiz.questions]]\nprompt = 'x'\n", "E172", 7),
]


@pytest.mark.parametrize("text, code, line", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_damaged_front_matter_is_an_error_at_its_line(app, pkg, text, code, line):
    write_module(pkg, text)
    data, problems = check_package(pkg)
    assert data is None
    found = [(p.code, p.line) for p in problems if p.is_error and p.path.endswith(MODULE)]
    assert found == [(code, line)], [str(p) for p in problems]


@pytest.mark.parametrize("text", [
    "---\ntitle: Sensorer\nobjectives: [a]\n---\n\n# Sensorer\n\nTekst.\n\n---\n\nMer tekst.\n",  # a rule after text
    "---\ntitle: Sensorer\nobjectives: [a]\n---\n\n# Sensorer\n\n```yaml\n---\ntitle: eksempel\nquiz:\n```\n",
    "---\ntitle: Sensorer\nobjectives: [a]\n...\n\n# Sensorer\n\nTekst.\n",  # YAML's own document end
    "# Sensorer\n\nTitle: en overskrift i teksten er lov etter overskriften.\n\n----\n\nSlutt.\n",
    "---\ntitle: Sensorer\nobjectives: [a]\n---\n\nIntro før overskriften.\n\n---\n\n# Sensorer\n",
    "+++\ntitle = 'Sensorer'\nobjectives = ['a']\n+++\n\n# Sensorer\n\n~~~\n+++\nquiz = 1\n~~~\n",
])
def test_valid_modules_stay_valid(app, pkg, text):
    write_module(pkg, text)
    data, problems = check_package(pkg)
    assert [str(p) for p in problems if p.is_error] == []


def test_the_message_says_what_to_do(app, pkg):
    write_module(pkg, "—\ntitle: Sensorer\n—\n\n# Sensorer\n")
    with force_locale("en"):
        problem = [p for p in check_package(pkg)[1] if p.code == "E170"][0]
    assert str(problem) == (
        "courses/minimal/modules/02-sensorer.md:1: E170 '—' is not a front matter fence: start the module with a line "
        "of exactly --- (YAML settings) or +++ (TOML settings), and end the settings with the same line")
    write_module(pkg, "# Sensorer\n\n" + QUIZ)
    with force_locale("en"):
        problem = [p for p in check_package(pkg)[1] if p.code == "E172"][0]
    assert "'quiz:' starts settings after the module's text" in problem.message
    assert "quiz answers too" in problem.message


def test_blank_lines_before_the_fence_get_their_own_message(app, pkg):
    write_module(pkg, "\n\n---\ntitle: Sensorer\n---\n\n# Sensorer\n")
    with force_locale("en"):
        problem = [p for p in check_package(pkg)[1] if p.code == "E171"][0]
    assert (problem.line, problem.message) == (3, "the front matter must start on the very first line of the file: "
                                                  "remove the blank lines above '---'")


def test_messages_are_translatable(app, pkg, monkeypatch):
    """Under nb the messages still go through gettext (translations come later): a stand-in shows each call."""
    from courseware.content import checker

    calls = []
    monkeypatch.setattr(checker, "_", lambda text, **kw: calls.append(text) or "OVERSATT")
    write_module(pkg, "--\ntitle: Sensorer\n--\n\n# Sensorer\n")
    with force_locale("nb"):
        problem = [p for p in check_package(pkg)[1] if p.code == "E170"][0]
    assert problem.message == "OVERSATT" and any("front matter fence" in text for text in calls)


def test_yaml_anchors_and_aliases_stay_refused(app, pkg):
    write_module(pkg, "---\ntitle: &t Sensorer\nobjectives: [*t]\n---\n\n# Sensorer\n")
    assert [(p.code, p.line) for p in check_package(pkg)[1] if p.is_error and p.path.endswith(MODULE)] == [("E162", 2)]


def test_split_front_matter_raises_with_code_and_kind():
    with pytest.raises(ParseError) as caught:
        split_front_matter("title: x\n---\n# T\n")
    assert (caught.value.line, caught.value.code, caught.value.kind) == (1, "E171", fences.NO_OPENING)
    assert split_front_matter("# T\n\nTekst.\n").meta == {}


@pytest.mark.parametrize("body", [
    "title: Sensorer\nquiz:\n  questions: []\n",
    "\n\nminutes: 20\nobjectives: [a]\n",
    "---\nquiz:\n  questions:\n    - prompt: x\n---\n# T\n",
    "+++\ntitle = 'x'\n+++\n",
    'title = "x"\nminutes = 3\n',
])
def test_the_renderer_refuses_a_body_that_begins_with_settings(body):
    with pytest.raises(render.Refused) as caught:
        render.render_module(body, module_links={}, asset_paths=set())
    assert caught.value.refusal.kind == precheck.FRONT_MATTER


@pytest.mark.parametrize("body", ["# Tittel\n\ntitle: x\n", "Tid: 20 minutter\n", "Hei.\n\n---\n\nMer.\n", ""])
def test_the_renderer_renders_ordinary_text(body):
    render.render_module(body, module_links={}, asset_paths=set())


def test_the_refusal_is_reported_as_e171(app, pkg, monkeypatch):
    """Belt and braces: if a body with settings got past split_front_matter, rendering refuses it at its line."""
    from courseware.content import checker
    from courseware.content.package import FrontMatter

    monkeypatch.setattr(checker, "split_front_matter",
                        lambda text: FrontMatter({"title": "T"}, "title: T\nquiz:\n  x: 1\n", 3, "yaml"))
    problems = check_package(pkg)[1]
    assert ("E171", 3) in [(p.code, p.line) for p in problems if p.path.endswith(MODULE)]


def test_no_quiz_answer_reaches_any_page(app, pkg):
    """Every damaged variant either is refused or, where a variant passes, shows no answer in its HTML."""
    from courseware.content.checker import check_package as check

    for _name, text, _code, _line in CASES:
        write_module(pkg, text)
        data, _problems = check(pkg)
        if data is not None:
            assert all("HEMMELIG-SVAR" not in m.rendered.html for m in data.modules), _name
    write_module(pkg, "---\ntitle: Sensorer\nobjectives: [a]\n" + QUIZ + "---\n\n# Sensorer\n\nTekst.\n")
    data, problems = check(pkg)
    assert data is not None, [str(p) for p in problems]
    assert all("HEMMELIG-SVAR" not in m.rendered.html for m in data.modules)
