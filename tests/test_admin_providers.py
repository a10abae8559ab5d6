"""Admin: providers (list, create, edit, slug rules, municipality, logo) and authors' roles (an author needs a
provider). Staff invitations: test_staff_invitations.py."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from courseware.errors import InvalidInput, PermissionDenied
from courseware.extensions import db
from courseware.models import CourseDraft, Provider, StaffInvitation, User
from courseware.services import outbox, providers, roles, staff_invitations
from courseware.storage import media_store

from .firms_support import make_course, make_provider

LOGIN = "login"
ROLES = ("anonymous", "learner", "funder", "author", "admin")


def png_bytes(size=(4, 3), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def provider_count() -> int:
    return db.session.scalar(select(func.count(Provider.id)))


def details(**changes) -> dict:
    data = {"name": "Orkdal Næringshage", "slug": "orkdal", "kind": "business_park", "municipality": "5059"}
    data.update(changes)
    return data


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin", name="Åse Admin", locale="en"))


# --- access -------------------------------------------------------------------------------------------------------

@pytest.fixture
def world(make_user):
    provider = make_provider("hagen", "Hagen")
    providers.update_provider(make_user("admin"), provider, name="Hagen", kind="library",
                              logo=png_bytes())
    db.session.commit()
    author = make_user("author", provider_id=provider.id)
    victim = make_user("author", provider_id=provider.id, name="Victim Author")
    invitation = StaffInvitation(provider_id=provider.id, email="ny@example.no", name="Ny", token_hash="0" * 64)
    db.session.add(invitation)
    db.session.commit()
    users = {"learner": make_user("learner"), "funder": make_user("funder"), "author": author,
             "admin": make_user("admin")}
    return users, {"slug": provider.slug, "invitation": invitation.id, "victim": victim.id}


# (method, url, form data, expected for ROLES, in order)
MATRIX = [
    ("GET", "/admin/providers", None, (LOGIN, 403, 403, 403, 200)),
    ("GET", "/admin/providers?q=ha&page=1", None, (LOGIN, 403, 403, 403, 200)),
    ("GET", "/admin/providers/new", None, (LOGIN, 403, 403, 403, 200)),
    ("POST", "/admin/providers/new", details(), (LOGIN, 403, 403, 403, 302)),
    ("GET", "/admin/providers/{slug}", None, (LOGIN, 403, 403, 403, 200)),
    ("POST", "/admin/providers/{slug}", {"name": "Renamed", "slug": "{slug}", "kind": "incubator"},
     (LOGIN, 403, 403, 403, 302)),
    ("POST", "/admin/providers/{slug}/invite", {"name": "Kari", "email": "kari@example.no"},
     (LOGIN, 403, 403, 403, 302)),
    ("POST", "/admin/providers/{slug}/invitations/{invitation}/revoke", {}, (LOGIN, 403, 403, 403, 302)),
    ("POST", "/admin/providers/{slug}/authors/{victim}/remove", {}, (LOGIN, 403, 403, 403, 302)),
    ("GET", "/admin/providers/no-such-provider", None, (LOGIN, 403, 403, 403, 404)),
    ("GET", "/providers/{slug}/logo", None, (200, 200, 200, 200, 200)),
    ("GET", "/providers/no-such-provider/logo", None, (404, 404, 404, 404, 404)),
]
CASES = [pytest.param(method, url, data, role, expected[i], id=f"{method} {url} as {role}")
         for method, url, data, expected in MATRIX for i, role in enumerate(ROLES)]


@pytest.mark.parametrize("method, url, data, role, expected", CASES)
def test_access(client, login, world, method, url, data, role, expected):
    users, ids = world
    if role != "anonymous":
        login(users[role])
    before = (provider_count(), db.session.scalar(select(func.count(StaffInvitation.id))),
              db.session.get(User, ids["victim"]).role)
    response = client.open(url.format(**ids), method=method,
                           data={k: v.format(**ids) for k, v in (data or {}).items()})
    if expected == LOGIN:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if method == "POST" and expected != 302:  # refused: nothing changed
        db.session.expire_all()
        provider = db.session.execute(select(Provider).filter_by(slug=ids["slug"])).scalar_one()
        invitation = db.session.get(StaffInvitation, ids["invitation"])
        assert (provider_count(), db.session.scalar(select(func.count(StaffInvitation.id))),
                db.session.get(User, ids["victim"]).role) == before
        assert provider.name == "Hagen" and invitation.revoked_at is None


def test_services_refuse_non_admins(app, make_user):
    provider = make_provider()
    for role in ("learner", "funder", "author"):
        user = make_user(role, provider_id=provider.id if role == "author" else None)
        with pytest.raises(PermissionDenied):
            providers.create_provider(user, name="X", slug="xx", kind="library")
        with pytest.raises(PermissionDenied):
            providers.update_provider(user, provider, name="X", kind="library")
        with pytest.raises(PermissionDenied):
            providers.list_providers(user)
        with pytest.raises(PermissionDenied):
            providers.remove_author(user, provider, user.id)
        with pytest.raises(PermissionDenied):
            staff_invitations.invite_staff(user, provider, name="A", email="a@example.no")
    assert provider_count() == 1


# --- list ---------------------------------------------------------------------------------------------------------

def test_list_shows_kind_in_words_municipality_and_counts(client, admin, make_user):
    hagen = make_provider("hagen", "Hagen Næringshage")
    hagen.municipality_code = "5001"
    biblioteket = make_provider("biblioteket", "Biblioteket", kind="library")
    make_course("Kurs en", provider=hagen)
    make_course("Kurs to", provider=hagen)
    make_user("author", provider_id=hagen.id)
    make_user("learner", provider_id=None)
    html = client.get("/admin/providers").get_data(as_text=True)
    rows = {name: row for name, row in
            ((re.search(r">([^<]+)</a>", row).group(1), row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:])}
    assert set(rows) == {"Hagen Næringshage", "Biblioteket"}
    cells = lambda row: [c.strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]  # noqa: E731
    assert cells(rows["Hagen Næringshage"])[1:] == ["Business park", "Trondheim - Tråante", "2", "1"]
    assert cells(rows["Biblioteket"])[1:] == ["Library", "–", "0", "0"]
    assert f'href="/admin/providers/{biblioteket.slug}"' in html and 'href="/admin/providers/new"' in html


def test_list_is_searched_by_name_and_paginated(client, admin):
    for n in range(25):
        make_provider(f"hage-{n:02d}", f"Hage {n:02d}")
    make_provider("bibliotek", "Ørland bibliotek")
    first = client.get("/admin/providers?q=hage").get_data(as_text=True)
    assert "25 providers" in first and "Hage 00" in first and "Hage 19" in first and "Hage 20" not in first
    assert "Ørland" not in first and "Page 1 of 2" in first
    second = client.get("/admin/providers?q=hage&page=2").get_data(as_text=True)
    assert "Hage 24" in second and "Hage 00" not in second
    found = client.get("/admin/providers?q=BIBLIOTEK").get_data(as_text=True)  # SQLite lowers ASCII only
    assert "Ørland bibliotek" in found and "Hage 01" not in found
    assert "No provider matches" in client.get("/admin/providers?q=zzz").get_data(as_text=True)


def test_list_runs_a_fixed_number_of_queries(client, admin, make_user, count_queries):
    provider = make_provider("a", "A")
    make_course("K", provider=provider)
    with count_queries() as few:
        assert client.get("/admin/providers").status_code == 200
    for n in range(8):
        other = make_provider(f"p{n}", f"P{n}")
        make_course(f"Kurs {n}", provider=other)
        make_user("author", provider_id=other.id)
    with count_queries() as many:
        client.get("/admin/providers")
    assert many.count == few.count, many


def test_empty_list_says_how_to_start(client, admin):
    html = client.get("/admin/providers").get_data(as_text=True)
    assert "No providers yet" in html and "/admin/providers/new" in html


# --- create and edit ----------------------------------------------------------------------------------------------

def test_admin_creates_a_provider(client, admin):
    response = client.post("/admin/providers/new", data=details(name="  Orkdal  Næringshage "))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/providers/orkdal"
    provider = db.session.execute(select(Provider).filter_by(slug="orkdal")).scalar_one()
    assert (provider.name, provider.kind, provider.municipality_code, provider.logo_sha256) == \
        ("Orkdal Næringshage", "business_park", "5059", None)
    page = client.get("/admin/providers/orkdal").get_data(as_text=True)
    assert "Orkdal Næringshage" in page and "Business park" in page and "Orkland" in page


@pytest.mark.parametrize("slug", ["Orkdal", "o", "-orkdal", "ork dal", "ork_dal", "ørland", "a" * 65, "", "new"])
def test_bad_slugs_are_refused_next_to_the_field(client, admin, slug):
    response = client.post("/admin/providers/new", data=details(slug=slug))
    assert response.status_code == 200
    assert 'id="slug-error"' in response.get_data(as_text=True)
    assert provider_count() == 0


def test_every_wrong_field_is_shown_at_once(client, admin):
    response = client.post("/admin/providers/new", data=details(slug="X", kind="castle", municipality="0301"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="slug-error"' in html and 'id="kind-error"' in html and 'id="municipality-error"' in html
    with pytest.raises(InvalidInput) as refused:
        providers.create_provider(admin, name="Ok", slug="X", kind="castle", municipality_code="9999")
    assert set(refused.value.details["errors"]) == {"slug", "kind", "municipality"}


def test_duplicate_slug_is_refused(client, admin):
    make_provider("orkdal", "Den første")
    response = client.post("/admin/providers/new", data=details())
    assert response.status_code == 200 and "already has the short name orkdal" in response.get_data(as_text=True)
    other = make_provider("annen", "Annen")
    response = client.post("/admin/providers/annen", data=details(slug="orkdal", name="Annen"))
    assert response.status_code == 200 and 'id="slug-error"' in response.get_data(as_text=True)
    db.session.refresh(other)
    assert other.slug == "annen" and provider_count() == 2


def test_slug_changes_until_the_provider_has_courses(client, admin):
    provider = make_provider("gammel", "Hage")
    response = client.post("/admin/providers/gammel", data=details(slug="ny-hage", name="Hage"))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/providers/ny-hage"
    db.session.refresh(provider)
    assert provider.slug == "ny-hage"
    make_course("Kurs", provider=provider)
    page = client.get("/admin/providers/ny-hage").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="slug"[^>]*readonly', page)
    response = client.post("/admin/providers/ny-hage", data=details(slug="tredje", name="Hage 2"))
    assert response.status_code == 200 and "cannot change" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert (provider.slug, provider.name) == ("ny-hage", "Hage")  # nothing of the refused form was saved
    # The other fields still change while the slug stays.
    assert client.post("/admin/providers/ny-hage", data=details(slug="ny-hage", name="Hage 2")).status_code == 302
    db.session.refresh(provider)
    assert provider.name == "Hage 2"


def test_a_draft_fixes_the_slug_too(app, admin):
    provider = make_provider("hage", "Hage")
    db.session.add(CourseDraft(slug="utkast", provider_id=provider.id))
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        providers.update_provider(admin, provider, name="Hage", kind="library", slug="annen")
    assert refused.value.details["field"] == "slug"


def test_an_imported_provider_keeps_its_municipality_when_only_renamed(app, admin):
    provider = make_provider("hage", "Hage")
    provider.municipality_code = "5001"
    providers.update_provider(admin, provider, name="Hagen", kind="incubator")
    assert (provider.name, provider.kind, provider.municipality_code) == ("Hagen", "incubator", "5001")


# --- logo ---------------------------------------------------------------------------------------------------------

def upload(client, slug, data, filename="logo.png", **fields):
    """POST the provider form with a logo as a browser does (one multipart body, built in memory)."""
    boundary = "grense-1234567890"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in {**details(slug=slug, name="Hage"), **fields}.items()]
    if data is not None:
        parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; filename="{filename}"\r\n'
                      f"Content-Type: image/png\r\n\r\n").encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(f"/admin/providers/{slug}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_png_logo_is_stored_and_served_with_its_type(client, admin, import_course):
    provider = make_provider("hage", "Hage")
    logo = png_bytes()
    assert upload(client, "hage", logo, filename="LOGO.WHATEVER").status_code == 302
    db.session.refresh(provider)
    assert provider.logo_content_type == "image/png" and media_store().read(provider.logo_sha256) == logo
    page = client.get("/admin/providers/hage").get_data(as_text=True)
    src = re.search(r'<img[^>]*id="provider-logo"[^>]*src="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(src)
    assert response.status_code == 200 and response.data == logo
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"] and response.headers["ETag"]
    plain = client.get("/providers/hage/logo")  # without the version: may change, so a short cache
    assert plain.data == logo and "immutable" not in plain.headers["Cache-Control"]
    assert "max-age=" in plain.headers["Cache-Control"]
    assert client.get("/providers/hage/logo", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_logo_shows_on_the_course_page(client, admin, import_course):
    course = import_course("minimal")
    provider = db.session.get(Provider, course.provider_id)
    assert "provider-logo" not in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    providers.update_provider(admin, provider, name=provider.name, kind=provider.kind, logo=png_bytes())
    db.session.commit()
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert f'src="/providers/{provider.slug}/logo?v={provider.logo_sha256[:12]}"' in html


@pytest.mark.parametrize("data", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<!doctype html><html><script>alert(1)</script></html>",
    b"GIF89a" + b"\x00" * 64,
    b"",
], ids=["svg", "html", "gif", "empty"])
def test_what_is_no_png_jpeg_or_webp_is_refused_whatever_its_name(client, admin, data):
    provider = make_provider("hage", "Hage")
    response = upload(client, "hage", data, filename="logo.png")
    db.session.refresh(provider)
    assert provider.logo_sha256 is None
    if data:  # an empty file is no upload at all: the rest of the form is saved
        assert response.status_code == 200 and 'id="logo-error"' in response.get_data(as_text=True)
    with pytest.raises(InvalidInput):
        providers.validate_logo(data)
    assert client.get("/providers/hage/logo").status_code == 404


def test_jpeg_and_webp_logos_are_accepted(app, admin):
    provider = make_provider("hage", "Hage")
    for fmt, content_type in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (3, 3)).save(out, format=fmt)
        providers.update_provider(admin, provider, name="Hage", kind="library", logo=out.getvalue())
        assert provider.logo_content_type == content_type


def test_a_logo_over_2_mib_is_refused(client, admin, app):
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024  # let the request through, so the service's rule answers
    provider = make_provider("hage", "Hage")
    big = png_bytes() + b"\x00" * (2 * 1024 * 1024)
    response = upload(client, "hage", big)
    assert response.status_code == 200 and "at most 2 MB" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.logo_sha256 is None
    exactly = png_bytes() + b"\x00" * (2 * 1024 * 1024 - len(png_bytes()))
    assert providers.validate_logo(exactly) == "image/png"


def test_a_logo_larger_than_the_request_limit_is_refused_too(client, admin):
    provider = make_provider("hage", "Hage")
    response = upload(client, "hage", png_bytes() + b"\x00" * (3 * 1024 * 1024))
    assert response.status_code in (400, 413)
    db.session.refresh(provider)
    assert provider.logo_sha256 is None


def test_the_logo_can_be_removed(client, admin):
    provider = make_provider("hage", "Hage")
    upload(client, "hage", png_bytes())
    assert client.get("/providers/hage/logo").status_code == 200
    assert upload(client, "hage", None).status_code == 302  # saving without a file keeps the logo
    db.session.refresh(provider)
    assert provider.logo_sha256
    assert upload(client, "hage", None, remove_logo="y").status_code == 302
    db.session.refresh(provider)
    assert provider.logo_sha256 is None and provider.logo_content_type is None
    assert client.get("/providers/hage/logo").status_code == 404


# --- roles: an author needs a provider ----------------------------------------------------------------------------

def test_the_role_author_without_a_provider_is_refused(client, admin, make_user):
    user = make_user(name="Nina")
    response = client.post(f"/admin/users/{user.id}/role", data={"role": "author", "provider_id": ""},
                           follow_redirects=True)
    assert "choose the provider" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.role, user.provider_id) == ("learner", None)
    with pytest.raises(InvalidInput) as refused:
        roles.change_role(admin, user, "author")
    assert refused.value.details["field"] == "provider_id"
    with pytest.raises(InvalidInput):
        roles.change_role(admin, user, "author", provider_id=987654)
    db.session.refresh(user)
    assert user.role == "learner"


def test_an_author_cannot_be_unlinked_from_the_provider(app, admin, make_user):
    provider = make_provider()
    author = make_user("author", provider_id=provider.id)
    with pytest.raises(InvalidInput):
        roles.link_author(admin, author, None)
    assert author.provider_id == provider.id
    roles.change_role(admin, author, "learner")
    assert (author.role, author.provider_id) == ("learner", None)


def test_an_admin_removes_an_author_and_the_courses_stay(client, admin, make_user):
    provider = make_provider("hage", "Hage")
    course = make_course("Kurs", provider=provider)
    author = make_user("author", provider_id=provider.id, name="Frida Forfatter")
    page = client.get("/admin/providers/hage").get_data(as_text=True)
    assert "Frida Forfatter" in page and "Never" in page
    assert client.post(f"/admin/providers/hage/authors/{author.id}/remove").status_code == 302
    db.session.refresh(author)
    db.session.refresh(course)
    assert (author.role, author.provider_id, course.provider_id) == ("learner", None, provider.id)
    page = client.get("/admin/providers/hage").get_data(as_text=True)
    assert 'id="authors"' not in page and "No authors yet" in page
    # Someone who is not (or no longer) an author of this provider is not found.
    other = make_provider("annen", "Annen")
    stranger = make_user("author", provider_id=other.id)
    assert client.post(f"/admin/providers/hage/authors/{stranger.id}/remove").status_code == 302
    db.session.refresh(stranger)
    assert (stranger.role, stranger.provider_id) == ("author", other.id)


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_provider_forms_refuse_a_post_without_token(self, client, admin, make_user):
        provider = make_provider("hage", "Hage")
        author = make_user("author", provider_id=provider.id)
        for url, data in [("/admin/providers/new", details()),
                          ("/admin/providers/hage", details(slug="hage", name="Hacked")),
                          ("/admin/providers/hage/invite", {"name": "X", "email": "x@example.no"}),
                          (f"/admin/providers/hage/authors/{author.id}/remove", {})]:
            assert client.post(url, data=data).status_code in (400, 302), url
        db.session.refresh(provider)
        db.session.refresh(author)
        assert provider.name == "Hage" and provider_count() == 1 and author.role == "author"
        assert db.session.scalar(select(func.count(StaffInvitation.id))) == 0

    def test_every_form_on_the_provider_pages_carries_a_token(self, client, admin, make_user):
        provider = make_provider("hage", "Hage")
        make_user("author", provider_id=provider.id)
        db.session.add(StaffInvitation(provider_id=provider.id, email="a@example.no", token_hash="1" * 64))
        db.session.commit()
        counts = {}
        for url in ("/admin/providers", "/admin/providers/new", "/admin/providers/hage"):
            html = client.get(url).get_data(as_text=True)
            counts[url] = html.count('method="post"')
            assert counts[url] == html.count('name="csrf_token"'), url
        # The layout's own forms (language, log out), and on the provider's page: details, invite, remove, revoke.
        assert counts["/admin/providers/hage"] == counts["/admin/providers"] + 4


def test_the_provider_page_runs_a_fixed_number_of_queries(client, admin, make_user, count_queries):
    provider = make_provider("hage", "Hage")
    make_user("author", provider_id=provider.id)
    staff_invitations.invite_staff(admin, provider, name="A", email="a@example.no")
    db.session.commit()
    outbox.deliver()  # the invitations' mails, sent now rather than after the counted request
    with count_queries() as few:
        assert client.get("/admin/providers/hage").status_code == 200
    for n in range(6):
        make_user("author", provider_id=provider.id)
        staff_invitations.invite_staff(admin, provider, name=f"B{n}", email=f"b{n}@example.no")
    db.session.commit()
    outbox.deliver()
    with count_queries() as many:
        client.get("/admin/providers/hage")
    assert many.count == few.count, many
