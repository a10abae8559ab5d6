"""Web tests for the public pages: catalogue, course page, module page, assets, language, errors."""
import pytest

from courseware.extensions import db
from courseware.models import Course


@pytest.fixture
def two_courses(import_course):
    first = import_course("minimal")
    second = import_course("minimal-trinn-2")
    return first, second


def outline_of(slug):
    """The current outline, read fresh (commits expire loaded objects)."""
    from courseware.services.catalogue import get_course

    return get_course(slug).current_version.outline


def test_empty_catalogue_explains_what_to_do(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "courseware import" in page.get_data(as_text=True)


def test_catalogue_lists_published_courses(client, two_courses):
    html = client.get("/").get_data(as_text=True)
    for course in two_courses:
        assert course.current_version.title in html
        assert f'href="/courses/{course.slug}"' in html


@pytest.mark.parametrize("args, expect_first, expect_second", [
    ("stage=1", True, False),
    ("stage=2", False, True),
    ("stage=7", False, False),
    ("provider=test-naeringshage", True, True),
    ("provider=nobody", False, False),
    ("industry=A", True, False),
    ("industry=c", False, True),
    ("q=TRINN+2", False, True),
    ("stage=abc&industry=%3Cscript%3E&provider=", True, True),  # odd filters are ignored (pages: test_hostile_input)
])
def test_catalogue_filters(client, two_courses, args, expect_first, expect_second):
    first, second = two_courses
    page = client.get(f"/?{args}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (f'href="/courses/{first.slug}"' in html) is expect_first
    assert (f'href="/courses/{second.slug}"' in html) is expect_second


def test_catalogue_paginates(client, import_course, app):
    app.config["PAGE_SIZE"] = 1
    import_course("minimal")
    import_course("minimal-trinn-2")
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    assert "?page=2" in first and "/courses/minimal-trinn-2" not in first
    assert "/courses/minimal-trinn-2" in second


def test_course_page_shows_summary_provider_partners_modules(client, two_courses):
    first, second = two_courses
    version = first.current_version
    html = client.get(f"/courses/{first.slug}").get_data(as_text=True)
    assert version.title in html and version.summary in html
    assert "Test Næringshage" in html
    for partner in version.partners:
        assert partner["name"] in html
    for entry in version.outline:
        assert entry["title"] in html
    # the second course lists the first as a prerequisite
    html2 = client.get(f"/courses/{second.slug}").get_data(as_text=True)
    assert f'href="/courses/{first.slug}"' in html2


def test_unknown_course_and_module_are_friendly_404s(client, two_courses, login_as):
    assert client.get("/courses/finnes-ikke").status_code == 404
    login_as("learner")
    page = client.get("/courses/minimal/finnes-ikke")
    assert page.status_code == 404
    assert "<html" in page.get_data(as_text=True)


def test_module_page_needs_login(client, two_courses):
    key = two_courses[0].current_version.outline[0]["key"]
    page = client.get(f"/courses/minimal/{key}")
    assert page.status_code == 302
    assert "/auth/login" in page.headers["Location"]


@pytest.mark.parametrize("role", ["learner", "author", "funder", "admin"])
def test_module_page_for_each_role(client, two_courses, login_as, role):
    login_as(role)
    for entry in outline_of("minimal"):
        page = client.get(f"/courses/minimal/{entry['key']}")
        assert page.status_code == 200
        assert entry["title"] in page.get_data(as_text=True)


def test_module_page_query_count(client, two_courses, login_as, count_queries):
    login_as("learner")
    key = outline_of("minimal")[1]["key"]
    client.get(f"/courses/minimal/{key}")  # warm caches (Babel, templates, the module view)
    with count_queries() as counter:
        assert client.get(f"/courses/minimal/{key}").status_code == 200
    assert counter.count <= 1, counter


def test_asset_served_with_type_and_cache_headers(client, two_courses):
    version = two_courses[0].current_version
    from courseware.models import Asset

    asset = db.session.execute(db.select(Asset).filter_by(version_id=version.id)).scalars().first()
    page = client.get(f"/courses/minimal/assets/{asset.path}")
    page.close()
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith(asset.content_type)
    assert "max-age" in page.headers["Cache-Control"]
    assert page.headers.get("ETag")
    again = client.get(f"/courses/minimal/assets/{asset.path}", headers={"If-None-Match": page.headers["ETag"]})
    again.close()
    assert again.status_code == 304


@pytest.mark.parametrize("path", [
    "../course.toml", "..%2Fcourse.toml", "%2e%2e/course.toml", "../modules/01-intro.md",
    "/etc/passwd", "..\\course.toml", "nope.png",
])
def test_assets_only_from_inside_the_package(client, two_courses, path):
    page = client.get(f"/courses/minimal/assets/{path}")
    assert page.status_code in (404, 308)


def test_language_switch_changes_the_page_language(client):
    client.post("/language", data={"lang": "nb", "next": "/"})
    assert 'lang="nb"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/"})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "nn", "next": "/"})
    assert 'lang="nn"' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_language_and_offsite_next(client):
    page = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert page.status_code == 302
    assert page.headers["Location"] in ("/", "http://localhost/")


def test_browser_language_is_respected(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html
    html = client.get("/", headers={"Accept-Language": "nn-NO,nn;q=0.9"}).get_data(as_text=True)
    assert 'lang="nn"' in html


def test_course_slug_survives_reimport(import_course, client):
    course = import_course("minimal")
    course_id = course.id
    from courseware.content.importer import import_packages

    report = import_packages(None)
    db.session.commit()
    assert [i.slug for i in report.unchanged] == ["minimal"]
    assert db.session.execute(db.select(Course.id).filter_by(slug="minimal")).scalar_one() == course_id


def test_module_title_comes_first_then_objectives_then_text(client, two_courses, login_as):
    """One h1 (the module's own title) before the objectives, and the text after them."""
    login_as("learner")
    entry = outline_of("minimal")[0]
    html = client.get(f"/courses/minimal/{entry['key']}").get_data(as_text=True)
    assert html.count("<h1") == 1
    h1, objectives, article = html.index("<h1"), html.index('class="objectives"'), html.index('<article')
    assert h1 < objectives < article


def test_split_heading():
    from courseware.web.templating import split_heading

    assert split_heading('<h1 id="a">T</h1>\n<p>x</p>') == ('<h1 id="a">T</h1>', "\n<p>x</p>")
    assert split_heading("<p>x</p><h1>T</h1>") == ("", "<p>x</p><h1>T</h1>")


def test_catalogue_folds_the_other_filters_until_one_is_chosen(client, two_courses):
    plain = client.get("/").get_data(as_text=True)
    assert '<details class="more-filters">' in plain and "More filters</summary>" in plain
    chosen = client.get("/?stage=1&industry=A").get_data(as_text=True)
    assert '<details class="more-filters" open>' in chosen and "More filters (2 chosen)" in chosen
    searched = client.get("/?q=melk").get_data(as_text=True)
    assert '<details class="more-filters">' in searched  # the search field is outside the fold
