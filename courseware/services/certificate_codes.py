"""Certificate codes that survive a phone call: 8 random Crockford base32 symbols (40 bits) and a check symbol.

A code is shown grouped, `K7QM-4XPT-9`, and stored canonical without dashes, `K7QM4XPT9`. The symbols leave out
I, L, O and U, so nothing looks or sounds like something else; typing accepts lower case, O for 0, I and L for 1,
spaces and missing dashes. The check symbol is Crockford's: the 40-bit number modulo 37, written with the 32
symbols and `*~$=U` for 32-36. Any one mistyped symbol and any two neighbours swapped change the remainder (37 is
prime and divides neither 32^k nor 31 * 32^k), so a mistyped code is told apart from an unknown one ("check the
code" rather than "not found") without asking the database.

Codes are drawn with `secrets`, so a code cannot be guessed from another; look-ups are rate-limited as well.
"""
import secrets

from flask_babel import gettext as _

from ..errors import InvalidInput

SYMBOLS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = SYMBOLS + "*~$=U"
BODY_LENGTH = 8
CODE_LENGTH = BODY_LENGTH + 1
# What people type for a symbol: O for zero, I and L for one. Separators they may put anywhere are dropped.
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u2212._\t\n\r\u00a0")


def check_symbol(body: str) -> str:
    """The check symbol of a body of SYMBOLS: its value as a base-32 number, modulo 37."""
    value = 0
    for symbol in body:
        value = value * 32 + SYMBOLS.index(symbol)
    return CHECK_SYMBOLS[value % 37]


def new_code() -> str:
    """A fresh random code, canonical (upper case, no dashes, check symbol last)."""
    body = "".join(secrets.choice(SYMBOLS) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def format_code(code: str) -> str:
    """A canonical code as people see it: `K7QM-4XPT-9`."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalise(text: str | None) -> str:
    """What someone typed, in upper case without separators and with O, I and L read as digits (not checked)."""
    return (text or "").upper().translate(_SEPARATORS).translate(_READS_AS)


def parse_code(text: str | None) -> str:
    """The canonical code from what someone typed or read out; InvalidInput with `reason` "malformed" (not a code
    at all) or "mistyped" (a symbol is wrong: the check symbol does not match)."""
    code = normalise(text)
    if (len(code) != CODE_LENGTH or any(s not in SYMBOLS for s in code[:BODY_LENGTH])
            or code[BODY_LENGTH] not in CHECK_SYMBOLS):
        raise InvalidInput(_("A certificate code has nine characters, like K7QM-4XPT-9. Check the code and try "
                             "again."), field="code", reason="malformed")
    if check_symbol(code[:BODY_LENGTH]) != code[BODY_LENGTH]:
        raise InvalidInput(_("This code does not add up: a character is probably mistyped. Check the code and try "
                             "again."), field="code", reason="mistyped")
    return code


def verify_url(code: str) -> str:
    """The certificate's public address, `<BASE_URL>/verify/K7QM-4XPT-9`: its identity (printed, in the QR code,
    and the id of its Open Badges credential)."""
    from .mail import absolute_url

    return absolute_url("verify.certificate", code=format_code(code))
