"""Re-importing a changed course package (through the real importer) keeps progress on modules whose key remains,
keeps completed learners completed on their version, and judges learners in progress by the new outline."""
import pytest

from courseware.content.importer import import_packages
from courseware.extensions import db
from courseware.services import catalogue, enrolment, learning, progress, quiz

from .learning_factory import answers_for, make_firm

NEW_MODULE = """---
title: Ny modul om data
key: data
minutes: 5
objectives:
  - Forstå data
---

# Ny modul om data

Tekst.
"""


def _reimport(path):
    report = import_packages([path])
    db.session.commit()
    assert not report.refused, report.refused


def _do_everything(user, slug="minimal"):
    course = catalogue.get_course(slug)
    for entry in course.current_version.outline:
        module = catalogue.get_module(slug, entry["key"])
        learning.mark_read(user, module)
        for index in range(len(module.tasks)):
            learning.set_task(user, module, index, True)
        if module.has_quiz:
            learning.submit_quiz(user, module, answers_for(module), quiz.new_token())
    db.session.commit()


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def package(copy_course):
    """The minimal course, with `key` written in every module as courses/README.md tells authors to."""
    path = copy_course("minimal")
    _edit(path / "modules" / "01-intro.md", "title: Hvorfor digitalisere?\n", "title: Hvorfor digitalisere?\nkey: intro\n")
    _edit(path / "modules" / "03-veien-videre.md", '+++\n', '+++\nkey = "veien-videre"\n')
    _reimport(path)
    return path


@pytest.fixture
def learners(package, make_user):
    firm = make_firm()
    done, busy = make_user("learner", firm_id=firm.id), make_user("learner", firm_id=firm.id)
    for user in (done, busy):
        enrolment.enrol(user, catalogue.get_course("minimal"))
    db.session.commit()
    _do_everything(done)
    busy_module = catalogue.get_module("minimal", "sensorer")
    learning.mark_read(busy, busy_module)
    learning.set_task(busy, busy_module, 0, True)
    learning.mark_read(busy, catalogue.get_module("minimal", "intro"))
    db.session.commit()
    return done, busy


def _state(user):
    return progress.course_progress(user, catalogue.get_course("minimal"))


def test_outline_is_filled_by_the_importer(package):
    outline = catalogue.get_course("minimal").current_version.outline
    assert [e["key"] for e in outline] == ["intro", "sensorer", "veien-videre"]
    assert [e["tasks"] for e in outline] == [1, 2, 0] and [e["quiz"] for e in outline] == [False, True, False]


def test_a_new_module_is_required_for_learners_in_progress(package, learners):
    done, busy = learners
    (package / "modules" / "04-data.md").write_text(NEW_MODULE, encoding="utf-8")
    manifest = package / "course.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        '"03-veien-videre.md"]', '"03-veien-videre.md", "04-data.md"]'), encoding="utf-8")
    _reimport(package)

    finished = _state(done)
    assert finished.completed and finished.completed_version == 1 and finished.percent == 100

    state = _state(busy)
    assert catalogue.get_course("minimal").current_version.number == 2
    assert list(state.module_states) == ["intro", "sensorer", "veien-videre", "data"]
    assert state.module_states["sensorer"].read and state.module_states["sensorer"].tasks_done == {0}
    assert not state.module_states["data"].started
    _do_everything(busy)
    state = _state(busy)
    assert state.completed and state.completed_version == 2


def test_a_removed_module_no_longer_counts(package, learners):
    _done, busy = learners
    (package / "modules" / "02-sensorer.md").unlink()
    intro = package / "modules" / "01-intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace("[sensorer](02-sensorer.md)", "sensorer"),
                     encoding="utf-8")
    manifest = package / "course.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"02-sensorer.md", ', ""), encoding="utf-8")
    _reimport(package)
    state = _state(busy)
    assert list(state.module_states) == ["intro", "veien-videre"]
    assert state.summary.completed_modules == 0  # intro still needs its task
    learning.set_task(busy, catalogue.get_module("minimal", "intro"), 0, True)
    result = learning.mark_read(busy, catalogue.get_module("minimal", "veien-videre"))
    db.session.commit()
    assert result.completion is not None and _state(busy).completed


def test_an_unchanged_reimport_changes_nothing_for_learners(package, learners):
    _done, busy = learners
    before = _state(busy)
    _reimport(package)
    after = _state(busy)
    assert after.percent == before.percent and after.continue_key == before.continue_key


def _rename(package, old, new):
    (package / "modules" / old).rename(package / "modules" / new)


def test_renaming_and_reordering_module_files_keeps_progress(package, learners):
    """README: renaming and renumbering module files keeps learners' progress (each module names its key)."""
    done, busy = learners
    _rename(package, "01-intro.md", "03-innledning.md")
    _rename(package, "03-veien-videre.md", "01-veien-videre.md")
    _edit(package / "modules" / "02-sensorer.md", "(01-intro.md#", "(03-innledning.md#")
    _edit(package / "course.toml", 'modules = ["01-intro.md", "02-sensorer.md", "03-veien-videre.md"]',
          'modules = ["01-veien-videre.md", "02-sensorer.md", "03-innledning.md"]')
    _reimport(package)

    version = catalogue.get_course("minimal").current_version
    assert version.number == 2 and [e["key"] for e in version.outline] == ["veien-videre", "sensorer", "intro"]
    assert catalogue.get_module("minimal", "intro").filename == "03-innledning.md"
    state = _state(busy)
    assert state.module_states["intro"].read and state.module_states["sensorer"].tasks_done == {0}
    assert state.module_states["sensorer"].read and not state.completed
    finished = _state(done)
    assert finished.completed and finished.completed_version == 1 and finished.percent == 100
    _do_everything(busy)
    state = _state(busy)
    assert state.completed and state.completed_version == 2


def test_renaming_a_module_without_a_key_makes_it_a_new_module(package, learners):
    """The other half of the README's advice: without `key:`, the key comes from the file name."""
    _done, busy = learners
    _edit(package / "modules" / "01-intro.md", "key: intro\n", "")
    _rename(package, "01-intro.md", "01-innledning.md")
    _edit(package / "course.toml", '"01-intro.md"', '"01-innledning.md"')
    _edit(package / "modules" / "02-sensorer.md", "(01-intro.md#", "(01-innledning.md#")
    _reimport(package)
    state = _state(busy)
    assert list(state.module_states) == ["innledning", "sensorer", "veien-videre"]
    assert not state.module_states["innledning"].started and state.module_states["sensorer"].read
