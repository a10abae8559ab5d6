"""The first administrator (one-time setup link) and the `create-user` command."""
import pytest
from sqlalchemy import func, select

from courseware.errors import Conflict
from courseware.extensions import db
from courseware.models import Provider, SetupToken, User
from courseware.services import accounts

ADMIN = {"name": "Ingrid Admin", "email": "ingrid@naeringshage.example.no",
         "password": "Lang-og-trygg-admin-1", "confirm": "Lang-og-trygg-admin-1"}


def _count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.fixture
def token(app):
    raw = accounts.create_setup_token()
    db.session.commit()
    return raw


# --- Services ----------------------------------------------------------------------------------------------------


def test_setup_token_is_stored_hashed_and_replaces_older_unused_ones(app):
    first = accounts.create_setup_token()
    second = accounts.create_setup_token()
    db.session.commit()
    hashes = db.session.execute(select(SetupToken.token_hash)).scalars().all()
    assert len(hashes) == 1 and second not in hashes[0] and len(hashes[0]) == 64
    assert len(second) >= 43 and first != second
    assert accounts.find_setup_token(first) is None
    assert accounts.find_setup_token(second) is not None


def test_admin_exists(app, make_user):
    assert accounts.admin_exists() is False
    make_user("author")
    assert accounts.admin_exists() is False
    make_user("admin")
    assert accounts.admin_exists() is True


# --- The setup page ----------------------------------------------------------------------------------------------


def test_setup_page_shows_form_for_a_valid_token(client, token):
    response = client.get(f"/auth/setup/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="form-card' in page
    for autocomplete in ("name", "email", "new-password"):
        assert f'autocomplete="{autocomplete}"' in page


def test_setup_creates_admin_marks_token_used_and_logs_in(client, token):
    response = client.post(f"/auth/setup/{token}", data=ADMIN)

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    admin = db.session.execute(select(User)).scalar_one()
    assert (admin.role, admin.email, admin.name) == ("admin", ADMIN["email"], ADMIN["name"])
    assert admin.email_verified_at is not None  # whoever has the setup link vouches for the address
    assert db.session.execute(select(SetupToken)).scalar_one().used_at is not None
    with client.session_transaction() as sess:
        assert sess["_user_id"].startswith(f"{admin.id}:")


def test_after_setup_the_link_says_already_set_up(client, token):
    client.post(f"/auth/setup/{token}", data=ADMIN)
    client.post("/auth/logout")
    for response in (client.get(f"/auth/setup/{token}"), client.post(f"/auth/setup/{token}", data=ADMIN),
                     client.get("/auth/setup/any-other-token")):
        assert response.status_code == 200
        assert "Courseware is set up" in response.get_data(as_text=True)
    assert _count(User) == 1


def test_setup_is_refused_when_an_admin_already_exists(client, token, make_user):
    make_user("admin", email="first@example.no")
    response = client.post(f"/auth/setup/{token}", data={**ADMIN, "email": "second@example.no"})
    assert "Courseware is set up" in response.get_data(as_text=True)
    assert _count(User, User.role == "admin") == 1
    with pytest.raises(Conflict):
        accounts.create_first_admin(token, email="third@example.no", name="T", password=ADMIN["password"])


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_setup_token_gives_friendly_page(client, token, method):
    response = getattr(client, method)("/auth/setup/wrong-token", data=ADMIN)
    assert response.status_code == 404
    assert "The setup link is not valid" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_replaced_setup_token_no_longer_works(client, token):
    newer = accounts.create_setup_token()
    db.session.commit()
    assert client.post(f"/auth/setup/{token}", data=ADMIN).status_code == 404
    assert client.post(f"/auth/setup/{newer}", data=ADMIN).status_code == 302


def test_setup_invalid_post_shows_field_errors(client, token):
    page = client.post(f"/auth/setup/{token}", data={**ADMIN, "email": "nei", "confirm": "x"}).get_data(as_text=True)
    assert 'id="email-error"' in page and 'id="confirm-error"' in page
    assert _count(User) == 0 and accounts.find_setup_token(token) is not None


def test_setup_with_an_email_a_learner_already_uses(client, token, make_user):
    make_user("learner", email=ADMIN["email"])
    page = client.post(f"/auth/setup/{token}", data=ADMIN).get_data(as_text=True)
    assert 'id="email-error"' in page and "There is already an account" in page
    # The failed attempt rolled back, so the token still works with another address.
    assert accounts.find_setup_token(token) is not None
    assert client.post(f"/auth/setup/{token}", data={**ADMIN, "email": "annen@example.no"}).status_code == 302


# --- courseware create-user --------------------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(args=["create-user", *args], **kw)


def test_create_user_with_password_option(cli):
    db.session.add(Provider(slug="ntnu-hage", name="Næringshagen"))
    db.session.commit()
    result = cli("--email", "Forfatter@Example.no", "--role", "author", "--name", "Frida Forfatter",
                 "--provider", "ntnu-hage", "--password", "Et-langt-passord-123")
    assert result.exit_code == 0, result.output
    assert "Created author forfatter@example.no" in result.output
    user = accounts.find_user_by_email("forfatter@example.no")
    assert (user.role, user.name) == ("author", "Frida Forfatter")
    assert user.email_verified_at is not None  # the operator vouches for the address
    assert accounts.authenticate("forfatter@example.no", "Et-langt-passord-123") is not None


def test_create_user_prompts_for_password(cli):
    result = cli("--email", "admin@example.no", "--role", "admin", input="Et-langt-passord-123\nEt-langt-passord-123\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Et-langt-passord-123" not in result.output
    assert accounts.find_user_by_email("admin@example.no").email_verified_at is not None
    assert accounts.authenticate("admin@example.no", "Et-langt-passord-123").role == "admin"


def test_create_user_refuses_an_author_without_provider(cli):
    result = cli("--email", "a@example.no", "--role", "author", "--password", "x" * 12)
    assert result.exit_code != 0 and "--provider" in result.output
    assert accounts.find_user_by_email("a@example.no") is None


def test_create_user_with_provider(cli):
    provider = Provider(slug="ntnu-hage", name="Næringshagen")
    db.session.add(provider)
    db.session.commit()
    result = cli("--email", "a@example.no", "--role", "author", "--provider", "ntnu-hage", "--password", "x" * 12)
    assert result.exit_code == 0, result.output
    assert accounts.find_user_by_email("a@example.no").provider_id == provider.id


@pytest.mark.parametrize("args,message", [
    (["--provider", "finnes-ikke"], "No provider is called finnes-ikke."),
    (["--email", "ikke-epost"], "Enter a valid e-mail address"),
    (["--email", "ola@firma"], "Enter a valid e-mail address"),  # no dot in the domain: the form refuses it too
    (["--email", "ola nordmann@firma.no"], "Enter a valid e-mail address"),
    (["--password", "kort"], "at least 10 characters"),
])
def test_create_user_bad_input_exits_cleanly(cli, args, message):
    base = {"--email": "ok@example.no", "--password": "Et-langt-passord-123"}
    base.update(dict(zip(args[::2], args[1::2])))
    result = cli(*[item for pair in base.items() for item in pair])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_create_user_duplicate_email_exits_with_1(cli, make_user):
    make_user("learner", email="finnes@example.no")
    result = cli("--email", "FINNES@example.no", "--password", "Et-langt-passord-123")
    assert result.exit_code == 1
    assert "Error: There is already an account with this e-mail address." in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert _count(User) == 1
