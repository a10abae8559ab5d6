"""Login attempts limited per account and per client address, with device cookies (blueprints/auth/throttle.py):
an attacker cannot lock the owner out, one person's typos do not lock out colleagues behind the same address, and
spreading guesses over many addresses does not get around the per-account limit."""
import pytest
from flask import g

from courseware.blueprints.auth.throttle import DEVICE_COOKIE

from .conftest import TEST_PASSWORD

OFFICE = "203.0.113.10"  # one NAT address for a whole office


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "5 per minute", "LOGIN_DEVICE_RATE_LIMIT": "5 per minute",
            "LOGIN_ADDRESS_RATE_LIMIT": "12 per minute"}


def _attempt(the_client, email, password="feil-passord-1", ip=OFFICE):
    g.pop("_login_user", None)  # the tests' requests share one app context
    return the_client.post("/auth/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": ip}).status_code


def _log_out(the_client):
    g.pop("_login_user", None)
    the_client.post("/auth/logout")


def test_an_attackers_failures_do_not_stop_the_owner_on_a_known_device(app, client, make_user):
    make_user("learner", email="eier@example.no")
    owner = client
    assert _attempt(owner, "eier@example.no", TEST_PASSWORD, ip="198.51.100.1") == 302
    assert owner.get_cookie(DEVICE_COOKIE, path="/auth/") is not None
    _log_out(owner)

    attacker = app.test_client()
    codes = [_attempt(attacker, "eier@example.no", ip=f"192.0.2.{n}") for n in range(8)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}  # the account is locked for unknown browsers...
    assert _attempt(app.test_client(), "eier@example.no", TEST_PASSWORD, ip="198.51.100.1") == 429

    assert _attempt(owner, "eier@example.no", TEST_PASSWORD, ip="198.51.100.1") == 302  # ...not for the owner's


def test_a_device_cookie_has_its_own_limit(app, client, make_user):
    make_user("learner", email="eier@example.no")
    _attempt(client, "eier@example.no", TEST_PASSWORD)
    _log_out(client)
    codes = [_attempt(client, "eier@example.no") for _n in range(6)]
    assert codes == [200] * 5 + [429]
    # the per-account count for other browsers was not touched by the device's failures
    assert _attempt(app.test_client(), "eier@example.no", TEST_PASSWORD, ip="198.51.100.2") == 302


def test_a_device_cookie_counts_only_for_its_own_account(app, client, make_user):
    make_user("learner", email="eier@example.no")
    make_user("learner", email="offer@example.no")
    _attempt(client, "eier@example.no", TEST_PASSWORD)
    _log_out(client)
    codes = [_attempt(client, "offer@example.no", ip=f"192.0.2.{n}") for n in range(6)]
    assert codes[-1] == 429  # the cookie for one account does not lift the limit for another


def test_a_forged_device_cookie_counts_as_none(app, client, make_user):
    make_user("learner", email="eier@example.no")
    client.set_cookie(DEVICE_COOKIE, "forged.value", path="/auth/")
    codes = [_attempt(client, "eier@example.no", ip=f"192.0.2.{n}") for n in range(6)]
    assert codes[-1] == 429


def test_colleagues_behind_one_address_are_not_locked_out_by_one_persons_failures(app, make_user):
    make_user("learner", email="kari@example.no")
    make_user("learner", email="ola@example.no")
    kari, ola = app.test_client(), app.test_client()

    codes = [_attempt(kari, "kari@example.no") for _n in range(7)]  # Kari forgot her password

    assert codes[-1] == 429  # her own account is locked for a while
    assert _attempt(ola, "ola@example.no", TEST_PASSWORD) == 302  # Ola, at the same address, logs in


def test_the_per_account_limit_holds_across_addresses(app, make_user):
    make_user("learner", email="offer@example.no")
    codes = [_attempt(app.test_client(), "offer@example.no", ip=f"10.0.{n}.1") for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_unknown_addresses_are_limited_like_accounts(client):
    """The same answers for an address without an account, so the limit tells nobody who is registered."""
    codes = [_attempt(client, "ingen@example.no", ip=f"10.1.{n}.1") for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_an_address_with_many_failures_is_limited_for_every_account(app, make_user):
    make_user("learner", email="ola@example.no")
    for n in range(12):  # twelve different accounts, two failures short of each account's limit
        _attempt(app.test_client(), f"konto{n}@example.no")
    assert _attempt(app.test_client(), "ola@example.no", TEST_PASSWORD) == 429
    assert _attempt(app.test_client(), "ola@example.no", TEST_PASSWORD, ip="198.51.100.3") == 302


def test_successful_logins_do_not_count(app, client, make_user):
    make_user("learner", email="ola@example.no")
    for _n in range(8):
        assert _attempt(app.test_client(), "ola@example.no", TEST_PASSWORD) == 302


def test_the_device_cookie_is_httponly_for_the_auth_pages_only(client, make_user):
    make_user("learner", email="ola@example.no")
    g.pop("_login_user", None)
    response = client.post("/auth/login", data={"email": "ola@example.no", "password": TEST_PASSWORD})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE + "=")]
    assert "HttpOnly" in cookie and "Path=/auth/" in cookie and "SameSite=Lax" in cookie
