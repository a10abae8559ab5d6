"""A draft's assets in the studio (services/draft_assets.py): the list with the Markdown to paste, uploads with the
format's type, content and size rules, alt text required for images, replacing, removing only what no module links
to, and serving a draft asset to the provider's staff."""
import hashlib
import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import DraftFile, Provider, StudioEvent
from courseware.services import draft_assets, drafts
from courseware.storage import media_store

from .packages_support import PDF, PNG, snapshot

JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\1" * 64
MP3 = b"ID3\4\0\0\0\0\0\0" + b"\0" * 64


@pytest.fixture
def app_config():
    return {"MAX_ASSET_MB": 1}


@pytest.fixture
def setup(import_course, make_user, login):
    course = import_course("minimal")
    author = login(make_user("author", provider_id=course.provider_id, locale="en"))
    draft = drafts.open_draft(author, "minimal")
    db.session.commit()
    return author, draft


def _post(client, data: bytes | None = None, filename="bilde.png", **fields):
    form = {key: value for key, value in fields.items() if value is not None}
    if data is not None:
        form["file"] = FileStorage(io.BytesIO(data), filename=filename)
    # Encoded here, in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict(form))
    return client.post("/studio/courses/minimal/assets", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _asset(draft, name):
    return db.session.execute(select(DraftFile).where(DraftFile.draft_id == draft.id,
                                                      DraftFile.path == f"assets/{name}")).scalar_one_or_none()


def test_the_page_lists_assets_with_markdown_to_paste(client, setup):
    html = client.get("/studio/courses/minimal/assets").get_data(as_text=True)
    assert "fjos-sensor.png" in html and "sjekkliste.pdf" in html
    assert "[sjekkliste.pdf](../assets/sjekkliste.pdf)" in html
    assert "modules/01-intro.md" in html  # where each is used
    assert '/studio/courses/minimal/preview/assets/fjos-sensor.png' in html
    assert "/studio/courses/minimal/draft.zip" in html and "/studio/courses/minimal/versions/1.zip" in html


def test_upload_an_image_with_alt_text(client, setup, app):
    author, draft = setup
    response = _post(client, PNG + b"ny", "Sensor i Fjøset.PNG", alt="  En sensor\npå veggen ")
    assert response.status_code == 302
    item = _asset(draft, "sensor-i-fjoset.png")
    assert item.alt == "En sensor på veggen" and item.content_type == "image/png"
    assert item.sha256 == hashlib.sha256(PNG + b"ny").hexdigest()
    assert media_store().read(item.sha256) == PNG + b"ny"
    html = client.get("/studio/courses/minimal/assets").get_data(as_text=True)
    assert "![En sensor på veggen](../assets/sensor-i-fjoset.png)" in html
    assert db.session.execute(select(StudioEvent.action, StudioEvent.path)).all() \
        == [("asset_added", "assets/sensor-i-fjoset.png")]


def test_a_pdf_needs_no_alt_text_and_a_name_can_be_chosen(client, setup):
    _author, draft = setup
    assert _post(client, PDF, "Rapport 2024.pdf", name="rapport.pdf").status_code == 302
    assert _asset(draft, "rapport.pdf").alt is None
    assert _post(client, MP3, "lyd.mp3").status_code == 302
    assert _post(client, JPEG, "foto.jpeg", alt="Et foto").status_code == 302
    assert _asset(draft, "foto.jpeg").content_type == "image/jpeg"


REFUSED = [
    ("an image without alt text", PNG, "bilde.png", {}, "alt", "Describe the image"),
    ("an image with blank alt text", PNG, "bilde.png", {"alt": "   "}, "alt", "Describe the image"),
    ("a web page named .png", b"<html><script>x</script></html>", "bilde.png", {"alt": "x"}, "file",
     "not a PNG file"),
    ("a PNG named .jpg", PNG, "bilde.jpg", {"alt": "x"}, "file", "This is a PNG file"),
    ("a PDF named .mp4", PDF, "film.mp4", {}, "file", "This is a PDF file"),
    ("an SVG with a script", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "tegning.svg",
     {"alt": "x"}, "file", "E182"),
    ("an HTML file", b"<html></html>", "side.html", {}, "file", "Allowed:"),
    ("a Python file", b"import os", "kode.py", {}, "file", "Allowed:"),
    ("a name without a type", PDF, "README", {}, "name", "ending in its type"),
    ("an empty file", b"", "tom.pdf", {}, "file", "empty"),
    ("a file over the cap", b"%PDF-" + b"\0" * (1024 * 1024 + 10), "stor.pdf", {}, "file", "at most 1 MiB"),
    ("a name that is taken", PDF, "sjekkliste.pdf", {}, "name", "already"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_uploads_that_break_the_rules_are_refused(client, setup, app, case):
    _label, data, filename, fields, field, message = case
    before = snapshot(app)
    response = _post(client, data, filename, **fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    db.session.expire_all()
    assert snapshot(app) == before


def test_a_request_past_the_size_limit_is_a_friendly_413(client, setup):
    response = client.post("/studio/courses/minimal/assets", data=b"\0" * (2 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and "at most 1 MiB" in response.get_data(as_text=True)


def test_replace_keeps_the_name_and_the_type(client, setup):
    _author, draft = setup
    old = _asset(draft, "fjos-sensor.png")
    old_sha, old_revision = old.sha256, old.revision
    html = client.get("/studio/courses/minimal/assets?replace=fjos-sensor.png").get_data(as_text=True)
    assert "Replace fjos-sensor.png" in html and 'value="Temperaturlogger på fjøsveggen"' in html
    response = _post(client, JPEG, "annet.jpg", replace="fjos-sensor.png", alt="Ny tekst")
    assert response.status_code == 200 and "This is a JPG file" in response.get_data(as_text=True)
    assert _post(client, PNG + b"2", "x.png", replace="fjos-sensor.png", alt="Ny tekst").status_code == 302
    db.session.expire_all()
    item = _asset(draft, "fjos-sensor.png")
    assert item.sha256 != old_sha and item.revision == old_revision + 1 and item.alt == "Ny tekst"
    # Without a file, only the alt text changes; an image's alt text cannot be emptied.
    assert _post(client, None, replace="fjos-sensor.png", alt="Tredje tekst").status_code == 302
    assert _post(client, None, replace="fjos-sensor.png", alt="").status_code == 200
    db.session.expire_all()
    assert _asset(draft, "fjos-sensor.png").alt == "Tredje tekst"
    assert _post(client, PNG, "x.png", replace="finnes-ikke.png", alt="x").status_code == 404


def test_remove_is_refused_while_a_module_links_to_it(client, setup, app):
    author, draft = setup
    before = snapshot(app)
    response = client.post("/studio/courses/minimal/assets", data={"action": "remove", "name": "fjos-sensor.png"},
                           follow_redirects=True)
    assert "still used in modules/01-intro.md" in response.get_data(as_text=True)
    db.session.expire_all()
    assert snapshot(app) == before
    assert _post(client, PDF, "ubrukt.pdf").status_code == 302
    client.post("/studio/courses/minimal/assets", data={"action": "remove", "name": "ubrukt.pdf"})
    assert _asset(draft, "ubrukt.pdf") is None
    # A link that only starts with the name is another file: sjekkliste.pdf.bak does not hold sjekkliste.pdf back.
    item = drafts.get_file(draft, "modules/01-intro.md")
    drafts.save_text(author, draft, item.path, item.text.replace("sjekkliste.pdf", "sjekkliste.pdfx"), item.revision)
    db.session.commit()
    assert draft_assets.list_assets(author, draft).assets[1].linked_from == []
    client.post("/studio/courses/minimal/assets", data={"action": "remove", "name": "sjekkliste.pdf"})
    assert _asset(draft, "sjekkliste.pdf") is None


def test_a_draft_asset_is_served_with_its_type(client, setup):
    image = client.get("/studio/courses/minimal/preview/assets/fjos-sensor.png")
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline") and "private" in image.headers["Cache-Control"]
    pdf = client.get("/studio/courses/minimal/preview/assets/sjekkliste.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("attachment")
    assert client.get("/studio/courses/minimal/preview/assets/finnes-ikke.png").status_code == 404
    assert client.get("/studio/courses/minimal/preview/assets/../course.toml").status_code == 404


def test_another_providers_author_cannot_touch_the_assets(client, setup, make_user, login, app):
    _author, draft = setup
    other = Provider(slug="annen-hage", name="Annen hage")
    db.session.add(other)
    db.session.commit()
    login(make_user("author", provider_id=other.id, locale="en"))
    before = snapshot(app)
    assert _post(client, PDF, "inn.pdf").status_code == 403
    assert client.post("/studio/courses/minimal/assets",
                       data={"action": "remove", "name": "sjekkliste.pdf"}).status_code == 403
    db.session.expire_all()
    assert snapshot(app) == before


@pytest.mark.parametrize("filename, expected", [
    ("Sensor i Fjøset.PNG", "sensor-i-fjoset.png"), ("C:\\Users\\kari\\Bilde 1.jpg", "bilde-1.jpg"),
    ("../../etc/passwd", "passwd"), ("Årsrapport__2024..pdf", "arsrapport__2024.pdf"), ("...", ""),
])
def test_safe_names(filename, expected):
    assert draft_assets.safe_name(filename) == expected


def test_an_svg_is_kept_as_the_checker_rewrites_it_and_served_in_a_sandbox(client, setup):
    author, draft = setup
    drawing = (b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:inkscape='http://www.inkscape.org/namespaces/inkscape'"
               b" viewBox='0 0 10 10' inkscape:version='1.3'><title>Fjos</title><rect width='5' height='5'/></svg>")
    assert _post(client, drawing, "fjos.svg", alt="Tegning av fjøset").status_code == 302
    item = _asset(draft, "fjos.svg")
    stored = media_store().read(item.sha256)
    assert item.content_type == "image/svg+xml" and b"<rect" in stored and b"inkscape" not in stored
    served = client.get("/studio/courses/minimal/preview/assets/fjos.svg")
    assert served.status_code == 200 and served.data == stored and served.mimetype == "image/svg+xml"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
