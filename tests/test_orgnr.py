"""Organisation numbers (MOD11) and the reference data firms are described with."""
import pytest

from courseware.data import load
from courseware.errors import InvalidInput
from courseware.services import orgs

# norway.md §1.3: all pass MOD11.
VALID = [
    "817920632", "986399445", "942110464", "974760673", "912660680",
    "991825827", "923609016", "988077917", "123456785",
]
MUNICIPALITY_ORGNRS = [m["orgnr"] for m in load("municipalities")["municipalities"]]


@pytest.fixture
def app_config():
    """English, the msgids: these tests check wording that translators may change (bokmål is tested in test_i18n)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.mark.parametrize("orgnr", VALID + MUNICIPALITY_ORGNRS)
def test_valid_numbers_pass(orgnr):
    assert orgs.validate_orgnr(orgnr) == orgnr
    assert orgs.is_valid_orgnr(orgnr)


def test_all_38_municipality_numbers_are_listed():
    assert len(MUNICIPALITY_ORGNRS) == 38
    assert len(set(MUNICIPALITY_ORGNRS)) == 38


@pytest.mark.parametrize("raw", ["817 920 632", " 817-920-632 ", "817.920.632", "817\t920632"])
def test_spaces_dashes_and_dots_are_ignored(raw):
    assert orgs.validate_orgnr(raw) == "817920632"


def test_brreg_worked_example_check_digit():
    assert orgs.orgnr_check_digit("12345678") == 5


def test_prefix_with_remainder_one_has_no_check_digit():
    assert orgs.orgnr_check_digit("91234567") is None
    for last in "0123456789":
        assert not orgs.is_valid_orgnr("91234567" + last)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("123456789", "123 456 789 is not valid"),  # check digit should be 5
        ("817920633", "817 920 633 is not valid"),  # one digit off
        ("912345670", "is not valid"),  # remainder 1: no check digit is valid
        ("12345678", "must have 9 digits; you wrote 8"),
        ("1234567890", "must have 9 digits; you wrote 10"),
        ("12345678a", "only contain digits"),
        ("٨١٧٩٢٠٦٣٢", "only contain digits"),  # Arabic-Indic digits are digits to str.isdigit, not to us
        ("", "Enter the organisation number"),
        (None, "Enter the organisation number"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(app, raw, fragment):
    with pytest.raises(InvalidInput) as caught:
        orgs.validate_orgnr(raw)
    assert fragment in caught.value.message
    assert caught.value.details["field"] == "orgnr"


def test_wrong_check_digit_message_matches_the_agreed_wording(app):
    with pytest.raises(InvalidInput) as caught:
        orgs.validate_orgnr("123456789")
    assert caught.value.message == (
        "The organisation number 123 456 789 is not valid: the check digit does not match. "
        "Check that you typed it correctly."
    )


def test_format_groups_in_threes():
    assert orgs.format_orgnr("817920632") == "817 920 632"
    assert orgs.format_orgnr("817 920-632") == "817 920 632"


def test_municipalities_are_sorted_by_short_name_and_named_officially(app):
    municipalities = orgs.list_municipalities()
    assert len(municipalities) == 38
    short = [m.short_name for m in municipalities]
    assert short == sorted(short, key=str.casefold)
    assert orgs.municipality_name("5001") == "Trondheim - Tråante"
    assert orgs.municipality_name("5041") == "Snåase - Snåsa"
    assert orgs.municipality_name("0301") == "Municipality 0301"
    assert orgs.municipality_name(None) == ""


@pytest.mark.parametrize("code", ["5001", "5061", "0301", "4601", "5501", "3101"])
def test_municipality_numbers_accepted(app, code):
    assert orgs.validate_municipality(code) == code


@pytest.mark.parametrize("code", ["", "501", "50011", "abcd", "9901", "1201", "5016", "5099"])
def test_municipality_numbers_refused(app, code):
    # 12 is not a county since 2024; 5016 Agdenes no longer exists; 50xx outside the 38 are not municipalities.
    with pytest.raises(InvalidInput) as caught:
        orgs.validate_municipality(code)
    assert caught.value.details["field"] == "municipality"


def test_industry_sections_cover_a_to_u():
    sections = orgs.list_industry_sections()
    assert [s.letter for s in sections] == list("ABCDEFGHIJKLMNOPQRSTU")
    assert sections[2].name == "Industri"


@pytest.mark.parametrize(
    "code, letter",
    [("01.110", "A"), ("03.211", "A"), ("25.620", "C"), ("33", "C"), ("35.111", "D"), ("45.201", "G"),
     ("62.010", "J"), ("64.190", "K"), ("79.110", "N"), ("84.110", "O"), ("99.000", "U"),
     ("04.000", None), ("34.000", None), ("", None), (None, None), ("x", None)],
)
def test_section_from_division(code, letter):
    assert orgs.section_for_code(code) == letter


def test_industry_code_must_match_its_section(app):
    assert orgs.validate_industry("c", "25.620") == ("C", "25.620")
    assert orgs.validate_industry("C", "25620") == ("C", "25.620")
    assert orgs.validate_industry("I", "") == ("I", None)
    with pytest.raises(InvalidInput) as caught:
        orgs.validate_industry("A", "25.620")
    assert caught.value.details["field"] == "industry_code"
    with pytest.raises(InvalidInput):
        orgs.validate_industry("C", "25.62")
    with pytest.raises(InvalidInput) as caught:
        orgs.validate_industry("Z", None)
    assert caught.value.details["field"] == "industry_section"


@pytest.mark.parametrize(
    "employees, band",
    [(None, None), (0, "0-9"), (9, "0-9"), (10, "10-49"), (49, "10-49"), (50, "50-249"), (249, "50-249"),
     (250, "250+"), (-1, None)],
)
def test_size_band_from_headcount(employees, band):
    assert orgs.size_band_for(employees) == band
