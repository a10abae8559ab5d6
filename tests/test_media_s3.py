"""The media store (courseware/storage/): the folder and s3 backends behave alike, and an instance whose media is
in an S3 bucket (moto's server on 127.0.0.1) imports, serves (streamed, or by a redirect to a presigned URL),
uploads and publishes in the studio, backs up and restores (into a folder instance and back), and copies its
media between backends with `courseware media copy`."""
import hashlib
import io
import shutil
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import Asset, CourseVersion
from courseware.storage import MediaMissing, make_store, media_store
from courseware.storage.folder import FolderStore

from .conftest import FIXTURE_COURSES
from .packages_support import PDF, PNG
from .s3_support import bucket_objects, new_bucket, s3_client, s3_server, s3_settings  # noqa: F401 (a fixture)
from .test_backup import make_instance, stamped  # noqa: F401 (fixtures: instances to restore into; a migrated db)

PNG_SHA = hashlib.sha256(PNG).hexdigest()
PDF_SHA = hashlib.sha256(PDF).hexdigest()


@pytest.fixture
def bucket(s3_server):
    return new_bucket(s3_server)


@pytest.fixture
def app_config(s3_server, bucket):
    """Every app here keeps its media in the test's bucket, unless a test says otherwise."""
    return s3_settings(s3_server, bucket)


def fetch(url: str):
    """GET a URL over the network (a presigned URL on the S3 server): (status, headers, body)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.headers, answer.read()


# --- the interface, on both backends ----------------------------------------------------------------------------


@pytest.fixture(params=["folder", "s3"])
def store(request, app, tmp_path):
    if request.param == "folder":
        return FolderStore(tmp_path / "store", cache_control="public, max-age=60, immutable")
    return media_store()


def test_both_backends_keep_bytes_by_sha256_and_write_once(store):
    data = b"\x89PNG..." * 1000
    key = hashlib.sha256(data).hexdigest()
    assert not store.exists(key) and store.size(key) is None and list(store.keys()) == []
    store.put(key, data, "image/png")
    store.put(key, io.BytesIO(data), "image/png")  # again, from a file: nothing changes
    other = hashlib.sha256(b"x").hexdigest()
    store.put(other, io.BytesIO(b"x"))
    assert store.exists(key) and store.size(key) == len(data) and store.read(key) == data
    assert list(store.keys()) == sorted([key, other])
    source, size = store.open_sized(key)
    with source:
        assert size == len(data) and source.read() == data
    with pytest.raises(MediaMissing):
        store.open("0" * 64)
    with pytest.raises(ValueError):
        store.put("../../etc/passwd", b"x")
    with pytest.raises(ValueError):
        store.exists("AB" * 32)  # keys are lower-case hex only
    store.delete(other)
    assert list(store.keys()) == [key]


class Broken(io.RawIOBase):
    """A file that fails after its first chunk, as a disk or a network can."""

    def __init__(self):
        self.calls = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise OSError("read failed")
        return b"x" * 1024

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def test_a_write_that_fails_leaves_nothing_behind(store):
    key = hashlib.sha256(b"whatever").hexdigest()
    with pytest.raises(OSError):
        store.put(key, Broken(), "image/png")
    assert not store.exists(key) and list(store.keys()) == []
    if isinstance(store, FolderStore):
        assert not [p for p in store.root.rglob("*") if p.is_file()]  # no temporary left either


def test_keys_leave_out_what_is_not_a_media_object(store, s3_server, bucket):
    key = hashlib.sha256(b"y").hexdigest()
    store.put(key, b"y")
    if isinstance(store, FolderStore):
        (store.root / key[:2] / ".incoming-abc").write_bytes(b"half")
        (store.root / "README").write_text("not media")
        (store.root / "00").mkdir()
        (store.root / "00" / key).write_bytes(b"y")  # in the wrong folder
    else:
        client = s3_client(s3_server)
        client.put_object(Bucket=bucket, Key="other/thing", Body=b"not ours")  # outside the prefix
        client.put_object(Bucket=bucket, Key=f"media/00/{key}", Body=b"y")
    assert list(store.keys()) == [key]


# --- serving ---------------------------------------------------------------------------------------------------


def test_imported_assets_go_to_the_bucket_and_are_served_as_from_the_folder(app, client, import_course, s3_server,
                                                                            bucket, tmp_path):
    import_course("minimal")
    assert not Path(app.config["MEDIA_DIR"]).exists()  # nothing on this server's disk
    objects = bucket_objects(s3_server, bucket)
    assert objects[f"media/{PNG_SHA[:2]}/{PNG_SHA}"] == {
        "body": PNG, "type": "image/png", "cache": f"public, max-age={app.config['ASSET_MAX_AGE']}, immutable"}
    assert objects[f"media/{PDF_SHA[:2]}/{PDF_SHA}"]["type"] == "application/pdf"
    served = {name: client.get(f"/courses/minimal/assets/{name}") for name in ("fjos-sensor.png", "sjekkliste.pdf")}
    # The same instance with the media copied into a folder answers with the same bytes and headers.
    folder = FolderStore(tmp_path / "folder-copy")
    for key in media_store().keys():
        folder.put(key, media_store().read(key))
    app.extensions["courseware_media_store"] = folder
    for name, from_s3 in served.items():
        from_folder = client.get(f"/courses/minimal/assets/{name}")
        assert from_s3.status_code == from_folder.status_code == 200
        assert from_s3.data == from_folder.data == (FIXTURE_COURSES / "minimal" / "assets" / name).read_bytes()
        for header in ("Content-Type", "Content-Length", "Cache-Control", "ETag", "Content-Disposition",
                       "X-Content-Type-Options", "Content-Security-Policy", "Accept-Ranges"):
            assert from_s3.headers.get(header) == from_folder.headers.get(header), header
    assert served["fjos-sensor.png"].headers["Content-Type"] == "image/png"
    assert served["fjos-sensor.png"].headers["Cache-Control"].endswith("immutable")
    assert served["fjos-sensor.png"].headers["ETag"] == f'"{PNG_SHA}"'
    assert served["sjekkliste.pdf"].headers["Content-Type"] == "application/pdf"


def test_streamed_from_s3_with_revalidation_and_ranges(client, import_course):
    import_course("minimal")
    url = "/courses/minimal/assets/fjos-sensor.png"
    again = client.get(url, headers={"If-None-Match": f'"{PNG_SHA}"'})
    assert again.status_code == 304 and not again.data and again.headers["ETag"] == f'"{PNG_SHA}"'
    assert again.headers["Cache-Control"].endswith("immutable")
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == PNG[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(PNG)}"
    assert client.get("/courses/minimal/assets/nothing.png").status_code == 404


def test_an_object_missing_from_the_bucket_is_a_404_not_a_500(client, import_course, s3_server, bucket):
    import_course("minimal")
    s3_client(s3_server).delete_object(Bucket=bucket, Key=f"media/{PNG_SHA[:2]}/{PNG_SHA}")
    assert client.get("/courses/minimal/assets/fjos-sensor.png").status_code == 404


@pytest.fixture
def redirecting(app):
    app.config["MEDIA_REDIRECT"] = True
    return app


def test_redirect_mode_answers_302_to_a_presigned_url_with_the_same_headers(redirecting, client, import_course):
    import_course("minimal")
    streamed = {}
    redirecting.config["MEDIA_REDIRECT"] = False
    for name in ("fjos-sensor.png", "sjekkliste.pdf"):
        streamed[name] = client.get(f"/courses/minimal/assets/{name}")
    redirecting.config["MEDIA_REDIRECT"] = True
    for name, expected in streamed.items():
        answer = client.get(f"/courses/minimal/assets/{name}")
        assert answer.status_code == 302, name
        seconds = redirecting.config["MEDIA_REDIRECT_SECONDS"]
        assert answer.headers["Cache-Control"] == f"private, max-age={seconds // 2}"
        status, headers, body = fetch(answer.headers["Location"])
        assert status == 200 and body == expected.data
        for header in ("Content-Type", "Cache-Control", "Content-Disposition"):
            assert headers[header] == expected.headers[header], (name, header)
    assert streamed["sjekkliste.pdf"].headers["Content-Disposition"].startswith("inline")


def test_redirect_mode_lets_pages_load_media_from_the_store(redirecting, client, import_course, s3_server):
    import_course("minimal")
    policy = client.get("/").headers["Content-Security-Policy"]
    parts = [part.strip() for part in policy.split(";")]
    assert f"img-src 'self' data: {s3_server}" in parts and f"media-src 'self' {s3_server}" in parts
    assert "script-src 'self'" in parts  # nothing else is widened


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>Figur</title>'
       b'<rect width="5" height="5"/></svg>')


def test_svg_is_never_redirected_and_keeps_its_sandbox(redirecting, client, import_course, tmp_path):
    source = tmp_path / "src"
    shutil.copytree(FIXTURE_COURSES / "minimal", source / "minimal")
    (source / "minimal" / "assets" / "figur.svg").write_bytes(SVG)
    module = source / "minimal" / "modules" / "01-intro.md"
    module.write_text(module.read_text("utf-8") + "\n\n![Figur](../assets/figur.svg)\n", "utf-8")
    import_course("minimal", source=source)
    answer = client.get("/courses/minimal/assets/figur.svg")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    assert "sandbox" in [p.strip() for p in answer.headers["Content-Security-Policy"].split(";")]
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and b"<rect" in answer.data


def test_a_provider_logo_is_stored_and_redirected_like_an_asset(redirecting, client, import_course):
    from courseware.models import Provider
    from courseware.services.drafts import store_bytes

    course = import_course("minimal")
    provider = db.session.get(Provider, course.provider_id)
    provider.logo_sha256, provider.logo_content_type = store_bytes(PNG, "image/png"), "image/png"
    db.session.commit()
    answer = client.get(f"/providers/{provider.slug}/logo?v={PNG_SHA[:12]}")
    assert answer.status_code == 302
    status, headers, body = fetch(answer.headers["Location"])
    assert body == PNG and headers["Content-Type"] == "image/png" and headers["Cache-Control"].endswith("immutable")
    redirecting.config["MEDIA_REDIRECT"] = False
    plain = client.get(f"/providers/{provider.slug}/logo")
    assert plain.data == PNG and "immutable" not in plain.headers["Cache-Control"]


# --- the studio ---------------------------------------------------------------------------------------------------


def test_studio_upload_preview_and_publish_through_the_bucket(client, import_course, make_user, login, s3_server,
                                                              bucket, redirecting):
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    from courseware.services import drafts

    course = import_course("minimal")
    author = login(make_user("author", provider_id=course.provider_id, locale="en"))
    new = PNG + b"ny"
    key = hashlib.sha256(new).hexdigest()
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(new), filename="ny-sensor.png"),
                                                 "alt": "En ny sensor"}))
    answer = client.post("/studio/courses/minimal/assets", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}")
    assert answer.status_code == 302
    assert bucket_objects(s3_server, bucket)[f"media/{key[:2]}/{key}"]["body"] == new
    preview = client.get("/studio/courses/minimal/preview/assets/ny-sensor.png")  # private: streamed, never redirected
    assert preview.status_code == 200 and preview.data == new
    assert preview.headers["Cache-Control"] == "private, no-cache"
    draft = drafts.open_draft(author, "minimal")
    item = drafts.get_file(draft, "modules/01-intro.md")
    drafts.save_text(author, draft, item.path, item.text + "\n\n![En ny sensor](../assets/ny-sensor.png)\n",
                     item.revision)
    db.session.commit()
    zipped = client.get("/studio/courses/minimal/draft.zip")  # the package is built from the bucket's bytes
    assert zipped.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(zipped.data)).read("minimal/assets/ny-sensor.png") == new
    assert client.post("/studio/courses/minimal/publish").status_code == 302
    assets = dict(db.session.execute(select(Asset.path, Asset.sha256).join(
        CourseVersion, CourseVersion.id == Asset.version_id).where(CourseVersion.number == 2)).all())
    assert assets["ny-sensor.png"] == key
    published = client.get("/courses/minimal/assets/ny-sensor.png")
    assert published.status_code == 302 and fetch(published.headers["Location"])[2] == new
    version = client.get("/studio/courses/minimal/versions/2/assets/ny-sensor.png")
    assert version.status_code == 200 and version.data == new


# --- copying between backends -------------------------------------------------------------------------------------


def test_media_copy_moves_a_folder_instance_to_s3_and_back(app, import_course, s3_server, bucket, tmp_path):
    app.config["MEDIA_BACKEND"] = "folder"
    app.extensions.pop("courseware_media_store", None)
    import_course("minimal")
    folder_keys = list(media_store().keys())
    assert folder_keys == sorted([PNG_SHA, PDF_SHA]) and not bucket_objects(s3_server, bucket)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["media", "copy", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "Copied 2 media object(s) from folder to s3; 0 were there already." in result.output
    assert "COURSEWARE_MEDIA_BACKEND=s3" in result.output
    objects = bucket_objects(s3_server, bucket)
    assert {k: v["type"] for k, v in objects.items()} == {f"media/{PNG_SHA[:2]}/{PNG_SHA}": "image/png",
                                                          f"media/{PDF_SHA[:2]}/{PDF_SHA}": "application/pdf"}
    again = runner.invoke(args=["media", "copy", "--to", "s3"])
    assert again.exit_code == 0 and "Copied 0 media object(s)" in again.output and "2 were there" in again.output
    # Switched to s3: the check finds everything; a lost object is named and fails the check.
    app.config["MEDIA_BACKEND"] = "s3"
    app.extensions.pop("courseware_media_store", None)
    check = runner.invoke(args=["media", "check"])
    assert check.exit_code == 0 and "2 media object(s) present, 0 missing (s3)" in check.output
    media_store().delete(PDF_SHA)
    check = runner.invoke(args=["media", "check"])
    assert check.exit_code == 1 and f"missing: {PDF_SHA}" in check.output
    # A damaged file in the folder is reported and not copied.
    shutil.rmtree(app.config["MEDIA_DIR"])
    folder = FolderStore(app.config["MEDIA_DIR"])
    folder.put(PDF_SHA, b"not the pdf")
    back = runner.invoke(args=["media", "copy", "--to", "s3"])
    assert back.exit_code == 1 and f"do not match their sha256 and were not copied: {PDF_SHA}" in back.output
    assert not media_store().exists(PDF_SHA)
    # And back to a folder: from s3 by default.
    shutil.rmtree(app.config["MEDIA_DIR"])
    media_store().put(PDF_SHA, PDF, "application/pdf")
    home = runner.invoke(args=["media", "copy", "--to", "folder"])
    assert home.exit_code == 0 and "Copied 2 media object(s) from s3 to folder" in home.output
    assert sorted(p.name for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()) == folder_keys


def test_media_copy_without_a_bucket_says_what_is_missing(app):
    app.config.update(MEDIA_BACKEND="folder", S3_BUCKET=None)
    app.extensions.pop("courseware_media_store", None)
    result = app.test_cli_runner().invoke(args=["media", "copy", "--to", "s3"])
    assert result.exit_code == 1 and "S3_BUCKET" in result.output


def test_an_unknown_backend_is_refused_when_first_used(app):
    app.config["MEDIA_BACKEND"] = "ftp"
    app.extensions.pop("courseware_media_store", None)
    with pytest.raises(ValueError, match="MEDIA_BACKEND"):
        media_store()
    assert make_store(app.config, "folder").name == "folder"


# --- backups ------------------------------------------------------------------------------------------------------


def test_backup_from_s3_restores_into_a_folder_instance_and_back(app, stamped, make_instance, s3_server, bucket,
                                                                  tmp_path):
    """S3 -> archive -> a folder instance -> archive -> an S3 instance (with another bucket and prefix)."""
    from courseware.services import backup, restore

    from .backup_support import build_instance, snapshot
    from .groups import database_backend
    from .test_backup import inside

    build_instance()
    expected = snapshot()
    in_bucket = {key.split("/")[-1]: item for key, item in bucket_objects(s3_server, bucket).items()}
    assert PNG_SHA in in_bucket and PDF_SHA in in_bucket
    archive = backup.write_backup(tmp_path / "from-s3.tar.gz")
    assert sorted(n for n in archive.manifest["members"] if n.startswith("media/")) \
        == sorted(f"media/{k[:2]}/{k}" for k in in_bucket)
    db.session.remove()

    kind = database_backend()
    folder_instance = make_instance(kind, "folder-instance", MEDIA_BACKEND="folder")
    with inside(folder_instance):
        restore.restore_backup(archive.path)
        assert snapshot() == expected
        media_dir = Path(folder_instance.config["MEDIA_DIR"])
        assert {p.name: p.read_bytes() for p in media_dir.rglob("*") if p.is_file()} \
            == {k: item["body"] for k, item in in_bucket.items()}
        second = backup.write_backup(tmp_path / "from-folder.tar.gz")
        db.engine.dispose()  # on PostgreSQL the next instance reuses (and first wipes) this database

    other_bucket = new_bucket(s3_server)
    s3_instance = make_instance(kind, "s3-instance", **s3_settings(s3_server, other_bucket, S3_PREFIX="courseware/"))
    with inside(s3_instance):
        restore.restore_backup(second.path)
        assert snapshot() == expected
        restored = bucket_objects(s3_server, other_bucket)
        assert {key: (item["body"], item["type"]) for key, item in restored.items()} \
            == {f"courseware/{k[:2]}/{k}": (item["body"], item["type"]) for k, item in in_bucket.items()}
        assert restored[f"courseware/{PNG_SHA[:2]}/{PNG_SHA}"]["type"] == "image/png"  # from the archive's rows
        assert not Path(s3_instance.config["MEDIA_DIR"]).exists()
        served = s3_instance.test_client().get("/courses/minimal/assets/fjos-sensor.png")
        assert served.status_code == 200 and served.data == PNG


def test_a_damaged_object_in_the_bucket_fails_the_backup_and_writes_no_archive(app, stamped, s3_server, bucket,
                                                                                tmp_path, import_course):
    from courseware.errors import Conflict
    from courseware.services import backup

    import_course("minimal")
    s3_client(s3_server).put_object(Bucket=bucket, Key=f"media/{PNG_SHA[:2]}/{PNG_SHA}", Body=b"not the png")
    with pytest.raises(Conflict, match=PNG_SHA):
        backup.write_backup(tmp_path / "broken.tar.gz")
    assert not (tmp_path / "broken.tar.gz").exists()


def test_nothing_but_the_folder_backend_opens_the_media_folder():
    """Every reader and writer goes through courseware/storage/: MEDIA_DIR is named only where it is defined
    (config.py), derived (__init__.py) and used (storage/)."""
    package = Path(__file__).resolve().parent.parent / "courseware"
    allowed = {package / "config.py", package / "__init__.py"}
    naming = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                    if "MEDIA_DIR" in path.read_text("utf-8") and path not in allowed
                    and package / "storage" not in path.parents)
    assert naming == []
