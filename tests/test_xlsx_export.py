"""XLSX exports (services/spreadsheet.xlsx_stream) read back with openpyxl: typed cells (numbers, dates, text,
suppressed counts), no formula ever (text starting with =, +, - or @ stays text), Norwegian letters; and the
download responses (web/downloads.py): file names for Norwegian letters, content types, no caching, streaming."""
import io
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

import openpyxl
import pytest

from courseware.services import spreadsheet
from courseware.services.spreadsheet import XLSX_MIMETYPE, sheet_name, xlsx_stream
from courseware.services.suppression import Cell
from courseware.web.downloads import content_disposition, csv_download, download_response, xlsx_download

from .test_spreadsheet_export import HOSTILE

OSLO = pytest.importorskip("zoneinfo").ZoneInfo("Europe/Oslo")


def workbook_bytes(header, rows, **kwargs) -> bytes:
    kwargs.setdefault("sheet_title", "Rapport")
    kwargs.setdefault("zone", OSLO)
    return b"".join(xlsx_stream(header, rows, **kwargs))


def read(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_cells_keep_their_types():
    when = datetime(2026, 6, 30, 22, 15, tzinfo=timezone.utc)
    sheet = read(workbook_bytes(
        ["Bedrift", "Antall", "Timer", "Dato", "Tidspunkt", "Aktiv", "Tom"],
        [["Ørland Æble & Søn AS", 17, 2.5, date(2026, 1, 31), when, True, None],
         ["Åfjord", 0, Decimal("1.25"), date(2025, 12, 1), datetime(2026, 1, 1, 9, 30), False, ""]]))
    header, first, second = list(sheet.iter_rows())
    assert [c.value for c in header] == ["Bedrift", "Antall", "Timer", "Dato", "Tidspunkt", "Aktiv", "Tom"]
    assert [c.data_type for c in header] == ["s"] * 7
    assert [(c.value, c.data_type) for c in first] == [
        ("Ørland Æble & Søn AS", "s"), (17, "n"), (2.5, "n"), (datetime(2026, 1, 31), "d"),
        (datetime(2026, 7, 1, 0, 15), "d"),  # the Oslo clock (summer time), not UTC's
        (True, "b"), (None, "n")]
    assert first[3].number_format == "yyyy-mm-dd" and first[4].number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(first[1].value, int)
    assert [c.value for c in second] == ["Åfjord", 0, 1.25, datetime(2025, 12, 1), datetime(2026, 1, 1, 9, 30),
                                         False, None]  # empty text is an empty cell, as None is
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G3"


def test_suppressed_counts_are_text_and_shown_counts_are_numbers():
    sheet = read(workbook_bytes(["Kommune", "Deltakere"],
                                [["Røros", Cell(None, 5)], ["Frøya", Cell(7, 5)], ["Hitra", Cell(0, 5)],
                                 ["Oppdal", Cell(None, 3)]]))
    cells = [(row[1].value, row[1].data_type) for row in list(sheet.iter_rows())[1:]]
    assert cells == [("<5", "s"), (7, "n"), (0, "n"), ("<3", "s")]


@pytest.mark.parametrize("text", HOSTILE + ["=1+1", "-5", "+47", "@A1"])
def test_formula_looking_text_is_text_never_a_formula(text):
    data = workbook_bytes([text, "b"], [[text, f"{text} igjen"]])
    sheet = read(data)
    # XLSX escapes a carriage return as _x000D_, which Excel reads back and openpyxl leaves as it is
    values = [(c.value.replace("_x000D_", "\r"), c.data_type) for row in sheet.iter_rows() for c in row
              if c.value != "b"]
    assert values == [(spreadsheet.safe_cell(text), "s"), (spreadsheet.safe_cell(text), "s"),
                      (spreadsheet.safe_cell(f"{text} igjen"), "s")]
    assert all(not str(value).startswith(("=", "+", "-", "@")) for value, _ in values)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml  # no formula element at all


def test_numbers_that_would_be_wrong_in_excel_are_text():
    row = list(read(workbook_bytes(["a", "b", "c", "d"], [[10**15, 10**15 - 1, float("nan"), -3]])).iter_rows())[1]
    assert [(c.value, c.data_type) for c in row] == [("1000000000000000", "s"), (10**15 - 1, "n"),
                                                     ("nan", "s"), (-3, "n")]  # a negative number is a number


def test_empty_exports_and_empty_rows():
    sheet = read(workbook_bytes(["Kurs", "Fullført"], []))
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Kurs", "Fullført"]]
    sheet = read(workbook_bytes(["Kurs"], [[], ["Etter en tom rad"]]))
    assert [c.value for c in sheet["A"]] == ["Kurs", None, "Etter en tom rad"]
    assert read(workbook_bytes([], [])).max_row == 1


@pytest.mark.parametrize("title, expected", [
    ("Fullførte kurs: Trøndelag/2026", "Fullførte kurs Trøndelag 2026"), ("[*?]", "Sheet1"), ("'Ås'", "Ås"),
    ("Bedrifter per kommune og næring i hele fylket", "Bedrifter per kommune og næring")])
def test_sheet_names_are_what_excel_accepts(title, expected):
    assert sheet_name(title) == expected
    assert read(workbook_bytes(["x"], [], sheet_title=title)).title == expected


def test_the_stream_comes_in_chunks_and_leaves_no_temporary_file(monkeypatch, tmp_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    rows = ([n, f"Bedrift {n}", date(2026, 1, 1)] for n in range(3000))
    chunks = list(xlsx_stream(["n", "navn", "dato"], rows, sheet_title="Stor", zone=OSLO, chunk_size=4096))
    assert len(chunks) > 5 and all(len(chunk) == 4096 for chunk in chunks[:-1])
    assert read(b"".join(chunks)).max_row == 3001
    assert list(tmp_path.iterdir()) == []
    dropped = xlsx_stream(["n"], ([n] for n in range(100)), sheet_title="x", zone=OSLO, chunk_size=64)
    next(dropped)
    dropped.close()  # a download the browser gave up on
    assert list(tmp_path.iterdir()) == []


def test_too_many_rows_for_a_sheet_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheet, "XLSX_MAX_ROWS", 3)
    with pytest.raises(ValueError, match="do not fit"):
        workbook_bytes(["n"], [[1], [2], [3]])


def test_dates_use_the_apps_time_zone(app):
    with app.app_context():
        app.config["BABEL_DEFAULT_TIMEZONE"] = "America/New_York"
        data = b"".join(xlsx_stream(["t"], [[datetime(2026, 1, 1, 12, tzinfo=timezone.utc)]], sheet_title="t"))
    assert read(data)["A2"].value == datetime(2026, 1, 1, 7, 0)


@pytest.mark.parametrize("filename, expected", [
    ("kurs-learners.csv", 'attachment; filename="kurs-learners.csv"'),
    ("Fullførte kurs.xlsx", "attachment; filename=\"Fullforte-kurs.xlsx\"; "
                            "filename*=UTF-8''Fullf%C3%B8rte%20kurs.xlsx"),
    ("Ærlige Åse på Røros.csv", "attachment; filename=\"Aerlige-Ase-pa-Roros.csv\"; "
                                "filename*=UTF-8''%C3%86rlige%20%C3%85se%20p%C3%A5%20R%C3%B8ros.csv"),
    ('a"b/c\\d\r\n.xlsx', 'attachment; filename="a-b-c-d--.xlsx"'),
    ("ø", "attachment; filename=\"o\"; filename*=UTF-8''%C3%B8"),
])
def test_content_disposition_names_the_file(filename, expected):
    assert content_disposition(filename) == expected


def test_xlsx_download_streams_a_typed_workbook(app):
    with app.test_request_context("/reports/"):
        response = xlsx_download(["Kommune", "Deltakere"], [["Røros", Cell(None, 5)], ["Frøya", Cell(12, 5)]],
                                 filename="Deltakere per kommune.xlsx", sheet_title="Deltakere")
    assert response.is_streamed
    assert response.headers["Content-Type"] == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Deltakere-per-kommune.xlsx\"; filename*=UTF-8''Deltakere%20per%20kommune.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = read(response.get_data())
    assert sheet.title == "Deltakere"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Kommune", "Deltakere"], ["Røros", "<5"],
                                                                      ["Frøya", 12]]
    response.close()


def test_an_error_in_the_rows_is_raised_in_the_view_not_in_a_cut_off_file(app):
    def rows():
        yield ["ok"]
        raise LookupError("the database went away")

    with app.test_request_context("/reports/"), pytest.raises(LookupError):
        xlsx_download(["a"], rows(), filename="x.xlsx", sheet_title="x")


def test_csv_download_is_excel_csv_without_caching(app, client):
    with app.test_request_context("/reports/"):
        response = csv_download(["Kommune", "Deltakere"], [["Røros", Cell(None, 5)], ["=Frøya", Cell(12, 5)]],
                                filename="Deltakere per kommune.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''Deltakere%20per%20kommune.csv" in response.headers["Content-Disposition"]
    assert response.get_data().decode("utf-8") == "\ufeffKommune;Deltakere\r\nRøros;<5\r\n'=Frøya;12\r\n"
    assert download_response(b"x", filename="a.bin", mimetype="application/octet-stream").get_data() == b"x"
