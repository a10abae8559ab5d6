"""Studio drafts (services/drafts.py): a draft starts from the published version, is checked and published exactly
like `courseware import`, keeps progress by module key, and detects edits made from a stale revision."""
import pytest
from sqlalchemy import select

from courseware.errors import Conflict, ContentError, NotFound, PermissionDenied
from courseware.extensions import db
from courseware.models import Course, CourseVersion, Module, ModuleProgress, Provider, StudioEvent
from courseware.services import drafts


@pytest.fixture
def course(import_course):
    return import_course("minimal")


def _author(make_user, course):
    return make_user("author", provider_id=course.provider_id)


def test_a_draft_starts_as_the_published_package(make_user, course):
    author = _author(make_user, course)
    draft = drafts.open_draft(author, course.slug)
    paths = [f.path for f in drafts.draft_files(draft)]
    assert "course.toml" in paths
    modules = db.session.execute(select(Module).where(Module.version_id == course.current_version_id)
                                 .order_by(Module.position)).scalars().all()
    assert [p for p in paths if p.startswith("modules/")] == sorted(f"modules/{m.filename}" for m in modules)
    for module in modules:
        assert drafts.get_file(draft, f"modules/{module.filename}").text == module.source
    assert drafts.check(author, draft) == [] or not any(p.is_error for p in drafts.check(author, draft))


def test_publishing_an_unchanged_draft_makes_no_version(make_user, course):
    author = _author(make_user, course)
    draft = drafts.open_draft(author, course.slug)
    version = drafts.publish(author, draft)
    assert version.number == 1


def test_publish_makes_a_new_version_and_keeps_progress(make_user, course):
    author = _author(make_user, course)
    learner = make_user("learner")
    first = db.session.execute(select(Module).where(Module.version_id == course.current_version_id)
                               .order_by(Module.position)).scalars().first()
    db.session.add(ModuleProgress(user_id=learner.id, course_id=course.id, module_key=first.key))
    db.session.commit()
    draft = drafts.open_draft(author, course.slug)
    item = drafts.get_file(draft, f"modules/{first.filename}")
    drafts.save_text(author, draft, item.path, item.text + "\n\nEn ny avsnitt.\n", item.revision)
    version = drafts.publish(author, draft)
    db.session.commit()
    assert version.number == 2 and version.published_by_id == author.id
    assert db.session.get(Course, course.id).current_version_id == version.id
    assert db.session.execute(select(ModuleProgress).where(ModuleProgress.user_id == learner.id)).scalar_one()
    assert db.session.execute(select(StudioEvent.action).where(StudioEvent.slug == course.slug)).scalars().all() \
        == ["published"]


def test_a_draft_with_errors_is_not_published(make_user, course):
    author = _author(make_user, course)
    draft = drafts.open_draft(author, course.slug)
    manifest = drafts.get_file(draft, "course.toml")
    drafts.save_text(author, draft, "course.toml", manifest.text.replace("format = 1", "format = 99"),
                     manifest.revision)
    with pytest.raises(ContentError) as refused:
        drafts.publish(author, draft)
    assert any(p.path == "course.toml" and p.is_error for p in refused.value.problems)
    assert db.session.execute(select(CourseVersion.number).where(CourseVersion.course_id == course.id)
                              ).scalars().all() == [1]


def test_a_save_from_a_stale_revision_is_a_conflict(make_user, course):
    first, second = _author(make_user, course), _author(make_user, course)
    draft = drafts.open_draft(first, course.slug)
    item = drafts.get_file(draft, "course.toml")
    seen = item.revision
    drafts.save_text(first, draft, "course.toml", item.text + "\n# first\n", seen)
    drafts.save_text(first, draft, "course.toml", item.text, item.revision)  # the same text again: no conflict
    with pytest.raises(Conflict):
        drafts.save_text(second, draft, "course.toml", "# second\n", seen)
    assert "# second" not in drafts.get_file(draft, "course.toml").text


def test_authors_of_another_provider_cannot_open_the_draft(make_user, course):
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    stranger = make_user("author", provider_id=other.id)
    with pytest.raises(PermissionDenied):
        drafts.open_draft(stranger, course.slug)
    drafts.open_draft(_author(make_user, course), course.slug)
    with pytest.raises(PermissionDenied):
        drafts.get_draft_for(stranger, course.slug)
    with pytest.raises(PermissionDenied):
        drafts.open_draft(make_user("learner"), course.slug)
    with pytest.raises(NotFound):
        drafts.open_draft(_author(make_user, course), "finnes-ikke")


def test_a_draft_body_renders_like_the_learner_page_with_absolute_links(make_user, course):
    author = _author(make_user, course)
    draft = drafts.open_draft(author, course.slug)
    html = drafts.render_body(draft, "![Sensor](../assets/fjos-sensor.png) [neste](02-sensorer.md) "
                                     "[ute](https://example.no) <script>alert(1)</script>",
                              "/studio/courses/minimal/preview/").html
    assert 'src="/studio/courses/minimal/preview/assets/fjos-sensor.png"' in html
    assert 'href="/studio/courses/minimal/preview/sensorer"' in html
    assert 'href="https://example.no"' in html and "<script" not in html


def test_reimporting_an_unchanged_package_keeps_the_sources_an_older_import_did_not(make_user, course, courses_dir):
    """Versions imported before sources were kept get them from the next `courseware import` of the same package,
    without a new version, so the studio can open them."""
    from courseware.content.importer import import_packages

    version = db.session.get(CourseVersion, course.current_version_id)
    expected = {m.key: m.source for m in db.session.execute(select(Module).where(Module.version_id == version.id))
                .scalars()}
    version.manifest_source = None
    db.session.execute(Module.__table__.update().where(Module.version_id == version.id).values(source=None))
    db.session.commit()
    with pytest.raises(Exception):
        drafts.open_draft(_author(make_user, course), course.slug)
    db.session.rollback()
    report = import_packages([courses_dir / course.slug])
    db.session.commit()
    assert [item.slug for item in report.unchanged] == [course.slug]
    version = db.session.get(CourseVersion, course.current_version_id)
    assert version.number == 1 and version.manifest_source == (courses_dir / course.slug / "course.toml").read_text()
    assert {m.key: m.source for m in db.session.execute(select(Module).where(Module.version_id == version.id))
            .scalars()} == expected
    assert drafts.open_draft(_author(make_user, course), course.slug).course_id == course.id
