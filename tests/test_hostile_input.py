"""Hostile input gets a 4xx with a message, never a 500, on SQLite and PostgreSQL: numbers past the database's
range (and in Unicode digits) in paths, query strings and forms; NUL characters anywhere; very long searches;
line breaks and control characters in names; oversized requests. CSV files are in test_bulk_csv_files.py.
Each case here was a 500 before (found by tests/test_fuzz_routes.py)."""
import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from courseware.errors import InvalidInput
from courseware.extensions import db
from courseware.models import Firm, Provider, User
from courseware.services import firms, privacy, providers, validation
from courseware.web.inputs import MAX_ID, IdConverter, parse_id

from .conftest import TEST_PASSWORD
from .world import build_world, post_csv as upload

HUGE = ["99999999999999999999", "9223372036854775808", "2147483648", "١٢٣", "１２３", "²"]


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(make_user):
    return build_world(make_user)


@pytest.fixture
def as_admin(world, login):
    return login(world.users["admin"])


# --- Numbers ------------------------------------------------------------------------------------------------------


def test_every_int_in_every_route_is_bounded(app):
    """New routes get the bounded converter too: `<int:...>` is IdConverter app-wide."""
    found = 0
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                found += 1
                assert isinstance(converter, IdConverter) and converter.max <= MAX_ID, rule.rule
    assert found >= 8


@pytest.mark.parametrize("number", HUGE)
def test_huge_and_unicode_numbers_in_paths_are_not_found(client, world, as_admin, number):
    for method, url in [("get", f"/admin/firms/{number}"), ("post", f"/admin/users/{number}/role"),
                        ("post", f"/admin/providers/{number}"), ("get", f"/admin/providers/{number}"),
                        ("get", f"/firm/{number}"),
                        ("get", f"/studio/courses/kurs/bulk/{number}"),
                        ("get", f"/me/courses/kurs/sensorer/quiz/{number}")]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (url, response.status_code)


def test_the_largest_id_is_still_an_id(client, world, as_admin):
    assert client.get(f"/admin/firms/{MAX_ID}").status_code == 404  # no such firm, but asked for properly
    assert client.get(f"/admin/firms/{world.firm_id}").status_code == 200


@pytest.mark.parametrize("url", ["/", "/admin/users", "/admin/firms", "/studio/courses/kurs"])
@pytest.mark.parametrize("number", HUGE + ["0", "-1", "abc", "1e3"])
def test_page_numbers_that_are_no_page_get_a_message(client, world, as_admin, url, number):
    response = client.get(url, query_string={"page": number})
    assert response.status_code == 404
    assert "There is no such page" in _text(response)


@pytest.mark.parametrize("url", ["/", "/admin/users", "/admin/firms", "/studio/courses/kurs"])
def test_ordinary_page_numbers_still_work(client, world, as_admin, url):
    assert client.get(url, query_string={"page": "1"}).status_code == 200
    assert client.get(url, query_string={"page": "7"}).status_code == 200
    assert client.get(url, query_string={"page": ""}).status_code == 200


@pytest.mark.parametrize("stage", ["²", "١", "99999999999999999999"])
def test_odd_stage_filters_are_ignored(client, world, stage):
    assert client.get("/", query_string={"stage": stage}).status_code == 200


def test_parse_id():
    assert parse_id(" 42 ") == 42 and parse_id(MAX_ID) == MAX_ID
    for bad in [*HUGE, "0", "-1", "", None, "4 2", "0x10", "1_000", str(MAX_ID + 1)]:
        with pytest.raises(ValueError):
            parse_id(bad)


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_forms_are_refused_with_a_message(client, world, as_admin, number):
    response = client.post(f"/admin/firms/{world.firm_id}/contact", data={"user_id": number})
    assert response.status_code == 302
    page = _text(client.get(f"/admin/firms/{world.firm_id}"))
    assert "Only a member of the firm can be its contact person." in page
    learner = world.users["learner"]
    response = client.post(f"/admin/users/{learner.id}/role", data={"role": "author", "provider_id": number})
    assert response.status_code == 302
    db.session.refresh(learner)
    assert learner.role == "learner" and learner.provider_id is None  # an author needs a provider


def test_huge_colleague_ids_enrol_nobody(client, world, login):
    login(world.users["contact"])
    response = client.post("/me/firm-enrol", data={"course": world.course_slug, "users": HUGE})
    assert response.status_code == 302


# --- NUL characters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/courses/a%00b", "/courses/kurs/a%00b", "/?q=a%00b", "/?provider=%00",
                                 "/studio/courses/a%00b", "/admin/users?q=%00", "/auth/reset/a%00b"])
def test_nul_in_the_address_is_refused(client, world, as_admin, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "The address contains a character that is not allowed." in _text(response)


def test_nul_in_a_form_is_refused_before_anything_is_saved(client, world, login):
    user = login(world.users["learner"])
    response = client.post("/me/profile", data={"name": "Ola\x00Nordmann", "locale": "nb"})
    assert response.status_code == 400 and "(NUL)" in _text(response)
    db.session.refresh(user)
    assert "\x00" not in user.name
    assert client.post("/me/profile", data={"name\x00": "x", "locale": "nb"}).status_code == 400


def test_nul_in_an_uploaded_file_name_is_refused(client, world, login):
    login(world.users["author"])
    assert upload(client, b"Kari;kari@example.no;817920632\n", "liste\x00.csv").status_code == 400


# --- Long searches ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/users", "/admin/firms", "/"])
def test_very_long_searches_are_cut_not_crashed(client, world, as_admin, url):
    for q in ["%_" * 30_000, "ø" * 60_000, "Test"]:
        assert client.get(url, query_string={"q": q}).status_code == 200


def test_search_term_is_capped():
    assert validation.search_term("  kurs  ") == "kurs"
    assert validation.search_term("x" * 10_000) == "x" * validation.MAX_SEARCH_LENGTH
    assert validation.search_term(None) == ""


# --- Names --------------------------------------------------------------------------------------------------------

BAD_NAMES = ["Ola\nNordmann", "Ola\r\nBcc: x@example.no", "Ola\rN", "Ola\tNordmann", "Ola\x1bN", "Ola\x85N",
             "Ola\u2028N", "Ola\u202eN", "Ola\x7fN"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_validate_name_refuses_control_characters(name):
    with pytest.raises(InvalidInput) as refused:
        validation.validate_name(name)
    assert refused.value.details["field"] == "name" and "control characters" in refused.value.message


def test_validate_name_normalises_and_limits():
    assert validation.validate_name("  Åse   Ødegård ") == "Åse Ødegård"
    assert validation.validate_name("Zoë 🙂 O'Brien-Ålesund") == "Zoë 🙂 O'Brien-Ålesund"
    with pytest.raises(InvalidInput, match="at most 200"):
        validation.validate_name("x" * 201)
    with pytest.raises(InvalidInput, match="The name is missing"):
        validation.validate_name("   ", missing="The name is missing.")


@pytest.mark.parametrize("name", BAD_NAMES[:3])
def test_registration_refuses_a_name_with_a_line_break_next_to_the_field(client, name):
    response = client.post("/auth/register", data={"name": name, "email": "ny@example.no",
                                                   "password": TEST_PASSWORD, "confirm": TEST_PASSWORD})
    assert response.status_code == 200
    html = _text(response)
    assert 'id="name-error"' in html and "control characters" in html
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_setup_refuses_a_name_with_a_line_break(client, app):
    from courseware.services import accounts

    token = accounts.create_setup_token()
    db.session.commit()
    response = client.post(f"/auth/setup/{token}", data={"name": "Ingrid\nAdmin", "email": "i@example.no",
                                                       "password": TEST_PASSWORD, "confirm": TEST_PASSWORD})
    assert response.status_code == 200 and 'id="name-error"' in _text(response)
    assert not accounts.admin_exists()


def test_profile_refuses_a_name_with_a_line_break(client, world, login):
    user = login(world.users["learner"])
    old = user.name
    response = client.post("/me/profile", data={"name": "Ny\nNavn", "locale": "nb"})
    assert response.status_code == 200 and 'id="name-error"' in _text(response)
    db.session.refresh(user)
    assert user.name == old
    with pytest.raises(InvalidInput):
        privacy.update_profile(user, name="Ny\u2028Navn", locale="nb", share_progress=False)


def test_admin_refuses_a_provider_name_with_a_line_break(client, world, as_admin):
    provider = db.session.get(Provider, world.provider_id)
    old = provider.name
    response = client.post(f"/admin/providers/{provider.slug}",
                           data={"name": "Ny\nHage", "kind": "library", "slug": provider.slug})
    assert response.status_code == 200 and "control characters" in _text(response)
    db.session.refresh(provider)
    assert provider.name == old
    with pytest.raises(InvalidInput):
        providers.update_provider(world.users["admin"], provider, name="Ny\rHage", kind="library")


def test_firm_names_with_a_line_break_are_refused(client, world, login):
    with pytest.raises(InvalidInput) as refused:
        firms.validate_firm_details(name="Gården\nAS", municipality_code="5001", industry_section="A",
                                    industry_code=None, size_band="0-9")
    assert refused.value.details["field"] == "name"
    login(world.users["contact"])
    response = client.post("/firm/edit", data={"name": "Gården\r\nAS", "municipality": "5001",
                                               "industry_section": "A", "size_band": "0-9"})
    assert response.status_code == 200 and 'id="name-error"' in _text(response)
    assert db.session.get(Firm, world.firm_id).name == "Ruteprøven AS"


def test_create_user_command_refuses_a_name_with_a_line_break(app):
    result = app.test_cli_runner().invoke(args=["create-user", "--email", "cli@example.no", "--name", "Ola\nN",
                                                "--password", TEST_PASSWORD])
    assert result.exit_code != 0 and "control characters" in result.output
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "cli@example.no")) == 0


def test_the_mailer_survives_names_saved_before_names_were_checked(app, make_user):
    from courseware.services import mail, verification

    user = make_user(email_verified_at=None)
    user.name = "Ola\r\nBcc: x@example.no"
    db.session.commit()
    assert verification.send_welcome(user.id) is True
    assert str(mail._recipient(user)) == user.email
    message = mail.build_message(user.email, "Invitasjon til Gården\r\nAS", "tekst", "<p>tekst</p>")
    assert message["Subject"] == "Invitasjon til Gården AS"


# --- Request size -------------------------------------------------------------------------------------------------


def test_a_too_large_request_gets_the_friendly_413_page(client, world, login):
    login(world.users["author"])
    response = upload(client, b"Kari;kari@example.no;817920632\n" * 80_000)  # 2.5 MB
    assert response.status_code == 413
    html = _text(response)
    assert "The file is too large" in html and "at most 1 MB" in html


def test_the_largest_legitimate_upload_fits(client, world, login):
    from courseware.services.csvfile import MAX_BYTES

    login(world.users["author"])
    line = b"Kari Nordmann;kari@example.no;817920632\n"
    response = upload(client, line * (MAX_BYTES // len(line)))
    assert response.status_code == 302  # read (and refused for its 2000+ rows), not cut off at the door
    assert "more than 2000 rows" in _text(client.get("/studio/courses/kurs"))
