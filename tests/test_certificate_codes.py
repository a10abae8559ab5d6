"""Certificate codes: Crockford base32 with its mod-37 check symbol, and reading what people type."""
import pytest

from courseware.errors import InvalidInput
from courseware.services.certificate_codes import (CHECK_SYMBOLS, SYMBOLS, check_symbol, format_code, new_code,
                                                   normalise, parse_code)


# Check symbols worked out by hand: the body is a base-32 number, the check symbol its remainder modulo 37.
@pytest.mark.parametrize("body, check", [
    ("00000000", "0"),  # 0
    ("00000001", "1"),  # 1
    ("0000000Z", "Z"),  # 31: the last ordinary symbol
    ("00000010", "*"),  # 32
    ("00000011", "~"),  # 33
    ("00000012", "$"),  # 34
    ("00000013", "="),  # 35
    ("00000014", "U"),  # 36
    ("00000015", "0"),  # 37 = 0 mod 37
    ("0000001A", "5"),  # 32 + 10 = 42 = 5 mod 37
    ("10000000", "K"),  # 32^7 = 2^35; 2^36 = 1 mod 37 (Fermat), so 2^35 = 1/2 = 19 mod 37 (2 * 19 = 38); 19 is K
    ("ZZZZZZZZ", "F"),  # 2^40 - 1; 2^40 = 2^4 = 16 mod 37, so 15: F
])
def test_check_symbol_by_hand(body, check):
    assert check_symbol(body) == check


def test_new_codes_are_nine_symbols_with_a_valid_check_and_random():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and all(s in SYMBOLS for s in code[:8]) and code[8] in CHECK_SYMBOLS
        assert parse_code(code) == code


def test_format_groups_the_code():
    assert format_code("K7QM4XPT9") == "K7QM-4XPT-9"


@pytest.mark.parametrize("typed", ["0000-001A-5", "0000001a5", " 0000 001a 5 ", "OOOO-OO1A-5", "oooo oo1a 5",
                                   "0000–001A–5", "0000.001A.5"])
def test_typing_accepts_case_spaces_missing_dashes_and_o_for_zero(typed):
    assert parse_code(typed) == "0000001A5"


def test_i_and_l_read_as_one():
    assert parse_code("i000-0000-k") == parse_code("L0000000K") == "10000000K"


def test_u_is_only_a_check_symbol():
    assert parse_code("0000-0014-U") == "00000014U"
    with pytest.raises(InvalidInput) as caught:
        parse_code("U000-0014-U")  # U is never one of the eight
    assert caught.value.details["reason"] == "malformed"


@pytest.mark.parametrize("typed", ["0000-001A-6",  # a wrong check symbol
                                   "0000-001B-5",  # one symbol mistyped
                                   "0000-010A-5",  # neighbours swapped (1 and 0)
                                   ])
def test_a_mistyped_code_is_told_apart(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_code(typed)
    assert caught.value.details["reason"] == "mistyped"
    assert "mistyped" in caught.value.message


def test_every_single_substitution_and_neighbour_swap_is_caught():
    code = "K7QM4XPT"
    code += check_symbol(code)
    for position in range(8):
        for symbol in SYMBOLS:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1:]
                with pytest.raises(InvalidInput):
                    parse_code(typo)
    for position in range(7):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
        if swapped != code:
            with pytest.raises(InvalidInput):
                parse_code(swapped)


@pytest.mark.parametrize("typed", ["", "   ", "K7QM-4XPT", "K7QM-4XPT-99", "K7QM-4XPT-!", "ÆØÅÆ-ØÅÆØ-Å", "x" * 5000,
                                   "ß" * 9])
def test_things_that_are_not_codes(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_code(typed)
    assert caught.value.details["reason"] == "malformed"


def test_normalise_only_tidies():
    assert normalise(" k7qm-4xpt-9 ") == "K7QM4XPT9"
    assert normalise(None) == ""
