"""Files people open in Excel or LibreOffice: every export writes its cells through here.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula to a spreadsheet, so a learner named
"=HYPERLINK(...)" (or an address like "-2+3@example.no") could run something on the computer of the staff member who
opens the export (CSV injection, OWASP). Such cells get a leading apostrophe, which spreadsheets show as text.

Two formats: `csv_for_excel` (text) and `xlsx_stream` (XLSX bytes in chunks, typed cells). The XLSX file is built
by XlsxWriter in constant-memory mode into a temporary file, a row at a time, so 300,000 rows take no more memory
than 300 (see bench/xlsx_export.py); then the file is read back in chunks. Text cells are written as text through
`safe_cell` (never through XlsxWriter's `write`, which would turn "=..." into a formula).
"""
import csv
import io
import math
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import xlsxwriter
from flask import current_app, has_app_context

from .suppression import Cell

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


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_CHUNK = 64 * 1024
XLSX_MAX_ROWS = 1_048_576  # Excel's limit for one sheet, header included
EXACT_INTEGER = 10**15  # Excel keeps 15 significant digits: a longer integer is written as text, not rounded
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(title: str) -> str:
    """`title` as Excel allows a sheet name: at most 31 characters, none of []:*?/\\, not blank."""
    name = " ".join(str(title).translate(_BAD_TITLE).split()).strip("'")[:31].strip()
    return name or "Sheet1"


def _zone(zone: tzinfo | None) -> tzinfo:
    if zone is not None:
        return zone
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Oslo"
    return ZoneInfo(name)


def write_xlsx(file, header: Iterable, rows: Iterable[Iterable], *, sheet_title: str,
               zone: tzinfo | None = None) -> int:
    """One sheet of typed cells into the binary `file`, a row at a time; returns the number of data rows.

    ints, floats and Decimals are numbers (an integer of more than 15 digits is text, as Excel would round it);
    bools are booleans; dates are dates and datetimes are local date-times (`zone`, by default the app's
    BABEL_DEFAULT_TIMEZONE); a suppression `Cell` is its number, or the text "<5" when suppressed; None and "" are
    empty cells; anything else is text through `safe_cell`, so it can never be a formula.
    """
    local = _zone(zone)
    workbook = xlsxwriter.Workbook(file, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    try:
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet = workbook.add_worksheet(sheet_name(sheet_title))
        header = list(header)
        for col, title in enumerate(header):
            sheet.write_string(0, col, safe_cell(title), bold)
            sheet.set_column(col, col, min(max(len(str(title)) + 2, 10), 40))
        sheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            if count >= XLSX_MAX_ROWS:
                raise ValueError(f"more than {XLSX_MAX_ROWS - 1} rows do not fit in one sheet")
            for col, value in enumerate(row):
                _write(sheet, count, col, value, day, moment, local)
        if header:
            sheet.autofilter(0, 0, count, len(header) - 1)
    finally:
        workbook.close()
    return count


def _write(sheet, row: int, col: int, value, day, moment, local: tzinfo) -> None:
    if isinstance(value, Cell):
        value = str(value) if value.value is None else value.value
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float, Decimal)):
        number = float(value)
        if not math.isfinite(number) or (isinstance(value, int) and abs(value) >= EXACT_INTEGER):
            sheet.write_string(row, col, safe_cell(value))
        else:
            sheet.write_number(row, col, value if isinstance(value, int) else number)
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(local).replace(tzinfo=None)
        sheet.write_datetime(row, col, value, moment)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, day)
    else:
        sheet.write_string(row, col, safe_cell(value))


def xlsx_stream(header: Iterable, rows: Iterable[Iterable], *, sheet_title: str, zone: tzinfo | None = None,
                chunk_size: int = XLSX_CHUNK) -> Iterator[bytes]:
    """An XLSX file (one sheet, cells typed as `write_xlsx` says) as chunks of bytes, in flat memory.

    The whole workbook is written to a temporary file when the first chunk is asked for (so `rows` is consumed
    then, and an error in it is raised by that first `next`); the file is deleted when the iterator ends or is
    closed (a dropped download).
    """
    with tempfile.TemporaryFile() as file:
        write_xlsx(file, header, rows, sheet_title=sheet_title, zone=zone)
        file.seek(0)
        while chunk := file.read(chunk_size):
            yield chunk
