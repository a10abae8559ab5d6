"""The admin pages: providers, people (role, author's provider), firms (contact person)."""
import pytest

from courseware.errors import Conflict, InvalidInput, PermissionDenied
from courseware.extensions import db
from courseware.services import firms, membership, providers, roles

from .firms_support import ORGNR_A, ORGNR_B, ORGNR_C, make_firm, make_provider


@pytest.fixture
def app_config():
    """English, the msgids: these tests check wording that translators may change (bokmål is tested in test_i18n)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin", name="Åse Admin"))


def test_admin_renames_a_provider_and_sets_its_kind(client, admin):
    provider = make_provider("folkebibliotek", "trondheim folkebibl.")
    assert "trondheim folkebibl." in client.get("/admin/providers").get_data(as_text=True)
    data = {"name": " Trondheim folkebibliotek ", "kind": "library"}
    page = client.post(f"/admin/providers/{provider.slug}", data={**data, "slug": provider.slug})
    assert page.status_code == 302
    db.session.refresh(provider)
    assert (provider.name, provider.kind, provider.slug) == ("Trondheim folkebibliotek", "library", "folkebibliotek")


def test_unknown_provider_kind_is_refused(client, admin):
    provider = make_provider()
    client.post(f"/admin/providers/{provider.slug}", data={"name": "X", "kind": "castle", "slug": provider.slug})
    db.session.refresh(provider)
    assert provider.kind == "business_park" and provider.name != "X"
    with pytest.raises(InvalidInput):
        providers.update_provider(admin, provider, name="X", kind="castle")


def test_services_refuse_non_admins(app, make_user):
    author, provider = make_user("author"), make_provider()
    firm = make_firm(ORGNR_A, "A AS", contact=make_user())
    with pytest.raises(PermissionDenied):
        providers.update_provider(author, provider, name="X", kind="library")
    with pytest.raises(PermissionDenied):
        roles.change_role(author, author, "admin")
    with pytest.raises(PermissionDenied):
        roles.list_users(author)
    with pytest.raises(PermissionDenied):
        firms.list_firms(author)
    with pytest.raises(PermissionDenied):
        membership.hand_over_contact(author, firm, author.id)
    with pytest.raises(PermissionDenied):
        firms.verify_firm(author, firm)


def test_users_are_searched_and_paginated(client, admin, make_user):
    for n in range(25):
        make_user(name=f"Deltaker {n:02d}", email=f"deltaker{n:02d}@bedrift.no")
    make_user(name="Ørjan Østby", email="orjan@verksted.no")
    first = client.get("/admin/users?q=deltaker").get_data(as_text=True)
    assert "25 accounts" in first and "Deltaker 00" in first and "Deltaker 19" in first
    assert "Deltaker 20" not in first and "Page 1 of 2" in first
    second = client.get("/admin/users?q=deltaker&page=2").get_data(as_text=True)
    assert "Deltaker 24" in second and "Deltaker 00" not in second
    by_email = client.get("/admin/users?q=verksted.no").get_data(as_text=True)
    assert "Ørjan Østby" in by_email and "Deltaker" not in by_email
    admins = client.get("/admin/users?role=admin").get_data(as_text=True)
    assert "Åse Admin" in admins and "Deltaker" not in admins


def test_users_page_runs_a_fixed_number_of_queries(client, admin, make_user, count_queries):
    provider = make_provider()
    firm = make_firm(ORGNR_A, "A AS")
    make_user("author", provider_id=provider.id)
    with count_queries() as few:
        client.get("/admin/users")
    for _ in range(10):
        make_user(firm_id=firm.id)
        make_user("author", provider_id=provider.id)
    with count_queries() as many:
        client.get("/admin/users")
    assert many.count == few.count, many


def test_admin_makes_someone_an_author_of_a_provider(client, admin, make_user):
    provider = make_provider()
    user = make_user(name="Nina Næringshage")
    page = client.post(f"/admin/users/{user.id}/role", data={"role": "author", "provider_id": str(provider.id),
                                                             "back": "/admin/users?q=nina"})
    assert page.headers["Location"] == "/admin/users?q=nina"
    db.session.refresh(user)
    assert (user.role, user.provider_id) == ("author", provider.id)
    assert "Nasjonalparken Næringshage" in client.get("/admin/users?q=nina").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/role", data={"role": "learner", "provider_id": str(provider.id)})
    db.session.refresh(user)
    assert (user.role, user.provider_id) == ("learner", None)  # only authors belong to a provider


def test_back_link_cannot_leave_the_site(client, admin, make_user):
    user = make_user()
    page = client.post(f"/admin/users/{user.id}/role", data={"role": "funder", "back": "https://evil.example/"})
    assert page.headers["Location"] == "/admin/users"


def test_the_last_admin_keeps_the_role(client, admin, make_user):
    page = client.post(f"/admin/users/{admin.id}/role", data={"role": "learner"}, follow_redirects=True)
    assert "only administrator" in page.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin"
    other = make_user("admin")
    roles.change_role(admin, other, "learner")
    db.session.commit()
    with pytest.raises(Conflict):
        roles.change_role(admin, admin, "funder")


def test_firms_are_searched_by_name_or_orgnr_with_member_counts(client, admin, make_user):
    make_firm(ORGNR_A, "Fjellgården AS", make_user(), contact=make_user())
    make_firm(ORGNR_B, "Kystfisk AS")
    html = client.get("/admin/firms").get_data(as_text=True)
    assert "Fjellgården AS" in html and "Kystfisk AS" in html and "942 110 464" in html
    assert "<td>2</td>" in html and "<td>0</td>" in html
    by_name = client.get("/admin/firms?q=kystfisk").get_data(as_text=True)
    assert "Kystfisk AS" in by_name and "Fjellgården" not in by_name
    by_orgnr = client.get("/admin/firms?q=942 110").get_data(as_text=True)
    assert "Fjellgården AS" in by_orgnr and "Kystfisk" not in by_orgnr


def test_admin_appoints_a_member_as_the_contact_person(client, admin, make_user):
    old, new = make_user(name="Gammel Kontakt"), make_user(name="Ny Kontakt")
    firm = make_firm(ORGNR_A, "A AS", new, contact=old)
    assert "Ny Kontakt" in client.get(f"/admin/firms/{firm.id}").get_data(as_text=True)
    assert client.post(f"/admin/firms/{firm.id}/contact", data={"user_id": str(new.id)}).status_code == 302
    db.session.refresh(old)
    db.session.refresh(new)
    assert new.is_firm_contact and not old.is_firm_contact and old.firm_id == firm.id


def test_only_a_member_can_become_contact_person(client, admin, make_user):
    firm = make_firm(ORGNR_A, "A AS")
    outsider = make_user(firm_id=make_firm(ORGNR_C, "C AS").id)
    page = client.post(f"/admin/firms/{firm.id}/contact", data={"user_id": str(outsider.id)}, follow_redirects=True)
    assert "Only a member of the firm" in page.get_data(as_text=True)
    db.session.refresh(outsider)
    assert not outsider.is_firm_contact


def test_admin_start_page_counts_in_the_right_number(client, admin, make_user):
    make_firm(ORGNR_A, "A AS")
    html = client.get("/admin/").get_data(as_text=True)
    assert "1 account." in html and "1 firm." in html and "0 business parks" in html  # not "1 accounts"
    make_user()
    assert "2 accounts." in client.get("/admin/").get_data(as_text=True)


def test_admin_sees_and_edits_any_firm(client, admin, make_user):
    firm = make_firm(ORGNR_A, "A AS", make_user(name="Ansatt Ansattsen"), contact=make_user())
    assert "Ansatt Ansattsen" in client.get(f"/firm/{firm.id}").get_data(as_text=True)
    client.post(f"/firm/{firm.id}/edit", data={"name": "A Endret AS", "municipality": "5001", "industry_section": "A",
                                                "industry_code": "01.110", "size_band": "0-9"})
    db.session.refresh(firm)
    assert (firm.name, firm.industry_code) == ("A Endret AS", "01.110")


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "BABEL_DEFAULT_LOCALE": "en"}

    def test_admin_and_firm_forms_refuse_a_post_without_token(self, client, admin, make_user):
        provider = make_provider()
        user = make_user()
        firm = make_firm(ORGNR_A, "A AS", user)
        for url, data in [
            (f"/admin/providers/{provider.slug}", {"name": "Hacked", "kind": "library", "slug": provider.slug}),
            (f"/admin/users/{user.id}/role", {"role": "admin"}),
            (f"/admin/firms/{firm.id}/contact", {"user_id": str(user.id)}),
            (f"/admin/firms/{firm.id}/verify", {}),
            (f"/firm/{firm.id}/edit", {"name": "Hacked"}),
            (f"/firm/{firm.id}/invite", {"emails": "x@example.no"}),
        ]:
            assert client.post(url, data=data).status_code == 400, url
        db.session.refresh(user)
        db.session.refresh(firm)
        assert user.role == "learner" and not user.is_firm_contact and not firm.verified

    def test_every_admin_form_carries_a_token(self, client, admin, make_user):
        make_provider()
        firm = make_firm(ORGNR_A, "A AS", make_user())
        for url in ("/admin/providers", "/admin/users", f"/admin/firms/{firm.id}"):
            html = client.get(url).get_data(as_text=True)
            assert html.count('method="post"') == html.count('name="csrf_token"'), url
