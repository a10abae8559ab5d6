"""Exports are safe to open in a spreadsheet: no cell of any export starts with =, +, -, @, a tab or a carriage
return (OWASP CSV injection), names, e-mail addresses and firm names included; and every export writes through
the one helper in services/spreadsheet.py."""
import csv
import io
import re
from pathlib import Path

import pytest

from courseware.extensions import db
from courseware.services import enrolment
from courseware.services.spreadsheet import FORMULA_STARTS, csv_for_excel, safe_cell

from .learning_factory import load, make_course, make_firm

PACKAGE = Path(__file__).resolve().parent.parent / "courseware"
HOSTILE = ["=HYPERLINK(\"http://x\",\"klikk\")", "+47 99 99 99 99", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCR",
           "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_get_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value, expected", [("Åse", "Åse"), ("", ""), (None, ""), (42, "42"), (-3, "'-3"),
                                             ("a=b", "a=b"), ("'=already", "'=already")])
def test_other_cells_are_left_alone(value, expected):
    assert safe_cell(value) == expected


def test_csv_for_excel_neutralises_header_and_rows():
    text = csv_for_excel(["=Navn"], [["=1+1", "ok"]])
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [["'=Navn"], ["'=1+1", "ok"]]


def test_no_cell_of_the_learner_export_can_run(client, login, make_user):
    course = make_course("kurs")
    firm = make_firm(name="=HYPERLINK(\"http://x\")")
    for n, text in enumerate(HOSTILE):
        user = make_user("learner", firm_id=firm.id)
        user.name = f"{text} {n}"  # tab and CR included: names saved before names were checked
        if text[0] in "=+-@":
            user.email = f"{text[0]}{n}x@example.no"  # "@3x@..." too: whatever the column holds is exported
        enrolment.enrol(user, load(course))
    db.session.commit()
    login(make_user("admin"))
    body = client.get("/studio/courses/kurs/learners.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows) == len(HOSTILE) + 1
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-2+3 2" in cells and "'+1x@example.no" in cells
    assert any(cell.startswith("'=") and cell.endswith("@example.no") for cell in cells)  # an address too


def test_every_export_writes_through_the_one_helper():
    """A new export that writes CSV or a workbook itself (and so forgets the neutralising) fails here."""
    writers = re.compile(r"csv\.(writer|DictWriter)\(|openpyxl|xlsxwriter|\.to_csv\(|\.to_excel\(")
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if path.name != "spreadsheet.py" and writers.search(path.read_text("utf-8"))]
    assert offenders == []
