"""The world of the studio publishing tests: the "minimal" fixture course (imported, so every version keeps its
sources), its provider's author, an author of another provider, a learner, a funder and an admin; and helpers that
edit the draft through services/drafts.py as the editor does."""
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import Course, CourseVersion, Module, Provider
from courseware.services import drafts

SLUG = "minimal"
SENSORER = "modules/02-sensorer.md"


@dataclass
class World:
    course: Course
    people: dict


@pytest.fixture
def world(import_course, make_user):
    course = import_course("minimal")
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    people = {
        "author_own": make_user("author", provider_id=course.provider_id, locale="en", name="Åse Forfatter"),
        "author_other": make_user("author", provider_id=other.id, locale="en"),
        "learner": make_user("learner", locale="en"),
        "funder": make_user("funder", locale="en"),
        "admin": make_user("admin", locale="en"),
    }
    return World(course, people)


def edit(user, path: str, change) -> None:
    """Save `change(old text)` as the draft's new text of `path` (committed)."""
    draft = drafts.open_draft(user, SLUG)
    item = drafts.get_file(draft, path)
    drafts.save_text(user, draft, path, change(item.text), item.revision)
    db.session.commit()


def draft_text(user, path: str) -> str:
    return drafts.get_file(drafts.open_draft(user, SLUG), path).text


def version_numbers() -> list[int]:
    return list(db.session.execute(select(CourseVersion.number).join(Course, Course.id == CourseVersion.course_id)
                                   .where(Course.slug == SLUG).order_by(CourseVersion.number)).scalars())


def current_number() -> int:
    return db.session.execute(select(CourseVersion.number).join(Course, Course.current_version_id == CourseVersion.id)
                              .where(Course.slug == SLUG)).scalar_one()


def module_count() -> int:
    return db.session.execute(select(func.count(Module.id))).scalar_one()
