"""The CSV files staff upload for bulk enrolment (name, e-mail, orgnr): bytes to text, text to rows.

People save these from Excel (semicolons, Windows-1252, or "Unicode text": UTF-16 with tabs), Numbers and
LibreOffice (UTF-8, commas), old Mac tools (CR-only line endings). Whatever arrives, the answer is rows or an
InvalidInput that says what to fix, with the line: never a 500, and never one quoted value that swallows the rest
of the file. Kept files hold people's names and addresses, so this module also finds and removes one person's rows
(services/privacy.py).
"""
import codecs
import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _

from ..errors import InvalidInput

MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024
HEADER_NAMES = {
    "name": {"name", "navn", "fullt navn", "full name"},
    "email": {"email", "e-mail", "e-post", "epost", "e-postadresse", "mail"},
    "orgnr": {"orgnr", "org.nr", "org.nr.", "org nr", "organisasjonsnummer", "organisation number", "orgnummer"},
}
_DEFAULT_COLUMNS = {"name": 0, "email": 1, "orgnr": 2}
# Control characters no text file has (tab, LF and CR are fine; NUL is removed before this check).
_BINARY = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CsvRow:
    """One person's row: where it is in the file (`line`, and `last_line` if a quoted value ran on) and its cells."""

    line: int
    last_line: int
    name: str
    email: str
    orgnr: str

    def as_tuple(self) -> tuple[int, str, str, str]:
        return self.line, self.name, self.email, self.orgnr


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-16 with a BOM, else UTF-8 (with or without BOM), else Excel's Windows-1252.

    NUL characters are removed (they are padding in UTF-16 saved without a BOM, and no database takes them);
    a file with other control characters is not a text file (a workbook, a PDF, a picture) and is refused.
    """
    if len(raw) > MAX_BYTES:
        raise InvalidInput(_("The file is too large (at most 1 MB)."), field="file")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16", errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    text = text.replace("\x00", "")
    if _BINARY.search(text):
        raise InvalidInput(_("The file is not a CSV file. In Excel, choose File > Save as > CSV (semicolon "
                             "separated), and upload that file."), field="file")
    return text


def parse(text: str) -> list[tuple[int, str, str, str]]:
    """(line, name, email, orgnr) per data row; comma, semicolon or tab, header row optional (name, e-mail, orgnr)."""
    rows = read_rows(text)
    if not rows:
        raise InvalidInput(_("The file has no rows with people to enrol."), field="file")
    return [row.as_tuple() for row in rows]


def read_rows(text: str) -> list[CsvRow]:
    """Every data row of the file, with its lines; InvalidInput for an empty or unreadable file."""
    text = text.replace("\x00", "").lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise InvalidInput(_("The file is empty."), field="file")
    # newline="": the csv module sees CR, LF and CRLF line endings itself, also inside quoted values.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    columns, header_seen, rows = _DEFAULT_COLUMNS, False, []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _unreadable(start, reader.line_num, str(error)) from None
        if reader.line_num > start:  # a quoted value ran over a line break: names and addresses never do
            raise _unreadable(start, reader.line_num, "")
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            found = _header_columns(cells)
            if found is not None:
                columns = found
                continue
        rows.append(CsvRow(start, reader.line_num, *(
            cells[columns[k]] if k in columns and columns[k] < len(cells) else "" for k in ("name", "email", "orgnr"))))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(_("The file has more than %(n)d rows. Split it into smaller files.", n=MAX_ROWS),
                               field="file")
    return rows


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in ";,\t"}
    best = max(counts, key=lambda d: (counts[d], d == ";"))  # a tie goes to the semicolon, Excel's Norwegian choice
    return best if counts[best] else ","


def _unreadable(line: int, last_line: int, error: str) -> InvalidInput:
    if last_line > line or "end of data" in error:
        message = _('Line %(line)d has a value that runs over several lines: a quotation mark (") that is not '
                    'closed, or a line break inside a cell. Fix the line and upload the file again.', line=line)
    elif "field limit" in error:
        message = _("Line %(line)d has a value that is far too long. Check the line and upload the file again.",
                    line=line)
    else:
        message = _('Line %(line)d has text after a closing quotation mark ("). Put the whole value in quotation '
                    'marks, or remove them, and upload the file again.', line=line)
    return InvalidInput(message, field="file")


def _header_columns(cells: list[str]) -> dict | None:
    lowered = [c.lower() for c in cells]
    columns = {}
    for key, names in HEADER_NAMES.items():
        for i, cell in enumerate(lowered):
            if cell in names:
                columns[key] = i
    return columns if "email" in columns else None


# --- One person's rows (privacy: the right of access and erasure) --------------------------------------------------

def rows_of(text: str, email: str) -> list[CsvRow]:
    """The rows of a kept file with this e-mail address (compared without case and surrounding spaces)."""
    email = email.strip().lower()
    try:
        return [row for row in read_rows(text) if row.email.strip().lower() == email]
    except InvalidInput:  # a file kept before these checks existed: look for the address on its own
        pattern = _address_pattern(email)
        return [CsvRow(n, n, "", email, "") for n, line in enumerate(_lines(text), start=1) if pattern.search(line)]


def without_rows_of(text: str, email: str) -> str | None:
    """The kept file without the rows of this e-mail address; None when no one else is left in it."""
    dropped = {n for row in rows_of(text, email) for n in range(row.line, row.last_line + 1)}
    kept = "".join(line for n, line in enumerate(_lines(text), start=1) if n not in dropped)
    try:
        return kept if read_rows(kept) else None
    except InvalidInput:
        return None


def _lines(text: str) -> list[str]:
    # The same lines (and numbers) the csv reader sees in read_rows.
    return io.StringIO(text.replace("\x00", ""), newline="").readlines()


def _address_pattern(email: str) -> re.Pattern:
    return re.compile(r"(?<![\w.+-])" + re.escape(email) + r"(?![\w.-])", re.IGNORECASE)
