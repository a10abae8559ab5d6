"""Files people open in Excel or LibreOffice: every export writes its cells through here.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula to a spreadsheet, so a learner named
"=HYPERLINK(...)" (or an address like "-2+3@example.no") could run something on the computer of the staff member who
opens the export (CSV injection, OWASP). Such cells get a leading apostrophe, which spreadsheets show as text.
"""
import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as spreadsheet text that can never be read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_for_excel(header: Iterable, rows: Iterable[Iterable]) -> str:
    """CSV text as Norwegian Excel opens it (UTF-8 with BOM, semicolons, CRLF), every cell through safe_cell."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
