"""The studio's My courses, check and publish pages, retiring and reinstating (services/publishing.py), and the access
matrix of every route of the check/publish/versions/preview part."""
import re

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import (Course, CourseDraft, DraftFile, Enrolment, ModuleProgress, StudioEvent)
from courseware.services import catalogue, drafts, enrolment, publishing
from courseware.errors import PermissionDenied

from .certificate_factory import make_certificate
from .learning_factory import load, make_course, make_firm
from .publishing_support import SENSORER, SLUG, current_number, draft_text, edit, version_numbers, world  # noqa: F401

# Every route this part adds (GET and POST), with what the course's own staff get.
GETS = [
    "/studio/",
    f"/studio/courses/{SLUG}/check",
    f"/studio/courses/{SLUG}/versions",
    f"/studio/courses/{SLUG}/versions/1/intro",
    f"/studio/courses/{SLUG}/versions/1/assets/fjos-sensor.png",
    f"/studio/courses/{SLUG}/compare?from=1&to=1",
    f"/studio/courses/{SLUG}/history",
    f"/studio/courses/{SLUG}/preview/sensorer",
]
POSTS = [
    f"/studio/courses/{SLUG}/check",
    f"/studio/courses/{SLUG}/publish",
    f"/studio/courses/{SLUG}/versions/1/restore",
    f"/studio/courses/{SLUG}/retire",
    f"/studio/courses/{SLUG}/reinstate",
    f"/studio/courses/{SLUG}/preview/sensorer",
]
STAFF = {"author_own", "admin"}


@pytest.mark.parametrize("role", ["anonymous", "author_own", "author_other", "learner", "funder", "admin"])
def test_access_matrix(client, login, world, role):
    if role == "anonymous":
        for url in GETS + POSTS:
            response = client.get(url) if url in GETS else client.post(url)
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
        return
    login(world.people[role])
    gets = [client.get(url).status_code for url in GETS]
    posts = [client.post(url, data={"confirm": "y"}).status_code for url in POSTS]
    if role in STAFF:
        assert gets == [200] * len(GETS)
        assert posts == [302, 302, 302, 302, 302, 200]  # the preview's quiz answers on its own page
    elif role == "author_other":
        assert gets == [200] + [403] * (len(GETS) - 1)  # their own (empty) My courses, nothing of this course
        assert posts == [403] * len(POSTS)
    else:
        assert gets == [403] * len(GETS) and posts == [403] * len(POSTS)
    if role not in STAFF:  # nothing was checked, published, restored or retired by a stranger
        assert db.session.execute(select(CourseDraft)).scalars().all() == []
        assert db.session.get(Course, world.course.id).retired_at is None
        assert version_numbers() == [1]


def test_an_unknown_course_is_404(client, login, world):
    login(world.people["author_own"])
    assert client.get("/studio/courses/finnes-ikke/check").status_code == 404
    assert client.post("/studio/courses/finnes-ikke/publish").status_code == 404
    assert client.get(f"/studio/courses/{SLUG}/preview/finnes-ikke").status_code == 404
    assert client.get(f"/studio/courses/{SLUG}/versions/9/intro").status_code == 404


# --- check --------------------------------------------------------------------------------------------------------

BROKEN_LINE = "Se også ![Bilde](../assets/finnes-ikke.png) her."


def _break_sensorer(text: str) -> str:
    return text.replace("## Typer sensorer", "## Typer sensorer\n\n" + BROKEN_LINE)


def test_check_shows_each_problem_at_its_module_and_line(client, login, world):
    author = login(world.people["author_own"])
    edit(author, SENSORER, _break_sensorer)
    line = draft_text(author, SENSORER).split("\n").index(BROKEN_LINE) + 1
    response = client.post(f"/studio/courses/{SLUG}/check")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/studio/courses/{SLUG}/check")
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    section = html[html.index("Module: Sensorer i fjøset"):]
    assert "(modules/02-sensorer.md)" in section[:200]
    problem = re.search(r'<li class="problem problem-error" data-line="(\d+)" data-code="(E14\d)">(.*?)</li>',
                        section, re.S)
    assert problem and int(problem.group(1)) == line
    assert f"Line {line}" in problem.group(3) and "finnes-ikke.png" in problem.group(3)
    assert "Error" in problem.group(3)  # in words, not colour alone
    assert "Se også ![Bilde](../assets/finnes-ikke.png) her." in problem.group(3)  # the source line itself
    assert "1 error" in html and 'id="check-stale"' not in html


def test_a_clean_check_says_so_and_a_later_edit_marks_it_out_of_date(client, login, world):
    author = login(world.people["author_own"])
    assert "Not checked yet" in client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    client.post(f"/studio/courses/{SLUG}/check")
    draft = drafts.get_draft_for(author, SLUG)
    assert draft.check_problems == []
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    assert "No problems found" in html and 'id="check-stale"' not in html
    edit(author, SENSORER, lambda text: text + "\nMer tekst.\n")
    assert 'id="check-stale"' in client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)


# --- publish ------------------------------------------------------------------------------------------------------

def test_publish_is_refused_while_errors_remain_and_nothing_changes(client, login, world):
    author = login(world.people["author_own"])
    before = db.session.get(Course, world.course.id).current_version_id
    edit(author, SENSORER, _break_sensorer)
    response = client.post(f"/studio/courses/{SLUG}/publish")
    assert response.headers["Location"].endswith(f"/studio/courses/{SLUG}/check#publish")
    assert version_numbers() == [1] and db.session.get(Course, world.course.id).current_version_id == before
    assert not db.session.execute(select(StudioEvent).where(StudioEvent.action == "published")).first()
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    assert "Not published: the course has 1 error." in html and 'data-code="E142"' in html
    assert "cannot be published while it has errors" in html


def _drop_objectives(text: str) -> str:
    """Module 3 without its objectives: warning W122, no error."""
    return text.replace('objectives = ["Lage en plan for neste steg"]\n', "")


def test_publish_with_warnings_needs_a_confirmation_for_what_was_seen(client, login, world):
    author = login(world.people["author_own"])
    edit(author, "modules/03-veien-videre.md", _drop_objectives)
    first = client.post(f"/studio/courses/{SLUG}/publish")
    assert first.headers["Location"].endswith("#publish") and version_numbers() == [1]
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    assert "Publish despite 1 warning" in html and 'data-code="W122"' in html
    revision = int(re.search(r'name="revision" type="hidden" value="(\d+)"', html).group(1))
    # Ticked, but the draft changed after the author looked: they must look again.
    edit(author, SENSORER, lambda text: text + "\nEn setning til.\n")
    client.post(f"/studio/courses/{SLUG}/publish", data={"accept_warnings": "y", "revision": str(revision)})
    assert version_numbers() == [1]
    revision = drafts.get_draft_for(author, SLUG).revision
    done = client.post(f"/studio/courses/{SLUG}/publish", data={"accept_warnings": "y", "revision": str(revision)})
    assert done.headers["Location"].endswith(f"/studio/courses/{SLUG}/versions")
    assert version_numbers() == [1, 2] and current_number() == 2
    assert "Published as version 2" in client.get(f"/studio/courses/{SLUG}/versions").get_data(as_text=True)


def test_publish_makes_the_next_version_and_keeps_progress(client, login, world, make_user):
    firm = make_firm()
    learner = make_user("learner", firm_id=firm.id)
    enrolment.enrol(learner, load(world.course))
    db.session.add(ModuleProgress(user_id=learner.id, course_id=world.course.id, module_key="sensorer"))
    db.session.commit()
    author = login(world.people["author_own"])
    edit(author, SENSORER, lambda text: text.replace("Tilbake til", "Gå tilbake til"))
    client.post(f"/studio/courses/{SLUG}/publish")
    assert version_numbers() == [1, 2]
    assert db.session.execute(select(ModuleProgress).where(ModuleProgress.user_id == learner.id)).scalar_one()
    assert db.session.execute(select(Enrolment).where(Enrolment.user_id == learner.id)).scalar_one()
    version = load(world.course).current_version
    assert version.number == 2 and version.published_by_id == author.id
    assert "Gå tilbake til" in catalogue.get_module(SLUG, "sensorer").html


def test_a_double_click_publishes_once(client, login, world):
    author = login(world.people["author_own"])
    edit(author, SENSORER, lambda text: text + "\nNytt avsnitt.\n")
    client.post(f"/studio/courses/{SLUG}/publish")
    second = client.post(f"/studio/courses/{SLUG}/publish")
    assert second.status_code == 302 and version_numbers() == [1, 2]
    assert db.session.execute(select(StudioEvent.version_number).where(StudioEvent.action == "published")
                              ).scalars().all() == [2]
    assert "Nothing to publish: version 2" in client.get(second.headers["Location"]).get_data(as_text=True)


# --- retire -------------------------------------------------------------------------------------------------------

def test_retiring_hides_the_course_and_stops_enrolment_while_learners_keep_it(client, login, world, make_user):
    firm = make_firm()
    enrolled = make_user("learner", firm_id=firm.id, locale="en")
    newcomer = make_user("learner", firm_id=firm.id, locale="en")
    enrolment.enrol(enrolled, load(world.course))
    db.session.add(ModuleProgress(user_id=enrolled.id, course_id=world.course.id, module_key="intro"))
    db.session.commit()
    certificate = make_certificate(enrolled, world.course)
    assert [c.slug for c in catalogue.list_courses(catalogue.CatalogueFilters()).items] == [SLUG]

    author = login(world.people["author_own"])
    unconfirmed = client.post(f"/studio/courses/{SLUG}/retire")
    assert unconfirmed.status_code == 302 and db.session.get(Course, world.course.id).retired_at is None
    client.post(f"/studio/courses/{SLUG}/retire", data={"confirm": "y"})
    client.post(f"/studio/courses/{SLUG}/retire", data={"confirm": "y"})  # a double click: one history line
    assert db.session.get(Course, world.course.id).retired_at is not None
    assert "Retired" in client.get("/studio/").get_data(as_text=True)

    # Gone from the catalogue and its filters.
    assert catalogue.list_courses(catalogue.CatalogueFilters()).items == []
    assert catalogue.list_courses(catalogue.CatalogueFilters(provider="test-naeringshage")).items == []
    assert catalogue.list_filter_options() == {"providers": [], "industries": [], "stages": []}
    client.get("/")  # the public catalogue page
    assert "Minimalkurs" not in client.get("/").get_data(as_text=True)

    # No new enrolments, with a clear message.
    with pytest.raises(PermissionDenied) as refused:
        enrolment.enrol(newcomer, load(world.course))
    assert refused.value.details["reason"] == "retired"
    login(newcomer)
    response = client.post(f"/me/courses/{SLUG}/enrol", follow_redirects=True)
    assert "retired and takes no new enrolments" in response.get_data(as_text=True)
    assert enrolment.find_enrolment(newcomer, world.course) is None

    # The enrolled learner still opens it, keeps progress, and the certificate verifies.
    login(enrolled)
    assert client.get(f"/courses/{SLUG}").status_code == 200
    assert client.get(f"/courses/{SLUG}/intro").status_code == 200
    assert enrolment.enrol(enrolled, load(world.course)).change is None
    assert db.session.execute(select(ModuleProgress).where(ModuleProgress.user_id == enrolled.id)).scalar_one()
    from courseware.services.certificate_codes import format_code
    verified = client.get(f"/verify/{format_code(certificate.code)}")
    assert verified.status_code == 200 and "Valid certificate" in verified.get_data(as_text=True)

    # Reinstated: back in the catalogue; both lines are in the history.
    login(author)
    client.post(f"/studio/courses/{SLUG}/reinstate")
    assert [c.slug for c in catalogue.list_courses(catalogue.CatalogueFilters()).items] == [SLUG]
    actions = [e.action for e, _name in publishing.course_history(author, SLUG)]
    assert actions == ["reinstated", "retired"]


# --- My courses ---------------------------------------------------------------------------------------------------

def _draft_only(provider_id: int, slug: str, title: str) -> CourseDraft:
    draft = CourseDraft(slug=slug, provider_id=provider_id)
    db.session.add(draft)
    db.session.flush()
    db.session.add(DraftFile(draft_id=draft.id, path="course.toml", kind="manifest",
                             text=f'format = 1\ntitle = "{title}"\nprovider = "test-naeringshage"\n'))
    db.session.commit()
    return draft


def test_my_courses_shows_status_versions_checks_and_learners(client, login, world):
    author = login(world.people["author_own"])
    _draft_only(world.course.provider_id, "nytt-kurs", "Et helt nytt kurs")
    make_course("pensjonert", title="Pensjonert kurs", provider_slug="test-naeringshage")
    db.session.execute(Course.__table__.update().where(Course.slug == "pensjonert").values(
        retired_at=db.func.current_timestamp()))
    make_course("fremmed", title="Fremmed kurs", provider_slug="annen-hage")
    db.session.commit()
    html = client.get("/studio/").get_data(as_text=True)

    def row(slug):
        return re.search(rf'<tr id="course-{slug}" data-status="(\w+)">(.*?)</tr>', html, re.S)

    assert row("minimal").group(1) == "published" and "Version 1" in row("minimal").group(2)
    assert "Not checked" in row("minimal").group(2)
    assert row("nytt-kurs").group(1) == "draft" and "Et helt nytt kurs" in row("nytt-kurs").group(2)
    assert "Draft only" in row("nytt-kurs").group(2)
    assert row("pensjonert").group(1) == "retired" and "Retired" in row("pensjonert").group(2)
    assert row("fremmed") is None and "Fremmed kurs" not in html
    assert f'href="/studio/courses/{SLUG}/versions"' in row("minimal").group(2)

    edit(author, SENSORER, _break_sensorer)
    client.post(f"/studio/courses/{SLUG}/check")
    html = client.get("/studio/").get_data(as_text=True)
    assert row("minimal").group(1) == "changed" and "Published, with unpublished changes" in row("minimal").group(2)
    assert "1 error" in row("minimal").group(2)

    login(world.people["admin"])
    html = client.get("/studio/").get_data(as_text=True)
    assert row("fremmed") and row("nytt-kurs")


def test_my_courses_runs_a_fixed_number_of_queries(client, login, world, count_queries):
    login(world.people["author_own"])
    counts = []
    for batch in range(2):
        for n in range(2 if batch == 0 else 6):
            make_course(f"kurs-{batch}-{n}", title=f"Kurs {batch} {n}", provider_slug="test-naeringshage")
            _draft_only(world.course.provider_id, f"utkast-{batch}-{n}", f"Utkast {batch} {n}")
        drafts.check(world.people["author_own"], drafts.open_draft(world.people["author_own"], SLUG))
        db.session.commit()
        client.get("/studio/")
        with count_queries() as counter:
            assert client.get("/studio/").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8, counts


def test_the_checkers_messages_come_in_the_authors_language(client, login, world, make_user):
    author = login(make_user("author", provider_id=world.course.provider_id, locale="nb"))
    edit(author, SENSORER, _break_sensorer)
    client.post(f"/studio/courses/{SLUG}/check")
    html = client.get(f"/studio/courses/{SLUG}/check").get_data(as_text=True)
    assert "bildet &#39;finnes-ikke.png&#39; finnes ikke i assets/" in html
    assert "does not exist in assets/" not in html


def test_a_draft_of_a_new_course_is_published_as_its_first_version(client, login, world):
    from courseware.models import CourseVersion

    author = login(world.people["author_own"])
    draft = CourseDraft(slug="nytt-kurs", provider_id=world.course.provider_id, updated_by_id=author.id)
    db.session.add(draft)
    db.session.flush()
    files = drafts.version_files(db.session.get(CourseVersion, world.course.current_version_id))
    for item in files:
        if item.path == "course.toml":
            item.text = item.text.replace("Minimalkurs – Trinn 1", "Et nytt kurs")
    drafts.replace_files(author, draft, files)
    db.session.commit()
    assert 'data-status="draft"' in client.get("/studio/").get_data(as_text=True)
    assert "The course has not been published yet" in client.get(
        "/studio/courses/nytt-kurs/versions").get_data(as_text=True)
    client.post("/studio/courses/nytt-kurs/publish")
    course = db.session.execute(select(Course).where(Course.slug == "nytt-kurs")).scalar_one()
    version = db.session.get(CourseVersion, course.current_version_id)
    assert version.number == 1 and version.title == "Et nytt kurs" and version.published_by_id == author.id
    html = client.get("/studio/").get_data(as_text=True)
    assert re.search(r'<tr id="course-nytt-kurs" data-status="published">', html)
    assert {c.slug for c in catalogue.list_courses(catalogue.CatalogueFilters()).items} == {"nytt-kurs", SLUG}
