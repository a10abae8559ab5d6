"""The checker refuses everything COURSE_FORMAT.md forbids, with a stable code at the right path and line."""
import os
import shutil
from pathlib import Path

import pytest

from courseware.content.checker import check_package, check_packages
from courseware.content.package import discover_packages
from courseware.content.problems import Problem

MODULE = "modules/02-sensorer.md"


@pytest.fixture
def pkg(copy_course):
    return copy_course("minimal")


def edit(pkg, rel, old, new):
    path = pkg / rel
    text = path.read_text("utf-8")
    assert old in text, (old, rel)
    path.write_text(text.replace(old, new, 1), "utf-8")


def write(pkg, rel, content):
    path = pkg / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)


def append(pkg, rel, text):
    with open(pkg / rel, "a", encoding="utf-8") as fh:
        fh.write(text)


def rename_module(pkg, old, new):
    (pkg / "modules" / old).rename(pkg / "modules" / new)
    edit(pkg, "course.toml", f'"{old}"', f'"{new}"')
    edit(pkg, MODULE, f"({old}", f"({new}")


def errors(problems):
    return [p for p in problems if p.is_error]


def found(problems, code):
    return [p for p in problems if p.code == code]


REFUSALS = [
    # id, mutation, code, path inside the package ("" = the package itself), line (None = any)
    ("missing manifest", lambda p: (p / "course.toml").unlink(), "E101", "course.toml", 1),
    ("svg that is not XML", lambda p: write(p, "assets/logo.svg", "<svg onload=alert(1)/>"), "E180", "assets/logo.svg", 1),
    ("svg with a handler", lambda p: write(p, "assets/logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"\n onload="alert(1)"/>'),
     "E182", "assets/logo.svg", 2),
    ("forbidden html", lambda p: write(p, "assets/side.html", "<p>x</p>"), "E106", "assets/side.html", 1),
    ("forbidden html", lambda p: write(p, "assets/side.html", "<p>x</p>"), "E106", "assets/side.html", 1),
    ("forbidden js", lambda p: write(p, "modules/app.js", "alert(1)"), "E106", "modules/app.js", 1),
    ("forbidden py", lambda p: write(p, "setup.py", "import os"), "E106", "setup.py", 1),
    ("hidden file", lambda p: write(p, ".env", "SECRET=1"), "E106", ".env", 1),
    ("symlink", lambda p: os.symlink("../course.toml", p / "assets" / "lenke.png"), "E107", "assets/lenke.png", 1),
    ("image at root", lambda p: write(p, "bilde.png", b"\x89PNG\r\n\x1a\n"), "E109", "bilde.png", 1),
    ("image in modules", lambda p: write(p, "modules/bilde.png", b"\x89PNG\r\n\x1a\n"), "E109", "modules/bilde.png", 1),
    ("other folder", lambda p: write(p, "utkast/01.md", "# x"), "E109", "utkast", 1),
    ("module subfolder", lambda p: write(p, "modules/del/01.md", "# x"), "E109", "modules/del/01.md", 1),
    ("disguised html", lambda p: write(p, "assets/bilde.jpg", "<html><script>x</script>"), "E110", "assets/bilde.jpg", 1),
    ("format unknown", lambda p: edit(p, "course.toml", "format = 1", "format = 2"), "E111", "course.toml", 2),
    ("format missing", lambda p: edit(p, "course.toml", "format = 1", ""), "E111", "course.toml", 1),
    ("title missing", lambda p: edit(p, "course.toml", 'title = "Minimalkurs – Trinn 1"', ""), "E112", "course.toml", None),
    ("title empty", lambda p: edit(p, "course.toml", 'title = "Minimalkurs – Trinn 1"', 'title = " "'), "E112", "course.toml", 3),
    ("provider missing", lambda p: edit(p, "course.toml", 'provider = "test-naeringshage"', ""), "E113", "course.toml", 1),
    ("provider bad", lambda p: edit(p, "course.toml", '"test-naeringshage"', '"Test Næringshage"'), "E113", "course.toml", 5),
    ("slug mismatch", lambda p: edit(p, "course.toml", "format = 1", 'format = 1\nslug = "annet"'), "E105", "course.toml", 3),
    ("stage zero", lambda p: edit(p, "course.toml", "stage = 1", "stage = 0"), "E114", "course.toml", 8),
    ("stage text", lambda p: edit(p, "course.toml", "stage = 1", 'stage = "1"'), "E114", "course.toml", 8),
    ("language", lambda p: edit(p, "course.toml", 'language = "nb"', 'language = "sv"'), "E114", "course.toml", 9),
    ("audience", lambda p: edit(p, "course.toml", 'audience = "firms"', 'audience = "all"'), "E114", "course.toml", 10),
    ("provider kind", lambda p: edit(p, "course.toml", 'industry = "A"', 'provider_kind = "farm"\nindustry = "A"'), "E114",
     "course.toml", 7),
    ("industry", lambda p: edit(p, "course.toml", 'industry = "A"', 'industry = "V"'), "E114", "course.toml", 7),
    ("pass mark high", lambda p: edit(p, "course.toml", "pass_mark = 0.8", "pass_mark = 1.5"), "E114", "course.toml", 16),
    ("pass mark zero", lambda p: edit(p, "course.toml", "pass_mark = 0.8", "pass_mark = 0"), "E114", "course.toml", 16),
    ("show answers", lambda p: edit(p, "course.toml", "pass_mark = 0.8", 'pass_mark = 0.8\nshow_answers = "etter"'),
     "E114", "course.toml", 17),
    ("attempts negative", lambda p: edit(p, "course.toml", "pass_mark = 0.8", "pass_mark = 0.8\nattempts_per_day = -1"),
     "E114", "course.toml", 17),
    ("attempts text", lambda p: edit(p, "course.toml", "pass_mark = 0.8", 'pass_mark = 0.8\nattempts_per_day = "3"'),
     "E114", "course.toml", 17),
    ("attempts huge", lambda p: edit(p, "course.toml", "pass_mark = 0.8", "pass_mark = 0.8\nattempts_per_day = 2147483648"),
     "E114", "course.toml", 17),
    ("minutes negative", lambda p: edit(p, "course.toml", "= 45", "= -1"), "E114", "course.toml", 11),
    ("partner url", lambda p: edit(p, "course.toml", '"https://www.nibio.no"', '"javascript:alert(1)"'), "E114", "course.toml", 27),
    ("partner no name", lambda p: edit(p, "course.toml", 'name = "Bondelaget lokallag"', 'role = "x"'), "E115", "course.toml", 29),
    ("requires not list", lambda p: edit(p, "course.toml", "requires = []", 'requires = "minimal-trinn-2"'), "E114", "course.toml", 12),
    ("no modules", lambda p: shutil.rmtree(p / "modules"), "E120", "modules", 1),
    ("listed missing", lambda p: (p / MODULE).unlink(), "E121", "course.toml", 13),
    ("unlisted", lambda p: write(p, "modules/04-ekstra.md", "# Ekstra\n"), "E122", "modules/04-ekstra.md", 1),
    ("listed twice", lambda p: edit(p, "course.toml", '"03-veien-videre.md"]', '"03-veien-videre.md", "01-intro.md"]'),
     "E123", "course.toml", 13),
    ("yaml syntax", lambda p: edit(p, MODULE, "minutes: 20", "minutes: [20"), "E124", MODULE, 5),
    ("yaml unclosed", lambda p: write(p, MODULE, "---\ntitle: x\n\n# Tittel\n"), "E124", MODULE, 1),
    ("toml front matter", lambda p: edit(p, "modules/03-veien-videre.md", "minutes = 15", "minutes = "), "E124",
     "modules/03-veien-videre.md", 3),
    ("front matter list", lambda p: write(p, MODULE, "---\n- a\n- b\n---\n# T\n"), "E125", MODULE, 2),
    ("no title", lambda p: write(p, MODULE, "---\nobjectives: [a]\n---\nBare tekst.\n"), "E126", MODULE, 1),
    ("bad key", lambda p: edit(p, MODULE, "key: sensorer", "key: Sensorer_1"), "E127", MODULE, 3),
    ("reserved key", lambda p: edit(p, MODULE, "key: sensorer", "key: assets"), "E127", MODULE, 3),
    ("bad file name key", lambda p: rename_module(p, "01-intro.md", "01-Intro_Ny.md"), "E127", "modules/01-Intro_Ny.md", 1),
    ("duplicate key", lambda p: edit(p, MODULE, "key: sensorer", "key: intro"), "E128", MODULE, 1),
    ("minutes text", lambda p: edit(p, MODULE, "minutes: 20", "minutes: ti"), "E129", MODULE, 4),
    ("objectives mapping", lambda p: edit(p, MODULE, "objectives:", "objectives: {a: 1}\nx_objectives:"), "E129", MODULE, 5),
    ("quiz string", lambda p: write(p, MODULE, "---\ntitle: T\nobjectives: [a]\nquiz: ja\n---\n"), "E130", MODULE, 4),
    ("quiz no questions", lambda p: write(p, MODULE, "---\ntitle: T\nquiz:\n  pass_mark: 0.5\n---\n"), "E130", MODULE, 3),
    ("quiz pass mark", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 75"), "E130", MODULE, 12),
    ("quiz show answers", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  show_answers: true"), "E134",
     MODULE, 13),
    ("quiz attempts", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  attempts_per_day: 1.5"), "E134",
     MODULE, 13),
    ("draw above pool", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  draw: 3"), "E135", MODULE, 13),
    ("draw zero", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  draw: 0"), "E135", MODULE, 13),
    ("draw text", lambda p: edit(p, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  draw: alle"), "E135", MODULE, 13),
    ("draw in toml", lambda p: edit(p, "modules/03-veien-videre.md", '"]\n+++', '"]\n[quiz]\ndraw = 2\n'
                                    '[[quiz.questions]]\nprompt = "Hva er en plan?"\ncorrect = ["En liste"]\n'
                                    'wrong = ["Ingenting"]\n+++'), "E135", "modules/03-veien-videre.md", 6),
    ("question no wrong", lambda p: edit(p, MODULE, "      wrong: [Regneark]\n", ""), "E131", MODULE, 18),
    ("question no correct", lambda p: edit(p, MODULE, "      correct: [Temperatur over tid]\n", ""), "E131", MODULE, 14),
    ("question no prompt", lambda p: edit(p, MODULE, "- prompt: Hvilke av disse er sensorer?", "- explain: x"), "E132",
     MODULE, 11),
    ("answer both", lambda p: edit(p, MODULE, "wrong: [Regneark]", "wrong: [Regneark, Fuktmåler]"), "E133", MODULE, 18),
    ("leaves package", lambda p: append(p, MODULE, "\n[annet kurs](../../annet/modules/01.md)\n"), "E140", MODULE, 39),
    ("absolute path", lambda p: append(p, MODULE, "\n[fil](/etc/passwd)\n"), "E141", MODULE, 39),
    ("file scheme", lambda p: append(p, MODULE, "\n[fil](file:///C:/x.pdf)\n"), "E141", MODULE, 39),
    ("javascript", lambda p: append(p, MODULE, "\n[klikk](javascript:alert(1))\n"), "E141", MODULE, 39),
    ("missing asset", lambda p: append(p, MODULE, "\nSe [plan](../assets/plan.pdf)\n"), "E142", MODULE, 39),
    ("missing image", lambda p: append(p, MODULE, "\n\n![Bilde](../assets/bilde.jpg)\n"), "E142", MODULE, 40),
    ("missing module", lambda p: append(p, MODULE, "\n[neste](04-mangler.md)\n"), "E143", MODULE, 39),
    ("missing file", lambda p: append(p, MODULE, "\n[manifest](../course.toml)\n"), "E143", MODULE, 39),
    ("external image", lambda p: append(p, MODULE, "\n![Logo](https://example.com/logo.png)\n"), "E144", MODULE, 39),
    ("image outside assets", lambda p: append(p, MODULE, "\n![Modul](01-intro.md)\n"), "E144", MODULE, 39),
    ("pdf as image", lambda p: append(p, MODULE, "\n![Sjekkliste](../assets/sjekkliste.pdf)\n"), "E145", MODULE, 39),
    ("bad video", lambda p: append(p, MODULE, "\n@[video](https://evil.example/film.mp4)\n"), "E146", MODULE, 39),
    ("unknown requires", lambda p: edit(p, "course.toml", "requires = []", 'requires = ["finnes-ikke"]'), "E151",
     "course.toml", 12),
    ("requires itself", lambda p: edit(p, "course.toml", "requires = []", 'requires = ["minimal"]'), "E152",
     "course.toml", 12),
]


@pytest.mark.parametrize("mutate, code, where, line", [pytest.param(*r[1:], id=r[0]) for r in REFUSALS])
def test_refusal(pkg, mutate, code, where, line):
    mutate(pkg)
    data, problems = check_package(pkg)
    assert data is None
    matching = found(problems, code)
    assert matching, [str(p) for p in problems]
    expected_path = "courses/minimal" + (f"/{where}" if where else "")
    assert any(p.path == expected_path and (line is None or p.line == line) for p in matching), [str(p) for p in problems]
    assert not found(problems, "E190")


def test_fixture_packages_are_clean(copy_course):
    paths = [copy_course("minimal"), copy_course("minimal-trinn-2")]
    assert check_packages(paths) == []
    data, problems = check_package(paths[0])
    assert problems == [] and [m.key for m in data.modules] == ["intro", "sensorer", "veien-videre"]


def test_manifest_syntax_error_is_reported_with_its_line(pkg):
    write(pkg, "course.toml", 'format = 1\ntitle = "Kurs"\nprovider = "p"\nstage = = 2\n')
    problems = check_package(pkg)[1]
    assert [str(p).split(" (")[0] for p in problems] == [
        "courses/minimal/course.toml:4: E102 course.toml is not valid TOML: Invalid value"
    ]


def test_front_matter_error_shows_the_file_line(pkg):
    edit(pkg, MODULE, "objectives:\n", "objectives:\n  - ok\n bad: [\n")
    problem = found(check_package(pkg)[1], "E124")[0]
    assert str(problem).startswith("courses/minimal/modules/02-sensorer.md:7: E124 the front matter is not valid: ")


def test_missing_image_message_names_the_file(pkg):
    append(pkg, MODULE, "\n\n![Bilde](../assets/bilde.jpg)\n")
    problem = found(check_package(pkg)[1], "E142")[0]
    assert str(problem) == "courses/minimal/modules/02-sensorer.md:40: E142 the image 'bilde.jpg' does not exist in assets/"


def test_non_utf8_files_are_refused_with_line(pkg):
    write(pkg, MODULE, "---\ntitle: Sensorer\n---\n\nGr\xf8nn\n".encode("latin-1"))
    write(pkg, "README.md", b"\xff\xfe")
    problems = found(check_package(pkg)[1], "E103")
    assert {(p.path, p.line) for p in problems} == {
        ("courses/minimal/modules/02-sensorer.md", 5), ("courses/minimal/README.md", 1)
    }


def test_bad_folder_name(copy_course):
    path = copy_course("minimal", as_slug="Minimal_Kurs")
    problems = check_package(path)[1]
    assert [p.code for p in errors(problems)] == ["E104"]


def test_asset_size_cap(app, pkg):
    app.config["MAX_ASSET_MB"] = 0.001
    write(pkg, "assets/stor.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 2000)
    assert [p.path for p in found(check_package(pkg)[1], "E108")] == ["courses/minimal/assets/stor.png"]


def test_requires_cycle_across_packages(copy_course):
    first, second = copy_course("minimal"), copy_course("minimal-trinn-2")
    edit(first, "course.toml", "requires = []", 'requires = ["minimal-trinn-2"]')
    problems = check_packages([first, second])
    loops = found(problems, "E152")
    assert {p.path for p in loops} == {"courses/minimal/course.toml", "courses/minimal-trinn-2/course.toml"}
    assert "minimal → minimal-trinn-2 → minimal" in loops[0].message


def test_requires_knows_sibling_packages_and_the_database(copy_course, import_course, courses_dir):
    second = copy_course("minimal-trinn-2")
    assert [p.code for p in check_package(second)[1]] == ["E151"]
    import_course("minimal")  # copies minimal beside it and imports it
    assert check_package(second)[1] == []
    shutil.rmtree(courses_dir / "minimal")
    assert check_package(second)[1] == []  # still known: it is in the database


def test_unknown_requires_when_nowhere(copy_course):
    second = copy_course("minimal-trinn-2")
    problems = check_package(second)[1]
    assert [p.code for p in problems] == ["E151"] and "'minimal'" in problems[0].message


def test_warnings_do_not_refuse(app, pkg):
    app.config["LONG_MODULE_WORDS"] = 10
    edit(pkg, "modules/01-intro.md", "![Temperaturlogger på fjøsveggen]", "![]")
    edit(pkg, MODULE, "objectives:\n  - Kjenne til tre typer sensorer\n  - Vurdere kost og nytte av en sensor\n", "")
    edit(pkg, "course.toml", "format = 1", "format = 1\ntitel = \"skrivefeil\"")
    data, problems = check_package(pkg)
    assert data is not None and not errors(problems)
    codes = {(p.code, p.path.rsplit("/", 1)[-1]) for p in problems}
    assert {("W141", "01-intro.md"), ("W122", "02-sensorer.md"), ("W123", "02-sensorer.md"),
            ("W111", "course.toml")} <= codes
    assert all(p.severity == "warning" for p in problems)


def test_problem_format():
    problem = Problem("courses/x/modules/02-sensorer.md", 14, "E142", "the image 'bilde.jpg' does not exist in assets/")
    assert str(problem) == "courses/x/modules/02-sensorer.md:14: E142 the image 'bilde.jpg' does not exist in assets/"
    assert problem.is_error and not Problem("p", 1, "W122", "m", "warning").is_error


def test_paths_outside_the_courses_folder_are_shown_as_given(app, tmp_path_factory, monkeypatch):
    elsewhere = tmp_path_factory.mktemp("andre")
    shutil.copytree(os.path.join(os.path.dirname(__file__), "fixtures", "courses", "minimal"), elsewhere / "minimal")
    (elsewhere / "minimal" / "course.toml").unlink()
    message = "course.toml:1: E101 course.toml is missing: every package needs one (see COURSE_FORMAT.md)"
    assert str(check_package(elsewhere / "minimal")[1][0]) == f"{elsewhere}/minimal/{message}"
    monkeypatch.chdir(elsewhere)
    assert str(check_package(Path("minimal"))[1][0]) == f"minimal/{message}"


def test_missing_folder(app, tmp_path):
    assert [p.code for p in check_package(tmp_path / "finnes-ikke")[1]] == ["E100"]


def test_discover_packages(tmp_path):
    for name in ("b-kurs", "a-kurs", "_utkast", ".git", "uten-manifest"):
        (tmp_path / name).mkdir()
    (tmp_path / "fil.txt").write_text("x")
    assert [p.name for p in discover_packages(tmp_path)] == ["a-kurs", "b-kurs", "uten-manifest"]
    assert discover_packages(tmp_path / "finnes-ikke") == []


def test_cli_check_exit_codes(app, pkg):
    runner = app.test_cli_runner()
    edit(pkg, "modules/01-intro.md", "![Temperaturlogger på fjøsveggen]", "![]")
    result = runner.invoke(args=["check", "--lang", "en", str(pkg)])
    assert result.exit_code == 0, result.output
    assert "courses/minimal/modules/01-intro.md:14: W141 the image" in result.output
    assert "1 package(s) checked: 0 error(s), 1 warning(s)" in result.output
    edit(pkg, "course.toml", "format = 1", "format = 3")
    result = runner.invoke(args=["check", "--lang", "en", str(pkg)])
    assert result.exit_code == 1
    assert "courses/minimal/course.toml:2: E111 unknown format 3" in result.output


def test_cli_check_without_arguments_checks_the_courses_folder(app, copy_course):
    copy_course("minimal")
    copy_course("minimal-trinn-2")
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0 and "2 package(s) checked: 0 error(s), 0 warning(s)" in result.output


def test_every_code_is_documented_in_both_tables():
    import re

    from courseware.content import checker

    source_dir = Path(checker.__file__).parent
    used = set()
    for path in source_dir.glob("*.py"):
        used |= set(re.findall(r'"([EW]\d{3})"', path.read_text("utf-8")))
    docstring = set(re.findall(r"^\| ([EW]\d{3}) \|", checker.__doc__, re.M))
    author_doc = Path(__file__).resolve().parent.parent / "courses" / "CHECKER_CODES.md"
    documented = set(re.findall(r"^\| ([EW]\d{3}) \|", author_doc.read_text("utf-8"), re.M))
    assert used == docstring == documented, (used ^ docstring, docstring ^ documented)


def test_os_leftovers_and_draft_folders_are_ignored(pkg):
    """Files that Finder, Explorer and zip tools leave behind never block a package."""
    write(pkg, ".DS_Store", b"\0\0")
    write(pkg, "assets/Thumbs.db", b"\0\0")
    write(pkg, "modules/._01-intro.md", b"\0\x05\x16\x07")
    write(pkg, "__MACOSX/modules/x.md", "junk")
    write(pkg, "modules/_utkast/99-ny.md", "---\ntitle: Utkast\n---\n")
    write(pkg, ".git/config", "[core]")
    _data, problems = check_package(pkg)
    assert [p for p in problems if p.is_error] == []


def test_a_quiz_policy_passes_the_checker_and_reaches_the_package(pkg):
    edit(pkg, "course.toml", "pass_mark = 0.8", 'pass_mark = 0.8\nshow_answers = "never"\nattempts_per_day = 3')
    edit(pkg, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  show_answers: always\n  attempts_per_day: 0\n  draw: 1")
    data, problems = check_package(pkg)
    assert problems == [], [str(p) for p in problems]
    assert (data.show_answers, data.attempts_per_day) == ("never", 3)
    sensorer = next(m for m in data.modules if m.key == "sensorer")
    assert {k: v for k, v in sensorer.quiz.items() if k != "questions"} == {
        "pass_mark": 0.75, "show_answers": "always", "attempts_per_day": 0, "draw": 1}


def test_a_package_without_a_policy_gets_the_defaults(pkg):
    data = check_package(pkg)[0]
    assert (data.show_answers, data.attempts_per_day) == ("after-pass", 0)
    sensorer = next(m for m in data.modules if m.key == "sensorer")
    assert (sensorer.quiz["show_answers"], sensorer.quiz["attempts_per_day"], sensorer.quiz["draw"]) == (None, None, None)


def test_an_unknown_quiz_setting_is_a_warning_at_its_line(pkg):
    edit(pkg, MODULE, "pass_mark: 0.75", "pass_mark: 0.75\n  attempts: 3")
    data, problems = check_package(pkg)
    assert data is not None
    assert [(p.code, p.line) for p in problems] == [("W121", 13)] and "'attempts' in quiz" in problems[0].message
