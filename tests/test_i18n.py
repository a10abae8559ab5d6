"""Translations: every user-facing string has a bokmål and a nynorsk translation, and the .mo files are current."""
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "courseware" / "translations"


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_catalogue_is_complete(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {lang}: {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_compiled_catalogue_matches_po(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as fh:
        po = read_po(fh)
    with open(folder / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    po_strings = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    mo_strings = {m.id: m.string for m in mo if m.id and m.string}
    assert po_strings == mo_strings, "run: pybabel compile -d courseware/translations"


def test_pages_render_in_bokmal_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert "Kurs" in html and "Logg inn" in html


def test_pages_render_in_nynorsk_and_english(client):
    client.post("/language", data={"lang": "en"})
    assert "Log in" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "nn"})
    assert "Logg inn" in client.get("/").get_data(as_text=True)
