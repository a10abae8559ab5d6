"""Checks on text people type that every service shares: names (of people, firms and providers) and search terms.

A name ends up in e-mail headers, CSV exports and every page, so it may not hold line breaks or other control
characters: the mailer would refuse the header after the account was saved, and a page would show nonsense.
"""
import unicodedata

from flask_babel import gettext as _

from ..errors import InvalidInput

MAX_NAME_LENGTH = 200  # the column's length; the message below says 200 too
# Longer search terms only make the database work harder (SQLite refuses LIKE patterns over 50,000 bytes).
MAX_SEARCH_LENGTH = 100
# Unicode categories never allowed in a name: control characters, unpaired surrogates, line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Bidirectional overrides and isolates can make a name read as something else (e.g. an address turned around).
_REFUSED_CHARACTERS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a line break, tab, NUL or another character that has no place in a one-line value."""
    return any(unicodedata.category(c) in _REFUSED_CATEGORIES or c in _REFUSED_CHARACTERS for c in text)


def validate_name(value: str | None, *, field: str = "name", missing: str | None = None) -> str:
    """The name with runs of spaces collapsed; InvalidInput (for `field`) when empty, too long or holding control
    characters. `missing` is the message for an empty name."""
    value = value or ""
    if has_control_characters(value):
        raise InvalidInput(_("The name cannot contain line breaks, tabs or other control characters."), field=field)
    name = " ".join(value.split())
    if not name:
        raise InvalidInput(missing or _("Enter a name."), field=field)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(_("The name can be at most 200 characters long."), field=field)
    return name


def search_term(value: str | None) -> str:
    """What a search box may send to the database: trimmed, and at most MAX_SEARCH_LENGTH characters."""
    return (value or "").strip()[:MAX_SEARCH_LENGTH].strip()
