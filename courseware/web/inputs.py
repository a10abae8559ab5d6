"""What the request layer refuses before a view sees it, and the parsers for numbers people can put in a URL or form.

- `<int:...>` in every route is `IdConverter`: ASCII digits only, at most MAX_ID, so a huge number (or "١٢٣")
  in a path is a 404 rather than a database error.
- A NUL character anywhere in the path, query string, form fields or uploaded file names is refused with a 400
  before anything reaches the database (PostgreSQL cannot store it in text).
- `page_number()` and `parse_id()` read page numbers and ids from query strings and forms the same way.
- `valid_name` puts the services' name rules (services/validation.py) next to a WTForms field.
"""
from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from ..errors import InvalidInput, NotFound
from ..services.validation import validate_name

# Every id column is a PostgreSQL INTEGER (and SQLite refuses numbers past 64 bits): nothing larger can be an id.
MAX_ID = 2**31 - 1
# Far more pages than any list has; keeps OFFSET (page * page size) well inside 64 bits.
MAX_PAGE = 1_000_000


class IdConverter(IntegerConverter):
    """`<int:...>` for the whole app: 1 to 10 ASCII digits, at most MAX_ID (werkzeug's own takes any size and
    any Unicode digit)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        bounded = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded, signed=signed)


def parse_id(value) -> int:
    """An id typed into a form or query string: ASCII digits, 1..MAX_ID; ValueError otherwise (as int() would)."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not 0 < int(text) <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


def optional_id(value) -> int | None:
    """parse_id for an optional form field: None for empty or unusable input."""
    try:
        return parse_id(value)
    except ValueError:
        return None


def page_number(name: str = "page") -> int:
    """The page number in the query string (1 when absent); NotFound for anything but a number up to MAX_PAGE."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return 1
    if raw.isascii() and raw.isdigit() and len(raw) <= 7 and 0 < int(raw) <= MAX_PAGE:
        return int(raw)
    raise NotFound(_("There is no such page. Go back to the first page of the list."))


def valid_name(form, field) -> None:
    """WTForms validator with the services' rules for names (no line breaks or control characters, not too long)."""
    if field.data and not field.errors:  # one message per problem: Length may have spoken already
        try:
            validate_name(field.data, field=field.name)
        except InvalidInput as error:
            raise ValidationError(error.message) from None


def _has_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_nul_characters() -> None:
    """400 for a NUL character in the path, query string, form fields or uploaded file names."""
    if "\x00" in request.path or _has_nul(request.args):
        raise InvalidInput(_("The address contains a character that is not allowed."))
    if request.method in ("POST", "PUT", "PATCH") and (
        _has_nul(request.form) or any("\x00" in (f.filename or "") for _name, f in request.files.items(multi=True))
    ):
        raise InvalidInput(_("The form contains a character that is not allowed (NUL). Remove it and try again."))


def init_app(app: Flask) -> None:
    """Install the id converter (before any blueprint adds routes) and the NUL check (before any other hook)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_characters)
