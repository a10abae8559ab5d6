"""Progress rules at the service level: what completes a module and a course, exactly-once completion and its
e-mail, content updates, summaries for lists, and "continue where you left off"."""
import pytest

from courseware.errors import PermissionDenied
from courseware.extensions import db
from courseware.models import Completion, ModuleProgress, TaskCheck
from courseware.services import enrolment, outbox, learning, module_page, progress, quiz

from .learning_factory import DEFAULT_MODULES, answers_for, commit_and_deliver, get_module, load, make_course, make_firm, publish


@pytest.fixture
def course(app):
    return make_course("kurs")


@pytest.fixture
def learner(make_user, course):
    user = make_user("learner", firm_id=make_firm().id)
    enrolment.enrol(user, load(course))
    assert commit_and_deliver() == 1  # the enrolment confirmation
    return user


def _state(user, course):
    return progress.course_progress(user, load(course))


def _finish_all(user, course, skip=None):
    """Do every requirement of every module except `skip` = (key, what)."""
    for entry in load(course).current_version.outline:
        module = get_module(course, entry["key"])
        if skip != (module.key, "read"):
            learning.mark_read(user, module)
        for index in range(len(module.tasks)):
            if skip != (module.key, f"task{index}"):
                learning.set_task(user, module, index, True)
        if module.has_quiz and skip != (module.key, "quiz"):
            learning.submit_quiz(user, module, answers_for(module), token=quiz.new_token())
    db.session.commit()


@pytest.mark.parametrize("skip", [("intro", "read"), ("intro", "task0"), ("sensorer", "task1"),
                                  ("sensorer", "quiz"), ("veien-videre", "read")])
def test_course_completes_only_when_every_requirement_is_met(learner, course, skip):
    _finish_all(learner, course, skip=skip)
    state = _state(learner, course)
    assert not state.completed and state.percent == 66
    assert not state.module_states[skip[0]].done
    assert state.continue_key == skip[0]
    assert db.session.query(Completion).count() == 0


def test_completion_is_recorded_once_with_firm_and_version(learner, course):
    _finish_all(learner, course)
    assert outbox.deliver() == 1  # the completion e-mail
    learning.mark_read(learner, get_module(course, "intro"))  # more actions after completion change nothing
    db.session.commit()
    assert outbox.deliver() == 0
    completion = db.session.execute(db.select(Completion)).scalar_one()
    assert (completion.user_id, completion.firm_id, completion.version_id) == (
        learner.id, learner.firm_id, course.current_version_id)
    state = _state(learner, course)
    assert state.completed and state.percent == 100 and state.completed_version == 1


def test_module_without_tasks_or_quiz_needs_only_reading(learner, course):
    result = learning.mark_read(learner, get_module(course, "veien-videre"))
    assert result.state.done and result.completion is None


def test_marking_read_twice_keeps_one_row(learner, course):
    module = get_module(course, "intro")
    first = learning.mark_read(learner, module)
    db.session.commit()
    learning.mark_read(learner, get_module(course, "intro"))
    learning.set_task(learner, module, 0, True)
    learning.set_task(learner, module, 0, True)
    db.session.commit()
    assert db.session.query(ModuleProgress).count() == 1
    assert db.session.query(TaskCheck).count() == 1
    assert first.state.read and not first.state.done


def test_actions_need_an_active_enrolment(make_user, course):
    stranger = make_user("learner", firm_id=make_firm().id)
    with pytest.raises(PermissionDenied):
        learning.mark_read(stranger, get_module(course, "intro"))
    assert module_page.module_page_state(stranger, get_module(course, "intro")) is None
    assert progress.course_progress(stranger, load(course)) is None


def test_rolled_back_completion_sends_no_mail(learner, course):
    _finish_all(learner, course, skip=("veien-videre", "read"))
    outbox.deliver()
    result = learning.mark_read(learner, get_module(course, "veien-videre"))
    assert result.completion is not None
    db.session.rollback()
    db.session.commit()
    assert outbox.deliver() == 0
    assert db.session.query(Completion).count() == 0


def test_new_module_is_required_for_learners_in_progress(learner, course, make_user):
    finisher = make_user("learner", firm_id=learner.firm_id)
    enrolment.enrol(finisher, load(course))
    _finish_all(finisher, course)
    _finish_all(learner, course, skip=("veien-videre", "read"))
    publish(course, DEFAULT_MODULES + [{"key": "ny", "title": "Ny modul"}])

    state = _state(learner, course)
    assert list(state.module_states) == ["intro", "sensorer", "veien-videre", "ny"]
    assert state.percent == 50 and not state.completed
    learning.mark_read(learner, get_module(course, "veien-videre"))
    db.session.commit()
    assert not _state(learner, course).completed  # the new module is required now
    result = learning.mark_read(learner, get_module(course, "ny"))
    db.session.commit()
    assert result.completion is not None and result.completion.version_id == course.current_version_id

    # Whoever completed before the update stays completed, on the version they completed.
    done = _state(finisher, course)
    assert done.completed and done.percent == 100 and done.completed_version == 1
    assert not done.module_states["ny"].done


def test_removed_module_no_longer_counts(learner, course):
    _finish_all(learner, course, skip=("sensorer", "quiz"))
    assert not _state(learner, course).completed
    publish(course, [m for m in DEFAULT_MODULES if m["key"] != "sensorer"])
    state = _state(learner, course)
    assert state.percent == 100 and list(state.module_states) == ["intro", "veien-videre"]
    # The next action completes the course against the current outline.
    result = learning.mark_read(learner, get_module(course, "intro"))
    db.session.commit()
    assert result.completion is not None


def test_progress_is_kept_by_module_key_across_versions(learner, course):
    learning.mark_read(learner, get_module(course, "sensorer"))
    learning.set_task(learner, get_module(course, "sensorer"), 1, True)
    db.session.commit()
    reordered = [DEFAULT_MODULES[1], DEFAULT_MODULES[2], DEFAULT_MODULES[0]]
    publish(course, reordered)
    state = _state(learner, course)
    assert state.module_states["sensorer"].read and state.module_states["sensorer"].tasks_done == {1}


def test_a_removed_task_does_not_count(learner, course):
    module = get_module(course, "sensorer")
    learning.set_task(learner, module, 1, True)
    db.session.commit()
    changed = [dict(m) for m in DEFAULT_MODULES]
    changed[1]["tasks"] = ["Finn målingene"]
    publish(course, changed)
    assert _state(learner, course).module_states["sensorer"].tasks_done == set()


def test_continue_key_follows_the_last_module_touched(learner, course):
    assert _state(learner, course).continue_key == "intro"
    learning.mark_read(learner, get_module(course, "sensorer"))
    db.session.commit()
    assert _state(learner, course).continue_key == "sensorer"
    learning.mark_read(learner, get_module(course, "veien-videre"))  # done: go on to the first unfinished one
    db.session.commit()
    assert _state(learner, course).continue_key == "intro"


def test_progress_summaries_for_many_users_in_three_queries(make_user, course, count_queries):
    other = make_course("annet", modules=[{"key": "a", "title": "A"}, {"key": "b", "title": "B"}])
    firm = make_firm()
    users = [make_user("learner", firm_id=firm.id) for _ in range(4)]
    for user in users:
        enrolment.enrol(user, load(course))
        enrolment.enrol(user, load(other))
    learning.mark_read(users[0], get_module(other, "a"))
    learning.mark_read(users[1], get_module(other, "a"))
    learning.mark_read(users[1], get_module(other, "b"))
    db.session.commit()
    ids = [u.id for u in users]
    with count_queries() as counter:
        summaries = progress.progress_summaries(ids)
    assert counter.count == 3, counter
    assert len(summaries) == 8
    assert summaries[(users[0].id, other.id)].percent == 50
    assert summaries[(users[1].id, other.id)].completed and summaries[(users[1].id, other.id)].completed_at
    assert summaries[(users[2].id, course.id)].total_modules == 3
    only = progress.progress_summaries([users[0].id], [other.id])
    assert list(only) == [(users[0].id, other.id)]
    assert progress.progress_summaries([]) == {}
