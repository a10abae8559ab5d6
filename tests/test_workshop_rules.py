"""The machine-permission rules as pure functions: age, guardian consent, expiry and withdrawal."""
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from courseware.errors import InvalidInput
from courseware.services import workshop_rules as rules

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _context(app):
    """gettext needs an app context; the rules themselves touch no database."""


def permission(**values):
    base = dict(id=1, machine_id=1, granted_at=datetime(2026, 1, 31, tzinfo=UTC), expires_at=None, withdrawn_at=None)
    base.update(values)
    return SimpleNamespace(**base)


def test_no_age_rule_needs_no_year_of_birth():
    rules.check_sign_off(rules.Rules(), None, "", NOW)


@pytest.mark.parametrize("birth_year, ok", [(2011, True), (2012, False), (1950, True)])
def test_minimum_age_counts_the_age_reached_this_year(birth_year, ok):
    if ok:
        rules.check_sign_off(rules.Rules(min_age=15), birth_year, "", NOW)
    else:
        with pytest.raises(InvalidInput) as problem:
            rules.check_sign_off(rules.Rules(min_age=15), birth_year, "", NOW)
        assert problem.value.details["field"] == "birth_year"


def test_an_age_rule_asks_for_the_year_of_birth():
    with pytest.raises(InvalidInput) as problem:
        rules.check_sign_off(rules.Rules(min_age=12), None, "", NOW)
    assert problem.value.details["field"] == "birth_year"


def test_guardian_consent_under_the_age():
    consent = rules.Rules(min_age=12, consent_under_age=18)
    with pytest.raises(InvalidInput) as problem:
        rules.check_sign_off(consent, 2012, "  ", NOW)
    assert problem.value.details["field"] == "guardian_name"
    rules.check_sign_off(consent, 2012, "Kari Nordmann", NOW)
    rules.check_sign_off(consent, 2008, "", NOW)  # 18 this year: no consent needed
    assert rules.needs_consent(consent, 2012, NOW) and not rules.needs_consent(consent, 2008, NOW)


@pytest.mark.parametrize("value", ["", "abc", "1890", "2027", None])
def test_implausible_years_of_birth_are_refused(value):
    with pytest.raises(InvalidInput):
        rules.validate_birth_year(value, NOW)
    assert rules.validate_birth_year(" 2010 ", NOW) == 2010


def test_expiry_adds_calendar_months():
    granted = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert rules.expires_at(rules.Rules(valid_months=1), granted) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert rules.expires_at(rules.Rules(valid_months=24), granted) == datetime(2028, 1, 31, 10, tzinfo=UTC)
    assert rules.expires_at(rules.Rules(), granted) is None


def test_answers_for_each_state():
    assert rules.answer(None, NOW).state == rules.NOT_SIGNED_OFF
    allowed = rules.answer(permission(expires_at=datetime(2026, 7, 1, tzinfo=UTC)), NOW)
    assert allowed.state == rules.ALLOWED and allowed.until == datetime(2026, 7, 1, tzinfo=UTC)
    expired = rules.answer(permission(expires_at=datetime(2026, 6, 15, 12, tzinfo=UTC)), NOW)
    assert expired.state == rules.EXPIRED and expired.since == datetime(2026, 6, 15, 12, tzinfo=UTC)
    withdrawn = rules.answer(permission(withdrawn_at=datetime(2026, 3, 1, tzinfo=UTC),
                                        expires_at=datetime(2025, 1, 1, tzinfo=UTC)), NOW)
    assert withdrawn.state == rules.WITHDRAWN  # withdrawal wins over expiry
    assert rules.answer(permission(), NOW).state == rules.ALLOWED  # no validity: never expires


def test_the_newest_sign_off_decides():
    old = permission(id=1, withdrawn_at=datetime(2026, 2, 1, tzinfo=UTC))
    refreshed = permission(id=2, granted_at=datetime(2026, 3, 1, tzinfo=UTC))
    other = permission(id=3, machine_id=2)
    assert rules.newest([refreshed, old, other]) == {1: refreshed, 2: other}


def test_age_bands():
    assert [rules.age_band(y, NOW) for y in (2014, 2008, 1990, 1970, 1950, None)] == [
        "under_16", "16_19", "20_39", "40_66", "67_plus", "unknown"]
