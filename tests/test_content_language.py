"""The checker speaks the author's language: `courseware check` and `courseware import` word problems in the course's
`language` unless `--lang` says otherwise; import prints warnings too; E106 says why a file type is refused and what
to do instead."""
import pytest
from flask_babel import force_locale

from courseware.content import checker
from courseware.content.checker import COURSE_LANGUAGE, check_package, check_packages, package_language

NO_ALT = ("![Temperaturlogger på fjøsveggen]", "![]")
EN_W141 = "W141 the image '../assets/fjos-sensor.png' has no alt text"
NB_W141 = "W141 bildet '../assets/fjos-sensor.png' mangler alternativ tekst"  # from the existing nb translation


@pytest.fixture
def pkg(copy_course):
    path = copy_course("minimal")
    module = path / "modules" / "01-intro.md"
    module.write_text(module.read_text("utf-8").replace(*NO_ALT), "utf-8")
    return path


def set_language(pkg, language):
    manifest = pkg / "course.toml"
    manifest.write_text(manifest.read_text("utf-8").replace('language = "nb"', f'language = "{language}"'), "utf-8")


def test_package_language(pkg):
    assert package_language(pkg) == "nb"
    set_language(pkg, "en")
    assert package_language(pkg) == "en"
    (pkg / "course.toml").write_text("format = [[[", "utf-8")
    assert package_language(pkg) == "nb"


def test_check_speaks_the_course_language(app, pkg):
    runner = app.test_cli_runner()
    assert NB_W141 in runner.invoke(args=["check", str(pkg)]).output
    set_language(pkg, "en")
    assert EN_W141 in runner.invoke(args=["check", str(pkg)]).output


def test_check_lang_overrides(app, pkg):
    runner = app.test_cli_runner()
    assert EN_W141 in runner.invoke(args=["check", "--lang", "en", str(pkg)]).output
    set_language(pkg, "en")
    assert NB_W141 in runner.invoke(args=["check", "--lang", "nb", str(pkg)]).output
    assert runner.invoke(args=["check", "--lang", "sv", str(pkg)]).exit_code == 2


def test_each_package_in_its_own_language(app, pkg, copy_course):
    other = copy_course("minimal-trinn-2")
    manifest = other / "course.toml"
    manifest.write_text(manifest.read_text("utf-8").replace("stage = 2", 'stage = 2\nlanguage = "en"'), "utf-8")
    module = sorted((other / "modules").glob("*.md"))[0]
    module.write_text(module.read_text("utf-8") + "\n[x](finnes-ikke.md)\n", "utf-8")
    problems = check_packages([pkg, other], lang=COURSE_LANGUAGE)
    assert any(NB_W141 in str(p) for p in problems)
    assert any("points to a module that does not exist" in p.message for p in problems)


def test_new_messages_go_through_gettext(app, pkg, monkeypatch):
    """Translations of the new messages come later: under nb they are still made by gettext."""
    seen = []

    def fake(text, **kwargs):
        seen.append(text)
        return "NB:" + text % kwargs if kwargs else "NB:" + text

    monkeypatch.setattr(checker, "_", fake)
    (pkg / "modules" / "02-sensorer.md").write_text("--\ntitle: x\n--\n# T\n", "utf-8")
    with force_locale("nb"):
        problems = check_package(pkg)[1]
    assert any(p.code == "E170" and p.message.startswith("NB:") for p in problems)


def test_import_prints_warnings_and_speaks_the_course_language(app, pkg):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(pkg)])
    assert result.exit_code == 0, result.output
    assert "new       minimal (version 1)" in result.output
    assert NB_W141 in result.output


def test_import_lang_option(app, pkg):
    result = app.test_cli_runner().invoke(args=["import", "--lang", "en", str(pkg)])
    assert result.exit_code == 0 and EN_W141 in result.output


def test_refused_import_prints_errors_and_warnings(app, pkg):
    (pkg / "assets" / "side.html").write_text("<p>x</p>", "utf-8")
    result = app.test_cli_runner().invoke(args=["import", "--lang", "en", str(pkg)])
    assert result.exit_code == 1
    assert "refused   minimal" in result.output and "E106" in result.output and EN_W141 in result.output


@pytest.mark.parametrize("name, words", [
    ("assets/side.html", ["HTML files are not allowed", "put the text in a module"]),
    ("assets/app.js", ["JS files are not allowed", "put the text in a module"]),
    ("assets/plan.docx", ["DOCX files are not allowed", "save the document as PDF"]),
    ("assets/tall.xlsx", ["XLSX files are not allowed", "save the document as PDF"]),
    ("assets/bilde.bmp", ["BMP images are not allowed", "convert the image to PNG or JPEG"]),
    ("assets/film.mov", ["MOV files are not allowed", "convert video to MP4"]),
    ("assets/alt.zip", ["ZIP archives are not allowed", "unpack it"]),
    ("assets/notat.txt", ["TXT files are not allowed", "put the text in a module"]),
    (".env", ["hidden files", "delete this file"]),
    ("assets/ukjent.xyz", ["files of this type are not allowed", "png"]),
])
def test_forbidden_file_types_say_why_and_what_to_do(app, pkg, name, words):
    (pkg / name).write_bytes(b"x")
    with force_locale("en"):
        problem = next(p for p in check_package(pkg)[1] if p.code == "E106")
    assert problem.path.endswith(name)
    for word in words:
        assert word in problem.message, problem.message
