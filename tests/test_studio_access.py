"""The studio's access matrix (issue 11): every studio route, GET and POST, taken from the URL map, asked by an
author of the course's provider, an author of another provider, a learner, a funder, an anonymous visitor and an
admin. Nobody but the course's own staff (and admins) sees, edits, previews, publishes or exports it, by the UI or by
guessing URLs, and the refused requests change nothing."""
import pytest
from sqlalchemy import func, select

from courseware.extensions import db
from courseware.models import (Course, CourseDraft, CourseVersion, DraftFile, Provider, StaffInvitation, StudioEvent)

from .world import build_world, log_in

# Studio pages that are not about one course: any author may open them, and they must show only their own courses.
NOT_ONE_COURSE = {"studio.index", "studio.new_course", "studio.upload_package", "studio.reports",
                  "studio.report_export"}


def _studio_rules(app, method):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("studio.") and method in rule.methods),
                  key=lambda rule: rule.rule)


def _state():
    """What a refused request must not change: drafts, their files, versions, courses, history."""
    counts = tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                   for model in (CourseDraft, DraftFile, CourseVersion, StudioEvent, StaffInvitation))
    drafts = db.session.execute(select(CourseDraft.slug, CourseDraft.revision).order_by(CourseDraft.slug)).all()
    retired = db.session.execute(select(Course.slug, Course.retired_at).order_by(Course.slug)).all()
    return counts, drafts, retired


@pytest.fixture
def world(make_user):
    return build_world(make_user)


@pytest.fixture
def stranger(make_user):
    """An author of another provider."""
    other = Provider(slug="annen-naeringshage", name="Annen Næringshage")
    db.session.add(other)
    db.session.commit()
    return make_user("author", provider_id=other.id, name="Annen Forfatter")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_nobody_but_the_courses_staff_gets_at_a_course(app, client, world, stranger, method):
    rules = _studio_rules(app, method)
    assert rules, "the studio has routes"
    title = db.session.execute(select(CourseVersion.title).join(Course, Course.current_version_id == CourseVersion.id)
                               .where(Course.slug == world.course_slug)).scalar_one()
    before = _state()
    personas = {"learner": world.new_user("learner"), "funder": world.new_user("funder"), "stranger": stranger,
                "anonymous": None}
    for rule in rules:
        url = world.url(rule)
        for name, user in personas.items():
            log_in(client, user)
            response = client.open(url, method=method, data=world.form_data(rule.endpoint))
            status = response.status_code
            where = f"{method} {url} as {name}: {status}"
            if name == "anonymous":
                assert status in (302, 401) and (status == 401 or "/auth/login" in response.location), where
            elif name == "stranger" and rule.endpoint in NOT_ONE_COURSE:
                assert status in (200, 302, 400, 405, 409), where  # their own page, which must not show ours
                assert title.encode() not in response.get_data(), where
            else:
                assert status in (403, 404), where
    assert _state() == before, "a refused request changed something"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_courses_authors_and_admins_get_every_studio_route(app, client, world, method):
    """The other side of the matrix: none of those routes refuses the course's own author or an admin (a 400 for
    a form sent empty is fine: it got past the access check). The maker space routes are a library's staff's."""
    for rule in _studio_rules(app, method):
        url = world.url(rule)
        staff = ((world.new_user("librarian"),) if rule.endpoint.startswith("studio.workshop_")
                 else (world.new_user("author"), world.new_user("admin")))
        for user in staff:
            log_in(client, user)
            response = client.open(url, method=method, data=world.form_data(rule.endpoint))
            assert response.status_code not in (401, 403, 404) or _missing_on_purpose(rule.endpoint), (
                f"{method} {url} as {user.role}: {response.status_code}")
            assert response.status_code < 500, f"{method} {url} as {user.role}: {response.status_code}"


def _missing_on_purpose(endpoint: str) -> bool:
    """Routes whose path names a file the route-test course does not have (it has no assets): 404 is right there;
    tests/test_studio_assets.py covers them with real files."""
    return endpoint in ("studio.draft_asset", "studio.version_asset")
