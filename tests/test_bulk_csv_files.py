"""The CSV files staff upload for bulk enrolment, in every shape they arrive in: CR-only line endings, UTF-16,
binary files, NUL characters, a value over the csv module's limit, an unclosed quotation mark. Each is read, or
refused with a message naming the line; never a 500, and never one value that swallows the rest of the file."""
import codecs

import pytest

from courseware.errors import InvalidInput
from courseware.extensions import db
from courseware.models import BulkUpload
from courseware.services import bulk, csvfile

from .world import FIRM_ORGNR, build_world, post_csv as upload

ROWS = [(2, "Kari", "kari@example.no", "817920632"), (3, "Ola", "ola@example.no", "817920632")]


def read(raw: bytes):
    return csvfile.parse(csvfile.decode(raw))


def refused(raw: bytes) -> str:
    with pytest.raises(InvalidInput) as error:
        read(raw)
    assert error.value.details["field"] == "file"
    return error.value.message


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_line_ending(ending):
    text = ending.join(["Navn;E-post;Orgnr", "Kari;kari@example.no;817920632", "Ola;ola@example.no;817920632", ""])
    assert read(text.encode()) == ROWS


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_decoded(codec):
    text = "Navn;E-post;Orgnr\r\nÅse Ødegård;ase@example.no;817920632\r\n"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    assert read(bom + text.encode(codec)) == [(2, "Åse Ødegård", "ase@example.no", "817920632")]


def test_excels_unicode_text_is_read_tabs_and_all():
    text = "Navn\tE-post\tOrgnr\r\nÅse\tase@example.no\t817920632\r\n"
    assert read(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == [(2, "Åse", "ase@example.no", "817920632")]


def test_nul_characters_are_removed():
    assert read(b"Kari\x00;kari@example.no;817920632\n\x00") == [(1, "Kari", "kari@example.no", "817920632")]
    assert "\x00" not in csvfile.decode("Kari;k@example.no;1".encode("utf-16-le"))  # UTF-16 without a BOM


@pytest.mark.parametrize("raw", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00\x06\x00[Content_Types]",
                                 b"%PDF-1.4\n\x01\x02\x03", bytes(range(256))])
def test_binary_files_are_refused(raw):
    assert "not a CSV file" in refused(raw)


def test_an_empty_file_is_refused():
    assert refused(b"") == "The file is empty."
    assert refused(b"\x00\x00\r\n \n") == "The file is empty."
    assert refused(b"Navn;E-post;Orgnr\n") == "The file has no rows with people to enrol."


def test_a_value_over_the_field_limit_names_its_line():
    raw = b"Kari;kari@example.no;817920632\nOla;" + b"x" * 200_000 + b";817920632\n"
    assert refused(raw).startswith("Line 2 has a value that is far too long.")


def test_an_unclosed_quote_names_its_line_and_swallows_nothing():
    raw = b'Navn;E-post;Orgnr\nKari;kari@example.no;817920632\n"Ola;ola@example.no;817920632\nPer;per@example.no;1\n'
    message = refused(raw)
    assert message.startswith("Line 3 has a value that runs over several lines")


def test_a_quote_closed_lines_later_is_refused_too():
    raw = b'Kari;"kari@example.no;817920632\nOla;ola@example.no;817920632\nPer;per@example.no";1\n'
    assert refused(raw).startswith("Line 1 has a value that runs over several lines")


def test_text_after_a_closing_quote_names_its_line():
    assert refused(b'Kari;kari@example.no;817920632\n"Ola" N;ola@example.no;1\n').startswith(
        "Line 2 has text after a closing quotation mark")


def test_quotes_inside_a_value_are_kept():
    assert read(b'Ola "Bua" Nordmann;ola@example.no;817920632\n"Nordmann; Kari";k@example.no;817920632\n') == [
        (1, 'Ola "Bua" Nordmann', "ola@example.no", "817920632"), (2, "Nordmann; Kari", "k@example.no", "817920632")]


def test_too_large_and_too_many_rows():
    with pytest.raises(InvalidInput, match="too large"):
        csvfile.decode(b"x" * (csvfile.MAX_BYTES + 1))
    assert "more than 2000 rows" in refused(b"Kari;k@example.no;817920632\n" * 2001)


def test_a_name_with_control_characters_is_a_row_error(app, make_user):
    from courseware.services.catalogue import get_course

    course = get_course(build_world(make_user).course_slug)
    rows = bulk.check_rows(course, [(1, "Ola\u2028Nordmann", "ola@example.no", FIRM_ORGNR),
                                    (2, "Kari Nordmann", "kari@example.no", FIRM_ORGNR)])
    assert [r.status for r in rows] == [bulk.ERROR, bulk.INVITE]
    assert "control characters" in rows[0].reason


@pytest.mark.parametrize("raw, message", [
    (b"\x89PNG\r\n\x1a\n\x00", "not a CSV file"),
    (b'Kari;"kari@example.no;817920632\nOla;ola@example.no;1\n', "Line 1 has a value that runs over several lines"),
    (b"Ola;" + b"x" * 140_000 + b";1\n", "Line 1 has a value that is far too long"),
])
def test_the_studio_shows_the_message_and_keeps_nothing(client, login, make_user, raw, message):
    world = build_world(make_user)
    login(world.users["author"])
    response = upload(client, raw)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(BulkUpload).count() == 1  # the world's own upload only


def test_a_cr_only_utf16_file_gets_a_preview(client, login, make_user):
    world = build_world(make_user)
    login(world.users["author"])
    text = "Navn;E-post;Orgnr\rKari Ny;kari.ny@example.no;817920632\r"
    response = upload(client, codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert response.status_code == 302 and "/bulk/" in response.headers["Location"]
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kari Ny" in preview and "kari.ny@example.no" in preview
