"""course.toml's `dma_dimensions`: checked, imported, and used for "courses for your weakest dimension"."""
import pytest

from courseware.content.checker import check_package
from courseware.content.importer import import_packages
from courseware.extensions import db
from courseware.models import Course, CourseVersion
from courseware.services import dma_results

from .test_content_checker import edit


@pytest.fixture
def pkg(copy_course):
    return copy_course("minimal")


def test_dimensions_are_checked(app, pkg):
    edit(pkg, "course.toml", "requires = []", 'requires = []\ndma_dimensions = ["human", "skills"]')
    _data, problems = check_package(pkg)
    [problem] = [p for p in problems if p.code == "E114"]
    assert "dma_dimensions must be a list of the digital maturity dimensions" in problem.message
    assert problem.line == 13 and problem.path.endswith("minimal/course.toml")
    edit(pkg, "course.toml", 'dma_dimensions = ["human", "skills"]', 'dma_dimensions = "human"')
    assert any(p.code == "E114" for p in check_package(pkg)[1])


def test_dimensions_are_imported_and_find_courses(app, pkg, copy_course):
    edit(pkg, "course.toml", "requires = []", 'requires = []\ndma_dimensions = ["data", "human", "human"]')
    data, problems = check_package(pkg)
    assert not [p for p in problems if p.severity == "error"]
    assert data.dma_dimensions == ["human", "data"]  # questionnaire order, no repeats
    report = import_packages([pkg])
    db.session.commit()
    assert not report.refused
    version = db.session.execute(db.select(CourseVersion)).scalar_one()
    assert version.dma_dimensions == ["human", "data"]
    links = dma_results.courses_for_dimension("human")
    assert [(link.slug, link.stage) for link in links] == [("minimal", 1)]
    assert dma_results.courses_for_dimension("green") == []
    course = db.session.execute(db.select(Course)).scalar_one()
    course.retired_at = version.imported_at
    db.session.commit()
    assert dma_results.courses_for_dimension("human") == []


def test_a_course_without_dimensions_imports_as_before(app, pkg):
    data, _problems = check_package(pkg)
    assert data.dma_dimensions == []


def test_cli_checks_the_questionnaire_and_init_refuses_a_broken_one(app, tmp_path, monkeypatch):
    from courseware.services import dma_questionnaire

    runner = app.test_cli_runner()
    result = runner.invoke(args=["dma", "check"])
    assert result.exit_code == 0 and "sound" in result.output
    broken = tmp_path / "dma-9.yaml"
    broken.write_text("version: 9\n", encoding="utf-8")
    result = runner.invoke(args=["dma", "check", str(broken)])
    assert result.exit_code == 1 and "dma-9.yaml: dimensions: must list the six dimensions" in result.output
    monkeypatch.setattr(dma_questionnaire, "check_all", lambda: ["dma-1.yaml: title: the text in nn is missing"])
    result = runner.invoke(args=["init"])
    assert result.exit_code == 1
    assert "courseware/data/dma/dma-1.yaml: title: the text in nn is missing" in result.output
