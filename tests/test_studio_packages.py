"""Studio zips (services/packages.py): a version or the draft downloads in the COURSE_FORMAT.md layout that the
checker accepts and the importer turns into identical modules, the same bytes every time; an uploaded zip becomes a
draft only when every check passes, and every malicious or broken zip is refused with nothing changed."""
import hashlib
import io
import zipfile

import pytest
from sqlalchemy import select

from courseware.content.checker import check_packages
from courseware.content.importer import import_packages
from courseware.extensions import db
from courseware.models import Asset, Course, CourseDraft, CourseVersion, Module, Provider, StudioEvent
from courseware.services import drafts
from courseware.storage import media_store

from .packages_support import PNG, make_zip, package_files, snapshot, unpack


@pytest.fixture
def app_config():
    # Low caps so that the zip bomb and the entry-count tests stay small.
    return {"STUDIO_ZIP_MAX_ENTRIES": 40, "STUDIO_ZIP_MAX_MB": 2, "MAX_ASSET_MB": 1}


@pytest.fixture
def world(import_course, make_user):
    """The course "minimal" (provider test-naeringshage, version 1) and one person of every kind."""
    course = import_course("minimal")
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    people = {
        "author_own": make_user("author", provider_id=course.provider_id, locale="en"),
        "author_other": make_user("author", provider_id=other.id, locale="en"),
        "learner": make_user("learner", locale="en"),
        "funder": make_user("funder", locale="en"),
        "admin": make_user("admin", locale="en"),
    }
    return course, other, people


def _modules(course_slug):
    course = db.session.execute(select(Course).where(Course.slug == course_slug)).scalar_one()
    return {m.key: m.html for m in db.session.execute(
        select(Module).where(Module.version_id == course.current_version_id)).scalars()}


def _assets(course_slug):
    course = db.session.execute(select(Course).where(Course.slug == course_slug)).scalar_one()
    return {a.path: a.sha256 for a in db.session.execute(
        select(Asset).where(Asset.version_id == course.current_version_id)).scalars()}


def _upload(client, data: bytes, slug: str | None = None, replace: str | None = None, name="kurs.zip"):
    url = "/studio/upload" + (f"?slug={replace}" if replace else "")
    form = {"file": (io.BytesIO(data), name)}
    if slug:
        form["slug"] = slug
    return client.post(url, data=form, content_type="multipart/form-data")


# --- out ------------------------------------------------------------------------------------------------------

def test_a_version_zip_is_the_package_the_checker_accepts_and_imports_to_identical_modules(
        client, login, world, tmp_path):
    course, _other, people = world
    login(people["author_own"])
    response = client.get("/studio/courses/minimal/versions/1.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'filename="minimal-v1.zip"' in response.headers["Content-Disposition"]
    data = response.data
    assert client.get("/studio/courses/minimal/versions/1.zip").data == data  # the same bytes every time
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert set(names) == {"minimal/course.toml", "minimal/modules/01-intro.md", "minimal/modules/02-sensorer.md",
                          "minimal/modules/03-veien-videre.md", "minimal/assets/fjos-sensor.png",
                          "minimal/assets/sjekkliste.pdf"}
    unpack(data, tmp_path)
    assert not [p for p in check_packages([tmp_path / "minimal"]) if p.is_error]
    # Imported as a fresh course: the same rendered module per key, the same asset bytes.
    (tmp_path / "minimal").rename(tmp_path / "minimal-kopi")
    report = import_packages([tmp_path / "minimal-kopi"])
    db.session.commit()
    assert [item.slug for item in report.new] == ["minimal-kopi"]
    assert _modules("minimal-kopi") == _modules("minimal") and len(_modules("minimal")) == 3
    assert _assets("minimal-kopi") == _assets("minimal") and len(_assets("minimal")) == 2


def test_a_draft_zip_holds_the_draft_and_is_deterministic(client, login, world, tmp_path):
    course, _other, people = world
    author = login(people["author_own"])
    draft = drafts.open_draft(author, "minimal")
    item = drafts.get_file(draft, "modules/01-intro.md")
    drafts.save_text(author, draft, item.path, item.text + "\nEndret i utkastet.\n", item.revision)
    db.session.commit()
    first = client.get("/studio/courses/minimal/draft.zip")
    assert first.status_code == 200 and first.data == client.get("/studio/courses/minimal/draft.zip").data
    with zipfile.ZipFile(io.BytesIO(first.data)) as archive:
        assert "Endret i utkastet." in archive.read("minimal/modules/01-intro.md").decode()
        assert archive.read("minimal/assets/fjos-sensor.png") == PNG
    assert first.data != client.get("/studio/courses/minimal/versions/1.zip").data


def test_a_version_without_sources_gives_a_clear_message(client, login, world):
    course, _other, people = world
    version = db.session.get(CourseVersion, course.current_version_id)
    version.manifest_source = None
    db.session.commit()
    login(people["author_own"])
    response = client.get("/studio/courses/minimal/versions/1.zip")
    assert response.status_code == 400
    assert "before the platform kept course sources" in response.get_data(as_text=True)
    assert client.get("/studio/courses/minimal/versions/7.zip").status_code == 404


def test_the_zip_imports_back_through_the_upload_page_to_identical_modules(client, login, world):
    course, _other, people = world
    author = login(people["author_own"])
    exported = client.get("/studio/courses/minimal/versions/1.zip").data
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:  # the files at the zip's top: the form names the slug
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    response = _upload(client, make_zip(files), slug="minimal-web")
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio/courses/minimal-web/assets")
    draft = drafts.get_draft_for(author, "minimal-web")
    drafts.publish(author, draft)
    db.session.commit()
    assert _modules("minimal-web") == _modules("minimal")
    assert _assets("minimal-web") == _assets("minimal")


# --- in -------------------------------------------------------------------------------------------------------

def test_a_new_course_from_a_zip(client, login, world):
    _course, _other, people = world
    author = login(people["author_own"])
    files = package_files(changes={"assets/ny.png": PNG + b"\0"})
    files["modules/01-intro.md"] += b"\n![Et nytt bilde](../assets/ny.png)\n"
    response = _upload(client, make_zip(files, "nytt-kurs/"))
    assert response.status_code == 302
    draft = db.session.execute(select(CourseDraft).where(CourseDraft.slug == "nytt-kurs")).scalar_one()
    assert draft.provider_id == author.provider_id and draft.course_id is None
    stored = {f.path: f for f in drafts.draft_files(draft)}
    assert set(stored) == {"course.toml", "modules/01-intro.md", "modules/02-sensorer.md",
                           "modules/03-veien-videre.md", "assets/fjos-sensor.png", "assets/sjekkliste.pdf",
                           "assets/ny.png"}
    assert stored["modules/01-intro.md"].text == files["modules/01-intro.md"].decode()
    assert stored["assets/ny.png"].sha256 == hashlib.sha256(PNG + b"\0").hexdigest()
    assert stored["assets/ny.png"].alt == "Et nytt bilde"
    assert stored["assets/fjos-sensor.png"].alt == "Temperaturlogger på fjøsveggen"
    assert media_store().read(stored["assets/ny.png"].sha256) == PNG + b"\0"
    assert db.session.execute(select(StudioEvent.action).where(StudioEvent.slug == "nytt-kurs")).scalars().all() \
        == ["uploaded"]
    assert not any(p.is_error for p in drafts.check(author, draft))


def test_a_zip_replaces_the_draft_of_an_own_course(client, login, world):
    _course, _other, people = world
    author = login(people["author_own"])
    files = package_files(changes={"assets/sjekkliste.pdf": None})
    files["modules/01-intro.md"] = files["modules/01-intro.md"].replace(
        b"Last ned [sjekklisten](../assets/sjekkliste.pdf) og g", b"G")
    files["modules/03-veien-videre.md"] += b"\nNy tekst fra zip.\n"
    assert _upload(client, make_zip(files, "minimal/"), replace="minimal").status_code == 302
    draft = drafts.get_draft_for(author, "minimal")
    paths = {f.path: f for f in drafts.draft_files(draft)}
    assert "assets/sjekkliste.pdf" not in paths and "Ny tekst fra zip." in paths["modules/03-veien-videre.md"].text
    # Learners still see version 1 until the draft is published.
    assert db.session.execute(select(CourseVersion.number)).scalars().all() == [1]


def test_ignored_files_are_skipped(client, login, world):
    _course, _other, people = world
    author = login(people["author_own"])
    files = package_files(changes={"README.md": b"# Les meg\n", "_utkast/notat.md": b"kladd", ".git/config": b"x",
                                   ".DS_Store": b"\0\0"})
    archive = make_zip(files, "med-rusk/")
    with_macos = io.BytesIO(archive)
    with zipfile.ZipFile(with_macos, "a") as extra:
        extra.writestr("__MACOSX/med-rusk/._course.toml", b"\0\5\26\7")
    assert _upload(client, with_macos.getvalue()).status_code == 302
    paths = {f.path for f in drafts.draft_files(drafts.get_draft_for(author, "med-rusk"))}
    assert paths == {"course.toml", "modules/01-intro.md", "modules/02-sensorer.md", "modules/03-veien-videre.md",
                     "assets/fjos-sensor.png", "assets/sjekkliste.pdf"}


def _with_nul_name() -> bytes:
    data = make_zip(package_files(changes={"assets/aXb.png": PNG}), "nul-navn/")
    return data.replace(b"assets/aXb.png", b"assets/a\0b.png")


def _damaged() -> bytes:
    files = package_files(changes={"assets/stor.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 200})
    data = bytearray(make_zip(files, "skadet/"))
    at = data.index(b"skadet/assets/stor.pdf") + len(b"skadet/assets/stor.pdf") + 40
    data[at:at + 40] = b"\xff" * 40  # inside the compressed bytes: a bad stream or a CRC mismatch
    return bytes(data)


def _bomb() -> bytes:
    # Three files of 0.9 MiB of zeros (under the 1 MiB per-file cap) pack into a few kB but unpack past 2 MiB.
    payload = b"%PDF-1.4\n" + b"\0" * (900 * 1024)
    return make_zip(package_files(changes={f"assets/null-{n}.pdf": payload for n in range(3)}), "bombe/")


MALICIOUS = {
    "path traversal": (lambda: make_zip(package_files(changes={"../x": b"x"}), "ut/"), "leaves its folder"),
    "traversal at the top": (lambda: make_zip({"../x.md": b"x", **package_files()}, "ut/"), "leaves its folder"),
    "absolute path": (lambda: make_zip({"/etc/x": b"x", **{f"abs/{k}": v for k, v in package_files().items()}}),
                      "absolute path"),
    "drive letter": (lambda: make_zip({"C:/x": b"x", **{f"c/{k}": v for k, v in package_files().items()}}),
                     "absolute path"),
    "backslash": (lambda: make_zip(package_files(changes={"assets\\..\\..\\x.png": PNG}), "skrå/"), "backslash"),
    "NUL in a name": (_with_nul_name, "NUL"),
    "symlink": (lambda: make_zip(package_files(), "lenke/", links={"assets/passwd.pdf": "/etc/passwd"}),
                "symbolic link"),
    "encrypted entry": (lambda: make_zip(package_files(), "hemmelig/", encrypted=("course.toml",)), "password"),
    "too many entries": (lambda: make_zip(package_files(changes={f"_mange/{n}.txt": b"" for n in range(40)}),
                                          "mange/"), "more than 40 files"),
    "zip bomb": (_bomb, "more than 2 MiB"),
    "a file over the cap": (lambda: make_zip(package_files(changes={"assets/stor.pdf": b"%PDF-" + b"\0" * 1100000}),
                                             "stor/"), "larger than 1 MiB"),
    "html file": (lambda: make_zip(package_files(changes={"assets/side.html": b"<script>alert(1)</script>"}),
                                   "html-fil/"), "E106"),
    "python file": (lambda: make_zip(package_files(changes={"assets/kode.py": b"import os\n"}), "py-fil/"), "E106"),
    "svg with a script": (lambda: make_zip(package_files(changes={"assets/bilde.svg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='x'/>"}),
                                           "svg-fil/"), "E182"),
    "web page named .png": (lambda: make_zip(package_files(changes={"assets/bilde.png": b"<html></html>"}),
                                             "falsk/"), "E110"),
    "not a zip": (lambda: b"This is a text file, not a zip.", "not a zip file"),
    "truncated zip": (lambda: make_zip(package_files(), "kuttet/")[:-30], "not a zip file"),
    "damaged zip": (_damaged, "The zip is damaged"),
    "other provider's manifest": (lambda: make_zip(package_files(changes={"course.toml": (
        package_files()["course.toml"].replace(b'provider = "test-naeringshage"', b'provider = "annen-hage"'))}),
        "fremmed/"), "your courses belong to"),
    "slug of another provider's course": (lambda: make_zip(package_files(), "annet/"), "another provider"),
    "slug of an existing course": (lambda: make_zip(package_files(), "minimal/"), "already"),
    "check errors": (lambda: make_zip(package_files(changes={"modules/04-ekstra.md": b"# Ekstra\n"}), "feil/"),
                     "modules/04-ekstra.md:1</code> E122"),
    "no course.toml": (lambda: make_zip(package_files(changes={"course.toml": None}), "uten/"), "no course.toml"),
    "files at the top without a slug": (lambda: make_zip(package_files()), "give the course"),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_a_bad_zip_is_refused_and_changes_nothing(client, login, world, app, import_course, case):
    course, other, people = world
    if case == "slug of another provider's course":
        other_course = Course(slug="annet", provider_id=other.id)
        db.session.add(other_course)
        db.session.commit()
    drafts.open_draft(people["author_own"], "minimal")  # an existing draft, which must stay as it is
    db.session.commit()
    login(people["author_own"])
    build, message = MALICIOUS[case]
    before = snapshot(app)
    response = _upload(client, build())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="file-error"' in html
    db.session.expire_all()
    assert snapshot(app) == before


def test_a_zip_for_another_course_than_the_page_is_refused(client, login, world, app):
    _course, _other, people = world
    login(people["author_own"])
    before = snapshot(app)
    response = _upload(client, make_zip(package_files(), "noe-annet/"), replace="minimal")
    assert response.status_code == 200 and "not &#39;minimal&#39;" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_an_admin_uploads_for_an_existing_provider_only(client, login, world):
    _course, other, people = world
    login(people["admin"])
    manifest = package_files()["course.toml"]
    assert _upload(client, make_zip(package_files(changes={"course.toml": manifest.replace(
        b'provider = "test-naeringshage"', b'provider = "annen-hage"')}), "for-annen/")).status_code == 302
    assert db.session.execute(select(CourseDraft.provider_id).where(CourseDraft.slug == "for-annen")).scalar_one() \
        == other.id
    response = _upload(client, make_zip(package_files(changes={"course.toml": manifest.replace(
        b'provider = "test-naeringshage"', b'provider = "finnes-ikke"')}), "for-ingen/"))
    assert response.status_code == 200 and "does not exist" in response.get_data(as_text=True)
    assert db.session.execute(select(Provider.slug).where(Provider.slug == "finnes-ikke")).first() is None


def test_an_upload_past_the_request_limit_is_a_friendly_413(client, login, world):
    login(world[2]["author_own"])
    # A raw body (the test client would spool a multipart one to a temporary file the app never reads).
    response = client.post("/studio/upload", data=b"\0" * (3 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and "at most 2 MiB" in response.get_data(as_text=True)


# --- who may ------------------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/studio/courses/minimal/versions/1.zip"),
    ("GET", "/studio/courses/minimal/draft.zip"),
    ("GET", "/studio/upload"),
    ("GET", "/studio/upload?slug=minimal"),
    ("POST", "/studio/upload?slug=minimal"),
    ("GET", "/studio/courses/minimal/assets"),
    ("POST", "/studio/courses/minimal/assets"),
    ("GET", "/studio/courses/minimal/preview/assets/fjos-sensor.png"),
]
EXPECTED = {
    "author_own": [200, 200, 200, 200, 200, 200, 200, 200],
    "admin": [200, 200, 200, 200, 200, 200, 200, 200],
    "author_other": [403, 403, 200, 403, 403, 403, 403, 403],
    "learner": [403] * 8,
    "funder": [403] * 8,
}


@pytest.mark.parametrize("role", ["anonymous", *EXPECTED])
def test_access_matrix(client, login, world, role):
    _course, _other, people = world
    drafts.open_draft(people["author_own"], "minimal")
    db.session.commit()
    if role != "anonymous":
        login(people[role])
    codes = []
    for method, url in ROUTES:
        response = client.get(url) if method == "GET" else client.post(url, data={})
        codes.append(response.status_code)
        if role == "anonymous":
            assert "/auth/login" in response.headers["Location"], url
    assert codes == ([302] * len(ROUTES) if role == "anonymous" else EXPECTED[role])
